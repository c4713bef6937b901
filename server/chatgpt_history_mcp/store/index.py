"""The full-text index. Every Whoosh call in the project lives in this module.

Design, for speed at 10k+ conversations:
- One document per conversation, one field per role (title, user, assistant, tool). Search returns
  conversations directly (grouped by construction) and touches ~15× fewer postings than one document per
  message; which messages matched is worked out afterwards for the page shown only.
- Fields index pre-analyzed term positions (:func:`analysis.index_terms`) instead of running Whoosh's
  token-object pipeline: the same positions, a fraction of the Python work.
- Nothing large is stored in the index: text lives in the archive.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import queue
import shutil
import sys
import threading
import time
from array import array
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import fields, formats, index, query
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter
from whoosh.filedb.filestore import FileStorage
from whoosh.scoring import BM25F, WeightLengthScorer
from whoosh.writing import PostingPool, SegmentWriter

from chatgpt_history_mcp.store.analysis import index_terms
from chatgpt_history_mcp.store.query import Query, Unit

log = logging.getLogger(__name__)

#: Bumped when the schema or analysis changes: an index of another version is rebuilt from the archive.
INDEX_VERSION = 5  # 4: secrets masked before indexing; 5: only literal secrets masked (references, placeholders stay)
ROLE_FIELDS = {"user": "user", "assistant": "assistant", "tool": "tool", "system": "tool"}
_FIELD_BOOSTS = {"title": 3.0, "user": 1.0, "assistant": 1.0, "tool": 0.5}
#: Tries to open the index while another process's commits replace its table of contents.
_OPEN_ATTEMPTS = 20
#: Most terms a prefix expands to; the most frequent are kept.
MAX_PREFIX_TERMS = 16
_PREFIX_SCAN_LIMIT = 5000


class _PositionsTokenizer(Tokenizer):
    """Whoosh-facing view of :func:`index_terms`, for any Whoosh code that analyzes text itself."""

    def __call__(self, value: Any, positions: bool = False, chars: bool = False, **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, **kwargs)
        texts = value if isinstance(value, list | tuple) else [value]
        for term, poslist in index_terms(texts).items():
            for pos in poslist:
                token.text = term
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = pos
                yield token


_U32 = "I" if array("I").itemsize == 4 else "L"


class _ArrayPositions(formats.Positions):
    """Positions stored as a raw uint32 array: encoded and decoded in C, no per-position Python work."""

    def encode(self, poslist: Any) -> bytes:
        return array(_U32, poslist).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return array(_U32, valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost

    def combine(self, vs: Iterable[bytes]) -> bytes:
        merged: set[int] = set()
        for v in vs:
            merged.update(self.decode_positions(v))
        return self.encode(sorted(merged))


class _TermsField(fields.TEXT):
    """A text field fed a list of texts (one per message), indexed with our analysis in one pass."""

    def __init__(self, field_boost: float = 1.0) -> None:
        super().__init__(analyzer=_PositionsTokenizer(), phrase=True, field_boost=field_boost)  # type: ignore[arg-type]
        self.format = _ArrayPositions(field_boost=field_boost)

    def index(self, value: Any, **kwargs: Any) -> Generator[tuple[bytes, int, float | int, bytes], Any, None]:
        texts = value if isinstance(value, list | tuple) else [value]
        for term, poslist in index_terms(texts).items():
            freq = len(poslist)
            yield term.encode("utf-8"), freq, float(freq), array(_U32, poslist).tobytes()


class _LeanPool(PostingPool):
    """Whoosh's posting pool with a cheaper size estimate (this runs once per posting)."""

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        self.current.append(item)
        self.currentsize += 120 + len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()


class _CachedLengths:
    """Field lengths of a new segment, read once per field instead of once per posting."""

    def __init__(self, reader: Any, doc_count: int) -> None:
        self._reader = reader
        self._count = doc_count

    def doc_field_length_reader(self, fieldname: str) -> Any:
        get = self._reader.doc_field_length_reader(fieldname)
        return [get(d) for d in range(self._count)].__getitem__

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        return int(self._reader.doc_field_length(docnum, fieldname, default))


class _LeanPostingsWriter(W3PostingsWriter):
    """W3's postings writer without its per-posting type assertions (our callers pass the right types):
    the assertions were a tenth of indexing time. Same on-disk format."""

    def add_posting(self, id_: int, weight: float, vbytes: bytes, length: int | None = None) -> None:
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length


