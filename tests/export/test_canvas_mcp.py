"""Canvas documents and deep-research reports as an agent sees them: the sample exports served through a real MCP
client (``get_conversation``, ``search_conversations``, the transcript resource), and a sync against the fake
backend whose ``…/textdocs`` hold ChatGPT's current canvas text."""

from __future__ import annotations

import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.settings import Settings
from chatgpt_history_mcp.store.history import HistoryStore
from fake_backend import FakeBackend, export_account
from mcp_calls import succeed, wait_for_import
from sample import (
    ALL_SAMPLE,
    ALL_SAMPLE_2026,
    CANDLE_CANVAS,
    CANVAS_COMMENT,
    CANVAS_TEXTDOC_ID,
    CANVAS_TITLE,
    CANVAS_TYPE,
    CANVAS_VERSIONS,
    CANVAS_WORD,
    CODE_CANVAS_2026,
    CODE_CANVAS_TEXTDOC_ID,
    CODE_CANVAS_WORD,
    DEEP_RESEARCH,
    DEEP_RESEARCH_WIDGET,
    DEEP_RESEARCH_WORD,
    SAMPLE,
    SAMPLE_2026,
    WIDGET_REPORT_WORD,
)

pytestmark = pytest.mark.anyio

Json = dict[str, Any]


async def call(client: Client, tool: str, **arguments: Any) -> Json:
    structured = (await succeed(client, tool, **arguments)).structured_content
    assert structured is not None
    return structured


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    server = create_server(Settings(data_dir=tmp_path / "data", exports=[SAMPLE, SAMPLE_2026]))
    async with Client(server) as connected:
        await wait_for_import(connected, ALL_SAMPLE + ALL_SAMPLE_2026)
        yield connected


def raw_conversation(export: Path, conversation_id: str) -> Json:
    with zipfile.ZipFile(export) as z:
        for name in sorted(n for n in z.namelist() if n.startswith("conversations-")):
            for conv in json.loads(z.read(name)):
                if isinstance(conv, dict) and (conv.get("id") or conv.get("conversation_id")) == conversation_id:
                    return conv
    raise AssertionError(f"{conversation_id} not in {export}")


def canvas_calls(export: Path, conversation_id: str) -> list[str]:
    """The node ids of a conversation's canmore calls, in order of their time."""
    mapping = raw_conversation(export, conversation_id)["mapping"]
    calls = [
        n["message"] for n in mapping.values() if (n.get("message") or {}).get("recipient", "").startswith("canmore.")
    ]
    return [m["id"] for m in sorted(calls, key=lambda m: m["create_time"])]


def kinds(page: Json) -> list[tuple[str, str]]:
    return [(m["role"], m["kind"]) for m in page["messages"]]


# ---- canvas


async def test_a_canvas_is_a_message_with_its_final_text_title_type_and_versions(client: Client) -> None:
    page = await call(client, "get_conversation", conversation_id=CANDLE_CANVAS)
    (canvas,) = [m for m in page["messages"] if m["kind"] == "canvas"]
    assert canvas["text"] == CANVAS_VERSIONS[-1]  # exactly the rebuild of create, regex update, comment, rewrite
    assert (canvas["role"], canvas["hidden"], canvas["content_type"]) == ("assistant", False, "text")
    doc = canvas["canvas"]
    assert (doc["textdoc_id"], doc["title"], doc["type"], doc["version"]) == (
        CANVAS_TEXTDOC_ID,
        CANVAS_TITLE,
        CANVAS_TYPE,
        len(CANVAS_VERSIONS),
    )
    assert (doc["exact"], doc["source"], doc["notes"]) == (True, "calls", [])
    create, regex, comment, rewrite = canvas_calls(SAMPLE, CANDLE_CANVAS)
    assert [(v["version"], v["message_id"], v["length"], v["text"]) for v in doc["versions"]] == [
        (1, create, len(CANVAS_VERSIONS[0]), None),  # earlier versions' text only with include_hidden
        (2, regex, len(CANVAS_VERSIONS[1]), None),
        (3, rewrite, len(CANVAS_VERSIONS[2]), None),
    ]
    assert [(c["quote"], c["comment"], c["version"]) for c in doc["comments"]] == [(*CANVAS_COMMENT, 2)]
    # Where it reached its final text: after the request for the rewrite, before the answer that says it is done.
    at = page["messages"].index(canvas)
    before, after = page["messages"][at - 1], page["messages"][at + 1]
    assert before["role"] == "user" and "Mira and Jonas" in before["text"]
    assert after["text"].startswith("Done:") and after["parent_id"] == canvas["message_id"]
    assert after["alternatives"] == canvas["alternatives"] == 1
    # The calls stay hidden; nothing else in the transcript spells the document out.
    ids = {m["message_id"] for m in page["messages"]}
    assert not ids & {create, regex, comment, rewrite}
    assert all(CANVAS_WORD not in m["text"] for m in page["messages"] if m is not canvas)


