"""The history store: the one object the faces (MCP server, CLI) talk to.

It owns the archive (source of truth) and the index (derived, rebuilt when missing or of another version),
answers queries, and is written by :mod:`chatgpt_history_mcp.ingest.exports`.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Literal

from chatgpt_history_mcp import __version__
from chatgpt_history_mcp.errors import BadArgument, NotFound, StoreBusy
from chatgpt_history_mcp.model import Conversation, Message, from_epoch
from chatgpt_history_mcp.redact import masker
from chatgpt_history_mcp.results import (
    AsOf,
    AttachmentView,
    CanvasVersionView,
    CanvasView,
    ConversationList,
    ConversationPage,
    ConversationSummary,
    FilesStatus,
    HistoryStatus,
    ImportState,
    Memory,
    MessageMatch,
    MessageView,
    ProjectList,
    SearchPage,
    SearchResult,
    SourceStatus,
    SyncReport,
    WriterActivity,
    size_text,
)
from chatgpt_history_mcp.search.index import Filters, IndexBroken, SearchIndex
from chatgpt_history_mcp.search.morphology import guess_language
from chatgpt_history_mcp.search.query import parse_query
from chatgpt_history_mcp.search.searchable import searchable_messages
from chatgpt_history_mcp.search.snippets import best_messages
from chatgpt_history_mcp.settings import DEFAULT_FILES_LIMIT
from chatgpt_history_mcp.store import files, projects
from chatgpt_history_mcp.store.archive import Archive, Order
from chatgpt_history_mcp.store.blobs import Blobs
from chatgpt_history_mcp.store.faults import storage_errors, translate_faults
from chatgpt_history_mcp.store.files import FILE_PAGE_CHARS, FileRead, attachment_views
from chatgpt_history_mcp.store.locking import Activity, WriteLock
from chatgpt_history_mcp.store.writing import Write, reindex_pending, write

log = logging.getLogger(__name__)

#: Characters per page of ``get_conversation``: about 15k tokens, under hosts' tool-result limits
#: (Claude Code truncates near 25k tokens).
PAGE_CHARS = 60_000
#: The largest file a resource read sends (base64 in one JSON message: hosts choke on more).
MAX_RESOURCE_BYTES = 64 * 1024**2
MAX_MATCHES = 3
#: The roles whose words tell a conversation's language.
_CONVERSING = ("user", "assistant")
Branch = Literal["current", "all"]
#: The archive's sync_state key for when the last complete sync finished (epoch seconds).
LAST_COMPLETE_SYNC = "last_complete_sync_at"


def parse_bound(value: str | None, name: str) -> float | None:
    """An ISO-8601 date or datetime as epoch seconds (naive means UTC); a date means its midnight."""
    if value is None or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), time())
        except ValueError:
            raise BadArgument(f"{name}={value!r} is not an ISO-8601 date or datetime, e.g. 2024-03-01") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _in_range(message: Message, after: float | None, before: float | None) -> bool:
    if message.create_time is None:
        return True
    ts = message.create_time.timestamp()
    return (after is None or ts >= after) and (before is None or ts < before)


#: How long opening a store waits for another process's write to end before rebuilding a broken index.
REBUILD_WAIT = 120.0


class HistoryStore:
    """Everything under one data dir: ``archive.sqlite3``, ``index/``, and the write lock."""

    def __init__(
        self, data_dir: Path, *, redact_secrets: bool = True, files_limit: int | None = DEFAULT_FILES_LIMIT
    ) -> None:
        self.data_dir = data_dir
        #: The files of the history (uploads, images, voice), kept once by content; at most ``files_limit`` bytes.
        self.blobs = Blobs(data_dir / "files")
        self.files_limit = files_limit
        #: What every text in a result passes through: secrets masked, unless switched off.
        self.mask = masker(redact_secrets)
        self.write_lock = WriteLock(data_dir / "write.lock")
        #: Held by a sync for all of its time (network included); the write lock only for each commit.
        self.sync_lock = WriteLock(data_dir / "sync.lock", busy="a sync of this history is already running")
        self.import_state = ImportState(running=False)
        with storage_errors(data_dir):  # a read-only mount, no permission: said at once, with what to do
            # A person's chats: a folder this creates is theirs alone, and so is the archive (SQLite gives its
            # journal files the archive's mode).
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(self.write_lock.path, os.O_RDWR | os.O_CREAT, 0o600))  # can this folder be written?
            archive = data_dir / "archive.sqlite3"
            if not archive.exists():
                os.close(os.open(archive, os.O_WRONLY | os.O_CREAT, 0o600))
            self.archive = Archive(archive)
            try:
                self.index = SearchIndex(data_dir / "index")
            except IndexBroken:
                self.index = self._rebuilt_index()
            if self.index.doc_count() == 0:
                self._requeue_if_unindexed()

    def _requeue_if_unindexed(self) -> None:
        """An empty index beside a full archive (the index folder was deleted): queue everything for indexing.
        Skipped while another process writes: an import's index commit may simply not have happened yet."""
        try:
            self.write_lock.acquire()
        except StoreBusy:
            return
        try:
            if self.index.doc_count() == 0 and self.archive.counts()["conversations"]:
                log.warning("the search index is empty: indexing the archive again")
                self.archive.requeue_all()
        finally:
            self.write_lock.release()

    def _rebuilt_index(self) -> SearchIndex:
        """A new, empty index with every conversation queued for indexing: rebuilt by one process only, while
        no other writes (another may be mid-commit, or may have rebuilt it while this one waited)."""
        self.write_lock.acquire(wait=REBUILD_WAIT)
        try:
            try:
                return SearchIndex(self.data_dir / "index")
            except IndexBroken as exc:
                log.warning("rebuilding the search index from the archive: %s", exc)
                self.write_lock.describe("rebuilding the search index", force=True)
                index = SearchIndex.recreate(self.data_dir / "index")
                self.archive.requeue_all()
                return index
        finally:
            self.write_lock.release()

    def _rebuild_index(self, damage: IndexBroken) -> None:
        """Replace an index found damaged while searching (it opened, but a segment does not read) with one
        rebuilt from the archive, under the write lock: the search that found it waits for the rebuild."""
        log.warning("the search index is damaged (%s): rebuilding it from the archive", damage)
        self.write_lock.acquire(wait=REBUILD_WAIT)
        try:
            self.index.close()
            self.index = SearchIndex.recreate(self.data_dir / "index")
            self.archive.requeue_all()
            self.reindex_pending()
        finally:
            self.write_lock.release()

    # -- writing -------------------------------------------------------------------------------------

    def write(self, parallel_after: int | None = None) -> AbstractContextManager[Write]:
        """The one way to change the history, used by imports, syncs, sent turns and rebuilds (the caller
        holds :attr:`write_lock`): conversations put into it land in the archive and the index together or
        not at all (:mod:`.writing`). With ``parallel_after``, a large write indexes on worker processes."""
        return write(self, parallel_after)

    def files_room(self) -> int | None:
        """Bytes the files bound leaves for new content (None: no bound)."""
        return None if self.files_limit is None else self.files_limit - self.archive.file_counts()[1]

    def reindex_pending(self) -> int:
        """Index what the archive holds and the index may not (the caller holds :attr:`write_lock`)."""
        return reindex_pending(self)

    def repair(self) -> None:
        """Set right what a killed writer left before writing anew (the caller holds :attr:`write_lock`): the
        conversations it stored but did not index, the files it placed but did not commit."""
        self.reindex_pending()
        self.blobs.sweep(self.archive.file_hashes)

    def catch_up_index(self) -> None:
        """Index what is pending (an index rebuilt, an import cut short) before answering, unless another process
        writes the store: it indexes them itself, and what is indexed now is searched."""
        if not self.archive.pending():
            return
        try:
            with self.write_lock:
                self.reindex_pending()
        except StoreBusy:
            pass

    def stored_memories(self) -> tuple[list[Memory], float | None]:
        """ChatGPT's memories as the last sync kept them, and when they were fetched (epoch seconds)."""
        return self.archive.memories()

    def stored_automations(self) -> tuple[list[dict[str, Any]], float | None]:
        """ChatGPT's scheduled tasks as the last sync kept them, and when they were fetched (epoch seconds)."""
        return self.archive.automations()

    def close(self) -> None:
        self.index.close()
        self.archive.close()

    # -- search --------------------------------------------------------------------------------------

    @translate_faults
    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        role: str | None = None,
        after: str | None = None,
        before: str | None = None,
        project: str | None = None,
        model: str | None = None,
    ) -> SearchPage:
        parsed = parse_query(query)
        start, end = parse_bound(after, "after"), parse_bound(before, "before")
        project = projects.resolve(self.archive, project, self.mask)
        filters = Filters(
            roles=frozenset([role]) if role else None, after=start, before=end, project=project, model=model
        )
        try:
            outcome = self.index.search(parsed, filters, limit=limit, offset=offset)
        except IndexBroken as exc:  # derived data: rebuilt from the archive, then asked again
            self._rebuild_index(exc)
            outcome = self.index.search(parsed, filters, limit=limit, offset=offset)
        dated = (start, end) if start is not None or end is not None else None
        conversations = self.archive.get_many([cid for cid, _ in outcome.hits])
        names = projects.names(self.archive, self.mask)
        results: list[SearchResult] = []
        for cid, score in outcome.hits:
            conv = conversations.get(cid)
            if conv is None:
                continue  # deleted since it was indexed
            candidates = [
                (m, text, kind)
                for m, text, kind in searchable_messages(conv)
                if (role is None or (m.role == role and not m.hidden)) and (dated is None or _in_range(m, *dated))
            ]
            kinds = {id(m): kind for m, _, kind in candidates}  # by object: a file's entry shares its message's id
            language = guess_language([t for m, t, k in candidates if k == "message" and m.role in _CONVERSING])
            hits = best_messages([(m, t) for m, t, _ in candidates], outcome.query, MAX_MATCHES, language, self.mask)
            matches = [
                MessageMatch(
                    message_id=hit.message.id,
                    role=hit.message.role,
                    where=kinds[id(hit.message)],
                    create_time=hit.message.create_time,
                    snippet=hit.snippet,
                )
                for hit in hits
            ]
            results.append(
                SearchResult(
                    conversation_id=cid,
                    title=self.mask(conv.display_title),
                    update_time=conv.update_time,
                    score=round(score, 4),
                    project_id=conv.project_id,
                    project_name=names.get(conv.project_id or ""),
                    matches=matches,
                )
            )
        notes = []
        if (rebuild := self.import_state.reindexing) is not None:
            notes.append(
                f"the search index is being rebuilt ({rebuild.done:,} of {rebuild.total:,} conversations done): "
                "results may be incomplete"
            )
        if outcome.left_out:
            searched = ", ".join(u.text for u in outcome.query.should)
            notes.append(
                f"a long passage: searched for its {len(outcome.query.should)} most telling words ({searched}); "
                f"{len(outcome.left_out)} common words left out"
            )
        note = "; ".join(notes) or None
        return SearchPage(
            query=query,
            results=results,
            next_offset=offset + limit if outcome.more else None,
            note=note,
            as_of=self.as_of(),
        )

    # -- listing and reading -------------------------------------------------------------------------

    @translate_faults
    def list_conversations(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        order: Order = "updated",
        project: str | None = None,
        archived: bool | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> ConversationList:
        rows, total = self.archive.listing(
            limit=limit,
            offset=offset,
            order=order,
            project=projects.resolve(self.archive, project, self.mask),
            archived=archived,
            after=parse_bound(after, "after"),
            before=parse_bound(before, "before"),
        )
        names = projects.names(self.archive, self.mask)
        items = [
            ConversationSummary(
                conversation_id=r.id,
                title=self.mask(r.title or "Untitled conversation"),
                create_time=from_epoch(r.create_time),
                update_time=from_epoch(r.update_time),
                message_count=r.message_count,
                model=r.model,
                project_id=r.project_id,
                project_name=names.get(r.project_id or ""),
                is_archived=r.is_archived,
            )
            for r in rows
        ]
        more = offset + len(items) < total
        next_offset = offset + len(items) if more else None
        return ConversationList(items=items, total=total, next_offset=next_offset, as_of=self.as_of())

    @translate_faults
    def list_projects(self) -> ProjectList:
        """Every project and custom GPT, with its name once a sync has fetched it."""
        found = projects.summaries(self.archive, self.mask)
        return ProjectList(projects=found, note=projects.note(found), as_of=self.as_of())

    def project_name(self, project_id: str | None) -> str | None:
        """What the person calls the project or custom GPT ``project_id``, if a sync has fetched its name."""
        return projects.names(self.archive, self.mask).get(project_id) if project_id else None

    @translate_faults
    def conversation(self, conversation_id: str) -> Conversation:
        conv = self.archive.get(conversation_id)
        if conv is None:
            raise NotFound(
                f"no conversation with id {conversation_id!r}; find ids with search_conversations or list_conversations"
            )
        return conv

    @translate_faults
    def get_conversation(
        self,
        conversation_id: str,
        *,
        offset: int = 0,
        limit: int = 50,
        include_hidden: bool = False,
        branch: Branch = "current",
        max_chars_per_message: int = 20_000,
    ) -> ConversationPage:
        conv = self.conversation(conversation_id)
        current = set(conv.current_path)
        if branch == "current":
            messages = conv.transcript(include_hidden)
        else:
            messages = [m for m in conv.messages if include_hidden or not m.hidden]
        siblings = Counter(m.parent_id for m in conv.messages if not m.hidden)
        attachment = attachment_views(self.archive, conv)
        page: list[MessageView] = []
        used = 0
        index = offset
        while index < len(messages) and len(page) < limit:
            message = messages[index]
            full = text = self.mask(message.text)
            truncated = len(text) > max_chars_per_message
            if truncated:
                text = text[:max_chars_per_message]
            canvas = self._canvas_view(message, include_hidden, max_chars_per_message)
            size = len(text) + sum(len(v.text or "") for v in canvas.versions) if canvas else len(text)
            if page and used + size > PAGE_CHARS:
                break
            used += size
            page.append(
                MessageView(
                    message_id=message.id,
                    parent_id=message.parent_id,
                    role=message.role,
                    create_time=message.create_time,
                    content_type=message.content_type,
                    kind=message.kind,
                    text=text,
                    model=message.model,
                    hidden=message.hidden,
                    on_current_branch=message.id in current,
                    alternatives=max(1, siblings[message.parent_id]) if not message.hidden else 1,
                    truncated=truncated,
                    full_length=len(full) if truncated else None,
                    canvas=canvas,
                    attachments=[attachment(a) for a in message.attachments],
                )
            )
            index += 1
        next_offset = index if index < len(messages) else None
        note = None
        if next_offset is not None:
            note = f"{len(messages) - index} more messages: call again with offset={index}"
        if any(m.truncated for m in page):
            note = (note + "; " if note else "") + "long messages were cut: raise max_chars_per_message to read them"
        if branch == "current" and any(m.alternatives > 1 for m in page):
            hint = "some turns have other versions (edits or regenerations): branch='all' shows them"
            note = (note + "; " if note else "") + hint
        return ConversationPage(
            conversation_id=conv.id,
            title=self.mask(conv.display_title),
            create_time=conv.create_time,
            update_time=conv.update_time,
            model=conv.model,
            project_id=conv.project_id,
            project_name=self.project_name(conv.project_id),
            is_archived=conv.is_archived,
            branch=branch,
            total_messages=len(messages),
            offset=offset,
            messages=page,
            next_offset=next_offset,
            note=note,
        )

    @translate_faults
    def read_file(self, file_id: str, *, offset: int = 0, max_chars: int = FILE_PAGE_CHARS) -> FileRead:
        """A stored file as an agent reads it (see :mod:`.files`); :class:`NotFound` for an id it does not keep."""
        return files.read_file(self.archive, self.blobs, file_id, offset=offset, max_chars=max_chars, mask=self.mask)

    @translate_faults
    def file_bytes(self, file_id: str) -> tuple[bytes, str]:
        """A stored file's original bytes and MIME type (for its resource)."""
        found, path = files.stored_file(self.archive, self.blobs, file_id)
        if found.size > MAX_RESOURCE_BYTES:
            raise BadArgument(
                f"the file {file_id!r} is {found.size / 1024**2:,.0f} MB, more than a resource sends "
                f"({MAX_RESOURCE_BYTES // 1024**2} MB); get_file says what it is"
            )
        return path.read_bytes(), found.mime_type

    def _canvas_view(self, message: Message, include_hidden: bool, max_chars: int) -> CanvasView | None:
        """A canvas message's document; its earlier versions' text only with ``include_hidden`` (the person no
        longer sees them), the final one's never (it is the message's text)."""
        canvas = message.canvas
        if canvas is None:
            return None
        versions = []
        for n, version in enumerate(canvas.versions):
            shown = include_hidden and n < len(canvas.versions) - 1
            versions.append(
                CanvasVersionView(
                    version=version.version,
                    message_id=version.message_id,
                    length=len(version.text),
                    text=self.mask(version.text)[:max_chars] if shown else None,
                    note=version.note,
                )
            )
        return CanvasView(
            textdoc_id=canvas.textdoc_id,
            title=self.mask(canvas.title) if canvas.title else None,
            type=canvas.type,
            version=canvas.version,
            exact=canvas.exact,
            source=canvas.source,
            notes=[self.mask(note) for note in canvas.notes],
            comments=[
                c.model_copy(update={"quote": self.mask(c.quote), "comment": self.mask(c.comment)})
                for c in canvas.comments
            ],
            versions=versions,
        )

    @translate_faults
    def transcript_markdown(self, conversation_id: str, branch: Branch = "current") -> str:
        """The conversation as Markdown: the current branch (an answer split by "continue generating" reads as
        one), or with ``branch="all"`` every edit and regeneration too, each version labelled where it forks."""
        conv = self.conversation(conversation_id)
        lines = [f"# {self.mask(conv.display_title)}", ""]
        facts = [f"id: {conv.id}"]
        if conv.create_time:
            facts.append(f"created: {conv.create_time.isoformat(timespec='seconds')}")
        if conv.update_time:
            facts.append(f"updated: {conv.update_time.isoformat(timespec='seconds')}")
        if conv.model:
            facts.append(f"model: {conv.model}")
        if conv.project_id:
            name = self.project_name(conv.project_id)
            facts.append(f"project: {name} ({conv.project_id})" if name else f"project: {conv.project_id}")
        lines += [" · ".join(facts), ""]
        sections = _current_sections(conv) if branch == "current" else _all_sections(conv)
        attachment = attachment_views(self.archive, conv)
        for first, text, label in sections:
            when = f" ({first.create_time.isoformat(timespec='minutes')})" if first.create_time else ""
            lines += [f"## {self._heading(first)}{when}{label}", "", self.mask(_body(first, text)).strip(), ""]
            lines += [_attachment_line(attachment(a)) for a in first.attachments]
            if first.attachments:
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def _heading(self, message: Message) -> str:
        """A Markdown section's title: the author, or what a canvas or deep-research message is."""
        if message.kind == "deep_research":
            return "Assistant · deep research report"
        canvas = message.canvas
        if canvas is None:
            return message.role.capitalize()
        facts = ", ".join(f for f in (canvas.type, f"version {canvas.version}" if canvas.version else None) if f)
        title = self.mask(canvas.title or "untitled")
        return f"Canvas: {title}" + (f" ({facts})" if facts else "")

    def as_of(self) -> AsOf:
        """When the store last heard from ChatGPT (a complete sync) and from an export."""
        synced = self.archive.sync_value(LAST_COMPLETE_SYNC)
        imported = [s.imported_at for s in self.archive.sources() if s.outcome == "imported" and s.imported_at]
        return AsOf(
            last_sync=from_epoch(float(synced)) if synced else None, last_import=from_epoch(max(imported, default=None))
        )

    # -- status --------------------------------------------------------------------------------------

    @translate_faults
    def status(self) -> HistoryStatus:
        counts = self.archive.counts()
        project_count, gpt_count = projects.kinds(self.archive)
        kept, kept_bytes = self.archive.file_counts()
        return HistoryStatus(
            data_dir=str(self.data_dir),
            conversations=counts["conversations"],
            messages=counts["messages"],
            projects=project_count,
            custom_gpts=gpt_count,
            indexed=self.index.doc_count(),
            pending_index=len(self.archive.pending()),
            files=FilesStatus(kept=kept, bytes=kept_bytes, limit=self.files_limit),
            sources=[
                SourceStatus(
                    path=s.path,
                    kind=s.kind,
                    imported_at=from_epoch(s.imported_at),
                    outcome=s.outcome,
                    detail=s.detail,
                    conversations=s.conversations,
                )
                for s in self.archive.sources()
            ],
            importing=self.import_state.model_copy(),
            writing=_writing(self.sync_lock.holder() or self.write_lock.holder()),
            last_sync=_last_sync(self.archive.sync_value("last_sync")),
            version=__version__,
        )


#: A Markdown section: its first message, its text, and what its heading adds (which version of a turn).
Section = tuple[Message, str, str]


def _attachment_line(view: AttachmentView) -> str:
    """An attachment in a Markdown transcript: a link to its resource when the store has it."""
    name = view.name or view.file_id
    facts = ", ".join(f for f in (view.mime_type, size_text(view.size) if view.size else None) if f)
    shown = f"[{name}]({view.uri})" if view.uri else f"{name} (not in this history)"
    return f"- attachment: {shown}" + (f" ({facts})" if facts else "")


def _body(message: Message, text: str) -> str:
    """A section's text: a code canvas fenced in its language, a canvas that could not be rebuilt with why."""
    canvas = message.canvas
    if canvas is None:
        return text
    kind = canvas.type or ""
    if kind.startswith("code/") and text.strip():
        text = f"```{kind.removeprefix('code/')}\n{text}\n```"
    notes = [f"> Note: {note}" for note in canvas.notes]
    return "\n\n".join([text, *notes]) if notes else text


def _current_sections(conv: Conversation) -> list[Section]:
    """The current branch, a continued answer merged into the section it continues (a canvas or a report is
    never a continuation, nor continued)."""
    sections: list[tuple[Message, str, str]] = []  # first message, text, id of the last one merged
    for message in conv.transcript():
        if (
            sections
            and message.role == "assistant"
            and sections[-1][0].role == "assistant"
            and message.kind == sections[-1][0].kind == "message"
        ):
            first, text, last_id = sections[-1]
            # "Continue generating" resumes mid-sentence (or mid code block) right under its parent.
            joiner = "" if message.parent_id == last_id else "\n\n"
            sections[-1] = (first, text + joiner + message.text, message.id)
            continue
        sections.append((message, message.text, message.id))
    return [(first, text, "") for first, text, _ in sections]


def _all_sections(conv: Conversation) -> list[Section]:
    """Every visible message, depth first so each branch reads in order; where a turn has several versions
    (edits, regenerations) each says which it is, and every message off the branch ChatGPT shows says so."""
    children: dict[str | None, list[Message]] = {}
    ids = {m.id for m in conv.messages}
    for message in conv.messages:
        children.setdefault(message.parent_id if message.parent_id in ids else None, []).append(message)
    current = set(conv.current_path)
    sections: list[Section] = []

    def visible_children(parent: str | None) -> list[Message]:
        """The visible messages under ``parent``, looking through hidden ones (a system root, tool calls)."""
        found: list[Message] = []
        for child in children.get(parent, []):
            found.extend([child] if not child.hidden else visible_children(child.id))
        return found

    roots = visible_children(None)
    stack = [(root, i, len(roots)) for i, root in reversed(list(enumerate(roots)))]
    while stack:
        message, number, versions = stack.pop()
        label = f" · version {number + 1} of {versions}" if versions > 1 else ""
        if message.id not in current:
            label += " (not on the current branch)"
        elif versions > 1:
            label += " (current)"
        sections.append((message, message.text, label))
        below = visible_children(message.id)
        stack.extend((child, i, len(below)) for i, child in reversed(list(enumerate(below))))
    return sections


def _writing(activity: Activity | None) -> WriterActivity | None:
    if activity is None:
        return None
    return WriterActivity(pid=activity.pid, activity=activity.activity, since=from_epoch(activity.since))


def _last_sync(raw: str | None) -> SyncReport | None:
    return SyncReport.model_validate_json(raw) if raw else None
