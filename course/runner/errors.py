"""Exceptions the runner raises to its callers (views, the ``invoke`` command)."""

from __future__ import annotations


class SandboxUnavailable(Exception):
    """The sandbox cannot be started on this host; learner code is never run without it."""

    def __init__(self, reason: str, how_to_fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.how_to_fix = how_to_fix


class Throttled(Exception):
    """Too many invocations: all concurrency slots busy, or the user's rate limit is spent."""

    def __init__(self, kind: str, retry_after_s: float = 1.0) -> None:
        if kind not in ("concurrency", "rate"):
            raise ValueError(f"unknown throttle kind {kind!r}")
        self.kind = kind
        self.retry_after_s = max(0.0, float(retry_after_s))
        if kind == "concurrency":
            message = "All function runners are busy; try again in a moment."
        else:
            message = f"Rate limit reached; try again in {self.retry_after_s:.0f} s."
        super().__init__(message)
