"""The MCP face: thin tools that translate requests into calls on the history store.

No domain logic here: every tool validates nothing beyond its schema, calls one store method, and maps
the store's expected failures to ``ToolError`` messages a person (or model) can act on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import anyio
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, ToolAnnotations
from pydantic import Field

from chatgpt_history_mcp import __version__
from chatgpt_history_mcp.errors import BadArgument, NotFound, StoreError
from chatgpt_history_mcp.results import (
    AutomationList,
    ConversationList,
    ConversationPage,
    HistoryStatus,
    MemoryList,
    SearchPage,
    SentMessage,
    SyncReport,
)
from chatgpt_history_mcp.search.query import QueryError
from chatgpt_history_mcp.settings import Settings
from chatgpt_history_mcp.store.locking import StoreBusy

if TYPE_CHECKING:
    from chatgpt_history_mcp.ingest.keeper import Keeper
    from chatgpt_history_mcp.store.history import HistoryStore

log = logging.getLogger(__name__)

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

INSTRUCTIONS = """\
This server holds the user's ChatGPT history (imported from their data export), searchable locally.
Use search_conversations to find past chats by what was said (words, "exact phrases", -exclusions,
prefix*, code identifiers); it returns conversations with their best matching messages. Use
get_conversation to read one (paged; follow next_offset). list_conversations browses by date or project.
Cite conversations by title and date when you use them."""
SEND_INSTRUCTIONS = """
send_message asks ChatGPT something on the user's account (a new chat, or a follow-up with conversation_id):
use it only when the user wants ChatGPT asked. If it reports an unknown outcome, do not send again before
checking that conversation."""

ISODate = Annotated[str | None, Field(description="ISO-8601 date or datetime, e.g. 2024-03-01 (UTC if no zone)")]
Role = Literal["user", "assistant", "tool", "system"]


#: How long a tool waits for the store to open before saying so.
STORE_OPEN_TIMEOUT = 60.0


#: How long closing waits for the keeper's current step (an import, a sync chunk) to end.
KEEPER_STOP_TIMEOUT = 10.0


class AppState:
    """The store, opened in a background thread so the server answers initialize and tools/list at once
    (loading the index engine and opening a large index is not on that path); then the same thread keeps it
    current (:class:`~chatgpt_history_mcp.ingest.keeper.Keeper`: configured exports, watched folders, background
    sync) while tools answer from what is indexed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: HistoryStore | None = None
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self.keeper: Keeper | None = None
        self._thread = threading.Thread(target=self._open, name="chatgpt-history-store", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        try:
            from chatgpt_history_mcp.ingest.keeper import Keeper
            from chatgpt_history_mcp.store.history import HistoryStore

            store = self._store = HistoryStore(self.settings.data_dir, redact_secrets=self.settings.redact)
            keeper = self.keeper = Keeper(self.settings, store)
        except StoreError as exc:  # a fault of the data folder, said with what to do: no traceback needed
            log.error("%s", exc)
            self._error = exc
            return
        except BaseException as exc:
            log.exception("could not open the history store in %s", self.settings.data_dir)
            self._error = exc
            return
        finally:
            self._ready.set()
        keeper.run()

    @property
    def store(self) -> HistoryStore:
        if not self._ready.wait(STORE_OPEN_TIMEOUT):
            raise ToolError("the history store is still opening; try again in a moment")
        if isinstance(self._error, StoreError):  # says what is wrong with the data folder and what to do
            raise ToolError(str(self._error))
        if self._store is None:
            raise ToolError(f"the history store in {self.settings.data_dir} could not be opened: {self._error}")
        return self._store

    def status(self) -> HistoryStatus:
        """The store's status with what this server does to keep it current."""
        from chatgpt_history_mcp.chatgpt.credentials import login_location

        status = self.store.status()  # first: the keeper exists once the store is open
        login = login_location(self.settings.config_dir)
        update: dict[str, Any] = {"credentials_configured": login is not None, "login": login}
        if self.keeper is not None:
            update["background_sync"] = self.keeper.sync_state.model_copy()
            update["watched_folders"] = [str(folder) for folder in self.keeper.watch.folders]
        return status.model_copy(update=update)

    def close(self) -> None:
        if not self._ready.wait(STORE_OPEN_TIMEOUT):
            return
        if self.keeper is not None:
            self.keeper.stop()
            self._thread.join(KEEPER_STOP_TIMEOUT)
        if self._store is not None:
            self._store.close()


def _expected(exc: Exception) -> ToolError:
    return ToolError(str(exc))


def _state(ctx: Context) -> AppState:
    return cast(AppState, ctx.request_context.lifespan_context)


def _store(ctx: Context) -> HistoryStore:
    return _state(ctx).store


async def _store_async(ctx: Context) -> HistoryStore:
    state = _state(ctx)
    return await anyio.to_thread.run_sync(lambda: state.store)


LIVE = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
SYNC = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
#: Adds a turn to the user's ChatGPT account: never read-only, never safe to repeat.
SEND = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
#: Seconds between two progress notifications while an answer streams.
PROGRESS_EVERY = 0.5


class UnknownToolIsInvalidParams:
    """``tools/call`` of a name the server does not have is a protocol error (-32602), as the spec says, not a
    tool result the model reads as the tool's own failure (SDK 2.3 answers the latter, issue #3659)."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        self._names: frozenset[str] | None = None  # the tools are all registered before the first call

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and isinstance(ctx.params, dict):
            if self._names is None:
                self._names = frozenset(tool.name for tool in await self.server.list_tools())
            name = ctx.params.get("name")
            if isinstance(name, str) and name not in self._names:
                raise MCPError(INVALID_PARAMS, f"Unknown tool: {name}")
        return await call_next(ctx)


def create_server(settings: Settings) -> MCPServer:
    """Build the server; the store opens when a session starts, configured exports import in the background."""

    # Static resources get no Context: they reach the session's state through this holder.
    current: list[AppState] = []

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[AppState]:
        state = AppState(settings)
        current.append(state)
        try:
            yield state
        finally:
            current.remove(state)
            state.close()

    async def opened_store() -> HistoryStore:
        if not current:
            raise ResourceNotFoundError("the history store is not open")
        state = current[-1]
        return await anyio.to_thread.run_sync(lambda: state.store)

    mcp = MCPServer(
        "chatgpt-history",
        title="ChatGPT History",
        version=__version__,
        instructions=INSTRUCTIONS + (SEND_INSTRUCTIONS if settings.allow_send else ""),
        lifespan=lifespan,
    )
    mcp.middleware.append(UnknownToolIsInvalidParams(mcp))

    @mcp.tool(title="Search ChatGPT conversations", annotations=READ_ONLY)
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
        project: Annotated[
            str | None, Field(description="A project (g-p-…) or custom GPT (g-…) id, as list_conversations shows")
        ] = None,
        model: Annotated[str | None, Field(description="A model slug, e.g. gpt-4o")] = None,
    ) -> SearchPage:
        """Search the user's ChatGPT history: one result per conversation, best first.

        Words are ranked, not all required, and other forms match (configure finds configuration); chats
        with every word come first, then those where the words stand together as typed. A few short queries
        of distinctive words beat one long sentence: try another wording if the first misses. Each result
        lists its best matching messages: a snippet with the matched words in **bold**, and where the match
        is (a message, or hidden from the transcript: canvas, web search, tool call, tool output). Read on
        with get_conversation(conversation_id); a note says how a query was read when that matters."""
        try:
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
        except (QueryError, BadArgument, StoreError, StoreBusy) as exc:
            raise _expected(exc) from exc

    @mcp.tool(title="List ChatGPT conversations", annotations=READ_ONLY)
    def list_conversations(
        ctx: Context,
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
        offset: Annotated[int, Field(ge=0)] = 0,
        order: Annotated[
            Literal["updated", "created", "oldest"], Field(description="Newest activity, newest created, or oldest")
        ] = "updated",
        project: Annotated[str | None, Field(description="Only this project (g-p-…) or custom GPT (g-…)")] = None,
        archived: Annotated[bool | None, Field(description="Only archived (true) or only not archived (false)")] = None,
        after: ISODate = None,
        before: ISODate = None,
    ) -> ConversationList:
        """List conversations with their dates, size, model and project, newest first by default."""
        try:
            return _store(ctx).list_conversations(
                limit=limit, offset=offset, order=order, project=project, archived=archived, after=after, before=before
            )
        except (BadArgument, StoreError) as exc:
            raise _expected(exc) from exc

    @mcp.tool(title="Read a ChatGPT conversation", annotations=READ_ONLY)
    def get_conversation(
        ctx: Context,
        conversation_id: Annotated[str, Field(description="From search_conversations or list_conversations")],
        offset: Annotated[int, Field(ge=0, description="First message to return (use next_offset)")] = 0,
        limit: Annotated[int, Field(ge=1, le=200, description="Most messages per page")] = 50,
        include_hidden: Annotated[
            bool, Field(description="Also system prompts, tool calls, reasoning and custom instructions")
        ] = False,
        branch: Annotated[
            Literal["current", "all"],
            Field(description="'current': the transcript as shown; 'all': every edit and regeneration too"),
        ] = "current",
        max_chars_per_message: Annotated[int, Field(ge=200, le=200_000)] = 20_000,
    ) -> ConversationPage:
        """Read a conversation's messages in order, paged to fit a context window."""
        try:
            return _store(ctx).get_conversation(
                conversation_id,
                offset=offset,
                limit=limit,
                include_hidden=include_hidden,
                branch=branch,
                max_chars_per_message=max_chars_per_message,
            )
        except (NotFound, StoreError) as exc:
            raise _expected(exc) from exc

    @mcp.tool(title="History status", annotations=READ_ONLY)
    def history_status(ctx: Context) -> HistoryStatus:
        """Counts, imported sources and when, the data folder, whether an import runs, the last sync, where the
        login is kept, and the server's own background sync (next round, outcome) and watched export folders."""
        try:
            return _state(ctx).status()
        except StoreError as exc:
            raise _expected(exc) from exc

    @mcp.tool(title="Sync from ChatGPT", annotations=SYNC)
    async def sync_history(
        ctx: Context,
        full: Annotated[bool, Field(description="Fetch every conversation again, not only new and changed")] = False,
    ) -> SyncReport:
        """Fetch new and changed conversations, memories and scheduled tasks from ChatGPT into the local history
        (needs a ChatGPT session: CHATGPT_SESSION_TOKEN or `chatgpt-history-mcp login`)."""
        from chatgpt_history_mcp import account
        from chatgpt_history_mcp.chatgpt.backend import BackendError

        store = await _store_async(ctx)
        keeper = _state(ctx).keeper

        async def progress(done: int, total: int, message: str) -> None:
            await ctx.report_progress(done, total or None, message)

        try:
            if keeper is not None:
                return await keeper.sync_after_round(full=full, progress=progress)
            return await account.sync(settings, store, full=full, progress=progress)
        except (BackendError, StoreBusy, StoreError) as exc:
            raise _expected(exc) from exc

    @mcp.tool(title="List ChatGPT memories", annotations=LIVE)
    async def list_memories(ctx: Context) -> MemoryList:
        """What ChatGPT remembers about the user: live when a session is configured, else the stored copy
        (the result says which, and when it was fetched)."""
        from chatgpt_history_mcp import account

        return await account.memories(settings, await _store_async(ctx))

    @mcp.tool(title="List ChatGPT scheduled tasks", annotations=LIVE)
    async def list_automations(ctx: Context) -> AutomationList:
        """ChatGPT's scheduled tasks (automations) with their schedules: live when a session is configured,
        else the stored copy (the result says which, and when it was fetched)."""
        from chatgpt_history_mcp import account

        return await account.automations(settings, await _store_async(ctx))

    if settings.allow_send:

        @mcp.tool(title="Send a message to ChatGPT", annotations=SEND)
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
            from chatgpt_history_mcp.chatgpt.backend import BackendError

            store = await _store_async(ctx)
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
            try:
                return await account.send(
                    settings, store, message, conversation_id=conversation_id, model=model, on_text=progress
                )
            except (BackendError, BadArgument, NotFound, StoreBusy, StoreError) as exc:
                raise _expected(exc) from exc

    @mcp.resource(
        "chatgpt://conversations/{conversation_id}",
        name="conversation",
        title="ChatGPT conversation transcript",
        description="The current branch of a conversation as Markdown",
        mime_type="text/markdown",
    )
    def conversation_markdown(conversation_id: str, ctx: Context) -> str:
        try:
            return _store(ctx).transcript_markdown(conversation_id)
        except NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        except (StoreError, ToolError) as exc:  # the store cannot be used (ToolError: it could not be opened)
            raise ResourceError(str(exc)) from exc

    @mcp.resource(
        "chatgpt://memories",
        name="memories",
        title="ChatGPT memories",
        description="What ChatGPT remembers about the user, as last fetched",
        mime_type="application/json",
    )
    async def memories_resource() -> str:
        from chatgpt_history_mcp import account

        return (await account.memories(settings, await opened_store())).model_dump_json(indent=2)

    @mcp.resource(
        "chatgpt://automations",
        name="automations",
        title="ChatGPT scheduled tasks",
        description="ChatGPT's scheduled tasks (automations), as last fetched",
        mime_type="application/json",
    )
    async def automations_resource() -> str:
        from chatgpt_history_mcp import account

        return (await account.automations(settings, await opened_store())).model_dump_json(indent=2)

    @mcp.custom_route("/health", methods=["GET"])
    async def health(request: Any) -> Any:
        from starlette.responses import JSONResponse

        return JSONResponse({"status": "ok", "version": __version__})

    @mcp.prompt(title="Recall past ChatGPT conversations")
    def recall(topic: Annotated[str, Field(description="What to recall, in the user's words")]) -> str:
        """Search the ChatGPT history for a topic and summarize what was discussed, with citations."""
        return (
            f"Recall what I discussed with ChatGPT about: {topic}\n\n"
            "1. Call search_conversations with the key words of the topic (try synonyms, exact "
            '"phrases", code identifiers, and a second search if the first finds little).\n'
            "2. Read the most relevant conversations with get_conversation (follow next_offset for long ones).\n"
            "3. Answer with what was concluded, decided or produced, citing each conversation by title and "
            "date (and id). Say plainly if nothing relevant was found; do not invent past discussions."
        )

    return mcp
