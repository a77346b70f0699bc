"""The power tuning page, /functions/<id>/tuning: the form, the refusals, the chart, the table and
the recommendation. The engine's invoker is a stand-in (each run "takes" less time as memory
grows, as a CPU-bound handler does) except in one small real run through the sandbox."""

from __future__ import annotations

import re
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from course import runner
from course.common.axis import nice_step
from course.functions.models import Function, TestEvent
from course.functions.tuning_chart import axis, build_chart, number
from course.runner.warm import tuning as maths
from course.runner.warm.power import _one_at_a_time
from course.runner.web.limits import sandbox_limits
from tests.conftest import require_tool
from tests.functions.conftest import HELLO
from tests.helpers import session_queries
from tests.test_form_fields import assert_errors_tied, check_described_by

HX = {"HX-Request": "true"}


def url(function) -> str:
    return f"/functions/{function.pk}/tuning"


def fake_run(key, request: runner.InvocationRequest, *, force_cold=False, limits=None):
    """A CPU-bound handler: 100 ms at 1,024 MB, in proportion below; the event is echoed."""
    duration = 100.0 * 1024 / min(request.memory_mb, 1769)
    report = {
        "duration_ms": duration,
        "billed_duration_ms": int(duration) + 1,
        "memory_size_mb": request.memory_mb,
        "max_memory_used_mb": 30,
    }
    if force_cold:
        report["init_duration_ms"] = 85.5
    return (
        runner.Invocation(
            request_id="6f1c1bd2-3c39-4b8e-9f1e-0d2f3a4b5c6d",
            status="succeeded",
            result_json=b"{}",
            error=None,
            logs="",
            report=report,
            logs_truncated=False,
        ),
        force_cold,
    )


