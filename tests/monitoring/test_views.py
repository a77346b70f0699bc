"""/functions/<id>/monitor and /api/functions/<id>/logs and /metrics: owners only, filters,
escaping, htmx fragments, bad input and query counts."""

from __future__ import annotations

import pytest

from tests.helpers import session_queries
from tests.monitoring.conftest import announce, make_invocation, throttle

BOOM = {"errorType": "KeyError", "errorMessage": "'name'"}


def page(fn, query=""):
    return f"/functions/{fn.pk}/monitor{query}"


def api(fn, kind, query=""):
    return f"/api/functions/{fn.pk}/{kind}{query}"


@pytest.fixture
def stream(alice_fn):
    announce(alice_fn, make_invocation("ok-1", output="fetched 3 items\n"), trigger="api")
    announce(alice_fn, make_invocation("bad-1", output="looking up name\n", error=BOOM),
             trigger="schedule", cold=True)  # fmt: skip
    announce(alice_fn, make_invocation("ok-2", output="fetched 5 items\n"), trigger="endpoint")
    throttle(alice_fn)
    return alice_fn


# --- The page --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, alice_fn):
    response = client.get(page(alice_fn))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_wrong_method_is_405(client, alice, alice_fn):
    client.force_login(alice)
    assert client.post(page(alice_fn)).status_code == 405


def test_someone_elses_function_is_404(client, charlie, stream):
    client.force_login(charlie)
    assert client.get(page(stream)).status_code == 404
    assert client.get("/functions/999999/monitor").status_code == 404


def test_the_page_has_accessible_charts_and_the_stream(client, alice, stream):
    client.force_login(alice)
    response = client.get(page(stream))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('role="img"') == 3
    for key in ("counts", "duration", "memory"):
        assert f'aria-labelledby="chart-{key}-title chart-{key}-desc"' in html
        assert f'<title id="chart-{key}-title">' in html
    assert html.count("<table>") == 3
    assert "Invocations, errors and throttles per minute from" in html
    # Newest first, every trigger named.
    assert html.index("ok-2") < html.index("bad-1") < html.index("ok-1")
    assert "HTTP endpoint" in html and "Schedule" in html and "failed: KeyError" in html
    assert "<!DOCTYPE html>" in html or "<html" in html


def test_the_detail_page_links_to_the_monitor(client, alice, alice_fn):
    client.force_login(alice)
    assert (
        f'href="/functions/{alice_fn.pk}/monitor"'
        in client.get(alice_fn.get_absolute_url()).content.decode()
    )


