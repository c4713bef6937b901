"""Rebuild canvas documents (``canmore``) from the hidden calls that made them.

ChatGPT keeps no canvas text in a conversation: the model's calls do. ``create_textdoc`` gives the first text,
each ``update_textdoc`` a list of regex edits, ``comment_textdoc`` comments that change nothing. The rules
(``chatgpt-files-and-canvas.md`` §3, and the canvas tool's own instructions to the model):

- Only the current branch is walked, in order; a document is keyed by the ``textdoc_id`` its tool reply names
  (``metadata.canvas.textdoc_id``, else the id in the reply's text).
- An update or comment goes to the document its reply names, else to the current document: the one created or
  changed most recently.
- An update's edits apply one after the other, each to the text the previous one left: the pattern is a Python
  regex with ``re.DOTALL``; the first match of ``re.finditer`` is replaced, every match if ``multiple``; the
  replacement is expanded by ``Match.expand`` (``\\1``, ``\\g<name>``, escapes).
- A pattern that matches nothing (or is no valid regex) keeps the text it had and says so: the rebuild is then
  not known to be exact. A tool reply that reports no success means the call changed nothing.
- Call JSON is read leniently: exports hold update JSON that lacks its closing ``]}``, and model output may carry
  raw newlines inside strings.
- An update to a document whose creation is not in the conversation starts from an unknown text; a rewrite with a
  pattern that matches any whole text (``.*``) makes it known again from there.

ChatGPT's own ``/conversation/{id}/textdocs`` (fetched by a sync and put in the raw body under
:data:`TEXTDOCS_KEY`) is the current text: where it is there, it corrects the rebuild, and its history (when
fetched) gives the versions in between.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from chatgpt_history_mcp.export.content import as_dict, text_or_none, valid_text
from chatgpt_history_mcp.model import Canvas, CanvasComment, CanvasVersion

#: Where a sync keeps, in a raw conversation body, what ChatGPT's ``…/textdocs`` answered: a list of
#: ``{id, version, title, textdoc_type, content, comments, updated_at}``, each with the ``previous_doc_states`` of
#: its history when that was fetched. Never a key of ChatGPT's own.
TEXTDOCS_KEY = "chatgpt_history_mcp:textdocs"
_CALLS = {
    "canmore.create_textdoc": "create",
    "canmore.update_textdoc": "update",
    "canmore.comment_textdoc": "comment",
}
_REPLY_ID = re.compile(r"textdoc_id[:\s]*'([^']+)'")
#: A pattern that matches the whole of this matches the whole of any text (``.*`` and its spellings).
_ANY_TEXT = "Any text,\nat all.\n"
#: Endings tried, in order, on call JSON that does not parse as it is (it was cut short).
_CLOSERS = ("]}", "}", '"}]}', '"}', "}]}", "]")
_NOTE_CHARS = 80


def canvas_recipient(recipient: Any) -> bool:
    """Whether a message is a call to the canvas tool."""
    return isinstance(recipient, str) and recipient in _CALLS


def mentions_canvas(raw_conversation: Mapping[str, Any]) -> bool:
    """Whether any message of a raw conversation is a canvas call or a canvas tool's reply (cheap: no parsing)."""
    mapping = raw_conversation.get("mapping")
    for node in mapping.values() if isinstance(mapping, Mapping) else ():
        message = node.get("message") if isinstance(node, Mapping) else None
        if isinstance(message, Mapping) and (
            canvas_recipient(message.get("recipient")) or "canvas" in as_dict(message.get("metadata"))
        ):
            return True
    return False


def lenient_json(text: str) -> Any:
    """``text`` as JSON, allowing raw control characters in strings and a missing end (``]}``, ``}``…).
    Raises ValueError when no such reading exists."""
    stripped = text.strip()
    for closer in ("", *_CLOSERS):
        try:
            return json.loads(stripped + closer, strict=False)
        except ValueError:
            continue
    raise ValueError("not JSON, even with its end completed")


class UpdateFailed(ValueError):
    """An edit that cannot be applied: its pattern matches nothing or is no regex, or its replacement is bad."""


