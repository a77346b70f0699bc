"""Two servers behind one load balancer, sharing PostgreSQL and Redis: limits and progress hold.

Starts real gunicorn processes with production settings; each request below names the server
it goes to, as a load balancer might send consecutive requests of one learner to either.
"""

import json
import re
import threading
import time
import urllib.error
import urllib.request

import pytest

from course.runner import sandbox_status
from course.runner.web.views import sandbox_limits
from quizzes import grading
from tests.helpers import require_tool
from tests.servers import (
    Browser,
    Server,
    create_user,
    manage,
    new_database,
    prepare,
    production_env,
    quiz_form,
)

pytestmark = pytest.mark.server

PASSWORD = "a long unusual passphrase"
FAST = "def lambda_handler(event, context):\n    return 'ok'\n"
SLOW = "import time\ndef lambda_handler(event, context):\n    time.sleep(3)\n    return 'ok'\n"


# Two endpoints of one learner's function... of two functions: one with a usage plan of burst 3
# (refilling 1 a second), one with a roomy plan, which only the site-wide limit per endpoint
# (ENDPOINT_RATE_PER_MINUTE=5) stops.
ENDPOINTS = f"""
from django.contrib.auth.models import User
from course.functions.models import Function
from course.functions.endpoints.models import Endpoint
owner = User.objects.create_user("api-owner")
for name, burst in (("bursty", 3), ("roomy", 50)):
    fn = Function.objects.create(owner=owner, name=name, runtime="python", code={FAST!r})
    Endpoint.objects.create(
        function=fn, public_id=name.ljust(20, "0"), enabled=True, rate=1, burst=burst
    )
"""


def call(base: str, public_id: str) -> tuple[int, object]:
    """GET an endpoint: (status, body), the body parsed when it is JSON."""
    try:
        with urllib.request.urlopen(f"{base}/fn/{public_id}/", timeout=30) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode()  # a string result is sent as the text itself


def run(code):
    return {"runtime": "python", "code": code, "event": {}, "memory_mb": 128, "timeout_s": 5}


@pytest.fixture(scope="module")
def servers(postgres_url, redis_url, collected_static, tmp_path_factory):
    status = sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")
    env = production_env(
        tmp_path_factory.mktemp("scale-out"),
        collected_static,
        DATABASE_URL=new_database(postgres_url),
        REDIS_URL=redis_url.rsplit("/", 1)[0] + "/5",
        RUNNER_MAX_CONCURRENCY="1",
        RUNNER_RATE_PER_MINUTE="3",
        ENDPOINT_RATE_PER_MINUTE="5",
    )
    prepare(env)
    create_user(env, "learner", PASSWORD)
    create_user(env, "other", PASSWORD)
    create_user(env, "third", PASSWORD)
    manage(env, "shell", "-c", ENDPOINTS)
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    first, second = Server(env).start(), Server(env).start()
    yield first, second
    first.stop()
    second.stop()


def test_a_session_from_one_server_works_on_the_other(servers):
    a, b = servers
    browser = Browser(a.url)
    browser.login("learner", PASSWORD)
    _, html, _ = browser.use(b.url).get("/")
    assert "Signed in as <strong>learner</strong>" in html


def test_rate_limit_holds_across_both_servers(servers):
    a, b = servers
    browser = Browser(a.url)
    browser.login("learner", PASSWORD)
    statuses = [
        browser.use(a.url).post_json("/api/runner/invoke", run(FAST))[0],
        browser.use(b.url).post_json("/api/runner/invoke", run(FAST))[0],
        browser.use(a.url).post_json("/api/runner/invoke", run(FAST))[0],
    ]
    assert statuses == [200, 200, 200]
    status, body = browser.use(b.url).post_json("/api/runner/invoke", run(FAST))
    assert status == 429
    assert body["errorType"] == "TooManyRequestsException"


def test_an_endpoints_usage_plan_holds_across_both_servers(servers):
    a, b = servers
    answers = [call(server.url, "bursty".ljust(20, "0")) for server in (a, b, a, b)]
    assert [status for status, _ in answers] == [200, 200, 200, 429]
    assert answers[0][1] == "ok" and answers[3][1] == {"message": "Too Many Requests"}


def test_the_site_wide_limit_per_endpoint_holds_across_both_servers(servers):
    a, b = servers
    statuses = [call(server.url, "roomy".ljust(20, "0"))[0] for server in (a, b, a, b, a, b)]
    assert statuses == [200] * 5 + [429]


def test_concurrency_limit_holds_across_both_servers(servers):
    a, b = servers
    slow_learner = Browser(a.url)
    slow_learner.login("other", PASSWORD)
    fast_learner = Browser(b.url)
    fast_learner.login("third", PASSWORD)
    outcome = {}

    def slow_run():
        outcome["slow"] = slow_learner.post_json("/api/runner/invoke", run(SLOW))[0]

    thread = threading.Thread(target=slow_run)
    thread.start()
    time.sleep(1.0)  # the slow run holds the only slot, on server A
    status, body = fast_learner.post_json("/api/runner/invoke", run(FAST))
    thread.join()
    assert outcome["slow"] == 200
    assert status == 429
    assert body["reason"] == "ConcurrentInvocationLimitExceeded"


def test_quiz_progress_holds_across_both_servers(servers):
    a, b = servers
    browser = Browser(a.url)
    browser.login("learner", PASSWORD)
    browser.get("/lessons/batch/")
    _, html, attempt_url = browser.post("/lessons/batch/quiz/start/")
    attempt_path = re.search(r"/quizzes/attempts/\d+/", attempt_url).group(0)
    answers = quiz_form(html)
    status, _, _ = browser.post(attempt_path + "review/", answers)  # saved on server A
    assert status == 200
    _, review, _ = browser.use(b.url).get(attempt_path + "review/")  # resumed on server B
    assert "Not answered" not in review
    _, result, _ = browser.post(attempt_path + "submit/")
    points, max_points = re.search(
        r'<span class="score-figure">(\d+) / (\d+)</span>', result
    ).groups()
    percent = grading.percent(int(points), int(max_points))
    _, progress, _ = browser.use(a.url).get("/progress/")
    # The Batch row, as server A renders it from what server B graded: read, best score, 1 attempt.
    row = re.search(r"AWS Batch</a></th>\s*(.*?)</tr>", progress, re.S)
    assert row, "no AWS Batch row on /progress/"
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    assert cells[0] == "✓ Read"
    assert cells[1] == f"{percent}%"
    assert cells[3] == "1"
