"""The public entry point: kinds, the JSON contract, no Django, and "never raises" properties."""

from __future__ import annotations

import ast
import json
import pathlib
import string
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.labs.validators import KINDS, Result, validate
from course.labs.validators.jsonpos import JsonSyntaxError, parse_json

from .helpers import assert_contract

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "course" / "labs" / "validators"
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_the_kinds_are_exactly_these():
    assert set(KINDS) == {
        "dockerfile",
        "ecs-task-definition",
        "ecr-lifecycle-policy",
        "schedule-expression",
        "batch-job-definition",
    }


def test_unknown_kind_raises_key_error():
    with pytest.raises(KeyError):
        validate("lambda-function", "{}")


@pytest.mark.parametrize("kind", KINDS)
def test_empty_input_is_an_error_not_an_exception(kind):
    result = validate(kind, "")
    assert isinstance(result, Result) and not result.valid
    assert_contract(result.as_dict())


def test_the_contract_shape_exactly():
    data = validate("schedule-expression", "rate(2 hours)", now=NOW).as_dict()
    assert list(data) == ["valid", "errors", "warnings", "info"]
    bad = validate("schedule-expression", "rate(2 hour)").as_dict()
    assert list(bad["errors"][0]) == ["message", "line", "column", "source"]
    assert json.loads(json.dumps(bad)) == bad


def test_validators_import_no_django():
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "django" for name in names), path.name


def test_every_source_is_an_aws_or_docker_documentation_url():
    samples = {
        "dockerfile": "FROM python\nCMD python app.py\nEXPOSE 99999\nFOO bar\n",
        "ecs-task-definition": '{"family": "x", "cpu": "1", "containerDefinitions": [{}]}',
        "ecr-lifecycle-policy": '{"rules": [{"rulePriority": 0, "selection": {}}]}',
        "schedule-expression": "cron(0 10 * * * *)",
        "batch-job-definition": '{"type": "x", "arrayProperties": {"size": 1}}',
    }
    for kind, text in samples.items():
        data = validate(kind, text).as_dict()
        for issue in data["errors"] + data["warnings"]:
            assert issue["source"].startswith(
                ("https://docs.aws.amazon.com/", "https://docs.docker.com/")
            ), issue


def test_deep_nesting_is_an_error_not_an_exception():
    for kind in ("ecs-task-definition", "ecr-lifecycle-policy", "batch-job-definition"):
        data = validate(kind, "[" * 100_000 + "]" * 100_000).as_dict()
        assert_contract(data)
        assert not data["valid"]


def test_json_positions():
    doc = parse_json('{\n  "a": [1, {"b": "x"}],\n  "c": null\n}')
    assert doc.at("a") == (2, 8)
    assert doc.key_at("a") == (2, 3)
    assert doc.at("a", 1, "b") == (2, 18)
    assert doc.key_at("a", 1, "b") == (2, 13)
    assert doc.at("c") == (3, 8)
    assert doc.at("missing", "deeper") == (1, 1)
    assert doc.at("a", 5) == (2, 8)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [('{\n  "a": 1,\n}', 3, 1), ("[1, 2", 1, 6), ('{"a": Infinity}', 1, 7), ("\ufeff{}", 1, 1)],
)
def test_json_syntax_errors(text, line, column):
    with pytest.raises(JsonSyntaxError) as caught:
        parse_json(text)
    assert (caught.value.line, caught.value.column) == (line, column)


# --- Properties: validate never raises and always returns the contract, for any text ----------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "family",
                    "cpu",
                    "memory",
                    "networkMode",
                    "requiresCompatibilities",
                    "containerDefinitions",
                    "name",
                    "image",
                    "essential",
                    "portMappings",
                    "containerPort",
                    "hostPort",
                    "protocol",
                    "rules",
                    "rulePriority",
                    "selection",
                    "tagStatus",
                    "tagPrefixList",
                    "tagPatternList",
                    "countType",
                    "countUnit",
                    "countNumber",
                    "action",
                    "type",
                    "storageClass",
                    "jobDefinitionName",
                    "containerProperties",
                    "resourceRequirements",
                    "value",
                    "platformCapabilities",
                    "arrayProperties",
                    "size",
                    "retryStrategy",
                    "attempts",
                    "timeout",
                    "attemptDurationSeconds",
                    "runtimePlatform",
                    "logConfiguration",
                    "vcpus",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=25,
)


@PROPERTY
@given(kind=st.sampled_from(KINDS), text=st.text(max_size=300))
def test_any_text(kind, text):
    assert_contract(
        validate(kind, text, **({"now": NOW} if kind.startswith("sch") else {})).as_dict()
    )


@PROPERTY
@given(
    kind=st.sampled_from(["ecs-task-definition", "ecr-lifecycle-policy", "batch-job-definition"]),
    value=json_values,
)
def test_any_json_document(kind, value):
    data = validate(kind, json.dumps(value, indent=1)).as_dict()
    assert_contract(data)
    text = json.dumps(value, indent=1)
    lines = text.split("\n")
    for issue in data["errors"] + data["warnings"]:
        assert issue["line"] <= len(lines)
        assert issue["column"] <= len(lines[issue["line"] - 1]) + 1


@PROPERTY
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "FROM",
                    "from",
                    "RUN",
                    "CMD",
                    "ENTRYPOINT",
                    "EXPOSE",
                    "USER",
                    "ENV",
                    "ARG",
                    "ADD",
                    "COPY",
                    "SHELL",
                    "HEALTHCHECK",
                    "ONBUILD",
                    "LABEL",
                    "BOGUS",
                    "#",
                    "",
                ]
            ),
            st.text(alphabet=string.printable, max_size=30),
        ),
        max_size=12,
    )
)
def test_any_dockerfile_like_text(lines):
    text = "\n".join(f"{word} {args}" for word, args in lines)
    data = validate("dockerfile", text).as_dict()
    assert_contract(data)
    assert all(issue["line"] <= text.count("\n") + 2 for issue in data["errors"])


cron_field = st.text(alphabet="0123456789*?/,-LW#JANMONFRISUT", min_size=1, max_size=8)


@PROPERTY
@given(fields=st.lists(cron_field, min_size=5, max_size=7))
def test_any_cron_like_expression(fields):
    text = f"cron({' '.join(fields)})"
    data = validate("schedule-expression", text, now=NOW).as_dict()
    assert_contract(data)
    if data["valid"]:
        times = data["info"]["next"]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert all(moment > "2026-11-27T09:30:00Z" for moment in times)
        assert len(times) <= 5


@PROPERTY
@given(
    value=st.integers(-5, 10_000),
    unit=st.sampled_from(["minute", "minutes", "hour", "hours", "day", "days", "week", "Minutes"]),
)
def test_rate_expressions(value, unit):
    data = validate("schedule-expression", f"rate({value} {unit})", now=NOW).as_dict()
    assert_contract(data)
    singular = unit in ("minute", "hour", "day")
    plural = unit in ("minutes", "hours", "days")
    assert data["valid"] == ((value == 1 and singular) or (value > 1 and plural))
