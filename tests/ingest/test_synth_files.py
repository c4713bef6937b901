"""bench/synth_export.py with --rich / --files: the shapes are there, every file a conversation points to is in the
ZIP and opens with Pillow or pypdf, the total comes to the size asked, both layouts, and the export imports.
Without those options the export is the one the benchmarks have always compared against."""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store.history import HistoryStore
from sample import REPO

sys.path.insert(0, str(REPO))  # bench/ is not installed (as in store/test_killed_writers.py)
from bench import synth_export

N = 400
TARGET = 32 << 20  # well above the smallest valid files (a 12-megapixel JPEG is ~300 KB)


def bodies(z: zipfile.ZipFile) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name in sorted(n for n in z.namelist() if re.fullmatch(r"conversations(-\d+)?\.json", n)):
        found += json.loads(z.read(name))
    return found


def referenced(conv: dict[str, Any]) -> set[str]:
    text = json.dumps(conv)
    ids = set(re.findall(r'"(?:asset_pointer|image_url)": "[a-z-]+://([^"]+)"', text))
    for node in conv["mapping"].values():
        for attachment in ((node.get("message") or {}).get("metadata") or {}).get("attachments") or []:
            ids.add(attachment["id"])
    return ids


def test_default_output_is_unchanged(tmp_path: Path) -> None:
    # The digest of this export's entries (names and contents) before --rich existed: benchmarks compare runs
    # over the same seed. The entries, not the ZIP's bytes, so another zlib's deflate does not matter.
    path = tmp_path / "default.zip"
    synth_export.write_export(str(path), 120, seed=4)
    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            digest.update(info.filename.encode() + b"\0" + z.read(info) + b"\0")
    assert digest.hexdigest() == "f470ee86aa2ebebdc7d4d7d4da791a076b8fbeaab59402fa83321e83053922e6"


@pytest.mark.parametrize("layout", ["2025", "2026"])
def test_rich_export_with_files(tmp_path: Path, layout: str) -> None:
    path = tmp_path / f"rich-{layout}.zip"
    stats = synth_export.write_export(str(path), N, seed=9, files_bytes=TARGET, layout=layout)
    assert abs(stats["file_bytes"] - TARGET) < TARGET * 0.02
    with zipfile.ZipFile(path) as z:
        convs = bodies(z)
        names = set(z.namelist())
        infos = {i.filename: i for i in z.infolist()}
        dump = json.dumps(convs)
        kinds = Counter(
            k
            for k, marker in [
                ("attachment", '"attachments"'),
                ("canvas", '"canmore.create_textdoc"'),
                ("research", '"deepresch_'),
                ("chart", '"message_type": "image"'),
                ("generated", '"gen_id"'),
            ]
            for _ in range(dump.count(marker))
        )
        assert all(kinds[k] for k in ("attachment", "canvas", "research", "chart", "generated")), kinds
        planned = {f.file_id for i in range(N) if (plan := synth_export.rich_plan(i, N, 9)) for f in plan.files}
        assert planned <= set().union(*(referenced(c) for c in convs))
        if layout == "2026":
            assert "conversations.json" not in names
            name_map = json.loads(z.read("conversation_asset_file_names.json"))
            assert {n.removesuffix(".dat") for n in name_map} == planned
            manifest = {e["path"] for e in json.loads(z.read("export_manifest.json"))["export_files"]}
            assert manifest == names - {"export_manifest.json"}
            files = {n.removesuffix(".dat"): n for n in name_map}
        else:
            files = {}
            for file_id in planned:
                (hit,) = [n for n in names if re.fullmatch(re.escape(file_id) + r"([-_.].*)?", n.rsplit("/", 1)[-1])]
                files[file_id] = hit
        for name in files.values():
            data = z.read(name)
            assert infos[name].compress_type == zipfile.ZIP_STORED
            if data.startswith(b"%PDF"):
                assert len(PdfReader(io.BytesIO(data)).pages) == 3
            elif data[:4] in (b"\x89PNG", b"RIFF") or data[:3] == b"\xff\xd8\xff":
                Image.open(io.BytesIO(data)).load()
            else:
                data.decode("utf-8")
        # Every file distinct: a store that deduplicates by content keeps them all.
        assert len({hashlib.sha256(z.read(n)).digest() for n in files.values()}) == len(files)


def test_rich_export_imports(tmp_path: Path) -> None:
    path = tmp_path / "rich.zip"
    synth_export.write_export(str(path), 150, seed=2, files_bytes=1 << 20, layout="2026")
    store = HistoryStore(tmp_path / "data")
    try:
        report = import_export(store, path)
        assert (report.outcome, report.added, report.invalid) == ("imported", 150, 0)
    finally:
        store.close()
