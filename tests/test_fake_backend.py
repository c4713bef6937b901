"""The fake backend behaves like the real one where the sync depends on it (checked with plain httpx)."""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatgpt_history_mcp.store.history import HistoryStore
from chatgpt_history_mcp.store.importer import import_export
from fake_backend import (
    ACCESS_TOKEN_MARKER,
    COOKIE_CHUNK_SIZE,
    SESSION_COOKIE,
    SESSION_MARKER,
    FakeAccount,
    FakeBackend,
    decode_jwt,
    sample_account,
)


@pytest.fixture
def fb() -> Iterator[FakeBackend]:
    with FakeBackend(sample_account()) as backend:
        yield backend
        assert backend.errors == []


def session(fb: FakeBackend, client: httpx.Client, cookie: str | None = None) -> httpx.Response:
    headers = {"Cookie": cookie if cookie is not None else fb.cookie_header}
    return client.get(f"{fb.url}/api/auth/session", headers=headers)


def bearer(fb: FakeBackend, client: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {session(fb, client).json()['accessToken']}"}


def test_session_exchange_issues_fresh_jwts(fb: FakeBackend) -> None:
    with httpx.Client() as client:
        first = session(fb, client).json()
        second = session(fb, client).json()
        assert first["user"] == {**first["user"], "id": "user-fake", "email": "alex@example.invalid"}
        assert first["expires"].endswith("Z")
        token = first["accessToken"]
        assert token.count(".") == 2 and ACCESS_TOKEN_MARKER in token.split(".")[2]
        exp = decode_jwt(token)["exp"]
        assert abs(exp - (time.time() + 10 * 86_400)) < 5
        assert second["accessToken"] != token and fb.access_tokens == [token, second["accessToken"]]
        # Logged out (no cookie, a wrong one): {} with 200.
        for cookie in ("", f"{SESSION_COOKIE}=FAKE-SESSION-nope"):
            logged_out = session(fb, client, cookie)
            assert (logged_out.status_code, logged_out.json()) == (200, {})


def test_split_cookie_and_rotation() -> None:
    with FakeBackend(FakeAccount(), session_token_length=5000, rotate_session=True) as fb, httpx.Client() as client:
        cookies = fb.session_cookies
        assert list(cookies) == [f"{SESSION_COOKIE}.0", f"{SESSION_COOKIE}.1"]
        assert len(cookies[f"{SESSION_COOKIE}.0"]) == COOKIE_CHUNK_SIZE
        old = fb.session_token
        assert old.startswith(SESSION_MARKER) and len(old) == 5000
        answer = session(fb, client)
        assert "accessToken" in answer.json()
        set_cookies = answer.headers.get_list("set-cookie")
        assert len(set_cookies) == 2 and all("HttpOnly; Secure" in c for c in set_cookies)
        assert fb.session_token != old and set(fb.session_tokens) >= {old, fb.session_token}
        assert answer.cookies[f"{SESSION_COOKIE}.0"] == fb.session_cookies[f"{SESSION_COOKIE}.0"]
        # The old value is refused now, in either form; the new one works.
        assert session(fb, client, f"{SESSION_COOKIE}={old}").json() == {}
        assert "accessToken" in session(fb, client, f"{SESSION_COOKIE}={fb.session_token}").json()
        assert all(s in fb.secrets() for s in fb.access_tokens)


def test_bearer_required_and_expiry(fb: FakeBackend) -> None:
    url = f"{fb.url}/backend-api/conversations"
    with httpx.Client() as client:
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"Authorization": "Bearer nope"}).json()["detail"]
        cid = fb.account.main_ids()[0]
        # A cookie alone on a conversation read: 404, as on the real service.
        assert client.get(f"{fb.url}/backend-api/conversation/{cid}").status_code == 404
        auth = bearer(fb, client)
        assert client.get(url, headers=auth).status_code == 200
        fb.expire_token_after(2)
        assert [client.get(url, headers=auth).status_code for _ in range(3)] == [200, 200, 401]
        auth = bearer(fb, client)
        assert client.get(url, headers=auth).status_code == 200
        fb.advance(10 * 86_400 + 1)  # past exp on the fake clock
        assert client.get(url, headers=auth).status_code == 401
        assert client.get(url, headers=bearer(fb, client)).status_code == 200
    recorded = fb.requests_to("/backend-api/conversations")
    assert recorded[-1].headers["authorization"].startswith("Bearer ") and recorded[-1].status == 200


def test_list_paging_lies_about_total(fb: FakeBackend) -> None:
    with httpx.Client(base_url=fb.url, headers={}) as client:
        auth = bearer(fb, client)
        pages: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = client.get(
                "/backend-api/conversations", params={"offset": offset, "limit": 2, "order": "updated"}, headers=auth
            ).json()
            pages.append(page)
            if len(page["items"]) < 2:
                break
            offset += 2
        assert [p["total"] for p in pages] == [3, 3, 5]  # items + 1 while more remain; the truth at the end
        items = [i for p in pages for i in p["items"]]
        assert [i["id"] for i in items] == fb.account.main_ids()
        assert all(i["mapping"] is None and i["current_node"] is None for i in items)
        assert items[0]["update_time"].endswith("Z") and items[0]["update_time"] > items[1]["update_time"]
        archived = client.get("/backend-api/conversations", params={"is_archived": "true"}, headers=auth).json()
        assert [i["id"] for i in archived["items"]] == fb.account.archived_ids()
        listed = {i["id"] for i in items} | {i["id"] for i in archived["items"]}
        assert not listed & {c for p in fb.account.projects for c in fb.account.project_ids(p)}
        too_many = client.get("/backend-api/conversations", params={"limit": 101}, headers=auth)
        assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["query", "limit"]


