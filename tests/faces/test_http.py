"""MCP over Streamable HTTP: a real server process on 127.0.0.1, real clients, the bearer token."""

from __future__ import annotations

import contextlib
import ipaddress
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


def lan_address() -> str | None:
    """A non-loopback IPv4 address of this machine (from ``hostname -I``), if it has one: still this machine."""
    try:
        listed = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for word in listed.split():
        with contextlib.suppress(ValueError):
            address = ipaddress.ip_address(word)
            if address.version == 4 and not address.is_loopback:
                return word
    return None


def test_sharing_on_every_address_with_a_token_serves_lan_clients(tmp_path: Path) -> None:
    """The README's sharing example (``--host 0.0.0.0`` and a token): a client reaching the machine by a LAN
    address, or by any name, is served; without the token, or from another site's web page, it is not."""
    address = lan_address() or "127.0.0.2"  # 127.0.0.2 with a foreign Host name stands in for a LAN name
    with http_server(tmp_path, "--host", "0.0.0.0", "--auth-token", TOKEN) as url:
        port = int(url.rsplit(":", 1)[1])
        lan = f"http://{address}:{port}"

        async def session() -> None:
            async with client(lan) as c:  # a real MCP client, Host: <address>:<port>
                assert "search_conversations" in {t.name for t in (await c.list_tools()).tools}
                await wait_for_import(c)
                found = await c.call_tool("search_conversations", {"query": "sourdough starter"})
                assert found.structured_content["results"][0]["conversation_id"] == SOURDOUGH

        anyio.run(session)
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "lan", "version": "0"},
            },
        }
        mcp = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        auth = {**mcp, "Authorization": f"Bearer {TOKEN}"}
        for host in (f"mybox.lan:{port}", f"{address}:{port}", "mybox.local"):
            by_name = httpx.post(f"http://127.0.0.2:{port}/mcp", json=body, headers={**auth, "Host": host})
            assert by_name.status_code == 200 and "mcp-session-id" in by_name.headers, (host, by_name.text)
        assert httpx.post(f"{lan}/mcp", json=body, headers=mcp).status_code == 401
        assert httpx.post(f"{lan}/mcp", json=body, headers={**mcp, "Authorization": "Bearer nope"}).status_code == 401
        for origin in ("http://evil.example", f"http://evil.example:{port}", "null"):
            foreign = httpx.post(f"{lan}/mcp", json=body, headers={**auth, "Origin": origin})
            assert foreign.status_code == 403 and TOKEN not in foreign.text, origin
        same = httpx.post(f"{lan}/mcp", json=body, headers={**auth, "Origin": lan})
        assert same.status_code == 200  # a page the machine itself would serve
