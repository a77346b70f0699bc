"""Tunables of the sandbox, with safe defaults, and Lambda's fixed numbers."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Lambda's synchronous response limit, as its error quotes it: "Response payload size exceeded
# maximum allowed payload size (6291556 bytes)." That is 100 bytes more than the documented
# 6 MB (6,291,456 bytes, the request limit, MAX_EVENT_BYTES in the web layer); AWS prints and
# enforces 6,291,556, so the runner does too rather than "correcting" it.
MAX_RESPONSE_BYTES = 6_291_556
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
MIN_TIMEOUT_S = 1
MAX_TIMEOUT_S = 900
MAX_CODE_BYTES = 5 * 1024 * 1024
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


def _default_state_dir() -> Path:
    return Path(tempfile.gettempdir()) / "ccc-runner"


@dataclass(frozen=True)
class SandboxLimits:
    """How a sandbox is built. One instance can be shared by every invocation."""

    bwrap_path: str = "/usr/bin/bwrap"
    python_path: str = "/usr/bin/python3"
    node_path: str = "/usr/bin/node"
    # Node.js 24 (Lambda's nodejs24.x), from PyPI by `make node24` (install_node.py): under
    # /usr, so the sandbox's read-only /usr holds it; root-owned and 0555.
    node24_path: str = "/usr/local/lib/course-runtimes/node24/bin/node"
    # util-linux's prlimit sets Node's rlimits inside the sandbox (Node cannot call setrlimit).
    prlimit_path: str = "/usr/bin/prlimit"
    # Host-side state of the runner. The sandbox itself needs no host files (its files travel
    # in memfds); callers may keep their ConcurrencySlots/RateLimiter directories under here.
    state_dir: Path = field(default_factory=_default_state_dir)
    tmp_size_mb: int = 64
    max_processes: int = 64
    max_output_bytes: int = 65_536
    # Lambda allows 1,024; a handler here needs a few dozen, and each socket it could open is
    # memory it could pin (see sandbox._socket_bytes), so fewer.
    max_open_files: int = 256
    max_file_size_mb: int = 64
    # Lambda gives the INIT phase (runtime start + module import) up to 10 s of its own.
    init_timeout_s: float = 10.0
    # Host uid/gid the sandbox runs as when the server runs as root; unused otherwise.
    host_uid: int = 65534
    host_gid: int = 65534
    # None: use a cgroup (v1 memory + pids) when this process may create one, else the watchdog.
    use_cgroup: bool | None = None
    # How often the no-cgroup memory watchdog samples the sandbox's resident memory.
    watchdog_interval_s: float = 0.01
