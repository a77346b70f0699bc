"""Per-invocation cgroups (v1 ``memory`` + ``pids``), when the host lets us create them.

Every sandbox also joins one shared v1 ``cpu`` cgroup, ``<our own cgroup>/ccc-runner``, with
the smallest weight (``cpu.shares`` 2): all learners' code together then gets the CPU only when
the web server does not want it. A cgroup, not just SCHED_IDLE or a session's autogroup nice,
because code that calls setsid() starts a fresh autogroup at full weight, whereas it cannot leave
its cgroup (and the kernel ignores autogroups for tasks outside the root cpu cgroup).

Each sandbox gets ``<our own cgroup>/ccc-runner/<id>`` in both hierarchies. Nesting under the web
server's own cgroup keeps whatever limit the service manager gave the server in force for the
sandboxes too. The memory cgroup enforces the function's memory size exactly (the kernel's OOM
killer SIGKILLs the sandbox, as Lambda does) and its ``max_usage_in_bytes`` is the Max Memory Used
figure.

cgroup v2 (the only hierarchy on most current distributions) is used when no v1 memory + pids
pair is: ``<our own v2 cgroup>/ccc-runner/<id>`` with ``memory.max`` (which, unlike v1's
limit, also charges TCP socket buffers), ``memory.swap.max`` 0, ``pids.max``, and the shared
parent at the lowest ``cpu.weight``. v2 lets a group hand controllers to its children only while
it has no processes of its own, so this works where the server's cgroup is a delegated one it
does not itself sit in (a container's root cgroup; under systemd, ``Delegate=yes`` with the
server started in a child of the unit's cgroup); see the README. Where neither version can be
used the runner falls back to its RSS watchdog (see ``sandbox.py``).
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
                    if option in ("memory", "pids", "cpu", "freezer"):
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


def _v2_location() -> Path | None:
    """Our own cgroup in the v2 hierarchy, or None where there is no v2 hierarchy."""
    mount = None
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            for line in fh:
                left, _, right = line.partition(" - ")
                fields, rfields = left.split(), right.split()
                if len(fields) >= 5 and rfields and rfields[0] == "cgroup2":
                    mount = (fields[3], fields[4])
                    break
    except OSError:
        return None
    own = _own_paths().get("")  # the "0::/path" line
    if mount is None or own is None:
        return None
    mount_root, mount_point = mount
    if mount_root != "/" and own.startswith(mount_root):
        own = own[len(mount_root) :]
    return Path(mount_point) / own.lstrip("/")


def _enable(group: Path, controllers: set[str]) -> None:
    wanted = controllers - set((group / "cgroup.subtree_control").read_text().split())
    if wanted:
        (group / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in sorted(wanted)))


def _discover_v2(own: Path | None) -> Path | None:
    """``<own>/ccc-runner`` with memory and pids handed down to its children, or None."""
    if own is None:
        return None
    base = own / _SUFFIX
    try:
        _enable(own, {"memory", "pids"} & set((own / "cgroup.controllers").read_text().split()))
        base.mkdir(exist_ok=True)
        offered = set((base / "cgroup.controllers").read_text().split())
        if not {"memory", "pids"} <= offered:
            return None
        _enable(base, {"memory", "pids", "cpu"} & offered)
        if "cpu" in offered:
            (base / "cpu.weight").write_text(str(CPU_WEIGHT_V2))
        probe = base / f"probe-{os.getpid()}-{threading.get_ident()}"
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return None
    return base


def _discover() -> dict[str, Path | None]:
    mounts = _mount_points()
    own = _own_paths()
    roots: dict[str, Path | None] = {}
    for controller in ("memory", "pids", "cpu", "freezer"):
        root = None
        if controller in mounts and controller in own:
            mount_root, mount_point = mounts[controller]
            rel = own[controller]
            if mount_root != "/" and rel.startswith(mount_root):
                rel = rel[len(mount_root) :]
            candidate = Path(mount_point) / rel.lstrip("/") / _SUFFIX
            try:
                candidate.mkdir(exist_ok=True)
                if controller == "cpu":
                    # One group for all sandboxes, at the lowest weight the kernel allows.
                    (candidate / "cpu.shares").write_text(str(CPU_SHARES))
                else:
                    probe = candidate / f"probe-{os.getpid()}-{threading.get_ident()}"
                    probe.mkdir()
                    probe.rmdir()
                root = candidate
            except OSError:
                root = None
        roots[controller] = root
    roots["v2"] = None
    if not (roots["memory"] and roots["pids"]):
        roots["v2"] = _discover_v2(_v2_location())
    return roots


CPU_SHARES = 2  # the v1 minimum; a nice-0 task weighs 1024
CPU_WEIGHT_V2 = 1  # the v2 minimum; the default is 100
# CFS bandwidth period for the CPU that follows memory: short, so that a function at 128 MB
# (7% of a CPU) runs in frequent small slices rather than 7 ms in every 100.
CPU_PERIOD_US = 20_000


def cpu_quota_us(fraction: float, cpus: int | None = None) -> int:
    """The CFS quota per period for ``fraction`` of one CPU, capped at the host's CPUs."""
    cpus = cpus or len(os.sched_getaffinity(0)) or 1
    return max(1000, round(CPU_PERIOD_US * min(fraction, cpus)))


