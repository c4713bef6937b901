"""The one model of conversations and messages that every source produces and the store keeps.

Exports and the web backend both turn into these; nothing downstream looks at raw ChatGPT JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["user", "assistant", "tool", "system"]
#: Every role, in the order the ``role`` filters of the search tool and the CLI offer them.
ROLES: tuple[Role, ...] = get_args(Role)
Source = Literal["export", "api"]
#: What a ``g-…`` id names: a project (``g-p-…``, ``gizmo_type`` "snorlax") or a custom GPT (``g-…``, "gpt").
GizmoKind = Literal["project", "gpt"]
#: What a message is beside its role: an ordinary message, a canvas document (rebuilt from the hidden calls that made
#: it, shown where it reached its final text) or a deep-research report (the assistant's answer to a research task).
MessageKind = Literal["message", "canvas", "deep_research"]
#: What a file is to a reader: shown as a picture, read as text, listened to, or only named.
FileKind = Literal["image", "document", "audio", "other"]
#: How a file came into a conversation: the person attached it, ChatGPT generated it (DALL-E, image_gen), code
#: the assistant ran drew it (a chart), an agent's browser took it, or it is a voice turn's recording.
FileOrigin = Literal["upload", "generated", "code_output", "screenshot", "voice"]


def from_epoch(epoch: float | None) -> datetime | None:
    """Epoch seconds, as the store, the index and ChatGPT's JSON keep times, as the model's aware UTC time."""
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def to_epoch(when: datetime | None) -> float | None:
    """The model's time as epoch seconds, for the store and the index (which sort and compare numbers)."""
    return when.timestamp() if when is not None else None


class CanvasVersion(BaseModel):
    """One version of a canvas document: the text after the call ``message_id`` (None: known from ChatGPT only)."""

    model_config = ConfigDict(frozen=True)

    version: int
    text: str
    message_id: str | None = None
    note: str | None = Field(default=None, description="Why this version's text may not be what ChatGPT had")


class CanvasComment(BaseModel):
    """A comment ChatGPT left on a canvas: the text it points at (a pattern, as the call gave it) and what it says."""

    model_config = ConfigDict(frozen=True)

    quote: str
    comment: str
    version: int | None = Field(default=None, description="The version it was left on")


class Canvas(BaseModel):
    """A canvas document (``canmore``) as it ended up, and how it got there."""

    model_config = ConfigDict(frozen=True)

    textdoc_id: str | None = None
    title: str | None = None
    type: str | None = Field(default=None, description="document, code/<language> or webview")
    version: int | None = None
    versions: list[CanvasVersion] = Field(default_factory=list, description="Every version, oldest first")
    comments: list[CanvasComment] = Field(default_factory=list)
    exact: bool = Field(default=True, description="Whether the text is known to be what ChatGPT had")
    source: Literal["calls", "chatgpt"] = Field(
        default="calls", description="calls: rebuilt from the conversation; chatgpt: the current text from ChatGPT"
    )
    notes: list[str] = Field(default_factory=list, description="What could not be rebuilt, and what was done")


class Attachment(BaseModel):
    """A file a message refers to (``chatgpt-files-and-canvas.md`` §1.1): what the message says of it, and once
    the store holds the file, what its bytes say (type, size) and the text a search reads in it."""

    model_config = ConfigDict(frozen=True)

    file_id: str
    name: str | None = None
    mime_type: str | None = Field(default=None, description="As the bytes say once stored, else as the message did")
    size: int | None = None
    width: int | None = None
    height: int | None = None
    kind: FileKind = "other"
    origin: FileOrigin = "upload"
    text: str | None = Field(default=None, description="Text read from the file (documents, PDFs), for search")


class Message(BaseModel):
    """One node of a conversation tree that carries a message."""

    model_config = ConfigDict(frozen=True)

    id: str
    parent_id: str | None = None
    role: Role
    author_name: str | None = None
    create_time: datetime | None = None
    content_type: str
    text: str
    hidden: bool = Field(description="Not shown in the transcript by default (system, tool calls, reasoning…)")
    model: str | None = None
    recipient: str | None = None
    kind: MessageKind = "message"
    canvas: Canvas | None = None
    attachments: tuple[Attachment, ...] = ()


class Conversation(BaseModel):
    """A conversation with every message of every branch, and which path is the current one."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    model: str | None = Field(default=None, description="The default model slug")
    project_id: str | None = Field(default=None, description="A project (g-p-…) or custom GPT (g-…) id")
    is_archived: bool = False
    is_starred: bool = False
    source: Source = "export"
    messages: list[Message] = Field(description="All messages of all branches, parents before children")
    current_path: list[str] = Field(description="Message ids from the root to the current leaf")

    @property
    def display_title(self) -> str:
        return self.title or "Untitled conversation"

    def transcript(self, include_hidden: bool = False) -> list[Message]:
        """The messages a person sees: the current branch, hidden ones left out unless asked for."""
        by_id = {m.id: m for m in self.messages}
        path = [by_id[i] for i in self.current_path if i in by_id]
        return path if include_hidden else [m for m in path if not m.hidden]

    def attachments(self) -> list[Attachment]:
        """Every file the conversation refers to, on any branch, once each (the first mention)."""
        seen: dict[str, Attachment] = {}
        for message in self.messages:
            for attachment in message.attachments:
                seen.setdefault(attachment.file_id, attachment)
        return list(seen.values())

    def models(self) -> set[str]:
        found = {m.model for m in self.transcript(include_hidden=True) if m.model}
        if self.model:
            found.add(self.model)
        return found


def gizmo_kind(gizmo_id: str, gizmo_type: object = None) -> GizmoKind:
    """A project or a custom GPT: as the backend's ``gizmo_type`` says, else as the id does (an export has only the
    id, and every project id starts ``g-p-``)."""
    if gizmo_type == "snorlax":
        return "project"
    if gizmo_type == "gpt":
        return "gpt"
    return "project" if gizmo_id.startswith("g-p-") else "gpt"


class Gizmo(BaseModel):
    """A project or custom GPT as the backend names it. No export carries names: they come from a sync (the
    sidebar, ``/gizmos/{id}``) and are kept so they are there offline."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: GizmoKind
    name: str | None = None
    deleted: bool = Field(default=False, description="The backend answered 404: a deleted GPT (its chats are kept)")
