"""chatgpt/sse.py: the SSE wire format and the v1 delta encoding of ``POST /backend-api/f/conversation``.

Hand-written streams cover each rule (``chatgpt-data.md`` §2.4); randomized tests check the decoder against a
plain reference implementation of the same operations, and the parser against random splits and line endings.
All content here is made up.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from chatgpt_history_mcp.chatgpt.sse import (
    DeltaDecoder,
    IncompleteStream,
    SSEEvent,
    SSEParser,
    StreamError,
)

# -- helpers -----------------------------------------------------------------------------------------------


def block(data: Any, event: str | None = None, *, nl: str = "\n") -> str:
    """One SSE event; ``data`` is JSON-encoded unless it is already a string."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}{nl}" if event else ""
    return f"{head}data: {text}{nl}{nl}"


def delta(**fields: Any) -> str:
    return block(fields, "delta")


ENCODING = block('"v1"', "delta_encoding")
COMPLETE = block({"type": "message_stream_complete", "conversation_id": "C"})
DONE = block("[DONE]")


def root(
    message_id: str,
    *,
    role: str = "assistant",
    text: str = "",
    status: str = "in_progress",
    end_turn: bool | None = None,
    recipient: str = "all",
    channel: str | None = None,
    content: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": message_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "content": content or {"content_type": "text", "parts": [text]},
        "status": status,
        "end_turn": end_turn,
        "weight": 1.0,
        "metadata": metadata if metadata is not None else {},
        "recipient": recipient,
        "channel": channel,
    }
    return {"message": message, "conversation_id": "C", "error": None}


FINISH = [
    {"p": "/message/status", "o": "replace", "v": "finished_successfully"},
    {"p": "/message/end_turn", "o": "replace", "v": True},
]


def run(stream: str | bytes, chunks: Iterable[int] | None = None, **bounds: int) -> DeltaDecoder:
    """Feed a whole stream (optionally split at the given sizes) through parser and decoder, without finish."""
    data = stream.encode() if isinstance(stream, str) else stream
    parser_bounds = {k: v for k, v in bounds.items() if k in ("max_line_bytes", "max_event_bytes")}
    decoder_bounds = {k: v for k, v in bounds.items() if k in ("max_message_bytes", "max_messages")}
    parser = SSEParser(**parser_bounds)
    decoder = DeltaDecoder(**decoder_bounds)
    pieces: list[bytes] = []
    if chunks is None:
        pieces = [data]
    else:
        pos = 0
        for size in chunks:
            pieces.append(data[pos : pos + size])
            pos += size
        pieces.append(data[pos:])
    for piece in pieces:
        for event in parser.feed(piece):
            decoder.feed(event)
    for event in parser.finish():
        decoder.feed(event)
    return decoder


def events_of(stream: bytes, splits: Sequence[int] = ()) -> list[SSEEvent]:
    parser = SSEParser()
    out: list[SSEEvent] = []
    pos = 0
    for cut in [*splits, len(stream)]:
        out += parser.feed(stream[pos:cut])
        pos = cut
    return out + parser.finish()


DOC_EXAMPLE = (
    ENCODING
    + delta(
        p="",
        o="add",
        v={
            "message": {
                "id": "A",
                "author": {"role": "assistant"},
                "content": {"content_type": "text", "parts": [""]},
                "status": "in_progress",
                "recipient": "all",
            },
            "conversation_id": "C",
        },
        c=1,
    )
    + delta(p="/message/content/parts/0", o="append", v="Hel")
    + delta(v="lo")
    + delta(
        o="patch",
        v=[
            {"p": "/message/content/parts/0", "o": "append", "v": "!"},
            {"p": "/message/status", "o": "replace", "v": "finished_successfully"},
            {"p": "/message/end_turn", "o": "replace", "v": True},
        ],
    )
    + COMPLETE
    + DONE
)


# -- the documented example ---------------------------------------------------------------------------------


def test_doc_example_decodes_to_hello() -> None:
    decoder = run(DOC_EXAMPLE)
    assert decoder.delta_encoding == "v1"
    assert decoder.complete
    result = decoder.finish()
    assert result.answer == "Hello!"
    assert result.answer_message_id == "A"
    assert result.conversation_id == "C"
    assert result.answer_message["status"] == "finished_successfully"


# -- inheritance -------------------------------------------------------------------------------------------


