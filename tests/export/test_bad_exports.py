"""Hardening (issue 6): a malformed export ends in a correct import or a clear error, and never harms the store.

Every case starts from a store holding a known good import (the bundled sample). A case that fails must raise
an :class:`ExportError` whose message names the file and says what is wrong, and leave the store exactly as it
was: every row of every table, every index file in use byte for byte (not one file added when it failed
before opening the index; a write cancelled later may leave unused segment files, which the next commit
removes: counted in the figures), the same search results, and no lock held. A case that imports must
import something sensible: readable, searchable, the current branch as the transcript.

- hand-written cases: damaged ZIPs, hostile ZIPs (zip-slip, symlinks, bombs, encryption), non-JSON and JSON of
  the wrong shape, cycles and dangling parents, duplicated ids, empty exports;
- systematic sweeps: a ZIP cut at many offsets, bytes flipped in its local header, compressed data and central
  directory, every field of a conversation, a node and a message replaced in turn by every wrong type, a 50 MB
  message;
- property-based fuzzing (hypothesis) of reader + normalizer + import over generated conversations.

What was run and how it ended is recorded in ``figures`` (printed at the end of the run).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import random
import shutil
import struct
import tempfile
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatgpt_history_mcp.errors import ExportError
from chatgpt_history_mcp.export import reader as export_module
from chatgpt_history_mcp.export.normalize import InvalidConversation, normalize_conversation
from chatgpt_history_mcp.export.reader import MAX_DEPTH, Export
from chatgpt_history_mcp.ingest.conversations import change_key, write_conversations
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.results import ImportReport
from chatgpt_history_mcp.store.history import HistoryStore
from conftest import BASE_TIME, build_conversation, node_id, write_export
from sample import ALL_SAMPLE, CHINESE, LISBON, PARSE_CONFIG, SAMPLE, SOURDOUGH
from store_state import Observed, logical_dump, observe

SAMPLE_HITS = {"sourdough": SOURDOUGH, "lisbon": LISBON, "parse_config": PARSE_CONFIG, "机器学习": CHINESE}
#: Every clear error says one of these (besides naming the file).
KNOWN_PROBLEMS = (
    "damaged",
    "truncated",
    "invalid",
    "not a ChatGPT export",
    "not a JSON array",
    "not a list of conversations",
    "not ChatGPT conversations",
    "a ChatGPT conversation",
    "no conversations.json",
    "unsafe path",
    "symbolic link",
    "zip bomb",
    "cannot be read",
    "could not be read",
    "nests more than",
    "no such file",
)
GOOD_WORDS = ("marmalade", "xylophone", "quasar")

_TALLY: Counter[str] = Counter()


def tally(figures: dict[str, Any], suite: str, outcome: str) -> None:
    """Count one case of ``suite`` that ended in ``outcome`` ("import" or "error") and update the figures."""
    _TALLY[f"{suite}/{outcome}"] += 1
    imported, errors = _TALLY[f"{suite}/import"], _TALLY[f"{suite}/error"]
    figures[f"exports: {suite}: cases"] = imported + errors
    figures[f"exports: {suite}: ended in import / clear error"] = f"{imported} / {errors}"


# -- observing a store -----------------------------------------------------------------------------------


def assert_intact(store: HistoryStore, before: Observed, *, index_touched: bool, figures: dict[str, Any]) -> None:
    """The archive (every row), the index in use (every byte) and the search results are as ``before``; no
    lock is left. If the import failed before it opened the index, not one index file was added either."""
    after = observe(store, search=before.searches is not None)
    assert after.dump == before.dump, "the archive changed after a failed import"
    assert after.index == before.index, "the index files in use changed after a failed import"
    assert after.searches == before.searches, "search results changed after a failed import"
    if index_touched:
        _TALLY["failed after opening the index"] += 1
        _TALLY["… leaving unused segment files"] += after.unused != before.unused
        figures["exports: failed imports that had opened the index / left unused segment files"] = (
            f"{_TALLY['failed after opening the index']} / {_TALLY['… leaving unused segment files']}"
        )
    else:
        assert after.unused == before.unused, "a failed import added index files"
    with store.write_lock:  # no lock is left behind: another writer takes it at once
        pass


def opens(path: Path) -> bool:
    """Whether ``path`` opens as an export (an import that fails later has opened the index already)."""
    try:
        Export(path).close()
    except ExportError:
        return False
    return True


def conversation_rows(data_dir: Path) -> dict[str, tuple[Any, ...]]:
    return {row[0]: row for row in logical_dump(data_dir)["conversations"]}


def assert_readable(store: HistoryStore, cid: str, word: str | None = None) -> None:
    """``cid`` is stored, reads as a page and as Markdown, and a search for ``word`` finds it."""
    conv = store.archive.get(cid)
    assert conv is not None, f"{cid!r} was not imported"
    page = store.get_conversation(cid, limit=500, include_hidden=True)
    assert page.total_messages == len(conv.transcript(include_hidden=True))
    markdown = store.transcript_markdown(cid)
    assert markdown.startswith("# ")
    for when in (conv.create_time, conv.update_time):
        assert when is None or 2000 <= when.year <= 2100, when
    if word is not None:
        assert cid in [r.conversation_id for r in store.search(word, limit=50).results], f"{word!r} does not find {cid}"


@dataclasses.dataclass
class Outcome:
    kind: str  # "import" or "error"
    report: ImportReport | None = None
    message: str = ""


def attempt(store: HistoryStore, path: Path) -> Outcome:
    """Import ``path``: any exception other than ExportError fails the test."""
    try:
        return Outcome("import", report=import_export(store, path))
    except ExportError as exc:
        return Outcome("error", message=str(exc))


def assert_clear(message: str, path: Path, *says: str) -> None:
    assert path.name in message, f"the error does not name the file: {message}"
    assert any(problem in message for problem in KNOWN_PROBLEMS), f"the error does not say what is wrong: {message}"
    for phrase in says:
        assert phrase in message, f"{phrase!r} not in: {message}"


# -- the stores ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the sample export, imported once; each case works on a copy."""
    data = tmp_path_factory.mktemp("hardening-template") / "data"
    store = HistoryStore(data)
    try:
        report = import_export(store, SAMPLE)
        assert report.added == ALL_SAMPLE
    finally:
        store.close()
    return data


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[HistoryStore]:
    data = tmp_path / "data"
    shutil.copytree(template, data)
    opened = HistoryStore(data)
    yield opened
    opened.close()


# -- building exports ------------------------------------------------------------------------------------


def good_conversation(word: str, **kwargs: Any) -> dict[str, Any]:
    return build_conversation(
        f"good-{word}",
        [f"Tell me about {word}, please.", f"Here is what I know about {word}."],
        title=f"About {word}",
        **kwargs,
    )


GOOD = [good_conversation(w) for w in GOOD_WORDS]


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def zip_of(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes | str]]) -> Path:
    with warnings.catch_warnings():  # duplicate names are on purpose
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, data in entries:
                z.writestr(name, data)
    return path


def export_of(body: bytes) -> Callable[[Path], Path]:
    """A case builder: an ordinary export ZIP whose ``conversations.json`` holds ``body``."""
    return lambda folder: write_export(folder / "export.zip", conversations_json=body)


def conversations_of(*conversations: Any) -> Callable[[Path], Path]:
    return export_of(dumps(list(conversations)))


