"""The MCP Inspector CLI, an outside client (pinned in tests/outside/package.json), against the installed
console script: over stdio and over Streamable HTTP with a bearer token, in both protocol eras.

Every Inspector run is one process (and, over stdio, one server process), so the module starts them all at
once on a small pool and each test waits for its own. The history is the bundled sample export, imported
once with the CLI; the live tools talk to the fake ChatGPT backend on loopback, and each sync writes a data
folder of its own so it never changes what the other calls see.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_backend import FakeBackend, sample_account
from outside import INSPECTOR_JS, console_script, free_port, node_package
from sample import COVER_LETTER, LISBON, PROJECT, SAMPLE, SOURDOUGH, SPANISH
from servers import READ_ONLY_TOOLS, TOOLS

TOKEN = "inspector-http-token-7c1d4e9b"
TARGETS = ("stdio", "http")
ERAS = ("legacy", "modern")
VIAS = [(transport, era) for transport in TARGETS for era in ERAS]
UNKNOWN_ID = "no-such-conversation"
#: One Inspector run, server start included (a host gives up far later); the pool runs a few at a time.
RUN_TIMEOUT = 90
WORKERS = max(2, os.cpu_count() or 2)


def _tool(name: str, args: dict[str, Any]) -> list[str]:
    return ["--method", "tools/call", "--tool-name", name, "--tool-args-json", json.dumps(args)]


#: What each test asks, by name: the Inspector's options after the target and era.
CALLS: dict[str, list[str]] = {
    "tools": ["--method", "tools/list"],
    "search": _tool("search_conversations", {"query": "sourdough starter", "limit": 3}),
    "get": _tool("get_conversation", {"conversation_id": SOURDOUGH, "limit": 2}),
    # key=value pairs, which the Inspector converts by the input schema ("5" -> 5).
    "list": [
        "--method",
        "tools/call",
        "--tool-name",
        "list_conversations",
        *("--tool-arg", "limit=5", f"project={PROJECT}"),
    ],
    "status": _tool("history_status", {}),
    "memories": _tool("list_memories", {}),
    "automations": _tool("list_automations", {}),
    "conversation_resource": ["--method", "resources/read", "--uri", f"chatgpt://conversations/{SOURDOUGH}"],
    "memories_resource": ["--method", "resources/read", "--uri", "chatgpt://memories"],
    "automations_resource": ["--method", "resources/read", "--uri", "chatgpt://automations"],
    "recall": ["--method", "prompts/get", "--prompt-name", "recall", "--prompt-args", "topic=sourdough"],
    "unknown": _tool("get_conversation", {"conversation_id": UNKNOWN_ID}),
}


#: How the Inspector reaches a server: its arguments before the options (an HTTP URL and header: the option
#: lists are variadic, so nothing may follow them) and after them (a stdio server's environment and command).
Target = tuple[list[str], list[str]]


@dataclass
class Run:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def result(self) -> dict[str, Any]:
        assert self.stdout.strip(), f"no output (exit {self.code}): {self.stderr}"
        return json.loads(self.stdout)["result"]

    @property
    def structured(self) -> dict[str, Any]:
        assert self.code == 0, f"exit {self.code}: {self.stdout} {self.stderr}"
        result = self.result
        assert not result.get("isError"), result
        return result["structuredContent"]

    @property
    def text(self) -> str:
        return "\n".join(block.get("text", "") for block in self.result.get("content", []))


@dataclass
class HttpServer:
    process: subprocess.Popen[bytes]
    url: str
    log: Path


class Calls:
    """Starts every Inspector run at once; ``get(via, name)`` waits for one."""

    def __init__(self, inspector: list[str], home: Path, targets: dict[tuple[str, str], Target]) -> None:
        self.inspector = inspector
        self.env = {**_clean_env(), "HOME": str(home), "USERPROFILE": str(home)}  # ~/.mcp-inspector goes there
        self.targets = targets
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="inspector")
        self.futures: dict[tuple[str, str, str], Future[Run]] = {}

    def submit(self, via: tuple[str, str], name: str, options: list[str], target: str = "sample") -> None:
        self.futures[(*via, name)] = self.pool.submit(self.run, via, options, target)

    def run(self, via: tuple[str, str], options: list[str], target: str = "sample") -> Run:
        transport, era = via
        before, after = self.targets[(transport, target)]
        argv = [*self.inspector, "--cli", *before, "--format", "json", "-q", "--protocol-era", era, *options, *after]
        started = time.monotonic()
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        return Run(argv, done.returncode, done.stdout, done.stderr, time.monotonic() - started)

    def get(self, via: tuple[str, str], name: str) -> Run:
        return self.futures[(*via, name)].result(timeout=RUN_TIMEOUT * len(self.futures))


def _clean_env() -> dict[str, str]:
    """This process's environment without any of the server's settings a developer may have exported."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT_")}


