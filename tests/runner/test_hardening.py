"""Hostile probes of the runner's hardening, in both runtimes, under a root and a non-root server.

Each class of attack the hardening issue found is tried the way a learner would try it:
- stalling the supervisor through descriptors reopened via /proc/self/fd (the run must still end
  within its timeout + 1 s);
- pinning memory in socket buffers (AF_UNIX pairs, loopback TCP) that a memory limit missed;
- socket families a network namespace does not isolate (AF_VSOCK...), growing socket buffers;
- host facts and other learners' activity in global /proc files; the open-files limit.

"root" runs the runner in this process (CI is root: the sandbox gets uid 65534 and, here, a v1
memory cgroup); "unprivileged" runs it as uid 65534 itself (tests/runner/nonroot.py), where the
sandbox shares the server's uid and the memory watchdog stands in for the cgroup.
"""

from __future__ import annotations

import os
import textwrap
import time

import pytest

from course.runner import SandboxLimits, sandbox
from tests.helpers import Unavailable, unavailable
from tests.runner.nonroot import Unprivileged, unprivileged_available

pytestmark = pytest.mark.sandbox

TIMEOUT_S = 2


def code(src: str) -> str:
    return textwrap.dedent(src).lstrip()


@pytest.fixture(scope="session")
def unprivileged_runner(limits):
    if isinstance(limits, Unavailable):
        yield limits
        return
    reason = unprivileged_available()
    if reason:
        yield unavailable(reason)
        return
    runner = Unprivileged()
    yield runner
    runner.close()


@pytest.fixture(params=["root", "unprivileged"])
def server(request, run, limits, node):
    """server(code, runtime, memory_mb=128, timeout_s=2) -> dict of the invocation + wall_s"""
    if request.param == "unprivileged":
        runner = request.getfixturevalue("unprivileged_runner")
        if isinstance(runner, Unavailable):
            pytest.fail(runner.reason) if os.environ.get("CI") == "true" else pytest.skip()

        def _unprivileged(src, runtime, memory_mb=128, timeout_s=TIMEOUT_S):
            outcome = runner.run(src, runtime, memory_mb=memory_mb, timeout_s=timeout_s)
            assert "unavailable" not in outcome, outcome
            return outcome

        return _unprivileged

    def _root(src, runtime, memory_mb=128, timeout_s=TIMEOUT_S):
        started = time.monotonic()
        inv = run(src, runtime=runtime, memory=memory_mb, timeout=timeout_s)
        return {**inv.as_dict(), "wall_s": time.monotonic() - started}

    return _root


@pytest.fixture(params=["python", "nodejs"])
def runtime(request, node):
    if request.param == "nodejs" and isinstance(node, Unavailable):
        pytest.fail(node.reason)
    return request.param


# --------------------------------------------------------------------------- 1. stalls

STALL = {
    # INIT: reopen the descriptor the runner writes "go" into (when it was a pipe, that worked
    # with the server's uid), fill it from the write side, keep a reader, and stop the bootstrap
    # from draining it by putting /dev/zero in its place. The runner's next write would block.
    "python": code("""
        import os, sys
        GO = int(sys.argv[2])
        try:
            w = os.open("/proc/self/fd/%d" % GO, os.O_WRONLY | os.O_NONBLOCK)
            keep = os.dup(GO)
            while True:
                os.write(w, b"x" * 4096)
        except OSError:
            pass
        os.dup2(os.open("/dev/zero", os.O_RDONLY), GO)

        def lambda_handler(event, context):
            import time
            time.sleep(30)
    """),
    # Node cannot dup2, but a pipe filled with whole pages stays full after the bootstrap reads
    # its one byte, so the runner's write would still block.
    "nodejs": code("""
        const fs = require('fs');
        const go = process.argv[3];
        try {
          const flags = fs.constants.O_WRONLY | fs.constants.O_NONBLOCK;
          const w = fs.openSync('/proc/self/fd/' + go, flags);
          while (true) fs.writeSync(w, Buffer.alloc(4096, 120));
        } catch (e) {}
        exports.handler = async () => { while (true) {} };
    """),
}


def test_descriptor_games_cannot_stall_the_supervisor(server, runtime):
    outcome = server(STALL[runtime], runtime)
    assert outcome["wall_s"] < TIMEOUT_S + 1, outcome
    # Timed out, or its own garbage on the result channel was refused, or the runtime choked on
    # it: whichever, it is the run that failed, and in time.
    assert outcome["status"] == "failed"


