"""Expected failures of the store, kept in a module of their own: the faces import them without loading
the index engine."""

from __future__ import annotations


class NotFound(LookupError):
    """No conversation with that id."""


class BadArgument(ValueError):
    """An argument a person can correct (a date that does not parse, …)."""


class StoreError(Exception):
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
