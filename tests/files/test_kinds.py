"""A file's type comes from its bytes: every file of both sample exports whatever its name says, the magic of
each format an export holds, text told from binary, and never a type a browser would run."""

from __future__ import annotations

import io
import wave
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from chatgpt_history_mcp.files.kinds import SNIFF_BYTES, extension_for, is_text_like, kind_of, sniff_mime
from sample import FILES, FILES_2026, SAMPLE, SAMPLE_2026, SampleFile

#: Types a browser runs scripts in or renders as a page: a file served as one of these could act on its own.
ACTIVE = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/ecmascript",
    "application/xml",
    "text/xml",
    "text/xsl",
    "application/x-shockwave-flash",
}
ACTIVE_EXTENSIONS = (".html", ".htm", ".xhtml", ".svg", ".svgz", ".js", ".mjs", ".xml", ".xsl", ".xslt", ".swf")

SAMPLE_FILES = [(SAMPLE, f) for f in FILES.values()] + [(SAMPLE_2026, f) for f in FILES_2026.values()]


def head_of(zip_path: Path, entry: str) -> bytes:
    with zipfile.ZipFile(zip_path) as archive, archive.open(entry) as member:
        return member.read(SNIFF_BYTES)


@pytest.mark.parametrize(("zip_path", "file"), SAMPLE_FILES, ids=[f.file_id for _, f in SAMPLE_FILES])
def test_every_sample_file_gets_the_type_of_its_bytes(zip_path: Path, file: SampleFile) -> None:
    head = head_of(zip_path, file.entry)
    # The attachment's name (or the 2026 name map's value), and the entry's own name (``<id>.dat`` in 2026).
    assert sniff_mime(head, file.name) == file.mime_type
    assert sniff_mime(head, file.entry) == file.mime_type
    if file.mime_type != "text/csv":  # a text's type is what its name says; a binary's needs no name
        assert sniff_mime(head) == file.mime_type


def test_a_png_the_attachment_calls_a_jpeg_is_a_png() -> None:
    monstera = FILES["file-abc123"]
    assert monstera.name == "monstera.jpg"
    assert sniff_mime(head_of(SAMPLE, monstera.entry), monstera.name) == "image/png"


def test_the_2026_pdf_has_a_name_without_extension_and_is_a_pdf() -> None:
    schedule = FILES_2026["file-Vw5Yh2Jq8Nc3Tz6Lr9Bd1M"]
    assert schedule.name == "rehearsal-schedule" and schedule.entry.endswith(".dat")
    assert sniff_mime(head_of(SAMPLE_2026, schedule.entry), schedule.name) == "application/pdf"


def _pillow(fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, fmt, **options)
    return buffer.getvalue()


def _wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 80)
    return buffer.getvalue()


def _zip(first_entry: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(first_entry, "<xml/>")
    return buffer.getvalue()


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00\x00\x00\x08free"


# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, then zeros; ADTS AAC-LC 44.1 kHz stereo.
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413
ADTS_FRAME = b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 10


@pytest.mark.parametrize(
    ("head", "name", "mime"),
    [
        (_pillow("GIF"), None, "image/gif"),
        (_pillow("BMP"), None, "image/bmp"),
        (_pillow("TIFF"), None, "image/tiff"),
        (_pillow("WEBP"), "clip.wav", "image/webp"),  # RIFF…WEBP, whatever the name
        (_wav(), "photo.webp", "audio/wav"),  # RIFF…WAVE
        (b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + MP3_FRAME, None, "audio/mpeg"),
        (MP3_FRAME, None, "audio/mpeg"),
        (ADTS_FRAME, None, "audio/aac"),
        (b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1eOpusHead", None, "audio/ogg"),
        (b"fLaC\x00\x00\x00\x22" + b"\x00" * 34, None, "audio/flac"),
        (_ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), None, "audio/mp4"),
        (_ftyp(b"isom", b"isom", b"mp41"), "voice-memo.m4a", "audio/mp4"),  # generic brand: the name decides
        (_ftyp(b"isom", b"isom", b"avc1", b"mp41"), "clip.mp4", "video/mp4"),
        (_ftyp(b"isom", b"isom", b"avc1", b"mp41"), None, "video/mp4"),
        (_ftyp(b"qt  ", b"qt  "), "IMG_0001.MOV", "video/quicktime"),
        (_ftyp(b"heic", b"mif1", b"heic"), None, "image/heic"),
        (_ftyp(b"mif1", b"mif1", b"heic"), None, "image/heic"),
        (_ftyp(b"avif", b"avif", b"mif1"), None, "image/avif"),
        (
            _zip("word/document.xml"),
            "report.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (_zip("xl/workbook.xml"), "Budget.XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            _zip("ppt/presentation.xml"),
            "deck.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (_zip("word/document.xml"), "report", "application/zip"),  # a ZIP with no name to tell
        (_zip("a.txt"), "archive.zip", "application/zip"),
        (_zip("word/document.xml"), "report.dat", "application/zip"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "notes.txt", "application/pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.doc", "application/msword"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, None, "application/octet-stream"),
    ],
)
def test_magic_decides_the_binary_formats(head: bytes, name: str | None, mime: str) -> None:
    assert sniff_mime(head, name) == mime


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("reading-log.csv", "text/csv"),
        ("notes.md", "text/markdown"),
        ("data.json", "application/json"),
        ("script.py", "text/x-python"),
        ("main.rs", "text/x-rust"),
        ("query.sql", "application/sql"),
        ("config.yaml", "application/yaml"),
        ("analysis.ipynb", "application/x-ipynb+json"),
        ("README", "text/plain"),  # no extension is normal
        ("file_00000000aa11.dat", "text/plain"),
        (None, "text/plain"),
    ],
)
def test_text_takes_its_type_from_the_name(name: str | None, mime: str) -> None:
    assert sniff_mime("a,b\nnaïve,café 東京\n".encode(), name) == mime


