"""An import or a sync killed with SIGKILL loses nothing committed and leaves nothing behind (issue 6).

Each run starts from a store holding the sample export, starts a real ``python -m chatgpt_history_mcp import``
(a synthetic export of a few hundred conversations, a couple of seconds of work) or ``… sync`` (against the
fake backend, with a small pacing), and kills it after a seeded random delay, or as soon as a commit shows. Then:

- the store opens, and what was there before the run is still there and found by search;
- what the killed run had committed stays (the import is one transaction; a sync commits every chunk);
- no lock is left behind: another writer takes the store's write lock and the index's at once;
- the next run completes, and the store then equals the one a clean, uninterrupted run gives: the same
  conversations, the same transcripts, the same search results, everything indexed.

Where each kill landed (before, during or after the commit) is recorded in ``figures``.

Two kills at chosen points: an import while its index worker processes run (none of them outlives it), and a
sync once its first chunks have committed (the next sync fetches only the rest, and the store then answers as
an import of the same account's export does).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.ingest.sync import CHUNK
from chatgpt_history_mcp.store.history import HistoryStore
from command_line import run_cli
from conftest import build_conversation
from fake_backend import FakeBackend, sample_account
from sample import ALL_SAMPLE, CHINESE, LISBON, REPO, SAMPLE, SOURDOUGH

#: Conversations of the synthetic export (below the importer's PARALLEL_AFTER: one process, ~2 s of work).
SYNTHETIC = 380
PLANTED = [f"crashplant{word}" for word in ("alder", "birch", "cedar", "damson", "elder")]
SAMPLE_HITS = {"sourdough": SOURDOUGH, "lisbon": LISBON, "机器学习": CHINESE}
SEED = 2026
TIMEOUT = 120


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgpt_history_mcp", *args], env=env, capture_output=True, text=True, timeout=TIMEOUT
    )


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "chatgpt_history_mcp", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def query(data_dir: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the archive through a separate read-only connection (while a writer may be running)."""
    path = data_dir / "archive.sqlite3"
    if not path.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
            return db.execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # the run had not created the archive yet
            return []
        raise


def kill_after(process: subprocess.Popen[bytes], delay: float | None, until: Callable[[], bool] | None) -> bool:
    """SIGKILL ``process`` after ``delay`` seconds, or as soon as ``until()`` holds; False if it had ended."""
    started = time.monotonic()
    deadline = started + TIMEOUT
    while process.poll() is None:
        now = time.monotonic()
        assert now < deadline, "the run neither ended nor reached its kill point"
        if (delay is not None and now - started >= delay) or (until is not None and until()):
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            return True
        time.sleep(0.003)
    return False


def content(data_dir: Path) -> dict[str, Any]:
    """What must be equal to a clean run's: every conversation (its row and its normalized body), the sources,
    memories and automations, and nothing left queued or pending. Times of writing are left out."""
    rows = query(
        data_dir,
        "SELECT id, title, create_time, update_time, model, project_id, is_archived, is_starred, source, "
        "message_count, change_key, body FROM conversations ORDER BY id",
    )
    return {
        "conversations": {r[0]: (*r[1:-1], json.loads(zlib.decompress(r[-1]))) for r in rows},
        "sources": query(
            data_dir, "SELECT path, kind, fingerprint, outcome, detail, conversations FROM sources ORDER BY 1"
        ),
        "memories": query(data_dir, "SELECT id, position, content, created_at, updated_at FROM memories ORDER BY 1"),
        "automations": query(data_dir, "SELECT id, position, title, body FROM automations ORDER BY 1"),
        "queued": query(data_dir, "SELECT id FROM sync_queue"),
        "pending": query(data_dir, "SELECT id FROM pending_index"),
    }


def searches(data_dir: Path, words: list[str]) -> dict[str, list[str]]:
    store = HistoryStore(data_dir)
    try:
        return {w: [r.conversation_id for r in store.search(w, limit=20).results] for w in [*SAMPLE_HITS, *words]}
    finally:
        store.close()


def check_after_kill(data_dir: Path, before: dict[str, Any]) -> dict[str, Any]:
    """The store opens; what was there before the killed run is unchanged and found; no lock is left."""
    store = HistoryStore(data_dir)
    try:
        after = content(data_dir)
        for cid, row in before["conversations"].items():
            assert after["conversations"].get(cid) == row, f"{cid} changed or vanished after the kill"
        for word, cid in SAMPLE_HITS.items():
            assert cid in [r.conversation_id for r in store.search(word).results], word
        store.write_lock.acquire()  # non-blocking: StoreBusy if a lock had survived
        try:
            store.index.writer().cancel()  # the index's own lock, with a wait of 30 s
        finally:
            store.write_lock.release()
        return after
    finally:
        store.close()


