"""The per-host warm runner: ``python -m course.runner.warm.daemon --socket PATH``.

It owns every warm environment of the host (a ``WarmPool``) so that a warm hit does not depend
on which web worker took the request: each worker connects to its Unix socket, sends one
``invoke`` message and reads one answer (protocol.py). The socket's directory is created 0700
and the socket 0600, both owned by the user the daemon runs as (the web server's), so only that
user can reach it. One thread per connection; the pool serialises what must be serialised.

It exits on SIGTERM/SIGINT, or when the process given with ``--exit-with`` exits (the Makefile
passes its own shell, so the daemon never outlives ``make run``/``make serve``), tearing its
environments down. Settings (environment variables): ``RUNNER_WARM_IDLE_S`` (300),
``RUNNER_WARM_MAX`` (16), ``RUNNER_WARM_MEMORY_MB`` (4096), ``RUNNER_WARM_PER_USER`` (2).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import signal
import socket
import stat
import sys
import threading
import traceback
from pathlib import Path

from .. import cgroups
from ..errors import SandboxUnavailable
from . import protocol
from .pool import PoolSettings, WarmPool

# Connections served at once; more wait in the listen backlog (the web side's concurrency
# limit keeps the real number far lower).
_MAX_CONNECTIONS = 64
_REAP_EVERY_S = 1.0


def _env_number(name: str, default: float, *, minimum: float, kind=int):
    text = os.environ.get(name)
    if text is None or text == "":
        return default
    try:
        value = kind(text)
    except ValueError:
        raise SystemExit(f"{name} must be a number, not {text!r}") from None
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}")
    return value


def settings_from_env() -> PoolSettings:
    return PoolSettings(
        idle_s=_env_number("RUNNER_WARM_IDLE_S", 300.0, minimum=0.01, kind=float),
        max_envs=_env_number("RUNNER_WARM_MAX", 16, minimum=0),
        memory_mb=_env_number("RUNNER_WARM_MEMORY_MB", 4096, minimum=0),
        per_user=_env_number("RUNNER_WARM_PER_USER", 2, minimum=0),
    )


def bind(path: Path) -> socket.socket:
    """The listening socket: directory 0700, socket 0600, ours; a stale socket file replaced."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    info = os.lstat(path.parent)
    if info.st_uid != os.geteuid() or not stat.S_ISDIR(info.st_mode):
        raise SystemExit(f"{path.parent} must be a directory owned by this user")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with probe:
        try:
            probe.connect(str(path))
        except OSError:
            pass
        else:
            raise SystemExit(f"another warm daemon is already listening on {path}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(_MAX_CONNECTIONS)
    return sock


class Daemon:
    def __init__(self, path: Path, pool: WarmPool) -> None:
        self.path = path
        self.pool = pool
        self.sock = bind(path)
        self.stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(_MAX_CONNECTIONS)

    def serve(self) -> None:
        reaper = threading.Thread(target=self._reap, name="warm-reaper", daemon=True)
        reaper.start()
        self.sock.settimeout(0.2)
        try:
            while not self.stopping.is_set():
                try:
                    conn, _ = self.sock.accept()
                except TimeoutError:
                    continue
                except OSError:
                    if self.stopping.is_set():
                        break
                    continue
                if not self._allowed(conn) or not self._slots.acquire(blocking=False):
                    conn.close()
                    continue
                threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()
        finally:
            self.sock.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            self.pool.close()

    @staticmethod
    def _allowed(conn: socket.socket) -> bool:
        """Only our own user (or root) may talk to us, whatever the file modes say."""
        try:
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        except OSError:
            return False
        uid = int.from_bytes(creds[4:8], sys.byteorder)
        return uid in (os.geteuid(), 0)

    def _serve_one(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(10.0)  # for reading the request; the answer comes when it does
                try:
                    message = protocol.recv(conn)
                except (OSError, EOFError):
                    return
                except protocol.ProtocolError as exc:
                    self._answer(conn, {"ok": False, "error": "protocol", "message": str(exc)})
                    return
                self._answer(conn, self.handle(message))
        finally:
            self._slots.release()

    def handle(self, message: dict) -> dict:
        op = message.get("op")
        if op == "ping":
            return {"ok": True, "pong": True, "stats": self.pool.stats()}
        if op != "invoke":
            return {"ok": False, "error": "protocol", "message": "unknown op"}
        try:
            key, req, force_cold = protocol.parse_invoke(message)
            inv, cold = self.pool.invoke(key, req, force_cold=force_cold)
        except protocol.ProtocolError as exc:
            return {"ok": False, "error": "protocol", "message": str(exc)}
        except ValueError as exc:
            return {"ok": False, "error": "invalid", "message": str(exc)}
        except SandboxUnavailable as exc:
            return {
                "ok": False,
                "error": "unavailable",
                "message": exc.reason,
                "how_to_fix": exc.how_to_fix,
            }
        except Exception:  # a bug of ours: logged; the client then runs the invocation cold
            traceback.print_exc()
            return {"ok": False, "error": "internal", "message": "the warm runner failed"}
        return protocol.invocation_message(inv, cold)

    @staticmethod
    def _answer(conn: socket.socket, answer: dict) -> None:
        with contextlib.suppress(OSError, protocol.ProtocolError):
            conn.settimeout(10.0)
            protocol.send(conn, answer)

    def _reap(self) -> None:
        while not self.stopping.wait(_REAP_EVERY_S):
            self.pool.reap()

    def stop(self, *_args) -> None:
        self.stopping.set()


def _watch_parent(pid: int, daemon: Daemon) -> None:
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        daemon.stop()
        return
    select.select([fd], [], [])
    daemon.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--pidfile", type=Path)
    parser.add_argument("--exit-with", type=int, help="exit when this process exits")
    args = parser.parse_args(argv)
    cgroups.thaw_stale()
    daemon = Daemon(args.socket.resolve(), WarmPool(settings_from_env()))
    signal.signal(signal.SIGTERM, daemon.stop)
    signal.signal(signal.SIGINT, daemon.stop)
    if args.exit_with:
        threading.Thread(target=_watch_parent, args=(args.exit_with, daemon), daemon=True).start()
    if args.pidfile:
        args.pidfile.write_text(f"{os.getpid()}\n")
    try:
        daemon.serve()
    finally:
        if args.pidfile:
            with contextlib.suppress(FileNotFoundError):
                args.pidfile.unlink()


if __name__ == "__main__":
    main()
