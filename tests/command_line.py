"""The command line as the tests run it, with a home of its own: in this process (``cli.main``: most tests), or
as a separate process (``python -m chatgpt_history_mcp``) where a test needs one: the console entry point itself,
a run to kill, a full disk whose files the run must let go of before the test remounts it.

Either way the CLI sees a private HOME and XDG folders and none of the ``CHATGPT_HISTORY_*`` settings of the
environment the tests run in, so nothing can touch the person's own data folder or configuration.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pytest

from chatgpt_history_mcp import cli


@dataclass(frozen=True)
class Ran:
    """What a run of the CLI in process gave, named as :class:`subprocess.CompletedProcess` names it."""

    returncode: int
    stdout: str
    stderr: str


def cli_env(home: Path, env_extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a CLI run sees: this one without ``CHATGPT_HISTORY_*``, HOME and XDG folders in ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT_HISTORY_")}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "xdg-data"),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        PYTHONIOENCODING="utf-8",
        **(env_extra or {}),
    )
    return env


def run_cli(home: Path, *args: str, env_extra: Mapping[str, str] | None = None, stdin: str = "") -> Ran:
    """``chatgpt-history-mcp ARGS`` in this process, as a fresh process would run it: the environment of
    :func:`cli_env` for the run, ``stdin`` as its input (not a terminal), stdout and stderr captured in files
    (a process the CLI starts, such as the demo's server, writes its stderr there too), argparse's exit taken
    as the exit code, and the CLI's own logging set-up (pytest's log capture stands aside, so warnings reach
    the captured stderr).

    An unexpected exception is not turned into a traceback on stderr: it fails the test where it is raised."""
    env = cli_env(home, env_extra)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
        err = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for name in set(os.environ) - set(env):
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(sys, "stdin", io.StringIO(stdin))
        root.handlers.clear()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = cli.main(list(args))
                except SystemExit as exit_:  # argparse: a usage error (2), or --help (0)
                    if exit_.code is None or isinstance(exit_.code, int):
                        code = exit_.code or 0
                    else:  # as the interpreter ends a process with a message
                        print(exit_.code, file=sys.stderr)
                        code = 1
        finally:
            for handler in root.handlers:
                handler.close()
            root.handlers[:] = handlers
            root.setLevel(level)
        return Ran(code, read(out), read(err))


def read(captured: TextIO) -> str:
    captured.flush()
    captured.seek(0)
    return captured.read()


def cli_process(
    home: Path, *args: str, timeout: float = 60, env_extra: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m chatgpt_history_mcp ARGS`` as a separate process, in the environment of :func:`cli_env`."""
    return subprocess.run(
        [sys.executable, "-m", "chatgpt_history_mcp", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=cli_env(home, env_extra),
        timeout=timeout,
        check=False,
    )
