"""Lab files: read and check ``course/labs/content/*.yaml`` before anything is written.

A lab file (one lab each) holds:

```yaml
key: lambda-first-handler      # stable: attempts refer to it; the URL uses it
lesson: lambda                 # the lesson it belongs to (its page links here)
order: 1                       # among that lesson's labs
title: Your first handler
kind: code                     # or an artefact kind: dockerfile, ecs-task-definition, ...
runtime: python                # code labs: python | nodejs; memory_mb, timeout_s optional
array_size: 3                  # optional, code labs: run as an AWS Batch array job
options: {now: "2026-11-27T09:30:00Z"}   # optional, artefact labs: validator options
statement: |                   # markdown: the task
starter: |                     # what the editor starts with
solution: |                    # the model solution: used by the tests, shown only after a pass
hints: [markdown, ...]         # revealed one at a time
wrong_answers:                 # typical mistakes, and the tests that must catch each
  - answer: |
    fails: [Greets by name]
tests:                         # run on "Check" (visible ones) and "Submit" (all)
  - name: Greets by name
    visible: true
    event: {"name": "Ada"}     # code labs
    expect: {result: "Hello, Ada!"}     # see course.labs.checks for every expectation
```

Every problem is reported as ``file:line: message``, all of them at once. Pure: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from course.labs import checks
from course.labs.validators import KINDS as ARTEFACT_KINDS

CODE = "code"
KINDS = (CODE, *ARTEFACT_KINDS)
RUNTIMES = ("python", "nodejs")
_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FIELDS = {
    "key",
    "lesson",
    "order",
    "title",
    "kind",
    "runtime",
    "memory_mb",
    "timeout_s",
    "array_size",
    "options",
    "statement",
    "starter",
    "solution",
    "hints",
    "tests",
    "wrong_answers",
}
_TEST_FIELDS = {"name", "visible", "event", "expect"}
MAX_TESTS = 10
MAX_ARRAY = 10  # the sandbox runs a small array; Batch itself allows 2-10,000


class LabContentError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LabTest:
    name: str
    visible: bool
    expect: dict
    event: Any = None


@dataclass
class LabSource:
    path: str
    key: str
    lesson: str
    order: int
    title: str
    kind: str
    statement: str
    starter: str
    solution: str
    hints: list[str]
    tests: list[LabTest]
    runtime: str = ""
    memory_mb: int = 128
    timeout_s: int = 3
    array_size: int = 0
    options: dict = field(default_factory=dict)
    wrong_answers: list[dict] = field(default_factory=list)

    def spec(self) -> dict:
        """What grading needs, stored with the lab as JSON."""
        return {
            "runtime": self.runtime,
            "memory_mb": self.memory_mb,
            "timeout_s": self.timeout_s,
            "array_size": self.array_size,
            "options": self.options,
            "tests": [
                {"name": t.name, "visible": t.visible, "event": t.event, "expect": t.expect}
                for t in self.tests
            ],
        }


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mapping_lines(node: yaml.Node) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: _line(v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def parse_lab(
    path: Path, text: str, lessons: Collection[str] | None
) -> tuple[LabSource | None, list[str]]:
    """One lab file: the source, or None and its problems."""
    problems: list[str] = []
    name = path.name

    def problem(line: int, message: str) -> None:
        problems.append(f"{name}:{line}: {message}")

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.SafeLoader("").construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem(mark.line + 1 if mark else 1, f"not valid YAML: {getattr(error, 'problem', error)}")
        return None, problems
    if not isinstance(data, dict):
        problem(1, "a lab file is a mapping of key: value")
        return None, problems
    lines = _mapping_lines(node)
    for unknown in sorted(set(data) - _FIELDS, key=str):
        problem(lines.get(unknown, 1), f"unknown field {unknown!r}")

    def text_field(key: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                problem(1, f"missing {key!r}")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            problem(lines.get(key, 1), f"{key!r} must be non-empty text")
            return ""
        return value

    def int_field(key: str, default: int, low: int, high: int) -> int:
        value = data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problem(lines.get(key, 1), f"{key!r} must be a whole number from {low} to {high}")
            return default
        return value

    key = text_field("key")
    if key and not _KEY.match(key):
        problem(lines.get("key", 1), "key must be lower-case words joined by hyphens")
    if key and path.stem != key:
        problem(lines.get("key", 1), f"the file must be named {key}.yaml")
    lesson = text_field("lesson")
    if lesson and lessons is not None and lesson not in lessons:
        problem(lines.get("lesson", 1), f"no lesson {lesson!r}")
    kind = text_field("kind")
    if kind and kind not in KINDS:
        problem(lines.get("kind", 1), f"kind must be one of {', '.join(KINDS)}")
    runtime = ""
    if kind == CODE:
        runtime = text_field("runtime")
        if runtime and runtime not in RUNTIMES:
            problem(lines.get("runtime", 1), "runtime must be python or nodejs")
    options = data.get("options", {})
    if not isinstance(options, dict):
        problem(lines.get("options", 1), "options must be a mapping")
        options = {}
    hints = data.get("hints", [])
    if not isinstance(hints, list) or not all(isinstance(h, str) and h.strip() for h in hints):
        problem(lines.get("hints", 1), "hints must be a list of non-empty texts")
        hints = []
    tests = _tests(data.get("tests"), node, kind, problem, lines)
    wrong = data.get("wrong_answers", [])
    names = {t.name for t in tests}
    if not isinstance(wrong, list) or not all(
        isinstance(w, dict)
        and isinstance(w.get("answer"), str)
        and isinstance(w.get("fails"), list)
        and w["fails"]
        and set(w["fails"]) <= names
        for w in wrong
    ):
        problem(
            lines.get("wrong_answers", 1),
            "wrong_answers is a list of {answer: text, fails: [names of tests that catch it]}",
        )
        wrong = []
    source = LabSource(
        path=str(path),
        key=key,
        lesson=lesson,
        order=int_field("order", 1, 1, 99),
        title=text_field("title"),
        kind=kind,
        statement=text_field("statement"),
        starter=text_field("starter", required=False),
        solution=text_field("solution"),
        hints=hints,
        tests=tests,
        runtime=runtime,
        memory_mb=int_field("memory_mb", 128, 128, 1024),
        timeout_s=int_field("timeout_s", 3, 1, 10),
        array_size=int_field("array_size", 0, 0, MAX_ARRAY),
        options=options,
        wrong_answers=wrong,
    )
    if source.array_size == 1:
        problem(lines.get("array_size", 1), "an array job has at least 2 children")
    return (None if problems else source), problems


def _tests(raw: Any, node: yaml.Node, kind: str, problem: Callable, lines: dict) -> list[LabTest]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TESTS:
        problem(lines.get("tests", 1), f"tests must be a list of 1 to {MAX_TESTS} tests")
        return []
    test_nodes = []
    for key_node, value_node in node.value:
        if getattr(key_node, "value", None) == "tests" and isinstance(
            value_node, yaml.SequenceNode
        ):
            test_nodes = value_node.value
    allowed = checks.CODE_KEYS if kind == CODE else checks.ARTEFACT_KEYS
    tests, names = [], set()
    for index, item in enumerate(raw):
        line = _line(test_nodes[index]) if index < len(test_nodes) else lines.get("tests", 1)
        if not isinstance(item, dict):
            problem(line, "a test is a mapping with name, visible and expect")
            continue
        for unknown in sorted(set(item) - _TEST_FIELDS, key=str):
            problem(line, f"unknown test field {unknown!r}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problem(line, "a test needs a name")
            continue
        if name in names:
            problem(line, f"two tests are named {name!r}")
        names.add(name)
        visible = item.get("visible", True)
        if not isinstance(visible, bool):
            problem(line, "visible must be true or false")
        expect = item.get("expect")
        if not isinstance(expect, dict) or not expect:
            problem(line, f"test {name!r} needs expectations (expect:)")
            continue
        for unknown in sorted(set(expect) - allowed, key=str):
            problem(line, f"test {name!r}: {unknown!r} is not an expectation of a {kind} lab")
        if "result_shape" in expect:
            bad = checks.check_shape_spec(expect["result_shape"])
            if bad:
                problem(line, f"test {name!r}: {bad}")
        if kind != CODE and "event" in item:
            problem(line, f"test {name!r}: only code labs have events")
        tests.append(
            LabTest(name=name, visible=bool(visible), expect=expect, event=item.get("event", {}))
        )
    if tests and not any(t.visible for t in tests):
        problem(lines.get("tests", 1), "at least one test must be visible")
    return tests


def load_labs(directory: Path, lessons: Collection[str] | None) -> list[LabSource]:
    """Every lab file in ``directory``, checked; raise LabContentError listing every problem."""
    sources, problems, keys = [], [], {}
    for path in sorted(Path(directory).glob("*.yaml")):
        source, found = parse_lab(path, path.read_text(encoding="utf-8"), lessons)
        problems += found
        if source is None:
            continue
        if source.key in keys:
            problems.append(f"{path.name}:1: key {source.key!r} is also used by {keys[source.key]}")
        keys[source.key] = path.name
        sources.append(source)
    if problems:
        raise LabContentError(problems)
    return sources
