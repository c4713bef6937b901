"""Hardening: ``serve --transport http`` as a real process. Who is refused, what is refused, and load.

Requests without the bearer token, with a wrong one (a different last character, a prefix, a longer one, the
wrong scheme), from a foreign Origin or to a foreign Host are refused and served nothing; oversized bodies are
refused without the server dying or growing; binding beyond loopback without a token is refused; and sixteen
concurrent MCP sessions searching a store of a few hundred conversations all get the right answers.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from chatgpt_history_mcp.errors import HttpConfigError
from chatgpt_history_mcp.faces.http import MAX_REQUEST_BODY, http_app, is_loopback
from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.settings import Settings
from chatgpt_history_mcp.store.history import HistoryStore
from outside import free_port
from sample import REPO, SAMPLE, SOURDOUGH
from servers import http_server as serve_http

TOKEN = "hardening-http-token-3b9f51c2a7e04d6e"
SESSIONS = 16
SEARCHES = 12  # per session
SYNTH = 300
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "hardening", "version": "0"},
    },
}


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[str]

    def memory_kb(self, field: str = "VmRSS") -> int | None:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        line = next(line for line in status.splitlines() if line.startswith(field + ":"))
        return int(line.split()[1])


@contextmanager
def http_server(data: Path, *extra: str) -> Iterator[Served]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT_")}
    env.update(CHATGPT_HISTORY_DATA_DIR=str(data), HOME=str(data.parent / "home"))
    with serve_http(env, *extra) as served:
        yield Served(served.url, served.port, served.process)


def mcp_client(url: str, token: str | None = TOKEN) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=60)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http), cache=None)


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, list[str]]]]:
    """A data folder holding the sample export and a few hundred synthetic conversations, and the searches
    the load test makes with the conversation ids each must answer (worked out in process beforehand)."""
    sys.path.insert(0, str(REPO))
    from bench.synth_export import iter_conversations, write_export

    root = tmp_path_factory.mktemp("http-load")
    export = root / "synth.zip"
    write_export(str(export), SYNTH, seed=5)
    data = root / "data"
    store = HistoryStore(data)
    try:
        import_export(store, SAMPLE)
        assert import_export(store, export).added == SYNTH
        queries = ["sourdough starter", "parseConfig", "机器学习", "café"]
        for body in iter_conversations(SYNTH, seed=5):
            words = (body.get("title") or "").split()
            if len(words) >= 2:
                queries.append(" ".join(words[:2]))
                queries.append(f'"{body["title"]}"' if '"' not in body["title"] else words[0])
            if len(queries) >= 40:
                break
        expected = [(q, [r.conversation_id for r in store.search(q, limit=10).results]) for q in queries]
    finally:
        store.close()
    assert sum(1 for _, ids in expected if ids) >= 30
    return data, expected


@pytest.fixture(scope="module")
def server(synthetic_data: tuple[Path, Any]) -> Iterator[Served]:
    with http_server(synthetic_data[0], "--auth-token", TOKEN) as served:
        yield served


def refused(response: httpx.Response, status: int) -> None:
    """The status, and nothing of MCP served: no session, no JSON-RPC result, no tool, no token echoed."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert "mcp-session-id" not in response.headers
    for word in ('"result"', "serverInfo", "search_conversations", TOKEN):
        assert word not in response.text


# -- who is refused ----------------------------------------------------------------------------------------