def _import_sample(script: str, data_dir: Path) -> None:
    done = subprocess.run(
        [script, "import", str(SAMPLE), "--data-dir", str(data_dir)],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "24 added" in done.stdout, done.stdout


def _start_http(script: str, env: dict[str, str], log: Path) -> HttpServer:
    port = free_port()
    with log.open("wb") as errlog:
        process = subprocess.Popen(
            [script, "serve", "--transport", "http", "--port", str(port), "--auth-token", TOKEN],
            env={**_clean_env(), **env},
            stdout=subprocess.DEVNULL,
            stderr=errlog,
        )
    return HttpServer(process, f"http://127.0.0.1:{port}", log)


def _wait_up(server: HttpServer) -> None:
    deadline = time.monotonic() + 30
    while True:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited: {server.log.read_text(encoding='utf-8', errors='replace')}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the HTTP server did not come up"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def backend() -> Iterator[FakeBackend]:
    with FakeBackend(sample_account()) as fb:
        yield fb


@pytest.fixture(scope="module")
def send_backend() -> Iterator[FakeBackend]:
    """A second account for send_message, so the turns it adds never change what the sync calls see."""
    with FakeBackend(sample_account()) as fb:
        yield fb


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory, backend: FakeBackend, send_backend: FakeBackend) -> Iterator[Calls]:
    inspector = node_package(INSPECTOR_JS)
    script = console_script("chatgpt-history-mcp")
    tmp = tmp_path_factory.mktemp("inspector")
    sample_dir = tmp / "sample-data"
    _import_sample(script, sample_dir)

    def server_env(data_dir: Path) -> dict[str, str]:
        return {
            "CHATGPT_HISTORY_DATA_DIR": str(data_dir),
            "CHATGPT_HISTORY_CONFIG_DIR": str(tmp / "config"),
            "CHATGPT_BASE_URL": backend.url,
            "CHATGPT_SESSION_TOKEN": backend.session_token,
            "CHATGPT_SYNC_PACING": "0",
            # what each call sees is the subject: no background sync adding to it (tests/ingest/test_keeper.py)
            "CHATGPT_HISTORY_SYNC_INTERVAL": "0",
        }

    def send_env(data_dir: Path) -> dict[str, str]:
        return {
            **server_env(data_dir),
            "CHATGPT_BASE_URL": send_backend.url,
            "CHATGPT_SESSION_TOKEN": send_backend.session_token,
            "CHATGPT_HISTORY_ALLOW_SEND": "1",
        }

    def stdio(env: dict[str, str]) -> Target:
        flags = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        return [], [*flags, "--", script, "serve"]

    def http(server: HttpServer) -> Target:
        return [f"{server.url}/mcp", "--header", f"Authorization: Bearer {TOKEN}"], []

    # One HTTP server on the sample history, one per era for the sync (each writes its own data folder).
    servers = {"sample": _start_http(script, server_env(sample_dir), tmp / "http-sample.log")}
    for era in ERAS:
        servers[era] = _start_http(script, server_env(tmp / f"sync-http-{era}"), tmp / f"http-sync-{era}.log")
    servers["send"] = _start_http(script, send_env(tmp / "send-http"), tmp / "http-send.log")
    try:
        for server in servers.values():
            _wait_up(server)
        targets: dict[tuple[str, str], Target] = {("stdio", "sample"): stdio(server_env(sample_dir))}
        targets[("http", "sample")] = http(servers["sample"])
        for era in ERAS:
            targets[("stdio", f"sync-{era}")] = stdio(server_env(tmp / f"sync-stdio-{era}"))
            targets[("http", f"sync-{era}")] = http(servers[era])
        targets[("stdio", "send")] = stdio(send_env(tmp / "send-stdio"))
        targets[("http", "send")] = http(servers["send"])
        (tmp / "home").mkdir()
        runner = Calls(inspector, tmp / "home", targets)
        for via in VIAS:
            for name, options in CALLS.items():
                runner.submit(via, name, options)
            runner.submit(via, "sync", _tool("sync_history", {}), target=f"sync-{via[1]}")
            runner.submit(via, "send_tools", ["--method", "tools/list"], target="send")
            runner.submit(
                via,
                "send",
                _tool("send_message", {"message": f"Hello from the Inspector, {'/'.join(via)}"}),
                target="send",
            )
        yield runner
        runner.pool.shutdown(wait=True, cancel_futures=True)
    finally:
        for server in servers.values():
            server.process.terminate()
        for server in servers.values():
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()


