"""Read and validate lesson sources (course/lessons/content/NN-slug.md), without the database.

Every problem is collected with its file and line, so an author sees all of them at once and
`sync_content` can refuse to write anything while any remain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from course.lessons.markdown import MarkdownError, Rendered, default_asset_url, render

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FILENAME_RE = re.compile(r"^(\d+)-([a-z0-9-]+)\.md$")
REQUIRED_FIELDS = ("title", "slug", "order", "summary")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class LessonSource:
    path: str
    title: str
    slug: str
    order: int
    summary: str
    rendered: Rendered


def yaml_problem(error: yaml.YAMLError, first_line: int, quote_hint: str) -> tuple[int, str]:
    """(file line, reason) for a YAML error in text that starts on the file's `first_line`; for
    the lesson front matter and the quiz files alike."""
    # The context mark is where the broken construct starts; the problem mark is where the
    # parser gave up, often a line later.
    mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
    reason = getattr(error, "problem", None) or str(error)
    if "mapping values are not allowed" in reason:
        reason += f" (text containing ': ' must be put {quote_hint})"
    return (mark.line + first_line if mark else 1), reason


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Return (front matter, body, first body line number) or None when there is none."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None


def key_line(front_matter: str, key: str) -> int:
    """1-based file line of `key:` in the front matter (the file's line 1 is the opening ---)."""
    for number, line in enumerate(front_matter.splitlines(), start=2):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return 1


IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*([^)\s]+)")


def missing_images(body: str, body_line: int, asset_exists: Callable[[str], bool]):
    """(line, path) of every relative image reference whose file is not in static/."""
    for number, line in enumerate(body.splitlines(), start=body_line):
        for src in IMAGE_RE.findall(line):
            if not re.match(r"^([a-z]+:|/|#)", src) and not asset_exists(src):
                yield number, src


def parse_lesson(
    path: Path,
    asset_url: Callable[[str], str] = default_asset_url,
    asset_exists: Callable[[str], bool] | None = None,
) -> tuple[LessonSource | None, list[Problem]]:
    shown = display_path(path)
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return None, [Problem(shown, 1, f"not valid UTF-8 ({error.reason})")]
    parts = split_front_matter(text)
    if parts is None:
        return None, [
            Problem(
                shown,
                1,
                "missing front matter: start the file with '---', then title, "
                "slug, order and summary, then '---'",
            )
        ]
    front_text, body, body_line = parts
    try:
        front = yaml.safe_load(front_text) or {}
    except yaml.YAMLError as error:
        line, reason = yaml_problem(error, first_line=2, quote_hint="in quotes")
        return None, [Problem(shown, line, f"front matter is not valid YAML: {reason}")]
    if not isinstance(front, dict):
        return None, [Problem(shown, 2, "front matter must be 'key: value' lines")]

    for name in REQUIRED_FIELDS:
        value = front.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(Problem(shown, key_line(front_text, name), f"'{name}' is required"))
    unknown = sorted(set(front) - set(REQUIRED_FIELDS))
    for name in unknown:
        problems.append(
            Problem(shown, key_line(front_text, name), f"unknown front matter field '{name}'")
        )
    slug = str(front.get("slug") or "")
    if slug and not SLUG_RE.match(slug):
        problems.append(
            Problem(
                shown,
                key_line(front_text, "slug"),
                f"slug {slug!r} must be lower-case letters, digits and hyphens",
            )
        )
    order = front.get("order")
    if order is not None and (not isinstance(order, int) or isinstance(order, bool) or order < 0):
        problems.append(
            Problem(shown, key_line(front_text, "order"), "order must be a whole number >= 0")
        )
    match = FILENAME_RE.match(path.name)
    if not match:
        problems.append(Problem(shown, 1, "name lesson files NN-slug.md, e.g. 01-docker.md"))
    elif slug and match.group(2) != slug:
        problems.append(
            Problem(
                shown,
                key_line(front_text, "slug"),
                f"slug {slug!r} does not match the file name {path.name!r}",
            )
        )
    if not body.strip():
        problems.append(Problem(shown, body_line, "the lesson has no body"))

    if asset_exists is not None:
        for number, src in missing_images(body, body_line, asset_exists):
            problems.append(Problem(shown, number, f"image {src!r} is not in static/"))

    rendered = None
    try:
        rendered = render(body, asset_url=asset_url)
    except MarkdownError as error:
        problems.append(Problem(shown, body_line + error.line - 1, error.message))
    if problems:
        return None, problems
    return (
        LessonSource(
            path=shown,
            title=str(front["title"]).strip(),
            slug=slug,
            order=order,
            summary=str(front["summary"]).strip(),
            rendered=rendered,
        ),
        [],
    )


def load_lessons(
    directory: Path,
    asset_url: Callable[[str], str] = default_asset_url,
    asset_exists: Callable[[str], bool] | None = None,
) -> list[LessonSource]:
    """Parse every lesson; raise ContentError listing every problem found."""
    problems: list[Problem] = []
    lessons: list[LessonSource] = []
    paths = sorted(directory.glob("*.md"))
    if not paths:
        raise ContentError([Problem(display_path(directory), 0, "no lesson files (*.md)")])
    for path in paths:
        lesson, found = parse_lesson(path, asset_url, asset_exists)
        problems.extend(found)
        if lesson:
            lessons.append(lesson)
    seen_slugs: dict[str, str] = {}
    seen_orders: dict[int, str] = {}
    for lesson in lessons:
        if lesson.slug in seen_slugs:
            problems.append(
                Problem(
                    lesson.path,
                    1,
                    f"slug {lesson.slug!r} is also used by {seen_slugs[lesson.slug]}",
                )
            )
        seen_slugs[lesson.slug] = lesson.path
        if lesson.order in seen_orders:
            problems.append(
                Problem(
                    lesson.path,
                    1,
                    f"order {lesson.order} is also used by {seen_orders[lesson.order]}",
                )
            )
        seen_orders[lesson.order] = lesson.path
    if problems:
        raise ContentError(problems)
    return sorted(lessons, key=lambda lesson: lesson.order)
