"""Every expected failure, in one place: a message that says what is wrong and what to do, and the exit code the
command line ends with. The faces map :class:`UserError` once (the MCP server into a ``ToolError``, the CLI into
``error: …`` on stderr and :attr:`UserError.exit_code`); anything else is a bug, shown as one.

Families whose members carry more (the web client's failures, the sender's) derive from the bases here and
stay beside the code that raises them.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure a person can act on; never a traceback."""

    #: What the CLI exits with: 2 for a refused command; 3 for an outcome that is not known (see OutcomeUnknown).
    exit_code = 2


class NotFound(UserError, LookupError):
    """No conversation (or file, project…) with that id."""


class BadArgument(UserError, ValueError):
    """An argument a person can correct (a date that does not parse, …)."""


class QueryError(UserError, ValueError):
    """A query that cannot run; the message says how to fix it."""


class ExportError(UserError):
    """An export that cannot be read; the message says which file and what to do."""


class ImageUnreadable(UserError):
    """An image that cannot be shown: no image Pillow decodes, damaged, or more pixels than is safe to decode;
    the message names the file, and says the original is still there to download."""


class StoreBusy(UserError):
    """Another process (or thread) is writing the store, or syncing it."""


class StoreError(UserError):
    """The data folder cannot be used as asked (its disk is full, it is read-only, its archive is damaged);
    the message names the folder and says what to do."""


class NoSpace(StoreError):
    """The disk holding the data folder filled up during a write; the write was undone."""


class DataFolderUnusable(StoreError):
    """The data folder cannot be created, read or written (a read-only mount, no permission)."""


class ArchiveDamaged(StoreError):
    """The archive database is damaged: it is not served, since what it would answer may be wrong or cut."""


class MachineFault(StoreError):
    """The machine refused for a moment (too many open files, an I/O error): the data folder is not at fault,
    nothing was changed, and the same command can simply run again."""


class BackendError(UserError):
    """A failure of ChatGPT's web backend or of reaching it; the message says what happened and what to do
    (the kinds are in :mod:`chatgpt_history_mcp.chatgpt.backend`)."""


class FileTooLarge(UserError):
    """A file over the size bound the caller set: refused whole, nothing of it kept."""

    def __init__(self, message: str, *, file_id: str, limit: int) -> None:
        super().__init__(message)
        self.file_id = file_id
        self.limit = limit


class SendingDisabled(UserError):
    """Sending was not switched on."""


class InstallError(UserError):
    """A host config that cannot be changed as asked (unparseable, a different entry in the way, …)."""


class HttpConfigError(UserError, ValueError):
    """A transport setting that would be unsafe or cannot work; the message says what to change."""