def test_missing_p_and_o_are_inherited_and_v_never_is() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A"), c=0)
        + delta(p="/message/content/parts/0", o="append", v="a")
        + delta(v="b")
        + delta(v="c")
        + delta(p="/message/metadata/note", o="add", v="x")  # p and o both given
        + delta(p="/message/metadata/other")  # o inherited ("add"), but no v: an error
    )
    with pytest.raises(StreamError, match="carries no value"):
        run(stream)
    decoder = run(stream.rsplit("event: delta", 1)[0])
    assert decoder.messages["A"]["content"]["parts"] == ["abc"]
    assert decoder.messages["A"]["metadata"] == {"note": "x"}


def test_only_p_changes_and_o_is_inherited() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A", content={"content_type": "text", "parts": ["", ""]}), c=0)
        + delta(p="/message/content/parts/0", o="append", v="one")
        + delta(p="/message/content/parts/1", v="two")
        + delta(v="!")
    )
    assert run(stream).messages["A"]["content"]["parts"] == ["one", "two!"]


def test_bare_v_without_anything_to_inherit_is_an_error() -> None:
    with pytest.raises(StreamError, match="none to inherit"):
        run(ENCODING + delta(v="hi"))


def test_delta_before_any_message_is_an_error() -> None:
    with pytest.raises(StreamError, match="before any message"):
        run(ENCODING + delta(p="/message/content/parts/0", o="append", v="x"))


def test_bare_text_after_a_patch_appends_where_the_patch_last_wrote() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A"), c=0)
        + delta(p="", o="patch", v=[{"p": "/message/content/parts/0", "o": "append", "v": "Hi"}])
        + delta(v=" there")
        + delta(v=[{"p": "/message/content/parts/0", "o": "append", "v": "!"}, *FINISH])  # inherited: a patch
        + DONE
    )
    assert run(stream).finish().answer == "Hi there!"


# -- operations --------------------------------------------------------------------------------------------


def test_patch_sub_operations_inherit_within_the_patch() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A", content={"content_type": "text", "parts": ["", ""]}), c=0)
        + delta(
            p="",
            o="patch",
            v=[
                {"p": "/message/content/parts/0", "o": "append", "v": "x"},
                {"v": "y"},  # same p, same o
                {"p": "/message/content/parts/1", "v": "z"},  # o inherited
                {"p": "/message/status", "o": "replace", "v": "finished_successfully"},
                {"p": "/message/end_turn", "v": True},
            ],
        )
        + COMPLETE
    )
    decoder = run(stream)
    assert decoder.messages["A"]["content"]["parts"] == ["xy", "z"]
    assert decoder.finish().answer == "xy\nz"


def test_first_patch_operation_without_an_op_is_an_error() -> None:
    stream = ENCODING + delta(p="", o="add", v=root("A"), c=0) + delta(p="", o="patch", v=[{"p": "/x", "v": 1}])
    with pytest.raises(StreamError, match="bad patch operation"):
        run(stream)


def test_truncate_strings_and_lists() -> None:
    message = root("A", text="Hello world")
    message["message"]["metadata"] = {"items": [1, 2, 3, 4]}
    stream = (
        ENCODING
        + delta(p="", o="add", v=message, c=0)
        + delta(p="/message/content/parts/0", o="truncate", v=5)
        + delta(p="/message/metadata/items", v=1)
        + delta(p="/message/content/parts/0", o="append", v="!")
    )
    decoder = run(stream)
    assert decoder.messages["A"]["content"]["parts"] == ["Hello!"]
    assert decoder.messages["A"]["metadata"]["items"] == [1]


@pytest.mark.parametrize("bad", [-1, "3", True, None])
def test_truncate_needs_a_length(bad: Any) -> None:
    stream = ENCODING + delta(p="", o="add", v=root("A", text="abc"), c=0)
    with pytest.raises(StreamError, match="truncate"):
        run(stream + delta(p="/message/content/parts/0", o="truncate", v=bad))


def test_remove_from_objects_and_lists() -> None:
    message = root("A", content={"content_type": "text", "parts": ["a", "b", "c"]})
    message["message"]["metadata"] = {"drop": 1, "keep": 2}
    stream = (
        ENCODING
        + delta(p="", o="add", v=message, c=0)
        + delta(p="/message/metadata/drop", o="remove")
        + delta(p="/message/content/parts/1")  # o inherited
        + delta(p="/message/metadata/never-there")  # removing nothing is harmless
    )
    decoder = run(stream)
    assert decoder.messages["A"]["metadata"] == {"keep": 2}
    assert decoder.messages["A"]["content"]["parts"] == ["a", "c"]


