"""The live history: syncing from ChatGPT's web backend, memories and automations (live when the credentials
work, from the store otherwise), and sending a message. The one place the faces (MCP, CLI) go for these."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import anyio

from chatgpt_history_mcp.chatgpt.backend import BackendClient, BackendNotFound, Credentials, OutcomeUnknown, device_id
from chatgpt_history_mcp.chatgpt.credentials import load_session_token, resolve_credentials, save_session_token
from chatgpt_history_mcp.chatgpt.sending import (
    NEW_CHAT_PARENT,
    Outgoing,
    TextCallback,
    continuation_parent,
    send_message,
    turn_conversation,
)
from chatgpt_history_mcp.errors import BackendError, BadArgument, NotFound, SendingDisabled, StoreBusy
from chatgpt_history_mcp.ingest.conversations import write_conversations
from chatgpt_history_mcp.ingest.sync import SyncProgress, sync_history
from chatgpt_history_mcp.model import from_epoch
from chatgpt_history_mcp.results import (
    Automation,
    AutomationList,
    MemoryList,
    SentMessage,
    SyncReport,
)
from chatgpt_history_mcp.settings import ENV_ALLOW_SEND, Settings
from chatgpt_history_mcp.store.history import HistoryStore

log = logging.getLogger(__name__)

T = TypeVar("T")


def _keep_rotated_token(settings: Settings, client: BackendClient) -> None:
    """A session cookie the backend rotated during this client's life replaces the stored login it started
    from (a cookie from the environment cannot be updated, and must never overwrite the stored login)."""
    started = client.credentials.session_token
    rotated = client.session_token
    if rotated and started and rotated != started and load_session_token(settings.config_dir) == started:
        save_session_token(settings.config_dir, rotated)


#: Access tokens this process got for a session cookie, reused by the next call while they are fresh (one
#: cookie exchange per token lifetime, not per call). Process memory only.
_ACCESS_TOKENS: dict[str, str] = {}


@asynccontextmanager
async def live_client(settings: Settings, credentials: Credentials | None = None) -> AsyncIterator[BackendClient]:
    """A backend client with the configured (or stored) credentials; raises CredentialsMissing. On the way
    out, a session cookie the backend rotated replaces the stored one, and the access token is kept for the
    next call."""
    credentials = credentials or resolve_credentials(settings)
    session = credentials.session_token
    if session and not credentials.access_token and session in _ACCESS_TOKENS:
        credentials = replace(credentials, access_token=_ACCESS_TOKENS[session])
    async with BackendClient(
        credentials,
        base_url=settings.base_url,
        device=device_id(settings.data_dir / "device-id"),
        pacing=settings.sync_pacing,
    ) as client:
        try:
            yield client
        finally:
            _keep_rotated_token(settings, client)
            if session:
                _ACCESS_TOKENS.pop(session, None)
                if client.session_token and client.access_token:
                    _ACCESS_TOKENS[client.session_token] = client.access_token


async def sync(
    settings: Settings, store: HistoryStore, *, full: bool = False, progress: SyncProgress | None = None
) -> SyncReport:
    async with live_client(settings) as client:
        return await sync_history(store, client, full=full, files=settings.sync_files, progress=progress)


def _automation(raw: dict[str, Any], mask: Callable[[str], str]) -> Automation:
    automation = Automation.from_backend(raw)
    prompt = automation.prompt
    return automation.model_copy(update={"prompt": mask(prompt) if prompt is not None else None})


def _stale_note(error: BaseException | None, fetched: float | None) -> str:
    when = from_epoch(fetched)
    age = f"fetched {when.isoformat(timespec='minutes')}" if when else "never fetched"
    reason = f"live fetch failed: {error}" if error else "no ChatGPT credentials configured"
    return f"stored copy ({age}); {reason}"


async def _live_or_stored(
    settings: Settings,
    fetch: Callable[[BackendClient], Awaitable[list[T]]],
    stored: Callable[[], tuple[list[T], float | None]],
) -> tuple[Literal["live", "stored"], datetime | None, list[T], str | None]:
    """Fetch live when credentials are configured and work; else the stored copy, with a note saying why."""
    credentials = resolve_credentials(settings)
    error: BaseException | None = None
    if credentials.configured:
        try:
            async with live_client(settings, credentials) as client:
                return "live", datetime.now(UTC), await fetch(client), None
        except BackendError as exc:
            error = exc
    items, fetched = stored()
    return "stored", from_epoch(fetched), items, _stale_note(error, fetched)


async def memories(settings: Settings, store: HistoryStore) -> MemoryList:
    source, fetched_at, items, note = await _live_or_stored(
        settings, lambda client: client.memories(), store.stored_memories
    )
    shown = [m.model_copy(update={"content": store.mask(m.content)}) for m in items]
    return MemoryList(source=source, fetched_at=fetched_at, memories=shown, note=note)


async def automations(settings: Settings, store: HistoryStore) -> AutomationList:
    source, fetched_at, items, note = await _live_or_stored(
        settings, lambda client: client.automations(), store.stored_automations
    )
    shown = [_automation(a, store.mask) for a in items]
    return AutomationList(source=source, fetched_at=fetched_at, automations=shown, note=note)


# -- sending ---------------------------------------------------------------------------------------------

#: How long a sent turn waits for a running import or sync to release the store before it is left to a sync.
STORE_WAIT = 30.0
MAX_MESSAGE_CHARS = 100_000


def _check_sendable(settings: Settings, text: str) -> None:
    if not settings.allow_send:
        raise SendingDisabled(
            f"sending messages to ChatGPT is off: it writes to your ChatGPT account, so it must be switched on "
            f"with {ENV_ALLOW_SEND}=1 or --allow-send"
        )
    if not text.strip():
        raise BadArgument("the message is empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadArgument(f"the message is {len(text):,} characters; at most {MAX_MESSAGE_CHARS:,} can be sent")


async def send(
    settings: Settings,
    store: HistoryStore,
    text: str,
    *,
    conversation_id: str | None = None,
    model: str | None = None,
    on_text: TextCallback | None = None,
) -> SentMessage:
    """Send ``text`` (a new chat, or a follow-up to ``conversation_id``) and keep the turn in the store.

    A follow-up continues from the conversation as ChatGPT has it now (fetched first: the store may be
    stale). Raises SendingDisabled, BadArgument, NotFound, ChallengeRequired, OutcomeUnknown or another
    BackendError.
    """
    _check_sendable(settings, text)
    async with live_client(settings) as client:
        try:
            base: dict[str, Any] | None = None
            parent = NEW_CHAT_PARENT
            if conversation_id:
                try:
                    base = await client.conversation(conversation_id)
                except BackendNotFound:
                    raise NotFound(
                        f"no conversation {conversation_id!r} in this ChatGPT account (deleted, or another account); "
                        "leave conversation_id out to start a new chat"
                    ) from None
                parent = continuation_parent(base)
            turn = await send_message(client, Outgoing(text, conversation_id, parent, model), on_text)
        except OutcomeUnknown as exc:
            raise _unknown_outcome(exc, conversation_id) from None
    note = await anyio.to_thread.run_sync(_keep_turn, store, turn_conversation(base, turn))
    return SentMessage(
        conversation_id=turn.conversation_id,
        new_conversation=conversation_id is None,
        title=turn.result.title if conversation_id is None else None,
        user_message_id=turn.outgoing.message_id,
        assistant_message_id=turn.result.answer_message_id,
        model=turn.model,
        reply=store.mask(turn.result.answer),
        stored=note is None,
        note=note,
    )


def _unknown_outcome(exc: OutcomeUnknown, asked: str | None) -> OutcomeUnknown:
    """The failure, with what to check before sending again (a resent message would be a second turn)."""
    where = exc.conversation_id or asked
    check = (
        f"check conversation {where} (sync_history, then get_conversation)"
        if where
        else "check the newest conversations in ChatGPT (sync_history, then list_conversations)"
    )
    text = f"unknown outcome: {exc}. The message may have reached ChatGPT; {check} before sending it again."
    if exc.partial_text:
        text += f" Part of the answer arrived: {exc.partial_text[:4000]}"
    return OutcomeUnknown(text, conversation_id=where, partial_text=exc.partial_text)


def _keep_turn(store: HistoryStore, conversation: dict[str, Any]) -> str | None:
    """Store the conversation with its new turn; a note instead when the store stays busy."""
    try:
        store.write_lock.acquire(wait=STORE_WAIT)
    except StoreBusy:
        return (
            "the answer is not in the local history yet (an import or sync kept the store busy); sync_history brings it"
        )
    try:
        write_conversations(store, [conversation], "api")
    finally:
        store.write_lock.release()
    return None
