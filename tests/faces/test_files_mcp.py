"""Files as an agent gets them through a real MCP client: attachments in ``get_conversation``, ``get_file`` (an image
as image content with the right pixels, a PDF or CSV as its text, paged), the ``chatgpt://files/{file_id}``
resource (the file's bytes under its own MIME type), search by a file's name and its text, and a clear tool error
for an id the store does not keep."""

from __future__ import annotations

import base64
import io
import json
import sys
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from PIL import Image

from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.settings import Settings
from mcp_calls import succeed, wait_for_import
from sample import (
    ALL_SAMPLE,
    ALL_SAMPLE_2026,
    CANDLE_CANVAS,
    CANVAS_WORD,
    CSV_WORD,
    FILE_NAME_WORD,
    FILES,
    FILES_2026,
    JPEG_TOLERANCE,
    KAYAK_PDF,
    MISSING_FILES,
    ORCHESTRA_WORD,
    PDF_WORD,
    READING_CHART,
    SAMPLE,
    SAMPLE_2026,
    SampleFile,
)

pytestmark = pytest.mark.anyio

Json = dict[str, Any]
ALL_FILES = {**FILES, **FILES_2026}
IMAGES = [f for f in ALL_FILES.values() if f.quadrants is not None]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    server = create_server(Settings(data_dir=tmp_path / "data", exports=[SAMPLE, SAMPLE_2026]))
    async with Client(server) as connected:
        await wait_for_import(connected, ALL_SAMPLE + ALL_SAMPLE_2026)
        yield connected


def entry_bytes(sample: SampleFile) -> bytes:
    export = SAMPLE if sample.file_id in FILES else SAMPLE_2026
    with zipfile.ZipFile(export) as archive:
        return archive.read(sample.entry)


