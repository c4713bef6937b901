"""Turn one raw ChatGPT conversation (export entry or backend body, same shape) into the model.

Every rule here is a bug someone shipped (see ``chatgpt-data.md`` §1.3): the transcript is the path from
``current_node`` to the root (the newest leaf when it is missing), never the first child nor every child;
hidden messages stay hidden; cycles and dangling parents never hang or crash.

What ChatGPT shows but no message holds is made visible here (``chatgpt-files-and-canvas.md`` §3, §4): a
deep-research report kept in a widget's state becomes the text of its (empty) answer, and each canvas document
of the current branch, rebuilt from its hidden calls, is a message of its own (kind ``canvas``), spliced into the
tree right after the call that gave it its final text: there the transcript reads in order (no message before it
refers to a version newer than the one it shows, none after it to an older one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chatgpt_history_mcp.export.attachments import message_attachments
from chatgpt_history_mcp.export.canvas import TEXTDOCS_KEY, RebuiltCanvas, canvas_recipient, rebuild_canvases
from chatgpt_history_mcp.export.content import HIDDEN_TYPES, as_dict, render_content, text_or_none, valid_text
from chatgpt_history_mcp.export.research import Report, is_async_report, widget_report, with_sources
from chatgpt_history_mcp.model import ROLES, Conversation, Message, MessageKind, Role, Source

#: Bumped when normalization changes, so a re-import rebuilds conversations made by an older version.
#: 2: canvas documents rebuilt as messages, deep-research reports shown (widget state), citations without an
#: ``alt`` linked from their items. 3: the files each message refers to (attachments).
NORMALIZER_VERSION = 3

_VISIBLE_TOOL_TYPES = frozenset({"execution_output", "multimodal_text", "tether_quote"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b\u2028\u2029\ufeff]")
# Times outside this range are corrupt (0, negative, milliseconds mistaken for seconds).
_MIN_EPOCH, _MAX_EPOCH = 946_684_800.0, 4_102_444_800.0  # 2000-01-01 .. 2100-01-01


class InvalidConversation(ValueError):
    """A conversation too broken to keep (not an object, or no id)."""


def parse_time(value: Any) -> datetime | None:
    """Epoch seconds (float, int or numeric string) or ISO-8601, as an aware UTC datetime."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                return None
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an integer beyond any float (JSON from the backend has arbitrary precision)
            return None
        if not math.isfinite(seconds) or not _MIN_EPOCH <= seconds <= _MAX_EPOCH:
            return None
        return datetime.fromtimestamp(seconds, UTC)
    return None


def clean_title(title: Any) -> str | None:
    if not isinstance(title, str):
        return None
    cleaned = " ".join(_CONTROL.sub("", valid_text(title)).split())
    return cleaned or None


def _is_hidden(role: str, content_type: str, text: str, raw: Mapping[str, Any], meta: Mapping[str, Any]) -> bool:
    if meta.get("is_visually_hidden_from_conversation"):
        return True
    if role == "system":
        return not meta.get("is_user_system_message") or not text.strip()
    if content_type in HIDDEN_TYPES:
        return True
    if raw.get("recipient") not in (None, "all"):
        return True
    if raw.get("weight") == 0 or raw.get("channel") in ("analysis", "commentary"):
        return True
    if role == "tool" and content_type not in _VISIBLE_TOOL_TYPES:
        return True
    return not text.strip()


def _message(
    node_id: str, parent_id: str | None, raw: Mapping[str, Any], created: datetime | None, report: Report | None
) -> Message:
    author = as_dict(raw.get("author"))
    meta = as_dict(raw.get("metadata"))
    role_name = author.get("role")
    role: Role = role_name if isinstance(role_name, str) and role_name in ROLES else "tool"  # type: ignore[assignment]
    content_type, text = render_content(raw.get("content"), meta)
    kind: MessageKind = "message"
    if report is not None:  # the answer the person saw, whoever's node keeps it
        role, text, kind = "assistant", report.text, "deep_research"
    elif role == "assistant" and is_async_report(meta):
        text, kind = with_sources(text, meta), "deep_research"
    return Message(
        id=node_id,
        parent_id=parent_id,
        role=role,
        author_name=text_or_none(author.get("name")),
        create_time=created,
        content_type=content_type,
        text=text,
        hidden=_is_hidden(role, content_type, text, raw, meta) if kind == "message" else not text.strip(),
        model=text_or_none(meta.get("model_slug")),
        recipient=text_or_none(raw.get("recipient")),
        kind=kind,
        attachments=message_attachments(raw),
    )


