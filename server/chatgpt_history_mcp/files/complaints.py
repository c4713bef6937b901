"""What a parser said about a file it could not read, fit for a person's message."""

from __future__ import annotations

#: A parser's message can quote the file at length: a message keeps its start.
_MAX_CHARS = 200


def complaint(exc: BaseException) -> str:
    """The parser's own message in a line (no traceback, no final period), else the kind of its exception."""
    message = " ".join(str(exc).split()).rstrip(".")
    return message[:_MAX_CHARS] if message else type(exc).__name__