def apply_update(text: str, pattern: str, replacement: str, multiple: bool = False) -> str:
    """``text`` after one edit of ``update_textdoc``, as the canvas tool applies it. Raises UpdateFailed."""
    try:
        regex = re.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise UpdateFailed(f"the pattern {_quote(pattern)} is not a valid regex ({exc})") from None
    matches = list(regex.finditer(text)) if multiple else [m for m in [regex.search(text)] if m is not None]
    if not matches:
        raise UpdateFailed(f"the pattern {_quote(pattern)} matched nothing")
    pieces: list[str] = []
    end = 0
    try:
        for match in matches:
            pieces += [text[end : match.start()], match.expand(replacement)]
            end = match.end()
    except (re.error, IndexError) as exc:
        raise UpdateFailed(f"the replacement for {_quote(pattern)} is not valid ({exc})") from None
    pieces.append(text[end:])
    return "".join(pieces)


def rewrites_everything(pattern: str) -> bool:
    """Whether an edit with this pattern replaces the whole text, whatever the text (``.*``)."""
    try:
        match = re.compile(pattern, re.DOTALL).match(_ANY_TEXT)
    except re.error:
        return False
    return match is not None and match.end() == len(_ANY_TEXT)


@dataclass
class RebuiltCanvas:
    """A canvas document as the conversation left it, and the node it is shown after (where it reached its final
    text: its last create or update, or the end of the branch for one only ChatGPT's textdocs know)."""

    anchor: str
    canvas: Canvas
    model: str | None = None