@pytest.fixture
def engine(settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    settings.RUNNER_RATE_PER_MINUTE = 1000
    settings.RUNNER_MAX_MEMORY_MB = 3008
    with mock.patch("course.functions.execution.invoke_warm", side_effect=fake_run) as invoker:
        yield invoker


@pytest.fixture
def fn(alice):
    function = Function.objects.create(
        owner=alice, name="spin", runtime="python", code=HELLO, memory_mb=640, timeout_s=3
    )
    TestEvent.objects.create(function=function, name="greet", body='{"name": "<b>Ann</b>"}')
    return function


def choose(sizes=(128, 1024), runs="3", event=""):
    return {"event": event, "memory_sizes": [str(s) for s in sizes], "runs": runs}


# --- Who may see it ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, fn, engine):
    for response in (client.get(url(fn)), client.post(url(fn), choose())):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    engine.assert_not_called()


def test_another_learner_gets_404(client, fn, bob, engine):
    client.force_login(bob)
    assert client.get(url(fn)).status_code == 404
    assert client.post(url(fn), choose()).status_code == 404
    engine.assert_not_called()


def test_no_such_function_is_404(client, alice, engine):
    client.force_login(alice)
    assert client.get("/functions/999999/tuning").status_code == 404


def test_wrong_method(client, fn, engine):
    client.force_login(fn.owner)
    assert client.put(url(fn)).status_code == 405
    assert client.delete(url(fn)).status_code == 405


# --- The form ---------------------------------------------------------------------------------


def test_form_offers_the_events_and_the_sizes_up_to_the_maximum(client, fn, engine, settings):
    settings.RUNNER_MAX_MEMORY_MB = 1024
    client.force_login(fn.owner)
    response = client.get(url(fn))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Power tuning: spin</h1>" in page
    assert 'value="">Empty event: {}</option>' in page
    assert f'value="{fn.test_events.get().pk}" selected>greet</option>' in page
    offered = re.findall(r'name="memory_sizes" value="(\d+)"', page)
    # The defaults up to the site's 1,024 MB, and the function's own size among them.
    assert offered == ["128", "256", "512", "640", "1024"]
    checked = re.findall(r'name="memory_sizes" value="(\d+)"[^>]*checked', page)
    assert checked == ["128", "256", "512", "1024"]
    assert 'name="runs"' in page and 'value="5"' in page
    assert check_described_by(page) >= 2  # the sizes' and the runs' help
    assert "Result" not in page  # nothing ran
    engine.assert_not_called()


def test_detail_page_links_to_it(client, fn, engine):
    client.force_login(fn.owner)
    assert f'href="/functions/{fn.pk}/tuning"' in client.get(fn.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"memory_sizes": [], "runs": "3"}, "memory_sizes", "at least one memory size"),
        (choose(sizes=(99,)), "memory_sizes", "Choose memory sizes from the list"),
        (choose(sizes=(4096,)), "memory_sizes", "maximum of 3,008 MB"),
        (choose(sizes=("lots",)), "memory_sizes", "Choose memory sizes from the list"),
        (choose(runs="1"), "runs", "at least 2 runs"),
        (choose(runs="11"), "runs", "At most 10 runs"),
        (choose(runs="five"), "runs", "whole number"),
        (choose(runs=""), "runs", "Give the number of runs"),
        (choose(event="12345"), "event", "Select a valid choice"),
    ],
)
def test_bad_input_is_explained_and_runs_nothing(client, fn, engine, data, field, words):
    client.force_login(fn.owner)
    response = client.post(url(fn), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert words in page
    # The error is tied to its input (or the sizes' fieldset) by aria-describedby.
    assert_errors_tied(page)
    assert "Result" not in page
    engine.assert_not_called()


def test_another_learners_event_cannot_be_chosen(client, fn, bob_fn, engine):
    theirs = TestEvent.objects.create(function=bob_fn, name="secret", body='{"a": 1}')
    client.force_login(fn.owner)
    response = client.post(url(fn), choose(event=str(theirs.pk)))
    assert response.status_code == 400
    engine.assert_not_called()


# --- A tuning ---------------------------------------------------------------------------------


def test_a_tuning_shows_chart_table_and_recommendation(client, fn, engine):
    client.force_login(fn.owner)
    event = fn.test_events.get()
    response = client.post(url(fn), choose(sizes=(128, 512, 1024), runs="4", event=event.pk))
    assert response.status_code == 200
    page = response.content.decode()
    # Each size: one cold run, then warm ones; the chosen event is what the handler got.
    assert engine.call_count == 3 * 4
    assert [c.kwargs["force_cold"] for c in engine.call_args_list[:4]] == [True] + [False] * 3
    assert all(c.args[1].event == {"name": "<b>Ann</b>"} for c in engine.call_args_list)
    assert [c.args[1].memory_mb for c in engine.call_args_list[::4]] == [128, 512, 1024]
    # The chart: an accessible SVG with a title and a description, two lines of three points.
    assert 'role="img" aria-labelledby="tuning-chart-title tuning-chart-desc"' in page
    assert '<title id="tuning-chart-title">Duration and cost against memory</title>' in page
    assert "Warm duration and cost per million invocations at 3 memory sizes" in page
    assert page.count('class="chart-point chart-point-duration"') == 3
    assert page.count('class="chart-point chart-point-cost"') == 3
    # The table: 800 ms at 128 MB, 100 ms at 1,024 MB; the cold start apart, with its INIT.
    assert "<td>800.00 ms</td>" in page and "<td>100.00 ms</td>" in page
    assert "<td>800 ms</td>" in page  # billed
    assert "Init 85.50 ms" in page
    # 1,024 MB x 100 ms costs less than 128 MB x 800 ms? Equal GB-s; the faster wins the tie.
    assert "Cheapest: 1,024 MB" in page and "Fastest: 1,024 MB" in page
    assert "Balanced: 1,024 MB" in page
    assert "8.0 times faster than 128 MB" in page
    assert "Power Tuning" in page


def test_htmx_gets_the_fragment_and_a_full_page_otherwise(client, fn, engine):
    client.force_login(fn.owner)
    fragment = client.post(url(fn), choose(), headers=HX)
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert '<section id="power-tuning"' in text and "<html" not in text
    assert "Cheapest:" in text
    full = client.post(url(fn), choose())
    assert "<html" in full.content.decode() and "Cheapest:" in full.content.decode()
    assert "HX-Request" in full["Vary"]
    # A bad choice over htmx is still swapped in (htmx ignores 4xx), with its message.
    bad = client.post(url(fn), choose(runs="0"), headers=HX)
    assert bad.status_code == 200 and "at least 2 runs" in bad.content.decode()
    assert client.get(url(fn), headers=HX).content.decode().lstrip().startswith("<section")


def test_the_form_works_without_js(client, fn, engine):
    client.force_login(fn.owner)
    page = client.get(url(fn)).content.decode()
    # A real form posting to a real URL, with its CSRF token: htmx only improves it.
    form = re.search(r'<form method="post" action="([^"]+)" hx-post="([^"]+)"', page)
    assert form and form.group(1) == form.group(2) == url(fn)
    assert 'name="csrfmiddlewaretoken"' in page.split('class="tuning-form"', 1)[1]


def test_query_counts_stay_fixed(client, fn, engine):
    client.force_login(fn.owner)
    for n in range(5):
        TestEvent.objects.create(function=fn, name=f"e{n}", body="{}")

    def count(method, *args) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert getattr(client, method)(*args).status_code == 200
        return len(queries)

    # Session, user, the function, its events: however many events there are.
    fixed = session_queries() + 3
    assert count("get", url(fn)) == fixed
    assert count("post", url(fn), choose()) == fixed
    TestEvent.objects.create(function=fn, name="more", body="{}")
    assert count("get", url(fn)) == fixed


def test_learner_text_is_escaped(client, alice, engine):
    # The forms allow only safe characters in names, but rows written another way (the admin,
    # an older rule) must still come out as text.
    fn = Function.objects.create(owner=alice, name="<img src=x onerror=alert(1)>",
                                 runtime="python", code=HELLO)  # fmt: skip
    TestEvent.objects.create(function=fn, name="<b>ev</b>", body="{}")
    client.force_login(alice)
    for page in (client.get(url(fn)), client.post(url(fn), choose())):
        text = page.content.decode()
        assert "<img src=x" not in text and "<b>ev</b>" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text and "&lt;b&gt;ev&lt;/b&gt;" in text


# --- Refusals: each one said, nothing run ---------------------------------------------------


def test_rate_limit_is_spent_per_run_and_said(client, fn, engine, settings):
    settings.RUNNER_RATE_PER_MINUTE = 5
    client.force_login(fn.owner)
    response = client.post(url(fn), choose(sizes=(128, 256), runs="3"))
    assert response.status_code == 429
    assert "one rate-limit hit per run" in response.content.decode()
    engine.assert_not_called()


def test_one_tuning_at_a_time(client, fn, engine, settings):
    client.force_login(fn.owner)
    with _one_at_a_time(settings.RUNNER_STATE_DIR / "tuning", fn.owner.pk):
        response = client.post(url(fn), choose())
    assert response.status_code == 409
    assert "already running" in response.content.decode()
    engine.assert_not_called()


def test_sandbox_unavailable_is_said(client, fn, engine):
    engine.side_effect = runner.SandboxUnavailable("bubblewrap is not installed")
    client.force_login(fn.owner)
    response = client.post(url(fn), choose())
    assert response.status_code == 503
    assert "unavailable here: bubblewrap is not installed" in response.content.decode()


def test_a_function_failing_everywhere_is_said(client, fn, engine):
    def failing(key, request, *, force_cold=False, limits=None):
        inv, cold = fake_run(key, request, force_cold=force_cold)
        error = {"errorType": "ZeroDivisionError", "errorMessage": "division by zero"}
        return runner.Invocation(**{**inv.__dict__, "status": "failed", "error": error}), cold

    engine.side_effect = failing
    client.force_login(fn.owner)
    response = client.post(url(fn), choose())
    assert response.status_code == 503
    assert "failed at every memory size" in response.content.decode()


def test_a_size_that_fails_is_listed_apart(client, fn, engine):
    def big_fails(key, request, *, force_cold=False, limits=None):
        inv, cold = fake_run(key, request, force_cold=force_cold)
        if request.memory_mb == 128:
            error = {"errorType": "Runtime.OutOfMemory", "errorMessage": "out of memory"}
            inv = runner.Invocation(**{**inv.__dict__, "status": "failed", "error": error})
        return inv, cold

    engine.side_effect = big_fails
    client.force_login(fn.owner)
    page = client.post(url(fn), choose(sizes=(128, 1024))).content.decode()
    assert "128 MB: not measured, every run failed (Runtime.OutOfMemory)." in page
    assert "Cheapest: 1,024 MB" in page


def test_busy_lock_is_released_after_a_tuning(client, fn, engine, settings):
    client.force_login(fn.owner)
    assert client.post(url(fn), choose()).status_code == 200
    with _one_at_a_time(settings.RUNNER_STATE_DIR / "tuning", fn.owner.pk):
        pass  # no TuningBusy: the page's tuning let go of the lock


# --- The chart's maths (pure) -----------------------------------------------------------------


def test_nice_axes():
    assert nice_step(800, 5) == 200 and axis(800) == (800, [0, 200, 400, 600, 800])
    assert axis(0.73)[0] == pytest.approx(0.8)
    assert axis(3.2)[1][-1] == 4
    assert number(0.2) == "0.2" and number(1500) == "1,500" and number(12.5) == "12.5"


def test_chart_geometry_stays_inside_the_plot():
    results = tuple(
        maths.summarise(m, [100 * 1024 / m] * 4, cold_duration_ms=5, cold_init_ms=80)
        for m in (128, 256, 512, 1024, 1536, 1769, 3008)
    )
    chart = build_chart(maths.TuningResult(results, maths.recommend(results)))
    for series in chart.series:
        assert len(series.points) == 7
        for point in series.points:
            assert chart.plot_left <= point.x <= chart.plot_right
            assert chart.plot_top <= point.y <= chart.plot_bottom
    # The slowest size's duration reaches the axis's top tick or below it, never above.
    assert min(p.y for p in chart.series[0].points) >= chart.plot_top
    assert [t.label for t in chart.x_ticks][0] == "128"
    assert chart.rows[0].cost_per_invocation == "$0.00000186667"  # 0.125 GB x 0.8 s + 1 request
    assert chart.rows[0].cost_per_million == "$1.87"
    assert len(chart.recommendations) == 3


def test_a_single_size_sits_in_the_middle():
    result = maths.summarise(128, [1.0, 1.2, 1.1])
    chart = build_chart(maths.TuningResult((result,), maths.recommend([result])))
    assert chart.series[0].points[0].x == (chart.plot_left + chart.plot_right) / 2
    assert result.cost_per_invocation > Decimal(0)


# --- One real tuning through the sandbox ------------------------------------------------------


def test_a_real_small_tuning(client, alice, settings, tmp_path):
    status = runner.sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    settings.RUNNER_RATE_PER_MINUTE = 60
    fn = Function.objects.create(
        owner=alice, name="real", runtime="python", code=HELLO, memory_mb=128, timeout_s=3
    )
    client.force_login(alice)
    response = client.post(url(fn), choose(sizes=(128, 256), runs="2"))
    assert response.status_code == 200, response.content.decode()[-2000:]
    page = response.content.decode()
    assert "Cheapest:" in page and page.count('class="chart-point chart-point-cost"') == 2
