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

import re
from collections.abc import Iterable

import Stemmer

#: Marks a stem term in the index: no token the tokenizer makes can start with it.
STEM_MARK = "~"
DEFAULT_LANGUAGE = "english"
LANGUAGES = ("english", "french", "spanish", "german", "portuguese", "italian")
#: Words shorter than this are left alone: their stems are mostly other words (``us`` -> ``u``).
MIN_STEM_LENGTH = 4
#: Characters of a conversation read to guess its language.
_SAMPLE_CHARS = 3000


#: Function words frequent in one language and rare in the others, as written (lower case, with accents).
_FUNCTION_WORDS: dict[str, str] = {
    "english": "the and is are was with that this for you what how have not but can",
    "french": "le les des est une dans pour avec qui pas sur sont mais vous nous cette très être",
    "spanish": "el los las del una por para con es esta pero como muy también son qué está",
    "german": "der die das und ist nicht ich mit sich auf ein eine den dem wie auch für",
    "portuguese": "os das dos uma para com não mas como você está são também muito isso",
    "italian": "il gli della che di una per con non sono come anche questo perché molto è",
}


def _votes() -> dict[str, tuple[str, ...]]:
    """Each function word and the languages it counts for ("una" is Spanish, Portuguese and Italian)."""
    votes: dict[str, tuple[str, ...]] = {}
    for language, words in _FUNCTION_WORDS.items():
        for word in words.split():
            votes[word] = (*votes.get(word, ()), language)
    return votes


_VOTES = _votes()
_LOWER_WORD = re.compile(r"[^\W\d_]+")
_ACCENTED = re.compile("[àâäçéèêëîïôöùûüÿñáíóúãõßœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÑÁÍÓÚÃÕ]")


_CACHE_LIMIT = 500_000
#: What the cache answers for a term it has not seen (None means "no stem").
cache_miss = object()


class _Stems:
    """One language's stemmer with a per-process cache.

    In English, the default, a word that is its own stem (``starter``) gets no stem term: most words are, and a
    query finds them as written. In the other languages every stemmable word gets one, so that a query asking
    for a French stem never meets an English word that merely looks like it.
    """

    def __init__(self, language: str) -> None:
        self._stem_word = Stemmer.Stemmer(language).stemWord
        self._keep_same = language != DEFAULT_LANGUAGE
        self.cache: dict[str, str | None] = {}

    def __call__(self, term: str) -> str | None:
        try:
            return self.cache[term]
        except KeyError:
            pass
        stem: str | None = None
        if len(term) >= MIN_STEM_LENGTH and term.isalpha() and _is_latin(term):
            stem = self._stem_word(term)
            if len(stem) < 2 or (stem == term and not self._keep_same):
                stem = None
        if len(self.cache) < _CACHE_LIMIT:
            self.cache[term] = stem
        return stem


def _is_latin(term: str) -> bool:
    return term.isascii() or all(c < "\u0250" for c in term)


_STEMMERS: dict[str, _Stems] = {}


def stemmer(language: str) -> _Stems:
    found = _STEMMERS.get(language)
    if found is None:
        found = _STEMMERS[language] = _Stems(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    return found


def guess_language(texts: Iterable[str]) -> str:
    """The language whose function words are most frequent in the first few thousand characters of ``texts``;
    English when none stands out (code, short chats, other scripts)."""
    text = _sample(texts)
    if not _ACCENTED.search(text):
        return DEFAULT_LANGUAGE  # the other five write accents in nearly every paragraph
    counts = dict.fromkeys(_FUNCTION_WORDS, 0)
    votes = _VOTES.get
    for word in _LOWER_WORD.findall(text.lower()):
        for language in votes(word, ()):
            counts[language] += 1
    best = max(counts, key=counts.__getitem__)
    if best != DEFAULT_LANGUAGE and counts[best] >= 3 and counts[best] > 1.5 * counts[DEFAULT_LANGUAGE]:
        return best
    return DEFAULT_LANGUAGE


def _sample(texts: Iterable[str]) -> str:
    taken: list[str] = []
    size = 0
    for text in texts:
        taken.append(text[: _SAMPLE_CHARS - size])
        size += len(taken[-1])
        if size >= _SAMPLE_CHARS:
            break
    return "\n".join(taken)


def stem_terms(term: str) -> list[str]:
    """The index terms a query word's other forms are found by, in every language: its stem terms, and in
    English the stem as a word of its own (``starters`` -> ``~starter`` and ``starter``; ``starter`` ->
    ``~starter``, which ``starters`` indexed)."""
    if not (len(term) >= MIN_STEM_LENGTH and term.isalpha() and _is_latin(term)):
        return []
    english = stemmer(DEFAULT_LANGUAGE)(term)
    found = [STEM_MARK + (english or term)]
    if english is not None:
        found.append(english)
    for language in LANGUAGES[1:]:
        stem = stemmer(language)(term)
        if stem is not None and STEM_MARK + stem not in found:
            found.append(STEM_MARK + stem)
    return found
