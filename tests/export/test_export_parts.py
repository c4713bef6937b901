"""An export split into parts (``…-part-0001.zip`` …) and the Privacy Portal's ZIP of ZIPs import as one export:
the same conversations, files and search results as the sample exports imported whole.

The parts and wrappers are real ZIPs built in ``tmp_path`` from the bundled samples' own entries."""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path

import pytest

from chatgpt_history_mcp.errors import ExportError
from chatgpt_history_mcp.export.reader import Export, is_export_zip
from chatgpt_history_mcp.ingest.exports import already_imported, import_all, import_export
from chatgpt_history_mcp.ingest.watch import SETTLE, FolderWatch
from chatgpt_history_mcp.store.history import HistoryStore
from sample import (
    ALL_SAMPLE,
    ALL_SAMPLE_2026,
    CANVAS_WORD,
    CSV_WORD,
    FILE_NAME_WORD,
    FILES,
    FILES_2026,
    PDF_WORD,
    SAMPLE,
    SAMPLE_2026,
    WIDGET_REPORT_WORD,
)
from store_state import observe

STEM = "a3f9c2e1-2026-05-02-09-14-33"
#: Words that find conversations of the samples (2025, then 2026) by their text, a file's text, a file's name.
WORDS = (
    *("sourdough", PDF_WORD, CSV_WORD, FILE_NAME_WORD, CANVAS_WORD, WIDGET_REPORT_WORD, "kayak"),
    *("ORCHESTRAPDFWORD", "CODECANVASWORD", "Screenshot", "rehearsal", "deductible"),
)
MAPS = ("conversation_asset_file_names.json", "library_files.json")


def is_conversations(name: str) -> bool:
    return name.startswith("conversations") and name.endswith(".json")


def is_file(name: str) -> bool:
    return (not name.endswith(".json") and not name.endswith(".html")) or name in MAPS