async def test_include_hidden_gives_the_earlier_versions_and_the_calls(client: Client) -> None:
    page = await call(client, "get_conversation", conversation_id=CANDLE_CANVAS, include_hidden=True)
    (canvas,) = [m for m in page["messages"] if m["kind"] == "canvas"]
    assert [v["text"] for v in canvas["canvas"]["versions"]] == [*CANVAS_VERSIONS[:-1], None]
    hidden = {m["message_id"] for m in page["messages"] if m["hidden"]}
    assert set(canvas_calls(SAMPLE, CANDLE_CANVAS)) <= hidden


async def test_a_code_canvas_of_the_2026_export(client: Client) -> None:
    page = await call(client, "get_conversation", conversation_id=CODE_CANVAS_2026)
    (canvas,) = [m for m in page["messages"] if m["kind"] == "canvas"]
    create, rewrite = canvas_calls(SAMPLE_2026, CODE_CANVAS_2026)
    mapping = raw_conversation(SAMPLE_2026, CODE_CANVAS_2026)["mapping"]
    final = json.loads(mapping[rewrite]["message"]["content"]["text"])["updates"][0]["replacement"]
    assert canvas["text"] == final and CODE_CANVAS_WORD in final
    assert (canvas["content_type"], canvas["canvas"]["type"], canvas["canvas"]["version"]) == ("code", "code/python", 2)
    assert canvas["canvas"]["textdoc_id"] == CODE_CANVAS_TEXTDOC_ID
    assert [v["message_id"] for v in canvas["canvas"]["versions"]] == [create, rewrite]


async def test_search_finds_the_final_canvas_word_in_the_canvas(client: Client) -> None:
    for word, conversation, textdoc in (
        (CANVAS_WORD, CANDLE_CANVAS, CANVAS_TEXTDOC_ID),
        (CODE_CANVAS_WORD, CODE_CANVAS_2026, CODE_CANVAS_TEXTDOC_ID),
    ):
        page = await call(client, "search_conversations", query=word)
        (result,) = page["results"]
        assert result["conversation_id"] == conversation
        (match,) = result["matches"]
        assert (match["message_id"], match["where"], match["role"]) == (f"canvas-{textdoc}", "canvas", "assistant")
        assert f"**{word}**" in match["snippet"]
        # The canvas' final text is the assistant's: the role filter finds it too.
        assert (await call(client, "search_conversations", query=word, role="assistant"))["results"]


async def test_words_only_an_earlier_version_had_are_found_at_its_call(client: Client) -> None:
    create = canvas_calls(SAMPLE, CANDLE_CANVAS)[0]
    page = await call(client, "search_conversations", query='"farm twenty minutes away"')
    (result,) = page["results"]
    assert result["conversation_id"] == CANDLE_CANVAS
    (match,) = result["matches"]
    assert (match["message_id"], match["where"]) == (create, "canvas")
    assert "beeswax from a **farm twenty minutes away**" in match["snippet"]


async def test_the_transcript_resource_shows_the_canvas_under_its_own_heading(client: Client) -> None:
    text = (await client.read_resource(f"chatgpt://conversations/{CANDLE_CANVAS}")).contents[0].text
    heading = f"## Canvas: {CANVAS_TITLE} ({CANVAS_TYPE}, version {len(CANVAS_VERSIONS)})"
    assert heading in text
    section = text.split(heading, 1)[1]
    assert section.split("\n\n", 1)[1].startswith(CANVAS_VERSIONS[-1])
    code = (await client.read_resource(f"chatgpt://conversations/{CODE_CANVAS_2026}")).contents[0].text
    assert "## Canvas: invoice_total (code/python, version 2)" in code and "```python\nimport csv" in code


