"""Hardening: no secret ever leaves where it is meant to be.

Every CLI command (and the stdio server with a client calling every tool, resource and prompt) runs against the
fake backend with DEBUG logging, on the happy paths and the error paths (an expired session, a Cloudflare block,
a challenge, a reset mid-send). Every byte of output, every log line, every tool result and every file written
under HOME, the data folder and the config folder is scanned for every token the fake issued (session cookies
and their chunks, access tokens, sentinel, conduit and resume tokens) and for fragments of them. The one file
meant to hold the session token (written by ``login`` when there is no keyring) must be private (0600, in a
folder only its owner can enter).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from chatgpt_history_mcp.chatgpt.credentials import TOKEN_FILE
from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.settings import Settings
from fake_backend import ACCESS_TOKEN_MARKER, SENTINEL_MARKER, SESSION_MARKER, FakeBackend, sample_account
from sample import SAMPLE, SOURDOUGH
from servers import SEND_TOOL, TOOLS

pytestmark = pytest.mark.anyio

#: The CLI with every logger at DEBUG (``-v`` alone gives INFO): basicConfig here wins over the CLI's own.
DEBUG_CLI = (
    "import logging, sys; "
    "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s'); "
    "from chatgpt_history_mcp.cli import main; sys.exit(main(sys.argv[1:]))"
)
ALL_TOOLS = TOOLS | {SEND_TOOL}


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


#: The fixed first segment of the fake's access tokens and of its conduit / resume tokens: any prefix of one.
JWT_HEADS = (_b64({"alg": "RS256", "kid": "fake-kid-0", "typ": "JWT"}), _b64({"alg": "ES256", "typ": "JWT"}))


@dataclass
class Scan:
    """Everything a run produced, to be searched for secrets at the end (when the fake has issued them all)."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    tools: set[str] = field(default_factory=set)

    def add(self, label: str, text: str) -> None:
        self.texts.append((label, text))

    def needles(self, fb: FakeBackend) -> set[str]:
        found = {SESSION_MARKER, ACCESS_TOKEN_MARKER, SENTINEL_MARKER, *JWT_HEADS}
        for secret in fb.secrets():
            if len(secret) < 16:
                continue
            found.add(secret)
            found.add(secret[-24:])  # the end of a token cut short
            for part in secret.split(".")[1:]:  # a JWT's payload and signature on their own
                if len(part) >= 24:
                    found.add(part)
        return found

    def leaks(self, fb: FakeBackend, files: list[Path]) -> tuple[list[str], int]:
        needles = self.needles(fb)
        leaked: list[str] = []
        scanned = 0
        for label, text in self.texts:
            scanned += len(text.encode())
            for needle in needles:
                at = text.find(needle)
                if at >= 0:
                    leaked.append(f"{label}: {needle[:12]}… after {text[max(0, at - 160) : at]!r}")
        for path in files:
            data = path.read_bytes()
            scanned += len(data)
            leaked += [f"{path}: {needle[:20]}…" for needle in needles if needle.encode() in data]
        return leaked, scanned


def files_under(*roots: Path, besides: Path) -> list[Path]:
    return sorted({p for root in roots if root.exists() for p in root.rglob("*") if p.is_file() and p != besides})


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


class Cli:
    """Runs ``chatgpt-history-mcp -v …`` with DEBUG logging in private folders and keeps what it printed."""

    def __init__(self, tmp: Path, fb: FakeBackend, scan: Scan) -> None:
        self.tmp, self.fb, self.scan = tmp, fb, scan
        self.home, self.data, self.config = tmp / "home", tmp / "data", tmp / "config"
        self.home.mkdir()

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CHATGPT_", "XDG_"))}
        return {
            **base,
            "HOME": str(self.home),
            "CHATGPT_BASE_URL": self.fb.url,
            "CHATGPT_HISTORY_DATA_DIR": str(self.data),
            "CHATGPT_HISTORY_CONFIG_DIR": str(self.config),
            "CHATGPT_SYNC_PACING": "0",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never the real keyring: the file
            **extra,
        }

    def __call__(self, *args: str, stdin: str | None = None, expect: int | None = 0, **extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", DEBUG_CLI, "-v", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            env=self.env(**extra),
        )
        label = "cli " + " ".join(args)
        self.scan.commands.append(label)
        self.scan.add(f"{label} (stdout)", done.stdout)
        self.scan.add(f"{label} (stderr)", done.stderr)
        if expect is not None:
            assert done.returncode == expect, (label, done.returncode, done.stdout, done.stderr[-3000:])
        assert "Traceback" not in done.stderr, (label, done.stderr[-3000:])
        return done.stdout + done.stderr

    @asynccontextmanager
    async def server(self, errlog: Path, **extra: str) -> AsyncIterator[Client]:
        params = StdioServerParameters(
            command=sys.executable, args=["-c", DEBUG_CLI, "-v", "serve"], env=self.env(**extra)
        )
        with errlog.open("w") as err:
            async with Client(stdio_client(params, errlog=err), cache=None) as client:
                yield client
        self.scan.commands.append("cli serve (stdio)")
        self.scan.add("server stderr", errlog.read_text())


