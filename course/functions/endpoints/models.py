"""A saved function's HTTP endpoint (its route keys and usage plan), its API keys, and the usage
counters its usage plan is enforced with when there is no Redis."""

from __future__ import annotations

import hashlib
import secrets
import string

from django.db import models
from django.urls import reverse

from course.functions.models import Function

ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 20  # 36**20: about 103 bits, unguessable
KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 40  # as long as API Gateway's generated API keys
MAX_KEYS = 10
# Revoked keys stay listed (the owner sees what was revoked), but only the newest few: creating
# and revoking in a loop would otherwise grow the table, the page and the API's list for ever.
MAX_REVOKED_KEYS = 20

DEFAULT_RATE = 5
DEFAULT_BURST = 10
DEFAULT_DAILY_QUOTA = 1000


def new_public_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def default_routes() -> list[str]:
    return ["$default"]


def key_hash(value: str) -> str:
    """Keys are 238 random bits, so a fast hash is enough: nothing to brute-force."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class EndpointQuerySet(models.QuerySet):
    def owned_by(self, user) -> EndpointQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(function__owner=user)


class Endpoint(models.Model):
    function = models.OneToOneField(Function, on_delete=models.CASCADE, related_name="endpoint")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id)
    # Off until the owner turns it on: a saved function is never public by surprise.
    enabled = models.BooleanField(default=False)
    api_key_required = models.BooleanField(default=False)
    # The usage plan: a token bucket (rate requests a second, up to burst at once) and a quota
    # of requests per UTC day, per API key (per endpoint when no key is required).
    rate = models.PositiveIntegerField(default=DEFAULT_RATE)
    burst = models.PositiveIntegerField(default=DEFAULT_BURST)
    daily_quota = models.PositiveIntegerField(default=DEFAULT_DAILY_QUOTA)
    routes = models.JSONField(default=default_routes)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"endpoint of {self.function}"

    def get_absolute_url(self) -> str:
        return reverse("endpoints:page", args=[self.function_id])

    def public_path(self) -> str:
        return reverse("endpoints:public_root", args=[self.public_id]) + "/"

    def settings_json(self) -> dict:
        return {
            "enabled": self.enabled,
            "api_key_required": self.api_key_required,
            "rate": self.rate,
            "burst": self.burst,
            "daily_quota": self.daily_quota,
            "routes": list(self.routes),
        }


class ApiKeyQuerySet(models.QuerySet):
    def owned_by(self, user) -> ApiKeyQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(endpoint__function__owner=user)

    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """Only the key's hash is stored: its value is shown once, when it is created."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_value() -> str:
        return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))

    def as_json(self) -> dict:
        return {
            "id": self.pk,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "revoked": self.revoked_at is not None,
        }


class UsageCounter(models.Model):
    """One usage plan bucket's state: the token bucket and the day's count, updated under a
    row lock (course/functions/endpoints/throttle.py)."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="counters")
    bucket = models.CharField(max_length=32)  # "endpoint" or "key:<id>"
    tokens = models.FloatField()
    stamp = models.FloatField()  # Unix time the tokens were counted at
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "bucket"], name="one_counter_per_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.bucket}"
