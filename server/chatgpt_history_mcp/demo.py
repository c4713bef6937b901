"""``chatgpt-history-mcp demo``: the bundled sample export, a real server over stdio, a real MCP client.

Prints what an agent would see: the tool list, a listing, searches, a conversation read, a canvas document, and
a photo the person attached (its attachment, and the picture ``get_file`` gives).
"""

from __future__ import annotations

import base64
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from chatgpt_history_mcp.settings import ENV_DATA_DIR, ENV_EXPORTS


def data_path(name: str) -> Path:
    """A file shipped with the package (the sample export), or from the source tree in a checkout."""
    packaged = Path(__file__).parent / "data" / name
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[2] / "examples" / name


def _shorten(value: Any, limit: int = 240) -> Any:
    """Long strings cut for the screen; the structure stays whole and valid JSON."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"… [{len(value) - limit} more characters]"
    if isinstance(value, dict):
        return {k: _shorten(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v, limit) for v in value]
    return value


def _show(title: str, payload: Any) -> None:
    print(f"\n=== {title}")
    print(json.dumps(_shorten(payload), indent=2, ensure_ascii=False))


async def _session(export: Path, data_dir: Path) -> None:
    from chatgpt_history_mcp.ingest.exports import import_export
    from chatgpt_history_mcp.store.history import HistoryStore

    store = HistoryStore(data_dir)
    try:
        print(import_export(store, export).summary())
    finally:
        store.close()

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "chatgpt_history_mcp", "serve"],
        env={ENV_DATA_DIR: str(data_dir), ENV_EXPORTS: ""},
    )
    async with Client(params) as client:
        tools = await client.list_tools()
        print("\n=== tools/list")
        for tool in tools.tools:
            print(f"- {tool.name}: {(tool.description or '').splitlines()[0]}")

        listing = await client.call_tool("list_conversations", {"limit": 5})
        _show("list_conversations(limit=5)", listing.structured_content)

        for query in ("sourdough starter", "parseConfig", "机器学习"):
            found = await client.call_tool("search_conversations", {"query": query, "limit": 3})
            _show(f"search_conversations({query!r})", found.structured_content)

        first = found.structured_content["results"][0]["conversation_id"] if found.structured_content else None
        if first:
            page = await client.call_tool("get_conversation", {"conversation_id": first, "limit": 4})
            _show(f"get_conversation({first!r}, limit=4)", page.structured_content)

        found = await client.call_tool("search_conversations", {"query": "about page for the candle shop", "limit": 1})
        results = found.structured_content["results"] if found.structured_content else []
        if results:
            chat = results[0]["conversation_id"]
            page = await client.call_tool("get_conversation", {"conversation_id": chat})
            messages = page.structured_content["messages"] if page.structured_content else []
            canvases = [m for m in messages if m["kind"] == "canvas"]
            _show(f"get_conversation({chat!r}): its canvas, a message of kind canvas", canvases)

        await _show_a_photo(client)


async def _show_a_photo(client: Client) -> None:
    """A photo the person attached, found by what they asked, listed with its message and read with get_file:
    the image content block an agent looks at, and (on a terminal) a small picture of it."""
    found = await client.call_tool("search_conversations", {"query": "glaze crawled on my mug", "limit": 1})
    results = found.structured_content["results"] if found.structured_content else []
    if not results:
        return
    chat = results[0]["conversation_id"]
    page = await client.call_tool("get_conversation", {"conversation_id": chat, "limit": 2})
    messages = page.structured_content["messages"] if page.structured_content else []
    with_files = [m for m in messages if m["attachments"]]
    if not with_files:
        return
    _show(f"get_conversation({chat!r}): a message with an attachment", with_files[0])
    file_id = with_files[0]["attachments"][0]["file_id"]
    result = await client.call_tool("get_file", {"file_id": file_id})
    _show(f"get_file({file_id!r})", result.structured_content)
    for block in result.content:
        if block.type == "image":
            data = base64.b64decode(block.data)
            print(f"\n=== the image content block: {block.mime_type}, {len(data):,} bytes (base64 in the result)")
            if sys.stdout.isatty():
                _preview(data)


def _preview(data: bytes, width: int = 32) -> None:
    """The picture in the terminal: two pixels per character cell (24-bit colour half blocks)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    height = max(2, round(width * image.height / image.width / 2) * 2)
    small = image.resize((width, height))
    for y in range(0, height, 2):
        cells = []
        for x in range(width):
            top, bottom = small.getpixel((x, y)), small.getpixel((x, y + 1))
            cells.append(f"\x1b[38;2;{top[0]};{top[1]};{top[2]}m\x1b[48;2;{bottom[0]};{bottom[1]};{bottom[2]}m▀")  # type: ignore[index]
        print("".join(cells) + "\x1b[0m")


def run_demo() -> int:
    export = data_path("sample-export.zip")
    if not export.exists():
        print(f"error: the sample export is missing ({export})", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="chatgpt-history-demo-") as tmp:
        anyio.run(_session, export, Path(tmp))
    print(
        "\nDemo finished: the sample history was imported, listed, searched and read over MCP (stdio), a canvas "
        "and a photo included."
    )
    return 0