def test_the_runners_write_channels_cannot_be_reopened(server, runtime):
    src = {
        "python": code("""
            import os, sys
            try:
                os.open("/proc/self/fd/" + sys.argv[2], os.O_WRONLY)
                ANSWER = "reopened"
            except OSError as exc:
                ANSWER = exc.errno
            def lambda_handler(event, context):
                return ANSWER
        """),
        "nodejs": code("""
            const fs = require('fs');
            const go = process.argv[3];
            let answer;
            try { fs.openSync('/proc/self/fd/' + go, 'w'); answer = 'reopened'; }
            catch (e) { answer = e.code; }
            exports.handler = async () => answer;
        """),
    }[runtime]
    outcome = server(src, runtime)
    assert outcome["result"] in (6, "ENXIO"), outcome  # a socket cannot be opened via /proc


def test_the_backstop_kills_a_sandbox_whose_supervisor_is_stuck(run, monkeypatch):
    """Were the loop ever to block on a channel, the sandbox still dies at its deadline."""

    drain = sandbox._Output.drain

    def drain_then_block(self, max_chunks=64):
        drain(self, max_chunks)
        if b"stall-now" in self.data:  # printed by the handler: the loop is stuck from here
            os.set_blocking(self.fd, True)
            while os.read(self.fd, 65536):  # returns only at EOF, once the sandbox is dead
                pass
            self.eof = True

    monkeypatch.setattr(sandbox._Output, "drain", drain_then_block)
    started = time.monotonic()
    inv = run(
        "import time\n\ndef lambda_handler(e, c):\n    print('stall-now')\n    time.sleep(60)\n",
        timeout=TIMEOUT_S,
    )
    assert time.monotonic() - started < TIMEOUT_S + 1
    assert inv.status == "failed"


# --------------------------------------------------------------------------- 2. socket memory

UNIX_FLOOD = {
    # Fill socketpairs until the open-files limit, each side to the brim, in several processes.
    "python": code("""
        import os, socket
        def lambda_handler(event, context):
            for _ in range(3):
                if os.fork() == 0:
                    break
            pairs = []
            try:
                while True:
                    a, b = socket.socketpair()
                    a.setblocking(False)
                    b.setblocking(False)
                    pairs.append((a, b))
                    for s in (a, b):
                        try:
                            while True:
                                s.send(b"x" * 65536)
                        except BlockingIOError:
                            pass
            except OSError:
                pass
            import time
            time.sleep(30)
    """),
    # Node has no socketpair(): as many unix connections as its open-files limit allows (each
    # socket can pin ~400 KB), plus 48 MB of its own, together well over its 128 MB.
    "nodejs": code("""
        const net = require('net');
        exports.handler = async () => {
          const own = Buffer.alloc(48 << 20, 1);
          const path = '/tmp/flood.sock';
          const server = net.createServer((c) => c.pause());
          await new Promise((r) => server.listen(path, r));
          const chunk = Buffer.alloc(1 << 16, 120);
          for (let i = 0; i < 110; i++) {
            const c = net.connect(path);
            c.on('error', () => {});
            for (let j = 0; j < 8; j++) c.write(chunk);
          }
          await new Promise((r) => setTimeout(r, 30000));
          return own.length;
        };
    """),
}

TCP_FLOOD = {
    # 100 loopback connections whose server never reads: the kernel queues all that is sent.
    "python": code("""
        import socket
        def lambda_handler(event, context):
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen(200)
            held = []
            for _ in range(100):
                c = socket.create_connection(server.getsockname())
                s, _ = server.accept()
                c.setblocking(False)
                held.append((c, s))
                try:
                    while True:
                        c.send(b"x" * 65536)
                except BlockingIOError:
                    pass
            import time
            time.sleep(30)
    """),
    "nodejs": code("""
        const net = require('net');
        exports.handler = async () => {
          const server = net.createServer((c) => c.pause());
          await new Promise((r) => server.listen(0, '127.0.0.1', r));
          const port = server.address().port;
          const chunk = Buffer.alloc(1 << 16, 120);
          for (let i = 0; i < 100; i++) {
            const c = net.connect(port, '127.0.0.1');
            c.on('error', () => {});
            c.on('connect', () => { for (let j = 0; j < 160; j++) c.write(chunk); });
          }
          await new Promise((r) => setTimeout(r, 30000));
        };
    """),
}


@pytest.mark.parametrize("flood", ["unix", "tcp"])
def test_socket_buffers_count_against_the_functions_memory(server, runtime, flood):
    src = (UNIX_FLOOD if flood == "unix" else TCP_FLOOD)[runtime]
    outcome = server(src, runtime, timeout_s=10)
    # Killed as out of memory long before its 10 s, not left holding socket memory.
    assert outcome["error"]["errorType"] == "Runtime.ExitError", outcome
    assert outcome["error"]["errorMessage"].endswith("signal: killed")
    assert outcome["report"]["max_memory_used_mb"] == 128
    assert outcome["wall_s"] < 8, outcome["wall_s"]