class _LeanCodec(W3Codec):
    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _LeanPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


#: Postings blocks are left uncompressed: zlib was a sixth of import time, and reads skip inflating.
_CODEC = _LeanCodec(compression=0)
#: Pool size (Whoosh's estimate, MB) at which a worker seals its segment and starts a new one: bounds memory.
SEGMENT_POOL_MB = 128
#: Conversations per message sent to an index worker.
_WORKER_BATCH = 64


class _BulkWriter(SegmentWriter):
    """A SegmentWriter tuned for bulk imports (see the module docstring). Whoosh internals it relies on
    are pinned by the exact ``whoosh3`` version and covered by the store tests."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compound", False)
        kwargs.setdefault("codec", _CODEC)
        super().__init__(ix, **kwargs)
        self.pool = _LeanPool(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader()
        try:
            lengths = _CachedLengths(reader, self.docnum)
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        finally:
            reader.close()
        self.fieldwriter.close()


def _schema() -> fields.Schema:
    return fields.Schema(
        conversation_id=fields.ID(stored=True, unique=True),
        title=_TermsField(),
        user=_TermsField(),
        assistant=_TermsField(),
        tool=_TermsField(),
        project=fields.ID(),
        model=fields.ID(),
        create_time=fields.NUMERIC(numtype=int, bits=64, signed=False),
        update_time=fields.NUMERIC(numtype=int, bits=64, signed=False),
    )


@dataclass(frozen=True)
class IndexDocument:
    """What the index needs of a conversation: its visible text by role, and the filterable facts."""

    conversation_id: str
    title: str
    texts: dict[str, list[str]]
    project_id: str | None
    models: Sequence[str]
    create_time: float | None
    update_time: float | None


@dataclass(frozen=True)
class Filters:
    roles: frozenset[str] | None = None
    after: float | None = None
    before: float | None = None
    project: str | None = None
    model: str | None = None


class _CachedBM25F(BM25F):
    """BM25F reading field lengths from a per-segment in-memory list instead of the on-disk column:
    the column read was a quarter of query time."""

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        scorer = super().scorer(searcher, fieldname, text, qf)
        if isinstance(scorer, WeightLengthScorer):
            scorer.dfl = _field_lengths(searcher.reader(), fieldname).__getitem__  # type: ignore[attr-defined]
        return scorer


def _field_lengths(reader: Any, fieldname: str) -> list[int]:
    cache: dict[str, list[int]] = reader.__dict__.setdefault("_chm_lengths", {})
    lengths = cache.get(fieldname)
    if lengths is None:
        get = reader.doc_field_length
        lengths = cache[fieldname] = [get(d, fieldname, 1) for d in range(reader.doc_count_all())]
    return lengths


def _union(clauses: list[query.Query], scale: float | None = None) -> query.Query:
    """OR of ``clauses`` as a tree of union matchers, which can skip blocks that cannot reach the top hits
    (Whoosh's automatic choice preloads every posting on small segments)."""
    if len(clauses) == 1:
        return clauses[0]
    union = query.Or(clauses, scale=scale)
    union.matcher_type = query.Or.DEFAULT_MATCHER  # type: ignore[misc]
    return union


class IndexBroken(RuntimeError):
    """The index cannot be opened (another version, or damaged); rebuild it from the archive."""


class SearchIndex:
    """The Whoosh index under ``path``: one writer at a time, searches from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._searcher: Any = None
        self._ix = self._open()

    def _open(self) -> index.Index:
        # A writer in another process publishes each commit as a new table of contents and deletes the old
        # one: opening in between finds a file gone. That is a race to retry, not a broken index to rebuild.
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                return self._open_once()
            except IndexBroken as exc:
                gone = exc.__cause__
                toc = isinstance(gone, FileNotFoundError) and str(gone.filename or "").endswith(".toc")
                if not toc or attempt + 1 == _OPEN_ATTEMPTS:
                    raise
                time.sleep(0.05)
        raise AssertionError("unreachable")  # pragma: no cover

    def _open_once(self) -> index.Index:
        self.path.mkdir(parents=True, exist_ok=True)
        storage = FileStorage(str(self.path))
        marker = self.path / "VERSION"
        try:
            exists = index.exists_in(str(self.path))
        except Exception as exc:  # a torn or foreign table of contents
            raise IndexBroken(str(exc)) from exc
        if exists:
            try:
                if marker.read_text().strip() != str(INDEX_VERSION):
                    raise IndexBroken(f"index version {marker.read_text().strip()!r} != {INDEX_VERSION}")
                return storage.open_index()
            except Exception as exc:  # pickled schema of another version, torn files…
                raise IndexBroken(str(exc)) from exc
        ix = storage.create_index(_schema())
        marker.write_text(str(INDEX_VERSION))
        return ix

    @classmethod
    def recreate(cls, path: Path) -> SearchIndex:
        """Drop whatever is at ``path`` and start an empty index (the archive is the source of truth)."""
        shutil.rmtree(path, ignore_errors=True)
        return cls(path)

    # -- writing -------------------------------------------------------------------------------------

    def writer(self, parallel_after: int | None = None) -> IndexBatch:
        """Open a write. With ``parallel_after``, once that many documents are in, the rest go to worker
        processes that build segments in parallel with the caller: worth it only for large writes."""
        writer = _BulkWriter(self._ix, limitmb=256, timeout=30.0, delay=0.25)
        return IndexBatch(writer, self.path, parallel_after)

    # -- reading -------------------------------------------------------------------------------------

    def doc_count(self) -> int:
        return int(self._ix.doc_count())

    def _current_searcher(self) -> Any:
        # A new searcher whenever a commit happened: Whoosh's refresh() reuses segment readers together with
        # their old deletion lists (updated conversations would still match by their old words).
        if self._searcher is not None and not self._searcher.up_to_date():
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            self._searcher = self._ix.searcher(weighting=_CachedBM25F(B=0.6, K1=1.2))
        return self._searcher

    def search(self, q: Query, filters: Filters, limit: int, offset: int = 0) -> tuple[list[tuple[str, float]], bool]:
        """The ``limit`` best conversations after ``offset``, and whether more follow.

        Conversations matching every word come first, then those matching some: the conjunction is cheap
        (driven by the rarest word), so when it fills the page the full ranked union never runs.
        """
        wanted = offset + limit + 1
        with self._lock:
            searcher = self._current_searcher()
            allowed = self._filter(filters)
            hits: list[tuple[str, float]] = []
            if len(q.should) > 1:
                strict = self._build(searcher, q, filters, every_word=True)
                if strict is not None:
                    hits = self._run(searcher, strict, wanted, allowed)
            if len(hits) < wanted:
                loose = self._build(searcher, q, filters, every_word=False)
                if loose is not None:
                    seen = {cid for cid, _ in hits}
                    more = self._run(searcher, loose, wanted + len(hits), allowed)
                    hits += [(cid, score) for cid, score in more if cid not in seen]
        return hits[offset : offset + limit], len(hits) > offset + limit

    @staticmethod
    def _run(searcher: Any, q: query.Query, limit: int, allowed: query.Query | None) -> list[tuple[str, float]]:
        hits: list[tuple[str, float]] = []
        seen: set[str] = set()
        for hit in searcher.search(q, limit=limit, filter=allowed):
            cid = hit["conversation_id"]
            if cid not in seen:
                seen.add(cid)
                hits.append((cid, float(hit.score or 0.0)))
        return hits

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._ix.close()

    # -- query building ------------------------------------------------------------------------------

    def _fields(self, filters: Filters) -> list[tuple[str, float]]:
        if filters.roles:
            names = sorted({ROLE_FIELDS[r] for r in filters.roles if r in ROLE_FIELDS})
            return [(name, 1.0) for name in names]
        return list(_FIELD_BOOSTS.items())

    def _unit(self, searcher: Any, unit: Unit, fieldlist: list[tuple[str, float]]) -> query.Query | None:
        clauses: list[query.Query] = []
        for name, boost in fieldlist:
            if unit.kind == "prefix":
                terms = self._expand_prefix(searcher, name, unit.alternatives[0][0])
                clauses.extend(query.Term(name, t, boost=boost) for t in terms)
                continue
            # A compound's first alternative is its joined whole form, which the index holds for every
            # spelling (parse_config, parseConfig…): one cheap term instead of a phrase over its parts.
            alternatives = unit.alternatives[:1] if unit.kind == "word" else unit.alternatives
            for alt in alternatives:
                if len(alt) == 1:
                    clauses.append(query.Term(name, alt[0], boost=boost))
                else:
                    clauses.append(query.Phrase(name, list(alt), boost=boost))
        return _union(clauses) if clauses else None

    def _expand_prefix(self, searcher: Any, fieldname: str, prefix: str) -> list[str]:
        """The terms ``prefix*`` stands for: the shortest ones (word forms such as deploy, deployed,
        deployment before long joined identifiers), at most :data:`MAX_PREFIX_TERMS`. Choosing by length
        needs no posting lookups; ranking by document frequency cost more than the search itself."""
        found: list[str] = []
        for i, term in enumerate(searcher.reader().expand_prefix(fieldname, prefix)):
            if i >= _PREFIX_SCAN_LIMIT:
                break
            found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
        found.sort(key=lambda t: (len(t), t))
        return found[:MAX_PREFIX_TERMS]

    def _build(self, searcher: Any, q: Query, filters: Filters, every_word: bool) -> query.Query | None:
        """The Whoosh query for ``q``; ``every_word`` makes the ranked words required too."""
        fieldlist = self._fields(filters)
        if not fieldlist:
            return None
        must: list[query.Query] = []
        for unit in q.must + (q.should if every_word else ()):
            clause = self._unit(searcher, unit, fieldlist)
            if clause is None:
                return None  # a required word that cannot match anything
            must.append(clause)
        optional = () if every_word else q.should
        should = [s for s in (self._unit(searcher, u, fieldlist) for u in optional) if s is not None]
        result: query.Query
        if must:
            required = must[0] if len(must) == 1 else query.And(must)
            result = query.AndMaybe(required, _union(should)) if should else required
        elif should:
            result = _union(should, scale=0.9)
        else:
            return None
        excluded = [x for x in (self._unit(searcher, u, list(_FIELD_BOOSTS.items())) for u in q.must_not) if x]
        if excluded:
            result = query.AndNot(result, query.Or(excluded))
        return result

    @staticmethod
    def _filter(filters: Filters) -> query.Query | None:
        clauses: list[query.Query] = []
        if filters.project:
            clauses.append(query.Term("project", filters.project))
        if filters.model:
            clauses.append(query.Term("model", filters.model))
        if filters.after is not None:
            clauses.append(query.NumericRange("update_time", int(filters.after), None))
        if filters.before is not None:
            clauses.append(query.NumericRange("create_time", 1, int(filters.before)))
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else query.And(clauses)


def _fields(doc: IndexDocument) -> dict[str, Any]:
    fields_: dict[str, Any] = {"conversation_id": doc.conversation_id, "title": [doc.title]}
    for name in ("user", "assistant", "tool"):
        texts = doc.texts.get(name)
        if texts:
            fields_[name] = texts
    if doc.project_id:
        fields_["project"] = doc.project_id
    if doc.models:
        fields_["model"] = list(doc.models)
    fields_["create_time"] = int(doc.create_time or 0)
    fields_["update_time"] = int(doc.update_time or doc.create_time or 0)
    return fields_


class IndexBatch:
    """An open write to the index: nothing is visible until :meth:`commit`; :meth:`cancel` drops it all."""

    def __init__(self, writer: SegmentWriter, path: Path, parallel_after: int | None = None) -> None:
        self._writer = writer
        self._path = path
        self._parallel_after = parallel_after
        self._workers: _Workers | None = None
        self._buffer: list[dict[str, Any]] = []
        self.count = 0

    def put(self, doc: IndexDocument, replace: bool = True) -> None:
        """Add ``doc``; ``replace`` first deletes an indexed copy (skip it for ids known to be new: faster)."""
        if replace:
            self._writer.delete_by_term("conversation_id", doc.conversation_id)
        if self._workers is None and self._parallel_after is not None and self.count >= self._parallel_after:
            self._workers = _Workers(self._path)
        if self._workers is not None:
            self._buffer.append(_fields(doc))
            if len(self._buffer) >= _WORKER_BATCH:
                self._workers.send(self._buffer)
                self._buffer = []
        else:
            self._writer.add_document(**_fields(doc))
        self.count += 1

    def commit(self) -> None:
        if self._workers is None:
            self._writer.commit()
            return
        if self._buffer:
            self._workers.send(self._buffer)
            self._buffer = []
        try:
            segments = self._workers.finish()
        except BaseException:
            self._writer.cancel()
            raise
        # What MpWriter(multisegment=True) does: existing segments (with this write's deletions), then
        # the workers' new segments, published together by one TOC write.
        writer = self._writer
        final = writer._merge_segments(None, False, True)  # small segments merge into this writer's own
        if writer._added:
            final.append(writer._finalize_segment())
        else:
            writer._close_segment()
        final.extend(segments)
        writer._commit_toc(final)
        writer._finish()

    def cancel(self) -> None:
        if self._workers is not None:
            self._workers.terminate()
        self._writer.cancel()


class IndexWorkerFailed(RuntimeError):
    """An index worker process died; the batch is cancelled and the store left as it was."""


class _Workers:
    """Worker processes that turn conversations into sealed index segments, in parallel with the parser.

    Spawned (not forked): the server imports from a background thread, where fork is unsafe.
    """

    def __init__(self, path: Path, count: int = 2) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._jobs: Any = ctx.Queue(maxsize=count * 4)
        self._results: Any = ctx.Queue()
        self._procs = [
            ctx.Process(
                target=_segment_worker,
                args=(str(path), self._jobs, self._results, SEGMENT_POOL_MB),
                daemon=True,
                name=f"chatgpt-history-index-{i}",
            )
            for i in range(count)
        ]
        for proc in self._procs:
            proc.start()

    def send(self, batch: list[dict[str, Any]]) -> None:
        while True:
            try:
                self._jobs.put(batch, timeout=1.0)
                return
            except queue.Full:
                self._check_alive()

    def _check_alive(self) -> None:
        dead = [p for p in self._procs if p.exitcode not in (None, 0)]
        if dead:
            self.terminate()
            raise IndexWorkerFailed(f"an index worker exited with code {dead[0].exitcode}")

    def finish(self) -> list[Any]:
        for _ in self._procs:
            self._jobs.put(None)
        segments: list[Any] = []
        done = 0
        while done < len(self._procs):
            try:
                kind, value = self._results.get(timeout=1.0)
            except queue.Empty:
                self._check_alive()
                if all(p.exitcode is not None for p in self._procs) and self._results.empty():
                    raise IndexWorkerFailed("index workers exited without finishing") from None
                continue
            if kind == "segment":
                segments.append(value)
            elif kind == "done":
                done += 1
            else:
                self.terminate()
                raise IndexWorkerFailed(f"an index worker failed: {value}")
        for proc in self._procs:
            proc.join(timeout=30)
        return segments

    def terminate(self) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self._procs:
            proc.join(timeout=10)
        # Batches still queued for dead workers must not block this process's exit.
        self._jobs.cancel_join_thread()
        self._jobs.close()
        self._results.close()


def _seal(writer: _BulkWriter) -> Any:
    # Not _finish(): all writers share the index's temp folder, which the parent removes at commit.
    return writer._finalize_segment()


def _exit_with_parent() -> None:
    """End this worker as soon as the importing process dies (killed, crashed): a worker may be blocked
    reading a batch the parent was cut off writing, so polling the queue is not enough."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _segment_worker(path: str, jobs: Any, results: Any, pool_mb: int) -> None:
    """Worker process body: index what arrives, seal a segment whenever the pool grows past ``pool_mb``."""
    # The parent may be a stdio MCP server whose stdout is the protocol stream: never write there.
    sys.stdout = sys.stderr
    _exit_with_parent()
    try:
        ix = FileStorage(path).open_index()
        writer: _BulkWriter | None = None
        limit = pool_mb * 1024 * 1024
        while (batch := jobs.get()) is not None:
            for fields_ in batch:
                if writer is None:
                    writer = _BulkWriter(ix, _lk=False, limitmb=pool_mb * 2)
                writer.add_document(**fields_)
            if writer is not None and writer.pool.currentsize > limit:
                results.put(("segment", _seal(writer)))
                writer = None
        if writer is not None:
            results.put(("segment", _seal(writer)))
        results.put(("done", None))
    except BaseException as exc:  # reported to the parent, which cancels the whole batch
        results.put(("error", f"{type(exc).__name__}: {exc}"))
