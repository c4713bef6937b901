"""Hardening: a sync over a bad network. Against the fake backend on loopback with faults injected.

Every recoverable fault (429 bursts with Retry-After, a 401 mid-sync, 5xx, dropped connections, slow and
timed-out answers) must end in a complete sync holding exactly the account's conversations, after a bounded
number of extra requests (each fault costs one retry, a 401 one refresh) and in bounded time. A fault that
outlasts the retry budget ends the sync "incomplete" with an error a person can act on, keeps what was fetched,
and the next sync fetches only the rest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp.chatgpt.backend import BackendClient, Credentials, RetryPolicy
from chatgpt_history_mcp.ingest import sync as sync_module
from chatgpt_history_mcp.ingest.sync import sync_history
from chatgpt_history_mcp.results import SyncReport
from chatgpt_history_mcp.store.history import HistoryStore
from fake_backend import FakeAccount, FakeBackend, Fault, sample_account

pytestmark = pytest.mark.anyio

#: The shipped policy (5 attempts per request, Retry-After up to 120 s honoured) with short backoffs.
FAST = RetryPolicy(base_delay=0.02, max_delay=0.1)
ATTEMPTS = FAST.attempts
BODY = "/backend-api/conversation/*"
LIST = "/backend-api/conversations"


def account() -> FakeAccount:
    """150 conversations: two pages of the main list, the archive, three projects of three cursor pages each."""
    return sample_account(n_main=120, n_archived=15, n_projects=3, per_project=5)


ALL = len(account().conversations)


@dataclass
class Totals:
    faults: int = 0
    retries: int = 0
    requests: int = 0
    minimum: int = 0
    scenarios: int = 0


TOTALS = Totals()


@pytest.fixture(scope="module")
def minimum(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Requests a fault-free full sync of :func:`account` makes (sessions, list pages, bodies, memories…)."""
    import anyio

    store = HistoryStore(tmp_path_factory.mktemp("clean"))
    try:
        with FakeBackend(account()) as fb:
            report = anyio.run(run_sync, store, fb)
            assert (report.outcome, report.fetched) == ("complete", ALL)
            return len(fb.requests)
    finally:
        store.close()


async def run_sync(
    store: HistoryStore, fb: FakeBackend, *, timeout: float = 30.0, credentials: Credentials | None = None
) -> SyncReport:
    credentials = credentials or Credentials(session_token=fb.session_token)
    async with BackendClient(credentials, base_url=fb.url, retry=FAST, timeout=timeout) as client:
        report = await sync_history(store, client)
    assert client.requests == len(fb.requests)  # what the client sent is what the server saw
    return report


def body_path(fb: FakeBackend, n: int) -> str:
    """The path of the ``n``-th conversation the sync fetches (newest first)."""
    order = sorted(fb.account.conversations, key=lambda c: fb.account.conversations[c]["update_time"], reverse=True)
    return f"/backend-api/conversation/{order[n]}"


def assert_same_as_account(store: HistoryStore, fb: FakeBackend) -> None:
    stored = {c.conversation_id: c for c in store.list_conversations(limit=200).items}
    assert set(stored) == set(fb.account.conversations)
    for cid, body in fb.account.conversations.items():
        assert stored[cid].title == body["title"], cid
        assert stored[cid].update_time is not None
        assert abs(stored[cid].update_time.timestamp() - body["update_time"]) < 0.01, cid
    status = store.status()
    assert status.conversations == status.indexed == ALL and status.pending_index == 0
    for cid, word in list(fb.account.keywords.items())[::15]:
        assert [r.conversation_id for r in store.search(word).results] == [cid], word


def record(figures: dict[str, Any], name: str, faults: int, total: int, minimum: int | None) -> None:
    """Keep one scenario's counts; ``minimum`` None: not a complete sync (requests are not compared)."""
    TOTALS.scenarios += 1
    TOTALS.faults += faults
    if minimum is not None:
        TOTALS.retries += total - minimum
        TOTALS.requests += total
        TOTALS.minimum += minimum
        figures[f"network: {name}: faults / requests / minimum"] = f"{faults} / {total} / {minimum}"
    figures["network: scenarios run"] = TOTALS.scenarios
    figures["network: faults injected"] = TOTALS.faults
    figures["network: retries made by the completed syncs (requests beyond the minimum)"] = TOTALS.retries
    figures["network: requests of the completed syncs, total vs minimum"] = f"{TOTALS.requests} vs {TOTALS.minimum}"


