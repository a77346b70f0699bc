"""The serverless-API journey in a real browser: a learner builds a small to-do API from a saved
function, puts it behind an API key, calls it, and watches the calls in the monitor; and a page
their function serves cannot run script with our origin's privileges.

The function runs in the real sandbox, warm, through a real warm daemon (a separate process, as
`make run` starts it), so the to-do list kept in a module-level dict lives between calls exactly
as it would in a warm Lambda execution environment.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from course.functions.endpoints.models import Endpoint
from course.functions.models import Function
from course.runner import sandbox_status
from course.runner.web.limits import sandbox_limits
from tests.helpers import require_tool, warm_daemon

pytestmark = pytest.mark.e2e

TO_DO_LIST_API = """\
import json

todos = {}  # lives as long as the warm execution environment


def lambda_handler(event, context):
    route = event["routeKey"]
    if route == "GET /items":
        items = sorted(todos.values(), key=lambda t: t["id"])
        return {"statusCode": 200, "body": json.dumps(items)}
    if route == "POST /items":
        item = {"id": str(len(todos) + 1), "title": json.loads(event["body"])["title"]}
        todos[item["id"]] = item
        return {"statusCode": 201, "headers": {"content-type": "application/json"},
                "body": json.dumps(item)}
    if route == "GET /items/{id}":
        item = todos.get(event["pathParameters"]["id"])
        if item is None:
            return {"statusCode": 404, "body": json.dumps({"message": "no such item"})}
        return item  # no statusCode: API Gateway sends it as a 200 JSON body
    if route == "GET /page":
        return {"statusCode": 200, "headers": {"content-type": "text/html"},
                "body": "<h1>Hi</h1><script>window.ran = true;</script>"}
    raise RuntimeError("unexpected route " + route)
"""


@pytest.fixture
def warm(tmp_path, monkeypatch):
    status = sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")
    sock = tmp_path / "warm" / "warm.sock"
    monkeypatch.setenv("RUNNER_WARM_SOCKET", str(sock))  # the live server's client finds it
    with warm_daemon(sock):
        yield


def test_a_todo_api_with_a_key_watched_in_the_monitor(warm, new_page, sign_in, alice):
    # Build: the function is written and saved on the runner page (without JS: a plain form).
    build = new_page(java_script_enabled=False)
    sign_in(build, alice)
    build.goto("/tools/function-runner/")
    build.get_by_label("Function name").fill("todo-api")
    build.get_by_label("Function code").fill(TO_DO_LIST_API)
    build.get_by_role("button", name="Save", exact=True).click()
    function = Function.objects.get(owner=alice, name="todo-api")
    assert function.code == TO_DO_LIST_API

    page = new_page()
    sign_in(page, alice)
    page.goto(f"/functions/{function.pk}/")
    page.get_by_role("link", name="HTTP endpoint").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("todo-api")

    routes = page.get_by_label("Route keys, one a line")
    routes.fill("GET /items\nPOST /items\nGET /items/{id}\nGET /page")
    page.get_by_label("Require an API key").check()
    page.get_by_label("Rate (requests a second)").fill("10")
    page.get_by_label("Burst (requests at once)").fill("20")
    page.get_by_role("button", name="Save routes and usage plan").click()
    expect(page.get_by_role("status").first).to_be_visible()
    page.get_by_role("button", name="Turn the endpoint on").click()
    expect(page.get_by_text(re.compile("The endpoint is on"))).to_be_visible()
    url = page.locator("p", has_text="URL:").locator("code").inner_text()
    assert re.fullmatch(r"http://[^/]+/fn/[A-Za-z0-9_-]{16,}/", url), url

    page.get_by_label("Key name (optional)").fill("laptop")
    page.get_by_role("button", name="Create an API key").click()
    key = page.locator(".note pre code").inner_text().strip()
    assert len(key) >= 20
    page.reload()  # shown only once
    expect(page.get_by_text(key)).to_have_count(0)
    expect(page.get_by_role("button", name="Revoke laptop")).to_be_visible()

    # Call it, as curl would (no cookies of the site are involved: a separate request context).
    api = page.context.request
    assert api.get(url + "items").status == 403  # no key
    assert api.get(url + "items", headers={"x-api-key": "wrong"}).json() == {"message": "Forbidden"}
    headers = {"x-api-key": key, "content-type": "application/json"}
    created = api.post(url + "items", headers=headers, data=json.dumps({"title": "Learn ECS"}))
    assert created.status == 201 and created.json() == {"id": "1", "title": "Learn ECS"}
    api.post(url + "items", headers=headers, data=json.dumps({"title": "Try Fargate"}))
    listed = api.get(url + "items", headers=headers)
    assert listed.status == 200  # warm: the dict kept both items
    assert [t["title"] for t in listed.json()] == ["Learn ECS", "Try Fargate"]
    one = api.get(url + "items/2", headers=headers)
    assert one.status == 200 and one.json() == {"id": "2", "title": "Try Fargate"}
    assert one.headers["content-type"].startswith("application/json")
    assert api.get(url + "items/9", headers=headers).status == 404
    assert api.get(url + "nothing", headers=headers).json() == {"message": "Not Found"}

    # Watch it: five invocations reached the function through the endpoint (the 403s and the
    # unmatched route never did), the first cold and the rest warm.
    page.goto(f"/functions/{function.pk}/")
    page.get_by_role("link", name="Monitor").click()
    entries = page.locator(".log-entry")
    expect(entries).to_have_count(5)
    expect(entries.filter(has_text="cold start")).to_have_count(1)
    expect(entries.first).to_contain_text("HTTP endpoint")
    expect(entries.first).to_contain_text("REPORT RequestId:")
    invocations = page.get_by_role("img", name=re.compile("Invocations", re.I))
    expect(invocations).to_be_visible()
    expect(page.locator("table").first).to_contain_text("5")

    page.get_by_label("Log text contains").fill("Try Fargate")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"q=Try(\+|%20)Fargate"))
    expect(page.locator(".log-entry")).to_have_count(0)  # the handler logs nothing
    page.get_by_label("Log text contains").fill("")
    page.get_by_label("Errors only").check()
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No stored invocation matches.")).to_be_visible()


def test_a_page_the_function_serves_cannot_run_script_on_our_origin(warm, page: Page, alice):
    function = Function.objects.create(
        owner=alice, name="pages", runtime="python", code=TO_DO_LIST_API, memory_mb=128, timeout_s=3
    )
    endpoint = Endpoint.objects.create(function=function, enabled=True, routes=["GET /page"])
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    response = page.goto(f"/fn/{endpoint.public_id}/page")
    assert response is not None and response.status == 200
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    expect(page.get_by_role("heading", name="Hi")).to_be_visible()  # the HTML is shown...
    assert page.evaluate("window.ran === undefined")  # ...but its script never ran
    assert page.evaluate("window.origin") == "null"  # an opaque origin: no cookies, no storage
