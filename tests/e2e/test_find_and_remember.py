"""Browser checks for search, the cheat sheet, diagrams and long lessons at 390 and 1280 px."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from course.lessons.models import Lesson
from tests.e2e.axe import blocking, describe, run_axe
from tests.e2e.pages import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
MIN_TEXT_PX = 12


def smallest_font(svg_name: str) -> tuple[float, float]:
    """(smallest font size, viewBox width) of a diagram, in SVG user units."""
    text = (Path(settings.BASE_DIR) / "static" / "diagrams" / svg_name).read_text()
    sizes = [float(s) for s in re.findall(r'font-size(?::\s*|=")([0-9.]+)', text)]
    view_width = float(re.search(r'viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+)', text).group(1))
    return min(sizes), view_width


@pytest.mark.parametrize("width", WIDTHS)
def test_every_diagram_text_is_at_least_12_css_px_and_opens_full_size(new_page, width):
    page = new_page(viewport=WIDTHS[width])
    checked = 0
    for lesson in Lesson.objects.published():
        page.goto(lesson.get_absolute_url())
        for image in page.locator("figure.diagram img").all():
            image.scroll_into_view_if_needed()
            src = image.get_attribute("src")
            link = image.locator("xpath=ancestor::a[1]")
            assert link.get_attribute("href") == src
            font, view_width = smallest_font(src.rsplit("/", 1)[-1])
            rendered = image.evaluate("img => img.getBoundingClientRect().width")
            smallest = font * rendered / view_width
            print(f"{width} {lesson.slug} {src}: smallest text {smallest:.1f} px")
            assert smallest >= MIN_TEXT_PX
            checked += 1
    assert checked >= 10


def test_diagram_link_opens_the_svg(new_page):
    page = new_page(viewport=PHONE)
    page.goto("/lessons/ecs/")
    image = page.locator("figure.diagram a.diagram-link img").first
    image.scroll_into_view_if_needed()  # loading="lazy": it has a size once loaded
    image.click()
    assert page.url.endswith(".svg")


@pytest.mark.parametrize("width", WIDTHS)
def test_long_lesson_keeps_contents_in_reach(new_page, width):
    page = new_page(viewport=WIDTHS[width])
    page.goto("/lessons/lambda/")
    page.mouse.wheel(0, 6000)
    page.wait_for_timeout(200)
    if width == "desktop":
        toc = page.locator("nav.on-page")
        box = toc.bounding_box()
        assert 0 <= box["y"] < WIDTHS[width]["height"]  # sticky: still on screen
        expect(page.locator(".contents-jump")).to_be_hidden()
    else:
        jump = page.locator(".contents-jump")
        expect(jump).to_be_visible()
        jump.click()
        expect(page.locator("nav.on-page")).to_be_in_viewport()
    back = page.get_by_role("link", name="Back to top")
    back.scroll_into_view_if_needed()
    back.click()
    expect(page.locator("#lesson-title")).to_be_in_viewport()


def test_code_blocks_get_a_copy_button_with_js_and_stay_plain_without(new_page):
    page = new_page(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page.goto("/lessons/docker/")
    button = page.locator(".prose pre").first.locator("xpath=..").get_by_role("button")
    expect(button).to_have_text("Copy")
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() and copied.strip() in page.locator(".prose pre").first.inner_text()
    plain = new_page(viewport=DESKTOP, java_script_enabled=False)
    plain.goto("/lessons/docker/")
    expect(plain.locator(".copy-button")).to_have_count(0)
    expect(plain.locator(".prose pre").first).to_be_visible()


def test_search_without_js_from_the_header(new_page):
    page = new_page(viewport=PHONE, java_script_enabled=False)
    page.goto("/")
    page.get_by_role("searchbox", name="Search the course").fill("cold start")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    first = page.locator(".search-results a").first
    expect(first).to_have_attribute("href", "/lessons/lambda/#cold-starts-and-billed-duration")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "url", ["/search/?q=container", "/search/?q=qqq", "/cheat-sheet/", "/glossary/"]
)
def test_new_pages_pass_axe(new_page, url, scheme):
    page = new_page(viewport=PHONE, color_scheme=scheme)
    page.goto(url)
    problems = blocking(run_axe(page))
    assert not problems, describe(problems)


def test_lesson_with_new_controls_passes_axe(new_page):
    page = new_page(viewport=PHONE)
    page.goto("/lessons/lambda/")
    problems = blocking(run_axe(page))
    assert not problems, describe(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_review_answers_without_js_and_passes_axe(new_page, sign_in, alice, width):
    from django.utils import timezone

    from quizzes.models import Question, ReviewItem

    question = Question.objects.filter(quiz__lesson__slug="docker", type="single").first()
    ReviewItem.objects.create(user=alice, question=question, box=1, due_at=timezone.now())
    page = new_page(viewport=WIDTHS[width])
    sign_in(page, alice)
    page.goto("/review/")
    problems = blocking(run_axe(page))
    assert not problems, describe(problems)
    plain = new_page(viewport=WIDTHS[width], java_script_enabled=False)
    sign_in(plain, alice)
    plain.goto("/review/")
    expect(plain.locator(".review-counts")).to_contain_text("1 question due")
    correct = question.choices.get(is_correct=True)
    plain.locator(f"#review-choice-{correct.pk}").check()
    plain.get_by_role("button", name="Check my answer").click()
    expect(plain.get_by_role("heading", name="✓ Right")).to_be_visible()
    expect(plain.locator(".review-counts")).to_contain_text("0 questions due")