# -- recoverable faults: the sync completes ----------------------------------------------------------------


def burst_429(fb: FakeBackend) -> list[Fault]:
    # One body refused four times in a row (the fifth and last attempt passes), and the list twice.
    return [
        fb.fail_429(body_path(fb, 7), count=ATTEMPTS - 1, retry_after=0.25),
        fb.fail_429(LIST, count=2, retry_after=0.1),
    ]


def server_errors(fb: FakeBackend) -> list[Fault]:
    return [
        fb.fail_status(500, LIST, count=1),
        fb.fail_status(502, body_path(fb, 3), count=2),
        fb.fail_status(503, "/backend-api/gizmos/snorlax/sidebar", count=1),
        fb.fail_status(504, "/backend-api/gizmos/*/conversations", count=2),
        fb.fail_status(503, "/backend-api/memories", count=1),
        fb.fail_status(502, "/backend-api/automations", count=1),
    ]


def dropped(fb: FakeBackend) -> list[Fault]:
    return [
        fb.drop_connection("/api/auth/session", count=1),
        fb.drop_connection(LIST, count=1),
        fb.drop_connection(BODY, count=3),
        fb.drop_connection(body_path(fb, 60), count=ATTEMPTS - 1),
    ]


def slow(fb: FakeBackend) -> list[Fault]:
    # Slow answers within the client's timeout cost nothing; one past it is abandoned and asked again.
    return [fb.slow(0.3, BODY, count=6), fb.slow(3.0, body_path(fb, 25), count=1)]


def everything(fb: FakeBackend) -> list[Fault]:
    fb.expire_token_after(90)
    return [
        fb.fail_429(body_path(fb, 1), count=2, retry_after=0.1),
        fb.fail_status(503, body_path(fb, 30), count=1),
        fb.drop_connection(body_path(fb, 45), count=1),
        fb.fail_status(502, "/backend-api/gizmos/*/conversations", count=1),
        fb.slow(3.0, body_path(fb, 100), count=1),
        fb.fail_429("/backend-api/conversations", count=1, retry_after=0),
    ]


def refresh_fails_once(fb: FakeBackend) -> list[Fault]:
    # The token is revoked mid-sync, and the first attempt to get a new one is itself rate limited.
    fb.expire_token_after(50)
    return [fb.fail_429("/api/auth/session", count=1, retry_after=0.1)]


#: name → (the faults to inject, how many times the access token is revoked mid-sync). The client starts with a
#: session token only (its first request gets an access token), except where the session endpoint is the target.
RECOVERABLE: dict[str, tuple[Callable[[FakeBackend], list[Fault]], int]] = {
    "429 bursts with Retry-After": (burst_429, 0),
    "5xx": (server_errors, 0),
    "dropped connections": (dropped, 0),
    "slow and timed-out answers": (slow, 0),
    "a 401 whose refresh is rate limited once": (refresh_fails_once, 1),
    "everything at once, and a 401 mid-sync": (everything, 1),
}


