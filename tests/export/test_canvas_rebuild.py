"""The canvas rebuild rules (chatgpt-files-and-canvas.md §3) and the deep-research forms (§4), on raw conversations
built here: what normalizing makes of them is what every face shows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatgpt_history_mcp.export.canvas import (
    TEXTDOCS_KEY,
    UpdateFailed,
    apply_update,
    lenient_json,
    mentions_canvas,
    rewrites_everything,
)
from chatgpt_history_mcp.export.normalize import normalize_conversation
from chatgpt_history_mcp.model import Conversation, Message
from chatgpt_history_mcp.search.searchable import searchable_messages

T0 = 1_735_689_600.0  # 2025-01-01


class Chat:
    """A raw conversation written turn by turn, each node the only child of the one before."""

    def __init__(self) -> None:
        self.mapping: dict[str, Any] = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
        self.last = "root"

    def add(self, role: str, content: dict[str, Any], **extra: Any) -> str:
        node = f"n{len(self.mapping)}"
        message = {
            "id": node,
            "author": {"role": role, "name": extra.pop("name", None), "metadata": {}},
            "create_time": T0 + len(self.mapping) * 10,
            "content": content,
            "status": "finished_successfully",
            "weight": 1.0,
            "metadata": extra.pop("metadata", {}),
            "recipient": extra.pop("recipient", "all"),
            **extra,
        }
        self.mapping[node] = {"id": node, "message": message, "parent": self.last, "children": []}
        self.mapping[self.last]["children"].append(node)
        self.last = node
        return node

    def say(self, role: str, text: str, **extra: Any) -> str:
        return self.add(role, {"content_type": "text", "parts": [text]}, **extra)

    def canvas(
        self, tool: str, payload: Any, textdoc_id: str | None = "doc1", version: int | None = None, reply: str = ""
    ) -> str:
        """A canmore call (its JSON as ``code``, or the raw text given) and, unless ``textdoc_id`` is None and
        ``reply`` empty, the tool's reply."""
        text = payload if isinstance(payload, str) else json.dumps(payload)
        call = self.add(
            "assistant",
            {"content_type": "code", "language": "json", "text": text},
            recipient=f"canmore.{tool}",
            metadata={"model_slug": "gpt-4o"},
        )
        if textdoc_id is not None or reply:
            meta = {"canvas": {"textdoc_id": textdoc_id, "version": version}} if textdoc_id else {}
            said = reply or f"Successfully updated text document with textdoc_id '{textdoc_id}'"
            self.say("tool", said, name=f"canmore.{tool}", metadata=meta)
        return call

    def raw(self, **extra: Any) -> dict[str, Any]:
        return {"id": "chat", "title": "Canvas", "mapping": self.mapping, "current_node": self.last, **extra}

    def conversation(self, **extra: Any) -> Conversation:
        return normalize_conversation(self.raw(**extra))


def canvases(conv: Conversation) -> list[Message]:
    return [m for m in conv.transcript() if m.kind == "canvas"]


def only_canvas(conv: Conversation) -> Message:
    (canvas,) = canvases(conv)
    assert canvas.canvas is not None
    return canvas


def create(chat: Chat, content: str, name: str = "draft", kind: str = "document", textdoc_id: str = "doc1") -> str:
    return chat.canvas("create_textdoc", {"name": name, "type": kind, "content": content}, textdoc_id, 1)


def update(pattern: str, replacement: str, multiple: bool = False) -> dict[str, Any]:
    return {"updates": [{"pattern": pattern, "multiple": multiple, "replacement": replacement}]}


# ---- the edit rules, alone


def test_the_first_match_is_replaced_unless_multiple() -> None:
    assert apply_update("a cat, a cat", "cat", "dog") == "a dog, a cat"
    assert apply_update("a cat, a cat", "cat", "dog", multiple=True) == "a dog, a dog"


