"""The ``install`` and ``uninstall`` arguments, apart from the code that runs them: every CLI start builds the
parser (``serve`` too, where start time counts), and only these two commands need the config editors."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chatgpt_history_mcp.install.hosts import HOSTS

DEFAULT_NAME = "chatgpt-history"


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """The ``install`` and ``uninstall`` subcommands, on the CLI's subparsers."""
    hosts = ", ".join(HOSTS)
    install = sub.add_parser(
        "install", parents=[common], help="add this server to an MCP host's config (--list: which hosts are here)"
    )
    install.add_argument("host", nargs="?", choices=list(HOSTS), metavar="HOST", help=hosts)
    install.add_argument("--list", action="store_true", help="show the hosts found here and whether they have it")
    install.add_argument(
        "--export", action="extend", nargs="+", metavar="PATH", help="exports the host's server imports at start"
    )
    install.add_argument("--force", action="store_true", help="replace a different entry of the same name")
    uninstall = sub.add_parser("uninstall", parents=[common], help="remove this server from an MCP host's config")
    uninstall.add_argument("host", choices=list(HOSTS), metavar="HOST", help=hosts)
    for parser in (install, uninstall):
        parser.add_argument("--name", default=DEFAULT_NAME, help=f"the entry's name (default {DEFAULT_NAME})")
        parser.add_argument("--scope", choices=["user", "project"], default="user", help="Claude Code: which config")
        parser.add_argument("--project", type=Path, help="Claude Code --scope project: the project (default: here)")
        parser.add_argument("--dry-run", action="store_true", help="print the change as a diff; write nothing")
