"""Decode the SSE stream of ``POST /backend-api/f/conversation`` (``chatgpt-data.md`` §2.3–2.4).

Pure: no I/O, no clock, no module state. Two layers:

- :class:`SSEParser` turns bytes (split anywhere, even inside a UTF-8 character or a CRLF) into
  :class:`SSEEvent` objects, following the WHATWG ``text/event-stream`` rules, with bounded buffers.
- :class:`DeltaDecoder` consumes those events and keeps the conversation state as the browser does: delta
  encoding ``v1`` (JSON-Pointer operations with ``p``/``o``/``c`` inherited from the previous delta), or the
  older stream of full message snapshots. It picks out the answer (the last visible assistant message
  addressed to ``all``) and knows when it is complete; EOF alone never is.

:mod:`chatgpt_history_mcp.chatgpt.sending` runs the two over the response as it arrives.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from chatgpt_history_mcp.export.content import HIDDEN_TYPES, render_content

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_MAX_MESSAGES",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "DeltaDecoder",
    "IncompleteStream",
    "SSEEvent",
    "SSEParser",
    "StreamError",
    "StreamResult",
]

DEFAULT_MAX_LINE_BYTES = 1 << 20
DEFAULT_MAX_EVENT_BYTES = 1 << 20
DEFAULT_MAX_MESSAGE_BYTES = 4 << 20
DEFAULT_MAX_MESSAGES = 10_000

_OPS = frozenset({"add", "remove", "replace", "append", "patch", "truncate"})
_DELTA_KEYS = frozenset({"p", "o", "v", "c"})
_LINE_END = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"
_SCALAR_SIZE = 8  # what a number, bool or null counts for in the per-message bound


class StreamError(Exception):
    """The stream is malformed, over a bound, or the server reported an error.

    ``server_message`` holds the server's own words when the server sent an error.
    """

    def __init__(self, message: str, *, server_message: str | None = None) -> None:
        super().__init__(message)
        self.server_message = server_message


class IncompleteStream(StreamError):
    """The stream ended before the answer was complete (EOF alone is never completion).

    ``missing`` names what did not arrive; ``partial_text`` is the answer text received so far ("" if none).
    """

    def __init__(
        self,
        missing: tuple[str, ...],
        *,
        partial_text: str,
        answer_message_id: str | None,
        user_message_id: str | None,
        conversation_id: str | None,
    ) -> None:
        super().__init__("the stream ended before the answer was complete: " + "; ".join(missing))
        self.missing = missing
        self.partial_text = partial_text
        self.answer_message_id = answer_message_id
        self.user_message_id = user_message_id
        self.conversation_id = conversation_id


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched SSE event. ``event`` is ``"message"`` when the stream named none."""

    event: str
    data: str
    id: str = ""


@dataclass(frozen=True)
class StreamResult:
    """A complete answer."""

    answer: str
    answer_message_id: str
    user_message_id: str | None
    conversation_id: str | None
    model: str | None
    title: str | None
    answer_message: dict[str, Any] = field(repr=False, compare=False)


# -- SSE wire format ---------------------------------------------------------------------------------------