@dataclass
class _Doc:
    anchor: str
    textdoc_id: str | None
    title: str | None
    type: str | None
    text: str
    exact: bool
    version: int
    model: str | None
    versions: list[CanvasVersion] = field(default_factory=list)
    comments: list[CanvasComment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: Literal["calls", "chatgpt"] = "calls"

    def add_version(self, version: int | None, message_id: str | None, note: str | None = None) -> None:
        self.version = version if version is not None else self.version + 1
        self.versions.append(CanvasVersion(version=self.version, text=self.text, message_id=message_id, note=note))

    def freeze(self) -> RebuiltCanvas:
        canvas = Canvas(
            textdoc_id=self.textdoc_id,
            title=self.title,
            type=self.type,
            version=self.version,
            versions=self.versions,
            comments=self.comments,
            exact=self.exact,
            source=self.source,
            notes=self.notes,
        )
        return RebuiltCanvas(self.anchor, canvas, self.model)


@dataclass
class _Call:
    node_id: str
    op: str
    payload: Any  # the call's JSON, or None when it could not be read
    textdoc_id: str | None
    reply_canvas: Mapping[str, Any]
    failure: str | None  # what the tool answered when it reports no success
    anchor: str
    model: str | None


def rebuild_canvases(path: Sequence[tuple[str, Mapping[str, Any]]], textdocs: Any = None) -> list[RebuiltCanvas]:
    """The canvas documents of a branch, given as (node id, raw message) from the root, in creation order;
    ``textdocs`` is what ChatGPT's ``…/textdocs`` answered (see :data:`TEXTDOCS_KEY`), if known."""
    docs: dict[str, _Doc] = {}
    current: str | None = None
    for call in _calls(path):
        if call.op == "create":
            if call.failure is not None:
                continue  # nothing was created
            key = call.textdoc_id or f"unnamed:{call.node_id}"
            docs[key] = _created(call, docs.get(key))
        else:
            key = call.textdoc_id or current or f"unnamed:{call.node_id}"
            if key not in docs:
                if call.failure is not None:
                    continue  # a refused change to a document never seen: nothing to show
                docs[key] = _unknown(call)
            (_update if call.op == "update" else _comment)(docs[key], call)
        current = key
    if isinstance(textdocs, list):
        _correct(docs, [d for d in textdocs if isinstance(d, Mapping)], path[-1][0] if path else None)
    return [doc.freeze() for doc in docs.values()]


def _calls(path: Sequence[tuple[str, Mapping[str, Any]]]) -> list[_Call]:
    calls: list[_Call] = []
    for i, (node_id, raw) in enumerate(path):
        recipient = raw.get("recipient")
        if not isinstance(recipient, str) or recipient not in _CALLS:
            continue
        op = _CALLS[recipient]
        if as_dict(raw.get("author")).get("role") != "assistant":
            continue
        reply_id, reply = _reply(path, i, recipient)
        reply_meta = as_dict(reply.get("metadata")) if reply is not None else {}
        reply_canvas = as_dict(reply_meta.get("canvas"))
        reply_text = _text(reply.get("content")) if reply is not None else ""
        textdoc_id = text_or_none(reply_canvas.get("textdoc_id"))
        if textdoc_id is None and (found := _REPLY_ID.search(reply_text)):
            textdoc_id = found.group(1)
        try:
            payload = lenient_json(_text(raw.get("content")))
        except ValueError:
            payload = None
        if textdoc_id is None and isinstance(payload, dict):
            textdoc_id = text_or_none(payload.get("textdoc_id"))
        succeeded = reply is None or bool(reply_canvas) or reply_text.lstrip().startswith("Successfully")
        calls.append(
            _Call(
                node_id=node_id,
                op=op,
                payload=payload,
                textdoc_id=textdoc_id,
                reply_canvas=reply_canvas,
                failure=None if succeeded else " ".join(reply_text.split())[:200] or "no success reported",
                anchor=reply_id or node_id,
                model=text_or_none(as_dict(raw.get("metadata")).get("model_slug")),
            )
        )
    return calls


def _reply(
    path: Sequence[tuple[str, Mapping[str, Any]]], i: int, recipient: str
) -> tuple[str | None, Mapping[str, Any] | None]:
    """The tool's answer to the call at ``path[i]``: the next tool message of that tool, before anyone else speaks."""
    for node_id, raw in path[i + 1 :]:
        author = as_dict(raw.get("author"))
        if author.get("role") != "tool":
            break
        if author.get("name") == recipient or as_dict(raw.get("metadata")).get("canvas"):
            return node_id, raw
    return None, None


def _created(call: _Call, before: _Doc | None) -> _Doc:
    payload = call.payload if isinstance(call.payload, dict) else {}
    content = payload.get("content")
    meta = call.reply_canvas
    doc = before or _Doc(
        anchor=call.anchor,
        textdoc_id=call.textdoc_id,
        title=None,
        type=None,
        text="",
        exact=True,
        version=0,
        model=call.model,
    )
    doc.title = text_or_none(payload.get("name")) or text_or_none(meta.get("title")) or doc.title
    doc.type = text_or_none(payload.get("type")) or text_or_none(meta.get("textdoc_type")) or doc.type
    doc.anchor, doc.model = call.anchor, call.model or doc.model
    note = None
    if isinstance(content, str):
        doc.text, doc.exact = valid_text(content), True
    else:
        note = "the call that created it could not be read: its text is not known"
        doc.text, doc.exact = "", False
        doc.notes.append(note)
    doc.add_version(_int(meta.get("version")) or (1 if before is None else None), call.node_id, note)
    return doc


def _unknown(call: _Call) -> _Doc:
    """A document changed here but created elsewhere (another branch, or the chat it was branched from)."""
    meta = call.reply_canvas
    doc = _Doc(
        anchor=call.anchor,
        textdoc_id=call.textdoc_id,
        title=text_or_none(meta.get("title")),
        type=text_or_none(meta.get("textdoc_type")),
        text="",
        exact=False,
        version=0,
        model=call.model,
    )
    doc.notes.append("it was created outside this conversation's current branch: its first text is not known")
    return doc


def _update(doc: _Doc, call: _Call) -> None:
    meta = call.reply_canvas
    doc.title = text_or_none(meta.get("title")) or doc.title
    doc.type = text_or_none(meta.get("textdoc_type")) or doc.type
    if call.failure is not None:
        doc.notes.append(f"an update was refused by ChatGPT ({call.failure}): it changed nothing")
        return
    edits = call.payload.get("updates") if isinstance(call.payload, dict) else None
    problems: list[str] = []
    if not isinstance(edits, list):
        problems.append("an update could not be read: the text before it is kept")
        doc.exact = False
    else:
        for edit in (e for e in edits if isinstance(e, dict)):
            pattern, replacement = edit.get("pattern"), edit.get("replacement")
            if not isinstance(pattern, str) or not isinstance(replacement, str):
                problems.append("an edit without a pattern or replacement was skipped")
                doc.exact = False
                continue
            try:
                doc.text = valid_text(apply_update(doc.text, pattern, replacement, edit.get("multiple") is True))
            except UpdateFailed as exc:
                problems.append(f"{exc}: the text before that edit is kept")
                doc.exact = False
                continue
            if not doc.exact and rewrites_everything(pattern):
                doc.exact = True  # a whole new text: known again, whatever came before
                problems.append("from this version on the text is known again (a rewrite of the whole document)")
    doc.anchor, doc.model = call.anchor, call.model or doc.model
    note = "; ".join(problems) or None
    previous = doc.version
    doc.add_version(_int(meta.get("version")), call.node_id, note)
    if note:
        doc.notes.append(f"version {doc.version} (after version {previous}): {note}")


def _comment(doc: _Doc, call: _Call) -> None:
    if call.failure is not None:
        return
    comments = call.payload.get("comments") if isinstance(call.payload, dict) else None
    for item in comments if isinstance(comments, list) else []:
        if isinstance(item, dict) and isinstance(item.get("comment"), str):
            quote = item.get("pattern")
            doc.comments.append(
                CanvasComment(
                    quote=valid_text(quote) if isinstance(quote, str) else "",
                    comment=valid_text(item["comment"]),
                    version=doc.version or None,
                )
            )


def _correct(docs: dict[str, _Doc], textdocs: list[Mapping[str, Any]], end: str | None) -> None:
    """Take ChatGPT's current text over the rebuild, and its history (when fetched) over the versions before it.
    A document only ChatGPT knows (no call on this branch made it) is shown at the branch's end."""
    for current in textdocs:
        content, textdoc_id = current.get("content"), text_or_none(current.get("id"))
        if not isinstance(content, str) or textdoc_id is None:
            continue
        doc = docs.get(textdoc_id)
        if doc is None:
            if end is None:
                continue
            doc = docs[textdoc_id] = _Doc(
                anchor=end, textdoc_id=textdoc_id, title=None, type=None, text="", exact=True, version=0, model=None
            )
        content = valid_text(content)
        doc.notes = (
            [
                "ChatGPT's current text differs from what the conversation's calls give (an edit made in the canvas, "
                "or a change the rebuild could not follow): the text shown is ChatGPT's"
            ]
            if doc.versions and doc.text != content
            else []
        )
        doc.title = text_or_none(current.get("title")) or doc.title
        doc.type = text_or_none(current.get("textdoc_type")) or doc.type
        final = _int(current.get("version")) or doc.version or 1
        rebuilt = {v.version: v.message_id for v in doc.versions}
        history = _history(current.get("previous_doc_states"), final)
        earlier = (
            [CanvasVersion(version=n, text=text, message_id=rebuilt.get(n)) for n, text in history]
            if history
            else [v for v in doc.versions if v.version < final]
        )
        doc.versions = [*earlier, CanvasVersion(version=final, text=content, message_id=rebuilt.get(final))]
        doc.text, doc.version, doc.exact, doc.source = content, final, True, "chatgpt"
        known = {(c.quote, c.comment) for c in doc.comments}
        for item in current.get("comments") or []:
            if isinstance(item, Mapping) and isinstance(item.get("comment"), str):
                quote = valid_text(item["pattern"]) if isinstance(item.get("pattern"), str) else ""
                if (quote, item["comment"]) not in known:
                    doc.comments.append(CanvasComment(quote=quote, comment=valid_text(item["comment"]), version=final))


def _history(states: Any, current: int | None) -> list[tuple[int, str]]:
    """The earlier versions ChatGPT's ``…/history`` gave, oldest first (empty when it was not fetched)."""
    found: dict[int, str] = {}
    for state in states if isinstance(states, list) else []:
        if isinstance(state, Mapping) and isinstance(state.get("content"), str):
            number = _int(state.get("version"))
            if number is not None and (current is None or number < current):
                found[number] = valid_text(state["content"])
    return sorted(found.items())


def _text(content: Any) -> str:
    """A call's JSON or a reply's words: ``content.text`` (``code``) or the string ``parts`` (``text``)."""
    if not isinstance(content, Mapping):
        return content if isinstance(content, str) else ""
    if isinstance(content.get("text"), str):
        return str(content["text"])
    parts = content.get("parts")
    return "".join(p for p in parts if isinstance(p, str)) if isinstance(parts, list) else ""


def _quote(pattern: str) -> str:
    return repr(pattern if len(pattern) <= _NOTE_CHARS else pattern[:_NOTE_CHARS] + "…")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