def record(figures: dict[str, Any], what: str, landings: list[str], during: str) -> None:
    figures[f"crash: {what}: runs"] = len(landings)
    figures[f"crash: {what}: kill points"] = "; ".join(landings)
    counts = Counter(landing.split(": ", 1)[1].split(" (")[0] for landing in landings)
    figures[f"crash: {what}: kills landing before / during / after the commit ({during})"] = " / ".join(
        str(counts[k]) for k in ("before the commit", "during the commit", "after the commit")
    )


# -- the import -------------------------------------------------------------------------------------------


def _planted(i: int, word: str) -> dict[str, Any]:
    return build_conversation(
        f"crash-planted-{i}",
        [f"Please remember the word {word} for me.", f"I will remember {word}."],
        title=f"Planted {i}",
    )


def _conversations() -> Iterator[dict[str, Any]]:
    """bench/synth_export's conversations, with the planted ones in the middle."""
    sys.path.insert(0, str(REPO))
    from bench.synth_export import iter_conversations

    synthetic = iter_conversations(SYNTHETIC, seed=SEED)
    yield from itertools.islice(synthetic, SYNTHETIC // 2)
    yield from (_planted(i, w) for i, w in enumerate(PLANTED))
    yield from synthetic


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic export (bench/synth_export's generator) with the planted conversations among its own."""
    path = tmp_path_factory.mktemp("crash-export") / f"synthetic-{SYNTHETIC}-s{SEED}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, z.open("conversations.json", "w") as f:
        f.write(b"[")
        for n, conv in enumerate(_conversations()):
            f.write((b"," if n else b"") + json.dumps(conv, ensure_ascii=False).encode())
        f.write(b"]")
    return path


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the sample export: each run starts from a copy."""
    data = tmp_path_factory.mktemp("crash-sample") / "data"
    store = HistoryStore(data)
    try:
        assert import_export(store, SAMPLE).added == ALL_SAMPLE
    finally:
        store.close()
    return data


def test_import_killed_at_random_points(
    big_export: Path, sample_dir: Path, tmp_path: Path, figures: dict[str, Any]
) -> None:
    source = str(big_export.resolve())
    env = {**os.environ, "CHATGPT_HISTORY_CONFIG_DIR": str(tmp_path / "config")}

    def committed(data: Path) -> bool:
        return bool(query(data, "SELECT 1 FROM sources WHERE path = ?", source))

    # A clean run, timed: when its one transaction commits, and when it ends (the index commits in between).
    clean = tmp_path / "clean"
    shutil.copytree(sample_dir, clean)
    started = time.monotonic()
    run = spawn("import", str(big_export), env={**env, "CHATGPT_HISTORY_DATA_DIR": str(clean)})
    while run.poll() is None and not committed(clean):
        time.sleep(0.005)
    commit_at = time.monotonic() - started
    assert run.wait(timeout=TIMEOUT) == 0
    ended_at = time.monotonic() - started
    expected = content(clean)
    assert len(expected["conversations"]) == ALL_SAMPLE + SYNTHETIC + len(PLANTED) and not expected["pending"]
    expected_hits = searches(clean, PLANTED)
    assert all(expected_hits[w] == [f"crash-planted-{i}"] for i, w in enumerate(PLANTED))
    before = content(sample_dir)

    def indexed(data: Path) -> bool:
        return committed(data) and not query(data, "SELECT id FROM pending_index LIMIT 1")

    # Seeded delays: two before the archive commits, two between that and the end (the index commits in
    # between); then the moment the archive's commit shows, and the moment the index's does.
    rng = random.Random(SEED)
    points: list[tuple[str, float | None, Callable[[Path], bool] | None]] = [
        (f"{d:.2f}s", d, None)
        for d in (
            commit_at * rng.uniform(0.1, 0.5),
            commit_at * rng.uniform(0.5, 0.95),
            commit_at + (ended_at - commit_at) * rng.uniform(0.05, 0.5),
            commit_at + (ended_at - commit_at) * rng.uniform(0.5, 1.0),
        )
    ]
    points += [("on the archive's commit", None, committed), ("on the index's commit", None, indexed)]

    landings: list[str] = []
    for n, (point, delay, trigger) in enumerate(points):
        data = tmp_path / f"run-{n}"
        shutil.copytree(sample_dir, data)
        run = spawn("import", str(big_export), env={**env, "CHATGPT_HISTORY_DATA_DIR": str(data)})
        killed = kill_after(run, delay, None if trigger is None else lambda t=trigger, d=data: t(d))
        after = check_after_kill(data, before)
        if not committed(data):
            landing = "before the commit"
            assert after == before, "a killed import left part of its work in the archive"
        else:  # the archive's transaction committed: all of it stays, the index catches up on the next run
            landing = "during the commit" if after["pending"] else "after the commit"
            assert after["conversations"] == expected["conversations"]
        landings.append(f"{point}: {landing}" + ("" if killed else " (the run had ended)"))

        again = cli("import", str(big_export), env={**env, "CHATGPT_HISTORY_DATA_DIR": str(data)})
        assert again.returncode == 0, again.stderr
        assert ("already imported" in again.stdout) == (landing != "before the commit"), again.stdout
        assert content(data) == expected, f"run {n} ({landings[-1]}) differs from a clean run after recovery"
        assert searches(data, PLANTED) == expected_hits
        shutil.rmtree(data)

    figures["crash: import: clean run (commit, end)"] = f"{commit_at:.2f}s, {ended_at:.2f}s"
    record(figures, "import", landings, "during: the archive had committed, the index not yet")
    assert any("before" in landing for landing in landings)
    # Between the archive's commit and the index's publication there is one small file to write (the index's
    # segments are written inside the archive's transaction), so a kill rarely lands there; each landing
    # above recovered, and tests/ingest/test_import.py makes that state on purpose.
    assert any(landing.endswith(("during the commit", "after the commit")) for landing in landings)
    assert "after the commit" in landings[-1]


# -- the sync ---------------------------------------------------------------------------------------------


def test_sync_killed_at_random_points(sample_dir: Path, tmp_path: Path, figures: dict[str, Any]) -> None:
    account = sample_account(n_main=100, n_archived=5, n_projects=2, per_project=5)
    total = len(account.conversations)
    words = [account.keywords[cid] for cid in sorted(account.keywords)[::10]]
    with FakeBackend(account) as fb:
        fb.slow(0.02, "/backend-api/conversation/*", count=None)
        env = {
            **os.environ,
            "CHATGPT_BASE_URL": fb.url,
            "CHATGPT_SESSION_TOKEN": fb.session_token,
            "CHATGPT_HISTORY_CONFIG_DIR": str(tmp_path / "config"),
            "CHATGPT_SYNC_PACING": "0.01",
        }

        def synced(data: Path) -> int:
            return len(query(data, "SELECT id FROM conversations WHERE source = 'api'"))

        # A clean run, timed: when its first and its last chunk commit, and when it ends.
        clean = tmp_path / "clean"
        shutil.copytree(sample_dir, clean)
        started = time.monotonic()
        run = spawn("sync", env={**env, "CHATGPT_HISTORY_DATA_DIR": str(clean)})
        first = last = None
        while run.poll() is None:
            count = synced(clean)
            now = time.monotonic() - started
            first = first if first is not None or not count else now
            last = last if last is not None or count < total else now
            time.sleep(0.005)
        ended = time.monotonic() - started
        assert run.returncode == 0 and first is not None and last is not None
        expected = content(clean)
        assert len(expected["conversations"]) == ALL_SAMPLE + total and expected["memories"]
        expected_hits = searches(clean, words)
        before = content(sample_dir)

        rng = random.Random(SEED)
        delays: list[float | None] = [
            first * rng.uniform(0.2, 0.7),
            first + (last - first) * rng.uniform(0.1, 0.45),
            first + (last - first) * rng.uniform(0.55, 0.95),
            None,  # the moment the last chunk has committed
        ]
        landings: list[str] = []
        for n, delay in enumerate(delays):
            data = tmp_path / f"run-{n}"
            shutil.copytree(sample_dir, data)
            run = spawn("sync", env={**env, "CHATGPT_HISTORY_DATA_DIR": str(data)})
            killed = kill_after(run, delay, None if delay is not None else lambda data=data: synced(data) == total)
            after = check_after_kill(data, before)
            kept = {cid: row for cid, row in after["conversations"].items() if cid not in before["conversations"]}
            for cid, row in kept.items():  # what a killed sync committed is kept whole
                assert row == expected["conversations"][cid], cid
            if not kept:
                landing = "before the commit"
            elif len(kept) < total:
                landing = f"during the commit ({len(kept)} of {total} committed)"
                assert len(kept) % CHUNK == 0
            else:
                landing = "after the commit"
            point = f"{delay:.2f}s" if delay is not None else "on the last commit"
            landings.append(f"{point}: {landing}" + ("" if killed else " (the run had ended)"))

            fb.clear_requests()
            again = cli("sync", env={**env, "CHATGPT_HISTORY_DATA_DIR": str(data)})
            assert again.returncode == 0, again.stderr
            refetched = {r.path.rsplit("/", 1)[-1] for r in fb.requests_to("/backend-api/conversation/*")}
            assert not refetched & set(kept), "the next sync fetched again what the killed one had committed"
            recovered = content(data)
            assert recovered == expected, f"run {n} ({landings[-1]}) differs from a clean run after recovery"
            assert searches(data, words) == expected_hits
            shutil.rmtree(data)

    figures["crash: sync: clean run (first commit, last commit, end)"] = f"{first:.2f}s, {last:.2f}s, {ended:.2f}s"
    record(figures, "sync", landings, "during: some chunks had committed")
    assert any("before" in landing for landing in landings)
    assert any("during" in landing for landing in landings)


# -- killed while its index workers run; a sync killed after its first chunks ------------------------------

needs_proc = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@needs_proc
def test_killed_import_keeps_the_store_and_leaves_no_workers(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO))
    from bench.synth_export import write_export

    big = tmp_path / "big.zip"
    write_export(str(big), 2500, seed=3)
    data = tmp_path / "data"
    assert run_cli(tmp_path, "--data-dir", str(data), "import", str(SAMPLE)).returncode == 0
    before = json.loads(run_cli(tmp_path, "--data-dir", str(data), "status", "--json").stdout)

    importer = subprocess.Popen(
        [sys.executable, "-m", "chatgpt_history_mcp", "--data-dir", str(data), "import", str(big)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2:  # the index workers start once 400 conversations are in
        assert importer.poll() is None, "the import ended before its workers started"
        assert time.monotonic() < deadline, "index workers never started"
        workers = [p for p in children(importer.pid) if "spawn_main" in (Path(f"/proc/{p}/cmdline").read_text())]
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait()

    deadline = time.monotonic() + 10
    while any(alive(p) for p in workers):
        assert time.monotonic() < deadline, "index workers outlived the killed import"
        time.sleep(0.1)

    after = json.loads(run_cli(tmp_path, "--data-dir", str(data), "status", "--json").stdout)
    assert (after["conversations"], after["indexed"]) == (before["conversations"], before["indexed"])
    assert "Sourdough starter not rising" in run_cli(tmp_path, "--data-dir", str(data), "search", "sourdough").stdout

    again = run_cli(tmp_path, "--data-dir", str(data), "import", str(big))
    assert again.returncode == 0, again.stderr
    assert "2500 added" in again.stdout
    final = json.loads(run_cli(tmp_path, "--data-dir", str(data), "status", "--json").stdout)
    assert final["conversations"] == final["indexed"] == before["conversations"] + 2500


@needs_proc
def test_killed_sync_resumes_without_refetching_committed_chunks(tmp_path: Path) -> None:
    with FakeBackend(sample_account(n_main=70, n_archived=5, n_projects=1, per_project=5)) as fb:
        total = 80
        fb.slow(0.03, "/backend-api/conversation/*", count=None)
        env = {
            **os.environ,
            "CHATGPT_BASE_URL": fb.url,
            "CHATGPT_SESSION_TOKEN": fb.session_token,
            "CHATGPT_HISTORY_CONFIG_DIR": str(tmp_path / "config"),
            "CHATGPT_SYNC_PACING": "0",
        }
        data = tmp_path / "data"
        command = [sys.executable, "-m", "chatgpt_history_mcp", "--data-dir", str(data), "sync"]
        syncing = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(fb.requests_to("/backend-api/conversation/*")) < 2 * CHUNK + 5:
            assert syncing.poll() is None, "the sync ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(syncing.pid, signal.SIGKILL)
        syncing.wait()
        kept = json.loads(run_cli(tmp_path, "--data-dir", str(data), "status", "--json").stdout)
        assert CHUNK <= kept["conversations"] == kept["indexed"] < total  # committed chunks survived the kill
        first_run = len(fb.requests_to("/backend-api/conversation/*"))

        fb.clear_requests()
        resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        final = json.loads(run_cli(tmp_path, "--data-dir", str(data), "status", "--json").stdout)
        assert final["conversations"] == final["indexed"] == total
        refetched = len(fb.requests_to("/backend-api/conversation/*"))
        assert refetched == total - kept["conversations"]  # only what was not committed
        assert first_run - kept["conversations"] <= CHUNK + 2  # at most the in-flight chunk was lost

        # The resumed store holds what an export of the same account gives.
        imported = tmp_path / "imported"
        export = fb.account.write_export_zip(tmp_path / "export.zip")
        assert run_cli(tmp_path, "--data-dir", str(imported), "import", str(export)).returncode == 0
        for query in list(fb.account.keywords.values())[:10]:
            synced = json.loads(run_cli(tmp_path, "--data-dir", str(data), "search", query, "--json").stdout)
            exported = json.loads(run_cli(tmp_path, "--data-dir", str(imported), "search", query, "--json").stdout)
            synced, exported = synced["results"], exported["results"]
            assert [r["conversation_id"] for r in synced] == [r["conversation_id"] for r in exported], query
