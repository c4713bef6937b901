"""Calls through a real MCP client that tests share: a tool call that must succeed, and waiting for the imports
a server runs at its start."""

from __future__ import annotations

import time
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult


async def succeed(client: Client, tool: str, **arguments: Any) -> CallToolResult:
    """``tool(**arguments)``, which must not be an error result (its content says why when it is)."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}({arguments}): {result.content}"
    return result


async def wait_for_import(client: Client, conversations: int, timeout: float = 30.0) -> None:
    """Until the server holds ``conversations`` and imports nothing more (its configured exports run in the
    background while it already answers)."""
    deadline = time.monotonic() + timeout
    while True:
        status = (await succeed(client, "history_status")).structured_content or {}
        if status.get("conversations") == conversations and not status["importing"]["running"]:
            return
        assert time.monotonic() < deadline, status
        await anyio.sleep(0.05)