def test_add_and_replace_follow_json_patch() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A", content={"content_type": "text", "parts": ["b"]}), c=0)
        + delta(p="/message/content/parts/0", o="add", v="a")  # insert before
        + delta(p="/message/content/parts/-", v="c")  # append at the end
        + delta(p="/message/content/parts/1", o="replace", v="B")
        + delta(p="/message/metadata/model_slug", o="add", v="gpt-test")
    )
    decoder = run(stream)
    assert decoder.messages["A"]["content"]["parts"] == ["a", "B", "c"]
    assert decoder.messages["A"]["metadata"]["model_slug"] == "gpt-test"


def test_append_extends_lists_and_merges_objects() -> None:
    message = root("A")
    message["message"]["metadata"] = {"refs": [1], "finish": None, "keep": True}
    stream = (
        ENCODING
        + delta(p="", o="add", v=message, c=0)
        + delta(p="/message/metadata/refs", o="append", v=[2, 3])
        + delta(v={"single": "item"})  # a non-list value is appended as one item
        + delta(p="/message/metadata", v={"is_complete": True, "keep": False})
        + delta(p="/message/metadata/finish", v={"type": "stop"})  # appending to null sets it
        + delta(p="/message/metadata/new_key", v="fresh")  # appending to a missing key sets it
    )
    meta = run(stream).messages["A"]["metadata"]
    assert meta == {
        "refs": [1, 2, 3, {"single": "item"}],
        "finish": {"type": "stop"},
        "keep": False,
        "is_complete": True,
        "new_key": "fresh",
    }


def test_append_of_mismatched_types_is_an_error() -> None:
    stream = ENCODING + delta(p="", o="add", v=root("A", text="abc"), c=0)
    with pytest.raises(StreamError, match="cannot append"):
        run(stream + delta(p="/message/content/parts/0", o="append", v=5))


def test_json_pointer_escapes() -> None:
    message = root("A")
    message["message"]["metadata"] = {"a/b": "", "c~d": [""], "~1": ""}
    stream = (
        ENCODING
        + delta(p="", o="add", v=message, c=0)
        + delta(p="/message/metadata/a~1b", o="append", v="slash")
        + delta(p="/message/metadata/c~0d/0", v="tilde")
        + delta(p="/message/metadata/~01", v="literal")
    )
    assert run(stream).messages["A"]["metadata"] == {"a/b": "slash", "c~d": ["tilde"], "~1": "literal"}


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("message/status", "start with '/'"),
        ("/message/x~2", "followed by 0 or 1"),
        ("/message/content/parts/7", "out of range"),
        ("/message/content/parts/zero", "bad list index"),
        ("/message/nothing/here", "does not exist"),
    ],
)
def test_bad_paths_are_errors(path: str, why: str) -> None:
    stream = ENCODING + delta(p="", o="add", v=root("A"), c=0)
    with pytest.raises(StreamError, match=why):
        run(stream + delta(p=path, o="replace", v="x"))


def test_unknown_operation_is_an_error() -> None:
    with pytest.raises(StreamError, match="bad delta"):
        run(ENCODING + delta(p="", o="add", v=root("A"), c=0) + delta(p="/message/status", o="move", v="x"))


# -- messages ----------------------------------------------------------------------------------------------


def test_add_at_the_root_installs_a_new_message_and_all_are_kept_in_order() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("sys", role="system", status="finished_successfully"), c=0)
        + delta(v=root("A"), c=1)  # p "" and o "add" inherited: another message
        + delta(p="/message/content/parts/0", o="append", v="first")
        + delta(p="", o="add", v=root("B"), c=2)
        + delta(p="/message/content/parts/0", o="append", v="second")
    )
    decoder = run(stream)
    assert list(decoder.messages) == ["sys", "A", "B"]
    assert decoder.messages["A"]["content"]["parts"] == ["first"]
    assert decoder.messages["B"]["content"]["parts"] == ["second"]
    assert decoder.answer_message_id == "B"


def test_c_routes_a_delta_to_an_earlier_message() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A"), c=0)
        + delta(v=root("B"), c=1)
        + delta(p="/message/content/parts/0", o="append", v="to A", c=0)
        + delta(v=" again")  # c inherited
        + delta(v="to B", c=1)
    )
    decoder = run(stream)
    assert decoder.messages["A"]["content"]["parts"] == ["to A again"]
    assert decoder.messages["B"]["content"]["parts"] == ["to B"]


