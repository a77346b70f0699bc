"""Cross-process limits on invocations: a global concurrency cap and a per-user rate limit.

Both keep their state in files guarded by ``fcntl.flock``, so they hold across every worker
process of the web server on one host. Locks die with the process that holds them, so a
crashed worker never leaks a slot. Neither waits on a lock for more than a moment.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import Throttled

WINDOW_S = 60.0
_LOCK_WAIT_S = 2.0


def _ensure_dir(directory: Path) -> Path:
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _open_state_file(path: Path) -> int:
    # O_NOFOLLOW: a symlink planted in the state directory must not redirect our writes.
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


class ConcurrencySlots:
    """At most ``n`` holders at a time, across processes: ``n`` slot files, each flock'ed."""

    def __init__(self, directory: Path, n: int) -> None:
        if n < 1:
            raise ValueError("need at least one slot")
        self.directory = _ensure_dir(directory)
        self.n = n

    @contextlib.contextmanager
    def acquire(self) -> Iterator[int]:
        """Hold a free slot for the ``with`` block (yields its index); never waits."""
        for index in range(self.n):
            fd = _open_state_file(self.directory / f"slot-{index}")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    continue
                raise
            try:
                yield index
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        raise Throttled("concurrency", retry_after_s=1.0)


class RateLimiter:
    """A sliding one-minute window per user: at most ``per_minute`` hits in any 60 s."""

    def __init__(self, directory: Path, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.directory = _ensure_dir(directory)
        self.per_minute = per_minute

    def _path(self, user_key: str) -> Path:
        # Hashing makes any key (slashes, dots, NULs, huge strings) a safe, fixed-length name.
        digest = hashlib.sha256(str(user_key).encode("utf-8", "surrogatepass")).hexdigest()
        return self.directory / f"user-{digest}"

    def hit(self, user_key: str, count: int = 1) -> None:
        """Record ``count`` invocations for ``user_key`` (all or none: a power tuning counts as
        its number of runs) or raise ``Throttled("rate", retry_after_s)``."""
        if count < 1 or count > self.per_minute:
            raise Throttled("rate", retry_after_s=WINDOW_S)
        fd = _open_state_file(self._path(user_key))
        try:
            self._lock(fd)
            now = time.time()
            with os.fdopen(os.dup(fd), "r+", encoding="ascii") as fh:
                stamps = self._parse(fh.read(), now)
                if len(stamps) + count > self.per_minute:
                    retry_after = stamps[len(stamps) + count - self.per_minute - 1] + WINDOW_S - now
                    raise Throttled("rate", retry_after_s=max(retry_after, 0.001))
                stamps.extend([now] * count)
                fh.seek(0)
                fh.truncate()
                fh.write("".join(f"{stamp:.6f}\n" for stamp in stamps))
        finally:
            os.close(fd)  # also releases the lock

    def _lock(self, fd: int) -> None:
        deadline = time.monotonic() + _LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                # Someone holds the lock far longer than a hit takes: refuse rather than hang.
                raise Throttled("rate", retry_after_s=1.0)
            time.sleep(0.005)

    def _parse(self, text: str, now: float) -> list[float]:
        stamps = []
        for line in text.split():
            try:
                stamp = float(line)
            except ValueError:
                continue
            # Drop what fell out of the window, and anything from the future (clock steps).
            if now - WINDOW_S < stamp <= now + 1.0:
                stamps.append(stamp)
        stamps.sort()
        return stamps[-self.per_minute :]
