"""Browsing and reading: list_conversations, get_conversation (branches, hidden messages, paging, long
messages) and the Markdown transcript."""

from __future__ import annotations

import stat
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store import history
from chatgpt_history_mcp.store.history import BadArgument, HistoryStore, NotFound
from sample import (
    AGENT,
    ALL_SAMPLE,
    CHINESE,
    COVER_LETTER,
    DEEP_RESEARCH_WIDGET,
    GIFT,
    HIKE,
    LISBON,
    MEAL_PLAN,
    PROJECT,
    READING_CHART,
    SOURDOUGH,
    SPANISH,
    SQL,
    TRAINING,
)

K8S = "d4add0b2-9779-5567-8ca6-5e1d7c3dcbfc"

EDIT_OLD = "a4143150-853a-59eb-bd2b-aa0bcf2b0dd6"
EDIT_CURRENT = "ede52e71-75c1-51c3-bde3-118c06069b22"
REGEN_OLD = "13b54284-b5d6-5ff4-b3c2-94ecd7930b59"
REGEN_CURRENT = "f9569025-6dac-586c-94be-efda78019483"


def all_items(store: HistoryStore, **kwargs: Any) -> list[Any]:
    listing = store.list_conversations(limit=200, **kwargs)
    assert listing.next_offset is None
    return listing.items


def texts(page: Any) -> str:
    return "\n".join(m.text for m in page.messages)


# -- list_conversations ------------------------------------------------------------------------------------


def test_list_all_newest_update_first(sample_store: HistoryStore) -> None:
    listing = sample_store.list_conversations(limit=200)
    assert listing.total == ALL_SAMPLE == len(listing.items)
    assert listing.next_offset is None
    updated = [i.update_time for i in listing.items]
    assert all(u is not None for u in updated)
    assert updated == sorted(updated, reverse=True)
    assert listing.items[0].conversation_id == DEEP_RESEARCH_WIDGET
    assert listing.items[-1].conversation_id == CHINESE
    assert len({i.conversation_id for i in listing.items}) == ALL_SAMPLE


def test_list_orders(sample_store: HistoryStore) -> None:
    created = [i.create_time for i in all_items(sample_store, order="created")]
    assert created == sorted(created, reverse=True)  # type: ignore[type-var]
    oldest = all_items(sample_store, order="oldest")
    assert [i.create_time for i in oldest] == sorted(created)  # type: ignore[type-var]
    assert oldest[0].conversation_id == CHINESE


def test_list_items_carry_listing_facts(sample_store: HistoryStore) -> None:
    items = {i.conversation_id: i for i in all_items(sample_store)}
    assert items[SPANISH].title == "Learning Spanish: the subjunctive"  # the trailing newline is gone
    assert items[AGENT].title == "Untitled conversation" and items[AGENT].is_archived
    assert items[K8S].project_id == "g-Kx7pQ2mZr"
    assert items[TRAINING].model == "gpt-5"
    # message_count counts what a person sees: the sourdough chat has 4 turns each way
    assert items[SOURDOUGH].message_count == len(sample_store.get_conversation(SOURDOUGH, limit=200).messages)


@pytest.mark.parametrize("limit", [1, 5, 7])
def test_list_paging_covers_everything_once(sample_store: HistoryStore, limit: int) -> None:
    everything = [i.conversation_id for i in all_items(sample_store)]
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = sample_store.list_conversations(limit=limit, offset=offset)
        assert page.total == ALL_SAMPLE
        assert 1 <= len(page.items) <= limit
        seen.extend(i.conversation_id for i in page.items)
        offset = page.next_offset
    assert seen == everything


def test_list_project_and_custom_gpt_filters(sample_store: HistoryStore) -> None:
    project = sample_store.list_conversations(project=PROJECT)
    assert project.total == 3
    assert {i.conversation_id for i in project.items} == {LISBON, COVER_LETTER, SPANISH}
    assert all(i.project_id == PROJECT for i in project.items)
    gpt = sample_store.list_conversations(project="g-Sq3nS31aQ")
    assert [i.conversation_id for i in gpt.items] == [SQL]
    assert sample_store.list_conversations(project="g-p-unknown").total == 0


