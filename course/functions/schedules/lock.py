"""One scheduler per SQLite database file: a lock file beside it (PostgreSQL needs none: its
row locks let several schedulers share the work)."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from django.db import connection


def lock_path() -> Path | None:
    """Where the lock lives, or None when the database needs no lock."""
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return None
    return Path(f"{name}.scheduler.lock")


class SqliteLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def wait(self, stopping: threading.Event, poll_s: float = 1.0) -> bool:
        """Take the lock, waiting for its holder to stop; False if we are stopped first."""
        while not stopping.is_set():
            if self.try_acquire():
                return True
            stopping.wait(poll_s)
        return False

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