def test_patterns_are_dotall_and_replacements_expand_groups_and_escapes() -> None:
    assert apply_update("one\ntwo\nthree", "one.*two", "1-2") == "1-2\nthree"
    assert apply_update("Jane Smith", r"(\w+) (?P<last>\w+)", r"\g<last>, \1") == "Smith, Jane"
    assert apply_update("a b", " ", r"\n") == "a\nb"  # Match.expand turns the escape into a newline


def test_an_edit_that_cannot_apply_says_why() -> None:
    with pytest.raises(UpdateFailed, match="matched nothing"):
        apply_update("hello", "goodbye", "x")
    with pytest.raises(UpdateFailed, match="not a valid regex"):
        apply_update("hello", "(unclosed", "x")
    with pytest.raises(UpdateFailed, match="replacement"):
        apply_update("hello", "hel(lo)", r"\2")


def test_a_whole_rewrite_is_recognized_whatever_its_spelling() -> None:
    assert all(rewrites_everything(p) for p in (".*", "(?s).*", "^.*$", r"[\s\S]*", "(.*)"))
    assert not any(rewrites_everything(p) for p in ("Hello.*", "^#.*", ".", "(unclosed"))


def test_call_json_is_read_leniently() -> None:
    cut = '{"updates": [{"pattern": ".*", "multiple": false, "replacement": "new text"}'
    assert lenient_json(cut) == update(".*", "new text")
    assert lenient_json('{"name": "a", "content": "line one\nline two"}')["content"] == "line one\nline two"
    with pytest.raises(ValueError):
        lenient_json("not json at all")


# ---- rebuilding a document from the calls of a conversation


def test_create_then_regex_update_gives_each_version_and_the_final_text() -> None:
    chat = Chat()
    chat.say("user", "write a haiku in a canvas")
    first = create(chat, "Old pond\nfrog jumps in\nsound of water")
    chat.say("assistant", "Here it is.")
    chat.say("user", "make it a toad")
    second = chat.canvas("update_textdoc", update("frog", "toad"), version=2)
    chat.say("assistant", "Done.")
    conv = chat.conversation()
    canvas = only_canvas(conv)
    assert canvas.text == "Old pond\ntoad jumps in\nsound of water"
    assert canvas.canvas is not None
    assert (canvas.canvas.title, canvas.canvas.type, canvas.canvas.version) == ("draft", "document", 2)
    assert [(v.version, v.text, v.message_id) for v in canvas.canvas.versions] == [
        (1, "Old pond\nfrog jumps in\nsound of water", first),
        (2, canvas.text, second),
    ]
    assert canvas.canvas.exact and canvas.canvas.notes == [] and not canvas.hidden
    assert canvas.role == "assistant" and canvas.model == "gpt-4o"


def test_the_canvas_is_shown_after_its_last_update_and_the_tree_stays_one_chain() -> None:
    chat = Chat()
    chat.say("user", "draft it")
    create(chat, "v1")
    chat.say("assistant", "Drafted.")
    chat.say("user", "change it")
    chat.canvas("update_textdoc", update(".*", "v2"), version=2)
    reply = chat.last
    done = chat.say("assistant", "Changed.")
    conv = chat.conversation()
    shown = conv.transcript()
    assert [(m.role, m.kind, m.text) for m in shown] == [
        ("user", "message", "draft it"),
        ("assistant", "message", "Drafted."),
        ("user", "message", "change it"),
        ("assistant", "canvas", "v2"),
        ("assistant", "message", "Changed."),
    ]
    canvas = shown[3]
    by_id = {m.id: m for m in conv.messages}
    assert canvas.parent_id == reply and by_id[done].parent_id == canvas.id  # spliced in, not a sibling
    assert conv.current_path.index(canvas.id) == conv.current_path.index(reply) + 1
    hidden = [m for m in conv.transcript(include_hidden=True) if m.hidden]
    assert sum(1 for m in hidden if (m.recipient or "").startswith("canmore.")) == 2  # the calls stay hidden


