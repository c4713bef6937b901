"""The MCP tools: plain functions of a session's :class:`AppState`, each one call into the store or the account.

No domain logic here: a tool validates nothing beyond its schema, calls one method, and :func:`user_errors`
turns the expected failures (:class:`~chatgpt_history_mcp.errors.UserError`) into ``ToolError`` messages a
person (or model) can act on. :func:`chatgpt_history_mcp.faces.mcp_server.create_server` registers them.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Literal, cast

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, ImageContent, ResourceLink, TextContent, ToolAnnotations
from pydantic import Field

from chatgpt_history_mcp.errors import UserError
from chatgpt_history_mcp.faces.app_state import AppState
from chatgpt_history_mcp.model import Role
from chatgpt_history_mcp.results import (
    AutomationList,
    ConversationList,
    ConversationPage,
    FileContent,
    HistoryStatus,
    MemoryList,
    ProjectList,
    SearchPage,
    SentMessage,
    SyncReport,
)

if TYPE_CHECKING:
    from chatgpt_history_mcp.store.history import HistoryStore

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
LIVE = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
SYNC = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
#: Adds a turn to the user's ChatGPT account: never read-only, never safe to repeat.
SEND = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
#: Seconds between two progress notifications while an answer streams.
PROGRESS_EVERY = 0.5

ISODate = Annotated[str | None, Field(description="ISO-8601 date or datetime, e.g. 2024-03-01 (UTC if no zone)")]
Project = Annotated[str | None, Field(description="A project or custom GPT: its name or id (list_projects)")]


@contextmanager
def user_errors() -> Iterator[None]:
    """The one mapping of expected failures to what the model reads: the message, as a tool error."""
    try:
        yield
    except UserError as exc:
        raise ToolError(str(exc)) from exc


def session_state(ctx: Context) -> AppState:
    return cast(AppState, ctx.request_context.lifespan_context)


def _store(ctx: Context) -> HistoryStore:
    return session_state(ctx).store


async def _store_async(ctx: Context) -> HistoryStore:
    state = session_state(ctx)
    return await anyio.to_thread.run_sync(lambda: state.store)


def search_conversations(
    ctx: Context,
    query: Annotated[
        str,
        Field(
            description='Distinctive words (ranked, not all required), "exact phrase", -excluded, +required, '
            "prefix*, identifiers (parse_config); CJK as typed; a pasted error works too"
        ),
    ],
    limit: Annotated[int, Field(ge=1, le=50, description="Conversations per page")] = 10,
    offset: Annotated[int, Field(ge=0, description="Skip this many (use next_offset)")] = 0,
    role: Annotated[Role | None, Field(description="Only match messages by this author")] = None,
    after: ISODate = None,
    before: ISODate = None,
    project: Project = None,
    model: Annotated[str | None, Field(description="A model slug, e.g. gpt-4o")] = None,
) -> SearchPage:
    """Search the user's ChatGPT history: one result per conversation, best first.

    Words are ranked, not all required, and other forms match (configure finds configuration); chats
    with every word come first, then those where the words stand together as typed. A few short queries
    of distinctive words beat one long sentence: try another wording if the first misses. Each result
    lists its best matching messages: a snippet with the matched words in **bold**, and where the match
    is (a message, or hidden from the transcript: canvas, web search, tool call, tool output). Read on
    with get_conversation(conversation_id); a note says how a query was read when that matters."""
    with user_errors():
        return _store(ctx).search(
            query,
            limit=limit,
            offset=offset,
            role=role,
            after=after,
            before=before,
            project=project,
            model=model,
        )


def list_conversations(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
    offset: Annotated[int, Field(ge=0)] = 0,
    order: Annotated[
        Literal["updated", "created", "oldest"], Field(description="Newest activity, newest created, or oldest")
    ] = "updated",
    project: Project = None,
    archived: Annotated[bool | None, Field(description="Only archived (true) or only not archived (false)")] = None,
    after: ISODate = None,
    before: ISODate = None,
) -> ConversationList:
    """List conversations with their dates, size, model and project, newest first by default."""
    with user_errors():
        return _store(ctx).list_conversations(
            limit=limit, offset=offset, order=order, project=project, archived=archived, after=after, before=before
        )


def list_projects(ctx: Context) -> ProjectList:
    """The user's ChatGPT projects and custom GPTs: id, name, kind, conversation count, last activity."""
    with user_errors():
        return _store(ctx).list_projects()


def get_conversation(
    ctx: Context,
    conversation_id: Annotated[str, Field(description="From search_conversations or list_conversations")],
    offset: Annotated[int, Field(ge=0, description="First message to return (use next_offset)")] = 0,
    limit: Annotated[int, Field(ge=1, le=200, description="Most messages per page")] = 50,
    include_hidden: Annotated[
        bool,
        Field(
            description="Also system prompts, tool calls, reasoning, custom instructions and earlier canvas versions"
        ),
    ] = False,
    branch: Annotated[
        Literal["current", "all"],
        Field(description="'current': the transcript as shown; 'all': every edit and regeneration too"),
    ] = "current",
    max_chars_per_message: Annotated[int, Field(ge=200, le=200_000)] = 20_000,
) -> ConversationPage:
    """Read a conversation's messages in order, paged to fit a context window. A canvas document is a message
    of kind canvas (its final text, title, type, versions), a deep-research report one of kind deep_research."""
    with user_errors():
        return _store(ctx).get_conversation(
            conversation_id,
            offset=offset,
            limit=limit,
            include_hidden=include_hidden,
            branch=branch,
            max_chars_per_message=max_chars_per_message,
        )


