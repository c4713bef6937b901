"""The text of an attachment: the sample PDFs and CSV read as a reader would, text files in any encoding an
export holds, bounded by ``max_chars``, and a damaged or locked PDF that says what is wrong instead of failing."""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from chatgpt_history_mcp.files import text as text_module
from chatgpt_history_mcp.files.kinds import sniff_mime
from chatgpt_history_mcp.files.text import ExtractedText, extract_text
from sample import CSV_WORD, FILES, FILES_2026, ORCHESTRA_WORD, PDF_WORD, SAMPLE, SAMPLE_2026

KAYAK_PDF = FILES["file-Rk8vN2mQp4LxT7bWc9Ye3Ax"]
READING_CSV = FILES["file-Rk8vN2mQp4LxT7bWc9Ye3A"]
SCHEDULE_PDF = FILES_2026["file-Vw5Yh2Jq8Nc3Tz6Lr9Bd1M"]


def member(zip_path: Path, entry: str) -> bytes:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.read(entry)


def written(tmp_path: Path, data: bytes, name: str = "file.dat") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def kayak_bytes() -> bytes:
    return member(SAMPLE, KAYAK_PDF.entry)


def read(path: Path, **options: int) -> ExtractedText:
    extracted = extract_text(path, sniff_mime(path.read_bytes()[:4096], path.name), **options)
    assert extracted is not None
    return extracted


def test_the_sample_pdf_gives_the_word_on_its_second_page(tmp_path: Path) -> None:
    extracted = read(written(tmp_path, kayak_bytes()))
    assert PDF_WORD in extracted.text
    assert "Harbour Kayak Club" in extracted.text  # page 1 too
    assert extracted.pages == 2
    assert not extracted.truncated and extracted.note is None


def test_the_2026_pdf_named_without_extension_gives_its_text(tmp_path: Path) -> None:
    path = written(tmp_path, member(SAMPLE_2026, SCHEDULE_PDF.entry), SCHEDULE_PDF.name)
    assert ORCHESTRA_WORD in read(path).text


def test_the_sample_csv_gives_its_text(tmp_path: Path) -> None:
    data = member(SAMPLE, READING_CSV.entry)
    extracted = read(written(tmp_path, data, READING_CSV.name))
    assert CSV_WORD in extracted.text
    assert extracted.text == data.decode()
    assert extracted == ExtractedText(data.decode(), pages=None, truncated=False, note=None)


def test_a_pdf_stops_at_max_chars_before_reading_on(tmp_path: Path) -> None:
    path = written(tmp_path, kayak_bytes())
    first_page = PdfReader(io.BytesIO(kayak_bytes())).pages[0].extract_text()
    extracted = read(path, max_chars=len(first_page) + 10)
    assert extracted.truncated
    assert len(extracted.text) == len(first_page) + 10
    assert PDF_WORD not in extracted.text
    assert extracted.pages == 2


def test_a_pdf_longer_than_the_page_cap_is_read_to_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "MAX_PDF_PAGES", 1)
    extracted = read(written(tmp_path, kayak_bytes()))
    assert "Harbour Kayak Club" in extracted.text
    assert PDF_WORD not in extracted.text
    assert extracted.truncated and extracted.pages == 2
    assert extracted.note == "Only the first 1 of its 2 pages were read."


def test_text_files_in_the_encodings_exports_hold(tmp_path: Path) -> None:
    text = "name,city\nZoë,Zürich\n李,東京\n"
    for number, data in enumerate(
        [
            text.encode(),
            b"\xef\xbb\xbf" + text.encode(),  # UTF-8 with a BOM (Excel's CSV)
            "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"),
            "\ufeff".encode("utf-16-be") + text.encode("utf-16-be"),
        ]
    ):
        path = written(tmp_path, data, f"people-{number}.csv")
        assert extract_text(path, "text/csv") == ExtractedText(text, None, False)


def test_invalid_bytes_are_replaced_not_fatal(tmp_path: Path) -> None:
    path = written(tmp_path, b"caf\xe9 au lait\n\xff\xfe\xfd end", "notes.txt")
    extracted = extract_text(path, "text/plain")
    assert extracted is not None
    assert extracted.text == "caf\ufffd au lait\n\ufffd\ufffd\ufffd end"


def test_a_long_text_is_cut_at_max_chars_without_a_broken_character(tmp_path: Path) -> None:
    path = written(tmp_path, ("日本語の形態素解析" * 10_000).encode(), "long.md")
    extracted = extract_text(path, "text/markdown", max_chars=1000)
    assert extracted is not None
    assert extracted.truncated
    assert extracted.text == ("日本語の形態素解析" * 200)[:1000]


def test_a_file_of_exactly_max_chars_is_not_truncated(tmp_path: Path) -> None:
    path = written(tmp_path, b"a" * 100, "a.txt")
    assert extract_text(path, "text/plain", max_chars=100) == ExtractedText("a" * 100, None, False)


@pytest.mark.parametrize("mime", ["image/png", "audio/wav", "application/zip", "application/octet-stream"])
def test_types_without_text_give_none(tmp_path: Path, mime: str) -> None:
    assert extract_text(written(tmp_path, b"\x89PNG\r\n\x1a\n"), mime) is None


