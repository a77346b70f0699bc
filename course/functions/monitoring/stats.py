"""Per-minute metrics from individual datapoints, exactly. Pure: no Django.

Each invocation and each throttle is one Sample; a window's figures are computed from all of its
samples, so nothing is estimated: counts are sums and percentiles are nearest-rank over every
duration of the minute (CloudWatch's pNN statistics on Lambda's Duration metric).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SECONDS = 60


@dataclass(frozen=True)
class Sample:
    minute: int  # Unix time // 60 of when it happened (the invocation's start)
    throttled: bool = False
    error: bool = False
    duration_ms: float | None = None  # None for a throttle: nothing ran
    max_memory_mb: int | None = None


@dataclass(frozen=True)
class Minute:
    minute: int  # Unix time // 60 of the minute's start
    invocations: int
    errors: int
    throttles: int
    duration_p50_ms: float | None  # None: no invocation in this minute
    duration_p99_ms: float | None
    max_memory_mb: int | None

    @property
    def active(self) -> bool:
        return bool(self.invocations or self.throttles)


def nearest_rank(ordered: Sequence[float], percent: int) -> float | None:
    """The nearest-rank percentile of an ascending sequence: the value at rank ceil(P/100 * n)
    (1-based). Always one of the values, never interpolated. ``percent`` is an integer from 1
    to 100 so the rank is computed in integers, with no rounding error near the boundaries."""
    if not 1 <= percent <= 100:
        raise ValueError("percent must be an integer from 1 to 100")
    n = len(ordered)
    if n == 0:
        return None
    rank = (percent * n + 99) // 100  # ceil(percent * n / 100)
    return ordered[rank - 1]


def per_minute(samples: Iterable[Sample], first: int, count: int) -> list[Minute]:
    """``count`` consecutive minutes from minute ``first``, every one present (quiet minutes are
    zeros, with no duration or memory figure); samples outside the window are left out."""
    durations: dict[int, list[float]] = {}
    errors: dict[int, int] = {}
    throttles: dict[int, int] = {}
    memory: dict[int, int] = {}
    for sample in samples:
        if not first <= sample.minute < first + count:
            continue
        at = sample.minute
        if sample.throttled:
            throttles[at] = throttles.get(at, 0) + 1
            continue
        durations.setdefault(at, []).append(sample.duration_ms or 0.0)
        if sample.error:
            errors[at] = errors.get(at, 0) + 1
        if sample.max_memory_mb is not None:
            memory[at] = max(memory.get(at, 0), sample.max_memory_mb)
    minutes = []
    for at in range(first, first + count):
        ordered = sorted(durations.get(at, ()))
        minutes.append(
            Minute(
                minute=at,
                invocations=len(ordered),
                errors=errors.get(at, 0),
                throttles=throttles.get(at, 0),
                duration_p50_ms=nearest_rank(ordered, 50),
                duration_p99_ms=nearest_rank(ordered, 99),
                max_memory_mb=memory.get(at),
            )
        )
    return minutes
