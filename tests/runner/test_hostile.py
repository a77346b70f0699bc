"""Hostile code: each attack is contained, and the runner still works normally afterwards."""

from __future__ import annotations

import json
import os
import socket
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from course.runner import SandboxLimits, sandbox, seccomp

pytestmark = pytest.mark.sandbox

PROJECT = Path(__file__).resolve().parents[2]


def code(src: str) -> str:
    return textwrap.dedent(src).lstrip()


def host_processes_mentioning(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker`` (this test process excluded), once
    the runner has finished tearing down the sandboxes it already answered for."""
    assert sandbox.settle(timeout_s=10.0)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


PROBE = code("""
    import os
    def attempt(fn):
        try:
            return ["ok", fn()]
        except Exception as exc:
            return ["error", type(exc).__name__]
""")


def test_host_files_are_not_there(run, healthy):
    paths = [
        str(PROJECT),
        str(PROJECT / "var"),
        str(PROJECT / "course" / "settings.py"),
        str(PROJECT / ".venv"),
        "/root",
        "/home",
        "/etc/shadow",
        "/etc/ssh",
        "/sys",
        "/var/lib",
    ]
    inv = run(
        PROBE
        + code("""
            def lambda_handler(event, context):
                return {
                    "exists": {p: os.path.exists(p) for p in event["paths"]},
                    "root": sorted(os.listdir("/")),
                    "etc": sorted(os.listdir("/etc")),
                    "passwd": open("/etc/passwd").read(),
                    "db": attempt(lambda: open(event["paths"][1] + "/db.sqlite3", "rb").read()),
                }
        """),
        event={"paths": paths},
    )
    result = inv.result
    assert result["exists"] == dict.fromkeys(paths, False)
    assert result["root"] == [
        "bin",
        "dev",
        "etc",
        "lib",
        "lib64",
        "proc",
        "sbin",
        "tmp",
        "usr",
        "var",
    ]
    assert result["etc"] == ["group", "hosts", "passwd"]
    assert "sbx_user1051" in result["passwd"] and "$" not in result["passwd"]
    assert result["db"][0] == "error"
    healthy()


def test_no_host_directory_is_mounted(run, healthy):
    inv = run(
        code("""
            def lambda_handler(event, context):
                return [line.split()[3:5] for line in open("/proc/self/mountinfo")]
        """)
    )
    # The /proc masks are bwrap's copies of our memfds, on the sandbox's own tmpfs; those of
    # /proc/pressure are files on a tmpfs of their own over that directory.
    masks = {(root, point) for root, point in inv.result if point.startswith("/proc/")}
    pressure = {(root, point) for root, point in masks if point == "/proc/pressure"}
    assert pressure <= {("/", "/proc/pressure")}, masks
    assert all(root.startswith("/bindfile") for root, _ in masks - pressure), masks
    sources = {root for root, point in inv.result if (root, point) not in masks}
    mountpoints = {point for _, point in inv.result}
    # Only /usr comes from the host's disk; the rest are the sandbox's own tmpfs, proc, devices.
    assert "/usr" in mountpoints
    host_roots = (
        sources
        - {"/", "/usr", "/newroot"}
        - {f"/{d}" for d in ("null", "zero", "full", "random", "urandom", "tty")}
    )
    assert host_roots == set(), inv.result
    healthy()


def test_server_environment_is_invisible(run, healthy, monkeypatch):
    monkeypatch.setenv("SECRET_CANARY", "canary-7d2a9")
    inv = run(
        PROBE
        + code("""
            def lambda_handler(event, context):
                seen = {}
                for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
                    for name in ("environ", "cmdline"):
                        seen[f"{pid}/{name}"] = attempt(
                            lambda: open(f"/proc/{pid}/{name}", "rb").read().decode("latin-1"))
                seen["ppid"] = os.getppid()
                seen["env"] = dict(os.environ)
                return seen
        """)
    )
    text = json.dumps(inv.result)
    assert "canary-7d2a9" not in text
    assert "SECRET_CANARY" not in text
    assert str(PROJECT) not in text
    assert "DJANGO" not in text
    assert inv.result["1/environ"] == ["ok", ""]
    assert inv.result[f"{inv.result['ppid']}/environ"] == ["ok", ""]
    healthy()


def test_no_network(run, healthy):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        inv = run(
            PROBE
            + code("""
                import socket
                def connect(host, port):
                    s = socket.create_connection((host, port), timeout=2)
                    s.sendall(b"hello from the sandbox")
                    return "connected"
                def lambda_handler(event, context):
                    return {
                        "loopback": attempt(lambda: connect("127.0.0.1", event["port"])),
                        "metadata": attempt(lambda: connect("169.254.169.254", 80)),
                        "outside": attempt(lambda: connect("1.1.1.1", 53)),
                        "dns": attempt(lambda: socket.getaddrinfo("example.com", 80)),
                        "interfaces": [line.split(":")[0].strip()
                                       for line in open("/proc/net/dev").readlines()[2:]],
                    }
            """),
            event={"port": port},
            timeout=10,
        )
        result = inv.result
        assert result["loopback"] == ["error", "ConnectionRefusedError"]
        assert result["metadata"][0] == "error"
        assert result["outside"][0] == "error"
        assert result["dns"][0] == "error"
        assert result["interfaces"] == ["lo"]
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    healthy()


def test_cannot_write_outside_tmp(run, healthy):
    targets = [
        "/var/task/x",
        "/var/runtime/x",
        "/usr/x",
        "/x",
        "/etc/passwd",
        "/dev/x",
        "/dev/shm/x",
        "/proc/sys/kernel/hostname",
        "/tmp/ok",
    ]
    inv = run(
        PROBE
        + code("""
            def write(path):
                with open(path, "w") as fh:
                    fh.write("x")
                return "written"
            def lambda_handler(event, context):
                return {p: attempt(lambda: write(p)) for p in event["targets"]}
        """),
        event={"targets": targets},
    )
    for target in targets[:-1]:
        assert inv.result[target][0] == "error", target
    assert inv.result["/tmp/ok"] == ["ok", "written"]
    healthy()


def test_filling_tmp_stops_at_its_size(run, healthy):
    limits = SandboxLimits(tmp_size_mb=16)
    inv = run(
        code("""
            import errno
            def lambda_handler(event, context):
                written = 0
                chunk = b"x" * (1 << 20)
                try:
                    with open("/tmp/fill", "wb") as fh:
                        while written < (200 << 20):
                            fh.write(chunk)
                            fh.flush()
                            written += len(chunk)
                except OSError as exc:
                    return {"error": errno.errorcode[exc.errno], "written_mb": written >> 20}
                return {"error": None, "written_mb": written >> 20}
        """),
        limits=limits,
        memory=256,
    )
    assert inv.status == "succeeded", inv.logs
    assert inv.result["error"] == "ENOSPC"
    assert inv.result["written_mb"] <= 16
    healthy()


def test_tmp_is_fresh_each_time(run):
    marker = uuid.uuid4().hex
    first = run(
        f"def lambda_handler(e, c):\n    open('/tmp/{marker}', 'w').write('x')\n    return 1\n"
    )
    assert first.status == "succeeded"
    second = run("import os\ndef lambda_handler(e, c):\n    return os.listdir('/tmp')\n")
    assert second.result == []


def test_fork_bomb(run, healthy):
    started = time.monotonic()
    inv = run(
        code("""
            import os
            def lambda_handler(event, context):
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
        """),
        timeout=2,
    )
    assert time.monotonic() - started < 15
    assert inv.status == "failed"
    assert inv.error["errorType"] == "Sandbox.Timedout"
    assert host_processes_mentioning("/var/runtime/bootstrap.py") == []
    healthy()


def test_process_limit(run):
    inv = run(
        code("""
            import subprocess
            def lambda_handler(event, context):
                children = []
                try:
                    for _ in range(500):
                        children.append(subprocess.Popen(["sleep", "30"]))
                except OSError as exc:
                    return [len(children), type(exc).__name__]
                return [len(children), None]
        """)
    )
    started, error = inv.result
    assert error == "BlockingIOError"
    assert 10 < started < 64


def test_thread_bomb(run, healthy):
    inv = run(
        code("""
            import threading, time
            def lambda_handler(event, context):
                threads = []
                try:
                    while True:
                        t = threading.Thread(target=time.sleep, args=(60,), daemon=True)
                        t.start()
                        threads.append(t)
                except RuntimeError as exc:
                    return [len(threads), str(exc)]
        """)
    )
    count, message = inv.result
    assert count < 64
    assert message == "can't start new thread"
    healthy()


def test_memory_bomb(run, healthy):
    inv = run(
        code("""
            def lambda_handler(event, context):
                hoard = []
                while True:
                    hoard.append(b"x" * (1 << 20))
        """),
        timeout=10,
    )
    assert inv.error["errorType"] == "Runtime.ExitError"
    assert inv.error["errorMessage"].endswith("signal: killed")
    assert inv.report["max_memory_used_mb"] == 128
    healthy()


@pytest.mark.parametrize("use_cgroup", [False], ids=["watchdog"])
def test_memory_bomb_without_cgroup(run, healthy, use_cgroup):
    limits = SandboxLimits(use_cgroup=use_cgroup)
    inv = run(
        "def lambda_handler(event, context):\n    return len(bytearray(400 * 1024 * 1024))\n",
        limits=limits,
    )
    assert inv.error["errorType"] == "Runtime.ExitError"
    assert inv.error["errorMessage"].endswith("signal: killed")
    assert inv.report["max_memory_used_mb"] == 128
    node_inv = (
        run(
            "exports.handler = async () => { const a = []; "
            "for (let i = 0; i < 400; i++) a.push(Buffer.alloc(1 << 20, 1)); return a.length; };",
            runtime="nodejs",
            limits=limits,
        )
        if _node_available(limits)
        else None
    )
    if node_inv is not None:
        assert node_inv.error["errorMessage"].endswith("signal: killed")
    healthy()


def _node_available(limits) -> bool:
    from course.runner import runtimes

    return runtimes(limits)["nodejs"].available


def test_output_flood(run, healthy):
    started = time.monotonic()
    inv = run(
        code("""
            import sys
            def lambda_handler(event, context):
                line = "A" * 1023 + "\\n"
                for _ in range(100 * 1024):
                    sys.stdout.write(line)
                return "flooded"
        """),
        timeout=30,
    )
    elapsed = time.monotonic() - started
    assert inv.status == "succeeded"
    assert inv.result == "flooded"
    assert inv.logs_truncated is True
    assert "[runner] Log output truncated" in inv.logs
    assert len(inv.logs.encode()) < 65536 + 1024
    assert inv.logs.rstrip("\n").splitlines()[-1].startswith("REPORT ")
    assert elapsed < 15
    healthy()


def test_output_flood_without_newlines_then_timeout(run, healthy):
    inv = run(
        "import os\n\ndef lambda_handler(e, c):\n    while True:\n"
        "        os.write(1, b'z' * 65536)\n",
        timeout=1,
    )
    assert inv.error["errorType"] == "Sandbox.Timedout"
    assert inv.logs_truncated is True
    healthy()


def test_detached_processes_do_not_outlive_the_invocation(run, healthy):
    marker = f"marker-{uuid.uuid4().hex}"
    inv = run(
        code(f"""
            import os, subprocess, time
            def lambda_handler(event, context):
                subprocess.Popen(["/bin/sh", "-c", "sleep 600; : {marker}-popen"],
                                 start_new_session=True)
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        os.execv("/bin/sh", ["sh", "-c", "sleep 600; : {marker}-double"])
                    os._exit(0)
                time.sleep(0.3)
                return "spawned"
        """)
    )
    assert inv.result == "spawned"
    assert host_processes_mentioning(marker) == []
    healthy()


def test_node_detached_child_does_not_outlive_the_invocation(run, node, healthy):
    marker = f"marker-{uuid.uuid4().hex}"
    inv = run(
        "const { spawn } = require('child_process');\n"
        "exports.handler = async () => {\n"
        f"  spawn('/bin/sh', ['-c', 'sleep 600; : {marker}'], "
        "{ detached: true, stdio: 'ignore' }).unref();\n"
        "  await new Promise((r) => setTimeout(r, 300));\n"
        "  return 'spawned';\n"
        "};\n",
        runtime="nodejs",
    )
    assert inv.result == "spawned"
    assert host_processes_mentioning(marker) == []
    healthy()


@pytest.mark.parametrize(
    "attack",
    ["os.kill(os.getppid(), 9)", "os.kill(-1, 9)", "os.kill(1, 9)", "os.killpg(0, 9)"],
)
def test_killing_everything_it_can_see(run, healthy, attack):
    inv = run(
        "import os, time\n\ndef lambda_handler(e, c):\n    try:\n"
        f"        {attack}\n"
        "    except OSError as exc:\n        return type(exc).__name__\n"
        "    time.sleep(0.2)\n    return 'still here'\n"
    )
    # Pid 1 of a pid namespace ignores signals from inside it and nothing else of ours is
    # visible, so the run either carries on or dies; the server and the next run are fine.
    if inv.status == "failed":
        assert inv.error["errorType"] == "Runtime.ExitError"
    else:
        assert inv.result in ("still here", "ProcessLookupError", "PermissionError")
    healthy()


def test_symlinks_lead_nowhere(run, healthy, tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("host secret 5e1b")
    inv = run(
        PROBE
        + code("""
            def lambda_handler(event, context):
                return {
                    "tmp": attempt(lambda: os.symlink(event["secret"], "/tmp/link")),
                    "task": attempt(lambda: os.symlink(event["secret"], "/var/task/link")),
                    "read": attempt(lambda: open("/tmp/link").read()),
                }
        """),
        event={"secret": str(secret)},
    )
    assert inv.result["tmp"] == ["ok", None]
    assert inv.result["task"][0] == "error"
    assert inv.result["read"] == ["error", "FileNotFoundError"]
    assert "5e1b" not in inv.logs
    assert secret.read_text() == "host secret 5e1b"
    healthy()


def test_privileges(run, healthy):
    inv = run(
        PROBE
        + code("""
            import subprocess
            def status(key):
                for line in open("/proc/self/status"):
                    if line.startswith(key + ":"):
                        return line.split()[1]
            def lambda_handler(event, context):
                return {
                    "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getgroups()],
                    "caps": [status("CapEff"), status("CapPrm"), status("CapBnd")],
                    "no_new_privs": status("NoNewPrivs"),
                    "userns": subprocess.run(["unshare", "--user", "true"],
                                             capture_output=True).returncode,
                    "chroot": attempt(lambda: os.chroot("/tmp")),
                    "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
                }
        """)
    )
    result = inv.result
    assert result["ids"] == [993, 993, 990, []]
    assert result["caps"] == ["0000000000000000"] * 3
    assert result["no_new_privs"] == "1"
    assert result["userns"] != 0
    assert result["chroot"] == ["error", "PermissionError"]
    assert result["processes"][0] == 1 and len(result["processes"]) <= 3
    healthy()


def test_forged_result_frame_cannot_change_the_report(run, healthy):
    inv = run(
        code("""
            import os, sys
            def lambda_handler(event, context):
                ctl = int(sys.argv[1])
                fake = b'{"errorMessage": "x", "errorType": "Fake"'
                os.write(ctl, b"E" + (10**12).to_bytes(8, "big") + fake)
                print("REPORT RequestId: forged\\tDuration: 1.00 ms")
                return "normal"
        """)
    )
    assert inv.status == "failed"
    assert inv.error["errorType"] == "Runtime.InvalidResponse"
    report_lines = [line for line in inv.logs.splitlines() if line.startswith("REPORT ")]
    assert report_lines[-1].startswith(f"REPORT RequestId: {inv.request_id}\t")
    healthy()


@pytest.mark.skipif(seccomp.program() is None, reason="no seccomp table for this architecture")
def test_seccomp_closes_risky_kernel_interfaces(run, healthy):
    inv = run(
        code("""
            import ctypes, errno, os
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            def call(nr, *args):
                ctypes.set_errno(0)
                result = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
                return errno.errorcode.get(ctypes.get_errno(), "0") if result == -1 else "ok"
            def lambda_handler(event, context):
                mode = [l.split()[1] for l in open("/proc/self/status") if l.startswith("Seccomp:")]
                return {
                    "mode": mode[0],
                    "ptrace": call(101, 0, 0, 0, 0),
                    "bpf": call(321, 0, 0, 0),
                    "userfaultfd": call(323, 0),
                    "keyctl": call(250, 0, 0),
                    "perf_event_open": call(298, 0, 0, -1, -1, 0),
                    "io_uring_setup": call(425, 1, 0),
                    "x32_getpid": call(0x40000000 | 39),
                    "getpid": call(39),
                }
        """)
    )
    assert inv.result == {
        "mode": "2",
        "ptrace": "EPERM",
        "bpf": "EPERM",
        "userfaultfd": "EPERM",
        "keyctl": "EPERM",
        "perf_event_open": "EPERM",
        "io_uring_setup": "ENOSYS",
        "x32_getpid": "EPERM",
        "getpid": "ok",
    }
    healthy()
