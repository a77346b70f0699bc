"""Launching and supervising one bubblewrap sandbox per invocation.

Threat model
============
The code comes from anonymous learners and is hostile. Everything it can touch is inside a fresh
bubblewrap sandbox; everything the server believes comes from this process's own observations.

Isolation (``build_bwrap_args``): new user, pid, mount, network, ipc, uts and cgroup namespaces;
no nested user namespaces; all capabilities dropped; a new session without a controlling
terminal (nothing to inject keystrokes into), made by Popen's setsid rather than bwrap's
--new-session, whose second session would be a second full-weight scheduling group.
On the host the sandbox runs as an unprivileged uid (``SandboxLimits.host_uid`` when the server
is root, else the server's own uid), never as root: file permissions, ``RLIMIT_NPROC`` and /proc
then work against it, not for it. Its filesystem: a read-only root holding /usr (the
interpreters), a synthetic /etc (passwd, group, hosts), the code in /var/task, the bootstrap and
the event in /var/runtime, a private /proc, a minimal read-only /dev and a size-limited tmpfs
/tmp. Files are copied in by bwrap from memfds we filled; no host directory is shared, so there
is nothing the code could plant a symlink in for us to follow later, and nothing of the project,
the virtualenv, the server's /etc, /root or /home is visible. The environment is built from
scratch; bwrap itself starts with an empty environment and reads its options from a pipe, so
/proc/1 inside shows nothing of ours. The network namespace has only its own loopback: the
host's 127.0.0.1 and 169.254.169.254 are unreachable.

Limits: the wall clock (INIT and handler phases) is enforced here, twice: by the supervising
loop, and by a backstop thread (``_Backstop``) that SIGKILLs the sandbox through pidfds half a
second after the deadline even if the loop were held up. Memory by a cgroup (v1 ``memory`` with a
``kmem.tcp`` limit, or v2 ``memory.max``; the kernel OOM-kills inside it, as Lambda does) or,
without one, by a PSS watchdog here plus RLIMIT_AS for Python; in every mode the sandbox's socket
memory, which no cgroup fully charges, is added from outside (``_socket_bytes``). Tasks by a pids
cgroup and by RLIMIT_NPROC, which is set inside the sandbox after its user namespace exists, so it
counts only this sandbox's tasks. Also RLIMIT_CPU, RLIMIT_NOFILE, RLIMIT_FSIZE and RLIMIT_CORE=0,
and a ``size=`` on the /tmp tmpfs. The seccomp filter (seccomp.py) refuses socket families a
function has no use for and the growth of socket buffers. Global /proc files that show the host
or other runs are covered with our own (``proc_masks``). Ending a run kills bwrap, whose
``--die-with-parent`` kills the sandbox's pid 1, and the kernel then kills everything else in the
pid namespace, double-forked and setsid'd processes included; we wait until pid 1 (and the
cgroup, when there is one) is gone. A run that answered with a frame is killed at once and
returns; a reaper thread does that waiting off the caller's path (``_Reaper``, bounded, and
only for a run alone in its process: ``_Activity``).

Channels: nothing the sandbox can reach may block us. When the server is not root the sandbox has
our uid, and a process can reopen a pipe it holds through /proc/self/fd/N in the other direction:
learner code once filled the pipe we wrote "go" into and stopped the bootstrap draining it, and
our blocking write then hung the loop that enforces the deadline. So every channel we write into
is a socketpair (a socket cannot be reopened through /proc), shut for reading on our side and
non-blocking: a full buffer is the run's failure, never our stall. The channels we only read
(stdout+stderr in one pipe, so their order is kept, and the result pipe CTL) are non-blocking and
capped: the rest of a flood is read in 1 MiB chunks and thrown away. User code runs in the
bootstrap's process and can write to CTL too, so it can always forge its own result; that is
harmless, it is only its own answer. What it cannot do: change START/END/REPORT (written here,
never parsed from output), Duration and Init Duration (our monotonic clock: launch, the ``R``
byte, the frame), Max Memory Used (the cgroup or /proc, read from outside), the timeout, or make
us buffer or parse more than the caps. A frame that is malformed or too big is an error of the
run.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import fcntl
import functools
import logging
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import cgroups, launcher, seccomp, spawn
from .config import MAX_RESPONSE_BYTES, SandboxLimits

logger = logging.getLogger(__name__)

SANDBOX_UID = 993  # Lambda's sbx_user1051
SANDBOX_GID = 990
HOSTNAME = "lambda"
TASK_ROOT = "/var/task"
# Beyond the response limit, room for an error document or the frame header.
MAX_CTL_BYTES = MAX_RESPONSE_BYTES + 64 * 1024
_DISCARD = bytearray(1 << 20)
# Our read channels' buffer: pipe-max-size's default, so a flood is drained 1 MiB at a time.
_PIPE_BYTES = 1 << 20
# Lambda: "At 1,769 MB, a function has the equivalent of one vCPU" (up to 6 at 10,240 MB).
MB_PER_VCPU = 1769
# The first memory sample of a handler (cold or warm) is taken this long after it started.
_FIRST_HANDLER_SAMPLE_S = 0.005
# The backstop kills a sandbox this long after the supervising loop should have.
_BACKSTOP_GRACE_S = 0.5
try:
    _DEVNULL: int | None = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
except OSError:
    _DEVNULL = None

_ETC_FILES = {
    "passwd": (
        "root:x:0:0:root:/root:/sbin/nologin\n"
        f"sbx_user1051:x:{SANDBOX_UID}:{SANDBOX_GID}::/home/sbx_user1051:/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
    ),
    "group": f"root:x:0:\nsbx_user1051:x:{SANDBOX_GID}:\nnogroup:x:65534:\n",
    "hosts": f"127.0.0.1\tlocalhost {HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
}


@dataclass
class LaunchSpec:
    """What to run: the files to put in the sandbox (by absolute path) and the command."""

    files: Mapping[str, bytes]
    command: Callable[[int, int, bool], list[str]]  # (CTL fd, GO fd, memory cgroup?) -> argv
    env: Mapping[str, str]
    memory_mb: int
    timeout_s: float


@dataclass
class SandboxRun:
    """What happened, as observed from outside."""

    booted: bool = False
    ready: bool = False
    init_s: float = 0.0
    invoke_s: float = 0.0
    frame_kind: bytes | None = None
    frame_payload: bytes = b""
    frame_problem: str | None = None  # "too_large" | "malformed"
    timed_out: str | None = None  # "init" | "invoke"
    oom: bool = False
    exit_code: int | None = None
    exit_signal: int | None = None
    init_output: bytes = b""
    invoke_output: bytes = b""
    truncated: bool = False
    max_memory_bytes: int = 0
    setup_error: str | None = None
    cpu_limited: bool = False
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- command line


@functools.cache
def _root_links() -> tuple[str, ...]:
    """/bin, /lib... as on the host: symlinks into /usr (merged /usr) or read-only binds.
    (Looked up once: a host does not change its root's layout under a running server.)"""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    return tuple(args)


def build_bwrap_args(
    *,
    files: list[tuple[int, str]],
    env: Mapping[str, str],
    tmp_size_mb: int,
    command: list[str],
    info_fd: int | None = None,
    block_fd: int | None = None,
    seccomp_fd: int | None = None,
    proc_masks: list[tuple[int, str]] = (),
) -> list[str]:
    """The bwrap command line (without the bwrap binary) for one sandbox.

    ``files`` are (fd, path in the sandbox): bwrap copies each fd's content into the sandbox's
    root, which is made read-only once everything is in place.
    """
    args = [
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--cap-drop",
        "ALL",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_GID),
        "--hostname",
        HOSTNAME,
        "--clearenv",
    ]
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += ["--ro-bind", "/usr", "/usr", *_root_links()]
    args += ["--proc", "/proc", "--dev", "/dev"]
    # Every bind mount costs bwrap ~0.1 ms (it rereads the mount table for each), so the files
    # of /proc/pressure share one read-only tmpfs over that directory instead of a bind each.
    pressure = [(fd, path) for fd, path in proc_masks if path.startswith(_PRESSURE + "/")]
    for fd, path in proc_masks:
        if not path.startswith(_PRESSURE + "/"):
            args += ["--perms", "0444", "--ro-bind-data", str(fd), path]
    if pressure:
        args += ["--perms", "0555", "--size", str(64 * 1024), "--tmpfs", _PRESSURE]
        for fd, path in pressure:
            args += ["--perms", "0444", "--file", str(fd), path]
        args += ["--remount-ro", _PRESSURE]
    args += ["--size", str(tmp_size_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    args += ["--perms", "0755", "--dir", TASK_ROOT]
    for fd, path in files:
        args += ["--perms", "0444", "--file", str(fd), path]
    # The root and /dev are tmpfs that bwrap made writable and without a size limit.
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", TASK_ROOT]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    if block_fd is not None:
        args += ["--block-fd", str(block_fd)]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return [*args, "--", *command]


# --------------------------------------------------------------------------- status probe


@dataclass(frozen=True)
class SandboxStatus:
    ok: bool
    reason: str = ""
    how_to_fix: str = ""


_status_lock = threading.Lock()
_status_cache: dict[tuple, tuple[float, SandboxStatus]] = {}
_RETRY_FAILED_PROBE_S = 30.0

_USERNS_FIX = (
    "bubblewrap needs unprivileged user namespaces. On Debian: "
    "`sysctl -w kernel.unprivileged_userns_clone=1` and a non-zero user.max_user_namespaces; "
    "on Ubuntu 23.10+ also `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (or an "
    "AppArmor profile for bwrap). Inside Docker, run the container with "
    "`--security-opt seccomp=unconfined --security-opt apparmor=unconfined` (or a seccomp profile "
    "that allows clone/unshare of namespaces)."
)


def probe(limits: SandboxLimits) -> SandboxStatus:
    """Start one trivial sandbox exactly like a real one and report whether it worked."""
    bwrap = limits.bwrap_path
    if not (os.path.isfile(bwrap) and os.access(bwrap, os.X_OK)):
        return SandboxStatus(
            False,
            f"bubblewrap is not installed ({bwrap} not found).",
            "Install it: `apt-get install bubblewrap` (or set SandboxLimits.bwrap_path).",
        )
    true = shutil.which("true", path="/usr/bin:/bin") or "/usr/bin/true"
    files = _memfds(_etc_files())
    masks = _memfds(proc_masks(128))
    fds = [fd for fd, _ in files + masks]
    filter_program = seccomp.program()
    seccomp_fd = _memfd(filter_program) if filter_program else None
    if seccomp_fd is not None:
        fds.append(seccomp_fd)
    try:
        args = build_bwrap_args(
            files=files,
            env={"PATH": "/usr/bin:/bin"},
            tmp_size_mb=1,
            command=[true],
            seccomp_fd=seccomp_fd,
            proc_masks=masks,
        )
        argv, kwargs = spawn.spawn_args(limits, [bwrap, *args], idle=False)
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=20,
            check=False,
            pass_fds=fds,
            **kwargs,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return SandboxStatus(False, f"bubblewrap could not be started: {exc}", _USERNS_FIX)
    finally:
        for fd in fds:
            os.close(fd)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        return SandboxStatus(False, f"bubblewrap cannot create a sandbox: {message}", _USERNS_FIX)
    return SandboxStatus(True)


def forget_status() -> None:
    """Drop cached probe results (a sandbox failed to start although the probe had passed)."""
    with _status_lock:
        _status_cache.clear()


def sandbox_status(limits: SandboxLimits | None = None) -> SandboxStatus:
    """Whether sandboxes can be created here; cached (a failure is re-probed after 30 s)."""
    limits = limits or SandboxLimits()
    key = (limits.bwrap_path, limits.host_uid, limits.host_gid)
    with _status_lock:
        cached = _status_cache.get(key)
        if cached and (cached[1].ok or time.monotonic() - cached[0] < _RETRY_FAILED_PROBE_S):
            return cached[1]
        status = probe(limits)
        _status_cache[key] = (time.monotonic(), status)
        return status


# --------------------------------------------------------------------------- files

_PRESSURE = "/proc/pressure"

# Global /proc files that show the host, or other learners' activity, rather than this
# sandbox: the boot command line, the host's memory and load, its disks, and counters that move
# with every process and interrupt on the machine (/proc/stat's "processes" counts every fork,
# so two sandboxes could signal to each other through it, or watch each other's runs). Each is
# covered with a file of our own. What stays visible, and why, is in the README.
_PROC_EMPTY = (
    "cmdline",
    "diskstats",
    "partitions",
    "swaps",
    "interrupts",
    "softirqs",
    "schedstat",
    "vmstat",
    "zoneinfo",
    "pressure/cpu",
    "pressure/io",
    "pressure/memory",
    "pressure/irq",
)


def proc_masks(memory_mb: int) -> dict[str, bytes]:
    """Replacement contents for host-revealing /proc files that exist on this kernel.

    Those that programs read get plausible content of the function's own: meminfo shows the
    function's memory size (as Lambda's microVM shows about its own), stat idle CPUs and no
    process counter, loadavg nothing running, boot_id a fresh id per sandbox.
    """
    kb = memory_mb * 1024
    cpus = len(os.sched_getaffinity(0)) or 1
    stat = "cpu  0 0 0 0 0 0 0 0 0 0\n"
    stat += "".join(f"cpu{n} 0 0 0 0 0 0 0 0 0 0\n" for n in range(cpus))
    stat += "intr 0\nctxt 0\nbtime 0\nprocesses 0\nprocs_running 1\nprocs_blocked 0\nsoftirq 0\n"
    contents = {
        "meminfo": (
            f"MemTotal:       {kb:>8} kB\nMemFree:        {kb:>8} kB\n"
            f"MemAvailable:   {kb:>8} kB\nBuffers:               0 kB\n"
            "Cached:                0 kB\nSwapTotal:             0 kB\n"
            "SwapFree:              0 kB\n"
        ),
        "stat": stat,
        "loadavg": "0.00 0.00 0.00 1/1 1\n",
        "sys/kernel/random/boot_id": f"{uuid.uuid4()}\n",
        **dict.fromkeys(_PROC_EMPTY, ""),
    }
    return {
        f"/proc/{name}": text.encode()
        for name, text in contents.items()
        if os.path.isfile(f"/proc/{name}")
    }


def _etc_files() -> dict[str, bytes]:
    return {f"/etc/{name}": text.encode() for name, text in _ETC_FILES.items()}


def _memfd(content: bytes) -> int:
    """An in-memory file holding ``content``, positioned at its start."""
    fd = os.memfd_create("sandbox-file", os.MFD_CLOEXEC)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _memfds(files: Mapping[str, bytes]) -> list[tuple[int, str]]:
    """One in-memory file per sandbox file: nothing of the sandbox touches the host's disk."""
    made: list[tuple[int, str]] = []
    try:
        for path, content in files.items():
            if not path.startswith("/") or "/../" in path or path.endswith("/.."):
                raise ValueError(f"bad sandbox path {path!r}")
            made.append((_memfd(content), path))
    except BaseException:
        for fd, _ in made:
            os.close(fd)
        raise
    return made


# --------------------------------------------------------------------------- running


class _Output:
    """The sandbox's stdout+stderr: the first ``cap`` bytes kept, the rest read and dropped."""

    def __init__(self, fd: int, cap: int) -> None:
        self.fd = fd
        self.cap = cap
        self.data = bytearray()
        self.truncated = False
        self.eof = False
        self.boundary = 0

    def drain(self, max_chunks: int | None = 64) -> None:
        chunks = 0
        while not self.eof and (max_chunks is None or chunks < max_chunks):
            chunks += 1
            try:
                room = self.cap - len(self.data)
                if room > 0:
                    chunk = os.read(self.fd, min(room, _PIPE_BYTES))
                    if not chunk:
                        self.eof = True
                    self.data += chunk
                elif self._discard() == 0:
                    self.eof = True
                else:
                    self.truncated = True
            except BlockingIOError:
                return
            except OSError:
                self.eof = True

    def _discard(self) -> int:
        # splice moves the pages to /dev/null inside the kernel: a flood costs us no copying.
        if _DEVNULL is not None:
            try:
                return os.splice(self.fd, _DEVNULL, 1 << 20, flags=os.SPLICE_F_NONBLOCK)
            except BlockingIOError:
                raise
            except OSError:
                pass
        return os.readv(self.fd, [_DISCARD])

    def mark_boundary(self) -> None:
        self.boundary = len(self.data)


class _Control:
    """Parses the CTL pipe: single bytes B and R, then one length-prefixed frame."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = bytearray()
        self.eof = False
        self.booted = False
        self.ready = False
        self.ready_at: float | None = None
        self.frame_kind: bytes | None = None
        self.frame_len: int | None = None
        self.frame_payload: bytes | None = None
        self.problem: str | None = None

    @property
    def done(self) -> bool:
        return self.frame_payload is not None or self.problem is not None

    def read(self) -> None:
        while not self.eof and not self.done:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                return
            self.buf += chunk
            self._parse()

    def _parse(self) -> None:
        while self.buf and not self.done:
            if self.frame_kind is None:
                kind = bytes(self.buf[:1])
                if kind == b"B" and not self.booted:
                    self.booted = True
                    del self.buf[:1]
                elif kind == b"R" and self.booted and not self.ready:
                    self.ready = True
                    del self.buf[:1]
                elif kind in (b"J", b"A", b"E") and self.booted:
                    if len(self.buf) < 9:
                        return
                    self.frame_kind = kind
                    self.frame_len = int.from_bytes(self.buf[1:9], "big")
                    del self.buf[:9]
                    if kind == b"E" and self.frame_len > MAX_CTL_BYTES:
                        self.problem = "malformed"  # no error document is that big
                        return
                    if kind != b"E" and self.frame_len > MAX_RESPONSE_BYTES:
                        self.problem = "too_large"
                        return
                else:
                    self.problem = "malformed"
                    return
            else:
                assert self.frame_len is not None
                if len(self.buf) < self.frame_len:
                    return
                self.frame_payload = bytes(self.buf[: self.frame_len])
                del self.buf[:]


class _Backstop:
    """A second, independent enforcer of the wall clock: a thread that SIGKILLs the sandbox.

    The supervising loop enforces the deadline itself and never blocks (every descriptor the
    sandbox can reach is non-blocking on our side). This thread is there for what we did not
    foresee: if the loop is ever held up, the sandbox still dies at its deadline plus a grace,
    and with it every channel, so the loop wakes up to EOF. It signals through pidfds, which
    cannot hit a recycled pid.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._targets: list[int] = []
        self._stopped = False
        self.fired = False
        self._thread: threading.Thread | None = threading.Thread(
            target=self._run, name="sandbox-backstop", daemon=True
        )
        try:
            self._thread.start()
        except RuntimeError:
            # No thread to be had (the host's thread limit): the supervising loop, which never
            # blocks, still enforces the deadline; a run must not fail for our second line.
            self._thread = None

    def arm(self, deadline: float, *targets: int | None) -> None:
        with self._cond:
            self._deadline = deadline
            self._targets.extend(fd for fd in targets if fd is not None)
            self._cond.notify()

    def disarm(self) -> None:
        """No deadline until the next ``arm`` (a warm environment between invocations)."""
        with self._cond:
            self._deadline = None
            self._cond.notify()

    def stop(self) -> None:
        """Disarm and wait for the thread, so it never signals through a closed pidfd."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                self.fired = True
                for fd in self._targets:
                    with contextlib.suppress(OSError):
                        signal.pidfd_send_signal(fd, signal.SIGKILL)
                self._deadline = None


class _Reaper:
    """Finishes off sandboxes whose answer the caller already has (``_Session.hand_off``).

    One thread per process. The sandboxes it gets are SIGKILLed already; it reaps bwrap, waits
    for pid 1 and the cgroup to empty, and removes the cgroup and the descriptors, as a
    synchronous teardown would. At most ``_BACKLOG`` wait at once: beyond that, runs tear
    down in the caller again, so a burst never leaves an unbounded number of dying sandboxes
    behind the slots that let them run. A forked child starts with an empty reaper (the
    parent's sandboxes are the parent's); at exit we wait for it, so no cgroup is left.
    """

    _BACKLOG = 16

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: collections.deque[_Session] = collections.deque()
        self._pending = 0
        self._thread: threading.Thread | None = None

    def has_room(self) -> bool:
        with self._cond:
            return self._pending < self._BACKLOG

    def submit(self, session: _Session) -> None:
        with self._cond:
            self._pending += 1
            self._queue.append(session)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-reaper", daemon=True
                )
                try:
                    self._thread.start()
                except RuntimeError:
                    self._thread = None
            self._cond.notify_all()
        if self._thread is None:  # no thread to be had: the caller does the work after all
            self._work()

    def settle(self, timeout_s: float) -> bool:
        """Wait until every handed-off sandbox is gone; False if some still are at the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def _work(self) -> bool:
        with self._cond:
            if not self._queue:
                return False
            session = self._queue.popleft()
        try:
            session.reap()
        except Exception:
            logger.exception("tearing down a finished sandbox failed")
        finally:
            with self._cond:
                self._pending -= 1
                self._cond.notify_all()
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
            self._work()

    def _after_fork(self) -> None:
        self.__init__()


class _Activity:
    """How many sandboxes this process is starting or supervising right now.

    Handing a teardown to the reaper makes a lone cold start faster, but in a burst it only lets
    the next run start sooner, alongside: bench_labs' lesson pages served a sixth fewer requests
    with a slower p99 while a class submitted. So the reaper takes a sandbox only from a run
    that is alone in its process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        with self._lock:
            self.count += 1
        try:
            yield
        finally:
            with self._lock:
                self.count -= 1

    def _after_fork(self) -> None:
        self.__init__()


_reaper = _Reaper()
_activity = _Activity()
os.register_at_fork(after_in_child=_reaper._after_fork)
os.register_at_fork(after_in_child=_activity._after_fork)
atexit.register(_reaper.settle, 10.0)


def settle(timeout_s: float = 10.0) -> bool:
    """Wait until no finished sandbox is still being torn down (tests, shutdown)."""
    return _reaper.settle(timeout_s)


def _read_info(fd: int, timeout_s: float) -> int | None:
    """bwrap's --info-fd JSON gives the host pid of the sandbox's pid 1."""
    data = b""
    deadline = time.monotonic() + timeout_s
    while b"}" not in data and len(data) < 65536:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        if not _wait_fd(fd, remaining):
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    match = re.search(rb'"child-pid"\s*:\s*(\d+)', data)
    return int(match.group(1)) if match else None


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                kids.extend(int(x) for x in fh.read().split())
        except (OSError, ValueError):
            continue
    return kids


def _tree(root: int) -> list[int]:
    seen: list[int] = []
    stack = [root]
    while stack and len(seen) < 4096:
        pid = stack.pop()
        seen.append(pid)
        stack.extend(_children(pid))
    return seen


def _proc_field(path: str, prefix: str) -> int:
    """A ``Name:  N kB`` field of a /proc file, in bytes (0 if the process is gone)."""
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(prefix):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _unix_socket_bound() -> int:
    """The most one AF_UNIX socket can pin: its send buffer (which seccomp stops the sandbox
    from raising) plus the one message that may overshoot it, counted twice for slack."""
    try:
        with open("/proc/sys/net/core/wmem_default", encoding="ascii") as fh:
            return 2 * int(fh.read())
    except (OSError, ValueError):
        return 2 * 212_992


_UNIX_SOCKET_BYTES = _unix_socket_bound()


_SOCKSTAT_TABLES = {"TCP:": "tcp", "UDP:": "udp", "TCP6:": "tcp6", "UDP6:": "udp6"}


def _inet_tables_in_use(base: str) -> list[str]:
    """The /proc/net tables worth reading: those whose protocol has a socket in this namespace.

    sockstat's "inuse" counts are per network namespace and cost microseconds, whereas reading
    /proc/net/tcp walks the host's whole connection hash table (~3.5 ms here) to pick out the
    namespace's sockets; most functions open none.
    """
    tables = []
    for name in ("sockstat", "sockstat6"):
        try:
            with open(base + name, encoding="ascii", errors="replace") as fh:
                for line in fh:
                    fields = line.split()
                    known = fields and fields[0] in _SOCKSTAT_TABLES and "inuse" in fields
                    if known and int(fields[fields.index("inuse") + 1]) > 0:
                        tables.append(_SOCKSTAT_TABLES[fields[0]])
        except (OSError, ValueError, IndexError):
            continue
    return tables


def _socket_bytes(pid1: int, *, inet: bool = True) -> int:
    """Socket memory of the sandbox's network namespace, which no memory limit may miss.

    Socket memory
    -------------
    cgroup v1 charges a task's memory but not its socket buffers (TCP only with a
    ``kmem.tcp`` limit, which cgroups.py sets), and the watchdog sees processes only, yet queued
    socket data is kernel memory the sandbox makes us hold: 100 loopback connections pinned
    about 1 GB in a 128 MB function before this. Every socket the sandbox can create lives in
    its own network namespace, and /proc/<its pid 1>/net lists them all, including sockets
    that are in flight inside a message and in no process's descriptor table:
    - TCP and UDP: the bytes queued each way, doubled for the kernel's per-packet overhead;
    - AF_UNIX: the table has no queue lengths, so each socket counts as the most it can hold.
    Our own channels were made in the host's namespace and are not listed. ``inet=False`` where
    a v2 cgroup already charges TCP and UDP buffers to the sandbox.
    """
    total = 0
    base = f"/proc/{pid1}/net/"
    for name in _inet_tables_in_use(base) if inet else ():
        try:
            with open(base + name, encoding="ascii", errors="replace") as fh:
                next(fh, None)
                for line in fh:
                    queues = line.split()[4]
                    tx, _, rx = queues.partition(":")
                    total += 2 * (int(tx, 16) + int(rx, 16))
        except (OSError, ValueError, IndexError):
            continue
    try:
        with open(base + "unix", encoding="ascii", errors="replace") as fh:
            total += max(0, sum(1 for _ in fh) - 1) * _UNIX_SOCKET_BYTES
    except OSError:
        pass
    return total


def _pss_bytes(pids: list[int]) -> int:
    """Memory of the processes together: PSS splits shared pages (fork, libraries) fairly."""
    return sum(_proc_field(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)


def _largest_hwm_bytes(pids: list[int]) -> int:
    """The largest peak resident set (VmHWM) of a single process."""
    return max((_proc_field(f"/proc/{pid}/status", "VmHWM:") for pid in pids), default=0)


def _pidfd(pid: int | None, parent: int) -> int | None:
    if pid is None:
        return None
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return None
    try:
        # Guard against the (theoretical) reuse of a pid that already exited.
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        if ppid == parent:
            return fd
    except (OSError, ValueError, IndexError):
        pass
    os.close(fd)
    return None


def _wait_fd(fd: int, timeout_s: float) -> bool:
    # poll, not select: a busy server can have file descriptors above select's 1024.
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(timeout_s, 0) * 1000))


def run(spec: LaunchSpec, limits: SandboxLimits) -> SandboxRun:
    """Run one sandbox to completion (or its deadline) and report what was observed."""
    outcome = SandboxRun()
    session = _Session(spec, limits, outcome, f"inv-{uuid.uuid4().hex}")
    handed_off = False
    try:
        with _activity.running():
            session.start()
            if session.pid1 is not None:
                session.supervise()
                handed_off = session.hand_off()
    finally:
        if not handed_off:
            session.teardown()
            session.finish()
            session.close()
        if session.uses_spares:
            launcher.refill(limits)  # now: making it meanwhile would slow this run down
    return outcome


@dataclass
class _ChildEnds:
    """What bwrap is given: the sandbox's ends of its channels, and its files as memfds."""

    out_w: int
    ctl_w: int
    go_r: int
    info_w: int
    files: list[tuple[int, str]]
    masks: list[tuple[int, str]]
    seccomp_fd: int | None

    def all(self) -> list[int]:
        """Every one but the output pipe (which becomes bwrap's stdout and stderr)."""
        fds = [self.ctl_w, self.go_r, self.info_w, *(fd for fd, _ in self.files + self.masks)]
        return fds if self.seccomp_fd is None else [*fds, self.seccomp_fd]


class _Session:
    """One sandbox's life: start, supervise, tear down, and what was seen along the way."""

    def __init__(
        self,
        spec: LaunchSpec,
        limits: SandboxLimits,
        outcome: SandboxRun,
        group_name: str,
        *,
        freezable: bool = False,
    ) -> None:
        self.spec = spec
        self.limits = limits
        self.outcome = outcome
        self.memory_bytes = spec.memory_mb * 1024 * 1024
        # Its cgroup (made in start), if the host lets us have one; else the memory watchdog.
        self.group: cgroups.SandboxCgroup | cgroups.SandboxCgroupV2 | None = None
        self.group_name = group_name
        self.freezable = freezable
        self.fds: list[int] = []
        self.proc: subprocess.Popen | None = None
        self.proc_fd: int | None = None
        self.pid1: int | None = None
        self.pid1_fd: int | None = None
        self.output: _Output | None = None
        self.control: _Control | None = None
        self.go_w = -1
        self.started = self.ended = 0.0
        self.peak = 0
        self.exited = False
        self.backstop = _Backstop()
        # A warm invocation's message for GO, written as the sandbox takes it (never blocking).
        self.pending = b""
        self.uses_spares = False  # started (or would have) from a spare launcher: refill after

    # -- plumbing

    def _pipe(self) -> tuple[int, int]:
        """A channel we only ever read from: (our non-blocking read end, the sandbox's end).

        Learner code may reopen the sandbox's end through /proc/self/fd/N (it has our uid when
        the server is not root), even the other way round; that costs us nothing, because a
        read here never blocks. Its buffer is raised to 1 MiB (where the kernel lets us) so a
        log flood is drained in large chunks.
        """
        r, w = os.pipe()
        self.fds.extend((r, w))
        os.set_blocking(r, False)
        with contextlib.suppress(OSError):
            fcntl.fcntl(r, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        return r, w

    def _socketpair(self) -> tuple[int, int]:
        """A channel we write into: (our non-blocking end, the sandbox's end).

        Not a pipe: a process of the same uid can reopen a pipe's end through /proc/self/fd/N
        in the other direction, fill the pipe and stop draining it, and our next write would
        then block the loop that enforces the deadline and the memory limit. A socket cannot
        be reopened through /proc (ENXIO); our end is shut for reading, so the sandbox cannot
        queue anything for us either, and it is non-blocking: a full buffer is the run's
        fault (EAGAIN ends it), never a stall of ours.
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with ours, theirs:
            ours.shutdown(socket.SHUT_RD)
            ours.setblocking(False)
            pair = ours.detach(), theirs.detach()
        self.fds.extend(pair)
        return pair

    def _send(self, fd: int | None, data: bytes) -> bool:
        """Write without ever blocking; False if the sandbox's end did not take it all."""
        if fd is None:
            return False
        try:
            return os.write(fd, data) == len(data)
        except OSError:  # BlockingIOError, EPIPE: the sandbox broke its end of the channel
            return False

    def _close(self, fd: int | None) -> None:
        if fd is not None and fd in self.fds:
            self.fds.remove(fd)
            os.close(fd)

    def close(self) -> None:
        self.backstop.stop()  # idempotent; teardown normally did it already
        for fd in list(self.fds):
            self._close(fd)
        for fd in (self.pid1_fd, self.proc_fd):
            if fd is not None:
                os.close(fd)
        self.pid1_fd = self.proc_fd = None
        if self.group is not None:
            self.group.remove()

    # -- phases

    def start(self) -> None:
        spec, limits = self.spec, self.limits
        use_cgroup = cgroups.available() if limits.use_cgroup is None else limits.use_cgroup
        self.uses_spares = use_cgroup
        files = _memfds({**_etc_files(), **spec.files})
        self.fds.extend(fd for fd, _ in files)
        masks = _memfds(proc_masks(spec.memory_mb))
        self.fds.extend(fd for fd, _ in masks)
        filter_program = seccomp.program()
        seccomp_fd = _memfd(filter_program) if filter_program else None
        if seccomp_fd is not None:
            self.fds.append(seccomp_fd)
        out_r, out_w = self._pipe()
        ctl_r, ctl_w = self._pipe()
        self.go_w, go_r = self._socketpair()
        info_r, info_w = self._pipe()
        ends = _ChildEnds(out_w, ctl_w, go_r, info_w, files, masks, seccomp_fd)
        self.output = _Output(out_r, limits.max_output_bytes)
        self.control = _Control(ctl_r)
        block_w = None
        spare = launcher.take(limits, self.memory_bytes) if use_cgroup else None
        if spare is not None:
            spare = self._adopt(spare)
        if spare is None or not self._launch_spare(spare, ends, use_cgroup):
            block_w = self._launch_bwrap(ends, use_cgroup)
        for fd in (out_w, *ends.all()):
            self._close(fd)
        self.proc_fd = os.pidfd_open(self.proc.pid)
        # From here on the sandbox dies by its deadline whatever happens to the loop below.
        self.backstop.arm(self.started + limits.init_timeout_s + _BACKSTOP_GRACE_S, self.proc_fd)
        self.pid1 = _read_info(info_r, timeout_s=10.0)
        self.pid1_fd = _pidfd(self.pid1, self.proc.pid)
        self.backstop.arm(self.started + limits.init_timeout_s + _BACKSTOP_GRACE_S, self.pid1_fd)
        if self.pid1 is None:
            return  # bwrap failed before creating the sandbox; teardown reports why
        if block_w is not None:
            if self.group is not None:
                try:
                    # Everything the sandbox will ever start descends from its pid 1.
                    self.group.add(self.pid1)
                except OSError as exc:
                    self.outcome.notes.append(
                        f"cgroup join failed ({exc}); memory watchdog instead"
                    )
                    self.group.remove()
                    self.group = None
            # Only now may pid 1 go on and start the runtime. (No user code runs yet.)
            self._send(block_w, b"x")
            self._close(block_w)

    def _bwrap_argv(
        self,
        ends: _ChildEnds,
        number: Callable[[int], int],
        args_channel: tuple[int, int],
        block_r: int | None,
        use_cgroup: bool,
    ) -> list[str]:
        """bwrap's argv, its options sent through ``args_channel`` (ours, the sandbox's end).

        ``number`` gives each of our descriptors the number bwrap will see it under.
        """
        spec, limits = self.spec, self.limits
        args_w, args_r = args_channel
        args = build_bwrap_args(
            files=[(number(fd), path) for fd, path in ends.files],
            env=spec.env,
            tmp_size_mb=limits.tmp_size_mb,
            command=spec.command(number(ends.ctl_w), number(ends.go_r), use_cgroup),
            info_fd=number(ends.info_w),
            block_fd=None if block_r is None else number(block_r),
            seccomp_fd=None if ends.seccomp_fd is None else number(ends.seccomp_fd),
            proc_masks=[(number(fd), path) for fd, path in ends.masks],
        )
        split = args.index("--")
        # Options through a channel, so /proc/1/cmdline inside shows none of our settings
        # (bwrap wants the command itself on its real command line).
        options = b"".join(a.encode() + b"\0" for a in args[:split])
        if not self._send(args_w, options):
            raise OSError("bwrap's options did not fit in its channel")
        self._close(args_w)
        return [limits.bwrap_path, "--args", str(number(args_r)), *args[split:]]

    def _adopt(self, spare: launcher.Spare) -> launcher.Spare | None:
        """Make a spare launcher's cgroups this sandbox's: its memory size (and a warm
        environment's name)."""
        try:
            spare.group.set_memory_limit(self.memory_bytes)
            if self.freezable:
                spare.group.rename(self.group_name)  # warm-<pid>-...: see thaw_stale
        except OSError:
            spare.discard()
            return None
        self.group = spare.group
        return spare

    def _launch_spare(self, spare: launcher.Spare, ends: _ChildEnds, use_cgroup: bool) -> bool:
        """bwrap exec'ed by the spare launcher, inside its cgroups already (launcher.py); False,
        with the spare discarded, if it did not take the sandbox."""
        args_channel = self._socketpair()
        # The launcher gives what it gets the numbers 3, 4, ... in the order sent.
        order = [*ends.all(), args_channel[1]]
        numbers = {fd: launcher.FIRST_FD + i for i, fd in enumerate(order)}
        argv = self._bwrap_argv(ends, numbers.__getitem__, args_channel, None, use_cgroup)
        self.started = time.monotonic()
        taken = spare.launch(argv, ends.out_w, order)
        self._close(args_channel[1])
        if taken:
            self.proc = spare.proc
            return True
        spare.discard()
        self.group = None
        return False

    def _launch_bwrap(self, ends: _ChildEnds, use_cgroup: bool) -> int | None:
        """bwrap started by us; with a cgroup, pid 1 then waits on block-fd until it has joined
        the group. Returns our end of block-fd (None without a cgroup)."""
        limits = self.limits
        args_channel = self._socketpair()
        block_w = block_r = None
        if use_cgroup:
            block_w, block_r = self._socketpair()
        argv = self._bwrap_argv(ends, lambda fd: fd, args_channel, block_r, use_cgroup)
        child_fds = [*ends.all(), args_channel[1], *([block_r] if block_r is not None else [])]
        self.started = time.monotonic()
        # chrt first: bwrap's namespaces and mounts cost CPU too, and under load (when there is
        # no spare launcher, see launcher.py) they must not compete with the pages at normal
        # priority. (Set from outside after Popen, they did: bench_labs' pages suffered.)
        argv, kwargs = spawn.spawn_args(limits, argv, idle=True)
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=ends.out_w,
            stderr=ends.out_w,
            pass_fds=child_fds,
            **kwargs,
        )
        for fd in (args_channel[1], block_r):
            self._close(fd)
        spawn.lower_session_priority(self.proc.pid)
        if use_cgroup:
            # Made while bwrap builds the namespaces, which we would only be waiting for.
            group = self.group = self._make_group()
            if group is not None:
                with contextlib.suppress(OSError):  # an optimisation only: add(pid1) is the rule
                    group.count_tasks_of(self.proc.pid)
        return block_w

    def _make_group(self) -> cgroups.SandboxCgroup | cgroups.SandboxCgroupV2 | None:
        """This sandbox's cgroup; None (the memory watchdog instead) where it cannot be had,
        unless the limits insist on one. Without it the runtime also lacks the RLIMIT_AS its
        command would have set in watchdog mode, as when joining the group fails."""
        try:
            return cgroups.create(
                self.group_name,
                self.memory_bytes,
                self.limits.max_processes + 8,
                freezable=self.freezable,
            )
        except OSError as exc:
            if self.limits.use_cgroup:
                raise
            self.outcome.notes.append(f"no cgroup ({exc}); memory watchdog instead")
            return None

    def sample(self) -> None:
        """Memory seen from outside: PSS against the limit (watchdog), peak RSS for the report."""
        if self.pid1 is None:
            return
        pids = self.group.pids_in() if self.group is not None else _tree(self.pid1)
        limit = self.memory_bytes
        sockets = _socket_bytes(self.pid1, inet=not isinstance(self.group, cgroups.SandboxCgroupV2))
        if self.group is None:
            used = _pss_bytes(pids)
            self.peak = max(self.peak, used)
        else:
            used = self.group.usage_bytes()
        if used + sockets > limit:
            # Memory the kernel does not charge to the cgroup still counts against the function:
            # killed as an out-of-memory run, as Lambda would kill it.
            self.outcome.oom = True
            self.peak = max(self.peak, limit)
        # The resident file pages of the runtime (shared libraries, stdlib) are not charged to
        # the cgroup when the host had them cached already; the runtime's own peak RSS counts
        # them, as Lambda's figure does. Sampled while it lives, since it may exit by itself.
        self.peak = max(self.peak, _largest_hwm_bytes(pids))

    def _limit_cpu(self) -> None:
        """From the handler on, CPU follows memory as on Lambda: 1,769 MB is one full vCPU.

        INIT runs unthrottled: most of it is our bootstrap and the interpreter starting, which
        at 128 MB (7% of a CPU) would otherwise add a quarter of a second to every cold start.
        Without a cgroup (watchdog mode) there is nothing to set, and functions get whatever
        CPU the host spares them (see the README).
        """
        if self.group is not None:
            self.outcome.cpu_limited = self.group.limit_cpu(self.spec.memory_mb / MB_PER_VCPU)

    def _flush_pending(self) -> bool:
        """Write what GO will take of the pending message; False if the sandbox broke GO."""
        while self.pending:
            try:
                sent = os.write(self.go_w, self.pending[: 1 << 20])
            except BlockingIOError:
                return True
            except OSError:
                self.pending = b""
                return False
            self.pending = self.pending[sent:]
        return True

    def supervise(self, deadline: float | None = None, first_sample: float = 0.0) -> None:
        """Watch the sandbox until its frame, its exit, its deadline or its memory limit.

        Without ``deadline``: a fresh sandbox, INIT's clock from launch, then the handler's
        from the ``R`` byte. With one: a warm invocation whose message is in ``pending``.
        """
        spec, limits, outcome = self.spec, self.limits, self.outcome
        output, control = self.output, self.control
        assert output is not None and control is not None and self.proc_fd is not None
        poller = select.poll()
        poller.register(output.fd, select.POLLIN)
        poller.register(control.fd, select.POLLIN)
        poller.register(self.proc_fd, select.POLLIN)
        next_sample = first_sample
        if deadline is None:
            deadline = self.started + limits.init_timeout_s
        writing = False
        while True:
            watchdog = self.group is None
            if self.pending and not self._flush_pending():
                control.problem = "malformed"  # the sandbox broke its channel
            if bool(self.pending) != writing:
                writing = bool(self.pending)
                if writing:
                    poller.register(self.go_w, select.POLLOUT)
                else:
                    poller.unregister(self.go_w)
            now = time.monotonic()
            if now >= deadline:
                outcome.timed_out = "invoke" if control.ready else "init"
                break
            wait = min(deadline - now, max(next_sample - now, 0.001))
            for fd, _ in poller.poll(max(wait * 1000, 0)):
                if fd == self.go_w:
                    continue  # room in GO: the next turn writes more
                if fd == output.fd:
                    output.drain()
                    if output.eof:
                        poller.unregister(output.fd)
                elif fd == control.fd:
                    was_ready = control.ready
                    # Whatever the runtime printed before this message is in the out pipe now.
                    output.drain(max_chunks=256)
                    control.read()
                    if control.ready and not was_ready:
                        # INIT's output ends here; the handler may start only once we marked it.
                        output.mark_boundary()
                        control.ready_at = time.monotonic()
                        deadline = control.ready_at + spec.timeout_s
                        self.backstop.arm(deadline + _BACKSTOP_GRACE_S)
                        self._limit_cpu()
                        if not self._send(self.go_w, b"g"):
                            control.problem = "malformed"  # the sandbox broke its channel
                        # As in a warm invocation: a quick handler should not wait for a sample
                        # (the cgroup enforces the limit; the last sample reads the peak).
                        next_sample = control.ready_at + _FIRST_HANDLER_SAMPLE_S
                    if control.eof:
                        poller.unregister(control.fd)
                elif fd == self.proc_fd:
                    self.exited = True
            if time.monotonic() >= next_sample:
                sampled_at = time.monotonic()
                self.sample()
                cost = time.monotonic() - sampled_at
                # Many processes make a sample dear: then sample less often, at most ~20% CPU.
                interval = limits.watchdog_interval_s if watchdog else 0.1
                next_sample = time.monotonic() + max(interval, 4 * cost)
                if outcome.oom:
                    break
            if control.done or self.exited:
                break
        self.ended = time.monotonic()
        if not self.exited:
            self.sample()  # the runtime is alive (frozen after its response, or still running)

    def kill(self) -> None:
        """SIGKILL pid 1 (its death empties the pid namespace), then bwrap, whose
        --die-with-parent would kill pid 1 anyway. Harmless if either already exited; bwrap is
        not reaped before teardown, so its pid cannot have been reused."""
        if self.pid1_fd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.pid1_fd, signal.SIGKILL)
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)

    def hand_off(self) -> bool:
        """After a well-formed frame: kill the sandbox now and leave the waiting to the reaper.

        The answer is complete once the frame is in: the runtime wrote its output before the
        frame (so it is in the out pipe), Max Memory Used and an OOM kill are read from the
        cgroup now, and an exit status only matters to a run without a frame. Waiting for the
        kernel to empty the namespaces and the cgroup (1-2 ms) is then nobody's latency. False,
        with nothing done, for any other end (a timeout, out of memory, a crash, a malformed
        frame), which the full teardown reports; if another run shares the process (see
        ``_Activity``); or if the reaper has too much to do.
        """
        control, outcome = self.control, self.outcome
        if (
            self.proc is None
            or self.pid1_fd is None
            or control is None
            or control.frame_payload is None
            or control.problem is not None
            or outcome.timed_out
            or outcome.oom
            or _activity.count > 1
            or not _reaper.has_room()
        ):
            return False
        self.kill()
        if self.group is not None:
            self.peak = max(self.peak, self.group.peak_bytes())
            outcome.oom = self.group.oom_killed()
        self.finish()  # what the pipes hold now; nothing written after the frame counts
        # From here the caller owns the outcome: the reaper works on a scratch copy.
        self.outcome = SandboxRun()
        _reaper.submit(self)
        return True

    def reap(self) -> None:
        """The reaper's part of a handed-off sandbox: wait until nothing of it is left."""
        try:
            self.teardown()
        finally:
            self.close()
        for note in self.outcome.notes:
            logger.warning("sandbox %s: %s", self.pid1, note)

    def teardown(self) -> None:
        """Kill the whole sandbox, reap bwrap and wait until nothing of it is left."""
        proc, outcome = self.proc, self.outcome
        if proc is None:
            self.backstop.stop()
            return
        if not self.ended:
            self.ended = time.monotonic()
        self.kill()
        self.backstop.stop()  # before we reap bwrap: its pidfd must not outlive the process
        if self.backstop.fired:
            outcome.notes.append("the backstop killed the sandbox at its deadline")
        # (Not wait4's ru_maxrss: bwrap was forked from this server, so it would include our RSS.)
        _, status = os.waitpid(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if os.WIFEXITED(status):
            # bwrap exited by itself, with its runtime's status; a runtime killed by signal N
            # is reported as 128 + N.
            code = os.WEXITSTATUS(status)
            if 128 < code < 128 + 65:
                outcome.exit_signal = code - 128
            else:
                outcome.exit_code = code
        # pid 1 gets SIGKILL through --die-with-parent; its exit means the pid namespace is empty.
        if self.pid1_fd is not None and not _wait_fd(self.pid1_fd, 5.0):
            outcome.notes.append("sandbox pid 1 outlived bwrap")
        if self.group is not None:
            if not self.group.kill_all():
                outcome.notes.append("cgroup not empty after kill")
            self.peak = max(self.peak, self.group.peak_bytes())
            if self.group.oom_killed():
                outcome.oom = True

    def finish(self) -> None:
        """Fill in the outcome; every writer is dead now, so the pipes can be read to the end."""
        outcome, output, control = self.outcome, self.output, self.control
        if output is None or control is None or self.proc is None:
            return
        output.drain(max_chunks=None)
        control.read()
        outcome.booted = control.booted
        outcome.ready = control.ready
        if control.ready_at is not None:
            outcome.init_s = control.ready_at - self.started
            outcome.invoke_s = self.ended - control.ready_at
        else:
            outcome.init_s = self.ended - self.started
        if control.frame_payload is not None:
            outcome.frame_kind = control.frame_kind
            outcome.frame_payload = control.frame_payload
        outcome.frame_problem = control.problem
        boundary = output.boundary if control.ready else len(output.data)
        outcome.init_output = bytes(output.data[:boundary])
        outcome.invoke_output = bytes(output.data[boundary:])
        outcome.truncated = output.truncated
        outcome.max_memory_bytes = self.peak
        if not outcome.booted and not outcome.timed_out and not outcome.oom:
            text = (outcome.init_output + outcome.invoke_output).decode("utf-8", "replace")
            code = self.proc.returncode if self.proc is not None else None
            outcome.setup_error = text.strip() or f"bwrap exited with status {code}"


# --------------------------------------------------------------------------- warm environments


def _signal_tree(pid1: int, sig: int) -> None:
    """SIGSTOP/SIGCONT every process of a sandbox without a freezer (watchdog mode).

    Twice: a process that forked while we walked the tree has its child caught the second time.
    A child forked in the instant between the two walks and the stop can still escape; the
    freezer cgroup has no such gap (see the README).
    """
    for _ in range(2):
        for pid in _tree(pid1):
            with contextlib.suppress(OSError):
                os.kill(pid, sig)


def _reset_hwm(pids: list[int]) -> None:
    """Reset each process's peak RSS (VmHWM), so the next Max Memory Used is its own."""
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")


class Environment:
    """One sandbox kept alive across invocations: boot + INIT + the first (cold) invocation,
    then ``invoke`` again and again, frozen in between, then ``close``.

    Every limit of a cold sandbox stays in force between invocations: the cgroup, rlimits,
    seccomp and /proc masks are the same sandbox's; the wall clock and the backstop are armed
    afresh for each invocation and disarmed while it is frozen. Anything unexpected (a timeout,
    out of memory, an exit, a broken channel, a failed freeze) ends the environment: ``alive``
    turns False and the caller starts a new one.
    """

    def __init__(self, spec: LaunchSpec, limits: SandboxLimits) -> None:
        self.spec = spec
        self.limits = limits
        self.alive = False
        self.frozen = False
        self.invocations = 0
        self.notes: list[str] = []
        self._session: _Session | None = None

    # -- lifecycle

    def start(self) -> SandboxRun:
        """Boot, run INIT and the first invocation (whose event is in the launch files)."""
        outcome = SandboxRun()
        limits, spec = self.limits, self.spec
        # The freezer stops it between invocations; the name tells whose it was after a crash.
        name = f"warm-{os.getpid()}-{uuid.uuid4().hex}"
        session = self._session = _Session(spec, limits, outcome, name, freezable=True)
        try:
            with _activity.running():
                session.start()
                if session.pid1 is not None:
                    session.supervise()
        except BaseException:
            self._end(outcome)
            raise
        if self._healthy(outcome) and self._pause(outcome):
            self.alive = True
            self.invocations = 1
            self._snapshot(outcome)
        else:
            self._end(outcome)
        if session.uses_spares:
            launcher.refill(limits)
        return outcome

    def invoke(self, request_id: str, timeout_s: float, event: bytes) -> SandboxRun:
        """One more invocation in this environment; ``event`` in the runtime's own format."""
        session = self._session
        assert self.alive and session is not None and session.control is not None
        outcome = SandboxRun(booted=True, ready=True)
        session.outcome = outcome
        output, control = session.output, session.control
        assert output is not None
        # Whatever the sandbox wrote after its last frame, before it was frozen, is dropped.
        # Frozen writers make this a read of the pipes' buffers; bounded all the same, for
        # watchdog mode, where a process may have escaped the SIGSTOP.
        output.drain(max_chunks=16)
        output.data.clear()
        output.truncated = False
        output.boundary = 0
        control.buf.clear()
        control.frame_kind = control.frame_len = control.frame_payload = None
        control.problem = None
        for _ in range(16):
            try:
                if not os.read(control.fd, 1 << 20):
                    break
            except OSError:  # BlockingIOError: nothing left
                break
        session.peak = 0
        if session.group is not None:
            session.group.reset_peak()
            _reset_hwm(session.group.pids_in())
        elif session.pid1 is not None:
            _reset_hwm(_tree(session.pid1))
        payload = f"{request_id}\n{int(timeout_s * 1000)}\n".encode() + event
        session.pending = b"N" + len(payload).to_bytes(4, "big") + payload
        if not self._resume(outcome):
            self._end(outcome)
            return outcome
        started = time.monotonic()
        deadline = started + timeout_s
        session.backstop.arm(deadline + _BACKSTOP_GRACE_S)
        try:
            # The first memory sample only after a while: a quick handler should not pay for it,
            # and its peak is read from the cgroup (or /proc) at the end anyway.
            with _activity.running():
                session.supervise(deadline, first_sample=started + _FIRST_HANDLER_SAMPLE_S)
        except BaseException:
            self._end(outcome)
            raise
        elapsed = session.ended - started
        self.invocations += 1
        if self._healthy(outcome) and self._pause(outcome):
            self._snapshot(outcome)
        else:
            self._end(outcome)
        # Our clock, from the message to the frame; no INIT in a warm invocation.
        outcome.invoke_s = elapsed
        outcome.init_s = 0.0
        return outcome

    def close(self) -> None:
        """Tear the environment down (idempotent). Nobody waits for its answer, so the reaper
        does the waiting when it has room (a forced cold start or an eviction closes one
        just before starting another)."""
        session = self._session
        if session is None:
            return
        if _activity.count or not _reaper.has_room():  # busy: see _Activity
            self._end(SandboxRun())
            return
        self._thaw()
        self._session = None
        self.alive = False
        session.kill()
        session.outcome = SandboxRun()
        _reaper.submit(session)

    # -- internals

    def _healthy(self, outcome: SandboxRun) -> bool:
        session = self._session
        assert session is not None
        control = session.control
        return (
            session.pid1 is not None
            and control is not None
            and control.ready
            and control.frame_payload is not None
            and control.problem is None
            and not outcome.timed_out
            and not outcome.oom
            and not session.exited
            and not session.pending
        )

    def _pause(self, outcome: SandboxRun) -> bool:
        """Freeze the sandbox until its next invocation; disarm the clock meanwhile."""
        session = self._session
        assert session is not None
        session.backstop.disarm()
        return self._set_frozen(True, outcome)

    def _resume(self, outcome: SandboxRun) -> bool:
        return self._set_frozen(False, outcome)

    def _set_frozen(self, frozen: bool, outcome: SandboxRun) -> bool:
        """Stop (or resume) every task of the sandbox: its freezer cgroup, else signals."""
        session = self._session
        assert session is not None and session.pid1 is not None
        group = session.group
        if group is not None and group.can_freeze:
            if not group.freeze(frozen):
                outcome.notes.append(f"the sandbox could not be {'frozen' if frozen else 'thawed'}")
                return False
        else:
            _signal_tree(session.pid1, signal.SIGSTOP if frozen else signal.SIGCONT)
        self.frozen = frozen
        return True

    def _snapshot(self, outcome: SandboxRun) -> None:
        """Fill in the outcome of an invocation that leaves the environment alive."""
        session = self._session
        assert session is not None and session.output is not None and session.control is not None
        output, control = session.output, session.control
        output.drain(max_chunks=256)
        if session.group is not None:
            session.peak = max(session.peak, session.group.peak_bytes())
        outcome.booted = control.booted
        outcome.ready = control.ready
        if self.invocations == 1 and control.ready_at is not None:
            outcome.init_s = control.ready_at - session.started
            outcome.invoke_s = session.ended - control.ready_at
        outcome.frame_kind = control.frame_kind
        outcome.frame_payload = control.frame_payload or b""
        outcome.frame_problem = control.problem
        boundary = output.boundary
        outcome.init_output = bytes(output.data[:boundary])
        outcome.invoke_output = bytes(output.data[boundary:])
        outcome.truncated = output.truncated
        outcome.max_memory_bytes = session.peak

    def _thaw(self) -> None:
        """A frozen task does not act on SIGKILL until it is thawed: thaw before killing."""
        session = self._session
        if self.frozen and session is not None and session.pid1 is not None:
            self._set_frozen(False, SandboxRun())

    def _end(self, outcome: SandboxRun) -> None:
        session = self._session
        self.alive = False
        if session is None:
            return
        self._thaw()
        self._session = None
        session.outcome = outcome
        try:
            session.teardown()
            session.finish()
        finally:
            session.close()
