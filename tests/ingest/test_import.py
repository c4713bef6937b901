"""Importing: idempotent, incremental, newest-wins, all-or-nothing, self-repairing, parallel, locked."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp.errors import ExportError, StoreBusy
from chatgpt_history_mcp.export.normalize import normalize_conversation
from chatgpt_history_mcp.ingest import exports as importer
from chatgpt_history_mcp.ingest.conversations import change_key, write_conversations
from chatgpt_history_mcp.ingest.exports import import_all, import_export
from chatgpt_history_mcp.search.index import INDEX_VERSION
from chatgpt_history_mcp.store.history import HistoryStore
from chatgpt_history_mcp.store.locking import WriteLock

DAY = 86_400.0
T0 = 1_714_521_600.0  # 2024-05-01


def ids(store: HistoryStore, query: str, **kwargs: Any) -> list[str]:
    return [r.conversation_id for r in store.search(query, limit=50, **kwargs).results]


def peek(store: HistoryStore, query: str) -> list[str]:
    """Search through a second store object on the same data dir (so ``store`` keeps no searcher open)."""
    other = HistoryStore(store.data_dir)
    try:
        return ids(other, query)
    finally:
        other.close()


def snapshot(store: HistoryStore) -> dict[str, Any]:
    """What a person can observe of a store: listing, a few searches, status counts, and the files."""
    status = store.status()
    db = sqlite3.connect(store.data_dir / "archive.sqlite3")
    try:
        rows = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("conversations", "pending_index", "sources")
        }
        bodies = db.execute("SELECT id, change_key, update_time FROM conversations ORDER BY id").fetchall()
    finally:
        db.close()
    return {
        # as_of says when the last import was: an import of the same content still is one
        "listing": store.list_conversations(limit=200).model_dump(exclude={"as_of"}),
        "searches": {q: ids(store, q) for q in ("alpha", "bravo", "charlie", "delta", "zulu", "quebec", "common")},
        "counts": (status.conversations, status.messages, status.projects, status.indexed, status.pending_index),
        "sources": [(s.path, s.outcome, s.detail, s.conversations) for s in status.sources],
        "rows": rows,
        "bodies": bodies,
        "index_docs": store.index.doc_count(),
    }


@pytest.fixture
def five(build_conversation: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """Five conversations, one a week, each with its own marker word and a shared one."""
    words = ["alpha", "bravo", "charlie", "delta", "echo"]
    return [
        build_conversation(
            f"conv-{word}",
            [f"Tell me about {word}, a common word.", f"{word.capitalize()} is a code word."],
            title=f"About {word}",
            create_time=T0 + i * 7 * DAY,
        )
        for i, word in enumerate(words)
    ]


def newer_copy(build_conversation: Callable[..., dict[str, Any]], conv: dict[str, Any]) -> dict[str, Any]:
    """The same conversation a day later: its answer says something else now, and one more turn was added."""
    return build_conversation(
        conv["id"],
        [
            "Tell me about bravo, a common word.",
            "Quebec replaced the old answer entirely.",
            "And one more question about zulu?",
            "Zulu is the last letter of the alphabet.",
        ],
        title=conv["title"],
        create_time=conv["create_time"],
        update_time=conv["update_time"] + DAY,
    )


# -- idempotent and incremental ----------------------------------------------------------------------------


def test_reimporting_the_same_export_changes_nothing(
    make_store: Callable[..., HistoryStore], sample_export: Path
) -> None:
    store = make_store()
    first = import_export(store, sample_export)
    assert first.outcome == "imported" and first.added == 24
    before = snapshot(store)
    index_files = sorted(p.name for p in (store.data_dir / "index").iterdir())
    again = import_export(store, sample_export)
    assert again.outcome == "unchanged"
    assert (again.added, again.updated) == (0, 0)
    assert "nothing changed" in again.summary()
    after = snapshot(store)
    assert after == before
    assert after["index_docs"] == 24
    assert sorted(p.name for p in (store.data_dir / "index").iterdir()) == index_files  # no new index segment


def test_same_content_in_a_new_zip_is_all_unchanged(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    store = make_store()
    import_export(store, make_export(five))
    before = snapshot(store)
    # same conversations, written again in another order: not the same file, nothing new in it
    report = import_export(store, make_export(list(reversed(five))))
    assert report.outcome == "imported"
    assert (report.added, report.updated, report.unchanged, report.older) == (0, 0, 5, 0)
    after = snapshot(store)
    for key in ("listing", "searches", "counts", "bodies", "index_docs"):
        assert after[key] == before[key], key


def test_newer_export_updates_only_what_changed(
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
    five: list[dict[str, Any]],
) -> None:
    store = make_store()
    import_export(store, make_export(five))
    assert peek(store, "bravo") == ["conv-bravo"]
    assert "conv-bravo" in peek(store, "code")
    stored_before = {i.conversation_id: i for i in store.list_conversations().items}

    newer = [newer_copy(build_conversation, c) if c["id"] == "conv-bravo" else c for c in five]
    fresh = build_conversation("conv-foxtrot", ["What is foxtrot?", "A dance."], create_time=T0 + 60 * DAY)
    report = import_export(store, make_export([*newer, fresh]))

    assert report.outcome == "imported"
    assert (report.conversations, report.added, report.updated, report.unchanged) == (6, 1, 1, 4)
    assert report.older == 0 and report.invalid == 0
    assert "1 added, 1 updated, 4 unchanged" in report.summary()

    # the new words are found, the replaced answer's words are gone
    assert ids(store, "quebec") == ["conv-bravo"]
    assert ids(store, "zulu") == ["conv-bravo"]
    assert ids(store, "foxtrot") == ["conv-foxtrot"]
    assert "conv-bravo" not in ids(store, "code")  # "Bravo is a code word." was replaced
    assert set(ids(store, "code")) == {"conv-alpha", "conv-charlie", "conv-delta", "conv-echo"}
    assert store.index.doc_count() == 6 and store.status().indexed == 6

    page = store.get_conversation("conv-bravo")
    assert [m.text for m in page.messages][-1] == "Zulu is the last letter of the alphabet."
    assert page.total_messages == 4
    after = {i.conversation_id: i for i in store.list_conversations().items}
    assert after["conv-bravo"].update_time > stored_before["conv-bravo"].update_time
    assert after["conv-bravo"].message_count == 4
    for cid in ("conv-alpha", "conv-charlie", "conv-delta", "conv-echo"):
        assert after[cid] == stored_before[cid]
    assert store.list_conversations().total == 6


def test_older_copy_never_overwrites_a_newer_one(
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
    five: list[dict[str, Any]],
) -> None:
    store = make_store()
    newer = [newer_copy(build_conversation, c) if c["id"] == "conv-bravo" else c for c in five]
    import_export(store, make_export(newer, "new.zip"))
    before = snapshot(store)

    report = import_export(store, make_export(five, "old.zip"))
    assert report.outcome == "imported"
    assert (report.added, report.updated, report.unchanged, report.older) == (0, 0, 4, 1)
    assert "1 kept (stored copy is newer)" in report.summary()
    assert ids(store, "quebec") == ["conv-bravo"]
    assert "conv-bravo" not in ids(store, "code")
    after = snapshot(store)
    for key in ("listing", "searches", "counts", "bodies", "index_docs"):
        assert after[key] == before[key], key


def index_files(store: HistoryStore) -> list[str]:
    return sorted(p.name for p in (store.data_dir / "index").iterdir())


def edited_in_place(conv: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The same conversation with one message's words changed and nothing else: same nodes, same current node,
    same title, same ``update_time`` (ChatGPT does not always move it, and the cheap change key missed this)."""
    edited = json.loads(json.dumps(conv))
    for node in edited["mapping"].values():
        message = node["message"]
        if message is not None:
            message["content"]["parts"] = [p.replace(old, new) for p in message["content"]["parts"]]
    assert edited != conv and edited["update_time"] == conv["update_time"]
    return edited


