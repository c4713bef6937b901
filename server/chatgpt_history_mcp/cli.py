"""The command line: ``serve`` (default, MCP over stdio), ``import``, ``search``, ``list``, ``show``, ``projects``,
``status``, ``demo``, ``sync``, ``memories``, ``automations``, ``send``, ``login``, ``logout``, ``install``,
``uninstall``.

Like the MCP server, it only translates arguments into store calls and prints the answers.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

import anyio

from chatgpt_history_mcp import __version__
from chatgpt_history_mcp.errors import BadArgument, UserError
from chatgpt_history_mcp.install.arguments import add_commands as add_install_commands
from chatgpt_history_mcp.model import ROLES
from chatgpt_history_mcp.results import (
    AsOf,
    ConversationList,
    ConversationPage,
    HistoryStatus,
    Memory,
    ProjectList,
    SearchPage,
    size_text,
)
from chatgpt_history_mcp.settings import (
    ENV_ALLOW_SEND,
    ENV_DATA_DIR,
    ENV_EXPORTS,
    ENV_SYNC_INTERVAL,
    Settings,
    given,
    parse_duration,
)

if TYPE_CHECKING:  # the store loads the index engine: only the commands that use it import it
    from chatgpt_history_mcp.ingest.exports import Progress
    from chatgpt_history_mcp.store.history import Branch, HistoryStore


def _common(top_level: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the subcommand; a subcommand's copy never resets the top-level value."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        help=f"where the archive and index live (env {ENV_DATA_DIR})",
        default=None if top_level else argparse.SUPPRESS,
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log more to stderr",
        default=False if top_level else argparse.SUPPRESS,
    )
    return common


def _duration(text: str) -> float:
    """``--sync-interval``: a duration in seconds (a bare number is hours, as in the environment variable)."""
    try:
        return parse_duration(text, "h")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatgpt-history-mcp",
        description="Your ChatGPT history, searchable locally and served over MCP.",
        parents=[_common(top_level=True)],
    )
    common = _common(top_level=False)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", parents=[common], help="serve MCP over stdio (the default)")
    serve.add_argument(
        "--export",
        action="extend",
        nargs="*",
        metavar="PATH",
        help=f"exports to import at start (any number, repeatable; env {ENV_EXPORTS})",
    )
    serve.add_argument(
        "--allow-send",
        action="store_true",
        default=None,
        help=f"offer the send_message tool (it writes to your ChatGPT account; env {ENV_ALLOW_SEND}=1)",
    )
    serve.add_argument(
        "--sync-interval",
        type=_duration,
        metavar="DURATION",
        help=f"with a ChatGPT session, sync in the background this often (e.g. 12h, 30m; 0: off; env "
        f"{ENV_SYNC_INTERVAL}; default 12h)",
    )
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="stdio (hosts) or HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP: the address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=8765, help="HTTP: the port (default 8765)")
    serve.add_argument(
        "--auth-token", help="HTTP: required bearer token (env CHATGPT_HISTORY_HTTP_TOKEN); needed off loopback"
    )
    serve.add_argument(
        "--allow-host", action="append", default=[], metavar="HOST", help="HTTP: another Host name clients use"
    )

    imp = sub.add_parser("import", parents=[common], help="import ChatGPT exports (ZIP, conversations.json, folder)")
    imp.add_argument("paths", nargs="+", metavar="PATH")

    search = sub.add_parser("search", parents=[common], help="search the history")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--offset", type=int, default=0)
    search.add_argument("--role", choices=ROLES)
    search.add_argument("--after", help="ISO date or datetime")
    search.add_argument("--before", help="ISO date or datetime")
    search.add_argument("--project", help=PROJECT_HELP)
    search.add_argument("--model", help="a model slug, e.g. gpt-4o")
    search.add_argument("--json", action="store_true", help="print the result as JSON")

    _add_reading_commands(sub, common)

    status = sub.add_parser("status", parents=[common], help="what is stored, and any import or sync running")
    status.add_argument("--json", action="store_true")

    sub.add_parser("demo", parents=[common], help="import the bundled sample export and run an MCP session on it")

    sync = sub.add_parser("sync", parents=[common], help="fetch new and changed conversations from ChatGPT")
    sync.add_argument("--full", action="store_true", help="fetch every conversation again")
    for name, what in (("memories", "ChatGPT's memories"), ("automations", "scheduled tasks")):
        listing = sub.add_parser(name, parents=[common], help=f"list {what} (live, else the stored copy)")
        listing.add_argument("--json", action="store_true")
    send = sub.add_parser("send", parents=[common], help="send a message to ChatGPT and print the answer as it arrives")
    send.add_argument("message", help="the text to send; - reads it from stdin")
    send.add_argument("--conversation", metavar="ID", help="continue this conversation (default: a new chat)")
    send.add_argument("--model", help="a model slug, e.g. gpt-4o (default: ChatGPT's choice)")
    send.add_argument(
        "--allow-send",
        action="store_true",
        default=None,
        help=f"confirm that this writes to your ChatGPT account (or env {ENV_ALLOW_SEND}=1)",
    )
    send.add_argument("--json", action="store_true", help="print the result as JSON once complete")
    sub.add_parser(
        "login", parents=[common], help="store the __Secure-next-auth.session-token cookie (read from stdin)"
    )
    sub.add_parser("logout", parents=[common], help="forget the stored session token")
    add_install_commands(sub, common)
    return parser


class ProgressBar:
    """A one-line progress bar on stderr (a line per 10 % when stderr is not a terminal)."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr  # at call time: a redirected stderr counts
        self.width = width
        self.tty = self.stream.isatty()
        self._last_decile = -1
        self._last_done = -1

    def __call__(self, p: Progress) -> None:
        self.show(p.fraction, f"{p.conversations:,} conversations")

    def note(self, label: str) -> None:
        """A step whose total is not known yet (listing) or a wait (a rate limit): its sentence, no bar."""
        if self.tty:
            self.stream.write(f"\r{label}\033[K")
            self.stream.flush()
        else:
            self.stream.write(f"{label}\n")

    def sync_progress(self, done: int, total: int, label: str) -> None:
        """A sync's progress callback: a bar while bodies are fetched, a sentence before (listing). News that
        moves nothing on (a rate-limit wait) is always shown, even between the lines of every 10 %."""
        news = done == self._last_done
        self._last_done = done
        if not total:
            self.note(label)
        elif news and not self.tty:
            self.note(f"{done / total:4.0%} {label}")
        else:
            self.show(done / total, label)

    def show(self, fraction: float, label: str) -> None:
        if self.tty:
            filled = int(fraction * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {fraction:4.0%} {label}\033[K")
            self.stream.flush()
        elif int(fraction * 10) > self._last_decile:
            self._last_decile = int(fraction * 10)
            self.stream.write(f"{fraction:4.0%} {label}\n")

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
        self._last_decile = -1


def print_search(page: SearchPage, out: TextIO | None = None, data_dir: str | None = None) -> None:
    out = out or sys.stdout  # at call time: a redirected stdout counts
    if not page.results:
        out.write(f"No conversations match {page.query!r}.\n")
        return
    for result in page.results:
        when = result.update_time.date().isoformat() if result.update_time else "undated"
        out.write(f"\n{result.title}  ({when})  {result.conversation_id}\n")
        for match in result.matches:
            out.write(f"  {match.role:>9}: {match.snippet}\n")
        out.write(f"  {'open':>9}: {show_command(result.conversation_id, data_dir)}\n")
    if page.next_offset is not None:
        out.write(f"\nMore: --offset {page.next_offset}\n")


def _import(store: HistoryStore, paths: list[str]) -> int:
    from chatgpt_history_mcp.ingest.exports import import_export

    failed = 0
    for path in paths:
        bar = ProgressBar()
        try:
            report = import_export(store, path, bar)
        except UserError as exc:
            bar.done()
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        bar.done()
        print(report.summary())
        if report.warning:  # imported, but most of it was unreadable: a script must notice
            print(f"warning: {report.path}: {report.warning}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _failed(exc: UserError) -> int:
    """The one way an expected failure ends a command: its message on stderr, its exit code."""
    print(f"\nerror: {exc}" if exc.exit_code == 3 else f"error: {exc}", file=sys.stderr)  # 3: after a streamed answer
    return exc.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    command = args.command or "serve"
    settings = Settings.from_env(
        data_dir=args.data_dir,
        exports=getattr(args, "export", None),
        allow_send=getattr(args, "allow_send", None),
        sync_interval=getattr(args, "sync_interval", None),
    )
    try:
        if command == "serve":
            return _serve(settings, args)
        if command == "demo":
            from chatgpt_history_mcp.demo import run_demo

            return run_demo()
        if command in ("login", "logout"):
            return _login(settings) if command == "login" else _logout(settings)
        if command in ("install", "uninstall"):
            from chatgpt_history_mcp.install.command import run as run_install

            return run_install(args, settings)
        return _on_store(command, settings, args)
    except UserError as exc:
        return _failed(exc)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from chatgpt_history_mcp.faces.mcp_server import create_server

    server = create_server(settings)
    if getattr(args, "transport", "stdio") == "http":
        from chatgpt_history_mcp.faces.http import serve_http

        serve_http(server, args.host, args.port, args.auth_token or settings.http_token, args.allow_host)
    else:
        server.run()
    return 0


def _on_store(command: str, settings: Settings, args: argparse.Namespace) -> int:
    """The commands that work on the history store (a read-only or damaged data folder is said at once)."""
    from chatgpt_history_mcp.store.history import HistoryStore

    store = HistoryStore(settings.data_dir, redact_secrets=settings.redact, files_limit=settings.files_limit)
    try:
        if command == "import":
            return _import(store, args.paths)
        if command == "search":
            return _search(store, args)
        if command in READING_COMMANDS:
            return _read(command, store, args)
        if command in ("sync", "memories", "automations", "send"):
            return anyio.run(_live, command, settings, store, args)
        if command == "status":
            return _status(store, settings, args)
    finally:
        store.close()
    return 2


def _search(store: HistoryStore, args: argparse.Namespace) -> int:
    store.catch_up_index()  # what an index rebuilt or an import cut short left, as the server does at start
    page = store.search(
        args.query,
        limit=args.limit,
        offset=args.offset,
        role=args.role,
        after=args.after,
        before=args.before,
        project=args.project,
        model=args.model,
    )
    if args.json:
        print(page.model_dump_json(indent=2))
    else:
        print_search(page, data_dir=args.data_dir)
    return 0


def _status(store: HistoryStore, settings: Settings, args: argparse.Namespace) -> int:
    from chatgpt_history_mcp.chatgpt.credentials import login_location

    login = login_location(settings)
    status = store.status().model_copy(update={"credentials_configured": login is not None, "login": login})
    if args.json:
        print(status.model_dump_json(indent=2))
        return 0
    pending = f" ({status.pending_index} pending)" if status.pending_index else ""
    counts = (
        f"{status.conversations:,} ({status.messages:,} messages, {status.projects} projects, "
        f"{status.custom_gpts} custom GPTs)"
    )
    print(f"data dir:      {status.data_dir}")
    print(f"conversations: {counts}")
    print(f"indexed:       {status.indexed:,}{pending}")
    if status.files is not None:
        bound = "keep none" if status.files.limit == 0 else f"bound {size_text(status.files.limit or 0)}"
        print(f"files:         {status.files.kept:,} ({size_text(status.files.bytes)}; {bound})")
    print(f"login:         {login or 'none (`chatgpt-history-mcp login` to sync from ChatGPT)'}")
    for source in status.sources:
        when = source.imported_at.isoformat(timespec="seconds") if source.imported_at else "never"
        print(f"source:        {source.path} ({when}: {source.detail})")
    print_activity(status)
    return 0


async def _live(command: str, settings: Settings, store: HistoryStore, args: argparse.Namespace) -> int:
    from chatgpt_history_mcp import account

    if command == "send":
        return await _send(settings, store, args)
    if command == "sync":
        bar = ProgressBar()
        report = await account.sync(
            settings,
            store,
            full=args.full,
            progress=bar.sync_progress,
        )
        bar.done()
        print(report.summary())
        return 0 if report.outcome == "complete" else 1
    result = await (account.memories if command == "memories" else account.automations)(settings, store)
    if args.json:
        print(result.model_dump_json(indent=2))
        return 0
    if result.note:
        print(f"({result.note})", file=sys.stderr)
    for item in result.memories if isinstance(result, account.MemoryList) else result.automations:
        if isinstance(item, Memory):
            print(f"- {item.content}")
        else:
            state = "on" if item.is_enabled else "off" if item.is_enabled is False else "?"
            nxt = f", next {item.next_run_times[0]}" if item.next_run_times else ""
            print(f"- [{state}] {item.title or item.id} ({item.schedule or 'no schedule'}{nxt})")
    return 0


async def _send(settings: Settings, store: HistoryStore, args: argparse.Namespace) -> int:
    from chatgpt_history_mcp import account

    text = sys.stdin.read() if args.message == "-" else args.message
    printed = ""

    def show(answer: str) -> None:
        nonlocal printed
        if args.json or not answer.startswith(printed):
            return
        sys.stdout.write(answer[len(printed) :])
        sys.stdout.flush()
        printed = answer

    result = await account.send(
        settings, store, text, conversation_id=args.conversation, model=args.model, on_text=show
    )
    if args.json:
        print(result.model_dump_json(indent=2))
        return 0
    show(result.reply)
    print()
    title = f"{result.title!r}, " if result.title else ""
    print(f"(conversation {title}{result.conversation_id}; model {result.model or 'unknown'})", file=sys.stderr)
    if result.note:
        print(f"({result.note})", file=sys.stderr)
    return 0


# -- reading history: list, show --------------------------------------------------------------------------

READING_COMMANDS = ("list", "show", "projects")
PROJECT_HELP = "only this project or custom GPT: its name (any case) or id (g-p-…, g-…)"
#: The pager when $PAGER is not set; ``LESS=FRX`` (unless set) quits at once when the text fits the screen.
DEFAULT_PAGER = "less -R"


def _add_reading_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    listing = sub.add_parser("list", parents=[common], help="list conversations, newest first")
    listing.add_argument("--limit", type=int, default=20, help="conversations per page (default 20, at most 200)")
    listing.add_argument("--offset", type=int, default=0, help="skip this many (the footer says what to pass)")
    listing.add_argument(
        "--order",
        choices=["updated", "created", "oldest"],
        default="updated",
        help="newest activity (default), newest created, or oldest first",
    )
    listing.add_argument("--project", help=PROJECT_HELP)
    listing.add_argument(
        "--archived", action=argparse.BooleanOptionalAction, default=None, help="only archived, or --no-archived"
    )
    listing.add_argument("--after", help="ISO date or datetime")
    listing.add_argument("--before", help="ISO date or datetime")
    listing.add_argument("--json", action="store_true", help="print the result as JSON")

    projects = sub.add_parser(
        "projects", parents=[common], help="list projects and custom GPTs: name, kind, conversations, last activity"
    )
    projects.add_argument("--json", action="store_true", help="print the result as JSON")

    show = sub.add_parser("show", parents=[common], help="print a conversation as Markdown (paged on a terminal)")
    show.add_argument("conversation_id", metavar="ID", help="from list or search")
    show.add_argument(
        "--branch", choices=["current", "all"], default="current", help="all: every edit and regeneration too"
    )
    show.add_argument("--json", action="store_true", help="print every message as JSON (get_conversation's shape)")
    show.add_argument(
        "--no-pager", action="store_true", help=f"print, even on a terminal ($PAGER, else {DEFAULT_PAGER})"
    )


def _read(command: str, store: HistoryStore, args: argparse.Namespace) -> int:
    if command == "list":
        if not 1 <= args.limit <= 200:
            raise BadArgument(f"--limit {args.limit}: give 1 to 200")
        found = store.list_conversations(
            limit=args.limit,
            offset=max(0, args.offset),
            order=args.order,
            project=args.project,
            archived=args.archived,
            after=args.after,
            before=args.before,
        )
        if args.json:
            print(found.model_dump_json(indent=2))
        else:
            page_out(conversation_table(found, _width(), args.order, max(0, args.offset)), use_pager=False)
        return 0
    if command == "projects":
        listed = store.list_projects()
        if args.json:
            print(listed.model_dump_json(indent=2))
        else:
            page_out(project_table(listed, _width()), use_pager=False)
        return 0
    if args.json:
        print(_whole_conversation(store, args.conversation_id, args.branch).model_dump_json(indent=2))
        return 0
    text = store.transcript_markdown(args.conversation_id, branch=args.branch)
    page_out(text, use_pager=sys.stdout.isatty() and not args.no_pager)
    return 0


def _width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def show_command(conversation_id: str, data_dir: str | None = None) -> str:
    """The command that opens a conversation, with the data folder when one was given."""
    folder = f" --data-dir {shlex.quote(data_dir)}" if data_dir else ""
    return f"chatgpt-history-mcp show{folder} {conversation_id}"


def _cells(char: str) -> int:
    """Terminal columns a character takes: CJK and other wide characters take two, combining marks none."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def fit(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` terminal columns (with … when cut) and padded to it."""
    text = " ".join(text.split())
    used, kept = 0, list[str]()
    for char in text:
        cells = _cells(char)
        if used + cells > width:
            while kept and used + 1 > width:
                used -= _cells(kept.pop())
            kept.append("…")
            used += 1
            break
        kept.append(char)
        used += cells
    return "".join(kept) + " " * max(0, width - used)


#: A title gets at least this many columns: on a narrower terminal the model, then the message count, go first.
MIN_TITLE = 20


def conversation_table(found: ConversationList, width: int, order: str = "updated", offset: int = 0) -> str:
    """The listing as a table that fits ``width`` columns: date (of the activity it is ordered by), title,
    messages, model, id."""
    if not found.items:
        return "No conversations match.\n" if found.total == 0 else f"No conversations past {found.total}.\n"
    by_update = order == "updated"
    model_width = min(14, max(5, *(len(i.model or "") for i in found.items)))
    columns = {"msgs": 5 + 2, "model": model_width + 2}  # beside date (10), id (36) and the title's separators
    for dropped in ("model", "msgs"):
        if width - (10 + 2 + 2 + 36 + sum(columns.values())) >= MIN_TITLE:
            break
        del columns[dropped]
    title_width = max(MIN_TITLE, width - (10 + 2 + 2 + 36 + sum(columns.values())))

    def row(when: str, title: str, msgs: str, model: str, cid: str) -> str:
        cells = [f"{when:<10}", fit(title, title_width)]
        cells += [f"{msgs:>5}"] if "msgs" in columns else []
        cells += [fit(model, model_width)] if "model" in columns else []
        return "  ".join([*cells, cid]).rstrip()

    lines = [row("updated" if by_update else "created", "title", "msgs", "model", "id")]
    for item in found.items:
        when = (item.update_time or item.create_time) if by_update else item.create_time
        title = item.title + (" [archived]" if item.is_archived else "")
        date_text = when.date().isoformat() if when else "undated"
        lines.append(row(date_text, title, str(item.message_count), item.model or "", item.conversation_id))
    footer = f"{offset + 1}–{offset + len(found.items)} of {found.total}"
    if found.next_offset is not None:
        footer += f"; more: --offset {found.next_offset}"
    lines += ["", f"{footer}; {as_of_text(found.as_of)}"]
    return "\n".join(lines) + "\n"


def project_table(listed: ProjectList, width: int) -> str:
    """The projects and custom GPTs as a table that fits ``width`` columns: last activity, kind, name,
    conversations, id; then what the listing's note says (names missing until a sync, deleted GPTs)."""
    if not listed.projects:
        return "No projects or custom GPTs: no conversation in this history is in one.\n"
    id_width = max(len(p.project_id) for p in listed.projects)
    name_width = max(MIN_TITLE, width - (10 + 2 + 7 + 2 + 5 + 2 + 2 + id_width))

    def row(when: str, kind: str, name: str, chats: str, pid: str) -> str:
        return "  ".join([f"{when:<10}", f"{kind:<7}", fit(name, name_width), f"{chats:>5}", pid]).rstrip()

    lines = [row("active", "kind", "name", "chats", "id")]
    for p in listed.projects:
        when = p.last_activity.date().isoformat() if p.last_activity else "-"
        name = (p.name or ("(name unknown)" if p.deleted else "(no name yet)")) + (" [deleted]" if p.deleted else "")
        lines.append(row(when, p.kind, name, str(p.conversations), p.project_id))
    lines += ["", f"{len(listed.projects)} projects and custom GPTs; {as_of_text(listed.as_of)}"]
    if listed.note:
        lines.append(f"note: {listed.note}")
    return "\n".join(lines) + "\n"


def as_of_text(as_of: AsOf) -> str:
    def when(value: datetime | None) -> str:
        return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "never"

    return f"as of last sync {when(as_of.last_sync)}, last import {when(as_of.last_import)}"


def print_activity(status: HistoryStatus) -> None:
    """The status lines about work under way and the store's currency: what writes it now, in any process
    (an import, a sync, an index rebuild), and the last sync."""
    if status.writing is not None:
        since = f", since {status.writing.since.astimezone():%H:%M:%S}" if status.writing.since else ""
        print(f"writing now:   {status.writing.activity} (pid {status.writing.pid}{since})")
    if status.last_sync is not None:
        when = status.last_sync.finished_at
        at = f"{when.astimezone():%Y-%m-%d %H:%M}: " if when else ""
        print(f"last sync:     {at}{status.last_sync.summary()}")


def _whole_conversation(store: HistoryStore, conversation_id: str, branch: Branch) -> ConversationPage:
    """Every page of ``get_conversation`` as one page: its messages whole (no paging, no cut)."""
    pages = [store.get_conversation(conversation_id, limit=200, branch=branch, max_chars_per_message=200_000)]
    while pages[-1].next_offset is not None:
        pages.append(
            store.get_conversation(
                conversation_id, offset=pages[-1].next_offset, limit=200, branch=branch, max_chars_per_message=200_000
            )
        )
    messages = [m for page in pages for m in page.messages]
    cut = "messages longer than 200,000 characters were cut" if any(m.truncated for m in messages) else None
    return pages[0].model_copy(update={"messages": messages, "next_offset": None, "note": cut})


def page_out(text: str, *, use_pager: bool) -> None:
    """Print ``text``, through $PAGER (else ``less -R``) when asked; a pager that cannot start means a print."""
    if use_pager:
        command = shlex.split(given(os.environ.get("PAGER")) or DEFAULT_PAGER)
        env = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}
        try:
            pager = subprocess.Popen(command, stdin=subprocess.PIPE, env=env)
        except OSError:
            pass  # no such pager: print instead
        else:
            assert pager.stdin is not None
            # Ctrl-C belongs to the pager (less uses it to stop a search) while it runs, as with git.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                with contextlib.suppress(BrokenPipeError):  # the person quit the pager early
                    pager.stdin.write(text.encode(sys.stdout.encoding or "utf-8", "replace"))
                with contextlib.suppress(BrokenPipeError):
                    pager.stdin.close()
                pager.wait()
            finally:
                signal.signal(signal.SIGINT, previous)
            return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `show ID | head`: the reader has what it wanted; no traceback at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _login(settings: Settings) -> int:
    from chatgpt_history_mcp.chatgpt.credentials import save_session_token

    prompt = "Paste the value of the __Secure-next-auth.session-token cookie (input hidden): "
    token = (getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.read()).strip()
    if not token:
        print("error: no token given; nothing stored", file=sys.stderr)
        return 2
    where = save_session_token(settings.config_dir, token)
    print(f"Session token stored in {where}. Run `chatgpt-history-mcp sync` to fetch your history.")
    return 0


def _logout(settings: Settings) -> int:
    from chatgpt_history_mcp.chatgpt.credentials import delete_session_token

    print("Stored session token removed." if delete_session_token(settings.config_dir) else "No stored token.")
    return 0
