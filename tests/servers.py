"""The server as a real HTTP service for tests: one way to start it, wait for /health, and stop it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from outside import free_port

#: The tools a server offers: the local read-only ones, the live ones (ChatGPT's backend), and send_message only
#: when sending is switched on.
LOCAL_TOOLS = frozenset(
    {"search_conversations", "list_conversations", "list_projects", "get_conversation", "get_file", "history_status"}
)
LIVE_READ_TOOLS = frozenset({"list_memories", "list_automations"})
READ_ONLY_TOOLS = LOCAL_TOOLS | LIVE_READ_TOOLS
TOOLS = READ_ONLY_TOOLS | {"sync_history"}
SEND_TOOL = "send_message"


@dataclass
class HttpProcess:
    url: str
    port: int
    process: subprocess.Popen[str]


@contextmanager
def http_server(env: Mapping[str, str], *extra: str, timeout: float = 30.0) -> Iterator[HttpProcess]:
    """``chatgpt-history-mcp serve --transport http`` on a free loopback port, up (its /health answers)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "chatgpt_history_mcp", "serve", "--transport", "http", "--port", str(port), *extra],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the HTTP server did not come up"
            time.sleep(0.1)
        yield HttpProcess(url, port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
