"""Read and validate quiz sources (quizzes/content/<lesson-slug>.yaml) without the database.

The YAML is composed into nodes rather than loaded, so every problem can name the line it is on.
All problems are collected, so an author sees them at once; `sync_content` writes nothing while
any remain. Prompts, choices and explanations are rendered to HTML here, once, at sync time;
numeric answers given as a `pricing:` block are computed here with course/pricing.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from course import pricing
from course.calculator.forms import LambdaPricingForm
from course.common.text import did_you_mean
from course.lessons.content import ContentError, Problem, display_path, yaml_problem
from course.lessons.markdown import MarkdownError, render_inline
from quizzes import grading

TOP_FIELDS = ("lesson", "questions")
QUESTION_FIELDS = (
    "key",
    "type",
    "prompt",
    "choices",
    "answer",
    "tolerance",
    "unit",
    "pricing",
    "explanation",
    "section",
)
CHOICE_FIELDS = ("key", "text", "correct")
PRICING_PARAMS = ("requests", "duration_ms", "memory_mb", "arch", "storage_mb", "free_tier")
PRICING_FIELDS = ("figure", *PRICING_PARAMS)
PRICING_FIGURES = (
    "total_usd",
    "compute_usd",
    "request_usd",
    "storage_usd",
    "total_gb_seconds",
    "billable_gb_seconds",
    "billed_duration_ms",
)
# Which fields each type may use, besides key, type, prompt, explanation and section.
TYPE_FIELDS = {
    grading.SINGLE: {"choices"},
    grading.MULTIPLE: {"choices"},
    grading.TRUEFALSE: {"answer"},
    grading.NUMERIC: {"answer", "pricing", "tolerance", "unit"},
}
KEY_RE = re.compile(r"^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*$")
KEY_MAX = 100
UNIT_MAX = 40
QUANTUM = Decimal(1).scaleb(-grading.NUMBER_PLACES)

NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"
NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


@dataclass
class ChoiceSource:
    key: str
    text_html: str
    is_correct: bool


@dataclass
class QuestionSource:
    key: str
    type: str
    prompt_html: str
    explanation_html: str
    section: str
    line: int
    choices: list[ChoiceSource] = field(default_factory=list)
    answer_number: Decimal | None = None
    tolerance: Decimal | None = None
    unit: str = ""


@dataclass
class QuizSource:
    path: str
    lesson: str
    questions: list[QuestionSource]


# Rendering is a pure function of the text, and re-syncing renders the same few hundred texts
# again; keep them (Python-Markdown spends most of its time building its parser).
cached_render_inline = functools.lru_cache(maxsize=4096)(render_inline)


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


class _FileChecker:
    """Validates one quiz file, collecting problems with their lines."""

    def __init__(self, path: Path, lessons: Mapping[str, Collection[str]] | None):
        self.path = path
        self.shown = display_path(path)
        self.lessons = lessons
        self.problems: list[Problem] = []

    def problem(self, node_or_line: Node | int, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else line_of(node_or_line)
        self.problems.append(Problem(self.shown, line, message))

    # --- node helpers -----------------------------------------------------------------------

    def fields(
        self, node: Node, allowed: tuple[str, ...], what: str
    ) -> dict[str, tuple[Node, Node]] | None:
        """A mapping's fields by name, reporting duplicates and unknown (mistyped) names."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} must be 'name: value' lines")
            return None
        found: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(name, str):
                self.problem(key_node, f"{what} has a field name that is not text")
                continue
            if name in found:
                first = line_of(found[name][0])
                self.problem(key_node, f"'{name}' appears twice in {what} (first on line {first})")
                continue
            if name not in allowed:
                suggestion = did_you_mean(name, allowed)
                self.problem(
                    key_node,
                    f"unknown field '{name}' in {what}{suggestion} "
                    f"(known fields: {', '.join(allowed)})",
                )
                continue
            found[name] = (key_node, value_node)
        return found

    def text(self, fields: dict, name: str, where: Node, what: str, required=True) -> str | None:
        """A text field. Plain scalars are taken as written, so `text: Yes` stays "Yes"."""
        if name not in fields:
            if required:
                self.problem(where, f"{what} needs '{name}'")
            return None
        key_node, node = fields[name]
        if not isinstance(node, ScalarNode) or node.tag == NULL_TAG or not node.value.strip():
            if isinstance(node, ScalarNode):
                self.problem(key_node, f"'{name}' in {what} must not be empty")
            else:
                self.problem(key_node, f"'{name}' in {what} must be text")
            return None
        return node.value.strip()

    def number(self, fields: dict, name: str, what: str) -> Decimal | None:
        key_node, node = fields[name]
        if not isinstance(node, ScalarNode) or node.tag not in NUMBER_TAGS:
            self.problem(key_node, f"'{name}' in {what} must be a number")
            return None
        value = Decimal(str(SafeConstructor().construct_object(node)))
        if not value.is_finite():
            self.problem(key_node, f"'{name}' in {what} must be a finite number")
            return None
        if abs(value) >= grading.NUMBER_LIMIT:
            self.problem(key_node, f"'{name}' in {what} is too large")
            return None
        if value != value.quantize(QUANTUM, rounding=ROUND_HALF_UP):
            self.problem(
                key_node, f"'{name}' in {what} has more than {grading.NUMBER_PLACES} decimal places"
            )
            return None
        return value

    def boolean(self, fields: dict, name: str, what: str) -> bool | None:
        key_node, node = fields[name]
        if not isinstance(node, ScalarNode) or node.tag != BOOL_TAG:
            self.problem(key_node, f"'{name}' in {what} must be true or false")
            return None
        return bool(SafeConstructor().construct_object(node))

    def markdown(self, text: str | None, node: Node) -> str | None:
        if text is None:
            return None
        try:
            return cached_render_inline(text)
        except MarkdownError as error:
            # A block scalar (| or >) starts on the line after its indicator.
            first = line_of(node) + (1 if getattr(node, "style", None) in ("|", ">") else 0)
            self.problem(first + error.line - 1, error.message)
            return None

    # --- the file ---------------------------------------------------------------------------

    def check(self) -> QuizSource | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            self.problem(1, f"not valid UTF-8 ({error.reason})")
            return None
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            line, reason = yaml_problem(error, first_line=1, quote_hint="in quotes or after '>-'")
            self.problem(line, f"not valid YAML: {reason}")
            return None
        if root is None:
            self.problem(1, "the file is empty; start it with 'lesson:' and 'questions:'")
            return None
        top = self.fields(root, TOP_FIELDS, "the quiz file")
        if top is None:
            return None

        lesson = self.text(top, "lesson", root, "the quiz file")
        headings: Collection[str] | None = None
        if lesson is not None:
            lesson_node = top["lesson"][0]
            if self.lessons is not None and lesson not in self.lessons:
                suggestion = did_you_mean(lesson, self.lessons)
                self.problem(
                    lesson_node,
                    f"lesson '{lesson}' does not exist in course/lessons/content{suggestion}",
                )
            elif self.lessons is not None:
                headings = self.lessons[lesson]
            if self.path.stem != lesson:
                self.problem(
                    lesson_node,
                    f"a quiz for lesson '{lesson}' must be in {lesson}{self.path.suffix}, "
                    f"not {self.path.name}",
                )

        questions: list[QuestionSource] = []
        if "questions" not in top:
            self.problem(root, "the quiz file needs 'questions'")
        else:
            key_node, node = top["questions"]
            if not isinstance(node, SequenceNode) or not node.value:
                self.problem(
                    key_node, "'questions' must be a list of questions, each starting '- key:'"
                )
            else:
                seen: dict[str, int] = {}
                for number, question_node in enumerate(node.value, start=1):
                    question = self.question(question_node, number, lesson, headings)
                    if question is None:
                        continue
                    if question.key in seen:
                        self.problem(
                            question.line,
                            f"duplicate question key '{question.key}' "
                            f"(also used on line {seen[question.key]})",
                        )
                        continue
                    seen[question.key] = question.line
                    questions.append(question)
        if self.problems or lesson is None:
            return None
        return QuizSource(path=self.shown, lesson=lesson, questions=questions)

    def question(
        self, node: Node, number: int, lesson: str | None, headings: Collection[str] | None
    ) -> QuestionSource | None:
        before = len(self.problems)
        what = f"question {number}"
        if isinstance(node, MappingNode):
            # Name the question by its key in every message, even about fields before it.
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == "key" and isinstance(value_node, ScalarNode):
                    what = f"question '{value_node.value}'"
        fields = self.fields(node, QUESTION_FIELDS, what)
        if fields is None:
            return None
        key = self.text(fields, "key", node, what)
        if key is not None and (not KEY_RE.match(key) or len(key) > KEY_MAX):
            self.problem(
                fields["key"][0],
                f"question key '{key}' must be letters, digits and single hyphens, "
                f"at most {KEY_MAX} characters",
            )
        kind = self.text(fields, "type", node, what)
        if kind is not None and kind not in grading.TYPES:
            self.problem(
                fields["type"][0],
                f"unknown question type '{kind}' in {what}; use one of: "
                + ", ".join(grading.TYPES),
            )
            kind = None
        prompt = self.text(fields, "prompt", node, what)
        prompt_html = self.markdown(prompt, fields["prompt"][1]) if prompt else None
        explanation = self.text(fields, "explanation", node, what)
        explanation_html = (
            self.markdown(explanation, fields["explanation"][1]) if explanation else None
        )
        section = self.text(fields, "section", node, what)
        if section is not None and headings is not None and section not in headings:
            suggestion = did_you_mean(section, headings)
            self.problem(
                fields["section"][0],
                f"section '{section}' is not a heading anchor in lesson '{lesson}'{suggestion}",
            )

        source = QuestionSource(
            key=key or "",
            type=kind or "",
            prompt_html=prompt_html or "",
            explanation_html=explanation_html or "",
            section=section or "",
            line=line_of(node),
        )
        if kind is not None:
            for name in fields:
                if name in TYPE_FIELDS[kind] or name in (
                    "key",
                    "type",
                    "prompt",
                    "explanation",
                    "section",
                ):
                    continue
                self.problem(fields[name][0], f"'{name}' is not used by {kind} questions ({what})")
            if kind in (grading.SINGLE, grading.MULTIPLE):
                source.choices = self.choices(fields, node, kind, what)
            elif kind == grading.TRUEFALSE:
                self.truefalse(fields, node, what, source)
            else:
                self.numeric(fields, node, what, source)
        if len(self.problems) > before:
            return None
        return source

    def choices(self, fields: dict, node: Node, kind: str, what: str) -> list[ChoiceSource]:
        if "choices" not in fields:
            self.problem(node, f"{what} is a {kind} question and needs 'choices'")
            return []
        choices_key, choices_node = fields["choices"]
        if not isinstance(choices_node, SequenceNode) or len(choices_node.value) < 2:
            self.problem(choices_key, f"'choices' in {what} must be a list of at least two choices")
            return []
        choices: list[ChoiceSource] = []
        seen: dict[str, int] = {}
        for number, choice_node in enumerate(choices_node.value, start=1):
            where = f"choice {number} of {what}"
            choice_fields = self.fields(choice_node, CHOICE_FIELDS, where)
            if choice_fields is None:
                continue
            key = self.text(choice_fields, "key", choice_node, where)
            if key is not None:
                if not KEY_RE.match(key) or len(key) > KEY_MAX:
                    self.problem(
                        choice_fields["key"][1],
                        f"choice key '{key}' in {what} must be letters, digits and hyphens",
                    )
                elif key in seen:
                    self.problem(
                        choice_fields["key"][1],
                        f"duplicate choice key '{key}' in {what} (also used on line {seen[key]})",
                    )
                else:
                    seen[key] = line_of(choice_fields["key"][1])
            text = self.text(choice_fields, "text", choice_node, where)
            text_html = self.markdown(text, choice_fields["text"][1]) if text else None
            correct = False
            if "correct" in choice_fields:
                correct = bool(self.boolean(choice_fields, "correct", where))
            if key is not None and text_html is not None:
                choices.append(ChoiceSource(key=key, text_html=text_html, is_correct=correct))
        if len(choices) == len(choices_node.value):
            right = sum(choice.is_correct for choice in choices)
            if kind == grading.SINGLE and right != 1:
                self.problem(
                    node,
                    f"{what} is a single-choice question and needs exactly one correct choice "
                    f"(found {right}); mark it 'correct: true', or make it type: multiple",
                )
            if kind == grading.MULTIPLE and right == 0:
                self.problem(
                    node,
                    f"{what} is a multiple-select question and needs at least one correct "
                    "choice ('correct: true')",
                )
        return choices

    def truefalse(self, fields: dict, node: Node, what: str, source: QuestionSource) -> None:
        if "answer" not in fields:
            self.problem(node, f"{what} is a truefalse question and needs 'answer: true' or false")
            return
        answer = self.boolean(fields, "answer", what)
        if answer is None:
            return
        source.choices = [
            ChoiceSource(key="true", text_html="True", is_correct=answer),
            ChoiceSource(key="false", text_html="False", is_correct=not answer),
        ]

    def numeric(self, fields: dict, node: Node, what: str, source: QuestionSource) -> None:
        if "answer" in fields and "pricing" in fields:
            self.problem(
                fields["pricing"][0],
                f"{what} has both 'answer' and 'pricing'; give one (pricing computes the answer)",
            )
        elif "answer" in fields:
            source.answer_number = self.number(fields, "answer", what)
        elif "pricing" in fields:
            source.answer_number = self.pricing(fields["pricing"][1], what)
        else:
            self.problem(
                node, f"{what} is a numeric question and needs 'answer' (or a 'pricing' block)"
            )
        if "tolerance" not in fields:
            self.problem(
                node,
                f"{what} is a numeric question and needs 'tolerance' "
                "(0 for an exact answer, e.g. 0.01 for cents)",
            )
        else:
            tolerance = self.number(fields, "tolerance", what)
            if tolerance is not None and tolerance < 0:
                self.problem(fields["tolerance"][0], f"'tolerance' in {what} must be 0 or more")
            else:
                source.tolerance = tolerance
        if "unit" in fields:
            unit = self.text(fields, "unit", node, what) or ""
            if len(unit) > UNIT_MAX:
                self.problem(fields["unit"][0], f"'unit' in {what} is over {UNIT_MAX} characters")
            source.unit = unit

    def pricing(self, node: Node, what: str) -> Decimal | None:
        where = f"the pricing block of {what}"
        fields = self.fields(node, PRICING_FIELDS, where)
        if fields is None:
            return None
        figure = self.text(fields, "figure", node, where)
        if figure is not None and figure not in PRICING_FIGURES:
            self.problem(
                fields["figure"][0],
                f"unknown pricing figure '{figure}' in {what}; use one of: "
                + ", ".join(PRICING_FIGURES),
            )
            figure = None
        params: dict[str, str] = {}
        for name in PRICING_PARAMS:
            if name not in fields:
                continue
            value = fields[name][1]
            if not isinstance(value, ScalarNode):
                self.problem(fields[name][0], f"'{name}' in {where} must be a single value")
                continue
            params[name] = value.value
        form = LambdaPricingForm(params)  # the calculator's own form: the same checks
        form.is_valid()
        for name, message in form.messages_by_field().items():
            self.problem(fields[name][0] if name in fields else node, f"{where}: {message}")
        inputs = form.inputs
        if inputs is None or figure is None:
            return None
        value = Decimal(getattr(pricing.lambda_cost(inputs), figure))
        if abs(value) >= grading.NUMBER_LIMIT:
            self.problem(node, f"{where} gives a number too large to store")
            return None
        return value.quantize(QUANTUM, rounding=ROUND_HALF_UP)


