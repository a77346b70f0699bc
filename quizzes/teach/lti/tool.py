"""PyLTI1p3 wired to our models: the tool configuration read from Platform rows, launch data
in the shared cache, nonces that can be used once, and HTTP calls with a timeout."""

from __future__ import annotations

from urllib.parse import urlencode

import requests
from django.core.cache import cache
from django.template.loader import render_to_string
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deployment import Deployment as LibDeployment
from pylti1p3.registration import Registration
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfAbstract

from quizzes.teach.lti import keys
from quizzes.teach.lti.models import Deployment, Platform

HTTP_TIMEOUT_S = 10
LAUNCH_LIFETIME_S = 2 * 60 * 60


class TimeoutSession(requests.Session):
    """requests has no default timeout; a platform that hangs must not hang a worker."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT_S)
        return super().request(*args, **kwargs)


def http_session() -> requests.Session:
    session = TimeoutSession()
    session.headers["User-Agent"] = "cloud-compute-course-lti"
    return session


def registration_for(platform: Platform) -> Registration:
    return (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_url)
        .set_auth_token_url(platform.token_url)
        .set_key_set_url(platform.keyset_url)
        .set_tool_private_key(keys.private_key_pem())
        .set_tool_public_key(keys.public_key_pem())
    )


class DatabaseToolConf(ToolConfAbstract):
    """Registrations from the Platform table; an issuer may hold several client ids."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        platforms = Platform.objects.filter(issuer=iss)
        if client_id:
            return platforms.filter(client_id=client_id).first()
        # OIDC login without client_id (optional in the spec): only unambiguous issuers.
        found = list(platforms[:2])
        return found[0] if len(found) == 1 else None

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        found = self.platform(iss, None)
        return registration_for(found) if found else None

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        found = self.platform(iss, client_id)
        return registration_for(found) if found else None

    def find_deployment(self, iss, deployment_id):
        return None

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        known = Deployment.objects.filter(
            platform__issuer=iss, platform__client_id=client_id, deployment_id=deployment_id
        ).exists()
        return LibDeployment().set_deployment_id(deployment_id) if known else None


class OneTimeNonceSessionService(SessionService):
    """PyLTI1p3 checks that a nonce was issued but leaves it in place, so the same id_token
    could be posted again. Deleting it on first use refuses the replay; cache.delete answers
    whether the key was there, so two simultaneous replays cannot both win."""

    def check_nonce(self, nonce: str) -> bool:
        key = self.data_storage._prepare_key(self._get_key("nonce", nonce))
        return bool(cache.delete(key))


# The OIDC login parameters the cookie check carries into the new window (PyLTI1p3's own list).
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "lti_deployment_id",
    "client_id",
)


class CookieCheckingOIDCLogin(DjangoOIDCLogin):
    """PyLTI1p3's documented answer to browsers that block third-party cookies: with
    enable_check_cookies() the login first serves a page that tries to set a cookie; if it can,
    the login carries on in the frame, else the learner is offered the same login in a new
    window (first-party there, so the state cookie comes back). The library's page is inline
    script and style, which our CSP forbids; this renders the same protocol (the parameters plus
    lti1p3_new_window=1) from a template and a static script, and works without JS too."""

    def __init__(self, request, *args, **kwargs):
        self.django_request = request
        super().__init__(request, *args, **kwargs)

    def get_cookies_allowed_js_check(self) -> str:
        params = {"lti1p3_new_window": "1"}
        for name in LOGIN_PARAMS:
            value = self._get_request_param(name)
            if value:
                params[name] = value
        request = self.django_request
        continue_url = f"{request.path}?{urlencode(params)}"
        return render_to_string(
            "lti/cookie_check.html", {"continue_url": continue_url}, request=request
        )


def launch_storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage(cache_name="default")


def message_launch(request, launch_id: str | None = None) -> DjangoMessageLaunch:
    """A launch to validate from this request's POST, or (launch_id) one restored from the cache."""
    session_service = OneTimeNonceSessionService(request)
    kwargs = {
        "session_service": session_service,
        "launch_data_storage": launch_storage(),
        "requests_session": http_session(),
    }
    if launch_id is not None:
        return DjangoMessageLaunch.from_cache(launch_id, request, DatabaseToolConf(), **kwargs)
    launch = DjangoMessageLaunch(request, DatabaseToolConf(), **kwargs)
    launch.set_launch_data_lifetime(LAUNCH_LIFETIME_S)
    return launch
