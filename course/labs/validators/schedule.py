"""EventBridge schedule expressions: rate(), cron() and EventBridge Scheduler's one-time at().

Every error reads like EventBridge's own ("Parameter ScheduleExpression is not valid.") followed
by what is wrong and where. Info carries the next fire times, computed by a real evaluator of
AWS's six-field cron dialect (L, W, LW, nL, n#k; day-of-week 1 = Sunday; UTC).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .base import Result, ascii_digits, line_column

RULES = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html"
CRON_SOURCE = RULES + "#eb-cron-expressions"
RATE_SOURCE = RULES + "#eb-rate-expressions"
SCHEDULER = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html"
AT_SOURCE = SCHEDULER + "#one-time"

INVALID = "Parameter ScheduleExpression is not valid. "
NEXT_COUNT = 5

_EXPRESSION = re.compile(r"(rate|cron|at)\((.*)\)", re.DOTALL)
_RATE = re.compile(r"(\S+) +(\S+)")
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
# [0-9], not \d: \d also matches other scripts' digits ("٢٠٣٠"), which AWS refuses.
_AT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})")
# Python's datetime ends with year 9999: a rate whose first fire falls after it is refused.
_LAST_MOMENT = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
# A rate value this long is past year 9999 in any unit; int() is never asked to parse more.
_RATE_MAX_DIGITS = 10

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    low: int
    high: int
    wildcards: str
    names: tuple[str, ...] = ()
    max_step: int = 0

    def value(self, token: str) -> int | None:
        if ascii_digits(token, 4):  # no field takes more than four digits (years)
            return int(token)
        upper = token.upper()
        if upper in self.names:
            return self.names.index(upper) + self.low
        return None


FIELDS = (
    FieldSpec("Minutes", 0, 59, ", - * /", max_step=59),
    FieldSpec("Hours", 0, 23, ", - * /", max_step=23),
    FieldSpec("Day-of-month", 1, 31, ", - * ? / L W", max_step=31),
    FieldSpec("Month", 1, 12, ", - * /", tuple(MONTHS), max_step=12),
    FieldSpec("Day-of-week", 1, 7, ", - * ? L #", tuple(DAYS), max_step=7),
    FieldSpec("Year", 1970, 2199, ", - * /", max_step=229),
)


class CronError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass
class DayRule:
    """A day-of-month or day-of-week field; `any_day` is the ? wildcard."""

    any_day: bool = False
    values: set[int] = field(default_factory=set)
    last: bool = False  # L (day-of-month)
    last_weekday: bool = False  # LW
    nearest_weekday: set[int] = field(default_factory=set)  # nW
    last_of: set[int] = field(default_factory=set)  # nL in day-of-week: last such day
    nth: set[tuple[int, int]] = field(default_factory=set)  # d#k in day-of-week


@dataclass
class Cron:
    minutes: set[int]
    hours: set[int]
    dom: DayRule
    months: set[int]
    dow: DayRule
    years: set[int]

    def days(self, year: int, month: int) -> list[int]:
        length = calendar.monthrange(year, month)[1]
        rule = self.dow if self.dom.any_day else self.dom
        chosen: set[int] = set()
        if rule is self.dom:
            chosen |= {day for day in rule.values if day <= length}
            if rule.last:
                chosen.add(length)
            if rule.last_weekday:
                chosen.add(_nearest_weekday(year, month, length, length))
            for day in rule.nearest_weekday:
                if day <= length:
                    chosen.add(_nearest_weekday(year, month, day, length))
            return sorted(chosen)
        for day in range(1, length + 1):
            weekday = aws_day_of_week(date(year, month, day))
            if weekday in rule.values:
                chosen.add(day)
            if weekday in rule.last_of and day + 7 > length:
                chosen.add(day)
            for wanted, nth in rule.nth:
                if weekday == wanted and (day - 1) // 7 + 1 == nth:
                    chosen.add(day)
        return sorted(chosen)

    def times(self, after: datetime) -> Iterator[datetime]:
        """Fire times strictly after `after`, ascending."""
        start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for year in sorted(self.years):
            if year < start.year:
                continue
            for month in sorted(self.months):
                if (year, month) < (start.year, start.month):
                    continue
                for day in self.days(year, month):
                    if date(year, month, day) < start.date():
                        continue
                    for hour in sorted(self.hours):
                        for minute in sorted(self.minutes):
                            moment = datetime(year, month, day, hour, minute, tzinfo=UTC)
                            if moment >= start:
                                yield moment


@dataclass(frozen=True)
class Recurrence:
    """A valid rate() or cron() expression as a scheduler needs it: its fire times.

    A rate counts from ``anchor`` (when the schedule was created, as EventBridge counts it); a
    cron expression from the calendar. Used by the saved functions' scheduler
    (course/functions/schedules), so the lab and the scheduler accept exactly the same text.
    """

    every_seconds: int | None = None
    cron: Cron | None = None

    def times(self, after: datetime, anchor: datetime | None = None) -> Iterator[datetime]:
        """Fire times strictly after ``after``, ascending, up to the year 9999."""
        after = _utc(after)
        if self.cron is not None:
            yield from self.cron.times(after)
            return
        assert self.every_seconds
        step = timedelta(seconds=self.every_seconds)
        anchor = _utc(anchor) if anchor is not None else after
        steps = 1 if after < anchor else (after - anchor) // step + 1
        # Whole seconds: timedelta overflows long before such values do.
        if (anchor - _LAST_MOMENT).total_seconds() + steps * self.every_seconds > 0:
            return
        moment = anchor + step * steps
        while moment <= _LAST_MOMENT:
            yield moment
            if (_LAST_MOMENT - moment) < step:
                return
            moment += step

    def next_after(self, after: datetime, anchor: datetime | None = None) -> datetime | None:
        return next(self.times(after, anchor), None)

    def upcoming(
        self, after: datetime, anchor: datetime | None = None, count: int = NEXT_COUNT
    ) -> list[datetime]:
        found = []
        for moment in self.times(after, anchor):
            found.append(moment)
            if len(found) == count:
                break
        return found

    def count_between(
        self, start: datetime, end: datetime, anchor: datetime | None = None, limit: int = 100_000
    ) -> int:
        """How many fire times fall in [start, end) (at most ``limit``): windows a stopped
        scheduler missed."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return 0
        if self.every_seconds is not None:
            step = timedelta(seconds=self.every_seconds)
            anchor = _utc(anchor) if anchor is not None else start
            first = self.next_after(start - timedelta(microseconds=1), anchor)
            if first is None or first >= end:
                return 0
            return min(limit, (end - first - timedelta(microseconds=1)) // step + 1)
        found = 0
        for moment in self.times(start - timedelta(seconds=1)):
            if moment >= end or found >= limit:
                break
            if moment >= start:
                found += 1
        return found


def recurrence(text: str) -> Recurrence:
    """The fire times of a valid rate() or cron() expression; ValueError (EventBridge's message)
    for anything else, including one-time at() schedules."""
    result = validate(text)
    if result.errors:
        raise ValueError(result.errors[0].message)
    kind = result.info["type"]
    if kind == "rate":
        return Recurrence(every_seconds=result.info["every_seconds"])
    if kind == "cron":
        inner = _EXPRESSION.fullmatch(text.strip()).group(2)  # type: ignore[union-attr]
        return Recurrence(cron=parse_cron(inner.split()))
    raise ValueError(INVALID + "A recurring schedule is rate(...) or cron(...), not at(...).")


def aws_day_of_week(day: date) -> int:
    """1 = Sunday ... 7 = Saturday, as AWS cron counts."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    """The weekday (Mon-Fri) nearest `day` without leaving the month (the W wildcard)."""
    weekday = date(year, month, day).weekday()  # Monday = 0
    if weekday == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return day + 1 if day < length else day - 2
    return day


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate(text: str, now: datetime | None = None) -> Result:
    result = Result()
    now = _utc(now)
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())

    def at(offset: int) -> tuple[int, int]:
        return line_column(text, lead + offset)

    match = _EXPRESSION.fullmatch(stripped)
    if not match:
        result.error(
            INVALID + "Use rate(value unit), cron(minutes hours day-of-month month day-of-week "
            "year) or, for EventBridge Scheduler, at(yyyy-mm-ddThh:mm:ss).",
            at(0),
            RULES,
        )
        return result
    kind, inner = match.group(1), match.group(2)
    base = match.start(2)
    result.info["type"] = kind
    if kind == "rate":
        _rate(inner, base, at, now, result)
    elif kind == "cron":
        _cron(inner, base, at, now, result)
    else:
        _at(inner, base, at, now, result)
    return result


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def _rate(inner: str, base: int, at: Any, now: datetime, result: Result) -> None:
    match = _RATE.fullmatch(inner)
    if not match:
        result.error(
            INVALID + "A rate expression is rate(value unit), for example rate(5 minutes).",
            at(base),
            RATE_SOURCE,
        )
        return
    value_text, unit = match.group(1), match.group(2)
    digits = value_text.lstrip("0")
    if not ascii_digits(value_text) or not digits:
        result.error(
            INVALID + f"The rate value must be a positive whole number, not {value_text!r}.",
            at(base),
            RATE_SOURCE,
        )
        return
    if len(digits) > _RATE_MAX_DIGITS:
        result.error(
            INVALID + f"The rate value {value_text[:20]}... is too long: it would first fire "
            "after the year 9999.",
            at(base),
            RATE_SOURCE,
        )
        return
    value = int(digits)
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in _RATE_UNITS:
        result.error(
            INVALID + f"Unknown rate unit {unit!r}: use minute(s), hour(s) or day(s).",
            at(base + match.start(2)),
            RATE_SOURCE,
        )
        return
    if value == 1 and unit != singular:
        result.error(
            INVALID + f"With a value of 1 the unit must be singular: rate(1 {singular}).",
            at(base + match.start(2)),
            RATE_SOURCE,
        )
        return
    if value > 1 and unit == singular:
        result.error(
            INVALID + f"With a value above 1 the unit must be plural: rate({value} {singular}s).",
            at(base + match.start(2)),
            RATE_SOURCE,
        )
        return
    seconds = value * _RATE_UNITS[singular]
    # Compared in whole seconds: timedelta itself overflows long before such values.
    room = int((_LAST_MOMENT - now).total_seconds())
    if seconds > room:
        result.error(
            INVALID + f"rate({value_text} {unit}) is too long: it would first fire after the "
            "year 9999.",
            at(base),
            RATE_SOURCE,
        )
        return
    result.info["every_seconds"] = seconds
    result.info["next"] = [
        iso(now + timedelta(seconds=seconds * step))
        for step in range(1, NEXT_COUNT + 1)
        if seconds * step <= room
    ]
    result.info["note"] = (
        "A rate schedule counts from when the rule or schedule is created; these times count "
        "from now."
    )


def _at(inner: str, base: int, at: Any, now: datetime, result: Result) -> None:
    match = _AT.fullmatch(inner)
    moment = None
    if match:
        try:
            moment = datetime(*(int(part) for part in match.groups()), tzinfo=UTC)
        except ValueError:
            moment = None
    if moment is None:
        result.error(
            INVALID + f"A one-time schedule is at(yyyy-mm-ddThh:mm:ss) with a real date and "
            f"time, not at({inner}).",
            at(base),
            AT_SOURCE,
        )
        return
    result.info["service"] = "EventBridge Scheduler (EventBridge rules take only rate and cron)"
    if moment <= now:
        result.warn(
            f"{iso(moment)} is in the past: the schedule would never run.", at(base), AT_SOURCE
        )
        result.info["next"] = []
    else:
        result.info["next"] = [iso(moment)]


def _cron(inner: str, base: int, at: Any, now: datetime, result: Result) -> None:
    tokens = list(re.finditer(r"\S+", inner))
    if len(tokens) != 6:
        result.error(
            INVALID + f"Cron expressions have six required fields (minutes hours day-of-month "
            f"month day-of-week year); this one has {len(tokens)}.",
            at(base),
            CRON_SOURCE,
        )
        return
    try:
        cron = parse_cron([token.group(0) for token in tokens], [t.start() for t in tokens])
    except CronError as exc:
        result.error(INVALID + exc.message, at(base + exc.offset), CRON_SOURCE)
        return
    upcoming = []
    for moment in cron.times(now):
        upcoming.append(iso(moment))
        if len(upcoming) == NEXT_COUNT:
            break
    result.info["fields"] = dict(
        zip([spec.name for spec in FIELDS], [t.group(0) for t in tokens], strict=True)
    )
    result.info["next"] = upcoming
    if not upcoming:
        result.warn(
            "This expression is valid but never fires after "
            f"{iso(now)} (no such date, or only past years).",
            at(base),
            CRON_SOURCE,
        )


def parse_cron(fields: list[str], offsets: list[int] | None = None) -> Cron:
    """Parse the six fields of an AWS cron expression; CronError names the offending offset."""
    offsets = offsets or [0] * len(fields)
    minutes = _numbers(fields[0], FIELDS[0], offsets[0])
    hours = _numbers(fields[1], FIELDS[1], offsets[1])
    dom = _day_of_month(fields[2], offsets[2])
    months = _numbers(fields[3], FIELDS[3], offsets[3])
    dow = _day_of_week(fields[4], offsets[4])
    years = _numbers(fields[5], FIELDS[5], offsets[5])
    if dom.any_day and dow.any_day:
        raise CronError(
            "Day-of-month and Day-of-week cannot both be ?: give a value (or *) in one of them.",
            offsets[2],
        )
    if not dom.any_day and not dow.any_day:
        raise CronError(
            "You can't specify the Day-of-month and Day-of-week fields in the same cron "
            "expression: if you give a value (or *) in one, you must use ? in the other.",
            offsets[4],
        )
    return Cron(minutes, hours, dom, months, dow, years)


def _question(text: str, spec: FieldSpec, offset: int) -> None:
    index = text.find("?")
    if index >= 0 and "?" not in spec.wildcards:
        raise CronError(
            f"The ? wildcard is only allowed in Day-of-month or Day-of-week, not in {spec.name}.",
            offset + index,
        )
    if index >= 0:
        raise CronError(f"? must be the whole {spec.name} field.", offset + index)


def _numbers(text: str, spec: FieldSpec, offset: int) -> set[int]:
    """A field of numbers: comma-separated items of n, a-b, *, with an optional /step."""
    _question(text, spec, offset)
    values: set[int] = set()
    position = 0
    for item in text.split(","):
        values |= _item(item, spec, offset + position)
        position += len(item) + 1
    return values


def _item(item: str, spec: FieldSpec, offset: int) -> set[int]:
    if not item:
        raise CronError(f"Empty value in {spec.name}.", offset)
    for char in "LW#":
        if char in item and char not in spec.wildcards:
            raise CronError(
                f"The {char} wildcard is not allowed in {spec.name} (allowed: {spec.wildcards}).",
                offset + item.index(char),
            )
    span = spec.high - spec.low + 1
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not ascii_digits(step_text, 4) or not 1 <= int(step_text) <= spec.max_step:
            raise CronError(
                f"The increment after / in {spec.name} must be a whole number from 1 to "
                f"{spec.max_step}, not {step_text!r}.",
                offset + len(base) + 1,
            )
        step = int(step_text)
    if base == "*":
        start, end = spec.low, spec.high
    else:
        first, dash, last = base.partition("-")
        start = _value(first, spec, offset)
        if dash:
            end = _value(last, spec, offset + len(first) + 1)
        elif slash:
            end = spec.high  # "a/s": from a to the end of the range, every s
        else:
            end = start
    if end < start:  # a wrapping range such as FRI-MON or 22-2
        end += span
    return {spec.low + (value - spec.low) % span for value in range(start, end + 1, step)}


def _value(token: str, spec: FieldSpec, offset: int) -> int:
    value = spec.value(token)
    if value is None:
        allowed = f"{spec.low}-{spec.high}"
        if spec.names:
            allowed += f" or {spec.names[0]}-{spec.names[-1]}"
        raise CronError(
            f"{token!r} is not a valid {spec.name} value ({allowed}; wildcards {spec.wildcards}).",
            offset,
        )
    if not spec.low <= value <= spec.high:
        raise CronError(
            f"{spec.name} value {value} is out of range {spec.low}-{spec.high}.", offset
        )
    return value


_DOM_SPECIAL = re.compile(r"(L|LW|([0-9]+)W)")
_DOW_LAST = re.compile(r"([1-7]|[A-Za-z]{3})L")
_DOW_NTH = re.compile(r"([1-7]|[A-Za-z]{3})#([0-9]{1,4})")


def _day_of_month(text: str, offset: int) -> DayRule:
    spec = FIELDS[2]
    if text == "?":
        return DayRule(any_day=True)
    _question(text, spec, offset)
    rule = DayRule()
    position = 0
    for item in text.split(","):
        here = offset + position
        position += len(item) + 1
        special = _DOM_SPECIAL.fullmatch(item.upper())
        if special is None:
            rule.values |= _item(item, spec, here)
        elif item.upper() == "L":
            rule.last = True
        elif item.upper() == "LW":
            rule.last_weekday = True
        else:
            rule.nearest_weekday.add(_value(special.group(2), spec, here))
    return rule


def _day_of_week(text: str, offset: int) -> DayRule:
    spec = FIELDS[4]
    if text == "?":
        return DayRule(any_day=True)
    _question(text, spec, offset)
    items = text.split(",")
    if "#" in text and len(items) > 1:
        raise CronError(
            "With the # wildcard the Day-of-week field can hold only one expression "
            '("3#1,6#3" is two).',
            offset + text.index(","),
        )
    rule = DayRule()
    position = 0
    for item in items:
        here = offset + position
        position += len(item) + 1
        if item.upper() == "L":
            rule.values.add(7)  # the last day of the week: Saturday
            continue
        last = _DOW_LAST.fullmatch(item)
        if last:
            rule.last_of.add(_value(last.group(1), spec, here))
            continue
        nth = _DOW_NTH.fullmatch(item)
        if nth:
            day = _value(nth.group(1), spec, here)
            count = int(nth.group(2))
            if not 1 <= count <= 5:
                raise CronError(
                    f"After # give which occurrence in the month, 1 to 5, not {count}.",
                    here + len(nth.group(1)) + 1,
                )
            rule.nth.add((day, count))
            continue
        if "#" in item:
            raise CronError(
                f"{item!r}: the # wildcard is day#occurrence, for example 2#1 (first Monday).",
                here,
            )
        rule.values |= _item(item, spec, here)
    return rule
