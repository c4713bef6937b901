"""The elements of a JSON file holding conversations, one at a time, each named by a digest of its bytes, and
an element the caller already has passed over by that digest without being parsed.

Why: a newer export repeats nearly every conversation of the last one byte for byte, and parsing them was most
of what a re-import cost. The caller says what it has (:class:`KnownElements`, from the :class:`ElementKey`
of each element it imported); an element whose first :data:`HEAD_BYTES` and whole digest match one of them is
skipped by its length. A digest match is proof, not a guess: the bytes skipped are exactly those of an
element parsed and checked before, so they are one complete JSON value. The digests are XXH3 (128 bits for the
whole, 64 for the head): ten times SHA-256's speed, and hashing every element's bytes was a tenth of what a
re-import cost. Not a cryptographic hash, and none is needed: whoever could craft a colliding element writes the
export, and could as well leave the element as it was; a chance collision of 128 bits never happens.

Everything else is parsed by the standard library's C decoder (``json.JSONDecoder.raw_decode``), on text
decoded from a sliding byte buffer: memory holds about one element, whatever the size of the file. Before
any text reaches the decoder, a depth guard given by the caller sees its bytes, so too deep a nesting is
refused before it is parsed. What the decoder would accept but the export format does not (``NaN``,
infinities, integers beyond 64 bits) is refused as invalid, as is anything after the top-level value.

The file is an array of elements, or an object whose ``conversations`` member is that array (streamed the
same way), or one conversation object on its own.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any, NamedTuple, Protocol

import xxhash

#: Bytes at the start of an element that select the stored keys worth comparing with it (its title and
#: times, in ChatGPT's layout); shorter elements are always parsed (they cost nothing).
HEAD_BYTES = 256
#: Bytes read from the file at a time.
READ_SIZE = 256 * 1024
#: Bytes of text handed to the decoder at first for one element, doubled until the element fits.
_WINDOW = 32 * 1024
#: Stored keys tried at one position at most (many elements starting with the same bytes: parsed instead).
_MAX_CANDIDATES = 8
#: A decoder error this close to the end of the text it was given may only mean that the text ends there.
_TAIL = 16
_INT64 = 2**63
_NOT_SPACE = re.compile(rb"[^ \t\r\n]")
_LOW_SURROGATE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_HIGH_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")
_NOT_LEADING = re.compile(rb"[^ \t\r\n\xef\xbb\xbf]")  # whitespace and a UTF-8 byte order mark
_OPEN_ARRAY, _CLOSE_ARRAY, _OPEN_OBJECT, _CLOSE_OBJECT = b"[]{}"
_COMMA, _COLON, _QUOTE = b',:"'
_END = -1  # what the next byte is at the end of the file


class JSONProblem(Exception):
    """The file is not the JSON it should be; ``truncated`` when it may only have been cut short."""

    def __init__(self, detail: str, truncated: bool = False) -> None:
        super().__init__(detail)
        self.truncated = truncated


class TextProblem(JSONProblem):
    """An escape that is half a character (a lone low surrogate: the second half of an emoji, cut off)."""


class ShapeProblem(Exception):
    """Valid JSON, but neither an array of conversations nor an object holding one (the message says what)."""


class DepthGuard(Protocol):
    """Follows the nesting of the bytes it is shown, in order, and raises past its limit."""

    def restart(self, depth: int) -> None:
        """The bytes shown next start at this depth, outside any string."""

    def scan(self, data: bytes) -> None:
        """The next bytes of the file."""


class ElementKey(NamedTuple):
    """The identity of an element's bytes: its length, a digest of its head (empty for an element shorter
    than :data:`HEAD_BYTES`) and a digest of all of it."""

    length: int
    head: bytes
    digest: bytes

    @classmethod
    def of(cls, data: bytes | memoryview) -> ElementKey:
        head = _head_digest(data[:HEAD_BYTES]) if len(data) >= HEAD_BYTES else b""
        return cls(len(data), head, _digest(data))

    def text(self) -> str:
        """The key as stored: ``length:head:digest`` in hex, after the digests' :data:`_SCHEME`."""
        return f"{_SCHEME}{self.length}:{self.head.hex()}:{self.digest.hex()}"

    @classmethod
    def parse(cls, text: str) -> ElementKey | None:
        """The key :meth:`text` wrote, or None for anything else (a key of other digests included: its element
        is parsed and compared with the stored copy once, then stored under a key of these)."""
        if not text.startswith(_SCHEME):
            return None
        length, _, rest = text[len(_SCHEME) :].partition(":")
        head, _, digest = rest.partition(":")
        try:
            return cls(int(length), bytes.fromhex(head), bytes.fromhex(digest))
        except ValueError:
            return None


