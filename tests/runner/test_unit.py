"""Pure parts of the runner: the bwrap command line, REPORT maths, validation, availability."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from course.runner import (
    InvocationRequest,
    SandboxLimits,
    SandboxUnavailable,
    invoke,
    runtimes,
    sandbox_status,
)
from course.runner.interpreters import node_module_file
from course.runner.invocation import billed_ms, report_line
from course.runner.sandbox import build_bwrap_args

pytestmark = pytest.mark.sandbox

REQUEST = InvocationRequest(
    runtime="python", code="def lambda_handler(e, c): pass\n", event={}, memory_mb=128, timeout_s=3
)


def test_billed_duration_includes_init():
    assert billed_ms(12.34, 127.01) == 140
    assert billed_ms(0.5, 0.49) == 1
    assert billed_ms(10.0, 20.0) == 30  # exactly whole: no extra millisecond
    assert billed_ms(0.1, 0.2) == 1
    assert billed_ms(0.0, 0.0) == 1


def test_report_line_shape():
    line = report_line(
        "abc",
        {
            "duration_ms": 15.7,
            "billed_duration_ms": 147,
            "memory_size_mb": 128,
            "max_memory_used_mb": 56,
            "init_duration_ms": 130.49,
        },
    )
    assert line == (
        "REPORT RequestId: abc\tDuration: 15.70 ms\tBilled Duration: 147 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 130.49 ms"
    )


def test_bwrap_command_line():
    args = build_bwrap_args(
        files=[(7, "/var/task/lambda_function.py")],
        env={"PATH": "/usr/bin:/bin"},
        tmp_size_mb=64,
        command=["/usr/bin/python3", "boot.py"],
        info_fd=9,
    )
    joined = " ".join(args)
    for flag in (
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--clearenv",
        "--cap-drop ALL",
        "--uid 993",
        "--gid 990",
        "--ro-bind /usr /usr",
        "--proc /proc",
        "--dev /dev",
        f"--size {64 * 1024 * 1024} --tmpfs /tmp",
        "--remount-ro /",
        "--chdir /var/task",
        "--perms 0444 --file 7 /var/task/lambda_function.py",
        "--setenv PATH /usr/bin:/bin",
        "--info-fd 9",
    ):
        assert flag in joined, flag
    # The new session comes from Popen (see test_hostile's terminal test): bwrap's own
    # --new-session would put the sandbox in a second, full-priority scheduling group.
    assert "--new-session" not in args
    # Nothing writable from the host, nothing shared with the network.
    assert "--bind" not in args and "--dev-bind" not in args and "--share-net" not in args
    assert args.index("--remount-ro") > args.index("--file")
    assert args[args.index("--") :] == ["--", "/usr/bin/python3", "boot.py"]
    for path in ("/work", "/root", "/home", ".venv"):
        assert path not in joined


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"runtime": "ruby"}, "unknown runtime"),
        ({"memory_mb": 64}, "memory_mb"),
        ({"memory_mb": 20_000}, "memory_mb"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": 1.5}, "timeout_s"),
        ({"function_name": "bad name/../x"}, "function_name"),
        ({"code": "x" * (6 * 1024 * 1024)}, "larger"),
    ],
)
def test_invalid_requests(change, message):
    fields = {**REQUEST.__dict__, **change}
    with pytest.raises(ValueError, match=message):
        invoke(InvocationRequest(**fields), limits=SandboxLimits(bwrap_path="/nonexistent"))


def test_missing_bwrap_is_reported_and_nothing_runs(tmp_path):
    canary = tmp_path / "ran"
    limits = SandboxLimits(bwrap_path=str(tmp_path / "no-bwrap"))
    status = sandbox_status(limits)
    assert status.ok is False
    assert "not installed" in status.reason
    assert "apt-get install bubblewrap" in status.how_to_fix
    code = f"open({str(canary)!r}, 'w').write('x')\ndef lambda_handler(e, c): pass\n"
    request = InvocationRequest("python", code, {}, 128, 3)
    with pytest.raises(SandboxUnavailable) as info:
        invoke(request, limits=limits)
    assert info.value.reason == status.reason
    assert info.value.how_to_fix
    assert not canary.exists()


def test_broken_bwrap_is_reported():
    # Somewhere the sandbox's unprivileged host uid can reach (pytest's tmp_path is 0700).
    directory = Path(tempfile.mkdtemp())
    directory.chmod(0o755)
    fake = directory / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    status = sandbox_status(SandboxLimits(bwrap_path=str(fake)))
    assert status.ok is False
    assert "No permissions to create new namespace" in status.reason
    assert "user namespaces" in status.how_to_fix
    shutil.rmtree(directory)


def test_missing_runtime_is_listed_as_unavailable(limits):
    available = runtimes(limits)
    assert set(available) == {"python", "nodejs", "nodejs24"}
    assert available["python"].available
    assert available["python"].label.startswith("Python 3.")
    broken = SandboxLimits(node_path="/nonexistent/node")
    info = runtimes(broken)["nodejs"]
    assert info.available is False
    assert "/nonexistent/node" in info.reason
    assert info.label == "Node.js"
    request = InvocationRequest("nodejs", "exports.handler = async () => 1;", {}, 128, 3)
    with pytest.raises(SandboxUnavailable, match="not installed"):
        invoke(request, limits=broken)


def test_interpreter_outside_usr_is_refused(tmp_path):
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    info = runtimes(SandboxLimits(python_path=str(fake)))["python"]
    assert info.available is False
    assert "under /usr" in info.reason


@pytest.mark.parametrize("event", [{1: "a"}, {"a": {1, 2}}, [b"bytes"], {"t": (1, 2)}, object()])
def test_event_must_be_json(event):
    request = InvocationRequest("python", "def lambda_handler(e, c): pass\n", event, 128, 3)
    with pytest.raises(ValueError, match="JSON-compatible"):
        invoke(request, limits=SandboxLimits(bwrap_path="/nonexistent"))


def test_esm_detection():
    assert node_module_file("exports.handler = async () => 1;") == "index.js"
    assert node_module_file("// export const x = 1 is ESM\nexports.handler = 1;") == "index.js"
    assert node_module_file("export const handler = async () => 1;") == "index.mjs"
    assert node_module_file("import fs from 'fs';\nexports.handler = 1;") == "index.mjs"
    assert node_module_file("const s = require('fs');\nexports.handler = 1;") == "index.js"
