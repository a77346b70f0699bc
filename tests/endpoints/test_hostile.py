"""/fn/ and the owner's API as a hostile learner or an anonymous client would use them: each test
is an attack that once worked (or an edge that answered a Django page instead of JSON), kept so
it stays closed. What held on the first try is tested too, at the end, so it keeps holding."""

from __future__ import annotations

import json

import pytest

from course.functions.endpoints.middleware import SANDBOX_POLICY
from course.functions.endpoints.models import MAX_KEYS, ApiKey, Endpoint, UsageCounter
from course.functions.endpoints.views import MAX_REQUEST_BODY


def url(endpoint: Endpoint, path: str = "/") -> str:
    return f"/fn/{endpoint.public_id}{path}"


@pytest.fixture
def roomy(settings, endpoint):
    """Limits out of the way, for tests that send many requests."""
    settings.ENDPOINT_RATE_PER_MINUTE = 10_000
    settings.ENDPOINT_ADDRESS_RATE_PER_MINUTE = 10_000
    endpoint.rate, endpoint.burst = 100, 200
    endpoint.save()
    return endpoint


def assert_json_message(response, status: int, text: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": text}
    assert response["Content-Security-Policy"].startswith(SANDBOX_POLICY)


# --- Our own pages must not load, submit to or call an endpoint ---------------------------------
# The site's policy trusts 'self', and an endpoint is on 'self': with one HTML injection anywhere
# on the site, a learner's file would run as our script, or a form of ours would post its CSRF
# token and password to a learner's function. Browsers say what a request is for (Sec-Fetch-Dest,
# -Mode) and who sent it (Sec-Fetch-Site): such requests are refused before the function runs.


@pytest.mark.parametrize(
    "dest", ["script", "style", "worker", "sharedworker", "serviceworker", "xslt", "font"]
)
@pytest.mark.parametrize("site", ["same-origin", "same-site"])
def test_our_pages_cannot_load_an_endpoint_as_a_subresource(client, roomy, fake_lambda, dest, site):
    fake_lambda.result = {
        "statusCode": 200,
        "headers": {"content-type": "application/javascript"},
        "body": "fetch('/api/functions/').then(r => r.text()).then(steal)",
    }
    response = client.get(
        url(roomy, "/evil.js"), HTTP_SEC_FETCH_DEST=dest, HTTP_SEC_FETCH_SITE=site
    )
    assert_json_message(response, 403, "Forbidden")
    assert fake_lambda.events == []  # refused before the function ran


@pytest.mark.parametrize("site", ["same-origin", "same-site"])
def test_our_forms_and_htmx_cannot_send_to_an_endpoint(client, roomy, fake_lambda, site):
    fields = {"csrfmiddlewaretoken": "token", "password": "hunter2"}
    posted = client.post(
        url(roomy), fields, HTTP_SEC_FETCH_SITE=site, HTTP_SEC_FETCH_MODE="navigate",
        HTTP_SEC_FETCH_DEST="document",
    )  # fmt: skip
    assert_json_message(posted, 403, "Forbidden")
    htmx = client.post(
        url(roomy), fields, HTTP_SEC_FETCH_SITE=site, HTTP_SEC_FETCH_MODE="cors",
        HTTP_SEC_FETCH_DEST="empty", HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert_json_message(htmx, 403, "Forbidden")
    assert fake_lambda.events == []


def test_another_sites_form_still_reaches_the_function(client, roomy, fake_lambda):
    response = client.post(
        url(roomy), "a=1", content_type="application/x-www-form-urlencoded",
        HTTP_SEC_FETCH_SITE="cross-site", HTTP_SEC_FETCH_MODE="navigate",
        HTTP_SEC_FETCH_DEST="document",
    )  # fmt: skip
    assert response.status_code == 200 and fake_lambda.event["body"] == "a=1"


@pytest.mark.parametrize(
    ("dest", "site"),
    [
        ("document", "same-origin"),  # a link from our own page: a sandboxed top-level document
        ("empty", "same-origin"),  # fetch() from our page reads data, runs nothing
        ("script", "cross-site"),  # another site's page: runs with that site's origin
        ("document", "none"),  # typed into the address bar
        (None, None),  # curl, other servers
    ],
)
def test_documents_api_calls_and_other_sites_still_reach_the_function(
    client, roomy, fake_lambda, dest, site
):
    headers = {}
    if dest:
        headers = {"HTTP_SEC_FETCH_DEST": dest, "HTTP_SEC_FETCH_SITE": site}
    assert client.get(url(roomy, "/x"), **headers).status_code == 200
    assert len(fake_lambda.events) == 1


# --- A learner's cookie attributes must never turn into a Django 500 --------------------------


def test_a_huge_max_age_is_capped_not_a_server_error(client, roomy, fake_lambda):
    fake_lambda.result = {
        "statusCode": 200,
        "cookies": ["a=b; Max-Age=99999999999999999999999", "c=d; Max-Age=60"],
    }
    response = client.get(url(roomy))
    assert response.status_code == 200
    # Browsers cap a cookie's lifetime at 400 days (RFC 6265bis): so do we.
    assert response.cookies["a"]["max-age"] == 400 * 86400
    assert response.cookies["c"]["max-age"] == 60
    assert response.cookies["a"]["path"] == roomy.public_path()


def test_host_prefixed_cookies_are_refused_in_any_case(client, roomy, fake_lambda):
    # Browsers match the __Host- and __Secure- prefixes case-insensitively; __Host- needs Path=/,
    # which an endpoint's cookie never has.
    fake_lambda.result = {"statusCode": 200, "cookies": ["__HOST-a=1", "__host-b=1", "ok=1"]}
    response = client.get(url(roomy))
    assert set(response.cookies) == {"ok"}


# --- Statuses that carry no body ---------------------------------------------------------------


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses_send_no_body(client, roomy, fake_lambda, status):
    # RFC 9110: 204 and 304 end at the headers. A body after them (runserver sends what it is
    # given) would be read as the start of the next response on a kept-alive connection.
    fake_lambda.result = {"statusCode": status, "body": "HTTP/1.1 200 OK\r\n\r\n<script>"}
    response = client.get(url(roomy))
    assert response.status_code == status
    assert response.content == b""
    assert response.get("Content-Length") in (None, "0")


# --- Headers the browser keeps for the whole origin ------------------------------------------


@pytest.mark.parametrize("name", ["Accept-CH", "Critical-CH", "Set-Login"])
def test_headers_the_browser_keeps_for_our_origin_are_dropped(client, roomy, fake_lambda, name):
    fake_lambda.result = {"statusCode": 200, "headers": {name: "Sec-CH-UA-Full-Version-List"}}
    response = client.get(url(roomy))
    assert response.status_code == 200 and name not in response


# --- Every answer under /fn/ is JSON -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/fn", "/fn/", "/fn//x", "/fn//"])
def test_paths_without_an_endpoint_id_answer_json_not_found(client, db, path):
    assert_json_message(client.get(path), 404, "Not Found")


@pytest.mark.parametrize("public_id", ["%00", "a%00b", "x" * 5000, "..", "ZZZZ", "%C3%A9"])
def test_odd_endpoint_ids_answer_json_not_found(client, db, public_id):
    # "%00" answered a Django 500 page on PostgreSQL (a NUL in the query).
    assert_json_message(client.get(f"/fn/{public_id}/x"), 404, "Not Found")
    assert_json_message(client.get(f"/fn/{public_id}"), 404, "Not Found")


# --- What the function sees of the caller -------------------------------------------------------


def test_the_csrf_header_never_reaches_the_function(client, roomy, fake_lambda, settings):
    # A page of ours that sends its CSRF token in a header (htmx) must not hand it to a function.
    client.get(url(roomy), HTTP_X_CSRFTOKEN="secret-token", HTTP_X_OTHER="kept")
    headers = fake_lambda.event["headers"]
    assert "x-csrftoken" not in headers and headers["x-other"] == "kept"


def test_duplicate_cookie_headers_joined_with_commas_do_not_leak_our_cookies(
    client, roomy, fake_lambda
):
    # gunicorn joins repeated Cookie headers with "," (HTTP/2 clients split cookies into
    # several): the site's cookies must still be taken out.
    client.get(url(roomy), HTTP_COOKIE="theme=dark,sessionid=SECRET; csrftoken=C,lang=fr")
    event = fake_lambda.event
    text = json.dumps(event)
    assert "SECRET" not in text and "csrftoken" not in text
    assert event["cookies"] == ["theme=dark", "lang=fr"]


# --- Guessing API keys --------------------------------------------------------------------------


def test_wrong_api_keys_count_against_the_client_address(client, settings, endpoint, fake_lambda):
    settings.ENDPOINT_ADDRESS_RATE_PER_MINUTE = 5
    endpoint.api_key_required = True
    endpoint.save()
    statuses = [
        client.get(url(endpoint), HTTP_X_API_KEY=f"guess-{n}").status_code for n in range(8)
    ]
    assert statuses[:5] == [403] * 5
    assert statuses[5:] == [429] * 3
    assert fake_lambda.events == []


# --- A new key's value is never cached ----------------------------------------------------------


def test_answers_showing_a_new_key_are_not_cached(client, alice, alice_fn):
    client.force_login(alice)
    for response in (
        client.post(f"/api/functions/{alice_fn.pk}/keys", {}, content_type="application/json"),
        client.post(f"/functions/{alice_fn.pk}/endpoint/keys", {"name": "page"}),
        client.post(f"/functions/{alice_fn.pk}/endpoint/keys", {}, HTTP_HX_REQUEST="true"),
    ):
        assert response.status_code in (200, 201)
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


# --- Key spam -----------------------------------------------------------------------------------


def test_revoked_keys_do_not_pile_up(client, alice, alice_fn, fake_lambda):
    """Create and revoke in a loop: the endpoint keeps its newest revoked keys only (with their
    usage counters), so a script cannot grow the table and the page without bound."""
    from course.functions.endpoints.models import MAX_REVOKED_KEYS

    client.force_login(alice)
    api = f"/api/functions/{alice_fn.pk}/keys"
    for _ in range(MAX_REVOKED_KEYS + 15):
        created = client.post(api, {}, content_type="application/json")
        assert created.status_code == 201
        key = ApiKey.objects.get(pk=created.json()["id"])
        UsageCounter.objects.create(
            endpoint=key.endpoint, bucket=f"key:{key.pk}", tokens=1, stamp=0, day="2026-01-01"
        )
        assert client.delete(f"{api}/{key.pk}").status_code == 204
    client.post(api, {}, content_type="application/json")
    endpoint = alice_fn.endpoint
    assert endpoint.keys.filter(revoked_at__isnull=False).count() <= MAX_REVOKED_KEYS
    assert endpoint.keys.active().count() == 1
    kept = {f"key:{pk}" for pk in endpoint.keys.values_list("pk", flat=True)}
    assert set(UsageCounter.objects.filter(endpoint=endpoint).values_list("bucket", flat=True)) <= (
        kept
    )
    assert len(client.get(api).json()["keys"]) <= MAX_REVOKED_KEYS + MAX_KEYS


# --- Chunked request bodies ----------------------------------------------------------------------
# Without Content-Length Django reads nothing: a chunked body (HTTP/1.1 clients streaming an
# upload) reached the function as no body at all. gunicorn de-chunks it (wsgi.input_terminated);
# it is read up to the same limit, and a server that cannot de-chunk answers 411.


def chunked(client, endpoint, data: bytes, terminated: bool = True):
    import io

    environ = {"wsgi.input": io.BytesIO(data), "CONTENT_TYPE": "text/plain"}
    if terminated:
        environ["wsgi.input_terminated"] = True
    return client.generic("POST", url(endpoint), b"", HTTP_TRANSFER_ENCODING="chunked", **environ)


def test_a_chunked_body_reaches_the_function(client, roomy, fake_lambda):
    assert chunked(client, roomy, b"streamed body").status_code == 200
    assert fake_lambda.event["body"] == "streamed body"


def test_a_chunked_body_past_the_limit_is_413_without_reading_it_all(client, roomy, fake_lambda):
    class Endless:
        read_bytes = 0

        def read(self, size=-1):
            assert size is not None and 0 < size <= MAX_REQUEST_BODY + 1
            self.read_bytes += size
            return b"x" * size

        readline = read

    stream = Endless()
    environ = {"wsgi.input": stream, "wsgi.input_terminated": True}
    response = client.generic(
        "POST", url(roomy), b"", content_type="application/octet-stream",
        HTTP_TRANSFER_ENCODING="chunked", **environ,
    )  # fmt: skip
    assert_json_message(response, 413, "Request Entity Too Large")
    assert stream.read_bytes <= MAX_REQUEST_BODY + 1
    assert fake_lambda.events == []


def test_a_chunked_body_a_server_cannot_end_is_411(client, roomy, fake_lambda):
    assert_json_message(chunked(client, roomy, b"abc", terminated=False), 411, "Length Required")
    assert fake_lambda.events == []


# --- Floods -------------------------------------------------------------------------------------
# Every 429 wrote a throttle datapoint (an INSERT and a pruning DELETE) for the function's
# metrics, refusals by the site-wide limits included: a client sending as fast as it can made
# the database write at that speed, and the owner's monitor read those rows back, with no limit
# on their number. The site-wide limits protect the site, as API Gateway's account-level
# throttling does, and are not the function's throttles; the usage plan's and the sandbox's are
# recorded, and they are bounded by the per-endpoint limit in front of them.


def test_a_flood_refused_by_the_site_wide_limits_writes_nothing(
    client, settings, endpoint, fake_lambda
):
    from course.functions.monitoring.models import Datapoint

    settings.ENDPOINT_ADDRESS_RATE_PER_MINUTE = 2
    endpoint.rate, endpoint.burst = 100, 200
    endpoint.save()
    statuses = [client.get(url(endpoint)).status_code for _ in range(30)]
    assert statuses == [200, 200] + [429] * 28
    assert Datapoint.objects.filter(throttled=True).count() == 0
    assert Datapoint.objects.filter(throttled=False).count() == 2


def test_usage_plan_refusals_are_still_the_functions_throttles(
    client, settings, endpoint, fake_lambda
):
    from course.functions.monitoring.models import Datapoint

    endpoint.rate, endpoint.burst = 1, 1
    endpoint.save()
    statuses = [client.get(url(endpoint)).status_code for _ in range(3)]
    assert statuses == [200, 429, 429]
    assert Datapoint.objects.filter(throttled=True).count() == 2


# --- What held: kept as tests ------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 200, "headers": {"X-A": "a\r\nSet-Cookie: sessionid=x"}},
        {"statusCode": 200, "headers": {"Content-Type": "text/html\r\nX: y"}},
        {"statusCode": 200, "headers": {"X-A": ["a", "b"]}},
        {"statusCode": 200, "headers": {"X-A": None}},
        {"statusCode": 200, "headers": {"": "x"}},
        {"statusCode": 200, "headers": {"X A": "x"}},
        {"statusCode": 100},
        {"statusCode": 200.5},
        {"statusCode": True},
        {"statusCode": 200, "isBase64Encoded": True, "body": "not base64!"},
        {"statusCode": 200, "cookies": "a=b"},
        {"statusCode": 200, "cookies": [1]},
    ],
)
def test_malformed_results_answer_gateway_500(client, roomy, fake_lambda, result):
    fake_lambda.result = result
    response = client.get(url(roomy))
    assert_json_message(response, 500, "Internal Server Error")
    assert not response.cookies