async def call_every_tool(client: Client, scan: Scan, label: str) -> str:
    """Every tool, resource and prompt once (send_message twice: a new chat and a follow-up)."""
    names = {t.name for t in (await client.list_tools()).tools}
    assert names == ALL_TOOLS, names

    async def call(name: str, args: dict[str, Any]) -> Any:
        result = await client.call_tool(name, args)
        scan.tools.add(name)
        scan.add(f"{label} {name} {args}", text_of(result) + json.dumps(result.structured_content))
        return result

    await call("sync_history", {})
    await call("search_conversations", {"query": "sourdough starter"})
    await call("search_conversations", {"query": "a*"})  # an error
    await call("list_conversations", {"limit": 50})
    await call("list_projects", {})
    await call("get_conversation", {"conversation_id": SOURDOUGH, "include_hidden": True, "branch": "all"})
    await call("get_conversation", {"conversation_id": "no-such-conversation"})  # an error
    await call("get_file", {"file_id": "file-NoSuchFile"})  # an error (this account's chats carry no files)
    await call("history_status", {})
    await call("list_memories", {})
    await call("list_automations", {})
    sent = await call("send_message", {"message": "Tell me a secret-free fact about otters"})
    assert not sent.is_error, text_of(sent)
    cid = sent.structured_content["conversation_id"]
    await call("send_message", {"message": "And another one", "conversation_id": cid})
    for uri in (f"chatgpt://conversations/{cid}", "chatgpt://memories", "chatgpt://automations"):
        resource = await client.read_resource(uri)
        scan.add(f"{label} {uri}", "\n".join(getattr(c, "text", "") for c in resource.contents))
    prompt = await client.get_prompt("recall", {"topic": "otters"})
    scan.add(f"{label} prompt", str(prompt))
    return cid


async def call_error_paths(client: Client, fb: FakeBackend, scan: Scan, label: str, cid: str) -> None:
    """The live tools while ChatGPT blocks, challenges, cuts a send, and signs the session out."""

    async def call(name: str, args: dict[str, Any], *, error: bool | None = True) -> None:
        result = await client.call_tool(name, args)
        scan.add(f"{label} {name} {args}", text_of(result) + json.dumps(result.structured_content))
        if error is not None:
            assert result.is_error == error, (name, text_of(result))

    fb.fail_cloudflare(count=None)
    await call("sync_history", {}, error=False)  # an incomplete report, not a failure
    await call("list_memories", {}, error=False)  # the stored copy, with a note saying why
    await call("send_message", {"message": "blocked?"})
    fb.clear_faults()
    fb.challenge = "turnstile"
    await call("send_message", {"message": "challenged?"})
    fb.challenge = None
    fb.reset_after_dispatch()
    await call("send_message", {"message": "reset?", "conversation_id": cid})
    fb.expire_token_after(2)
    await call("sync_history", {"full": True}, error=False)
    fb.clear_faults()


# -- the tests ---------------------------------------------------------------------------------------------