def test_socket_accounting_sees_every_socket_in_the_sandbox(run):
    """In-flight sockets (passed over SCM_RIGHTS, then closed) are still counted."""
    inv = run(
        code("""
            import array, socket, time
            def lambda_handler(event, context):
                carrier, far = socket.socketpair()
                for _ in range(120):
                    a, b = socket.socketpair()
                    carrier.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                              array.array("i", [a.fileno(), b.fileno()]))])
                    a.close()
                    b.close()
                own = bytearray(48 << 20)
                time.sleep(5)
                return len(own)
        """),
        timeout=8,
    )
    # 240 sockets in flight can pin ~100 MB: with its own 48 MB, more than its 128 MB.
    assert inv.error["errorType"] == "Runtime.ExitError", inv.logs
    assert inv.report["max_memory_used_mb"] == 128


# --------------------------------------------------------------------------- 5. smaller leaks

FAMILIES = {
    "python": code("""
        import errno, socket
        def lambda_handler(event, context):
            out = {}
            for name, kind, proto in [("AF_VSOCK", socket.SOCK_STREAM, 0),
                                      ("AF_ALG", socket.SOCK_SEQPACKET, 0),
                                      ("AF_PACKET", socket.SOCK_RAW, 0),
                                      ("AF_KEY", socket.SOCK_RAW, 2),
                                      ("AF_NETLINK", socket.SOCK_RAW, 15),
                                      ("AF_UNIX", socket.SOCK_STREAM, 0),
                                      ("AF_INET", socket.SOCK_STREAM, 0),
                                      ("AF_INET6", socket.SOCK_STREAM, 0)]:
                try:
                    socket.socket(getattr(socket, name), kind, proto).close()
                    out[name] = "ok"
                except OSError as exc:
                    out[name] = errno.errorcode[exc.errno]
            a, _ = socket.socketpair()
            try:
                a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
                out["SO_RCVBUF"] = "ok"
            except OSError as exc:
                out["SO_RCVBUF"] = errno.errorcode[exc.errno]
            out["interfaces"] = [name for _, name in socket.if_nameindex()]
            return out
    """),
    "nodejs": code("""
        const os = require('os');
        exports.handler = async () => ({ interfaces: Object.keys(os.networkInterfaces()) });
    """),
}


def test_socket_families_a_function_has_no_use_for_are_refused(server, runtime):
    outcome = server(FAMILIES[runtime], runtime)
    assert outcome["status"] == "succeeded", outcome
    result = outcome["result"]
    assert result["interfaces"] == ["lo"]  # NETLINK_ROUTE stays, and sees only the loopback
    if runtime == "python":
        for family in ("AF_VSOCK", "AF_ALG", "AF_PACKET", "AF_KEY"):
            assert result[family] == "EAFNOSUPPORT", result
        assert result["AF_NETLINK"] == "EPROTONOSUPPORT"  # NETLINK_KOBJECT_UEVENT: host events
        assert result["AF_UNIX"] == result["AF_INET"] == result["AF_INET6"] == "ok"
        assert result["SO_RCVBUF"] == "EPERM"


PROC = {
    "python": code("""
        import resource
        def lambda_handler(event, context):
            out = {}
            for name in ("cmdline", "stat", "meminfo", "loadavg", "diskstats",
                         "sys/kernel/random/boot_id"):
                with open("/proc/" + name) as fh:
                    out[name] = fh.read()
            out["nofile"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            return out
    """),
    "nodejs": code("""
        const fs = require('fs');
        const os = require('os');
        exports.handler = async () => {
          const out = {};
          for (const name of ['cmdline', 'stat', 'meminfo', 'loadavg', 'diskstats',
                              'sys/kernel/random/boot_id'])
            out[name] = fs.readFileSync('/proc/' + name, 'utf8');
          out.totalmem = os.totalmem();
          return out;
        };
    """),
}


def _host(name: str) -> str:
    with open(f"/proc/{name}") as fh:
        return fh.read()


def test_global_proc_files_show_nothing_of_the_host(server, runtime):
    outcome = server(PROC[runtime], runtime, memory_mb=256)
    assert outcome["status"] == "succeeded", outcome
    seen = outcome["result"]
    assert seen["cmdline"] == "" and seen["diskstats"] == ""
    assert "processes 0\n" in seen["stat"]
    assert seen["stat"].count("\ncpu") == len(os.sched_getaffinity(0))
    assert "MemTotal:         262144 kB" in seen["meminfo"]
    assert seen["loadavg"].startswith("0.00 0.00 0.00")
    assert seen["sys/kernel/random/boot_id"].strip() != _host("sys/kernel/random/boot_id").strip()
    if runtime == "python":
        assert seen["nofile"] == SandboxLimits().max_open_files <= 256
    else:
        assert seen["totalmem"] == 256 * 1024 * 1024


def test_boot_id_is_fresh_for_every_sandbox(run):
    src = "def lambda_handler(e, c):\n    return open('/proc/sys/kernel/random/boot_id').read()\n"
    assert run(src).result != run(src).result