def parse_quiz(
    path: Path, lessons: Mapping[str, Collection[str]] | None
) -> tuple[QuizSource | None, list[Problem]]:
    checker = _FileChecker(path, lessons)
    quiz = checker.check()
    return quiz, checker.problems


def collect_quizzes(
    directory: Path, lessons: Mapping[str, Collection[str]] | None
) -> tuple[list[QuizSource], list[Problem]]:
    """Parse every quiz file. `lessons` maps lesson slugs to their heading ids; None skips the
    checks that need them (when the lessons themselves have problems)."""
    directory = Path(directory)
    if not directory.is_dir():
        return [], [Problem(display_path(directory), 0, "the quiz folder does not exist")]
    quizzes: list[QuizSource] = []
    problems: list[Problem] = []
    paths = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    for path in paths:
        quiz, found = parse_quiz(path, lessons)
        problems.extend(found)
        if quiz:
            quizzes.append(quiz)
    owners: dict[str, str] = {}
    for quiz in quizzes:
        if quiz.lesson in owners:
            problems.append(
                Problem(
                    quiz.path,
                    1,
                    f"lesson '{quiz.lesson}' already has a quiz in {owners[quiz.lesson]}",
                )
            )
        owners.setdefault(quiz.lesson, quiz.path)
    return quizzes, problems


def load_quizzes(
    directory: Path, lessons: Mapping[str, Collection[str]] | None
) -> list[QuizSource]:
    """Parse every quiz file; raise ContentError listing every problem found."""
    quizzes, problems = collect_quizzes(directory, lessons)
    if problems:
        raise ContentError(problems)
    return quizzes
