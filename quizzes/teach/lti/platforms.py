"""Registering an LMS (the admin and `manage.py lti_platform add` share this)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from quizzes.teach.lti.models import Deployment, Platform


class PlatformError(Exception):
    pass


def check_url(name: str, url: str) -> str:
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise PlatformError(f"{name} is not a valid URL: {url!r}") from None
    if url.startswith("http://") and not settings.DEBUG:
        raise PlatformError(
            f"{name} must use https ({url}); plain http is accepted only with DJANGO_DEBUG=1, "
            "for local test platforms."
        )
    return url


def add_platform(
    *, issuer, client_id, deployment_id, auth_url, token_url, keyset_url, name="", frame_origin=""
) -> tuple[Platform, bool]:
    """Create or update the registration for (issuer, client id); (platform, created)."""
    for label, value in (
        ("--issuer", issuer),
        ("--client-id", client_id),
        ("--deployment-id", deployment_id),
    ):
        if not (value or "").strip():
            raise PlatformError(f"{label} is required.")
    urls = {
        "auth_url": check_url("--auth-url", auth_url),
        "token_url": check_url("--token-url", token_url),
        "keyset_url": check_url("--keyset-url", keyset_url),
    }
    if frame_origin:
        urls["frame_origin"] = check_url("--frame-origin", frame_origin)
    with transaction.atomic():
        platform, created = Platform.objects.update_or_create(
            issuer=issuer.strip(),
            client_id=client_id.strip(),
            defaults={**urls, **({"name": name} if name else {})},
        )
        Deployment.objects.get_or_create(platform=platform, deployment_id=deployment_id.strip())
    return platform, created