def get_file(
    ctx: Context,
    file_id: Annotated[str, Field(description="An attachment's file_id, from get_conversation")],
    offset: Annotated[int, Field(ge=0, description="First character of a document's text (use next_offset)")] = 0,
    max_chars: Annotated[int, Field(ge=500, le=200_000, description="Most characters of text per call")] = 40_000,
) -> Annotated[CallToolResult, FileContent]:
    """Read a file from a conversation (an uploaded photo, a generated image, a chart, a PDF, a text file):
    an image as a picture you can see (downscaled; the original is the file's resource), a document or PDF
    as its text (paged: follow next_offset), anything else as what is known of it; each with a link to the
    original bytes (the resource chatgpt://files/{file_id})."""
    with user_errors():
        found = _store(ctx).read_file(file_id, offset=offset, max_chars=max_chars)
    content = found.content
    blocks: list[ContentBlock] = []
    if found.image is not None:
        data = base64.b64encode(found.image.data).decode()
        blocks.append(ImageContent(type="image", data=data, mime_type=found.image.mime_type))
    blocks.append(TextContent(type="text", text=content.model_dump_json(exclude_none=True)))
    name = content.name or content.file_id
    # the original bytes, for a host that fetches them
    blocks.append(
        ResourceLink(type="resource_link", uri=content.uri, name=name, mime_type=content.mime_type, size=content.size)
    )
    return CallToolResult(content=blocks, structured_content=content.model_dump(mode="json"))


def history_status(ctx: Context) -> HistoryStatus:
    """Counts, imported sources and when, the data folder, whether an import runs, the last sync, where the
    login is kept, and the server's own background sync (next round, outcome) and watched export folders."""
    with user_errors():
        return session_state(ctx).status()


async def sync_history(
    ctx: Context,
    full: Annotated[bool, Field(description="Fetch every conversation again, not only new and changed")] = False,
) -> SyncReport:
    """Fetch new and changed conversations, their files, memories and scheduled tasks from ChatGPT into the
    local history (needs a ChatGPT session: CHATGPT_SESSION_TOKEN or `chatgpt-history-mcp login`)."""
    from chatgpt_history_mcp import account

    async def progress(done: int, total: int, message: str) -> None:
        await ctx.report_progress(done, total or None, message)

    with user_errors():
        store = await _store_async(ctx)
        keeper = session_state(ctx).keeper  # once the store is open: the keeper is made just after it
        if keeper is not None:
            return await keeper.sync_after_round(full=full, progress=progress)
        return await account.sync(session_state(ctx).settings, store, full=full, progress=progress)


async def list_memories(ctx: Context) -> MemoryList:
    """What ChatGPT remembers about the user: live when a session is configured, else the stored copy
    (the result says which, and when it was fetched)."""
    from chatgpt_history_mcp import account

    with user_errors():
        return await account.memories(session_state(ctx).settings, await _store_async(ctx))


async def list_automations(ctx: Context) -> AutomationList:
    """ChatGPT's scheduled tasks (automations) with their schedules: live when a session is configured,
    else the stored copy (the result says which, and when it was fetched)."""
    from chatgpt_history_mcp import account

    with user_errors():
        return await account.automations(session_state(ctx).settings, await _store_async(ctx))


async def send_message(
    ctx: Context,
    message: Annotated[str, Field(min_length=1, description="The text to send, as the user would type it")],
    conversation_id: Annotated[
        str | None, Field(description="Continue this conversation; leave out to start a new chat")
    ] = None,
    model: Annotated[
        str | None, Field(description="A model slug, e.g. gpt-4o; leave out for ChatGPT's default")
    ] = None,
) -> SentMessage:
    """Send a message to ChatGPT (a new chat, or a follow-up in conversation_id) and return the answer;
    the turn joins the local history at once. It writes to the user's ChatGPT account: send only what the
    user asked for. After an "unknown outcome" error, check the conversation before sending again."""
    from chatgpt_history_mcp import account

    updates = 0
    last = 0.0

    async def progress(text: str) -> None:
        nonlocal updates, last
        now = anyio.current_time()
        if now - last >= PROGRESS_EVERY:
            updates, last = updates + 1, now
            tail = " ".join(text[-120:].split())
            await ctx.report_progress(updates, None, f"{len(text):,} characters received: …{tail}")

    await ctx.report_progress(0, None, "sending to ChatGPT")
    with user_errors():
        store = await _store_async(ctx)
        return await account.send(
            session_state(ctx).settings, store, message, conversation_id=conversation_id, model=model, on_text=progress
        )
