"""Normalization rules (chatgpt-data.md §1.3): which messages make "the conversation", and how raw fields are read.

Each rule is checked twice where possible: on a small hand-built conversation, and on the bundled synthetic
export (``examples/sample-export.zip``, read through :class:`Export`) whose marker words SAMPLE.md lists.
"""

from __future__ import annotations

import copy
import functools
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest

from chatgpt_history_mcp.export.normalize import (
    InvalidConversation,
    clean_title,
    normalize_conversation,
    parse_time,
)
from chatgpt_history_mcp.export.reader import Export
from chatgpt_history_mcp.model import Conversation
from sample import (
    AGENT,
    CHINESE,
    COVER_LETTER,
    GIFT,
    HIKE,
    HOUSEPLANT,
    LISBON,
    MEAL_PLAN,
    PARSE_CONFIG,
    RUST,
    SAMPLE,
    SOURDOUGH,
    SPANISH,
    SQL,
    TRAINING,
)
from sample import JAPANESE_KOREAN as JAPANESE

K8S = "d4add0b2-9779-5567-8ca6-5e1d7c3dcbfc"

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z

T = TypeVar("T")


# -- sample export ---------------------------------------------------------------------------------------


@functools.cache
def _sample_raw() -> tuple[dict[str, Any], ...]:
    with Export(SAMPLE) as export:
        return tuple(export.conversations())


def sample_raw(conv_id: str) -> dict[str, Any]:
    """A fresh copy of one raw sample conversation (safe to modify)."""
    for raw in _sample_raw():
        if (raw.get("id") or raw.get("conversation_id")) == conv_id:
            return copy.deepcopy(raw)
    raise KeyError(conv_id)


@functools.cache
def sample() -> dict[str, Conversation]:
    return {c.id: c for c in (normalize_conversation(raw) for raw in _sample_raw())}


def shown(conv: Conversation) -> str:
    """Everything the default transcript shows."""
    return "\n".join(m.text for m in conv.transcript())


def kept(conv: Conversation) -> str:
    """Everything stored for the conversation, every branch, hidden or not."""
    return "\n".join(m.text for m in conv.messages)


# -- hand-built conversations ----------------------------------------------------------------------------

_UNSET: Any = object()


def msg(
    role: str,
    text: str = "",
    *,
    t: Any = None,
    content: Any = _UNSET,
    metadata: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": t,
        "update_time": None,
        "content": {"content_type": "text", "parts": [text]} if content is _UNSET else content,
        "status": "finished_successfully",
        "end_turn": None,
        "weight": 1.0,
        "metadata": metadata or {},
        "recipient": "all",
        "channel": None,
    }
    message.update(extra)
    return message


def build(nodes: list[tuple[str, str | None, dict[str, Any] | None]], **fields: Any) -> dict[str, Any]:
    """A raw conversation from ``(node_id, parent_id, message)`` rows; children lists are derived."""
    mapping: dict[str, dict[str, Any]] = {}
    for node_id, parent, message in nodes:
        mapping[node_id] = {
            "id": node_id,
            "parent": parent,
            "children": [],
            "message": None if message is None else {"id": node_id, **message},
        }
    for node_id, parent, _ in nodes:
        if parent in mapping:
            mapping[parent]["children"].append(node_id)
    raw: dict[str, Any] = {
        "id": "conv-1",
        "title": "Hand-built",
        "create_time": T0,
        "update_time": T0 + 500,
        "current_node": nodes[-1][0],
        "mapping": mapping,
        "default_model_slug": "gpt-4o",
    }
    raw.update(fields)
    return raw


def run_within(seconds: float, fn: Callable[[], T]) -> T:
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return in time."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"did not finish within {seconds} s (endless loop?)"
    if "error" in result:
        raise result["error"]
    return result["value"]


# A conversation with an edit and a regeneration (the UI's "< 2/2 >" arrows).
#
#   root ─ sys ─ u1 ─ a1 ─┬─ u2_old ─ a2_old                      (the original question, edited away)
#                         └─ u2_new ─┬─ a2_regen_old              (first answer, regenerated)
#                                    └─ a2_regen_new              (the answer after "regenerate")
BRANCHY = [
    ("root", None, None),
    ("sys", "root", msg("system", "", metadata={"is_visually_hidden_from_conversation": True}, weight=0.0)),
    ("u1", "sys", msg("user", "Plan three days in Oslo.", t=T0 + 10)),
    ("a1", "u1", msg("assistant", "Day 1: the fjord. Day 2: museums. Day 3: Holmenkollen.", t=T0 + 20)),
    ("u2_old", "a1", msg("user", "ORIGINALQUESTION what about Bergen?", t=T0 + 30)),
    ("a2_old", "u2_old", msg("assistant", "ORIGINALANSWER Bergen is rainy.", t=T0 + 40)),
    ("u2_new", "a1", msg("user", "EDITEDQUESTION what about Trondheim?", t=T0 + 50)),
    ("a2_regen_old", "u2_new", msg("assistant", "REGENOLDANSWER Trondheim has a cathedral.", t=T0 + 60)),
    ("a2_regen_new", "u2_new", msg("assistant", "REGENNEWANSWER Trondheim has Nidaros.", t=T0 + 70)),
]
BRANCH_WORDS = {"ORIGINALQUESTION", "ORIGINALANSWER", "EDITEDQUESTION", "REGENOLDANSWER", "REGENNEWANSWER"}


