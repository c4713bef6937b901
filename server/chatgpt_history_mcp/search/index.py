"""The full-text index. Every Whoosh call in the project lives in this module.

Design, for speed at 10k+ conversations:
- One document per conversation, one field per role (title, user, assistant, tool). Search returns
  conversations directly (grouped by construction) and touches ~15× fewer postings than one document per
  message; which messages matched is worked out afterwards for the page shown only.
- Fields index pre-analyzed term positions (:func:`analysis.index_terms`) instead of running Whoosh's
  token-object pipeline: the same positions, a fraction of the Python work.
- Nothing large is stored in the index: text lives in the archive.
- Searching reads posting lists as arrays (:class:`_Snapshot`) and ranks with :mod:`.ranking`; Whoosh's query
  objects and matcher trees are not used for search.
"""

from __future__ import annotations

import hashlib
import itertools
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
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from pickle import dumps
from struct import Struct
from typing import Any, NamedTuple

import numpy as np
from whoosh import fields, formats, index
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3PostingsWriter, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from chatgpt_history_mcp.search.analysis import index_terms
from chatgpt_history_mcp.search.morphology import DEFAULT_LANGUAGE
from chatgpt_history_mcp.search.query import Query
from chatgpt_history_mcp.search.ranking import rank

log = logging.getLogger(__name__)

#: Bumped when the schema or analysis changes: an index of another version is rebuilt from the archive.
INDEX_VERSION = 7  # 4: secrets masked before indexing; 5: stems, C++/C#, hidden tool text, time columns;
# 6: only literal secrets masked (references and placeholders stay searchable); 7: no project class pickled
# in the table of contents (6 named ``chatgpt_history_mcp.store.index``, a module that no longer exists)
ROLE_FIELDS = {"user": "user", "assistant": "assistant", "tool": "tool", "system": "tool"}
#: What the person saw or wrote that the transcript hides: code and queries sent to tools, canvas text.
HIDDEN_FIELD = "hidden"
_FIELD_BOOSTS = {"title": 3.0, "user": 1.0, "assistant": 1.0, "tool": 0.5, HIDDEN_FIELD: 0.4}
_PROSE_FIELDS = frozenset({"title", "user", "assistant"})
#: Tries to open the index while another process's commits replace its table of contents.
_OPEN_ATTEMPTS = 20
#: Most terms a prefix expands to; the most frequent are kept.
MAX_PREFIX_TERMS = 16
_PREFIX_SCAN_LIMIT = 5000


class FieldText(NamedTuple):
    """A text field's value: one text per message, and the language its words are stemmed in."""

    language: str | None
    texts: list[str]


def _analyze(value: Any) -> dict[str, list[int]]:
    if isinstance(value, FieldText):
        return index_terms(value.texts, value.language)
    return index_terms(value if isinstance(value, list) else [value])


class _PositionsTokenizer(Tokenizer):
    """Whoosh-facing view of :func:`index_terms`, for any Whoosh code that analyzes text itself."""

    def __call__(self, value: Any, positions: bool = False, chars: bool = False, **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, **kwargs)
        for term, poslist in _analyze(value).items():
            for pos in poslist:
                token.text = term
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = pos
                yield token


_U32 = "I" if array("I").itemsize == 4 else "L"
_POSITION_SIZE = array(_U32).itemsize


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


def pack(positions: list[int]) -> bytes:
    return array(_U32, positions).tobytes()


class _TermsField(fields.TEXT):
    """A text field fed a list of texts (one per message), indexed with our analysis in one pass."""

    def __init__(self, field_boost: float = 1.0) -> None:
        super().__init__(analyzer=_PositionsTokenizer(), phrase=True, field_boost=field_boost)  # type: ignore[arg-type]
        self.format = _ArrayPositions(field_boost=field_boost)

    def index(self, value: Any, **kwargs: Any) -> Generator[tuple[bytes, int, float | int, bytes], Any, None]:
        """Whoosh's indexing protocol, for stock Whoosh writers (:class:`_BulkWriter` inlines the same)."""
        for term, positions in _analyze(value).items():
            yield term.encode("utf-8"), len(positions), float(len(positions)), pack(positions)

    def __reduce__(self) -> tuple[Any, ...]:
        # Whoosh pickles the schema into every table of contents. The index is always opened with
        # :func:`index_schema` (the pickled copy is skipped), so a stock field stands in for this class there: the
        # index files name no project module, and moving or renaming this one cannot make an index unreadable.
        return (fields.TEXT, ())


class _SortedPostings(NamedTuple):
    """A field's postings in the order they are written: by term (bytes order), then by document."""

    terms: list[bytes]
    #: Postings per term, in ``terms`` order.
    counts: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    #: Where each posting's value starts in ``blob``, and its size in bytes.
    starts: np.ndarray
    sizes: np.ndarray
    blob: bytearray


