"""A teacher running a class: assigns a lesson with a due date, sees a late student and a
student flagged as needing attention, sorts by it; a student finds their calendar feed."""

import re
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from course.lessons.models import Lesson
from quizzes.models import Assignment
from tests.e2e.axe import blocking, describe, run_axe
from tests.teach.builders import enroll, new_class, read, submit_lab, take_quiz

pytestmark = pytest.mark.e2e


def assert_accessible(page: Page, what: str) -> None:
    violations = blocking(run_axe(page))
    assert not violations, f"axe on the {what} page:\n{describe(violations)}"


def test_teacher_sees_late_and_missing_work_and_the_student_their_feed(
    new_page, sign_in, teacher, alice, bob, live_server
):
    # A class with Docker due yesterday: Alice finished it today (late), Bob has not (missing).
    classroom = new_class(teacher, name="Cloud, Tuesday 2pm")
    enroll(classroom, alice, bob)
    Assignment.objects.create(
        classroom=classroom,
        lesson=Lesson.objects.get(slug="docker"),
        due_at=timezone.now() - timedelta(days=1),
    )
    read(alice, "docker")
    take_quiz(alice, "docker", 100)
    submit_lab(alice, "docker-dockerfile")

    desk = new_page()
    sign_in(desk, teacher)
    desk.goto(classroom.get_absolute_url())
    expect(desk.get_by_role("list", name="Class summary")).to_contain_text("1 on track")
    alice_row = desk.get_by_role("row", name=re.compile("^alice"))
    expect(alice_row).to_contain_text("⚠ Late")
    bob_row = desk.get_by_role("row", name=re.compile("^bob"))
    expect(bob_row).to_contain_text("⚑ Needs attention")
    expect(bob_row).to_contain_text("Behind: 1 assignment missing")
    expect(bob_row).to_contain_text("✗ Missing")
    assert_accessible(desk, "class")

    # Sorting by "Needs attention" puts Bob first.
    desk.get_by_role("link", name=re.compile("^Needs attention")).click()
    expect(desk).to_have_url(re.compile(r"\?sort=-attention$"))
    first = desk.locator("table.matrix tbody tr").first
    expect(first).to_contain_text("bob")

    # The teacher assigns another lesson from the Assignments tab.
    desk.get_by_role("link", name="Assignments").click()
    form = desk.get_by_role("region", name="Assign a lesson")
    form.get_by_label("Lesson", exact=True).select_option(label="Amazon ECS")
    form.get_by_label("Due date", exact=True).fill(
        (timezone.now() + timedelta(days=2, hours=1)).date().isoformat()
    )
    form.get_by_label("Due time", exact=True).fill("23:59")
    form.get_by_role("button", name="Assign", exact=True).click()
    expect(desk.get_by_text("Amazon ECS assigned.")).to_be_visible()
    expect(desk.get_by_role("table")).to_contain_text("Amazon ECS")
    assert_accessible(desk, "assignments")

    # Bob sees what is due on /progress/, and subscribes to his calendar feed.
    student = new_page()
    sign_in(student, bob)
    student.goto("/progress/")
    due = student.get_by_role("region", name="Due dates")
    expect(due).to_contain_text("overdue by 1 day")
    expect(due).to_contain_text("Amazon ECS")
    link = student.locator('a[href$=".ics"]')
    expect(link).to_have_count(1)
    response = student.request.get(live_server.url + link.get_attribute("href"))
    assert response.ok
    calendar = icalendar.Calendar.from_ical(response.body())
    summaries = sorted(str(event["SUMMARY"]) for event in calendar.walk("VEVENT"))
    assert summaries == [
        "Due: Amazon ECS (Cloud, Tuesday 2pm)",
        "Due: Docker (Cloud, Tuesday 2pm)",
    ]
