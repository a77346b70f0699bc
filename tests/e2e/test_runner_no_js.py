"""The function runner without JavaScript: "Load starter" must not put code or tokens in the URL."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.pages import LESSON, RUNNER

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("page_type", [RUNNER, LESSON], ids=str)
def test_load_starter_without_js_puts_only_the_starter_in_the_url(
    new_page, sign_in, alice, page_type
):
    page = new_page(java_script_enabled=False)
    sign_in(page, alice)  # signed in, the form carries a CSRF token that must not leak
    page.goto(page_type.path)
    runner = page.locator("#function-runner")
    runner.locator("#runner-code").fill("SECRET = 'my whole program'\n")
    runner.get_by_label("Starter function").select_option("nodejs-api")
    with page.expect_request(lambda request: "starter=" in request.url) as sent:
        runner.get_by_role("button", name="Load starter").click()
    page.wait_for_load_state()
    request = sent.value
    assert request.method == "GET"
    assert parse_qs(urlsplit(request.url).query) == {"starter": ["nodejs-api"]}
    assert urlsplit(page.url).fragment == "function-runner"
    code = page.locator("#runner-code").input_value()
    assert "export const handler = async (event)" in code
    assert page.locator("#runner-runtime").input_value() == "nodejs"
