"""The fake backend behaves like the real one where the sync depends on it (checked with plain httpx)."""

from __future__ import annotations

import json
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatgpt_history_mcp.chatgpt.sse import (
    DeltaDecoder,
    IncompleteStream,
    SSEParser,
    StreamError,
    StreamResult,
)
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store.history import HistoryStore
from fake_backend import (
    ACCESS_TOKEN_MARKER,
    COOKIE_CHUNK_SIZE,
    NEW_CHAT_PARENT,
    SEND_PATH,
    SENTINEL_MARKER,
    SESSION_COOKIE,
    SESSION_MARKER,
    UNUSUAL_ACTIVITY,
    FakeAccount,
    FakeBackend,
    decode_jwt,
    export_account,
    sample_account,
)
from sample import (
    AGENT,
    ALL_SAMPLE,
    CANDLE_CANVAS,
    CANVAS_COMMENT,
    CANVAS_TEXTDOC_ID,
    CANVAS_TITLE,
    CANVAS_TYPE,
    CANVAS_VERSIONS,
    CRAFT_PROJECT,
    CUSTOM_GPT,
    DELETED_GPT,
    FILES,
    GLAZE_PHOTO,
    GPT_NAMES,
    HOUSEPLANT,
    MISSING_FILES,
    PROJECT,
    PROJECT_NAMES,
    SAMPLE,
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


# ---- sending a message


def requirements_token(client: httpx.Client, auth: dict[str, str]) -> str:
    """The sentinel dance without a challenge: prepare, finalize, return the chat-requirements token."""
    prepared = client.post("/backend-api/sentinel/chat-requirements/prepare", json={}, headers=auth).json()
    final = client.post(
        "/backend-api/sentinel/chat-requirements/finalize",
        json={"prepare_token": prepared["prepare_token"]},
        headers=auth,
    )
    assert final.status_code == 200, final.text
    return final.json()["token"]


def send_body(
    text: str,
    *,
    parent: str = NEW_CHAT_PARENT,
    conversation_id: str | None = None,
    model: str | None = "auto",
    v1: bool = True,
    message_id: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": "next",
        "messages": [
            {
                "id": message_id or str(uuid.uuid4()),
                "author": {"role": "user"},
                "create_time": time.time(),
                "content": {"content_type": "text", "parts": [text]},
            }
        ],
        "parent_message_id": parent,
        "timezone_offset_min": 0,
        "supported_encodings": ["v1"] if v1 else [],
    }
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    if model is not None:
        body["model"] = model
    return body


def send(
    client: httpx.Client,
    auth: dict[str, str],
    body: dict[str, Any],
    *,
    token: str | None = None,
    conduit: str | None = None,
) -> tuple[httpx.Response, bytes]:
    """POST the send (a fresh requirements token unless given) and read the whole body."""
    headers = {**auth, "openai-sentinel-chat-requirements-token": token or requirements_token(client, auth)}
    if conduit is not None:
        headers["x-conduit-token"] = conduit
    with client.stream("POST", SEND_PATH, json=body, headers=headers) as answer:
        raw = b"".join(answer.iter_raw())
    return answer, raw


def decoded(raw: bytes) -> DeltaDecoder:
    """The stream read as the product reads a send's answer (chatgpt/sending.py): SSEParser into DeltaDecoder."""
    parser, decoder = SSEParser(), DeltaDecoder()
    for event in parser.feed(raw) + parser.finish():
        decoder.feed(event)
    return decoder


def test_new_chat_then_follow_ups_are_recorded(fb: FakeBackend) -> None:
    account = fb.account
    before = len(account.conversations)
    with httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        first = send_body("How tall is a giraffe?")
        answer, raw = send(client, auth, first)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        assert raw.startswith(b'event: delta_encoding\ndata: "v1"\n\n')
        result = decoded(raw).finish()
        cid = result.conversation_id
        assert isinstance(cid, str) and cid in account.conversations and len(account.conversations) == before + 1
        user_id = first["messages"][0]["id"]
        assert result.answer == fb.answer_for("How tall is a giraffe?") and result.user_message_id == user_id
        assert (result.model, result.title) == ("gpt-5-2", "How tall is a giraffe?")
        assert account.main_ids()[0] == cid

        body = client.get(f"/backend-api/conversation/{cid}", headers=auth).json()
        mapping = body["mapping"]
        assert body["title"] == result.title and body["current_node"] == result.answer_message_id
        assistant = mapping[result.answer_message_id]
        assert assistant["parent"] == user_id and assistant["message"] == result.answer_message
        system = mapping[mapping[user_id]["parent"]]
        assert system["message"]["author"]["role"] == "system" and mapping[system["parent"]]["message"] is None
        assert mapping[user_id]["message"]["content"]["parts"] == ["How tall is a giraffe?"]

        # A follow-up (with a conduit token): the previous answer is replayed first, then the new turn.
        prepared = client.post(
            "/backend-api/f/conversation/prepare",
            json={"action": "next", "conversation_id": cid, "parent_message_id": result.answer_message_id},
            headers=auth,
        ).json()
        assert prepared["status"] == "ok" and prepared["conduit_token"].count(".") == 2
        updated = body["update_time"]
        second = send_body("And its neck?", conversation_id=cid, parent=result.answer_message_id, model="gpt-4o")
        answer, raw = send(client, auth, second, conduit=prepared["conduit_token"])
        decoder = decoded(raw)
        follow = decoder.finish()
        second_id = second["messages"][0]["id"]
        assert list(decoder.messages) == [result.answer_message_id, second_id, follow.answer_message_id]  # replay
        assert (follow.answer, follow.model, follow.title) == (fb.answer_for("And its neck?"), "gpt-4o", None)
        body = account.get(cid)
        assert body["update_time"] > updated and body["current_node"] == follow.answer_message_id
        assert body["mapping"][second_id]["parent"] == result.answer_message_id
        assert body["mapping"][follow.answer_message_id]["message"]["metadata"]["model_slug"] == "gpt-4o"

        # A send whose parent is not the current node makes a branch.
        third = send_body("Actually, zebras?", conversation_id=cid, parent=result.answer_message_id)
        branch = decoded(send(client, auth, third)[1]).finish()
        body = account.get(cid)
        assert body["mapping"][result.answer_message_id]["children"] == [second_id, third["messages"][0]["id"]]
        assert body["current_node"] == branch.answer_message_id

    assert [(t["conversation_id"], t["user_message_id"], t["new_conversation"]) for t in fb.sent_turns] == [
        (cid, user_id, True),
        (cid, second_id, False),
        (cid, third["messages"][0]["id"], False),
    ]
    assert fb.sent_turns[0]["parent_message_id"] == NEW_CHAT_PARENT and fb.sent_turns[1]["model"] == "gpt-4o"
    posted = fb.requests_to(SEND_PATH, "POST")
    assert [r.json_body["messages"][0]["id"] for r in posted] == [t["user_message_id"] for t in fb.sent_turns]
    assert posted[1].headers["x-conduit-token"] == prepared["conduit_token"]
    secrets = fb.secrets()
    assert prepared["conduit_token"] in secrets and all(t in secrets for t in fb.requirements_tokens)
    assert len(fb.resume_tokens) == 3 and all(t in secrets for t in fb.resume_tokens + fb.prepare_tokens)


def test_snapshot_stream_without_v1(fb: FakeBackend) -> None:
    fb.replay_history = False
    with httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        cid = fb.account.main_ids()[0]
        leaf = fb.account.get(cid)["current_node"]
        body = send_body("Summarise, please.", conversation_id=cid, parent=leaf, model=None, v1=False)
        answer, raw = send(client, auth, body)
    assert answer.status_code == 200 and b"delta_encoding" not in raw and b'"o":' not in raw
    assert raw.endswith(b"data: [DONE]\n\n") and raw.count(b"data: {") > 3
    result = decoded(raw).finish()
    assert result.answer == fb.answer_for("Summarise, please.") and result.conversation_id == cid
    assert result.user_message_id == body["messages"][0]["id"] and result.model == "gpt-5-2"
    assert fb.account.get(cid)["current_node"] == result.answer_message_id


def test_send_validation_records_nothing(fb: FakeBackend) -> None:
    account = fb.account
    cid = account.main_ids()[0]
    leaf = account.get(cid)["current_node"]
    snapshot = json.dumps(account.conversations, sort_keys=True)
    with httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)

        def status(body: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
            answer, raw = send(client, auth, body, **kwargs)
            assert answer.headers["content-type"] == "application/json"
            return answer.status_code, json.loads(raw)["detail"]

        empty = send_body("x")
        empty["messages"] = []
        assert status(empty)[0] == 400
        assert status(send_body("   "))[0] == 400
        assert status(send_body("Hi", conversation_id="nope"))[0] == 404
        assert status(send_body("Hi", parent=leaf))[0] == 400  # a new chat starts from client-created-root
        assert status(send_body("Hi", conversation_id=cid, parent="nope")) == (400, "parent message not found")
        assert status(send_body("Hi", conversation_id=cid, parent=leaf, message_id=leaf))[0] == 409
        assert status(send_body("Hi", model="gpt-9")) == (422, "Model gpt-9 is not available")
        fb.models.add("gpt-9")
        # Sentinel and conduit tokens.
        assert status(send_body("Hi"), token="nope") == (403, UNUSUAL_ACTIVITY)
        token = requirements_token(client, auth)
        assert status(send_body("Hi", model="bad"), token=token)[0] == 422
        assert status(send_body("Hi"), token=token) == (403, UNUSUAL_ACTIVITY)  # used up by the failed send
        assert status(send_body("Hi"), conduit="nope")[0] == 403
        expiring = requirements_token(client, auth)
        fb.advance(541)
        assert status(send_body("Hi"), token=expiring) == (403, UNUSUAL_ACTIVITY)
        fb.advance(-541)
        missing = client.post(SEND_PATH, json=send_body("Hi"))
        assert missing.status_code == 401
        assert client.get(SEND_PATH, headers=auth).status_code == 405
        gone = client.post("/backend-api/f/conversation/prepare", json={"conversation_id": "nope"}, headers=auth)
        assert (gone.status_code, gone.json()) == (404, {"detail": "Conversation not found"})
    assert fb.sent_turns == [] and json.dumps(account.conversations, sort_keys=True) == snapshot


@pytest.mark.parametrize("challenge", [None, "proofofwork", "turnstile"])
def test_sentinel_challenges(challenge: Any) -> None:
    with FakeBackend(sample_account(1, 0, 0), challenge=challenge) as fb, httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        prepared = client.post("/backend-api/sentinel/chat-requirements/prepare", json={}, headers=auth).json()
        assert prepared["persona"] == "chatgpt-paid" and prepared["prepare_token"].startswith(SENTINEL_MARKER)
        assert prepared["proofofwork"]["required"] is (challenge == "proofofwork")
        assert prepared["turnstile"]["required"] is (challenge == "turnstile")
        assert prepared["proofofwork"]["difficulty"] == "0fffff" and prepared["turnstile"]["dx"]
        url = "/backend-api/sentinel/chat-requirements/finalize"
        final = client.post(url, json={"prepare_token": prepared["prepare_token"]}, headers=auth)
        if challenge is not None:
            assert final.status_code == 403 and final.json()["detail"]
            assert fb.requirements_tokens == []
            return
        assert final.status_code == 200
        answer = final.json()
        assert answer["expire_after"] == 540 and abs(answer["expire_at"] - (time.time() + 540)) < 5
        assert answer["token"] in fb.requirements_tokens and answer["token"] in fb.secrets()
        for token in (prepared["prepare_token"], "nope"):
            again = client.post(url, json={"prepare_token": token}, headers=auth)
            assert (again.status_code, again.json()) == (403, {"detail": "Invalid prepare token"})
        assert client.post(url, json={}).status_code == 401


def test_send_faults_before_dispatch(fb: FakeBackend) -> None:
    with httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        fb.fail_429(SEND_PATH, count=1)
        answer, _ = send(client, auth, send_body("Hi"))
        assert answer.status_code == 429 and fb.sent_turns == []
        fb.drop_connection(SEND_PATH)
        with pytest.raises(httpx.RemoteProtocolError):
            send(client, auth, send_body("Hi"))
        assert fb.sent_turns == [] and fb.requests_to(SEND_PATH)[-1].status == 0
        # Stream faults do not count a send that fails its checks.
        fault = fb.cut_stream()
        assert send(client, auth, send_body("Hi"), token="nope")[0].status_code == 403 and fault.hits == 0


def test_cut_stream_records_the_turn(fb: FakeBackend) -> None:
    with httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        fault = fb.cut_stream(after_events=8)
        body = send_body("Tell me about owls.")
        answer, raw = send(client, auth, body)
        assert answer.status_code == 200 and fault.hits == 1
        with pytest.raises(IncompleteStream) as cut:
            decoded(raw).finish()
        turn = fb.sent_turns[-1]
        assert turn["fault"] == "cut" and cut.value.partial_text  # two pieces arrived
        assert fb.answer_for("Tell me about owls.").startswith(cut.value.partial_text)
        assert cut.value.conversation_id == turn["conversation_id"]
        assert cut.value.user_message_id == body["messages"][0]["id"]
        stored = fb.account.get(turn["conversation_id"])
        assert stored["current_node"] == turn["assistant_message_id"] == cut.value.answer_message_id
        # The connection stays usable (the body ended cleanly), and the next send streams in full.
        assert isinstance(decoded(send(client, auth, send_body("Again"))[1]).finish(), StreamResult)


def test_reset_after_dispatch_records_the_turn(fb: FakeBackend) -> None:
    with httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        fault = fb.reset_after_dispatch()
        body = send_body("Will this arrive?")
        with pytest.raises(httpx.TransportError):
            send(client, auth, body)
        assert fault.hits == 1 and fb.requests_to(SEND_PATH)[-1].status == 0
        turn = fb.sent_turns[-1]
        assert (turn["fault"], turn["user_message_id"]) == ("reset", body["messages"][0]["id"])
        assert fb.account.get(turn["conversation_id"])["current_node"] == turn["assistant_message_id"]
        assert client.get(f"/backend-api/conversation/{turn['conversation_id']}", headers=auth).status_code == 200


@pytest.mark.parametrize("v1", [True, False])
def test_stream_error(fb: FakeBackend, v1: bool) -> None:
    with httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        fb.stream_error("Something broke in the fake.")
        answer, raw = send(client, auth, send_body("Break, please.", v1=v1))
        assert answer.status_code == 200 and b"[DONE]" not in raw
        with pytest.raises(StreamError) as failed:
            decoded(raw).finish()
        assert failed.value.server_message == "Something broke in the fake."
        turn = fb.sent_turns[-1]
        assert turn["assistant_message_id"] is None and turn["answer"] is None
        stored = fb.account.get(turn["conversation_id"])
        assert stored["current_node"] == turn["user_message_id"] and stored["title"] is None


def test_stream_delay_lets_progress_show(fb: FakeBackend) -> None:
    fb.stream_delay = 0.004
    with httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        headers = {**auth, "openai-sentinel-chat-requirements-token": requirements_token(client, auth)}
        parser, decoder = SSEParser(), DeltaDecoder()
        seen: list[tuple[float, str]] = []
        started = time.monotonic()
        with client.stream("POST", SEND_PATH, json=send_body("Slowly"), headers=headers) as answer:
            for chunk in answer.iter_raw():
                for event in parser.feed(chunk):
                    decoder.feed(event)
                seen.append((time.monotonic(), decoder.answer))
        assert decoder.finish().answer == fb.answer_for("Slowly")
    partial = [text for _, text in seen if text and text != fb.answer_for("Slowly")]
    assert partial and fb.answer_for("Slowly").startswith(partial[0])  # the answer showed before it was whole
    assert seen[-1][0] - started >= 0.03  # 9 pauses of 4 ms between the 10 pieces


# ---- files, canvases, projects and GPTs by name (chatgpt-files-and-canvas.md §2, §3, §5)


def test_file_download_gives_a_signed_url_that_expires() -> None:
    photo = FILES["file-8Gm2QxT4rVb7KpLw1NcYe5"]
    with zipfile.ZipFile(SAMPLE) as z:
        original = z.read(photo.entry)
    with FakeBackend(export_account()) as fb, httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        path = f"/backend-api/files/download/{photo.file_id}"
        assert client.get(path).status_code == 401, "the metadata call needs the bearer like any other"
        meta = client.get(path, params={"conversation_id": GLAZE_PHOTO, "inline": "false"}, headers=auth).json()
        assert meta["status"] == "success" and meta["file_name"] == "mug-IMG_4471.jpg"
        assert (meta["mime_type"], meta["file_size_bytes"]) == ("image/jpeg", len(original))
        url = meta["download_url"]
        assert url.startswith(f"{fb.url}/backend-api/estuary/content?id={photo.file_id}&ts=")
        got = client.get(url)  # a signed URL: no bearer
        assert (got.status_code, got.content, got.headers["content-type"]) == (200, original, "image/jpeg")
        assert url.rsplit("sig=", 1)[1] in fb.secrets()
        assert client.get(url.replace("sig=", "sig=0")).status_code == 403
        fb.advance(fb.download_url_lifetime + 1)
        expired = client.get(url)
        assert expired.status_code == 403 and "expired" in expired.json()["detail"]
        fresh = client.get(path, headers=auth).json()["download_url"]
        assert fresh != url and client.get(fresh).content == original
        # The older form, for file-service ids.
        old = client.get(f"/backend-api/files/{photo.file_id}/download", headers=auth).json()
        assert old["status"] == "success" and client.get(old["download_url"]).content == original
        # Missing: a pointer the export has no file for, or a file asked for by another conversation.
        for file_id, cid in [(MISSING_FILES[0], HOUSEPLANT), (photo.file_id, HOUSEPLANT)]:
            gone = client.get(f"/backend-api/files/download/{file_id}", params={"conversation_id": cid}, headers=auth)
            assert gone.status_code == 404 and gone.json()["status"] == "error"
            assert gone.json()["error_code"] == "file_not_found" and gone.json()["error_message"]
        assert client.get(f"/backend-api/files/{MISSING_FILES[0]}/download", headers=auth).status_code == 404


def test_every_sample_file_downloads_byte_for_byte() -> None:
    with zipfile.ZipFile(SAMPLE) as z, FakeBackend(export_account()) as fb, httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        for f in FILES.values():
            meta = client.get(
                f"/backend-api/files/download/{f.file_id}", params={"conversation_id": f.conversation_id}, headers=auth
            ).json()
            assert client.get(meta["download_url"]).content == z.read(f.entry), f.file_id
        assert fb.errors == []


def test_textdocs_give_the_canvas_current_text_and_its_history() -> None:
    with FakeBackend(export_account()) as fb, httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        (doc,) = client.get(f"/backend-api/conversation/{CANDLE_CANVAS}/textdocs", headers=auth).json()
        assert (doc["id"], doc["title"], doc["textdoc_type"]) == (CANVAS_TEXTDOC_ID, CANVAS_TITLE, CANVAS_TYPE)
        assert (doc["version"], doc["content"]) == (len(CANVAS_VERSIONS), CANVAS_VERSIONS[-1])
        assert [c["pattern"] for c in doc["comments"]] == [CANVAS_COMMENT[0]] and doc["updated_at"].endswith("Z")
        assert client.get(f"/backend-api/conversation/{GLAZE_PHOTO}/textdocs", headers=auth).json() == []
        assert client.get("/backend-api/conversation/nope/textdocs", headers=auth).status_code == 404
        history = client.get(
            f"/backend-api/textdoc/{CANVAS_TEXTDOC_ID}/history", params={"before_version": 3}, headers=auth
        ).json()["previous_doc_states"]
        assert [(s["version"], s["content"]) for s in history] == [(2, CANVAS_VERSIONS[1]), (1, CANVAS_VERSIONS[0])]
        assert client.get("/backend-api/textdoc/nope/history", headers=auth).status_code == 404


@pytest.mark.parametrize("shape", ["nested", "flat"])
def test_sidebar_and_gizmos_give_names(shape: Any) -> None:
    account = export_account()
    brief = account.add_file(b"%PDF-1.4 project brief", "brief.pdf", "application/pdf", project=CRAFT_PROJECT)
    backend = FakeBackend(account, sidebar_shape=shape, sidebar_gpts=True, projects_page_size=1)
    with backend as fb, httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"owned_only": "true", "conversations_per_gizmo": 0, "limit": 50}
            page = client.get(
                "/backend-api/gizmos/snorlax/sidebar",
                params={**params, **({"cursor": cursor} if cursor else {})},
                headers=auth,
            ).json()
            items += page["items"]
            cursor = page["cursor"]
            if cursor is None:
                break
        gizmos = [item["gizmo"] if shape == "flat" else item["gizmo"]["gizmo"] for item in items]
        assert all(("gizmo" in item["gizmo"]) == (shape == "nested") for item in items)
        names = {g["id"]: (g["display"]["name"], g["gizmo_type"]) for g in gizmos}
        assert names == {
            **{pid: (name, "snorlax") for pid, name in PROJECT_NAMES.items()},
            CUSTOM_GPT: (GPT_NAMES[CUSTOM_GPT], "gpt"),
        }
        if shape == "nested":
            craft = next(i for i in items if i["gizmo"]["gizmo"]["id"] == CRAFT_PROJECT)
            assert [f["file_id"] for f in craft["gizmo"]["files"]] == [brief]
        project = client.get(f"/backend-api/gizmos/{CRAFT_PROJECT}", headers=auth).json()
        assert project["gizmo"]["display"]["name"] == "Clay & Wick" and project["files"][0]["name"] == "brief.pdf"
        gpt = client.get(f"/backend-api/gizmos/{CUSTOM_GPT}", headers=auth).json()["gizmo"]
        assert (gpt["display"]["name"], gpt["gizmo_type"]) == ("Kube Doctor", "gpt") and gpt["author"]["display_name"]
        deleted = client.get(f"/backend-api/gizmos/{DELETED_GPT}", headers=auth)
        assert deleted.status_code == 404
        meta = client.get(f"/backend-api/files/download/{brief}", params={"gizmo_id": CRAFT_PROJECT}, headers=auth)
        assert client.get(meta.json()["download_url"]).content == b"%PDF-1.4 project brief"


def test_export_account_serves_the_sample_conversations() -> None:
    account = export_account()
    with zipfile.ZipFile(SAMPLE) as z:
        exported = {
            c.get("id") or c["conversation_id"]: c
            for n in z.namelist()
            if n.startswith("conversations-0")
            for c in json.loads(z.read(n))
        }
    assert set(account.conversations) == set(exported) and len(exported) == ALL_SAMPLE
    assert set(account.project_ids(CRAFT_PROJECT)) == {GLAZE_PHOTO, CANDLE_CANVAS}
    assert len(account.project_ids(PROJECT)) == 3 and AGENT in account.archived_ids()
    listed = account.main_ids() + account.archived_ids() + [c for p in account.projects for c in account.project_ids(p)]
    assert sorted(listed) == sorted(exported)
    with FakeBackend(account) as fb, httpx.Client(base_url=fb.url) as client:
        auth = bearer(fb, client)
        assert client.get(f"/backend-api/conversation/{CANDLE_CANVAS}", headers=auth).json() == exported[CANDLE_CANVAS]
        first = client.get("/backend-api/conversations", params={"limit": 100}, headers=auth).json()
        assert {i["id"] for i in first["items"]} == set(account.main_ids())
        assert fb.errors == []
