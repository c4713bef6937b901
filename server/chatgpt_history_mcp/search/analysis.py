"""Text analysis shared by the index and the snippet matcher.

One tokenizer serves indexing, query parsing and match highlighting, so a word is found exactly when it
is shown as found. It is engine-agnostic (no Whoosh here) and tuned for speed: the work per token is a
couple of C-level calls, because an export holds tens of millions of tokens.

Rules:
- Case and Latin accents fold (``Café`` -> ``cafe``).
- Code identifiers are findable whole and by their parts: ``parse_config``, ``obj.method``, ``v1.2.3``
  and ``getUserProfile`` index the whole token plus each part at consecutive positions, so the parts also
  match as a phrase.
- Chinese, Japanese and Korean runs (no spaces) index as overlapping character bigrams, so any two or more
  characters from the middle of a sentence find it.
- ``C++``, ``C#`` and ``F#`` are words of their own, not the letter ``c``.
- Words also index their Snowball stem in the conversation's language (:mod:`.morphology`), at the same
  position; identifiers' joined forms never do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from chatgpt_history_mcp.search.morphology import STEM_MARK, cache_miss, stemmer

#: Scripts written without spaces between words (Han, kana, Hangul and their compatibility blocks).
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f"
)
_CONNECTORS = ".\\-'’/:@"
# Quantifiers are possessive (++, *+): word characters and connectors never overlap, so there is nothing to
# backtrack into, and the regex engine skips keeping the state for it (a tenth of tokenizing time).
_WORD = rf"[^\W{_CJK}]++(?:[{_CONNECTORS}]++[^\W{_CJK}]++)*+"
_ASCII_WORD = r"[A-Za-z0-9_]++(?:[.\-'/:@]++[A-Za-z0-9_]++)*+"
#: Language names spelled with symbols: a letter and ``++`` or ``#`` standing alone.
_SYMBOL_WORD = r"(?<![\w+#])[A-Za-z](?:\+\+|#)(?![\w+#])"
_TOKEN = re.compile(rf"{_WORD}|[{_CJK}]++")
_ASCII_TOKEN = re.compile(_ASCII_WORD)
# The same with C++/C#/F# first: slower, so only for texts that hold a "+" or "#".
_SYMBOL_TOKEN = re.compile(rf"{_SYMBOL_WORD}|{_WORD}|[{_CJK}]++")
_SYMBOL_ASCII_TOKEN = re.compile(rf"{_SYMBOL_WORD}|{_ASCII_WORD}")
_PART = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_MARKS = re.compile("[\u0300-\u036f]")
_CJK_CHAR = re.compile(rf"[{_CJK}]")

#: Compounds with more parts than this index only their whole joined form (URLs, long paths).
MAX_JOINED_PARTS = 6

#: Positions left between two messages of one field, so a phrase never spans a message boundary.
MESSAGE_GAP = 10
#: Longest term kept; longer runs (base64 blobs, minified code) are noise and bloat the index.
MAX_TERM_LENGTH = 64

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
        "how",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
    ]
)


def fold(text: str) -> str:
    """Lowercase and strip Latin diacritics; other scripts pass through unchanged."""
    text = text.lower()
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFKD", text)))


def tokens(text: str) -> list[str]:
    """Raw tokens in original case: words and compounds, and CJK runs as single tokens."""
    if "+" in text or "#" in text:
        return (_SYMBOL_ASCII_TOKEN if text.isascii() else _SYMBOL_TOKEN).findall(text)
    return (_ASCII_TOKEN if text.isascii() else _TOKEN).findall(text)


def _is_plain(word: str) -> bool:
    # "hello", "Hello", "API", "42": one term. "getUser", "iPhone", "HTTPServer": camelCase compounds.
    return word.islower() or word.isupper() or word.isdigit() or word[1:].islower()


def is_cjk(text: str) -> bool:
    return _CJK_CHAR.search(text) is not None


def bigrams(run: str) -> list[str]:
    """Overlapping bigrams of a CJK run; a single character stands alone."""
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def split_token(word: str) -> tuple[str | None, list[str]]:
    """The joined whole form (None for a plain word) and the terms of one raw token.

    ``Hello`` -> (None, ["hello"]); ``parse_config`` -> ("parseconfig", ["parse", "config"]);
    ``getUserProfile`` -> ("getuserprofile", ["get", "user", "profile"]); a CJK run -> (None, bigrams).
    The whole form drops separators, so ``parse_config``, ``parseConfig`` and ``parse-config`` share it.
    """
    if word.isalnum():
        if not word.isascii() and _CJK_CHAR.match(word):
            return None, bigrams(word)
        if _is_plain(word):
            return None, [fold(word)]
    elif word[-1] in "+#":
        return None, [word.lower()]  # C++, C#
    parts = _PART.findall(fold(_CAMEL.sub(" ", word)))
    if len(parts) < 2:
        return None, parts
    return join_parts(parts), parts


def join_parts(parts: list[str]) -> str:
    """Parts joined into one term; digits keep a dot between them so ``1.2`` never reads as ``12``."""
    joined = parts[0]
    for part in parts[1:]:
        joined += "." + part if joined[-1].isdigit() and part[0].isdigit() else part
    return joined


def joined_runs(parts: list[str]) -> list[tuple[int, str]]:
    """(offset, joined form) of the leading and trailing runs of two or more parts: ``client.fetch_items``
    gives ``clientfetch``, ``clientfetchitems`` and ``fetchitems``, so an identifier is found by its own
    name without the object or module in front of it, as one term."""
    n = len(parts)
    if n > MAX_JOINED_PARTS:
        return [(0, join_parts(parts))]
    leading = [(0, join_parts(parts[:j])) for j in range(2, n + 1)]
    trailing = [(i, join_parts(parts[i:])) for i in range(1, n - 1)]
    return leading + trailing


class _Split(NamedTuple):
    """What a token that is not one plain word indexes, relative to its first position."""

    #: (offset, joined form) of an identifier's joined runs (see :func:`joined_runs`).
    joined: tuple[tuple[int, str], ...]
    #: The term at each of its positions; None where it is too long to keep.
    terms: tuple[str | None, ...]


class _Analyzed(dict[str, "str | _Split"]):
    """Analyzed tokens, per process: a history repeats its vocabulary ("The", "I", identifiers, accented words),
    so each token is analyzed once. A token of one term maps to the term, any other to its :class:`_Split`."""

    def __missing__(self, word: str) -> str | _Split:
        whole, terms = split_token(word)
        found: str | _Split
        if whole is None and len(terms) == 1 and len(terms[0]) <= MAX_TERM_LENGTH:
            found = word if terms[0] == word else terms[0]  # a lowercase word keeps one string, not two
        else:
            joined = joined_runs(terms) if whole is not None else []
            found = _Split(
                tuple((offset, term) for offset, term in joined if len(term) <= MAX_TERM_LENGTH),
                tuple(term if len(term) <= MAX_TERM_LENGTH else None for term in terms),
            )
        if len(self) < _ANALYZED_LIMIT:
            self[word] = found
        return found


_ANALYZED = _Analyzed()
_ANALYZED_LIMIT = 200_000


def index_terms(texts: Iterable[str], language: str | None = None) -> dict[str, list[int]]:
    """Map each term of ``texts`` to its positions, texts separated by :data:`MESSAGE_GAP`; with a
    ``language``, each word's stem too (``~stem``, at the word's positions).

    The hot loop of an import: each token's analysis is looked up (:class:`_Analyzed`), and most are one term.
    """
    positions: dict[str, list[int]] = {}
    joined_forms: set[str] = set()
    get = positions.get
    analyzed = _ANALYZED.__getitem__
    pos = 0
    for text in texts:
        for found in map(analyzed, tokens(text)):
            if isinstance(found, str):
                plist = get(found)
                if plist is None:
                    positions[found] = [pos]
                else:
                    plist.append(pos)
                pos += 1
                continue
            for offset, joined in found.joined:
                positions.setdefault(joined, []).append(pos + offset)
                joined_forms.add(joined)
            for term in found.terms:
                if term is not None:
                    positions.setdefault(term, []).append(pos)
                pos += 1
        pos += MESSAGE_GAP
    if language is not None:
        add_stems(positions, language, joined_forms)
    return positions


def add_stems(positions: dict[str, list[int]], language: str, skip: set[str]) -> None:
    """Add ``~stem`` terms to a document's ``positions`` (but for the terms in ``skip``): every form of a word
    shares its stem's positions. One pass, the stemmer's cache read inline: this runs for every field of
    every conversation an import indexes."""
    stems = stemmer(language)
    cache = stems.cache
    unseen = cache_miss
    merged: list[list[int]] = []
    for term in list(positions):
        if skip and term in skip:
            continue
        stem = cache.get(term, unseen)
        if stem is unseen:
            stem = stems(term)
        if stem is None:
            continue
        key = STEM_MARK + stem  # type: ignore[operator]
        found = positions.get(key)
        if found is None:
            positions[key] = positions[term][:]
        else:
            found.extend(positions[term])
            merged.append(found)
    for plist in merged:
        plist.sort()


def phrase_terms(text: str) -> tuple[str, ...]:
    """The term sequence of a quoted phrase: parts and bigrams, the positions the index gives them."""
    return tuple(term for word in tokens(text) for term in split_token(word)[1])
