"""The project's lean index writer writes what stock Whoosh writes: the same documents through
``_BulkWriter`` (in process and through worker processes) and through Whoosh's own ``SegmentWriter`` with
the stock ``W3Codec`` give the same terms, postings, positions, field lengths and columns, and the same ranked
answers. A Whoosh upgrade that changes what the lean writer relies on fails here, loudly."""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashWriter

from chatgpt_history_mcp.export.normalize import normalize_conversation
from chatgpt_history_mcp.export.reader import Export
from chatgpt_history_mcp.search.index import (
    Filters,
    IndexDocument,
    SearchIndex,
    _add_terms,
    _fields,
    index_schema,
)
from chatgpt_history_mcp.search.query import parse_query
from chatgpt_history_mcp.search.searchable import index_document
from sample import REPO

sys.path.insert(0, str(REPO))  # bench/ is not installed
recall_corpus = importlib.import_module("bench.recall_corpus")

QUERIES = [
    "sourdough starter",
    "docker image too big",
    "configuring proxy",
    '"LEFT JOIN"',
    "parse_config",
    "deploy*",
    "机器学习路线",
    "can you write that out again as a table",
    "python -django",
]


def _documents(tmp: Path, sample_export: Path) -> list[Any]:
    corpus = tmp / "corpus.zip"
    recall_corpus.write_export(str(corpus))
    docs = []
    for path in (sample_export, corpus):
        with Export(path) as export:
            docs.extend(index_document(normalize_conversation(raw, "export")) for raw in export.conversations())
    return docs


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory, sample_export: Path) -> Iterator[dict[str, SearchIndex]]:
    tmp = tmp_path_factory.mktemp("writers")
    docs = _documents(tmp, sample_export)
    built: dict[str, SearchIndex] = {}
    # Ours, in process and (past the first 20 documents) through worker processes.
    for name, parallel_after in (("lean", None), ("workers", 20)):
        ix = SearchIndex(tmp / name)
        batch = ix.writer(parallel_after=parallel_after)
        for doc in docs:
            batch.put(doc, replace=False)
        batch.commit()
        built[name] = ix
    # Stock Whoosh: its own SegmentWriter, pool and W3Codec (compressed blocks: the same logical postings).
    stock_path = tmp / "stock"
    SearchIndex(stock_path).close()  # the same schema and version marker
    stock = whoosh_index.open_dir(str(stock_path), schema=index_schema())
    writer = stock.writer(codec=W3Codec())
    for doc in docs:
        writer.add_document(**_fields(doc))
    writer.commit()
    stock.close()
    built["stock"] = SearchIndex(stock_path)
    yield built
    for ix in built.values():
        ix.close()


def _postings(ix: SearchIndex) -> dict[tuple[str, str], list[tuple[str, float, tuple[int, ...]]]]:
    """Every term's postings, by conversation id (document numbers differ between segment layouts)."""
    snapshot = ix._current_searcher()
    reader = snapshot.reader
    found: dict[tuple[str, str], list[tuple[str, float, tuple[int, ...]]]] = {}
    for fieldname in ("title", "user", "assistant", "tool", "hidden"):
        for term in reader.lexicon(fieldname):
            text = term.decode("utf-8")
            matcher = reader.postings(fieldname, text)
            rows = []
            while matcher.is_active():
                doc = matcher.id()
                rows.append((snapshot.conversation_id(doc), matcher.weight(), tuple(matcher.value_as("positions"))))
                matcher.next()
            found[(fieldname, text)] = sorted(rows)
    return found


def _blocks(ix: SearchIndex) -> dict[tuple[str, str], list[tuple[Any, ...]]]:
    """Each term's block statistics (last id, heaviest weight, shortest and longest field), of a one-segment
    index: what Whoosh's block skipping and length checks read."""
    snapshot = ix._current_searcher()
    (leaf, _), *others = snapshot.leaves
    assert not others
    found: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for fieldname in ("title", "user", "assistant", "tool", "hidden"):
        for term in leaf.lexicon(fieldname):
            matcher = leaf.postings(fieldname, term.decode("utf-8"))
            stats = []
            while matcher.is_active():
                stats.append(
                    (
                        matcher.block_max_id(),
                        round(matcher.block_max_weight(), 3),
                        matcher.block_min_length(),
                        matcher.block_max_length(),
                    )
                )
                if not isinstance(matcher, W3LeafMatcher):
                    break  # inlined postings: one block
                matcher._next_block()
            found[(fieldname, term.decode("utf-8"))] = stats
    return found


def _lengths(ix: SearchIndex) -> dict[tuple[str, str], float]:
    snapshot = ix._current_searcher()
    out: dict[tuple[str, str], float] = {}
    for fieldname in ("title", "user", "assistant", "tool", "hidden"):
        lengths = snapshot.lengths(fieldname)
        for doc in range(snapshot.size):
            out[(snapshot.conversation_id(doc), fieldname)] = float(lengths[doc])
    return out


