"""The sandboxed Lambda function runner: learner code, one fresh bubblewrap sandbox per call.

Pure Python (no Django). ``invoke()`` runs a handler once with Lambda's semantics and returns its
result, logs and REPORT; ``ConcurrencySlots`` and ``RateLimiter`` are the cross-process limits a
view applies first. The threat model is documented in ``sandbox.py``.
"""

from .config import SandboxLimits
from .errors import SandboxUnavailable, Throttled
from .interpreters import RUNTIME_NAMES, RuntimeInfo, runtimes
from .invocation import Invocation, InvocationRequest, invoke
from .sandbox import SandboxStatus, sandbox_status
from .throttle import ConcurrencySlots, RateLimiter

__all__ = [
    "RUNTIME_NAMES",
    "ConcurrencySlots",
    "Invocation",
    "InvocationRequest",
    "RateLimiter",
    "RuntimeInfo",
    "SandboxLimits",
    "SandboxStatus",
    "SandboxUnavailable",
    "Throttled",
    "invoke",
    "runtimes",
    "sandbox_status",
]
