"""Syncing from ChatGPT's web backend, against a fake backend on 127.0.0.1 with the real quirks."""

from __future__ import annotations

import json
import logging
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from chatgpt_history_mcp import account
from chatgpt_history_mcp.chatgpt.backend import (
    BackendClient,
    Credentials,
    CredentialsMissing,
    RetryPolicy,
)
from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.ingest import sync as sync_module
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.ingest.sync import sync_history
from chatgpt_history_mcp.results import SyncReport
from chatgpt_history_mcp.settings import Settings
from chatgpt_history_mcp.store.history import HistoryStore
from command_line import Ran, run_cli
from fake_backend import FakeBackend, sample_account

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
ALL = 13  # sample_account(): 5 main, 2 archived, 2 projects of 3


@pytest.fixture
def backend() -> Any:
    with FakeBackend(sample_account()) as fb:
        yield fb


async def run_sync(store: HistoryStore, fb: FakeBackend, **kwargs: Any) -> SyncReport:
    async with BackendClient(Credentials(session_token=fb.session_token), base_url=fb.url, retry=FAST) as client:
        return await sync_history(store, client, **kwargs)


def body_requests(fb: FakeBackend) -> list[Any]:
    return fb.requests_to("/backend-api/conversation/*")


def transcript(store: HistoryStore, cid: str) -> list[tuple[str, str]]:
    page = store.get_conversation(cid, limit=200)
    return [(m.role, m.text) for m in page.messages]


async def test_full_sync_equals_an_export_import_of_the_same_account(
    backend: FakeBackend, make_store: Callable[..., HistoryStore], tmp_path: Path
) -> None:
    synced = make_store("synced")
    report = await run_sync(synced, backend)
    assert (report.outcome, report.listed, report.fetched, report.failed) == ("complete", ALL, ALL, 0)
    assert (report.memories, report.automations) == (3, 2)

    imported = make_store("imported")
    import_export(imported, backend_account(backend).write_export_zip(tmp_path / "export.zip"))
    ids = {c.conversation_id for c in synced.list_conversations(limit=200).items}
    assert ids == {c.conversation_id for c in imported.list_conversations(limit=200).items}
    assert len(ids) == ALL  # archived and project-only chats included
    for cid in ids:
        assert transcript(synced, cid) == transcript(imported, cid), cid
    account = backend_account(backend)
    for cid, word in account.keywords.items():
        assert [r.conversation_id for r in synced.search(word).results] == [cid], word
    for project in account.projects:
        assert synced.list_conversations(project=project).total == 3


def backend_account(fb: FakeBackend) -> Any:
    return fb.account