def test_replayed_history_answer_is_the_last_assistant_message() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("U1", role="user", text="old question", status="finished_successfully"), c=0)
        + delta(v=root("A1", text="old answer", status="finished_successfully", end_turn=True), c=1)
        + block({"type": "input_message", "input_message": root("U2", role="user")["message"], "conversation_id": "C"})
        + delta(v=root("A2", metadata={"model_slug": "gpt-test"}), c=2)
        + delta(p="/message/content/parts/0", o="append", v="new answer")
        + delta(p="", o="patch", v=FINISH)
        + block({"type": "title_generation", "title": "A title", "conversation_id": "C"})
        + COMPLETE
        + DONE
    )
    result = run(stream).finish()
    assert result.answer == "new answer"
    assert result.answer_message_id == "A2"
    assert result.user_message_id == "U2"
    assert result.model == "gpt-test"
    assert result.title == "A title"


def test_replayed_answer_is_never_taken_for_the_new_one() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("U1", role="user", text="old", status="finished_successfully"), c=0)
        + delta(v=root("A1", text="old answer", status="finished_successfully", end_turn=True), c=1)
        + delta(v=root("U2", role="user", text="new question", status="finished_successfully"), c=2)
        + DONE
    )
    decoder = run(stream)
    assert decoder.user_message_id == "U2"
    assert decoder.answer_message_id is None
    with pytest.raises(IncompleteStream, match="no assistant answer"):
        decoder.finish()


def test_tool_calls_and_analysis_are_not_the_answer() -> None:
    code = {"content_type": "code", "language": "python", "text": "print(1)"}
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("T", recipient="python", content=code), c=0)
        + delta(p="/message/status", o="replace", v="finished_successfully")
        + delta(v=root("tool-out", role="tool", text="1", status="finished_successfully"), p="", o="add", c=1)
        + delta(v=root("think", channel="analysis", text="reasoning"), c=2)
        + delta(v=root("F", channel="final", metadata={"model_slug": "gpt-x"}), c=3)
        + delta(p="/message/content/parts/0", o="append", v="The answer is 1.")
        + delta(p="/message/channel", o="replace", v="final")
        + delta(v=root("late", channel="commentary", text="aside"), p="", o="add", c=4)
        + delta(v=root("hidden", content={"content_type": "reasoning_recap", "content": "Thought for 2s"}), c=5)
        + delta(p="", o="patch", v=[{"p": "/message/status", "o": "replace", "v": "finished_successfully"}], c=3)
        + COMPLETE
    )
    decoder = run(stream)
    assert list(decoder.messages) == ["T", "tool-out", "think", "F", "late", "hidden"]
    result = decoder.finish()  # the final channel ends the turn without end_turn
    assert (result.answer, result.answer_message_id, result.model) == ("The answer is 1.", "F", "gpt-x")


def test_non_text_answer_content_reads_as_text() -> None:
    content = {"content_type": "multimodal_text", "parts": ["See:", {"content_type": "image_asset_pointer"}]}
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A", content=content, status="finished_successfully", end_turn=True), c=0)
        + DONE
    )
    assert run(stream).finish().answer == "See:\n[image: attachment]"


def test_user_message_id_from_a_user_message_in_the_stream() -> None:
    stream = ENCODING + delta(p="", o="add", v=root("U", role="user", text="q"), c=0) + delta(v=root("A"), c=1)
    decoder = run(stream)
    assert decoder.user_message_id == "U"
    assert decoder.answer_message_id == "A"


def test_typed_events_feed_what_they_describe_and_the_rest_are_skipped() -> None:
    stream = (
        ENCODING
        + block({"type": "resume_conversation_token", "token": "t", "conversation_id": "C9"})
        + block({"type": "server_ste_metadata", "metadata": {"model_slug": "hinted"}, "conversation_id": "C9"})
        + block({"type": "message_marker", "message_id": "A", "marker": "user_visible_token", "event": "first"})
        + block({"type": "conversation_detail_metadata", "banner_info": None})
        + block({"something": "unknown"}, "custom")
        + block(["not", "an", "object"], "custom")
    )
    decoder = run(stream)
    assert decoder.conversation_id == "C9"
    assert decoder.model == "hinted"  # no answer yet: the announced model
    assert decoder.messages == {} and decoder.answer == ""
    with pytest.raises(IncompleteStream, match="no assistant answer"):
        decoder.finish()
    answered = run(stream + delta(p="", o="add", v=root("A", text="ok", status="finished_successfully", end_turn=True)))
    assert (answered.answer, answered.model, answered.conversation_id) == ("ok", "hinted", "C")


# -- completion --------------------------------------------------------------------------------------------


def test_message_stream_complete_alone_or_done_alone_completes() -> None:
    body = ENCODING + delta(p="", o="add", v=root("A", text="ok", status="finished_successfully", end_turn=True), c=0)
    assert run(body + COMPLETE).finish().answer == "ok"
    assert run(body + DONE).finish().answer == "ok"


