"""Log-in throttling against password guessing, kept in Django's cache (shared by all workers).

Failures are counted per account name and per client address over a sliding window. The
message is the same whether or not the account exists, so it reveals nothing about accounts.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

LOCKED_MESSAGE = (
    "Too many failed log-in attempts. For your security, wait {minutes} minute{s} and try "
    "again, or reset your password."
)


def client_address(request) -> str:
    # Behind a trusted proxy, the proxy's address would be the same for everyone; the
    # deployment opts into trusting X-Forwarded-For explicitly.
    if settings.LOGIN_THROTTLE_TRUST_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def _recent(key: str, now: float) -> list[float]:
    window = settings.LOGIN_THROTTLE_WINDOW_S
    return [stamp for stamp in cache.get(key, []) if stamp > now - window]


def _limits(username: str, address: str) -> list[tuple[str, int]]:
    return [
        (_key("user", username), settings.LOGIN_THROTTLE_PER_ACCOUNT),
        (_key("addr", address), settings.LOGIN_THROTTLE_PER_ADDRESS),
    ]


def seconds_locked(username: str, address: str) -> int:
    now = time.time()
    waits = []
    for key, limit in _limits(username, address):
        failures = _recent(key, now)
        if len(failures) >= limit:
            waits.append(int(failures[-limit] + settings.LOGIN_THROTTLE_WINDOW_S - now) + 1)
    return max(waits, default=0)


def record_failure(username: str, address: str) -> None:
    now = time.time()
    for key, limit in _limits(username, address):
        failures = [*_recent(key, now), now][-limit * 2 :]
        cache.set(key, failures, settings.LOGIN_THROTTLE_WINDOW_S)


def clear_account(username: str) -> None:
    cache.delete(_key("user", username))
