"""The Lambda runtimes we imitate: how each is started inside the sandbox.

``python`` and ``nodejs`` are the host's Debian interpreters; ``nodejs24`` is Node.js 24 from
PyPI (install_node.py), run by the same Node bootstrap."""

from __future__ import annotations

import json
import marshal
import math
import os
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .config import SandboxLimits

_BOOTSTRAPS = Path(__file__).resolve().parent / "bootstraps"
RUNTIME_NAMES = ("python", "nodejs", "nodejs24")
NODE_RUNTIMES = ("nodejs", "nodejs24")


def node_binary(runtime: str, limits: SandboxLimits) -> str:
    return limits.node24_path if runtime == "nodejs24" else limits.node_path


@dataclass(frozen=True)
class RuntimeInfo:
    name: str
    label: str
    available: bool
    reason: str = ""


@cache
def _bootstrap(name: str) -> bytes:
    return (_BOOTSTRAPS / name).read_bytes()


_PYC_SCRIPT = (
    "import importlib.util, marshal, sys\n"
    "code = compile(sys.stdin.buffer.read(), '/var/runtime/bootstrap.py', 'exec')\n"
    "sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))\n"
)
_pyc_lock = threading.Lock()
_pycs: dict[tuple[str, float], bytes | None] = {}


def _python_bootstrap_pyc(python_path: str) -> bytes | None:
    """The Python bootstrap compiled by the sandbox's interpreter itself (its bytecode format),
    once per interpreter; None if that fails, and the source is shipped instead.

    The lock is held while compiling: the first invocations of a fresh worker often arrive
    together, and they should wait for one compiler process, not each start their own at
    normal priority while pages are being served.
    """
    try:
        key = (python_path, os.stat(python_path).st_mtime)
    except OSError:
        return None
    with _pyc_lock:
        if key not in _pycs:
            try:
                # Our own trusted bootstrap, compiled by our own interpreter: no learner code.
                pyc = subprocess.run(
                    [python_path, "-I", "-S", "-c", _PYC_SCRIPT],
                    input=_bootstrap("python_bootstrap.py"),
                    capture_output=True,
                    timeout=30,
                    check=True,
                    env={},
                ).stdout
            except (OSError, subprocess.SubprocessError):
                pyc = None
            _pycs[key] = pyc or None
        return _pycs[key]


_version_lock = threading.Lock()
_versions: dict[tuple[str, str], str | None] = {}


def _version(kind: str, binary: str) -> str | None:
    """'3.11' / '20' for the label; our own trusted binary, so run directly (once, cached;
    the lock is held meanwhile so that concurrent first requests start one process)."""
    key = (kind, binary)
    with _version_lock:
        if key not in _versions:
            _versions[key] = _ask_version(kind, binary)
        return _versions[key]


def _ask_version(kind: str, binary: str) -> str | None:
    if kind == "python":
        cmd = [binary, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    else:
        cmd = [binary, "--version"]
    try:
        out = subprocess.run(
            cmd, capture_output=True, timeout=15, check=True, env={}, stdin=subprocess.DEVNULL
        ).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+\.\d+)" if kind == "python" else r"v?(\d+)\.", out)
    return match.group(1) if match else None


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _check_binary(path: str, what: str) -> str:
    if not _executable(path):
        return f"{what} is not installed ({path} not found)."
    # Only /usr is mounted in the sandbox, so the interpreter has to live there.
    if not os.path.realpath(path).startswith("/usr/"):
        return f"{what} must live under /usr to be usable in the sandbox ({path})."
    return ""


def runtimes(limits: SandboxLimits | None = None) -> dict[str, RuntimeInfo]:
    """Both runtimes, each marked available or not (with the reason); never hides one."""
    limits = limits or SandboxLimits()
    return {name: runtime_info(name, limits) for name in ("python", *NODE_RUNTIMES)}


def runtime_info(name: str, limits: SandboxLimits) -> RuntimeInfo:
    """One runtime, available or not (with the reason): what every invocation checks first."""
    if name == "python":
        problem = _check_binary(limits.python_path, "Python")
        version = None if problem else _version("python", limits.python_path)
        if not problem and version is None:
            problem = f"{limits.python_path} does not run."
        return RuntimeInfo(
            "python", f"Python {version}" if version else "Python", not problem, problem
        )
    binary = node_binary(name, limits)
    problem = _check_binary(binary, "Node.js") or _check_binary(
        limits.prlimit_path, "prlimit (util-linux)"
    )
    if problem and name == "nodejs24":
        problem += " Install it with `make node24` (as root)."
    version = None if problem else _version("nodejs", binary)
    if not problem and version is None:
        problem = f"{binary} does not run."
    label = f"Node.js {version}" if version else ("Node.js 24" if name == "nodejs24" else "Node.js")
    return RuntimeInfo(name, label, not problem, problem)