def test_a_pattern_that_matches_nothing_keeps_the_last_good_text_and_says_so() -> None:
    chat = Chat()
    create(chat, "The quick brown fox")
    chat.canvas("update_textdoc", update("purple", "green"), version=2)
    chat.canvas("update_textdoc", update("quick", "slow"), version=3)
    canvas = only_canvas(chat.conversation())
    assert canvas.text == "The slow brown fox"
    assert canvas.canvas is not None
    assert [v.text for v in canvas.canvas.versions] == ["The quick brown fox", "The quick brown fox", canvas.text]
    assert not canvas.canvas.exact
    assert "'purple' matched nothing" in (canvas.canvas.versions[1].note or "")
    assert any("version 2" in note and "matched nothing" in note for note in canvas.canvas.notes)


def test_multiple_replaces_every_match_and_edits_apply_in_order() -> None:
    chat = Chat()
    create(chat, "red, red, red")
    edits = {
        "updates": [
            {"pattern": "red", "multiple": True, "replacement": "blue"},
            {"pattern": "blue", "multiple": False, "replacement": "green"},
        ]
    }
    chat.canvas("update_textdoc", edits, version=2)
    assert only_canvas(chat.conversation()).text == "green, blue, blue"


def test_update_json_without_its_closing_brackets_still_applies() -> None:
    chat = Chat()
    create(chat, "draft")
    cut = json.dumps(update(".*", "final text"))[:-2]
    assert cut.endswith('"}')
    chat.canvas("update_textdoc", cut, version=2)
    canvas = only_canvas(chat.conversation())
    assert canvas.text == "final text"
    assert canvas.canvas is not None and canvas.canvas.exact


def test_an_unreadable_update_keeps_the_text_and_says_it_may_differ() -> None:
    chat = Chat()
    create(chat, "draft")
    chat.canvas("update_textdoc", '{"updates": [{"pattern": "dr", "multiple": tr', version=2)
    canvas = only_canvas(chat.conversation())
    assert canvas.text == "draft" and canvas.canvas is not None
    assert not canvas.canvas.exact and "could not be read" in canvas.canvas.notes[0]


def test_an_update_chatgpt_refused_changes_nothing() -> None:
    chat = Chat()
    create(chat, "keep me")
    chat.canvas("update_textdoc", update("keep", "lose"), textdoc_id=None, reply="Failed with error: pattern not found")
    canvas = only_canvas(chat.conversation())
    assert canvas.text == "keep me" and canvas.canvas is not None
    assert [v.version for v in canvas.canvas.versions] == [1]
    assert "refused by ChatGPT (Failed with error: pattern not found)" in canvas.canvas.notes[0]


def test_updates_go_to_the_document_the_reply_names_else_the_current_one() -> None:
    chat = Chat()
    create(chat, "first doc", name="one", textdoc_id="aaa")
    create(chat, "second doc", name="two", textdoc_id="bbb")
    chat.canvas("update_textdoc", update("doc", "DOC"), textdoc_id="aaa", version=2)  # the reply names aaa
    chat.canvas("update_textdoc", update("DOC", "text"), textdoc_id=None)  # no reply: the current one (aaa)
    docs = {m.canvas.title: m.text for m in canvases(chat.conversation()) if m.canvas}
    assert docs == {"one": "first text", "two": "second doc"}


def test_the_textdoc_id_is_read_from_the_reply_text_when_metadata_lacks_it() -> None:
    chat = Chat()
    chat.canvas(
        "create_textdoc",
        {"name": "n", "type": "code/python", "content": "print(1)"},
        textdoc_id=None,
        reply="Successfully created text document 'n' which will be referenced in all future messages with the "
        "unique identifier textdoc_id: '67a1b2c3d4'",
    )
    canvas = only_canvas(chat.conversation())
    assert canvas.canvas is not None and canvas.canvas.textdoc_id == "67a1b2c3d4"
    assert canvas.id == "canvas-67a1b2c3d4" and canvas.content_type == "code"


