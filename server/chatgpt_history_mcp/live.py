"""The live history: syncing from ChatGPT's web backend, and memories and automations, live when the
credentials work and from the store otherwise. The one place the faces (MCP, CLI) go for these."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal

from chatgpt_history_mcp.credentials import load_session_token, resolve_credentials, save_session_token
from chatgpt_history_mcp.settings import Settings
from chatgpt_history_mcp.sources.backend import BackendClient, BackendError, Credentials, device_id
from chatgpt_history_mcp.store.history import HistoryStore
from chatgpt_history_mcp.store.results import Automation, AutomationList, Memory, MemoryList, SyncReport
from chatgpt_history_mcp.store.sync import SyncProgress, sync_history

log = logging.getLogger(__name__)


def client_for(settings: Settings, credentials: Credentials | None = None) -> BackendClient:
    """A backend client with the configured (or stored) credentials; raises CredentialsMissing."""
    return BackendClient(
        credentials or resolve_credentials(settings.config_dir),
        device=device_id(settings.data_dir / "device-id"),
        pacing=settings.sync_pacing,
    )


def _keep_rotated_token(settings: Settings, client: BackendClient) -> None:
    """A session cookie the backend rotated replaces the stored one (the env value cannot be updated)."""
    stored = load_session_token(settings.config_dir)
    if stored and client.session_token and client.session_token != stored:
        save_session_token(settings.config_dir, client.session_token)


async def sync(
    settings: Settings, store: HistoryStore, *, full: bool = False, progress: SyncProgress | None = None
) -> SyncReport:
    async with client_for(settings) as client:
        report = await sync_history(store, client, full=full, progress=progress)
        _keep_rotated_token(settings, client)
    return report


def _memory(raw: dict[str, Any]) -> Memory:
    return Memory(
        id=str(raw.get("id") or ""),
        content=str(raw.get("content") or ""),
        created_at=_text(raw.get("created_timestamp") or raw.get("created_at")),
        updated_at=_text(raw.get("updated_at")),
    )


def _automation(raw: dict[str, Any]) -> Automation:
    runs = raw.get("next_run_times")
    return Automation(
        id=str(raw.get("id") or ""),
        title=_text(raw.get("title")),
        prompt=_text(raw.get("prompt") or raw.get("default_prompt")),
        is_enabled=raw.get("is_enabled") if isinstance(raw.get("is_enabled"), bool) else None,
        schedule=_text(raw.get("schedule") or raw.get("rrule") or raw.get("timing_mode")),
        next_run_times=[str(r) for r in runs] if isinstance(runs, list) else [],
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _when(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


def _stale_note(error: BaseException | None, fetched: float | None) -> str:
    when = _when(fetched)
    age = f"fetched {when.isoformat(timespec='minutes')}" if when else "never fetched"
    reason = f"live fetch failed: {error}" if error else "no ChatGPT credentials configured"
    return f"stored copy ({age}); {reason}"


async def _live_or_stored(
    settings: Settings,
    fetch: Callable[[BackendClient], Awaitable[list[dict[str, Any]]]],
    stored: Callable[[], tuple[list[dict[str, Any]], float | None]],
) -> tuple[Literal["live", "stored"], datetime | None, list[dict[str, Any]], str | None]:
    """Fetch live when credentials are configured and work; else the stored copy, with a note saying why."""
    credentials = resolve_credentials(settings.config_dir)
    error: BaseException | None = None
    if credentials.configured:
        try:
            async with client_for(settings, credentials) as client:
                return "live", datetime.now(UTC), await fetch(client), None
        except BackendError as exc:
            error = exc
    items, fetched = stored()
    return "stored", _when(fetched), items, _stale_note(error, fetched)


async def memories(settings: Settings, store: HistoryStore) -> MemoryList:
    source, fetched_at, items, note = await _live_or_stored(
        settings, lambda client: client.memories(), store.archive.memories
    )
    return MemoryList(source=source, fetched_at=fetched_at, memories=[_memory(m) for m in items], note=note)


async def automations(settings: Settings, store: HistoryStore) -> AutomationList:
    source, fetched_at, items, note = await _live_or_stored(
        settings, lambda client: client.automations(), store.archive.automations
    )
    return AutomationList(source=source, fetched_at=fetched_at, automations=[_automation(a) for a in items], note=note)
