"""A keyring backend in one JSON file (mode 600), for bench/warm.py's kept-login runs only: a login host has no
Secret Service, and the bench must not touch the user's keyring. Selected with PYTHON_KEYRING_BACKEND."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def _path(self) -> Path:
        return Path(os.environ["EXOTUI_BENCH_KEYRING"])

    def _all(self) -> dict:
        try:
            return json.loads(self._path.read_text())
        except (OSError, ValueError):
            return {}

    def get_password(self, service, username):
        return self._all().get(f"{service}\0{username}")

    def set_password(self, service, username, password):
        kept = {**self._all(), f"{service}\0{username}": password}
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(kept, out)

    def delete_password(self, service, username):
        kept = self._all()
        kept.pop(f"{service}\0{username}", None)
        self._path.write_text(json.dumps(kept))
