"""The pure side: fire times from the lab's own validator (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from course.functions.schedules.events import account_id, rule_name, scheduled_event
from course.labs.validators.schedule import recurrence, validate
from course.runner.web.samples import SAMPLE_EVENTS
from tests.schedules.conftest import T0


def test_rate_counts_from_its_anchor_not_from_now():
    every5 = recurrence("rate(5 minutes)")
    later = T0 + timedelta(minutes=7, seconds=30)
    assert every5.upcoming(later, T0) == [T0 + timedelta(minutes=m) for m in (10, 15, 20, 25, 30)]
    assert every5.next_after(T0, T0) == T0 + timedelta(minutes=5)  # strictly after
    assert every5.next_after(T0 - timedelta(hours=1), T0) == T0 + timedelta(minutes=5)


def test_cron_times_match_the_labs_next_times():
    text = "cron(0/15 9-17 ? * MON-FRI *)"
    lab = validate(text, now=T0).info["next"]
    mine = [m.strftime("%Y-%m-%dT%H:%M:%SZ") for m in recurrence(text).upcoming(T0)]
    assert mine == lab == [
        "2026-03-02T10:15:00Z", "2026-03-02T10:30:00Z", "2026-03-02T10:45:00Z",
        "2026-03-02T11:00:00Z", "2026-03-02T11:15:00Z",
    ]  # fmt: skip


def test_rate_stops_at_year_9999():
    near_end = datetime(9999, 12, 29, tzinfo=UTC)
    assert len(recurrence("rate(1 day)").upcoming(near_end)) == 2
    assert recurrence("rate(3650 days)").upcoming(near_end) == []


@pytest.mark.parametrize(
    "text", ["rate(0 minutes)", "rate(1 minutes)", "rate(5 seconds)", "cron(* * * * * *)",
             "cron(0 12 * *)", "every 5 minutes", "at(2030-01-01T00:00:00)"],
)  # fmt: skip
def test_recurrence_refuses_what_a_schedule_cannot_be(text):
    with pytest.raises(ValueError, match="Parameter ScheduleExpression is not valid"):
        recurrence(text)


def test_missed_windows_are_counted_not_listed():
    every5 = recurrence("rate(5 minutes)")
    start = T0 + timedelta(minutes=5)
    assert every5.count_between(start, start + timedelta(hours=2), T0) == 24
    assert every5.count_between(start, start, T0) == 0
    assert every5.count_between(start, start + timedelta(days=3650), T0, limit=1000) == 1000
    hourly = recurrence("cron(0 * * * ? *)")
    assert hourly.count_between(T0, T0 + timedelta(hours=3)) == 3  # 10:00, 11:00, 12:00


def test_the_event_is_eventbridges_scheduled_event():
    event = scheduled_event(
        function_name="nightly report", user_id=42, scheduled_for=T0 + timedelta(minutes=5)
    )
    sample = SAMPLE_EVENTS["eventbridge-schedule"].event  # AWS's sample, as the runner shows it
    assert list(event) == list(sample)  # AWS's documented fields, in AWS's order
    assert event["version"] == "0" and event["detail"] == {}
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["time"] == "2026-03-02T10:05:00Z"  # the scheduled time, ISO, Z
    assert event["account"] == account_id(42) == "000000000042"
    assert event["region"] == "us-east-1"
    assert event["resources"] == [
        "arn:aws:events:us-east-1:000000000042:rule/nightly-report-schedule"
    ]
    assert (
        len(event["id"]) == 36
        and event["id"] != scheduled_event(function_name="x", user_id=1, scheduled_for=T0)["id"]
    )


def test_rule_names_are_what_eventbridge_allows():
    assert rule_name("a" * 80) == "a" * 55 + "-schedule"
    assert rule_name("<script>") == "-script--schedule"
