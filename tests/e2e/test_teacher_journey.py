"""A teacher creates a class; a student joins with the code; the teacher sees the student's score
and downloads the CSV. Driven by visible labels and roles, as people would."""

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import blocking, describe, run_axe

pytestmark = pytest.mark.e2e


def assert_accessible(page: Page, what: str) -> None:
    violations = blocking(run_axe(page))
    assert not violations, f"axe on the {what} page:\n{describe(violations)}"


def take_the_docker_quiz(page: Page) -> str:
    """Read the Docker lesson, take its quiz picking each question's first option; the score."""
    page.goto("/lessons/docker/")
    page.get_by_role("link", name=re.compile("quiz", re.I)).first.click()
    page.get_by_role("button", name="Start quiz").click()
    fieldsets = page.locator("fieldset.question")
    expect(fieldsets.first).to_be_visible()
    for index in range(fieldsets.count()):
        fieldsets.nth(index).locator("input[type=radio], input[type=checkbox]").first.check()
    expect(page.locator(".save-status").last).to_contain_text("Saved")
    page.get_by_role("button", name="Review answers").click()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Your result")).to_be_visible()
    return page.locator(".score-percent").inner_text()


def test_teacher_creates_a_class_student_joins_teacher_sees_the_score(
    new_page, sign_in, teacher, alice, tmp_path
):
    # The teacher creates a class from the Teach link.
    desk = new_page()
    sign_in(desk, teacher)
    desk.goto("/")
    desk.get_by_role("navigation", name="Site").get_by_role("link", name="Teach").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Your classes")
    desk.get_by_label("Name").fill("Cloud, Tuesday 2pm")
    desk.get_by_role("button", name="Create class").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Cloud, Tuesday 2pm")
    code = desk.locator(".join-code code").inner_text()
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{8}", code)

    # A student joins with the code, typed in lower case with a space, then takes a quiz.
    student = new_page()
    sign_in(student, alice)
    student.goto("/classes/join/")
    student.get_by_label("Code").fill(f"{code[:4].lower()} {code[4:].lower()}")
    student.get_by_role("button", name="Join").click()
    expect(student.get_by_text("You joined Cloud, Tuesday 2pm.")).to_be_visible()
    expect(student.get_by_role("button", name=re.compile("^Leave"))).to_be_visible()
    score = take_the_docker_quiz(student)  # like "(42%)"
    percent = re.search(r"\d+", score).group()

    # The teacher sees the student's score in the matrix.
    desk.reload()
    row = desk.get_by_role("row", name=re.compile("^alice"))
    expect(row).to_contain_text("✓ Read")
    expect(row).to_contain_text(f"{percent}% · 1 try")
    assert_accessible(desk, "class")

    # Sorting is a header link; htmx swaps the matrix and keeps the address shareable.
    desk.get_by_role("link", name=re.compile("^Completion")).click()
    expect(desk.get_by_role("columnheader", name=re.compile("^Completion"))).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(desk).to_have_url(re.compile(r"\?sort=-completion$"))

    # And downloads the CSV.
    with desk.expect_download() as download_info:
        desk.get_by_role("link", name=re.compile("^Download CSV")).click()
    download = download_info.value
    assert download.suggested_filename == "cloud-tuesday-2pm-progress.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    body = path.read_bytes().decode("utf-8")
    assert body.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(body[1:])))
    assert [row[0] for row in rows] == ["alice"]
    docker = header.index("Docker: best %")
    assert rows[0][docker] == percent
    assert rows[0][header.index("Docker: read")] == "yes"

    # The drill-down shows the attempt and its answers.
    row.get_by_role("link", name="alice").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("alice")
    desk.get_by_text(re.compile(r"^Attempt 1: \d+ / \d+")).click()
    expect(desk.locator(".answer-list li").first).to_be_visible()
    assert_accessible(desk, "student")

    # Removing the student takes them out of the class, not their own records.
    desk.get_by_role("link", name="Remove alice from Cloud, Tuesday 2pm").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        "Remove alice from Cloud, Tuesday 2pm?"
    )
    desk.get_by_role("button", name="Remove alice from Cloud, Tuesday 2pm").click()
    expect(desk.get_by_text("alice was removed from Cloud, Tuesday 2pm.")).to_be_visible()
    expect(desk.get_by_role("row", name=re.compile("^alice"))).to_have_count(0)
    student.goto("/progress/")
    expect(student.get_by_role("row", name=re.compile("^Docker"))).to_contain_text(f"{percent}%")


def test_teacher_turns_the_code_off_and_a_student_is_told(new_page, sign_in, teacher, bob):
    desk = new_page()
    sign_in(desk, teacher)
    desk.goto("/teach/")
    desk.get_by_label("Name").fill("Closed class")
    desk.get_by_role("button", name="Create class").click()
    code = desk.locator(".join-code code").inner_text()
    panel = desk.get_by_role("region", name="Join code")
    panel.get_by_role("button", name="Disable code").click()  # htmx swaps the panel
    expect(panel.get_by_role("status")).to_contain_text("Join code turned off")
    expect(panel.get_by_role("button", name="Enable code")).to_be_focused()

    student = new_page()
    sign_in(student, bob)
    student.goto("/classes/join/")
    student.get_by_label("Code").fill(code)
    student.get_by_role("button", name="Join").click()
    expect(student.get_by_role("alert")).to_contain_text("not accepting new students")
    student.get_by_label("Code").fill("ZZZZ2222")
    student.get_by_role("button", name="Join").click()
    expect(student.get_by_role("alert")).to_contain_text("No class has the code ZZZZ2222")