def test_a_document_created_elsewhere_is_unknown_until_rewritten_whole() -> None:
    chat = Chat()
    chat.canvas("update_textdoc", update("x", "y"), textdoc_id="far", version=5)
    partial = only_canvas(chat.conversation())
    assert partial.text == "" and partial.canvas is not None and not partial.canvas.exact
    assert "created outside this conversation" in partial.canvas.notes[0]
    chat.canvas("update_textdoc", update(".*", "all new"), textdoc_id="far", version=6)
    rewritten = only_canvas(chat.conversation())
    assert rewritten.text == "all new" and rewritten.canvas is not None and rewritten.canvas.exact
    assert rewritten.canvas.version == 6


def test_comments_are_kept_with_the_version_they_were_left_on() -> None:
    chat = Chat()
    create(chat, "Dear Sir")
    chat.canvas("comment_textdoc", {"comments": [{"pattern": "Sir", "comment": "Use their name"}]}, version=1)
    chat.canvas("update_textdoc", update("Sir", "Ms Lee"), version=2)
    canvas = only_canvas(chat.conversation())
    assert canvas.canvas is not None
    assert [(c.quote, c.comment, c.version) for c in canvas.canvas.comments] == [("Sir", "Use their name", 1)]


def test_only_the_current_branch_is_rebuilt() -> None:
    chat = Chat()
    chat.say("user", "draft")
    fork = chat.last
    create(chat, "abandoned draft", textdoc_id="old")
    chat.last = fork
    create(chat, "kept draft", textdoc_id="new")
    conv = chat.conversation()
    assert [m.text for m in canvases(conv)] == ["kept draft"]


# ---- ChatGPT's own text (a sync's …/textdocs) over the rebuild


def test_chatgpt_textdocs_correct_the_rebuild_and_history_gives_the_versions() -> None:
    chat = Chat()
    first = create(chat, "v1 text")
    second = chat.canvas("update_textdoc", update("nomatch", "zzz"), version=2)
    edited = [{"id": "doc1", "version": 3, "title": "draft", "textdoc_type": "document", "content": "edited by hand"}]
    corrected = only_canvas(chat.conversation(**{TEXTDOCS_KEY: edited}))
    assert corrected.text == "edited by hand" and corrected.canvas is not None
    assert (corrected.canvas.version, corrected.canvas.source, corrected.canvas.exact) == (3, "chatgpt", True)
    assert "the text shown is ChatGPT's" in corrected.canvas.notes[0]
    assert [(v.version, v.message_id) for v in corrected.canvas.versions] == [(1, first), (2, second), (3, None)]

    states = [{"version": 2, "content": "v2 as it was"}, {"version": 1, "content": "v1 text"}]
    with_history = only_canvas(chat.conversation(**{TEXTDOCS_KEY: [{**edited[0], "previous_doc_states": states}]}))
    assert with_history.canvas is not None
    assert [(v.version, v.text, v.message_id) for v in with_history.canvas.versions] == [
        (1, "v1 text", first),
        (2, "v2 as it was", second),
        (3, "edited by hand", None),
    ]


def test_a_document_only_chatgpt_knows_is_shown_at_the_end() -> None:
    chat = Chat()
    chat.say("user", "hello")
    mentions = [{"id": "solo", "version": 1, "title": "Notes", "textdoc_type": "document", "content": "only here"}]
    conv = chat.conversation(**{TEXTDOCS_KEY: mentions})
    assert [(m.kind, m.text) for m in conv.transcript()] == [("message", "hello"), ("canvas", "only here")]


def test_a_conversation_mentions_a_canvas_by_its_calls_or_replies() -> None:
    chat = Chat()
    chat.say("user", "hi")
    assert not mentions_canvas(chat.raw())
    create(chat, "x")
    assert mentions_canvas(chat.raw())


# ---- search: the final text where the person saw it, earlier versions at the hidden weight