def _central_records(data: bytes) -> Iterator[tuple[int, str]]:
    """(offset, name) of every central directory record."""
    _, _, _, _, count, _, offset, _ = struct.unpack("<IHHHHIIH", data[-22:])
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack("<HHH", data[offset + 28 : offset + 34])
        yield offset, data[offset + 46 : offset + 46 + name_len].decode("utf-8", "replace")
        offset += 46 + name_len + extra_len + comment_len


def patched(
    name: str,
    *,
    flags: int = 0,
    method: int | None = None,
    version: int | None = None,
    size: int | None = None,
    body: bytes | None = None,
    stored: bool = False,
) -> Callable[[Path], Path]:
    """A case builder: a good export (or one whose ``conversations.json`` holds ``body``, ``stored``
    uncompressed) whose entry ``name`` has its ZIP headers patched (both the local header and the central
    directory record): general-purpose flags or-ed in, compression method, version needed to extract,
    uncompressed size."""

    def make(folder: Path) -> Path:
        path = folder / "export.zip"
        if stored:
            with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
                z.writestr("conversations.json", body or GOOD_JSON)
        else:
            write_export(path, GOOD, conversations_json=body)
        data = bytearray(path.read_bytes())
        for central, entry in _central_records(bytes(data)):
            if entry != name:
                continue
            (local,) = struct.unpack("<I", data[central + 42 : central + 46])
            for header, at in ((central, (6, 8, 10, 24)), (local, (4, 6, 8, 22))):
                ver, flag, meth, usize = at
                data[header + flag : header + flag + 2] = struct.pack(
                    "<H", struct.unpack("<H", data[header + flag : header + flag + 2])[0] | flags
                )
                if method is not None:
                    data[header + meth : header + meth + 2] = struct.pack("<H", method)
                if version is not None:
                    data[header + ver : header + ver + 2] = struct.pack("<H", version)
                if size is not None:
                    data[header + usize : header + usize + 4] = struct.pack("<I", size)
        path.write_bytes(bytes(data))
        return path

    return make


def with_entry(name: str | zipfile.ZipInfo, data: bytes | str = b"[]") -> Callable[[Path], Path]:
    """A case builder: the good conversations plus one more entry."""
    return lambda folder: zip_of(folder / "export.zip", [("conversations.json", dumps(GOOD)), (name, data)])


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    return info


# -- checks of the cases that import -----------------------------------------------------------------------


Check = Callable[[HistoryStore, ImportReport], None]


def imports_good(store: HistoryStore, report: ImportReport) -> None:
    imports_good_and(0)(store, report)


def imports_good_and(invalid: int) -> Check:
    """The good conversations are imported, and ``invalid`` entries skipped."""

    def check(store: HistoryStore, report: ImportReport) -> None:
        assert (report.added, report.invalid) == (len(GOOD), invalid), report
        for word in GOOD_WORDS:
            assert_readable(store, f"good-{word}", word)

    return check


def imports_nothing(conversations: int = 0, invalid: int = 0) -> Check:
    def check(store: HistoryStore, report: ImportReport) -> None:
        assert (report.conversations, report.invalid, report.added, report.updated) == (conversations, invalid, 0, 0)
        assert store.status().conversations == ALL_SAMPLE

    return check


def imports_path(cid: str, path: list[str], *, messages: int | None = None, word: str | None = None) -> Check:
    """``cid`` is imported with ``path`` (node ids, root first) as its current branch."""

    def check(store: HistoryStore, report: ImportReport) -> None:
        assert report.added == 1, report
        assert_readable(store, cid, word)
        conv = store.archive.get(cid)
        assert conv is not None
        assert conv.current_path == path
        if messages is not None:
            assert len(conv.messages) == messages

    return check


def imports_as(cid: str, word: str, instead_of: str) -> Check:
    def check(store: HistoryStore, report: ImportReport) -> None:
        assert report.added == 1, report
        assert_readable(store, cid, word)
        assert store.archive.get(instead_of) is None

    return check


def imports_text(cid: str, present: str, absent: str, **counts: int) -> Check:
    """``cid`` is stored once, holding ``present`` and not ``absent`` (the copy that won); ``counts`` are
    expected report fields."""

    def check(store: HistoryStore, report: ImportReport) -> None:
        for name, value in counts.items():
            assert getattr(report, name) == value, report
        assert_readable(store, cid, present)
        assert cid not in [r.conversation_id for r in store.search(absent).results]
        assert store.index.doc_count() == store.status().conversations  # one document per conversation

    return check


# -- mapping shapes: cycles, dangling parents, odd current nodes -----------------------------------------


def node(parent: Any, text: str | None, role: str = "user", **extra: Any) -> dict[str, Any]:
    message = None
    if text is not None:
        message = {
            "id": "ignored",
            "author": {"role": role},
            "create_time": BASE_TIME + len(text),
            "content": {"content_type": "text", "parts": [text]},
            "recipient": "all",
        }
    return {"parent": parent, "children": [], "message": message, **extra}


def shaped(cid: str, mapping: dict[str, Any], current: Any = None, word: str = "trellis") -> dict[str, Any]:
    conv: dict[str, Any] = {"id": cid, "title": f"Shape {word}", "create_time": BASE_TIME, "mapping": mapping}
    if current is not None:
        conv["current_node"] = current
    return conv


def deep_chain(n: int) -> dict[str, Any]:
    mapping = {f"d{i}": node(f"d{i - 1}" if i else None, f"step {i} of the long chain") for i in range(n)}
    return shaped("shape-deep-chain", mapping, f"d{n - 1}", "longchain")


# -- the hand-written cases --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], Path]
    says: tuple[str, ...] | None = None  # an error is expected, saying these
    check: Check | None = None  # an import is expected, passing this check


def error(name: str, make: Callable[[Path], Path], *says: str) -> Case:
    return Case(name, make, says=says)


