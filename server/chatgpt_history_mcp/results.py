"""What the store answers with: the shapes the faces (MCP tools, CLI) hand on unchanged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from chatgpt_history_mcp.model import CanvasComment, FileKind, FileOrigin, GizmoKind

#: The ``project_name`` of a result: what the person calls its project or custom GPT.
ProjectName = Annotated[str | None, Field(description="Its project's or GPT's name; null until a sync fetches names")]


class MessageMatch(BaseModel):
    message_id: str
    role: str
    where: str = Field(
        default="message",
        description="message (the transcript), canvas (a canvas document, its final text or an earlier version), "
        "attachment (a file the message carries: its name or text; get_file reads it), "
        "or hidden from the transcript: web search, tool call, tool output (get_conversation with "
        "include_hidden=true shows those)",
    )
    create_time: datetime | None
    snippet: str = Field(description="Text around the match; matched words are wrapped in **")


class SearchResult(BaseModel):
    conversation_id: str
    title: str
    update_time: datetime | None
    score: float
    project_id: str | None = None
    project_name: ProjectName = None
    matches: list[MessageMatch]


class AsOf(BaseModel):
    """How current the store is, so an answer can say "as of …"."""

    last_sync: datetime | None = Field(description="When the last complete sync from ChatGPT finished; null: never")
    last_import: datetime | None = Field(description="When an export was last imported; null: never")


class SearchPage(BaseModel):
    query: str
    results: list[SearchResult]
    next_offset: int | None = Field(description="Pass as offset for the next page; null on the last page")
    note: str | None = Field(default=None, description="How the query was read, when that is worth knowing")
    as_of: AsOf


class ConversationSummary(BaseModel):
    conversation_id: str
    title: str
    create_time: datetime | None
    update_time: datetime | None
    message_count: int
    model: str | None
    project_id: str | None
    project_name: ProjectName = None
    is_archived: bool


class ConversationList(BaseModel):
    items: list[ConversationSummary]
    total: int
    next_offset: int | None
    as_of: AsOf


class CanvasVersionView(BaseModel):
    version: int
    message_id: str | None = Field(default=None, description="The hidden call that made it (include_hidden shows it)")
    length: int = Field(description="Characters")
    text: str | None = Field(default=None, description="Given with include_hidden=true; cut to max_chars_per_message")
    note: str | None = None


class CanvasView(BaseModel):
    """A canvas document: the message's text is its final version."""

    textdoc_id: str | None
    title: str | None
    type: str | None = Field(description="document, code/<language> or webview")
    version: int | None
    exact: bool = Field(description="false: the text may differ from ChatGPT's (notes say why)")
    source: str = Field(description="calls: rebuilt from the conversation; chatgpt: ChatGPT's current text (a sync)")
    notes: list[str] = Field(default_factory=list)
    comments: list[CanvasComment] = Field(default_factory=list, description="Comments ChatGPT left on it")
    versions: list[CanvasVersionView] = Field(default_factory=list, description="Every version, oldest first")


#: Where an MCP client reads a stored file's bytes (a resource template; its own MIME type per file).
FILE_URI = "chatgpt://files/{file_id}"


class AttachmentView(BaseModel):
    """A file a message carries. ``available``: the store has its bytes (get_file reads it, ``uri`` serves it)."""

    file_id: str
    name: str | None = None
    mime_type: str | None = None
    size: int | None = Field(default=None, description="Bytes")
    width: int | None = None
    height: int | None = None
    kind: FileKind = Field(description="image, document, audio or other")
    origin: FileOrigin = Field(description="upload, generated (by ChatGPT), code_output, screenshot or voice")
    available: bool = Field(description="false: the export did not carry it (normal for many) and no sync brought it")
    uri: str | None = Field(default=None, description="The file's resource (chatgpt://files/…), when available")


