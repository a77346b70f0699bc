"""Browser tests: Playwright's sync API drives Debian's Chromium against the live_server.

One browser per session, a fresh context (cookies, storage, viewport, colour scheme) per page.
When a test fails, every page it opened is saved to test-artifacts/ as a screenshot and its HTML.
"""

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, Response, sync_playwright

from course.lessons.models import Lesson
from tests.e2e.pages import ARTIFACTS_DIR, DESKTOP, PageType
from tests.helpers import require_tool

# Playwright's sync API keeps an event loop running in the main thread, so Django thinks every
# ORM call from a test or fixture comes from async code and raises SynchronousOnlyOperation. The
# ORM calls here really are synchronous, which is the case this documented switch exists for.
# Django reads it on every ORM call, so setting it when this conftest loads is early enough.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Long enough for a slow CI machine, short enough that a wrong locator fails fast.
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item so fixtures can tell, at teardown, that it failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def chromium_path() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    require_tool(
        executable is not None,
        "Chromium is missing; browser tests need it: sudo apt-get install chromium chromium-driver",
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def course_content(transactional_db, live_server) -> None:
    """live_server tests run in a transactional database that is flushed after each test, which
    wipes the lessons the session loaded; put them back (about half a second) when they are gone."""
    if not Lesson.objects.exists():
        call_command("sync_content", verbosity=0)


def artifact_name(nodeid_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid_name).strip("_")


def save_failure_artifacts(request: pytest.FixtureRequest, pages: list[Page]) -> list[str]:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    base = artifact_name(request.node.name)
    saved = []
    for number, page in enumerate(pages):
        if page.is_closed():
            continue
        stem = base if number == 0 else f"{base}-{number + 1}"
        png, html = ARTIFACTS_DIR / f"{stem}.png", ARTIFACTS_DIR / f"{stem}.html"
        try:
            page.screenshot(path=png, full_page=True)
            html.write_text(page.content(), encoding="utf-8")
        except Exception as error:  # a page that cannot be saved must not hide the real failure
            print(f"Could not save failure artifacts for {stem}: {error}", file=sys.stderr)
            continue
        saved.extend([f"Saved failure screenshot: {png}", f"Saved failure HTML: {html}"])
    return saved


def report_to_stderr(request: pytest.FixtureRequest, lines: list[str]) -> None:
    """Print past pytest's capture: teardown output of a failed test is otherwise never shown."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        print(*lines, sep="\n", file=sys.stderr)
        return
    with capture.global_and_fixture_disabled():
        print(*lines, sep="\n", file=sys.stderr)


@pytest.fixture
def new_page(request, browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context; keyword arguments go to browser.new_context().

    Use it for a second viewport or colour scheme; plain tests take `page`.
    """
    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    def open_page(**options) -> Page:
        options.setdefault("base_url", live_server.url)
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_page

    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    try:
        if failed:
            report_to_stderr(request, save_failure_artifacts(request, pages))
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def sign_in(live_server) -> Callable[[Page, User], None]:
    """Give a page's context a signed-in session without going through the login form.

    The login journey itself is tested through the form; other journeys only need the session.
    """

    def sign_in_as(page: Page, user: User) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in_as


@pytest.fixture
def visit(request: pytest.FixtureRequest, sign_in) -> Callable[[Page, PageType], Response]:
    """Open one of the page types in tests/e2e/pages.py, signed in as its user if it names one."""

    def go(page: Page, page_type: PageType) -> Response:
        if page_type.user:
            sign_in(page, request.getfixturevalue(page_type.user))
        response = page.goto(page_type.path)
        assert response is not None, f"no response for {page_type.path}"
        assert response.status == page_type.status, (
            f"{page_type.path} answered {response.status}, expected {page_type.status}"
        )
        return response

    return go


@pytest.fixture
def function_owner(django_user_model):
    """Fay, whose to-do function (FUNCTION_PK) has an endpoint with an API key, a schedule and a
    few invocations in its monitor (one failed), so each of its pages shows its content."""
    from course.functions.endpoints.models import Endpoint
    from course.functions.models import Function
    from course.functions.schedules.models import set_schedule
    from tests.e2e.pages import FUNCTION_PK
    from tests.endpoints.conftest import make_key
    from tests.functions.conftest import HELLO
    from tests.monitoring.conftest import announce, make_invocation

    fay = django_user_model.objects.create_user("fay")
    function = Function.objects.create(
        pk=FUNCTION_PK, owner=fay, name="todo-api", runtime="python", code=HELLO
    )
    function.add_test_event("get-items", '{"routeKey": "GET /items"}')
    endpoint = Endpoint.objects.create(
        function=function, enabled=True, api_key_required=True, routes=["GET /items"]
    )
    make_key(endpoint, "laptop")
    set_schedule(function, "rate(5 minutes)")
    for i in range(4):
        failed = {"errorType": "KeyError", "errorMessage": "'title'"} if i == 2 else None
        announce(function, make_invocation(f"req-{i}", error=failed), cold=i == 0)
    return fay
