"""Run axe-core in a Playwright page and describe the violations that matter.

axe-core comes bundled in the `axe-playwright-python` package (pyproject's dev extra), so the tests
need no Node.js; only its axe.min.js is used, the checks and the report are ours.
"""

from functools import cache

import pytest
from playwright.sync_api import Page

BLOCKING_IMPACTS = ("serious", "critical")


@cache
def axe_script() -> str:
    try:
        from axe_playwright_python.base import AXE_SCRIPT
    except ImportError:
        pytest.fail(
            "axe-playwright-python is not installed: it is in pyproject's dev extra; run make setup"
        )
    return AXE_SCRIPT


def run_axe(page: Page) -> list[dict]:
    """All violations axe finds in the page's current document."""
    # evaluate() runs through the DevTools protocol, so a Content-Security-Policy cannot block it
    # the way it would block an injected <script> tag.
    page.evaluate(axe_script())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return results["violations"]


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(
                " >> ".join(part) if isinstance(part, list) else part for part in node["target"]
            )
            lines.append(f"    {target}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            if summary:
                lines.append(f"        {summary}")
    return "\n".join(lines)
