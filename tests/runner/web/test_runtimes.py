"""What the runner page says about its runtimes: which run here, which Lambda runtime each is,
where it stands on Lambda, and why no newer Python is offered; and that Node.js 24 is a choice
the runner's form (and so saved functions) accept."""

from __future__ import annotations

from unittest import mock

from course import runner
from course.runner.web.forms import RunForm
from course.runner.web.views import lambda_runtimes

HOST = [
    runner.RuntimeInfo("python", "Python 3.11", True),
    runner.RuntimeInfo("nodejs", "Node.js 20", True),
    runner.RuntimeInfo("nodejs24", "Node.js 24", True),
]


def test_each_runtime_beside_its_lambda_runtime_and_standing():
    rows = {row["name"]: row for row in lambda_runtimes(HOST)}
    assert rows["python"]["lambda"] == "python3.11"
    assert "deprecated python3.11 on 30 June 2026" in rows["python"]["standing"]
    assert rows["nodejs"]["lambda"] == "nodejs20.x"
    assert "deprecated nodejs20.x on 30 April 2026" in rows["nodejs"]["standing"]
    assert rows["nodejs24"]["lambda"] == "nodejs24.x"
    assert rows["nodejs24"]["standing"] == "This is Lambda's newest runtime for the language."
    # A runtime not installed still has a row, said to be missing.
    missing = lambda_runtimes([runner.RuntimeInfo("nodejs24", "Node.js 24", False, "no")])
    assert missing[0]["lambda"] == "nodejs24.x" and not missing[0]["available"]


def test_the_runner_page_says_it(client, db):
    with mock.patch(
        "course.runner.web.views.runner.runtimes", return_value={r.name: r for r in HOST}
    ):
        page = client.get("/tools/function-runner/").content.decode()
    assert "<strong>Node.js 24</strong> (<code>nodejs24</code> below)" in page
    assert "like Lambda's <code>nodejs24.x</code> managed runtime" in page
    assert "Debian 12 ships Python 3.11" in page
    assert '<option value="nodejs24"' in page


def test_the_form_accepts_nodejs24_when_installed_and_names_the_choices_otherwise():
    available = {r.name: r for r in HOST}
    data = {"runtime": "nodejs24", "code": "exports.handler = async () => 1;", "event": "{}",
            "memory_mb": "128", "timeout_s": "3"}  # fmt: skip
    with mock.patch("course.runner.web.forms.runner.runtimes", return_value=available):
        form = RunForm(data)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["runtime"] == "nodejs24"
        bad = RunForm({**data, "runtime": "nodejs26"})
        assert not bad.is_valid()
        assert "choose one of python, nodejs, nodejs24" in bad.errors["runtime"][0]
