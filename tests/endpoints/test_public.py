"""/fn/<endpoint-id>/...: what a caller gets, from the event to the response, the security
headers and cookies, API keys, the usage plan and the site-wide limits."""

from __future__ import annotations

import base64
import json
from unittest import mock

import pytest
from django.test import Client

from course import runner
from course.functions import signals
from course.functions.endpoints.middleware import SANDBOX_POLICY
from course.functions.endpoints.models import Endpoint
from tests.endpoints.conftest import make_key


def url(endpoint: Endpoint, path: str = "/") -> str:
    return f"/fn/{endpoint.public_id}{path}"


def assert_gateway_message(response, status: int, text: str) -> None:
    assert response.status_code == status
    assert response.json() == {"message": text}
    assert_sandboxed(response)


def assert_sandboxed(response) -> None:
    assert response["Content-Security-Policy"].startswith(SANDBOX_POLICY)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.cookies or all(
        name not in response.cookies for name in ("sessionid", "csrftoken", "lti_frame")
    )


def test_any_method_and_path_reach_the_function(client, endpoint, fake_lambda):
    for method in ("get", "post", "put", "patch", "delete", "options"):
        response = getattr(client, method)(url(endpoint, "/a/b"))
        assert response.status_code == 200 and response.content == b"ok"
        assert fake_lambda.event["requestContext"]["http"]["method"] == method.upper()
        assert fake_lambda.event["rawPath"] == "/a/b"
    assert client.get(f"/fn/{endpoint.public_id}").status_code == 200
    assert fake_lambda.event["rawPath"] == "/"


