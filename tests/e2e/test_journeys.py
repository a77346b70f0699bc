"""Journeys through the site's features, driven by visible labels and roles as a person would."""

import re

import pytest
from playwright.sync_api import Page, expect

from course.runner import sandbox_status
from course.runner.web.views import sandbox_limits
from tests.e2e.axe import blocking, describe, run_axe
from tests.helpers import require_tool

pytestmark = pytest.mark.e2e
PASSWORD = "a long unusual passphrase"


def assert_accessible(page: Page, what: str) -> None:
    violations = blocking(run_axe(page))
    assert not violations, f"axe on the {what} page:\n{describe(violations)}"


def answer_every_question(page: Page) -> None:
    """Pick the first choice of every question and type 1 into numeric ones."""
    fieldsets = page.locator("fieldset.question")
    for index in range(fieldsets.count()):
        fieldset = fieldsets.nth(index)
        choice = fieldset.locator("input[type=radio], input[type=checkbox]")
        if choice.count():
            choice.first.check()
        else:
            fieldset.locator("input[type=text], input:not([type])").first.fill("1")
    expect(page.locator(".save-status").last).to_contain_text("Saved")


def take_quiz(page: Page) -> str:
    answer_every_question(page)
    page.get_by_role("button", name="Review answers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review")
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Your result")).to_be_visible()
    return page.locator(".score-figure").inner_text()


def test_learner_signs_up_takes_a_quiz_retakes_it_and_sees_progress(page: Page):
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill("learner")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()

    page.goto("/lessons/docker/")
    page.get_by_role("link", name=re.compile("quiz", re.I)).first.click()
    assert_accessible(page, "quiz")
    page.get_by_role("button", name="Start quiz").click()
    expect(page.locator("fieldset.question").first).to_be_visible()
    assert_accessible(page, "quiz attempt")
    first_score = take_quiz(page)
    assert re.fullmatch(r"\d+ / \d+", first_score)
    assert_accessible(page, "quiz result")

    page.get_by_role("button", name="Retake quiz").click()
    expect(page.get_by_text("Attempt 2")).to_be_visible()
    take_quiz(page)

    page.get_by_role("link", name="Progress", exact=True).click()
    row = page.get_by_role("row", name=re.compile("^Docker"))
    expect(row.get_by_role("cell").nth(3)).to_have_text("2")  # attempts
    expect(row).to_contain_text("✓ Read")
    assert_accessible(page, "progress")


def test_answers_survive_closing_the_tab(page: Page, new_page, sign_in, alice):
    sign_in(page, alice)
    page.goto("/lessons/ecs/quiz/")
    page.get_by_role("button", name="Start quiz").click()
    first = page.locator("fieldset.question").first.locator("input").first
    first.check()
    expect(page.locator(".save-status").first).to_contain_text("Saved")
    page.context.close()

    again = new_page()
    sign_in(again, alice)
    again.goto("/lessons/ecs/quiz/")
    again.get_by_role("button", name="Resume quiz").click()
    expect(again.locator("fieldset.question").first.locator("input").first).to_be_checked()


def test_calculator_updates_as_the_learner_types_and_the_url_follows(page: Page):
    page.goto("/lessons/lambda/")
    calculator = page.locator("#lambda-calculator")
    total = calculator.get_by_test_id("total")
    before = total.inner_text()
    memory = calculator.get_by_label("Memory (MB)")
    memory.fill("1024")
    calculator.get_by_label("Requests per month", exact=True).fill("30M")
    expect(total).not_to_have_text(before)
    expect(page).to_have_url(re.compile(r"/lessons/lambda/\?.*memory_mb=1024"))
    expect(page.locator("#pricing-result")).to_contain_text("30,000,000 × 0.120 s × 1 GB")
    expect(page.locator("svg.chart")).to_be_visible()
    shown = total.inner_text()
    page.reload()
    expect(page.get_by_test_id("total")).to_have_text(shown)  # the URL reproduces the result

    memory = page.locator("#lambda-calculator").get_by_label("Memory (MB)")
    memory.fill("64")
    expect(page.locator("#calc-memory_mb_error")).to_have_text("Lambda memory is 128-10,240 MB")
    expect(memory).to_have_value("64")


def test_calculator_works_without_javascript(new_page):
    page = new_page(java_script_enabled=False)
    page.goto("/tools/lambda-pricing/")
    page.get_by_label("Requests per month", exact=True).fill("3,000,000")
    page.get_by_label("Average duration (ms)").fill("120")
    page.get_by_label("Memory (MB)").fill("1536")
    page.get_by_role("button", name="Calculate").click()
    expect(page).to_have_url(re.compile(r"memory_mb=1536"))
    expect(page.get_by_test_id("total")).to_have_text("$2.73")


def test_function_runner_runs_a_handler_and_shows_the_report(page: Page, sign_in, alice):
    status = sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")
    sign_in(page, alice)
    page.goto("/tools/function-runner/")
    page.get_by_label("Starter function").select_option(label="Python: API Gateway handler")
    expect(page.get_by_label("Function code")).to_have_value(re.compile("statusCode"))
    page.get_by_label("Memory (MB)").fill("256")
    page.get_by_role("button", name="Run function").click()
    logs = page.get_by_test_id("logs")
    expect(logs).to_contain_text("REPORT RequestId:")
    expect(logs).to_contain_text("Memory Size: 256 MB")
    expect(page.get_by_text("✓ succeeded")).to_be_visible()
    page.get_by_role("link", name="What would 1M of these cost?").click()
    expect(page).to_have_url(re.compile(r"/tools/lambda-pricing/\?requests=1000000"))
    expect(page.get_by_label("Memory (MB)")).to_have_value("256")


def test_code_editor_tab_indents_and_escape_tab_leaves(page: Page):
    page.goto("/tools/function-runner/")
    code = page.locator("#runner-code")
    page.get_by_label("Function code").first.click()  # focusing loads the code editor
    expect(code).to_have_attribute("data-enhanced", "codemirror")
    editor = page.get_by_role("textbox", name="Function code")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Tab")
    expect(editor).to_be_focused()
    page.wait_for_function("document.querySelector('#runner-code').value.endsWith('    ')")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(editor).not_to_be_focused()