class SSEParser:
    """Incremental ``text/event-stream`` parser: ``feed(bytes)`` as they arrive, ``finish()`` at EOF.

    Lines end in CRLF, LF or CR; ``:`` lines are comments; ``data:`` lines of one event are joined with
    ``"\\n"``; an event with no data is not dispatched. A line longer than ``max_line_bytes`` or an event whose
    data exceeds ``max_event_bytes`` raises :class:`StreamError`, as does invalid UTF-8.
    """

    def __init__(
        self, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self.max_event_bytes = max_event_bytes
        self.last_event_id = ""
        self._buf = bytearray()
        self._scanned = 0  # bytes of _buf already known to hold no line end
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to it
        self._started = False  # the leading BOM (if any) has been dealt with
        self._event = ""
        self._data: list[str] = []
        self._data_bytes = 0

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[SSEEvent]:
        """Consume a chunk; return the events it completed."""
        if not chunk:
            return []
        self._buf += chunk
        if self._skip_lf:
            self._skip_lf = False
            if self._buf[:1] == b"\n":
                del self._buf[:1]
        if not self._started:
            if len(self._buf) < len(_BOM) and _BOM.startswith(self._buf):
                return []
            if self._buf.startswith(_BOM):
                del self._buf[: len(_BOM)]
            self._started = True
        events: list[SSEEvent] = []
        start = 0
        pos = self._scanned
        while (match := _LINE_END.search(self._buf, pos)) is not None:
            if match.end() == len(self._buf) and match.group() == b"\r":
                self._skip_lf = True
            self._line(bytes(self._buf[start : match.start()]), events)
            start = pos = match.end()
        del self._buf[:start]
        if len(self._buf) > self.max_line_bytes:
            raise StreamError(f"an SSE line is longer than {self.max_line_bytes} bytes")
        self._scanned = len(self._buf)
        return events

    def finish(self) -> list[SSEEvent]:
        """Call at EOF. An unterminated last line is dropped with its event (it may be cut short); an event
        whose lines all arrived but whose closing blank line did not is still dispatched."""
        events: list[SSEEvent] = []
        if self._buf:
            self._buf.clear()
        else:
            self._dispatch(events)
        self._scanned = 0
        self._event, self._data, self._data_bytes = "", [], 0
        return events

    def _line(self, raw: bytes, events: list[SSEEvent]) -> None:
        if len(raw) > self.max_line_bytes:
            raise StreamError(f"an SSE line is longer than {self.max_line_bytes} bytes")
        if not raw:
            self._dispatch(events)
            return
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StreamError(f"the stream is not valid UTF-8: {exc.reason}") from None
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data_bytes += len(raw)
            if self._data_bytes > self.max_event_bytes:
                raise StreamError(f"an SSE event carries more than {self.max_event_bytes} bytes of data")
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self.last_event_id = value
        # "retry" and unknown fields are ignored.

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if self._data:
            events.append(SSEEvent(self._event or "message", "\n".join(self._data), self.last_event_id))
        self._event, self._data, self._data_bytes = "", [], 0


# -- JSON values and pointers ------------------------------------------------------------------------------


def _size(value: Any) -> int:
    """Approximate bytes a JSON value holds: UTF-8 length of every string (keys too), 8 per scalar."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) if item.isascii() else len(item.encode("utf-8", "surrogatepass"))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            total += _SCALAR_SIZE
    return total


def _pointer(path: str) -> list[str]:
    """RFC 6901: ``""`` is the whole document; ``~1`` is ``/`` and ``~0`` is ``~``."""
    if path == "":
        return []
    if not path.startswith("/"):
        raise StreamError(f"bad JSON Pointer {path!r}: it must be empty or start with '/'")
    tokens = path[1:].split("/")
    for token in tokens:
        if re.search("~(?![01])", token):
            raise StreamError(f"bad JSON Pointer {path!r}: '~' must be followed by 0 or 1")
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def _index(token: str, length: int, path: str, *, end_ok: bool = False) -> int:
    if token == "-" and end_ok:
        return length
    if not (token.isascii() and token.isdigit()):
        raise StreamError(f"bad list index {token!r} in {path!r}")
    index = int(token)
    if index > length or (index == length and not end_ok):
        raise StreamError(f"list index {index} out of range in {path!r}")
    return index


def _error_text(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("message", "detail", "error", "code"):
            if value.get(key):
                return _error_text(value[key])
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:500]


def _is_answer(message: dict[str, Any]) -> bool:
    """A visible assistant message addressed to the person (recipient ``all``, channel ``final`` or none)."""
    author = message.get("author")
    content = message.get("content")
    metadata = message.get("metadata")
    return (
        isinstance(author, dict)
        and author.get("role") == "assistant"
        and message.get("recipient", "all") in ("all", None)
        and message.get("channel") in ("final", None)
        and not (isinstance(content, dict) and content.get("content_type") in HIDDEN_TYPES)
        and not (isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"))
    )


def _is_visible_user(message: dict[str, Any]) -> bool:
    author = message.get("author")
    content = message.get("content")
    metadata = message.get("metadata")
    return (
        isinstance(author, dict)
        and author.get("role") == "user"
        and not (isinstance(content, dict) and content.get("content_type") in HIDDEN_TYPES)
        and not (isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"))
    )


def _unfinished(message: dict[str, Any]) -> str | None:
    """Why the message is not a finished end of turn, or None when it is."""
    status = message.get("status")
    end_turn = message.get("end_turn")
    # Old snapshot streams may omit "status": end_turn true then stands for it.
    status_ok = status == "finished_successfully" or ("status" not in message and end_turn is True)
    # A message on the "final" channel ends the turn unless it says otherwise.
    end_ok = end_turn is True or (end_turn is None and message.get("channel") == "final")
    if status_ok and end_ok:
        return None
    metadata = message.get("metadata")
    details = metadata.get("finish_details") if isinstance(metadata, dict) else None
    why = f" ({details.get('type')})" if isinstance(details, dict) and details.get("type") else ""
    return f"answer not finished (status={status!r}, end_turn={end_turn!r}){why}"


# -- delta decoding ----------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Root:
    """One root document ``{message, conversation_id, error}``: a message."""

    doc: dict[str, Any]
    size: int
    seq: int = -1  # arrival order; -1 until registered as a message


@dataclass(eq=False)
class _Hot:
    """The string being appended to, kept as pieces so long answers stay linear; joined on any other use."""

    parent: dict[str, Any] | list[Any]
    key: str | int
    pieces: list[str]


class DeltaDecoder:
    """Conversation state from a ``/backend-api/f/conversation`` stream, fed one :class:`SSEEvent` at a time.

    ``finish`` (at EOF) returns the :class:`StreamResult` or raises :class:`IncompleteStream`.
    Any :class:`StreamError` leaves the decoder unusable.
    """

    def __init__(
        self, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, max_messages: int = DEFAULT_MAX_MESSAGES
    ) -> None:
        self.max_message_bytes = max_message_bytes
        self.max_messages = max_messages
        #: "v1" once ``event: delta_encoding`` arrived; None for the older snapshot stream.
        self.delta_encoding: str | None = None
        self.conversation_id: str | None = None
        self.title: str | None = None
        #: ``message_stream_complete`` arrived.
        self.stream_complete = False
        #: ``data: [DONE]`` arrived.
        self.done = False
        self._messages: dict[str, _Root] = {}
        self._by_c: dict[int | str, _Root] = {}
        self._current: _Root | None = None
        self._seq = 0
        self._user_id: str | None = None
        self._user_seq = -1
        self._p: str | None = None
        self._o: str | None = None
        self._c: Any = None
        self._leaf_p: str | None = None
        self._hot: _Hot | None = None
        self._model_hint: str | None = None

    # -- public state ----------------------------------------------------------------------------------

    @property
    def messages(self) -> dict[str, dict[str, Any]]:
        """Every message seen, keyed by id, in order of first arrival. Live objects: do not mutate."""
        self._flush()
        return {key: r.doc["message"] for key, r in self._messages.items() if isinstance(r.doc.get("message"), dict)}

    @property
    def answer_message(self) -> dict[str, Any] | None:
        """The last visible assistant message to ``all`` that arrived after the user's message."""
        self._flush()
        best: dict[str, Any] | None = None
        for root in self._messages.values():  # in arrival order
            message = root.doc.get("message")
            if root.seq > self._user_seq and isinstance(message, dict) and _is_answer(message):
                best = message
        return best

    @property
    def answer(self) -> str:
        """The answer's text so far ("" before it starts)."""
        message = self.answer_message
        if message is None:
            return ""
        return render_content(message.get("content"), message.get("metadata"))[1]

    @property
    def answer_message_id(self) -> str | None:
        message = self.answer_message
        return message.get("id") if message is not None and isinstance(message.get("id"), str) else None

    @property
    def user_message_id(self) -> str | None:
        """From ``input_message``, else the last visible user message seen."""
        return self._user_id

    @property
    def model(self) -> str | None:
        """The answer's ``metadata.model_slug``, else the one ``server_ste_metadata`` announced."""
        message = self.answer_message
        metadata = message.get("metadata") if message is not None else None
        slug = metadata.get("model_slug") if isinstance(metadata, dict) else None
        return slug if isinstance(slug, str) and slug else self._model_hint

    @property
    def complete(self) -> bool:
        """The answer reached its end of turn and the stream said it was done."""
        return not self._missing()

    def finish(self) -> StreamResult:
        """Call at EOF: the result, or :class:`IncompleteStream` naming what is missing."""
        missing = self._missing()
        message = self.answer_message
        if missing or message is None:
            raise IncompleteStream(
                tuple(missing),
                partial_text=self.answer,
                answer_message_id=self.answer_message_id,
                user_message_id=self._user_id,
                conversation_id=self.conversation_id,
            )
        return StreamResult(
            answer=self.answer,
            answer_message_id=self.answer_message_id or "",
            user_message_id=self._user_id,
            conversation_id=self.conversation_id,
            model=self.model,
            title=self.title,
            answer_message=message,
        )

    def _missing(self) -> list[str]:
        missing: list[str] = []
        message = self.answer_message
        if message is None:
            missing.append("no assistant answer (recipient 'all') arrived")
        elif (why := _unfinished(message)) is not None:
            missing.append(why)
        if not (self.stream_complete or self.done):
            missing.append("neither message_stream_complete nor [DONE] arrived")
        return missing

    # -- events ----------------------------------------------------------------------------------------

    def feed(self, event: SSEEvent) -> None:
        """Apply one event. Typed events (``title_generation``, ``input_message``, …) update what they describe;
        the rest (``message_marker``, unknown events) carry nothing the answer needs and are skipped."""
        name, data = event.event, event.data
        if name == "error":
            text = data
            with contextlib.suppress(ValueError, RecursionError):
                text = _error_text(json.loads(data))
            raise StreamError(f"the server sent an error: {text[:500]}", server_message=text[:500])
        if data.strip() == "[DONE]":
            self.done = True
            return
        try:
            payload = json.loads(data)
        except (ValueError, RecursionError):
            raise StreamError(f"an SSE event ({name}) is not valid JSON: {data[:200]!r}") from None
        if name == "delta_encoding":
            if payload != "v1":
                raise StreamError(f"unsupported delta encoding {payload!r} (only 'v1' is understood)")
            self.delta_encoding = "v1"
        elif name == "delta" and not (isinstance(payload, dict) and "type" in payload and "v" not in payload):
            self._delta(payload)
        elif isinstance(payload, dict):
            self._payload(payload)

    def _payload(self, payload: dict[str, Any]) -> None:
        """An event whose data is an object: a typed event, a message snapshot, or a bare v1 delta."""
        kind = payload.get("type")
        if kind == "error" or payload.get("error"):
            text = _error_text(payload.get("error") or payload)
            raise StreamError(f"the server sent an error: {text}", server_message=text)
        if isinstance(payload.get("conversation_id"), str) and payload["conversation_id"]:
            self.conversation_id = payload["conversation_id"]
        if isinstance(kind, str):
            self._typed(kind, payload)
        elif "message" in payload:
            self._snapshot(payload)
        elif self.delta_encoding and "v" in payload and payload.keys() <= _DELTA_KEYS:
            self._delta(payload)

    def _typed(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "message_stream_complete":
            self.stream_complete = True
        elif kind == "title_generation" and isinstance(payload.get("title"), str):
            self.title = payload["title"]
        elif kind == "input_message":
            message = payload.get("input_message")
            if isinstance(message, dict) and isinstance(message.get("id"), str):
                self._user_id = message["id"]
                known = self._messages.get(message["id"])
                if known is not None:
                    self._user_seq = known.seq
                else:
                    self._user_seq = self._seq
                    self._seq += 1
        elif kind == "server_ste_metadata":
            metadata = payload.get("metadata")
            slug = metadata.get("model_slug") if isinstance(metadata, dict) else None
            if isinstance(slug, str) and slug:
                self._model_hint = slug

    def _snapshot(self, payload: dict[str, Any]) -> None:
        """The older stream: each event carries the whole message so far."""
        self._flush()
        root = _Root(payload, _size(payload))
        self._check_size(root)
        message = payload.get("message")
        if isinstance(message, dict) and isinstance(message.get("id"), str):
            previous = self._messages.get(message["id"])
            if previous is not None:
                root.seq = previous.seq
                self._messages[message["id"]] = root
        self._sync(root)

    # -- deltas ----------------------------------------------------------------------------------------

    def _delta(self, payload: Any) -> None:
        if isinstance(payload, list):  # defensive: a batch of deltas
            for item in payload:
                self._delta(item)
            return
        if not isinstance(payload, dict):
            raise StreamError(f"a delta is not an object: {str(payload)[:200]!r}")
        path = payload.get("p", self._p)
        op = payload.get("o", self._o)
        if "c" in payload:
            self._c = payload["c"]
        if path is None or op is None:
            raise StreamError("a delta lacks a path or an operation and there is none to inherit")
        if not isinstance(path, str) or not isinstance(op, str) or op not in _OPS:
            raise StreamError(f"bad delta: p={path!r}, o={op!r}")
        self._p, self._o = path, op
        has_v, value = "v" in payload, payload.get("v")
        if op == "patch" and "o" not in payload and isinstance(value, str):
            # Text with an inherited "patch": append, by default where the patch last wrote.
            path, op = payload.get("p", self._leaf_p), "append"
            if not isinstance(path, str):
                raise StreamError("a bare text delta has no path to append to")
        c = self._c if isinstance(self._c, int | str) and not isinstance(self._c, bool) else None
        target = self._by_c.get(c, self._current) if c is not None else self._current
        self._sync(self._op(target, path, op, value, has_v, c))

    def _op(self, root: _Root | None, path: str, op: str, value: Any, has_v: bool, c: int | str | None) -> _Root:
        if op == "patch":
            if not isinstance(value, list):
                raise StreamError(f"a patch at {path!r} does not carry a list of operations")
            sub_p, sub_o = path, None
            for sub in value:
                if not isinstance(sub, dict):
                    raise StreamError(f"a patch operation is not an object: {str(sub)[:200]!r}")
                sub_p, sub_o = sub.get("p", sub_p), sub.get("o", sub_o)
                if not isinstance(sub_p, str) or not isinstance(sub_o, str) or sub_o not in _OPS:
                    raise StreamError(f"bad patch operation: p={sub_p!r}, o={sub_o!r}")
                root = self._op(root, sub_p, sub_o, sub.get("v"), "v" in sub, c)
            if root is None:
                raise StreamError("an empty patch before any message")
            return root
        if op != "remove" and not has_v:
            raise StreamError(f"a {op!r} delta at {path!r} carries no value")
        tokens = _pointer(path)
        if not tokens:
            return self._root_op(root, op, value, c)
        if root is None:
            raise StreamError(f"a delta at {path!r} arrived before any message")
        parent: Any = root.doc
        for token in tokens[:-1]:
            if isinstance(parent, dict) and token in parent:
                parent = parent[token]
            elif isinstance(parent, list):
                parent = parent[_index(token, len(parent), path)]
            else:
                raise StreamError(f"delta path {path!r} does not exist")
        self._leaf_p = path
        hot = self._hot
        if op == "append" and isinstance(value, str) and hot is not None and hot.parent is parent:
            key = _index(tokens[-1], len(parent), path) if isinstance(parent, list) else tokens[-1]
            if key == hot.key:
                hot.pieces.append(value)
                self._grow(root, _size(value))
                return root
        self._flush()
        if isinstance(parent, dict):
            self._grow(root, self._dict_op(parent, tokens[-1], op, value, path))
        elif isinstance(parent, list):
            self._grow(root, self._list_op(parent, tokens[-1], op, value, path))
        else:
            raise StreamError(f"delta path {path!r} does not lead into an object or a list")
        return root

    def _root_op(self, root: _Root | None, op: str, value: Any, c: int | str | None) -> _Root:
        self._flush()
        if op == "add" or (op == "replace" and root is None):
            if not isinstance(value, dict):
                raise StreamError("a new message root is not an object")
            root = _Root(value, _size(value))
            self._check_size(root)
            self._current = root
            if c is not None:
                self._by_c[c] = root
            self._sync(root)
            return root
        if root is None:
            raise StreamError(f"a {op!r} of the document root arrived before any message")
        if op == "replace" and isinstance(value, dict):
            root.doc, root.size = value, _size(value)
            self._check_size(root)
            self._sync(root)
        elif op == "append" and isinstance(value, dict):
            self._grow(root, sum(_set_key(root.doc, k, v) for k, v in value.items()))
        else:
            raise StreamError(f"cannot {op} the document root with {type(value).__name__}")
        return root

    def _dict_op(self, parent: dict[str, Any], key: str, op: str, value: Any, path: str) -> int:
        if op == "remove":
            return -(_size(key) + _size(parent.pop(key))) if key in parent else 0
        if op in ("add", "replace") or (op == "append" and key not in parent):
            return _set_key(parent, key, value)
        if key not in parent:
            raise StreamError(f"cannot {op} {path!r}: it does not exist")
        return self._combine(parent, key, op, value, path)

    def _list_op(self, parent: list[Any], token: str, op: str, value: Any, path: str) -> int:
        if op == "add":
            parent.insert(_index(token, len(parent), path, end_ok=True), value)
            return _size(value)
        index = _index(token, len(parent), path)
        if op == "remove":
            return -_size(parent.pop(index))
        if op == "replace":
            before = _size(parent[index])
            parent[index] = value
            return _size(value) - before
        return self._combine(parent, index, op, value, path)

    def _combine(self, parent: Any, key: Any, op: str, value: Any, path: str) -> int:
        """``append`` or ``truncate`` the existing value ``parent[key]``; return the size change."""
        old = parent[key]
        if op == "append":
            if old is None:
                parent[key] = value
                return _size(value) - _SCALAR_SIZE
            if isinstance(old, str) and isinstance(value, str):
                self._hot = _Hot(parent, key, [old, value])
                return _size(value)
            if isinstance(old, list):
                items = value if isinstance(value, list) else [value]
                old.extend(items)
                return _size(items)
            if isinstance(old, dict) and isinstance(value, dict):
                return sum(_set_key(old, k, v) for k, v in value.items())
            raise StreamError(f"cannot append {type(value).__name__} to the {type(old).__name__} at {path!r}")
        # truncate
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise StreamError(f"truncate at {path!r} needs a length, got {value!r}")
        if isinstance(old, str):
            parent[key] = old[:value]
            return _size(parent[key]) - _size(old)
        if isinstance(old, list):
            removed = old[value:]
            del old[value:]
            return -_size(removed)
        raise StreamError(f"cannot truncate the {type(old).__name__} at {path!r}")

    # -- bookkeeping -----------------------------------------------------------------------------------

    def _flush(self) -> None:
        hot, self._hot = self._hot, None
        if hot is not None:
            hot.parent[hot.key] = "".join(hot.pieces)  # type: ignore[index]

    def _grow(self, root: _Root, delta: int) -> None:
        root.size += delta
        self._check_size(root)

    def _check_size(self, root: _Root) -> None:
        if root.size > self.max_message_bytes:
            raise StreamError(f"a message grew past {self.max_message_bytes} bytes; refusing to buffer more")

    def _sync(self, root: _Root) -> None:
        """After a change: surface the server's error, register a new message, note the conversation id."""
        doc = root.doc
        if self._hot is not None and self._hot.parent is doc:
            self._flush()
        if doc.get("error"):
            text = _error_text(doc["error"])
            raise StreamError(f"the server sent an error: {text}", server_message=text)
        conversation_id = doc.get("conversation_id")
        if isinstance(conversation_id, str) and conversation_id:
            self.conversation_id = conversation_id
        message = doc.get("message")
        if root.seq >= 0 or not isinstance(message, dict):
            return
        message_id = message.get("id")
        key = message_id if isinstance(message_id, str) else f"#{self._seq}"
        previous = self._messages.get(key)
        if previous is not None:  # the same message again: it keeps its place
            root.seq = previous.seq
        else:
            if len(self._messages) >= self.max_messages:
                raise StreamError(f"the stream carries more than {self.max_messages} messages")
            root.seq = self._seq
            self._seq += 1
        self._messages[key] = root
        if _is_visible_user(message):
            self._user_id, self._user_seq = key, root.seq


def _set_key(parent: dict[str, Any], key: str, value: Any) -> int:
    before = _size(key) + _size(parent[key]) if key in parent else 0
    parent[key] = value
    return _size(key) + _size(value) - before
