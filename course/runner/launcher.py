"""Spare launchers: the first process of the next sandbox, started ahead of demand.

Before bwrap even starts, a cold start used to spend about 2 ms on what no function decides:
the execs that drop root (setpriv) and lower the priority (chrt), and moving the new process
into its cgroups. In cgroup v1 each move takes the kernel's threadgroup lock, whose first
writer after a quiet spell waits out an RCU grace period (0.1-15 ms on the development machine),
and bwrap's pid 1 had to wait for all of it. So each process that runs sandboxes keeps one
*spare*: a small Python program (``LAUNCHER``) started exactly as bwrap would have been (empty
environment, its own session, ``host_uid`` when we are root, SCHED_IDLE, autogroup nice 19) and
moved into a fresh set of cgroups, waiting on a socket. A cold start sends it bwrap's argv and
descriptors; it execs bwrap, and every process of the sandbox is then born inside the cgroups,
so nothing has to join them and pid 1 need not wait for us.

What a spare holds: no namespace, no code, no file of any function, only its socket to us; the
sandbox itself (namespaces, mounts, the runtime, INIT) is still built on demand, so a cold start
stays a cold start. It is our own trusted program; learner code never shares a namespace or a
descriptor with it. Its memory limit is the last function's (usually the next one's too) and is
set to the function's when it is taken, before bwrap starts. A warm environment renames the
cgroups it takes (``warm-<owner pid>-...``, which the warm daemon's crash recovery looks for).

The next spare is made by a background thread after the run that took this one ends, once the
process has been quiet for 0.1 s, and only while the host's CPUs are not contended: a spare's
start (a Python interpreter, ~10 ms of CPU) would otherwise compete with runs and pages, and
under sustained load (`tests.load.bench_big_results` measured lesson pages' p99 rise from ~60
to 110-190 ms with a spare made after every run) cold starts simply go without. With no spare
ready, or one that died, a cold start starts bwrap itself as before. A spare is only good for
the limits that shaped it (binaries, host uid, pids limit). At exit the spare is killed and its
cgroups removed; if our process is killed instead, the spare reads EOF and exits, and its
cgroups (named ``spare-<owner pid>-...``) are removed by the next process that makes a spare.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import subprocess
import threading
import time
import uuid

from . import cgroups, spawn
from .config import SandboxLimits

logger = logging.getLogger(__name__)

# Runs as ``python3 -I -S -B -c LAUNCHER SOCKET_FD``. Says it is ready (one byte), then waits
# for one message: bwrap's argv, NUL-separated, with the descriptors for it, the output pipe
# first. Makes the pipe its stdout and stderr and the others 3, 4, ... in order (as the argv
# numbers them), then execs bwrap. EOF (our process is gone) or anything malformed: exit
# without starting anything.
LAUNCHER = r"""
import _socket, fcntl, posix, sys
sock = _socket.socket(fileno=int(sys.argv[1]))
try:
    sock.send(b"r")
    data, ancillary, _, _ = sock.recvmsg(1 << 16, _socket.CMSG_SPACE(4 * 512))
except OSError:
    posix._exit(1)
sock.close()
fds = []
for level, kind, blob in ancillary:
    if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
        fds += [int.from_bytes(blob[i:i + 4], sys.byteorder) for i in range(0, len(blob) - 3, 4)]
if not data or not fds:
    posix._exit(0)
# Out of the way first, so that no dup2 below overwrites a descriptor not yet moved.
moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 256) for fd in fds]
for fd in fds:
    posix.close(fd)
posix.dup2(moved[0], 1)
posix.dup2(moved[0], 2)
for number, fd in enumerate(moved[1:], start=3):
    posix.dup2(fd, number)
for fd in moved:
    posix.close(fd)
argv = data.split(b"\0")
try:
    # An empty environment, as Popen(env={}) gives bwrap: Python itself may have added to its
    # own (PEP 538's LC_CTYPE), and bwrap's pid 1 shows its environment in /proc/1/environ.
    posix.execve(argv[0], argv, {})
except OSError as exc:
    posix.write(2, ("the launcher could not start bwrap: %s\n" % exc).encode())
