"""Parse what a person (or an agent) types into a search box into an engine-agnostic query.

Syntax: plain words (ranked, not all required; other forms of a word match too, ranked lower),
``"quoted phrases"`` (required, exact), ``-word`` / ``-"phrase"`` (excluded), ``+word`` (required),
``a AND b`` (both required), ``NOT word``, ``prefix*``; ``OR`` between words is skipped (ranked words are
alternatives already). Common function words are dropped from the ranked words unless nothing else is left, but
still count for how close together the words stand. Chinese, Japanese and Korean typed without spaces become
their character bigrams, each a ranked word. A long pasted passage (an error message, a paragraph) is taken
literally: no operators, and the engine keeps its most telling words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from chatgpt_history_mcp.errors import QueryError
from chatgpt_history_mcp.search.analysis import STOPWORDS, bigrams, fold, is_cjk, join_parts, phrase_terms, tokens
from chatgpt_history_mcp.search.morphology import stem_terms

#: Shortest prefix allowed before ``*``; shorter ones would expand to most of the vocabulary.
MIN_PREFIX = 2
#: A query with more words than this is pasted text (a paragraph, an error, a stack trace), not typed words.
PASSAGE_WORDS = 12

_TOKEN = re.compile(r'([+-]?)"([^"]*)"?|(\S+)')
#: The operators between words and what they make of the next one. ``OR`` says what ranked words do anyway, so
#: it is skipped (never searched as the word "or"); ``||`` needs no entry, being punctuation and no word at all.
_OPERATORS: dict[str, str | None] = {"AND": "AND", "NOT": "NOT", "&&": "AND", "OR": None}
_POSSESSIVE = re.compile(r"^(.+?)['’]s$", re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    """One thing to match: a word, a phrase, or a prefix.

    ``alternatives`` are the term sequences it is spelled as (a sequence longer than one is a phrase);
    ``search`` the ones the engine asks for (an identifier's joined form stands for all its spellings);
    ``stems`` single terms that find its other word forms, ranked below the exact ones.
    """

    kind: Literal["word", "phrase", "prefix"]
    alternatives: tuple[tuple[str, ...], ...]
    text: str
    search: tuple[tuple[str, ...], ...] = ()
    stems: tuple[str, ...] = ()

    @property
    def searched(self) -> tuple[tuple[str, ...], ...]:
        return self.search or self.alternatives

    @property
    def is_stopword(self) -> bool:
        return self.kind == "word" and fold(self.text) in STOPWORDS


@dataclass(frozen=True)
class Query:
    should: tuple[Unit, ...] = ()
    must: tuple[Unit, ...] = ()
    must_not: tuple[Unit, ...] = ()
    text: str = field(default="", compare=False)
    #: The words as typed, function words included: how close together they stand in a match counts.
    sequence: tuple[Unit, ...] = ()
    #: A pasted passage: the engine searches for its most telling words only.
    passage: bool = False

    @property
    def positive(self) -> tuple[Unit, ...]:
        return self.must + self.should


def _word_units(text: str) -> list[Unit]:
    """The units of one unquoted word: usually one; a CJK run gives one per bigram, and a word mixing
    scripts (``Python机器学习``) one per part."""
    found = tokens(text)
    if not found:
        return []
    if len(found) == 1 and not is_cjk(found[0]):
        unit = _single_word(found[0])
        return [unit] if unit else []
    units: list[Unit] = []
    for token in found:
        if is_cjk(token):
            units.extend(Unit("word", ((gram,),), gram) for gram in bigrams(token))
        elif unit := _single_word(token):
            units.append(unit)
    return units


def _single_word(token: str) -> Unit | None:
    terms = phrase_terms(token)
    if not terms:
        return None
    possessive = _POSSESSIVE.match(token)
    if possessive and len(terms) == 2:  # wife's: the possessive as written, or the word
        base = phrase_terms(possessive.group(1))
        if len(base) == 1:
            whole = terms[0] + terms[1]
            return Unit(
                "word",
                ((whole,), terms, base),
                token,
                search=((whole,), base),
                stems=tuple(stem_terms(base[0])),
            )
    if len(terms) == 1:
        return Unit("word", (terms,), token, stems=tuple(stem_terms(terms[0])))
    # An identifier (parse_config, getUserProfile, os.path.join): its joined form, indexed for every
    # spelling, or its parts in order; never stemmed.
    whole = join_parts(list(terms))
    return Unit("word", ((whole,), terms), token, search=((whole,),))


def _quoted(text: str) -> Unit | None:
    terms = phrase_terms(text)
    if not terms:
        return None
    return Unit("phrase" if len(terms) > 1 else "word", (terms,), text)


def _prefix(text: str) -> Unit:
    stem = fold(text.rstrip("*"))
    if len(stem) < MIN_PREFIX:
        raise QueryError(f"the prefix {text!r} is too short: give at least {MIN_PREFIX} characters before *")
    return Unit("prefix", ((stem,),), text)


def _is_sign(bare: str) -> bool:
    """``-word``/``+word`` is an operator; command-line flags are text: ``--verbose``, ``-i``, ``-d``,
    ``-print0``, ``-5`` (one letter, or letters with digits), and so are ``+`` and ``-`` alone."""
    if len(bare) < 2 or bare[0] not in "+-":
        return False
    if bare[1] == '"':
        return True
    word = bare[1:]
    return word.endswith("*") or (len(word) > 1 and word.isalpha())


def parse_query(text: str) -> Query:
    """Parse ``text``; raises :class:`QueryError` for an empty or unusable query."""
    matches = list(_TOKEN.finditer(text))
    if len(matches) > PASSAGE_WORDS:
        return _passage(text)
    should: list[Unit] = []
    must: list[Unit] = []
    must_not: list[Unit] = []
    sequence: list[Unit] = []
    pending: str | None = None  # "AND" / "NOT" waiting for its right-hand side
    last: list[Unit] | None = None
    for n, match in enumerate(matches):
        sign, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare in _OPERATORS and _operates(matches, n):
            pending = _OPERATORS[bare]
            continue
        if bare is not None:
            sign, word = (bare[0], bare[1:]) if _is_sign(bare) else ("", bare)
            if word.endswith("*") and word.rstrip("*"):
                units = [_prefix(word)]
            else:
                units = _word_units(word)
                if sign == "":
                    sequence.extend(units)
        else:
            unit = _quoted(quoted)
            units = [unit] if unit else []
        if not units:
            pending = None
            continue
        if sign == "-" or pending == "NOT":
            must_not.extend(units)
        elif sign == "+" or pending == "AND" or units[0].kind == "phrase":
            if pending == "AND" and last is should and should:
                must.append(should.pop())
            must.extend(units)
            last = must
        else:
            should.extend(units)
            last = should
        pending = None
    meaningful = [u for u in should if not u.is_stopword]
    if meaningful or must:
        should = meaningful
    should = _distinct(should)
    if not should and not must:
        if must_not:
            raise QueryError("a query cannot only exclude: add a word to search for")
        raise QueryError('the query is empty: give a word, a "phrase" or a prefix*')
    return Query(tuple(should), tuple(must), tuple(must_not), text, tuple(sequence))


def _operates(matches: list[re.Match[str]], n: int) -> bool:
    """``AND``/``OR``/``NOT`` are operators between words; before a word in capitals they are text, as in
    ``NOT NULL`` of a pasted SQL error."""
    following = matches[n + 1].group(3) if n + 1 < len(matches) else None
    return following is None or not (following.isupper() and following.isalpha())


def _distinct(units: list[Unit]) -> list[Unit]:
    """Each word once: a word typed twice is not worth twice as much."""
    seen: set[tuple[str, tuple[tuple[str, ...], ...]]] = set()
    kept: list[Unit] = []
    for unit in units:
        key = (unit.kind, unit.alternatives)
        if key not in seen:
            seen.add(key)
            kept.append(unit)
    return kept


def _passage(text: str) -> Query:
    """A pasted passage: every word ranked, nothing an operator (``NOT NULL``, ``-v``, ``a*b`` are text)."""
    units = [unit for word in text.split() for unit in _word_units(word.strip("*"))]
    should = _distinct([u for u in units if not u.is_stopword] or units)
    if not should:
        raise QueryError('the query is empty: give a word, a "phrase" or a prefix*')
    return Query(tuple(should), (), (), text, tuple(units), passage=True)
