"""Every answer under /fn/ is learner-controlled content served from our origin.

This middleware sits outside the session, CSRF, LTI-framing and CSP middleware, so its response
phase has the last word on /fn/ answers, whatever produced them (the endpoint view, a 404 page,
an error page):
- the sandbox policy: ``sandbox`` gives the document an opaque origin (no script, no forms, no
  access to our cookies, storage or same-origin requests even if a script ran), and
  ``default-src 'none'`` loads nothing. The LTI middleware would otherwise swap in the site's
  policy, whose script-src 'self' would let an endpoint serve a script to another endpoint;
- no cookie but those the endpoint view set itself (scoped to the endpoint's path): never the
  site's session, CSRF, LTI or read-tracking cookies.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

PREFIX = "/fn/"
SANDBOX_POLICY = "sandbox; default-src 'none'"


def is_endpoint_path(path: str) -> bool:
    return path.startswith(PREFIX) or path == PREFIX.rstrip("/")


def endpoint_responses(get_response):
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not is_endpoint_path(request.path_info):
            return response
        # The view may add the learner's own policy after ours (every policy is enforced, so
        # it can only restrict further); anything else gets ours alone.
        policy = getattr(response, "endpoint_policy", SANDBOX_POLICY)
        response["Content-Security-Policy"] = policy
        response["X-Content-Type-Options"] = "nosniff"
        allowed = getattr(response, "endpoint_cookies", frozenset())
        for name in list(response.cookies):
            if name not in allowed:
                del response.cookies[name]
        return response

    return middleware
