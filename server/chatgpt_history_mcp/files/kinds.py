"""A file's type from its first bytes, the name's extension only where the bytes cannot tell.

The names an export gives are no guide: a 2026 export keeps every file as ``<id>.dat``, its name map may give a
PDF as ``rehearsal-schedule``, and an attachment called ``monstera.jpg`` can hold a PNG. So the bytes decide:
magic numbers for the binary formats ChatGPT takes or makes, then UTF-8 (or UTF-16 with its BOM) without NUL
for text, whose extension then picks the text type (CSV, Markdown, JSON, source code). The extension alone
decides only between formats that share a container: Office documents in a ZIP, MP4 audio or video.

No type a browser would run or render as a page is ever handed out (HTML, SVG, JavaScript, XML): such a file is
text/plain, its source shown as text, and a binary whose bytes say nothing is application/octet-stream. A type
from here is what a resource is served as, so it must be safe to serve.
"""

from __future__ import annotations

import codecs
from pathlib import PurePosixPath

from chatgpt_history_mcp.model import FileKind

#: How much of a file's start :func:`sniff_mime` looks at: read this much (or the whole file, if shorter).
SNIFF_BYTES = 4096

OCTET_STREAM = "application/octet-stream"

# Each type with the extensions that name it, the first one what a download of that type is called.
_TEXT_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Anything text whose own type a browser would run or render (.html, .svg, .js, .xml…) is plain text too.
    ("text/plain", (".txt", ".text", ".log", ".ini", ".cfg", ".conf", ".env", ".properties", ".srt")),
    ("text/csv", (".csv",)),
    ("text/tab-separated-values", (".tsv", ".tab")),
    ("text/markdown", (".md", ".markdown", ".mdx")),
    ("application/json", (".json", ".jsonl", ".ndjson", ".geojson")),
    ("application/x-ipynb+json", (".ipynb",)),
    ("application/yaml", (".yaml", ".yml")),
    ("application/toml", (".toml",)),
    ("application/sql", (".sql",)),
    ("text/css", (".css", ".scss", ".sass", ".less")),
    ("text/rtf", (".rtf",)),
    ("text/vtt", (".vtt",)),
    ("text/x-tex", (".tex", ".bib", ".sty", ".cls")),
    ("text/x-python", (".py", ".pyi", ".pyw")),
    ("text/x-typescript", (".ts", ".tsx", ".mts", ".cts")),
    ("text/x-java", (".java",)),
    ("text/x-kotlin", (".kt", ".kts")),
    ("text/x-scala", (".scala",)),
    ("text/x-c", (".c", ".h")),
    ("text/x-c++", (".cpp", ".cc", ".cxx", ".hpp", ".hh", ".hxx")),
    ("text/x-csharp", (".cs",)),
    ("text/x-go", (".go",)),
    ("text/x-rust", (".rs",)),
    ("text/x-ruby", (".rb",)),
    ("text/x-php", (".php",)),
    ("text/x-swift", (".swift",)),
    ("text/x-r", (".r",)),
    ("text/x-lua", (".lua",)),
    ("text/x-perl", (".pl", ".pm")),
    ("text/x-shellscript", (".sh", ".bash", ".zsh", ".fish")),
    ("text/x-powershell", (".ps1",)),
    ("text/x-dockerfile", (".dockerfile",)),
)
_TEXT_BY_EXTENSION = {ext: mime for mime, exts in _TEXT_TYPES for ext in exts}

# Formats in a ZIP (or in OLE2, the old Office container), told apart by the name's extension only.
_ZIP_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)),
    ("application/vnd.oasis.opendocument.text", (".odt",)),
    ("application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    ("application/vnd.oasis.opendocument.presentation", (".odp",)),
    ("application/epub+zip", (".epub",)),
)
_OLE_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("application/msword", (".doc",)),
    ("application/vnd.ms-excel", (".xls",)),
    ("application/vnd.ms-powerpoint", (".ppt",)),
)
_ZIP_BY_EXTENSION = {ext: mime for mime, exts in _ZIP_TYPES for ext in exts}
_OLE_BY_EXTENSION = {ext: mime for mime, exts in _OLE_TYPES for ext in exts}

# Signatures at offset 0, longest first where one is the start of another.
_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
    (b"ID3\x02", "audio/mpeg"),  # ID3v2 tag before the first MP3 frame: version 2, 3 or 4
    (b"ID3\x03", "audio/mpeg"),
    (b"ID3\x04", "audio/mpeg"),
    (b"OggS\x00", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
)
_RIFF_FORMS = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_AIFF_FORMS = {b"AIFF", b"AIFC"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# ISO base media (``ftyp``) brands; any other brand is MP4 video.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_MP4_AUDIO_EXTENSIONS = {".m4a", ".m4b"}
# BMP's two-byte magic is weak: its DIB header's size must be one of the known ones too.
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}

_BINARY_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("image/png", (".png",)),
    ("image/jpeg", (".jpg", ".jpeg")),
    ("image/gif", (".gif",)),
    ("image/webp", (".webp",)),
    ("image/bmp", (".bmp",)),
    ("image/tiff", (".tiff", ".tif")),
    ("image/heic", (".heic",)),
    ("image/heif", (".heif",)),
    ("image/avif", (".avif",)),
    ("application/pdf", (".pdf",)),
    ("audio/mpeg", (".mp3",)),
    ("audio/aac", (".aac",)),
    ("audio/wav", (".wav",)),
    ("audio/aiff", (".aiff",)),
    ("audio/ogg", (".ogg",)),
    ("audio/flac", (".flac",)),
    ("audio/mp4", (".m4a",)),
    ("video/mp4", (".mp4",)),
    ("video/quicktime", (".mov",)),
    ("video/3gpp", (".3gp",)),
    ("video/x-msvideo", (".avi",)),
    ("application/zip", (".zip",)),
    ("application/gzip", (".gz",)),
    ("application/x-7z-compressed", (".7z",)),
    ("application/vnd.rar", (".rar",)),
    (OCTET_STREAM, (".bin",)),
)
_EXTENSION_FOR = {mime: exts[0] for mime, exts in _TEXT_TYPES + _ZIP_TYPES + _OLE_TYPES + _BINARY_TYPES}

