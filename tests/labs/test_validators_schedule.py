"""EventBridge schedule expressions: AWS's documented examples, with hand-computed fire times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from course.labs.validators.schedule import aws_day_of_week, parse_cron

from .helpers import check, messages, position

KIND = "schedule-expression"
# Friday 27 November 2026, 09:30 UTC.
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def next_times(expression: str, now: datetime = NOW) -> list[str]:
    data = check(KIND, expression, now=now)
    assert data["valid"], messages(data)
    return data["info"]["next"]


def test_now_is_a_friday():
    assert aws_day_of_week(NOW.date()) == 6  # 1 = SUN ... 6 = FRI


# The examples table of "Cron expressions reference" and "Rate expressions", with the next five
# times worked out by hand from Friday 2026-11-27 09:30 UTC.
DOCUMENTED = {
    "cron(0 10 * * ? *)": [  # 10:00 every day
        "2026-11-27T10:00:00Z",
        "2026-11-28T10:00:00Z",
        "2026-11-29T10:00:00Z",
        "2026-11-30T10:00:00Z",
        "2026-12-01T10:00:00Z",
    ],
    "cron(15 12 * * ? *)": [  # 12:15 every day
        "2026-11-27T12:15:00Z",
        "2026-11-28T12:15:00Z",
        "2026-11-29T12:15:00Z",
        "2026-11-30T12:15:00Z",
        "2026-12-01T12:15:00Z",
    ],
    "cron(0 18 ? * MON-FRI *)": [  # 18:00 Monday to Friday
        "2026-11-27T18:00:00Z",
        "2026-11-30T18:00:00Z",
        "2026-12-01T18:00:00Z",
        "2026-12-02T18:00:00Z",
        "2026-12-03T18:00:00Z",
    ],
    "cron(0 8 1 * ? *)": [  # 08:00 on the first day of every month
        "2026-12-01T08:00:00Z",
        "2027-01-01T08:00:00Z",
        "2027-02-01T08:00:00Z",
        "2027-03-01T08:00:00Z",
        "2027-04-01T08:00:00Z",
    ],
    "cron(0/15 * * * ? *)": [  # every 15 minutes
        "2026-11-27T09:45:00Z",
        "2026-11-27T10:00:00Z",
        "2026-11-27T10:15:00Z",
        "2026-11-27T10:30:00Z",
        "2026-11-27T10:45:00Z",
    ],
    "cron(0/10 * ? * MON-FRI *)": [  # every 10 minutes, Monday to Friday
        "2026-11-27T09:40:00Z",
        "2026-11-27T09:50:00Z",
        "2026-11-27T10:00:00Z",
        "2026-11-27T10:10:00Z",
        "2026-11-27T10:20:00Z",
    ],
    "cron(0/5 8-17 ? * MON-FRI *)": [  # every 5 minutes, 08:00-17:55, Monday to Friday
        "2026-11-27T09:35:00Z",
        "2026-11-27T09:40:00Z",
        "2026-11-27T09:45:00Z",
        "2026-11-27T09:50:00Z",
        "2026-11-27T09:55:00Z",
    ],
    "cron(0 9 ? * 2#1 *)": [  # 09:00 on the first Monday of every month
        "2026-12-07T09:00:00Z",
        "2027-01-04T09:00:00Z",
        "2027-02-01T09:00:00Z",
        "2027-03-01T09:00:00Z",
        "2027-04-05T09:00:00Z",
    ],
    "rate(5 minutes)": [
        "2026-11-27T09:35:00Z",
        "2026-11-27T09:40:00Z",
        "2026-11-27T09:45:00Z",
        "2026-11-27T09:50:00Z",
        "2026-11-27T09:55:00Z",
    ],
    "rate(1 hour)": [
        "2026-11-27T10:30:00Z",
        "2026-11-27T11:30:00Z",
        "2026-11-27T12:30:00Z",
        "2026-11-27T13:30:00Z",
        "2026-11-27T14:30:00Z",
    ],
    "rate(1 day)": [
        "2026-11-28T09:30:00Z",
        "2026-11-29T09:30:00Z",
        "2026-11-30T09:30:00Z",
        "2026-12-01T09:30:00Z",
        "2026-12-02T09:30:00Z",
    ],
}


@pytest.mark.parametrize(("expression", "expected"), DOCUMENTED.items())
def test_documented_examples(expression, expected):
    assert next_times(expression) == expected


def test_a_fire_time_equal_to_now_is_not_next():
    friday_six = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert next_times("cron(0 18 ? * MON-FRI *)", friday_six)[0] == "2026-11-30T18:00:00Z"


def test_now_defaults_to_the_current_time():
    data = check(KIND, "cron(0/15 * * * ? *)")
    first = datetime.strptime(data["info"]["next"][0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(0) < first - datetime.now(UTC) <= timedelta(minutes=15)


def test_a_non_utc_now_is_converted():
    paris = timezone(timedelta(hours=1))
    assert next_times("cron(0 10 * * ? *)", NOW.astimezone(paris))[0] == "2026-11-27T10:00:00Z"


def test_last_day_of_month_including_leap_years():
    assert next_times("cron(0 0 L * ? *)", datetime(2027, 1, 15, tzinfo=UTC)) == [
        "2027-01-31T00:00:00Z",
        "2027-02-28T00:00:00Z",
        "2027-03-31T00:00:00Z",
        "2027-04-30T00:00:00Z",
        "2027-05-31T00:00:00Z",
    ]
    assert next_times("cron(0 0 L 2 ? *)", datetime(2027, 6, 1, tzinfo=UTC))[:2] == [
        "2028-02-29T00:00:00Z",
        "2029-02-28T00:00:00Z",
    ]


def test_nearest_weekday():
    # 15 Nov 2026 is a Sunday: the nearest weekday is Monday the 16th.
    assert next_times("cron(0 0 15W * ? *)", datetime(2026, 11, 1, tzinfo=UTC)) == [
        "2026-11-16T00:00:00Z",
        "2026-12-15T00:00:00Z",
        "2027-01-15T00:00:00Z",
        "2027-02-15T00:00:00Z",
        "2027-03-15T00:00:00Z",
    ]


def test_nearest_weekday_never_leaves_the_month():
    # 1 May 2027 is a Saturday: not Friday 30 April but Monday 3 May.
    assert next_times("cron(0 0 1W 5 ? 2027)")[0] == "2027-05-03T00:00:00Z"
    # 31 January 2027 is a Sunday: not Monday 1 February but Friday 29 January.
    assert next_times("cron(0 0 31W 1 ? 2027)")[0] == "2027-01-29T00:00:00Z"


def test_last_weekday_of_month():
    assert next_times("cron(0 0 LW * ? *)", datetime(2027, 1, 2, tzinfo=UTC))[:2] == [
        "2027-01-29T00:00:00Z",  # 31 Jan 2027 is a Sunday
        "2027-02-26T00:00:00Z",  # 28 Feb 2027 is a Sunday
    ]


def test_last_friday_of_month():
    assert next_times("cron(0 17 ? * 6L *)")[:3] == [
        "2026-11-27T17:00:00Z",
        "2026-12-25T17:00:00Z",
        "2027-01-29T17:00:00Z",
    ]
    assert next_times("cron(0 17 ? * FRIL *)")[0] == "2026-11-27T17:00:00Z"


def test_l_alone_in_day_of_week_is_saturday():
    assert next_times("cron(0 0 ? * L *)")[:2] == ["2026-11-28T00:00:00Z", "2026-12-05T00:00:00Z"]


def test_nth_weekday():
    assert next_times("cron(0 0 ? * 6#3 *)")[0] == "2026-12-18T00:00:00Z"
    # Fifth Mondays: 30 Nov 2026, then 29 Mar 2027.
    assert next_times("cron(0 0 ? * MON#5 *)")[:2] == [
        "2026-11-30T00:00:00Z",
        "2027-03-29T00:00:00Z",
    ]


def test_day_of_week_1_is_sunday():
    assert next_times("cron(0 0 ? * 1 *)")[0] == "2026-11-29T00:00:00Z"
    assert next_times("cron(0 0 ? * SUN *)")[0] == "2026-11-29T00:00:00Z"
    assert next_times("cron(0 0 ? * 7 *)")[0] == "2026-11-28T00:00:00Z"


def test_lists_names_and_lowercase():
    assert next_times("cron(0 12 1 JAN,jul ? *)")[:2] == [
        "2027-01-01T12:00:00Z",
        "2027-07-01T12:00:00Z",
    ]


def test_year_ranges_and_exhausted_schedules():
    assert next_times("cron(0 0 1 1 ? 2027-2028)") == [
        "2027-01-01T00:00:00Z",
        "2028-01-01T00:00:00Z",
    ]
    data = check(KIND, "cron(0 0 1 1 ? 2020)", now=NOW)
    assert data["valid"] and data["info"]["next"] == []
    assert "never fires" in messages(data, "warnings")


def test_a_date_that_never_exists_is_valid_but_never_fires():
    data = check(KIND, "cron(0 0 30 2 ? *)", now=NOW)
    assert data["valid"] and data["info"]["next"] == []
    assert data["warnings"]


def test_wrapping_hour_range():
    assert next_times("cron(0 22-2 * * ? *)") == [
        "2026-11-27T22:00:00Z",
        "2026-11-27T23:00:00Z",
        "2026-11-28T00:00:00Z",
        "2026-11-28T01:00:00Z",
        "2026-11-28T02:00:00Z",
    ]


def test_stepped_range():
    assert next_times("cron(10-30/10 10 * * ? *)")[:3] == [
        "2026-11-27T10:10:00Z",
        "2026-11-27T10:20:00Z",
        "2026-11-27T10:30:00Z",
    ]


def test_info_fields():
    info = check(KIND, "cron(0 10 * * ? *)", now=NOW)["info"]
    assert info["type"] == "cron"
    assert info["fields"]["Day-of-week"] == "?"


INVALID = [
    ("cron(0 10 * * ?)", "six required fields", (1, 6)),
    ("cron(0 10 * * ? * *)", "six required fields", (1, 6)),
    ("cron(0 10 * * * *)", "you must use ? in the other", (1, 15)),
    ("cron(0 10 ? * ? *)", "cannot both be ?", (1, 11)),
    ("cron(0 10 5 * MON *)", "you must use ? in the other", (1, 15)),
    ("cron(? 10 * * ? *)", "only allowed in Day-of-month or Day-of-week", (1, 6)),
    ("cron(60 10 * * ? *)", "Minutes value 60 is out of range 0-59", (1, 6)),
    ("cron(0 24 * * ? *)", "Hours value 24 is out of range 0-23", (1, 8)),
    ("cron(0 10 0 * ? *)", "Day-of-month value 0 is out of range 1-31", (1, 11)),
    ("cron(0 10 32 * ? *)", "Day-of-month value 32", (1, 11)),
    ("cron(0 10 * 13 ? *)", "Month value 13", (1, 13)),
    ("cron(0 10 * FOO ? *)", "'FOO' is not a valid Month value", (1, 13)),
    ("cron(0 10 ? * 0 *)", "Day-of-week value 0", (1, 15)),
    ("cron(0 10 ? * 8 *)", "Day-of-week value 8", (1, 15)),
    ("cron(0 10 * * ? 1969)", "Year value 1969 is out of range 1970-2199", (1, 17)),
    ("cron(0 10 * * ? 2200)", "Year value 2200", (1, 17)),
    ("cron(0 L * * ? *)", "The L wildcard is not allowed in Hours", (1, 8)),
    ("cron(0 10 ? * 2W *)", "The W wildcard is not allowed in Day-of-week", (1, 16)),
    ("cron(0 10 1#2 * ? *)", "The # wildcard is not allowed in Day-of-month", (1, 12)),
    ("cron(0 10 ? * 3#1,6#3 *)", "can hold only one expression", (1, 18)),
    ("cron(0 10 ? * 3#6 *)", "1 to 5", (1, 17)),
    ("cron(0/0 10 * * ? *)", "increment after /", (1, 8)),
    ("cron(0/60 10 * * ? *)", "increment after /", (1, 8)),
    ("cron(0 10 *,? * ? *)", "? must be the whole", (1, 13)),
    ("cron(0 10 1, * ? *)", "Empty value in Day-of-month", (1, 13)),
    ("cron(0 10 * * ? *", "Use rate(value unit)", (1, 1)),
    ("cron()", "six required fields", (1, 6)),
    ("rate(0 minutes)", "positive whole number", (1, 6)),
    ("rate(-5 minutes)", "positive whole number", (1, 6)),
    ("rate(1.5 hours)", "positive whole number", (1, 6)),
    ("rate(1 minutes)", "must be singular: rate(1 minute)", (1, 8)),
    ("rate(5 minute)", "must be plural: rate(5 minutes)", (1, 8)),
    ("rate(2 day)", "rate(2 days)", (1, 8)),
    ("rate(5 weeks)", "Unknown rate unit 'weeks'", (1, 8)),
    ("rate(5)", "rate(value unit)", (1, 6)),
    ("rate()", "rate(value unit)", (1, 6)),
    ("every 5 minutes", "Use rate(value unit)", (1, 1)),
    ("", "Use rate(value unit)", (1, 1)),
    ("at(2026-02-30T10:00:00)", "real date and time", (1, 4)),
    ("at(2026-12-01 10:00:00)", "at(yyyy-mm-ddThh:mm:ss)", (1, 4)),
    ("  cron(0 60 * * ? *)", "Hours value 60", (1, 10)),
]


@pytest.mark.parametrize(("expression", "fragment", "where"), INVALID)
def test_invalid_expressions(expression, fragment, where):
    data = check(KIND, expression, now=NOW)
    assert not data["valid"]
    assert fragment in messages(data)
    assert data["errors"][0]["message"].startswith("Parameter ScheduleExpression is not valid.")
    assert position(data) == where


def test_rate_info():
    info = check(KIND, "rate(15 minutes)", now=NOW)["info"]
    assert info["type"] == "rate" and info["every_seconds"] == 900


def test_one_time_schedule():
    data = check(KIND, "at(2026-12-24T18:30:00)", now=NOW)
    assert data["valid"]
    assert data["info"]["next"] == ["2026-12-24T18:30:00Z"]
    assert "Scheduler" in data["info"]["service"]


def test_one_time_schedule_in_the_past_is_a_warning():
    data = check(KIND, "at(2020-01-01T00:00:00)", now=NOW)
    assert data["valid"] and data["info"]["next"] == []
    assert "in the past" in messages(data, "warnings")


def test_parse_cron_directly():
    cron = parse_cron(["0", "10", "*", "*", "?", "*"])
    assert cron.minutes == {0} and cron.hours == {10} and cron.dow.any_day
    assert cron.days(2026, 2) == list(range(1, 29))
