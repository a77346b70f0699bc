"""A learner checks, fails, fixes and submits a code lab and an artefact lab, with and without
JS."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from course.labs.models import Lab, LabAttempt, LabDraft
from course.runner import sandbox_status
from course.runner.web.limits import sandbox_limits
from tests.conftest import require_tool
from tests.e2e.axe import blocking, describe, run_axe

pytestmark = pytest.mark.e2e

CODE_LAB = "/lessons/lambda/labs/lambda-first-handler/"


@pytest.fixture
def sandbox():
    status = sandbox_status(sandbox_limits())
    require_tool(status.ok, f"the sandbox is unavailable: {status.reason}")


def write(page: Page, text: str) -> None:
    editor = page.get_by_label("Your handler (python)")
    editor.fill(text)


def test_a_code_lab_from_first_check_to_submission(
    page: Page, alice, sign_in, sandbox, tmp_path, settings
):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    lab = Lab.objects.get(key="lambda-first-handler")
    sign_in(page, alice)
    page.goto(CODE_LAB)
    expect(page.get_by_role("heading", level=1)).to_have_text(lab.title)
    # The starter fails, with a message that says what was expected.
    page.get_by_role("button", name="Check").click()
    result = page.locator("#lab-result")
    expect(result).to_contain_text("tests passed")
    expect(result).to_contain_text('Expected the result to contain {"greeting": "Hello, Ada!"}')
    # A first fix that forgets the default name: one visible test still fails.
    write(
        page,
        "def lambda_handler(event, context):\n"
        "    name = event['name']\n"
        "    print(f'Greeting {name}')\n"
        "    return {'greeting': f'Hello, {name}!', 'requestId': context.aws_request_id}\n",
    )
    expect(page.locator("#lab-draft-status")).to_contain_text("Draft saved")
    page.get_by_role("button", name="Check").click()
    expect(result).to_contain_text("2 of 3 tests passed")
    expect(result).to_contain_text("KeyError")
    # The draft survives a reload.
    page.reload()
    expect(page.get_by_label("Your handler (python)")).to_have_value(
        LabDraft.objects.get(user=alice).text
    )
    write(page, lab.solution)
    page.get_by_role("button", name="Check").click()
    expect(result).to_contain_text("Every visible test passed")
    page.get_by_role("button", name="Submit").click()
    expect(result).to_contain_text("Submitted: every test passed")
    expect(result).to_contain_text("(hidden)")
    assert LabAttempt.objects.filter(user=alice, passed=True).count() == 1
    page.reload()
    expect(page.get_by_text("Model solution (you have passed this lab)")).to_be_visible()
    violations = blocking(run_axe(page))
    assert not violations, describe(violations)


def test_an_artefact_lab_and_the_checker_without_javascript(new_page, alice, sign_in):
    lab = Lab.objects.exclude(kind="code").order_by("key").first()
    assert lab is not None, "an artefact lab is needed"
    page = new_page(java_script_enabled=False)
    sign_in(page, alice)
    page.goto(lab.get_absolute_url())
    page.get_by_role("button", name="Check").click()  # the starter
    expect(page.locator("#lab-result")).to_contain_text("tests passed")
    page.locator("#lab-answer").fill(lab.solution)
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#lab-result")).to_contain_text("Submitted: every test passed")
    assert LabAttempt.objects.get(user=alice, lab=lab).passed
    # Hints without JS: a plain link reveals the next one.
    if lab.hints_html:
        page.get_by_role("link", name="Show hint 1").click()
        expect(page.get_by_role("heading", name="Hint 1")).to_be_visible()
    # The checker page: paste, pick, see the problem with its position.
    page.goto("/tools/validate/")
    page.get_by_label("Kind").select_option("schedule-expression")
    page.get_by_role("textbox", name="Artefact").fill("cron(0 8 * * MON-FRI *)")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#validate-report")).to_contain_text("AWS would refuse it")
    expect(page.locator("#validate-report")).to_contain_text("Line 1, column")
    assert "cron(" not in page.url  # pasted text never lands in the URL


def test_the_editor_keeps_the_keyboard_rule(page: Page):
    page.goto(CODE_LAB)
    editor = page.locator("#lab-answer")
    editor.fill("")
    editor.focus()
    page.keyboard.press("Tab")
    expect(editor).to_have_value("    ")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(editor).not_to_be_focused()


def test_a_code_lab_without_javascript(new_page, bob, sign_in, sandbox, tmp_path, settings):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    lab = Lab.objects.get(key="lambda-first-handler")
    page = new_page(java_script_enabled=False)
    sign_in(page, bob)
    page.goto(CODE_LAB)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#lab-result")).to_contain_text("tests passed")
    page.locator("#lab-answer").fill(lab.solution)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#lab-result")).to_contain_text("Every visible test passed")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#lab-result")).to_contain_text("Submitted: every test passed")
    assert LabAttempt.objects.get(user=bob, lab=lab).passed
    # Without JS nothing autosaves as one types, but every Check saved the draft.
    assert LabDraft.objects.get(user=bob, lab=lab).text.strip() == lab.solution.strip()
