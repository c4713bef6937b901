"""Where the session token is kept between runs: the OS keyring when one is available, else a file that
only its owner can read (mode 0600). The environment (``CHATGPT_SESSION_TOKEN``) always wins."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from chatgpt_history_mcp.sources.backend import Credentials

log = logging.getLogger(__name__)

KEYRING_SERVICE = "chatgpt-history-mcp"
KEYRING_USER = "session-token"
TOKEN_FILE = "session-token"


def _keyring() -> object | None:
    """The keyring module if it is installed and has a real backend (never the plaintext fail backend)."""
    try:
        import keyring  # optional: not a dependency
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken desktop keyring must not break the server
        return None
    return None if isinstance(backend, fail.Keyring) else keyring


def _token_file(config_dir: Path) -> Path:
    return config_dir / TOKEN_FILE


def save_session_token(config_dir: Path, token: str) -> str:
    """Store ``token``; returns where (for the person: never the token itself)."""
    ring = _keyring()
    if ring is not None:
        try:
            ring.set_password(KEYRING_SERVICE, KEYRING_USER, token)  # type: ignore[attr-defined]
            return "the system keyring"
        except Exception as exc:
            log.warning("keyring unavailable (%s); using a private file", type(exc).__name__)
    path = _token_file(config_dir)
    config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # a folder this creates is private too
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.chmod(path, 0o600)  # also when the file existed with looser rights
        f.write(token)
    return str(path)


def load_session_token(config_dir: Path) -> str | None:
    ring = _keyring()
    if ring is not None:
        with contextlib.suppress(Exception):
            value = ring.get_password(KEYRING_SERVICE, KEYRING_USER)  # type: ignore[attr-defined]
            if value:
                return str(value)
    path = _token_file(config_dir)
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def delete_session_token(config_dir: Path) -> bool:
    removed = False
    ring = _keyring()
    if ring is not None:
        with contextlib.suppress(Exception):
            ring.delete_password(KEYRING_SERVICE, KEYRING_USER)  # type: ignore[attr-defined]
            removed = True
    with contextlib.suppress(FileNotFoundError):
        _token_file(config_dir).unlink()
        removed = True
    return removed


def resolve_credentials(config_dir: Path, env: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from the environment, else the stored session token."""
    credentials = Credentials.from_env(env)
    if credentials.configured:
        return credentials
    stored = load_session_token(config_dir)
    return Credentials.from_env(env, session_token=stored) if stored else credentials
