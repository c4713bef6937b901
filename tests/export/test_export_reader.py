"""The export reader: every form a ChatGPT export arrives in, streaming, and every way a file can be bad.

All inputs are real files built in ``tmp_path`` with the standard library; nothing is mocked.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp.errors import ExportError
from chatgpt_history_mcp.export.elements import KNOWN, KnownElements
from chatgpt_history_mcp.export.reader import MAX_DEPTH, Export, _DepthGuard
from sample import SAMPLE

# The sample's conversations in file order (SAMPLE.md); the ninth has only `conversation_id`.
SAMPLE_IDS = [
    "f538df88-7b69-5937-a98d-cc86d3d6878c",
    "7296ab64-f016-5de2-aa4a-709f7c4a4f9a",
    "d4add0b2-9779-5567-8ca6-5e1d7c3dcbfc",
    "de3c5dc9-d764-59a3-adeb-c78ab9ea48cd",
    "2ec425c9-2cf7-5d84-85be-951716a8ab07",
    "2ee43ab6-bf3d-5a2a-8662-6f6122a6da8b",
    "d8618855-c6c4-5353-b00c-28f93dd1b043",
    "60e1cd8b-67a4-51ad-9832-f23f03decaa0",
    "e91d75cf-24b4-5013-87d6-e9aabd360447",
    "9d016280-a6ce-5e55-8086-2c47d769ee0e",
    "ad2a4c6a-56fc-542f-80f8-1461655fc657",
    "6822d6d5-4022-508b-8ca9-49a4dab6d196",
    "1d15765c-b757-534d-9f23-e86e3d52dd98",
    "eb8060cc-6d1c-58cf-8862-05b81faa8508",
    "e119b057-e700-57f0-9100-f8b305a5acbb",
    "44d66067-1dbd-5edf-9ddd-6a210b61ec8a",
    "795c1944-8bea-55bf-920b-7449f65044d1",
    "f485c563-053a-5e34-bcd8-e293e0980b9e",
    "f663ba98-73ac-5c0a-9ae6-40bf7141e304",
    "6f8c7b2c-a4ab-5ab6-a47a-6a499e52b21f",
    "ae7a45b4-93ec-5063-9f12-7ccbc312c34a",
    "fb809c12-db9e-5b67-8fd6-428aae5c4bc0",
    "f8be09c8-805e-5a85-a778-2b9c49d07126",
    "25924e6b-786d-5f19-8532-753919fb456b",
]


# -- builders ----------------------------------------------------------------------------------------


def conv(cid: str, text: str = "hello there") -> dict[str, Any]:
    """A small but complete conversation: root, one user turn, one assistant turn."""
    return {
        "id": cid,
        "title": f"Title {cid}",
        "create_time": 1700000000.0,
        "update_time": 1700000100.0,
        "current_node": f"{cid}-a",
        "mapping": {
            f"{cid}-root": {"id": f"{cid}-root", "parent": None, "children": [f"{cid}-u"], "message": None},
            f"{cid}-u": {
                "id": f"{cid}-u",
                "parent": f"{cid}-root",
                "children": [f"{cid}-a"],
                "message": {
                    "id": f"{cid}-u",
                    "author": {"role": "user"},
                    "create_time": 1700000001.0,
                    "content": {"content_type": "text", "parts": [text]},
                    "recipient": "all",
                },
            },
            f"{cid}-a": {
                "id": f"{cid}-a",
                "parent": f"{cid}-u",
                "children": [],
                "message": {
                    "id": f"{cid}-a",
                    "author": {"role": "assistant"},
                    "create_time": 1700000002.0,
                    "content": {"content_type": "text", "parts": [f"answer for {cid}"]},
                    "recipient": "all",
                },
            },
        },
    }


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def make_zip(
    path: Path,
    entries: dict[str, bytes | str] | list[tuple[str | zipfile.ZipInfo, bytes | str]],
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    items = entries.items() if isinstance(entries, dict) else entries
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return path


def ids(export: Export) -> list[str]:
    return [c.get("id") or c.get("conversation_id") for c in export.conversations()]


def read_ids(path: Path) -> list[str]:
    with Export(path) as export:
        return ids(export)


def export_error(path: Path, *, iterate: bool = True) -> str:
    """Open (and, if asked, read) ``path``; return the ExportError message, failing if none is raised."""
    with pytest.raises(ExportError) as info:
        export = Export(path)
        try:
            if iterate:
                list(export.conversations())
        finally:
            export.close()
    return str(info.value)


# -- the forms an export arrives in --------------------------------------------------------------------


def test_zip_with_single_conversations_json(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "export.zip",
        {
            "conversations.json": dumps([conv("c1"), conv("c2"), conv("c3")]),
            "user.json": dumps({"email": "someone@example.com"}),
            "chat.html": "<html>var jsonData = [];</html>",
        },
    )
    assert read_ids(path) == ["c1", "c2", "c3"]


def test_zip_yields_full_conversation_objects(tmp_path: Path) -> None:
    original = conv("c1", text="how do I proof sourdough overnight?")
    path = make_zip(tmp_path / "export.zip", {"conversations.json": dumps([original])})
    with Export(path) as export:
        (got,) = list(export.conversations())
    assert got == original
    # Times stay floats (not Decimal), so timestamp parsing downstream sees numbers.
    assert isinstance(got["create_time"], float)


def test_split_conversation_files_are_all_read_in_numeric_order(tmp_path: Path) -> None:
    # Entries deliberately stored out of order inside the ZIP; the index object sits beside them.
    path = make_zip(
        tmp_path / "export.zip",
        [
            ("conversations-002.json", dumps([conv("e"), conv("f")])),
            ("conversations-index.json", dumps({"version": 1, "total": 7, "files": ["conversations-000.json"]})),
            ("conversations-000.json", dumps([conv("a"), conv("b")])),
            ("conversations-010.json", dumps([conv("g")])),
            ("conversations-001.json", dumps([conv("c"), conv("d")])),
            ("user.json", dumps({"email": "someone@example.com"})),
        ],
    )
    assert read_ids(path) == ["a", "b", "c", "d", "e", "f", "g"]


def test_sample_export_split_files_and_index_object(tmp_path: Path) -> None:
    # The bundled sample has conversations-000/-001 and an index *object*; a loose glob would choke on it.
    with Export(SAMPLE) as export:
        got = ids(export)
        assert [Path(e.name).name for e in export.entries] == ["conversations-000.json", "conversations-001.json"]
    assert got == SAMPLE_IDS


def test_zip_with_only_the_index_object_has_no_conversations(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "export.zip",
        {"conversations-index.json": dumps({"version": 1, "total": 0, "files": []}), "user.json": "{}"},
    )
    message = export_error(path, iterate=False)
    assert "export.zip" in message
    assert "conversations.json" in message


def test_zip_rezipped_inside_a_top_folder(tmp_path: Path) -> None:
    # A user unpacks the export, then zips the folder again (macOS adds AppleDouble junk beside it).
    path = make_zip(
        tmp_path / "export.zip",
        {
            "my-export/conversations.json": dumps([conv("c1"), conv("c2")]),
            "__MACOSX/my-export/._conversations.json": b"\x00\x05\x16\x07junk",
        },
    )
    assert read_ids(path) == ["c1", "c2"]


def test_bare_conversations_json_file(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_bytes(dumps([conv("c1"), conv("c2")]))
    assert read_ids(path) == ["c1", "c2"]


def test_unpacked_folder_with_split_files(tmp_path: Path) -> None:
    folder = tmp_path / "chatgpt-export"
    folder.mkdir()
    (folder / "conversations-001.json").write_bytes(dumps([conv("c"), conv("d")]))
    (folder / "conversations-000.json").write_bytes(dumps([conv("a"), conv("b")]))
    (folder / "conversations-index.json").write_bytes(dumps({"version": 1, "total": 4}))
    (folder / "user.json").write_bytes(dumps({"email": "someone@example.com"}))
    (folder / "message_feedback.json").write_bytes(b"[]")
    (folder / "chat.html").write_text("<html></html>")
    assert read_ids(folder) == ["a", "b", "c", "d"]


def test_unpacked_folder_with_single_file(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "conversations.json").write_bytes(dumps([conv("only")]))
    (folder / "shared_conversations.json").write_bytes(b"[]")
    assert read_ids(folder) == ["only"]


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "not-an-export"
    folder.mkdir()
    (folder / "notes.json").write_text("[]")
    message = export_error(folder, iterate=False)
    assert "not-an-export" in message
    assert "conversations.json" in message


@pytest.mark.parametrize(
    "body",
    [
        {"conversations": [conv("a"), conv("b")]},
        {"version": 2, "exported_at": "2025-01-01", "conversations": [conv("a"), conv("b")]},
    ],
    ids=["only-key", "other-keys-first"],
)
def test_object_form_with_conversations_key(tmp_path: Path, body: dict[str, Any]) -> None:
    bare = tmp_path / "conversations.json"
    bare.write_bytes(dumps(body))
    zipped = make_zip(tmp_path / "export.zip", {"conversations.json": dumps(body)})
    assert read_ids(bare) == ["a", "b"]
    assert read_ids(zipped) == ["a", "b"]


@pytest.mark.parametrize("body", [[conv("a"), conv("b")], {"conversations": [conv("a"), conv("b")]}])
def test_utf8_bom_is_accepted(tmp_path: Path, body: Any) -> None:
    data = b"\xef\xbb\xbf" + dumps(body)
    bare = tmp_path / "conversations.json"
    bare.write_bytes(data)
    zipped = make_zip(tmp_path / "export.zip", {"conversations.json": data})
    assert read_ids(bare) == ["a", "b"]
    assert read_ids(zipped) == ["a", "b"]


def test_leading_whitespace_and_non_ascii_text(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_bytes(b"\r\n  \n" + dumps([conv("c1", text="机器学习 café naïve 커피 🌱")]))
    with Export(path) as export:
        (got,) = list(export.conversations())
    assert got["mapping"]["c1-u"]["message"]["content"]["parts"] == ["机器学习 café naïve 커피 🌱"]


def test_empty_array_gives_no_conversations(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "export.zip", {"conversations.json": "[]"})
    assert read_ids(path) == []


# -- streaming -----------------------------------------------------------------------------------------


def _big_array(n: int = 1500) -> bytes:
    # ~1500 conversations of ~2.5 KB each: a multi-MB file.
    return dumps([conv(f"c{i:05d}", text=f"message {i} " + "lorem ipsum dolor sit amet " * 80) for i in range(n)])


@pytest.mark.parametrize("form", ["json", "zip"])
def test_first_conversation_arrives_before_the_file_is_read(tmp_path: Path, form: str) -> None:
    data = _big_array()
    assert len(data) > 3 * 1024**2
    if form == "json":
        path = tmp_path / "conversations.json"
        path.write_bytes(data)
    else:
        path = make_zip(tmp_path / "export.zip", {"conversations.json": data})

    read = [0]

    def on_read(n: int) -> None:
        read[0] += n

    with Export(path) as export:
        stream = export.conversations(on_read=on_read)
        first = next(stream)
        read_at_first = read[0]
        rest = list(stream)
    assert first["id"] == "c00000"
    assert 0 < read_at_first < len(data) // 10, f"read {read_at_first} of {len(data)} bytes before the first item"
    assert len(rest) == 1499
    # on_read accounts for the whole file by the end (progress can reach 100 %).
    assert read[0] == len(data)


def test_total_bytes_reports_uncompressed_size_of_conversation_files(tmp_path: Path) -> None:
    a, b = dumps([conv("a")]), dumps([conv("b"), conv("c")])
    path = make_zip(
        tmp_path / "export.zip",
        {"conversations-000.json": a, "conversations-001.json": b, "chat.html": "x" * 5000},
    )
    with Export(path) as export:
        assert export.total_bytes == len(a) + len(b)


# -- clear errors ----------------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "Downloads" / "chatgpt-export.zip"
    message = export_error(missing, iterate=False)
    assert "chatgpt-export.zip" in message
    assert "no such file" in message


def test_non_export_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes, not an export\n")
    message = export_error(path, iterate=False)
    assert "notes.txt" in message
    assert "not a ChatGPT export" in message


def test_zip_without_conversations_json(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "photos.zip", {"IMG_0001.jpg": b"\xff\xd8\xff", "user.json": "{}"})
    message = export_error(path, iterate=False)
    assert "photos.zip" in message
    assert "no conversations.json" in message


def test_truncated_zip(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()
    path = tmp_path / "export-partial.zip"
    path.write_bytes(data[: len(data) // 2])
    message = export_error(path)
    assert "export-partial.zip" in message
    assert "truncated" in message or "damaged" in message


def test_zip_whose_json_is_cut_mid_array(tmp_path: Path) -> None:
    data = dumps([conv(f"c{i}") for i in range(20)])
    path = make_zip(tmp_path / "export.zip", {"conversations.json": data[: len(data) // 2]})
    message = export_error(path)
    assert "export.zip" in message
    assert "conversations.json" in message
    assert "truncated" in message


def test_bare_json_cut_mid_array(tmp_path: Path) -> None:
    data = dumps([conv(f"c{i}") for i in range(20)])
    path = tmp_path / "conversations.json"
    path.write_bytes(data[: len(data) // 2])
    message = export_error(path)
    assert "conversations.json" in message
    assert "truncated" in message


def test_invalid_json_in_the_middle(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "export.zip", {"conversations.json": b'[{"id": "a", "mapping": {}}, {id: oops}]'})
    message = export_error(path)
    assert "export.zip" in message
    assert "conversations.json" in message
    assert "JSON" in message


def test_corrupted_zip_entry_is_a_clear_error(tmp_path: Path) -> None:
    # Flip one letter inside a stored entry: the JSON still parses, but the CRC no longer matches.
    data = dumps([conv("c1", text="the quick brown fox")])
    path = make_zip(tmp_path / "export.zip", {"conversations.json": data}, compression=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"the quick brown fox")
    raw[at] = ord("T")
    path.write_bytes(bytes(raw))
    message = export_error(path)
    assert "export.zip" in message
    assert "damaged" in message or "truncated" in message


def test_deflated_entry_whose_crc_disagrees_is_a_clear_error(tmp_path: Path) -> None:
    # Intact deflate data whose bytes are not the ones the ZIP vouches for: only the CRC check can tell.
    data = dumps([conv(f"c{i}", text=f"the quick brown fox {i}") for i in range(200)])
    path = make_zip(tmp_path / "export.zip", {"conversations.json": data})
    crc = zipfile.ZipFile(path).getinfo("conversations.json").CRC.to_bytes(4, "little")
    raw = path.read_bytes()
    assert raw.count(crc) == 2  # in the local header and in the central directory
    path.write_bytes(raw.replace(crc, (int.from_bytes(crc, "little") ^ 1).to_bytes(4, "little")))
    message = export_error(path)
    assert "export.zip" in message
    assert "damaged" in message or "truncated" in message


@pytest.mark.parametrize(
    "body",
    [b"42", b'"conversations"', b"null", b"true", b"<!DOCTYPE html><html></html>"],
    ids=["number", "string", "null", "bool", "html"],
)
def test_non_array_top_level_json(tmp_path: Path, body: bytes) -> None:
    bare = tmp_path / "conversations.json"
    bare.write_bytes(body)
    message = export_error(bare)
    assert "conversations.json" in message
    assert "not a JSON array" in message

    zipped = make_zip(tmp_path / "export.zip", {"conversations.json": body})
    message = export_error(zipped)
    assert "export.zip" in message
    assert "conversations.json" in message


def test_object_without_conversations_list_is_an_error_not_an_empty_export(tmp_path: Path) -> None:
    # Silently importing zero conversations would look like an empty history.
    path = tmp_path / "conversations.json"
    path.write_bytes(dumps({"items": [conv("a")], "total": 1}))
    message = export_error(path)
    assert "conversations.json" in message
    assert "items" in message  # says what it found instead


def test_single_conversation_object_reads_as_one_conversation(tmp_path: Path) -> None:
    # One conversation saved on its own (e.g. a backend `GET /conversation/{id}` body), not an array.
    path = tmp_path / "conversations.json"
    path.write_bytes(dumps(conv("single")))
    with Export(path) as export:
        ids = [c["id"] for c in export.conversations()]
    assert ids == ["single"]


# -- zip safety --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "/etc/conversations.json",
        "/tmp/evil.txt",
        "../conversations.json",
        "export/../../evil.txt",
        "..\\..\\evil.txt",
        "C:/Users/alex/conversations.json",
    ],
    ids=["absolute-conv", "absolute-other", "dotdot", "nested-dotdot", "backslash-dotdot", "drive-letter"],
)
def test_unsafe_path_entries_are_refused(tmp_path: Path, name: str) -> None:
    path = make_zip(
        tmp_path / "export.zip",
        [
            ("conversations.json", dumps([conv("ok")])),
            (zipfile.ZipInfo(name), b"[]"),
        ],
    )
    message = export_error(path)
    assert "export.zip" in message
    assert name in message or repr(name) in message
    assert "unsafe" in message


@pytest.mark.parametrize("name", ["conversations.json", "textdocs/link"])
def test_symlink_entries_are_refused(tmp_path: Path, name: str) -> None:
    link = zipfile.ZipInfo(name)
    link.external_attr = 0o120777 << 16
    entries: list[tuple[str | zipfile.ZipInfo, bytes | str]] = [(link, "/home/alex/.ssh/id_rsa")]
    if name != "conversations.json":
        entries.insert(0, ("conversations.json", dumps([conv("ok")])))
    path = make_zip(tmp_path / "export.zip", entries)
    message = export_error(path)
    assert "export.zip" in message
    assert "symbolic link" in message
    assert name in message


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("dalle-generations/bomb.bin", b"\0" * (20 * 1024**2)),
        # A "valid" JSON array padded with 20 MB of spaces: parses, but inflates ~1000x.
        ("conversations.json", b"[" + b" " * (20 * 1024**2) + b"]"),
    ],
    ids=["zeros", "padded-json"],
)
def test_zip_bomb_is_refused_before_reading(tmp_path: Path, name: str, payload: bytes) -> None:
    entries: list[tuple[str | zipfile.ZipInfo, bytes | str]] = [(name, payload)]
    if name != "conversations.json":
        entries.insert(0, ("conversations.json", dumps([conv("ok")])))
    path = make_zip(tmp_path / "export.zip", entries)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
        assert info.file_size / info.compress_size > 250  # the premise: a real bomb-like ratio
    message = export_error(path, iterate=False)
    assert "export.zip" in message
    assert name in message
    assert "zip bomb" in message


def test_ordinary_compressible_export_is_not_mistaken_for_a_bomb(tmp_path: Path) -> None:
    data = _big_array(800)
    path = make_zip(tmp_path / "export.zip", {"conversations.json": data})
    assert len(read_ids(path)) == 800


# -- fingerprint -----------------------------------------------------------------------------------------


def test_fingerprint_is_stable_for_the_same_zip(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "export.zip", {"conversations.json": dumps([conv("a"), conv("b")])})
    copy = tmp_path / "copy-of-export.zip"
    shutil.copyfile(path, copy)
    with Export(path) as one, Export(path) as two, Export(copy) as three:
        assert one.fingerprint() == two.fingerprint() == three.fingerprint()
        assert one.fingerprint() == one.fingerprint()


def test_fingerprint_changes_when_a_conversation_changes(tmp_path: Path) -> None:
    before = make_zip(tmp_path / "before.zip", {"conversations.json": dumps([conv("a", text="first version")])})
    after = make_zip(tmp_path / "after.zip", {"conversations.json": dumps([conv("a", text="second version")])})
    with Export(before) as one, Export(after) as two:
        assert one.fingerprint() != two.fingerprint()


def test_fingerprint_changes_when_a_split_file_changes(tmp_path: Path) -> None:
    first = dumps([conv("a")])
    before = make_zip(
        tmp_path / "before.zip", {"conversations-000.json": first, "conversations-001.json": dumps([conv("b")])}
    )
    after = make_zip(
        tmp_path / "after.zip",
        {"conversations-000.json": first, "conversations-001.json": dumps([conv("b"), conv("c")])},
    )
    with Export(before) as one, Export(after) as two:
        assert one.fingerprint() != two.fingerprint()


def test_fingerprint_of_bare_json(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_bytes(dumps([conv("a", text="first version")]))
    with Export(path) as export:
        first = export.fingerprint()
    with Export(path) as export:
        assert export.fingerprint() == first
    path.write_bytes(dumps([conv("a", text="second version")]))
    with Export(path) as export:
        assert export.fingerprint() != first


def test_fingerprint_of_folder(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "conversations-000.json").write_bytes(dumps([conv("a")]))
    (folder / "conversations-001.json").write_bytes(dumps([conv("b")]))
    with Export(folder) as export:
        first = export.fingerprint()
    with Export(folder) as export:
        assert export.fingerprint() == first
    (folder / "conversations-001.json").write_bytes(dumps([conv("b", text="edited later")]))
    with Export(folder) as export:
        assert export.fingerprint() != first


# -- passing over what is known ----------------------------------------------------------------------------


def keys_of(path: Path) -> KnownElements:
    with Export(path) as export:
        return KnownElements(e.key for e in export.elements() if e.key is not None)


def test_an_element_known_byte_for_byte_is_passed_over_and_every_other_one_parsed(tmp_path: Path) -> None:
    first = [conv(f"c{i}", text=f"message {i} " + "lorem ipsum " * 40) for i in range(6)]
    known = keys_of(make_zip(tmp_path / "first.zip", {"conversations.json": dumps(first)}))
    edited = json.loads(json.dumps(first[2]))
    edited["mapping"]["c2-u"]["message"]["content"]["parts"] = ["message 2 lorem ipsum, one letter changed"]
    newer = [conv("fresh"), first[5], first[0], edited, first[1], first[3], first[4]]
    path = make_zip(tmp_path / "newer.zip", {"conversations.json": dumps(newer)})
    with Export(path) as export:
        read = list(export.elements(known=known))
    assert [e.value is KNOWN for e in read] == [False, True, True, False, True, True, True]
    assert [e.value for e in read if e.value is not KNOWN] == [conv("fresh"), edited]
    with Export(path) as export:  # and without known elements, everything is parsed
        assert list(export.conversations()) == newer


def test_elements_starting_alike_are_told_apart_by_their_digest(tmp_path: Path) -> None:
    # The same first few hundred bytes (a long shared title first), different lengths and contents.
    title = "Summarise this meeting transcript for me please " * 8
    first = [{"title": title, **conv(f"c{i}", text="x" * i)} for i in range(1, 5)]
    known = keys_of(make_zip(tmp_path / "first.zip", {"conversations.json": dumps(first)}))
    changed = {**first[1], "mapping": {}}
    newer = [first[3], changed, first[0], first[2]]
    path = make_zip(tmp_path / "newer.zip", {"conversations.json": dumps(newer)})
    with Export(path) as export:
        read = list(export.elements(known=known))
    assert [e.value is KNOWN for e in read] == [True, False, True, True]
    assert read[1].value == changed


def test_damage_after_known_elements_is_still_an_error(tmp_path: Path) -> None:
    first = [conv(f"c{i}", text="lorem ipsum " * 40) for i in range(4)]
    data = dumps(first)
    known = keys_of(make_zip(tmp_path / "first.zip", {"conversations.json": data}))
    for broken, problem in [(data[:-1], "truncated"), (data[:-1] + b", {id: 1}]", "invalid JSON")]:
        path = make_zip(tmp_path / "broken.zip", {"conversations.json": broken})
        with pytest.raises(ExportError, match=problem), Export(path) as export:
            list(export.elements(known=known))


def test_escapes_that_look_like_half_an_emoji_but_are_not(tmp_path: Path) -> None:
    # a whole emoji escaped as its two halves, and the letters of an escape written out after a backslash
    path = tmp_path / "conversations.json"
    path.write_bytes(b'[{"id": "e", "title": "\\ud83c\\udf31 and \\\\udc00 and \\\\\\ud83d\\ude00", "mapping": {}}]')
    with Export(path) as export:
        (got,) = list(export.conversations())
    assert got["title"] == "\U0001f331 and \\udc00 and \\\U0001f600"
    path.write_bytes(b'[{"id": "e", "title": "\\\\\\udc00", "mapping": {}}]')  # a backslash, then a real half
    assert "invalid text" in export_error(path)


@pytest.mark.parametrize("size", [1, 3, 4096])
def test_the_depth_guard_in_pieces_near_the_limit(size: int) -> None:
    """Fed a little at a time, the guard still lets exactly MAX_DEPTH levels through and refuses one more."""
    for depth, refused in [(MAX_DEPTH - 1, False), (MAX_DEPTH, False), (MAX_DEPTH + 1, True)]:
        data = b'{"a": "[[" ,"b":' * (depth - 1) + b"{}" + b"}" * (depth - 1)
        guard = _DepthGuard("test")
        if refused:
            with pytest.raises(ExportError, match="nests more than"):
                for at in range(0, len(data), size):
                    guard.scan(data[at : at + size])
        else:
            for at in range(0, len(data), size):
                guard.scan(data[at : at + size])
            assert guard._depth == 0