def _discovered() -> dict[str, Path | None]:
    global _roots
    with _lock:
        if _roots is None:
            _roots = _discover()
        return _roots


def mode() -> str | None:
    """ "v1", "v2", or None where the runner must use its memory watchdog (cached)."""
    roots = _discovered()
    if roots["memory"] and roots["pids"]:
        return "v1"
    return "v2" if roots["v2"] else None


def available() -> bool:
    """True when a memory + pids cgroup (v1 or v2) can be created here (result is cached)."""
    return mode() is not None


def create(
    name: str, memory_bytes: int, max_tasks: int, *, freezable: bool = False
) -> SandboxCgroup | SandboxCgroupV2:
    """One sandbox's cgroup(s), in whichever version this host lets us use. ``freezable``:
    also a v1 freezer group (a warm environment's; joining one more hierarchy costs a cold
    start about a millisecond, so a one-off sandbox does without)."""
    if mode() == "v2":
        return SandboxCgroupV2(name, memory_bytes, max_tasks)
    return SandboxCgroup(name, memory_bytes, max_tasks, freezable=freezable)


def cpu_group() -> Path | None:
    """The shared low-weight cpu cgroup of all sandboxes, or None where we cannot have one."""
    return _discovered()["cpu"]


class SandboxCgroup:
    """The memory and pids cgroups (v1) of one sandbox."""

    def __init__(
        self, name: str, memory_bytes: int, max_tasks: int, *, freezable: bool = False
    ) -> None:
        if mode() != "v1":
            raise OSError("cgroup v1 memory/pids hierarchies are not available")
        assert _roots is not None
        _reap_stale()
        self.memory = _roots["memory"] / name  # type: ignore[operator]
        self.pids = _roots["pids"] / name  # type: ignore[operator]
        # Each sandbox's own child of the shared low-weight cpu group: the parent keeps all of
        # them below the web server, the child carries this function's CPU quota.
        self.cpu = _roots["cpu"] / name if _roots.get("cpu") else None
        # The freezer stops a warm environment between invocations (see warm/); best effort,
        # since a cold sandbox never needs it.
        self.freezer = _roots["freezer"] / name if freezable and _roots.get("freezer") else None
        self.memory_bytes: int | None = None  # as last written
        # parents=True: recreate our base directory if someone tidied it away meanwhile.
        self.memory.mkdir(parents=True)
        try:
            self.pids.mkdir(parents=True)
            self._period_set = False
            if self.cpu is not None:
                try:
                    self.cpu.mkdir()
                except OSError:
                    self.cpu = None  # best effort, as joining the shared group always was
                else:
                    # Now, not with the quota: that is written on the handler's critical path.
                    with contextlib.suppress(OSError):
                        self._write(self.cpu / "cpu.cfs_period_us", CPU_PERIOD_US)
                        self._period_set = True
            if self.freezer is not None:
                try:
                    self.freezer.mkdir(parents=True)
                except OSError:
                    self.freezer = None
            self.set_memory_limit(memory_bytes)
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

    def set_memory_limit(self, memory_bytes: int) -> None:
        """The function's memory size (a spare launcher's group is made for the last one used,
        so it rarely changes). v1 wants memory <= memory+swap at every step: lowering, memory
        goes first, raising, memory+swap."""
        if memory_bytes == self.memory_bytes:
            return
        memsw = self.memory / "memory.memsw.limit_in_bytes"
        limits = [self.memory / "memory.limit_in_bytes"]
        if memsw.exists():
            # With swap accounting on, cap memory+swap too so the limit cannot be dodged.
            raising = self.memory_bytes is not None and memory_bytes > self.memory_bytes
            limits.insert(0 if raising else 1, memsw)  # a new group's limits are unlimited
        for path in limits:
            self._write(path, memory_bytes)
        self.memory_bytes = memory_bytes
        # v1 leaves TCP buffers uncharged unless the group has a TCP limit: give it one, so
        # the kernel itself caps them between the supervisor's samples (which add them to the
        # rest, see sandbox._socket_bytes). First written before any task joins, as v1 wants
        # (sockets made before it are not charged).
        with contextlib.suppress(OSError):
            self._write(self.memory / "memory.kmem.tcp.limit_in_bytes", memory_bytes)

    def rename(self, name: str) -> None:
        """Give the group(s) a new name (a spare launcher's group, taken for a sandbox)."""
        for attr in ("memory", "pids", "cpu", "freezer"):
            path = getattr(self, attr)
            if path is not None:
                path.rename(path.with_name(name))
                setattr(self, attr, path.with_name(name))

    def count_tasks_of(self, pid: int) -> None:
        """Put bwrap itself in the pids group, as soon as it is started (see sandbox.start).

        Why: every v1 attach takes the kernel's global cgroup_threadgroup_rwsem for writing,
        and the first writer after a quiet spell waits out an RCU grace period (0.1-15 ms here,
        3.5 ms on average); writers soon after pass quickly. Attaching bwrap while it builds the
        namespaces pays that wait off the critical path, so pid 1's attaches (add) are quick.
        bwrap counts as one more task (pids.max has the slack) and is killed with the sandbox.
        """
        self._write(self.pids / "cgroup.procs", pid)

    def add(self, pid: int) -> None:
        for group in (self.memory, self.pids):
            self._write(group / "cgroup.procs", pid)
        cpu = self.cpu or cpu_group()
        if cpu is not None:
            # Best effort: without it SCHED_IDLE and the autogroup's nice still apply.
            with contextlib.suppress(OSError):
                self._write(cpu / "cgroup.procs", pid)
        if self.freezer is not None:
            try:
                self._write(self.freezer / "cgroup.procs", pid)
            except OSError:
                self.freezer = None

    @property
    def can_freeze(self) -> bool:
        return self.freezer is not None

    def freeze(self, frozen: bool, wait_s: float = 0.0) -> bool:
        """Stop (or resume) every task of the sandbox at once; False if the kernel refused.

        v1's freezer state goes FREEZING -> FROZEN as each task reaches the refrigerator; a task
        that forks meanwhile is caught too, which signals to a process tree could not promise.
        We do not wait for FROZEN (a few ms of the invocation's latency, for nothing: no task
        of the group runs user code again before the thaw); ``wait_s`` does, for tests.
        Thawing takes effect at once.
        """
        if self.freezer is None:
            return False
        want = "FROZEN" if frozen else "THAWED"
        state = self.freezer / "freezer.state"
        try:
            self._write(state, want)
            deadline = time.monotonic() + wait_s
            while wait_s and state.read_text().strip() != want:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.0005)
        except OSError:
            return False
        return True

    def frozen(self) -> bool:
        try:
            return self.freezer is not None and (
                (self.freezer / "freezer.state").read_text().strip() == "FROZEN"
            )
        except OSError:
            return False

    def reset_peak(self) -> None:
        """Start Max Memory Used afresh for the next invocation of a warm environment."""
        with contextlib.suppress(OSError):
            self._write(self.memory / "memory.max_usage_in_bytes", 0)

    def limit_cpu(self, fraction: float) -> bool:
        """Give the sandbox ``fraction`` of one CPU from now on (Lambda: memory / 1,769 MB)."""
        if self.cpu is None:
            return False
        try:
            if not self._period_set:
                self._write(self.cpu / "cpu.cfs_period_us", CPU_PERIOD_US)
                self._period_set = True
            self._write(self.cpu / "cpu.cfs_quota_us", cpu_quota_us(fraction))
        except OSError:
            return False
        return True

    def usage_bytes(self) -> int:
        try:
            return int((self.memory / "memory.usage_in_bytes").read_text())
        except (OSError, ValueError):
            return 0

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
        return _kill_until_empty(self.pids_in, wait_s)

    def remove(self) -> None:
        """Remove the cgroups; the tasks are gone, so this may finish in the background."""
        for group in (self.pids, self.memory, self.cpu, self.freezer):
            if group is not None and not _try_rmdir(group):
                _defer(group)


