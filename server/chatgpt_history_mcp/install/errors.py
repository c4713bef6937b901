"""The one failure `install` reports to a person: what is wrong with which file, and what to do about it."""

from __future__ import annotations


class InstallError(Exception):
    """A host config that cannot be changed as asked (unparseable, a different entry in the way, …)."""
