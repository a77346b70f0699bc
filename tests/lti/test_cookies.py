"""Third-party cookies in the LMS's iframe, handled as PyLTI1p3 documents: a cookie check at the
OIDC login when the login is framed (a new window offered when cookies are blocked), and launch
data kept in the cache storage, not in the Django session."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from pylti1p3.exception import LtiException

from quizzes.teach.lti import tool
from tests.lti.platform import launch

LOGIN = {
    "iss": "https://lms.example.test",
    "client_id": "course-tool-client",
    "login_hint": "hint-1",
    "lti_message_hint": "msg-1",
    "target_link_uri": "http://testserver/lti/launch/",
}


def framed_login(client, method="get", **params):
    send = getattr(client, method)
    return send("/lti/login/", {**LOGIN, **params}, HTTP_SEC_FETCH_DEST="iframe")


def continue_url(response) -> str:
    html = response.content.decode()
    start = html.index('data-continue="') + len('data-continue="')
    return html[start : html.index('"', start)].replace("&amp;", "&")


def test_a_framed_login_is_served_the_cookie_check(client, lms):
    response = framed_login(client)
    assert response.status_code == 200
    assert response.templates[0].name == "lti/cookie_check.html"
    html = response.content.decode()
    assert "/static/lti/cookie-check.js" in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    # Where the check leads: the same login, marked as past the check, with every parameter.
    url = urlsplit(continue_url(response))
    assert url.path == "/lti/login/"
    query = parse_qs(url.query)
    assert query["lti1p3_new_window"] == ["1"]
    for name, value in LOGIN.items():
        assert query[name] == [value]
    # A real link for a new window (and without JS), framed by the platform only.
    assert 'target="_blank"' in html
    assert "X-Frame-Options" not in response
    assert f"frame-ancestors {lms.url('')}" in response["Content-Security-Policy"]
    # Nothing issued yet: no state cookie, no nonce.
    assert not [name for name in response.cookies if name.startswith("lti1p3")]


def test_a_posted_framed_login_carries_its_parameters_into_the_check(client, lms):
    response = framed_login(client, method="post")
    assert response.status_code == 200
    assert parse_qs(urlsplit(continue_url(response)).query)["login_hint"] == ["hint-1"]


def test_past_the_check_the_login_goes_on_and_the_launch_completes(client, lms):
    checked = framed_login(client)
    response = client.get(continue_url(checked), HTTP_SEC_FETCH_DEST="iframe")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["lti_message_hint"] == ["msg-1"]
    token = lms.id_token(query["nonce"][0])
    done = client.post("/lti/launch/", {"id_token": token, "state": query["state"][0]})
    assert done.status_code == 303
    assert done.wsgi_request.user.is_authenticated


def test_a_top_level_login_is_not_checked(client, lms):
    response = client.get("/lti/login/", LOGIN, HTTP_SEC_FETCH_DEST="document")
    assert response.status_code == 302
    assert client.get("/lti/login/", LOGIN).status_code == 302


def test_learner_controlled_parameters_are_escaped_on_the_check_page(client, lms):
    response = framed_login(client, login_hint='"><script>alert(1)</script>')
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert parse_qs(urlsplit(continue_url(response)).query)["login_hint"] == [
        '"><script>alert(1)</script>'
    ]


def test_an_unknown_platform_is_refused_before_any_check(client, lms):
    response = framed_login(client, iss="https://nope.test")
    assert response.status_code == 400


def secure_launch(client, lms):
    https = {**LOGIN, "target_link_uri": "https://testserver/lti/launch/"}
    login = client.get("/lti/login/", https, secure=True)
    assert login.status_code == 302
    # The login's cookies are fit for a frame, and the Django session is not used for it.
    lti_cookies = [name for name in login.cookies if name.startswith("lti1p3")]
    assert "lti1p3-session-id" in lti_cookies and len(lti_cookies) == 2
    for name in lti_cookies:
        assert login.cookies[name]["samesite"] == "None" and login.cookies[name]["secure"]
    assert "sessionid" not in login.cookies
    query = parse_qs(urlsplit(login["Location"]).query)
    token = lms.id_token(query["nonce"][0])
    response = client.post(
        "/lti/launch/", {"id_token": token, "state": query["state"][0]}, secure=True
    )
    return response


def test_a_launch_keeps_its_data_in_the_cache_storage_not_the_session(client, lms):
    response = secure_launch(client, lms)
    assert response.status_code == 303
    launch_id = response.wsgi_request.session["lti_launch_ids"][-1]
    # Restored from the cache with only the library's own cookie, no Django session at all.
    request = RequestFactory().get("/", secure=True)
    request.COOKIES["lti1p3-session-id"] = client.cookies["lti1p3-session-id"].value
    request.session = {}
    restored = tool.message_launch(request, launch_id=launch_id).get_launch_data()
    assert restored["sub"] == "lms-user-1"
    # And not without it: the cache entry is the browser's own (PyLTI1p3's session prefix).
    cache_key_owner = RequestFactory().get("/", secure=True)
    cache_key_owner.session = {}
    cache_key_owner.COOKIES["lti1p3-session-id"] = "someone-else"
    with pytest.raises(LtiException, match="Launch data not found"):
        tool.message_launch(cache_key_owner, launch_id=launch_id)


def test_the_launch_data_is_in_the_cache_over_plain_http_too(client, lms):
    response, _, _ = launch(client, lms)
    launch_id = response.wsgi_request.session["lti_launch_ids"][-1]
    request = RequestFactory().get("/")
    request.session = {}
    restored = tool.message_launch(request, launch_id=launch_id).get_launch_data()
    assert restored["iss"] == lms.issuer
    cache.clear()  # the storage is the cache: without it the launch is gone
    with pytest.raises(LtiException, match="Launch data not found"):
        tool.message_launch(request, launch_id=launch_id)


def test_blocked_cookies_at_launch_still_get_the_plain_refusal(client, lms):
    token = lms.id_token("made-up-nonce")
    response = client.post("/lti/launch/", {"id_token": token, "state": "state-x"})
    assert response.status_code == 403
    assert "open in a new window" in response.content.decode()