def test_projects_and_bodies(fb: FakeBackend) -> None:
    account = sample_account(n_projects=3, per_project=3)
    fb.account = account
    with httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        projects: list[str] = []
        cursor: str | None = None
        while True:
            params = {"conversations_per_gizmo": 0, **({"cursor": cursor} if cursor else {})}
            page = client.get("/backend-api/gizmos/snorlax/sidebar", params=params, headers=auth).json()
            assert all(item["conversations"] == {"items": [], "cursor": None} for item in page["items"])
            projects += [item["gizmo"]["gizmo"]["id"] for item in page["items"]]
            cursor = page["cursor"]
            if cursor is None:
                break
        assert projects == list(account.projects) and all(p.startswith("g-p-") for p in projects)
        seen: list[str] = []
        cursor = "0"
        while cursor is not None:
            page = client.get(
                f"/backend-api/gizmos/{projects[0]}/conversations", params={"cursor": cursor}, headers=auth
            )
            seen += [i["id"] for i in page.json()["items"]]
            cursor = page.json()["cursor"]
        assert seen == account.project_ids(projects[0]) and len(seen) == 3
        body = client.get(f"/backend-api/conversation/{seen[0]}", headers=auth).json()
        assert body == account.get(seen[0]) and isinstance(body["update_time"], float)
        assert body["mapping"][body["current_node"]]["message"]["author"]["role"] == "assistant"
        assert client.get("/backend-api/conversation/nope", headers=auth).status_code == 404
        memories = client.get("/backend-api/memories", params={"include_memory_entries": "true"}, headers=auth)
        assert len(memories.json()["memories"]) == 3
        tasks = client.get("/backend-api/automations", headers=auth).json()
        assert tasks["cursor"] is None and all(t["id"].startswith("sched_") for t in tasks["items"])


def test_faults() -> None:
    with FakeBackend(sample_account()) as fb, httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        url = "/backend-api/conversations"
        fb.fail_429(count=2, retry_after=7)
        for _ in range(2):
            limited = client.get(url, headers=auth)
            assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
        assert client.get(url, headers=auth).status_code == 200
        fb.fail_cloudflare()
        blocked = client.get(url, headers=auth)
        assert blocked.status_code == 403 and blocked.headers["content-type"].startswith("text/html")
        assert "cf-please-wait" in blocked.text
        fb.fail_status(502, path="/backend-api/conversation/*")
        assert client.get(f"/backend-api/conversation/{fb.account.main_ids()[0]}", headers=auth).status_code == 502
        fb.drop_connection()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(url, headers=auth)
        assert fb.requests[-1].status == 0
        fb.slow(0.5)
        with pytest.raises(httpx.ReadTimeout):
            client.get(url, headers=auth, timeout=0.1)
        assert client.get(url, headers=auth).status_code == 200
        fb.blocked_user_agents = ("python-httpx",)
        assert client.get(url, headers=auth).status_code == 403


def test_workspace_needs_account_id_and_memory_entries() -> None:
    account = sample_account(1, 0, 0, workspace_account_id="ws-fake-0001")
    with FakeBackend(account, memories_key="memory_entries") as fb, httpx.Client(base_url=fb.url) as client:
        answer = session(fb, client).json()
        assert answer["account"]["structure"] == "workspace"
        auth = {"Authorization": f"Bearer {answer['accessToken']}"}
        assert client.get("/backend-api/memories", headers=auth).status_code == 403
        ok = client.get(
            "/backend-api/memories",
            params={"include_memory_entries": "true"},
            headers={**auth, "chatgpt-account-id": "ws-fake-0001"},
        )
        assert ok.status_code == 200 and len(ok.json()["memory_entries"]) == 3


def test_account_helpers_and_export(tmp_path: Path) -> None:
    account = sample_account()
    assert len(account.conversations) == 5 + 2 + 2 * 3 and len(set(account.keywords.values())) == 13
    branched, gpt = account.main_ids()[-1], account.main_ids()[-2]
    assert account.get(gpt)["gizmo_id"].startswith("g-") and branched in account.branch_keywords
    body = account.get(branched)
    assert any(len(node["children"]) > 1 for node in body["mapping"].values())
    oldest = account.main_ids()[-1]
    account.append_message(oldest, "One more question about zeppelins.")
    assert account.main_ids()[0] == oldest
    account.archive(oldest)
    assert oldest in account.archived_ids()
    path = account.write_export_zip(tmp_path / "export.zip")
    with zipfile.ZipFile(path) as z:
        exported = json.loads(z.read("conversations.json"))
    assert {c["id"] for c in exported} == set(account.conversations)
    assert next(c for c in exported if c["id"] == oldest) == account.get(oldest)


def test_export_zip_imports(make_store: Callable[..., HistoryStore], tmp_path: Path) -> None:
    account = sample_account()
    for split in (None, 4):
        report = import_export(
            make_store(f"data-{split}"), account.write_export_zip(tmp_path / "e.zip", split_every=split)
        )
        assert (report.outcome, report.added, report.invalid) == ("imported", 13, 0)