def test_list_archived_filter(sample_store: HistoryStore) -> None:
    archived = sample_store.list_conversations(archived=True)
    assert [i.conversation_id for i in archived.items] == [AGENT]
    assert archived.total == 1
    active = sample_store.list_conversations(archived=False, limit=200)
    assert active.total == ALL_SAMPLE - 1
    assert AGENT not in {i.conversation_id for i in active.items}


def test_list_date_filters(sample_store: HistoryStore) -> None:
    recent = all_items(sample_store, after="2025-01-01")
    assert len(recent) == 12
    assert all(i.update_time >= datetime(2025, 1, 1, tzinfo=UTC) for i in recent)
    old = all_items(sample_store, before="2024-01-01")
    assert [i.conversation_id for i in old] == [CHINESE]
    window = all_items(sample_store, after="2024-06-01", before="2024-10-01T00:00:00Z")
    assert {i.conversation_id for i in window} == {SQL, SPANISH, READING_CHART, "ad2a4c6a-56fc-542f-80f8-1461655fc657"}
    assert sample_store.list_conversations(after="2024-06-01", before="2024-10-01").total == 4


def test_list_bad_date(sample_store: HistoryStore) -> None:
    with pytest.raises(BadArgument, match="after"):
        sample_store.list_conversations(after="last week")


# -- get_conversation: branches and hidden messages ----------------------------------------------------------


def test_current_branch_by_default(sample_store: HistoryStore) -> None:
    page = sample_store.get_conversation(COVER_LETTER)
    assert page.title == "Cover letter for data analyst role in Zürich"
    assert page.branch == "current" and page.next_offset is None
    ids = [m.message_id for m in page.messages]
    assert EDIT_CURRENT in ids and EDIT_OLD not in ids
    assert "zeppelin" not in texts(page).lower()
    assert all(m.on_current_branch and not m.hidden for m in page.messages)
    roles = [m.role for m in page.messages]
    assert roles == ["user", "assistant"] * 3
    # each message's parent is the one before it
    assert [m.parent_id for m in page.messages[1:]] == ids[:-1]


def test_branch_all_shows_the_abandoned_edit(sample_store: HistoryStore) -> None:
    current = sample_store.get_conversation(COVER_LETTER)
    page = sample_store.get_conversation(COVER_LETTER, branch="all")
    assert page.total_messages == current.total_messages + 2  # the old edit and its answer
    by_id = {m.message_id: m for m in page.messages}
    assert "zeppelin" in by_id[EDIT_OLD].text.lower()
    assert by_id[EDIT_OLD].on_current_branch is False
    assert by_id[EDIT_CURRENT].on_current_branch is True
    abandoned = [m for m in page.messages if not m.on_current_branch]
    assert {m.message_id for m in abandoned} >= {EDIT_OLD}
    assert all("zeppelin" in m.text.lower() for m in abandoned)
    assert {m.message_id for m in page.messages if m.on_current_branch} == {m.message_id for m in current.messages}


@pytest.mark.parametrize(
    ("conversation_id", "word"),
    [(SPANISH, "kazoo"), (HIKE, "periwinkle"), (HIKE, "gooseberry"), (GIFT, "bergamot")],
)
def test_branch_all_reaches_every_abandoned_word(sample_store: HistoryStore, conversation_id: str, word: str) -> None:
    assert word not in texts(sample_store.get_conversation(conversation_id)).lower()
    everything = sample_store.get_conversation(conversation_id, branch="all")
    holders = [m for m in everything.messages if word in m.text.lower()]
    assert holders and all(not m.on_current_branch for m in holders)


def test_newest_leaf_is_the_transcript_when_current_node_is_null(sample_store: HistoryStore) -> None:
    assert "tangerine" in texts(sample_store.get_conversation(HIKE)).lower()