def test_search_sees_the_final_text_visible_and_earlier_lines_once_behind_their_calls() -> None:
    chat = Chat()
    first = create(chat, "kept line\nfirst wording")
    second = chat.canvas("update_textdoc", update("first wording", "second wording"), version=2)
    third = chat.canvas("update_textdoc", update("second", "final"), version=3)
    conv = chat.conversation()
    seen = {m.id: (m.hidden, found, text) for m, text, found in searchable_messages(conv)}
    canvas = only_canvas(conv)
    assert seen[canvas.id] == (False, "canvas", "kept line\nfinal wording")
    assert seen[first] == (True, "canvas", "first wording")
    assert seen[second] == (True, "canvas", "second wording")
    assert third not in seen  # its words are the canvas message's


# ---- deep research


def report_state(text: str, refs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "status": "completed",
        "report_message": {
            "content": {"content_type": "text", "parts": [text]},
            "metadata": {"content_references": refs or []},
        },
    }


CITE = "\ue200cite\ue202turn0search1\ue201"
REF = {
    "matched_text": CITE,
    "type": "grouped_webpages",
    "items": [{"title": "Tank sizing", "url": "https://water.example.org/size"}],
}


@pytest.mark.parametrize(
    "metadata",
    [
        {"chatgpt_sdk": {"widget_state": json.dumps(report_state(f"Report words {CITE}.", [REF]))}},
        {"chatgpt_sdk": {"widget_state": report_state(f"Report words {CITE}.", [REF])}},
        {
            "chatgpt_sdk": {
                "tool_response_metadata": {"widget_state": json.dumps(report_state(f"Report words {CITE}.", [REF]))}
            }
        },
        {"venus_widget_state": report_state(f"Report words {CITE}.", [REF])},
    ],
    ids=["json-string", "object", "tool-response-metadata", "venus"],
)
def test_a_widget_report_is_the_assistants_answer_with_its_citations(metadata: dict[str, Any]) -> None:
    chat = Chat()
    chat.say("user", "research tanks")
    chat.say("assistant", "", metadata=metadata)
    (answer,) = [m for m in chat.conversation().transcript() if m.role == "assistant"]
    assert (answer.kind, answer.hidden) == ("deep_research", False)
    # No alt on the reference: it is linked from its items, the shape an alt has.
    assert answer.text == "Report words  ([Tank sizing](https://water.example.org/size))."


def test_a_report_a_tool_spells_out_is_shown_once() -> None:
    state = report_state("The tool's report")
    chat = Chat()
    chat.say("user", "research")
    chat.say("tool", f"The latest state of the widget is: {json.dumps(state)}", name="deep_research")
    alone = [m for m in chat.conversation().transcript() if m.kind == "deep_research"]
    assert [(m.role, m.text) for m in alone] == [("assistant", "The tool's report")]
    chat.say("assistant", "", metadata={"chatgpt_sdk": {"widget_state": state}})
    both = [m for m in chat.conversation().transcript() if m.kind == "deep_research"]
    assert [(m.role, m.text, m.author_name) for m in both] == [("assistant", "The tool's report", None)]


def test_unfinished_research_says_so_and_sources_never_cited_inline_are_listed() -> None:
    chat = Chat()
    chat.say("user", "research")
    running = {"status": "waiting_for_user_response_on_plan", "plan": {"title": "Tank plan"}}
    chat.say("assistant", "", metadata={"chatgpt_sdk": {"widget_state": json.dumps(running)}})
    (waiting,) = [m for m in chat.conversation().transcript() if m.role == "assistant"]
    assert (
        waiting.text == "[deep research waiting for user response on plan: Tank plan; its report is not in this copy]"
    )

    chat = Chat()
    chat.say("user", "research")
    listed = {"matched_text": "", "items": [{"title": "Uncited", "url": "https://example.org/u"}]}
    chat.say(
        "assistant",
        "The 2025 report.",
        metadata={"is_async_task_result_message": True, "content_references": [listed]},
    )
    (report,) = [m for m in chat.conversation().transcript() if m.role == "assistant"]
    assert report.kind == "deep_research"
    assert report.text == "The 2025 report.\n\nSources:\n- [Uncited](https://example.org/u)"