def test_eof_before_completion_raises_with_the_partial_text() -> None:
    partial = DOC_EXAMPLE.split('event: delta\ndata: {"o": "patch"')[0]
    decoder = run(partial)
    assert not decoder.complete
    with pytest.raises(IncompleteStream) as info:
        decoder.finish()
    assert info.value.partial_text == "Hello"
    assert info.value.answer_message_id == "A"
    assert info.value.conversation_id == "C"
    assert info.value.missing == (
        "answer not finished (status='in_progress', end_turn=None)",
        "neither message_stream_complete nor [DONE] arrived",
    )
    assert isinstance(info.value, StreamError)


def test_finished_answer_without_stream_end_is_incomplete() -> None:
    decoder = run(DOC_EXAMPLE.split('data: {"type": "message_stream_complete"')[0])
    assert decoder.answer == "Hello!"
    with pytest.raises(IncompleteStream) as info:
        decoder.finish()
    assert info.value.missing == ("neither message_stream_complete nor [DONE] arrived",)
    assert info.value.partial_text == "Hello!"


def test_stream_end_without_end_turn_is_incomplete() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A", text="cut", metadata={"finish_details": {"type": "max_tokens"}}), c=0)
        + delta(p="/message/status", o="replace", v="finished_successfully")
        + delta(p="/message/end_turn", v=False)
        + COMPLETE
        + DONE
    )
    with pytest.raises(IncompleteStream, match=r"end_turn=False\) \(max_tokens\)") as info:
        run(stream).finish()
    assert info.value.partial_text == "cut"


def test_empty_stream_is_incomplete() -> None:
    with pytest.raises(IncompleteStream) as info:
        run(b"").finish()
    assert len(info.value.missing) == 2
    assert info.value.partial_text == ""


def test_truncated_last_line_is_dropped_at_eof() -> None:
    body = DOC_EXAMPLE.split('data: {"type"')[0]
    with pytest.raises(IncompleteStream, match="nor \\[DONE\\]"):
        run(body + "data: [DONE]").finish()  # the line never ended: it may be cut short
    # All lines arrived but not the closing blank line: the event still counts.
    assert run(body + "data: [DONE]\n").finish().answer == "Hello!"


# -- the snapshot stream -----------------------------------------------------------------------------------


def snapshot(text: str, *, final: bool) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": "S1",
        "author": {"role": "assistant", "metadata": {}},
        "content": {"content_type": "text", "parts": [text]},
        "end_turn": True if final else None,
        "weight": 1.0,
        "metadata": {"model_slug": "old-model", "finish_details": {"type": "stop"} if final else None},
        "recipient": "all",
    }
    return {"message": message, "conversation_id": "C-old", "error": None}


def test_snapshot_stream_without_delta_encoding() -> None:
    stream = (
        block(snapshot("Hi", final=False))
        + block(snapshot("Hi the", final=False))
        + block(snapshot("Hi there.", final=True))
        + DONE
    )
    decoder = run(stream)
    assert decoder.delta_encoding is None
    assert list(decoder.messages) == ["S1"]
    result = decoder.finish()
    assert (result.answer, result.answer_message_id, result.model, result.conversation_id) == (
        "Hi there.",
        "S1",
        "old-model",
        "C-old",
    )


def test_snapshot_stream_with_status() -> None:
    first = snapshot("Hel", final=False)
    first["message"]["status"] = "in_progress"
    last = snapshot("Hello", final=True)
    last["message"]["status"] = "finished_successfully"
    assert run(block(first) + block(last) + DONE).finish().answer == "Hello"
    with pytest.raises(IncompleteStream, match="in_progress"):
        run(block(first) + DONE).finish()


# -- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        block({"type": "error", "error": "Something went wrong"}),
        block({"error": {"message": "Something went wrong", "code": "x"}}),
        block({"message": None, "conversation_id": "C", "error": "Something went wrong"}),
        block({"detail": "Something went wrong"}, "error"),
        block("Something went wrong", "error"),
    ],
)
def test_server_errors_raise_with_the_server_message(event: str) -> None:
    with pytest.raises(StreamError) as info:
        run(ENCODING + delta(p="", o="add", v=root("A"), c=0) + event)
    assert info.value.server_message == "Something went wrong"
    assert "Something went wrong" in str(info.value)
    assert not isinstance(info.value, IncompleteStream)


def test_error_set_through_a_delta_raises() -> None:
    stream = ENCODING + delta(p="", o="add", v=root("A"), c=0) + delta(p="/error", o="replace", v="Too many requests")
    with pytest.raises(StreamError, match="Too many requests"):
        run(stream)


