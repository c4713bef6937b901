"""Sending a message to ChatGPT, end to end: the MCP tool and the CLI against the fake backend on 127.0.0.1.

What a user notices: the answer comes back (streamed, with progress), the turn is searchable and readable at
once, follow-ups continue where ChatGPT is now, challenges and refusals are explained, and a message that may
have reached ChatGPT is never sent twice.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.settings import Settings
from command_line import Ran, run_cli
from fake_backend import FakeBackend, sample_account

pytestmark = pytest.mark.anyio

SEND_PATH = "/backend-api/f/conversation"


@pytest.fixture
def backend() -> Any:
    with FakeBackend(sample_account()) as fb:
        yield fb


@pytest.fixture
def settings(backend: FakeBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return Settings(
        base_url=backend.url,
        session_token=backend.session_token,
        data_dir=tmp_path / "data",
        config_dir=tmp_path / "config",
        sync_pacing=0,
        allow_send=True,
        sync_interval=0,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(create_server(settings)) as c:
        yield c


def posts(fb: FakeBackend) -> int:
    """How many times the message itself was POSTed (not the prepare steps)."""
    return len([r for r in fb.requests_to(SEND_PATH, "POST") if r.path == SEND_PATH])


async def send(client: Client, **arguments: Any) -> Any:
    result = await client.call_tool("send_message", arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def error_of(client: Client, **arguments: Any) -> str:
    result = await client.call_tool("send_message", arguments)
    assert result.is_error, result.structured_content
    return result.content[0].text


async def messages(client: Client, cid: str) -> list[tuple[str, str]]:
    page = (await client.call_tool("get_conversation", {"conversation_id": cid})).structured_content
    return [(m["role"], m["text"]) for m in page["messages"]]


# -- enabling ------------------------------------------------------------------------------------------


async def test_send_message_is_absent_unless_enabled(settings: Settings, backend: FakeBackend) -> None:
    off = settings.model_copy(update={"allow_send": False})
    async with Client(create_server(off)) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert "send_message" not in names and "search_conversations" in names
        with pytest.raises(MCPError) as caught:  # an unknown tool is a protocol error, not a tool failure
            await c.call_tool("send_message", {"message": "hello"})
        assert caught.value.error.code == -32602 and "send_message" in caught.value.error.message
    assert posts(backend) == 0 and not backend.sent_turns


async def test_send_message_is_annotated_as_a_write_to_the_outside_world(client: Client) -> None:
    tool = next(t for t in (await client.list_tools()).tools if t.name == "send_message")
    assert tool.annotations is not None
    assert tool.annotations.read_only_hint is False
    assert tool.annotations.idempotent_hint is False
    assert tool.annotations.open_world_hint is True
    assert set(tool.input_schema["properties"]) == {"message", "conversation_id", "model"}
    assert tool.input_schema["required"] == ["message"]


# -- the happy paths -----------------------------------------------------------------------------------


async def test_new_chat_is_answered_and_searchable_at_once(client: Client, backend: FakeBackend) -> None:
    question = "What rhymes with zanzibarquux?"
    seen: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, message))

    backend.stream_delay = 0.25
    result = await client.call_tool("send_message", {"message": question}, progress_callback=on_progress)
    assert not result.is_error, result.content
    sent = result.structured_content
    assert sent["reply"] == backend.answer_for(question)
    assert sent["new_conversation"] is True
    (turn,) = backend.sent_turns
    assert sent["conversation_id"] == turn["conversation_id"]
    assert sent["user_message_id"] == turn["user_message_id"]
    assert sent["assistant_message_id"] and sent["assistant_message_id"] != sent["user_message_id"]
    assert sent["model"] == "gpt-5-2" and sent["stored"] is True
    # progress arrived while the answer streamed, increasing, with the text so far
    assert len(seen) >= 2
    assert [p for p, _ in seen] == sorted({p for p, _ in seen})
    assert any(m and "characters received" in m for _, m in seen)

    found = (await client.call_tool("search_conversations", {"query": "zanzibarquux"})).structured_content
    assert [r["conversation_id"] for r in found["results"]] == [sent["conversation_id"]]
    assert await messages(client, sent["conversation_id"]) == [
        ("user", question),
        ("assistant", backend.answer_for(question)),
    ]
    listed = (await client.call_tool("list_conversations", {"limit": 1})).structured_content
    assert listed["items"][0]["conversation_id"] == sent["conversation_id"]
    assert listed["items"][0]["title"] == sent["title"]


async def test_follow_up_continues_the_conversation(client: Client, backend: FakeBackend) -> None:
    first = await send(client, message="Tell me about quokkafish")
    second = await send(client, message="And their habitat?", conversation_id=first["conversation_id"])
    assert second["conversation_id"] == first["conversation_id"] and second["new_conversation"] is False
    assert backend.sent_turns[1]["parent_message_id"] == first["assistant_message_id"]
    assert await messages(client, first["conversation_id"]) == [
        ("user", "Tell me about quokkafish"),
        ("assistant", backend.answer_for("Tell me about quokkafish")),
        ("user", "And their habitat?"),
        ("assistant", backend.answer_for("And their habitat?")),
    ]
    # the server's own copy agrees: one linear branch, current node = the new answer
    server_copy = backend.account.get(first["conversation_id"])
    assert server_copy["current_node"] == second["assistant_message_id"]


async def test_follow_up_continues_from_where_chatgpt_is_not_from_a_stale_store(
    client: Client, backend: FakeBackend
) -> None:
    sync = await client.call_tool("sync_history", {})
    assert not sync.is_error
    cid = next(iter(backend.account.main_ids()))
    backend.account.append_message(cid, "a question asked in the browser since the sync", "user")
    backend.account.append_message(cid, "an answer given in the browser since the sync", "assistant")
    newest = backend.account.get(cid)["current_node"]

    await send(client, message="Following up on that", conversation_id=cid)
    assert backend.sent_turns[-1]["parent_message_id"] == newest
    texts = [text for _, text in await messages(client, cid)]
    assert texts[-4:] == [
        "a question asked in the browser since the sync",
        "an answer given in the browser since the sync",
        "Following up on that",
        backend.answer_for("Following up on that"),
    ]


async def test_model_is_passed_and_reported(client: Client, backend: FakeBackend) -> None:
    sent = await send(client, message="Which model are you?", model="gpt-4o")
    assert sent["model"] == "gpt-4o" and backend.sent_turns[-1]["model"] == "gpt-4o"
    page = (await client.call_tool("get_conversation", {"conversation_id": sent["conversation_id"]})).structured_content
    assert page["messages"][-1]["model"] == "gpt-4o"


# -- refusals before anything is sent ------------------------------------------------------------------


@pytest.mark.parametrize(("challenge", "named"), [("proofofwork", "proof-of-work"), ("turnstile", "Turnstile")])
async def test_a_demanded_challenge_is_refused_with_a_clear_error(
    client: Client, backend: FakeBackend, challenge: str, named: str
) -> None:
    backend.challenge = challenge  # type: ignore[assignment]
    text = await error_of(client, message="hello")
    assert named in text and "does not solve" in text and "nothing was sent" in text
    assert "sync_history" in text  # the alternative: send in ChatGPT, then sync
    assert posts(backend) == 0 and not backend.sent_turns


async def test_unknown_conversation_and_unknown_model_are_refused_before_sending(
    client: Client, backend: FakeBackend
) -> None:
    text = await error_of(client, message="hi", conversation_id="00000000-0000-4000-8000-000000000000")
    assert "no conversation" in text and "new chat" in text
    text = await error_of(client, message="hi", model="gpt-imaginary")
    assert "rejected" in text and "gpt-imaginary" in text
    assert not backend.sent_turns


async def test_empty_message_is_refused(client: Client, backend: FakeBackend) -> None:
    assert "empty" in await error_of(client, message="   ")
    assert not backend.requests_to("/backend-api/*", "POST")


async def test_429_before_dispatch_is_retried_once_the_server_allows(client: Client, backend: FakeBackend) -> None:
    backend.fail_429(SEND_PATH, count=1, retry_after=0.05)
    sent = await send(client, message="patience pays")
    assert posts(backend) == 2 and len(backend.sent_turns) == 1
    assert sent["reply"] == backend.answer_for("patience pays")


# -- failures after dispatch: reported, never resent ---------------------------------------------------


async def test_stream_cut_before_completion_is_an_unknown_outcome_not_a_resend(
    client: Client, backend: FakeBackend
) -> None:
    backend.cut_stream(after_events=7)
    text = await error_of(client, message="a long question")
    cid = backend.sent_turns[0]["conversation_id"]
    assert "unknown outcome:" in text and cid in text and "before sending it again" in text
    assert posts(backend) == 1 and len(backend.sent_turns) == 1
    listed = (await client.call_tool("list_conversations", {})).structured_content
    assert cid not in {c["conversation_id"] for c in listed["items"]}  # nothing half-made in the store


async def test_reset_after_dispatch_is_not_retried(client: Client, backend: FakeBackend) -> None:
    first = await send(client, message="first")
    backend.reset_after_dispatch()
    text = await error_of(client, message="second", conversation_id=first["conversation_id"])
    assert "unknown outcome:" in text and first["conversation_id"] in text
    assert posts(backend) == 2 and len(backend.sent_turns) == 2  # the server has it; we did not send it again


async def test_error_inside_the_stream_is_reported_with_the_servers_words(client: Client, backend: FakeBackend) -> None:
    backend.stream_error("Something went wrong while generating the response.")
    text = await error_of(client, message="hello?")
    assert "unknown outcome:" in text and "Something went wrong" in text
    assert posts(backend) == 1


# -- secrets -------------------------------------------------------------------------------------------


async def test_no_secret_in_results_errors_or_logs(
    client: Client, backend: FakeBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    outputs = [json.dumps(await send(client, message="a secret-free answer please"))]
    backend.reset_after_dispatch()
    outputs.append(await error_of(client, message="again"))
    backend.challenge = "turnstile"
    outputs.append(await error_of(client, message="and again"))
    everything = "\n".join(outputs) + caplog.text
    leaked = [s for s in backend.secrets() if s and s in everything]
    assert not leaked


def backend_settings(backend: FakeBackend, tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a server or a CLI run is told: this backend, this test's folders, and ``extra``."""
    return {
        "CHATGPT_BASE_URL": backend.url,
        "CHATGPT_SESSION_TOKEN": backend.session_token,
        "CHATGPT_HISTORY_DATA_DIR": str(tmp_path / "data"),
        "CHATGPT_HISTORY_CONFIG_DIR": str(tmp_path / "config"),
        "CHATGPT_SYNC_PACING": "0",
        **extra,
    }


