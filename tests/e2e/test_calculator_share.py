"""A shared calculator link opens at the calculator, not 9,700 px above it at the lesson's top."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


def calculator_in_view(page: Page) -> bool:
    return page.evaluate(
        """() => {
          const box = document.getElementById("lambda-calculator").getBoundingClientRect();
          return box.top >= -1 && box.top < window.innerHeight / 2;
        }"""
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_shared_link_lands_on_the_calculator(new_page, viewport):
    page = new_page(viewport=viewport, permissions=["clipboard-read", "clipboard-write"])
    page.goto("/lessons/lambda/")
    calculator = page.locator("#lambda-calculator")
    calculator.get_by_label("Requests per month", exact=True).fill("50M")
    calculator.get_by_label("Memory (MB)").fill("1536")
    expect(page).to_have_url(re.compile(r"/lessons/lambda/\?.*memory_mb=1536.*#lambda-calculator$"))
    expect(page.get_by_test_id("total")).not_to_have_text("")

    copy = calculator.get_by_role("button", name="Copy link")
    expect(copy).to_be_visible()
    copy.click()
    expect(calculator.get_by_role("status")).to_have_text("Link copied")
    shared = page.evaluate("navigator.clipboard.readText()")
    assert shared == page.url
    assert calculator.get_by_label("Link to these numbers").input_value() == shared

    reader = new_page(viewport=viewport)
    reader.goto(shared)
    reader.wait_for_load_state("load")
    assert reader.locator("#calc-requests").input_value() == "50M"
    assert calculator_in_view(reader), reader.evaluate(
        "document.getElementById('lambda-calculator').getBoundingClientRect().top"
    )


def test_without_javascript_the_link_is_shown_and_lands_on_the_calculator(new_page):
    page = new_page(java_script_enabled=False, viewport=PHONE)
    page.goto("/lessons/lambda/")
    calculator = page.locator("#lambda-calculator")
    calculator.get_by_label("Memory (MB)").fill("1536")
    calculator.get_by_role("button", name="Calculate").click()
    expect(page).to_have_url(re.compile(r"memory_mb=1536.*#lambda-calculator$"))
    link = page.locator("#lambda-calculator").get_by_label("Link to these numbers")
    expect(link).to_be_visible()
    assert link.input_value().startswith("http")
    assert link.input_value().endswith("#lambda-calculator")
    assert "memory_mb=1536" in link.input_value()
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    assert calculator_in_view(page)