# -- branches: the current path ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "path", "words"),
    [
        # The newest leaf (also the last child everywhere).
        ("a2_regen_new", ["u1", "a1", "u2_new", "a2_regen_new"], {"EDITEDQUESTION", "REGENNEWANSWER"}),
        # The user flipped back to the first regenerated answer: neither the last nor the newest child.
        ("a2_regen_old", ["u1", "a1", "u2_new", "a2_regen_old"], {"EDITEDQUESTION", "REGENOLDANSWER"}),
        # The user flipped back to the original (pre-edit) question: not the newest branch.
        ("a2_old", ["u1", "a1", "u2_old", "a2_old"], {"ORIGINALQUESTION", "ORIGINALANSWER"}),
    ],
    ids=["regenerated", "older-regeneration", "pre-edit-branch"],
)
def test_transcript_follows_current_node(current: str, path: list[str], words: set[str]) -> None:
    conv = normalize_conversation(build(BRANCHY, current_node=current))
    assert [m.id for m in conv.transcript()] == path
    text = shown(conv)
    for word in words:
        assert word in text
    for word in BRANCH_WORDS - words:
        assert word not in text
    # Every branch is still stored.
    assert {m.id for m in conv.messages} == {node_id for node_id, _, message in BRANCHY if message is not None}
    for word in BRANCH_WORDS:
        assert word in kept(conv)


def test_transcript_is_one_chain_not_every_child() -> None:
    conv = normalize_conversation(build(BRANCHY, current_node="a2_regen_new"))
    path = conv.transcript(include_hidden=True)
    assert [m.id for m in path] == ["sys", "u1", "a1", "u2_new", "a2_regen_new"]
    for parent, child in itertools.pairwise(path):
        assert child.parent_id == parent.id
    assert [m.role for m in conv.transcript()] == ["user", "assistant", "user", "assistant"]


def test_current_path_is_root_to_leaf_order() -> None:
    conv = normalize_conversation(build(BRANCHY, current_node="a2_regen_old"))
    assert conv.current_path == ["sys", "u1", "a1", "u2_new", "a2_regen_old"]


def test_messages_list_parents_before_children() -> None:
    conv = normalize_conversation(build(BRANCHY, current_node="a2_old"))
    position = {m.id: i for i, m in enumerate(conv.messages)}
    for m in conv.messages:
        if m.parent_id is not None:
            assert position[m.parent_id] < position[m.id]


# Three edits of the same question; the newest leaf sits under the *middle* one.
#
#   root ─ u1 ─ a1 ─┬─ e1 (t30) ─ r1 (t40)                        FIRSTCHILDLEAF
#                   ├─ e2 (t50) ─ r2 (t60) ─ u3 (t90) ─ r3 (t100)  NEWESTLEAF
#                   └─ e3 (t70) ─ r4 (t80)                        LASTCHILDLEAF
EDITS = [
    ("root", None, None),
    ("u1", "root", msg("user", "Suggest a hike.", t=T0 + 10)),
    ("a1", "u1", msg("assistant", "Try the lake loop.", t=T0 + 20)),
    ("e1", "a1", msg("user", "Shorter, please.", t=T0 + 30)),
    ("r1", "e1", msg("assistant", "FIRSTCHILDLEAF a 5 km loop.", t=T0 + 40)),
    ("e2", "a1", msg("user", "What about an overnight hut?", t=T0 + 50)),
    ("r2", "e2", msg("assistant", "Book the hut early.", t=T0 + 60)),
    ("u3", "r2", msg("user", "What should we pack?", t=T0 + 90)),
    ("r3", "u3", msg("assistant", "NEWESTLEAF a sleeping-bag liner.", t=T0 + 100)),
    ("e3", "a1", msg("user", "By bike instead?", t=T0 + 70)),
    ("r4", "e3", msg("assistant", "LASTCHILDLEAF the cycle route.", t=T0 + 80)),
]


@pytest.mark.parametrize(
    "current",
    [None, _UNSET, "no-such-node", 42, ""],
    ids=["null", "missing-key", "unknown-id", "not-a-string", "empty-string"],
)
def test_without_a_usable_current_node_the_newest_leaf_is_shown(current: Any) -> None:
    raw = build(EDITS)
    if current is _UNSET:
        del raw["current_node"]
    else:
        raw["current_node"] = current
    conv = normalize_conversation(raw)
    assert [m.id for m in conv.transcript()] == ["u1", "a1", "e2", "r2", "u3", "r3"]
    text = shown(conv)
    assert "NEWESTLEAF" in text
    assert "FIRSTCHILDLEAF" not in text
    assert "LASTCHILDLEAF" not in text
    assert "FIRSTCHILDLEAF" in kept(conv)
    assert "LASTCHILDLEAF" in kept(conv)


def test_sample_hike_null_current_node_shows_newest_leaf() -> None:
    conv = sample()[HIKE]
    assert sample_raw(HIKE)["current_node"] is None
    assert conv.current_path[-1] == "f79c5f51-f757-5834-95b3-481a47df6d27"
    text = shown(conv).lower()
    assert "tangerine" in text
    assert "periwinkle" not in text
    assert "gooseberry" not in text
    assert "periwinkle" in kept(conv).lower()
    assert "gooseberry" in kept(conv).lower()


