"""Per-invocation cgroups (v1 ``memory`` + ``pids``), when the host lets us create them.

Each sandbox gets ``<our own cgroup>/ccc-runner/<id>`` in both hierarchies. Nesting under the web
server's own cgroup keeps whatever limit the service manager gave the server in force for the
sandboxes too. The memory cgroup enforces the function's memory size exactly (the kernel's OOM
killer SIGKILLs the sandbox, as Lambda does) and its ``max_usage_in_bytes`` is the Max Memory Used
figure. cgroup v2 is not handled: without a usable v1 hierarchy the runner falls back to its RSS
watchdog (see ``sandbox.py``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

_SUFFIX = "ccc-runner"
_lock = threading.Lock()
_roots: dict[str, Path | None] | None = None
_stale: list[Path] = []


def _mount_points() -> dict[str, tuple[str, str]]:
    """controller -> (mount root inside the hierarchy, mount point) for cgroup v1 mounts."""
    found: dict[str, tuple[str, str]] = {}
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            for line in fh:
                left, _, right = line.partition(" - ")
                fields = left.split()
                rfields = right.split()
                if len(fields) < 5 or len(rfields) < 3 or rfields[0] != "cgroup":
                    continue
                for option in rfields[2].split(","):
                    if option in ("memory", "pids"):
                        found[option] = (fields[3], fields[4])
    except OSError:
        pass
    return found


def _own_paths() -> dict[str, str]:
    paths: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) == 3:
                    for controller in parts[1].split(","):
                        paths[controller] = parts[2]
    except OSError:
        pass
    return paths


def _discover() -> dict[str, Path | None]:
    mounts = _mount_points()
    own = _own_paths()
    roots: dict[str, Path | None] = {}
    for controller in ("memory", "pids"):
        root = None
        if controller in mounts and controller in own:
            mount_root, mount_point = mounts[controller]
            rel = own[controller]
            if mount_root != "/" and rel.startswith(mount_root):
                rel = rel[len(mount_root) :]
            candidate = Path(mount_point) / rel.lstrip("/") / _SUFFIX
            try:
                candidate.mkdir(exist_ok=True)
                probe = candidate / f"probe-{os.getpid()}-{threading.get_ident()}"
                probe.mkdir()
                probe.rmdir()
                root = candidate
            except OSError:
                root = None
        roots[controller] = root
    return roots


def available() -> bool:
    """True when both a memory and a pids v1 cgroup can be created here (result is cached)."""
    global _roots
    with _lock:
        if _roots is None:
            _roots = _discover()
        return all(_roots.values())


class SandboxCgroup:
    """The memory and pids cgroups of one sandbox."""

    def __init__(self, name: str, memory_bytes: int, max_tasks: int) -> None:
        if not available():
            raise OSError("cgroup v1 memory/pids hierarchies are not available")
        assert _roots is not None
        _reap_stale()
        self.memory = _roots["memory"] / name  # type: ignore[operator]
        self.pids = _roots["pids"] / name  # type: ignore[operator]
        # parents=True: recreate our base directory if someone tidied it away meanwhile.
        self.memory.mkdir(parents=True)
        try:
            self.pids.mkdir(parents=True)
            self._write(self.memory / "memory.limit_in_bytes", memory_bytes)
            memsw = self.memory / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                # With swap accounting on, cap memory+swap too so the limit cannot be dodged.
                self._write(memsw, memory_bytes)
            with contextlib.suppress(OSError):
                self._write(self.memory / "memory.swappiness", 0)
            self._write(self.pids / "pids.max", max_tasks)
        except BaseException:
            self.remove()
            raise

    @staticmethod
    def _write(path: Path, value: int | str) -> None:
        with open(path, "w", encoding="ascii") as fh:
            fh.write(str(value))

    def add(self, pid: int) -> None:
        for group in (self.memory, self.pids):
            self._write(group / "cgroup.procs", pid)

    def peak_bytes(self) -> int:
        try:
            return int((self.memory / "memory.max_usage_in_bytes").read_text())
        except (OSError, ValueError):
            return 0

    def oom_killed(self) -> bool:
        try:
            text = (self.memory / "memory.oom_control").read_text()
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return value.strip() not in ("", "0")
        return False

    def pids_in(self) -> list[int]:
        found: set[int] = set()
        for group in (self.memory, self.pids):
            with contextlib.suppress(OSError, ValueError):
                found.update(int(x) for x in (group / "cgroup.procs").read_text().split())
        return sorted(found)

    def kill_all(self, wait_s: float = 2.0) -> bool:
        """SIGKILL whatever is still in the cgroup; True once it is empty."""
        deadline = time.monotonic() + wait_s
        while True:
            pids = self.pids_in()
            if not pids:
                return True
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)

    def remove(self) -> None:
        """Remove both cgroups; the tasks are gone, so this may finish in the background."""
        for group in (self.pids, self.memory):
            if not _try_rmdir(group):
                _defer(group)


def _try_rmdir(group: Path) -> bool:
    try:
        group.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        # EBUSY while the kernel finishes tearing down the last (already killed) task.
        return False
    return True


_reaper: threading.Thread | None = None


def _defer(group: Path) -> None:
    global _reaper
    with _lock:
        _stale.append(group)
        if _reaper is None or not _reaper.is_alive():
            _reaper = threading.Thread(target=_reap_loop, name="runner-cgroup-reaper", daemon=True)
            _reaper.start()


def _reap_loop() -> None:
    for _ in range(1200):
        time.sleep(0.05)
        _reap_stale()
        with _lock:
            if not _stale:
                return


def _reap_stale() -> None:
    with _lock:
        pending = list(_stale)
        _stale.clear()
    for group in pending:
        if not _try_rmdir(group):
            with _lock:
                _stale.append(group)