class _FieldPostings:
    """One field's postings in arrival order, as columns (term number, document, weight, value size) and the
    values end to end: a document's postings are appended a column at a time, in C, not one Python step (or
    object) per posting; they are put in term order once, when the segment is written (:meth:`in_term_order`)."""

    def __init__(self) -> None:
        #: Each term's number, given on first sight.
        self.terms: defaultdict[bytes, int] = defaultdict(itertools.count().__next__)
        self.term_numbers = array(_U32)
        self.docs = array(_U32)
        self.weights = array("f")
        self.sizes = array(_U32)
        self.blob = bytearray()

    def add(self, tbytes: bytes, docnum: int, weight: float, vbytes: bytes | None) -> None:
        """One posting (a postings reader gives None for an empty value)."""
        self.term_numbers.append(self.terms[tbytes])
        self.docs.append(docnum)
        self.weights.append(weight)
        if vbytes:
            self.blob += vbytes
        self.sizes.append(len(vbytes or b""))

    def add_terms(self, docnum: int, analyzed: dict[str, list[int]]) -> int:
        """Add a document's terms and positions (:func:`analysis.index_terms`); returns the field's length."""
        self.term_numbers.extend(map(self.terms.__getitem__, map(str.encode, analyzed)))
        self.docs.extend(itertools.repeat(docnum, len(analyzed)))
        freqs = list(map(len, analyzed.values()))
        self.weights.extend(freqs)
        self.sizes.extend(map(_POSITION_SIZE.__mul__, freqs))
        self.blob += array(_U32, itertools.chain.from_iterable(analyzed.values()))  # what pack() gives each
        return sum(freqs)

    def in_term_order(self) -> _SortedPostings:
        names = sorted(self.terms)
        numbers = np.fromiter(map(self.terms.__getitem__, names), np.int64, len(names))
        rank = np.empty(len(names), dtype=np.uint64)
        rank[numbers] = np.arange(len(names), dtype=np.uint64)
        term_numbers = np.frombuffer(self.term_numbers, dtype=np.uint32)
        keys = rank[term_numbers]
        docs = np.frombuffer(self.docs, dtype=np.uint32)
        keys <<= np.uint64(32)
        keys |= docs
        order = np.argsort(keys)  # by term, then document (merged segments' postings arrive after later ones)
        del keys
        sizes = np.frombuffer(self.sizes, dtype=np.uint32)
        starts = np.cumsum(sizes, dtype=np.int64)
        starts -= sizes
        return _SortedPostings(
            names,
            np.bincount(term_numbers, minlength=len(names))[numbers],
            docs[order],
            np.frombuffer(self.weights, dtype=np.float32)[order],
            starts[order],
            sizes[order],
            self.blob,
        )


class _TermPostings:
    """The postings of a segment being written, by field (:class:`_FieldPostings`): no pool of one tuple per
    posting to sort at the end, and each field is written in one call (:meth:`_LeanPostingsWriter.write_field`).

    What Whoosh itself uses of a posting pool (``add``, ``cleanup``, ``currentsize``) stays, for what it feeds a
    writer: the postings of small segments merged into this one at commit."""

    def __init__(self) -> None:
        self.fields: dict[str, _FieldPostings] = {}
        self.currentsize = 0

    def field(self, fieldname: str) -> _FieldPostings:
        found = self.fields.get(fieldname)
        if found is None:
            found = self.fields[fieldname] = _FieldPostings()
        return found

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        self.field(fieldname).add(tbytes, docnum, weight, vbytes)
        self.currentsize += 60 + len(vbytes or b"")

    def cleanup(self) -> None:
        self.fields.clear()