def test_sample_gift_missing_current_node_shows_newest_leaf() -> None:
    assert "current_node" not in sample_raw(GIFT)
    conv = sample()[GIFT]
    assert conv.current_path[-1] == "b0e9358a-096b-5328-ba48-4d74a248a902"
    assert "bergamot" not in shown(conv).lower()
    assert "bergamot" in kept(conv).lower()
    assert "tea-blending workshop" in shown(conv)


def test_sample_edit_keeps_current_user_message() -> None:
    conv = sample()[COVER_LETTER]
    ids = [m.id for m in conv.transcript()]
    assert "ede52e71-75c1-51c3-bde3-118c06069b22" in ids
    assert "a4143150-853a-59eb-bd2b-aa0bcf2b0dd6" not in ids
    assert "zeppelin" not in shown(conv).lower()
    assert "zeppelin" in kept(conv).lower()
    assert "relocating to Zürich" in shown(conv)


def test_sample_regeneration_shows_current_answer() -> None:
    conv = sample()[SPANISH]
    ids = [m.id for m in conv.transcript()]
    assert "f9569025-6dac-586c-94be-efda78019483" in ids
    assert "13b54284-b5d6-5ff4-b3c2-94ecd7930b59" not in ids
    assert "kazoo" not in shown(conv).lower()
    assert "kazoo" in kept(conv).lower()
    # The abandoned answer keeps its own model.
    old = next(m for m in conv.messages if m.id == "13b54284-b5d6-5ff4-b3c2-94ecd7930b59")
    assert old.model == "gpt-4o-mini"


@pytest.mark.parametrize(
    "word",
    ["zeppelin", "kazoo", "periwinkle", "gooseberry", "bergamot"],
)
def test_sample_abandoned_branch_words_are_kept_but_never_shown(word: str) -> None:
    convs = sample().values()
    assert any(word in kept(c).lower() for c in convs)
    assert not any(word in shown(c).lower() for c in convs)


def test_sample_every_transcript_is_a_parent_child_chain() -> None:
    for conv in sample().values():
        path = conv.transcript(include_hidden=True)
        assert path, conv.id
        assert path[0].parent_id is None, conv.id
        for parent, child in itertools.pairwise(path):
            assert child.parent_id == parent.id, conv.id
        position = {m.id: i for i, m in enumerate(conv.messages)}
        for m in conv.messages:
            if m.parent_id is not None:
                assert position[m.parent_id] < position[m.id], conv.id


# -- broken trees ------------------------------------------------------------------------------------------


def test_two_node_cycle_does_not_hang() -> None:
    raw = {
        "id": "cyclic",
        "current_node": None,
        "mapping": {
            "a": {"id": "a", "parent": "b", "children": ["b"], "message": msg("user", "CYCLEA question", t=T0)},
            "b": {"id": "b", "parent": "a", "children": ["a"], "message": msg("assistant", "CYCLEB answer", t=T0 + 1)},
        },
    }
    conv = run_within(5, lambda: normalize_conversation(raw))
    assert {m.id for m in conv.messages} == {"a", "b"}
    assert "CYCLEA" in kept(conv)
    assert "CYCLEB" in kept(conv)
    for current in ("a", "b"):
        raw["current_node"] = current
        conv = run_within(5, lambda: normalize_conversation(raw))
        ids = [m.id for m in conv.transcript()]
        assert len(ids) == len(set(ids)), "a cycle must not repeat messages"
        assert ids[-1] == current


def test_cycle_beside_a_normal_tree_does_not_hide_the_real_conversation() -> None:
    nodes = [
        ("root", None, None),
        ("u", "root", msg("user", "REALQUESTION", t=T0 + 10)),
        ("a", "u", msg("assistant", "REALANSWER", t=T0 + 20)),
    ]
    raw = build(nodes, current_node=None)
    raw["mapping"]["x"] = {"id": "x", "parent": "y", "children": ["y"], "message": msg("user", "LOOPX", t=T0 + 30)}
    raw["mapping"]["y"] = {"id": "y", "parent": "x", "children": ["x"], "message": msg("user", "LOOPY", t=T0 + 40)}
    conv = run_within(5, lambda: normalize_conversation(raw))
    assert [m.id for m in conv.transcript()] == ["u", "a"]
    assert "LOOPX" in kept(conv)
    assert "LOOPY" in kept(conv)


def test_node_that_is_its_own_parent() -> None:
    raw = build([("root", None, None), ("u", "root", msg("user", "hello", t=T0))])
    raw["mapping"]["self"] = {"id": "self", "parent": "self", "children": ["self"], "message": msg("user", "SELFLOOP")}
    for current in (None, "self", "u"):
        raw["current_node"] = current
        conv = run_within(5, lambda: normalize_conversation(raw))
        assert "SELFLOOP" in kept(conv)
        ids = [m.id for m in conv.transcript()]
        assert len(ids) == len(set(ids))


def test_dangling_parent_is_treated_as_a_root() -> None:
    nodes = [
        ("u", "ghost-node-not-in-mapping", msg("user", "ORPHANQUESTION", t=T0 + 10)),
        ("a", "u", msg("assistant", "ORPHANANSWER", t=T0 + 20)),
    ]
    for current in ("a", None):
        conv = run_within(5, lambda c=current: normalize_conversation(build(nodes, current_node=c)))
        assert [m.id for m in conv.transcript()] == ["u", "a"]
        assert conv.messages[0].parent_id is None


