"""Report maths for running classes (no database): attention, assignments, labs, numeric
wrong answers, due-date wording, gradebook CSVs and the iCalendar feed."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import icalendar
import pytest

from course.common import ical
from quizzes import grading, reports
from quizzes.reports import (
    AssignmentInfo,
    AttemptRow,
    AttentionRules,
    LabAttemptRow,
    LabInfo,
    LessonInfo,
    StudentInfo,
)
from quizzes.teach import csv as teach_csv

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DOCKER_LAB = LabInfo(7, "docker-dockerfile", "A Dockerfile", 1)
LESSONS = [
    LessonInfo(1, "docker", "Docker", quiz_id=10, labs=(DOCKER_LAB,)),
    LessonInfo(2, "ecs", "Amazon ECS", quiz_id=20),
]
RULES = AttentionRules(pass_mark=70, inactive_days=7, failed_attempts=2)


def student(pk, name="", joined_days=30, **extra):
    return StudentInfo(pk, name or f"s{pk}", joined_at=NOW - timedelta(days=joined_days), **extra)


def build(students, reads=(), attempts=(), labs=(), **kwargs):
    return reports.build_matrix(
        students,
        LESSONS,
        [(u, lesson) for u, lesson, _ in reads],
        attempts,
        70,
        lab_attempts=labs,
        first_reads={(u, lesson): at for u, lesson, at in reads},
        now=NOW,
        rules=RULES,
        **kwargs,
    )


def test_labs_count_toward_completion_and_show_their_state():
    ana = student(1)
    reads = [(1, 1, NOW - timedelta(days=3))]
    attempts = [AttemptRow(1, 10, 9, 10, NOW - timedelta(days=3))]
    (row,) = build([ana], reads, attempts, activity={1: NOW})
    docker = row.cells[0]
    assert not docker.is_complete  # read and quiz passed, lab not started
    assert docker.labs_label == "Labs 0/1: 0 passed, 1 not started"
    assert [lab.state for lab in docker.labs] == ["not started"]
    tried = [LabAttemptRow(1, 7, 1, 3, False, NOW - timedelta(days=2))]
    (row,) = build([ana], reads, attempts, tried)
    assert row.cells[0].labs[0].label == "✗ Tried" and not row.cells[0].is_complete
    passed = [*tried, LabAttemptRow(1, 7, 3, 3, True, NOW - timedelta(days=1))]
    (row,) = build([ana], reads, attempts, passed)
    assert row.cells[0].is_complete and row.cells[0].labs_label == "Labs 1/1: 1 passed"
    # The gradebook grade: the mean of the quiz's best (90%) and the lab's best (100%).
    assert row.cells[0].grade_percent == 95


def test_scores_against_the_pass_mark_in_words_and_symbols():
    (row,) = build(
        [student(1)],
        attempts=[AttemptRow(1, 10, 7, 10), AttemptRow(1, 20, 6, 10)],
        open_attempts=[(1, 20)],
    )
    docker, ecs = row.cells
    assert (docker.score_status, docker.score_label) == ("pass", "✓ 70% · 1 try")
    assert (ecs.score_status, ecs.score_label) == ("below", "✗ 60% · 1 try (below 70%)")
    assert ecs.in_progress and not docker.in_progress


def test_needs_attention_reasons_and_the_summary():
    active = student(1)
    inactive = student(2)
    never = student(3, joined_days=10)
    new = student(4, joined_days=1)
    failing = student(5)
    activity = {1: NOW - timedelta(days=1), 2: NOW - timedelta(days=8), 5: NOW}
    attempts = [AttemptRow(5, 20, 3, 10), AttemptRow(5, 20, 6, 10)]
    rows = build([active, inactive, never, new, failing], attempts=attempts, activity=activity)
    reasons = {row.student.id: [r.text for r in row.reasons] for row in rows}
    assert reasons == {
        1: [],
        2: ["Inactive for 8 days"],
        3: ["No activity for 10 days"],
        4: [],
        5: ["Below 70% after 2+ tries: Amazon ECS"],
    }
    assert [row.standing for row in rows] == [
        "on track",
        "inactive",
        "inactive",
        "on track",
        "behind",
    ]
    assert reports.summarise(rows) == reports.Summary(on_track=2, behind=1, inactive=2)
    # Sortable by it: most reasons first, then by name.
    chosen = reports.parse_sort("-attention", ["docker", "ecs"])
    assert [r.student.id for r in reports.sort_rows(rows, chosen)][:3] == [2, 3, 5]
    active_first = reports.sort_rows(rows, reports.parse_sort("-active", []))
    assert [r.student.id for r in active_first][:2] == [5, 1]


def test_late_missing_and_extended_assignments():
    due = NOW - timedelta(days=2)
    docker = AssignmentInfo(100, 1, "Docker", due)
    ecs = AssignmentInfo(200, 2, "Amazon ECS", NOW + timedelta(days=2))
    on_time, late, missing, extended = student(1), student(2), student(3), student(4)

    def done_by(user, when):
        return (
            [(user, 1, when)],
            [AttemptRow(user, 10, 10, 10, when)],
            [LabAttemptRow(user, 7, 1, 1, True, when)],
        )

    reads, attempts, labs = [], [], []
    for user, when in [(1, due - timedelta(hours=1)), (2, due + timedelta(hours=1))]:
        r, a, lab = done_by(user, when)
        reads += r
        attempts += a
        labs += lab
    rows = build(
        [on_time, late, missing, extended],
        reads,
        attempts,
        labs,
        assignments=[docker, ecs],
        extensions={(100, 4): NOW + timedelta(days=1)},
        activity={1: NOW, 2: NOW, 3: NOW, 4: NOW},
    )
    states = {row.student.id: [s.state for s in row.assignments] for row in rows}
    assert states == {
        1: ["done", "pending"],
        2: ["late", "pending"],
        3: ["missing", "pending"],
        4: ["pending", "pending"],  # the extension moved Docker past now
    }
    assert rows[2].cells[0].assignment.label == "✗ Missing"
    assert rows[1].cells[0].assignment.label == "⚠ Late"
    assert [r.text for r in rows[2].reasons] == ["Behind: 1 assignment missing"]
    assert rows[3].cells[0].assignment.extended


def test_completion_moment_is_the_last_part_done():
    early, late = NOW - timedelta(days=5), NOW - timedelta(days=1)
    record = reports.QuizRecord()
    record.add(5, 10, early)  # below the pass mark: does not count
    record.add(8, 10, late)
    lab = reports.LabCell(DOCKER_LAB, reports.LabRecord(1, (1, 1), early, True))
    assert reports.completed_at(early, record, [lab], 70) == late


@pytest.mark.parametrize(
    ("due", "words"),
    [
        (NOW + timedelta(days=2, hours=3), "due in 2 days"),
        (NOW + timedelta(days=1), "due in 1 day"),
        (NOW + timedelta(hours=5), "due in 5 hours"),
        (NOW + timedelta(minutes=20), "due within the hour"),
        (NOW - timedelta(minutes=1), "overdue"),
        (NOW - timedelta(days=3, hours=1), "overdue by 3 days"),
    ],
)
def test_relative_due_against_a_fixed_clock(due, words):
    assert reports.relative_due(due, NOW) == words


def test_wrong_numeric_values_grouped_and_counted():
    values = [(Decimal("400000"), 5), (Decimal("3200"), 1), (Decimal("320000"), 2)]
    found = reports.wrong_values(values, fmt=lambda v: grading.format_answer(v, Decimal(0)))
    assert [(v.text, v.count) for v in found] == [("400,000", 5), ("320,000", 2), ("3,200", 1)]


def test_lab_analysis_counts_latest_failures_and_error_types():
    def outcome(name, passed, error=None, visible=True):
        return {"name": name, "visible": visible, "passed": passed, "error_type": error}

    subs = [
        # Ana failed the handler test twice, then fixed it.
        reports.LabSubmission(
            1,
            7,
            False,
            (outcome("returns 200", False, "TypeError"), outcome("hidden", True, visible=False)),
            NOW,
        ),
        reports.LabSubmission(
            1,
            7,
            True,
            (outcome("returns 200", True), outcome("hidden", True, visible=False)),
            NOW + timedelta(minutes=5),
        ),
        # Bo still fails both.
        reports.LabSubmission(
            2,
            7,
            False,
            (
                outcome("returns 200", False, "TypeError"),
                outcome("hidden", False, "KeyError", False),
            ),
            NOW,
        ),
    ]
    result = reports.lab_analysis(DOCKER_LAB, "Docker", 4, subs)
    assert (result.tried, result.passed, result.submissions, result.not_started) == (2, 1, 3, 2)
    assert [(t.name, t.failed, t.percent, t.visible) for t in result.tests] == [
        ("returns 200", 1, 50, True),
        ("hidden", 1, 50, False),
    ]
    assert result.error_types == (("TypeError", 2), ("KeyError", 1))


def graded_rows():
    ana = student(
        1,
        "ana",
        first_name="Ana",
        last_name="Ito",
        email="ana@example.com",
        student_id="S-001",
        display_name="Ana I.",
    )
    bo = student(2, "bo")
    docker = AssignmentInfo(100, 1, "Docker", NOW)
    ecs = AssignmentInfo(200, 2, "Amazon ECS", NOW)
    rows = build(
        [ana, bo],
        reads=[(1, 1, NOW), (1, 2, NOW)],
        attempts=[AttemptRow(1, 10, 8, 10), AttemptRow(1, 20, 10, 10)],
        labs=[LabAttemptRow(1, 7, 1, 2, False)],
        assignments=[docker, ecs],
    )
    return rows, [docker, ecs]


def test_moodle_gradebook_csv():
    rows, assignments = graded_rows()
    header, ana, bo = teach_csv.moodle_rows(rows, assignments)
    assert header == [
        "First name",
        "Last name",
        "ID number",
        "Email address",
        "Username",
        "Docker",
        "Amazon ECS",
    ]
    assert ana == ["Ana", "Ito", "S-001", "ana@example.com", "ana", 65, 100]  # (80 + 50) / 2
    assert bo == ["", "", "", "", "bo", 0, 0]


def test_canvas_gradebook_csv():
    rows, assignments = graded_rows()
    header, points, ana, bo = teach_csv.canvas_rows(rows, assignments, "Cloud, Tuesday")
    assert header == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "Docker",
        "Amazon ECS",
    ]
    assert points == ["    Points Possible", "", "", "", "", 100, 100]
    assert ana == ["Ito, Ana", "", "S-001", "ana", "Cloud, Tuesday", 65, 100]
    assert bo == ["bo", "", "", "bo", "Cloud, Tuesday", 0, 0]


def test_gradebook_cells_are_safe_in_a_spreadsheet():
    rows, assignments = graded_rows()
    evil = reports.MatrixRow(
        StudentInfo(9, "=cmd", first_name="+x", last_name="@y", student_id="-1"), rows[0].cells
    )
    _, line = teach_csv.moodle_rows([evil], assignments)
    assert line[:5] == ["'+x", "'@y", "'-1", "", "'=cmd"]


# --- iCalendar ---------------------------------------------------------------------------------


def feed():
    events = [
        ical.Event(
            uid="assignment-1-user-2@cloud-compute-course",
            start=datetime(2026, 3, 12, 23, 59, tzinfo=UTC) + timedelta(hours=0),
            summary="Due: Docker, ECS; and more\nnext line \\ done",
            description="Ünïcödé " * 30,
            url="https://example.com/lessons/docker/",
        )
    ]
    return ical.calendar(events, name="Due dates", now=NOW)


def test_ical_lines_end_in_crlf_and_fold_at_75_octets():
    text = feed()
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # the long description folded
    text.encode("utf-8")  # folding never split a character


def test_ical_escapes_text_and_writes_utc():
    text = feed()
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Due: Docker\\, ECS\\; and more\\nnext line \\\\ done" in unfolded
    assert "DTSTART:20260312T235900Z" in unfolded
    assert "DTSTAMP:20260310T120000Z" in unfolded
    assert "UID:assignment-1-user-2@cloud-compute-course" in unfolded


def test_ical_parses_with_the_icalendar_library():
    calendar = icalendar.Calendar.from_ical(feed())
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Due: Docker, ECS; and more\nnext line \\ done"
    assert event.decoded("DTSTART") == datetime(2026, 3, 12, 23, 59, tzinfo=UTC)
    assert str(event["DESCRIPTION"]) == "Ünïcödé " * 30
    assert str(event["UID"]) == "assignment-1-user-2@cloud-compute-course"
    assert calendar["VERSION"] == "2.0"


def test_ical_refuses_naive_times():
    with pytest.raises(ValueError):
        ical.utc(datetime(2026, 1, 1))
