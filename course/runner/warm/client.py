"""The web workers' side: ask the host's warm daemon, else run cold in-process.

``invoke_warm`` is the seam ``course/functions/execution.py`` calls. When the daemon is not
running, restarting, or answers with something that is not the protocol, the invocation runs
cold in this process exactly as ``course.runner.invoke`` would, and is reported cold: a missing
daemon costs a cold start, never an error. Errors of the request itself (ValueError) and an
unusable sandbox (SandboxUnavailable) are raised as ``invoke`` raises them.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from ..config import SandboxLimits
from ..errors import SandboxUnavailable
from ..invocation import Invocation, InvocationRequest, _validate, invoke
from . import protocol
from .pool import WarmKey

# Generous: the daemon answers when the function does (its timeout plus INIT), plus queuing.
_ANSWER_GRACE_S = 30.0
_CONNECT_TIMEOUT_S = 0.5


def default_socket() -> Path:
    """``RUNNER_WARM_SOCKET``, else ``var/runner/warm/warm.sock`` in the project."""
    configured = os.environ.get("RUNNER_WARM_SOCKET")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "var" / "runner" / "warm" / "warm.sock"


def invoke_warm(
    key: WarmKey,
    request: InvocationRequest,
    *,
    force_cold: bool = False,
    socket_path: Path | str | None = None,
    limits: SandboxLimits | None = None,
) -> tuple[Invocation, bool]:
    """(the invocation, whether it was a cold start)."""
    _validate(request)  # a bad request is refused here, before any socket
    path = str(socket_path or default_socket())
    message = protocol.invoke_message(key, request, force_cold)
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError:
        return invoke(request, limits=limits), True
    with sock:
        try:
            sock.settimeout(_CONNECT_TIMEOUT_S)
            sock.connect(path)
            sock.settimeout(request.timeout_s + _ANSWER_GRACE_S)
            protocol.send(sock, message)
            answer = protocol.recv(sock)
        except (OSError, EOFError, protocol.ProtocolError):
            # No daemon (or it went away mid-call): a cold start here, never an error.
            return invoke(request, limits=limits), True
    if answer.get("ok") is True:
        try:
            return protocol.parse_invocation(answer)
        except protocol.ProtocolError:
            return invoke(request, limits=limits), True
    kind = answer.get("error")
    text = str(answer.get("message", ""))
    if kind == "invalid":
        raise ValueError(text)
    if kind == "unavailable":
        raise SandboxUnavailable(text, str(answer.get("how_to_fix", "")))
    return invoke(request, limits=limits), True