def test_junk_nodes_and_children_do_not_crash() -> None:
    raw = build(
        [
            ("root", None, None),
            ("u", "root", msg("user", "still readable", t=T0 + 10)),
            ("a", "u", msg("assistant", "yes, readable", t=T0 + 20)),
        ]
    )
    raw["mapping"]["root"]["children"].append("ghost-child")
    raw["mapping"]["junk1"] = None
    raw["mapping"]["junk2"] = "not a node"
    raw["mapping"]["junk3"] = {"id": "junk3", "parent": 123, "message": "not a message"}
    conv = normalize_conversation(raw)
    assert [m.text for m in conv.transcript()] == ["still readable", "yes, readable"]


@pytest.mark.parametrize("mapping", [None, [], "nope", {}], ids=["null", "list", "string", "empty"])
def test_missing_or_odd_mapping_gives_an_empty_conversation(mapping: Any) -> None:
    conv = normalize_conversation({"id": "c", "title": "Empty", "mapping": mapping})
    assert conv.messages == []
    assert conv.transcript() == []
    assert conv.title == "Empty"


def test_very_long_conversation_has_no_recursion_limit() -> None:
    nodes: list[tuple[str, str | None, dict[str, Any] | None]] = [("root", None, None)]
    parent = "root"
    for i in range(3000):
        node_id = f"n{i}"
        nodes.append((node_id, parent, msg("user" if i % 2 == 0 else "assistant", f"turn {i}", t=T0 + i)))
        parent = node_id
    for current in ("n2999", None):
        conv = run_within(10, lambda c=current: normalize_conversation(build(nodes, current_node=c)))
        transcript = conv.transcript()
        assert len(transcript) == 3000
        assert transcript[0].text == "turn 0"
        assert transcript[-1].text == "turn 2999"


# -- hidden messages ---------------------------------------------------------------------------------------

HIDDEN_CASES: list[tuple[str, dict[str, Any]]] = [
    ("system-prompt", msg("system", "You are ChatGPT. HIDDENMARK")),
    (
        "visually-hidden-user",
        msg("user", "[opened from shortcut] HIDDENMARK", metadata={"is_visually_hidden_from_conversation": True}),
    ),
    (
        "visually-hidden-user-system",
        msg(
            "system",
            "HIDDENMARK",
            metadata={"is_user_system_message": True, "is_visually_hidden_from_conversation": True},
        ),
    ),
    (
        "tool-call-code",
        msg(
            "assistant",
            content={"content_type": "code", "language": "unknown", "text": "print('HIDDENMARK')"},
            recipient="python",
        ),
    ),
    ("tool-call-text", msg("assistant", "Remember: likes tea. HIDDENMARK", recipient="bio")),
    ("weight-zero", msg("assistant", "superseded draft HIDDENMARK", weight=0)),
    ("weight-zero-float", msg("assistant", "superseded draft HIDDENMARK", weight=0.0)),
    ("analysis-channel", msg("assistant", "plan the answer HIDDENMARK", channel="analysis")),
    ("commentary-channel", msg("assistant", "let me check HIDDENMARK", channel="commentary")),
    (
        "thoughts",
        msg(
            "assistant",
            content={
                "content_type": "thoughts",
                "thoughts": [
                    {"summary": "Thinking", "content": "HIDDENMARK reasoning", "chunks": [], "finished": True}
                ],
            },
        ),
    ),
    ("reasoning-recap", msg("assistant", content={"content_type": "reasoning_recap", "content": "Thought HIDDENMARK"})),
    (
        "user-editable-context",
        msg(
            "user",
            content={
                "content_type": "user_editable_context",
                "user_profile": "Preferred name: HIDDENMARK",
                "user_instructions": "Be brief.",
            },
            metadata={"is_user_system_message": True},
        ),
    ),
    (
        "model-editable-context",
        msg(
            "assistant",
            content={"content_type": "model_editable_context", "model_set_context": "1. Likes tea. HIDDENMARK"},
        ),
    ),
    (
        "tether-browsing-display",
        msg("tool", content={"content_type": "tether_browsing_display", "result": "HIDDENMARK", "summary": None}),
    ),
    (
        "sonic-webpage",
        msg(
            "tool",
            content={"content_type": "sonic_webpage", "url": "https://x.example", "title": "T", "text": "HIDDENMARK"},
        ),
    ),
    ("system-error", msg("tool", content={"content_type": "system_error", "name": "err", "text": "HIDDENMARK"})),
    ("tool-chatter", msg("tool", "Model set context updated. HIDDENMARK")),
]


def _around(middle: dict[str, Any]) -> dict[str, Any]:
    return build(
        [
            ("root", None, None),
            ("u1", "root", msg("user", "VISIBLEQUESTION", t=T0 + 10)),
            ("x", "u1", {**middle, "create_time": T0 + 20}),
            ("a1", "x", msg("assistant", "VISIBLEANSWER", t=T0 + 30)),
        ]
    )


@pytest.mark.parametrize(("case", "middle"), HIDDEN_CASES, ids=[c for c, _ in HIDDEN_CASES])
def test_hidden_messages_are_left_out_of_the_transcript(case: str, middle: dict[str, Any]) -> None:
    conv = normalize_conversation(_around(middle))
    x = next(m for m in conv.messages if m.id == "x")
    assert x.hidden, case
    assert "HIDDENMARK" in x.text, "hidden content is kept, just not shown"
    assert [m.id for m in conv.transcript()] == ["u1", "a1"]
    assert "HIDDENMARK" not in shown(conv)
    assert "VISIBLEQUESTION" in shown(conv)
    assert "VISIBLEANSWER" in shown(conv)
    # Asked for explicitly, the hidden message is still on the path.
    assert [m.id for m in conv.transcript(include_hidden=True)] == ["u1", "x", "a1"]


