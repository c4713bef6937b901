"""The files of an export come into the store with its conversations: found by the ids messages name, typed by
their bytes, kept once by content, atomically with the import, within the files bound."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chatgpt_history_mcp.errors import ExportError
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store.history import HistoryStore
from sample import (
    FILES,
    FILES_2026,
    MISSING_FILES,
    MISSING_FILES_2026,
    PDF_WORD,
    SAMPLE,
    SAMPLE_2026,
    SampleFile,
)


def entry_bytes(zip_path: Path, entry: str) -> bytes:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.read(entry)


def files_on_disk(store: HistoryStore) -> dict[str, bytes]:
    root = store.data_dir / "files"
    return {p.name: p.read_bytes() for p in root.glob("??/*")} if root.is_dir() else {}


def attachments(store: HistoryStore, conversation_id: str) -> dict[str, object]:
    page = store.get_conversation(conversation_id, limit=200, include_hidden=True)
    return {a.file_id: a for m in page.messages for a in m.attachments}


@pytest.mark.parametrize(
    ("export", "files", "missing"), [(SAMPLE, FILES, MISSING_FILES), (SAMPLE_2026, FILES_2026, MISSING_FILES_2026)]
)
def test_every_file_of_the_export_is_kept_with_the_type_its_bytes_say(
    tmp_path: Path, export: Path, files: dict[str, SampleFile], missing: tuple[str, ...]
) -> None:
    store = HistoryStore(tmp_path / "data")
    report = import_export(store, export)
    assert report.files_added == len(files)
    for sample in files.values():
        stored = store.archive.file(sample.file_id)
        assert stored is not None, sample.file_id
        assert stored.mime_type == sample.mime_type  # the .dat files have no type; monstera "jpg" is a PNG
        assert stored.conversation_id == sample.conversation_id
        data = entry_bytes(export, sample.entry)
        assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
        assert store.blobs.path(stored.sha256).read_bytes() == data
        shown = attachments(store, sample.conversation_id)[sample.file_id]  # type: ignore[arg-type]
        assert shown.available and shown.uri == f"chatgpt://files/{sample.file_id}"  # type: ignore[attr-defined]
        assert shown.mime_type == sample.mime_type  # type: ignore[attr-defined]
    for file_id in missing:
        assert store.archive.file(file_id) is None
        listed = [a for conv in store.archive.iter_ids(store.archive.change_keys()) for a in conv.attachments()]
        assert [a.file_id for a in listed].count(file_id) == 1  # still named by its message
    for conv_id in {s.conversation_id for s in files.values()}:
        for attachment in attachments(store, conv_id).values():  # type: ignore[arg-type]
            assert attachment.available == (attachment.file_id in files)  # type: ignore[attr-defined]


def test_an_id_followed_by_more_letters_is_another_file(tmp_path: Path) -> None:
    """The kayak PDF's id starts with the reading log's id: each id gets its own file, never the other's."""
    store = HistoryStore(tmp_path / "data")
    import_export(store, SAMPLE)
    csv, pdf = store.archive.file("file-Rk8vN2mQp4LxT7bWc9Ye3A"), store.archive.file("file-Rk8vN2mQp4LxT7bWc9Ye3Ax")
    assert csv is not None and pdf is not None
    assert (csv.mime_type, pdf.mime_type) == ("text/csv", "application/pdf")


