"""The recall evaluation's own conversations, written as an export ZIP (stdlib only, deterministic).

    python bench/recall_corpus.py OUT.zip

The chats themselves are data (``recall_chats_en``, ``recall_chats_intl``): hand-written, with near-miss
neighbours on the same subjects, in several languages, with what a person remembers sometimes only in
the parts ChatGPT hides: code sent to the code interpreter, a canvas document, the queries sent to
browsing. This module turns them into mapping trees in the official export shape, so they go through the
real import path like any export.

A turn is a tuple:

- ``("user", text)``, ``("assistant", text)``: visible messages;
- ``("python", code, output)``: code sent to the ``python`` tool (hidden) and its ``execution_output``;
- ``("canvas", name, type, content)``: a ``canmore.create_textdoc`` call (hidden JSON) and the tool's reply;
- ``("search", [queries])``: a ``web.run`` call with ``search_query`` (2025 shape) and its empty display;
- ``("browser", query)``: an older ``browser`` tool call, ``search("…")`` (2023 shape).
"""

from __future__ import annotations

import inspect
import json
import random
import re
import sys
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

if __package__:
    from .recall_chats_en import CHATS as EN
    from .recall_chats_intl import CHATS as INTL
    from .synth_export import _entry, _message, _text
else:  # run as a script
    from recall_chats_en import CHATS as EN  # type: ignore[no-redef]
    from recall_chats_intl import CHATS as INTL  # type: ignore[no-redef]
    from synth_export import _entry, _message, _text  # type: ignore[no-redef]

Json = dict[str, Any]
NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://example.invalid/chatgpt-history-mcp/recall")
CHATS: list[Json] = [*EN, *INTL]


def conversation_id(slug: str) -> str:
    """The id of the chat ``slug``: stable, so the labelled queries can name it."""
    return str(uuid.uuid5(NS, "conversation/" + slug))


_BLOCK_START = re.compile(r"(?:[-*] |\d+\. |[|>#]|\*\*|```)")
_NO_SPACE = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")  # Han, kana, CJK punctuation (not Hangul)


def _continues(prev: str, line: str) -> bool:
    """Whether ``line`` was wrapped off ``prev`` in the source file (a paragraph or a quoted paragraph)."""
    if not prev.strip() or not line.strip() or prev.lstrip().startswith(("|", "#", "```")):
        return False
    if prev.startswith("**") and prev.endswith("**"):  # a bold heading line
        return False
    if line.startswith("> ") and prev.startswith("> "):
        return True
    return not _BLOCK_START.match(line.strip())


def prose(text: str) -> str:
    """``text`` dedented, with the source file's line wrapping undone outside code blocks, lists, tables and
    headings: people type and ChatGPT writes a paragraph as one line (Chinese and Japanese lines join
    without a space)."""
    out: list[str] = []
    fenced = False
    for line in inspect.cleandoc(text).split("\n"):
        stripped = line.strip()
        if not fenced and out and _continues(out[-1], line):
            tail = stripped[2:] if line.startswith("> ") else stripped
            sep = "" if _NO_SPACE.match(tail[0]) and _NO_SPACE.match(out[-1][-1]) else " "
            out[-1] = out[-1].rstrip() + sep + tail
        else:
            out.append(line)
        if stripped.startswith("```"):
            fenced = not fenced
    return "\n".join(out)


def _epoch(when: str) -> float:
    return datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp()