def test_alternatives_count_edits_and_regenerations(sample_store: HistoryStore) -> None:
    letter = {m.message_id: m for m in sample_store.get_conversation(COVER_LETTER).messages}
    assert letter[EDIT_CURRENT].alternatives == 2
    assert sum(m.alternatives > 1 for m in letter.values()) == 1
    spanish = sample_store.get_conversation(SPANISH)
    by_id = {m.message_id: m for m in spanish.messages}
    assert by_id[REGEN_CURRENT].alternatives == 2
    assert spanish.note and "branch='all'" in spanish.note
    plain = sample_store.get_conversation(SQL)
    assert all(m.alternatives == 1 for m in plain.messages)
    assert plain.note is None


def test_hidden_messages_only_when_asked(sample_store: HistoryStore) -> None:
    default = sample_store.get_conversation(MEAL_PLAN)
    shown = texts(default)
    assert "VISIBLESYSTEMWORD" in shown
    for word in ("SECRETINSTRUCTIONWORD", "MEMORYSNAPSHOTWORD", "HIDDENSYSTEMWORD", "VISUALLYHIDDENWORD"):
        assert word not in shown
    everything = sample_store.get_conversation(MEAL_PLAN, include_hidden=True)
    assert everything.total_messages > default.total_messages
    for word in ("SECRETINSTRUCTIONWORD", "MEMORYSNAPSHOTWORD", "HIDDENSYSTEMWORD", "VISUALLYHIDDENWORD"):
        holders = [m for m in everything.messages if word in m.text]
        assert holders and all(m.hidden for m in holders), word
    assert not any(m.hidden for m in default.messages)
    # the visible messages keep their order among the hidden ones
    assert [m.message_id for m in everything.messages if not m.hidden] == [m.message_id for m in default.messages]


def test_hidden_tool_and_reasoning_messages(sample_store: HistoryStore) -> None:
    training = sample_store.get_conversation(TRAINING)
    assert "ANALYSISCHANNELWORD" not in texts(training) and "WEIGHTZEROWORD" not in texts(training)
    hidden = texts(sample_store.get_conversation(TRAINING, include_hidden=True))
    assert "ANALYSISCHANNELWORD" in hidden and "COMMENTARYCHANNELWORD" in hidden


def test_unknown_conversation_is_not_found(sample_store: HistoryStore) -> None:
    with pytest.raises(NotFound, match="no-such-id"):
        sample_store.get_conversation("no-such-id")
    with pytest.raises(NotFound):
        sample_store.transcript_markdown("no-such-id")


# -- get_conversation: paging and long messages ------------------------------------------------------------


@pytest.mark.parametrize(("conversation_id", "branch"), [(SOURDOUGH, "current"), (COVER_LETTER, "all")])
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_message_paging_covers_every_message_once(
    sample_store: HistoryStore, conversation_id: str, branch: str, limit: int
) -> None:
    whole = sample_store.get_conversation(conversation_id, branch=branch, limit=200)  # type: ignore[arg-type]
    assert whole.next_offset is None
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = sample_store.get_conversation(conversation_id, branch=branch, offset=offset, limit=limit)  # type: ignore[arg-type]
        assert page.offset == offset and page.total_messages == whole.total_messages
        assert 1 <= len(page.messages) <= limit
        if page.next_offset is not None:
            assert page.note and f"offset={page.next_offset}" in page.note
        seen.extend(m.message_id for m in page.messages)
        offset = page.next_offset
    assert seen == [m.message_id for m in whole.messages]


@pytest.fixture(scope="module")
def long_store(
    tmp_path_factory: pytest.TempPathFactory,
    build_conversation: Callable[..., dict[str, Any]],
    write_export: Callable[..., Path],
) -> Any:
    huge = "start " + "lorem ipsum dolor sit amet " * 3_800
    huge = huge[:100_000]
    turns = ["Summarize this log please: " + huge, "Here is the summary: the log repeats lorem ipsum."]
    turns += [f"Part {i}: " + ("x" * 19_000) for i in range(6)]
    conversations = [build_conversation("long-one", turns, title="A very long paste")]
    export = write_export(tmp_path_factory.mktemp("long-export") / "long.zip", conversations)
    store = HistoryStore(tmp_path_factory.mktemp("long-data"))
    import_export(store, export)
    yield store
    store.close()


