"""Site-wide response policies: Content-Security-Policy and a friendly page for database outages."""

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, with hashed files cached for one year (the longest caches honour)."""

    FOREVER = 60 * 60 * 24 * 365


def content_security_policy(get_response):
    """Only our own origin, no inline scripts or styles, no framing."""
    policy = settings.CONTENT_SECURITY_POLICY

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy)
        return response

    return middleware


class DatabaseUnavailableMiddleware:
    """A database outage answers 503 with a static page, never a stack trace.

    The page is rendered without a request context: the context processors would touch the
    session and the user, which live in the database that just failed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        # Only a lost or refused connection is an outage. IntegrityError, DataError and the
        # like are the request's own fault (a race, a value the column refuses): calling them
        # an outage hid bugs behind "try again shortly"; they stay errors to be fixed.
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if request.path.startswith("/api/"):
            body, content_type = (
                '{"error": "The database is unavailable; try again shortly."}',
                ("application/json"),
            )
        else:
            body, content_type = render_to_string("503.html"), "text/html; charset=utf-8"
        response = HttpResponse(body, status=503, content_type=content_type)
        response["Retry-After"] = "30"
        return response