def process_env(backend: FakeBackend, tmp_path: Path, **extra: str) -> dict[str, str]:
    """A server process's environment: :func:`backend_settings`, sending off unless ``extra`` switches it on."""
    base = {k: v for k, v in os.environ.items() if k != "CHATGPT_HISTORY_ALLOW_SEND"}
    return {**base, **backend_settings(backend, tmp_path, **extra)}


async def test_send_over_real_stdio_streams_progress(backend: FakeBackend, tmp_path: Path) -> None:
    """As a host runs it: a server subprocess with sending switched on by its environment."""
    backend.stream_delay = 0.2
    env = process_env(backend, tmp_path, CHATGPT_HISTORY_ALLOW_SEND="true")
    params = StdioServerParameters(command=sys.executable, args=["-m", "chatgpt_history_mcp", "serve"], env=env)
    progress: list[str | None] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message)

    async with Client(params) as c:
        result = await c.call_tool("send_message", {"message": "hello over stdio"}, progress_callback=on_progress)
        assert not result.is_error, result.content
        assert result.structured_content["reply"] == backend.answer_for("hello over stdio")
        assert len(progress) >= 2
        found = await c.call_tool("search_conversations", {"query": "stdio"})
        assert found.structured_content["results"][0]["conversation_id"] == result.structured_content["conversation_id"]