EMPTY_CASES: list[tuple[str, dict[str, Any]]] = [
    ("empty-part", msg("assistant", "")),
    ("whitespace-part", msg("assistant", "  \n\t ")),
    ("no-parts", msg("assistant", content={"content_type": "text", "parts": []})),
    ("no-content", msg("assistant", content=None)),
    ("empty-code", msg("assistant", content={"content_type": "code", "language": "python", "text": ""})),
    # 2023 custom instructions: a system message flagged as the user's, with the real text only in metadata.
    (
        "user-system-message-with-empty-parts",
        msg(
            "system",
            "",
            metadata={
                "is_user_system_message": True,
                "user_context_message_data": {
                    "about_user_message": "I live in Lisbon.",
                    "about_model_message": "Be brief.",
                },
            },
        ),
    ),
]


@pytest.mark.parametrize(("case", "middle"), EMPTY_CASES, ids=[c for c, _ in EMPTY_CASES])
def test_empty_messages_are_not_shown(case: str, middle: dict[str, Any]) -> None:
    conv = normalize_conversation(_around(middle))
    x = next(m for m in conv.messages if m.id == "x")
    assert x.hidden, f"{case}: an empty {x.role} message would appear as a blank turn"
    assert [m.id for m in conv.transcript()] == ["u1", "a1"]


VISIBLE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("user-system-message", msg("system", "Household note: SHOWNMARK", metadata={"is_user_system_message": True})),
    ("final-channel", msg("assistant", "Here is the plan. SHOWNMARK", channel="final")),
    ("no-recipient-field", {k: v for k, v in msg("assistant", "old export SHOWNMARK").items() if k != "recipient"}),
    ("no-weight-field", {k: v for k, v in msg("assistant", "old export SHOWNMARK").items() if k != "weight"}),
    (
        "code-answer",
        msg("assistant", content={"content_type": "code", "language": "python", "text": "print('SHOWNMARK')"}),
    ),
    ("execution-output", msg("tool", content={"content_type": "execution_output", "text": "SHOWNMARK 42"})),
    (
        "tether-quote",
        msg(
            "tool",
            content={
                "content_type": "tether_quote",
                "url": "https://en.wikipedia.org/wiki/Lisbon",
                "domain": "en.wikipedia.org",
                "title": "Lisbon - Wikipedia",
                "text": "SHOWNMARK Lisbon is the capital of Portugal.",
            },
        ),
    ),
    (
        "image-only",
        msg(
            "user",
            content={
                "content_type": "multimodal_text",
                "parts": [{"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-SHOWNMARK"}],
            },
        ),
    ),
]


@pytest.mark.parametrize(("case", "middle"), VISIBLE_CASES, ids=[c for c, _ in VISIBLE_CASES])
def test_visible_messages_are_shown(case: str, middle: dict[str, Any]) -> None:
    conv = normalize_conversation(_around(middle))
    x = next(m for m in conv.messages if m.id == "x")
    assert not x.hidden, case
    assert [m.id for m in conv.transcript()] == ["u1", "x", "a1"]
    assert "SHOWNMARK" in shown(conv)


@pytest.mark.parametrize(
    ("word", "conv_id"),
    [
        ("SECRETINSTRUCTIONWORD", MEAL_PLAN),
        ("MEMORYSNAPSHOTWORD", MEAL_PLAN),
        ("HIDDENSYSTEMWORD", MEAL_PLAN),
        ("VISUALLYHIDDENWORD", MEAL_PLAN),
        ("THOUGHTSWORD", RUST),
        ("ANALYSISCHANNELWORD", TRAINING),
        ("COMMENTARYCHANNELWORD", TRAINING),
        ("WEIGHTZEROWORD", TRAINING),
        ("TOOLCALLWORD", PARSE_CONFIG),
        ("BROWSINGDISPLAYWORD", LISBON),
        ("SONICPAGEWORD", LISBON),
        ("SYSTEMERRORWORD", LISBON),
    ],
)
def test_sample_hidden_marker_words(word: str, conv_id: str) -> None:
    conv = sample()[conv_id]
    holders = [m for m in conv.messages if word in m.text]
    assert holders, f"{word} should be kept in the stored messages"
    assert all(m.hidden for m in holders)
    assert word not in shown(conv)
    # Hidden on every conversation, not just this one.
    assert not any(word in shown(c) for c in sample().values())


def test_sample_reasoning_recap_is_hidden() -> None:
    conv = sample()[RUST]
    recaps = [m for m in conv.messages if m.content_type == "reasoning_recap"]
    assert [m.text for m in recaps] == ["Thought for 12s", "Thought for 7s"]
    assert all(m.hidden for m in recaps)
    assert "Thought for 12s" not in shown(conv)


def test_sample_user_system_message_is_visible() -> None:
    conv = sample()[MEAL_PLAN]
    assert "VISIBLESYSTEMWORD" in shown(conv)
    (holder,) = [m for m in conv.transcript() if "VISIBLESYSTEMWORD" in m.text]
    assert holder.role == "system"


