"""What one MCP session works on: the store, opened in the background, and the keeper that keeps it current."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from chatgpt_history_mcp.errors import StoreError, UserError
from chatgpt_history_mcp.results import HistoryStatus
from chatgpt_history_mcp.settings import Settings

if TYPE_CHECKING:
    from chatgpt_history_mcp.ingest.keeper import Keeper
    from chatgpt_history_mcp.store.history import HistoryStore

log = logging.getLogger(__name__)

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

            settings = self.settings
            store = self._store = HistoryStore(
                settings.data_dir, redact_secrets=settings.redact, files_limit=settings.files_limit
            )
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
            raise UserError("the history store is still opening; try again in a moment")
        if isinstance(self._error, StoreError):  # says what is wrong with the data folder and what to do
            raise self._error
        if self._store is None:
            raise UserError(f"the history store in {self.settings.data_dir} could not be opened: {self._error}")
        return self._store

    def status(self) -> HistoryStatus:
        """The store's status with what this server does to keep it current."""
        from chatgpt_history_mcp.chatgpt.credentials import login_location

        status = self.store.status()  # first: the keeper exists once the store is open
        login = login_location(self.settings)
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