_DOCUMENT_TYPES = {"application/pdf", "application/rtf"} | {mime for mime, _ in _ZIP_TYPES + _OLE_TYPES}
_TEXT_APPLICATION_TYPES = {
    "application/json",
    "application/xml",
    "application/yaml",
    "application/x-yaml",
    "application/toml",
    "application/sql",
    "application/javascript",
    "application/ecmascript",
    "application/x-sh",
}


def sniff_mime(head: bytes, name: str | None = None) -> str:
    """The type of a file that starts with ``head`` (its first :data:`SNIFF_BYTES`, or all of a shorter file).

    ``name`` (a file name or an export path, with or without an extension) only chooses among types the bytes
    leave open: which Office format a ZIP is, which text type a text is. Never raises, whatever the bytes.
    """
    head = head[:SNIFF_BYTES]
    extension = _extension(name)
    binary = _binary_type(head, extension)
    if binary is not None:
        return binary
    if _is_text(head):
        return _TEXT_BY_EXTENSION.get(extension, "text/plain")
    return OCTET_STREAM


def kind_of(mime: str) -> FileKind:
    """What an agent is told the file is: an image it can be shown, a document it can read, audio, or other."""
    essence = mime_essence(mime)
    major = essence.partition("/")[0]
    if major == "image":
        return "image"
    if major == "audio":
        return "audio"
    if essence in _DOCUMENT_TYPES or is_text_like(essence):
        return "document"
    return "other"


def is_text_like(mime: str) -> bool:
    """Whether a file of this type reads as text (plain, CSV, Markdown, JSON, XML, source code).

    Says nothing about how it is served: :func:`sniff_mime` never gives an active type such as text/html.
    """
    essence = mime_essence(mime)
    return (
        essence.startswith("text/")
        or essence in _TEXT_APPLICATION_TYPES
        or essence.endswith(("+json", "+xml", "+yaml"))
    )


def extension_for(mime: str) -> str:
    """The extension (with its dot) a download of this type is named with: ``.bin`` for a type not known here."""
    return _EXTENSION_FOR.get(mime_essence(mime), ".bin")


def mime_essence(mime: str) -> str:
    """``type/subtype`` in lower case, without parameters (``; charset=utf-8``)."""
    return mime.partition(";")[0].strip().lower()


def _extension(name: str | None) -> str:
    if not name:
        return ""
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def _binary_type(head: bytes, extension: str) -> str | None:
    """The type the bytes' signature gives, or None when they have none known here."""
    for prefix, mime in _PREFIXES:
        if head.startswith(prefix):
            return mime
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] in _RIFF_FORMS:
        return _RIFF_FORMS[head[8:12]]
    if head[:4] == b"FORM" and head[8:12] in _AIFF_FORMS:
        return "audio/aiff"
    if head[4:8] == b"ftyp":
        return _iso_media_type(head, extension)
    if head.startswith(_ZIP_MAGIC):
        return _ZIP_BY_EXTENSION.get(extension, "application/zip")
    if head.startswith(_OLE_MAGIC):
        return _OLE_BY_EXTENSION.get(extension, OCTET_STREAM)
    if head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
        return "image/bmp"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # text with a BOM, not an MPEG frame (0xFF 0xFE and 0xFE 0xFF can start one)
    return _mpeg_audio_type(head)


def _iso_media_type(head: bytes, extension: str) -> str:
    """HEIC, AVIF, M4A, QuickTime or MP4, from the ``ftyp`` box's major brand and compatible brands."""
    box_end = min(int.from_bytes(head[:4], "big"), len(head))
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, box_end - 3, 4)}
    if major in _HEIC_BRANDS:
        return "image/heic"
    if major in _AVIF_BRANDS:
        return "image/avif"
    if major in _HEIF_BRANDS:
        if compatible & _AVIF_BRANDS:
            return "image/avif"
        return "image/heic" if compatible & _HEIC_BRANDS else "image/heif"
    if major in _M4A_BRANDS:
        return "audio/mp4"
    if major == b"qt  ":
        return "video/quicktime"
    if major.startswith((b"3gp", b"3g2")):
        return "video/3gpp"
    # Audio-only MP4 often carries a generic brand (``isom``, ``mp42``): its name says what it is.
    return "audio/mp4" if extension in _MP4_AUDIO_EXTENSIONS else "video/mp4"


def _mpeg_audio_type(head: bytes) -> str | None:
    """MP3 (or AAC in ADTS) from a frame header at the start, whose fields must all be valid."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    if layer == 0:
        # ADTS: 12 sync bits, layer 0; its sampling index 13-15 is reserved.
        return "audio/aac" if head[1] & 0xF6 == 0xF0 and (head[2] >> 2) & 0x0F < 13 else None
    bitrate, sampling = head[2] >> 4, (head[2] >> 2) & 0b11
    if version == 0b01 or bitrate == 0b1111 or sampling == 0b11:
        return None
    return "audio/mpeg"


def _is_text(head: bytes) -> bool:
    """Text: UTF-8 (a character cut by the end of ``head`` allowed) or UTF-16 after its BOM, with no NUL."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16-le" if head.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(head[2:], final=False)
        except UnicodeDecodeError:
            return False
        return "\x00" not in text
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True