def test_sample_training_plan_shows_only_the_final_answer() -> None:
    conv = sample()[TRAINING]
    assistant = [m for m in conv.transcript() if m.role == "assistant"]
    assert len(assistant) == 2
    assert assistant[0].text.startswith("Here's a 10-week plan")
    assert all(m.text.strip() for m in conv.transcript()), "no blank turns"


def test_sample_tool_output_is_visible_but_the_call_is_not() -> None:
    conv = sample()[PARSE_CONFIG]
    kinds = [(m.role, m.content_type) for m in conv.transcript()]
    assert ("tool", "execution_output") in kinds
    assert ("assistant", "code") not in kinds


def test_sample_no_transcript_has_blank_or_hidden_turns() -> None:
    for conv in sample().values():
        for m in conv.transcript():
            assert not m.hidden
            assert m.text.strip(), f"{conv.id}: blank {m.role} turn {m.id}"


# -- citations -----------------------------------------------------------------------------------------------

_PRIVATE_USE = {chr(c) for c in range(0xE200, 0xE207)}


def test_sample_has_no_citation_markers_anywhere() -> None:
    for conv in sample().values():
        for m in conv.messages:
            assert not _PRIVATE_USE & set(m.text), f"{conv.id}/{m.id} keeps a private-use marker"
            assert "turn0search" not in m.text, f"{conv.id}/{m.id} keeps a citation token"
            assert "turn0search" not in (conv.title or "")


def test_sample_citations_resolve_without_mangling_the_answer() -> None:
    conv = sample()[LISBON]
    text = shown(conv)
    assert "https://en.wikipedia.org/wiki/Lisbon" in text
    # The sources_footnote reference has matched_text " ": a replace-all would glue these words together.
    assert "Your friend is mixing them up: Lisbon is the capital of Portugal." in text
    assert "Porto is the second-largest city" in text
    assert "Bring a light jacket for windy evenings on the viewpoints." in text
    assert "citeturn" not in text


def test_citations_stripped_in_a_hand_built_message() -> None:
    marker = "\ue200cite\ue202turn0search3\ue201"
    nodes = [
        ("root", None, None),
        ("u", "root", msg("user", "capital of Portugal?", t=T0)),
        ("a", "u", msg("assistant", f"Lisbon is the capital. {marker} It is hilly.", t=T0 + 1)),
    ]
    conv = normalize_conversation(build(nodes))
    text = conv.transcript()[-1].text
    assert "Lisbon is the capital." in text
    assert "It is hilly." in text
    assert "turn0search3" not in text
    assert not _PRIVATE_USE & set(text)


# -- times --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1707642843.512, datetime(2024, 2, 11, 9, 14, 3, 512000, tzinfo=UTC)),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ("1700000000.5", datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
        ("2024-03-05T10:20:30.123456Z", datetime(2024, 3, 5, 10, 20, 30, 123456, tzinfo=UTC)),
        ("2024-03-05T10:20:30Z", datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)),
        ("2024-03-05T12:20:30.5+02:00", datetime(2024, 3, 5, 10, 20, 30, 500000, tzinfo=UTC)),
        ("2024-03-05T10:20:30", datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)),
        (" 2024-03-05T10:20:30Z ", datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_epoch_and_iso(value: Any, expected: datetime) -> None:
    parsed = parse_time(value)
    assert parsed is not None
    assert parsed.tzinfo is not None
    assert parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((parsed - expected).total_seconds()) < 1e-3


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "garbage", "yesterday", "2024-13-45T99:00:00Z", 0, 0.0, "0", -1, True, False,
     float("nan"), float("inf"), [], {}, [1700000000]],
)  # fmt: skip
def test_parse_time_rejects_garbage(value: Any) -> None:
    assert parse_time(value) is None


def test_parse_time_never_returns_absurd_dates_for_milliseconds() -> None:
    parsed = parse_time(1707642843512)  # milliseconds mistaken for seconds
    assert parsed is None or parsed.year == 2024


def test_sample_iso_message_times() -> None:
    conv = sample()[JAPANESE]
    first_user = next(m for m in conv.transcript() if m.role == "user")
    assert first_user.create_time == datetime(2024, 3, 5, 10, 20, 30, 123456, tzinfo=UTC)
    assert all(m.create_time is not None for m in conv.transcript())


def test_sample_epoch_times() -> None:
    conv = sample()[SOURDOUGH]
    assert conv.create_time == datetime.fromtimestamp(1707642843.512, UTC)
    assert conv.update_time == datetime.fromtimestamp(1707643253.039184, UTC)


def test_sample_null_message_time_keeps_the_message() -> None:
    conv = sample()[PARSE_CONFIG]
    timeless = [m for m in conv.transcript() if m.role == "user" and m.create_time is None]
    assert len(timeless) == 1
    assert "getUserProfile" in timeless[0].text


def test_sample_missing_update_time_falls_back_to_latest_message() -> None:
    assert "update_time" not in sample_raw(HOUSEPLANT)
    conv = sample()[HOUSEPLANT]
    latest = max(m.create_time for m in conv.messages if m.create_time is not None)
    assert conv.update_time == latest
    assert conv.create_time is not None
    assert conv.update_time >= conv.create_time


def test_missing_conversation_times_fall_back_to_message_times() -> None:
    nodes = [
        ("root", None, None),
        ("u", "root", msg("user", "first", t=T0 + 100)),
        ("a", "u", msg("assistant", "second", t="2023-11-14T22:20:00Z")),
        ("u2", "a", msg("user", "third", t=T0 + 900)),
    ]
    raw = build(nodes)
    del raw["create_time"]
    raw["update_time"] = None
    conv = normalize_conversation(raw)
    assert conv.create_time == datetime.fromtimestamp(T0 + 100, UTC)
    assert conv.update_time == datetime.fromtimestamp(T0 + 900, UTC)