@pytest.mark.parametrize("scenario", list(RECOVERABLE))
async def test_a_sync_through_faults_completes_with_bounded_retries(
    scenario: str, minimum: int, make_store: Callable[..., HistoryStore], figures: dict[str, Any]
) -> None:
    inject, refreshes = RECOVERABLE[scenario]
    store = make_store()
    with FakeBackend(account()) as fb:
        faults = inject(fb)
        credentials = Credentials(session_token=fb.session_token)
        if any(f.path == "/api/auth/session" and f.kind == "429" for f in faults):
            credentials = Credentials(session_token=fb.session_token, access_token=fb.issue_access_token())
            minimum -= 1  # no token to fetch at the start
        started = time.monotonic()
        report = await run_sync(store, fb, timeout=1.5, credentials=credentials)
        elapsed = time.monotonic() - started
        assert (report.outcome, report.error) == ("complete", None)
        assert (report.listed, report.fetched, report.failed, report.remaining) == (ALL, ALL, 0, 0)
        assert_same_as_account(store, fb)
        assert elapsed < 20, elapsed
        hits = sum(f.hits for f in faults if f.kind != "slow")
        timed_out = sum(f.hits for f in faults if f.kind == "slow" and f.delay > 1.5)
        extra = len(fb.requests) - minimum
        refused = [r for r in fb.requests if r.status == 401]
        sessions = [r for r in fb.requests_to("/api/auth/session") if r.status == 200]
        # Every fault cost exactly one more request. A revoked token costs one new token, and one more try of
        # each request sent with it (those queued when it was refused: at most a chunk's worth).
        assert extra == hits + timed_out + len(refused) + refreshes, (extra, hits, timed_out, len(refused))
        assert len(sessions) == (0 if credentials.access_token else 1) + refreshes
        assert (1 if refreshes else 0) <= len(refused) <= (sync_module.CHUNK + 2) * refreshes
        assert not [e for e in fb.errors if not isinstance(e, OSError)]  # (a timed-out answer meets a closed socket)
        if scenario.startswith("429"):
            assert elapsed >= (ATTEMPTS - 1) * 0.25  # the Retry-After was honoured, not hammered through
    record(figures, scenario, hits + timed_out + refreshes, len(fb.requests), minimum)


# -- faults that outlast the retry budget: incomplete, kept, resumed ---------------------------------------

BROKEN = 45  # the 46th conversation fetched: in the third chunk, after two committed ones


def always_503(fb: FakeBackend) -> Fault:
    return fb.fail_status(503, body_path(fb, BROKEN), count=None)


def always_429(fb: FakeBackend) -> Fault:
    return fb.fail_429(body_path(fb, BROKEN), count=None, retry_after=0.05)


def hour_long_429(fb: FakeBackend) -> Fault:
    return fb.fail_429(body_path(fb, BROKEN), count=None, retry_after=3600)


def always_dropped(fb: FakeBackend) -> Fault:
    return fb.drop_connection(body_path(fb, BROKEN), count=None)


def always_slow(fb: FakeBackend) -> Fault:
    return fb.slow(2.0, body_path(fb, BROKEN), count=None)


def cloudflare(fb: FakeBackend) -> Fault:
    return fb.fail_cloudflare(body_path(fb, BROKEN), count=None)


#: name → (the fault, what the error says, how many times the failing request may be sent at most)
OUTLASTING: dict[str, tuple[Callable[[FakeBackend], Fault], str, int]] = {
    "503 every time": (always_503, "ChatGPT answered 503", ATTEMPTS),
    "429 every time": (always_429, "rate limited by ChatGPT; try again later", ATTEMPTS),
    "429 asking to wait an hour": (hour_long_429, "rate limited by ChatGPT; try again later", 1),
    "dropped every time": (always_dropped, "connection failed", ATTEMPTS),
    "too slow every time": (always_slow, "did not answer in time", ATTEMPTS),
    "a Cloudflare block": (cloudflare, "Cloudflare", 1),
}


@pytest.mark.parametrize("scenario", list(OUTLASTING))
async def test_a_fault_past_the_retry_budget_ends_incomplete_keeps_what_it_fetched_and_the_next_sync_completes(
    scenario: str, minimum: int, make_store: Callable[..., HistoryStore], figures: dict[str, Any]
) -> None:
    inject, says, most = OUTLASTING[scenario]
    store = make_store()
    with FakeBackend(account()) as fb:
        broken = body_path(fb, BROKEN)
        fault = inject(fb)
        started = time.monotonic()
        report = await run_sync(store, fb, timeout=1.0)
        elapsed = time.monotonic() - started
        assert report.outcome == "incomplete" and report.error is not None
        assert says in report.error, report.error
        assert "Traceback" not in report.error and fb.session_token not in report.error
        assert 1 <= len(fb.requests_to(broken)) <= most  # bounded: the budget, or at once when retrying is futile
        assert elapsed < 15, elapsed  # an hour-long Retry-After is reported, not slept through
        # What was fetched is kept: every chunk before the failing one, and what the failing one did fetch.
        assert 2 * sync_module.CHUNK <= report.fetched < ALL
        status = store.status()
        assert status.conversations == status.indexed == report.fetched and status.pending_index == 0
        assert report.remaining == ALL - report.fetched
        assert report.model_dump() == store.status().last_sync.model_dump()  # type: ignore[union-attr]
        tries = len(fb.requests_to(broken))
        faults = fault.hits

        fb.clear_faults()
        fb.clear_requests()
        resumed = await run_sync(store, fb)
        assert (resumed.outcome, resumed.fetched, resumed.remaining) == ("complete", report.remaining, 0)
        assert len(fb.requests_to(BODY)) == report.remaining  # nothing fetched twice
        assert_same_as_account(store, fb)
    record(figures, scenario, faults, 0, None)
    figures[f"network: past the budget: {scenario}: tries of the failing request (most)"] = f"{tries} ({most})"


