"""Warm execution environments: one sandbox kept alive between invocations of one user's
function version, owned by a small per-host daemon that every web worker reaches through a Unix
socket. ``client.invoke_warm`` is the front door; it falls back to a cold ``invoke`` whenever
the daemon is not there. Pure Python, no Django. Design and failure modes: see the README.
"""

from .client import invoke_warm
from .pool import WarmKey, WarmPool
from .power import TuningBusy, TuningCancelled, tune
from .tuning import TuningResult

__all__ = [
    "TuningBusy",
    "TuningCancelled",
    "TuningResult",
    "WarmKey",
    "WarmPool",
    "invoke_warm",
    "tune",
]