def test_htmx_gets_the_fragment_alone(client, alice, stream):
    client.force_login(alice)
    response = client.get(page(stream, "?q=items"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="monitor-body"') and "<html" not in html
    assert "ok-1" in html and "ok-2" in html and "bad-1" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    "query,shown,hidden",
    [
        ("?errors=1", ["bad-1"], ["ok-1", "ok-2"]),
        ("?q=FETCHED+5", ["ok-2"], ["ok-1", "bad-1"]),
        ("?q=fetched&errors=1", [], ["ok-1", "ok-2", "bad-1"]),
    ],
)
def test_the_stream_filters_without_js(client, alice, stream, query, shown, hidden):
    client.force_login(alice)
    html = client.get(page(stream, query)).content.decode()
    for request_id in shown:
        assert request_id in html
    for request_id in hidden:
        assert f"RequestId: {request_id}" not in html
    if not shown:
        assert "No stored invocation matches." in html


@pytest.mark.parametrize(
    "query,message",
    [
        ("?minutes=abc", "whole number of minutes"),
        ("?minutes=0", "whole number of minutes"),
        ("?minutes=1441", "kept for 24 hours"),
        ("?q=" + "x" * 201, "at most 200 characters"),
        ("?q=%00", "Null characters are not allowed"),
    ],
)
def test_bad_filters_say_why_and_show_the_defaults(client, alice, stream, query, message):
    client.force_login(alice)
    response = client.get(page(stream, query))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "ok-1" in html and "bad-1" in html  # the defaults: every entry
    api_response = client.get(api(stream, "logs", query))
    assert api_response.status_code == 400 and "errors" in api_response.json()


def test_a_window_chosen_in_the_url_stays_chosen(client, alice, stream):
    client.force_login(alice)
    html = client.get(page(stream, "?minutes=15")).content.decode()
    assert '<option value="15" selected>' in html
    html = client.get(page(stream, "?minutes=7")).content.decode()
    assert '<option value="7" selected>Last 7 minutes</option>' in html


def test_learner_text_is_escaped(client, alice, alice_fn):
    script = "<script>alert(1)</script>"
    error = {"errorType": "<img src=x onerror=alert(2)>", "errorMessage": "x"}
    announce(alice_fn, make_invocation("x-1", output=script + "\n", error=error))
    client.force_login(alice)
    for query in ("", "?q=%3Cscript%3E"):
        html = client.get(page(alice_fn, query)).content.decode()
        assert script not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The filter's own text comes back escaped too.
    html = client.get(page(alice_fn, "?q=%3Cscript%3Ealert(1)")).content.decode()
    assert "<script>alert(1)" not in html


def test_the_page_costs_the_same_queries_however_much_is_stored(
    client, alice, alice_fn, django_assert_num_queries
):
    client.force_login(alice)
    # session, user, function, datapoints, log entries
    with django_assert_num_queries(session_queries() + 4):
        client.get(page(alice_fn))
    for i in range(30):
        announce(alice_fn, make_invocation(f"r-{i}", error=BOOM if i % 3 else None))
        throttle(alice_fn)
    with django_assert_num_queries(session_queries() + 4):
        response = client.get(page(alice_fn, "?minutes=1440&errors=1"))
    assert response.status_code == 200


# --- The JSON API ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["logs", "metrics"])
def test_api_anonymous_is_401_json(client, alice_fn, kind):
    response = client.get(api(alice_fn, kind))
    assert response.status_code == 401
    assert response.json()["errorType"] == "Unauthorized"


@pytest.mark.parametrize("kind", ["logs", "metrics"])
def test_api_someone_elses_function_is_404(client, charlie, stream, kind):
    client.force_login(charlie)
    response = client.get(api(stream, kind))
    assert response.status_code == 404 and response.json() == {
        "errors": {"id": "No such function."}
    }


@pytest.mark.parametrize("kind", ["logs", "metrics"])
def test_api_wrong_method_is_405(client, alice, alice_fn, kind):
    client.force_login(alice)
    assert client.post(api(alice_fn, kind)).status_code == 405


def test_api_logs_lists_the_entries_newest_first(client, alice, stream):
    client.force_login(alice)
    entries = client.get(api(stream, "logs")).json()
    assert [e["request_id"] for e in entries] == ["ok-2", "bad-1", "ok-1"]
    bad = entries[1]
    assert set(bad) == {
        "request_id", "trigger", "time", "cold", "status", "error_type", "duration_ms",
        "billed_duration_ms", "memory_size_mb", "max_memory_used_mb", "init_duration_ms",
        "text", "truncated",
    }  # fmt: skip
    assert (bad["trigger"], bad["cold"], bad["status"], bad["error_type"]) == (
        "schedule", True, "failed", "KeyError"
    )  # fmt: skip
    assert bad["text"].startswith("START RequestId: bad-1 Version: $LATEST\nlooking up name\n")
    assert entries[0]["error_type"] is None
    errors_only = client.get(api(stream, "logs", "?errors=1")).json()
    assert [e["request_id"] for e in errors_only] == ["bad-1"]
    found = client.get(api(stream, "logs", "?q=fetched%205")).json()
    assert [e["request_id"] for e in found] == ["ok-2"]


def test_api_metrics_per_minute(client, alice, stream):
    client.force_login(alice)
    minutes = client.get(api(stream, "metrics", "?minutes=5")).json()
    assert len(minutes) == 5
    assert set(minutes[-1]) == {
        "minute", "invocations", "errors", "throttles", "duration_p50_ms", "duration_p99_ms",
        "max_memory_mb",
    }  # fmt: skip
    assert sum(m["invocations"] for m in minutes) == 3
    assert sum(m["errors"] for m in minutes) == 1
    assert sum(m["throttles"] for m in minutes) == 1
    assert minutes[0]["minute"] < minutes[-1]["minute"]
    assert minutes[-1]["minute"].endswith(":00+00:00")
    assert len(client.get(api(stream, "metrics")).json()) == 60  # the default window


def test_api_metrics_query_count(client, alice, stream, django_assert_num_queries):
    client.force_login(alice)
    with django_assert_num_queries(session_queries() + 3):  # session, user, function, datapoints
        assert len(client.get(api(stream, "metrics", "?minutes=1440")).json()) == 1440