@pytest.mark.parametrize(
    "headers",
    [
        {"Set-Cookie": "sessionid=x; Path=/"},
        {"set-cookie": "csrftoken=x"},
        {"SET-COOKIE": "a=b"},
        {"X-Frame-Options": "ALLOWALL"},
        {"X-Content-Type-Options": "sniff"},
        {"Strict-Transport-Security": "max-age=0"},
        {"Clear-Site-Data": '"*"'},
        {"Content-Length": "9999"},
        {"Transfer-Encoding": "chunked"},
    ],
)
def test_headers_acting_on_our_origin_are_dropped(client, roomy, fake_lambda, headers):
    fake_lambda.result = {"statusCode": 200, "headers": headers, "multiValueHeaders": {
        "Set-Cookie": ["sessionid=stolen"]}, "body": "ok"}  # fmt: skip
    response = client.get(url(roomy))
    assert response.status_code == 200 and not response.cookies
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response and "Clear-Site-Data" not in response
    assert response["Content-Length"] == "2"


def test_our_cookie_names_and_scopes_cannot_be_set(client, roomy, fake_lambda):
    fake_lambda.result = {"statusCode": 200, "cookies": [
        "sessionid=x; Path=/", "csrftoken=x", "messages=x", "a=b; Domain=evil.example; Path=/",
        "__Secure-s=1; Secure; Path=/",
    ]}  # fmt: skip
    response = client.get(url(roomy))
    assert set(response.cookies) == {"a", "__Secure-s"}
    for cookie in response.cookies.values():
        assert cookie["path"] == roomy.public_path() and not cookie["domain"]