def test_a_newer_export_copies_no_file_the_store_has(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data")
    import_export(store, SAMPLE)
    before = {p: p.stat().st_mtime_ns for p in (store.data_dir / "files").glob("??/*")}
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(newer, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "conversations-001.json":  # a new edit to every conversation of this file
                data = data.replace(b'"update_time": 17', b'"update_time": 18')
            new.writestr(info.filename, data)
    report = import_export(store, newer)
    assert report.updated > 0
    assert report.files_bytes == 0  # every file was there: nothing copied
    assert {p: p.stat().st_mtime_ns for p in (store.data_dir / "files").glob("??/*")} == before
    assert all(attachments(store, s.conversation_id)[s.file_id].available for s in FILES.values())  # type: ignore[attr-defined]


def test_the_same_bytes_under_two_ids_are_kept_once(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data")
    import_export(store, SAMPLE)
    import_export(store, SAMPLE_2026)
    kept = files_on_disk(store)
    assert len(kept) == len(set(kept.values()))  # one file per content
    count, size = store.archive.file_counts()
    assert count == len(FILES) + len(FILES_2026)
    assert size == sum(len(v) for v in kept.values())


def test_a_failed_import_leaves_no_file_behind(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data")
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "conversations-001.json":
                data = data[:-300]  # truncated after most of its conversations (and their files) were read
            new.writestr(info.filename, data)
    with pytest.raises(ExportError, match="truncated"):
        import_export(store, broken)
    assert files_on_disk(store) == {}
    assert store.archive.file_counts() == (0, 0)
    # and the store takes the whole export afterwards
    assert import_export(store, SAMPLE).files_added == len(FILES)


def test_the_files_bound_keeps_what_fits_and_names_the_rest(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data", files_limit=8_000)
    report = import_export(store, SAMPLE)
    count, size = store.archive.file_counts()
    assert 0 < count < len(FILES) and size <= 8_000
    assert report.files_over_limit == len(FILES) - count
    assert "not kept" in report.counts()
    glaze = next(s for s in FILES.values() if s.name == "mug-IMG_4471.jpg")
    assert glaze.file_id in attachments(store, glaze.conversation_id)  # type: ignore[arg-type]


def test_a_bound_of_zero_keeps_no_file(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data", files_limit=0)
    report = import_export(store, SAMPLE)
    assert report.files_added == 0 and files_on_disk(store) == {}
    shown = attachments(store, next(iter(FILES.values())).conversation_id)  # type: ignore[arg-type]
    assert shown and not any(a.available for a in shown.values())  # type: ignore[attr-defined]


def test_an_unpacked_export_folder_brings_its_files(tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(SAMPLE_2026) as archive:
        archive.extractall(folder)
    store = HistoryStore(tmp_path / "data")
    assert import_export(store, folder).files_added == len(FILES_2026)
    for sample in FILES_2026.values():
        stored = store.archive.file(sample.file_id)
        assert stored is not None and stored.mime_type == sample.mime_type


#: A process killed while its write has placed a file but not committed (os._exit: nothing after it runs).
KILLED_WRITE = """
import io, os, sys
from pathlib import Path
from chatgpt_history_mcp.store.archive import StoredFile
from chatgpt_history_mcp.store.history import HistoryStore
store = HistoryStore(Path(sys.argv[1]))
with store.write_lock, store.write() as write:
    staged = store.blobs.stage(lambda: io.BytesIO(sys.argv[2].encode()), "file-orphan")
    stored = StoredFile("file-orphan", staged.sha256, staged.size, "text/plain", None, None, "export")
    write.keep_file(staged, stored, None)
    os._exit(9)
"""


def test_files_a_killed_import_placed_are_swept_by_the_next(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data")
    import_export(store, SAMPLE)
    left = "left by a killed import"
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(store.data_dir), left], capture_output=True)
    assert killed.returncode == 9, killed.stderr.decode()
    orphan = store.blobs.path(hashlib.sha256(left.encode()).hexdigest())
    assert orphan.exists()
    import_export(store, SAMPLE_2026)
    assert not orphan.exists()
    assert len(files_on_disk(store)) == store.archive.file_counts()[0]


def test_an_image_that_cannot_be_decoded_is_described_with_its_bytes_kept(tmp_path: Path) -> None:
    glaze = next(s for s in FILES.values() if s.name == "mug-IMG_4471.jpg")
    broken = tmp_path / "broken-photo.zip"
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info.filename, data[:300] if info.filename == glaze.entry else data)
    store = HistoryStore(tmp_path / "data")
    import_export(store, broken)
    read = store.read_file(glaze.file_id)
    assert read.image is None and read.content.mime_type == "image/jpeg"  # the bytes still say JPEG
    assert read.content.note and "mug-IMG_4471.jpg" in read.content.note
    assert store.file_bytes(glaze.file_id) == (entry_bytes(broken, glaze.entry), "image/jpeg")


def test_an_export_with_a_file_the_last_one_left_out_brings_it_to_its_unchanged_conversation(tmp_path: Path) -> None:
    pdf = next(s for s in FILES.values() if s.mime_type == "application/pdf")
    without = tmp_path / "without-the-pdf.zip"
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(without, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != pdf.entry:
                new.writestr(info.filename, old.read(info))
    store = HistoryStore(tmp_path / "data")
    import_export(store, without)
    assert not attachments(store, pdf.conversation_id)[pdf.file_id].available  # type: ignore[arg-type,attr-defined]
    assert store.search(PDF_WORD).results == []
    report = import_export(store, SAMPLE)  # the same conversations, byte for byte, and the PDF
    assert report.outcome == "imported" and report.updated == 0 and report.files_added == 1
    assert attachments(store, pdf.conversation_id)[pdf.file_id].available  # type: ignore[arg-type,attr-defined]
    assert [r.conversation_id for r in store.search(PDF_WORD).results] == [pdf.conversation_id]
    assert pdf.file_id not in {w.file_id for w in store.archive.wanted_files()}


def test_raising_the_files_bound_and_importing_again_brings_what_did_not_fit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    small = HistoryStore(data, files_limit=8_000)
    first = import_export(small, SAMPLE)
    assert first.files_over_limit > 0
    assert import_export(small, SAMPLE).outcome == "unchanged"  # the same bound: nothing more to do
    small.close()
    larger = HistoryStore(data)  # the default bound
    again = import_export(larger, SAMPLE)
    assert again.outcome == "imported" and again.updated == 0  # every conversation as it was
    assert again.files_added == first.files_over_limit
    assert larger.archive.file_counts()[0] == len(FILES)
    assert all(attachments(larger, s.conversation_id)[s.file_id].available for s in FILES.values())  # type: ignore[arg-type,attr-defined]


def test_a_damaged_name_map_costs_only_the_names_it_gives(tmp_path: Path) -> None:
    """The 2026 name map compressed with LZMA and damaged in the middle: the import keeps every file (their
    types come from their bytes), only the names that map would have given are missing."""
    broken = tmp_path / "damaged-map.zip"
    with zipfile.ZipFile(SAMPLE_2026) as old, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "conversation_asset_file_names.json":
                new.writestr(info.filename, data, compress_type=zipfile.ZIP_LZMA)
            else:
                new.writestr(info.filename, data)
    raw = bytearray(broken.read_bytes())
    with zipfile.ZipFile(broken) as archive:
        info = archive.getinfo("conversation_asset_file_names.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 20  # inside its compressed bytes
    raw[start : start + 40] = bytes(40)
    broken.write_bytes(bytes(raw))
    store = HistoryStore(tmp_path / "data")
    report = import_export(store, broken)
    assert report.files_added == len(FILES_2026)
    for sample in FILES_2026.values():
        stored = store.archive.file(sample.file_id)
        assert stored is not None and stored.mime_type == sample.mime_type
