"""The daemon's wire format: 4-byte big-endian length + one JSON object, each way.

Every message is validated field by field; anything else is refused with an error message
(never a traceback), and a message larger than ``MAX_MESSAGE_BYTES`` is refused unread.
"""

from __future__ import annotations

import json
import socket

from ..config import MAX_CODE_BYTES, MAX_RESPONSE_BYTES
from ..invocation import Invocation, InvocationRequest
from .pool import WarmKey

# Code (5 MB, as JSON escapes up to 6x) plus an event (6 MB) fits; so does a 6 MB result.
MAX_MESSAGE_BYTES = 6 * MAX_CODE_BYTES + 2 * MAX_RESPONSE_BYTES + (1 << 20)
PROTOCOL_VERSION = 1


class ProtocolError(Exception):
    """A message that is not what the protocol allows."""


def send(sock: socket.socket, message: dict) -> None:
    body = json.dumps(message, ensure_ascii=False, allow_nan=False).encode("utf-8")
    if len(body) > MAX_MESSAGE_BYTES:
        raise ProtocolError("message too large")
    sock.sendall(len(body).to_bytes(4, "big") + body)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(min(n - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks += chunk
    return bytes(chunks)


def recv(sock: socket.socket) -> dict:
    size = int.from_bytes(_recv_exact(sock, 4), "big")
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError("message too large")
    try:
        message = json.loads(_recv_exact(sock, size))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError("message is not JSON") from exc
    if not isinstance(message, dict):
        raise ProtocolError("message is not a JSON object")
    return message


def _int(message: dict, name: str, *, minimum: int = 0) -> int:
    value = message.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ProtocolError(f"{name} must be an integer >= {minimum}")
    return value


def _str(message: dict, name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str):
        raise ProtocolError(f"{name} must be a string")
    return value


def invoke_message(key: WarmKey, req: InvocationRequest, force_cold: bool) -> dict:
    return {
        "v": PROTOCOL_VERSION,
        "op": "invoke",
        "user_id": key.user_id,
        "function_id": key.function_id,
        "version": key.version,
        "force_cold": force_cold,
        "runtime": req.runtime,
        "code": req.code,
        "event": req.event,
        "memory_mb": req.memory_mb,
        "timeout_s": req.timeout_s,
        "function_name": req.function_name,
        "environment": [list(pair) for pair in req.environment],
    }


def parse_invoke(message: dict) -> tuple[WarmKey, InvocationRequest, bool]:
    """The request in an ``invoke`` message; ProtocolError if any field is off.

    The invocation's own rules (runtime, sizes, names, the event's types) are checked again by
    the runner itself, which raises ValueError.
    """
    if message.get("v") != PROTOCOL_VERSION:
        raise ProtocolError("unsupported protocol version")
    try:
        key = WarmKey(
            _int(message, "user_id"), _int(message, "function_id"), _int(message, "version")
        )
    except ValueError as exc:
        raise ProtocolError(str(exc)) from exc
    force_cold = message.get("force_cold")
    if not isinstance(force_cold, bool):
        raise ProtocolError("force_cold must be true or false")
    environment = message.get("environment")
    if not isinstance(environment, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
        for p in environment
    ):
        raise ProtocolError("environment must be a list of [name, value] strings")
    req = InvocationRequest(
        runtime=_str(message, "runtime"),
        code=_str(message, "code"),
        event=message.get("event"),
        memory_mb=_int(message, "memory_mb", minimum=1),
        timeout_s=_int(message, "timeout_s", minimum=1),
        function_name=_str(message, "function_name"),
        environment=tuple((name, value) for name, value in environment),
    )
    return key, req, force_cold


def invocation_message(inv: Invocation, cold: bool) -> dict:
    return {
        "ok": True,
        "cold": cold,
        "request_id": inv.request_id,
        "status": inv.status,
        "result_json": inv.result_json.decode("utf-8"),
        "error": inv.error,
        "logs": inv.logs,
        "report": inv.report,
        "logs_truncated": inv.logs_truncated,
        "hint": inv.hint,
    }


def parse_invocation(message: dict) -> tuple[Invocation, bool]:
    if message.get("ok") is not True or not isinstance(message.get("cold"), bool):
        raise ProtocolError("not an invocation answer")
    report, error = message.get("report"), message.get("error")
    hint = message.get("hint")
    if not isinstance(report, dict) or not (error is None or isinstance(error, dict)):
        raise ProtocolError("malformed invocation answer")
    if not (hint is None or isinstance(hint, str)):
        raise ProtocolError("malformed hint")
    inv = Invocation(
        request_id=_str(message, "request_id"),
        status=_str(message, "status"),
        result_json=_str(message, "result_json").encode("utf-8"),
        error=error,
        logs=_str(message, "logs"),
        report=report,
        logs_truncated=bool(message.get("logs_truncated")),
        hint=hint,
    )
    return inv, message["cold"]
