"""Expected failures of the store, kept in a module of their own: the faces import them without loading
the index engine."""

from __future__ import annotations


class NotFound(LookupError):
    """No conversation with that id."""


class BadArgument(ValueError):
    """An argument a person can correct (a date that does not parse, …)."""
