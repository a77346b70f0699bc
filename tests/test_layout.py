"""The layout's rules, checked: where features live and what may import what.

- course/ holds only the project's plumbing at its top level; every feature is a folder.
- No import cycle between project modules (module-level imports; a function-level import is a
  deliberate late import and is allowed to point back).
- Lessons import nothing from quizzes: in course/, only sync_content sees both features.
- Pure modules import no Django, directly or through the project modules they import.
- Every view a URL resolves to is a function in a module named views.py.
- Every project module imports.
"""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("course", "quizzes")
PLUMBING = {"__init__.py", "settings.py", "env.py", "urls.py", "wsgi.py", "asgi.py", "apps.py"}
TOP_LEVEL_FEATURE_MODULES = {"pricing.py"}  # the pure price model; a package if it grows
SEES_BOTH = {"course.management.commands.sync_content"}
PURE = (
    "course.pricing",
    "course.common",
    "course.lessons.markdown",
    "course.calculator.chart",
    "course.functions.monitoring.stats",
    "course.functions.monitoring.chart",
    "course.functions.tuning_chart",
    "course.runner",  # the sandbox package; its web/ subpackage is the Django side
    "quizzes.grading",
    "quizzes.reports",
    "course.functions.endpoints.routes",
    "course.functions.endpoints.gateway",
    "course.server.background",  # the registry of periodic jobs; the scheduler runs them
)
NOT_PURE = ("course.runner.web",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


@cache
def imports(name: str, module_level_only: bool) -> frozenset[str]:
    """Every module `name` imports (absolute names; `from a import b` counts a.b if it is a
    module, else a)."""
    path = modules()[name]
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    if module_level_only:  # include imports under `if`/`try` at module level
        nodes = [
            n
            for top in tree.body
            for n in ast.walk(top)
            if not isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules() else base)
    if_type_checking = {
        n
        for top in tree.body
        if isinstance(top, ast.If) and getattr(top.test, "id", "") == "TYPE_CHECKING"
        for n in ast.walk(top)
    }
    if if_type_checking:  # annotations only: not an import at run time
        typing_only = set()
        for node in if_type_checking:
            if isinstance(node, ast.ImportFrom) and node.module:
                typing_only.add(node.module)
        found -= typing_only
    return frozenset(found)


def project_imports(name: str, module_level_only: bool) -> set[str]:
    return {dep for dep in imports(name, module_level_only) if dep in modules()}


def test_course_top_level_is_only_the_project():
    top = {path.name for path in (ROOT / "course").iterdir() if path.suffix == ".py"}
    assert top <= PLUMBING | TOP_LEVEL_FEATURE_MODULES, sorted(top - PLUMBING)


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_project_module_imports(name):
    if name.endswith(".bench") or name.endswith("bootstraps.python_bootstrap"):
        pytest.skip("a script, run on its own")
    importlib.import_module(name)


def test_no_import_cycles_between_project_modules():
    def ancestors(name: str) -> set[str]:
        parts = name.split(".")
        return {".".join(parts[:i]) for i in range(1, len(parts))}

    graph = {
        name: {dep for dep in project_imports(name, True) if dep not in ancestors(name)}
        for name in modules()
    }
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = path[path.index(name) :] + [name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_lessons_and_the_rest_of_course_import_nothing_from_quizzes():
    offenders = {
        name: sorted(dep for dep in imports(name, False) if dep.split(".")[0] == "quizzes")
        for name in modules()
        if name.startswith("course") and name not in SEES_BOTH
    }
    assert {name: deps for name, deps in offenders.items() if deps} == {}


def test_pure_modules_import_no_django():
    def is_pure(name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in PURE) and not any(
            name == p or name.startswith(p + ".") for p in NOT_PURE
        )

    pure = [name for name in modules() if is_pure(name)]
    assert "course.pricing" in pure and "quizzes.reports" in pure
    for name in pure:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            deps = imports(current, False)
            django = sorted(dep for dep in deps if dep.split(".")[0] == "django")
            assert not django, f"{name} is pure, but {current} imports {django}"
            todo.extend(dep for dep in deps if dep in modules())


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_view_lives_in_a_views_module():
    ours = [
        (route, callback.__module__)
        for route, callback in _views(get_resolver().url_patterns)
        if callback.__module__.split(".")[0] in PACKAGES
    ]
    assert ours, "no project views found"
    assert [(route, module) for route, module in ours if not module.endswith(".views")] == []
