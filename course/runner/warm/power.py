"""Power tuning, executed: one function and one event at several memory sizes, through the warm
engine (``client.invoke_warm``), so that each size's first run is a cold start and the rest are
warm, as on Lambda. The maths is ``tuning.py``'s.

Bounded: one tuning at a time per user (an exclusive lock file, across processes), charged to
the user's rate limit up front as its number of runs (all or nothing), and finished or
cancelled within ``budget_s`` (60 s): a run that could not end before the budget is not started.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import Throttled
from ..invocation import Invocation, InvocationRequest
from . import tuning
from .pool import WarmKey

BUDGET_S = 60.0
MAX_RUNS = 10


class TuningBusy(Exception):
    """This user already has a tuning running."""


class TuningCancelled(Exception):
    """The tuning could not finish within its time budget; nothing is recommended."""


Invoker = Callable[..., tuple[Invocation, bool]]


@contextlib.contextmanager
def _one_at_a_time(lock_dir: Path, user_id: int) -> Iterator[None]:
    lock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock_dir / f"tuning-{int(user_id)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise TuningBusy("a power tuning of yours is already running") from None
            raise
        yield
    finally:
        os.close(fd)  # releases the lock


def tune(
    request: InvocationRequest,
    key: WarmKey,
    *,
    max_memory_mb: int,
    lock_dir: Path,
    memory_sizes: Sequence[int] | None = None,
    runs: int = tuning.DEFAULT_RUNS,
    rate_limiter=None,
    invoker: Invoker | None = None,
    budget_s: float = BUDGET_S,
    clock: Callable[[], float] = time.monotonic,
) -> tuning.TuningResult:
    """Tune ``request``'s function (its code, runtime and event; its memory size is ignored).

    Raises ValueError (bad sizes or runs), TuningBusy, Throttled (rate limit), TuningCancelled
    (over budget), or what the invoker raises (SandboxUnavailable).
    """
    if not isinstance(runs, int) or isinstance(runs, bool) or not 2 <= runs <= MAX_RUNS:
        raise ValueError(f"runs must be an integer from 2 to {MAX_RUNS}")
    sizes = tuning.memory_sizes(memory_sizes, max_memory_mb)
    if invoker is None:
        from .client import invoke_warm

        invoker = invoke_warm
    with _one_at_a_time(lock_dir, key.user_id):
        if rate_limiter is not None:
            rate_limiter.hit(str(key.user_id), count=len(sizes) * runs)
        deadline = clock() + budget_s
        results: list[tuning.SizeResult] = []
        failures: dict[int, str] = {}
        for memory_mb in sizes:
            sized = replace(request, memory_mb=memory_mb)
            cold: Invocation | None = None
            warm_ms: list[float] = []
            problem = None
            for n in range(runs):
                # Worst case a cold run takes INIT's 10 s plus the timeout.
                if clock() + sized.timeout_s + (10 if n == 0 else 0) > deadline:
                    raise TuningCancelled(
                        f"the tuning would not finish within {budget_s:.0f} seconds"
                    )
                inv, _ = invoker(key, sized, force_cold=(n == 0))
                if inv.status != "succeeded":
                    problem = (inv.error or {}).get("errorType", "failed")
                    break
                if n == 0:
                    cold = inv
                else:
                    # Warm as a rule; cold only without the daemon (each run then a fresh
                    # sandbox), whose Duration is still the handler's alone.
                    warm_ms.append(float(inv.report["duration_ms"]))
            if problem is not None or not warm_ms:
                failures[memory_mb] = problem or "no warm run"
                continue
            results.append(
                tuning.summarise(
                    memory_mb,
                    warm_ms,
                    cold_duration_ms=cold.report["duration_ms"] if cold else None,
                    cold_init_ms=cold.report.get("init_duration_ms") if cold else None,
                )
            )
        if not results:
            raise TuningCancelled("the function failed at every memory size")
        return tuning.TuningResult(tuple(results), tuning.recommend(results), failures)


__all__ = ["TuningBusy", "TuningCancelled", "Throttled", "tune"]