class SandboxCgroupV2:
    """One sandbox's v2 cgroup: memory (sockets included), pids and a share of the CPU."""

    def __init__(self, name: str, memory_bytes: int, max_tasks: int) -> None:
        base = _discovered()["v2"]
        if base is None:
            raise OSError("no cgroup v2 group with memory and pids is available")
        _reap_stale()
        self.group = base / name
        self.group.mkdir()
        self.memory_bytes: int | None = None  # as last written
        self._peak_seen = 0
        self._peak_reset_failed = False
        try:
            self.set_memory_limit(memory_bytes)
            with contextlib.suppress(OSError):  # absent without swap accounting
                self._write("memory.swap.max", 0)
            # Kill the whole group on OOM, as Lambda ends the whole sandbox.
            with contextlib.suppress(OSError):
                self._write("memory.oom.group", 1)
            self._write("pids.max", max_tasks)
        except BaseException:
            self.remove()
            raise

    def _write(self, name: str, value: int | str) -> None:
        with open(self.group / name, "w", encoding="ascii") as fh:
            fh.write(str(value))

    def _read_int(self, name: str) -> int:
        try:
            return int((self.group / name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def set_memory_limit(self, memory_bytes: int) -> None:
        if memory_bytes != self.memory_bytes:
            self._write("memory.max", memory_bytes)
            self.memory_bytes = memory_bytes

    def rename(self, name: str) -> None:
        self.group.rename(self.group.with_name(name))
        self.group = self.group.with_name(name)

    def count_tasks_of(self, pid: int) -> None:
        """v2: nothing to do early; one attach covers memory, pids and cpu at once."""

    def add(self, pid: int) -> None:
        self._write("cgroup.procs", pid)

    can_freeze = True

    def freeze(self, frozen: bool, wait_s: float = 0.0) -> bool:
        """v2's cgroup.freeze; cgroup.events says "frozen 1" once every task is stopped (we do
        not wait for it unless asked: see SandboxCgroup.freeze)."""
        want = "frozen 1" if frozen else "frozen 0"
        try:
            self._write("cgroup.freeze", 1 if frozen else 0)
            deadline = time.monotonic() + wait_s
            while wait_s and want not in (self.group / "cgroup.events").read_text():
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.0005)
        except OSError:
            return False
        return True

    def reset_peak(self) -> None:
        """memory.peak is resettable by writing to it from Linux 6.12; before that the
        supervisor's own samples are the figure (``_peak_seen``)."""
        self._peak_seen = 0
        try:
            self._write("memory.peak", 0)
        except OSError:
            self._peak_reset_failed = True

    def limit_cpu(self, fraction: float) -> bool:
        try:
            self._write("cpu.max", f"{cpu_quota_us(fraction)} {CPU_PERIOD_US}")
        except OSError:
            return False
        return True

    def usage_bytes(self) -> int:
        used = self._read_int("memory.current")
        self._peak_seen = max(self._peak_seen, used)
        return used

    def peak_bytes(self) -> int:
        # memory.peak exists from Linux 5.19; before that, the largest sample we took.
        peak = self._read_int("memory.peak")
        if self._peak_reset_failed:
            peak = 0  # it still counts earlier invocations of a warm environment
        return max(peak, self._peak_seen)

    def oom_killed(self) -> bool:
        try:
            text = (self.group / "memory.events").read_text()
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return value.strip() not in ("", "0")
        return False

    def pids_in(self) -> list[int]:
        try:
            return sorted(int(x) for x in (self.group / "cgroup.procs").read_text().split())
        except (OSError, ValueError):
            return []

    def kill_all(self, wait_s: float = 2.0) -> bool:
        with contextlib.suppress(OSError):
            self._write("cgroup.kill", 1)  # Linux 5.14+: the kernel kills every task at once
        return _kill_until_empty(self.pids_in, wait_s)

    def remove(self) -> None:
        if not _try_rmdir(self.group):
            _defer(self.group)


def _kill_until_empty(pids_in, wait_s: float) -> bool:
    """SIGKILL every task a group lists until it lists none (True) or ``wait_s`` passes."""
    deadline = time.monotonic() + wait_s
    while True:
        pids = pids_in()
        if not pids:
            return True
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)


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


def thaw_stale(prefix: str = "warm-") -> int:
    """Thaw frozen warm environments a dead daemon left behind (it died without tearing them
    down); groups are named ``warm-<owner pid>-<id>``, so a live owner's are left alone. Their
    processes already have a pending SIGKILL from bwrap's --die-with-parent, which a frozen task
    only acts on once thawed; then their empty groups are removed."""
    roots = _discovered()
    thawed = 0
    for controller in ("freezer", "memory", "pids", "cpu"):
        root = roots.get(controller)
        if root is None:
            continue
        with contextlib.suppress(OSError):
            for group in root.iterdir():
                if group.is_dir() and group.name.startswith(prefix):
                    # warm-<owner pid>-<id>: another live daemon's environments are its own.
                    owner = group.name[len(prefix) :].split("-", 1)[0]
                    if owner.isdigit() and os.path.exists(f"/proc/{owner}"):
                        continue
                    if controller == "freezer":
                        with contextlib.suppress(OSError):
                            (group / "freezer.state").write_text("THAWED")
                            thawed += 1
                    _defer(group)  # removed once its (killed) tasks are gone
    return thawed
