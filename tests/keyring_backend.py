"""A keyring backend for the tests, written against the ``keyring`` package's backend API (what the OS backends
implement): passwords in a JSON file named by ``TEST_KEYRING_FILE``, so CLI processes share one keyring without
touching the person's. Chosen the way a person chooses a backend:
``PYTHON_KEYRING_BACKEND=keyring_backend.JsonFileKeyring``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ENV_FILE = "TEST_KEYRING_FILE"


class JsonFileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]
    name = "test keyring"  # type: ignore[assignment]

    @property
    def _path(self) -> Path:
        return Path(os.environ[ENV_FILE])

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self._path.read_text()))
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        stored = self._load()
        stored[f"{service}/{username}"] = password
        self._path.write_text(json.dumps(stored))

    def delete_password(self, service: str, username: str) -> None:
        stored = self._load()
        if stored.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("not stored")
        self._path.write_text(json.dumps(stored))
