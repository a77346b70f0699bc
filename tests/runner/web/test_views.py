"""The function runner on the web: API contract, limits, page, fragment and embed."""

import json
import threading
from http.cookiejar import CookieJar
from unittest import mock
from urllib import request as urlrequest
from urllib.error import HTTPError

import pytest
from django.test import Client

from course import runner
from course.runner.web.views import MAX_EVENT_BYTES, sandbox_limits
from tests.helpers import require_tool

API = "/api/runner/invoke"
HELLO = (
    'def lambda_handler(event, context):\n    print("hi")\n    return {"hello": event["name"]}\n'
)


@pytest.fixture
def sandbox():
    status = runner.sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason} {status.how_to_fix}")


@pytest.fixture
def fresh_limits(settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    return settings


def post(client, payload, **headers):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(API, body, content_type="application/json", headers=headers)


def invoke_payload(**overrides):
    return {
        "runtime": "python",
        "code": HELLO,
        "event": {"name": "Ada"},
        "memory_mb": 128,
        "timeout_s": 3,
        **overrides,
    }


# --- API contract ---------------------------------------------------------------------------


def test_anonymous_gets_401_json(client, db):
    response = post(client, invoke_payload())
    assert response.status_code == 401
    assert response.json()["errorType"] == "Unauthorized"


def test_get_is_not_allowed(client, alice):
    client.force_login(alice)
    assert client.get(API).status_code == 405


def test_csrf_is_enforced(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert post(client, invoke_payload()).status_code == 403


def test_a_successful_run(client, alice, sandbox, fresh_limits):
    client.force_login(alice)
    response = post(client, invoke_payload())
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["result"] == {"hello": "Ada"}
    assert body["error"] is None
    assert set(body["report"]) == {
        "duration_ms",
        "billed_duration_ms",
        "memory_size_mb",
        "max_memory_used_mb",
        "init_duration_ms",
    }
    assert body["logs"].startswith(f"START RequestId: {body['request_id']} Version: $LATEST\nhi\n")
    assert f"REPORT RequestId: {body['request_id']}\tDuration: " in body["logs"]
    assert 0 < body["cost_usd"] < 0.00001


def test_a_failing_function_is_still_a_200(client, alice, sandbox, fresh_limits):
    client.force_login(alice)
    code = "def lambda_handler(event, context):\n    raise ValueError('bad input')\n"
    body = post(client, invoke_payload(code=code)).json()
    assert body["status"] == "failed"
    assert body["error"]["errorType"] == "ValueError"
    assert body["error"]["errorMessage"] == "bad input"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("memory_mb", 64, "real Lambda allows 128-10,240 MB"),
        ("memory_mb", 4096, "128 to 1,024 here"),
        ("memory_mb", "lots", "whole number"),
        ("timeout_s", 0, "real Lambda allows 1-900 s"),
        ("timeout_s", 60, "1 to 10 here"),
        ("runtime", "cobol", "Unknown runtime"),
        ("code", "", "Write a handler"),
        ("code", 42, "Write a handler"),
    ],
)
def test_invalid_requests_are_400_naming_the_field(client, alice, field, value, message):
    client.force_login(alice)
    response = post(client, invoke_payload(**{field: value}))
    assert response.status_code == 400
    assert message in response.json()["errors"][field]


def test_bad_json_is_400(client, alice):
    client.force_login(alice)
    assert post(client, "{not json").status_code == 400
    assert post(client, "[1, 2]").status_code == 400


def test_an_event_over_6_mb_is_refused_like_lambda(client, alice, sandbox, fresh_limits):
    client.force_login(alice)
    event = {"blob": "x" * (MAX_EVENT_BYTES + 10)}
    response = post(client, invoke_payload(event=event))
    assert response.status_code == 413
    assert response.json()["errorType"] == "RequestEntityTooLargeException"


def test_sandbox_unavailable_is_503_with_how_to_fix(client, alice, fresh_limits):
    client.force_login(alice)
    status = runner.SandboxStatus(False, "bwrap is not installed.", "apt-get install bubblewrap")
    with mock.patch("course.runner.web.views.runner.sandbox_status", return_value=status):
        response = post(client, invoke_payload())
    assert response.status_code == 503
    assert response.json()["how_to_fix"] == "apt-get install bubblewrap"
    with mock.patch("course.runner.web.views.runner.sandbox_status", return_value=status):
        page = client.get("/tools/function-runner/").content.decode()
    assert "The function runner is unavailable on this server." in page
    assert "apt-get install bubblewrap" in page