def test_requests_without_the_right_token_are_refused(server: Served, figures: dict[str, Any]) -> None:
    url = f"{server.url}/mcp"
    wrong = {
        "none": None,
        "another token": "Bearer not-the-token",
        "the last character changed": f"Bearer {TOKEN[:-1]}{'x' if TOKEN[-1] != 'x' else 'y'}",
        "a prefix": f"Bearer {TOKEN[:-1]}",
        "half of it": f"Bearer {TOKEN[: len(TOKEN) // 2]}",
        "one character more": f"Bearer {TOKEN}0",
        "no token after the scheme": "Bearer",
        "the token without its scheme": TOKEN,
        "as Basic credentials": "Basic " + TOKEN,
        "two spaces": f"Bearer  {TOKEN}",
        "the token twice": f"Bearer {TOKEN}, Bearer {TOKEN}",
    }
    tried = 0
    for authorization in wrong.values():
        headers = {**MCP_HEADERS, **({"Authorization": authorization} if authorization is not None else {})}
        for method in ("POST", "GET", "DELETE"):
            response = httpx.request(method, url, json=INITIALIZE if method == "POST" else None, headers=headers)
            refused(response, 401)
            tried += 1
    refused(httpx.post(f"{url}?token={TOKEN}", json=INITIALIZE, headers=MCP_HEADERS), 401)  # not from the URL
    refused(httpx.post(url, json=INITIALIZE, headers=MCP_HEADERS, cookies={"token": TOKEN}), 401)
    refused(httpx.get(f"{server.url}/anything-else"), 401)  # only /health is public
    assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
    ok = httpx.post(url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and "mcp-session-id" in ok.headers  # the right token is served
    for scheme in ("bearer", "BEARER"):  # the scheme is case-insensitive (RFC 9110 §11.1), the token is not
        ok = httpx.post(url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"{scheme} {TOKEN}"})
        assert ok.status_code == 200, scheme
    refused(httpx.post(url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN.upper()}"}), 401)
    figures["http: unauthenticated or wrongly authenticated requests refused"] = tried + 3


def test_foreign_origins_and_hosts_are_refused_even_with_the_token(server: Served) -> None:
    url = f"{server.url}/mcp"
    auth = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
    for origin in ("http://evil.example", "https://evil.example", f"http://evil.example:{server.port}", "null"):
        refused(httpx.post(url, json=INITIALIZE, headers={**auth, "Origin": origin}), 403)
    for host in ("evil.example", f"evil.example:{server.port}", f"127.0.0.1:{server.port + 1}", "127.0.0.1.nip.io"):
        refused(httpx.post(url, json=INITIALIZE, headers={**auth, "Host": host}), 421)
    ok = httpx.post(url, json=INITIALIZE, headers={**auth, "Origin": f"http://127.0.0.1:{server.port}"})
    assert ok.status_code == 200  # the page the server itself would serve


def test_oversized_bodies_are_refused_without_the_server_dying_or_growing(
    server: Served, figures: dict[str, Any]
) -> None:
    url = f"{server.url}/mcp"
    auth = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
    big = b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"' + b"a" * (10 * 2**20) + b'"}}'
    before, peak_before = server.memory_kb(), server.memory_kb("VmHWM")

    def chunked() -> Iterator[bytes]:
        for i in range(0, len(big), 256 * 1024):
            yield big[i : i + 256 * 1024]

    started = time.monotonic()
    refused(httpx.post(url, content=big, headers=auth, timeout=30), 413)  # declared too large
    refused(httpx.post(url, content=chunked(), headers=auth, timeout=30), 413)  # counted as it streams
    just_over = big[: MAX_REQUEST_BODY + 1]
    refused(httpx.post(url, content=just_over, headers=auth, timeout=30), 413)
    refused(httpx.post(url, content=big, headers=MCP_HEADERS, timeout=30), 401)  # no token: never read
    statuses: list[int] = []

    def flood() -> None:
        statuses.append(httpx.post(url, content=chunked(), headers=auth, timeout=60).status_code)

    threads = [threading.Thread(target=flood) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert statuses == [413] * 8
    assert server.process.poll() is None
    assert httpx.get(f"{server.url}/health").status_code == 200

    async def still_serving() -> None:
        async with mcp_client(server.url) as client:
            found = await client.call_tool("search_conversations", {"query": "sourdough starter"})
            assert SOURDOUGH in [r["conversation_id"] for r in found.structured_content["results"]]

    anyio.run(still_serving)
    after, peak = server.memory_kb(), server.memory_kb("VmHWM")
    if before is not None and after is not None and peak is not None and peak_before is not None:
        assert after - before < 64 * 1024, (before, after)  # bodies are refused, not kept: no lasting growth
        assert peak - before < 128 * 1024, (before, peak)  # at most the limit's worth per request in flight
        figures["http: server memory after oversized bodies, growth / peak growth (MB)"] = (
            f"{(after - before) / 1024:.1f} / {(peak - peak_before) / 1024:.1f}"
        )
    figures["http: 10 MB bodies refused with 413 (declared, chunked, 8 at once)"] = 10
    figures["http: time to refuse them (s)"] = round(elapsed, 2)


def test_binding_beyond_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.com"):
        assert not is_loopback(host)
        with pytest.raises(HttpConfigError, match="CHATGPT_HISTORY_HTTP_TOKEN"):
            http_app(create_server(Settings(data_dir=tmp_path / "data")), host, 8765, None)
        with pytest.raises(HttpConfigError):
            http_app(create_server(Settings(data_dir=tmp_path / "data")), host, 8765, "")
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT_")}
    env.update(CHATGPT_HISTORY_DATA_DIR=str(tmp_path / "data"), CHATGPT_HISTORY_HTTP_TOKEN="")
    command = ["serve", "--transport", "http", "--auth-token", ""]
    for host in ("0.0.0.0", "::"):
        port = free_port()
        done = subprocess.run(
            [sys.executable, "-m", "chatgpt_history_mcp", *command, "--host", host, "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "CHATGPT_HISTORY_HTTP_TOKEN" in done.stderr and "--auth-token" in done.stderr
        with socket.socket() as probe:  # and nothing was left listening
            assert probe.connect_ex(("127.0.0.1", port)) != 0


# -- load --------------------------------------------------------------------------------------------------


def test_sixteen_sessions_searching_at_once_get_the_right_answers(
    server: Served, synthetic_data: tuple[Path, list[tuple[str, list[str]]]], figures: dict[str, Any]
) -> None:
    _, expected = synthetic_data
    latencies: list[float] = []
    errors: list[str] = []
    ready = 0

    async def session(n: int, go: anyio.Event) -> None:
        nonlocal ready
        async with mcp_client(server.url) as client:
            ready += 1
            await go.wait()
            for i in range(SEARCHES):
                query, ids = expected[(n * SEARCHES + i) % len(expected)]
                started = time.perf_counter()
                try:
                    result = await client.call_tool("search_conversations", {"query": query, "limit": 10})
                except Exception as exc:
                    errors.append(f"{query}: {exc!r}")
                    continue
                latencies.append(time.perf_counter() - started)
                if result.is_error:
                    errors.append(f"{query}: {result.content}")
                elif [r["conversation_id"] for r in result.structured_content["results"]] != ids:
                    errors.append(f"{query}: other results under load")

    async def run() -> float:
        go = anyio.Event()
        async with anyio.create_task_group() as group:
            for n in range(SESSIONS):
                group.start_soon(session, n, go)
            while ready < SESSIONS:
                await anyio.sleep(0.02)
            started = time.perf_counter()
            go.set()
        return time.perf_counter() - started

    wall = anyio.run(run)
    assert errors == []
    assert len(latencies) == SESSIONS * SEARCHES
    ordered = sorted(latencies)
    figures[f"http: searches/s ({SESSIONS} sessions x {SEARCHES})"] = round(len(latencies) / wall, 1)
    figures["http: search latency p50 (ms)"] = round(statistics.median(ordered) * 1000, 1)
    figures["http: search latency p95 (ms)"] = round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1)
    figures["http: errors under load"] = len(errors)