def test_invalid_json_and_unknown_encoding_are_errors() -> None:
    with pytest.raises(StreamError, match="not valid JSON"):
        run(ENCODING + block("{not json", "delta"))
    with pytest.raises(StreamError, match="unsupported delta encoding"):
        run(block('"v2"', "delta_encoding"))


# -- bounds ------------------------------------------------------------------------------------------------


def test_line_longer_than_the_bound_is_an_error() -> None:
    with pytest.raises(StreamError, match="longer than 100 bytes"):
        run("data: " + "x" * 200 + "\n\n", max_line_bytes=100)
    # also when the line never ends and arrives in small pieces
    parser = SSEParser(max_line_bytes=100)
    with pytest.raises(StreamError, match="longer than 100 bytes"):
        for _ in range(20):
            parser.feed(b"x" * 10)


def test_event_data_larger_than_the_bound_is_an_error() -> None:
    with pytest.raises(StreamError, match="more than 100 bytes"):
        run("data: 1234567890\n" * 20 + "\n", max_event_bytes=100)


def test_message_larger_than_the_bound_is_an_error() -> None:
    stream = ENCODING + delta(p="", o="add", v=root("A"), c=0) + delta(p="/message/content/parts/0", o="append", v="")
    ok = stream + delta(v="x" * 500)
    assert run(ok, max_message_bytes=2000).messages["A"]["content"]["parts"] == ["x" * 500]
    with pytest.raises(StreamError, match="grew past 2000 bytes"):
        run(ok + delta(v="é" * 600) + delta(v="x" * 500), max_message_bytes=2000)  # é: 2 bytes in UTF-8
    # truncation gives the room back
    trimmed = ok + delta(o="truncate", v=0) + delta(o="append", v="y" * 1500) + delta(o="truncate", v=0)
    parts = run(trimmed + delta(o="append", v="z" * 1500), max_message_bytes=2000).messages["A"]["content"]["parts"]
    assert parts == ["z" * 1500]
    with pytest.raises(StreamError, match="grew past"):
        run(block(snapshot("x" * 3000, final=False)), max_message_bytes=2000)


def test_too_many_messages_is_an_error() -> None:
    stream = ENCODING + "".join(delta(p="", o="add", v=root(f"m{i}"), c=i) for i in range(5))
    assert len(run(stream, max_messages=5).messages) == 5
    with pytest.raises(StreamError, match="more than 4 messages"):
        run(stream, max_messages=4)


def test_many_small_appends_stay_linear() -> None:
    pieces = ["tok "] * 50_000
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A"), c=0)
        + delta(p="/message/content/parts/0", o="append", v="")
        + "".join(f"event: delta\ndata: {json.dumps({'v': p})}\n\n" for p in pieces)
        + delta(p="", o="patch", v=FINISH)
        + DONE
    )
    assert run(stream).finish().answer == "tok " * 50_000


# -- the SSE wire format -----------------------------------------------------------------------------------


def test_split_at_every_byte_offset_gives_the_same_result() -> None:
    stream = (
        ENCODING
        + delta(p="", o="add", v=root("A", metadata={"model_slug": "m"}), c=0)
        + delta(p="/message/content/parts/0", o="append", v="Grüße, ")
        + delta(v="世界 😀!")
        + delta(p="", o="patch", v=FINISH)
        + ": a comment\n\n"
        + DONE
    ).encode()
    whole = run(stream).finish()
    assert whole.answer == "Grüße, 世界 😀!"
    for cut in range(len(stream) + 1):
        assert run(stream, [cut]).finish() == whole, cut
    assert run(stream, [1] * len(stream)).finish() == whole


@pytest.mark.parametrize("nl", ["\r\n", "\r", "\n"])
def test_line_endings(nl: str) -> None:
    text = DOC_EXAMPLE.replace("\n", nl).encode()
    assert run(text).finish().answer == "Hello!"
    for cut in range(len(text)):  # a CRLF split between two chunks is still one line end
        assert run(text, [cut]).finish().answer == "Hello!"


def test_parser_fields() -> None:
    stream = (
        "\ufeff: comment\n"
        "event: first\n"
        "data: line one\n"
        "data:line two\n"
        "data\n"
        "id: 7\n"
        "retry: 100\n"
        "unknown: x\n"
        "\n"
        "event: no-data\n"
        "\n"
        "data:  two spaces\n"
        "\n"
    ).encode()
    assert events_of(stream) == [
        SSEEvent("first", "line one\nline two\n", "7"),
        SSEEvent("message", " two spaces", "7"),
    ]


