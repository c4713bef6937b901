"""MCP over Streamable HTTP: a real server process on 127.0.0.1, real clients, the bearer token."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from outside import free_port
from sample import SAMPLE, SOURDOUGH
from servers import http_server as serve_http

TOKEN = "test-http-token-5f2c9e0a"


@contextmanager
def http_server(tmp_path: Path, *extra: str) -> Iterator[str]:
    env = {**os.environ, "CHATGPT_HISTORY_DATA_DIR": str(tmp_path / "data"), "CHATGPT_HISTORY_EXPORTS": str(SAMPLE)}
    with serve_http(env, *extra, timeout=20) as served:
        yield served.url


def client(url: str, token: str | None = TOKEN) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers)))


async def wait_for_import(c: Client) -> None:
    deadline = time.monotonic() + 20
    while (await c.call_tool("history_status", {})).structured_content["conversations"] < 16:
        assert time.monotonic() < deadline
        await anyio.sleep(0.1)


def test_http_with_a_token_serves_many_clients_and_refuses_the_rest(tmp_path: Path) -> None:
    with http_server(tmp_path, "--auth-token", TOKEN) as url:
        health = httpx.get(f"{url}/health")
        assert health.json()["status"] == "ok"  # public: monitors need no token
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        assert httpx.post(f"{url}/mcp", json=body).status_code == 401
        wrong = httpx.post(f"{url}/mcp", json=body, headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401 and TOKEN not in wrong.text
        foreign = httpx.post(
            f"{url}/mcp", json=body, headers={"Authorization": f"Bearer {TOKEN}", "Host": "evil.example:80"}
        )
        assert foreign.status_code in (400, 403, 421)  # DNS-rebinding protection stays on

        async def session() -> None:
            async with client(url) as c:
                await wait_for_import(c)
                results = []

                async def search(i: int) -> None:
                    async with client(url) as other:
                        found = await other.call_tool("search_conversations", {"query": "sourdough starter"})
                        results.append(found.structured_content["results"][0]["conversation_id"])

                async with anyio.create_task_group() as group:
                    for i in range(8):
                        group.start_soon(search, i)
                assert results == [SOURDOUGH] * 8

        anyio.run(session)


def test_http_on_loopback_needs_no_token(tmp_path: Path) -> None:
    with http_server(tmp_path) as url:

        async def session() -> None:
            async with client(url, token=None) as c:
                tools = {t.name for t in (await c.list_tools()).tools}
                assert "search_conversations" in tools

        anyio.run(session)


def test_binding_beyond_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatgpt_history_mcp",
            "--data-dir",
            str(tmp_path),
            "serve",
            "--transport",
            "http",
            "--host",
            "0.0.0.0",
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "CHATGPT_HISTORY_HTTP_TOKEN": ""},
    )
    assert result.returncode == 2
    assert "CHATGPT_HISTORY_HTTP_TOKEN" in result.stderr and "Traceback" not in result.stderr
