"""What the model sees of this server, as a file: every tool's name, title, description, annotations and input
and output schemas (``tests/snapshots/tools_list.json``). Hosts send it with every request, so a change to it is a
change to what every agent reads: it shows up here as a diff to review, never silently.

After a deliberate change: ``CHATGPT_HISTORY_UPDATE_SNAPSHOT=1 pytest tests/faces/test_tools_snapshot.py``, then
review and commit the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.settings import Settings

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "tools_list.json"
pytestmark = pytest.mark.anyio


async def _tools(tmp_path: Path, allow_send: bool) -> list[dict[str, Any]]:
    server = create_server(Settings(data_dir=tmp_path / f"data-{allow_send}", allow_send=allow_send, sync_interval=0))
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]


async def test_tools_list_is_the_reviewed_snapshot(tmp_path: Path) -> None:
    offered = await _tools(tmp_path, allow_send=True)
    live = json.dumps(sorted(offered, key=lambda t: t["name"]), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("CHATGPT_HISTORY_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(live, encoding="utf-8")
    assert live == SNAPSHOT.read_text(encoding="utf-8"), (
        "tools/list changed: what every agent reads is different. If that is meant, run "
        "CHATGPT_HISTORY_UPDATE_SNAPSHOT=1 pytest tests/faces/test_tools_snapshot.py and commit the reviewed diff"
    )
    # Without the switch, the same tools less send_message, word for word.
    default = await _tools(tmp_path, allow_send=False)
    assert sorted(default, key=lambda t: t["name"]) == [t for t in json.loads(live) if t["name"] != "send_message"]
