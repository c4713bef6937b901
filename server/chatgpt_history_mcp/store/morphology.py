"""Word forms: which language a conversation is in, and the Snowball stem of a word in it.

People remember the gist, not the inflection: ``starters`` must find ``starter`` and ``configuring`` must find
``configuration``. The index keeps every word as written and, beside it, a stem term (``~configur``) for each
word whose stem differs from it, at the same position; a query asks for the exact form and, weighted lower, the
stem, so an exact match still ranks first.

The stemmer is chosen per conversation by a cheap guess from function words (a dozen languages' words are not
needed: English, French, Spanish, German, Portuguese and Italian cover the Latin-script languages people write
to ChatGPT in). Queries are too short to guess from, so a query word asks for its stem in every one of them;
stems that no document holds cost one failed term look-up. Stemming is PyStemmer's C Snowball (a tenth of a
microsecond a word), and each process caches the stems it has computed.
"""

from __future__ import annotations

from collections.abc import Iterable

import Stemmer

#: Marks a stem term in the index: no token the tokenizer makes can start with it.
STEM_MARK = "~"
DEFAULT_LANGUAGE = "english"
LANGUAGES = ("english", "french", "spanish", "german", "portuguese", "italian")
#: Words shorter than this are left alone: their stems are mostly other words (``us`` -> ``u``).
MIN_STEM_LENGTH = 4
#: Characters of a conversation read to guess its language.
_SAMPLE_CHARS = 6000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Function words frequent in one language and rare in the others (folded: no accents).
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "english": _words("the and is are was with that this for you what how have not but can"),
    "french": _words("le les des est une dans pour avec que qui pas sur sont mais vous nous cette"),
    "spanish": _words("el los las del una por para con que es esta pero como muy tambien son"),
    "german": _words("der die das und ist nicht ich mit sich auf ein eine den dem wie auch"),
    "portuguese": _words("os das dos uma para com que nao mas como voce esta sao tambem muito"),
    "italian": _words("il gli della che di una per con non sono come anche questo perche molto"),
}


_CACHE_LIMIT = 500_000
_UNSEEN = object()


class _Stems:
    """One language's stemmer with a per-process cache; ``None`` where the stem is the word itself."""

    def __init__(self, language: str) -> None:
        self._stem_word = Stemmer.Stemmer(language).stemWord
        self._cache: dict[str, str | None] = {}

    def __call__(self, term: str) -> str | None:
        try:
            return self._cache[term]
        except KeyError:
            pass
        stem: str | None = None
        if len(term) >= MIN_STEM_LENGTH and term.isalpha() and _is_latin(term):
            stem = self._stem_word(term)
            if stem == term or len(stem) < 2:
                stem = None
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[term] = stem
        return stem

    def of_terms(self, terms: Iterable[str]) -> dict[str, str]:
        """``{term: stem}`` for the terms of one document whose stem differs from them (the hot path of
        indexing: cached terms cost one dict look-up)."""
        cache = self._cache
        found: dict[str, str] = {}
        for term in terms:
            stem = cache.get(term, _UNSEEN)
            if stem is _UNSEEN:
                stem = self(term)
            if stem is not None:
                found[term] = stem  # type: ignore[assignment]
        return found


def _is_latin(term: str) -> bool:
    return term.isascii() or all(c < "\u0250" for c in term)


_STEMMERS: dict[str, _Stems] = {}


def stemmer(language: str) -> _Stems:
    found = _STEMMERS.get(language)
    if found is None:
        found = _STEMMERS[language] = _Stems(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    return found


def guess_language(words: Iterable[str]) -> str:
    """The language whose function words are most frequent among ``words`` (folded tokens); English when
    none stands out (code, short chats, other scripts)."""
    counts = dict.fromkeys(_FUNCTION_WORDS, 0)
    for word in words:
        for language, vocabulary in _FUNCTION_WORDS.items():
            if word in vocabulary:
                counts[language] += 1
    best = max(counts, key=counts.__getitem__)
    if best != DEFAULT_LANGUAGE and counts[best] >= 3 and counts[best] > 1.5 * counts[DEFAULT_LANGUAGE]:
        return best
    return DEFAULT_LANGUAGE


def sample(texts: Iterable[str]) -> str:
    """The first few thousand characters of ``texts``: enough to tell the language, cheap to scan."""
    taken: list[str] = []
    size = 0
    for text in texts:
        taken.append(text[: _SAMPLE_CHARS - size])
        size += len(taken[-1])
        if size >= _SAMPLE_CHARS:
            break
    return "\n".join(taken)


def stem_terms(term: str) -> list[str]:
    """The index terms a query word's other forms are found by: the word's own stem term (``starter`` ->
    ``~starter``, which ``starters`` indexed), and for each language's stem that differs from the word, the stem
    term and the stem as a word of its own (``starters`` -> ``~starter``, ``starter``)."""
    if not (len(term) >= MIN_STEM_LENGTH and term.isalpha() and _is_latin(term)):
        return []
    found = [STEM_MARK + term]
    for language in LANGUAGES:
        stem = stemmer(language)(term)
        if stem is None:
            continue
        for candidate in (STEM_MARK + stem, stem):
            if candidate not in found:
                found.append(candidate)
    return found