def _one_report_each(messages: list[Message], reports: dict[int, Report], tree: _Tree) -> None:
    """A report a tool's message spells out, when the assistant's node holds the same one, is left to the
    assistant's node: the tool's message is what it was (hidden tool output)."""
    answered = {r.text for r in reports.values() if not r.from_tool}
    for at, report in reports.items():
        if report.from_tool and report.text in answered:
            shown = messages[at]
            raw = tree.message(shown.id) or {}
            messages[at] = _message(shown.id, shown.parent_id, raw, shown.create_time, None)


def _with_canvases(
    messages: list[Message], path: list[str], tree: _Tree, textdocs: Any
) -> tuple[list[Message], list[str]]:
    """``messages`` and the current ``path`` with a message for each canvas document of the branch, each after
    its anchor (several at one anchor in creation order), the anchor's children hung under the last of them."""
    if textdocs is None and not any(canvas_recipient(m.recipient) for m in messages):
        return messages, path  # nearly every conversation
    rebuilt = rebuild_canvases([(n, m) for n in path if (m := tree.message(n)) is not None], textdocs)
    if not rebuilt:
        return messages, path
    by_id = {m.id: m for m in messages}
    inserted: dict[str, list[Message]] = {}
    for doc in rebuilt:
        anchor = by_id.get(doc.anchor)
        if anchor is None:
            continue
        chain = inserted.setdefault(doc.anchor, [])
        chain.append(_canvas_message(doc, chain[-1].id if chain else doc.anchor, anchor.create_time))
    last = {anchor: chain[-1].id for anchor, chain in inserted.items()}
    spliced: list[Message] = []
    for message in messages:
        if message.parent_id in last:
            message = message.model_copy(update={"parent_id": last[message.parent_id]})
        spliced.append(message)
        spliced.extend(inserted.get(message.id, ()))
    new_path: list[str] = []
    for node_id in path:
        new_path.append(node_id)
        new_path.extend(m.id for m in inserted.get(node_id, ()))
    return spliced, new_path


def _canvas_message(doc: RebuiltCanvas, parent_id: str, created: datetime | None) -> Message:
    canvas = doc.canvas
    return Message(
        id=f"canvas-{canvas.textdoc_id or doc.anchor}",
        parent_id=parent_id,
        role="assistant",
        create_time=created,
        content_type="code" if (canvas.type or "").startswith("code/") else "text",
        text=canvas.versions[-1].text if canvas.versions else "",
        hidden=False,
        model=doc.model,
        kind="canvas",
        canvas=canvas,
    )


class _Tree:
    """The ``mapping`` of a conversation, tolerant of missing keys, cycles and dangling parents."""

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        # Ids are keys in the store's JSON: a lone surrogate (half an emoji) could not be written.
        self.nodes: dict[str, Mapping[str, Any]] = {
            valid_text(str(k)): v for k, v in mapping.items() if isinstance(v, dict)
        }
        self.parent: dict[str, str | None] = {}
        for node_id, node in self.nodes.items():
            parent = node.get("parent")
            parent = valid_text(parent) if isinstance(parent, str) else None
            self.parent[node_id] = parent if parent in self.nodes else None
        self.children: dict[str, list[str]] = {node_id: [] for node_id in self.nodes}
        for node_id, parent in self.parent.items():
            if parent is not None:
                self.children[parent].append(node_id)

    def message(self, node_id: str) -> Mapping[str, Any] | None:
        message = self.nodes[node_id].get("message")
        return message if isinstance(message, dict) else None

    def path_to_root(self, node_id: str) -> list[str]:
        path: list[str] = []
        seen: set[str] = set()
        current: str | None = node_id
        while current is not None and current not in seen:
            seen.add(current)
            path.append(current)
            current = self.parent[current]
        path.reverse()
        return path

    def order(self, times: Mapping[str, float]) -> list[str]:
        """Every node, parents before children, siblings oldest first; nodes caught in cycles last."""
        roots = [n for n, p in self.parent.items() if p is None]
        ordered: list[str] = []
        seen: set[str] = set()
        stack = sorted(roots, key=lambda n: times.get(n, 0.0), reverse=True)
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            ordered.append(node_id)
            kids = sorted(self.children[node_id], key=lambda n: times.get(n, 0.0), reverse=True)
            stack.extend(kids)
        ordered.extend(n for n in self.nodes if n not in seen)
        return ordered