def test_lean_writers_write_the_postings_stock_whoosh_writes(indexes: dict[str, SearchIndex]) -> None:
    stock = _postings(indexes["stock"])
    assert len(stock) > 5_000  # a real vocabulary: words, stems, identifiers, CJK bigrams
    assert any(term.startswith("~") for _, term in stock)
    for name in ("lean", "workers"):
        assert _postings(indexes[name]) == stock, name
        assert _lengths(indexes[name]) == _lengths(indexes["stock"]), name
    assert _blocks(indexes["lean"]) == _blocks(indexes["stock"])  # one segment each: the same blocks


def test_lean_writers_answer_every_query_as_stock_whoosh_does(indexes: dict[str, SearchIndex]) -> None:
    for query in QUERIES:
        parsed = parse_query(query)
        expected = indexes["stock"].search(parsed, Filters(), limit=10)
        assert expected.hits, query
        for name in ("lean", "workers"):
            got = indexes[name].search(parsed, Filters(), limit=10)
            assert [cid for cid, _ in got.hits] == [cid for cid, _ in expected.hits], (name, query)
            assert [round(s, 4) for _, s in got.hits] == [round(s, 4) for _, s in expected.hits], (name, query)


def test_date_columns_and_filters_agree(indexes: dict[str, SearchIndex]) -> None:
    parsed = parse_query("the")

    def found(name: str, filters: Filters) -> list[tuple[float, str]]:  # equal scores come in document order
        return sorted((round(s, 4), cid) for cid, s in indexes[name].search(parsed, filters, limit=500).hits)

    for filters in (Filters(after=1.7e9), Filters(before=1.7e9), Filters(roles=frozenset({"user"}))):
        expected = found("stock", filters)
        assert 0 < len(expected) < 90  # the filter filters
        for name in ("lean", "workers"):
            assert found(name, filters) == expected, name


def _doc(n: int, word: str) -> IndexDocument:
    return IndexDocument(f"conv-{n:03d}", f"Note {n}", {"user": [f"{word} number{n}"]}, None, (), 1e9 + n, 1e9 + n)


def test_replacing_documents_spread_over_segments_deletes_exactly_their_old_copies(tmp_path: Path) -> None:
    """Documents replaced in one batch, from every segment (the caller's, each worker's, one written by stock
    Whoosh, with one id twice): their old words no longer match, their new ones do, the others stay, and each is
    counted once."""
    ix = SearchIndex(tmp_path / "index")
    first = ix.writer(parallel_after=10)  # a segment of this process and one per worker
    for n in range(60):
        first.put(_doc(n, "alpha"), replace=False)
    first.commit()
    stock = ix._ix.writer(codec=W3Codec())
    for n in [*range(60, 70), 69]:
        stock.add_document(**_fields(_doc(n, "alpha")))
    stock.commit(merge=False)
    ix.close()
    ix = SearchIndex(tmp_path / "index")
    segments = ix._ix._segments()
    assert len(segments) >= 3
    assert ix.doc_count() == 71

    replaced = {0, 5, 15, 30, 45, 59, 60, 69}
    batch = ix.writer()
    for n in sorted(replaced):
        batch.put(_doc(n, "bravo"))
    batch.put(_doc(70, "bravo"))  # new: nothing to delete
    batch.commit()

    def found(word: str) -> set[int]:
        outcome = ix.search(parse_query(word), Filters(), limit=200)
        return {int(cid.removeprefix("conv-")) for cid, _ in outcome.hits}

    assert found("bravo") == replaced | {70}
    assert found("alpha") == set(range(70)) - replaced
    assert ix.doc_count() == 71
    ix.close()


def test_terms_added_at_once_make_the_file_whoosh_writes_a_term_at_a_time(tmp_path: Path) -> None:
    """The lean writer's batched terms table is byte for byte Whoosh's own (records, key positions, hash tables)."""
    fields_ = [
        [b"\x00\x00" + w.encode() for w in sorted(["alpha", "bravo", "caf\u00e9", "x" * 300])],
        [b"\x00\x01" + str(n).encode() for n in sorted(range(70_000), key=str)],  # positions past 16 bits
    ]
    written = []
    for name, batched in (("stock", False), ("batched", True)):
        storage = FileStorage(str(tmp_path))
        table = OrderedHashWriter(storage.create_file(name))
        for keys in fields_:
            values = [hashlib.sha256(k).digest()[: len(k) % 29] for k in keys]
            if batched:
                _add_terms(table, keys, values)
            else:
                for key, value in zip(keys, values, strict=True):
                    table.add(key, value)
        table.close()
        written.append((tmp_path / name).read_bytes())
    assert written[0] == written[1]
    table = OrderedHashWriter(FileStorage(str(tmp_path)).create_file("out-of-order"))
    table.add(b"\x00\x01m", b"")
    with pytest.raises(ValueError, match="Keys must increase"):  # as Whoosh refuses it
        _add_terms(table, [b"\x00\x00z"], [b""])
    table.close()
