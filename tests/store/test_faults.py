"""Faults of the machine and of the input (issue 13), each as a person meets them: a file that is not an export,
a disk that fills up mid-import, a data folder on a read-only mount or without permission, a damaged archive,
a damaged index. Each ends in a message that says what is wrong and what to do, and the history as it was.

The full disk and the read-only mount are real filesystems: a small tmpfs mounted for the test (it needs root,
as in CI). Without that privilege they are skipped, saying so: a loop mount needs the same privilege, and
``RLIMIT_FSIZE`` fails writes with EFBIG (file too large), which is not what a full disk does.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import traceback
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from chatgpt_history_mcp.errors import ArchiveDamaged, MachineFault, NoSpace
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.settings import ENV_DATA_DIR, ENV_EXPORTS
from chatgpt_history_mcp.store.history import HistoryStore
from command_line import cli_process, run_cli
from conftest import build_conversation, write_export
from sample import ALL_SAMPLE, REPO, SOURDOUGH
from servers import TOOLS
from store_state import observe

SAMPLE_ZIP = REPO / "examples" / "sample-export.zip"
#: The tool calls a session makes; each must say why it fails when the store cannot be used.
CALLS: dict[str, dict[str, Any]] = {
    "search_conversations": {"query": "sourdough"},
    "list_conversations": {},
    "list_projects": {},
    "get_conversation": {"conversation_id": SOURDOUGH},
    "history_status": {},
    "list_memories": {},
    "list_automations": {},
    "sync_history": {},
}


def archive_rows(data_dir: Path) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{data_dir / 'archive.sqlite3'}?mode=ro", uri=True)) as db:
        return db.execute("SELECT id, title, change_key FROM conversations ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the sample export (copied by the tests that change it)."""
    data = tmp_path_factory.mktemp("sample-data") / "data"
    store = HistoryStore(data)
    import_export(store, SAMPLE_ZIP)
    store.close()
    return data


# -- a file that is not an export ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (["a", "b"], "a JSON array of 2 strings, not ChatGPT conversations"),
        (
            [{"name": "Ada", "email": "ada@example.invalid"}, {"name": "Bo"}, {"name": "Cy", "plan": "plus"}],
            "a JSON array of 3 objects, none of them is a ChatGPT conversation (keys: name, email, plan)",
        ),
        (
            [{"id": "s1", "conversation_id": "c1", "title": "Shared", "is_anonymous": True}],
            "a JSON array of 1 object, it is not a ChatGPT conversation (keys: id, conversation_id, title, is_anon",
        ),
    ],
    ids=["strings", "objects", "shared-links"],
)
def test_a_file_holding_no_conversation_is_refused_and_the_store_is_unchanged(
    tmp_path: Path, sample_data: Path, body: list[Any], says: str
) -> None:
    data = tmp_path / "data"
    shutil.copytree(sample_data, data)
    before = archive_rows(data)
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(body))
    done = run_cli(tmp_path, "import", "--data-dir", str(data), str(path))
    assert done.returncode != 0, done.stdout
    assert f"error: {path}: {says}" in done.stderr
    assert "Traceback" not in done.stderr and "added" not in done.stdout
    assert archive_rows(data) == before
    status = run_cli(tmp_path, "status", "--json", "--data-dir", str(data))
    assert [s["path"] for s in json.loads(status.stdout)["sources"]] == [str(SAMPLE_ZIP.resolve())]