def test_garbage_conversation_times_fall_back_to_message_times() -> None:
    nodes = [
        ("root", None, None),
        ("u", "root", msg("user", "hi", t=T0 + 5)),
        ("a", "u", msg("assistant", "yo", t=T0 + 9)),
    ]
    conv = normalize_conversation(build(nodes, create_time="not a date", update_time=0))
    assert conv.create_time == datetime.fromtimestamp(T0 + 5, UTC)
    assert conv.update_time == datetime.fromtimestamp(T0 + 9, UTC)


def test_iso_conversation_times() -> None:
    nodes = [("root", None, None), ("u", "root", msg("user", "hi"))]
    conv = normalize_conversation(
        build(nodes, create_time="2025-01-02T03:04:05.678901Z", update_time="2025-01-02T04:00:00+01:00")
    )
    assert conv.create_time == datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert conv.update_time == datetime(2025, 1, 2, 3, 0, 0, tzinfo=UTC)


def test_no_times_anywhere() -> None:
    nodes = [("root", None, None), ("u", "root", msg("user", "hi")), ("a", "u", msg("assistant", "hello"))]
    raw = build(nodes)
    del raw["create_time"]
    del raw["update_time"]
    conv = normalize_conversation(raw)
    assert conv.create_time is None
    assert conv.update_time is None
    assert [m.text for m in conv.transcript()] == ["hi", "hello"]


def test_update_time_defaults_to_create_time_without_message_times() -> None:
    conv = normalize_conversation(build([("root", None, None), ("u", "root", msg("user", "hi"))], update_time=None))
    assert conv.update_time == conv.create_time == datetime.fromtimestamp(T0, UTC)


# -- titles --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (None, None),
        ("", None),
        ("  \n\t ", None),
        (42, None),
        (["a", "list"], None),
        ("Learning Spanish: the subjunctive\n", "Learning Spanish: the subjunctive"),
        ("🌱 Houseplant check\u2011up 🪴", "🌱 Houseplant check\u2011up 🪴"),
        ("Line one\nline two", "Line one line two"),
        ("Zero\u200bwidth", "Zerowidth"),
        ("nul\x00byte", "nulbyte"),
        ("\ufeffBOM title", "BOM title"),
        ("机器学习入门问题", "机器学习入门问题"),
    ],
)
def test_titles(title: Any, expected: str | None) -> None:
    assert clean_title(title) == expected
    conv = normalize_conversation({"id": "c", "title": title, "mapping": {}})
    assert conv.title == expected
    assert conv.display_title == (expected or "Untitled conversation")


def test_sample_titles() -> None:
    convs = sample()
    assert convs[SPANISH].title == "Learning Spanish: the subjunctive"
    assert convs[HOUSEPLANT].title == "🌱 Houseplant check\u2011up 🪴"
    assert convs[AGENT].title is None
    assert convs[AGENT].display_title == "Untitled conversation"
    assert convs[RUST].title == "Rust borrow checker: cannot borrow `*self` as mutable"


# -- ids, projects, flags, models ------------------------------------------------------------------------------


def test_conversation_id_only() -> None:
    raw = {"conversation_id": "old-style-id", "title": "Old", "mapping": {}}
    assert normalize_conversation(raw).id == "old-style-id"


def test_id_preferred_over_conversation_id() -> None:
    raw = {"id": "new-id", "conversation_id": "old-id", "mapping": {}}
    assert normalize_conversation(raw).id == "new-id"


def test_sample_ids() -> None:
    convs = sample()
    assert len(convs) == 24
    assert "id" not in sample_raw(CHINESE)
    assert convs[CHINESE].title == "机器学习入门问题"
    assert "机器学习" in shown(convs[CHINESE])
    assert SOURDOUGH in convs


@pytest.mark.parametrize(
    "raw",
    [{}, {"id": None}, {"id": ""}, {"conversation_id": None, "title": "x"}, {"title": "No id", "mapping": {}}],
    ids=["empty", "null-id", "empty-id", "null-conversation-id", "title-only"],
)
def test_missing_id_raises_invalid_conversation(raw: dict[str, Any]) -> None:
    with pytest.raises(InvalidConversation):
        normalize_conversation(raw)


@pytest.mark.parametrize("raw", [None, [], "a string", 5], ids=["null", "list", "string", "number"])
def test_non_object_raises_invalid_conversation(raw: Any) -> None:
    with pytest.raises(InvalidConversation):
        normalize_conversation(raw)


def test_invalid_conversation_is_a_value_error() -> None:
    # Importers catch ValueError to skip one broken conversation and go on.
    assert issubclass(InvalidConversation, ValueError)


@pytest.mark.parametrize(
    ("gizmo_id", "template_id", "expected"),
    [
        ("g-p-f8dd157eba2c5dadb472c59ed4996b8c", None, "g-p-f8dd157eba2c5dadb472c59ed4996b8c"),
        ("g-Kx7pQ2mZr", None, "g-Kx7pQ2mZr"),
        (None, "g-p-abc", "g-p-abc"),
        (None, None, None),
        ("", None, None),
        ("plugin-1234", None, None),
    ],
)
def test_project_and_custom_gpt_ids(gizmo_id: Any, template_id: Any, expected: str | None) -> None:
    raw = {"id": "c", "mapping": {}, "gizmo_id": gizmo_id, "conversation_template_id": template_id}
    assert normalize_conversation(raw).project_id == expected


