"""The quiz page and the result page as a learner sees them, on a phone and a desktop.

Screenshots of both are kept in test-artifacts/quiz-pages/ for a person to look at.
"""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from quizzes import attempts
from quizzes.models import Choice, Question, QuestionType, Quiz
from tests.e2e.axe import blocking, describe, run_axe
from tests.e2e.pages import ARTIFACTS_DIR, DESKTOP, PHONE

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
SHOTS = ARTIFACTS_DIR / "quiz-pages"

# Where each question's legend sits against its fieldset's top border.
LEGENDS = """() => [...document.querySelectorAll("fieldset.question")].map((fieldset) => {
  const legend = fieldset.querySelector("legend").getBoundingClientRect();
  const box = fieldset.getBoundingClientRect();
  const border = parseFloat(getComputedStyle(fieldset).borderTopWidth);
  return {id: fieldset.id, legendTop: legend.top, borderBottom: box.top + border};
})"""


def assert_accessible(page: Page) -> None:
    violations = blocking(run_axe(page))
    assert not violations, describe(violations)


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def learner(db) -> User:
    return User.objects.create_user("lena", "lena@example.com", "a long unusual passphrase")


def submitted_docker_attempt(user: User):
    """Lena's Docker attempt: the select-all question partly right, the rest left empty."""
    quiz = Quiz.objects.get(lesson__slug="docker")
    attempt, _ = attempts.start_attempt(quiz, user)
    question = Question.objects.filter(
        pk__in=attempt.question_ids, type=QuestionType.MULTIPLE
    ).first()
    choices = Choice.objects.filter(pk__in=attempt.choice_order[str(question.pk)])
    right = [c.pk for c in choices if c.is_correct]
    wrong = [c.pk for c in choices if not c.is_correct]
    picked = frozenset([right[0], wrong[0]])
    attempts.save_answer(attempt, question, attempts.ParsedAnswer(choices=picked))
    attempts.submit_attempt(attempt)
    return attempt, question


@pytest.mark.parametrize("width", WIDTHS)
def test_quiz_page_legends_sit_inside_their_boxes_and_say_select_all_once(
    new_page, sign_in, learner, width
):
    page = new_page(viewport=WIDTHS[width])
    sign_in(page, learner)
    page.goto("/lessons/docker/quiz/")
    page.get_by_role("button", name="Start quiz").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Docker quiz")
    shoot(page, f"quiz-{width}")
    page.locator("fieldset.question").nth(1).screenshot(path=str(SHOTS / f"question-{width}.png"))
    for legend in page.evaluate(LEGENDS):
        # The border runs through a legend that starts above the border's inner edge.
        assert legend["legendTop"] >= legend["borderBottom"], legend
    fieldsets = page.locator("fieldset.question")
    for index in range(fieldsets.count()):
        fieldset = fieldsets.nth(index)
        if fieldset.locator("input[type=checkbox]").count():
            text = fieldset.inner_text().lower()
            assert text.count("select all that apply") == 1, text
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_result_page_numbers_once_links_onward_and_explains_a_partly_right_answer(
    new_page, sign_in, learner, width
):
    attempt, question = submitted_docker_attempt(learner)
    page = new_page(viewport=WIDTHS[width])
    sign_in(page, learner)
    page.goto(f"/quizzes/attempts/{attempt.pk}/result/")
    expect(page.get_by_role("heading", name="Your result")).to_be_visible()
    shoot(page, f"result-{width}")

    next_link = page.get_by_role("link", name="Next lesson: Amazon ECS")
    expect(next_link).to_be_visible()
    assert next_link.get_attribute("href") == "/lessons/ecs/"

    first = page.locator(".result-item").first
    assert first.evaluate("(li) => getComputedStyle(li).listStyleType") == "none"
    expect(first.locator("h2")).to_contain_text("Question 1:")

    item = page.locator(f"#q-{question.pk}")
    item.screenshot(path=str(SHOTS / f"result-partly-right-{width}.png"))
    expect(item.locator(".verdict")).to_have_text("Partly right, no mark")
    expect(item.locator(".option-picked")).to_have_count(1)
    expect(item.locator(".option-wrong")).to_have_count(1)
    right = Choice.objects.filter(question=question, is_correct=True).count()
    expect(item.locator(".option-missed")).to_have_count(right - 1)
    expect(item.get_by_text("Missed: this one is right too").first).to_be_visible()
    expect(item.get_by_text("You picked it, but it is wrong")).to_be_visible()
    assert_accessible(page)
