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
from chatgpt_history_mcp.export.elements import KNOWN, ElementKey, KnownElements
from chatgpt_history_mcp.export.normalize import (
    NORMALIZER_VERSION,
    InvalidConversation,
    conversation_id,
    normalize_conversation,
    parse_time,
)
from chatgpt_history_mcp.ingest.attachments import Attacher, FileSource
from chatgpt_history_mcp.model import Conversation, Source, to_epoch
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


#: Starts a change key that holds the digest of the export bytes the stored copy was last found equal to.
_BYTES = "bytes:"


def _stored_key(element: ElementKey | None, field_key: str) -> str:
    """The change key stored: the field key (what a sync compares), after the element's digest if there is one."""
    return field_key if element is None else f"{_BYTES}{element.text()}#{field_key}"


def _split_key(stored: str | None) -> tuple[ElementKey | None, str | None]:
    """(element digest, field key) of a stored change key; the digest only if the normalizer in use made it."""
    if stored is None or not stored.startswith(_BYTES):
        return None, stored
    element, _, field_key = stored[len(_BYTES) :].partition("#")
    if not field_key.startswith(f"{NORMALIZER_VERSION}|"):
        return None, field_key
    return ElementKey.parse(element), field_key


class Writer:
    """Applies raw conversations to an open store write, counting what it did in :attr:`report`.

    A newer export repeats most conversations byte for byte: the digest of each conversation's bytes is kept in
    its change key, and the reader passes over the ones it knows unparsed (most of what a re-import used to
    cost). A conversation whose bytes changed is normalized and compared with the stored copy: rewritten and
    re-indexed only when what is stored changes (a new turn, an edit that kept ``update_time``, a title), never
    replaced by an older copy; bytes that changed without changing it (a field the export added, another
    layout) only renew its key."""

    def __init__(
        self,
        store: HistoryStore,
        write: Write,
        source: Source,
        files: FileSource | None = None,
        ids: list[str] | None = None,
    ) -> None:
        #: The stored change keys of the conversations ``ids`` (every stored one when None: an export's).
        self.keys = store.archive.change_keys(ids)
        self.write = write
        self.source: Source = source
        self.report = ImportReport(path="", outcome="imported")
        self.attacher = Attacher(store, write, files, self.report)

    def known_elements(self) -> KnownElements:
        """The export elements the archive holds as they are: what the reader may pass over."""
        return KnownElements(e for key, _ in self.keys.values() if (e := _split_key(key)[0]) is not None)

    def apply(self, raw: Any, element: ElementKey | None = None) -> None:
        """One raw conversation; ``element``: the key of its bytes in an export (:data:`KNOWN` as ``raw``: an
        element the reader passed over because the archive holds it as it is)."""
        report = self.report
        report.conversations += 1
        if raw is KNOWN:
            report.unchanged += 1
            return
        if not isinstance(raw, Mapping):
            report.invalid += 1
            return
        cid = conversation_id(raw)  # as normalizing finds it: an `id` of the wrong type must not hide the stored copy
        field_key = change_key(raw)
        key = _stored_key(element, field_key)
        known = self.keys.get(cid) if cid is not None else None
        if known is not None:
            stored_element, stored_field_key = _split_key(known[0])
            if element is None and stored_field_key == field_key:  # a sync: the cheap key decides
                report.unchanged += 1
                return
            if element is not None and stored_element == element:  # the same bytes, met again in this export
                report.unchanged += 1
                return
        try:
            conv = normalize_conversation(raw, self.source)
        except InvalidConversation as exc:
            log.warning("skipping conversation #%d: %s", report.conversations, exc)
            report.invalid += 1
            return
        conv = self.attacher.attach(conv)
        stamp = to_epoch(conv.update_time)
        if known is not None and known[1] is not None and stamp is not None and stamp < known[1]:
            report.older += 1
            return
        if known is not None and element is not None and stamp == known[1] and self._kept(conv):
            # Other bytes, the same conversation (a field the normalizer ignores, another layout): the key is
            # renewed, so the next export passes over it unparsed. (Another update_time is another body.)
            self.write.archive.set_change_key(conv.id, key)
            self.keys[conv.id] = (key, known[1])
            report.unchanged += 1
            return
        self.write.put(conv, key, new=known is None)
        self.keys[conv.id] = (key, stamp)
        if known is None:
            report.added += 1
        else:
            report.updated += 1

    def _kept(self, conv: Conversation) -> bool:
        """Whether an export's copy of the same time as the stored one leaves it as it is: the same body, or a
        synced copy (ChatGPT's canvas text, files it downloaded: what an export of that time cannot add to)."""
        return self.write.archive.holds(conv) or self.write.archive.stored_source(conv.id) == "api"


def write_conversations(
    store: HistoryStore,
    bodies: list[dict[str, Any]],
    source: Source,
    also: Callable[[Write], None] | None = None,
    files: FileSource | None = None,
) -> ImportReport:
    """One atomic step outside an import (a sync chunk, a sent turn): raw conversations into the store, with
    ``also(write)`` in the same write. Two bodies of one conversation are resolved first: the newest (by update
    time, then the later in the list) is the one written. The caller holds the write lock."""
    chosen = newest_per_conversation(bodies)
    with store.write() as write:
        ids = [cid for body in chosen if isinstance(body, Mapping) and (cid := conversation_id(body)) is not None]
        writer = Writer(store, write, source, files, ids)  # a chunk's keys, not the whole archive's
        for body in chosen:
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
