"""A running server keeps the history current by itself: a background sync on an interval (against the fake
backend on 127.0.0.1), export ZIPs that appear in a watched folder, and results that say how current they are.
Real servers over stdio, as hosts run them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from chatgpt_history_mcp.settings import (
    DEFAULT_SYNC_INTERVAL,
    ENV_SYNC_INTERVAL,
    Settings,
    parse_duration,
)
from fake_backend import FakeBackend, sample_account
from sample import ALL_SAMPLE, SAMPLE, SOURDOUGH

pytestmark = pytest.mark.anyio

ALL = 13  # sample_account()


def server_env(tmp_path: Path, fb: FakeBackend | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT_")}
    env.update(
        CHATGPT_HISTORY_DATA_DIR=str(tmp_path / "data"),
        CHATGPT_HISTORY_CONFIG_DIR=str(tmp_path / "config"),
        CHATGPT_SYNC_PACING="0",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    if fb is not None:
        env.update(CHATGPT_BASE_URL=fb.url, CHATGPT_SESSION_TOKEN=fb.session_token)
    env.update(extra)
    return env


@asynccontextmanager
async def stdio_server(env: dict[str, str]) -> AsyncIterator[Client]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "chatgpt_history_mcp", "serve"], env=env)
    async with Client(params) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def wait_for(
    client: Client, what: str, check: Callable[[dict[str, Any]], bool], timeout: float = 30.0
) -> dict[str, Any]:
    """history_status, polled until ``check`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        status = await call(client, "history_status")
        if check(status):
            return status
        assert time.monotonic() < deadline, f"{what} did not happen in {timeout}s: {status}"
        await anyio.sleep(0.1)


def found(page: dict[str, Any]) -> list[str]:
    return [r["conversation_id"] for r in page["results"]]


# -- settings --------------------------------------------------------------------------------------------


def test_the_sync_interval_setting() -> None:
    assert Settings.from_env({}).sync_interval == DEFAULT_SYNC_INTERVAL == 12 * 3600
    assert Settings.from_env({ENV_SYNC_INTERVAL: "0"}).sync_interval == 0
    assert Settings.from_env({ENV_SYNC_INTERVAL: "6"}).sync_interval == 6 * 3600, "a bare number is hours"
    assert Settings.from_env({ENV_SYNC_INTERVAL: "30m"}).sync_interval == 1800
    assert Settings.from_env({ENV_SYNC_INTERVAL: "${user_config.sync_interval}"}).sync_interval == 12 * 3600
    assert Settings.from_env({ENV_SYNC_INTERVAL: "often"}).sync_interval == 12 * 3600, "a typo: the default"
    assert Settings.from_env({ENV_SYNC_INTERVAL: "2h"}, sync_interval=90).sync_interval == 90, "the flag wins"
    assert parse_duration("1.5d") == 1.5 * 86400 and parse_duration("90S") == 90
    with pytest.raises(ValueError, match="12h, 30m, 90s"):
        parse_duration("-1h")


def test_serve_rejects_an_unreadable_interval(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chatgpt_history_mcp", "serve", "--sync-interval", "soonish"],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--sync-interval" in done.stderr and "12h, 30m, 90s" in done.stderr


# -- background sync -------------------------------------------------------------------------------------


async def test_a_running_server_syncs_by_itself_and_search_finds_what_it_brought(tmp_path: Path) -> None:
    with FakeBackend(sample_account()) as fb:
        async with stdio_server(server_env(tmp_path, fb, CHATGPT_HISTORY_SYNC_INTERVAL="1s")) as client:
            status = await wait_for(
                client,
                "the first background sync",
                lambda s: s["background_sync"]["last_outcome"] == "complete" and s["conversations"] == ALL,
            )
            background = status["background_sync"]
            assert background["enabled"] is True and background["interval_seconds"] == 1
            assert background["last_error"] is None and background["last_finished_at"]
            assert status["last_sync"]["outcome"] == "complete" and status["last_sync"]["fetched"] == ALL

            with fb.lock:
                new = fb.account.add_conversation(["how do I fold a paper crane", "start with a square base"])
            deadline = time.monotonic() + 30
            while not found(page := await call(client, "search_conversations", query="crane")):
                assert time.monotonic() < deadline, "the next round did not bring the new conversation"
                await anyio.sleep(0.2)
            assert found(page) == [new["id"]]
            synced = datetime.fromisoformat(page["as_of"]["last_sync"])
            assert datetime.now(UTC) - synced < timedelta(seconds=30), "the result says how current it is"
            assert page["as_of"]["last_import"] is None
            listing = await call(client, "list_conversations")
            assert listing["as_of"]["last_sync"] and listing["total"] == ALL + 1
        assert fb.session_token not in (tmp_path / "data" / "archive.sqlite3").read_bytes().decode("latin-1")


async def test_a_fresh_sync_is_not_repeated_at_start(tmp_path: Path) -> None:
    with FakeBackend(sample_account()) as fb:
        env = server_env(tmp_path, fb, CHATGPT_HISTORY_SYNC_INTERVAL="1h")
        async with stdio_server(env) as client:
            await wait_for(client, "the first sync", lambda s: s["background_sync"]["last_outcome"] == "complete")
        listed = len(fb.requests_to("/backend-api/conversations"))
        async with stdio_server(env) as client:
            status = await call(client, "history_status")
            background = status["background_sync"]
            next_at = datetime.fromisoformat(background["next_at"])
            assert next_at - datetime.now(UTC) > timedelta(minutes=55), "due an hour after the last sync"
            assert background["last_outcome"] is None and background["running"] is False
        assert len(fb.requests_to("/backend-api/conversations")) == listed, "no second sync at the second start"


async def test_an_expired_session_is_reported_and_not_retried_in_a_loop(tmp_path: Path) -> None:
    with FakeBackend(sample_account()) as fb:
        env = server_env(tmp_path, fb, CHATGPT_HISTORY_SYNC_INTERVAL="12h")
        fb.set_session_token("FAKE-SESSION-signed-out-elsewhere")  # the server's token is no longer valid
        async with stdio_server(env) as client:
            status = await wait_for(
                client, "the failed round", lambda s: s["background_sync"]["last_outcome"] == "incomplete"
            )
            background = status["background_sync"]
            assert "session expired" in background["last_error"]
            retry_in = datetime.fromisoformat(background["next_at"]) - datetime.now(UTC)
            assert timedelta(minutes=14) < retry_in <= timedelta(minutes=15), "backs off, does not spin"
            attempts = len(fb.requests_to("/api/auth/session"))
            await anyio.sleep(1.5)
            assert len(fb.requests_to("/api/auth/session")) == attempts
            # the server goes on answering from what it has
            assert (await call(client, "search_conversations", query="anything"))["results"] == []
            assert env["CHATGPT_SESSION_TOKEN"] not in str(status)


async def test_without_a_session_there_is_no_background_sync(tmp_path: Path) -> None:
    async with stdio_server(server_env(tmp_path)) as client:
        background = (await call(client, "history_status"))["background_sync"]
        assert background["enabled"] is False and "no ChatGPT session" in background["reason"]
        assert background["next_at"] is None and background["last_outcome"] is None


HOLD_LOCK = """
import fcntl, sys, time
fd = open(sys.argv[1], "a")
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
async def test_a_round_skips_while_another_process_writes_and_runs_after(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(mode=0o700)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "data" / "write.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with FakeBackend(sample_account()) as fb:
            async with stdio_server(server_env(tmp_path, fb, CHATGPT_HISTORY_SYNC_INTERVAL="1s")) as client:
                status = await wait_for(
                    client,
                    "a skipped round",
                    lambda s: (s["background_sync"]["last_outcome"] or "").startswith("skipped"),
                )
                assert status["background_sync"]["last_error"] is None
                assert status["conversations"] == 0
                started = time.monotonic()
                await call(client, "search_conversations", query="anything")
                assert time.monotonic() - started < 5, "the tools are not held up by the busy store"
                assert fb.requests_to("/backend-api/*") == [], "nothing fetched without the store to keep it in"
                holder.communicate("", timeout=10)  # the other writer ends
                await wait_for(
                    client, "the round after", lambda s: s["background_sync"]["last_outcome"] == "complete", 60
                )
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


# -- watched folders -------------------------------------------------------------------------------------


async def test_an_export_zip_dropped_into_a_watched_folder_is_imported_once(tmp_path: Path) -> None:
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / "holiday-photos.zip", "w") as other:
        other.writestr("IMG_0001.jpg", b"\xff\xd8 not really a photo")
    (downloads / "notes.txt").write_text("not a zip", encoding="utf-8")
    env = server_env(tmp_path, CHATGPT_HISTORY_EXPORTS=str(downloads), CHATGPT_HISTORY_WATCH_INTERVAL="0.2s")

    async with stdio_server(env) as client:
        status = await call(client, "history_status")
        assert status["watched_folders"] == [str(downloads)]
        await anyio.sleep(0.5)
        status = await call(client, "history_status")
        assert status["sources"] == [] and status["importing"]["last_error"] is None, "other ZIPs are left alone"

        # A download in progress: half the ZIP, then the rest.
        whole = SAMPLE.read_bytes()
        arriving = downloads / "4f1c9e0b2d.zip"  # named as a download, nothing like "export"
        arriving.write_bytes(whole[: len(whole) // 2])
        await anyio.sleep(3)  # past the settle time: it is looked at, and is no export (yet)
        status = await call(client, "history_status")
        assert status["sources"] == [] and status["importing"]["last_error"] is None
        with arriving.open("ab") as f:
            f.write(whole[len(whole) // 2 :])

        status = await wait_for(
            client,
            "the import",
            lambda s: s["indexed"] == ALL_SAMPLE and not s["importing"]["running"] and s["writing"] is None,
            timeout=30,
        )
        assert [s["path"] for s in status["sources"]] == [str(arriving.resolve())]
        assert status["importing"]["last_error"] is None
        page = await call(client, "search_conversations", query="sourdough starter")
        assert found(page)[0] == SOURDOUGH
        assert page["as_of"]["last_import"] and page["as_of"]["last_sync"] is None
        imported_at = status["sources"][0]["imported_at"]

        # The same export again under another name (a second download) changes nothing.
        shutil.copy(SAMPLE, downloads / "chatgpt-export (1).zip")
        await anyio.sleep(3)
        status = await call(client, "history_status")
        assert [s["imported_at"] for s in status["sources"]] == [imported_at]

    async with stdio_server(env) as client:  # a second start
        await anyio.sleep(1)
        status = await call(client, "history_status")
        assert [s["imported_at"] for s in status["sources"]] == [imported_at], "not imported again"
        assert status["conversations"] == ALL_SAMPLE and status["importing"]["last_error"] is None


def test_an_unpacked_export_folder_is_still_an_export(tmp_path: Path) -> None:
    from chatgpt_history_mcp.ingest.watch import split_exports

    unpacked = tmp_path / "export"
    with zipfile.ZipFile(SAMPLE) as z:
        z.extractall(unpacked)
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    zipped = tmp_path / "export.zip"
    zipped.write_bytes(SAMPLE.read_bytes())
    assert split_exports([unpacked, downloads, zipped]) == ([unpacked, zipped], [downloads])


async def test_sync_history_during_a_background_round_waits_for_it_instead_of_failing(tmp_path: Path) -> None:
    with FakeBackend(sample_account(n_main=30)) as fb:
        fb.slow(0.1, "/backend-api/conversation/*", count=None)  # a round of ~2 s
        async with stdio_server(server_env(tmp_path, fb, CHATGPT_HISTORY_SYNC_INTERVAL="1h")) as client:
            await wait_for(client, "the round to start", lambda s: s["background_sync"]["running"], timeout=30)
            messages: list[str] = []

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                messages.append(message or "")

            result = await client.call_tool("sync_history", {}, progress_callback=on_progress)
            assert not result.is_error, result.content
            assert result.structured_content["outcome"] == "complete"
            assert result.structured_content["fetched"] == 0, "the round before it fetched everything"
            assert any(m.startswith("waiting for the background sync") for m in messages), messages
            status = await call(client, "history_status")
            assert status["conversations"] == 38 and status["background_sync"]["last_outcome"] == "complete"
