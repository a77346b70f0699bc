"""The code editor (CodeMirror, static/vendor/codemirror) over the runner's and labs' textareas:
typing, Tab and Escape-then-Tab, highlighting, the no-JS fallback, and a draft that survives a
reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

RUNNER = "/tools/function-runner/"


def open_editor(page: Page, textarea: str = "#runner-code"):
    """Focus the code box by keyboard-like focus; the full editor replaces it and takes focus."""
    page.locator(textarea).focus()
    editor = page.locator(f"{textarea} + .cm-editor")
    expect(editor).to_be_visible()
    expect(page.locator(textarea)).to_be_hidden()
    return editor


def test_typing_goes_into_the_editor_and_the_form_field(page: Page):
    page.goto(RUNNER)
    editor = open_editor(page)
    content = editor.locator(".cm-content")
    expect(content).to_be_focused()
    assert content.get_attribute("aria-labelledby") == "runner-code-label"
    assert "runner-code-help" in content.get_attribute("aria-describedby")
    page.keyboard.press("Control+End")
    page.keyboard.type("\nx = [1, 2]")
    assert page.locator("#runner-code").input_value().endswith("x = [1, 2]")
    # Bracket matching: the caret after "]" marks the pair.
    expect(editor.locator(".cm-matchingBracket")).to_have_count(2)
    expect(editor.locator(".cm-lineNumbers .cm-gutterElement").first).to_be_attached()


def test_tab_indents_and_escape_then_tab_leaves(page: Page):
    page.goto(RUNNER)
    editor = open_editor(page)
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    before = page.locator("#runner-code").input_value()
    page.keyboard.press("Tab")
    after = page.locator("#runner-code").input_value()
    assert len(after) > len(before) and after.endswith("    ")
    expect(editor.locator(".cm-content")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(editor.locator(".cm-content")).not_to_be_focused()
    assert page.locator("#runner-code").input_value() == after


def test_python_code_is_highlighted(page: Page):
    page.goto(RUNNER)
    editor = open_editor(page)
    keyword = editor.locator(".cm-line span", has_text="def").first
    expect(keyword).to_be_visible()
    plain = editor.locator(".cm-content").evaluate("e => getComputedStyle(e).color")
    assert keyword.evaluate("e => getComputedStyle(e).color") != plain


def test_the_event_box_is_json_and_a_sample_replaces_its_text(page: Page):
    page.goto(RUNNER)
    editor = open_editor(page, "#runner-event")
    page.get_by_label("Sample event").select_option("eventbridge-schedule")
    expect(editor).to_contain_text("Scheduled Event")
    assert "Scheduled Event" in page.locator("#runner-event").input_value()


def test_without_javascript_the_textarea_is_the_editor(new_page):
    page = new_page(java_script_enabled=False)
    page.goto(RUNNER)
    code = page.locator("#runner-code")
    expect(code).to_be_visible()
    code.fill("def lambda_handler(event, context):\n    return 1\n")
    expect(page.locator(".cm-editor")).to_have_count(0)


def test_a_draft_survives_a_reload(page: Page, sign_in, alice):
    sign_in(page, alice)
    page.goto(RUNNER)
    open_editor(page)
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# do not lose me")
    expect(page.locator("#fn-draft-status")).to_contain_text("Draft saved")
    page.reload()
    assert page.locator("#runner-code").input_value().endswith("# do not lose me")
    expect(page.locator("#fn-draft-status")).to_contain_text("unsaved changes are back")


def test_an_anonymous_draft_survives_a_reload(page: Page):
    page.goto(RUNNER)
    open_editor(page)
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# typed before signing up")
    expect(page.locator("#fn-draft-status")).to_contain_text("Draft saved")
    page.reload()
    assert "# typed before signing up" in page.locator("#runner-code").input_value()


def test_save_then_open_from_the_list(page: Page, sign_in, alice):
    sign_in(page, alice)
    page.goto(RUNNER)
    page.get_by_label("Function name").fill("my-first")
    page.locator(".runner-saved").get_by_role("button", name="Save").click()
    expect(page.locator(".runner-saved legend")).to_contain_text("my-first")
    assert "fn=" in page.url
    open_editor(page)
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# v2")
    page.locator(".runner-saved").get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#fn-save-status")).to_contain_text("now version 2")


def test_lab_pages_get_the_editor(page: Page):
    page.goto("/lessons/lambda/labs/lambda-first-handler/")
    editor = open_editor(page, "#lab-answer")
    expect(editor.locator(".cm-lineNumbers")).to_be_visible()


def test_function_pages_and_the_editor_pass_axe(page: Page, sign_in, alice):
    from course.functions.models import Function, TestEvent
    from tests.e2e.axe import blocking, describe, run_axe

    fn = Function.objects.create(
        owner=alice,
        name="axe-check",
        runtime="python",
        code="def lambda_handler(e, c):\n    return 1\n",
    )
    TestEvent.objects.create(function=fn, name="hello", body='{"name": "Ada"}')
    sign_in(page, alice)
    # The list; a function's page with its event editors upgraded; the runner with the editor.
    for path, editor in [
        ("/functions/", None),
        (fn.get_absolute_url(), "textarea[data-code-editor]"),
        (f"{RUNNER}?fn={fn.pk}", "#runner-code"),
    ]:
        page.goto(path)
        if editor:
            page.locator(editor).first.focus()
            expect(page.locator(".cm-editor").first).to_be_visible()
        violations = blocking(run_axe(page))
        assert not violations, f"{path}: {describe(violations)}"


def test_long_lines_wrap_on_phones(new_page):
    from tests.e2e.pages import PHONE

    page = new_page(viewport=PHONE)
    page.goto(RUNNER)
    editor = open_editor(page)
    expect(editor.locator(".cm-content.cm-lineWrapping")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
