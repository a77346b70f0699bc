"""/api/functions/: the public contract (list, create, read, update, delete, invoke)."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.test import Client

from course import runner
from course.functions.models import Function, FunctionVersion
from tests.functions.conftest import HELLO

LIST = "/api/functions/"


def url(fn, suffix=""):
    return f"/api/functions/{fn if isinstance(fn, int) else fn.pk}{suffix}"


def send(client, method, path, payload=None):
    if method == "get":
        return client.get(path)
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload or {})
    return getattr(client, method)(path, body, content_type="application/json")


def new(**overrides):
    return {
        "name": "greeter",
        "runtime": "python",
        "code": HELLO,
        "memory_mb": 256,
        "timeout_s": 5,
        **overrides,
    }


@pytest.mark.parametrize(
    "method,path",
    [("get", LIST), ("post", LIST), ("get", "/api/functions/1"), ("put", "/api/functions/1"),
     ("delete", "/api/functions/1"), ("post", "/api/functions/1/invoke")],
)  # fmt: skip
def test_anonymous_gets_401_json(client, db, method, path):
    response = send(client, method, path, {})
    assert response.status_code == 401
    assert response.json()["errorType"] == "Unauthorized"


def test_wrong_methods_are_405(client, alice, alice_fn):
    client.force_login(alice)
    assert client.delete(LIST).status_code == 405
    assert client.post(url(alice_fn)).status_code == 405
    assert client.get(url(alice_fn, "/invoke")).status_code == 405


def test_create_list_read_update_delete(client, alice):
    client.force_login(alice)
    created = send(client, "post", LIST, new())
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("name", "runtime", "code", "memory_mb", "timeout_s")} == new()
    pk = body["id"]
    assert [f["id"] for f in client.get(LIST).json()["functions"]] == [pk]
    assert client.get(url(pk)).json()["code"] == HELLO

    updated = send(client, "put", url(pk), {"memory_mb": 512})
    assert updated.status_code == 200
    assert updated.json()["memory_mb"] == 512 and updated.json()["name"] == "greeter"
    assert Function.objects.get(pk=pk).version == 2
    assert FunctionVersion.objects.get(function_id=pk).memory_mb == 256

    assert client.delete(url(pk)).status_code == 204
    assert not Function.objects.filter(pk=pk).exists()


def test_put_with_the_same_config_keeps_the_version(client, alice, alice_fn):
    client.force_login(alice)
    same = client.get(url(alice_fn)).json()
    assert send(client, "put", url(alice_fn), same).status_code == 200
    alice_fn.refresh_from_db()
    assert alice_fn.version == 1 and not alice_fn.versions.exists()


@pytest.mark.parametrize(
    "payload,field",
    [
        (new(name=""), "name"),
        (new(name="has space"), "name"),
        (new(name="x" * 65), "name"),
        (new(runtime="ruby"), "runtime"),
        (new(code="  "), "code"),
        (new(code=7), "code"),
        (new(memory_mb=64), "memory_mb"),
        (new(memory_mb="lots"), "memory_mb"),
        (new(timeout_s=0), "timeout_s"),
        (new(timeout_s=True), "timeout_s"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(client, alice, payload, field):
    client.force_login(alice)
    response = send(client, "post", LIST, payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Function.objects.exists()


def test_bad_bodies_are_400(client, alice, alice_fn):
    client.force_login(alice)
    assert "body" in send(client, "post", LIST, "{not json").json()["errors"]
    assert "body" in send(client, "post", LIST, "[1]").json()["errors"]
    assert "body" in send(client, "put", url(alice_fn), '{"a": NaN}').json()["errors"]
    response = send(client, "put", url(alice_fn), {"colour": "red"})
    assert response.status_code == 400 and "colour" in response.json()["errors"]


def test_duplicate_name_is_400(client, alice, alice_fn):
    client.force_login(alice)
    response = send(client, "post", LIST, new(name="hello"))
    assert response.status_code == 400
    assert "already" in response.json()["errors"]["name"]


def test_another_users_function_is_404(client, charlie, alice_fn):
    client.force_login(charlie)
    assert client.get(LIST).json() == {"functions": []}
    assert client.get(url(alice_fn)).status_code == 404
    assert send(client, "put", url(alice_fn), {"name": "mine"}).status_code == 404
    assert client.delete(url(alice_fn)).status_code == 404
    assert send(client, "post", url(alice_fn, "/invoke"), {"event": {}}).status_code == 404
    alice_fn.refresh_from_db()
    assert alice_fn.name == "hello"


def test_csrf_is_enforced(alice, alice_fn):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert send(client, "post", LIST, new()).status_code == 403
    assert send(client, "put", url(alice_fn), {"name": "x"}).status_code == 403
    assert send(client, "post", url(alice_fn, "/invoke"), {}).status_code == 403


def test_invoke_answers_like_the_runner_plus_cold(client, alice, alice_fn, fake_runner):
    client.force_login(alice)
    response = send(client, "post", url(alice_fn, "/invoke"), {"event": {"name": "Ada"}})
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == {"hello": "Ada"}
    assert body["cold"] is True
    assert body["report"]["init_duration_ms"] == 80.25
    assert set(body) >= {"request_id", "status", "error", "logs", "report", "cost_usd"}
    request = fake_runner.call_args.args[0]
    assert (request.code, request.memory_mb) == (HELLO, 128)


def test_a_warm_run_has_no_init_duration(client, alice, alice_fn, fake_runner):
    client.force_login(alice)

    def warm(key, request, *, force_cold=False, limits=None):
        return runner.invoke(request), False

    with mock.patch("course.functions.execution.invoke_warm", warm):
        body = send(client, "post", url(alice_fn, "/invoke"), {"event": {}}).json()
    assert body["cold"] is False
    assert "init_duration_ms" not in body["report"]


def test_invoke_bad_input(client, alice, alice_fn, fake_runner):
    client.force_login(alice)
    response = send(client, "post", url(alice_fn, "/invoke"), {"evnt": {}})
    assert response.status_code == 400 and "evnt" in response.json()["errors"]
    response = send(client, "post", url(alice_fn, "/invoke"), '{"event": ')
    assert response.status_code == 400 and "body" in response.json()["errors"]
    assert not fake_runner.called


def test_invoke_when_throttled_is_429(client, alice, alice_fn, fake_runner):
    client.force_login(alice)
    fake_runner.side_effect = runner.Throttled("rate", retry_after_s=12)
    response = send(client, "post", url(alice_fn, "/invoke"), {"event": {}})
    assert response.status_code == 429
    assert response["Retry-After"] == "12"
    assert response.json()["errorType"] == "TooManyRequestsException"


def test_invoke_when_the_sandbox_is_down_is_503(client, alice, alice_fn, fake_runner):
    client.force_login(alice)
    fake_runner.side_effect = runner.SandboxUnavailable("no bwrap", "install bubblewrap")
    response = send(client, "post", url(alice_fn, "/invoke"), {"event": {}})
    assert response.status_code == 503
    assert response.json()["errorType"] == "ServiceUnavailable"


# --- Double submits: the form's check passed, then a parallel request took the name ----------


@pytest.fixture
def late_name_check():
    """The forms' uniqueness check sees no clash, as when a parallel request inserts between
    the check and the write: the database's unique constraint must answer, with a 400."""
    from course.functions.forms import FunctionForm

    with mock.patch.object(FunctionForm, "clean_name", lambda self: self.cleaned_data["name"]):
        yield


