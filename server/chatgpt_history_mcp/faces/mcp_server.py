"""The MCP server: what a host sees (tools, resources, prompt, instructions), registered over :mod:`.tools`."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, InputRequiredResult, ToolAnnotations
from pydantic import Field

from chatgpt_history_mcp import __version__
from chatgpt_history_mcp.errors import NotFound, UserError
from chatgpt_history_mcp.faces import tools
from chatgpt_history_mcp.faces.app_state import AppState
from chatgpt_history_mcp.results import FILE_URI
from chatgpt_history_mcp.settings import Settings

if TYPE_CHECKING:  # loaded when a session opens the store, not before tools/list
    from chatgpt_history_mcp.store.history import HistoryStore

INSTRUCTIONS = """\
This server holds the user's ChatGPT history (imported from their data export), searchable locally.
Use search_conversations to find past chats by what was said (words, "exact phrases", -exclusions,
prefix*, code identifiers); it returns conversations with their best matching messages. Use
get_conversation to read one (paged; follow next_offset); a message's attachments name files that get_file
shows (images as pictures, documents and PDFs as text). list_conversations browses by date or project;
list_projects names the user's projects and custom GPTs (a name or an id works as project).
Cite conversations by title and date when you use them."""
SEND_INSTRUCTIONS = """
send_message asks ChatGPT something on the user's account (a new chat, or a follow-up with conversation_id):
use it only when the user wants ChatGPT asked. If it reports an unknown outcome, do not send again before
checking that conversation."""


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


@contextmanager
def resource_errors() -> Iterator[None]:
    """The resources' one mapping of expected failures: an id the store does not have is not found (-32602),
    a store that cannot be used (damaged, could not be opened) an error with its message."""
    try:
        yield
    except NotFound as exc:
        raise ResourceNotFoundError(str(exc)) from exc
    except UserError as exc:
        raise ResourceError(str(exc)) from exc


class FileBytes(bytes):
    """A file's bytes that know their MIME type: a resource template declares one type for every file it
    serves, and :class:`HistoryServer` gives each file its own."""

    mime_type: str

    def __new__(cls, data: bytes, mime_type: str) -> FileBytes:
        made = super().__new__(cls, data)
        made.mime_type = mime_type
        return made


class HistoryServer(MCPServer):
    """The SDK's server, with each file resource read under the file's own MIME type."""

    async def read_resource(self, uri: Any, context: Any = None) -> Any:
        results = await super().read_resource(uri, context)
        if isinstance(results, InputRequiredResult):
            return results
        return [
            ReadResourceContents(content=r.content, mime_type=r.content.mime_type, meta=r.meta)
            if isinstance(r.content, FileBytes)
            else r
            for r in results
        ]


Registered = tuple[Callable[..., Any], str, ToolAnnotations]
#: The tools a host is offered, with their titles and hints: (function, title, annotations).
TOOLS: tuple[Registered, ...] = (
    (tools.search_conversations, "Search ChatGPT conversations", tools.READ_ONLY),
    (tools.list_conversations, "List ChatGPT conversations", tools.READ_ONLY),
    (tools.list_projects, "List ChatGPT projects and custom GPTs", tools.READ_ONLY),
    (tools.get_conversation, "Read a ChatGPT conversation", tools.READ_ONLY),
    (tools.get_file, "Read a file from a ChatGPT conversation", tools.READ_ONLY),
    (tools.history_status, "History status", tools.READ_ONLY),
    (tools.sync_history, "Sync from ChatGPT", tools.SYNC),
    (tools.list_memories, "List ChatGPT memories", tools.LIVE),
    (tools.list_automations, "List ChatGPT scheduled tasks", tools.LIVE),
)
SEND_TOOL: tuple[Callable[..., Any], str, ToolAnnotations] = (
    tools.send_message,
    "Send a message to ChatGPT",
    tools.SEND,
)


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
        with resource_errors():
            return await anyio.to_thread.run_sync(lambda: state.store)

    mcp = HistoryServer(
        "chatgpt-history",
        title="ChatGPT History",
        version=__version__,
        instructions=INSTRUCTIONS + (SEND_INSTRUCTIONS if settings.allow_send else ""),
        lifespan=lifespan,
    )
    mcp.middleware.append(UnknownToolIsInvalidParams(mcp))
    for function, title, hints in (*TOOLS, *([SEND_TOOL] if settings.allow_send else [])):
        # Dedented: hosts send every description with every request, indentation included.
        mcp.tool(title=title, annotations=hints, description=inspect.cleandoc(function.__doc__ or ""))(function)

    @mcp.resource(
        "chatgpt://conversations/{conversation_id}",
        name="conversation",
        title="ChatGPT conversation transcript",
        description="The current branch of a conversation as Markdown",
        mime_type="text/markdown",
    )
    def conversation_markdown(conversation_id: str, ctx: Context) -> str:
        with resource_errors():
            return tools.session_state(ctx).store.transcript_markdown(conversation_id)

    @mcp.resource(
        FILE_URI,
        name="file",
        title="A file from a ChatGPT conversation",
        description="The original bytes of an attachment (its own MIME type); get_conversation lists them",
        mime_type="application/octet-stream",
    )
    def file_resource(file_id: str, ctx: Context) -> FileBytes:
        with resource_errors():
            return FileBytes(*tools.session_state(ctx).store.file_bytes(file_id))

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
