"""The environments of one host: which exist, whose they are, when they go.

Rules (as on Lambda, scaled down to a shared teaching server):
- an environment belongs to one ``WarmKey`` (user, function, version) and one configuration
  (runtime, code, memory, timeout, environment variables); a request whose configuration differs
  from the environment's gets a new one, and the old one is torn down;
- one invocation at a time per environment; a concurrent invocation of the same function gets a
  second environment while the user is under the per-user cap, else it runs cold, one-off, in a
  sandbox that is not kept (it never waits for the busy one);
- at most ``per_user`` idle-or-busy environments per user: a new one evicts the user's least
  recently used idle environment, and if all of them are busy the invocation runs one-off;
- at most ``max_envs`` per host and ``memory_mb`` of function memory in total: least recently
  used idle environments are evicted (any user's) to make room, else one-off;
- idle ones are torn down after ``idle_s`` (``reap``, called by the daemon every second);
- a timeout, out-of-memory kill, runtime crash or failed INIT ends the environment.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..config import SandboxLimits
from ..invocation import Invocation, InvocationRequest, invoke, invoke_in, start_environment
from ..sandbox import Environment


@dataclass(frozen=True)
class WarmKey:
    """Whose environment: a user's function at one version. Never shared across keys."""

    user_id: int
    function_id: int
    version: int

    def __post_init__(self) -> None:
        for name in ("user_id", "function_id", "version"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"WarmKey.{name} must be a non-negative integer")


def configuration(req: InvocationRequest) -> str:
    """What makes two requests the same function (everything but the event)."""
    digest = hashlib.sha256()
    for part in (req.runtime, req.code, str(req.memory_mb), str(req.timeout_s), req.function_name):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for name, value in req.environment:
        digest.update(f"{name}={value}".encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


@dataclass
class _Slot:
    key: WarmKey
    config: str
    memory_mb: int
    env: Environment
    busy: bool = True
    last_used: float = 0.0


@dataclass(frozen=True)
class PoolSettings:
    idle_s: float = 300.0
    max_envs: int = 16
    memory_mb: int = 4096
    per_user: int = 2


class WarmPool:
    """Thread-safe: the daemon calls ``invoke`` from one thread per connection."""

    def __init__(
        self,
        settings: PoolSettings | None = None,
        limits: SandboxLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or PoolSettings()
        self.limits = limits or SandboxLimits()
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: list[_Slot] = []
        self._starting: dict[int, int] = {}  # user id -> environments being started
        # Environments are launched from these long-lived threads: bwrap's --die-with-parent
        # is the kernel's parent-death signal, which fires when the *thread* that forked it
        # ends, and the daemon's connection threads end with each request.
        self._launcher = ThreadPoolExecutor(max_workers=8, thread_name_prefix="warm-launch")

    # -- the one entry point

    def invoke(
        self, key: WarmKey, req: InvocationRequest, *, force_cold: bool = False
    ) -> tuple[Invocation, bool]:
        """(the invocation, whether it was a cold start)."""
        config = configuration(req)
        doomed: list[Environment] = []
        slot = None
        with self._lock:
            for existing in list(self._slots):
                if existing.key != key:
                    continue
                if existing.config != config or (force_cold and not existing.busy):
                    # New code, memory or timeout (or force_cold): that environment is stale.
                    if not existing.busy:
                        self._slots.remove(existing)
                        doomed.append(existing.env)
                    continue
                if not existing.busy and slot is None:
                    slot = existing
            if slot is not None:
                slot.busy = True
        self._close_all(doomed)
        if slot is not None:
            try:
                inv = invoke_in(slot.env, req, limits=self.limits)
            finally:
                self._release(slot)
            return inv, False
        return self._cold(key, config, req), True

    def _cold(self, key: WarmKey, config: str, req: InvocationRequest) -> Invocation:
        doomed: list[Environment] = []
        with self._lock:
            admitted = self._make_room(key, req.memory_mb, doomed)
        self._close_all(doomed)
        if not admitted:
            # No room to keep one: a plain cold invocation, not kept.
            return invoke(req, limits=self.limits)
        try:
            env, inv = self._launcher.submit(start_environment, req, limits=self.limits).result()
        except BaseException:
            with self._lock:
                self._started(key, req.memory_mb)
            raise
        with self._lock:
            self._started(key, req.memory_mb)
            if env.alive:
                slot = _Slot(key, config, req.memory_mb, env, busy=False, last_used=self._clock())
                self._slots.append(slot)
        return inv

    _reserved = 0  # memory of environments being started, already counted against the budget

    def _make_room(self, key: WarmKey, memory_mb: int, doomed: list[Environment]) -> bool:
        """Evict idle environments (LRU) until one more fits; False if it cannot (lock held)."""
        s = self.settings
        if memory_mb > s.memory_mb or s.max_envs < 1 or s.per_user < 1:
            return False

        def lru_idle(pred) -> _Slot | None:
            idle = [x for x in self._slots if not x.busy and pred(x)]
            return min(idle, key=lambda x: x.last_used) if idle else None

        # Environments being started count too, or concurrent cold starts would all fit.
        starting = self._starting
        while (
            sum(1 for x in self._slots if x.key.user_id == key.user_id)
            + starting.get(key.user_id, 0)
            >= s.per_user
        ):
            victim = lru_idle(lambda x: x.key.user_id == key.user_id)
            if victim is None:
                return False
            self._slots.remove(victim)
            doomed.append(victim.env)
        while (
            len(self._slots) + sum(starting.values()) >= s.max_envs
            or sum(x.memory_mb for x in self._slots) + self._reserved + memory_mb > s.memory_mb
        ):
            victim = lru_idle(lambda x: True)
            if victim is None:
                return False
            self._slots.remove(victim)
            doomed.append(victim.env)
        self._reserved += memory_mb
        starting[key.user_id] = starting.get(key.user_id, 0) + 1
        return True

    def _started(self, key: WarmKey, memory_mb: int) -> None:
        """An environment's start is over, kept or not (lock held)."""
        self._reserved -= memory_mb
        self._starting[key.user_id] -= 1
        if not self._starting[key.user_id]:
            del self._starting[key.user_id]

    def _release(self, slot: _Slot) -> None:
        doomed = None
        with self._lock:
            slot.busy = False
            slot.last_used = self._clock()
            if not slot.env.alive and slot in self._slots:
                self._slots.remove(slot)
                doomed = slot.env
        if doomed is not None:
            doomed.close()

    # -- housekeeping

    def reap(self) -> int:
        """Tear down environments idle for longer than ``idle_s``; how many went."""
        now = self._clock()
        with self._lock:
            old = [
                x for x in self._slots if not x.busy and now - x.last_used >= self.settings.idle_s
            ]
            for x in old:
                self._slots.remove(x)
        self._close_all([x.env for x in old])
        return len(old)

    def close(self) -> None:
        with self._lock:
            slots, self._slots = self._slots, []
        self._close_all([x.env for x in slots])
        self._launcher.shutdown(wait=False)

    def stats(self) -> dict:
        with self._lock:
            return {
                "environments": len(self._slots),
                "busy": sum(1 for x in self._slots if x.busy),
                "memory_mb": sum(x.memory_mb for x in self._slots),
                "users": len({x.key.user_id for x in self._slots}),
            }

    def owners(self) -> list[WarmKey]:
        with self._lock:
            return [x.key for x in self._slots]

    @staticmethod
    def _close_all(envs: list[Environment]) -> None:
        for env in envs:
            env.close()