def _damaged_xref(data: bytes) -> bytes:
    """The same PDF with every cross-reference offset wrong: a reader must rebuild the table from the objects."""
    start = data.index(b"xref")
    table = re.sub(rb"\d{10} 00000 n", b"0000000001 00000 n", data[start:])
    return data[:start] + table


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data.replace(b"startxref", b"startxxxx"),
        lambda data: b"%PDF-1.4\n" + b"\x00garbage" * 50,
        lambda data: b"%PDF-",
        lambda data: data.replace(b"/Pages", b"/Pagez"),
        lambda data: data.replace(b"stream", b"strxam"),
    ],
    ids=["cut", "no-startxref", "garbage", "header-only", "no-page-tree", "no-streams"],
)
def test_a_damaged_pdf_gives_a_note_not_an_exception(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    extracted = extract_text(written(tmp_path, damage(kayak_bytes())), "application/pdf")
    assert extracted is not None
    assert PDF_WORD not in extracted.text
    assert extracted.note, extracted


def test_a_pdf_with_a_damaged_xref_table_is_still_read(tmp_path: Path) -> None:
    extracted = extract_text(written(tmp_path, _damaged_xref(kayak_bytes())), "application/pdf")
    assert extracted is not None
    assert PDF_WORD in extracted.text


def _scanned_pdf(pages: int, image_bytes: int) -> bytes:
    """A PDF whose every page is a large image (random bytes, all a text reader sees of a scan's JPEG) under one
    line of text, ``Scanned page N``."""
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for number in range(pages):
        image = random.Random(number).randbytes(image_bytes)
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width 1000 /Height 1000 /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream" % (len(image), image)
        )
        ops = b"q 595 0 0 842 0 0 cm /Im0 Do Q BT /F1 11 Tf 56 790 Td (Scanned page %d) Tj ET" % number
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(ops), ops))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> "
            b"/XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>" % (len(objects) - 1, len(objects))
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(
        b"%010d 00000 n \n" % o for o in offsets
    )
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_scanned_pdf_is_read_in_memory_that_does_not_grow_with_its_pages(tmp_path: Path) -> None:
    """A 40 MB scan (one 1 MB image a page) holds one page's objects at a time, not every image it has read."""
    path = written(tmp_path, _scanned_pdf(pages=40, image_bytes=1_000_000))
    tracemalloc.start()
    try:
        extracted = extract_text(path, "application/pdf")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert extracted is not None and extracted.pages == 40
    assert [line.strip() for line in extracted.text.split("\n\n")] == [f"Scanned page {n}" for n in range(40)]
    assert peak < 8_000_000, f"peak {peak:,} bytes of Python memory reading a 40 MB scan"


def _encrypted(user_password: str, algorithm: str = "RC4-128") -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(kayak_bytes()))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_password_protected_pdf_says_so(tmp_path: Path) -> None:
    extracted = extract_text(written(tmp_path, _encrypted("open-sesame")), "application/pdf")
    assert extracted is not None
    assert extracted.text == ""
    assert extracted.note is not None and "password" in extracted.note


def test_a_pdf_locked_only_against_editing_is_read(tmp_path: Path) -> None:
    # An empty user password: any viewer opens it, only its owner may change it.
    extracted = extract_text(written(tmp_path, _encrypted("")), "application/pdf")
    assert extracted is not None
    assert PDF_WORD in extracted.text


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_an_aes_encrypted_pdf_anyone_may_open_is_read(tmp_path: Path, algorithm: str) -> None:
    extracted = extract_text(written(tmp_path, _encrypted("", algorithm)), "application/pdf")
    assert extracted is not None and extracted.note is None
    assert PDF_WORD in extracted.text


def test_a_pdf_without_text_says_it_has_no_text_layer(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    extracted = extract_text(written(tmp_path, buffer.getvalue()), "application/pdf")
    assert extracted is not None
    assert extracted.text == "" and extracted.pages == 1
    assert extracted.note is not None and "no text layer" in extracted.note


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 2004), junk=st.binary(max_size=64))
def test_any_damage_to_a_pdf_never_raises(tmp_path: Path, cut: int, junk: bytes) -> None:
    data = kayak_bytes()
    extracted = extract_text(written(tmp_path, data[:cut] + junk + data[cut + len(junk) :]), "application/pdf")
    assert extracted is not None


_READ_DAMAGED = """
import logging, sys
from pathlib import Path
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)  # as the command line sets it up
from chatgpt_history_mcp.files.text import extract_text
if sys.argv[2] == "pypdf-logging-on":
    logging.getLogger("pypdf").setLevel(logging.WARNING)
extract_text(Path(sys.argv[1]), "application/pdf")
"""


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:1200],  # pypdf warns: no EOF marker, xref rebuilt
        lambda data: data.replace(b"/WinAnsiEncoding", b"/WinAnsiEncodinX"),  # pypdf logs an error, each page
    ],
    ids=["cut", "unknown-encoding"],
)
def test_pypdf_complaints_about_a_damaged_pdf_stay_off_stderr(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    assert b"/WinAnsiEncoding" in kayak_bytes()
    path = written(tmp_path, damage(kayak_bytes()))

    def stderr_of(mode: str) -> str:
        server = str(Path(__file__).resolve().parents[2] / "server")
        done = subprocess.run(
            [sys.executable, "-c", _READ_DAMAGED, str(path), mode],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": server},
        )
        return done.stderr

    assert "pypdf" in stderr_of("pypdf-logging-on")  # the file does make pypdf complain
    assert stderr_of("default") == ""