# ---- deep research


async def test_the_2025_report_is_the_assistants_answer_with_its_citations(client: Client) -> None:
    page = await call(client, "get_conversation", conversation_id=DEEP_RESEARCH)
    report = page["messages"][-1]
    assert (report["role"], report["kind"], report["hidden"]) == ("assistant", "deep_research", False)
    assert report["text"].startswith("# Four-day work weeks: what the trials found")
    assert DEEP_RESEARCH_WORD in report["text"]
    assert "([Four-day week pilot results](https://research.example.org/4dw-pilot))" in report["text"]
    assert "([Burnout and reduced hours](https://journal.example.net/burnout-hours))" in report["text"]
    assert not any("\ue200" <= c <= "\ue206" for c in report["text"])
    found = await call(client, "search_conversations", query=DEEP_RESEARCH_WORD, role="assistant")
    (result,) = found["results"]
    assert result["conversation_id"] == DEEP_RESEARCH
    assert [(m["message_id"], m["where"]) for m in result["matches"]] == [(report["message_id"], "message")]
    markdown = (await client.read_resource(f"chatgpt://conversations/{DEEP_RESEARCH}")).contents[0].text
    assert "## Assistant · deep research report" in markdown
    assert "when the report is ready.\n\n## Assistant · deep research report" in markdown  # not run together


async def test_the_2026_widget_report_is_shown_and_found(client: Client) -> None:
    page = await call(client, "get_conversation", conversation_id=DEEP_RESEARCH_WIDGET)
    assert kinds(page) == [("user", "message"), ("assistant", "deep_research")]
    report = page["messages"][-1]
    assert report["text"].startswith("# Sizing a rainwater tank for a small house")
    assert WIDGET_REPORT_WORD in report["text"]
    assert "([Rainwater harvesting yield](https://water.example.org/yield))" in report["text"]
    found = await call(client, "search_conversations", query=WIDGET_REPORT_WORD)
    (result,) = found["results"]
    assert result["conversation_id"] == DEEP_RESEARCH_WIDGET
    (match,) = result["matches"]
    assert (match["message_id"], match["where"], match["role"]) == (report["message_id"], "message", "assistant")


# ---- a sync: ChatGPT's current canvas text over the rebuild


EDITED = CANVAS_VERSIONS[-1].replace("Mira and Jonas", "Mira and Jonas Okafor") + "\n\nEdited by hand: HANDEDITWORD."


async def sync_and_read(tmp_path: Path, fb: FakeBackend) -> Json:
    settings = Settings(
        base_url=fb.url,
        session_token=fb.session_token,
        data_dir=tmp_path / "data",
        config_dir=tmp_path / "config",
        sync_interval=0,
    )
    async with Client(create_server(settings)) as connected:
        report = await call(connected, "sync_history")
        assert report["outcome"] == "complete", report
        return await call(connected, "get_conversation", conversation_id=CANDLE_CANVAS, include_hidden=True)


async def test_a_sync_asks_chatgpt_for_the_canvas_and_needs_no_history_when_the_rebuild_agrees(tmp_path: Path) -> None:
    with FakeBackend(export_account()) as fb:
        page = await sync_and_read(tmp_path, fb)
        assert [r.path for r in fb.requests_to("/backend-api/conversation/*/textdocs")] == [
            f"/backend-api/conversation/{CANDLE_CANVAS}/textdocs"  # only the chat with canvas calls
        ]
        assert fb.requests_to("/backend-api/textdoc/*") == []
        (body,) = fb.requests_to(f"/backend-api/conversation/{DEEP_RESEARCH_WIDGET}")
        assert body.query.get("include_widget_state") == "true"  # where the 2026 report is kept
    (canvas,) = [m for m in page["messages"] if m["kind"] == "canvas"]
    assert canvas["text"] == CANVAS_VERSIONS[-1]
    assert (canvas["canvas"]["source"], canvas["canvas"]["exact"], canvas["canvas"]["notes"]) == ("chatgpt", True, [])
    assert [v["text"] for v in canvas["canvas"]["versions"]] == [*CANVAS_VERSIONS[:-1], None]