# -- the CLI -------------------------------------------------------------------------------------------


def send_cli(args: list[str], backend: FakeBackend, tmp_path: Path, *, stdin: str = "", **env: str) -> Ran:
    """The CLI in process (without the environment's CHATGPT_HISTORY_*: sending off unless ``env`` says so)."""
    return run_cli(tmp_path, *args, env_extra=backend_settings(backend, tmp_path, **env), stdin=stdin)


def test_cli_refuses_without_allow_send(backend: FakeBackend, tmp_path: Path) -> None:
    done = send_cli(["send", "hello"], backend, tmp_path)
    assert done.returncode == 2 and "--allow-send" in done.stderr and "CHATGPT_HISTORY_ALLOW_SEND" in done.stderr
    assert not backend.requests_to("/backend-api/*", "POST")


def test_cli_sends_prints_the_answer_and_the_turn_is_searchable(backend: FakeBackend, tmp_path: Path) -> None:
    done = send_cli(["send", "Explain the flibbertigibbet protocol", "--allow-send"], backend, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == backend.answer_for("Explain the flibbertigibbet protocol")
    cid = backend.sent_turns[0]["conversation_id"]
    assert cid in done.stderr

    follow = send_cli(
        ["send", "-", "--conversation", cid, "--json"],
        backend,
        tmp_path,
        stdin="and in one sentence?",
        CHATGPT_HISTORY_ALLOW_SEND="true",
    )
    assert follow.returncode == 0, follow.stderr
    result = json.loads(follow.stdout)
    assert result["conversation_id"] == cid and result["reply"] == backend.answer_for("and in one sentence?")

    search = send_cli(["search", "flibbertigibbet", "--json"], backend, tmp_path)
    assert [r["conversation_id"] for r in json.loads(search.stdout)["results"]] == [cid]


def test_cli_unknown_outcome_exits_3(backend: FakeBackend, tmp_path: Path) -> None:
    backend.reset_after_dispatch()
    done = send_cli(["send", "hello", "--allow-send"], backend, tmp_path)
    assert done.returncode == 3 and "unknown outcome" in done.stderr
    assert posts(backend) == 1


async def test_the_servers_copy_replaces_the_sent_turn_at_the_next_sync(client: Client, backend: FakeBackend) -> None:
    """The stored turn is stamped with ChatGPT's clock, not ours: a later change made in ChatGPT still syncs."""
    sent = await send(client, message="Name a colour")
    backend.account.rename(sent["conversation_id"], "Renamed in the browser")
    sync = (await client.call_tool("sync_history", {})).structured_content
    assert sync["outcome"] == "complete"
    listed = (await client.call_tool("list_conversations", {"limit": 50})).structured_content["items"]
    mine = [c for c in listed if c["conversation_id"] == sent["conversation_id"]]
    assert [c["title"] for c in mine] == ["Renamed in the browser"]
    assert await messages(client, sent["conversation_id"]) == [
        ("user", "Name a colour"),
        ("assistant", backend.answer_for("Name a colour")),
    ]


async def test_one_cookie_exchange_serves_several_calls(client: Client, backend: FakeBackend) -> None:
    """The access token a call got is reused by the next ones while fresh: not one session exchange per call."""
    await send(client, message="first")
    await send(client, message="second")
    assert (await client.call_tool("list_memories", {})).structured_content["source"] == "live"
    assert len(backend.requests_to("/api/auth/session")) == 1
    backend.expire_tokens()  # the token is refused: one refresh from the cookie, and the call still works
    await send(client, message="third")
    assert len(backend.requests_to("/api/auth/session")) == 2


async def test_a_message_sent_during_a_sync_stores_its_turn(client: Client, backend: FakeBackend) -> None:
    """A sync holds the store only while it commits a chunk: a send while the sync waits for ChatGPT stores
    its turn at once (it used to wait 30 s for the sync's lock and give up storing it)."""
    import anyio

    backend.slow(4.0, path="/backend-api/conversations*")  # the sync's listing waits on the network
    synced: dict[str, Any] = {}

    async def sync() -> None:
        synced.update((await client.call_tool("sync_history", {})).structured_content)

    async with anyio.create_task_group() as group:
        group.start_soon(sync)
        with anyio.fail_after(10):
            while not backend.requests_to("/backend-api/conversations"):
                await anyio.sleep(0.02)
        started = anyio.current_time()
        sent = await send(client, message="What rhymes with quokkabelle?")
        assert sent["stored"] is True and sent["note"] is None
        assert not synced, "the send waited for the sync to end"
        assert anyio.current_time() - started < 4.0
        found = (await client.call_tool("search_conversations", {"query": "quokkabelle"})).structured_content
        assert [r["conversation_id"] for r in found["results"]] == [sent["conversation_id"]]
    assert synced["outcome"] == "complete"