def conversation_id(raw: Mapping[str, Any]) -> str | None:
    """The id a raw conversation is stored under: ``id``, else ``conversation_id`` (older exports)."""
    return text_or_none(raw.get("id")) or text_or_none(raw.get("conversation_id"))


def normalize_conversation(raw: Any, source: Source = "export") -> Conversation:
    """Build the model of one raw conversation; raises :class:`InvalidConversation` if it has no id."""
    if not isinstance(raw, dict):
        raise InvalidConversation(f"expected a conversation object, found {type(raw).__name__}")
    conv_id = conversation_id(raw)
    if conv_id is None:
        raise InvalidConversation("conversation without an id")
    tree = _Tree(as_dict(raw.get("mapping")))

    created: dict[str, datetime] = {}
    for node_id in tree.nodes:
        message = tree.message(node_id)
        when = parse_time(message.get("create_time")) if message else None
        if when is not None:
            created[node_id] = when
    times = {node_id: when.timestamp() for node_id, when in created.items()}

    current = text_or_none(raw.get("current_node"))
    if current not in tree.nodes:
        current = _newest_leaf(tree, times)
    path = tree.path_to_root(current) if current is not None else []

    messages: list[Message] = []
    reports: dict[int, Report] = {}
    for node_id in tree.order(times):
        raw_message = tree.message(node_id)
        if raw_message is None:
            continue
        parent = tree.parent[node_id]
        parent_id = parent if parent is not None and tree.message(parent) is not None else None
        if (report := widget_report(raw_message)) is not None:
            reports[len(messages)] = report
        messages.append(_message(node_id, parent_id, raw_message, created.get(node_id), report))
    if reports:
        _one_report_each(messages, reports, tree)
    with_message = {m.id for m in messages}
    messages, current_path = _with_canvases(
        messages, [n for n in path if n in with_message], tree, raw.get(TEXTDOCS_KEY)
    )

    create_time = parse_time(raw.get("create_time"))
    update_time = parse_time(raw.get("update_time"))
    if times:
        create_time = create_time or datetime.fromtimestamp(min(times.values()), UTC)
        update_time = update_time or datetime.fromtimestamp(max(times.values()), UTC)
    update_time = update_time or create_time

    project = text_or_none(raw.get("gizmo_id")) or text_or_none(raw.get("conversation_template_id"))
    return Conversation(
        id=conv_id,
        title=clean_title(raw.get("title")),
        create_time=create_time,
        update_time=update_time,
        model=text_or_none(raw.get("default_model_slug")) or _last_model(messages),
        project_id=project if project and project.startswith("g-") else None,
        is_archived=bool(raw.get("is_archived")),
        is_starred=bool(raw.get("is_starred")),
        source=source,
        messages=messages,
        current_path=current_path,
    )


def _newest_leaf(tree: _Tree, times: Mapping[str, float]) -> str | None:
    leaves = [n for n, kids in tree.children.items() if not kids]
    if not leaves:
        return None
    depth = {n: len(tree.path_to_root(n)) for n in leaves}
    return max(leaves, key=lambda n: (times.get(n, float("-inf")), depth[n]))


def _last_model(messages: list[Message]) -> str | None:
    return next((m.model for m in reversed(messages) if m.model and m.role == "assistant"), None)
