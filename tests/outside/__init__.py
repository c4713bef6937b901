"""Outside clients the tests run against the server: the MCP Inspector CLI, the MCPB tools and the JSON parsers
hosts read their configs with (pinned in ``package.json`` beside this file, installed by
``npm ci --prefix tests/outside --ignore-scripts``), and ``uv``.

Without them the tests that need them skip, so ``pytest`` passes on a machine with only Python; with
``CHATGPT_HISTORY_OUTSIDE_CLIENTS=required`` (as ``.ci/run`` sets) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path
from typing import NoReturn

import pytest

OUTSIDE = Path(__file__).resolve().parent
REPO = OUTSIDE.parent.parent
NODE_MODULES = OUTSIDE / "node_modules"
ENV_REQUIRED = "CHATGPT_HISTORY_OUTSIDE_CLIENTS"
#: The entry scripts of the pinned packages (their package.json "bin"), run with the machine's node.
INSPECTOR_JS = NODE_MODULES / "@modelcontextprotocol" / "inspector" / "clients" / "launcher" / "build" / "index.js"
MCPB_JS = NODE_MODULES / "@anthropic-ai" / "mcpb" / "dist" / "cli" / "cli.js"
#: Resolves a bundle's mcp_config with the host's own substitution code.
HOST_CONFIG_JS = OUTSIDE / "host_config.mjs"
#: Reads a host's config file with the JSON parser that host uses (jsonc-parser, strip-json-comments, JSON.parse).
READ_CONFIG_JS = OUTSIDE / "read_config.mjs"


def required() -> bool:
    return os.environ.get(ENV_REQUIRED, "").strip().lower() == "required"


def missing(reason: str) -> NoReturn:
    """Skip, or fail when the outside clients are required (CI)."""
    if required():
        pytest.fail(f"{reason} ({ENV_REQUIRED}=required)")
    pytest.skip(reason)


def node() -> str:
    found = shutil.which("node")
    if found is None:
        missing("node is not on the PATH")
    return found


def node_package(entry: Path) -> list[str]:
    """``[node, entry]`` for a script of a pinned npm package, or skip/fail when it is not installed."""
    command = node()
    if not entry.is_file():
        missing(f"{entry.relative_to(OUTSIDE)} is missing: run `npm ci --prefix tests/outside --ignore-scripts`")
    return [command, str(entry)]


def console_script(name: str) -> str:
    """A console script of this environment: next to ``sys.executable`` (the venv in use), else on the PATH."""
    suffix = ".exe" if sys.platform == "win32" else ""
    beside = Path(sys.executable).with_name(name + suffix)
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        missing(f"{name} is not installed (pip install '.[test]')")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