def test_a_changed_message_is_found_even_when_update_time_stayed(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    store = make_store()
    import_export(store, make_export(five))
    assert change_key(five[2]) == change_key(edited_in_place(five[2], "code word", "secret sierra"))  # the premise

    newer = [edited_in_place(c, "code word", "secret sierra") if c["id"] == "conv-charlie" else c for c in five]
    report = import_export(store, make_export(newer))
    assert (report.added, report.updated, report.unchanged) == (0, 1, 4)
    assert ids(store, "sierra") == ["conv-charlie"]
    assert "conv-charlie" not in ids(store, "code")
    assert store.get_conversation("conv-charlie").messages[-1].text == "Charlie is a secret sierra."


def test_other_bytes_for_the_same_conversations_rewrite_nothing(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    """A newer export that writes the same conversations differently (a field the normalizer does not read,
    keys in another order, other spacing): nothing is rewritten or indexed again, and the export after it,
    read byte for byte the same, is still all unchanged."""
    store = make_store()
    import_export(store, make_export(five))
    before, files = snapshot(store), index_files(store)

    def rewritten(conv: dict[str, Any]) -> dict[str, Any]:
        conv = {**dict(reversed(list(conv.items()))), "voice": None, "memory_scope": "global_enabled"}
        for node in conv["mapping"].values():
            if node["message"] is not None:
                node["message"]["metadata"] = {**node["message"].get("metadata", {}), "new_export_field": [1, 2]}
        return conv

    layout = json.dumps([rewritten(json.loads(json.dumps(c))) for c in five], indent=1).encode()
    for _ in range(2):
        report = import_export(store, make_export(conversations_json=layout))
        assert report.outcome == "imported"
        assert (report.added, report.updated, report.unchanged, report.older) == (0, 0, 5, 0)
        after = snapshot(store)
        for key in ("listing", "searches", "counts", "index_docs"):
            assert after[key] == before[key], key
        assert index_files(store) == files  # no segment written, none deleted
        layout += b"\n"  # another file (not recognized by its fingerprint), the same conversations in it


def test_a_store_from_before_digests_is_read_fully_once_then_kept_up(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    """A store written by a version that kept only the cheap change key: its first newer export compares every
    conversation with the stored copy (an in-place edit is found), after which it re-imports like any other."""
    store = make_store()
    import_export(store, make_export(five))
    db = sqlite3.connect(store.data_dir / "archive.sqlite3")
    with db:
        for raw in five:
            db.execute("UPDATE conversations SET change_key = ? WHERE id = ?", (change_key(raw), raw["id"]))
    db.close()
    files = index_files(store)

    newer = [edited_in_place(c, "code word", "secret sierra") if c["id"] == "conv-delta" else c for c in five]
    report = import_export(store, make_export(newer))
    assert (report.added, report.updated, report.unchanged) == (0, 1, 4)
    assert ids(store, "sierra") == ["conv-delta"]
    assert set(ids(store, "code")) == {"conv-alpha", "conv-bravo", "conv-charlie", "conv-echo"}

    files = index_files(store)
    again = import_export(store, make_export(list(reversed(newer))))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert index_files(store) == files


def sha256_key(raw: dict[str, Any], element: bytes) -> str:
    """The change key the version before XXH3 stored for an element: its length and SHA-256 digests."""
    head, whole = hashlib.sha256(element[:256]).digest()[:8], hashlib.sha256(element).digest()[:16]
    return f"bytes:{len(element)}:{head.hex()}:{whole.hex()}#{change_key(raw)}"


def test_a_store_keyed_by_sha256_digests_compares_once_then_passes_over(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    """Keys of the SHA-256 digests an older version stored are never taken for keys of today's digests: the first
    newer export compares every conversation with its stored copy (an in-place edit is found, nothing else is
    rewritten), and stores today's keys, by which the next export passes over them."""
    store = make_store()

    def layout(conversations: list[dict[str, Any]]) -> tuple[list[bytes], bytes]:
        elements = [json.dumps(c).encode() for c in conversations]
        return elements, b"[" + b", ".join(elements) + b"]"

    elements, first = layout(five)
    import_export(store, make_export(conversations_json=first))
    db = sqlite3.connect(store.data_dir / "archive.sqlite3")
    with db:
        for raw, element in zip(five, elements, strict=True):
            db.execute("UPDATE conversations SET change_key = ? WHERE id = ?", (sha256_key(raw, element), raw["id"]))

    newer = [edited_in_place(c, "code word", "secret sierra") if c["id"] == "conv-delta" else c for c in five]
    _, second = layout(newer)
    report = import_export(store, make_export(conversations_json=second))
    assert (report.added, report.updated, report.unchanged, report.older) == (0, 1, 4, 0)
    assert ids(store, "sierra") == ["conv-delta"]
    assert set(ids(store, "code")) == {"conv-alpha", "conv-bravo", "conv-charlie", "conv-echo"}
    keys = [k for (k,) in db.execute("SELECT change_key FROM conversations")]
    db.close()
    assert len(keys) == 5 and all(k.startswith("bytes:xxh3:") for k in keys)  # renewed, the unchanged ones too

    files = index_files(store)
    again = import_export(store, make_export(conversations_json=second + b"\n"))  # another file, the same bytes
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert index_files(store) == files


def test_an_export_copy_the_same_as_a_synced_one_keeps_it(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    """A conversation a sync stored, then found the same in an export (under other bytes): kept as it is."""
    store = make_store()
    write_conversations(store, five[:2], "api")
    files = index_files(store)
    report = import_export(store, make_export([{**c, "voice": None} for c in five[:2]]))
    assert (report.added, report.updated, report.unchanged) == (0, 0, 2)
    assert index_files(store) == files
    assert {store.archive.get(c["id"]).source for c in five[:2]} == {"api"}  # type: ignore[union-attr]


# -- all or nothing ----------------------------------------------------------------------------------------


def truncated_json(conversations: list[dict[str, Any]], keep: int) -> bytes:
    """The JSON array with ``keep`` whole conversations, then cut halfway through the next one."""
    whole = json.dumps(conversations).encode()
    head = json.dumps(conversations[:keep]).encode()[:-1]  # without the closing bracket
    nxt = json.dumps(conversations[keep]).encode()
    assert whole.startswith(head)
    return head + b", " + nxt[: len(nxt) // 2]


def test_truncated_export_leaves_the_store_exactly_as_it_was(
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
    five: list[dict[str, Any]],
) -> None:
    store = make_store()
    import_export(store, make_export(five, "good.zip"))
    before = snapshot(store)
    generation = sorted(p.name for p in (store.data_dir / "index").glob("*.toc"))

    # valid first conversations (one of them a newer version, one new), then the JSON stops mid-object
    changed = [newer_copy(build_conversation, c) if c["id"] == "conv-bravo" else c for c in five]
    fresh = build_conversation("conv-foxtrot", ["What is foxtrot?", "A dance."])
    broken = make_export(name="cut.zip", conversations_json=truncated_json([fresh, *changed], keep=4))
    with pytest.raises(ExportError, match="truncated"):
        import_export(store, broken)

    after = snapshot(store)
    assert after == before
    assert ids(store, "foxtrot") == [] and ids(store, "quebec") == []
    assert ids(store, "bravo") == ["conv-bravo"]
    assert sorted(p.name for p in (store.data_dir / "index").glob("*.toc")) == generation  # nothing committed

    # the store is usable afterwards: the complete export imports normally
    report = import_export(store, make_export([fresh, *changed], "fixed.zip"))
    assert (report.added, report.updated) == (1, 1)
    assert ids(store, "foxtrot") == ["conv-foxtrot"]


def test_a_truncated_export_renews_no_key(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    """Conversations found the same under other bytes renew their stored key; an export cut short renews none."""
    store = make_store()
    import_export(store, make_export(five))
    before = snapshot(store)
    relaid = [{**c, "voice": None} for c in five]
    broken = make_export(conversations_json=truncated_json(relaid, keep=4))
    with pytest.raises(ExportError, match="truncated"):
        import_export(store, broken)
    assert snapshot(store) == before  # the change keys ("bodies") included


def test_truncated_export_into_an_empty_store_leaves_it_empty(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    store = make_store()
    with pytest.raises(ExportError):
        import_export(store, make_export(conversations_json=truncated_json(five, keep=3)))
    status = store.status()
    assert (status.conversations, status.indexed, status.pending_index, status.sources) == (0, 0, 0, [])
    assert store.list_conversations().total == 0
    assert ids(store, "common") == []


# -- repair ------------------------------------------------------------------------------------------------


def write_archive_only(store: HistoryStore, raw: dict[str, Any]) -> None:
    """What a crash between the archive commit and the index commit leaves behind."""
    conv = normalize_conversation(raw)
    with store.archive.transaction() as writer:
        writer.put(conv, change_key(raw))


def test_crash_between_archive_and_index_is_repaired_by_reindex_pending(
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
    five: list[dict[str, Any]],
) -> None:
    store = make_store()
    import_export(store, make_export(five))
    write_archive_only(store, build_conversation("crashed", ["Where is my kumquat?", "In the fridge."]))
    assert ids(store, "kumquat") == []  # in the archive, not yet in the index
    assert store.list_conversations().total == 6
    assert store.status().pending_index == 1
    assert store.reindex_pending() == 1
    assert ids(store, "kumquat") == ["crashed"]
    status = store.status()
    assert (status.conversations, status.indexed, status.pending_index) == (6, 6, 0)
    assert store.reindex_pending() == 0


def test_search_before_the_first_import_keeps_working_after_it(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    # The server answers while its first background import runs: a search on the still-empty index,
    # then the import commits, then the next search.
    store = make_store()
    assert ids(store, "common") == []
    import_export(store, make_export(five))
    assert len(ids(store, "common")) == 5


def test_search_sees_an_update_imported_after_an_earlier_search(
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
    five: list[dict[str, Any]],
) -> None:
    # A long-running server: it searched before a newer export was imported in the background.
    store = make_store()
    import_export(store, make_export(five))
    assert "conv-bravo" in ids(store, "code")
    newer = [newer_copy(build_conversation, c) if c["id"] == "conv-bravo" else c for c in five]
    assert import_export(store, make_export(newer)).updated == 1
    assert ids(store, "quebec") == ["conv-bravo"]
    assert "conv-bravo" not in ids(store, "code")  # the replaced answer's words are gone
    assert all(r.matches for r in store.search("code", limit=50).results)


def test_crash_is_repaired_when_the_store_is_opened_again(
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
    five: list[dict[str, Any]],
) -> None:
    store = make_store()
    import_export(store, make_export(five))
    # an update of an indexed conversation whose index write was lost
    write_archive_only(store, newer_copy(build_conversation, five[1]))
    assert "conv-bravo" in ids(store, "code")  # the index still has the old version
    store.close()

    reopened = make_store()
    assert import_all(reopened, []) == []
    assert reopened.import_state.last_error is None
    assert ids(reopened, "quebec") == ["conv-bravo"]
    assert "conv-bravo" not in ids(reopened, "code")
    status = reopened.status()
    assert (status.conversations, status.indexed, status.pending_index) == (5, 5, 0)


def test_pending_conversations_are_indexed_before_an_unchanged_reimport(
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
    five: list[dict[str, Any]],
) -> None:
    store = make_store()
    export = make_export(five)
    import_export(store, export)
    write_archive_only(store, build_conversation("crashed", ["Where is my kumquat?", "In the fridge."]))
    assert import_export(store, export).outcome == "unchanged"
    assert ids(store, "kumquat") == ["crashed"]


def test_index_of_another_version_is_rebuilt_from_the_archive(
    make_store: Callable[..., HistoryStore], sample_export: Path
) -> None:
    store = make_store()
    import_export(store, sample_export)
    expected = {q: ids(store, q) for q in ("sourdough", "parse_config", "café", "커피", "tangerine")}
    store.close()
    (store.data_dir / "index" / "VERSION").write_text(str(INDEX_VERSION + 41))

    reopened = make_store()
    assert (reopened.data_dir / "index" / "VERSION").read_text().strip() == str(INDEX_VERSION)
    status = reopened.status()
    assert status.conversations == 24 and status.pending_index == 24
    assert status.indexed == 0  # the old index was dropped, not trusted
    assert reopened.reindex_pending() == 24
    assert {q: ids(reopened, q) for q in expected} == expected
    assert reopened.status().indexed == 24 and reopened.status().pending_index == 0


def test_a_rebuild_commits_in_chunks_and_reports_progress(
    make_store: Callable[..., HistoryStore], sample_export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search answers from each chunk as it lands (a 30k rebuild takes minutes), and status says how far."""
    from chatgpt_history_mcp.store import writing

    store = make_store()
    import_export(store, sample_export)
    store.close()
    (store.data_dir / "index" / "VERSION").write_text(str(INDEX_VERSION + 41))
    reopened = make_store()
    seen: list[tuple[int, int]] = []
    clear = reopened.archive.clear_pending

    def watched(ids: Any) -> None:  # the real method, observed: what status says after each chunk
        clear(ids)
        progress = reopened.status().importing.reindexing
        if progress is not None:
            seen.append((progress.done, progress.total))
        seen.append((reopened.status().indexed, len(ids)))

    monkeypatch.setattr(writing, "REINDEX_CHUNK", 5)
    monkeypatch.setattr(reopened.archive, "clear_pending", watched)
    with reopened.write_lock:
        assert reopened.reindex_pending() == 24
    indexed_after_each_chunk = [done for done, size in seen[1::2]]
    assert indexed_after_each_chunk == [5, 10, 15, 20, 24]  # visible to search chunk by chunk
    assert [p for p in seen[0::2]] == [(0, 24), (5, 24), (10, 24), (15, 24), (20, 24)]
    assert reopened.status().importing.reindexing is None


def test_a_deleted_index_folder_is_rebuilt_from_the_archive(
    make_store: Callable[..., HistoryStore], sample_export: Path
) -> None:
    import shutil

    store = make_store()
    import_export(store, sample_export)
    expected = ids(store, "sourdough")
    store.close()
    shutil.rmtree(store.data_dir / "index")

    reopened = make_store()
    assert reopened.status().pending_index == 24  # not an empty history: the archive still has everything
    assert reopened.reindex_pending() == 24
    assert ids(reopened, "sourdough") == expected


def test_a_broken_index_is_rebuilt_only_once_no_other_process_writes(
    make_store: Callable[..., HistoryStore], sample_export: Path
) -> None:
    """A reader must never drop an index a writer is using: the rebuild waits for the write lock."""
    import threading
    import time

    from chatgpt_history_mcp.store.locking import WriteLock

    store = make_store()
    import_export(store, sample_export)
    store.close()
    (store.data_dir / "index" / "VERSION").write_text(str(INDEX_VERSION + 41))
    writer = WriteLock(store.data_dir / "write.lock")
    writer.acquire()  # another process's import, say
    opened: list[HistoryStore] = []
    thread = threading.Thread(target=lambda: opened.append(make_store()))
    thread.start()
    time.sleep(0.5)
    assert not opened  # waiting, not rebuilding under the writer's feet
    assert (store.data_dir / "index" / "VERSION").read_text().strip() == str(INDEX_VERSION + 41)
    writer.release()
    thread.join(timeout=30)
    assert opened and opened[0].status().pending_index == 24


def test_damaged_index_is_rebuilt_from_the_archive(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    store = make_store()
    import_export(store, make_export(five))
    store.close()
    for toc in (store.data_dir / "index").glob("*.toc"):
        toc.write_bytes(b"garbage")

    reopened = make_store()
    import_all(reopened, [])
    assert set(ids(reopened, "common")) == {f"conv-{w}" for w in ("alpha", "bravo", "charlie", "delta", "echo")}


# -- parallel indexing -------------------------------------------------------------------------------------


def generated(build_conversation: Callable[..., dict[str, Any]], count: int) -> list[dict[str, Any]]:
    return [
        build_conversation(
            f"gen-{i:04d}",
            [f"Question {i}: explain item{i}x please, a generated question.", f"Answer {i}: item{i}x explained."],
            title=f"Generated {i}",
            create_time=T0 + i * 3600,
        )
        for i in range(count)
    ]


# 0: every conversation goes to the workers; 50: the first 50 are indexed in process, the rest by workers.
@pytest.mark.parametrize("parallel_after", [0, 50])
def test_parallel_workers_index_everything(
    monkeypatch: pytest.MonkeyPatch,
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
    parallel_after: int,
) -> None:
    monkeypatch.setattr(importer, "PARALLEL_AFTER", parallel_after)
    conversations = generated(build_conversation, 200)
    store = make_store()
    report = import_export(store, make_export(conversations))
    assert report.added == 200
    assert store.index.doc_count() == 200
    status = store.status()
    assert (status.conversations, status.indexed, status.pending_index) == (200, 200, 0)
    for i in (0, 63, 64, 127, 128, 199):  # both sides of the workers' batch boundaries
        assert ids(store, f"item{i}x") == [f"gen-{i:04d}"], i
    everything: set[str] = set()
    offset: int | None = 0
    while offset is not None:
        page = store.search("generated", limit=50, offset=offset)
        everything.update(r.conversation_id for r in page.results)
        offset = page.next_offset
    assert len(everything) == 200
    store.close()  # a searcher opened before an update has its own test above

    # a parallel re-import that updates one conversation replaces its document, nothing else
    changed = list(conversations)
    changed[5] = build_conversation(
        "gen-0005", ["Question 5 is now about walrus.", "Walruses are big."], update_time=T0 + 400 * DAY
    )
    store = make_store()
    report = import_export(store, make_export(changed))
    assert (report.updated, report.unchanged) == (1, 199)
    assert store.index.doc_count() == 200
    assert ids(store, "walrus") == ["gen-0005"]
    assert ids(store, "item5x") == []


# -- locking and odd exports -------------------------------------------------------------------------------


def test_store_busy_while_another_writer_holds_the_lock(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    store = make_store()
    export = make_export(five)
    other = WriteLock(store.data_dir / "write.lock")  # another process's lock on the same data dir
    with other:
        with pytest.raises(StoreBusy, match="another import"):
            import_export(store, export)
        assert store.status().conversations == 0 and ids(store, "common") == []
        reports = import_all(store, [export])
        assert reports == []
        assert store.import_state.last_error and "another import" in store.import_state.last_error
        assert store.import_state.running is False
    report = import_export(store, export)  # once released, the import goes through
    assert report.added == 5


def test_duplicate_ids_in_one_export_give_one_result(
    make_store: Callable[..., HistoryStore], make_export: Callable[..., Path], five: list[dict[str, Any]]
) -> None:
    store = make_store()
    report = import_export(store, make_export([*five, five[2], five[2]]))
    assert report.conversations == 7
    assert ids(store, "charlie") == ["conv-charlie"]
    assert len(ids(store, "common")) == 5
    assert store.list_conversations().total == 5


def test_duplicate_ids_with_different_versions_index_only_the_kept_one(
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
    five: list[dict[str, Any]],
) -> None:
    # An export listing a conversation twice (old copy first, then the edited one).
    store = make_store()
    import_export(store, make_export([*five, newer_copy(build_conversation, five[1])]))
    assert ids(store, "quebec") == ["conv-bravo"]
    # The kept version's answer no longer says "code word": search must not find it by the dropped copy's words.
    found = store.search("code", limit=50).results
    assert "conv-bravo" not in {r.conversation_id for r in found}
    assert all(r.matches for r in found)  # every result shows why it matched
    status = store.status()
    assert status.indexed == status.conversations == 5


def test_a_process_that_dies_between_the_archive_commit_and_the_index_publish_loses_nothing(
    make_store: Callable[..., HistoryStore], sample_export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one moment a kill leaves the two apart (the crash suites rarely land in it: one small file is
    written there): the archive holds the import, the index does not, and the next run catches up."""
    from chatgpt_history_mcp.search.index import IndexBatch

    class Killed(BaseException):  # not an Exception: nothing in the import may handle it, as with SIGKILL
        pass

    def killed(self: IndexBatch) -> None:
        raise Killed

    store = make_store()
    monkeypatch.setattr(IndexBatch, "publish", killed)
    with pytest.raises(Killed):
        import_export(store, sample_export)
    monkeypatch.undo()
    store.close()

    reopened = make_store()
    status = reopened.status()
    assert status.conversations == 24 and status.indexed == 0 and status.pending_index == 24
    assert import_export(reopened, sample_export).outcome == "unchanged"  # already imported: nothing re-read
    assert reopened.status().indexed == 24 and reopened.status().pending_index == 0
    assert ids(reopened, "sourdough")


# -- one conversation twice in one write -----------------------------------------------------------------------


@pytest.mark.parametrize("order", ["newest last", "newest first"])
def test_two_bodies_of_one_conversation_in_one_write_store_and_index_the_newest(
    make_store: Callable[..., HistoryStore], build_conversation: Callable[..., dict[str, Any]], order: str
) -> None:
    """A sync chunk or a sent turn may carry one conversation twice: archive and index must both hold the
    newest copy, and nothing may stay queued (it once left the archive with one and the index with the other)."""
    from chatgpt_history_mcp.ingest.conversations import write_conversations

    old = build_conversation("twice", ["Planning the persimmon harvest.", "Pick them in November."])
    new = build_conversation("twice", ["Planning the loquat harvest instead.", "Pick them in spring."])
    old["update_time"], new["update_time"] = 1_700_000_000.0, 1_700_000_500.0
    store = make_store()
    with store.write_lock:
        write_conversations(store, [old, new] if order == "newest last" else [new, old], "api")
    stored = store.archive.get("twice")
    assert stored is not None and "loquat" in stored.transcript()[0].text
    assert ids(store, "loquat") == ["twice"] and ids(store, "persimmon") == []
    status = store.status()
    assert (status.conversations, status.indexed, status.pending_index) == (1, 1, 0)


def test_one_conversation_twice_in_an_export_is_indexed_as_the_archive_holds_it(
    make_store: Callable[..., HistoryStore],
    make_export: Callable[..., Path],
    build_conversation: Callable[..., dict[str, Any]],
) -> None:
    """An export streams: the second copy is met after the first is in the index batch. The archive keeps the
    newer copy, the index is brought to it from the archive once the import commits, nothing stays queued."""
    old = build_conversation("twice", ["Planning the persimmon harvest.", "Pick them in November."])
    new = build_conversation("twice", ["Planning the loquat harvest instead.", "Pick them in spring."])
    old["update_time"], new["update_time"] = 1_700_000_000.0, 1_700_000_500.0
    store = make_store()
    import_export(store, make_export([old, new]))
    assert ids(store, "loquat") == ["twice"] and ids(store, "persimmon") == []
    status = store.status()
    assert (status.conversations, status.indexed, status.pending_index) == (1, 1, 0)