class FileContent(BaseModel):
    """A stored file as get_file gives it: what it is, and its content as far as it reads as text."""

    file_id: str
    name: str | None
    mime_type: str
    size: int = Field(description="Bytes")
    kind: FileKind
    conversation_id: str | None = Field(description="The conversation it came with")
    uri: str = Field(description="The original bytes, as a resource")
    width: int | None = None
    height: int | None = None
    shown_width: int | None = Field(default=None, description="The image given here (downscaled when larger)")
    shown_height: int | None = None
    text: str | None = Field(default=None, description="The text of a document or PDF, this page of it")
    offset: int = 0
    total_chars: int | None = None
    next_offset: int | None = Field(default=None, description="Pass as offset to read on; null at the end")
    note: str | None = None


class MessageView(BaseModel):
    message_id: str
    parent_id: str | None = None
    role: str
    create_time: datetime | None
    content_type: str
    kind: str = Field(default="message", description="message, canvas (a canvas document) or deep_research (a report)")
    text: str
    model: str | None = None
    hidden: bool = False
    on_current_branch: bool = True
    alternatives: int = Field(default=1, description="Versions of this turn (edits, regenerations); >1 means branches")
    truncated: bool = Field(default=False, description="Text cut to max_chars_per_message; full_length tells how long")
    full_length: int | None = None
    canvas: CanvasView | None = None
    attachments: list[AttachmentView] = Field(default_factory=list, description="Files the message carries")


class ConversationPage(BaseModel):
    conversation_id: str
    title: str
    create_time: datetime | None
    update_time: datetime | None
    model: str | None
    project_id: str | None
    project_name: ProjectName = None
    is_archived: bool
    branch: str
    total_messages: int
    offset: int
    messages: list[MessageView]
    next_offset: int | None = Field(description="Pass as offset to read on; null when this page is the end")
    note: str | None = None


class ProjectSummary(BaseModel):
    project_id: str
    name: str | None = Field(description="null: not fetched yet (names come from a sync), or deleted before one")
    kind: GizmoKind = Field(description="project, or gpt: a custom GPT")
    conversations: int
    last_activity: datetime | None = Field(description="The newest update among its conversations")
    deleted: bool = Field(default=False, description="ChatGPT no longer has it (a deleted GPT); its chats are kept")


class ProjectList(BaseModel):
    projects: list[ProjectSummary] = Field(description="Most recently active first")
    note: str | None = None
    as_of: AsOf


