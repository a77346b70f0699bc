"""Phone (390 px) and desktop (1280 px) layout: lesson title near the top, the progress table
fits, the runner's numbers on one line."""

import pytest
from playwright.sync_api import Page, expect

from course.runner import sandbox_status
from course.runner.web.views import sandbox_limits
from tests.e2e.pages import DESKTOP, PHONE
from tests.helpers import require_tool

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


def top(page: Page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_lesson_title_starts_near_the_top(new_page, width):
    page = new_page(viewport=WIDTHS[width])
    page.goto("/lessons/lambda/")
    title_top = top(page, "#lesson-title")
    print(f"{width}: lesson title at {title_top:.0f} px")
    assert title_top < 260
    outline = page.get_by_role("navigation", name="Course outline")
    other_lesson = outline.get_by_role("link", name="Docker")
    if width == "phone":
        # Collapsed behind a button; one tap (or Enter) opens it, without JavaScript.
        expect(other_lesson).to_be_hidden()
        toggle = outline.locator("summary")
        expect(toggle).to_be_visible()
        toggle.click()
        expect(other_lesson).to_be_visible()
        assert toggle.bounding_box()["height"] >= 24  # a comfortable target
    else:
        expect(other_lesson).to_be_visible()


PROGRESS_LAYOUT = """() => {
  const wrap = document.querySelector(".progress-table").closest(".table-wrap");
  const box = wrap.getBoundingClientRect();
  const inside = (el) => {
    const r = el.getBoundingClientRect();
    return r.left >= box.left - 0.5 && r.right <= Math.min(box.right, window.innerWidth) + 0.5;
  };
  const head = [...document.querySelectorAll(".progress-table thead th")];
  return {
    scroll: wrap.scrollWidth, client: wrap.clientWidth,
    scrolls: getComputedStyle(wrap).overflowX === "auto", focusable: wrap.tabIndex === 0,
    visibleHeaders: head.filter(inside).map((th) => th.textContent.trim()),
    lessonNamesVisible: [...document.querySelectorAll(".progress-table tbody th")].every(inside),
  };
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_progress_table_columns_are_all_reachable(new_page, sign_in, alice, width):
    page = new_page(viewport=WIDTHS[width])
    sign_in(page, alice)
    page.goto("/progress/")
    layout = page.evaluate(PROGRESS_LAYOUT)
    print(width, layout)
    hint = page.get_by_text("Scroll sideways for more columns")
    everything = [
        "Lesson",
        "Read",
        "Best score",
        "Last score",
        "Attempts",
        "Labs passed",
        "Last activity",
        "Status",
    ]
    if width == "desktop":
        assert layout["scroll"] <= layout["client"] + 1, layout
        assert layout["visibleHeaders"] == everything
        expect(hint).to_be_hidden()
        return
    # A phone: the table scrolls in its own keyboard-focusable box, says so, and keeps each row's
    # lesson name in view while the other columns slide under it.
    assert layout["scrolls"] and layout["focusable"], layout
    expect(hint).to_be_visible()
    page.locator(".progress-page .table-wrap").evaluate(
        "(el) => { el.scrollLeft = el.scrollWidth; }"
    )
    scrolled = page.evaluate(PROGRESS_LAYOUT)
    print("scrolled", scrolled)
    # Scrolled to the end: the last columns come into view beside the pinned lesson names.
    assert {"Labs passed", "Last activity", "Status"} <= set(scrolled["visibleHeaders"]), scrolled
    assert scrolled["lessonNamesVisible"], scrolled


def test_the_run_cost_stays_on_one_line_on_a_phone(new_page, sign_in, alice):
    status = sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")
    page = new_page(viewport=PHONE)
    sign_in(page, alice)
    page.goto("/lessons/lambda/#function-runner")
    page.locator("#function-runner").get_by_role("button", name="Run function").click()
    cost = page.locator(".runner-report dd").last
    expect(cost).to_contain_text("$")
    lines = cost.evaluate(
        """(dd) => {
          const range = document.createRange();
          range.selectNodeContents(dd);
          const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          return {lines: tops.size, text: dd.textContent,
                  overflow: dd.scrollWidth > dd.clientWidth + 1};
        }"""
    )
    print(lines)
    assert lines["lines"] == 1, lines
    assert not lines["overflow"], lines