async def test_a_sync_right_after_a_sync_fetches_no_bodies(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    store = make_store()
    await run_sync(store, backend)
    backend.clear_requests()
    report = await run_sync(store, backend)
    assert (report.fetched, report.unchanged, report.outcome) == (0, ALL, "complete")
    assert body_requests(backend) == []


async def test_only_changed_and_new_conversations_are_fetched(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    store = make_store()
    await run_sync(store, backend)
    account = backend_account(backend)
    changed = account.main_ids()[0]
    with backend.lock:
        account.append_message(changed, "a follow-up question about marmalade")
        new = account.add_conversation(["how do I fold a paper crane", "start with a square base"], title="Origami")
    backend.clear_requests()
    report = await run_sync(store, backend)
    assert (report.fetched, report.unchanged) == (2, ALL - 1)
    fetched = {r.path.rsplit("/", 1)[1] for r in body_requests(backend)}
    assert fetched == {changed, new["id"]}
    assert [r.conversation_id for r in store.search("marmalade").results] == [changed]
    assert [r.conversation_id for r in store.search("crane").results] == [new["id"]]


async def test_an_expiring_token_is_refreshed_once_from_the_session(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    backend.expire_token_after(4)
    report = await run_sync(make_store(), backend)
    assert (report.outcome, report.fetched) == ("complete", ALL)
    assert len(backend.requests_to("/api/auth/session")) == 2


async def test_a_rotated_session_cookie_is_kept(make_store: Callable[..., HistoryStore]) -> None:
    with FakeBackend(sample_account(), rotate_session=True) as fb:
        first = fb.session_token
        fb.expire_token_after(3)
        async with BackendClient(Credentials(session_token=first), base_url=fb.url, retry=FAST) as client:
            report = await sync_history(make_store(), client)
            assert report.outcome == "complete"
            assert client.session_token == fb.session_token != first


async def test_an_expired_session_says_to_sign_in_again(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    stale = backend.session_token
    backend.set_session_token("FAKE-SESSION-signed-out-elsewhere")
    async with BackendClient(Credentials(session_token=stale), base_url=backend.url, retry=FAST) as client:
        report = await sync_history(make_store(), client)
    assert report.outcome == "incomplete"
    assert report.error == "session expired: sign in to ChatGPT and update the token"


async def test_rate_limits_are_waited_out_with_retry_after(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    fault = backend.fail_429("/backend-api/conversation/*", count=2, retry_after=1)
    started = time.monotonic()
    report = await run_sync(make_store(), backend)
    assert (report.outcome, report.fetched) == ("complete", ALL)
    assert fault.hits == 2
    assert time.monotonic() - started >= 1.0  # the Retry-After was honoured, not hammered through


async def test_server_errors_and_dropped_connections_are_retried(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    errors = backend.fail_status(503, "/backend-api/conversation/*", count=2)
    drops = backend.drop_connection("/backend-api/conversations", count=1)
    report = await run_sync(make_store(), backend)
    assert (report.outcome, report.fetched) == ("complete", ALL)
    assert (errors.hits, drops.hits) == (2, 1)


async def test_a_cloudflare_block_is_named_and_the_store_kept(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    store = make_store()
    await run_sync(store, backend)
    before = store.status()
    backend.fail_cloudflare("/backend-api/*", count=None)
    report = await run_sync(store, backend)
    assert report.outcome == "incomplete"
    assert report.error is not None and "Cloudflare" in report.error and "export" in report.error
    after = store.status()
    assert (after.conversations, after.indexed) == (before.conversations, before.indexed)


async def test_a_sync_that_stops_midway_keeps_what_it_fetched_and_resumes(
    backend: FakeBackend, make_store: Callable[..., HistoryStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_module, "CHUNK", 3)
    account = backend_account(backend)
    order = sorted(account.conversations, key=lambda c: account.conversations[c]["update_time"], reverse=True)
    broken = order[7]  # in the third chunk: two chunks (6 conversations) are committed before it fails
    backend.fail_status(503, f"/backend-api/conversation/{broken}", count=None)
    store = make_store()
    report = await run_sync(store, backend)
    assert report.outcome == "incomplete" and "503" in (report.error or "")
    assert 6 <= report.fetched <= 8  # the failing chunk keeps what it did fetch
    assert report.remaining == ALL - report.fetched
    assert store.status().conversations == store.status().indexed == report.fetched
    with pytest.raises(LookupError):
        store.conversation(broken)

    backend.clear_faults()
    backend.clear_requests()
    resumed = await run_sync(store, backend)
    assert (resumed.outcome, resumed.fetched, resumed.remaining) == ("complete", report.remaining, 0)
    assert len(body_requests(backend)) == report.remaining  # nothing fetched twice
    assert store.status().conversations == ALL


async def test_missing_credentials_say_what_to_set() -> None:
    with pytest.raises(CredentialsMissing, match=r"CHATGPT_SESSION_TOKEN.*login.*export"):
        BackendClient(Credentials())


async def test_no_secret_reaches_logs_results_or_the_store(
    backend: FakeBackend, make_store: Callable[..., HistoryStore], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    backend.expire_token_after(3)
    backend.fail_429("/backend-api/conversation/*", count=1, retry_after=0)
    store = make_store()
    report = await run_sync(store, backend)
    backend.set_session_token("FAKE-SESSION-rotated-away")
    failed = await run_sync(store, backend)
    texts = [caplog.text, report.model_dump_json(), failed.model_dump_json(), repr(Credentials(session_token="x"))]
    secrets = [s for s in backend.secrets() if len(s) >= 12]
    assert secrets
    for text in texts:
        for secret in secrets:
            assert secret not in text
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, path


def test_cli_sync_memories_automations_and_login(backend: FakeBackend, tmp_path: Path) -> None:
    env = {
        "CHATGPT_BASE_URL": backend.url,
        "CHATGPT_HISTORY_DATA_DIR": str(tmp_path / "data"),
        "CHATGPT_HISTORY_CONFIG_DIR": str(tmp_path / "config"),
        "CHATGPT_SESSION_TOKEN": "",
    }

    def cli(*args: str, stdin: str = "") -> Ran:
        return run_cli(tmp_path, *args, env_extra=env, stdin=stdin)

    missing = cli("sync")
    assert missing.returncode != 0 and "login" in missing.stderr and "Traceback" not in missing.stderr

    login = cli("login", stdin=backend.session_token + "\n")
    assert login.returncode == 0, login.stderr
    token_file = tmp_path / "config" / "session-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

    synced = cli("sync")
    assert synced.returncode == 0, synced.stderr
    assert f"{ALL} fetched" in synced.stdout and "3 memories" in synced.stdout
    memories = cli("memories", "--json")
    payload = json.loads(memories.stdout)
    assert payload["source"] == "live" and len(payload["memories"]) == 3
    automations = cli("automations")
    assert automations.returncode == 0 and automations.stdout.count("- [") == 2
    for result in (login, synced, memories, automations):
        for secret in backend.secrets():
            assert secret not in result.stdout + result.stderr

    assert cli("logout").returncode == 0
    assert not token_file.exists()
    offline = cli("memories", "--json")  # no credentials now: the stored copy, saying so
    stored = json.loads(offline.stdout)
    assert stored["source"] == "stored" and len(stored["memories"]) == 3
    assert "no ChatGPT credentials" in stored["note"]


async def test_memories_read_live_and_from_the_stored_copy_are_the_same(
    backend: FakeBackend, make_store: Callable[..., HistoryStore], tmp_path: Path
) -> None:
    # Entries in the other shapes builds send: no id, created_at and updated_timestamp for the usual names.
    backend.account.memories += [
        {"content": "Has a cat called Miso.", "created_at": "2025-01-02T03:04:05Z", "updated_at": None},
        {"id": "m-old", "content": "Prefers tea.", "created_timestamp": 1735787045.5, "updated_timestamp": 1735787099},
    ]
    store = make_store("memories")
    assert (await run_sync(store, backend)).memories == 5
    live_settings = Settings(
        base_url=backend.url, session_token=backend.session_token, data_dir=tmp_path / "d", config_dir=tmp_path / "c"
    )
    offline = Settings(base_url=backend.url, data_dir=tmp_path / "d", config_dir=tmp_path / "c")
    live = await account.memories(live_settings, store)
    stored = await account.memories(offline, store)
    assert (live.source, stored.source) == ("live", "stored")
    assert stored.memories == live.memories
    assert [(m.id, m.created_at, m.updated_at) for m in live.memories[3:]] == [
        ("memory-3", "2025-01-02T03:04:05Z", None),
        ("m-old", "1735787045.5", "1735787099"),
    ]


async def test_mcp_sync_tool_reports_progress_and_live_memories(
    backend: FakeBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        base_url=backend.url,
        session_token=backend.session_token,
        data_dir=tmp_path / "data",
        config_dir=tmp_path / "config",
        sync_interval=0,
    )
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(create_server(settings)) as client:
        result = await client.call_tool("sync_history", {}, progress_callback=on_progress)
        assert not result.is_error, result.content
        assert result.structured_content["fetched"] == ALL
        assert seen and seen[-1][0] == seen[-1][1] == ALL
        memories = await client.call_tool("list_memories", {})
        assert memories.structured_content["source"] == "live"
        status = (await client.call_tool("history_status", {})).structured_content
        assert status["credentials_configured"] is True
        assert status["last_sync"]["outcome"] == "complete" and status["conversations"] == ALL
        found = await client.call_tool("search_conversations", {"query": next(iter(backend.account.keywords.values()))})
        assert len(found.structured_content["results"]) == 1
        resource = await client.read_resource("chatgpt://automations")
        assert len(json.loads(resource.contents[0].text)["automations"]) == 2


async def test_export_and_sync_merge_by_id_and_the_newest_copy_wins(
    backend: FakeBackend, make_store: Callable[..., HistoryStore], tmp_path: Path
) -> None:
    account = backend_account(backend)
    old_export = account.write_export_zip(tmp_path / "old.zip")
    cid = account.main_ids()[0]
    with backend.lock:
        account.append_message(cid, "a later question about quinces")
    store = make_store()
    import_export(store, old_export)  # the export first: the backend has a newer copy of one conversation
    backend.clear_requests()
    report = await run_sync(store, backend)
    assert report.fetched == 1  # only the conversation that changed since the export
    assert [r.conversation_id for r in store.search("quinces").results] == [cid]

    newer = account.write_export_zip(tmp_path / "new.zip")
    with backend.lock:
        account.append_message(cid, "and then about kumquats")
    await run_sync(store, backend)
    stale = import_export(store, newer)  # an export older than the synced copy must not roll it back
    assert (stale.older, stale.updated) == (1, 0)
    assert [r.conversation_id for r in store.search("kumquats").results] == [cid]


async def test_the_token_is_refreshed_before_it_expires(make_store: Callable[..., HistoryStore]) -> None:
    with FakeBackend(sample_account(), token_lifetime=30.0) as fb:  # expires within the refresh margin
        report = await run_sync(make_store(), fb)
        assert report.outcome == "complete"
        refreshes = len(fb.requests_to("/api/auth/session"))
        unauthorized = [r for r in fb.requests if r.status == 401]
    assert refreshes > 1 and unauthorized == []  # refreshed ahead of time, never refused


async def test_the_device_id_is_stable_per_installation(
    backend: FakeBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatgpt_history_mcp import account

    settings = Settings(
        base_url=backend.url,
        session_token=backend.session_token,
        data_dir=tmp_path / "data",
        config_dir=tmp_path / "config",
        sync_pacing=0,
        sync_interval=0,
    )
    store = HistoryStore(settings.data_dir)
    try:
        await account.sync(settings, store)
        await account.sync(settings, store)
    finally:
        store.close()
    devices = {r.headers.get("oai-device-id") for r in backend.requests}
    assert len(devices) == 1 and None not in devices
