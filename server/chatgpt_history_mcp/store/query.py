"""Parse what a person types into a search box into an engine-agnostic query.

Syntax: plain words (ranked, not all required), ``"quoted phrases"`` (required), ``-word`` / ``-"phrase"``
(excluded), ``+word`` (required), ``a AND b`` (both required), ``NOT word``, ``prefix*``. Common function
words are dropped from the ranked words unless nothing else is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from chatgpt_history_mcp.store.analysis import STOPWORDS, fold, phrase_terms, query_units

#: Shortest prefix allowed before ``*``; shorter ones would expand to most of the vocabulary.
MIN_PREFIX = 2

_TOKEN = re.compile(r'([+-]?)"([^"]*)"?|(\S+)')


class QueryError(ValueError):
    """A query that cannot run; the message says how to fix it."""


@dataclass(frozen=True)
class Unit:
    """One thing to match: a word (alternative term sequences), a phrase, or a prefix."""

    kind: Literal["word", "phrase", "prefix"]
    alternatives: tuple[tuple[str, ...], ...]
    text: str

    @property
    def terms(self) -> set[str]:
        return {t for alt in self.alternatives for t in alt}


@dataclass(frozen=True)
class Query:
    should: tuple[Unit, ...] = ()
    must: tuple[Unit, ...] = ()
    must_not: tuple[Unit, ...] = ()
    text: str = field(default="", compare=False)

    @property
    def positive(self) -> tuple[Unit, ...]:
        return self.must + self.should


def _unit(text: str, quoted: bool) -> Unit | None:
    if quoted:
        terms = phrase_terms(text)
        if not terms:
            return None
        return Unit("phrase" if len(terms) > 1 else "word", (terms,), text)
    if text.endswith("*") and len(text.rstrip("*")) > 0:
        stem = fold(text.rstrip("*"))
        if len(stem) < MIN_PREFIX:
            raise QueryError(f"the prefix {text!r} is too short: give at least {MIN_PREFIX} characters before *")
        return Unit("prefix", ((stem,),), text)
    alternatives = query_units(text)
    if not alternatives:
        return None
    return Unit("word", tuple(alternatives), text)


def parse_query(text: str) -> Query:
    """Parse ``text``; raises :class:`QueryError` for an empty or unusable query."""
    should: list[Unit] = []
    must: list[Unit] = []
    must_not: list[Unit] = []
    pending: str | None = None  # "AND" / "NOT" waiting for its right-hand side
    last: list[Unit] | None = None
    for match in _TOKEN.finditer(text):
        sign, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare in ("AND", "OR", "NOT", "&&", "||"):
            pending = {"&&": "AND", "||": "OR"}.get(bare, bare)
            continue
        if bare is not None:
            sign, word = (bare[0], bare[1:]) if bare[0] in "+-" and len(bare) > 1 else ("", bare)
            unit = _unit(word, quoted=False)
        else:
            unit = _unit(quoted, quoted=True)
        if unit is None:
            pending = None
            continue
        if sign == "-" or pending == "NOT":
            must_not.append(unit)
        elif sign == "+" or unit.kind == "phrase" or pending == "AND":
            if pending == "AND" and last is should and should:
                must.append(should.pop())
            must.append(unit)
            last = must
        else:
            should.append(unit)
            last = should
        pending = None
    meaningful = [u for u in should if not (u.kind == "word" and u.text.lower() in STOPWORDS)]
    if meaningful or must:
        should = meaningful
    if not should and not must:
        if must_not:
            raise QueryError("a query cannot only exclude: add a word to search for")
        raise QueryError('the query is empty: give a word, a "phrase" or a prefix*')
    return Query(tuple(should), tuple(must), tuple(must_not), text)
