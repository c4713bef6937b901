"""The MCP server in process, through a real ``mcp.Client``, in both protocol eras.

Each test starts a server on a fresh data folder with the sample export configured, so the lifespan's
background import runs exactly as it does when a host launches the server; the tests wait for it through
``history_status`` like an agent would.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.settings import Settings
from sample import AGENT as UNTITLED_ARCHIVED
from sample import ALL_SAMPLE as SRV_TOTAL
from sample import (
    CHINESE,
    COVER_LETTER,
    CUSTOM_GPT,
    JAPANESE_KOREAN,
    LISBON,
    MEAL_PLAN,
    PARSE_CONFIG,
    PROJECT,
    REPO,
    SOURDOUGH,
    SPANISH,
)
from servers import LOCAL_TOOLS

pytestmark = pytest.mark.anyio

SRV_SAMPLE_ZIP = REPO / "examples" / "sample-export.zip"
#: Local, read-only history tools; then the live ones, which reach ChatGPT (open world).
LIVE_TOOLS = {"sync_history", "list_memories", "list_automations"}
TOOLS = LOCAL_TOOLS | LIVE_TOOLS


@pytest.fixture(params=["auto", "legacy"])
def srv_mode(request: pytest.FixtureRequest) -> str:
    return request.param


def srv_text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def srv_status(client: Client) -> dict[str, Any]:
    result = await client.call_tool("history_status", {})
    assert not result.is_error, srv_text(result)
    return result.structured_content


async def srv_wait_for_import(
    client: Client, expected: int, timeout: float = 20.0, poll: float = 0.05
) -> dict[str, Any]:
    """Poll history_status until ``expected`` conversations are stored and no import is running."""
    deadline = time.monotonic() + timeout
    status = await srv_status(client)
    while not (status["conversations"] == expected and not status["importing"]["running"]):
        assert time.monotonic() < deadline, f"import did not finish in {timeout}s: {status}"
        await anyio.sleep(poll)
        status = await srv_status(client)
    return status


@pytest.fixture
async def srv_client(srv_mode: str, tmp_path: Path) -> AsyncIterator[Client]:
    server = create_server(Settings(data_dir=tmp_path / "data", exports=[SRV_SAMPLE_ZIP]))
    async with Client(server, mode=srv_mode) as client:
        await srv_wait_for_import(client, SRV_TOTAL)
        yield client


async def srv_call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}({arguments}) failed: {srv_text(result)}"
    assert result.structured_content is not None
    return result.structured_content


async def srv_search(client: Client, query: str, **arguments: Any) -> dict[str, Any]:
    return await srv_call(client, "search_conversations", query=query, **arguments)


def srv_ids(page: dict[str, Any]) -> list[str]:
    return [r["conversation_id"] for r in page["results"]]


async def srv_error(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    """The error text of a call that must fail as a tool error (not a protocol crash)."""
    result = await client.call_tool(tool, arguments)
    message = srv_text(result)
    assert result.is_error, f"{tool}({arguments}) should fail, got {result.structured_content}"
    # The SDK's bare fallback for unexpected exceptions tells the model nothing it can act on.
    bare = f"Error executing tool {tool}"
    assert message.strip() and message.strip() != bare, f"no detail in error: {message!r}"
    return message


# -- tools/list ---------------------------------------------------------------------------------------


async def test_tools_list_names_every_tool_with_honest_annotations(srv_client: Client) -> None:
    tools = (await srv_client.list_tools()).tools
    assert {t.name for t in tools} == TOOLS
    assert len(tools) == len(TOOLS)
    for tool in tools:
        assert tool.description, tool.name
        assert tool.annotations is not None, tool.name
        # Only the sync writes (to the local store); nothing destroys; only the live tools leave the machine.
        assert tool.annotations.read_only_hint is (tool.name != "sync_history"), tool.name
        assert tool.annotations.destructive_hint is False, tool.name
        assert tool.annotations.open_world_hint is (tool.name in LIVE_TOOLS), tool.name
        assert tool.output_schema and tool.output_schema.get("type") == "object", tool.name
        assert tool.input_schema.get("type") == "object", tool.name
    search = next(t for t in tools if t.name == "search_conversations")
    assert search.input_schema["required"] == ["query"]
    assert {"query", "limit", "offset", "role", "after", "before", "project", "model"} <= set(
        search.input_schema["properties"]
    )


# -- search_conversations -----------------------------------------------------------------------------


async def test_search_result_matches_its_output_schema(srv_client: Client) -> None:
    tools = {t.name: t for t in (await srv_client.list_tools()).tools}
    result = await srv_client.call_tool("search_conversations", {"query": "sourdough starter"})
    assert not result.is_error, srv_text(result)
    page = result.structured_content
    jsonschema.validate(page, tools["search_conversations"].output_schema)

    assert page["results"], "the sourdough conversation should be found"
    top = page["results"][0]
    assert top["conversation_id"] == SOURDOUGH
    assert top["title"] == "Sourdough starter not rising"
    assert top["update_time"].startswith("2024-02-11")
    assert isinstance(top["score"], float | int) and top["score"] > 0
    assert "next_offset" in page
    for match in top["matches"]:
        assert set(match) >= {"message_id", "role", "create_time", "snippet"}
        assert match["role"] in {"user", "assistant", "tool", "system"}
    assert any("**" in m["snippet"] and "sourdough" in m["snippet"].lower() for m in top["matches"])
    # Hosts that ignore structured content read the text block: it must carry the same data.
    assert json.loads(srv_text(result)) == page


SRV_KNOWN = [
    ("sourdough", SOURDOUGH),
    ("parseConfig", PARSE_CONFIG),  # finds parse_config through the identifier parts
    ("机器学习", CHINESE),
    ("커피", JAPANESE_KOREAN),
    ('"grey liquid"', SOURDOUGH),
]


async def test_search_finds_known_conversations(srv_client: Client) -> None:
    for query, expected in SRV_KNOWN:
        page = await srv_search(srv_client, query)
        assert srv_ids(page)[:1] == [expected], (query, page)
        assert page["results"][0]["matches"], f"{query}: a hit should show the messages that matched"


async def test_search_does_not_find_abandoned_branches_or_hidden_context(srv_client: Client) -> None:
    assert (await srv_search(srv_client, "zeppelin"))["results"] == []
    assert (await srv_search(srv_client, "SECRETINSTRUCTIONWORD"))["results"] == []
    assert srv_ids(await srv_search(srv_client, "tangerine")) == ["eb8060cc-6d1c-58cf-8862-05b81faa8508"]


async def test_search_pages_with_next_offset(srv_client: Client) -> None:
    everything = srv_ids(await srv_search(srv_client, "café", limit=50))
    assert len(everything) >= 3
    first = await srv_search(srv_client, "café", limit=2)
    assert srv_ids(first) == everything[:2]
    assert first["next_offset"] == 2
    second = await srv_search(srv_client, "café", limit=50, offset=first["next_offset"])
    assert srv_ids(second) == everything[2:]
    assert second["next_offset"] is None


async def test_search_role_filter(srv_client: Client) -> None:
    # "sourdough" is only ever typed by the user; the assistant never says it.
    by_user = await srv_search(srv_client, "sourdough", role="user")
    assert srv_ids(by_user) == [SOURDOUGH]
    assert {m["role"] for m in by_user["results"][0]["matches"]} == {"user"}
    assert (await srv_search(srv_client, "sourdough", role="assistant"))["results"] == []

    hooch = await srv_search(srv_client, "hooch", role="assistant")
    assert srv_ids(hooch) == [SOURDOUGH]
    assert {m["role"] for m in hooch["results"][0]["matches"]} == {"assistant"}


async def test_search_project_filter(srv_client: Client) -> None:
    assert srv_ids(await srv_search(srv_client, "Lisbon", project=PROJECT)) == [LISBON]
    assert (await srv_search(srv_client, "Lisbon", project=CUSTOM_GPT))["results"] == []
    cafe = await srv_search(srv_client, "café", project=PROJECT)
    assert cafe["results"]
    assert {r["project_id"] for r in cafe["results"]} == {PROJECT}
    assert set(srv_ids(cafe)) <= {LISBON, SPANISH, COVER_LETTER}


async def test_search_date_filters(srv_client: Client) -> None:
    # The sourdough chat happened on 2024-02-11.
    assert srv_ids(await srv_search(srv_client, "sourdough", before="2024-03-01")) == [SOURDOUGH]
    assert (await srv_search(srv_client, "sourdough", after="2024-03-01"))["results"] == []
    day = await srv_search(srv_client, "sourdough", after="2024-02-11", before="2024-02-12T00:00:00Z")
    assert srv_ids(day) == [SOURDOUGH]
    assert (await srv_search(srv_client, "sourdough", after="2024-02-12", before="2025-01-01"))["results"] == []


async def test_search_model_filter(srv_client: Client) -> None:
    borrow = await srv_search(srv_client, "borrow", model="o3")
    assert srv_ids(borrow) == ["de3c5dc9-d764-59a3-adeb-c78ab9ea48cd"]
    assert (await srv_search(srv_client, "borrow", model="gpt-4o-mini"))["results"] == []


# -- errors a person can act on -----------------------------------------------------------------------


SRV_BAD_INPUT = [
    ("search_conversations", {"query": ""}, "empty"),
    ("search_conversations", {"query": "   "}, "empty"),
    ("search_conversations", {"query": "a*"}, "2 characters"),
    ("search_conversations", {"query": "sourdough", "after": "not-a-date"}, "not-a-date"),
    ("search_conversations", {"query": "sourdough", "before": "31/12/2024"}, "ISO-8601"),
    ("list_conversations", {"after": "yesterday"}, "yesterday"),
    ("get_conversation", {"conversation_id": "no-such-conversation"}, "no-such-conversation"),
]


async def test_bad_input_gives_an_actionable_tool_error(srv_client: Client) -> None:
    for tool, arguments, hint in SRV_BAD_INPUT:
        message = await srv_error(srv_client, tool, arguments)
        assert hint in message, (tool, arguments, message)
    # The server keeps serving after bad requests.
    assert (await srv_status(srv_client))["conversations"] == SRV_TOTAL


async def test_unknown_conversation_error_says_how_to_find_ids(srv_client: Client) -> None:
    message = await srv_error(srv_client, "get_conversation", {"conversation_id": "abc-123"})
    assert "no conversation with id 'abc-123'" in message
    assert "find ids with search_conversations or list_conversations" in message


SRV_SCHEMA_VIOLATIONS = [
    ("search_conversations", {"query": "sourdough", "limit": 0}, "limit"),
    ("search_conversations", {"query": "sourdough", "limit": 51}, "limit"),
    ("search_conversations", {"query": "sourdough", "offset": -1}, "offset"),
    ("search_conversations", {"query": "sourdough", "role": "bogus"}, "role"),
    ("search_conversations", {}, "query"),
    ("list_conversations", {"order": "random"}, "order"),
    ("get_conversation", {"conversation_id": SOURDOUGH, "branch": "bogus"}, "branch"),
    ("get_conversation", {"conversation_id": SOURDOUGH, "limit": 0}, "limit"),
]


async def test_schema_violations_are_rejected(srv_client: Client) -> None:
    for tool, arguments, field in SRV_SCHEMA_VIOLATIONS:
        message = await srv_error(srv_client, tool, arguments)
        assert field in message, (tool, arguments, message)


# -- list_conversations -------------------------------------------------------------------------------


async def test_list_conversations_pages_through_everything(srv_client: Client) -> None:
    seen: list[dict[str, Any]] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = await srv_call(srv_client, "list_conversations", limit=5, offset=offset)
        assert page["total"] == SRV_TOTAL
        assert len(page["items"]) <= 5
        seen += page["items"]
        offset = page["next_offset"]
        pages += 1
        assert pages <= 10, "next_offset never ends"
    assert pages == 5  # 24 conversations, 5 a page
    ids = [item["conversation_id"] for item in seen]
    assert len(ids) == len(set(ids)) == SRV_TOTAL
    # Newest activity first by default.
    stamps = [item["update_time"] for item in seen]
    assert stamps == sorted(stamps, reverse=True)
    assert ids[0] == "25924e6b-786d-5f19-8532-753919fb456b"  # rainwater deep research, 2026-02
    assert ids[-1] == CHINESE  # 2023-11
    untitled = next(item for item in seen if item["conversation_id"] == UNTITLED_ARCHIVED)
    assert untitled["title"], "a conversation without a title still gets a readable one"


async def test_list_conversations_filters(srv_client: Client) -> None:
    archived = await srv_call(srv_client, "list_conversations", archived=True)
    assert [i["conversation_id"] for i in archived["items"]] == [UNTITLED_ARCHIVED]
    assert archived["total"] == 1
    not_archived = await srv_call(srv_client, "list_conversations", archived=False, limit=200)
    assert not_archived["total"] == SRV_TOTAL - 1

    project = await srv_call(srv_client, "list_conversations", project=PROJECT)
    assert {i["conversation_id"] for i in project["items"]} == {LISBON, COVER_LETTER, SPANISH}
    assert project["total"] == 3

    oldest = await srv_call(srv_client, "list_conversations", order="oldest", limit=1)
    assert oldest["items"][0]["conversation_id"] == CHINESE
    assert oldest["next_offset"] == 1

    in_2023 = await srv_call(srv_client, "list_conversations", after="2023-01-01", before="2024-01-01")
    assert [i["conversation_id"] for i in in_2023["items"]] == [CHINESE]


# -- get_conversation ---------------------------------------------------------------------------------


def srv_all_text(page: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in page["messages"])


async def test_get_conversation_default_branch_vs_all(srv_client: Client) -> None:
    current = await srv_call(srv_client, "get_conversation", conversation_id=COVER_LETTER)
    assert current["title"] == "Cover letter for data analyst role in Zürich"
    assert current["branch"] == "current"
    assert "zeppelin" not in srv_all_text(current).lower()
    assert "Zürich" in srv_all_text(current)
    assert all(m["on_current_branch"] for m in current["messages"])
    assert any(m["alternatives"] > 1 for m in current["messages"]), "the edited turn should say it has versions"
    assert current["note"] and "branch='all'" in current["note"]

    everything = await srv_call(srv_client, "get_conversation", conversation_id=COVER_LETTER, branch="all")
    assert everything["branch"] == "all"
    assert everything["total_messages"] > current["total_messages"]
    abandoned = [m for m in everything["messages"] if "zeppelin" in m["text"].lower()]
    assert abandoned, "branch='all' must show the abandoned edit"
    assert not any(m["on_current_branch"] for m in abandoned)


async def test_get_conversation_include_hidden(srv_client: Client) -> None:
    shown = await srv_call(srv_client, "get_conversation", conversation_id=MEAL_PLAN)
    text = srv_all_text(shown)
    assert "VISIBLESYSTEMWORD" in text
    for hidden_word in ("SECRETINSTRUCTIONWORD", "MEMORYSNAPSHOTWORD", "HIDDENSYSTEMWORD", "VISUALLYHIDDENWORD"):
        assert hidden_word not in text
    assert not any(m["hidden"] for m in shown["messages"])

    full = await srv_call(srv_client, "get_conversation", conversation_id=MEAL_PLAN, include_hidden=True)
    hidden = [m for m in full["messages"] if m["hidden"]]
    assert "SECRETINSTRUCTIONWORD" in "\n".join(m["text"] for m in hidden)
    assert full["total_messages"] == shown["total_messages"] + len(hidden)


async def test_get_conversation_pages_with_next_offset(srv_client: Client) -> None:
    whole = await srv_call(srv_client, "get_conversation", conversation_id=SOURDOUGH)
    assert whole["next_offset"] is None
    total = whole["total_messages"]
    assert total == len(whole["messages"]) == 8

    collected: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = await srv_call(srv_client, "get_conversation", conversation_id=SOURDOUGH, offset=offset, limit=3)
        assert page["offset"] == offset
        assert page["total_messages"] == total
        assert 1 <= len(page["messages"]) <= 3
        if page["next_offset"] is not None:
            assert page["next_offset"] == offset + len(page["messages"])
            assert page["note"] and f"offset={page['next_offset']}" in page["note"]
        collected += page["messages"]
        offset = page["next_offset"]
        assert len(collected) <= total
    assert [m["message_id"] for m in collected] == [m["message_id"] for m in whole["messages"]]
    assert [m["role"] for m in collected[:2]] == ["user", "assistant"]


async def test_get_conversation_cuts_long_messages_on_request(srv_client: Client) -> None:
    page = await srv_call(srv_client, "get_conversation", conversation_id=SOURDOUGH, max_chars_per_message=200)
    cut = [m for m in page["messages"] if m["truncated"]]
    assert cut, "the sourdough answers are longer than 200 characters"
    for message in cut:
        assert len(message["text"]) == 200
        assert message["full_length"] > 200
    assert "max_chars_per_message" in (page["note"] or "")


# -- history_status -----------------------------------------------------------------------------------


async def test_history_status_fields(srv_client: Client, tmp_path: Path) -> None:
    tools = {t.name: t for t in (await srv_client.list_tools()).tools}
    status = await srv_status(srv_client)
    jsonschema.validate(status, tools["history_status"].output_schema)
    assert status["conversations"] == SRV_TOTAL
    assert status["indexed"] == SRV_TOTAL
    assert status["pending_index"] == 0
    assert status["messages"] > SRV_TOTAL
    assert (status["projects"], status["custom_gpts"]) == (2, 2)
    assert Path(status["data_dir"]) == tmp_path / "data"
    assert [Path(s["path"]) for s in status["sources"]] == [SRV_SAMPLE_ZIP.resolve()]
    source = status["sources"][0]
    assert source["outcome"] == "imported"
    assert source["conversations"] == SRV_TOTAL
    assert source["imported_at"]
    assert status["importing"]["running"] is False
    assert status["importing"]["last_error"] is None
    assert status["version"]


async def test_history_status_reports_a_failed_background_import(srv_mode: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken-export.zip"
    broken.write_bytes(SRV_SAMPLE_ZIP.read_bytes()[:3000])
    server = create_server(Settings(data_dir=tmp_path / "data", exports=[broken]))
    async with Client(server, mode=srv_mode) as client:
        deadline = time.monotonic() + 20
        status = await srv_status(client)
        while status["importing"]["running"] or not status["importing"]["last_error"]:
            assert time.monotonic() < deadline, status
            await anyio.sleep(0.05)
            status = await srv_status(client)
        assert "broken-export.zip" in status["importing"]["last_error"]
        assert status["conversations"] == 0
        # Still serving: a search on the empty store is an empty answer, not an error.
        assert (await srv_search(client, "sourdough"))["results"] == []


# -- resources ----------------------------------------------------------------------------------------


async def test_resource_template_is_listed(srv_client: Client) -> None:
    templates = (await srv_client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == [
        "chatgpt://conversations/{conversation_id}",
        "chatgpt://files/{file_id}",
    ]
    assert templates[0].mime_type == "text/markdown"
    # Each file is read under its own type (the template can only declare one).
    assert templates[1].mime_type == "application/octet-stream"


async def test_resource_reads_a_transcript_as_markdown(srv_client: Client) -> None:
    result = await srv_client.read_resource(f"chatgpt://conversations/{SOURDOUGH}")
    assert len(result.contents) == 1
    content = result.contents[0]
    assert content.mime_type == "text/markdown"
    text = content.text
    assert text.startswith("# Sourdough starter not rising\n")
    assert SOURDOUGH in text
    assert "## User" in text and "## Assistant" in text
    assert "hooch" in text

    edited = (await srv_client.read_resource(f"chatgpt://conversations/{COVER_LETTER}")).contents[0].text
    assert edited.startswith("# Cover letter for data analyst role in Zürich")
    assert "zeppelin" not in edited.lower(), "the resource is the current branch only"


async def test_resource_unknown_id_is_an_error_not_a_crash(srv_client: Client) -> None:
    with pytest.raises(MCPError):
        await srv_client.read_resource("chatgpt://conversations/00000000-0000-0000-0000-000000000000")
    # The session survives.
    assert (await srv_status(srv_client))["conversations"] == SRV_TOTAL
    ok = await srv_client.read_resource(f"chatgpt://conversations/{SOURDOUGH}")
    assert ok.contents[0].text.startswith("# Sourdough")


async def test_resource_unknown_id_says_not_found(srv_client: Client) -> None:
    """An unknown id is "not found" (-32602, as the SDK maps ResourceNotFoundError), with a useful message."""
    missing = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(MCPError) as caught:
        await srv_client.read_resource(f"chatgpt://conversations/{missing}")
    error = caught.value.error
    assert error.code == -32602, f"code {error.code}: {error.message}"
    assert f"no conversation with id {missing!r}" in error.message, error.message


# -- prompts ------------------------------------------------------------------------------------------


async def test_recall_prompt(srv_client: Client) -> None:
    prompts = (await srv_client.list_prompts()).prompts
    assert [p.name for p in prompts] == ["recall"]
    assert [(a.name, a.required) for a in prompts[0].arguments or []] == [("topic", True)]

    topic = "my sourdough starter problems"
    result = await srv_client.get_prompt("recall", {"topic": topic})
    assert result.messages
    text = "\n".join(getattr(m.content, "text", "") for m in result.messages)
    assert topic in text
    assert "search_conversations" in text
    assert "get_conversation" in text


# -- start while a large import runs ------------------------------------------------------------------

SRV_LARGE = 1000  # ~17 MB of JSON: several seconds of import on a small machine


@pytest.fixture(scope="module")
def srv_large_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("srv-large") / "large-export.zip"
    try:
        sys.path.insert(0, str(REPO))
        from bench.synth_export import write_export
    except ImportError:
        write_export = srv_simple_export
    finally:
        if sys.path and sys.path[0] == str(REPO):
            sys.path.pop(0)
    write_export(str(path), SRV_LARGE)
    return path


def srv_simple_export(out: str, n: int) -> None:
    """A plain export of ``n`` small conversations (used when bench/ is not importable)."""
    import zipfile

    conversations = []
    for i in range(n):
        t0 = 1_700_000_000 + i * 600
        mapping: dict[str, Any] = {"root": {"id": "root", "message": None, "parent": None, "children": ["u"]}}
        parent = "root"
        for k, (role, words) in enumerate([("user", "question about topic"), ("assistant", "answer explaining")]):
            node = f"n{k}"
            mapping[parent]["children"] = [node]
            mapping[node] = {
                "id": node,
                "parent": parent,
                "children": [],
                "message": {
                    "id": f"{i}-{node}",
                    "author": {"role": role},
                    "create_time": t0 + k,
                    "content": {"content_type": "text", "parts": [f"{words} number {i} " * 40]},
                    "metadata": {},
                    "weight": 1.0,
                },
            }
            parent = node
        conversations.append(
            {
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "title": f"Synthetic {i}",
                "create_time": t0,
                "update_time": t0 + 1,
                "mapping": mapping,
                "current_node": parent,
            }
        )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("conversations.json", json.dumps(conversations))


async def test_server_answers_at_once_while_a_large_import_runs(srv_large_export: Path, tmp_path: Path) -> None:
    """initialize + tools/list answer while thousands of conversations import in the background.

    One era only (legacy: the initialize handshake hosts do today); the import dominates the time.
    """
    server = create_server(Settings(data_dir=tmp_path / "data", exports=[srv_large_export]))
    started = time.monotonic()
    async with Client(server, mode="legacy") as client:
        tools = (await client.list_tools()).tools
        answered = time.monotonic() - started
        during = await srv_status(client)
        assert {t.name for t in tools} == TOOLS
        assert during["importing"]["running"] or during["conversations"] < SRV_LARGE, (
            f"the import should still be running when tools/list answers ({answered:.2f}s): {during}"
        )
        assert answered < 5, f"tools/list took {answered:.2f}s during the import"
        # The tools answer from what is already indexed meanwhile.
        early = await client.call_tool("search_conversations", {"query": "the"})
        assert not early.is_error, srv_text(early)
        listing = await srv_call(client, "list_conversations", limit=1)
        assert listing["total"] <= SRV_LARGE
        # Let it finish (the store closes with the session).
        done = await srv_wait_for_import(client, SRV_LARGE, timeout=60, poll=0.25)
        assert done["importing"]["last_error"] is None
        assert done["indexed"] == SRV_LARGE