def test_sample_projects_and_custom_gpts() -> None:
    convs = sample()
    project = "g-p-f8dd157eba2c5dadb472c59ed4996b8c"
    assert convs[LISBON].project_id == project
    assert convs[COVER_LETTER].project_id == project
    assert convs[SPANISH].project_id == project
    assert convs[K8S].project_id == "g-Kx7pQ2mZr"
    assert convs[SQL].project_id == "g-Sq3nS31aQ"
    assert convs[SOURDOUGH].project_id is None


def test_sample_flags_and_models() -> None:
    convs = sample()
    assert convs[AGENT].is_archived
    assert not convs[SOURDOUGH].is_archived
    assert convs[SOURDOUGH].is_starred
    assert not convs[LISBON].is_starred
    assert convs[RUST].model == "o3"
    assert convs[TRAINING].model == "gpt-5"
    assert "o3" in convs[RUST].models()
    assert "gpt-4o-mini" in convs[SQL].models()


def test_model_falls_back_to_last_assistant_message() -> None:
    nodes = [
        ("root", None, None),
        ("u", "root", msg("user", "hi", t=T0)),
        ("a", "u", msg("assistant", "hello", t=T0 + 1, metadata={"model_slug": "gpt-4o-mini"})),
    ]
    raw = build(nodes)
    del raw["default_model_slug"]
    assert normalize_conversation(raw).model == "gpt-4o-mini"


def test_source_is_recorded() -> None:
    raw = build([("root", None, None), ("u", "root", msg("user", "hi"))])
    assert normalize_conversation(raw).source == "export"
    assert normalize_conversation(raw, source="api").source == "api"


def test_unknown_roles_and_authors_do_not_crash() -> None:
    nodes = [
        ("root", None, None),
        ("u", "root", msg("user", "hi", t=T0)),
        ("c", "u", {**msg("critic", "CRITICMARK", t=T0 + 1)}),
        ("n", "c", {**msg("assistant", "no author", t=T0 + 2), "author": None}),
    ]
    conv = normalize_conversation(build(nodes))
    assert {m.role for m in conv.messages} <= {"user", "assistant", "system", "tool"}
    assert "CRITICMARK" in kept(conv)


# -- content types -------------------------------------------------------------------------------------------


def test_sample_unknown_content_type_keeps_its_text() -> None:
    conv = sample()[AGENT]
    (holder,) = [m for m in conv.messages if "UNKNOWNTYPEWORD" in m.text]
    assert holder.content_type == "computer_output"
    assert holder in conv.transcript(include_hidden=True)
    assert "Booking form visible" in holder.text


def test_unknown_content_type_in_an_answer_is_shown() -> None:
    weird = {"content_type": "future_widget", "payload": {"blocks": [{"kind": "p", "body": "FUTUREMARK is here"}]}}
    nodes = [("root", None, None), ("u", "root", msg("user", "hi", t=T0)), ("a", "u", msg("assistant", content=weird))]
    conv = normalize_conversation(build(nodes))
    answer = conv.messages[-1]
    assert answer.content_type == "future_widget"
    assert "FUTUREMARK is here" in answer.text
    assert "FUTUREMARK" in shown(conv)


def test_sample_images_render_as_placeholders_with_their_name() -> None:
    conv = sample()[HOUSEPLANT]
    users = [m for m in conv.transcript() if m.role == "user"]
    first, last = users[0], users[-1]
    assert "[image" in first.text
    assert "file-abc123" in first.text
    assert "My monstera has yellow leaves" in first.text
    assert "file_000000004c2a61f6b1d2e3f4a5b6c7d8" in last.text
    assert "does this look healthy?" in last.text
    # The placeholder is a name, not the internal pointer URL.
    assert "file-service://" not in shown(conv)
    assert "sediment://" not in shown(conv)


def test_sample_audio_transcriptions_are_kept() -> None:
    conv = sample()[HOUSEPLANT]
    text = shown(conv)
    assert "Okay, I moved it next to the east window. How often should I water it now?" in text
    assert "An east window is perfect." in text


def test_code_renders_as_a_fenced_block() -> None:
    code = {"content_type": "code", "language": "python", "text": "def pick(section):\n    return section"}
    nodes = [("root", None, None), ("u", "root", msg("user", "hi", t=T0)), ("a", "u", msg("assistant", content=code))]
    conv = normalize_conversation(build(nodes))
    assert conv.messages[-1].text == "```python\ndef pick(section):\n    return section\n```"


def test_sample_tool_call_code_is_fenced() -> None:
    conv = sample()[PARSE_CONFIG]
    (call,) = [m for m in conv.messages if "TOOLCALLWORD" in m.text]
    assert call.content_type == "code"
    assert call.recipient == "python"
    assert call.text.startswith("```\n")
    assert call.text.endswith("\n```")
    assert "def pick(section, *names, default=None):" in call.text


def test_sample_continue_generating_keeps_both_halves_of_the_query() -> None:
    conv = sample()[SQL]
    text = "".join(m.text for m in conv.transcript() if m.role == "assistant")
    assert "LEFT JOIN monthly p" in text
    assert "count(p.user_id) AS retained_users" in text
