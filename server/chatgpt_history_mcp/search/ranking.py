"""Ranking: which conversations answer a query, best first. Engine-agnostic: it reads postings through
:class:`Postings` (the index module implements it over Whoosh) and scores with numpy, a term at a time.

Why not Whoosh's own matcher trees: every query word is asked for in five fields and in several forms (the
word, its stems), and Whoosh walks such a tree a posting at a time in Python; here a posting list is read a
block at a time and scored in one vector operation, so the cost follows the number of postings, not the
number of matcher calls (a tenth of the time on common words).

The order:
1. Each word (unit) scores BM25 in each field it is found in, weighted by the field; other forms of a word
   (its stems) score :data:`STEM_WEIGHT` of that, so the form typed ranks first, other things equal.
2. With two or more ranked words, a conversation's score is scaled by the share of them it matches (a chat
   with every word above one with most, unless the words it has weigh far more: "docker image too big"
   finds the Docker image chat that never says "too"). Required words (``+w``, ``AND``, phrases) and
   exclusions filter. This coordination factor, measured on bench/recall.py against a strict tier of
   chats with every word first, lifted topic queries from 83 to 91 % R@5 and cost no kind more than a query.
3. The best :data:`RERANK_POOL` are re-ranked by how many neighbouring words of the query stand as far apart
   as typed in one message (a remembered sentence ranks the chat it came from first).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from chatgpt_history_mcp.search.query import Query, Unit

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

#: BM25's term-frequency saturation and length normalisation.
K1, B = 1.2, 0.6
#: A match on another form of a word (its stem), against the form typed.
STEM_WEIGHT = 0.5
#: Candidates re-ranked by the closeness of the query's words.
RERANK_POOL = 40
#: A score grows by up to this share of itself when every neighbouring pair of query words stands together.
PROXIMITY_WEIGHT = 2.0
#: Words a pasted passage is searched for, and neighbouring pairs whose closeness counts.
PASSAGE_TERMS = 12
MAX_PASSAGE_PAIRS = 24


class Postings(Protocol):
    """What ranking reads of an index snapshot; documents are numbered 0..size-1."""

    size: int
    alive: Mask
    #: Each document's rank in a layout-independent order (its conversation id): equal scores rank by it.
    tie: Ints

    def lengths(self, field: str) -> Floats: ...
    def postings(self, field: str, term: str) -> tuple[Ints, Floats] | None: ...
    def doc_frequency(self, field: str, term: str) -> int: ...
    def positions(self, field: str, terms: Iterable[str], docs: list[int]) -> dict[int, set[int]]: ...
    def expand_prefix(self, field: str, prefix: str) -> list[str]: ...


@dataclass(frozen=True)
class Ranked:
    """Ranked documents with scores, the query as run (a passage narrowed to its telling words) and the words
    of a passage left out."""

    docs: list[tuple[int, float]]
    query: Query
    left_out: tuple[str, ...] = ()


class _Scorer:
    """BM25 over one snapshot, with per-field statistics computed once per query."""

    def __init__(self, source: Postings, fields: list[tuple[str, float]]) -> None:
        self.source = source
        self.fields = fields
        self._norms: dict[str, Floats] = {}
        self._live = max(1, int(source.alive.sum()))

    def _norm(self, field: str) -> Floats:
        """``K1 * (1 - B + B * length / average length)`` per document: the BM25 denominator's constant part."""
        norm = self._norms.get(field)
        if norm is None:
            lengths = self.source.lengths(field)
            average = float(lengths[self.source.alive].mean()) if self._live else 1.0
            norm = self._norms[field] = (K1 * (1 - B + B * lengths / max(average, 1.0))).astype(np.float32)
        return norm

    def term(self, field: str, term: str, weight: float, into: Floats, hit: Mask) -> None:
        """Add ``term``'s BM25 in ``field`` (times ``weight``) to ``into``, and mark its documents in ``hit``."""
        found = self.source.postings(field, term)
        if found is None:
            return
        ids, tf = found
        df = int(self.source.alive[ids].sum())  # replaced copies awaiting a merge do not count
        idf = math.log(1 + (self._live - df + 0.5) / (df + 0.5))
        into[ids] += weight * idf * tf * (K1 + 1) / (tf + self._norm(field)[ids])
        hit[ids] = True

    def phrase(self, field: str, terms: tuple[str, ...], weight: float, into: Floats, hit: Mask) -> None:
        """Documents where ``terms`` stand in order, adjacent, in ``field``: scored as the sum of their terms."""
        lists = [found for t in terms if (found := self.source.postings(field, t)) is not None]
        if len(lists) < len(terms):
            return
        common = lists[0][0]
        for ids, _ in lists[1:]:
            common = np.intersect1d(common, ids, assume_unique=True)
        if not len(common):
            return
        docs = [int(d) for d in common]
        where = [self.source.positions(field, [t], docs) for t in terms]
        counts: dict[int, int] = {}
        for doc in docs:
            first, rest = where[0].get(doc, set()), [w.get(doc, set()) for w in where[1:]]
            n = sum(1 for p in first if all(p + i + 1 in s for i, s in enumerate(rest)))
            if n:
                counts[doc] = n
        if not counts:
            return
        ids = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        alive = self.source.alive
        idf = sum(math.log(1 + (self._live - (df := int(alive[ids].sum())) + 0.5) / (df + 0.5)) for ids, _ in lists)
        into[ids] += weight * idf * tf * (K1 + 1) / (tf + self._norm(field)[ids])
        hit[ids] = True

    def unit(self, unit: Unit, fields: list[tuple[str, float]] | None = None) -> tuple[Floats, Mask]:
        """A unit's score per document and where it matched."""
        size = self.source.size
        score = np.zeros(size, dtype=np.float32)
        hit = np.zeros(size, dtype=np.bool_)
        for field, boost in fields or self.fields:
            if unit.kind == "prefix":
                for term in self.source.expand_prefix(field, unit.alternatives[0][0]):
                    self.term(field, term, boost, score, hit)
                continue
            for alt in unit.searched:
                if len(alt) == 1:
                    self.term(field, alt[0], boost, score, hit)
                else:
                    self.phrase(field, alt, boost, score, hit)
            for stem in unit.stems:
                self.term(field, stem, boost * STEM_WEIGHT, score, hit)
        return score, hit


