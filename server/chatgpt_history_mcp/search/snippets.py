"""Find which messages of a conversation match a query, and cut readable snippets around the hits.

Runs only on the page of conversations being returned, with the same analysis the index used, so what is
highlighted is exactly what was found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from chatgpt_history_mcp.model import Message
from chatgpt_history_mcp.search.analysis import add_stems, fold, index_terms, is_cjk
from chatgpt_history_mcp.search.morphology import STEM_MARK
from chatgpt_history_mcp.search.query import Query, Unit

SNIPPET_CHARS = 220
_CONTEXT_BEFORE = 70


@dataclass(frozen=True)
class MessageHit:
    message: Message
    score: float
    snippet: str


def _unit_matches(unit: Unit, positions: dict[str, list[int]]) -> int:
    """How many times ``unit`` occurs in a message's term positions (0: not at all)."""
    if unit.kind == "prefix":
        stem = unit.alternatives[0][0]
        return sum(len(p) for t, p in positions.items() if t.startswith(stem))
    best = 0
    for stem in unit.stems:
        best = max(best, len(positions.get(stem, ())))
    for alt in unit.alternatives:
        first = positions.get(alt[0])
        if not first:
            continue
        if len(alt) == 1:
            best = max(best, len(first))
            continue
        rest = [set(positions.get(t, ())) for t in alt[1:]]
        count = sum(1 for p in first if all(p + i + 1 in s for i, s in enumerate(rest)))
        best = max(best, count)
    return best


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    folded = fold(c)
    return folded[0] if folded else c