#: Names the digests of a stored key (keys of SHA-256 digests, written before, have no name).
_SCHEME = "xxh3:"
_digest = xxhash.xxh3_128_digest
_head_digest = xxhash.xxh3_64_digest


class KnownElements:
    """The elements a caller has, by the digest of their head: what the reader may skip."""

    def __init__(self, keys: Iterable[ElementKey]) -> None:
        self._by_head: dict[bytes, list[tuple[int, bytes]]] = {}
        for key in keys:
            if key.head:
                self._by_head.setdefault(key.head, []).append((key.length, key.digest))

    def __bool__(self) -> bool:
        return bool(self._by_head)

    def candidates(self, head: bytes) -> list[tuple[int, bytes]]:
        """(length, digest) of the known elements that start with the bytes of this head digest."""
        return self._by_head.get(head, [])[:_MAX_CANDIDATES]


class Element(NamedTuple):
    """One element: its parsed value, or :data:`KNOWN` when it was skipped; its key (None for a lone object)."""

    value: Any
    key: ElementKey | None


class _Known:
    def __repr__(self) -> str:
        return "KNOWN"


#: The value of an element passed over because its key is known.
KNOWN: Any = _Known()


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JSONProblem(f"the number {text[:40]} is too large")
    return value


def _int64(text: str) -> int:
    value = int(text) if len(text) <= 20 else _INT64
    if not -_INT64 < value < _INT64:
        raise JSONProblem(f"the integer {text[:40]} is beyond 64 bits")
    return value


def _no_constant(text: str) -> Any:
    raise JSONProblem(f"{text} is not a JSON value")


_DECODER = json.JSONDecoder(parse_float=_finite, parse_int=_int64, parse_constant=_no_constant)


def _escaped(text: str, start: int, at: int) -> bool:
    """Whether the backslash at ``at`` is escaped: an odd number of backslashes right before it."""
    i = at - 1
    while i >= start and text[i] == "\\":
        i -= 1
    return (at - 1 - i) % 2 == 1


def _utf8_cut(data: bytes, end: int) -> int:
    """``end``, or the start of the character it would cut in two."""
    start = end - 1
    while start >= 0 and end - start <= 3 and data[start] & 0xC0 == 0x80:
        start -= 1
    if start >= 0 and data[start] >= 0xC0:
        size = 2 if data[start] < 0xE0 else 3 if data[start] < 0xF0 else 4
        if end - start < size:
            return start
    return end


