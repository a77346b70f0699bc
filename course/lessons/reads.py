"""Lessons read before signing in: kept in a cookie, moved to the account at sign-up or log-in.

Signed-out readers mostly have no session, and their lesson pages come from the shared page
cache without running the view (course/server/page_cache.py), so the read is noted in a small cookie
of lesson slugs added to the response on the way out, cached or not. Creating a session per
reader instead would switch the page cache off for everyone after their first page. At log-in
(sign-up logs in too) the slugs become LessonRead rows, as anonymous quiz attempts do
(quizzes/signals.py), and the cookie is deleted so the next person to sign in on the same
browser does not inherit them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from course.lessons.models import Lesson, LessonRead

COOKIE_NAME = "lessons_read"
MAX_SLUGS = 50  # far more lessons than the course has; keeps the cookie well under 4 KB
_SLUG_RE = re.compile(r"[-a-z0-9]{1,64}")
CLAIMED = "_lesson_reads_claimed"


def cookie_slugs(request: HttpRequest) -> list[str]:
    """The slugs in the cookie; anything that is not a slug is ignored, never an error."""
    raw = request.COOKIES.get(COOKIE_NAME, "")
    slugs: list[str] = []
    for slug in raw.split("."):
        if _SLUG_RE.fullmatch(slug) and slug not in slugs:
            slugs.append(slug)
    return slugs[:MAX_SLUGS]


def remember_anonymous_read(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Note a signed-out reader's lesson in the cookie. Goes outside cache_for_anonymous, which
    never caches a response that sets a cookie; costs no query."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, slug: str, **kwargs) -> HttpResponse:
        response = view(request, *args, slug=slug, **kwargs)
        if response.status_code != 200 or request.user.is_authenticated:
            return response
        slugs = cookie_slugs(request)
        if slug not in slugs and len(slugs) < MAX_SLUGS:
            response.set_cookie(
                COOKIE_NAME,
                ".".join([*slugs, slug]),
                max_age=settings.SESSION_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    return wrapper


def claim_reads(slugs: list[str], user) -> int:
    """Record these lessons as read by `user` (one query to find them, one upsert)."""
    lessons = list(Lesson.objects.published().filter(slug__in=slugs).only("pk"))
    if not lessons:
        return 0
    now = timezone.now()
    LessonRead.objects.bulk_create(
        [LessonRead(user=user, lesson=lesson, last_read_at=now) for lesson in lessons],
        update_conflicts=True,
        unique_fields=["user", "lesson"],
        update_fields=["last_read_at"],
    )
    return len(lessons)


@receiver(user_logged_in, dispatch_uid="course.claim_anonymous_reads")
def claim_anonymous_reads(sender, request, user, **kwargs) -> None:
    if request is None or COOKIE_NAME not in request.COOKIES:
        return
    claim_reads(cookie_slugs(request), user)
    setattr(request, CLAIMED, True)


def clear_claimed_reads(get_response):
    """Middleware: delete the cookie on the response to the log-in that claimed it."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if getattr(request, CLAIMED, False):
            response.delete_cookie(COOKIE_NAME, samesite="Lax")
        return response

    return middleware