def test_text_cut_inside_a_character_is_still_text() -> None:
    text = ("東京の天気は晴れです。" * 400).encode()
    head = text[:SNIFF_BYTES]
    with pytest.raises(UnicodeDecodeError):
        head.decode()  # the head ends inside a three-byte character
    assert sniff_mime(text, "diary.md") == "text/markdown"


def test_utf16_with_its_bom_is_text() -> None:
    assert sniff_mime("\ufeffname,city\nZoë,Zürich\n".encode("utf-16-le"), "people.csv") == "text/csv"
    assert sniff_mime("\ufeffhello".encode("utf-16-be"), "hello.txt") == "text/plain"


@pytest.mark.parametrize(
    "head",
    [
        b"plain words\x00then a NUL",
        b"\xc3\x28 invalid UTF-8 in the middle, not at the end",
        b"\x00\x01\x02\x03" * 64,
    ],
)
def test_bytes_that_are_not_text_nor_known_are_octet_stream(head: bytes) -> None:
    assert sniff_mime(head, "notes.txt") == "application/octet-stream"


HTML = b"<!DOCTYPE html><html><body><script>fetch('/steal')</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize("name", ["page.html", "page.htm", "page.xhtml", "drawing.svg", "app.js", "feed.xml", None])
@pytest.mark.parametrize("head", [HTML, SVG, b"alert(document.cookie)"], ids=["html", "svg", "js"])
def test_markup_and_scripts_are_served_as_plain_text(head: bytes, name: str | None) -> None:
    assert sniff_mime(head, name) == "text/plain"


@pytest.mark.parametrize("extension", ACTIVE_EXTENSIONS)
def test_binary_with_an_active_name_is_octet_stream(extension: str) -> None:
    assert sniff_mime(b"\x00\xff\x10" * 50, f"payload{extension}") == "application/octet-stream"


@settings(max_examples=500, deadline=None, database=None)
@given(
    head=st.binary(max_size=SNIFF_BYTES + 16),
    name=st.one_of(st.none(), st.text(max_size=40), st.sampled_from(ACTIVE_EXTENSIONS).map(lambda e: f"x{e}")),
)
def test_any_bytes_get_a_safe_type_and_never_an_error(head: bytes, name: str | None) -> None:
    mime = sniff_mime(head, name)
    assert mime not in ACTIVE
    assert mime.count("/") == 1


@settings(max_examples=200, deadline=None, database=None)
@given(prefix=st.sampled_from([b"RIFF", b"PK\x03\x04", b"\xff\xfb", b"BM", b"\x00\x00\x00\x18ftyp", b"\xfe\xff"]))
def test_a_signature_cut_short_never_raises(prefix: bytes) -> None:
    for end in range(len(prefix) + 1):
        assert sniff_mime(prefix[:end]) not in ACTIVE


@pytest.mark.parametrize(
    ("mime", "kind"),
    [
        ("image/png", "image"),
        ("image/webp", "image"),
        ("image/heic", "image"),
        ("application/pdf", "document"),
        ("text/csv", "document"),
        ("text/plain; charset=utf-8", "document"),
        ("application/json", "document"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
        ("audio/wav", "audio"),
        ("audio/mpeg", "audio"),
        ("video/mp4", "other"),
        ("application/zip", "other"),
        ("application/octet-stream", "other"),
    ],
)
def test_kind_of(mime: str, kind: str) -> None:
    assert kind_of(mime) == kind


@pytest.mark.parametrize(
    ("mime", "text_like"),
    [
        ("text/plain", True),
        ("text/x-python", True),
        ("application/json", True),
        ("application/ld+json", True),
        ("application/xml", True),
        ("image/svg+xml", True),  # XML, read as text, though never served as this type
        ("application/yaml", True),
        ("TEXT/CSV; charset=UTF-8", True),
        ("application/pdf", False),
        ("image/png", False),
        ("application/octet-stream", False),
    ],
)
def test_is_text_like(mime: str, text_like: bool) -> None:
    assert is_text_like(mime) is text_like


@pytest.mark.parametrize(
    ("mime", "extension"),
    [
        ("application/pdf", ".pdf"),
        ("image/jpeg", ".jpg"),
        ("image/png", ".png"),
        ("audio/wav", ".wav"),
        ("text/csv", ".csv"),
        ("text/markdown", ".md"),
        ("text/plain", ".txt"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
        ("application/octet-stream", ".bin"),
        ("application/x-never-heard-of", ".bin"),
    ],
)
def test_extension_for_a_download(mime: str, extension: str) -> None:
    assert extension_for(mime) == extension


@pytest.mark.parametrize(
    "mime",
    ["text/plain", "text/csv", "text/markdown", "application/json", "text/x-python", "application/yaml", "text/x-c"],
)
def test_a_text_downloaded_under_its_extension_sniffs_back_to_its_type(mime: str) -> None:
    assert sniff_mime(b"x = 1\n", "download" + extension_for(mime)) == mime