def test_an_empty_array_is_an_empty_export(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_text("[]")
    done = run_cli(tmp_path, "import", "--data-dir", str(tmp_path / "data"), str(path))
    assert done.returncode == 0, done.stderr
    assert "0 conversations: 0 added" in done.stdout and "warning" not in done.stderr


def test_an_export_mostly_unreadable_says_so_in_the_cli_and_in_status(tmp_path: Path) -> None:
    good = build_conversation("kept-one", ["Where did the quokka go?", "Into the bush."])
    broken = [{"mapping": {}, "title": f"no id {i}"} for i in range(3)]  # conversations, but without an id
    export = write_export(tmp_path / "export.zip", [good, *broken])
    data = tmp_path / "data"
    done = run_cli(tmp_path, "import", "--data-dir", str(data), str(export))
    assert done.returncode == 1, "a script must notice"
    assert "4 conversations: 1 added, 0 updated, 0 unchanged, 3 skipped (unreadable)" in done.stdout
    assert "warning: " in done.stderr and "3 of 4 entries could not be read as conversations" in done.stderr
    assert "download it again" in done.stderr
    status = run_cli(tmp_path, "status", "--data-dir", str(data))
    assert status.returncode == 0 and "3 of 4 entries could not be read" in status.stdout
    found = run_cli(tmp_path, "search", "quokka", "--json", "--data-dir", str(data))
    assert [r["conversation_id"] for r in json.loads(found.stdout)["results"]] == ["kept-one"]


# -- small filesystems ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(mountpoint: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``mountpoint`` for the block (root only; skips the test otherwise)."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (a loop mount too; RLIMIT_FSIZE is not a full disk)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); a loop mount needs the same privilege")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "--lazy", str(mountpoint)], check=True)


def remount(mountpoint: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mountpoint)], check=True)


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 synthetic conversations (past the importer's threshold: index worker processes write segments)."""
    sys.path.insert(0, str(REPO))
    from bench.synth_export import write_export as synth_export

    path = tmp_path_factory.mktemp("big") / "export.zip"
    synth_export(str(path), 600, seed=13)
    return path


def failure_point(exc: BaseException) -> str:
    """Where the disk filled up: the archive (SQLite), an index worker, the index in process, the reserve."""
    cause = exc.__cause__
    assert cause is not None
    if isinstance(cause, sqlite3.Error):
        return "archive write"
    if "index worker" in str(cause):
        return "index worker segment"
    frames = [Path(f.filename).name + ":" + f.name for f in traceback.extract_tb(cause.__traceback__)]
    return "space reserve" if any("_hold_space" in f for f in frames) else "index segment in process"


def test_a_full_disk_mid_import_leaves_the_previous_store_exactly(
    tmp_path: Path, sample_data: Path, big_export: Path, figures: dict[str, Any]
) -> None:
    """On data folders of growing size, the import of 600 conversations either completes or fails with "no space
    left in <folder>", the archive (every row), the index in use (every byte) and the search results as they
    were, no file of the failed write left behind, and the next import completes once there is room."""
    outcomes: Counter[str] = Counter()
    # The smallest holds the sample's store (1.1 MB) with about 100 KB to spare.
    for size in ("1200k", "2m", "4m", "8m", "16m", "24m", "32m"):
        with small_disk(tmp_path / f"disk-{size}", size) as disk:
            data = disk / "data"
            shutil.copytree(sample_data, data)
            store = HistoryStore(data)
            try:
                before = observe(store)
                files_before = sorted(p.name for p in data.rglob("*"))
                try:
                    report = import_export(store, big_export)
                except NoSpace as exc:
                    assert str(exc).startswith(f"no space left in {data} (its disk is full)"), exc
                    assert "the history is as it was" in str(exc)
                    outcomes[failure_point(exc)] += 1
                    del exc  # its traceback holds the failed writer's open files
                    assert observe(store) == before
                    assert sorted(p.name for p in data.rglob("*") if p.name != "archive.sqlite3-wal") == [
                        name for name in files_before if name != "archive.sqlite3-wal"
                    ]
                    status = store.status()
                    assert (status.conversations, status.indexed, status.pending_index) == (ALL_SAMPLE, ALL_SAMPLE, 0)
                    reopened = HistoryStore(data)  # the next process sees the same
                    assert observe(reopened) == before
                    reopened.close()
                    remount(disk, "size=200m")
                    report = import_export(store, big_export)
                else:
                    outcomes["no fault: completed"] += 1
                assert (report.outcome, report.added) == ("imported", 600), report
                status = store.status()
                assert (status.conversations, status.indexed, status.pending_index) == (ALL_SAMPLE + 600,) * 2 + (0,)
                assert [r.conversation_id for r in store.search("sourdough starter").results][:1] == [SOURDOUGH]
            finally:
                store.close()
    figures["faults: full disk mid-import (1.2-32 MB tmpfs): where it filled up"] = dict(outcomes)
    assert outcomes["archive write"] and outcomes["index worker segment"], outcomes  # both write paths were met


def test_the_cli_says_the_disk_is_full_and_the_next_import_completes(
    tmp_path: Path, sample_data: Path, big_export: Path
) -> None:
    # A process of its own, as a person runs it: it ends, letting go of every file on the small disk, before the
    # remount (in process, the failed writer's traceback holds its files open: the test above deletes it).
    with small_disk(tmp_path / "disk", "6m") as disk:
        data = disk / "data"
        shutil.copytree(sample_data, data)
        before = archive_rows(data)
        done = cli_process(tmp_path, "import", "--data-dir", str(data), str(big_export))
        assert done.returncode != 0
        assert f"error: no space left in {data} (its disk is full)" in done.stderr
        assert "Traceback" not in done.stderr and "OSError" not in done.stderr
        assert archive_rows(data) == before
        searched = cli_process(tmp_path, "search", "sourdough starter", "--json", "--data-dir", str(data))
        assert json.loads(searched.stdout)["results"][0]["conversation_id"] == SOURDOUGH
        remount(disk, "size=200m")
        again = cli_process(tmp_path, "import", "--data-dir", str(data), str(big_export))
        assert again.returncode == 0, again.stderr
        assert "600 added" in again.stdout


# -- a data folder that cannot be written --------------------------------------------------------------------


def assert_cli_refuses(home: Path, data: Path, reason: str) -> None:
    for args in (("status",), ("search", "sourdough"), ("import", str(SAMPLE_ZIP))):
        done = run_cli(home, *args, "--data-dir", str(data))
        assert done.returncode == 2, (args, done.stdout)
        assert f"error: the data folder {data} cannot be written ({reason})" in done.stderr, done.stderr
        assert "--data-dir or CHATGPT_HISTORY_DATA_DIR" in done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""


async def assert_serve_explains(data: Path, *says: str) -> None:
    """A real MCP client over stdio: the server initializes and lists its tools, and every tool says why it
    cannot answer: a tool error carrying the reason and what to do, not the SDK's bare "Error executing tool X"
    of a crash."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "chatgpt_history_mcp", "serve"],
        env={ENV_DATA_DIR: str(data), ENV_EXPORTS: "", "HOME": str(data.parent)},
    )
    with anyio.fail_after(60):
        async with Client(params) as client:
            assert {t.name for t in (await client.list_tools()).tools} == TOOLS
            for name, arguments in CALLS.items():
                result = await client.call_tool(name, arguments)
                text = "\n".join(getattr(block, "text", "") for block in result.content)
                assert result.is_error, (name, text)
                assert text.strip() != f"Error executing tool {name}", "a crash, not a reason"
                for phrase in says:
                    assert phrase in text, (name, text)
            with pytest.raises(MCPError) as refused:  # the transcript resource says it too
                await client.read_resource(f"chatgpt://conversations/{SOURDOUGH}")
            for phrase in says:
                assert phrase in str(refused.value), str(refused.value)


def test_a_data_folder_on_a_read_only_mount_is_refused_at_start(tmp_path: Path, sample_data: Path) -> None:
    with small_disk(tmp_path / "disk", "16m") as disk:
        data = disk / "data"
        shutil.copytree(sample_data, data)
        remount(disk, "ro")
        assert_cli_refuses(tmp_path, data, "Read-only file system")
        anyio.run(assert_serve_explains, data, f"the data folder {data} cannot be written", "Read-only file system")


def test_a_data_folder_without_permission_is_refused_at_start(tmp_path: Path, sample_data: Path) -> None:
    """The CLI as another user (root may write anywhere) meets a data folder that is its owner's alone (0700).
    Python starts as root, loads the program, then drops to nobody (its interpreter may lie in root's home)."""
    if os.geteuid() != 0:
        pytest.skip("running the CLI as another user needs root")
    data = tmp_path / "data"
    shutil.copytree(sample_data, data)
    tmp_path.chmod(0o755)
    as_nobody = (
        "import os, sys\n"
        "from chatgpt_history_mcp import cli\n"
        "from chatgpt_history_mcp.ingest import exports\nfrom chatgpt_history_mcp.store import history\n"
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT_HISTORY_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    for args in (("status",), ("search", "sourdough"), ("import", str(SAMPLE_ZIP))):
        done = subprocess.run(
            [sys.executable, "-c", as_nobody, *args, "--data-dir", str(data)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert f"error: the data folder {data} cannot be written (Permission denied)" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


# -- a damaged archive ---------------------------------------------------------------------------------------

PAGE = 4096


def pages_of(archive: Path, table: str) -> list[int]:
    """The pages (1-based) holding ``table``'s rows, their bodies included."""
    with contextlib.closing(sqlite3.connect(archive)) as db:
        try:
            return [r[0] for r in db.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (table,))]
        except sqlite3.OperationalError:  # an SQLite built without dbstat: every page but the first
            count = db.execute("PRAGMA page_count").fetchone()[0]
            return list(range(2, count + 1))


def damage(archive: Path, page: int, seed: int = 13) -> None:
    """Overwrite 4 KB of ``page`` with random bytes."""
    with archive.open("r+b") as f:
        f.seek((page - 1) * PAGE)
        f.write(random.Random(seed + page).randbytes(PAGE))


def read_everything(store: HistoryStore) -> list[Any]:
    listing = store.list_conversations(limit=200)
    pages = [store.get_conversation(item.conversation_id, limit=500) for item in listing.items]
    return [listing, pages, store.search("sourdough starter"), store.status().conversations]


def test_every_damaged_page_of_the_archive_is_refused_never_served(
    tmp_path: Path, sample_data: Path, figures: dict[str, Any]
) -> None:
    """4 KB overwritten in each page of the conversations table in turn: the damage is found when the archive
    opens (quick_check), or, inside a stored body, when that body is read: a clear ArchiveDamaged either way,
    never another error, never a wrong answer."""
    store = HistoryStore(sample_data)
    expected = read_everything(store)
    store.close()
    found: Counter[str] = Counter()
    pages = pages_of(sample_data / "archive.sqlite3", "conversations")
    assert len(pages) > 5
    for page in pages:
        data = tmp_path / f"page-{page}"
        shutil.copytree(sample_data, data)
        damage(data / "archive.sqlite3", page)
        try:
            store = HistoryStore(data)
        except ArchiveDamaged as exc:
            assert "is damaged" in str(exc) and "import your ChatGPT export again" in str(exc)
            found["at open"] += 1
            continue
        try:
            assert read_everything(store) == expected, f"page {page}: a damaged archive answered differently"
            found["unused page: answers unchanged"] += 1
        except ArchiveDamaged as exc:
            assert "is damaged" in str(exc)
            found["when read"] += 1
        finally:
            store.close()
    figures["faults: 4 KB overwritten in each page of the archive: damage found"] = dict(found)
    assert found["at open"] >= len(pages) // 2, found


@pytest.fixture(scope="module")
def damaged_data(sample_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("damaged") / "data"
    shutil.copytree(sample_data, data)
    damage(data / "archive.sqlite3", pages_of(data / "archive.sqlite3", "conversations")[0])
    return data


def test_status_of_a_damaged_archive_fails_and_says_what_to_do(tmp_path: Path, damaged_data: Path) -> None:
    done = run_cli(tmp_path, "status", "--data-dir", str(damaged_data))
    assert done.returncode == 2, done.stdout
    archive = damaged_data / "archive.sqlite3"
    assert f"error: the archive {archive} is damaged (" in done.stderr
    assert "start a new data folder" in done.stderr and "import your ChatGPT export again" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_every_tool_says_the_archive_is_damaged(damaged_data: Path) -> None:
    anyio.run(assert_serve_explains, damaged_data, "is damaged", "import your ChatGPT export again")


# -- a damaged index -----------------------------------------------------------------------------------------


def test_a_damaged_index_is_rebuilt_from_the_archive_by_the_next_command(tmp_path: Path, sample_data: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(sample_data, data)
    for toc in (data / "index").glob("*.toc"):
        toc.write_bytes(random.Random(13).randbytes(toc.stat().st_size))
    done = run_cli(tmp_path, "search", "sourdough starter", "--json", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "rebuilding the search index from the archive" in done.stderr
    assert json.loads(done.stdout)["results"][0]["conversation_id"] == SOURDOUGH


def test_damage_inside_a_stored_body_is_refused_when_read(tmp_path: Path, sample_data: Path) -> None:
    """Bytes flipped inside a compressed body pass quick_check (the page is sound): reading that conversation
    says the archive is damaged, and every other conversation still reads."""
    data = tmp_path / "data"
    shutil.copytree(sample_data, data)
    with contextlib.closing(sqlite3.connect(data / "archive.sqlite3")) as db:
        (body,) = db.execute("SELECT body FROM conversations WHERE id = ?", (SOURDOUGH,)).fetchone()
        flipped = body[:20] + bytes(b ^ 0x5A for b in body[20:40]) + body[40:]
        db.execute("UPDATE conversations SET body = ? WHERE id = ?", (flipped, SOURDOUGH))
        db.commit()
    store = HistoryStore(data)
    try:
        with pytest.raises(ArchiveDamaged, match=f"the stored body of conversation {SOURDOUGH} cannot be read"):
            store.get_conversation(SOURDOUGH)
        others = [i.conversation_id for i in store.list_conversations(limit=50).items if i.conversation_id != SOURDOUGH]
        assert len(others) == ALL_SAMPLE - 1
        for cid in others:
            assert store.get_conversation(cid).messages
    finally:
        store.close()


def test_a_damaged_index_segment_is_rebuilt_when_a_search_meets_it(tmp_path: Path, sample_data: Path) -> None:
    """The index opens (its table of contents is sound) but its segment files were overwritten: the search that
    reads them rebuilds the index from the archive and answers, in the CLI and over MCP."""
    for face in ("cli", "mcp"):
        data = tmp_path / face
        shutil.copytree(sample_data, data)
        for segment in (data / "index").glob("MAIN_*.*"):
            if segment.name != "MAIN_WRITELOCK":
                size = segment.stat().st_size
                with segment.open("r+b") as f:
                    f.seek(max(0, size // 2 - PAGE // 2))
                    f.write(random.Random(size).randbytes(min(PAGE, size)))
        if face == "cli":
            done = run_cli(tmp_path, "search", "sourdough starter", "--json", "--data-dir", str(data))
            assert done.returncode == 0, done.stderr
            assert "the search index is damaged" in done.stderr and "rebuilding it from the archive" in done.stderr
            assert json.loads(done.stdout)["results"][0]["conversation_id"] == SOURDOUGH
            status = json.loads(run_cli(tmp_path, "status", "--json", "--data-dir", str(data)).stdout)
            assert (status["indexed"], status["pending_index"]) == (ALL_SAMPLE, 0)
            continue

        async def search(data: Path) -> None:
            params = StdioServerParameters(
                command=sys.executable, args=["-m", "chatgpt_history_mcp", "serve"], env={ENV_DATA_DIR: str(data)}
            )
            async with Client(params) as client:
                found = await client.call_tool("search_conversations", {"query": "sourdough starter"})
                assert not found.is_error, found.content
                assert found.structured_content["results"][0]["conversation_id"] == SOURDOUGH

        anyio.run(search, data)


def test_a_full_disk_mid_sync_keeps_the_chunks_before_it_and_the_next_sync_resumes(
    tmp_path: Path, sample_data: Path, figures: dict[str, Any]
) -> None:
    from fake_backend import FakeBackend, sample_account

    with FakeBackend(sample_account(n_main=300)) as backend:
        total = ALL_SAMPLE + len(backend.account.conversations)
        for size in ("1500k", "2500k"):
            with small_disk(tmp_path / f"disk-{size}", size) as disk:
                data = disk / "data"
                shutil.copytree(sample_data, data)
                env = {
                    "CHATGPT_BASE_URL": backend.url,
                    "CHATGPT_SESSION_TOKEN": backend.session_token,
                    "CHATGPT_SYNC_PACING": "0",
                }
                # Separate processes, as in the CLI's full-disk import above: all let go before the remount.
                full = cli_process(tmp_path, "sync", "--data-dir", str(data), env_extra=env)
                assert full.returncode == 2, full.stdout
                assert f"error: no space left in {data} (its disk is full)" in full.stderr
                assert "Traceback" not in full.stderr and backend.session_token not in full.stderr
                status = json.loads(
                    cli_process(tmp_path, "status", "--json", "--data-dir", str(data), env_extra=env).stdout
                )
                assert ALL_SAMPLE <= status["conversations"] < total
                assert (status["indexed"], status["pending_index"]) == (status["conversations"], 0)  # whole chunks
                kept = status["conversations"] - ALL_SAMPLE
                figures[f"faults: full disk mid-sync ({size} tmpfs): conversations kept / to fetch"] = (
                    f"{kept} / {total - ALL_SAMPLE}"
                )
                remount(disk, "size=100m")
                resumed = cli_process(tmp_path, "sync", "--data-dir", str(data), env_extra=env)
                assert resumed.returncode == 0 and "sync complete" in resumed.stdout, resumed.stderr
                status = json.loads(
                    cli_process(tmp_path, "status", "--json", "--data-dir", str(data), env_extra=env).stdout
                )
                assert (status["conversations"], status["indexed"]) == (total, total)


def test_too_many_open_files_while_opening_the_index_is_reported_and_the_index_kept(
    tmp_path: Path, sample_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passing fault of the machine (EMFILE) says so and what to do; the index is not taken for damaged
    (it used to be deleted and queued for rebuilding: indexed 0 afterwards)."""
    from whoosh.filedb.filestore import FileStorage

    data = tmp_path / "data"
    shutil.copytree(sample_data, data)
    opened = FileStorage.open_index

    def out_of_files(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

    monkeypatch.setattr(FileStorage, "open_index", out_of_files)
    with pytest.raises(MachineFault, match=r"could not be read just now \(Too many open files\).*ulimit -n"):
        HistoryStore(data)
    monkeypatch.setattr(FileStorage, "open_index", opened)
    store = HistoryStore(data)
    try:
        status = store.status()
        assert (status.indexed, status.pending_index) == (ALL_SAMPLE, 0)
        assert store.search("sourdough starter").results[0].conversation_id == SOURDOUGH
    finally:
        store.close()


def test_too_many_open_files_during_a_search_is_reported_and_the_index_kept(
    tmp_path: Path, sample_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatgpt_history_mcp.search import index as index_module

    data = tmp_path / "data"
    shutil.copytree(sample_data, data)
    store = HistoryStore(data)
    try:
        ranked = index_module.rank

        def out_of_files(*args: Any, **kwargs: Any) -> Any:
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

        monkeypatch.setattr(index_module, "rank", out_of_files)
        with pytest.raises(MachineFault, match="Too many open files"):
            store.search("sourdough starter")
        monkeypatch.setattr(index_module, "rank", ranked)
        assert store.status().indexed == ALL_SAMPLE
        assert store.search("sourdough starter").results[0].conversation_id == SOURDOUGH
    finally:
        store.close()


def test_the_index_files_name_no_project_module(sample_data: Path) -> None:
    """Whoosh pickles the schema and each segment's codec into the table of contents: were a project class
    pickled there, moving its module would make every user's index unreadable (it did once: a rebuild)."""
    tocs = list((sample_data / "index").glob("*.toc"))
    assert tocs
    for toc in tocs:
        assert b"chatgpt_history_mcp" not in toc.read_bytes()
        assert b"whoosh" in toc.read_bytes()  # the stock classes stand in