def split(sample: Path, folder: Path, stem: str = STEM) -> list[Path]:
    """The sample as three parts: the manifest and the export's own JSON in part 1, the conversation files in
    part 2, the files (and their name maps) in part 3."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(sample) as whole:
        entries = {info.filename: whole.read(info) for info in whole.infolist()}
    groups = [
        {n: d for n, d in entries.items() if not is_conversations(n) and not is_file(n)},
        {n: d for n, d in entries.items() if is_conversations(n)},
        {n: d for n, d in entries.items() if is_file(n)},
    ]
    paths = []
    for number, group in enumerate(groups, 1):
        assert group, f"part {number} of {sample.name} would be empty"
        path = folder / f"{stem}-part-{number:04d}.zip"
        write_zip(path, group)
        paths.append(path)
    return paths


def write_zip(path: Path, entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)


def seen(store: HistoryStore) -> tuple[object, ...]:
    """What a person sees of an import: the conversations, the files kept, what searches find."""
    listed = store.list_conversations(limit=100)
    return (
        sorted(c.conversation_id for c in listed.items),
        store.archive.files(),
        {w: [r.conversation_id for r in store.search(w, limit=20).results] for w in WORDS},
    )


@pytest.fixture(scope="module")
def whole_imports(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, tuple[object, ...]]:
    found = {}
    for sample in (SAMPLE, SAMPLE_2026):
        store = HistoryStore(tmp_path_factory.mktemp("whole") / "data")
        import_export(store, sample)
        found[sample] = seen(store)
        store.close()
    return found


# -- parts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given", [0, 1, 2], ids=["part 1 given", "part 2 given", "part 3 given"])
@pytest.mark.parametrize(
    ("sample", "count", "files"), [(SAMPLE, ALL_SAMPLE, FILES), (SAMPLE_2026, ALL_SAMPLE_2026, FILES_2026)]
)
def test_an_export_in_parts_imports_as_the_whole_export_does(
    tmp_path: Path,
    whole_imports: dict[Path, tuple[object, ...]],
    sample: Path,
    count: int,
    files: dict[str, object],
    given: int,
) -> None:
    paths = split(sample, tmp_path / "Downloads")
    store = HistoryStore(tmp_path / "data")
    report = import_export(store, paths[given])
    assert report.conversations == count and report.files_added == len(files)
    assert seen(store) == whole_imports[sample]  # the files with the names part 3's maps give them
    # Any part names the same export: given another, nothing is imported again.
    assert import_export(store, paths[(given + 1) % 3]).outcome == "unchanged"


def test_conversation_files_in_different_parts_are_read_in_their_order(tmp_path: Path) -> None:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    with zipfile.ZipFile(SAMPLE) as whole:
        entries = {i.filename: whole.read(i) for i in whole.infolist()}
    write_zip(folder / f"{STEM}-part-0001.zip", {"conversations-001.json": entries.pop("conversations-001.json")})
    write_zip(folder / f"{STEM}-part-0002.zip", entries)
    with Export(folder / f"{STEM}-part-0002.zip") as export, Export(SAMPLE) as plain:
        assert [e.name for e in export.entries] == ["conversations-000.json", "conversations-001.json"]
        assert [c.get("id") for c in export.conversations()] == [c.get("id") for c in plain.conversations()]


def test_name_maps_in_several_parts_are_merged(tmp_path: Path) -> None:
    """Each part may carry the map of its own files: every part's names count, not only the first's."""
    paths = split(SAMPLE_2026, tmp_path / "Downloads")
    with zipfile.ZipFile(paths[2]) as z:
        third = {i.filename: z.read(i) for i in z.infolist()}
    names = json.loads(third[MAPS[0]])
    screenshot = "file_00000000e4b7a9d2c6f1408b95a3d7e1"
    here = {k: v for k, v in names.items() if k == f"{screenshot}.dat"}
    with zipfile.ZipFile(paths[0], "a") as z:
        z.writestr(MAPS[0], json.dumps({k: v for k, v in names.items() if k not in here}))
    write_zip(paths[2], {**third, MAPS[0]: json.dumps(here).encode()})
    with Export(paths[1]) as export:
        found = export.files().find(screenshot)
        assert found is not None and found.name == FILES_2026[screenshot].name
        schedule = export.files().find("file-Vw5Yh2Jq8Nc3Tz6Lr9Bd1M")
        assert schedule is not None and schedule.name == "rehearsal-schedule"


@pytest.mark.parametrize("sample", [SAMPLE, SAMPLE_2026])
def test_a_gap_in_the_parts_is_refused_naming_the_part_and_nothing_is_imported(tmp_path: Path, sample: Path) -> None:
    store = HistoryStore(tmp_path / "data")
    import_export(store, SAMPLE if sample == SAMPLE_2026 else SAMPLE_2026)  # something already there
    before = observe(store)
    paths = split(sample, tmp_path / "Downloads")
    paths[1].unlink()
    for given in (paths[0], paths[2]):
        with pytest.raises(ExportError) as caught:
            import_export(store, given)
        message = str(caught.value)
        assert f"{STEM}-part-0002.zip is missing" in message and "download it" in message
        assert "nothing was imported" in message
    assert observe(store) == before


def test_part_one_missing_is_named_too(tmp_path: Path) -> None:
    paths = split(SAMPLE, tmp_path / "Downloads")
    paths[0].unlink()
    with pytest.raises(ExportError, match=f"{STEM}-part-0001.zip is missing"):
        Export(paths[2])


def test_a_last_part_the_manifest_lists_is_missing_and_named(tmp_path: Path) -> None:
    """The 2026 manifest lists every part's files: without part 3, its .dat files are in no part."""
    store = HistoryStore(tmp_path / "data")
    paths = split(SAMPLE_2026, tmp_path / "Downloads")
    paths[2].unlink()
    before = observe(store, search=False)
    with pytest.raises(ExportError) as caught:
        import_export(store, paths[1])
    message = str(caught.value)
    assert "export_manifest.json lists" in message and "no part here holds" in message
    assert f"next would be {STEM}-part-0003.zip" in message and "download the missing parts" in message
    assert ".dat" in message and "nothing was imported" in message
    assert observe(store, search=False) == before and store.archive.sources() == []


def test_the_other_manifest_shape_with_shards_is_understood(tmp_path: Path) -> None:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    with zipfile.ZipFile(SAMPLE_2026) as whole:
        entries = {i.filename: whole.read(i) for i in whole.infolist() if i.filename != "export_manifest.json"}
    manifest = {
        "version": 1,
        "files": [
            {
                "name": "conversations.json",
                "shards": [{"name": "conversations-000.json"}, {"name": "conversations-001.json"}],
            },
            *({"name": n} for n in entries if not is_conversations(n)),
        ],
    }
    first = {n: d for n, d in entries.items() if not is_conversations(n)}
    write_zip(folder / "x-part-1.zip", {"export_manifest.json": json.dumps(manifest).encode(), **first})
    with pytest.raises(
        ExportError, match=r"lists 2 files .*conversations-000\.json, conversations-001\.json.*x-part-2\.zip"
    ):
        Export(folder / "x-part-1.zip")
    write_zip(folder / "x-part-2.zip", {n: d for n, d in entries.items() if is_conversations(n)})
    with Export(folder / "x-part-1.zip") as export:
        assert len(list(export.conversations())) == ALL_SAMPLE_2026