class _Builder:
    """One chat's mapping tree, appended to along its only branch with a clock that moves forward."""

    def __init__(self, chat: Json) -> None:
        self.rng = random.Random("recall:" + chat["slug"])
        self.model: str = chat.get("model", "gpt-4o")
        self.clock = _epoch(chat["when"])
        root = "client-created-root"
        self.mapping: dict[str, Json] = {root: {"id": root, "message": None, "parent": None, "children": []}}
        self.last = root
        system = _message(self.rng, "system", self.clock, _text(""), weight=0.0, end_turn=True)
        system["metadata"] = {"is_visually_hidden_from_conversation": True}
        system["create_time"] = None
        self._add(system)

    def _add(self, message: Json) -> None:
        nid = message["id"]
        self.mapping[nid] = {"id": nid, "message": message, "parent": self.last, "children": []}
        self.mapping[self.last]["children"].append(nid)
        self.last = nid

    def _tick(self, lo: float, hi: float) -> float:
        self.clock += self.rng.uniform(lo, hi)
        return self.clock

    def _meta(self, **extra: Any) -> Json:
        return {"model_slug": self.model, "default_model_slug": self.model, **extra}

    def _call(self, recipient: str, content: Json) -> None:
        msg = _message(self.rng, "assistant", self._tick(2, 8), content, recipient=recipient, metadata=self._meta())
        self._add(msg)

    def _tool(self, name: str, content: Json, metadata: Json | None = None) -> None:
        self._add(_message(self.rng, "tool", self._tick(1, 6), content, name=name, metadata=metadata))

    def turn(self, turn: tuple[Any, ...]) -> None:
        kind = turn[0]
        if kind == "user":
            self._add(_message(self.rng, "user", self._tick(30, 400), _text(prose(turn[1]))))
        elif kind == "assistant":
            meta = self._meta(finish_details={"type": "stop"}, is_complete=True)
            content = _text(prose(turn[1]))
            self._add(_message(self.rng, "assistant", self._tick(4, 40), content, metadata=meta, end_turn=True))
        elif kind == "python":
            code = {"content_type": "code", "language": "unknown", "text": inspect.cleandoc(turn[1])}
            self._call("python", code)
            output = {"content_type": "execution_output", "text": inspect.cleandoc(turn[2])}
            self._tool("python", output, {"aggregate_result": {"status": "success"}, "is_complete": True})
        elif kind == "canvas":
            _, name, doc_type, body = turn
            body = prose(body) if doc_type == "document" else inspect.cleandoc(body)
            doc = {"name": name, "type": doc_type, "content": body}
            self._call("canmore.create_textdoc", {"content_type": "code", "language": "json", "text": json.dumps(doc)})
            textdoc_id = f"{self.rng.getrandbits(96):024x}"
            reply = (
                f"Successfully created text document '{name}' which will be referenced in all future messages "
                f"with the unique identifier textdoc_id: '{textdoc_id}'"
            )
            canvas = {"textdoc_id": textdoc_id, "textdoc_type": doc_type, "version": 1, "title": name}
            self._tool("canmore.create_textdoc", _text(reply), {"canvas": canvas, "command": "create_textdoc"})
        elif kind == "search":
            call = json.dumps({"search_query": [{"q": q} for q in turn[1]], "response_length": "short"})
            self._call("web.run", {"content_type": "code", "language": "unknown", "text": call})
            display = {"content_type": "tether_browsing_display", "result": "", "summary": "", "assets": None}
            self._tool("web.run", display)
        elif kind == "browser":
            command = f"search({json.dumps(turn[1])})"
            self._call("browser", {"content_type": "code", "language": "unknown", "text": command})
            self._tool("browser", {"content_type": "tether_browsing_display", "result": "", "summary": ""})
        else:
            raise ValueError(f"unknown turn kind {kind!r}")


def make_conversation(chat: Json) -> Json:
    """The raw export entry of one chat."""
    builder = _Builder(chat)
    start = builder.clock
    for turn in chat["turns"]:
        builder.turn(turn)
    cid = conversation_id(chat["slug"])
    return {
        "title": chat["title"],
        "create_time": start,
        "update_time": round(builder.clock + 1, 6),
        "mapping": builder.mapping,
        "moderation_results": [],
        "current_node": builder.last,
        "plugin_ids": None,
        "conversation_id": cid,
        "conversation_template_id": None,
        "gizmo_id": None,
        "gizmo_type": None,
        "is_archived": False,
        "is_starred": None,
        "safe_urls": [],
        "blocked_urls": [],
        "default_model_slug": builder.model,
        "conversation_origin": None,
        "voice": None,
        "async_status": None,
        "disabled_tool_ids": [],
        "is_do_not_remember": False,
        "memory_scope": "global_enabled",
        "id": cid,
    }


def iter_conversations() -> Iterator[Json]:
    """Every chat, newest first, as the export orders them."""
    yield from sorted((make_conversation(c) for c in CHATS), key=lambda c: -c["create_time"])


def write_export(out: str) -> int:
    """Write the export ZIP (byte-identical on every run); returns the number of conversations."""
    convs = list(iter_conversations())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_entry("conversations.json"), json.dumps(convs, ensure_ascii=False, separators=(",", ":")))
        user = {"id": "user-recall", "email": "recall@example.invalid", "chatgpt_plus_user": True}
        zf.writestr(_entry("user.json"), json.dumps(user))
        zf.writestr(_entry("message_feedback.json"), "[]")
        zf.writestr(_entry("chat.html"), "<html><body><!-- recall evaluation export --></body></html>")
    return len(convs)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(f"{write_export(sys.argv[1])} conversations")