posix._exit(127)
"""

# Descriptors given to bwrap start here in its table (0 is /dev/null, 1 and 2 the output).
FIRST_FD = 3
_READY_TIMEOUT_S = 10.0
# A spare is made once no sandbox has started or ended in this process for this long...
_QUIET_S = 0.1
# ... and while the host's CPUs are not contended (PSI "some" avg10, in percent).
_BUSY_CPU_PRESSURE = 10.0


def _key(limits: SandboxLimits) -> tuple:
    return (
        limits.python_path,
        limits.bwrap_path,
        limits.host_uid,
        limits.host_gid,
        limits.max_processes,
    )


class Spare:
    """One launcher, in its cgroups, waiting for its sandbox."""

    def __init__(
        self,
        proc: subprocess.Popen,
        sock: socket.socket,
        group: cgroups.SandboxCgroup | cgroups.SandboxCgroupV2,
        key: tuple,
    ) -> None:
        self.proc = proc
        self.sock = sock
        self.group = group
        self.key = key

    def alive(self) -> bool:
        return self.proc.poll() is None

    def launch(self, argv: list[str], out_fd: int, fds: list[int]) -> bool:
        """Send bwrap's argv and descriptors (as numbered from FIRST_FD); False if the launcher
        did not take them (then it exits, and the caller discards this spare)."""
        payload = b"\0".join(os.fsencode(arg) for arg in argv)
        try:
            return socket.send_fds(self.sock, [payload], [out_fd, *fds]) == len(payload)
        except OSError:
            return False
        finally:
            self.sock.close()

    def discard(self) -> None:
        """Kill the launcher and remove its cgroups (it never started anything)."""
        self.sock.close()
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.group.remove()


class _Spares:
    """This process's spare (at most one) and the thread that makes the next one."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._spare: Spare | None = None
        self._wanted: SandboxLimits | None = None  # a spare for these limits is to be made
        self._making = False
        self._memory_bytes = 128 * 1024 * 1024  # the last function's memory size
        self._last_activity = 0.0  # when a sandbox last started or ended here
        self._thread: threading.Thread | None = None
        self._swept = False

    def take(self, limits: SandboxLimits, memory_bytes: int) -> Spare | None:
        with self._lock:
            spare, self._spare = self._spare, None
            self._memory_bytes = memory_bytes
            self._last_activity = time.monotonic()
        if spare is None:
            return None
        if spare.key != _key(limits) or not spare.alive():
            spare.discard()
            return None
        return spare

    def refill(self, limits: SandboxLimits) -> None:
        """Have the next spare made in the background, unless there is one (or one on its way).

        One long-lived thread does it: starting a thread per refill would cost every cold start
        the wait for it to start."""
        with self._lock:
            self._last_activity = time.monotonic()
            if self._spare is not None or self._making or self._wanted is not None:
                return
            self._wanted = limits
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sandbox-spare", daemon=True)
                try:
                    self._thread.start()
                except RuntimeError:  # no thread to be had: cold starts launch bwrap themselves
                    self._thread = None
                    self._wanted = None
                    return
            self._lock.notify_all()

    def settle(self, timeout_s: float) -> bool:
        """Wait until no spare is being made (tests and benchmarks: nothing runs behind them)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._making and self._wanted is None, timeout_s)

    def close(self) -> None:
        self.settle(10.0)
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.discard()

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._wanted is not None)
                # Only once this process has been quiet for a moment, and only if the host has
                # CPU to spare: under load a spare's start would compete with the pages (and a
                # cold start then costs what it did before spares, no more).
                while (quiet := time.monotonic() - self._last_activity) < _QUIET_S:
                    self._lock.wait(_QUIET_S - quiet)
                limits, self._wanted = self._wanted, None
                self._making = True
                memory_bytes = self._memory_bytes
            spare = None
            try:
                if not _host_is_busy():
                    spare = _start(limits, memory_bytes, sweep=not self._swept)
                self._swept = True
            except Exception:
                logger.exception("a spare launcher could not be made")
            finally:
                with self._lock:
                    self._making = False
                    if spare is not None and self._spare is None:
                        self._spare, spare = spare, None
                    self._lock.notify_all()
                if spare is not None:
                    spare.discard()

    def _after_fork(self) -> None:
        # The parent's spare is the parent's: its socket must not keep the launcher waiting.
        if self._spare is not None:
            with contextlib.suppress(OSError):
                self._spare.sock.close()
        self.__init__()


def _host_is_busy() -> bool:
    """Whether tasks have been waiting for a CPU (PSI: over 10% of the last 10 s), or, where
    the kernel has no pressure information, the load average is at the number of CPUs."""
    try:
        with open("/proc/pressure/cpu", encoding="ascii") as fh:
            fields = dict(f.split("=", 1) for f in fh.readline().split()[1:] if "=" in f)
        return float(fields["avg10"]) >= _BUSY_CPU_PRESSURE
    except (OSError, ValueError, KeyError):
        return os.getloadavg()[0] >= (os.cpu_count() or 1)


def _start(limits: SandboxLimits, memory_bytes: int, *, sweep: bool) -> Spare | None:
    """A new spare, or None where one cannot be made here (the caller then goes without)."""
    if sweep:
        cgroups.thaw_stale("spare-")  # spares (and runs made from them) of owners now dead
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    proc = group = None
    try:
        argv, kwargs = spawn.spawn_args(
            limits,
            [limits.python_path, "-I", "-S", "-B", "-c", LAUNCHER, str(theirs.fileno())],
            idle=True,
        )
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=[theirs.fileno()],
            **kwargs,
        )
        theirs.close()
        spawn.lower_session_priority(proc.pid)
        group = cgroups.create(
            f"spare-{os.getpid()}-{uuid.uuid4().hex}",
            memory_bytes,
            limits.max_processes + 8,
            freezable=True,
        )
        group.add(proc.pid)
        # Offered only once it waits for its message: a cold start must never wait for a
        # launcher's own interpreter to start.
        ours.settimeout(_READY_TIMEOUT_S)
        if ours.recv(1) != b"r":
            raise OSError("the spare launcher did not start")
        ours.settimeout(None)
        ours.shutdown(socket.SHUT_RD)  # nothing more comes back
        return Spare(proc, ours, group, _key(limits))
    except (OSError, subprocess.SubprocessError):
        theirs.close()
        ours.close()
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
        if group is not None:
            group.remove()
        return None


_spares = _Spares()
os.register_at_fork(after_in_child=_spares._after_fork)
atexit.register(_spares.close)


def take(limits: SandboxLimits, memory_bytes: int) -> Spare | None:
    """This process's spare for ``limits``, or None (then start bwrap directly); the next one
    is made for ``memory_bytes``."""
    return _spares.take(limits, memory_bytes)


def refill(limits: SandboxLimits) -> None:
    """After a cold start: make the next spare in the background."""
    _spares.refill(limits)


def settle(timeout_s: float = 10.0) -> bool:
    return _spares.settle(timeout_s)