def _fold_aligned(text: str) -> str:
    """Fold ``text`` keeping every character at its offset, so hits map back onto the original."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in unicodedata.normalize("NFC", text))


def _pattern(terms: tuple[str, ...], prefix: bool) -> str:
    """A regex over folded text for a term sequence: parts may be joined by separators (parse_config)."""
    if len(terms) > 1 and all(_is_cjk_term(t) for t in terms):
        # Overlapping bigrams: 数据 + 据库 -> 数据库
        pattern = re.escape(terms[0] + "".join(t[-1] for t in terms[1:]))
    else:
        pattern = r"[\W_]{0,3}".join(re.escape(t) for t in terms)
    if prefix:
        pattern += r"\w*"
    return pattern


def _starts_word(text: str, folded: str, start: int) -> bool:
    """A hit must start a word, a part of an identifier, or a camelCase hump (``getUser|Profile``)."""
    if start == 0 or not (folded[start].isascii() and folded[start].isalnum()):
        return True
    before = folded[start - 1]
    if not before.isalnum():
        return True
    return text[start].isupper() and (text[start - 1].islower() or text[start - 1].isdigit())


def _is_cjk_term(term: str) -> bool:
    return not term.isascii() and is_cjk(term)


def _snippet(text: str, patterns: Iterable[str]) -> str:
    text = unicodedata.normalize("NFC", text) if not text.isascii() else text
    folded = _fold_aligned(text)
    spans: list[tuple[int, int]] = []
    for pattern in set(patterns):
        spans.extend(
            m.span()
            for m in re.finditer(pattern, folded)
            if m.end() > m.start() and _starts_word(text, folded, m.start())
        )
    if not spans:
        return _clip(text, 0)
    spans.sort()
    start = max(0, spans[0][0] - _CONTEXT_BEFORE)
    if start > 0:
        space = text.find(" ", start, spans[0][0])  # begin the snippet on a word boundary
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + SNIPPET_CHARS)
    out: list[str] = []
    cursor = start
    for s, e in _merge(spans):
        if s < cursor or s >= end:
            continue
        e = min(e, end)
        out.append(text[cursor:s])
        already_bold = text[s - 2 : s] == "**" and text[e : e + 2] == "**"
        out.append(text[s:e] if already_bold else f"**{text[s:e]}**")
        cursor = e
    out.append(text[cursor:end])
    body = " ".join("".join(out).split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _clip(text: str, start: int) -> str:
    body = " ".join(text[start : start + SNIPPET_CHARS].split())
    return body + ("…" if len(text) > start + SNIPPET_CHARS else "")


def _patterns(unit: Unit, positions: dict[str, list[int]]) -> list[str]:
    """Highlight patterns for the alternatives of ``unit`` present in a message."""
    if unit.kind == "prefix":
        return [_pattern(unit.alternatives[0], prefix=True)]
    present = [alt for alt in unit.alternatives if all(t in positions for t in alt)]
    # The joined whole form of an identifier is not in the text as such; its parts pattern covers it.
    spelled = [alt for alt in present if len(alt) > 1 or len(unit.alternatives) == 1]
    found = [_pattern(alt, prefix=False) for alt in (spelled or present)]
    # Other forms of a word: the words that begin with its stem.
    found.extend(_pattern((stem.lstrip(STEM_MARK),), prefix=True) for stem in unit.stems if stem in positions)
    return found


def best_messages(
    messages: Iterable[tuple[Message, str]],
    q: Query,
    limit: int = 3,
    language: str | None = None,
    mask: Callable[[str], str] | None = None,
) -> list[MessageHit]:
    """The ``limit`` messages matching most of the query (ties: earlier first), with snippets; ``language`` is
    the one the conversation was indexed in, so other word forms match here exactly when they did there.
    ``messages`` pairs each message with the text search sees of it; ``mask`` (secrets) applies to the texts
    that pass the screen, before they are matched and cut into snippets.

    A cheap substring screen bounds each message's score from above (every unit's last alternative is a
    sequence of plain terms, each a substring of the folded text wherever the unit matches; so is a stem
    wherever another form matches); messages are analyzed best bound first, until no bound can beat the
    ``limit``-th score found: a long conversation of common words is not tokenized whole.
    """
    units = q.positive
    probes = [{unit.alternatives[-1][0]} | {s.lstrip(STEM_MARK) for s in unit.stems} for unit in units]
    stem_starts = {s.lstrip(STEM_MARK)[:2] for unit in units for s in unit.stems}
    # CJK has no case or accents to fold: a query of CJK words screens the text as it is (folding a long
    # Chinese message costs more than matching it).
    as_is = all(_is_cjk_term(p) for unit_probes in probes for p in unit_probes)
    bounded: list[tuple[float, int, Message, str]] = []
    for order, (message, text) in enumerate(messages):
        folded = text if as_is else fold(text)
        counts = [max(folded.count(p) for p in unit_probes) for unit_probes in probes]
        present = sum(1 for n in counts if n)
        if present:
            # No more units can match than have a probe in the text, nor more often than the probes occur.
            bounded.append((present + min(sum(counts), 20) / 40, order, message, text))
    bounded.sort(key=lambda b: (-b[0], b[1]))
    scored: list[tuple[float, int, Message, str, list[str]]] = []
    for bound, order, message, text in bounded:
        if len(scored) >= limit and bound < scored[limit - 1][0]:
            break
        if mask is not None:
            text = mask(text)
        positions = _positions(text, language, stem_starts)
        matched = 0
        occurrences = 0
        needles: list[str] = []
        for unit in units:
            n = _unit_matches(unit, positions)
            if n:
                matched += 1
                occurrences += n
                needles.extend(_patterns(unit, positions))
        if matched:
            scored.append((matched + min(occurrences, 20) / 40, order, message, text, needles))
            scored.sort(key=lambda s: (-s[0], s[1]))
    return [MessageHit(m, score, _snippet(text, needles)) for score, _, m, text, needles in scored[:limit]]


def _positions(text: str, language: str | None, stem_starts: set[str]) -> dict[str, list[int]]:
    """A message's term positions as the index has them, stems only for words that may share a stem the
    query asks for (stemming every word of every message shown was a third of a search)."""
    positions = index_terms([text])
    if language is not None and stem_starts:
        add_stems(positions, language, {t for t in positions if t[:2] not in stem_starts})
    return positions
