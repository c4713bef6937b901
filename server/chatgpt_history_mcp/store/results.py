"""What the store answers with: the shapes the faces (MCP tools, CLI) hand on unchanged."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class MessageMatch(BaseModel):
    message_id: str
    role: str
    create_time: datetime | None
    snippet: str = Field(description="Text around the match; matched words are wrapped in **")


class SearchResult(BaseModel):
    conversation_id: str
    title: str
    update_time: datetime | None
    score: float
    project_id: str | None = None
    matches: list[MessageMatch]


class SearchPage(BaseModel):
    query: str
    results: list[SearchResult]
    next_offset: int | None = Field(description="Pass as offset for the next page; null on the last page")


class ConversationSummary(BaseModel):
    conversation_id: str
    title: str
    create_time: datetime | None
    update_time: datetime | None
    message_count: int
    model: str | None
    project_id: str | None
    is_archived: bool


class ConversationList(BaseModel):
    items: list[ConversationSummary]
    total: int
    next_offset: int | None


class MessageView(BaseModel):
    message_id: str
    parent_id: str | None = None
    role: str
    create_time: datetime | None
    content_type: str
    text: str
    model: str | None = None
    hidden: bool = False
    on_current_branch: bool = True
    alternatives: int = Field(default=1, description="Versions of this turn (edits, regenerations); >1 means branches")
    truncated: bool = Field(default=False, description="Text cut to max_chars_per_message; full_length tells how long")
    full_length: int | None = None


class ConversationPage(BaseModel):
    conversation_id: str
    title: str
    create_time: datetime | None
    update_time: datetime | None
    model: str | None
    project_id: str | None
    is_archived: bool
    branch: str
    total_messages: int
    offset: int
    messages: list[MessageView]
    next_offset: int | None = Field(description="Pass as offset to read on; null when this page is the end")
    note: str | None = None


class SourceStatus(BaseModel):
    path: str
    kind: str
    imported_at: datetime | None
    outcome: str | None
    detail: str | None
    conversations: int | None


class ImportState(BaseModel):
    running: bool
    path: str | None = None
    progress: float | None = Field(default=None, description="0..1 of the current file read")
    conversations_read: int = 0
    last_error: str | None = None


class HistoryStatus(BaseModel):
    data_dir: str
    conversations: int
    messages: int
    projects: int
    indexed: int
    pending_index: int
    sources: list[SourceStatus]
    importing: ImportState
    version: str