def test_the_event_from_a_real_request(client, endpoint, fake_lambda):
    endpoint.routes = ["GET /items/{id}", "$default"]
    endpoint.save()
    client.get(
        url(endpoint, "/items/42?tag=a&tag=b&q=x%20y"),
        HTTP_USER_AGENT="curl/8",
        HTTP_X_CUSTOM="one",
        HTTP_COOKIE="theme=dark",
    )
    event = fake_lambda.event
    assert event["version"] == "2.0" and event["routeKey"] == "GET /items/{id}"
    assert event["rawQueryString"] == "tag=a&tag=b&q=x%20y"
    assert event["queryStringParameters"] == {"tag": "a,b", "q": "x y"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["headers"]["x-custom"] == "one" and event["headers"]["user-agent"] == "curl/8"
    assert event["cookies"] == ["theme=dark"]
    context = event["requestContext"]
    assert context["apiId"] == endpoint.public_id and context["stage"] == "$default"
    assert context["http"] == {
        "method": "GET",
        "path": "/items/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8",
    }
    assert context["routeKey"] == "GET /items/{id}" and len(context["accountId"]) == 12
    assert isinstance(context["timeEpoch"], int) and context["time"].endswith(" +0000")
    assert event["isBase64Encoded"] is False and "body" not in event


def test_the_function_runs_as_its_owner_and_ignores_a_logged_in_caller(
    client, endpoint, fake_lambda, bob
):
    client.force_login(bob)
    session_id = client.cookies["sessionid"].value
    client.cookies["csrftoken"] = "x" * 32
    # A POST without any CSRF token: this view serves API clients, not the site's forms.
    response = client.post(url(endpoint), "{}", content_type="application/json")
    assert response.status_code == 200
    assert fake_lambda.users == [endpoint.function.owner_id]
    text = json.dumps(fake_lambda.event)
    assert session_id not in text and "csrftoken" not in text and "sessionid" not in text
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_binary_bodies_both_ways(client, endpoint, fake_lambda):
    png = bytes(range(256))
    fake_lambda.result = {
        "statusCode": 200,
        "headers": {"content-type": "image/png"},
        "body": base64.b64encode(png).decode(),
        "isBase64Encoded": True,
    }
    response = client.post(url(endpoint), png, content_type="application/octet-stream")
    assert fake_lambda.event["isBase64Encoded"] is True
    assert base64.b64decode(fake_lambda.event["body"]) == png
    assert response.content == png and response["Content-Type"] == "image/png"
    client.post(url(endpoint), '{"a": "é"}', content_type="application/json")
    assert fake_lambda.event["body"] == '{"a": "é"}'
    assert fake_lambda.event["isBase64Encoded"] is False


def test_response_mapping(client, endpoint, fake_lambda):
    fake_lambda.result = {"hello": "world"}
    response = client.get(url(endpoint))
    assert response.status_code == 200 and response.json() == {"hello": "world"}
    assert response["Content-Type"] == "application/json"
    fake_lambda.result = {
        "statusCode": 418,
        "headers": {"X-Teapot": "yes", "Access-Control-Allow-Origin": "*"},
        "body": "short and stout",
    }
    response = client.get(url(endpoint))
    assert response.status_code == 418 and response.content == b"short and stout"
    assert response["X-Teapot"] == "yes" and response["Access-Control-Allow-Origin"] == "*"
    assert response["apigw-requestid"]


def test_function_errors_and_timeouts(client, endpoint, fake_lambda):
    fake_lambda.status = "failed"
    fake_lambda.error = {"errorType": "KeyError", "errorMessage": "'x'"}
    assert_gateway_message(client.get(url(endpoint)), 500, "Internal Server Error")
    fake_lambda.error = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"}
    assert_gateway_message(client.get(url(endpoint)), 503, "Service Unavailable")
    fake_lambda.status, fake_lambda.error = "succeeded", None
    fake_lambda.result = {"statusCode": 200, "headers": {"x": "a\nb"}}
    assert_gateway_message(client.get(url(endpoint)), 500, "Internal Server Error")
    fake_lambda.raises = runner.SandboxUnavailable("no bwrap", "install it")
    assert_gateway_message(client.get(url(endpoint)), 503, "Service Unavailable")


def test_html_with_a_script_is_served_sandboxed(client, endpoint, fake_lambda):
    html = "<!doctype html><script>fetch('/api/functions/').then(r => r.text())</script>"
    fake_lambda.result = {
        "statusCode": 200,
        "headers": {
            "Content-Type": "text/html",
            "Content-Security-Policy": "script-src *",
            "X-Content-Type-Options": "sniff",
            "X-Frame-Options": "ALLOWALL",
        },
        "body": html,
    }
    response = client.get(url(endpoint))
    assert response.content.decode() == html and response["Content-Type"] == "text/html"
    # Ours first, theirs second: both are enforced, so theirs cannot loosen ours.
    assert response["Content-Security-Policy"] == f"{SANDBOX_POLICY}, script-src *"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_an_lti_session_does_not_swap_the_policy(client, endpoint, fake_lambda):
    client.cookies["lti_frame"] = "anything"
    with mock.patch(
        "quizzes.teach.lti.middleware.frame_origins", return_value=["https://lms.example"]
    ):
        response = client.get(url(endpoint))
    assert response["Content-Security-Policy"] == SANDBOX_POLICY


def test_cookies_both_ways(client, endpoint, fake_lambda):
    fake_lambda.result = {
        "statusCode": 200,
        "cookies": [
            "theme=dark; Path=/; Domain=example.com; Max-Age=60; HttpOnly; SameSite=Lax",
            "sessionid=stolen",
            "csrftoken=forged; Path=/",
            "__Host-x=1; Path=/; Secure",
            "bad cookie",
            "ok=1",
        ],
    }
    client.cookies["sessionid"] = "abcdefgh12345678"
    response = client.get(url(endpoint), HTTP_COOKIE="sessionid=abcdefgh12345678; theme=light")
    assert fake_lambda.event["cookies"] == ["theme=light"]
    assert sorted(response.cookies) == ["ok", "theme"]
    theme = response.cookies["theme"]
    assert theme["path"] == f"/fn/{endpoint.public_id}/" and theme["domain"] == ""
    assert theme["max-age"] == 60 and theme["httponly"] and theme["samesite"] == "Lax"
    assert response.cookies["ok"]["path"] == f"/fn/{endpoint.public_id}/"


def test_set_cookie_in_headers_is_dropped(client, endpoint, fake_lambda):
    fake_lambda.result = {
        "statusCode": 200,
        "headers": {
            "Set-Cookie": "sessionid=x; Path=/",
            "Content-Length": "9999",
            "Transfer-Encoding": "chunked",
            "Connection": "close",
            "Strict-Transport-Security": "max-age=1",
            "Clear-Site-Data": '"*"',
        },
        "body": "x",
    }
    response = client.get(url(endpoint))
    assert not response.cookies and response["Content-Length"] == "1"
    for name in ("Transfer-Encoding", "Connection", "Strict-Transport-Security", "Clear-Site-Data"):
        assert name not in response


def test_disabled_and_unknown_endpoints_are_404(client, endpoint, fake_lambda):
    endpoint.enabled = False
    endpoint.save()
    assert_gateway_message(client.get(url(endpoint)), 404, "Not Found")
    assert_gateway_message(client.get("/fn/nosuchendpoint/x"), 404, "Not Found")
    assert fake_lambda.events == []


def test_no_route_is_404(client, endpoint, fake_lambda):
    endpoint.routes = ["GET /items"]
    endpoint.save()
    assert_gateway_message(client.post(url(endpoint, "/items")), 404, "Not Found")
    assert client.get(url(endpoint, "/items")).status_code == 200
    assert len(fake_lambda.events) == 1


def test_api_keys(client, endpoint, fake_lambda):
    endpoint.api_key_required = True
    endpoint.save()
    key, value = make_key(endpoint)
    assert_gateway_message(client.get(url(endpoint)), 403, "Forbidden")
    assert_gateway_message(client.get(url(endpoint), HTTP_X_API_KEY="wrong"), 403, "Forbidden")
    assert client.get(url(endpoint), HTTP_X_API_KEY=value).status_code == 200
    key.revoked_at = key.created_at
    key.save()
    assert_gateway_message(client.get(url(endpoint), HTTP_X_API_KEY=value), 403, "Forbidden")
    # Another endpoint's key opens nothing here.
    other = Endpoint.objects.create(function=_other_function(endpoint), enabled=True)
    _, other_value = make_key(other)
    assert_gateway_message(client.get(url(endpoint), HTTP_X_API_KEY=other_value), 403, "Forbidden")
    assert len(fake_lambda.events) == 1


def _other_function(endpoint):
    function = endpoint.function
    function.pk, function.name = None, "other"
    function.save()
    return function


@pytest.fixture
def throttled_calls():
    calls = []

    def receiver(sender, function, trigger, **kwargs):
        calls.append((function.pk, trigger))

    signals.throttled.connect(receiver)
    yield calls
    signals.throttled.disconnect(receiver)


def test_token_bucket_answers_429(client, endpoint, fake_lambda, throttled_calls):
    endpoint.rate, endpoint.burst = 1, 3
    endpoint.save()
    with mock.patch("course.functions.endpoints.views.time.time", return_value=1_000_000.0):
        statuses = [client.get(url(endpoint)).status_code for _ in range(4)]
        last = client.get(url(endpoint))
    assert statuses == [200, 200, 200, 429]
    assert_gateway_message(last, 429, "Too Many Requests")
    assert last["Retry-After"] == "1"
    assert throttled_calls == [(endpoint.function_id, "endpoint")] * 2
    # A second later the bucket holds one token again.
    with mock.patch("course.functions.endpoints.views.time.time", return_value=1_000_001.0):
        assert client.get(url(endpoint)).status_code == 200
    assert len(fake_lambda.events) == 4


def test_daily_quota_answers_429_limit_exceeded(client, endpoint, fake_lambda, throttled_calls):
    endpoint.daily_quota = 2
    endpoint.save()
    start = 1_000_000 * 86400.0 / 1_000_000  # midnight UTC, 2 Jan 1970
    for offset in (0.0, 10.0):
        with mock.patch("course.functions.endpoints.views.time.time", return_value=start + offset):
            assert client.get(url(endpoint)).status_code == 200
    with mock.patch("course.functions.endpoints.views.time.time", return_value=start + 20):
        assert_gateway_message(client.get(url(endpoint)), 429, "Limit Exceeded")
    with mock.patch("course.functions.endpoints.views.time.time", return_value=start + 86400):
        assert client.get(url(endpoint)).status_code == 200  # a new UTC day
    assert len(throttled_calls) == 1


def test_each_key_has_its_own_plan(client, endpoint, fake_lambda):
    endpoint.api_key_required, endpoint.daily_quota = True, 1
    endpoint.save()
    _, first = make_key(endpoint, "first")
    _, second = make_key(endpoint, "second")
    assert client.get(url(endpoint), HTTP_X_API_KEY=first).status_code == 200
    assert client.get(url(endpoint), HTTP_X_API_KEY=first).status_code == 429
    assert client.get(url(endpoint), HTTP_X_API_KEY=second).status_code == 200


def test_site_wide_limits(client, endpoint, fake_lambda, settings, throttled_calls):
    from course.runner.web.limits import _endpoint_limiters

    _endpoint_limiters.cache_clear()
    settings.ENDPOINT_ADDRESS_RATE_PER_MINUTE = 2
    try:
        statuses = [client.get(url(endpoint)).status_code for _ in range(3)]
    finally:
        _endpoint_limiters.cache_clear()
    assert statuses == [200, 200, 429]
    # The site's own limits are not the function's throttles (and a flood must not make the
    # database write at its speed): tests/endpoints/test_hostile.py.
    assert throttled_calls == []


def test_no_concurrency_slot_is_429(client, endpoint, fake_lambda):
    fake_lambda.raises = runner.Throttled("concurrency", retry_after_s=1.0)
    assert_gateway_message(client.get(url(endpoint)), 429, "Too Many Requests")


def test_a_body_too_large_is_413(client, endpoint, fake_lambda):
    from course.functions.endpoints.views import MAX_REQUEST_BODY

    body = b"x" * (MAX_REQUEST_BODY + 1)
    response = client.post(url(endpoint), body, content_type="application/octet-stream")
    assert_gateway_message(response, 413, "Request Entity Too Large")
    assert fake_lambda.events == []


def test_query_counts(client, endpoint, fake_lambda, django_assert_num_queries):
    client.get(url(endpoint))  # the usage counter's row exists from now on
    # The endpoint with its function and owner; the counter, locked and updated (5 here: the
    # test's own transaction turns the counter's BEGIN/COMMIT into a logged savepoint pair);
    # then monitoring's record of the invocation (6: tests/monitoring counts them).
    with django_assert_num_queries(5 + 6):
        assert client.get(url(endpoint)).status_code == 200
    endpoint.api_key_required = True
    endpoint.save()
    _, value = make_key(endpoint)
    client.get(url(endpoint), HTTP_X_API_KEY=value)
    with django_assert_num_queries(6 + 6):  # and the key
        assert client.get(url(endpoint), HTTP_X_API_KEY=value).status_code == 200


def test_never_a_session_or_csrf_cookie(endpoint, fake_lambda, alice):
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "short"  # an invalid session: Django would delete it
    response = client.get(url(endpoint))
    assert response.status_code == 200 and not response.cookies
