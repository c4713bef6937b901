"""``install HOST``, ``uninstall HOST`` and ``install --list``: put this installation into a host's config.

The entry runs this installation's console script by absolute path (hosts do not start programs through a
shell, so a bare name may not be found), with the data folder and exports as ``serve`` options, so the host
reads the same history as this command line. Claude Code is configured through its own ``claude mcp`` command
when it is installed, else through its file.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from chatgpt_history_mcp import __version__
from chatgpt_history_mcp.errors import InstallError
from chatgpt_history_mcp.install.config import ConfigFile, backup, diff, write
from chatgpt_history_mcp.install.hosts import HOSTS, Host, Place, Scope, matches, this_place
from chatgpt_history_mcp.settings import Settings

SCRIPT = "chatgpt-history-mcp"
#: Where ``uvx`` keeps the environments it runs tools in: uv's cache (``…/uv/archive-v0/<id>``).
UV_CACHE_ENVIRONMENT = re.compile(r"[\\/]archive-v\d+[\\/]")


def run(args: argparse.Namespace, settings: Settings) -> int:
    place = this_place(args.project)
    try:
        if args.command == "install" and args.list:
            return _list(place, args.name, args.scope)
        if args.host is None:
            raise InstallError(f"name a host: chatgpt-history-mcp install HOST ({', '.join(HOSTS)}), or --list")
        host = HOSTS[args.host]
        if args.scope == "project" and host.id != "claude-code":
            raise InstallError(f"--scope project is for claude-code; {host.title} has one config per user")
        if args.command == "install":
            return _install(host, place, args, server_command(settings, place))
        return _uninstall(host, place, args)
    except InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def server_command(settings: Settings, place: Place) -> list[str]:
    """This installation's server as a host starts it: the console script beside this Python, by absolute path;
    under ``uvx``, whose environments live in uv's cache and may be pruned, ``uvx`` with this exact version."""
    suffix = ".exe" if sys.platform == "win32" else ""
    script = Path(sys.executable).absolute().parent / (SCRIPT + suffix)  # not resolved: a venv's python is a link
    uvx = place.on_path("uvx")
    if UV_CACHE_ENVIRONMENT.search(sys.prefix) and uvx:
        program = [uvx, f"{SCRIPT}@{__version__}"]
    elif script.is_file():
        program = [str(script)]
    else:
        program = [str(Path(sys.executable).absolute()), "-m", "chatgpt_history_mcp"]
    command = [*program, "serve", "--data-dir", str(settings.data_dir.absolute())]
    for export in settings.exports:
        if not export.exists():
            raise InstallError(f"export {export} does not exist; give the path of the ZIP from ChatGPT")
        command += ["--export", str(export.absolute())]
    return command


def _install(host: Host, place: Place, args: argparse.Namespace, command: list[str]) -> int:
    path = host.config_path(place, args.scope)
    config = ConfigFile(host, path)
    entry = host.entry(command)
    current = config.get(args.name)
    if current is not None and matches(current, entry):
        print(f'{host.title}: "{args.name}" is already configured in {path}; nothing changed.')
        return 0
    if current is not None and not args.force:
        raise InstallError(
            f'{path} already has a different "{args.name}" entry ({_describe(current)}); '
            "add --force to replace it, or --name to add this one beside it"
        )
    if _uses_claude(host, place):
        steps = [["mcp", "remove", "--scope", args.scope, args.name]] if current is not None else []
        steps.append(["mcp", "add", "--scope", args.scope, args.name, "--", *command])
        return _claude(host, place, path, steps, args.dry_run, f'added "{args.name}"', host.after)
    new = config.with_entry(args.name, entry)
    return _apply(host, path, config.text, new, args.dry_run, f'added "{args.name}" to', host.after)


def _uninstall(host: Host, place: Place, args: argparse.Namespace) -> int:
    path = host.config_path(place, args.scope)
    config = ConfigFile(host, path)
    if config.get(args.name) is None:
        print(f'{host.title}: no "{args.name}" entry in {path}; nothing changed.')
        return 0
    if _uses_claude(host, place):
        steps = [["mcp", "remove", "--scope", args.scope, args.name]]
        return _claude(host, place, path, steps, args.dry_run, f'removed "{args.name}"')
    new = config.without_entry(args.name)
    return _apply(host, path, config.text, new, args.dry_run, f'removed "{args.name}" from')


def _apply(host: Host, path: Path, old: str, new: str, dry_run: bool, done: str, after: str = "") -> int:
    if dry_run:
        sys.stdout.write(diff(path, old, new))
        print("(dry run: nothing written)")
        return 0
    saved = backup(path)
    write(path, new)
    kept = f" (the old file is {saved})" if saved else ""
    print(f"{host.title}: {done} {path}{kept}. {after}".rstrip())
    return 0


def _uses_claude(host: Host, place: Place) -> bool:
    return host.id == "claude-code" and place.on_path("claude") is not None


def _claude(
    host: Host, place: Place, path: Path, steps: list[list[str]], dry_run: bool, done: str, after: str = ""
) -> int:
    """Claude Code's own ``claude mcp`` commands, run in the project folder (project scope reads it)."""
    claude = place.on_path("claude")
    assert claude is not None
    if dry_run:
        for step in steps:
            print(f"would run: {shlex.join(['claude', *step])}")
        print("(dry run: nothing run)")
        return 0
    saved = backup(path)
    for step in steps:
        result = subprocess.run([claude, *step], cwd=place.project, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            said = (result.stderr or result.stdout).strip()
            raise InstallError(f"`claude {shlex.join(step[:2])}` failed (exit {result.returncode}): {said}")
    kept = f" (the old file is {saved})" if saved else ""
    print(f"{host.title}: {done} with `claude mcp`{kept}. {after}".rstrip())
    return 0


def _list(place: Place, name: str, scope: Scope) -> int:
    rows = [("host", "present", "configured", "config file")]
    for host in HOSTS.values():
        path = host.config_path(place, scope)
        presence = host.presence(place)
        try:
            entry = ConfigFile(host, path).get(name)
            configured = "no" if entry is None else f'yes ("{name}": {_describe(entry)})'
        except InstallError as exc:
            configured = f"unreadable: {exc}"
        rows.append((host.id, f"yes ({presence})" if presence else "no", configured, str(path)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3])
    return 0


def _describe(entry: Any) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("command"), str):
        return shlex.join([entry["command"], *map(str, entry.get("args") or [])])
    return "not a command entry"