class ElementReader:
    """The elements of one file, read from ``stream`` (see the module docstring). Iterate once."""

    def __init__(self, stream: _Readable | IO[bytes], guard: DepthGuard, known: KnownElements | None = None) -> None:
        self._stream = stream
        self._guard = guard
        self._known = known if known else None
        self._data = b""  # the file from byte `_base` on
        self._base = 0
        self._pos = 0  # where the reader is in `_data`
        self._eof = False
        self._depth = 0  # of the structure around the position: 1 in the top-level array
        # The decoder's view: `_text` is `_data[_pos:_tend]` decoded, `_ti` the position in it, while aligned.
        self._aligned = False
        self._text = ""
        self._ti = 0
        self._tend = 0

    def __iter__(self) -> Iterator[Element]:
        first = self._next_byte(_NOT_LEADING)
        if first == _END:
            return
        if first == _OPEN_ARRAY:
            yield from self._array()
        elif first == _OPEN_OBJECT:
            yield from self._object()
        else:
            raise ShapeProblem("not a JSON array of conversations")
        if self._next_byte(_NOT_SPACE) != _END:
            raise self._invalid("more data after the JSON value")

    # -- structure ------------------------------------------------------------------------------------------

    def _array(self) -> Iterator[Element]:
        self._advance(1)
        self._depth += 1
        byte = self._next_byte(_NOT_SPACE)
        if byte == _CLOSE_ARRAY:
            self._advance(1)
            self._depth -= 1
            return
        while True:
            if byte == _END:
                raise self._truncated("the array ends early")
            yield self._element()
            byte = self._next_byte(_NOT_SPACE)
            if byte == _COMMA:
                self._advance(1)
                byte = self._next_byte(_NOT_SPACE)
                if byte == _CLOSE_ARRAY:
                    raise self._invalid("a comma before the end of the array")
            elif byte == _CLOSE_ARRAY:
                self._advance(1)
                self._depth -= 1
                return
            else:
                raise self._unexpected(byte, "',' or ']' after an element")

    def _object(self) -> Iterator[Element]:
        """The top-level object: its ``conversations`` array streamed, or the object itself if it is one."""
        self._advance(1)
        self._depth += 1
        members: dict[str, Any] = {}
        listed = False
        byte = self._next_byte(_NOT_SPACE)
        while byte != _CLOSE_OBJECT:
            if byte != _QUOTE:
                raise self._unexpected(byte, "a member name")
            name, _ = self._parse()
            if (byte := self._next_byte(_NOT_SPACE)) != _COLON:
                raise self._unexpected(byte, "':' after a member name")
            self._advance(1)
            byte = self._next_byte(_NOT_SPACE)
            if name == "conversations" and byte == _OPEN_ARRAY:
                listed = True
                yield from self._array()
            elif byte == _END:
                raise self._truncated("the file ends where a member's value should be")
            else:
                members[name], _ = self._parse()
            byte = self._next_byte(_NOT_SPACE)
            if byte == _COMMA:
                self._advance(1)
                byte = self._next_byte(_NOT_SPACE)
                if byte == _CLOSE_OBJECT:
                    raise self._invalid("a comma before the end of the object")
            elif byte != _CLOSE_OBJECT:
                raise self._unexpected(byte, "',' or '}' after a member")
        self._advance(1)
        self._depth -= 1
        if listed:
            return
        if isinstance(members.get("mapping"), dict):  # one conversation saved on its own
            yield Element(members, None)
            return
        keys = ", ".join(sorted(members)[:6])
        raise ShapeProblem(f"not a list of conversations (an object with {keys}); is this the export?")

    def _element(self) -> Element:
        if self._known is not None and self._data[self._pos] == _OPEN_OBJECT:
            key = self._known_here()
            if key is not None:
                return Element(KNOWN, key)
        value, raw = self._parse()
        return Element(value, ElementKey.of(raw) if isinstance(value, dict) else None)

    def _known_here(self) -> ElementKey | None:
        """The key of the known element at the position, which is then passed over; None if there is none."""
        assert self._known is not None
        if not self._fill(HEAD_BYTES):
            return None
        head = _head_digest(memoryview(self._data)[self._pos : self._pos + HEAD_BYTES])
        for length, digest in self._known.candidates(head):
            if not self._fill(length):
                continue
            end = self._pos + length
            if self._data[end - 1] == _CLOSE_OBJECT and _digest(memoryview(self._data)[self._pos : end]) == digest:
                self._pos = end
                self._aligned = False
                return ElementKey(length, head, digest)
        return None

    # -- parsing --------------------------------------------------------------------------------------------

    def _parse(self) -> tuple[Any, bytes]:
        """The JSON value at the position, and its bytes; the position moves past it."""
        window = _WINDOW
        while True:
            whole = self._decode(window)
            try:
                value, end = _DECODER.raw_decode(self._text, self._ti)
            except json.JSONDecodeError as exc:
                unterminated = exc.msg.startswith("Unterminated string")
                if not whole and (unterminated or exc.pos >= len(self._text) - _TAIL):
                    window *= 2
                    continue
                cut = unterminated or exc.pos >= len(self._text.rstrip())  # the file ends where the value goes on
                raise JSONProblem(f"{exc.msg} at byte {self._byte_at(exc.pos):,}", truncated=cut) from None
            except RecursionError:  # the guard stops nesting long before this; in case a decoder recurses more
                raise JSONProblem("the JSON nests too deep") from None
            if end == len(self._text) and not whole:  # a number or a word might go on past the text
                window *= 2
                continue
            if self._text.find("\\u", self._ti, end) >= 0:
                self._refuse_lone_low_surrogates(end)
            raw = self._text[self._ti : end].encode()
            self._ti = end
            self._pos += len(raw)
            return value, raw

    def _refuse_lone_low_surrogates(self, end: int) -> None:
        """Refuse a ``\\udc00``-``\\udfff`` escape that no high surrogate escape comes before: half an emoji, which
        no UTF-8 store can hold (a lone high surrogate is let through: the normalizer replaces it)."""
        text, start = self._text, self._ti
        for found in _LOW_SURROGATE.finditer(text, start, end):
            at = found.start()
            if _escaped(text, start, at):  # a backslash written out, then the letters "udc00": text
                continue
            pair = at - 6 >= start and _HIGH_SURROGATE.match(text, at - 6) and not _escaped(text, start, at - 6)
            if not pair:
                raise TextProblem(f"{found.group()} at byte {self._byte_at(at):,}")

    def _decode(self, window: int) -> bool:
        """Align the text on the position, covering at least ``window`` bytes from it (less at the end of the
        file); whether it reaches the end of the file. While elements are parsed one after the other, text is
        decoded a read beyond that: what is left of the last piece is copied along, so pieces much larger than
        an element keep that cheap."""
        ahead = READ_SIZE  # the elements after this one will be read next
        if not self._aligned:  # after a known element: the next one is likely known too, decode no further
            self._text, self._ti, self._tend, self._aligned = "", 0, self._pos, True
            self._guard.restart(self._depth)
            ahead = 0
        if self._tend < self._pos + window:
            self._fill(window)
            limit = min(len(self._data), self._pos + window + ahead)
            end = limit if self._eof and limit == len(self._data) else _utf8_cut(self._data, limit)
            piece = self._data[self._tend : end]
            self._guard.scan(piece)
            try:
                text = piece.decode()
            except UnicodeDecodeError as exc:
                raise self._invalid("not UTF-8 text", self._tend + exc.start) from None
            self._text = self._text[self._ti :] + text
            self._ti = 0
            self._tend = end
        return self._eof and self._tend == len(self._data)

    # -- the buffer -----------------------------------------------------------------------------------------

    def _fill(self, n: int) -> bool:
        """At least ``n`` bytes from the position on, unless the file ends first; whether they are there."""
        while len(self._data) - self._pos < n and not self._eof:
            chunk = self._stream.read(max(READ_SIZE, n - (len(self._data) - self._pos)))
            if not chunk:
                self._eof = True
                break
            pos = self._pos
            self._data = self._data[pos:] + chunk
            self._base += pos
            self._tend -= pos
            self._pos = 0
        return len(self._data) - self._pos >= n

    def _advance(self, n: int) -> None:
        """Move past ``n`` bytes of structure (ASCII: one character each)."""
        self._pos += n
        self._ti += n
        if self._pos > self._tend:
            self._aligned = False

    def _next_byte(self, pattern: re.Pattern[bytes]) -> int:
        """Move to the next byte ``pattern`` matches and return it, or :data:`_END`."""
        while True:
            found = pattern.search(self._data, self._pos)
            if found is not None:
                self._advance(found.start() - self._pos)
                return self._data[self._pos]
            self._advance(len(self._data) - self._pos)
            if not self._fill(1):
                return _END

    # -- problems -------------------------------------------------------------------------------------------

    def _byte_at(self, text_pos: int) -> int:
        """The file offset of a position in the text."""
        return self._base + self._pos + len(self._text[self._ti : text_pos].encode())

    def _truncated(self, detail: str) -> JSONProblem:
        return JSONProblem(detail, truncated=True)

    def _invalid(self, detail: str, at: int | None = None) -> JSONProblem:
        """``detail`` at offset ``at`` of the buffer (the position by default)."""
        return JSONProblem(f"{detail} at byte {self._base + (self._pos if at is None else at):,}")

    def _unexpected(self, byte: int, wanted: str) -> JSONProblem:
        if byte == _END:
            return self._truncated(f"the file ends where {wanted} should be")
        return self._invalid(f"expecting {wanted}, found {chr(byte)!r}")
