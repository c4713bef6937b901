"""What search sees of a conversation: the visible transcript, and what the person saw or wrote that the
transcript hides.

A person remembers ``fitz`` from the code ChatGPT ran, or what it searched the web for; none of that is a visible
message. Those texts are indexed in a field of their own, weighted below the conversation itself, and a match
there says where it is. Reasoning, system prompts and custom instructions are left out: the person did not see
them, and the same instructions in every chat would match everything.

A canvas document's final text is a message of its own (kind ``canvas``) and is indexed where the person saw
it, with the assistant's words. What its earlier versions said and the final one no longer does stays findable
in the hidden field: each call that made a version stands, for search, for the lines that version brought and
the final text dropped (no line twice), in place of its raw JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from chatgpt_history_mcp.model import Conversation, Message, to_epoch
from chatgpt_history_mcp.redact import redact_all
from chatgpt_history_mcp.search.index import HIDDEN_FIELD, ROLE_FIELDS, IndexDocument
from chatgpt_history_mcp.search.morphology import guess_language

#: Hidden content the person never saw.
_UNSEEN_TYPES = frozenset(
    {"thoughts", "reasoning_recap", "user_editable_context", "model_editable_context", "system_error"}
)
#: Most characters of one tool output indexed: web pages and logs are long and mostly noise.
MAX_TOOL_OUTPUT_CHARS = 2_000
#: Keys of tool-call JSON whose values are machinery, not words anyone wrote (canvas regexes, ids).
_MACHINERY_KEYS = frozenset({"pattern", "multiple", "type", "id", "textdoc_id", "recency", "source", "ref_id"})
_MAX_JSON_STRINGS = 200
#: Where a hit on a file's name or text stands, and the most of that text indexed.
ATTACHMENT = "attachment"
MAX_ATTACHMENT_CHARS = 100_000


def where(message: Message) -> str:
    """Where a message stands for a person: ``message`` (the transcript), ``canvas``, ``web search``,
    ``tool call`` (code or a query sent to a tool) or ``tool output``."""
    if message.kind == "canvas":
        return "canvas"
    if not message.hidden:
        return "message"
    recipient = (message.recipient or "").lower()
    if recipient.startswith("canmore") or (message.author_name or "").lower().startswith("canmore"):
        return "canvas"
    if message.role == "assistant" and recipient not in ("", "all"):
        if recipient.startswith(("web", "browser", "search")):
            return "web search"
        return "tool call"
    return "tool output"


def hidden_text(message: Message) -> str | None:
    """The words of a hidden message worth finding, or None when it is not searchable."""
    if not message.hidden or message.role == "system" or message.content_type in _UNSEEN_TYPES:
        return None
    text = message.text.strip()
    if not text:
        return None
    if message.role == "tool":
        if text.startswith(("Successfully created text document", "Successfully updated text document")):
            return None
        return text[:MAX_TOOL_OUTPUT_CHARS]
    if message.role != "assistant" or message.recipient in (None, "all"):
        return None
    if text[0] in "{[":
        strings = _json_strings(text)
        if strings is not None:
            return "\n".join(strings)
    return text


def _json_strings(text: str) -> list[str] | None:
    """The string values of a tool call's JSON (canvas content, search queries), or None if it is not JSON."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return list(_strings(value))[:_MAX_JSON_STRINGS]


def _strings(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if key not in _MACHINERY_KEYS and value.strip():
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)


def searchable_messages(conv: Conversation) -> list[tuple[Message, str, str]]:
    """The messages of the current branch that search looks at: each with the text it sees and where that text
    stands (:func:`where`). A file a message carries is an entry of its own (``attachment``: its name, and the
    text of a document or PDF), with a copy of the message: a hit on the file is told from one on the words."""
    messages = conv.transcript(include_hidden=True)
    earlier = _earlier_canvas_lines(messages)
    found: list[tuple[Message, str, str]] = []
    for message in messages:
        if not message.hidden:
            found.append((message, message.text, where(message)))
        elif message.id in earlier:
            if earlier[message.id]:
                found.append((message, earlier[message.id], where(message)))
        elif (text := hidden_text(message)) is not None:
            found.append((message, text, where(message)))
        for attachment in message.attachments:
            name = _file_name_words(attachment.name) if attachment.name else None
            if text := "\n".join(t for t in (name, attachment.text) if t):
                found.append((message.model_copy(), text[:MAX_ATTACHMENT_CHARS], ATTACHMENT))
    return found


def _file_name_words(name: str) -> str:
    """A file's name as search reads it: whole, then in its pieces (``mug-IMG_4471.jpg`` also as ``mug IMG_4471
    jpg``): a person remembers ``IMG_4471`` or ``kayak briefing``, not the name's dashes and extension."""
    pieces = " ".join(re.split(r"[\s.\-]+", name)).strip()
    return name if pieces == name else f"{name} {pieces}"


def _earlier_canvas_lines(messages: list[Message]) -> dict[str, str]:
    """By the id of each call that made a canvas version: the lines of that version no earlier version had and the
    final text does not (empty for the call of the final version: its words are the canvas message's)."""
    found: dict[str, str] = {}
    for message in messages:
        if message.canvas is None:
            continue
        final = set(message.text.splitlines())
        seen: set[str] = set()
        for version in message.canvas.versions:
            if version.message_id is None:
                continue
            lines = [line for line in version.text.splitlines() if line.strip() and line not in final]
            found[version.message_id] = "\n".join(dict.fromkeys(line for line in lines if line not in seen))
            seen.update(lines)
    return found


def index_document(conv: Conversation) -> IndexDocument:
    """What the index holds of a conversation, with secrets masked (whatever results show, the index must not
    be able to spell a pasted key out)."""
    messages = searchable_messages(conv)
    title, *bodies = redact_all([conv.title or "", *(text for _, text, _ in messages)])
    texts: dict[str, list[str]] = {}
    for (message, _, found), body in zip(messages, bodies, strict=True):
        # A file's name is what a person remembers of it; its text, like hidden text, weighs less than the chat.
        if found == ATTACHMENT:
            name, _, text = body.partition("\n")
            texts.setdefault(ROLE_FIELDS[message.role], []).append(name)
            if text:
                texts.setdefault(HIDDEN_FIELD, []).append(text)
            continue
        texts.setdefault(ROLE_FIELDS[message.role] if not message.hidden else HIDDEN_FIELD, []).append(body)
    return IndexDocument(
        conversation_id=conv.id,
        title=title,
        texts=texts,
        language=guess_language([t for name in ("user", "assistant") for t in texts.get(name, ())]),
        project_id=conv.project_id,
        models=sorted(conv.models()),
        create_time=to_epoch(conv.create_time),
        update_time=to_epoch(conv.update_time),
    )