def test_long_message_is_truncated_with_its_full_length(long_store: HistoryStore) -> None:
    page = long_store.get_conversation("long-one", limit=1, max_chars_per_message=20_000)
    (first,) = page.messages
    full = len("Summarize this log please: ") + 100_000
    assert first.truncated is True and first.full_length == full
    assert len(first.text) == 20_000
    assert first.text.startswith("Summarize this log please: start lorem")
    assert page.note and "max_chars_per_message" in page.note
    wide = long_store.get_conversation("long-one", limit=1, max_chars_per_message=200_000)
    assert wide.messages[0].truncated is False and wide.messages[0].full_length is None
    assert len(wide.messages[0].text) == full


def test_short_messages_are_not_marked_truncated(long_store: HistoryStore) -> None:
    page = long_store.get_conversation("long-one", offset=1, limit=1)
    (answer,) = page.messages
    assert answer.truncated is False and answer.full_length is None
    assert answer.text == "Here is the summary: the log repeats lorem ipsum."


def test_pages_stay_under_the_character_budget(long_store: HistoryStore) -> None:
    total = long_store.get_conversation("long-one", limit=1).total_messages
    assert total == 8
    seen: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = long_store.get_conversation("long-one", offset=offset, limit=200)
        size = sum(len(m.text) for m in page.messages)
        assert size <= history.PAGE_CHARS, size
        assert page.messages, "a page must make progress"
        seen.extend(m.message_id for m in page.messages)
        offset = page.next_offset
        pages += 1
    assert len(seen) == total == len(set(seen))
    assert pages >= 3  # ~160k characters of messages cannot fit in fewer 60k pages


# -- Markdown transcript -----------------------------------------------------------------------------------


def test_markdown_has_title_and_current_branch(sample_store: HistoryStore) -> None:
    md = sample_store.transcript_markdown(COVER_LETTER)
    assert md.startswith("# Cover letter for data analyst role in Zürich\n")
    assert COVER_LETTER in md
    assert "zeppelin" not in md.lower()
    assert md.count("## User") == 3 and md.count("## Assistant") == 3


def test_markdown_leaves_out_hidden_messages(sample_store: HistoryStore) -> None:
    md = sample_store.transcript_markdown(MEAL_PLAN)
    assert "VISIBLESYSTEMWORD" in md
    assert "SECRETINSTRUCTIONWORD" not in md and "MEMORYSNAPSHOTWORD" not in md


def test_markdown_merges_a_continued_answer_into_one_section(sample_store: HistoryStore) -> None:
    page = sample_store.get_conversation(SQL)
    assert [m.role for m in page.messages] == ["user", "assistant", "assistant", "user", "assistant"]
    md = sample_store.transcript_markdown(SQL)
    assert md.startswith("# Monthly active users SQL query\n")
    assert md.count("## Assistant") == 2 and md.count("## User") == 2
    # The answer was cut by max_tokens inside the SQL block; joined, the query reads as one.
    first, second = page.messages[1].text, page.messages[2].text
    assert first + second in md


def test_markdown_of_an_untitled_conversation(sample_store: HistoryStore) -> None:
    md = sample_store.transcript_markdown(AGENT)
    assert md.startswith("# Untitled conversation\n")
    assert "Café Aurora" in md


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_a_new_store_is_private_to_its_owner(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "new" / "data")
    try:
        assert stat.S_IMODE((tmp_path / "new" / "data").stat().st_mode) == 0o700
        assert stat.S_IMODE(store.archive.path.stat().st_mode) == 0o600
    finally:
        store.close()
