"""An import killed with SIGKILL while its index workers run: nothing is lost, nothing is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sample import REPO, SAMPLE

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgpt_history_mcp", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


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


def test_killed_import_keeps_the_store_and_leaves_no_workers(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO))
    from bench.synth_export import write_export

    big = tmp_path / "big.zip"
    write_export(str(big), 2500, seed=3)
    data = tmp_path / "data"
    assert cli(data, "import", str(SAMPLE)).returncode == 0
    before = json.loads(cli(data, "status", "--json").stdout)

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

    after = json.loads(cli(data, "status", "--json").stdout)
    assert (after["conversations"], after["indexed"]) == (before["conversations"], before["indexed"])
    assert "Sourdough starter not rising" in cli(data, "search", "sourdough").stdout

    again = cli(data, "import", str(big))
    assert again.returncode == 0, again.stderr
    assert "2500 added" in again.stdout
    final = json.loads(cli(data, "status", "--json").stdout)
    assert final["conversations"] == final["indexed"] == before["conversations"] + 2500


def test_killed_sync_resumes_without_refetching_committed_chunks(tmp_path: Path) -> None:
    from chatgpt_history_mcp.ingest.sync import CHUNK
    from fake_backend import FakeBackend, sample_account

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
        kept = json.loads(cli(data, "status", "--json").stdout)
        assert CHUNK <= kept["conversations"] == kept["indexed"] < total  # committed chunks survived the kill
        first_run = len(fb.requests_to("/backend-api/conversation/*"))

        fb.clear_requests()
        resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        final = json.loads(cli(data, "status", "--json").stdout)
        assert final["conversations"] == final["indexed"] == total
        refetched = len(fb.requests_to("/backend-api/conversation/*"))
        assert refetched == total - kept["conversations"]  # only what was not committed
        assert first_run - kept["conversations"] <= CHUNK + 2  # at most the in-flight chunk was lost

        # The resumed store holds what an export of the same account gives.
        imported = tmp_path / "imported"
        assert cli(imported, "import", str(fb.account.write_export_zip(tmp_path / "export.zip"))).returncode == 0
        for query in list(fb.account.keywords.values())[:10]:
            synced = json.loads(cli(data, "search", query, "--json").stdout)["results"]
            exported = json.loads(cli(imported, "search", query, "--json").stdout)["results"]
            assert [r["conversation_id"] for r in synced] == [r["conversation_id"] for r in exported], query