# ESM if the code has an import/export *statement*; `exports.handler =` is CommonJS.
_ESM = re.compile(
    r"^[ \t]*(export[ \t]+(default\b|async\b|function\b|const\b|let\b|var\b|class\b|\{|\*)"
    r"|import[ \t]+([\w$*{][^;\n]*[ \t]from[ \t]*)?[\"'])",
    re.MULTILINE,
)


def node_module_file(code: str) -> str:
    return "index.mjs" if _ESM.search(code) else "index.js"


@dataclass(frozen=True)
class Launch:
    """Per-runtime launch details for one invocation."""

    files: dict[str, bytes]  # path in the sandbox -> content
    argv: Callable[[int, int, bool], list[str]]


def check_event(event: object) -> None:
    """ValueError unless ``event`` is made of JSON types only (what Lambda could deliver)."""
    stack = [event]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (str, bool, int, float)):
            continue
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                raise ValueError("event is not JSON-compatible: object keys must be strings")
            stack.extend(item.values())
        else:
            raise ValueError(f"event is not JSON-compatible: {type(item).__name__} found")


def _cpu_seconds(limits: SandboxLimits, timeout_s: float) -> int:
    # A backstop only: the wall clock ends the run long before this on a single thread.
    return math.ceil(limits.init_timeout_s + timeout_s) + 1


def python_launch(
    code: str, event: object, request_id: str, memory_mb: int, timeout_s: float, limits
) -> Launch:
    try:
        # marshal, not JSON: loading it needs no import in the sandbox (json pulls in re).
        event_bytes = marshal.dumps(event, 4)
    except ValueError as exc:
        raise ValueError(f"event is not JSON-compatible: {exc}") from exc

    pyc = _python_bootstrap_pyc(limits.python_path)
    bootstrap = "/var/runtime/bootstrap.pyc" if pyc else "/var/runtime/bootstrap.py"

    def argv(ctl_fd: int, go_fd: int, has_cgroup: bool) -> list[str]:
        # Without a memory cgroup, an address-space cap keeps a runaway allocation bounded
        # between two watchdog samples; generous, since threads reserve stack address space.
        address_space = -1 if has_cgroup else (memory_mb + 1024) * 1024 * 1024
        rlimits = (
            limits.max_processes,
            limits.max_open_files,
            limits.max_file_size_mb * 1024 * 1024,
            _cpu_seconds(limits, timeout_s),
            0,
            address_space,
        )
        return [
            limits.python_path,
            "-I",
            "-S",
            "-B",
            "-u",
            bootstrap,
            str(ctl_fd),
            str(go_fd),
            request_id,
            str(int(timeout_s * 1000)),
            ",".join(str(v) for v in rlimits),
        ]

    return Launch(
        files={
            "/var/task/lambda_function.py": code.encode("utf-8", "surrogateescape"),
            bootstrap: pyc or _bootstrap("python_bootstrap.py"),
            "/var/runtime/event": event_bytes,
        },
        argv=argv,
    )


def node_launch(
    code: str,
    event: object,
    request_id: str,
    memory_mb: int,
    timeout_s: float,
    limits,
    runtime: str = "nodejs",
) -> Launch:
    try:
        event_bytes = json.dumps(event).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"event is not JSON-compatible: {exc}") from exc
    module_file = node_module_file(code)

    def argv(ctl_fd: int, go_fd: int, has_cgroup: bool) -> list[str]:
        return [
            limits.prlimit_path,
            f"--nproc={limits.max_processes}",
            f"--nofile={limits.max_open_files}",
            f"--fsize={limits.max_file_size_mb * 1024 * 1024}",
            f"--cpu={_cpu_seconds(limits, timeout_s)}",
            "--core=0",
            "--",
            node_binary(runtime, limits),
            # V8 reserves far more address space than it uses, so no RLIMIT_AS here: the heap
            # cap plus the memory cgroup (or the watchdog) do the job.
            f"--max-old-space-size={memory_mb}",
            "/var/runtime/bootstrap.cjs",
            str(ctl_fd),
            str(go_fd),
            request_id,
            str(int(timeout_s * 1000)),
            module_file,
        ]

    return Launch(
        files={
            f"/var/task/{module_file}": code.encode("utf-8", "surrogateescape"),
            "/var/runtime/bootstrap.cjs": _bootstrap("node_bootstrap.cjs"),
            "/var/runtime/event": event_bytes,
        },
        argv=argv,
    )
