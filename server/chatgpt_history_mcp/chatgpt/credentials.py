"""Where the session token is kept between runs: the OS keyring when the optional ``keyring`` package is
installed (``pip install "chatgpt-history-mcp[keyring]"``) and finds a backend (macOS Keychain, Windows
Credential Locker, Secret Service on a Linux desktop), else a file that only its owner can read (mode 0600, in a
0700 folder). The environment (``CHATGPT_SESSION_TOKEN``) always wins. :func:`login_location` says which holds
the login, for ``status``."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from chatgpt_history_mcp.chatgpt.backend import Credentials
from chatgpt_history_mcp.settings import Settings

log = logging.getLogger(__name__)

KEYRING_SERVICE = "chatgpt-history-mcp"
KEYRING_USER = "session-token"
TOKEN_FILE = "session-token"


def _keyring() -> object | None:
    """The keyring module if it is installed and has a real backend (never its "fail" placeholder)."""
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
            with contextlib.suppress(FileNotFoundError):  # one copy: an older file would outlive a logout
                _token_file(config_dir).unlink()
            return f"the system keyring ({_backend_name(ring)})"
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
    return _stored(config_dir)[0]


def _stored(config_dir: Path) -> tuple[str | None, str | None]:
    """The stored token and where it was found (the keyring first, then the file)."""
    ring = _keyring()
    if ring is not None:
        with contextlib.suppress(Exception):
            value = ring.get_password(KEYRING_SERVICE, KEYRING_USER)  # type: ignore[attr-defined]
            if value:
                return str(value), f"the system keyring ({_backend_name(ring)})"
    path = _token_file(config_dir)
    try:
        value = path.read_text().strip()
    except OSError:
        return None, None
    return (value, f"the file {path} (readable by you only)") if value else (None, None)


def _backend_name(ring: object) -> str:
    backend = ring.get_keyring()  # type: ignore[attr-defined]
    return str(getattr(backend, "name", None) or type(backend).__name__)


def login_location(settings: Settings) -> str | None:
    """Where the ChatGPT login in use comes from, in words (never the token): the environment, the system
    keyring, the private file, or None when there is none."""
    if Credentials.from_settings(settings).configured:
        names = settings.token_variables  # empty: given to Settings directly, not by the environment
        return f"the environment ({', '.join(names)})" if names else "the settings"
    return _stored(settings.config_dir)[1]


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


def resolve_credentials(settings: Settings) -> Credentials:
    """Credentials from the settings (the environment), else the stored session token."""
    credentials = Credentials.from_settings(settings)
    if credentials.configured:
        return credentials
    stored = load_session_token(settings.config_dir)
    return Credentials.from_settings(settings, session_token=stored) if stored else credentials