async def test_no_cli_command_or_stdio_tool_leaks_a_secret(tmp_path: Path, figures: dict[str, Any]) -> None:
    scan = Scan()
    # A long cookie (split in chunks, as browsers do) that rotates: new values are issued all along.
    with FakeBackend(sample_account(), session_token_length=5000, rotate_session=True, accept_old_sessions=True) as fb:
        cli = Cli(tmp_path, fb, scan)
        token_file = cli.config / TOKEN_FILE

        assert "login" in cli("sync", expect=2)  # no credentials yet: says how to sign in
        stored = cli("login", stdin=fb.session_token + "\n")
        assert str(token_file) in stored
        cli("status")
        cli("status", "--json")
        cli("import", str(SAMPLE))
        cli("search", "sourdough")
        cli("search", "sourdough", "--json")
        assert "sync complete" in cli("sync")
        cli("sync", "--full")
        cli("memories")
        cli("memories", "--json")
        cli("automations")
        cli("automations", "--json")
        cli("projects")
        cli("projects", "--json")
        answer = cli("send", "What do otters eat?", "--allow-send")
        assert fb.answer_for("What do otters eat?") in answer
        cid = fb.sent_turns[-1]["conversation_id"]
        cli("send", "-", "--conversation", cid, "--json", stdin="And sea otters?", CHATGPT_HISTORY_ALLOW_SEND="1")
        cli("send", "not allowed", expect=2)  # refused: sending is off

        async with cli.server(tmp_path / "server-stderr.log", CHATGPT_HISTORY_ALLOW_SEND="1") as client:
            served = await call_every_tool(client, scan, "stdio")
            await call_error_paths(client, fb, scan, "stdio", served)
        assert scan.tools == ALL_TOOLS

        # The CLI on the error paths.
        fb.fail_cloudflare(count=None)
        assert "Cloudflare" in cli("sync", expect=1)
        cli("memories")
        cli("send", "blocked?", "--allow-send", expect=2)
        fb.clear_faults()
        fb.challenge = "proofofwork"
        assert "challenge" in cli("send", "challenged?", "--allow-send", expect=2)
        fb.challenge = None
        fb.reset_after_dispatch()
        assert "unknown outcome" in cli("send", "reset?", "--conversation", cid, "--allow-send", expect=3)
        fb.accept_old_sessions = False
        fb.set_session_token(SESSION_MARKER + "signed-in-again-elsewhere-" + "7" * 40)  # the stored one is refused
        assert "session expired" in cli("sync", expect=1)
        cli("memories", "--json")
        cli("send", "expired?", "--allow-send", expect=2)

        # The credentials file: the token's only home, private.
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(cli.config.stat().st_mode) & 0o077 == 0, oct(cli.config.stat().st_mode)
        assert token_file.read_text().strip() in fb.session_tokens[1:]  # kept current as the cookie rotated
        cli("logout")
        assert not token_file.exists()
        cli("status")

        files = files_under(cli.home, cli.data, cli.config, tmp_path, besides=token_file)
        leaked, scanned = scan.leaks(fb, files)
        secrets = len(fb.secrets())

    assert secrets > 20 and len(fb.conduit_tokens) >= 2 and len(fb.resume_tokens) >= 2
    assert leaked == []
    figures["secrets: CLI commands run (incl. stdio serve)"] = len(scan.commands)
    figures["secrets: MCP tools called over stdio"] = len(scan.tools)
    figures["secrets: secrets issued by the fake"] = secrets
    figures["secrets: files scanned"] = len(files)
    figures["secrets: bytes scanned (CLI run)"] = scanned
    figures["secrets: leaks (CLI run)"] = len(leaked)


@pytest.fixture
def server_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, FakeBackend]]:
    with FakeBackend(sample_account(), rotate_session=True, accept_old_sessions=True) as fb:
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
        yield (
            Settings(
                base_url=fb.url,
                session_token=fb.session_token,
                data_dir=tmp_path / "data",
                config_dir=tmp_path / "config",
                exports=[SAMPLE],
                sync_pacing=0,
                allow_send=True,
            ),
            fb,
        )


async def test_no_tool_or_resource_leaks_a_secret_in_process(
    server_settings: tuple[Settings, FakeBackend],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    figures: dict[str, Any],
) -> None:
    settings, fb = server_settings
    caplog.set_level(logging.DEBUG)
    scan = Scan()
    async with Client(create_server(settings), cache=None) as client:
        for _ in range(100):  # the configured export imports in the background
            status = (await client.call_tool("history_status", {})).structured_content
            if status["conversations"] >= 24 and not status["importing"]["running"]:
                break
            await anyio.sleep(0.1)
        cid = await call_every_tool(client, scan, "in-process")
        await call_error_paths(client, fb, scan, "in-process", cid)
        fb.set_session_token("FAKE-SESSION-signed-out-elsewhere-0000000000")
        fb.accept_old_sessions = False
        for name in ("sync_history", "list_memories", "list_automations", "send_message"):
            args = {"message": "expired?"} if name == "send_message" else {}
            result = await client.call_tool(name, args)
            scan.add(f"expired {name}", text_of(result) + json.dumps(result.structured_content))
    scan.add("caplog", caplog.text)
    scan.add("log records", "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records))
    files = files_under(tmp_path, besides=tmp_path / "none")
    leaked, scanned = scan.leaks(fb, files)
    assert scan.tools == ALL_TOOLS
    assert caplog.records, "DEBUG logging was on"
    assert leaked == []
    figures["secrets: bytes scanned (in-process tools, resources, logs)"] = scanned
    figures["secrets: leaks (in-process)"] = len(leaked)


def test_a_token_from_the_environment_never_replaces_the_stored_login(tmp_path: Path) -> None:
    with FakeBackend(sample_account()) as fb:
        cli = Cli(tmp_path, fb, Scan())
        cli("login", stdin=fb.session_token + "\n")
        token_file = cli.config / TOKEN_FILE
        cli("sync", CHATGPT_SESSION_TOKEN="FAKE-SESSION-" + "x" * 40, expect=1)  # a wrong token in the env
        assert token_file.read_text().strip() == fb.session_token
        assert "sync complete" in cli("sync")  # the stored login still works