def test_parser_rejects_invalid_utf8() -> None:
    with pytest.raises(StreamError, match="UTF-8"):
        events_of(b"data: \xff\xfe\n\n")


def test_parser_bom_split_across_chunks() -> None:
    stream = "\ufeffdata: x\n\n".encode()
    for cut in range(4):
        assert events_of(stream, [cut]) == [SSEEvent("message", "x")]


# -- randomized: the SSE parser ----------------------------------------------------------------------------

_ALPHABET = 'ab z:"\\/~é€世😀\t'


def _random_text(rng: random.Random, limit: int = 6) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, limit)))


@pytest.mark.parametrize("seed", range(150))
def test_random_sse_round_trip(seed: int) -> None:
    rng = random.Random(seed)
    expected: list[SSEEvent] = []
    out: list[str] = []
    for _ in range(rng.randint(1, 8)):
        nl = rng.choice(["\n", "\r\n", "\r"])
        name = rng.choice([None, "delta", "x"])
        lines = [_random_text(rng) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            out.append(f":{_random_text(rng)}{nl}")
        if name:
            out.append(f"event: {name}{nl}")
        out.extend(f"data: {line}{nl}" for line in lines)
        out.append(nl)
        expected.append(SSEEvent(name or "message", "\n".join(lines)))
    stream = "".join(out).encode()
    cuts = sorted(rng.sample(range(len(stream) + 1), min(len(stream) + 1, rng.randint(0, 12))))
    assert events_of(stream, cuts) == expected


# -- randomized: the delta decoder against a reference -----------------------------------------------------

_KEYS = ["a", "b", "k", "x/y", "t~n", "~1", "ü", ""]


def _random_value(rng: random.Random, depth: int = 2) -> Any:
    kind = rng.randrange(7 if depth > 0 else 5)
    if kind == 0:
        return _random_text(rng)
    if kind == 1:
        return rng.randint(-5, 1000)
    if kind == 2:
        return rng.choice([True, False, None, 1.5])
    if kind in (3, 4):
        return _random_text(rng, 10)
    if kind == 5:
        return [_random_value(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(_KEYS): _random_value(rng, depth - 1) for _ in range(rng.randint(0, 3))}


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(tokens: Sequence[str]) -> str:
    return "".join("/" + _escape(t) for t in tokens)


def _nodes(value: Any, tokens: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], Any]]:
    yield tokens, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _nodes(child, (*tokens, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _nodes(child, (*tokens, str(index)))


def _reference_apply(doc: dict[str, Any], tokens: Sequence[str], op: str, value: Any) -> None:
    """Plain JSON-Patch-like semantics on dicts/lists/strings, written independently of the decoder."""
    *head, last = tokens
    parent: Any = doc
    for token in head:
        parent = parent[int(token)] if isinstance(parent, list) else parent[token]
    key: Any = (len(parent) if last == "-" else int(last)) if isinstance(parent, list) else last
    if op == "add" and isinstance(parent, list):
        parent.insert(key, value)
    elif op in ("add", "replace"):
        parent[key] = value
    elif op == "remove":
        del parent[key]
    elif op == "truncate":
        parent[key] = parent[key][:value]
    elif op == "append":
        old = parent[key]
        if isinstance(old, str):
            parent[key] = old + value
        elif isinstance(old, list):
            parent[key] = old + (value if isinstance(value, list) else [value])
        else:
            parent[key] = {**old, **value}


def _random_op(rng: random.Random, message: dict[str, Any], last: tuple[str, ...] | None) -> tuple[Any, ...]:
    """A random operation valid on ``message`` (never touching the message itself or its id)."""
    if last is not None and rng.random() < 0.4:
        target = dict(_nodes(message)).get(last)
        if isinstance(target, str):
            return (last, "append", _random_text(rng))
    candidates = [(t, v) for t, v in _nodes(message) if t and t != ("id",)]
    if not candidates:
        return (("k",), "add", _random_value(rng))
    tokens, target = rng.choice(candidates)
    choices: list[tuple[Any, ...]] = [(tokens, "replace", _random_value(rng)), (tokens, "remove", None)]
    if isinstance(target, str):
        choices += [(tokens, "append", _random_text(rng))] * 3 + [(tokens, "truncate", rng.randint(0, len(target) + 1))]
    elif isinstance(target, list):
        index = rng.choice([str(i) for i in range(len(target) + 1)] + ["-"])
        single = _random_value(rng, 1)
        choices += [
            ((*tokens, index), "add", _random_value(rng)),
            (tokens, "append", [_random_value(rng, 1) for _ in range(rng.randint(0, 2))]),
            (tokens, "append", single if not isinstance(single, list) else 0),
            (tokens, "truncate", rng.randint(0, len(target) + 1)),
        ]
    elif isinstance(target, dict):
        choices += [
            ((*tokens, rng.choice(_KEYS)), "add", _random_value(rng)),
            (tokens, "append", {rng.choice(_KEYS): _random_value(rng, 1) for _ in range(rng.randint(0, 2))}),
        ]
    return rng.choice(choices)


def _new_root(rng: random.Random, index: int) -> dict[str, Any]:
    message = {
        "id": f"m{index}",
        "author": {"role": "assistant"},
        "content": {"content_type": "text", "parts": [_random_text(rng)]},
        "status": "in_progress",
        "recipient": "all",
    }
    for _ in range(rng.randint(0, 3)):
        message[rng.choice(_KEYS)] = _random_value(rng)
    return {"message": message, "conversation_id": "C", "error": None}


def _generate(rng: random.Random) -> tuple[list[tuple[int, str, str, Any]], list[dict[str, Any]]]:
    """Random operations (root index, pointer, op, value) and the reference documents they lead to."""
    docs = [_new_root(rng, 0)]
    ops: list[tuple[int, str, str, Any]] = [(0, "", "add", copy.deepcopy(docs[0]))]
    current, last = 0, None
    for _ in range(rng.randint(1, 80)):
        if rng.random() < 0.06 and len(docs) < 5:
            docs.append(_new_root(rng, len(docs)))
            current, last = len(docs) - 1, None
            ops.append((current, "", "add", copy.deepcopy(docs[-1])))
            continue
        if rng.random() < 0.1:
            current, last = rng.randrange(len(docs)), None
        tokens, op, value = _random_op(rng, docs[current]["message"], last)
        _reference_apply(docs[current]["message"], tokens, op, copy.deepcopy(value))
        last = tokens if op == "append" else None
        ops.append((current, "/message" + _pointer(tokens), op, value))
    return ops, docs


def _encode(rng: random.Random, ops: list[tuple[int, str, str, Any]]) -> list[dict[str, Any]]:
    """v1 deltas: p/o/c dropped (at random) when equal to the previous; runs of operations grouped in patches."""
    deltas: list[dict[str, Any]] = []
    prev: dict[str, Any] = {"p": None, "o": None, "c": None}

    def emit(fields: dict[str, Any]) -> None:
        out = {k: v for k, v in fields.items() if k == "v" or v != prev[k] or rng.random() < 0.3}
        prev.update({k: fields[k] for k in ("p", "o", "c")})
        deltas.append(out)

    i = 0
    while i < len(ops):
        c, path, op, value = ops[i]
        group = 1
        if path and rng.random() < 0.2:
            while i + group < len(ops) and group < 4 and ops[i + group][0] == c and ops[i + group][1]:
                group += 1
        if group == 1 and rng.random() < 0.8:
            emit({"p": path, "o": op, "c": c, **({} if op == "remove" else {"v": value})})
        else:
            patch_p = rng.choice(["", prev["p"]]) if prev["p"] is not None else ""
            subs: list[dict[str, Any]] = []
            inner: dict[str, Any] = {"p": patch_p, "o": None}
            for _, sub_path, sub_op, sub_value in ops[i : i + group]:
                sub: dict[str, Any] = {}
                if sub_path != inner["p"] or rng.random() < 0.3:
                    sub["p"] = sub_path
                if sub_op != inner["o"] or rng.random() < 0.3:
                    sub["o"] = sub_op
                if sub_op != "remove":
                    sub["v"] = sub_value
                inner = {"p": sub_path, "o": sub_op}
                subs.append(sub)
            emit({"p": patch_p, "o": "patch", "c": c, "v": subs})
        i += group
    return deltas


@pytest.mark.parametrize("seed", range(300))
def test_random_deltas_match_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    ops, docs = _generate(rng)
    nl = rng.choice(["\n", "\r\n", "\r"])
    stream = ENCODING.replace("\n", nl) + "".join(block(d, "delta", nl=nl) for d in _encode(rng, ops))
    data = stream.encode()
    cuts = [rng.randint(0, 40) for _ in range(rng.randint(0, 30))]
    decoder = run(data, cuts)
    assert list(decoder.messages) == [f"m{i}" for i in range(len(docs))]
    for index, doc in enumerate(docs):
        assert decoder.messages[f"m{index}"] == doc["message"], (seed, index)
