"""A real handler behind a real endpoint: the event reaches the sandbox and the result comes
back as the HTTP response."""

from __future__ import annotations

import pytest

from course import runner
from course.functions.endpoints.models import Endpoint
from course.functions.models import Function
from course.runner.web.limits import sandbox_limits
from tests.helpers import require_tool

TO_DO_LIST_API = """import base64, json
ITEMS = {}

def lambda_handler(event, context):
    method = event["requestContext"]["http"]["method"]
    if event["routeKey"] == "POST /items":
        item = json.loads(event["body"])
        ITEMS[item["id"]] = item
        return {"statusCode": 201, "headers": {"content-type": "application/json"},
                "cookies": ["seen=1; Path=/"], "body": json.dumps(item)}
    if event["routeKey"] == "GET /items/{id}":
        return ITEMS.get(event["pathParameters"]["id"], {"missing": True})
    if event["routeKey"] == "POST /echo":
        raw = base64.b64decode(event["body"]) if event["isBase64Encoded"] else b""
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                "body": base64.b64encode(raw[::-1]).decode(), "isBase64Encoded": True}
    return {"statusCode": 200, "body": method + " " + event["rawPath"]}
"""


@pytest.fixture
def sandbox(settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    settings.REDIS_URL = ""
    status = runner.sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")


def test_a_small_api_end_to_end(client, alice, sandbox):
    function = Function.objects.create(
        owner=alice, name="todo", runtime="python", code=TO_DO_LIST_API, memory_mb=128, timeout_s=5
    )
    endpoint = Endpoint.objects.create(
        function=function, enabled=True,
        routes=["POST /items", "GET /items/{id}", "POST /echo", "$default"],
    )  # fmt: skip
    base = f"/fn/{endpoint.public_id}"
    created = client.post(f"{base}/items", '{"id": "1", "title": "milk"}',
                          content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json() == {"id": "1", "title": "milk"}
    assert created.cookies["seen"]["path"] == f"{base}/"
    assert created["Content-Security-Policy"].startswith("sandbox")
    # Without the warm daemon every run is cold, so the module's ITEMS does not persist.
    assert client.get(f"{base}/items/1").json() in ({"id": "1", "title": "milk"},
                                                    {"missing": True})  # fmt: skip
    echoed = client.post(f"{base}/echo", b"\x00\x01\xff", content_type="application/octet-stream")
    assert echoed.content == b"\xff\x01\x00"
    other = client.delete(f"{base}/x/y")
    assert other.status_code == 200 and other.content == b"DELETE /x/y"


def test_a_failing_handler_is_500(client, alice, sandbox):
    function = Function.objects.create(
        owner=alice, name="boom", runtime="python", memory_mb=128, timeout_s=3,
        code="def lambda_handler(event, context):\n    raise KeyError('x')\n",
    )  # fmt: skip
    endpoint = Endpoint.objects.create(function=function, enabled=True)
    response = client.get(f"/fn/{endpoint.public_id}/")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