@pytest.fixture(params=VIAS, ids=lambda via: f"{via[0]}-{via[1]}")
def via(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param


def test_tools_list_names_every_tool_with_its_annotations(calls: Calls, via: tuple[str, str]) -> None:
    run = calls.get(via, "tools")
    assert run.code == 0, run.stderr
    tools = {tool["name"]: tool for tool in run.result["tools"]}
    assert set(tools) == TOOLS  # send_message only with allow-send
    for name in READ_ONLY_TOOLS:
        annotations = tools[name]["annotations"]
        assert annotations["readOnlyHint"] is True, name
        assert annotations["destructiveHint"] is False, name
    assert tools["sync_history"]["annotations"]["readOnlyHint"] is False
    assert tools["sync_history"]["annotations"]["openWorldHint"] is True
    assert tools["search_conversations"]["annotations"]["openWorldHint"] is False
    assert tools["search_conversations"]["inputSchema"]["required"] == ["query"]
    assert all(tool.get("title") and tool.get("description") for tool in tools.values())


def test_search_finds_a_known_conversation(calls: Calls, via: tuple[str, str]) -> None:
    found = calls.get(via, "search").structured
    top = found["results"][0]
    assert top["conversation_id"] == SOURDOUGH
    assert top["title"] == "Sourdough starter not rising"
    assert any("**sourdough**" in m["snippet"].lower() for m in top["matches"])


def test_get_conversation_reads_it(calls: Calls, via: tuple[str, str]) -> None:
    run = calls.get(via, "get")
    page = run.structured
    assert page["conversation_id"] == SOURDOUGH
    assert [m["role"] for m in page["messages"]] == ["user", "assistant"]
    assert "sourdough starter" in page["messages"][0]["text"]
    assert page["next_offset"] == 2
    assert "Sourdough starter not rising" in run.text  # the same JSON as text, for hosts without structured output


def test_list_conversations_by_project(calls: Calls, via: tuple[str, str]) -> None:
    listing = calls.get(via, "list").structured
    assert {item["conversation_id"] for item in listing["items"]} == {LISBON, COVER_LETTER, SPANISH}
    assert listing["total"] == 3
    assert all(item["project_id"] == PROJECT for item in listing["items"])


def test_history_status_counts_the_sample(calls: Calls, via: tuple[str, str]) -> None:
    run = calls.get(via, "status")
    status = run.structured
    assert status["conversations"] == 24
    assert status["indexed"] == 24
    assert [Path(s["path"]).name for s in status["sources"]] == [SAMPLE.name]
    assert status["credentials_configured"] is True
    # The 2026-07-28 era names the server in every result; the handshake era does not.
    assert ("io.modelcontextprotocol/serverInfo" in run.result.get("_meta", {})) == (via[1] == "modern")


def test_list_memories_live_from_the_backend(calls: Calls, via: tuple[str, str]) -> None:
    memories = calls.get(via, "memories").structured
    assert memories["source"] == "live"
    assert "Keeps a sourdough starter called Bubbles." in [m["content"] for m in memories["memories"]]
    assert len(memories["memories"]) == 3


def test_list_automations_live_from_the_backend(calls: Calls, via: tuple[str, str]) -> None:
    automations = calls.get(via, "automations").structured
    assert automations["source"] == "live"
    enabled = {a["title"]: a["is_enabled"] for a in automations["automations"]}
    assert enabled == {"Morning briefing": True, "Weekly review": False}


def test_sync_history_fetches_the_account(calls: Calls, via: tuple[str, str]) -> None:
    report = calls.get(via, "sync").structured
    assert report["outcome"] == "complete", report
    assert report["listed"] == report["fetched"] == 13  # main, archived and project conversations
    assert (report["failed"], report["remaining"]) == (0, 0)
    assert (report["memories"], report["automations"]) == (3, 2)


def test_read_the_conversation_resource(calls: Calls, via: tuple[str, str]) -> None:
    run = calls.get(via, "conversation_resource")
    assert run.code == 0, run.stderr
    (content,) = run.result["contents"]
    assert content["mimeType"] == "text/markdown"
    assert content["text"].startswith("# Sourdough starter not rising")


@pytest.mark.parametrize(
    ("name", "key", "count"), [("memories_resource", "memories", 3), ("automations_resource", "automations", 2)]
)
def test_read_the_memories_and_automations_resources(
    calls: Calls, via: tuple[str, str], name: str, key: str, count: int
) -> None:
    run = calls.get(via, name)
    assert run.code == 0, run.stderr
    (content,) = run.result["contents"]
    assert content["mimeType"] == "application/json"
    body = json.loads(content["text"])
    assert body["source"] == "live"
    assert len(body[key]) == count


def test_get_the_recall_prompt(calls: Calls, via: tuple[str, str]) -> None:
    run = calls.get(via, "recall")
    assert run.code == 0, run.stderr
    (message,) = run.result["messages"]
    assert message["role"] == "user"
    assert message["content"]["text"].startswith("Recall what I discussed with ChatGPT about: sourdough")
    assert "search_conversations" in message["content"]["text"]


def test_an_unknown_conversation_is_a_readable_tool_error(calls: Calls, via: tuple[str, str]) -> None:
    run = calls.get(via, "unknown")
    assert run.code == 5, (run.code, run.stdout, run.stderr)  # the Inspector's exit code for isError
    assert run.result["isError"] is True
    assert f"no conversation with id '{UNKNOWN_ID}'" in run.text
    assert "search_conversations" in run.text  # says what to do
    assert "Traceback" not in run.text + run.stderr
    assert json.loads(run.stderr)["error"]["code"] == "tool_is_error"


def test_send_message_when_allowed_answers_and_is_annotated_as_a_write(
    calls: Calls, via: tuple[str, str], send_backend: FakeBackend
) -> None:
    tools = {t["name"]: t for t in calls.get(via, "send_tools").result["tools"]}
    assert set(tools) == TOOLS | {"send_message"}
    annotations = tools["send_message"]["annotations"]
    assert (annotations["readOnlyHint"], annotations["idempotentHint"], annotations["openWorldHint"]) == (
        False,
        False,
        True,
    )
    sent = calls.get(via, "send").structured
    question = f"Hello from the Inspector, {'/'.join(via)}"
    assert sent["reply"] == send_backend.answer_for(question)
    assert sent["new_conversation"] is True and sent["stored"] is True
    assert sent["conversation_id"] in {t["conversation_id"] for t in send_backend.sent_turns}
