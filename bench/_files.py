"""Real files for synthetic exports: images a decoder opens, PDFs a text extractor reads, any size.

Shared by ``examples/make_sample_export.py`` (small files with known pixels and words, which tests check) and
``bench/synth_export.py`` (files of any size streamed into a ZIP, for benchmarks). A benchmark's files must be
both valid (the importer sniffs their type, ``get_file`` decodes them) and distinct (the store deduplicates by
content), without holding gigabytes in memory: a small valid image is padded with ignorable chunks of seeded
random bytes, written piece by piece.

PDFs are written with the standard library (one font, plain text lines); images need Pillow (a dependency of
the package), imported only when an image is made.
"""

from __future__ import annotations

import io
import random
import re
import struct
from collections.abc import Iterator, Sequence

RGB = tuple[int, int, int]
#: Piece size when a padded file is streamed.
CHUNK = 1 << 20


# --- PDF ---------------------------------------------------------------------------------------------


def _pdf_string(line: str) -> str:
    """A PDF literal string in WinAnsi (Latin-1 here): backslash, parentheses and non-ASCII escaped."""
    out = []
    for ch in line:
        code = ord(ch)
        if ch in "\\()":
            out.append("\\" + ch)
        elif 32 <= code < 127:
            out.append(ch)
        elif code < 256:
            out.append(f"\\{code:03o}")
        else:
            raise ValueError(f"{ch!r} is outside WinAnsi: PDFs here hold Latin-1 text only")
    return "(" + "".join(out) + ")"


def pdf(pages: Sequence[Sequence[str]], title: str = "") -> bytes:
    """A valid PDF 1.4 of A4 pages, each a list of text lines in Helvetica 11 pt (what ``pypdf`` extracts)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    pages_obj = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        ops = ["BT", "/F1 11 Tf", "14 TL", "56 790 Td"]
        for line in lines:
            ops.append(f"{_pdf_string(line)} Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (pages_obj, font, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    refs = " ".join(f"{k} 0 R" for k in kids).encode()
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))
    info = add(b"<< /Title %s /Producer (chatgpt-history-mcp sample) >>" % _pdf_string(title).encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    return bytes(out)


# --- images ------------------------------------------------------------------------------------------


def quadrants(fmt: str, width: int, height: int, colours: tuple[RGB, RGB, RGB, RGB]) -> bytes:
    """An image split into four solid quadrants (top-left, top-right, bottom-left, bottom-right): a test finds
    orientation, cropping and scaling mistakes by sampling each quadrant's centre. ``fmt``: PNG, JPEG or WEBP
    (lossless, so its pixels are exact; JPEG's are within a few levels)."""
    from PIL import Image

    image = Image.new("RGB", (width, height), colours[0])
    half_w, half_h = width // 2, height // 2
    image.paste(colours[1], (half_w, 0, width, half_h))
    image.paste(colours[2], (0, half_h, half_w, height))
    image.paste(colours[3], (half_w, half_h, width, height))
    buf = io.BytesIO()
    options = {"PNG": {"optimize": True}, "JPEG": {"quality": 90}, "WEBP": {"lossless": True}}[fmt]
    image.save(buf, fmt, **options)
    return buf.getvalue()


def _random_pieces(rng: random.Random, size: int) -> Iterator[bytes]:
    while size > 0:
        n = min(CHUNK, size)
        yield rng.randbytes(n)
        size -= n


def padded(fmt: str, base: bytes, size: int, rng: random.Random) -> Iterator[bytes]:
    """``base`` (a valid PNG, JPEG, WEBP or PDF) grown to about ``size`` bytes with pieces a decoder skips, in
    pieces of at most :data:`CHUNK` bytes: private ancillary PNG chunks after the image data, JPEG comment
    segments after the start marker, an unknown RIFF chunk in an extended WEBP, PDF comments before the first
    object. The padding is ``rng``'s, so each file is distinct and the same seed gives the same bytes."""
    extra = max(size - len(base), 0)
    if fmt == "PNG":
        import zlib

        end = base.rindex(b"IEND") - 4
        yield base[:end]
        for piece in _random_pieces(rng, max(extra - 12, 0)):
            yield struct.pack(">I", len(piece)) + b"prVt" + piece + struct.pack(">I", zlib.crc32(b"prVt" + piece))
        yield base[end:]
    elif fmt == "JPEG":
        yield base[:2]
        per = 65533
        left = extra
        while left > 0:
            n = min(per, max(left - 4, 1))
            yield b"\xff\xfe" + struct.pack(">H", n + 2) + rng.randbytes(n)
            left -= n + 4
        yield base[2:]
    elif fmt == "WEBP":
        yield from _padded_webp(base, extra, rng)
    elif fmt == "PDF":
        yield from _padded_pdf(base, extra, rng)
    else:
        raise ValueError(f"cannot pad {fmt}")


def _padded_pdf(base: bytes, extra: int, rng: random.Random) -> Iterator[bytes]:
    """Comment lines between the header and the first object; the cross-reference offsets move by as much."""
    start = base.index(b"1 0 obj")
    lines, left = [], extra
    while left > 0:  # hex, so no byte can end a comment early
        n = max(min(CHUNK // 2, (left - 2) // 2), 0)
        lines.append(n)
        left -= 2 * n + 2
    shift = sum(2 * n + 2 for n in lines)
    yield base[:start]
    for n in lines:
        yield b"%" + rng.randbytes(n).hex().encode() + b"\n"
    body = re.sub(rb"(?m)^(\d{10}) 00000 n ", lambda m: b"%010d 00000 n " % (int(m.group(1)) + shift), base[start:])
    yield re.sub(rb"startxref\n(\d+)", lambda m: b"startxref\n%d" % (int(m.group(1)) + shift), body)


def _padded_webp(base: bytes, extra: int, rng: random.Random) -> Iterator[bytes]:
    """A simple (VP8/VP8L) WEBP rewritten in the extended form, whose readers skip unknown chunks."""
    if base[12:16] == b"VP8X":
        raise ValueError("pass a simple WEBP")
    from PIL import Image

    width, height = Image.open(io.BytesIO(base)).size
    image_chunk = base[12:]
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little")
    vp8x += (height - 1).to_bytes(3, "little")
    pad = max(extra - len(vp8x) - 8, 0)
    pad += pad % 2
    yield b"RIFF" + struct.pack("<I", 4 + len(vp8x) + len(image_chunk) + 8 + pad) + b"WEBP" + vp8x + image_chunk
    yield b"PADD" + struct.pack("<I", pad)
    yield from _random_pieces(rng, pad)