async def test_a_revoked_session_ends_incomplete_after_one_refresh(
    make_store: Callable[..., HistoryStore], figures: dict[str, Any]
) -> None:
    store = make_store()
    with FakeBackend(account()) as fb:
        signed_in = fb.session_token
        credentials = Credentials(session_token=signed_in, access_token=fb.issue_access_token())
        fb.expire_token_after(70)
        fb.set_session_token("FAKE-SESSION-signed-out-elsewhere")  # the stored cookie no longer works
        report = await run_sync(store, fb, credentials=credentials)
        assert report.outcome == "incomplete"
        assert report.error == "session expired: sign in to ChatGPT and update the token"
        # Each request refused with the revoked token tries the session once (a chunk's worth at most), then
        # the sync stops: no retry loop against a session that is gone.
        assert 1 <= len(fb.requests_to("/api/auth/session")) <= sync_module.CHUNK
        token_requests = len(fb.requests_to("/api/auth/session"))
        assert 2 * sync_module.CHUNK <= report.fetched < ALL
        assert store.status().conversations == report.fetched

        fb.clear_requests()
        resumed = await run_sync(store, fb, credentials=Credentials(session_token=fb.session_token))
        assert (resumed.outcome, resumed.fetched) == ("complete", report.remaining)
        assert_same_as_account(store, fb)
    figures["network: a revoked session: token requests before giving up"] = token_requests


def test_the_cli_sync_rides_out_faults_with_the_shipped_retry_policy(
    tmp_path: Path, minimum: int, figures: dict[str, Any]
) -> None:
    """As a person runs it: ``sync`` in a subprocess, default backoffs, a bit of everything on the way."""
    with FakeBackend(account()) as fb:
        fb.expire_token_after(60)
        faults = [
            fb.fail_429(BODY, count=2, retry_after=0.2),
            fb.fail_status(503, body_path(fb, 20), count=1),
            fb.drop_connection(LIST, count=1),
            fb.fail_status(502, "/backend-api/gizmos/*/conversations", count=1),
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT_")}
        env.update(
            CHATGPT_BASE_URL=fb.url,
            CHATGPT_SESSION_TOKEN=fb.session_token,
            CHATGPT_HISTORY_DATA_DIR=str(tmp_path / "data"),
            CHATGPT_HISTORY_CONFIG_DIR=str(tmp_path / "config"),
            CHATGPT_SYNC_PACING="0",
            HOME=str(tmp_path / "home"),
        )
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "chatgpt_history_mcp", "sync"], env=env, capture_output=True, text=True, timeout=120
        )
        elapsed = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        assert f"sync complete: {ALL} listed, {ALL} fetched" in done.stdout
        status = subprocess.run(
            [sys.executable, "-m", "chatgpt_history_mcp", "status", "--json"], env=env, capture_output=True, text=True
        )
        assert json.loads(status.stdout)["conversations"] == ALL
        hits = sum(f.hits for f in faults)
        refused = len([r for r in fb.requests if r.status == 401])
        assert hits == 5 and refused >= 1
        assert len(fb.requests) == minimum + hits + refused + 1  # one retry per fault, one new token
        assert elapsed < 30, elapsed
    record(figures, "the CLI, shipped backoffs", hits + 1, len(fb.requests), minimum)
    figures["network: the CLI, shipped backoffs: seconds"] = round(elapsed, 1)
