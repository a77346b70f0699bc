"""Lessons read on a phone (390 px) and a desktop (1280 px) without scrolling sideways.

Every run keeps a full-page screenshot of home and each lesson at both widths in
test-artifacts/widths/, and refreshes the README's screenshots in docs/screenshots/ (first screen
only, to keep the committed images small).
"""

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.pages import (
    ARTIFACTS_DIR,
    DESKTOP,
    FUNCTION_PAGES,
    HOME,
    LESSON,
    PHONE,
    REPO_ROOT,
    PageType,
    lesson_slugs,
)

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
WIDTHS_DIR = ARTIFACTS_DIR / "widths"
README_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
# README image name -> (page, width) it is taken from.
README_SHOTS = {
    "home-desktop.png": (HOME, "desktop"),
    "lesson-desktop.png": (LESSON, "desktop"),
    "lesson-phone.png": (LESSON, "phone"),
}

# On failure, name the outermost elements that stick out past the right edge (content inside a
# scrolling box, like a wide table in .table-wrap, is fine and left out).
OVERFLOW = """() => {
  const limit = window.innerWidth + 0.5;
  const sticksOut = (el) => el.getBoundingClientRect().right > limit;
  const insideScroller = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const describe = (el) => `<${el.tagName.toLowerCase()}`
    + `${el.className ? ' class="' + el.className + '"' : ""}>`
    + ` right edge at ${Math.round(el.getBoundingClientRect().right)} px`;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => sticksOut(el) && !sticksOut(el.parentElement) && !insideScroller(el))
    .slice(0, 10)
    .map(describe);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide};
}"""


def save_screenshots(page: Page, page_type: PageType, width: str) -> None:
    WIDTHS_DIR.mkdir(parents=True, exist_ok=True)
    # JPEG: a full lesson is ~20,000 px tall, and Chromium encodes that twice as fast as PNG.
    page.screenshot(
        path=WIDTHS_DIR / f"{page_type.name}-{width}.jpg", full_page=True, type="jpeg", quality=80
    )
    for file_name, (readme_page, readme_width) in README_SHOTS.items():
        if (readme_page.path, readme_width) == (page_type.path, width):
            README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            write_if_changed(README_SCREENSHOTS / file_name, page.screenshot())


def write_if_changed(path: Path, data: bytes) -> None:
    """Leave an identical image alone, so a test run does not touch the committed file."""
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


WIDTH_PAGES = [
    HOME,
    *(PageType(f"lesson-{slug}", f"/lessons/{slug}/") for slug in lesson_slugs()),
    *FUNCTION_PAGES,
]


def sideways_scrolling(page: Page, page_type: PageType, width: str) -> str | None:
    """Resize to one width, keep its screenshots, and describe any sideways scrolling."""
    page.set_viewport_size(WIDTHS[width])
    result = page.evaluate(OVERFLOW)
    save_screenshots(page, page_type, width)
    if result["scrollWidth"] <= result["innerWidth"]:
        return None
    return (
        f"{page_type.path} scrolls sideways at {result['innerWidth']} px ({width}): the page is "
        f"{result['scrollWidth']} px wide. Elements past the edge:\n  "
        + "\n  ".join(result["wide"])
    )


@pytest.mark.parametrize("page_type", WIDTH_PAGES, ids=str)
def test_page_fits_phone_and_desktop_without_sideways_scrolling(page: Page, visit, page_type):
    page.set_viewport_size(PHONE)
    visit(page, page_type)

    # One load, both widths: resizing re-runs the media queries, as turning a tablet does.
    problems = [
        problem for width in WIDTHS if (problem := sideways_scrolling(page, page_type, width))
    ]

    assert not problems, "\n".join(problems)
