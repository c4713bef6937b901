"""The sample exports hold what examples/SAMPLE.md and tests/sample.py say: real files with the stated pixels and
text, pointers that resolve by the documented rules, marker words in one place only, a canvas whose calls give
the stated versions, and the 2026 layout's side files. Other tests build on these facts; here they are checked
against the bytes, with Pillow and pypdf as any reader would."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import wave
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from sample import (
    ALL_SAMPLE,
    ALL_SAMPLE_2026,
    CANDLE_CANVAS,
    CANVAS_COMMENT,
    CANVAS_TEXTDOC_ID,
    CANVAS_TITLE,
    CANVAS_TYPE,
    CANVAS_VERSIONS,
    CANVAS_WORD,
    CODE_CANVAS_2026,
    CODE_CANVAS_TEXTDOC_ID,
    CODE_CANVAS_WORD,
    CRAFT_PROJECT,
    CSV_WORD,
    DEEP_RESEARCH,
    DEEP_RESEARCH_WIDGET,
    DEEP_RESEARCH_WORD,
    FILE_NAME_WORD,
    FILES,
    FILES_2026,
    JPEG_TOLERANCE,
    MISSING_FILES,
    MISSING_FILES_2026,
    ORCHESTRA_WORD,
    PDF_WORD,
    PROJECT,
    REPO,
    SAMPLE,
    SAMPLE_2026,
    WIDGET_REPORT_WORD,
    SampleFile,
)

Json = dict[str, Any]


def conversations(path: Path) -> dict[str, Json]:
    with zipfile.ZipFile(path) as z:
        found: dict[str, Json] = {}
        for name in sorted(n for n in z.namelist() if re.fullmatch(r"conversations-\d+\.json", n)):
            for conv in json.loads(z.read(name)):
                found[conv.get("id") or conv["conversation_id"]] = conv
        return found


def messages(conv: Json) -> Iterator[Json]:
    for node in conv["mapping"].values():
        if node.get("message"):
            yield node["message"]


def pointers(conv: Json) -> set[str]:
    """Every file id a conversation refers to, by the doc's table (§1.1): pointers without their scheme,
    attachment ids, code-interpreter image outputs."""
    ids: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key in ("asset_pointer", "image_url"):
                if isinstance(value.get(key), str):
                    ids.add(value[key].split("://", 1)[-1])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for message in messages(conv):
        walk(message.get("content"))
        meta = message.get("metadata") or {}
        ids.update(a["id"] for a in meta.get("attachments") or [])
        walk((meta.get("aggregate_result") or {}).get("messages"))
    return ids


def check_image(data: bytes, f: SampleFile) -> None:
    image = Image.open(io.BytesIO(data))
    assert Image.MIME[image.format or ""] == f.mime_type, f.file_id
    assert image.size == f.size
    if f.quadrants is None:
        return
    rgb = image.convert("RGB")
    w, h = image.size
    tolerance = JPEG_TOLERANCE if f.mime_type == "image/jpeg" else 0
    for (x, y), want in zip(((w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4), (3 * w // 4, 3 * h // 4)),
                            f.quadrants, strict=True):  # fmt: skip
        got = rgb.getpixel((x, y))
        assert isinstance(got, tuple) and max(abs(a - b) for a, b in zip(got, want, strict=True)) <= tolerance, (
            f.file_id,
            (x, y),
            got,
            want,
        )


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data), strict=True).pages)


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_generator_writes_the_committed_zips(tmp_path: Path) -> None:
    # Entry by entry (names and bytes; the images are encoded by the Pillow uv.lock pins): a ZIP's own deflate
    # output may differ with another zlib, what it holds may not.
    out, out_2026 = tmp_path / "a.zip", tmp_path / "b.zip"
    script = REPO / "examples" / "make_sample_export.py"
    subprocess.run([sys.executable, str(script), str(out), str(out_2026)], check=True, capture_output=True)
    assert entries(out) == entries(SAMPLE), "examples/sample-export.zip is stale: rerun the generator"
    assert entries(out_2026) == entries(SAMPLE_2026), "sample-export-2026.zip is stale"


@pytest.mark.parametrize(("path", "files"), [(SAMPLE, FILES), (SAMPLE_2026, FILES_2026)], ids=["2025", "2026"])
def test_every_file_is_real_and_has_the_stated_contents(path: Path, files: dict[str, SampleFile]) -> None:
    with zipfile.ZipFile(path) as z:
        for f in files.values():
            data = z.read(f.entry)
            if f.mime_type.startswith("image/"):
                check_image(data, f)
            elif f.mime_type == "application/pdf":
                assert (PDF_WORD if path == SAMPLE else ORCHESTRA_WORD) in pdf_text(data)
            elif f.mime_type == "audio/wav":
                with wave.open(io.BytesIO(data)) as clip:
                    assert clip.getnframes() > 0 and clip.getnchannels() == 1
            else:
                assert f.mime_type == "text/csv" and CSV_WORD in data.decode("utf-8")


def test_old_layout_pointers_resolve_by_the_documented_rules() -> None:
    convs = conversations(SAMPLE)
    assert len(convs) == ALL_SAMPLE
    with zipfile.ZipFile(SAMPLE) as z:
        names = z.namelist()
    referenced = set().union(*(pointers(c) for c in convs.values()))
    assert referenced == set(FILES) | set(MISSING_FILES)
    for f in FILES.values():
        assert f.conversation_id is not None and f.file_id in pointers(convs[f.conversation_id])
        # The rule of chatgpt-files-and-canvas.md §1.1: the id, then nothing or one of - _ . and the rest.
        hits = [n for n in names if re.fullmatch(re.escape(f.file_id) + r"(?:[-_.].*)?", n.rsplit("/", 1)[-1])]
        assert hits == [f.entry], f.file_id
    for missing in MISSING_FILES:
        assert not any(missing in n for n in names)
    # The decoy: the PDF's entry starts with the CSV's id, a bare "starts with" would give the CSV two files.
    csv_id = "file-Rk8vN2mQp4LxT7bWc9Ye3A"
    assert [n for n in names if n.startswith(csv_id)] == [FILES[csv_id].entry, FILES[csv_id + "x"].entry]


def test_2026_layout_side_files_agree_with_the_dat_files() -> None:
    convs = conversations(SAMPLE_2026)
    assert len(convs) == ALL_SAMPLE_2026
    with zipfile.ZipFile(SAMPLE_2026) as z:
        names = set(z.namelist())
        name_map = json.loads(z.read("conversation_asset_file_names.json"))
        manifest = json.loads(z.read("export_manifest.json"))
        library = json.loads(z.read("library_files.json"))
        sizes = {i.filename: i.file_size for i in z.infolist()}
    assert "conversations.json" not in names and not any(n.startswith("dalle-generations/") for n in names)
    assert name_map == {f.entry: f.name for f in FILES_2026.values()}
    assert {n for n in names if n.endswith(".dat")} == set(name_map)
    assert {e["path"]: e["size_bytes"] for e in manifest["export_files"]} == {
        n: s for n, s in sizes.items() if n != "export_manifest.json"
    }
    referenced = set().union(*(pointers(c) for c in convs.values()))
    assert referenced == set(FILES_2026) | set(MISSING_FILES_2026)
    for item in library:
        conv = convs[item["origination_thread_id"]]
        assert item["origination_message_id"] in conv["mapping"] and item["file_id"] in FILES_2026
        assert item["id"]["id"].startswith("libfile_")
    generated = [i for i in library if i["image_gen_generation_id"]]
    assert [i["file_id"] for i in generated] == ["file_0000000071c3e5a9b2d4460f8e1a3c5d"]


@pytest.mark.parametrize(
    ("word", "where"),
    [
        (PDF_WORD, FILES["file-Rk8vN2mQp4LxT7bWc9Ye3Ax"].entry),
        (CSV_WORD, FILES["file-Rk8vN2mQp4LxT7bWc9Ye3A"].entry),
        (CANVAS_WORD, CANDLE_CANVAS),
        (DEEP_RESEARCH_WORD, DEEP_RESEARCH),
        (WIDGET_REPORT_WORD, DEEP_RESEARCH_WIDGET),
        (FILE_NAME_WORD, "file-8Gm2QxT4rVb7KpLw1NcYe5"),
    ],
)
def test_each_marker_word_lives_in_one_place(word: str, where: str) -> None:
    found: list[str] = []
    with zipfile.ZipFile(SAMPLE) as z:
        for name in z.namelist():
            if not re.fullmatch(r"conversations-\d+\.json", name) and word.encode() in z.read(name):
                found.append(name)
    for cid, conv in conversations(SAMPLE).items():
        for message in messages(conv):
            if word in json.dumps(message, ensure_ascii=False):
                found.append(cid if word != FILE_NAME_WORD else message["metadata"]["attachments"][0]["id"])
        assert word not in (conv.get("title") or "")
    assert found == [where]


def canvas_calls(conv: Json) -> list[tuple[str, Json, Json]]:
    """(tool, the call's JSON, the reply's metadata.canvas) for each canmore call of the current branch."""
    mapping = conv["mapping"]
    path, node = [], conv["current_node"]
    while node is not None:
        path.append(mapping[node])
        node = mapping[node]["parent"]
    path.reverse()
    calls = []
    for i, node in enumerate(path):
        message = node.get("message") or {}
        if str(message.get("recipient", "")).startswith("canmore."):
            reply = path[i + 1]["message"]
            assert reply["author"] == {**reply["author"], "role": "tool", "name": message["recipient"]}
            calls.append((message["recipient"], json.loads(message["content"]["text"]), reply["metadata"]["canvas"]))
    return calls


def test_the_canvas_calls_give_the_stated_versions() -> None:
    calls = canvas_calls(conversations(SAMPLE)[CANDLE_CANVAS])
    assert [c[0] for c in calls] == [
        "canmore.create_textdoc",
        "canmore.update_textdoc",
        "canmore.comment_textdoc",
        "canmore.update_textdoc",
    ]
    assert [c[2]["version"] for c in calls] == [1, 2, 2, 3]
    assert {(c[2]["textdoc_id"], c[2]["title"], c[2]["textdoc_type"]) for c in calls} == {
        (CANVAS_TEXTDOC_ID, CANVAS_TITLE, CANVAS_TYPE)
    }
    (_, create, _), (_, regex, _), (_, comment, reply), (_, rewrite, _) = calls
    assert (create["name"], create["type"], create["content"]) == (CANVAS_TITLE, CANVAS_TYPE, CANVAS_VERSIONS[0])
    (update,) = regex["updates"]
    assert update["pattern"] != ".*" and not update["multiple"]
    assert (
        re.sub(update["pattern"], update["replacement"], CANVAS_VERSIONS[0], count=1, flags=re.S)
        == (CANVAS_VERSIONS[1])
    )
    assert [(c["pattern"], c["comment"]) for c in comment["comments"]] == [CANVAS_COMMENT]
    assert CANVAS_COMMENT[0] in CANVAS_VERSIONS[1] and reply["comment_ids"]
    assert [(u["pattern"], u["replacement"]) for u in rewrite["updates"]] == [(".*", CANVAS_VERSIONS[2])]
    assert CANVAS_WORD in CANVAS_VERSIONS[2] and CANVAS_WORD not in CANVAS_VERSIONS[1]

    code = canvas_calls(conversations(SAMPLE_2026)[CODE_CANVAS_2026])
    assert [(c[0], c[2]["version"], c[2]["textdoc_type"]) for c in code] == [
        ("canmore.create_textdoc", 1, "code/python"),
        ("canmore.update_textdoc", 2, "code/python"),
    ]
    assert {c[2]["textdoc_id"] for c in code} == {CODE_CANVAS_TEXTDOC_ID}
    assert CODE_CANVAS_WORD in code[1][1]["updates"][0]["replacement"]


def test_deep_research_reports_in_both_forms() -> None:
    convs = conversations(SAMPLE)
    (report,) = [m for m in messages(convs[DEEP_RESEARCH]) if m["metadata"].get("is_async_task_result_message")]
    kickoff = [
        m for m in messages(convs[DEEP_RESEARCH]) if m["author"]["name"] == "research_kickoff_tool.start_research_task"
    ]
    assert kickoff[0]["metadata"]["async_task_id"] == report["metadata"]["async_task_id"]
    assert kickoff[0]["metadata"]["async_task_id"].startswith("deepresch_")
    assert DEEP_RESEARCH_WORD in report["content"]["parts"][0]
    assert [r["items"][0]["url"] for r in report["metadata"]["content_references"]]
    (widget,) = [m for m in messages(convs[DEEP_RESEARCH_WIDGET]) if "chatgpt_sdk" in m["metadata"]]
    assert widget["content"]["parts"] == [""], "the visible node is empty"
    state = json.loads(widget["metadata"]["chatgpt_sdk"]["widget_state"])  # a JSON string, as in 2026 exports
    assert state["status"] == "completed" and WIDGET_REPORT_WORD in state["report_message"]["content"]["parts"][0]
    assert state["report_message"]["metadata"]["content_references"][0]["items"][0]["url"].startswith("https://")


def test_two_projects_and_custom_gpts() -> None:
    convs = conversations(SAMPLE)
    by_gizmo: dict[str, set[str]] = {}
    for cid, conv in convs.items():
        if conv.get("gizmo_id"):
            by_gizmo.setdefault(conv["gizmo_id"], set()).add(cid)
            kind = "snorlax" if conv["gizmo_id"].startswith("g-p-") else "gpt"
            assert conv["gizmo_type"] == kind
            assert conv["conversation_template_id"] == (conv["gizmo_id"] if kind == "snorlax" else None)
    projects = {g for g in by_gizmo if g.startswith("g-p-")}
    assert projects == {PROJECT, CRAFT_PROJECT} and all(re.fullmatch(r"g-p-[0-9a-f]{32}", p) for p in projects)
    assert len(by_gizmo[PROJECT]) == 3 and len(by_gizmo[CRAFT_PROJECT]) == 2
    assert sorted(g for g in by_gizmo if g not in projects) == ["g-Kx7pQ2mZr", "g-Sq3nS31aQ"]