def test_a_learner_policy_only_adds_restrictions(client, roomy, fake_lambda):
    fake_lambda.result = {"statusCode": 200, "headers": {
        "Content-Security-Policy": "script-src * 'unsafe-inline'", "content-type": "text/html"},
        "body": "<script>alert(document.cookie)</script>"}  # fmt: skip
    response = client.get(url(roomy))
    policies = [p.strip() for p in response["Content-Security-Policy"].split(",")]
    assert policies[0] == SANDBOX_POLICY  # enforced whatever the second one says


@pytest.mark.parametrize("method", ["OPTIONS", "HEAD", "TRACE", "PROPFIND", "PATCH"])
def test_odd_methods_reach_the_function_without_our_cookies(client, roomy, fake_lambda, method):
    client.cookies["sessionid"] = "SECRET"
    response = client.generic(method, url(roomy, "/x"))
    assert response.status_code == 200
    assert fake_lambda.event["requestContext"]["http"]["method"] == method
    assert "SECRET" not in json.dumps(fake_lambda.event)


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/../../admin/", "/../../admin/"),
        ("/a%2Fb", "/a/b"),
        ("/%00", "/%00"),
        ("/%C3%A9", "/%C3%A9"),
        ("/%FF", "/%25FF"),
        ("/" + "a" * 5000, "/" + "a" * 5000),
    ],
)
def test_odd_paths_reach_the_function(client, roomy, fake_lambda, path, raw):
    assert client.get(url(roomy, path)).status_code == 200
    assert fake_lambda.event["rawPath"] == raw