def test_a_double_submitted_create_is_a_400_naming_the_field(client, alice, late_name_check):
    client.force_login(alice)
    assert send(client, "post", LIST, new()).status_code == 201
    response = send(client, "post", LIST, new())
    assert response.status_code == 400
    assert response.json() == {"errors": {"name": "You already have a function named greeter."}}
    assert Function.objects.count() == 1


def test_a_rename_into_a_name_taken_meanwhile_is_a_400(client, alice, late_name_check):
    client.force_login(alice)
    first = send(client, "post", LIST, new(name="one")).json()
    second = send(client, "post", LIST, new(name="two", code="# two")).json()
    response = send(client, "put", url(second["id"]), {"name": "one", "code": "# changed"})
    assert response.status_code == 400 and "named one" in response.json()["errors"]["name"]
    kept = Function.objects.get(pk=second["id"])
    assert (kept.name, kept.code, kept.version) == ("two", "# two", 1)
    assert not FunctionVersion.objects.exists() and first["id"] != second["id"]


# --- NUL: PostgreSQL refuses it in text, so it is refused here first ----------------------


def test_code_with_nul_is_refused_on_create_and_update(client, alice):
    from course.common.text import NUL_MESSAGE

    client.force_login(alice)
    response = send(client, "post", LIST, new(code="a\u0000b"))
    assert response.status_code == 400 and response.json()["errors"]["code"] == NUL_MESSAGE
    assert not Function.objects.exists()
    created = send(client, "post", LIST, new()).json()
    response = send(client, "put", url(created["id"]), {"code": "x\u0000"})
    assert response.status_code == 400 and response.json()["errors"]["code"] == NUL_MESSAGE
    assert Function.objects.get().code == HELLO
    response = send(client, "put", url(created["id"]), {"name": "a\u0000"})
    assert response.status_code == 400 and "name" in response.json()["errors"]
