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