def rank(
    source: Postings,
    q: Query,
    fields: list[tuple[str, float]],
    allowed: Mask | None,
    wanted: int,
    every_field: Sequence[str] = (),
) -> Ranked:
    """The best ``wanted`` documents for ``q`` among ``allowed`` ones (all when None), searching ``fields``
    (with their weights); an exclusion looks in ``every_field`` (default: ``fields``)."""
    left_out: tuple[str, ...] = ()
    if q.passage:
        q, left_out = _telling_words(source, q, [name for name, _ in fields])
    if not fields:
        return Ranked([], q, left_out)
    scorer = _Scorer(source, fields)
    keep = source.alive.copy() if allowed is None else source.alive & allowed
    total = np.zeros(source.size, dtype=np.float32)
    for unit in q.must:
        score, hit = scorer.unit(unit)
        keep &= hit
        total += score
    matched = np.zeros(source.size, dtype=np.int16)
    any_should = np.zeros(source.size, dtype=np.bool_)
    for unit in q.should:
        score, hit = scorer.unit(unit)
        total += score
        matched += hit
        any_should |= hit
    if not q.must:
        keep &= any_should
    for unit in q.must_not:  # -word excludes a conversation that has it anywhere, whatever the role filter
        _, hit = scorer.unit(unit, [(name, 1.0) for name in every_field or [name for name, _ in fields]])
        keep &= ~hit
    docs = np.flatnonzero(keep)
    if not len(docs):
        return Ranked([], q, left_out)
    scores = total[docs]
    if len(q.should) > 1:
        scores *= matched[docs] / len(q.should)  # the share of the ranked words a conversation has
    pool = max(wanted, RERANK_POOL) if len(q.sequence) > 1 else wanted
    ranked = _closeness_ranked(source, q, fields, _top(source, docs, scores, pool))
    return Ranked(ranked[:wanted], q, left_out)