async def test_a_canvas_edited_in_chatgpt_comes_from_its_textdocs_with_its_history(tmp_path: Path) -> None:
    account = export_account()
    account.textdocs[CANDLE_CANVAS][0].versions.append(EDITED)  # version 4: an edit the calls do not hold
    with FakeBackend(account) as fb:
        page = await sync_and_read(tmp_path, fb)
        history = fb.requests_to(f"/backend-api/textdoc/{CANVAS_TEXTDOC_ID}/history")
        assert [r.query.get("before_version") for r in history] == ["4"]
    (canvas,) = [m for m in page["messages"] if m["kind"] == "canvas"]
    assert canvas["text"] == EDITED
    doc = canvas["canvas"]
    assert (doc["version"], doc["source"], doc["exact"]) == (4, "chatgpt", True)
    assert "the text shown is ChatGPT's" in doc["notes"][0]
    create, regex, _, rewrite = canvas_calls(SAMPLE, CANDLE_CANVAS)
    assert [(v["version"], v["message_id"], v["text"]) for v in doc["versions"]] == [
        (1, create, CANVAS_VERSIONS[0]),
        (2, regex, CANVAS_VERSIONS[1]),
        (3, rewrite, CANVAS_VERSIONS[2]),
        (4, None, None),
    ]


def test_an_export_of_the_same_time_leaves_the_synced_canvas_as_chatgpt_has_it(tmp_path: Path) -> None:
    """The export and the sync hold the same conversation at the same time; the sync's copy has ChatGPT's own canvas
    text (an edit made in the canvas, which no call holds): importing the export afterwards must not undo it."""
    account = export_account()
    account.textdocs[CANDLE_CANVAS][0].versions.append(EDITED)
    with FakeBackend(account) as fb:
        anyio.run(sync_and_read, tmp_path, fb)
    store = HistoryStore(tmp_path / "data")
    try:
        report = import_export(store, SAMPLE)
        assert report.added == 0 and report.updated < ALL_SAMPLE
        (canvas,) = [m for m in store.conversation(CANDLE_CANVAS).messages if m.kind == "canvas"]
        assert canvas.text == EDITED and canvas.canvas is not None and canvas.canvas.source == "chatgpt"
    finally:
        store.close()


# ---- a data folder of the previous normalizer


def test_a_store_of_the_previous_normalizer_opens_as_it_was_and_a_reimport_brings_the_canvases(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data")
    import_export(store, SAMPLE)
    # What version 1 stored: no canvas messages, no kinds (their defaults are not written), keys of version 1.
    keys = store.archive.change_keys()
    with store.write() as write:
        for cid, (key, _) in keys.items():
            conv = store.conversation(cid)
            kept = [m.model_copy(update={"kind": "message"}) for m in conv.messages if m.kind != "canvas"]
            ids = {m.id for m in kept}
            old = conv.model_copy(update={"messages": kept, "current_path": [i for i in conv.current_path if i in ids]})
            write.put(old, "1|" + key.split("|", 1)[1])
        (source,) = store.archive.sources()
        fingerprint = "1:" + (source.fingerprint or "").split(":", 1)[1]
        write.archive.record_source(source.path, source.kind, fingerprint, "imported", "", source.conversations)
    store.close()

    store = HistoryStore(tmp_path / "data")
    try:
        before = store.get_conversation(CANDLE_CANVAS)
        assert [m.kind for m in before.messages] == ["message"] * len(before.messages)
        assert all(CANVAS_WORD not in m.text for m in before.messages)
        (hit,) = store.search(CANVAS_WORD).results  # as before: the raw call, hidden
        assert hit.matches[0].where == "canvas" and hit.matches[0].message_id == canvas_calls(SAMPLE, CANDLE_CANVAS)[-1]

        # The new normalizer reads every conversation again, and rewrites only those it reads differently (the canvas
        # and the two deep-research reports); the others' bodies are equal to what is stored: they renew their keys.
        report = import_export(store, SAMPLE)
        assert (report.outcome, report.updated, report.unchanged) == ("imported", 3, ALL_SAMPLE - 3)
        after = store.get_conversation(CANDLE_CANVAS)
        assert [m.text for m in after.messages if m.kind == "canvas"] == [CANVAS_VERSIONS[-1]]
        assert store.search(CANVAS_WORD).results[0].matches[0].message_id == f"canvas-{CANVAS_TEXTDOC_ID}"
        assert import_export(store, SAMPLE).outcome == "unchanged"
    finally:
        store.close()