def imports(name: str, make: Callable[[Path], Path], check: Check) -> Case:
    return Case(name, make, check=check)


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _folder(files: dict[str, bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        root = folder / "unpacked-export"
        root.mkdir()
        for name, data in files.items():
            (root / name).write_bytes(data)
        return root

    return make


GOOD_JSON = dumps(GOOD)
_newer = good_conversation("marmalade", update_time=BASE_TIME + 9_999)
_newer["mapping"][node_id("good-marmalade", 1)]["message"]["content"]["parts"] = ["Newer answer about tangerine."]
_sample_older = copy.deepcopy(good_conversation("pumpernickel", update_time=BASE_TIME))
_sample_older["id"] = _sample_older["conversation_id"] = SOURDOUGH  # a stored conversation, but an older copy

CASES: list[Case] = [
    # -- not a ZIP, or a ZIP too damaged to open
    error("empty-file", _write("export.zip", b""), "not a ChatGPT export"),
    error("text-file-named-zip", _write("export.zip", b"just notes\n"), "not a ChatGPT export"),
    error("local-header-only", _write("export.zip", b"PK\x03\x04" + bytes(40)), "damaged or truncated"),
    error("missing-file", lambda folder: folder / "never-downloaded.zip", "no such file"),
    error("empty-folder", _folder({"notes.json": b"[]"}), "no conversations.json"),
    error("zip-with-no-entries", lambda folder: zip_of(folder / "export.zip", []), "no conversations.json"),
    error(
        "zip-without-conversations", lambda f: zip_of(f / "export.zip", [("user.json", "{}")]), "no conversations.json"
    ),
    error(
        "zip-with-only-the-index-object",
        lambda f: zip_of(f / "export.zip", [("conversations-index.json", dumps({"files": []}))]),
        "no conversations.json",
    ),
    error("zip-version-needed-too-new", patched("conversations.json", version=200), "damaged or truncated"),
    # -- a ZIP entry that cannot be read
    error("encrypted-entry", patched("conversations.json", flags=0x1), "cannot be read", "encrypted"),
    error("unknown-compression-method", patched("conversations.json", method=99), "cannot be read"),
    error("deflate-data-labelled-lzma", patched("conversations.json", method=14), "damaged or truncated"),
    error(
        "lzma-with-bad-options",
        patched("conversations.json", method=14, body=b"\x09\x14\x05\x00" + b"\xff" * 5 + GOOD_JSON, stored=True),
        "damaged or truncated",
        "Invalid or unsupported options",
    ),
    error("deflate-data-labelled-bzip2", patched("conversations.json", method=12), "conversations.json"),
    error("deflate-data-labelled-stored", patched("conversations.json", method=0), "conversations.json"),
    # the CRC still vouches for the data: what it holds is read, whatever size the headers claim
    imports("size-claims-more-than-the-data", patched("conversations.json", size=10**6), imports_good),
    error("size-claims-less-than-the-data", patched("conversations.json", size=100), "damaged or truncated"),
    # -- hostile entries, refused before anything is read
    *[
        error(f"zip-slip-{label}", with_entry(zipfile.ZipInfo(name)), "unsafe path")
        for label, name in [
            ("dotdot", "../evil.txt"),
            ("dotdot-conversations", "../conversations.json"),
            ("deep-dotdot", "../../../../etc/cron.d/evil"),
            ("nested-dotdot", "textdocs/../../evil.txt"),
            ("dotdot-alone", ".."),
            ("absolute", "/etc/passwd"),
            ("absolute-conversations", "/tmp/conversations.json"),
            ("backslash-dotdot", "..\\..\\evil.txt"),
            ("unc", "\\\\server\\share\\evil.txt"),
            ("drive-letter", "C:/Windows/System32/evil.dll"),
            ("drive-backslash", "C:\\Users\\evil.txt"),
            ("drive-relative", "c:evil.txt"),
        ]
    ],
    error("symlink-beside", with_entry(symlink("textdocs/link"), "/home/alex/.ssh/id_rsa"), "symbolic link"),
    error(
        "symlink-as-conversations",
        lambda f: zip_of(f / "export.zip", [(symlink("conversations.json"), "/etc/passwd")]),
        "symbolic link",
    ),
    error("bomb-beside", with_entry("dalle-generations/bomb.bin", bytes(20 * 1024**2)), "zip bomb"),
    error(
        "bomb-as-conversations",
        lambda f: zip_of(f / "export.zip", [("conversations.json", b"[" + b" " * (20 * 1024**2) + b"]")]),
        "zip bomb",
        "conversations.json",
    ),
    error(
        "bomb-lying-about-its-size",
        patched("conversations.json", size=1000, body=b"[" + b" " * (20 * 1024**2) + b"]"),
        "damaged or truncated",
    ),
    # -- not JSON, or JSON of the wrong shape
    error("json-text", export_of(b"hello, world"), "not a JSON array"),
    error("json-binary", export_of(bytes(range(256))), "not a JSON array"),
    error("json-html", export_of(b"<!DOCTYPE html><html><body>[]</body></html>"), "not a JSON array"),
    error("json-number", export_of(b"42"), "not a JSON array"),
    error("json-string", export_of(b'"conversations"'), "not a JSON array"),
    error("json-null", export_of(b"null"), "not a JSON array"),
    error("json-true", export_of(b"true"), "not a JSON array"),
    error("json-utf16", export_of(GOOD_JSON.decode().encode("utf-16")), "not a JSON array"),
    error("json-object-without-conversations", export_of(dumps({"items": GOOD})), "not a list", "items"),
    error("json-conversations-is-a-number", export_of(dumps({"conversations": 5})), "not a list of conversations"),
    error("json-conversations-is-an-object", export_of(dumps({"conversations": {"a": 1}})), "not a list"),
    error("json-cut-mid-array", export_of(GOOD_JSON[: len(GOOD_JSON) // 2]), "truncated"),
    error("json-cut-after-a-comma", export_of(GOOD_JSON[:-1] + b","), "truncated"),
    error("json-trailing-garbage", export_of(GOOD_JSON + b" and more"), "invalid"),
    error("json-two-arrays", export_of(GOOD_JSON + GOOD_JSON), "invalid"),
    error("json-nan-literal", export_of(b'[{"id": "x", "create_time": NaN, "mapping": {}}]'), "invalid"),
    error("json-float-overflow", export_of(b'[{"id": "x", "create_time": 1e999, "mapping": {}}]'), "invalid"),
    error("json-integer-overflow", export_of(b'[{"id": "x", "create_time": 1' + b"0" * 30 + b"}]"), "invalid"),
    error("json-invalid-utf8", export_of(b'[{"id": "x\xff\xfe", "mapping": {}}]'), "invalid"),
    error("json-lone-low-surrogate-escape", export_of(b'[{"id": "x", "title": "cut \\ude00"}]'), "invalid text"),
    imports(
        "json-lone-high-surrogate-escape",  # the parser reads it as "?"
        export_of(json.dumps([{**GOOD[0], "title": "cut \ud83d"}]).encode()),
        lambda s, r: assert_readable(s, "good-marmalade", "marmalade"),
    ),
    error("json-single-quotes", export_of(b"[{'id': 'x'}]"), "invalid"),
    error("json-deep-arrays", export_of(b"[" * 200_000 + b"]" * 200_000), "nests more than"),
    error(
        "json-deep-objects",
        export_of(b'[{"id": "x", "m": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001 + b"]"),
        "nests",
    ),
    error("json-deep-unclosed", export_of(b'[{"id": "x", "title": ' + b"[" * 100_000), "nests more than"),
    error("bare-json-deep", _write("conversations.json", b"[" * 100_000), "nests more than"),
    error("bare-json-not-json", _write("conversations.json", b"\x00\x01\x02"), "not a JSON array"),
    error("folder-with-broken-json", _folder({"conversations.json": GOOD_JSON[:100]}), "truncated"),
    error(
        "second-split-file-broken",
        lambda f: zip_of(f / "export.zip", [("conversations-000.json", GOOD_JSON), ("conversations-001.json", b"[{")]),
        "conversations-001.json",
        "truncated",
    ),
    # -- JSON arrays holding no conversation at all (issue 13: they imported "successfully", all skipped)
    error("json-array-of-numbers", export_of(b"[1, 2, 3]"), "a JSON array of 3 numbers, not ChatGPT conversations"),
    error(
        "json-array-of-junk",
        export_of(b'[1, "a", null, [], true, {}, {"mapping": {}}]'),
        "a JSON array of 7 values (2 objects, 1 number, 1 string, 1 null, 1 array, 1 boolean), none of them is a "
        "ChatGPT conversation (keys: mapping)",
    ),
    error("json-array-of-arrays", export_of(dumps([GOOD, GOOD])), "a JSON array of 2 arrays, not ChatGPT"),
    error(
        "json-ids-of-wrong-types",
        export_of(b'[{"id": 5}, {"id": ["a"]}, {"id": {}}, {"id": ""}]'),
        "a JSON array of 4 objects, none of them is a ChatGPT conversation (keys: id)",
    ),
    error(
        "shared-conversations-json",  # the export's list of shared links, named as if it were the export
        _write("conversations.json", dumps([{"id": "s1", "conversation_id": "c1", "title": "Shared"}])),
        "it is not a ChatGPT conversation (keys: id, conversation_id, title)",
    ),
    imports(
        "junk-between-conversations", conversations_of(GOOD[0], 5, "x", GOOD[1], None, GOOD[2]), imports_good_and(3)
    ),
    imports("utf8-bom", export_of(b"\xef\xbb\xbf" + GOOD_JSON), imports_good),
    imports("object-form", export_of(dumps({"version": 2, "conversations": GOOD})), imports_good),
    imports(
        "one-conversation-object",
        export_of(dumps(GOOD[0])),
        lambda s, r: assert_readable(s, "good-marmalade", "marmalade"),
    ),
    imports("bare-json-file", _write("conversations.json", GOOD_JSON), imports_good),
    imports(
        "folder",
        _folder({"conversations-000.json": dumps(GOOD[:1]), "conversations-001.json": dumps(GOOD[1:])}),
        imports_good,
    ),
    imports("flipped-bit-in-user-json-name", with_entry("usar.json", "{}"), imports_good),
    imports("nested-zip-ignored", with_entry("attachments/inner.zip", b"PK\x05\x06" + bytes(18)), imports_good),
    # -- empty exports
    imports("empty-array", export_of(b"[]"), imports_nothing()),
    imports("empty-conversations-json", export_of(b""), imports_nothing()),
    imports("whitespace-only", export_of(b" \r\n\t "), imports_nothing()),
    imports("empty-conversations-list", export_of(b'{"conversations": []}'), imports_nothing()),
    imports(
        "empty-split-files",
        lambda f: zip_of(f / "export.zip", [("conversations-000.json", "[]"), ("conversations-001.json", "")]),
        imports_nothing(),
    ),
    # -- duplicated ids
    imports(
        "duplicate-newer-second",
        conversations_of(GOOD[0], _newer),
        imports_text("good-marmalade", "tangerine", "Here is what", added=1, conversations=2),
    ),
    imports(
        "duplicate-newer-first",
        conversations_of(_newer, GOOD[0]),
        imports_text("good-marmalade", "tangerine", "Here is what", added=1, older=1),
    ),
    imports(
        "duplicate-across-split-files",
        lambda f: zip_of(
            f / "export.zip",
            [("conversations-000.json", dumps([GOOD[0]])), ("conversations-001.json", dumps([_newer]))],
        ),
        imports_text("good-marmalade", "tangerine", "Here is what", added=1),
    ),
    imports(
        "duplicate-zip-entry-names",
        lambda f: zip_of(
            f / "export.zip", [("conversations.json", dumps([GOOD[0]])), ("conversations.json", dumps([_newer]))]
        ),
        imports_text("good-marmalade", "tangerine", "Here is what", added=1),
    ),
    imports(
        "older-copy-of-a-stored-conversation",
        conversations_of(_sample_older),
        imports_text(SOURDOUGH, "sourdough", "pumpernickel", older=1),
    ),
    imports(
        "same-key-twice-in-the-raw-text",
        export_of(b'[{"id": "good-first", "id": "good-second", "title": "Twice named", "mapping": {}}]'),
        imports_as("good-second", "twice", instead_of="good-first"),
    ),
    imports(
        "id-of-wrong-type-beside-a-stored-conversation-id",
        conversations_of({**_sample_older, "id": 7, "update_time": BASE_TIME + 10**9}),
        imports_text(SOURDOUGH, "pumpernickel", "sourdough", updated=1, added=0),
    ),
    # -- mapping shapes
    imports(
        "mapping-self-parent",
        conversations_of(shaped("shape-self", {"a": node("a", "self loop")}, "a")),
        imports_path("shape-self", ["a"], word="trellis"),
    ),
    imports(
        "mapping-two-cycle",
        conversations_of(shaped("shape-two", {"a": node("b", "alpha turn"), "b": node("a", "beta turn")}, "a")),
        imports_path("shape-two", ["b", "a"], messages=2, word="beta"),
    ),
    imports(
        "mapping-three-cycle",
        conversations_of(
            shaped("shape-three", {"a": node("c", "one"), "b": node("a", "two"), "c": node("b", "three")}, "c")
        ),
        imports_path("shape-three", ["a", "b", "c"], messages=3),
    ),
    imports(
        "mapping-cycle-without-leaf-or-current",
        conversations_of(shaped("shape-ring", {"a": node("b", "ring one"), "b": node("a", "ring two")})),
        imports_path("shape-ring", [], messages=2, word="trellis"),
    ),
    imports(
        "mapping-cycle-above-a-branch",
        conversations_of(
            shaped("shape-lasso", {"a": node("b", "loop a"), "b": node("a", "loop b"), "t": node("b", "tail end")}, "t")
        ),
        imports_path("shape-lasso", ["a", "b", "t"], messages=3, word="tail"),
    ),
    imports(
        "mapping-dangling-parent",
        conversations_of(
            shaped(
                "shape-dangling",
                {"u": node("ghost", "orphan question"), "a": node("u", "orphan answer", "assistant")},
                "a",
            )
        ),
        imports_path("shape-dangling", ["u", "a"], word="orphan"),
    ),
    imports(
        "mapping-current-node-missing",
        conversations_of(
            shaped(
                "shape-lost",
                {"r": node(None, None), "u": node("r", "early"), "a": node("u", "latest leaf text")},
                "nowhere",
            )
        ),
        imports_path("shape-lost", ["u", "a"], word="latest"),
    ),
    imports(
        "mapping-current-node-is-the-root",
        conversations_of(shaped("shape-root", {"r": node(None, None), "u": node("r", "unseen question")}, "r")),
        imports_path("shape-root", [], messages=1, word="trellis"),
    ),
    imports(
        "mapping-children-lie",
        conversations_of(
            shaped(
                "shape-kids",
                {"r": node(None, None, children=["x", "y", 5]), "u": node("r", "kids ok", children="z")},
                "u",
            )
        ),
        imports_path("shape-kids", ["u"], word="kids"),
    ),
    imports(
        "mapping-keys-differ-from-node-ids",
        conversations_of(
            shaped(
                "shape-keys", {"k1": node(None, "keyed one", id="other"), "k2": node("k1", "keyed two", id=None)}, "k2"
            )
        ),
        imports_path("shape-keys", ["k1", "k2"], word="keyed"),
    ),
    imports(
        "mapping-nodes-of-wrong-types",
        conversations_of(
            shaped(
                "shape-junk",
                {"a": node(None, "real one"), "b": 5, "c": None, "d": ["x"], "e": node("b", "child of junk")},
                "e",
            )
        ),
        imports_path("shape-junk", ["e"], messages=2, word="junk"),
    ),
    imports(
        "mapping-message-of-wrong-type",
        conversations_of(
            shaped(
                "shape-msg",
                {"a": node(None, "kept text"), "b": {**node("a", None), "message": ["not", "a", "message"]}},
                "b",
            )
        ),
        imports_path("shape-msg", ["a"], word="kept"),
    ),
    imports(
        "mapping-5000-deep",
        conversations_of(deep_chain(5000)),
        imports_path("shape-deep-chain", [f"d{i}" for i in range(5000)], word="longchain"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_export(case: Case, store: HistoryStore, tmp_path: Path, figures: dict[str, Any]) -> None:
    before = observe(store)
    sample_rows = conversation_rows(store.data_dir)
    folder = tmp_path / "bad"
    folder.mkdir()
    path = case.make(folder)
    outcome = attempt(store, path)
    tally(figures, "hand-written malformed", outcome.kind)
    if case.says is not None:
        assert outcome.kind == "error", f"expected a clear error, got {outcome.report}"
        assert_clear(outcome.message, path, *case.says)
        assert_intact(store, before, index_touched=opens(path), figures=figures)
        return
    assert outcome.kind == "import", f"expected an import, got: {outcome.message}"
    assert outcome.report is not None and case.check is not None
    case.check(store, outcome.report)
    # What was there before is still there (unless this export brought a newer copy of it)...
    rows = conversation_rows(store.data_dir)
    changed = {cid for cid, row in sample_rows.items() if rows.get(cid) != row}
    assert changed <= {SOURDOUGH} and (not changed or outcome.report.updated), changed
    for query, cid in SAMPLE_HITS.items():
        assert cid in changed or cid in [r.conversation_id for r in store.search(query).results]
    # ...and the same export again is recognized and changes nothing.
    settled = observe(store)
    again = attempt(store, path)
    assert again.report is not None and again.report.outcome == "unchanged", again
    assert observe(store) == settled


# -- sweeps over a good ZIP: cut at many offsets, flipped bytes ---------------------------------------------


def _entries(data: bytes) -> dict[str, tuple[int, int, int]]:
    """name -> (local header offset, compressed data start, compressed data end) of every entry."""
    found = {}
    for central, name in _central_records(data):
        (compressed,) = struct.unpack("<I", data[central + 20 : central + 24])
        (local,) = struct.unpack("<I", data[central + 42 : central + 46])
        name_len, extra_len = struct.unpack("<HH", data[local + 26 : local + 30])
        start = local + 30 + name_len + extra_len
        found[name] = (local, start, start + compressed)
    return found


def _sweep_variants(good: bytes, seed: int) -> Iterator[tuple[str, str, bytes]]:
    """(kind, label, damaged bytes) of every variant of the ``good`` ZIP. Those that must fail come first: once
    a harmless variant is imported, a later one with the same central directory is recognized as already
    imported by its fingerprint and never read."""
    rng = random.Random(seed)
    size = len(good)
    (cd_offset,) = struct.unpack("<I", good[-6:-2])
    cuts = sorted({0, 1, 2, 3, 4, 10, 29, 30, 31, cd_offset - 1, cd_offset, cd_offset + 1, *range(size - 23, size)})
    cuts += sorted(rng.sample(range(5, size), 25))
    for cut in cuts:
        yield "cut", f"cut-{cut}", good[:cut]
    entries = _entries(good)
    local, start, end = entries.pop("conversations.json")
    for pos in sorted(rng.sample(range(start, end), min(40, end - start))):  # the compressed data of the entry read
        flipped = bytearray(good)
        flipped[pos] ^= rng.choice((0xFF, 0x01, 0x80, 0x20))
        yield "compressed data", f"data-{pos}", bytes(flipped)
    for pos in range(local, start):  # the local header of that entry: every byte
        flipped = bytearray(good)
        flipped[pos] ^= 0xFF
        yield "local header", f"local-{pos}", bytes(flipped)
    for pos in range(cd_offset, size):  # the central directory and its end record: every byte
        for mask in (0xFF, 0x01) if pos % 2 == 0 else (0xFF,):
            flipped = bytearray(good)
            flipped[pos] ^= mask
            yield "central directory", f"cd-{pos}-{mask:02x}", bytes(flipped)
    for _, start, end in entries.values():  # entries never read: damage there is harmless
        for pos in sorted(rng.sample(range(start, end), min(4, end - start))):
            flipped = bytearray(good)
            flipped[pos] ^= 0xFF
            yield "compressed data of an entry never read", f"unread-{pos}", bytes(flipped)


def test_damaged_zips_sweep(store: HistoryStore, tmp_path: Path, figures: dict[str, Any]) -> None:
    """A good export cut at many offsets and with single bytes flipped in its local header, its compressed
    data and its central directory: each import ends in a clear error (store intact) or, when the damage is
    harmless (a date, an attribute, an entry that is never read), in an import of exactly the original
    conversations. Each variant is also read on its own (an import recognizes a ZIP whose directory matches
    one already imported without reading it): the original conversations or a clear error."""
    good = write_export(tmp_path / "good.zip", GOOD).read_bytes()
    reference = {c["id"]: normalize_conversation(c) for c in GOOD}
    baseline = observe(store)
    sample_rows = conversation_rows(store.data_dir)
    outcomes: Counter[str] = Counter()
    for n, (kind, label, data) in enumerate(_sweep_variants(good, seed=6)):
        path = tmp_path / f"{label}.zip"
        path.write_bytes(data)
        try:
            with Export(path) as export:
                assert list(export.conversations()) == GOOD, label
            outcomes[f"{kind}: read/same conversations"] += 1
        except ExportError as exc:
            assert_clear(str(exc), path)
            outcomes[f"{kind}: read/clear error"] += 1
        outcome = attempt(store, path)
        again = outcome.report is not None and outcome.report.outcome == "unchanged"
        outcomes[f"{kind}: import/{'already imported' if again else outcome.kind}"] += 1
        tally(figures, "ZIP cut / flipped-byte sweep", outcome.kind)
        if outcome.kind == "error":
            assert_clear(outcome.message, path)
            # searches are compared after every 25th variant (and at the end), the rest every time
            expected = baseline if n % 25 == 0 else dataclasses.replace(baseline, searches=None)
            assert_intact(store, expected, index_touched=opens(path), figures=figures)
        else:
            for cid, conv in reference.items():
                stored = store.archive.get(cid)
                assert stored is not None, label
                assert stored.model_dump(exclude={"source"}) == conv.model_dump(exclude={"source"}), label
            baseline = observe(store)
        path.unlink()
    rows = conversation_rows(store.data_dir)
    assert all(rows[cid] == row for cid, row in sample_rows.items())
    for query, cid in SAMPLE_HITS.items():
        assert cid in [r.conversation_id for r in store.search(query).results]
    must_fail = [k for k in outcomes if k.startswith(("cut:", "compressed data:")) and "error" not in k]
    assert not must_fail, outcomes
    figures["exports: ZIP sweep: variants by kind"] = dict(sorted(outcomes.items()))


# -- every field of a conversation and of a message, replaced by every wrong type -------------------------

MISSING = object()
WRONG: dict[str, Any] = {
    "missing": MISSING,
    "null": None,
    "true": True,
    "zero": 0,
    "negative": -1,
    "int64-max": 2**63 - 1,
    "float-huge": 1e308,
    "float-negative-huge": -1e308,
    "milliseconds": 1.7e12,
    "nan-string": "NaN",
    "inf-string": "-Infinity",
    "bad-date": "2024-13-45T99:99:99Z",
    "empty-string": "",
    "string": "wrong type",
    "empty-list": [],
    "list": [1, "x", None, {"a": []}],
    "empty-object": {},
    "object": {"nested": {"x": [1, 2.5, None]}},
}
_ID_FIELDS = ("id", "conversation_id", "id+conversation_id")
_CONVERSATION_FIELDS = (
    *_ID_FIELDS,
    "title",
    "create_time",
    "update_time",
    "current_node",
    "mapping",
    "default_model_slug",
    "gizmo_id",
    "gizmo_type",
    "conversation_template_id",
    "is_archived",
    "is_starred",
    "moderation_results",
    "plugin_ids",
    "safe_urls",
)
_NODE_FIELDS = ("id", "parent", "children", "message")
_MESSAGE_FIELDS = (
    "id",
    "author",
    "author.role",
    "author.name",
    "author.metadata",
    "create_time",
    "update_time",
    "content",
    "content.content_type",
    "content.parts",
    "content.parts.0",
    "status",
    "end_turn",
    "weight",
    "recipient",
    "channel",
    "metadata",
    "metadata.is_visually_hidden_from_conversation",
    "metadata.model_slug",
    "metadata.content_references",
)


def _set(target: Any, path: list[str], value: Any) -> None:
    for key in path[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = path[-1]
    if isinstance(target, list):
        target[int(last)] = None if value is MISSING else value
    elif value is MISSING:
        target.pop(last, None)
    else:
        target[last] = value


def _base_variant(cid: str, word: str) -> dict[str, Any]:
    conv = build_conversation(
        cid,
        [
            "What is a good first question?",
            "That one is fine.",
            f"Please remember the word {word}.",
            f"Noted: {word}.",
        ],
        title=f"Variant {word}",
    )
    answer = conv["mapping"][node_id(cid, 3)]["message"]
    answer["metadata"]["content_references"] = [{"matched_text": "\ue200cite\ue201", "alt": "[source]"}]
    return conv


def field_variants() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(variant name, its planted word, the raw conversation) for every field x wrong value."""
    counter = itertools.count()
    for where, fields in (
        ("conversation", _CONVERSATION_FIELDS),
        ("root-node", _NODE_FIELDS),
        ("user-node", _NODE_FIELDS),
        ("user-message", _MESSAGE_FIELDS),
        ("assistant-message", _MESSAGE_FIELDS),
    ):
        for field, (kind, value) in itertools.product(fields, WRONG.items()):
            if field in _ID_FIELDS and isinstance(value, str) and value:
                continue  # a non-empty string is the right type for an id
            n = next(counter)
            word = f"plantword{_letters(n)}"
            cid = f"variant-{n}"
            conv = _base_variant(cid, word)
            user, assistant = node_id(cid, 2), node_id(cid, 3)
            prefix = {
                "conversation": [],
                "root-node": ["mapping", node_id(cid, "root")],
                "user-node": ["mapping", user],
                "user-message": ["mapping", user, "message"],
                "assistant-message": ["mapping", assistant, "message"],
            }[where]
            for part in field.split("+"):
                _set(conv, prefix + part.split("."), value if value is MISSING else copy.deepcopy(value))
            yield f"{where}.{field}={kind}", word, conv


def _letters(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 26)
        out += "abcdefghijklmnopqrstuvwxyz"[r]
        if not n:
            return out


def test_every_field_of_the_wrong_type(store: HistoryStore, tmp_path: Path, figures: dict[str, Any]) -> None:
    """Each field of a conversation, of a node and of a message, replaced in turn by each wrong type: the
    conversation is still imported (skipped only when it has no usable id), readable, and found by a word
    that it still holds visibly (each variant plants its own word in its title and in a user message)."""
    variants = list(field_variants())
    for name, _, raw in variants:  # one at a time first, so a crash names its variant
        try:
            change_key(raw)
            normalize_conversation(raw)
        except InvalidConversation:
            assert name.startswith("conversation.id+conversation_id="), name
    path = write_export(tmp_path / "variants.zip", [raw for _, _, raw in variants])
    outcome = attempt(store, path)
    assert outcome.kind == "import", outcome.message
    report = outcome.report
    assert report is not None
    without_id = [name for name, _, _ in variants if name.startswith("conversation.id+conversation_id=")]
    assert (report.conversations, report.invalid) == (len(variants), len(without_id)), report
    assert report.added == len(variants) - len(without_id)
    for name, word, _raw in variants:
        if name in without_id:
            assert store.archive.get(f"variant-{_variant_number(word)}") is None
            continue
        try:
            assert_readable(store, f"variant-{_variant_number(word)}", word)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc
    listing = store.list_conversations(limit=2000)
    assert listing.total == ALL_SAMPLE + report.added
    tally_kind = Counter("error" if name in without_id else "import" for name, _, _ in variants)
    figures["exports: field x wrong-type variants"] = len(variants)
    figures["exports: field x wrong-type variants: imported / skipped (no usable id)"] = (
        f"{tally_kind['import']} / {tally_kind['error']}"
    )


def _variant_number(word: str) -> int:
    letters = word.removeprefix("plantword")
    return sum(("abcdefghijklmnopqrstuvwxyz".index(c)) * 26**i for i, c in enumerate(letters))


def test_values_only_the_backend_can_send(store: HistoryStore, figures: dict[str, Any]) -> None:
    """A sync hands the same raw shape to the same normalizer, but parsed by ``json.loads``: integers of any
    size, and lone surrogates (half an emoji) from ``\\ud83d`` escapes, which no UTF-8 store can hold. They
    must neither fail the chunk (a sync would then fail at the same chunk every time) nor reach the store."""
    raw = build_conversation("backend-odd", ["Lone \ud83d surrogate but findable gooseberry.", "Answer \ude00."])
    raw["title"] = "Broken \ud83d emoji"
    raw["create_time"] = 10**400
    raw["mapping"][raw["current_node"]]["message"]["create_time"] = -(10**30)
    raw["mapping"][raw["current_node"]]["message"]["author"]["name"] = "\udfff"
    bodies = [json.loads(json.dumps(raw)), json.loads(json.dumps({**raw, "id": "lone-\ud800-id"}))]
    with store.write_lock:
        report = write_conversations(store, bodies, "api")
    assert report.added == 2
    conv = store.archive.get("backend-odd")
    assert conv is not None and conv.title == "Broken \ufffd emoji" and conv.create_time is not None
    assert conv.transcript()[0].text == "Lone \ufffd surrogate but findable gooseberry."
    assert store.archive.get("lone-\ufffd-id") is not None
    assert_readable(store, "backend-odd", "gooseberry")
    figures["exports: backend-only values (huge integers, lone surrogates) stored"] = report.added


# -- one 50 MB message ---------------------------------------------------------------------------------------


def test_a_50_mb_message(store: HistoryStore, tmp_path: Path, figures: dict[str, Any]) -> None:
    rng = random.Random(50)
    vocabulary = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=48)) for _ in range(4000)]
    huge = " ".join(rng.choices(vocabulary, k=50 * 1024**2 // 49 + 10)) + " needleattheend"
    assert len(huge) > 50 * 1024**2
    conv = build_conversation("huge-paste", [huge, "That is a long paste."], title="A very long paste")
    with zipfile.ZipFile(tmp_path / "huge.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("conversations.json", json.dumps([conv]))
    outcome = attempt(store, tmp_path / "huge.zip")
    tally(figures, "hand-written malformed", outcome.kind)
    assert outcome.kind == "import", outcome.message
    hits = store.search("needleattheend").results  # the end of the message was indexed
    assert [r.conversation_id for r in hits] == ["huge-paste"] and "**needleattheend**" in hits[0].matches[0].snippet
    page = store.get_conversation("huge-paste")  # read in pages, the long message cut
    assert page.messages[0].truncated and page.messages[0].full_length == len(huge)
    stored = store.archive.get("huge-paste")  # stored whole
    assert stored is not None and stored.transcript()[0].text == huge
    figures["exports: 50 MB message"] = f"imported, {len(huge) / 1024**2:.0f} MB, found by its last word"


# -- the depth guard ----------------------------------------------------------------------------------------


def test_nesting_up_to_the_limit_is_read_and_beyond_it_refused(tmp_path: Path) -> None:
    def nested(depth: int) -> bytes:  # the conversation array, a conversation, then lists: `depth` levels in all
        inner = "[" * (depth - 2) + "]" * (depth - 2)
        return f'[{{"id": "deep", "title": "[[[ {{not brackets}} \\" ]]]", "x": {inner}, "mapping": {{}}}}]'.encode()

    ok = write_export(tmp_path / "ok.zip", conversations_json=nested(MAX_DEPTH))
    with Export(ok) as export:
        assert [c["id"] for c in export.conversations()] == ["deep"]
    too_deep = write_export(tmp_path / "deep.zip", conversations_json=nested(MAX_DEPTH + 1))
    with pytest.raises(ExportError, match="nests more than"), Export(too_deep) as export:
        list(export.conversations())


_json_strings = st.text(st.sampled_from('ab"\\[]{}/u0 \n') | st.characters(), max_size=12)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _json_strings,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_json_strings, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, database=None)
@given(value=_json_values, sizes=st.lists(st.integers(1, 40), min_size=1, max_size=20))
def test_depth_guard_follows_the_json_exactly(value: Any, sizes: list[int]) -> None:
    """Read in pieces of any size, the guard knows the nesting depth after every piece: strings (with escaped
    quotes and backslashes, brackets inside, split anywhere) never count."""
    # A lone surrogate written raw (ensure_ascii=False) is not UTF-8: kept as its bytes, which a damaged file may
    # hold too (the guard reads bytes; strict encoding made this test fail whenever Hypothesis drew one).
    data = json.dumps(value, ensure_ascii=bool(len(sizes) % 2)).encode("utf-8", "surrogatepass")
    reference, depth, in_string, escaped = [], 0, False, False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
        elif byte in b"]}":
            depth -= 1
        reference.append(depth)
    guard = export_module._DepthGuard("test")
    read = 0
    for n in itertools.cycle(sizes):
        chunk = data[read : read + n]
        if not chunk:
            break
        guard.scan(chunk)
        read += len(chunk)
        assert guard._depth == reference[read - 1], (data, read)
    assert read == len(data)


# -- property-based fuzzing --------------------------------------------------------------------------------

_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63) + 1, 2**63 - 1)  # the parser takes no -2**63
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=16)
)
junk = st.recursive(
    _leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The right type most of the time; else any JSON value, or the key left out."""
    return st.one_of(strategy, strategy, junk, st.just(MISSING))


def _present(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not MISSING}


def record(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(fields).map(_present)


_times = st.one_of(
    st.floats(946_684_800, 4_102_444_800),
    st.integers(0, 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["2024-05-01T10:00:00Z", "2024-05-01", "1714557600.5", "NaN", "inf", "-1", "1e999", ""]),
    st.text(max_size=8),
)
_texts = st.text(max_size=40)
_part = st.one_of(
    _texts,
    record(
        content_type=st.sampled_from(
            ["image_asset_pointer", "audio_transcription", "audio_asset_pointer", "app_pairing_content", "x"]
        ),
        asset_pointer=maybe(st.text(max_size=20)),
        text=maybe(_texts),
        width=maybe(st.integers(0, 5000)),
        height=maybe(st.integers(0, 5000)),
    ),
    junk,
)
_content = st.one_of(
    record(content_type=st.sampled_from(["text", "multimodal_text"]), parts=maybe(st.lists(_part, max_size=4))),
    record(
        content_type=st.sampled_from(["code", "execution_output"]),
        language=maybe(st.text(max_size=8)),
        text=maybe(_texts),
    ),
    record(
        content_type=st.just("tether_quote"),
        url=maybe(_texts),
        domain=maybe(_texts),
        title=maybe(_texts),
        text=maybe(_texts),
    ),
    record(
        content_type=st.just("thoughts"),
        thoughts=maybe(st.lists(record(summary=maybe(_texts), content=maybe(_texts)), max_size=3)),
    ),
    record(
        content_type=st.sampled_from(
            ["reasoning_recap", "user_editable_context", "model_editable_context", "sonic_webpage", "system_error"]
        ),
        content=maybe(_texts),
        user_profile=maybe(_texts),
        text=maybe(_texts),
    ),
    record(content_type=maybe(st.text(max_size=12)), text=maybe(junk), result=maybe(junk)),
    junk,
)
_metadata = record(
    is_visually_hidden_from_conversation=maybe(st.booleans()),
    is_user_system_message=maybe(st.booleans()),
    model_slug=maybe(st.text(max_size=10)),
    content_references=maybe(st.lists(record(matched_text=maybe(_texts), alt=maybe(_texts)), max_size=2)),
)
message = record(
    id=maybe(st.text(max_size=6)),
    author=maybe(
        record(
            role=maybe(st.sampled_from(["user", "assistant", "system", "tool", "critic"])),
            name=maybe(_texts),
            metadata=maybe(junk),
        )
    ),
    create_time=maybe(_times),
    update_time=maybe(_times),
    content=maybe(_content),
    status=maybe(st.sampled_from(["finished_successfully", "in_progress"])),
    end_turn=maybe(st.booleans()),
    weight=maybe(st.sampled_from([0, 0.0, 1, 1.0])),
    recipient=maybe(st.sampled_from(["all", "python", "web", "bio"])),
    channel=maybe(st.sampled_from([None, "final", "analysis", "commentary"])),
    metadata=maybe(_metadata),
)
_node_keys = st.text(min_size=1, max_size=6)
_conversation_fields = {
    "title": maybe(_texts),
    "create_time": maybe(_times),
    "update_time": maybe(_times),
    "default_model_slug": maybe(st.text(max_size=10)),
    "gizmo_id": maybe(st.sampled_from(["g-p-project", "g-custom", "not-a-gizmo"])),
    "is_archived": maybe(st.booleans()),
    "is_starred": maybe(st.booleans()),
    "moderation_results": maybe(junk),
}


def planted_message(word: str) -> dict[str, Any]:
    return {
        "id": "planted",
        "author": {"role": "user"},
        "create_time": BASE_TIME,
        "content": {"content_type": "text", "parts": [f"Note {word} here."]},
        "recipient": "all",
        "weight": 1.0,
        "metadata": {},
    }


@st.composite
def conversation_tree(draw: st.DrawFn, cid: Any, word: str | None) -> tuple[dict[str, Any], list[str]]:
    """A well-formed tree (each node's parent drawn among the earlier nodes) with messy messages and fields;
    returns the raw conversation and its current branch (message-bearing node ids, root first). With
    ``word``, a visible user message on the current branch says it."""
    n = draw(st.integers(1, 8))
    keys = draw(st.lists(_node_keys, min_size=n, max_size=n, unique=True))
    parents: list[int | None] = [None] + [draw(st.integers(0, i - 1)) for i in range(1, n)]
    messages = [draw(st.one_of(message, message, st.none(), junk)) for _ in range(n)]
    current = draw(st.integers(0, n - 1))
    branch: list[int] = []
    at: int | None = current
    while at is not None:
        branch.append(at)
        at = parents[at]
    branch.reverse()
    if word is not None:
        messages[draw(st.sampled_from(branch))] = planted_message(word)
    mapping = {
        keys[i]: _present(
            {
                "id": draw(maybe(st.just(keys[i]))),
                "parent": keys[parent] if parent is not None else None,
                "children": draw(st.one_of(st.just([keys[j] for j in range(n) if parents[j] == i]), junk)),
                "message": messages[i],
            }
        )
        for i, parent in enumerate(parents)
    }
    raw = _present({"id": cid, "current_node": keys[current], "mapping": mapping})
    raw.update(_present({k: draw(v) for k, v in _conversation_fields.items()}))
    return raw, [keys[i] for i in branch if isinstance(messages[i], dict)]


@st.composite
def export_content(draw: st.DrawFn) -> tuple[list[Any], str, str, dict[str, list[str]]]:
    """A list of raw conversations: one with a planted word (unique id), plus others with duplicated,
    missing or wrongly typed ids, and plain junk; returns them, the planted id and word, and the expected
    current branch of each conversation whose valid id occurs once."""
    word = "zq" + draw(st.text("bcdfghjklmnpqrstvwxz", min_size=6, max_size=10))
    planted_id = f"planted-{word}"
    planted, planted_branch = draw(conversation_tree(planted_id, word))
    items: list[Any] = [planted]
    branches: dict[str, list[Any]] = {planted_id: [planted_branch]}
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 4)) == 0:
            items.append(draw(junk))
            continue
        cid = draw(st.one_of(st.sampled_from(["dup-a", "dup-b", "ünïcødé-id"]), junk))
        raw, branch = draw(conversation_tree(cid, None))
        if draw(st.booleans()):
            raw["conversation_id"] = raw.pop("id", None)  # older exports
        items.append(raw)
        if isinstance(cid, str) and cid:
            branches.setdefault(cid, []).append(branch)
    order = draw(st.permutations(range(len(items))))
    once = {cid: found[0] for cid, found in branches.items() if len(found) == 1}
    return [items[i] for i in order], planted_id, word, once


def _valid_id(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    for key in ("id", "conversation_id"):
        if isinstance(raw.get(key), str) and raw[key]:
            return str(raw[key])
    return None


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(content=export_content(), big_number=st.integers(0, 15))
def test_fuzz_import(
    content: tuple[list[Any], str, str, dict[str, list[str]]], big_number: int, fuzz_dir: Path, figures: dict[str, Any]
) -> None:
    """Generated exports (random trees, random field values, random unicode, random content types) into a new
    store: never an exception other than ExportError; every conversation with a valid id imported once; the
    transcript is the current_node branch; a word planted in a visible user message is found."""
    items, planted_id, word, once = content
    body = json.dumps(items)
    if big_number == 7:  # now and then a number no 64-bit parser takes: a clear error, an empty store
        body = body[:-1] + (", " if items else "") + str(2**70) + "]"
    work = Path(tempfile.mkdtemp(dir=fuzz_dir))
    try:
        path = write_export(work / "export.zip", conversations_json=body.encode())
        store = HistoryStore(work / "data")
        try:
            outcome = attempt(store, path)
            tally(figures, "hypothesis: generated exports", outcome.kind)
            if outcome.kind == "error":
                assert_clear(outcome.message, path)
                assert big_number == 7, outcome.message
                assert (store.status().conversations, store.archive.sources()) == (0, [])
                return
            valid = {cid for cid in map(_valid_id, items) if cid is not None}
            report = outcome.report
            assert report is not None
            assert report.conversations == len(items)
            assert report.added == len(valid) and store.status().conversations == len(valid)
            assert store.index.doc_count() == len(valid)
            assert {r.conversation_id for r in store.list_conversations(limit=50).items} == valid
            for cid, branch in once.items():
                conv = store.archive.get(cid)
                assert conv is not None and conv.current_path == branch, cid
                assert [m.id for m in conv.transcript(include_hidden=True)] == branch
            assert_readable(store, planted_id, word)
            for cid in valid:
                assert_readable(store, cid)
        finally:
            store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@st.composite
def messy_mapping(draw: st.DrawFn) -> dict[str, Any]:
    """Any parent pointers at all (cycles, self-loops, dangling, wrong types), any current node."""
    keys = draw(st.lists(_node_keys, min_size=1, max_size=8, unique=True))
    mapping: dict[str, Any] = {}
    for key in keys:
        mapping[key] = draw(
            st.one_of(
                record(
                    parent=st.one_of(st.sampled_from(keys), st.none(), _node_keys, junk),
                    children=maybe(st.lists(st.sampled_from(keys), max_size=3)),
                    message=st.one_of(message, st.none(), junk),
                ),
                junk,
            )
        )
    current = draw(st.one_of(st.sampled_from(keys), st.none(), _node_keys, junk, st.just(MISSING)))
    return _present({"id": "messy", "mapping": mapping, "current_node": current})


def _branch(mapping: Mapping[str, Any], start: str) -> list[str]:
    nodes = {k: v for k, v in mapping.items() if isinstance(v, dict)}
    path: list[str] = []
    at: str | None = start
    while at is not None and at not in path:
        path.append(at)
        parent = nodes[at].get("parent")
        at = parent if isinstance(parent, str) and parent in nodes else None
    return [n for n in reversed(path) if isinstance(nodes[n].get("message"), dict)]


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=messy_mapping())
def test_fuzz_cycles_and_dangling_parents(raw: dict[str, Any], figures: dict[str, Any]) -> None:
    """Whatever the parent pointers, normalizing ends, keeps every message, and takes as the transcript the
    walk up from current_node (or from a leaf when it is unusable) that stops at the first repeat."""
    conv = normalize_conversation(json.loads(json.dumps(raw)))
    _TALLY["messy"] += 1
    figures["exports: hypothesis: messy mappings normalized"] = _TALLY["messy"]
    mapping = raw["mapping"]
    nodes = {k: v for k, v in mapping.items() if isinstance(v, dict)}
    assert len(conv.messages) == sum(isinstance(v.get("message"), dict) for v in nodes.values())
    assert len(set(conv.current_path)) == len(conv.current_path)
    current = raw.get("current_node")
    if isinstance(current, str) and current in nodes:
        assert conv.current_path == _branch(mapping, current)
    else:
        parents = [v.get("parent") for v in nodes.values()]
        has_child = {p for p in parents if isinstance(p, str) and p in nodes}
        leaves = [k for k in nodes if k not in has_child]
        assert conv.current_path in ([_branch(mapping, leaf) for leaf in leaves] if leaves else [[]])


@settings(max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=st.lists(
        st.one_of(junk, message, record(id=maybe(_texts), mapping=maybe(junk), **_conversation_fields)), max_size=4
    )
)
def test_fuzz_reader_and_normalizer_on_junk(items: list[Any], fuzz_dir: Path, figures: dict[str, Any]) -> None:
    """Any JSON array through the reader and the normalizer: read back exactly, and nothing raises but
    InvalidConversation (no id, not an object)."""
    path = Path(tempfile.mkdtemp(dir=fuzz_dir)) / "export.zip"
    write_export(path, items)
    with Export(path) as export:
        read = list(export.conversations())
    assert read == items
    for raw in read:
        if isinstance(raw, Mapping):
            change_key(raw)
        try:
            normalize_conversation(raw)
            _TALLY["junk/normalized"] += 1
        except InvalidConversation:
            _TALLY["junk/invalid"] += 1
    shutil.rmtree(path.parent)
    figures["exports: hypothesis: junk read + normalized / refused as invalid"] = (
        f"{_TALLY['junk/normalized']} / {_TALLY['junk/invalid']}"
    )
