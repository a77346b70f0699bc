"""Framing for LTI sessions: the site keeps X-Frame-Options DENY and frame-ancestors 'none',
except for the launch views and the pages a launch leads to, which the launching platform's
origin (and only it) may frame. Cookies of such a session are SameSite=None; Secure, or the
browser would not send them inside the LMS's iframe.

It sits outside the session, CSRF, clickjacking and CSP middleware so its response phase sees
(and adjusts) the headers and cookies they set.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FRAME_COOKIE = "lti_frame"
FRAME_SALT = "lti-frame-origins"
FRAME_COOKIE_AGE_S = 8 * 60 * 60


def frame_origins(request: HttpRequest, response: HttpResponse) -> list[str]:
    origins = getattr(response, "lti_frame_origins", None)
    if origins:
        return list(origins)
    value = request.get_signed_cookie(
        FRAME_COOKIE, default="", salt=FRAME_SALT, max_age=FRAME_COOKIE_AGE_S
    )
    return value.split() if value else []


def remember_frame_origins(response: HttpResponse, origins: list[str]) -> None:
    """Mark this browser's session as launched from these platforms."""
    response.lti_frame_origins = origins
    response.set_signed_cookie(
        FRAME_COOKIE,
        " ".join(origins),
        salt=FRAME_SALT,
        max_age=FRAME_COOKIE_AGE_S,
        secure=True,
        httponly=True,
        samesite="None",
    )


def lti_frame_policy(get_response):
    policy = settings.CONTENT_SECURITY_POLICY

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        origins = frame_origins(request, response)
        if not origins:
            return response
        allowed = " ".join(origins)
        csp = policy.replace("frame-ancestors 'none'", f"frame-ancestors {allowed}")
        form_action = getattr(response, "lti_form_action", None)
        if form_action:
            csp = csp.replace("form-action 'self'", f"form-action 'self' {form_action}")
        response["Content-Security-Policy"] = csp
        if "X-Frame-Options" in response:
            del response["X-Frame-Options"]
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
            if name in response.cookies:
                response.cookies[name]["samesite"] = "None"
                response.cookies[name]["secure"] = True
        return response

    return middleware