def _top(source: Postings, docs: Ints, scores: Floats, n: int) -> list[tuple[int, float]]:
    """The ``n`` best: score descending, equal scores in ``source.tie`` order (so pages never overlap)."""
    order = np.lexsort((source.tie[docs], -scores))[:n]
    return [(int(docs[i]), float(scores[i])) for i in order]


# -- closeness -------------------------------------------------------------------------------------------


def _pairs(q: Query) -> list[tuple[int, int]]:
    """Neighbouring words of the query whose closeness in a match counts, as indexes into ``q.sequence``: each
    word searched for and the next one, with the function words typed between them (``write that out``: a
    match has ``write`` two positions before ``out``). Function words' own postings are never read: they are
    in every conversation, and the words around them carry the sentence's shape."""
    searched = {unit.text.lower() for unit in q.should}
    kept = [i for i, unit in enumerate(q.sequence) if not unit.is_stopword and unit.text.lower() in searched]
    pairs = list(itertools.pairwise(kept))
    return pairs[:MAX_PASSAGE_PAIRS] if q.passage else pairs


def _closeness_ranked(
    source: Postings, q: Query, fields: list[tuple[str, float]], hits: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """``hits`` re-ranked: a score grows by up to :data:`PROXIMITY_WEIGHT` times itself as more neighbouring
    words of the query stand as far apart in one message as they were typed (one word more or less allowed)."""
    pairs = _pairs(q)
    if not pairs or len(hits) < 2:
        return hits
    docs = sorted(doc for doc, _ in hits)
    wanted = sorted({i for pair in pairs for i in pair})
    best: dict[int, float] = {}
    for field, _ in fields:
        if field not in _CONVERSATION_FIELDS:
            continue  # titles are short; tool output and code stand together by chance
        where = {i: source.positions(field, _forms(q.sequence[i]), docs) for i in wanted}
        for doc in docs:
            found = 0
            for a, b in pairs:
                first, second = where[a].get(doc), where[b].get(doc)
                if first and second and _near(first, second, b - a):
                    found += 1
            if found:
                best[doc] = max(best.get(doc, 0.0), found / len(pairs))
    ranked = [(doc, score * (1 + PROXIMITY_WEIGHT * best.get(doc, 0.0))) for doc, score in hits]
    ranked.sort(key=lambda h: (-h[1], int(source.tie[h[0]])))
    return ranked


def _near(first: set[int], second: set[int], gap: int) -> bool:
    """Some position of ``second`` follows one of ``first`` by ``gap``, give or take one word."""
    offsets = [d for d in (gap, gap - 1, gap + 1) if d >= 1]
    return any(p + d in second for p in first for d in offsets)


_CONVERSATION_FIELDS = frozenset({"user", "assistant"})


def _forms(unit: Unit) -> list[str]:
    return [alt[0] for alt in unit.searched if len(alt) == 1] + list(unit.stems)


# -- pasted passages -------------------------------------------------------------------------------------


def _telling_words(source: Postings, q: Query, fields: list[str]) -> tuple[Query, tuple[str, ...]]:
    """A pasted passage searched for its :data:`PASSAGE_TERMS` rarest words that the index holds: common words
    match everything and cost the most. Returns the narrowed query and the words left out."""
    rarity: dict[str, tuple[int, Unit]] = {}
    for unit in q.should:
        key = unit.text.lower()
        if key not in rarity:
            terms = [alt[0] for alt in unit.searched if len(alt) == 1]
            rarity[key] = (max((source.doc_frequency(f, t) for f in fields for t in terms), default=0), unit)
    known = sorted((item for item in rarity.values() if item[0]), key=lambda item: item[0])
    should = tuple(unit for _, unit in known[:PASSAGE_TERMS]) or q.should[:1]
    chosen = {unit.text.lower() for unit in should}
    left_out = tuple(key for key in rarity if key not in chosen)
    return Query(should, (), (), q.text, q.sequence, passage=True), left_out