class _LeanPostingsWriter(W3PostingsWriter):
    """W3's postings writer for a whole field at a time (:meth:`write_field`): the same blocks, statistics and
    term infos as Whoosh's calls per posting, with the statistics computed over arrays and Python work per block,
    not per posting. Same on-disk format, but for the pickle protocol of a block's data (see :data:`_BLOCK_PICKLE`).
    """

    def write_field(self, postings: _SortedPostings, lengths: np.ndarray, with_values: bool) -> list[bytes]:
        """Write a field's postings as W3 blocks; returns each term's info, as the terms table holds it.
        ``lengths`` are the field lengths of the postings' documents; ``with_values``, whether the field's format
        stores a value per posting (positions; ids and numbers store none).

        What ``start_postings``, ``add_posting`` per posting and ``finish_postings`` write for each term, for this
        codec: uncompressed blocks, at most ``blocklimit`` postings each, and nothing inlined (``inlinelimit=1``
        inlines only empty posting lists)."""
        counts, docs, weights = postings.counts, postings.docs, postings.weights
        limit = self._blocklimit
        term_ends = np.cumsum(counts)
        term_starts = term_ends - counts
        term_blocks = -(-counts // limit)
        first_blocks = np.cumsum(term_blocks) - term_blocks
        block_terms = np.repeat(np.arange(len(counts)), term_blocks)
        block_starts = term_starts[block_terms] + (np.arange(len(block_terms)) - first_blocks[block_terms]) * limit
        block_ends = np.minimum(block_starts + limit, term_ends[block_terms])
        # Per block: ids as deltas from the block's previous id (from 0 for its first), weights, field lengths.
        deltas = np.diff(docs, prepend=np.uint32(0))
        deltas[block_starts] = docs[block_starts]
        heaviest = np.maximum.reduceat(weights, block_starts).astype(np.float64)
        uneven = (heaviest != np.minimum.reduceat(weights, block_starts)).tolist()
        known = np.where(lengths > 0, lengths, _NO_LENGTH).astype(np.int32)
        block_heaviest = heaviest.tolist()
        block_info = [
            dumps(info, 2)
            for info in zip(
                (block_ends - block_starts).tolist(),
                docs[block_ends - 1].tolist(),
                block_heaviest,
                itertools.repeat(0),  # not compressed
                _length_bytes(np.minimum.reduceat(known, block_starts)).tolist(),
                _length_bytes(np.maximum.reduceat(lengths, block_starts)).tolist(),
                strict=False,
            )
        ]
        term_infos = [
            W3TermInfo._struct.pack(0, *stats)
            for stats in zip(
                np.add.reduceat(weights, term_starts, dtype=np.float64).tolist(),
                counts.tolist(),
                _length_bytes(np.minimum.reduceat(known, term_starts)).tolist(),
                _length_bytes(np.maximum.reduceat(lengths, term_starts)).tolist(),
                np.maximum.reduceat(weights, term_starts).astype(np.float64).tolist(),
                docs[term_starts].tolist(),
                docs[term_ends - 1].tolist(),
                strict=True,
            )
        ]
        view = memoryview(postings.blob)
        starts, ends, nblocks = block_starts.tolist(), block_ends.tolist(), term_blocks.tolist()
        postfile = self._postfile
        offset = postfile.tell()
        block = 0
        # Postings become Python objects a chunk of terms at a time, which bounds the memory this takes.
        cuts = [0, *np.searchsorted(term_ends, np.arange(_CHUNK, int(term_ends[-1]), _CHUNK), side="right").tolist()]
        for first, stop in itertools.pairwise(dict.fromkeys([*cuts, len(counts)])):
            low, high = int(term_starts[first]), int(term_ends[stop - 1])
            ids = deltas[low:high].tolist()
            weight_list = weights[low:high].astype(np.float64).tolist()
            if with_values:
                value_starts = postings.starts[low:high]
                value_ends = (value_starts + postings.sizes[low:high]).tolist()
                values = list(map(bytes, map(view.__getitem__, map(slice, value_starts.tolist(), value_ends))))
            parts: list[bytes] = []
            for term in range(first, stop):
                begin = offset
                parts.append(WHOOSH3_HEADER_MAGIC)
                offset += len(WHOOSH3_HEADER_MAGIC)
                for remaining in range(nblocks[term] - 1, -1, -1):
                    b, e = starts[block] - low, ends[block] - low
                    if uneven[block]:
                        mini_weights: Any = tuple(weight_list[b:e])
                    else:
                        mini_weights = None if block_heaviest[block] == 1.0 else block_heaviest[block]
                    data = dumps(
                        (tuple(ids[b:e]), mini_weights, tuple(values[b:e]) if with_values else None), _BLOCK_PICKLE
                    )
                    info = block_info[block]
                    size = len(info) + len(data)
                    parts.append(pack_int(size if remaining else -size) + info + data)  # the last one's is negative
                    offset += 4 + size
                    block += 1
                term_infos[term] += _EXTENT.pack(begin, offset - begin)
            postfile.write(b"".join(parts))
        view.release()
        return term_infos


#: Above any field length: stands for "no length" where the shortest is looked for.
_NO_LENGTH = np.iinfo(np.int32).max
#: The field length each length byte stands for (Whoosh's encoding of lengths in one byte).
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int32)


def _length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Whoosh's ``length_to_byte`` over an array; :data:`_NO_LENGTH` (no length) is 0, as None is."""
    found = np.minimum(np.searchsorted(_BYTE_LENGTHS, lengths, side="left"), 255)
    return np.where(lengths == _NO_LENGTH, 0, found)


