"""Lab pages, Check and Submit, drafts, and the labs and validators JSON APIs (public contract)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from course import runner
from course.labs.models import Lab, LabAttempt, LabDraft
from course.runner.web.limits import sandbox_limits
from tests.conftest import require_tool

KEY = "lambda-first-handler"
PAGE = f"/lessons/lambda/labs/{KEY}/"
API = f"/api/labs/{KEY}/check"


@pytest.fixture
def sandbox():
    status = runner.sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")


@pytest.fixture
def fresh_limits(settings, tmp_path):
    """Fresh rate limits for the test: file-based ones live in the state folder; in Redis (the
    scale-out run) they outlive tests, and anonymous checks share one key per client address."""
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter("course:runner:rate:lab-*"):
            client.delete(key)
    return settings


@pytest.fixture
def lab(db):
    return Lab.objects.get(key=KEY)


def check(client, answer, submit=False, **extra):
    body = json.dumps({"answer": answer, "submit": submit, **extra})
    return client.post(API, body, content_type="application/json")


# --- The list -------------------------------------------------------------------------------


def test_the_list_names_every_active_lab(client, db):
    response = client.get("/api/labs/")
    assert response.status_code == 200
    labs = response.json()["labs"]
    assert {"key", "lesson", "kind", "title", "url"} == set(labs[0])
    first = next(item for item in labs if item["key"] == KEY)
    assert first["lesson"] == "lambda" and first["kind"] == "code"
    assert first["url"].endswith(PAGE)
    assert len(labs) == Lab.objects.active().count()


def test_the_list_is_read_only(client, db):
    assert client.post("/api/labs/").status_code == 405


# --- Check and submit through the API -------------------------------------------------------


def test_check_runs_the_visible_tests_only_and_records_nothing(client, lab, sandbox, fresh_limits):
    response = check(client, lab.solution)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"passed", "score", "max", "tests"}
    assert body["passed"] is True
    assert body["max"] == len(lab.visible_tests) == body["score"]
    assert all(set(t) == {"name", "visible", "passed", "message"} for t in body["tests"])
    assert all(t["visible"] for t in body["tests"])
    assert LabAttempt.objects.count() == 0


def test_the_starter_fails_with_useful_messages(client, lab, sandbox, fresh_limits):
    body = check(client, lab.starter).json()
    assert body["passed"] is False and body["score"] < body["max"]
    failed = [t for t in body["tests"] if not t["passed"]]
    assert any("Hello, Ada!" in t["message"] for t in failed)


def test_submit_needs_a_signed_in_learner(client, lab, fresh_limits):
    response = check(client, lab.solution, submit=True)
    assert response.status_code == 401
    assert LabAttempt.objects.count() == 0


def test_submit_runs_every_test_and_records_one_attempt(client, alice, lab, sandbox, fresh_limits):
    client.force_login(alice)
    body = check(client, lab.solution, submit=True).json()
    assert body["passed"] is True and body["max"] == len(lab.tests)
    hidden = [t for t in body["tests"] if not t["visible"]]
    assert hidden and all(t["message"] == "Hidden test: passed." for t in hidden)
    attempt = LabAttempt.objects.get()
    assert (attempt.user, attempt.lab, attempt.score, attempt.passed) == (
        alice,
        lab,
        len(lab.tests),
        True,
    )
    # The same answer again (a double click, a retry): still one attempt, same answer.
    assert check(client, lab.solution, submit=True).json() == body
    assert LabAttempt.objects.count() == 1


def test_hidden_tests_never_show_their_event_or_result(client, alice, lab, sandbox, fresh_limits):
    client.force_login(alice)
    leaky = (
        "import json\n"
        "def lambda_handler(event, context):\n"
        "    print('EVENT', json.dumps(event))\n"
        "    return {'greeting': 'no', 'echo': event}\n"
    )
    body = check(client, leaky, submit=True).json()
    text = json.dumps(body)
    for test in lab.tests:
        if not test["visible"]:
            assert json.dumps(test["event"])[1:-1] not in text
    hidden = [t for t in body["tests"] if not t["visible"]]
    assert all(t["message"].startswith("Hidden test: failed") for t in hidden)


def test_a_double_submit_racing_past_the_check_records_one_attempt(
    client, alice, lab, sandbox, fresh_limits, monkeypatch
):
    """Two submits of one answer at once: both miss the "already submitted" lookup, both
    grade, and the unique constraint lets one insert win; the other answers with that attempt.
    (Threads cannot share the test database's transaction, so the race is staged.)"""
    client.force_login(alice)
    first = check(client, lab.solution, submit=True).json()
    real_filter = LabAttempt.objects.filter

    def miss_the_earlier_attempt(*args, **kwargs):
        found = real_filter(*args, **kwargs)
        return found.none() if "answer_digest" in kwargs and "lab" in kwargs else found

    monkeypatch.setattr(LabAttempt.objects, "filter", miss_the_earlier_attempt)
    second = check(client, lab.solution, submit=True)
    assert second.status_code == 200 and second.json() == first
    assert LabAttempt.objects.count() == 1


@pytest.mark.parametrize(
    "body,status",
    [
        ("not json", 400),
        ("[1, 2]", 400),
        ('{"submit": false}', 400),
        ('{"answer": 12}', 400),
        ('{"answer": "x", "submit": "yes"}', 400),
        ('{"answer": "' + "x" * 70_000 + '"}', 400),
        ('{"answer": "\\ud800"}', 400),
        ("[" * 100_000, 400),
    ],
)
def test_malformed_bodies_are_400_naming_the_problem(client, db, fresh_limits, body, status):
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["errors"]


def test_unknown_lab_is_404(client, db):
    response = client.post("/api/labs/no-such-lab/check", "{}", content_type="application/json")
    assert response.status_code == 404


def test_the_api_needs_csrf_like_the_rest(alice, lab):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert check(client, lab.solution).status_code == 403


def test_checks_are_rate_limited(client, alice, lab, settings, fresh_limits):
    settings.RUNNER_RATE_PER_MINUTE = 2
    client.force_login(alice)
    artefact = Lab.objects.exclude(kind="code").first() or lab
    url = f"/api/labs/{artefact.key}/check"

    def hit():
        return client.post(url, json.dumps({"answer": "x"}), content_type="application/json")

    if artefact.kind == "code":
        pytest.skip("needs an artefact lab (no sandbox) to hit the limit quickly")
    assert [hit().status_code for _ in range(3)] == [200, 200, 429]
    assert hit()["Retry-After"]


# --- Pages ----------------------------------------------------------------------------------


def test_the_lesson_links_its_labs(client, lab):
    html = client.get("/lessons/lambda/").content.decode()
    assert f'href="{PAGE}"' in html
    link_text = html.split(f'href="{PAGE}">', 1)[1].split("</a>", 1)[0]
    assert "lab" in link_text.lower()


def test_the_lab_page_shows_the_task_the_visible_tests_and_not_the_solution(client, lab):
    html = client.get(PAGE).content.decode()
    assert "lambda_handler" in html and "Greets by name" in html
    assert "Hello, Ada!" in html  # a visible test's expectation
    assert "Linus" not in html  # a hidden test's event
    assert "context.aws_request_id}" not in html  # the model solution's last line
    assert client.get(f"/lessons/ecs/labs/{KEY}/").status_code == 404


def test_hints_are_revealed_one_at_a_time(client, lab):
    html = client.get(PAGE).content.decode()
    assert "Show hint 1" in html and "Hint 1</h3>" not in html
    html = client.get(PAGE + "?hints=1").content.decode()
    assert "Hint 1</h3>" in html and "Hint 2</h3>" not in html and "Show hint 2" in html
    fragment = client.get(PAGE + "?hints=2", headers={"HX-Request": "true"}).content.decode()
    assert "Hint 2</h3>" in fragment and "<html" not in fragment
    assert client.get(PAGE + "?hints=banana").status_code == 200


def test_check_without_js_renders_the_page_with_the_result(client, lab, sandbox, fresh_limits):
    response = client.post(PAGE + "check", {"answer": lab.starter, "action": "check"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "tests passed" in html and "✗ Failed" in html
    assert lab.starter.splitlines()[0] in html  # the learner's text is kept


def test_check_with_htmx_returns_the_result_fragment(client, lab, sandbox, fresh_limits):
    response = client.post(
        PAGE + "check", {"answer": lab.solution, "action": "check"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="lab-result"' in html
    assert "Every visible test passed" in html


def test_passing_shows_the_model_solution(client, alice, lab, sandbox, fresh_limits):
    client.force_login(alice)
    client.post(PAGE + "check", {"answer": lab.solution, "action": "submit"})
    html = client.get(PAGE).content.decode()
    assert "Model solution" in html and "context.aws_request_id}" in html


def test_learner_text_is_escaped(client, lab, fresh_limits):
    client.post(PAGE + "draft", {"answer": "<script>alert(1)</script>"})
    html = client.get(PAGE).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- Drafts ---------------------------------------------------------------------------------


def test_drafts_are_saved_as_the_learner_types_and_come_back(client, alice, lab):
    client.force_login(alice)
    response = client.post(PAGE + "draft", {"answer": "def lambda_handler(e, c):\n    return 1\n"})
    assert response.status_code == 200 and "Draft saved" in response.content.decode()
    assert "return 1" in client.get(PAGE).content.decode()
    client.post(PAGE + "draft", {"answer": "# second"})
    assert LabDraft.objects.filter(user=alice).count() == 1


def test_an_anonymous_draft_moves_to_the_account_at_log_in(client, alice, lab):
    client.post(PAGE + "draft", {"answer": "# typed before logging in"})
    assert LabDraft.objects.filter(user__isnull=True).count() == 1
    client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"})
    draft = LabDraft.objects.get(lab=lab)
    assert draft.user == alice and draft.text == "# typed before logging in"
    assert "# typed before logging in" in client.get(PAGE).content.decode()


def test_one_learners_draft_is_never_anothers(client, alice, bob, lab):
    client.force_login(alice)
    client.post(PAGE + "draft", {"answer": "# alice's secret"})
    other = Client()
    other.force_login(bob)
    assert "alice's secret" not in other.get(PAGE).content.decode()
    assert "alice's secret" not in Client().get(PAGE).content.decode()


def test_a_draft_too_large_is_refused_and_changes_nothing(client, alice, lab):
    client.force_login(alice)
    client.post(PAGE + "draft", {"answer": "# kept"})
    response = client.post(PAGE + "draft", {"answer": "x" * 70_000})
    assert response.status_code == 400 and "Not saved" in response.content.decode()
    assert LabDraft.objects.get(user=alice).text == "# kept"


def test_nul_is_refused_in_drafts_and_never_saved_by_a_check(client, alice, lab):
    client.force_login(alice)
    client.post(PAGE + "draft", {"answer": "# kept"})
    response = client.post(PAGE + "draft", {"answer": "a\x00b"})
    assert response.status_code == 400 and "NUL character" in response.content.decode()
    response = client.post(PAGE + "check", {"answer": "a\x00b", "action": "check"})
    assert response.status_code == 400
    assert LabDraft.objects.get(user=alice).text == "# kept"


# --- The validators tool --------------------------------------------------------------------

TASK = json.dumps(
    {
        "family": "web",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "512",
        "memory": "4096",
        "containerDefinitions": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "essential": True,
                "portMappings": [{"containerPort": 80, "hostPort": 8080}],
            }
        ],
    },
    indent=2,
)


def test_validate_api_answers_the_contract(client, db):
    response = client.post(
        "/api/validate/ecs-task-definition",
        json.dumps({"text": TASK}),
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"valid", "errors", "warnings", "info"}
    assert body["valid"] is False  # hostPort must equal containerPort in awsvpc mode
    error = body["errors"][0]
    assert set(error) == {"message", "line", "column", "source"}
    assert error["line"] > 1 and error["source"].startswith("https://docs.aws.amazon.com/")


def test_validate_api_gives_the_next_fire_times_of_a_schedule(client, db):
    body = client.post(
        "/api/validate/schedule-expression",
        json.dumps({"text": "cron(0 8 ? * MON-FRI *)"}),
        content_type="application/json",
    ).json()
    assert body["valid"] is True and len(body["info"]["next"]) == 5
    assert all(t.endswith("Z") and "T08:00:00" in t for t in body["info"]["next"])


@pytest.mark.parametrize(
    "kind,body,status",
    [
        ("dockerfile", "nope", 400),
        ("dockerfile", '{"txt": "FROM x"}', 400),
        ("dockerfile", '{"text": 5}', 400),
        ("cloudformation", '{"text": "x"}', 404),
    ],
)
def test_validate_api_bad_input(client, db, kind, body, status):
    response = client.post(f"/api/validate/{kind}", body, content_type="application/json")
    assert response.status_code == status and response.json()["errors"]


def test_validate_page_works_without_js_and_with_htmx(client, db):
    assert client.get("/tools/validate/").status_code == 200
    response = client.post("/tools/validate/", {"kind": "ecs-task-definition", "text": TASK})
    html = response.content.decode()
    assert "AWS would refuse it" in html and "Line " in html and "(AWS rule)" in html
    fragment = client.post(
        "/tools/validate/",
        {"kind": "schedule-expression", "text": "rate(1 days)"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "<html" not in fragment and "AWS would refuse it" in fragment
    bad = client.post("/tools/validate/", {"kind": "nope", "text": "x"})
    assert bad.status_code == 400


def test_a_lab_of_a_missing_lesson_is_a_content_error_naming_file_and_line(db, content_dir):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    (content_dir / "labs" / "broken.yaml").write_text(
        "key: broken\nlesson: kubernetes\ntitle: x\nkind: code\nruntime: python\n"
        "statement: s\nsolution: s\ntests:\n  - name: t\n    expect: {result: 1}\n"
    )
    with pytest.raises(CommandError) as error:
        call_command("sync_content", verbosity=0)
    assert "broken.yaml:2: no lesson 'kubernetes'" in str(error.value)
    assert not Lab.objects.filter(key="broken").exists()


def test_a_removed_lab_is_retired_and_its_attempts_kept(db, content_dir, alice, lab):
    from django.core.management import call_command

    LabAttempt.objects.create(
        lab=lab,
        user=alice,
        answer="x",
        answer_digest="d",
        score=0,
        max_score=5,
        passed=False,
        outcomes=[],
    )
    (content_dir / "labs" / f"{KEY}.yaml").unlink()
    call_command("sync_content", verbosity=0)
    lab.refresh_from_db()
    assert not lab.is_active and LabAttempt.objects.filter(lab=lab).count() == 1
    assert Client().get(PAGE).status_code == 404


def test_anonymous_checks_share_one_budget_per_address(db, settings, fresh_limits):
    """Dropping the session cookie must not buy a fresh rate budget."""
    settings.RUNNER_RATE_PER_MINUTE = 3
    url = "/api/labs/eventbridge-schedule/check"
    statuses = [
        Client()
        .post(url, json.dumps({"answer": "rate(5 minutes)"}), content_type="application/json")
        .status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    other = Client(REMOTE_ADDR="192.0.2.7")
    body = json.dumps({"answer": "rate(5 minutes)"})
    assert other.post(url, body, content_type="application/json").status_code == 200


def test_a_check_spends_one_hit_per_sandbox_run(client, alice, settings, fresh_limits, monkeypatch):
    from course.labs import grading

    lab = Lab.objects.get(key="batch-array-job")
    runs = grading.sandbox_runs(lab, all_tests=True)
    assert runs == len(lab.tests) * lab.spec["array_size"] > len(lab.tests)
    monkeypatch.setattr(grading, "grade", lambda *a, **k: grading.Grade([]))
    settings.RUNNER_RATE_PER_MINUTE = runs + 1
    client.force_login(alice)
    url = f"/api/labs/{lab.key}/check"
    first = client.post(url, json.dumps({"answer": "a", "submit": True}), "application/json")
    assert first.status_code == 200
    again = client.post(url, json.dumps({"answer": "b"}), "application/json")
    assert again.status_code == 429  # the submission spent a hit per child of every test


def test_a_result_holding_nul_is_recorded_on_every_database(
    client, alice, lab, sandbox, fresh_limits
):
    """PostgreSQL's JSON refuses U+0000: the stored messages quote it instead."""
    client.force_login(alice)
    code = "def lambda_handler(event, context):\n    return {'greeting': 'a\\x00b'}\n"
    response = check(client, code, submit=True)
    assert response.status_code == 200
    attempt = LabAttempt.objects.get(user=alice)
    assert all("\x00" not in test["message"] for test in attempt.outcomes)
    assert any("\\u0000" in test["message"] for test in response.json()["tests"])
