"""Whole-page cache for anonymous readers without a session: most visitors, most requests.

Lesson pages are the same for every such reader, so they are rendered once per process and
then served from memory; the cost of a page drops to Django's own floor. Nothing personal can
leak: a request with a session cookie (signed in, or an anonymous quiz in progress), a query
string or an htmx header always gets a fresh render, and the cached pages carry no CSRF token
(they have nothing to POST). Entries live PAGE_CACHE_SECONDS, and sync_content clears this
process's entries, so edited content shows within that time everywhere.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

CACHE_ALIAS = "pages"


def is_cacheable(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.headers.get("HX-Request")
    )


def cache_for_anonymous(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_cacheable(request):
            return view(request, *args, **kwargs)
        cache = caches[CACHE_ALIAS]
        key = f"page:{request.path}"
        hit = cache.get(key)
        if hit is not None:
            response = HttpResponse(hit[0], content_type=hit[1])
        else:
            request.is_shared_page = True  # templates leave out everything per-visitor
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies:
                cache.set(key, (response.content, response["Content-Type"]))
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


def clear() -> None:
    caches[CACHE_ALIAS].clear()
