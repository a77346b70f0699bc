"""The site's page types, for the checks that run on every one of them (axe, page weight).

When a feature lands, add its pages here and they are checked like the rest: nothing is skipped
because it does not exist yet, it is simply not listed yet.
"""

import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LESSON_DIR = REPO_ROOT / "course" / "content"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"  # git-ignored: failure evidence and screenshots

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class PageType:
    name: str
    path: str
    # Name of a user fixture (alice, or a teacher fixture) to sign in as before opening the page.
    user: str | None = None
    status: int = 200

    def __str__(self) -> str:
        return self.name


def lesson_slugs() -> list[str]:
    """Lesson slugs from the content file names (NN-slug.md), without touching the database."""
    names = sorted(path.name for path in LESSON_DIR.glob("*.md"))
    return [match.group(1) for name in names if (match := re.match(r"\d+-([a-z0-9-]+)\.md$", name))]


HOME = PageType("home", "/")
# Lambda is the longest lesson and carries the embeds, so it stands for every lesson.
LESSON = PageType("lesson", "/lessons/lambda/")
LOGIN = PageType("login", "/accounts/login/")
SIGNUP = PageType("signup", "/accounts/signup/")
NOT_FOUND = PageType("404", "/no-such-page/", status=404)
CALCULATOR = PageType("calculator", "/tools/lambda-pricing/")
RUNNER = PageType("runner", "/tools/function-runner/")
QUIZ = PageType("quiz", "/lessons/lambda/quiz/")
PROGRESS = PageType("progress", "/progress/", user="alice")
# Teacher pages, signed in as `class_teacher` (tests/teach/fixtures.py): Tess with a class of 30
# students who have read lessons and taken quizzes, built with these fixed ids (high enough that
# no sequence reaches them, on PostgreSQL too).
TEACH_CLASS_PK, TEACH_STUDENT_PK, TEACH_CLASS_SIZE = 90_001, 900_001, 30
TEACH_HOME = PageType("teach-home", "/teach/", user="class_teacher")
TEACH_CLASS = PageType("teach-class", f"/teach/classes/{TEACH_CLASS_PK}/", user="class_teacher")
TEACH_ANALYSIS = PageType(
    "teach-analysis", f"/teach/classes/{TEACH_CLASS_PK}/analysis/", user="class_teacher"
)
TEACH_STUDENT = PageType(
    "teach-student",
    f"/teach/classes/{TEACH_CLASS_PK}/students/{TEACH_STUDENT_PK}/",
    user="class_teacher",
)
TEACH_ASSIGNMENTS = PageType(
    "teach-assignments", f"/teach/classes/{TEACH_CLASS_PK}/assignments/", user="class_teacher"
)
TEACH_SETTINGS = PageType(
    "teach-settings", f"/teach/classes/{TEACH_CLASS_PK}/settings/", user="class_teacher"
)
# A saved function's pages, signed in as `function_owner` (tests/e2e/conftest.py): Fay's
# to-do function with an endpoint, a key, a schedule and a few invocations in its monitor.
FUNCTION_PK = 90_101
FUNCTION_PAGES = [
    PageType("functions", "/functions/", user="function_owner"),
    PageType("function", f"/functions/{FUNCTION_PK}/", user="function_owner"),
    PageType("endpoint", f"/functions/{FUNCTION_PK}/endpoint", user="function_owner"),
    PageType("schedule", f"/functions/{FUNCTION_PK}/schedule", user="function_owner"),
    PageType("monitor", f"/functions/{FUNCTION_PK}/monitor", user="function_owner"),
    PageType("tuning", f"/functions/{FUNCTION_PK}/tuning", user="function_owner"),
]
JOIN_CLASS = PageType("join-class", "/classes/join/", user="alice")
ACCOUNT = PageType("account", "/accounts/profile/", user="alice")
TEACH_PAGES = [
    TEACH_HOME,
    TEACH_CLASS,
    TEACH_ANALYSIS,
    TEACH_STUDENT,
    TEACH_ASSIGNMENTS,
    TEACH_SETTINGS,
    JOIN_CLASS,
    ACCOUNT,
]

# Every page type, once: axe runs on each in light and dark. Pages that only exist in the middle
# of a journey (a quiz attempt, its review and result) are checked by tests/e2e/test_journeys.py.
PAGE_TYPES = [
    HOME,
    LESSON,
    CALCULATOR,
    RUNNER,
    QUIZ,
    PROGRESS,
    *TEACH_PAGES,
    *FUNCTION_PAGES,
    LOGIN,
    SIGNUP,
    NOT_FOUND,
]

# The page-weight budget applies to every page a reader can land on, so every lesson counts.
BUDGET_PAGES = [
    HOME,
    *(PageType(f"lesson-{slug}", f"/lessons/{slug}/") for slug in lesson_slugs()),
    CALCULATOR,
    RUNNER,
    QUIZ,
    PROGRESS,
    *TEACH_PAGES,
    LOGIN,
    SIGNUP,
    NOT_FOUND,
]