def test_without_a_manifest_the_parts_found_are_the_export(tmp_path: Path) -> None:
    """The manifest is never required: the 2025 layout has none, and its parts import as they are."""
    paths = split(SAMPLE, tmp_path / "Downloads")
    paths[2].unlink()  # the files' part, the last: nothing says it existed
    store = HistoryStore(tmp_path / "data")
    report = import_export(store, paths[0])
    assert report.conversations == ALL_SAMPLE and store.archive.files() == {}


def test_a_truncated_part_is_refused_naming_it(tmp_path: Path) -> None:
    paths = split(SAMPLE_2026, tmp_path / "Downloads")
    data = paths[2].read_bytes()
    paths[2].write_bytes(data[: len(data) // 2])
    store = HistoryStore(tmp_path / "data")
    with pytest.raises(ExportError) as caught:
        import_export(store, paths[0])
    assert str(paths[2]) in str(caught.value) and "download this part" in str(caught.value)
    assert store.archive.sources() == []


@pytest.mark.parametrize("name", ["../escape.dat", "/etc/passwd"])
def test_each_part_is_checked_as_a_single_zip_is(tmp_path: Path, name: str) -> None:
    paths = split(SAMPLE_2026, tmp_path / "Downloads")
    with zipfile.ZipFile(paths[2], "a") as z:
        z.writestr(name, b"x")
    with pytest.raises(ExportError, match=rf"{paths[2].name}: unsafe path"):
        Export(paths[0])


def test_the_fingerprint_covers_every_part(tmp_path: Path) -> None:
    """A part that brings only files still changes the export: a set imported without it is not the set."""
    paths = split(SAMPLE_2026, tmp_path / "Downloads")
    with Export(paths[0]) as export:
        first = export.fingerprint()
    with zipfile.ZipFile(paths[2]) as z:
        entries = {i.filename: z.read(i) for i in z.infolist()}
    dat = next(n for n in entries if n.endswith(".dat"))
    write_zip(paths[2], {**entries, dat: entries[dat] + b"\0"})
    with Export(paths[0]) as export:
        assert export.fingerprint() != first


# -- the watcher -------------------------------------------------------------------------------------


def watch_once(watch: FolderWatch, store: HistoryStore) -> list[Path]:
    found = watch.new_exports(lambda export: already_imported(store, export))
    import_all(store, found)
    return found


def test_a_watched_folder_imports_a_split_export_once_when_every_part_is_whole(tmp_path: Path) -> None:
    downloads = tmp_path / "Downloads"
    made = split(SAMPLE_2026, tmp_path / "made")
    downloads.mkdir()
    later = [time.time() + SETTLE + 1]
    watch = FolderWatch([downloads], clock=lambda: later[0])
    store = HistoryStore(tmp_path / "data")

    (downloads / made[0].name).write_bytes(made[0].read_bytes())
    (downloads / made[1].name).write_bytes(made[1].read_bytes())
    third = made[2].read_bytes()
    arriving = downloads / f"{made[2].name}.crdownload"  # the browser still at it
    arriving.write_bytes(third[: len(third) // 2])
    assert watch_once(watch, store) == [] and store.archive.sources() == []

    arriving.rename(downloads / made[2].name)  # finished, but a copy still writing the rest
    assert not is_export_zip(downloads / made[0].name)
    assert watch_once(watch, store) == [] and store.archive.sources() == []

    with (downloads / made[2].name).open("ab") as f:
        f.write(third[len(third) // 2 :])
    later[0] = time.time() + SETTLE + 1
    assert watch_once(watch, store) == [downloads / made[0].name]
    sources = store.archive.sources()
    assert len(sources) == 1 and sources[0].outcome == "imported"
    assert len(store.archive.files()) == len(FILES_2026)

    later[0] += 60
    assert watch_once(watch, store) == []
    os.utime(downloads / made[1].name)  # touched: judged again, and found imported
    later[0] = time.time() + SETTLE + 1
    assert watch_once(watch, store) == [] and len(store.archive.sources()) == 1


def test_a_watched_folder_waits_while_any_part_is_still_growing(tmp_path: Path) -> None:
    downloads = tmp_path / "Downloads"
    split(SAMPLE, downloads)
    now = [time.time() + SETTLE + 1]
    watch = FolderWatch([downloads], clock=lambda: now[0])
    os.utime(downloads / f"{STEM}-part-0003.zip", (now[0], now[0]))  # written this instant
    store = HistoryStore(tmp_path / "data")
    assert watch_once(watch, store) == []
    now[0] += SETTLE + 1
    assert watch_once(watch, store) == [downloads / f"{STEM}-part-0001.zip"]
    assert len(store.archive.sources()) == 1 and len(store.archive.files()) == len(FILES)


# -- the Privacy Portal's ZIP of ZIPs ----------------------------------------------------------------


def wrap(sample: Path, outer: Path, compression: int) -> None:
    """The sample as the Privacy Portal delivers it: conversations and files in two inner ZIPs."""
    with zipfile.ZipFile(sample) as whole:
        entries = {i.filename: whole.read(i) for i in whole.infolist()}
    inner: dict[str, bytes] = {}
    for name, keep in (("Conversations_20260502-chatgpt-0001.zip", False), ("Files_20260502-files-0001.zip", True)):
        path = outer.parent / name
        write_zip(path, {n: d for n, d in entries.items() if is_file(n) == keep})
        inner[f"User Online Activity/{name}"] = path.read_bytes()
        path.unlink()
    write_zip(outer, {"README.txt": b"Your data from OpenAI", **inner}, compression)


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
@pytest.mark.parametrize("sample", [SAMPLE, SAMPLE_2026])
def test_the_privacy_portal_zip_of_zips_imports_as_the_whole_export_does(
    tmp_path: Path, whole_imports: dict[Path, tuple[object, ...]], sample: Path, compression: int
) -> None:
    outer = tmp_path / "OpenAI-privacy-request.zip"
    wrap(sample, outer, compression)
    assert is_export_zip(outer)  # a watched folder takes it for an export
    store = HistoryStore(tmp_path / "data")
    import_export(store, outer)
    assert seen(store) == whole_imports[sample]
    assert import_export(store, outer).outcome == "unchanged"


def test_entries_inside_an_inner_zip_are_checked(tmp_path: Path) -> None:
    outer = tmp_path / "portal.zip"
    wrap(SAMPLE, outer, zipfile.ZIP_STORED)
    with zipfile.ZipFile(outer) as z:
        entries = {i.filename: z.read(i) for i in z.infolist()}
    files = "User Online Activity/Files_20260502-files-0001.zip"
    inner = tmp_path / "inner.zip"
    inner.write_bytes(entries[files])
    with zipfile.ZipFile(inner, "a") as z:
        z.writestr("../../outside.txt", b"x")
    write_zip(outer, {**entries, files: inner.read_bytes()})
    with pytest.raises(ExportError, match=r"portal\.zip: User Online Activity/Files_.*unsafe path '\.\./\.\./outside"):
        Export(outer)


def test_a_damaged_inner_zip_is_a_clear_error(tmp_path: Path) -> None:
    outer = tmp_path / "portal.zip"
    wrap(SAMPLE, outer, zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(outer) as z:
        entries = {i.filename: z.read(i) for i in z.infolist()}
    conversations = "User Online Activity/Conversations_20260502-chatgpt-0001.zip"
    write_zip(outer, {**entries, conversations: entries[conversations][:-200]})
    with pytest.raises(ExportError, match=r"Conversations_20260502-chatgpt-0001\.zip: this inner ZIP is damaged"):
        Export(outer)


def test_zips_of_other_zips_are_not_taken_for_exports(tmp_path: Path) -> None:
    photos = tmp_path / "photos.zip"
    write_zip(tmp_path / "album.zip", {"IMG_1.jpg": b"\xff\xd8"})
    write_zip(photos, {"album.zip": (tmp_path / "album.zip").read_bytes()})
    assert not is_export_zip(photos)
    with pytest.raises(ExportError, match=r"no conversations\.json inside, nor in the ZIPs inside it"):
        Export(photos)