class SyncReport(BaseModel):
    outcome: Literal["complete", "incomplete"] = "complete"
    listed: int = 0
    fetched: int = 0
    unchanged: int = 0
    failed: int = 0
    remaining: int = 0
    memories: int | None = None
    automations: int | None = None
    names: int | None = Field(default=None, description="Projects and custom GPTs whose names were fetched")
    files_downloaded: int | None = Field(
        default=None,
        description="Files of the conversations downloaded and kept (null: files are switched off, or the sync "
        "stopped before them)",
    )
    files_bytes: int = Field(default=0, description="Bytes of the files downloaded and kept")
    files_gone: int = Field(default=0, description="Files ChatGPT no longer has (not asked for again)")
    files_skipped: int = Field(default=0, description="Files not downloaded: over the files bound")
    files_remaining: int = Field(default=0, description="Files left for the next sync to download")
    seconds: float = 0.0
    error: str | None = None
    finished_at: datetime | None = None

    def summary(self) -> str:
        parts = [f"{self.listed} listed", f"{self.fetched} fetched", f"{self.unchanged} unchanged"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.memories is not None:
            parts.append(f"{self.memories} memories")
        if self.automations is not None:
            parts.append(f"{self.automations} automations")
        if self.names is not None:
            parts.append(f"{self.names} project and GPT names")
        if self.files_downloaded is not None:
            parts.append(f"{self.files_downloaded} files downloaded ({size_text(self.files_bytes)})")
        if self.files_gone:
            parts.append(f"{self.files_gone} files no longer on ChatGPT")
        if self.files_skipped:
            parts.append(f"{self.files_skipped} files not downloaded (over CHATGPT_HISTORY_FILES_LIMIT)")
        text = f"sync {self.outcome}: {', '.join(parts)} ({self.seconds:.1f}s)"
        if self.outcome == "incomplete":
            left = f"{self.remaining} conversations"
            if self.files_remaining:
                left += f" and {self.files_remaining} files"
            text += f"; {left} left for the next sync: {self.error}"
        return text


class SentMessage(BaseModel):
    """A message sent to ChatGPT and its complete answer."""

    conversation_id: str
    new_conversation: bool
    title: str | None = None
    user_message_id: str
    assistant_message_id: str
    model: str | None = None
    reply: str
    stored: bool = Field(description="The turn is in the local history now (search and get_conversation see it)")
    note: str | None = None


class SourceStatus(BaseModel):
    path: str
    kind: str
    imported_at: datetime | None
    outcome: str | None
    detail: str | None
    conversations: int | None


class Reindexing(BaseModel):
    """The search index being rebuilt from the archive (a new index version, a damaged or deleted index):
    search answers meanwhile from the part already done."""

    total: int
    done: int


class ImportState(BaseModel):
    running: bool
    path: str | None = None
    progress: float | None = Field(default=None, description="0..1 of the current file read")
    conversations_read: int = 0
    last_error: str | None = None
    reindexing: Reindexing | None = None


class BackgroundSyncState(BaseModel):
    """What a running server does to stay current from ChatGPT by itself."""

    enabled: bool = Field(description="Syncing on an interval (needs a ChatGPT session and an interval above 0)")
    interval_seconds: float
    reason: str | None = Field(default=None, description="Why it is off, when it is")
    next_at: datetime | None = Field(default=None, description="When the next round starts")
    running: bool = False
    progress: str | None = Field(default=None, description="What the running round is doing")
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_outcome: str | None = Field(
        default=None, description="complete, incomplete (it retries later, backing off), skipped (busy) or failed"
    )
    last_error: str | None = None


class WriterActivity(BaseModel):
    """The import, sync or index rebuild writing the store now, whichever process runs it."""

    pid: int | None
    activity: str
    since: datetime | None


class FilesStatus(BaseModel):
    """The files the store keeps (uploads, images, voice clips), their bytes on disk, and the bound on them."""

    kept: int
    bytes: int = Field(description="On disk, each content once")
    limit: int | None = Field(description="CHATGPT_HISTORY_FILES_LIMIT in bytes (0: keep none)")


class HistoryStatus(BaseModel):
    data_dir: str
    conversations: int
    messages: int
    projects: int = Field(description="ChatGPT projects (g-p-…), as list_projects lists them")
    custom_gpts: int = Field(description="Custom GPTs (g-…) chatted with, as list_projects lists them")
    indexed: int
    pending_index: int
    files: FilesStatus | None = None
    sources: list[SourceStatus]
    importing: ImportState
    writing: WriterActivity | None = Field(
        default=None, description="What writes the store now (this server or another process); null: nothing"
    )
    last_sync: SyncReport | None = Field(default=None, description="The last sync from ChatGPT, if any")
    credentials_configured: bool | None = Field(default=None, description="Whether a ChatGPT session is set up")
    background_sync: BackgroundSyncState | None = Field(default=None, description="A running server's own syncing")
    watched_folders: list[str] = Field(
        default_factory=list, description="Folders a running server watches for new export ZIPs"
    )
    login: str | None = Field(
        default=None, description="Where the ChatGPT login comes from: the environment, the system keyring or a file"
    )
    version: str


def _text(value: Any) -> str | None:
    """A field of ChatGPT's JSON shown as text; a missing one stays None (never "None")."""
    return None if value is None else str(value)


class Memory(BaseModel):
    id: str
    content: str
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_backend(cls, raw: dict[str, Any], position: int) -> Memory:
        """The one reading of a memory entry of ``/backend-api/memories`` (``{id, content, created_timestamp,
        updated_at}``; some builds say ``created_at`` / ``updated_timestamp``), live and stored alike. An entry
        without an id is named by its place in the list."""
        return cls(
            id=str(raw.get("id") or f"memory-{position}"),
            content=str(raw.get("content") or ""),
            created_at=_text(raw.get("created_timestamp") or raw.get("created_at")),
            updated_at=_text(raw.get("updated_at") or raw.get("updated_timestamp")),
        )


class Automation(BaseModel):
    id: str
    title: str | None = None
    prompt: str | None = None
    is_enabled: bool | None = None
    schedule: str | None = Field(default=None, description="An RRULE or the backend's timing description")
    next_run_times: list[str] = Field(default_factory=list)

    @classmethod
    def from_backend(cls, raw: dict[str, Any]) -> Automation:
        """An item of ``/backend-api/automations``, live or from the stored copy of that JSON."""
        runs = raw.get("next_run_times")
        return cls(
            id=str(raw.get("id") or ""),
            title=_text(raw.get("title")),
            prompt=_text(raw.get("prompt") or raw.get("default_prompt")),
            is_enabled=raw.get("is_enabled") if isinstance(raw.get("is_enabled"), bool) else None,
            schedule=_text(raw.get("schedule") or raw.get("rrule") or raw.get("timing_mode")),
            next_run_times=[str(r) for r in runs] if isinstance(runs, list) else [],
        )


class MemoryList(BaseModel):
    source: Literal["live", "stored"]
    fetched_at: datetime | None = Field(description="When this copy was fetched from ChatGPT")
    memories: list[Memory]
    note: str | None = None


class AutomationList(BaseModel):
    source: Literal["live", "stored"]
    fetched_at: datetime | None
    automations: list[Automation]
    note: str | None = None


def size_text(size: int) -> str:
    """Bytes as a person reads them: 26.2 KB, 1.4 MB, 2.0 GB."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} bytes"


class ImportReport(BaseModel):
    path: str
    outcome: Literal["imported", "unchanged"]
    conversations: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
    invalid: int = 0
    files_added: int = Field(default=0, description="Files kept (uploads, images, voice clips)")
    files_bytes: int = Field(default=0, description="Bytes of new content they brought (a file kept before: 0)")
    files_missing: int = Field(default=0, description="Files messages name that the source does not carry")
    files_over_limit: int = Field(default=0, description="Files not kept: the files bound was reached")
    files_unreadable: int = Field(default=0, description="Files whose bytes could not be read")
    seconds: float = 0.0
    #: Set when most entries were unreadable: what was imported is likely not the whole history.
    warning: str | None = None

    def summary(self) -> str:
        if self.outcome == "unchanged":
            return f"{self.path}: already imported, nothing changed ({self.seconds:.2f}s)"
        return f"{self.path}: {self.conversations} conversations: {self.counts()} ({self.seconds:.1f}s)"

    def counts(self) -> str:
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.older:
            parts.append(f"{self.older} kept (stored copy is newer)")
        if self.invalid:
            parts.append(f"{self.invalid} skipped (unreadable)")
        if self.files_added:
            parts.append(f"{self.files_added} files kept ({size_text(self.files_bytes)} new)")
        if self.files_over_limit:
            parts.append(f"{self.files_over_limit} files not kept (over CHATGPT_HISTORY_FILES_LIMIT)")
        if self.files_unreadable:
            parts.append(f"{self.files_unreadable} files unreadable")
        return ", ".join(parts)

    def check_readable(self) -> None:
        """Set :attr:`warning` when more than half of the entries could not be read."""
        if self.invalid * 2 > self.conversations:
            self.warning = (
                f"{self.invalid:,} of {self.conversations:,} entries could not be read as conversations and were "
                "skipped: this export looks damaged or is not the ChatGPT export; download it again "
                "(Settings → Data controls → Export)"
            )
