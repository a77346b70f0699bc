"""A student reads the course: home -> a lesson -> next lesson -> a contents link to its heading.

Once with the mouse, once with the keyboard alone; both find things by role and visible name.
"""

import re

import pytest
from playwright.sync_api import ElementHandle, Locator, Page, expect

from course.lessons.models import Lesson

pytestmark = pytest.mark.e2e

# What a sighted keyboard user needs after every Tab: where the focus is, and that it is on screen.
FOCUS_STATE = """(target) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return {focused: false, isTarget: false, description: "nothing (body)"};
  }
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "" && style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  const inViewport = box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
    && box.top < window.innerHeight && box.left < window.innerWidth;
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
  const description = `<${el.tagName.toLowerCase()}${el.id ? " id=" + el.id : ""}`
    + `${el.getAttribute("href") ? " href=" + el.getAttribute("href") : ""}> `
    + JSON.stringify(text.slice(0, 60));
  return {
    focused: true, isTarget: el === target, visibleIndicator: outline || shadow, inViewport,
    description, outline: `${style.outlineStyle} ${style.outlineWidth}`, shadow: style.boxShadow,
  };
}"""


def starts_with(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text))


def first_two_lessons() -> tuple[Lesson, Lesson]:
    first, second = Lesson.objects.outline()[:2]
    return first, second


def open_contents_link(page: Page) -> Locator:
    # The last entry is the furthest down the page, so following it must really scroll.
    return page.get_by_role("navigation", name="On this page").get_by_role("link").last


def assert_heading_shown(page: Page, href: str, link_text: str) -> None:
    assert href.startswith("#"), href
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    heading = page.locator(f"[id='{href[1:]}']")
    expect(heading).to_contain_text(link_text)
    expect(heading).to_be_in_viewport()


def test_student_reads_the_course_with_a_mouse(page: Page):
    first, second = first_two_lessons()
    page.goto("/")

    page.get_by_role("link", name=starts_with(first.title)).click()
    expect(page).to_have_url(re.compile(re.escape(first.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(first.title)

    page.get_by_role("link", name=starts_with("Next lesson")).click()
    expect(page).to_have_url(re.compile(re.escape(second.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(second.title)

    link = open_contents_link(page)
    href, text = link.get_attribute("href"), link.inner_text().strip()
    link.click()
    assert_heading_shown(page, href, text)


def press_tab(page: Page, target: ElementHandle) -> bool:
    """Press Tab once, check the focus is visible and on screen; tell whether it reached target."""
    page.keyboard.press("Tab")
    state = page.evaluate(FOCUS_STATE, target)
    assert state["focused"], f"Tab left the focus nowhere on {page.url}"
    assert state["visibleIndicator"], (
        f"no visible focus indicator on {state['description']} "
        f"(outline {state['outline']}, box-shadow {state['shadow']}) at {page.url}"
    )
    assert state["inViewport"], (
        f"focused element is off screen: {state['description']} at {page.url}"
    )
    return state["isTarget"]


def tab_to(page: Page, target: Locator, limit: int = 300) -> None:
    """Press Tab until the target has focus, checking the focus is visible at every stop."""
    element = target.element_handle()
    for _ in range(limit):
        if press_tab(page, element):
            return
    pytest.fail(f"{limit} presses of Tab never reached {target} on {page.url}")


def skip_to_main(page: Page) -> None:
    tab_to(page, page.get_by_role("link", name="Skip to main content"), limit=1)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_student_reads_the_course_with_the_keyboard_alone(page: Page):
    first, second = first_two_lessons()
    page.goto("/")

    skip_to_main(page)
    tab_to(page, page.get_by_role("link", name=starts_with(first.title)))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(first.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(first.title)

    skip_to_main(page)
    tab_to(page, page.get_by_role("link", name=starts_with("Next lesson")))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(second.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(second.title)

    skip_to_main(page)
    link = open_contents_link(page)
    href, text = link.get_attribute("href"), link.inner_text().strip()
    tab_to(page, link)
    page.keyboard.press("Enter")
    assert_heading_shown(page, href, text)
