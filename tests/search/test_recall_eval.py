"""The recall evaluation's yardstick is sound: its labels name real conversations, every kind of query is
represented, and its corpus is the same on every run and goes through the real import path.

Not a score threshold: ``bench/recall.py`` prints the scores.
"""

from __future__ import annotations

import importlib
import sys
import zipfile
from collections import Counter
from pathlib import Path

from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store.history import HistoryStore
from sample import REPO

sys.path.insert(0, str(REPO))  # bench/ is not installed (as in store/test_killed_writers.py)
recall = importlib.import_module("bench.recall")
recall_corpus = importlib.import_module("bench.recall_corpus")

MIN_PER_KIND = 15


def test_every_accepted_conversation_exists_in_the_corpus() -> None:
    known = recall.corpus_ids()
    queries = recall.load_queries()
    assert all(q.accept for q in queries), [q.query for q in queries if not q.accept]
    unknown = {(q.query, cid) for q in queries for cid in q.accept if cid not in known}
    assert not unknown, unknown


def test_each_kind_has_enough_queries_and_no_other_kind_exists() -> None:
    counts = Counter(q.kind for q in recall.load_queries())
    assert set(counts) == set(recall.KINDS)
    assert min(counts.values()) >= MIN_PER_KIND, counts
    assert sum(counts.values()) >= 150


def test_no_query_is_asked_twice() -> None:
    normalized = Counter(" ".join(q.query.casefold().split()) for q in recall.load_queries())
    assert [q for q, n in normalized.items() if n > 1] == []


def test_the_corpus_is_written_byte_identical_every_time(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    recall_corpus.write_export(str(first))
    recall_corpus.write_export(str(second))
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        assert {"conversations.json", "user.json"} <= set(zf.namelist())


def test_the_corpus_imports_whole_and_keeps_tool_text_out_of_the_transcript(tmp_path: Path) -> None:
    export = tmp_path / "recall.zip"
    recall_corpus.write_export(str(export))
    store = HistoryStore(tmp_path / "data")
    try:
        report = import_export(store, export)
        assert (report.added, report.invalid) == (len(recall_corpus.CHATS), 0)
        # What the 'hidden' queries look for is in the raw tool calls, not in what ChatGPT shows.
        invoices = store.get_conversation(recall_corpus.conversation_id("invoice-pdf-tables"), limit=50)
        shown = "\n".join(m.text for m in invoices.messages)
        assert "line items" in shown and "fitz" not in shown
        letter = store.get_conversation(recall_corpus.conversation_id("deposit-letter-canvas"), limit=50)
        # The canvas is shown as a document of its own, rebuilt from the hidden call; no other message spells it.
        assert "Okonkwo" not in "\n".join(m.text for m in letter.messages if m.kind != "canvas")
        assert "Okonkwo" in next(m.text for m in letter.messages if m.kind == "canvas")
    finally:
        store.close()
