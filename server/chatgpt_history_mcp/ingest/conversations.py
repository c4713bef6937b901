"""Raw ChatGPT conversations (an export's entries, the backend's bodies) turned into store writes.

What every source shares: a conversation is written only when its cheap change key differs from the stored
copy's, is normalized once, and never replaces a newer stored copy with an older one (the newest wins, whatever
the source). The store's one write path (:meth:`HistoryStore.write`) makes each write atomic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from chatgpt_history_mcp.export.content import valid_text
from chatgpt_history_mcp.export.normalize import (
    NORMALIZER_VERSION,
    InvalidConversation,
    conversation_id,
    normalize_conversation,
    parse_time,
)
from chatgpt_history_mcp.model import Source, to_epoch
from chatgpt_history_mcp.results import ImportReport
from chatgpt_history_mcp.store.history import HistoryStore
from chatgpt_history_mcp.store.writing import Write

log = logging.getLogger(__name__)


def change_key(raw: Mapping[str, Any]) -> str:
    """Cheap identity of a raw conversation: what changes whenever its content does."""
    mapping = raw.get("mapping")
    nodes = len(mapping) if isinstance(mapping, Mapping) else 0
    return valid_text(  # stored beside the conversation: no lone surrogate from a raw title
        "|".join(
            str(x)
            for x in (
                NORMALIZER_VERSION,
                raw.get("update_time"),
                nodes,
                raw.get("current_node"),
                raw.get("title"),
                raw.get("is_archived"),
                raw.get("gizmo_id"),
            )
        )
    )


class Writer:
    """Applies raw conversations to an open store write, counting what it did in :attr:`report`."""

    def __init__(self, store: HistoryStore, write: Write, source: Source) -> None:
        self.keys = store.archive.change_keys()
        self.write = write
        self.source: Source = source
        self.report = ImportReport(path="", outcome="imported")

    def apply(self, raw: Any) -> None:
        report = self.report
        report.conversations += 1
        if not isinstance(raw, Mapping):
            report.invalid += 1
            return
        cid = conversation_id(raw)  # as normalizing finds it: an `id` of the wrong type must not hide the stored copy
        key = change_key(raw)
        known = self.keys.get(cid) if cid is not None else None
        if known is not None and known[0] == key:
            report.unchanged += 1
            return
        try:
            conv = normalize_conversation(raw, self.source)
        except InvalidConversation as exc:
            log.warning("skipping conversation #%d: %s", report.conversations, exc)
            report.invalid += 1
            return
        stamp = to_epoch(conv.update_time)
        if known is not None and known[1] is not None and stamp is not None and stamp < known[1]:
            report.older += 1
            return
        self.write.put(conv, key, new=known is None)
        self.keys[conv.id] = (key, stamp)
        if known is None:
            report.added += 1
        else:
            report.updated += 1


def write_conversations(
    store: HistoryStore,
    bodies: list[dict[str, Any]],
    source: Source,
    also: Callable[[Write], None] | None = None,
) -> ImportReport:
    """One atomic step outside an import (a sync chunk, a sent turn): raw conversations into the store, with
    ``also(write)`` in the same write. Two bodies of one conversation are resolved first: the newest (by update
    time, then the later in the list) is the one written. The caller holds the write lock."""
    with store.write() as write:
        writer = Writer(store, write, source)
        for body in newest_per_conversation(bodies):
            writer.apply(body)
        if also is not None:
            also(write)
    return writer.report


def newest_per_conversation(bodies: list[dict[str, Any]]) -> list[Any]:
    """``bodies`` with one body per conversation id: the newest, the later on a tie (bodies without an id kept)."""
    chosen: dict[str, tuple[float, int]] = {}
    for n, body in enumerate(bodies):
        cid = conversation_id(body) if isinstance(body, Mapping) else None
        if cid is None:
            continue
        when = parse_time(body.get("update_time"))
        stamp = when.timestamp() if when else float("-inf")
        if cid not in chosen or stamp >= chosen[cid][0]:
            chosen[cid] = (stamp, n)
    keep = {n for _, n in chosen.values()}
    return [
        body
        for n, body in enumerate(bodies)
        if n in keep or not isinstance(body, Mapping) or conversation_id(body) is None
    ]
