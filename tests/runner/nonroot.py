"""Run the pure runner as an unprivileged server would: another uid, no cgroup of its own.

The documented non-root mode (README, "The function runner's sandbox") runs the web server as an
ordinary user. Then the sandbox has the server's own uid, cgroups are usually out of reach (the
memory watchdog takes over) and /proc/self/fd reopening works against us rather than for us, so
a hostile probe must be tried there too, not only under the root CI user.

``run_unprivileged`` copies ``course/runner`` (pure Python, standard library only) to a
world-readable folder and runs one invocation in a fresh ``/usr/bin/python3`` dropped to uid
65534 with util-linux's setpriv. The project's own interpreter may live where that uid cannot
read (pyenv under /root), and the copy keeps the test independent of where the clone is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[2] / "course" / "runner"
UNPRIVILEGED_UID = 65534
SYSTEM_PYTHON = "/usr/bin/python3"

DRIVER = r"""
import json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I: no script folder on the path
from course.runner import InvocationRequest, SandboxLimits, invoke, sandbox_status
from course.runner import cgroups
spec = json.load(sys.stdin)
limits = SandboxLimits(state_dir=__import__("pathlib").Path(spec["state_dir"]))
status = sandbox_status(limits)
if not status.ok:
    print(json.dumps({"unavailable": status.reason}))
    sys.exit(0)
started = time.monotonic()
inv = invoke(
    InvocationRequest(
        runtime=spec["runtime"], code=spec["code"], event=spec.get("event", {}),
        memory_mb=spec["memory_mb"], timeout_s=spec["timeout_s"],
    ),
    limits=limits,
)
print(json.dumps({
    "wall_s": time.monotonic() - started,
    "status": inv.status, "result": inv.result, "error": inv.error, "logs": inv.logs,
    "report": inv.report, "cgroup": cgroups.available(),
}))
"""


def unprivileged_available() -> str | None:
    """None when we can run an unprivileged server here, else why not."""
    if os.geteuid() != 0:
        return "dropping to another uid needs root (CI runs as root)"
    if not shutil.which("setpriv"):
        return "util-linux's setpriv is missing"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} is missing"
    return None


class Unprivileged:
    """A world-readable copy of the runner, reused by every call in a test session."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ccc-nonroot-"))
        package = self.root / "course"
        shutil.copytree(RUNNER, package / "runner", ignore=shutil.ignore_patterns("__pycache__"))
        (package / "__init__.py").write_text("")
        (self.root / "driver.py").write_text(DRIVER)
        self.state = self.root / "state"
        self.state.mkdir()
        os.chown(self.state, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
        for path in [self.root, *self.root.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o755 if path.is_dir() else 0o644)

    def run(self, code: str, runtime: str = "python", *, memory_mb: int = 128, timeout_s: int = 2):
        spec = {
            "code": code,
            "runtime": runtime,
            "memory_mb": memory_mb,
            "timeout_s": timeout_s,
            "state_dir": str(self.state),
        }
        started = time.monotonic()
        proc = subprocess.run(
            [
                "setpriv",
                f"--reuid={UNPRIVILEGED_UID}",
                f"--regid={UNPRIVILEGED_UID}",
                "--clear-groups",
                "--",
                SYSTEM_PYTHON,
                "-I",
                str(self.root / "driver.py"),
            ],
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            cwd=self.root,
            env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
            timeout=timeout_s + 60,
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(f"unprivileged runner failed: {proc.stderr[-3000:]}")
        outcome = json.loads(proc.stdout)
        outcome["process_wall_s"] = time.monotonic() - started
        return outcome

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


if __name__ == "__main__":  # a manual check: python -m tests.runner.nonroot
    runner = Unprivileged()
    try:
        runtime = (sys.argv[1:] or ["python"])[0]
        print(runner.run("def lambda_handler(e, c):\n    return 1\n", runtime))
    finally:
        runner.close()
