"""Learner input that used to answer 500: now a clear 400, or a Lambda-style error in a 200.

Through the real views and the real sandbox, in both runtimes; every answer must be standard
JSON (no NaN/Infinity, no lone surrogate), and the page and the lesson embed must stay up.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.sandbox

API = "/api/runner/invoke"
FORM = "/tools/function-runner/run"
HANDLERS = {
    "python": "def lambda_handler(event, context):\n    {body}\n",
    "nodejs": "exports.handler = async (event) => {{\n  {body}\n}};\n",
}


def _no_constants(name):
    raise AssertionError(f"non-standard JSON constant {name} in the answer")


def standard(raw: bytes) -> object:
    """Parse an answer the strict way: UTF-8, no NaN/Infinity, no lone surrogate."""
    value = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")  # lone surrogates
    return value


@pytest.fixture
def api(client, alice, limits, settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    settings.RUNNER_RATE_PER_MINUTE = 1000
    client.force_login(alice)

    def _post(body: bytes | str):
        response = client.post(API, body, content_type="application/json")
        assert response.status_code != 500
        return response.status_code, standard(response.content)

    return _post


def body(runtime="python", code=None, event="{}", **fields) -> str:
    code = code if code is not None else HANDLERS[runtime].format(body="return 1")
    rest = "".join(f', "{k}": {v}' for k, v in fields.items())
    return f'{{"runtime": "{runtime}", "code": {json.dumps(code)}, "event": {event}{rest}}}'


@pytest.fixture(params=["python", "nodejs"])
def runtime(request, node):
    return request.param


RETURNS = {
    "deep": {
        "python": "v = []\n    for _ in range(600):\n        v = [v]\n    return v",
        "nodejs": "let v = [];\n  for (let i = 0; i < 600; i++) v = [v];\n  return v;",
    },
    "surrogate": {"python": "return '\\ud800'", "nodejs": "return '\\ud800';"},
}


@pytest.mark.parametrize("kind", ["deep", "surrogate"])
def test_results_the_api_cannot_send_as_standard_json_are_lambda_style_errors(api, runtime, kind):
    code = HANDLERS[runtime].format(body=RETURNS[kind][runtime])
    status, answer = api(body(runtime, code))
    assert status == 200
    assert answer["status"] == "failed" and answer["result"] is None
    assert answer["error"]["errorType"] == "Runtime.MarshalError"


def test_a_300_level_result_comes_back_whole(api, runtime):
    code = HANDLERS[runtime].format(body=RETURNS["deep"][runtime].replace("600", "300"))
    status, answer = api(body(runtime, code))
    assert status == 200 and answer["status"] == "succeeded"
    depth, value = 0, answer["result"]
    while value:
        depth, value = depth + 1, value[0]
    assert depth == 300


def test_a_python_nan_result_is_a_marshal_error(api):
    code = HANDLERS["python"].format(body="return [float('nan'), float('inf')]")
    status, answer = api(body("python", code))
    assert status == 200
    assert answer["error"]["errorType"] == "Runtime.MarshalError"
    assert "NaN" in answer["error"]["errorMessage"]


def test_an_error_message_with_a_lone_surrogate(api, runtime):
    raise_it = {
        "python": "raise ValueError('bad \\ud800')",
        "nodejs": "throw new Error('bad \\ud800');",
    }
    status, answer = api(body(runtime, HANDLERS[runtime].format(body=raise_it[runtime])))
    assert status == 200 and answer["status"] == "failed"
    assert answer["error"]["errorMessage"] == "bad \ufffd"


@pytest.mark.parametrize(
    ("request_body", "field", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "body", "nested too deeply"),
        (body(event="[" * 100_000 + "]" * 100_000), "body", "nested too deeply"),
        (body(event='{"a": 1e400}'), "body", "too large for a double"),
        (body(event="[NaN]"), "body", "NaN is not a JSON value"),
        (body(event='"\\ud800"'), "body", "lone UTF-16 surrogate"),
        (body(runtime="python").replace('"python"', '["python"]'), "runtime", "Unknown runtime"),
        (body(runtime="python").replace('"python"', '{"a": 1}'), "runtime", "Unknown runtime"),
    ],
)
def test_hostile_requests_are_400_with_a_clear_message(api, request_body, field, words):
    status, answer = api(request_body)
    assert status == 400
    assert words in answer["errors"][field]


def test_code_with_a_lone_surrogate_is_400(api):
    code = json.dumps("def lambda_handler(e, c):\n    return 1  # \ud800")
    status, answer = api('{"runtime": "python", "code": ' + code + ', "event": {}}')
    assert status == 400
    assert "lone UTF-16 surrogate" in answer["errors"]["body"]


# --- The page's form and the lesson embed ----------------------------------------------------


@pytest.fixture
def form(client, alice, limits, settings, tmp_path):
    settings.RUNNER_STATE_DIR = tmp_path / "runner"
    settings.RUNNER_RATE_PER_MINUTE = 1000
    client.force_login(alice)

    def _post(event="{}", runtime="python", code=None):
        code = code if code is not None else HANDLERS[runtime].format(body="return 1")
        data = {"runtime": runtime, "code": code, "event": event, "memory_mb": "128",
                "timeout_s": "3"}  # fmt: skip
        response = client.post(FORM, data, headers={"HX-Request": "true"})
        assert response.status_code != 500
        return response.content.decode()

    return _post


@pytest.mark.parametrize(
    ("event", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "The event is nested too deeply"),
        ("1e400", "too large for a double"),
        ('"\\ud800"', "lone UTF-16 surrogate"),
        ("Infinity", "Infinity is not a JSON value"),
        ("{oops", "The event is not valid JSON"),
    ],
)
def test_form_refuses_hostile_events_clearly(form, event, words):
    html = form(event=event)
    assert words in html
    assert "✓ succeeded" not in html


@pytest.mark.parametrize("kind", ["deep", "surrogate"])
def test_form_shows_hostile_results_as_errors(form, runtime, kind):
    html = form(runtime=runtime, code=HANDLERS[runtime].format(body=RETURNS[kind][runtime]))
    assert "✗ failed" in html and "Runtime.MarshalError" in html


def test_lesson_embed_survives_hostile_query_strings(client, db):
    deep = "[" * 5000
    for query in [
        f"?event={deep}&runtime=cobol&memory_mb=1e400",
        "?code=%ED%A0%80%3Cscript%3Ealert(1)%3C/script%3E&event=%22%5Cud800%22",
        "?runtime=python&runtime=nodejs&starter=nope",
    ]:
        response = client.get("/lessons/lambda/" + query)
        assert response.status_code == 200, query
        assert "<script>alert(1)" not in response.content.decode()