def quadrant_colours(image: Image.Image) -> list[tuple[int, int, int]]:
    rgb = image.convert("RGB")
    w, h = rgb.size
    return [rgb.getpixel((x, y)) for y in (h // 4, 3 * h // 4) for x in (w // 4, 3 * w // 4)]  # type: ignore[misc]


def close(found: list[tuple[int, int, int]], expected: tuple[Any, ...], tolerance: int) -> bool:
    return all(
        abs(a - b) <= tolerance
        for got, want in zip(found, expected, strict=True)
        for a, b in zip(got, want, strict=True)
    )


async def test_each_message_lists_its_files_and_whether_they_are_there(client: Client) -> None:
    for sample in ALL_FILES.values():
        page = await succeed(client, "get_conversation", conversation_id=sample.conversation_id, include_hidden=True)
        listed = {a["file_id"]: a for m in page.structured_content["messages"] for a in m["attachments"]}
        shown = listed[sample.file_id]
        assert shown["available"] and shown["uri"] == f"chatgpt://files/{sample.file_id}"
        assert shown["mime_type"] == sample.mime_type and shown["size"] == len(entry_bytes(sample))
        assert shown["kind"] == {"image": "image", "audio": "audio"}.get(sample.mime_type.split("/")[0], "document")
    houseplant = next(s for s in FILES.values() if s.file_id == "file-abc123").conversation_id
    page = await succeed(client, "get_conversation", conversation_id=houseplant)
    listed = {a["file_id"]: a for m in page.structured_content["messages"] for a in m["attachments"]}
    gone = [listed[f] for f in MISSING_FILES if f in listed]
    assert gone and all(not a["available"] and a["uri"] is None for a in gone)
    assert listed["file-abc123"]["name"] == "monstera.jpg" and listed["file-abc123"]["mime_type"] == "image/png"


@pytest.mark.parametrize("sample", IMAGES, ids=lambda s: s.name)
async def test_get_file_shows_an_image_with_its_pixels_within_the_size_hosts_take(
    client: Client, sample: SampleFile
) -> None:
    result = await succeed(client, "get_file", file_id=sample.file_id)
    (image,) = [c for c in result.content if c.type == "image"]
    data = base64.b64decode(image.data)
    assert len(data) <= 750_000
    picture = Image.open(io.BytesIO(data))
    assert picture.format and f"image/{picture.format.lower()}" == image.mime_type
    width, height = sample.size  # type: ignore[misc]
    assert max(picture.size) == min(max(width, height), 1568)
    assert abs(picture.size[0] / picture.size[1] - width / height) < 0.01
    tolerance = JPEG_TOLERANCE if "jpeg" in (sample.mime_type, image.mime_type) or "jpeg" in image.mime_type else 2
    assert close(quadrant_colours(picture), sample.quadrants, tolerance), quadrant_colours(picture)
    facts = result.structured_content
    assert (facts["width"], facts["height"]) == (width, height)
    assert facts["uri"] == f"chatgpt://files/{sample.file_id}"
    assert json.loads(next(c for c in result.content if c.type == "text").text)["file_id"] == sample.file_id
    (link,) = [c for c in result.content if c.type == "resource_link"]
    assert (link.uri, link.mime_type, link.size) == (facts["uri"], sample.mime_type, facts["size"])


async def test_a_large_image_is_downscaled_and_the_resource_keeps_the_original(client: Client) -> None:
    chart = next(s for s in FILES.values() if s.conversation_id == READING_CHART and s.quadrants)
    facts = (await succeed(client, "get_file", file_id=chart.file_id)).structured_content
    assert (facts["shown_width"], facts["shown_height"]) == (1568, 871)
    original = await client.read_resource(f"chatgpt://files/{chart.file_id}")
    (content,) = original.contents
    assert content.mime_type == "image/png"
    assert base64.b64decode(content.blob) == entry_bytes(chart)  # type: ignore[union-attr]


@pytest.mark.parametrize("sample", list(ALL_FILES.values()), ids=lambda s: s.file_id)
async def test_every_file_resource_is_its_bytes_under_its_own_type(client: Client, sample: SampleFile) -> None:
    (content,) = (await client.read_resource(f"chatgpt://files/{sample.file_id}")).contents
    assert content.mime_type == sample.mime_type
    assert base64.b64decode(content.blob) == entry_bytes(sample)  # type: ignore[union-attr]


async def test_a_pdf_and_a_csv_read_as_their_text(client: Client) -> None:
    pdf = next(s for s in FILES.values() if s.conversation_id == KAYAK_PDF)
    facts = (await succeed(client, "get_file", file_id=pdf.file_id)).structured_content
    assert PDF_WORD in facts["text"] and facts["next_offset"] is None and facts["kind"] == "document"
    csv = next(s for s in FILES.values() if s.mime_type == "text/csv")
    facts = (await succeed(client, "get_file", file_id=csv.file_id)).structured_content
    assert CSV_WORD in facts["text"] and facts["total_chars"] == len(entry_bytes(csv).decode())
    schedule = next(s for s in FILES_2026.values() if s.mime_type == "application/pdf")  # a .dat without a name
    assert ORCHESTRA_WORD in (await succeed(client, "get_file", file_id=schedule.file_id)).structured_content["text"]


async def test_long_text_is_paged_by_next_offset(client: Client) -> None:
    pdf = next(s for s in FILES.values() if s.conversation_id == KAYAK_PDF)
    whole = (await succeed(client, "get_file", file_id=pdf.file_id)).structured_content["text"]
    pages, offset = [], 0
    while offset is not None:
        page = (await succeed(client, "get_file", file_id=pdf.file_id, offset=offset, max_chars=500)).structured_content
        pages.append(page["text"])
        offset = page["next_offset"]
    assert len(pages) > 1 and "".join(pages) == whole


async def test_search_finds_words_that_live_only_in_a_file_or_a_canvas(client: Client) -> None:
    for word, conversation, where in (
        (PDF_WORD, KAYAK_PDF, "attachment"),
        (CSV_WORD, READING_CHART, "attachment"),
        (FILE_NAME_WORD, next(s for s in FILES.values() if "IMG_4471" in s.name).conversation_id, "attachment"),
        (
            ORCHESTRA_WORD,
            next(s for s in FILES_2026.values() if s.mime_type == "application/pdf").conversation_id,
            "attachment",
        ),
        (CANVAS_WORD, CANDLE_CANVAS, "canvas"),
    ):
        page = (await succeed(client, "search_conversations", query=word)).structured_content
        assert [r["conversation_id"] for r in page["results"]] == [conversation], word
        assert page["results"][0]["matches"][0]["where"] == where


async def test_an_unknown_file_is_a_clear_error(client: Client) -> None:
    result = await client.call_tool("get_file", {"file_id": "file-doesnotexist"})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "no stored file" in text and "get_conversation" in text
    missing = await client.call_tool("get_file", {"file_id": MISSING_FILES[0]})  # named by a message, not exported
    assert missing.is_error
    with pytest.raises(MCPError):
        await client.read_resource("chatgpt://files/file-doesnotexist")


async def test_get_file_over_stdio_gives_the_picture(tmp_path: Path) -> None:
    """The whole path a host takes: a server process over stdio, the export imported at its start."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "chatgpt_history_mcp", "serve", "--data-dir", str(tmp_path / "data"), "--export", str(SAMPLE)],
        env={"CHATGPT_HISTORY_SYNC_INTERVAL": "0"},
    )
    glaze = next(s for s in FILES.values() if "IMG_4471" in s.name)
    async with Client(params) as client:
        await wait_for_import(client, ALL_SAMPLE, timeout=60)
        result = await succeed(client, "get_file", file_id=glaze.file_id)
        (image,) = [c for c in result.content if c.type == "image"]
        picture = Image.open(io.BytesIO(base64.b64decode(image.data)))
        assert picture.size == glaze.size
        assert close(quadrant_colours(picture), glaze.quadrants, JPEG_TOLERANCE)  # type: ignore[arg-type]


async def test_the_transcript_resource_links_each_attachment(client: Client) -> None:
    glaze = next(s for s in FILES.values() if "IMG_4471" in s.name)
    (content,) = (await client.read_resource(f"chatgpt://conversations/{glaze.conversation_id}")).contents
    assert f"- attachment: [mug-IMG_4471.jpg](chatgpt://files/{glaze.file_id}) (image/jpeg, 5.6 KB)" in content.text  # type: ignore[union-attr]
    houseplant = next(s for s in FILES.values() if s.file_id == "file-abc123").conversation_id
    (content,) = (await client.read_resource(f"chatgpt://conversations/{houseplant}")).contents
    assert f"{MISSING_FILES[0]} (not in this history)" in content.text  # type: ignore[union-attr]
