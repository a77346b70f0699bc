"""/functions/<id>/schedule (page, htmx) and /api/functions/<id>/schedule (the public contract)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from course.functions.models import Function
from course.functions.schedules.models import Schedule, set_schedule
from tests.functions.conftest import HELLO
from tests.helpers import session_queries

HX = {"HTTP_HX_REQUEST": "true"}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def page(fn, action=""):
    return f"/functions/{fn.pk}/schedule" + (f"/{action}" if action else "")


def api(fn, suffix=""):
    return f"/api/functions/{fn.pk}/schedule{suffix}"


def post_json(client, path, payload):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(path, body, content_type="application/json")


# --- The page ----------------------------------------------------------------------------------


def test_detail_page_links_to_the_schedule(client, alice, alice_fn):
    client.force_login(alice)
    assert f'href="{page(alice_fn)}"' in client.get(alice_fn.get_absolute_url()).content.decode()


def test_anonymous_is_sent_to_log_in(client, alice_fn):
    for response in (client.get(page(alice_fn)), client.post(page(alice_fn, "set"))):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_wrong_methods_are_405(client, alice, alice_fn):
    client.force_login(alice)
    assert client.post(page(alice_fn)).status_code == 405
    for action in ("set", "renew", "remove"):
        assert client.get(page(alice_fn, action)).status_code == 405


def test_someone_elses_function_is_404(client, bob, alice_fn):
    set_schedule(alice_fn, "rate(5 minutes)")
    client.force_login(bob)
    assert client.get(page(alice_fn)).status_code == 404
    for action in ("set", "renew", "remove"):
        assert (
            client.post(page(alice_fn, action), {"expression": "rate(1 hour)"}).status_code == 404
        )
    assert Schedule.objects.get().expression == "rate(5 minutes)"


def test_set_renew_remove_without_js(client, alice, alice_fn):
    client.force_login(alice)
    response = client.get(page(alice_fn))
    assert "No schedule yet" in response.content.decode()
    response = client.post(page(alice_fn, "set"), {"expression": " rate(5 minutes) "})
    assert response.status_code == 302 and response["Location"] == page(alice_fn)
    body = client.get(page(alice_fn)).content.decode()
    assert "Scheduled hello: rate(5 minutes)." in body and "active" in body
    assert body.count(" UTC</time></li>") == 5  # the next five fire times, in UTC
    assert client.post(page(alice_fn, "renew")).status_code == 302
    assert "another hour" in client.get(page(alice_fn)).content.decode()
    assert client.post(page(alice_fn, "remove")).status_code == 302
    assert not Schedule.objects.exists()


def test_htmx_gets_the_fragment(client, alice, alice_fn):
    client.force_login(alice)
    full = client.get(page(alice_fn))
    fragment = client.get(page(alice_fn), **HX)
    assert "<html" in full.content.decode() and "<html" not in fragment.content.decode()
    response = client.post(page(alice_fn, "set"), {"expression": "rate(1 hour)"}, **HX)
    assert response.status_code == 200 and 'id="schedule"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert "Scheduled hello: rate(1 hour)." in response.content.decode()


@pytest.mark.parametrize(
    "typed,message",
    [("rate(1 minutes)", "With a value of 1 the unit must be singular"),
     ("cron(0 12 * * * *)", "same cron expression"),
     ("", "Give a schedule expression"),
     ("at(2030-01-01T00:00:00)", "schedule repeats"),
     ("<script>alert(1)</script>", "Parameter ScheduleExpression is not valid")],
)  # fmt: skip
def test_a_bad_expression_is_named_and_changes_nothing(client, alice, alice_fn, typed, message):
    set_schedule(alice_fn, "rate(5 minutes)")
    client.force_login(alice)
    for extra in ({}, HX):
        response = client.post(page(alice_fn, "set"), {"expression": typed}, **extra)
        body = response.content.decode()
        assert response.status_code == 400
        assert message in body and "Nothing was changed." in body
        assert "<script>alert(1)" not in body  # what the learner typed is escaped
    assert Schedule.objects.get().expression == "rate(5 minutes)"


def test_a_second_active_schedule_is_refused_on_the_page(client, alice, alice_fn):
    set_schedule(alice_fn, "rate(5 minutes)")
    other = Function.objects.create(owner=alice, name="other", runtime="python", code=HELLO)
    client.force_login(alice)
    response = client.post(page(other, "set"), {"expression": "rate(5 minutes)"})
    assert response.status_code == 400
    assert "already have an active schedule (on hello)" in response.content.decode()
    assert not Schedule.objects.filter(function=other).exists()


def test_an_expired_schedule_says_so(client, alice, alice_fn):
    schedule = set_schedule(alice_fn, "rate(5 minutes)")
    Schedule.objects.expire(schedule.expires_at)
    client.force_login(alice)
    body = client.get(page(alice_fn)).content.decode()
    assert "expired" in body and "it no longer runs" in body


def test_the_page_costs_fixed_queries(client, alice, alice_fn, django_assert_num_queries):
    set_schedule(alice_fn, "rate(5 minutes)")
    client.force_login(alice)
    client.get(page(alice_fn))
    # session, user, function, schedule
    with django_assert_num_queries(session_queries() + 3):
        assert client.get(page(alice_fn)).status_code == 200


# --- The JSON API ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_api_anonymous_is_refused_as_the_functions_api_does(client, alice_fn, method):
    response = getattr(client, method)(api(alice_fn))
    assert response.status_code == 401 and response.json()["errorType"] == "Unauthorized"


def test_api_set_get_delete(client, alice, alice_fn):
    client.force_login(alice)
    assert client.get(api(alice_fn)).status_code == 404
    response = post_json(client, api(alice_fn), {"expression": "rate(5 minutes)"})
    assert response.status_code == 200
    body = response.json()
    assert len(body["next"]) == 5 and all(ISO.match(t) for t in body["next"])
    assert body["status"] == "active" and ISO.match(body["expires_at"])
    assert client.get(api(alice_fn)).json()["next"] == body["next"]
    renewed = client.post(api(alice_fn, "/renew"))
    assert renewed.status_code == 200 and renewed.json()["expires_at"] >= body["expires_at"]
    assert client.delete(api(alice_fn)).status_code == 204
    assert client.delete(api(alice_fn)).status_code == 404
    assert not Schedule.objects.exists()


def test_api_someone_elses_function_is_404(client, bob, alice_fn):
    set_schedule(alice_fn, "rate(5 minutes)")
    client.force_login(bob)
    assert client.get(api(alice_fn)).status_code == 404
    assert post_json(client, api(alice_fn), {"expression": "rate(1 hour)"}).status_code == 404
    assert client.delete(api(alice_fn)).status_code == 404
    assert client.post(api(alice_fn, "/renew")).status_code == 404
    assert Schedule.objects.get().expression == "rate(5 minutes)"


@pytest.mark.parametrize(
    "payload,field,message",
    [({"expression": "rate(5 minute)"}, "expression", "must be plural"),
     ({"expression": "cron(0 25 * * ? *)"}, "expression", "out of range 0-23"),
     ({}, "expression", "Give a schedule expression"),
     ({"expression": 5}, "expression", "must be a string"),
     ({"expression": "rate(5 minutes)", "x": 1}, "x", "Unknown field"),
     ("[1]", "body", "JSON object"),
     ("{not json", "body", "")],
)  # fmt: skip
def test_api_bad_input_is_400_naming_the_fault(client, alice, alice_fn, payload, field, message):
    client.force_login(alice)
    response = post_json(client, api(alice_fn), payload)
    assert response.status_code == 400
    assert message in response.json()["errors"][field]
    assert not Schedule.objects.exists()


def test_api_one_active_per_learner(client, alice, alice_fn):
    set_schedule(alice_fn, "rate(5 minutes)")
    other = Function.objects.create(owner=alice, name="other", runtime="python", code=HELLO)
    client.force_login(alice)
    response = post_json(client, api(other), {"expression": "rate(5 minutes)"})
    assert response.status_code == 400
    assert "one at a time" in response.json()["errors"]["expression"]


def test_api_wrong_method_is_405(client, alice, alice_fn):
    client.force_login(alice)
    assert client.put(api(alice_fn)).status_code == 405
    assert client.get(api(alice_fn, "/renew")).status_code == 405


def test_api_and_page_need_the_csrf_token(alice, alice_fn):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert post_json(client, api(alice_fn), {"expression": "rate(5 minutes)"}).status_code == 403
    assert client.post(page(alice_fn, "set"), {"expression": "rate(5 minutes)"}).status_code == 403
    assert not Schedule.objects.exists()


def test_api_costs_fixed_queries(client, alice, alice_fn, django_assert_num_queries):
    client.force_login(alice)
    post_json(client, api(alice_fn), {"expression": "rate(5 minutes)"})
    with django_assert_num_queries(session_queries() + 3):  # session, user, function, schedule
        assert client.get(api(alice_fn)).status_code == 200
