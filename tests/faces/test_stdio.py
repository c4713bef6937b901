"""The server as hosts run it: a real subprocess speaking MCP over stdio."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from chatgpt_history_mcp.settings import ENV_DATA_DIR, ENV_EXPORTS
from outside import console_script
from sample import REPO, SOURDOUGH
from servers import TOOLS

pytestmark = pytest.mark.anyio

SRV_SAMPLE_ZIP = REPO / "examples" / "sample-export.zip"
#: Local, read-only history tools; then the live ones, which reach ChatGPT (open world).
#: A sanity bound for spawn -> tools/list (a host gives up far later), not a benchmark.
STARTUP_BOUND = 10.0


def srv_text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def srv_wait_for_import(client: Client, expected: int, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        result = await client.call_tool("history_status", {})
        assert not result.is_error, srv_text(result)
        status = result.structured_content
        if status["conversations"] == expected and not status["importing"]["running"]:
            return status
        assert time.monotonic() < deadline, f"import did not finish in {timeout}s: {status}"
        await anyio.sleep(0.1)


async def test_installed_console_script_serves_over_stdio(tmp_path: Path) -> None:
    command = console_script("chatgpt-history-mcp")  # the venv in use, even when it is not on PATH
    data_dir = tmp_path / "data"
    params = StdioServerParameters(
        command=command,
        args=["serve"],
        env={ENV_DATA_DIR: str(data_dir), ENV_EXPORTS: str(SRV_SAMPLE_ZIP)},
    )
    started = time.monotonic()
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        elapsed = time.monotonic() - started
        assert {t.name for t in tools} == TOOLS
        assert elapsed < STARTUP_BOUND, f"spawn to tools/list took {elapsed:.1f}s"

        status = await srv_wait_for_import(client, 24)
        assert Path(status["data_dir"]) == data_dir
        assert [Path(s["path"]) for s in status["sources"]] == [SRV_SAMPLE_ZIP.resolve()]
        assert (data_dir / "archive.sqlite3").is_file(), "the data folder from the environment is used"

        found = await client.call_tool("search_conversations", {"query": "sourdough starter"})
        assert not found.is_error, srv_text(found)
        top = found.structured_content["results"][0]
        assert top["conversation_id"] == SOURDOUGH
        assert top["title"] == "Sourdough starter not rising"

        page = await client.call_tool("get_conversation", {"conversation_id": SOURDOUGH, "limit": 2})
        assert not page.is_error, srv_text(page)
        assert [m["role"] for m in page.structured_content["messages"]] == ["user", "assistant"]
        assert "sourdough starter" in page.structured_content["messages"][0]["text"]
        assert page.structured_content["next_offset"] == 2

        resource = await client.read_resource(f"chatgpt://conversations/{SOURDOUGH}")
        assert resource.contents[0].text.startswith("# Sourdough starter not rising")

        bad = await client.call_tool("search_conversations", {"query": "a*"})
        assert bad.is_error
        assert "2 characters" in srv_text(bad)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_python_dash_m_answers_tools_list(tmp_path: Path, mode: str) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "chatgpt_history_mcp"],  # no subcommand: serve is the default
        env={ENV_DATA_DIR: str(tmp_path / "data"), ENV_EXPORTS: ""},
    )
    started = time.monotonic()
    async with Client(params, mode=mode) as client:
        tools = (await client.list_tools()).tools
        elapsed = time.monotonic() - started
        assert {t.name for t in tools} == TOOLS
        assert elapsed < STARTUP_BOUND, f"spawn to tools/list took {elapsed:.1f}s"
        status = await client.call_tool("history_status", {})
        assert not status.is_error, srv_text(status)
        assert status.structured_content["conversations"] == 0
        assert status.structured_content["sources"] == []
        empty = await client.call_tool("search_conversations", {"query": "sourdough"})
        assert not empty.is_error, srv_text(empty)
        assert empty.structured_content["results"] == []


async def test_index_workers_started_by_a_stdio_server_leave_the_protocol_intact(tmp_path: Path) -> None:
    # 600 conversations pass the importer's threshold, so the server's background import spawns index worker
    # processes, which inherit the server's stdout: the protocol stream must stay clean while they run.
    sys.path.insert(0, str(REPO))
    from bench.synth_export import write_export

    export = tmp_path / "export.zip"
    write_export(str(export), 600, seed=7)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "chatgpt_history_mcp", "serve"],
        env={ENV_DATA_DIR: str(tmp_path / "data"), ENV_EXPORTS: str(export)},
    )
    async with Client(params) as client:
        status = await srv_wait_for_import(client, 600, timeout=120.0)
        assert status["indexed"] == 600
        assert status["importing"]["last_error"] is None
        listing = await client.call_tool("list_conversations", {"limit": 20})
        item = next(i for i in listing.structured_content["items"] if i["title"] != "Untitled conversation")
        found = await client.call_tool("search_conversations", {"query": f'"{item["title"]}"', "limit": 50})
        assert not found.is_error, srv_text(found)
        assert item["conversation_id"] in {r["conversation_id"] for r in found.structured_content["results"]}


def test_the_recall_example_finds_and_reads_a_past_chat(tmp_path: Path) -> None:
    import subprocess

    data = tmp_path / "data"
    env = {**os.environ, ENV_DATA_DIR: str(data), ENV_EXPORTS: ""}
    imported = subprocess.run(
        [sys.executable, "-m", "chatgpt_history_mcp", "import", str(SRV_SAMPLE_ZIP)], env=env, capture_output=True
    )
    assert imported.returncode == 0
    recalled = subprocess.run(
        [sys.executable, str(REPO / "examples" / "recall.py"), "parseConfig"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert recalled.returncode == 0, recalled.stderr
    assert "Fixing KeyError in parse_config" in recalled.stdout
    assert "**parse_config**" in recalled.stdout and "[assistant]" in recalled.stdout
