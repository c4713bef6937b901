"""The text of a text-like file or a PDF, bounded: for the search index and for an agent reading the file.

Files come from anyone (an upload, a generated report), so nothing here trusts them: a text file is read only as
far as ``max_chars`` can need, a PDF through a file handle (pypdf reads objects as pages ask for them, where a
path would have it read the whole file), one page's objects at a time and only up to :data:`MAX_PDF_PAGES` pages;
a damaged or password-protected PDF gives what could be read and a note saying why the rest is missing, never an
exception.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass
from pathlib import Path

import pypdf

from chatgpt_history_mcp.files.complaints import complaint
from chatgpt_history_mcp.files.kinds import is_text_like, mime_essence

#: Characters of text kept by default: a long book's worth, well past what an index or a page of reading needs.
MAX_TEXT_CHARS = 1_000_000
#: Pages of a PDF read at most, whatever ``max_chars`` allows: pypdf parses each page's content in memory.
MAX_PDF_PAGES = 1000
#: Bytes UTF-8 (or UTF-16) can take for one character: a text file is read up to ``max_chars`` times this.
_BYTES_PER_CHAR = 4
_PAGE_SEPARATOR = "\n\n"

# pypdf logs every oddity of a PDF it reads around, as a WARNING ("Ignoring wrong pointing object…") or an ERROR
# ("Advanced encoding … not implemented yet", with a 2 kB table, on every page): on a server's stderr that is noise
# about someone's upload that no one can act on. What it costs the text is in ExtractedText.note instead.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)


@dataclass(frozen=True, slots=True)
class ExtractedText:
    """A file's text, and what is known about how complete it is."""

    text: str
    #: A PDF's page count (all its pages, read or not); None for a text file.
    pages: int | None
    #: Whether the file has more text than ``text`` (cut at ``max_chars``, or pages past :data:`MAX_PDF_PAGES`).
    truncated: bool
    #: Why text is missing, for a person: a PDF that is password-protected, damaged or a scan with no text layer.
    note: str | None = None


def extract_text(path: Path, mime: str, *, max_chars: int = MAX_TEXT_CHARS) -> ExtractedText | None:
    """The text of the file at ``path`` of type ``mime`` (as :func:`~.kinds.sniff_mime` gave it), at most
    ``max_chars`` characters; None for a type with no text read here (images, audio, Office documents…).

    Raises only :class:`OSError`, when the file itself cannot be opened or read: its content never makes this
    fail.
    """
    if mime_essence(mime) == "application/pdf":
        return _pdf_text(path, max_chars)
    if is_text_like(mime):
        return _plain_text(path, max_chars)
    return None


def _plain_text(path: Path, max_chars: int) -> ExtractedText:
    """UTF-8 (a BOM dropped) or UTF-16 after its BOM; bytes that are not valid become U+FFFD."""
    limit = max_chars * _BYTES_PER_CHAR + len(codecs.BOM_UTF8)
    with path.open("rb") as fh:
        data = fh.read(limit)
        more_bytes = bool(fh.read(1))
    if data.startswith(codecs.BOM_UTF8):
        encoding, data = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith(codecs.BOM_UTF16_LE):
        encoding, data = "utf-16-le", data[2:]
    elif data.startswith(codecs.BOM_UTF16_BE):
        encoding, data = "utf-16-be", data[2:]
    else:
        encoding = "utf-8"
    # A read cut short can split a character: it is left out rather than shown as U+FFFD.
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, final=not more_bytes)
    return ExtractedText(text[:max_chars], pages=None, truncated=more_bytes or len(text) > max_chars)


def _pdf_text(path: Path, max_chars: int) -> ExtractedText:
    """Page by page until ``max_chars`` or :data:`MAX_PDF_PAGES`; a page that fails is skipped and counted."""
    with path.open("rb") as fh:
        # pypdf raises whatever its parser meets in a malformed file (its own errors, but also KeyError,
        # ValueError, RecursionError…): any of them means this PDF cannot be read, not a fault of ours.
        try:
            reader = pypdf.PdfReader(fh)
            if reader.is_encrypted and not reader.decrypt(""):
                return ExtractedText("", None, False, "The PDF is password-protected: its text cannot be read.")
            page_count = len(reader.pages)
        except OSError:
            raise  # the disk, not the PDF
        except pypdf.errors.DependencyError:
            # AES needs the ``cryptography`` package (pypdf's ``crypto`` extra, a dependency): only without it.
            return ExtractedText("", None, False, "The PDF is encrypted (AES): its text cannot be read here.")
        except Exception as exc:
            return ExtractedText("", None, False, f"The PDF is damaged and cannot be read ({complaint(exc)}).")
        parts: list[str] = []
        chars = 0
        failed = 0
        truncated = page_count > MAX_PDF_PAGES
        for number in range(min(page_count, MAX_PDF_PAGES)):
            try:
                page_text = reader.pages[number].extract_text()
            except OSError:
                raise
            except Exception:
                failed += 1
                continue
            finally:
                # pypdf caches every object it resolves for the reader's life, a scan's page images included:
                # memory would grow to the PDF's size. Fonts shared by pages are parsed again (no slower here).
                reader.resolved_objects.clear()
            if not page_text.strip():
                continue
            separator = len(_PAGE_SEPARATOR) if parts else 0
            room = max_chars - chars - separator
            if len(page_text) > room:
                if room > 0:
                    parts.append(page_text[:room])
                truncated = True
                break
            parts.append(page_text)
            chars += separator + len(page_text)
    text = _PAGE_SEPARATOR.join(parts)
    return ExtractedText(text, page_count, truncated, _pdf_note(text, page_count, failed))


def _pdf_note(text: str, page_count: int, failed: int) -> str | None:
    notes = []
    if page_count > MAX_PDF_PAGES:
        notes.append(f"Only the first {MAX_PDF_PAGES} of its {page_count} pages were read.")
    if failed:
        notes.append(f"{failed} of its pages could not be read (the PDF is damaged there).")
    if not text and not failed and page_count:
        notes.append(
            "No text was found in the PDF: it has no text layer (a scan, or images only) or its pages are damaged."
        )
    return " ".join(notes) or None