def test_rate_limit_per_user(client, alice, bob, sandbox, fresh_limits):
    fresh_limits.RUNNER_RATE_PER_MINUTE = 3
    client.force_login(alice)
    statuses = [post(client, invoke_payload()).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = post(client, invoke_payload())
    assert throttled.json()["errorType"] == "TooManyRequestsException"
    assert int(throttled["Retry-After"]) >= 1
    other = Client()
    other.force_login(bob)
    assert post(other, invoke_payload()).status_code == 200


# --- Concurrency across real requests --------------------------------------------------------


def session_opener(live_server, username):
    jar = CookieJar()
    opener = urlrequest.build_opener(urlrequest.HTTPCookieProcessor(jar))
    opener.open(f"{live_server.url}/accounts/login/")
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    data = f"username={username}&password=correct+horse+battery&csrfmiddlewaretoken={token}"
    opener.open(f"{live_server.url}/accounts/login/", data=data.encode())
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    return opener, token


@pytest.mark.django_db(transaction=True)
def test_concurrency_limit_gives_exactly_the_expected_429s(live_server, sandbox, fresh_limits):
    from django.contrib.auth.models import User

    limit = 2
    fresh_limits.RUNNER_MAX_CONCURRENCY = limit
    for n in range(limit + 1):
        User.objects.create_user(f"learner{n}", password="correct horse battery")
    openers = [session_opener(live_server, f"learner{n}") for n in range(limit + 1)]
    slow = "import time\ndef lambda_handler(event, context):\n    time.sleep(2)\n    return 1\n"
    barrier = threading.Barrier(limit + 1)
    statuses = []

    def call(opener, token):
        body = json.dumps(invoke_payload(code=slow)).encode()
        req = urlrequest.Request(
            f"{live_server.url}{API}",
            data=body,
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        barrier.wait()
        try:
            statuses.append(opener.open(req, timeout=30).status)
        except HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=call, args=pair) for pair in openers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * limit + [429]


# --- Page, form, fragment, embed --------------------------------------------------------------


def test_page_for_anonymous_shows_the_runner_and_a_sign_in_prompt(client, db):
    response = client.get("/tools/function-runner/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="runner-code"' in html and "def lambda_handler" in html
    assert "To run it on our server" in html
    assert "Run function</button>" in html and "disabled" in html
    for runtime in ["Python", "Node.js"]:
        assert runtime in html


def test_unavailable_runtime_is_listed_not_hidden(client, db):
    fake = {
        "python": runner.RuntimeInfo("python", "Python 3.11", True),
        "nodejs": runner.RuntimeInfo("nodejs", "Node.js", False, "/usr/bin/node is missing."),
    }
    with mock.patch("course.runner.web.views.runner.runtimes", return_value=fake):
        html = client.get("/tools/function-runner/").content.decode()
    assert "Node.js (unavailable: /usr/bin/node is missing.)" in html


def test_starter_query_loads_a_starter_without_js(client, db):
    html = client.get("/tools/function-runner/?starter=nodejs-api").content.decode()
    assert "export const handler = async (event)" in html
    assert '<option value="nodejs" selected' in html


def form_post(client, **extra):
    data = {
        "runtime": "python",
        "code": HELLO,
        "event": '{"name": "Ada"}',
        "memory_mb": "128",
        "timeout_s": "3",
        **extra,
    }
    return client.post("/tools/function-runner/run", data)


def test_htmx_run_returns_the_result_fragment(client, alice, sandbox, fresh_limits):
    client.force_login(alice)
    response = client.post(
        "/tools/function-runner/run",
        {
            "runtime": "python",
            "code": HELLO,
            "event": '{"name": "Ada"}',
            "memory_mb": "256",
            "timeout_s": "3",
        },
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert '<section id="runner-result"' in html and "<html" not in html
    assert "✓ succeeded" in html
    assert "REPORT RequestId:" in html
    assert "Memory Size: 256 MB" in html
    assert "/tools/lambda-pricing/?requests=1000000&amp;duration_ms=" in html
    assert "memory_mb=256" in html
    assert "HX-Request" in response["Vary"]


def test_full_page_run_without_js(client, alice, sandbox, fresh_limits):
    client.force_login(alice)
    response = form_post(client)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and "REPORT RequestId:" in html


def test_form_with_bad_event_json_explains(client, alice, fresh_limits):
    client.force_login(alice)
    response = client.post(
        "/tools/function-runner/run",
        {
            "runtime": "python",
            "code": HELLO,
            "event": "{oops",
            "memory_mb": "128",
            "timeout_s": "3",
        },
        headers={"HX-Request": "true"},
    )
    assert "The event is not valid JSON" in response.content.decode()


def test_anonymous_form_post(client, db):
    htmx = client.post("/tools/function-runner/run", {}, headers={"HX-Request": "true"})
    assert "Log in to run functions." in htmx.content.decode()
    plain = client.post("/tools/function-runner/run", {})
    assert plain.status_code == 302 and "/accounts/login/" in plain["Location"]


def test_runner_is_embedded_in_the_lambda_lesson(client, db):
    html = client.get("/lessons/lambda/").content.decode()
    assert 'id="function-runner"' in html
    assert 'hx-post="/tools/function-runner/run"' in html


def test_server_keeps_serving_after_hostile_code(client, alice, sandbox, fresh_limits):
    client.force_login(alice)
    bomb = "import os\ndef lambda_handler(event, context):\n    while True:\n        os.fork()\n"
    body = post(client, invoke_payload(code=bomb, timeout_s=2)).json()
    assert body["status"] == "failed"
    assert client.get("/healthz").status_code == 200
    assert post(client, invoke_payload()).json()["status"] == "succeeded"


def test_the_result_says_how_much_cpu_the_memory_bought(client, alice, sandbox, fresh_limits):
    client.force_login(alice)
    html = form_post(client, memory_mb="128").content.decode()
    assert "CPU for the handler" in html and "7% of one vCPU" in html
    html = form_post(client, memory_mb="1024").content.decode()
    assert "58% of one vCPU" in html
