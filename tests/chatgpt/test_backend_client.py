"""The backend client's answers to what the real backend does, one behaviour each (fake on 127.0.0.1)."""

from __future__ import annotations

from typing import Any

import pytest

from chatgpt_history_mcp.chatgpt.backend import (
    BackendClient,
    BackendNotFound,
    Blocked,
    Credentials,
    RequestRejected,
    RetryPolicy,
    SessionExpired,
    Unavailable,
    token_expiry,
)
from fake_backend import FakeBackend, sample_account

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


def client(fb: FakeBackend, **kwargs: Any) -> BackendClient:
    credentials = kwargs.pop("credentials", None) or Credentials(session_token=fb.session_token)
    return BackendClient(credentials, base_url=fb.url, retry=kwargs.pop("retry", FAST), **kwargs)


async def test_unknown_conversation_is_not_found() -> None:
    with FakeBackend(sample_account()) as fb:
        async with client(fb) as c:
            with pytest.raises(BackendNotFound, match="not found"):
                await c.conversation("00000000-0000-0000-0000-000000000000")


async def test_a_rejected_request_says_why() -> None:
    with FakeBackend(sample_account()) as fb:
        async with client(fb) as c:
            with pytest.raises(RequestRejected, match="422"):
                await c.get_json("/backend-api/conversations", {"limit": 101})


@pytest.mark.parametrize("key", ["memories", "memory_entries"])
async def test_memories_under_either_key(key: str) -> None:
    with FakeBackend(sample_account(), memories_key=key) as fb:
        async with client(fb) as c:
            memories = await c.memories()
    assert len(memories) == 3 and all(m.content for m in memories)


async def test_a_workspace_sends_its_account_id() -> None:
    with FakeBackend(sample_account(workspace_account_id="ws-1234")) as fb:
        without = Credentials(session_token=fb.session_token)
        async with client(fb, credentials=without) as c:
            with pytest.raises(Blocked, match="CHATGPT_ACCOUNT_ID"):
                await c.memories()
        with_id = Credentials(session_token=fb.session_token, account_id="ws-1234")
        async with client(fb, credentials=with_id) as c:
            assert len(await c.memories()) == 3
        assert fb.requests[-1].headers.get("chatgpt-account-id") == "ws-1234"


async def test_a_slow_backend_times_out_with_a_clear_error() -> None:
    with FakeBackend(sample_account()) as fb:
        fb.slow(2.0, "/backend-api/memories", count=None)
        async with client(fb, timeout=0.3) as c:
            with pytest.raises(Unavailable, match="did not answer in time"):
                await c.memories()


async def test_a_long_session_cookie_is_sent_split() -> None:
    with FakeBackend(sample_account(), session_token_length=9000) as fb:
        async with client(fb) as c:
            assert len(await c.memories()) == 3
        sent = fb.requests_to("/api/auth/session")[0].headers["cookie"]
        assert "session-token.0=" in sent and "session-token.1=" in sent


async def test_an_access_token_alone_works_until_it_expires() -> None:
    with FakeBackend(sample_account()) as fb:
        token = fb.issue_access_token()
        assert token_expiry(token) is not None
        async with client(fb, credentials=Credentials(access_token=token)) as c:
            assert len(await c.automations()) == 2
            fb.expire_tokens()
            with pytest.raises(SessionExpired, match="sign in"):
                await c.automations()
        assert fb.requests_to("/api/auth/session") == []  # no session to refresh from


async def test_every_request_carries_the_web_apps_headers_and_nothing_forged() -> None:
    """What the README says of the client's headers: a Chrome User-Agent, the backend (chatgpt.com by default)
    as Origin and Referer, a device id; never a proof-of-work or Turnstile answer of its own making."""
    from chatgpt_history_mcp.chatgpt.backend import USER_AGENT
    from chatgpt_history_mcp.settings import DEFAULT_BASE_URL

    assert DEFAULT_BASE_URL == "https://chatgpt.com" and "Chrome/" in USER_AGENT
    with FakeBackend(sample_account()) as fb:
        async with client(fb) as c:
            listed = await c.get_json("/backend-api/conversations", {"limit": 5})
            await c.conversation(listed["items"][0]["id"])
            await c.memories()
        assert len(fb.requests) >= 4  # the session exchange too
        for request in fb.requests:
            assert request.headers["user-agent"] == USER_AGENT
            assert (request.headers["origin"], request.headers["referer"]) == (fb.url, fb.url + "/")
            assert request.headers["oai-device-id"]
            assert not any("proof" in name or "turnstile" in name for name in request.headers)