class _LeanCodec(W3Codec):
    """W3Codec with a faster postings writer; what it writes is W3's format, read by the stock codec."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Each segment in the table of contents pickles its codec: the stock one reads these segments alike.
        return (W3Codec, (self._blocklimit, self._compression, self._inlinelimit))

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _LeanPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


#: Postings a field's writing turns into Python objects at a time.
_CHUNK = 1 << 16
#: A term's extent in the postings file, after its term info: offset and length.
_EXTENT = Struct("!qi")
#: Pickle protocol of a postings block's data. Whoosh writes protocol 2, which has no bytes type and pickles each
#: posting's positions as a call that re-encodes a Latin-1 string: ten times slower to write and to read, and
#: twice the size. Readers load any protocol, so indexes written before read as they did.
_BLOCK_PICKLE = 4
#: Postings blocks are left uncompressed: zlib was a sixth of import time, and reads skip inflating.
_CODEC = _LeanCodec(compression=0)
#: Pool size (Whoosh's estimate, MB) at which a worker seals its segment and starts a new one: bounds memory.
SEGMENT_POOL_MB = 96
#: Conversations per message sent to an index worker.
_WORKER_BATCH = 64


class _BulkWriter(SegmentWriter):
    """A SegmentWriter tuned for bulk imports (see the module docstring): documents' postings go straight into
    per-term lists, and each term is written in one call. Whoosh internals it relies on are pinned by the exact
    ``whoosh3`` version; ``tests/search/test_index_writer.py`` compares what it writes with stock Whoosh's writer."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compound", False)
        kwargs.setdefault("codec", _CODEC)
        super().__init__(ix, **kwargs)
        self.pool = _TermPostings()

    def add_document(self, **fields_: Any) -> None:
        """Whoosh's ``add_document`` for this project's schema: no boosts, vectors or spelling, which it never
        uses; the same stored values, lengths, columns and postings."""
        self._check_state()
        perdoc = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        size = 0
        perdoc.start_doc(docnum)
        for fieldname in sorted(fields_):
            value = fields_[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if isinstance(field, _TermsField):  # the text fields: most of the postings, a column at a time
                analyzed = _analyze(value)
                length = pool.field(fieldname).add_terms(docnum, analyzed)
                size += 60 * len(analyzed) + _POSITION_SIZE * length  # as the pool's add counts: 60 + the value
            elif field.indexed:  # ids, models, times: a few postings, one at a time
                postings = pool.field(fieldname)
                for tbytes, freq, weight, vbytes in field.index(value):
                    if field.scorable:
                        length += freq
                    postings.add(tbytes, docnum, weight, vbytes)
                    size += 60 + len(vbytes)
            perdoc.add_field(fieldname, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdoc.add_column_value(fieldname, column, field.to_column_value(value))
        perdoc.finish_doc()
        self.pool.currentsize += size
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader()
        try:
            writer = self.fieldwriter
            for fieldname in sorted(self.pool.fields):
                if not self.pool.fields[fieldname].docs:  # texts without a term (an empty title)
                    continue
                field = self.schema[fieldname]
                writer.start_field(fieldname, field)
                get_length = reader.doc_field_length_reader(fieldname)
                lengths = np.fromiter((get_length(d) or 0 for d in range(self.docnum)), np.int32, self.docnum)
                value_size = field.format.fixed_value_size()
                if value_size not in (None, 0):  # not in this schema: positions vary in size, ids have none
                    raise TypeError(f"{fieldname}: posting values of a fixed size are not supported")
                postings = self.pool.fields[fieldname].in_term_order()
                infos = writer._postwriter.write_field(postings, lengths[postings.docs], value_size is None)
                prefix = pack_ushort(writer._fieldid)
                _add_terms(writer._tindex, [prefix + tbytes for tbytes in postings.terms], infos)
                del postings, infos
                writer.finish_field()
        finally:
            reader.close()
        self.fieldwriter.close()


def _add_terms(table: Any, keys: list[bytes], values: list[bytes]) -> None:
    """Whoosh's ``OrderedHashWriter.add`` for a field's terms at once (``keys`` ascending, after every key added
    before): the same records, key positions and hash buckets, in one write instead of three writes, a hash and
    two method calls per term (a tenth of writing a re-import's small segment)."""
    if not keys:
        return
    if keys[0] <= table.lastkey:
        raise ValueError(f"Keys must increase: {table.lastkey!r}..{keys[0]!r}")
    dbfile = table.dbfile
    records = [_KEY_VALUE_LENGTHS.pack(len(k), len(v)) + k + v for k, v in zip(keys, values, strict=True)]
    positions = list(itertools.accumulate(map(len, records), initial=dbfile.tell()))
    del positions[-1]
    table.index.extend(positions)
    # Whoosh's hash 0 is the low 32 bits of the key's MD5, as a number: its last four bytes, big-endian.
    hashes = map(_md5_low32, keys) if table.hashtype == 0 else map(table.hashfn, keys)
    buckets = table.buckets
    for keyhash, position in zip(hashes, positions, strict=True):
        buckets[keyhash & 255].append((keyhash, position))
    dbfile.write(b"".join(records))
    table.lastkey = keys[-1]


def _md5_low32(key: bytes) -> int:
    return int.from_bytes(hashlib.md5(key, usedforsecurity=False).digest()[12:], "big")


#: The lengths of a key and its value before them in Whoosh's hash files.
_KEY_VALUE_LENGTHS = Struct("!ii")


def index_schema() -> fields.Schema:
    return fields.Schema(
        conversation_id=fields.ID(stored=True, unique=True),
        title=_TermsField(),
        user=_TermsField(),
        assistant=_TermsField(),
        tool=_TermsField(),
        hidden=_TermsField(),
        project=fields.ID(),
        model=fields.ID(),
        # Columns too: date filters read them as arrays.
        create_time=fields.NUMERIC(numtype=int, bits=64, signed=False, sortable=True),
        update_time=fields.NUMERIC(numtype=int, bits=64, signed=False, sortable=True),
    )


@dataclass(frozen=True)
class IndexDocument:
    """What the index needs of a conversation: its visible text by role, and the filterable facts."""

    conversation_id: str
    title: str
    #: Texts by field (user, assistant, tool, hidden), one per message.
    texts: dict[str, list[str]]
    project_id: str | None
    models: Sequence[str]
    create_time: float | None
    update_time: float | None
    #: The language the words are stemmed in (see :mod:`.morphology`).
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Filters:
    roles: frozenset[str] | None = None
    after: float | None = None
    before: float | None = None
    project: str | None = None
    model: str | None = None


class _Snapshot:
    """One searcher's view of the index as arrays over global document numbers: what :mod:`.ranking` reads.

    Posting lists are read a block at a time from Whoosh's W3 blocks (the pinned ``whoosh3`` version's layout,
    covered by the store tests); a segment's field lengths and time columns never change, so they are cached by
    segment across searchers.
    """

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        # An empty index has one EmptyReader leaf, with no segment behind it.
        self.leaves: list[tuple[Any, int]] = [(r, o) for r, o in self.reader.leaf_readers() if r.doc_count_all()]
        self.size = int(self.reader.doc_count_all())
        alive = np.ones(self.size, dtype=np.bool_)
        for leaf, offset in self.leaves:
            deleted = leaf.deleted_docs_set
            if deleted:
                alive[np.fromiter(deleted, dtype=np.int64, count=len(deleted)) + offset] = False
        self.alive = alive
        self._read: dict[tuple[str, str], _Posted | None] = {}
        # Stored conversation ids, per segment once (segments never change): the id of every hit, and the order.
        self.ids = self._per_segment(
            "ids", lambda leaf: [leaf.stored_fields(d)["conversation_id"] for d in range(leaf.doc_count_all())], np.str_
        )
        self.tie = self._order()

    def _per_segment(self, key: str, read: Any, dtype: Any) -> Any:
        parts = []
        for leaf, _ in self.leaves:
            # Segment ids are random names: the folder and size make a key no other index shares.
            folder = getattr(leaf.storage(), "folder", "")
            cache_key = (folder, leaf.segment().segment_id(), leaf.doc_count_all(), key)
            part = _SEGMENT_CACHE.get(cache_key)
            if part is None:
                if len(_SEGMENT_CACHE) > _SEGMENT_CACHE_LIMIT:
                    _SEGMENT_CACHE.clear()
                part = _SEGMENT_CACHE[cache_key] = np.asarray(read(leaf), dtype=dtype)
            parts.append(part)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    def lengths(self, field: str) -> Any:
        def read(leaf: Any) -> Any:
            get = leaf.doc_field_length
            lengths = np.asarray([get(d, field, 0) for d in range(leaf.doc_count_all())], dtype=np.float32)
            return np.nan_to_num(lengths, nan=0.0)  # a document without the field has no length

        return self._per_segment("len:" + field, read, np.float32)

    def column(self, name: str) -> Any:
        return self._per_segment("col:" + name, lambda leaf: list(leaf.column_reader(name)), np.int64)

    def has(self, field: str, term: str) -> bool:
        return (field, term) in self.reader

    def doc_frequency(self, field: str, term: str) -> int:
        return int(self.reader.doc_frequency(field, term)) if self.has(field, term) else 0

    def begin_query(self) -> None:
        """Forget the posting lists read for the previous query (they are kept for one query only)."""
        self._read.clear()

    def _postings(self, field: str, term: str) -> _Posted | None:
        key = (field, term)
        if key in self._read:
            return self._read[key]
        ids: list[Any] = []
        weights: list[Any] = []
        values: list[Any] = []
        fmt = self.reader.schema[field].format
        for leaf, offset in self.leaves:
            if (field, term) not in leaf:
                continue
            matcher = leaf._terms.matcher(field, term.encode("utf-8"), fmt)
            for block_ids, block_weights, block_values in _blocks(matcher):
                ids.append(block_ids + offset if offset else block_ids)
                weights.append(block_weights)
                values.extend(block_values)
        found = _Posted(np.concatenate(ids), np.concatenate(weights), values) if ids else None
        self._read[key] = found
        return found

    def postings(self, field: str, term: str) -> tuple[Any, Any] | None:
        """Document numbers and term frequencies of ``term`` in ``field`` (deleted documents included)."""
        found = self._postings(field, term)
        return (found.ids, found.tf) if found is not None else None

    def positions(self, field: str, terms: Iterable[str], docs: list[int]) -> dict[int, set[int]]:
        """Positions of any of ``terms`` in each of ``docs`` (ascending): from the posting lists this query read,
        or else from only the blocks that hold those documents (a function word's list is long)."""
        found: dict[int, set[int]] = {}
        wanted = np.asarray(docs, dtype=np.int64)
        for term in terms:
            posted = self._read.get((field, term)) if (field, term) in self._read else self._sparse(field, term, docs)
            if posted is None:
                continue
            at = np.searchsorted(posted.ids, wanted)
            inside = at < len(posted.ids)
            for doc, i in zip(wanted[inside].tolist(), at[inside].tolist(), strict=True):
                if posted.ids[i] == doc:
                    found.setdefault(doc, set()).update(array(_U32, posted.values[i]))
        return found

    def _sparse(self, field: str, term: str, docs: list[int]) -> _Posted | None:
        """The part of a posting list in the blocks that may hold ``docs`` (ascending)."""
        ids: list[Any] = []
        values: list[Any] = []
        fmt = self.reader.schema[field].format
        for leaf, offset in self.leaves:
            local = [d - offset for d in docs if offset <= d < offset + leaf.doc_count_all()]
            if not local or (field, term) not in leaf:
                continue
            matcher = leaf._terms.matcher(field, term.encode("utf-8"), fmt)
            for block_ids, _, block_values in _blocks(matcher, local):
                ids.append(block_ids + offset if offset else block_ids)
                values.extend(block_values)
        return _Posted(np.concatenate(ids), None, values) if ids else None

    def expand_prefix(self, field: str, prefix: str) -> list[str]:
        """The terms ``prefix*`` stands for: the shortest ones (word forms such as deploy, deployed, deployment
        before long joined identifiers), at most :data:`MAX_PREFIX_TERMS`. Choosing by length needs no posting
        look-ups."""
        found: list[str] = []
        for i, term in enumerate(self.reader.expand_prefix(field, prefix)):
            if i >= _PREFIX_SCAN_LIMIT:
                break
            found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
        found.sort(key=lambda t: (len(t), t))
        return found[:MAX_PREFIX_TERMS]

    def allowed(self, filters: Filters) -> Any:
        """The documents ``filters`` let through, or None for all."""
        mask: Any = None

        def both(other: Any) -> Any:
            return other if mask is None else mask & other

        for field, value in (("project", filters.project), ("model", filters.model)):
            if value:
                only = np.zeros(self.size, dtype=np.bool_)
                found = self.postings(field, value)
                if found is not None:
                    only[found[0]] = True
                mask = both(only)
        if filters.after is not None:
            mask = both(self.column("update_time") >= int(filters.after))
        if filters.before is not None:
            created = self.column("create_time")
            mask = both((created >= 1) & (created <= int(filters.before)))
        return mask

    def conversation_id(self, doc: int) -> str:
        return str(self.ids[doc])

    def _order(self) -> Any:
        """Each document's place in conversation-id order: equal scores rank by it, so the same history ranks
        the same whatever its index's layout (document numbers depend on how and when it was written)."""
        ranks = np.empty(self.size, dtype=np.int64)
        ranks[np.argsort(self.ids, kind="stable")] = np.arange(self.size, dtype=np.int64)
        return ranks


class _Posted(NamedTuple):
    """A posting list read for one query: document numbers (ascending), term frequencies, encoded positions."""

    ids: Any
    tf: Any
    values: list[bytes]


#: Field lengths and time columns of segments, by (segment id, what): segments never change once written.
_SEGMENT_CACHE: dict[tuple[str, str, int, str], Any] = {}
_SEGMENT_CACHE_LIMIT = 512


def _blocks(matcher: Any, only: list[int] | None = None) -> Iterator[tuple[Any, Any, Sequence[bytes]]]:
    """(ids, weights, encoded positions) of each posting block; inlined postings (rare terms) come as one.
    With ``only`` (ascending segment document numbers), just the blocks whose range may hold one of them: a
    block's header says its last id, so the others are never unpickled."""
    if not isinstance(matcher, W3LeafMatcher):
        listed_ids: list[int] = []
        listed_weights: list[float] = []
        listed_values: list[bytes] = []
        while matcher.is_active():
            listed_ids.append(matcher.id())
            listed_weights.append(matcher.weight())
            listed_values.append(matcher.value())
            matcher.next()
        yield np.asarray(listed_ids, dtype=np.int64), np.asarray(listed_weights, dtype=np.float32), listed_values
        return
    pending = iter(only) if only is not None else None
    next_wanted = next(pending, None) if pending is not None else None
    while matcher.is_active():
        if pending is not None:
            if next_wanted is None:
                return
            last = matcher._maxid
            if next_wanted > last:
                matcher._next_block()
                continue
            while next_wanted is not None and next_wanted <= last:
                next_wanted = next(pending, None)
        matcher._read_data()
        raw_ids, raw_weights, raw_values = matcher._data
        count = matcher._blocklength
        ids = np.cumsum(np.asarray(raw_ids, dtype=np.int64))  # W3 stores each block's ids as deltas
        if raw_weights is None:
            weights = np.ones(count, dtype=np.float32)
        elif isinstance(raw_weights, float):
            weights = np.full(count, raw_weights, dtype=np.float32)
        else:
            weights = np.asarray(raw_weights, dtype=np.float32)
        yield ids, weights, raw_values if raw_values is not None else (b"",) * count  # ID fields: no positions
        matcher._next_block()


@dataclass(frozen=True)
class SearchOutcome:
    """Ranked conversation ids with scores, whether more follow, the query as run (a passage narrowed to its
    telling words) and the words of a passage left out."""

    hits: list[tuple[str, float]]
    more: bool
    query: Query
    left_out: tuple[str, ...] = ()


@contextmanager
def _damage_or_fault(path: Path, doing: str) -> Iterator[None]:
    """Tell damage (rebuilt from the archive) from a fault of the machine (reported, the index left alone).

    A file the index needs that is missing, torn or foreign is damage: :class:`IndexBroken`. An ``OSError``
    other than a missing file (too many open files, an I/O error, no permission) says nothing about the
    index: rebuilding would throw away a good index for a passing fault, so it is raised as it is, for the
    store to translate (a full disk, a read-only folder) or report."""
    try:
        yield
    except FileNotFoundError as exc:
        raise IndexBroken(f"{doing} the index failed: a file is missing ({exc})") from exc
    except OSError:
        raise
    except Exception as exc:
        raise IndexBroken(f"{doing} the index failed ({type(exc).__name__}: {exc})") from exc


class IndexBroken(RuntimeError):
    """The index cannot be opened (another version, or damaged); rebuild it from the archive."""


class SearchIndex:
    """The Whoosh index under ``path``: one writer at a time, searches from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._searcher: Any = None
        self._snapshot: _Snapshot | None = None
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
        schema = index_schema()
        with _damage_or_fault(self.path, "opening"):
            try:
                ix = storage.open_index(schema=schema)  # the pickled schema is skipped (see _TermsField.__reduce__)
            except index.EmptyIndexError:
                ix = storage.create_index(schema)
                marker.write_text(str(INDEX_VERSION))
                return ix
            version = marker.read_text().strip() if marker.exists() else "none"
        if version != str(INDEX_VERSION):
            raise IndexBroken(f"index version {version!r} != {INDEX_VERSION}")
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
            self._snapshot = None
        if self._searcher is None:
            self._searcher = self._ix.searcher()
        if self._snapshot is None:
            self._snapshot = _Snapshot(self._searcher)
        return self._snapshot

    def search(self, q: Query, filters: Filters, limit: int, offset: int = 0) -> SearchOutcome:
        """The ``limit`` best conversations after ``offset``, and whether more follow (see :mod:`.ranking`)."""
        with _damage_or_fault(self.path, "reading"):  # a torn segment shows only when a query reads it
            return self._search(q, filters, limit, offset)

    def _search(self, q: Query, filters: Filters, limit: int, offset: int) -> SearchOutcome:
        wanted = offset + limit + 1
        with self._lock:
            snapshot = self._current_searcher()
            snapshot.begin_query()
            ranked = rank(snapshot, q, self._fields(filters), snapshot.allowed(filters), wanted, list(_FIELD_BOOSTS))
            hits = [(snapshot.conversation_id(doc), score) for doc, score in ranked.docs[offset : offset + limit]]
        return SearchOutcome(hits, len(ranked.docs) > offset + limit, ranked.query, ranked.left_out)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
                self._snapshot = None
            self._ix.close()

    @staticmethod
    def _fields(filters: Filters) -> list[tuple[str, float]]:
        if filters.roles:
            names = sorted({ROLE_FIELDS[r] for r in filters.roles if r in ROLE_FIELDS})
            return [(name, 1.0) for name in names]
        return list(_FIELD_BOOSTS.items())


def _fields(doc: IndexDocument) -> dict[str, Any]:
    fields_: dict[str, Any] = {"conversation_id": doc.conversation_id, "title": FieldText(doc.language, [doc.title])}
    for name in ("user", "assistant", "tool", HIDDEN_FIELD):
        texts = doc.texts.get(name)
        if texts:
            # Tool output and code are not prose: their words are found as written.
            fields_[name] = FieldText(doc.language if name in _PROSE_FIELDS else None, texts)
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
        self._final: list[Any] = []
        self._deleter: Any = None
        self._id_terms: list[tuple[Any, int]] = []
        self.count = 0

    def put(self, doc: IndexDocument, replace: bool = True) -> None:
        """Add ``doc``; ``replace`` first deletes an indexed copy (skip it for ids known to be new: faster)."""
        if replace:
            self._delete_indexed(doc.conversation_id)
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

    def _delete_indexed(self, conversation_id: str) -> None:
        """Delete the indexed copy of a conversation: one look-up of its id in each segment's terms table, whose
        term info holds the document's number, not Whoosh's ``delete_by_term`` (a query, a matcher and a postings
        read per segment: a re-import deletes hundreds, and that cost grew with the number of segments). One
        reader for the batch: the segments it deletes from are the ones the writer started with."""
        if self._deleter is None:
            self._deleter = self._writer.searcher()
            leaves = self._deleter.reader().leaf_readers()
            self._id_terms = [(leaf._terms, offset) for leaf, offset in leaves if leaf.doc_count_all()]
        term = conversation_id.encode("utf-8")
        for terms, offset in self._id_terms:
            raw = terms._tindex.get(terms._keycoder("conversation_id", term))
            if raw is None:
                continue
            info = W3TermInfo.from_bytes(raw)
            if info.doc_frequency() == 1:  # an id is one document: its number is the term's first
                docs: Iterable[int] = (info.min_id(),)
            else:  # one id twice in a segment (this project writes none): its posting list says where
                docs = terms.matcher("conversation_id", term, self._writer.schema["conversation_id"].format).all_ids()
            for docnum in docs:
                self._writer.delete_document(docnum + offset)

    def _close_deleter(self) -> None:
        if self._deleter is not None:
            self._deleter.close()
            self._id_terms = []
            self._deleter = None

    def commit(self) -> None:
        """Write and publish the batch (:meth:`prepare`, then :meth:`publish`); cancelled if writing fails."""
        try:
            self.prepare()
        except BaseException:
            self.cancel()
            raise
        self.publish()

    def prepare(self) -> None:
        """Write everything but the table of contents: the new segments (the workers' too) and the merges.
        Nothing is visible yet and :meth:`cancel` still drops it all (the caller cancels if this raises);
        :meth:`publish` is left one small file to write. A full disk shows here, before the caller commits
        what goes with the batch."""
        self._close_deleter()
        writer = self._writer
        segments: list[Any] = []
        if self._workers is not None:
            if self._buffer:
                self._workers.send(self._buffer)
                self._buffer = []
            segments = self._workers.finish()
        # What MpWriter(multisegment=True) does: existing segments (with this write's deletions), then
        # the workers' new segments, published together by one TOC write.
        final = writer._merge_segments(None, False, True)  # small segments merge into this writer's own
        if writer._added:
            final.append(writer._finalize_segment())
        else:
            writer._close_segment()
        self._final = final + segments

    def publish(self) -> None:
        """Make the prepared batch what searches read: one TOC write, then old files are removed."""
        writer = self._writer
        try:
            writer._commit_toc(self._final)
        except BaseException:
            writer._cleanup_on_error()
            self._drop_unpublished()
            raise
        writer._finish()

    def cancel(self) -> None:
        """Drop the batch. It runs while another error (a full disk, often) is on its way up: its own failures
        are logged, never raised in place of that one."""
        try:
            self._close_deleter()
            if self._workers is not None:
                self._workers.terminate()
            if not self._writer.is_closed:
                self._writer.cancel()  # closing a segment writes: on a full disk, this fails too
        except Exception:
            log.info("cancelling an index write failed; its files are removed below", exc_info=True)
        try:
            self._drop_unpublished()
        except Exception:  # the next commit removes them
            log.info("could not remove the files of a cancelled index write", exc_info=True)

    def _drop_unpublished(self) -> None:
        """Remove the files of this batch that no table of contents lists (its segments, a half-written TOC):
        on a full disk, the space they hold is what the next write needs."""
        storage, name = self._writer.storage, self._writer.indexname
        toc = index.TOC.read(storage, name)
        index.clean_files(storage, name, toc.generation, toc.segments)
        for leftover in self._path.glob(f"_{name}_*.toc.*"):  # a TOC cut short (its rename never happened)
            leftover.unlink(missing_ok=True)


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
                message, code = value
                if code is not None:  # a full disk, say: the same fault as in this process
                    raise OSError(code, f"an index worker failed: {message}")
                raise IndexWorkerFailed(f"an index worker failed: {message}")
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
        ix = FileStorage(path).open_index(schema=index_schema())
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
        code = exc.errno if isinstance(exc, OSError) else None
        results.put(("error", (f"{type(exc).__name__}: {exc}", code)))