def test_headers_that_are_not_utf8_reach_the_function(client, roomy, fake_lambda):
    # WSGI hands headers over as latin-1 text: the event holds them as such, never a 500.
    assert client.get(url(roomy), HTTP_X_BIN="\xff\xfe").status_code == 200
    assert fake_lambda.event["headers"]["x-bin"] == "\xff\xfe"


def test_a_body_past_the_limit_is_refused_from_its_declared_length(client, roomy, fake_lambda):
    class Unreadable:
        def read(self, *args):
            raise AssertionError("a body declared too large must not be read")

        readline = read

    response = client.generic(
        "POST", url(roomy), b"", CONTENT_LENGTH=str(MAX_REQUEST_BODY + 1),
        **{"wsgi.input": Unreadable()},
    )  # fmt: skip
    assert_json_message(response, 413, "Request Entity Too Large")
    assert fake_lambda.events == []


def test_a_body_longer_than_declared_is_cut_at_the_declared_length(client, roomy, fake_lambda):
    response = client.generic(
        "POST", url(roomy), b"abcdef", content_type="text/plain", CONTENT_LENGTH="3"
    )
    assert response.status_code == 200 and fake_lambda.event["body"] == "abc"


def test_a_disabled_endpoint_and_another_owners_are_alike_to_callers(
    client, endpoint, fake_lambda, bob
):
    endpoint.enabled = False
    endpoint.save()
    assert_json_message(client.get(url(endpoint)), 404, "Not Found")
    client.force_login(bob)
    assert_json_message(client.get(url(endpoint)), 404, "Not Found")
