"""AWS Batch job definitions (plus the lab's array size): RegisterJobDefinition's rules."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from course.labs.validators import fargate

from .helpers import check, dumps, find, messages

KIND = "batch-job-definition"

# The shape of AWS's "Creating a single-node job definition on AWS Fargate resources" example.
FARGATE_JOB: dict[str, Any] = {
    "jobDefinitionName": "render-frames",
    "type": "container",
    "platformCapabilities": ["FARGATE"],
    "containerProperties": {
        "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
        "command": ["echo", "hello"],
        "resourceRequirements": [
            {"type": "VCPU", "value": "0.25"},
            {"type": "MEMORY", "value": "512"},
        ],
        "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        "networkConfiguration": {"assignPublicIp": "ENABLED"},
    },
    "retryStrategy": {"attempts": 3},
    "timeout": {"attemptDurationSeconds": 600},
    "arrayProperties": {"size": 100},
}

EC2_JOB: dict[str, Any] = {
    "jobDefinitionName": "sleep60",
    "type": "container",
    "containerProperties": {
        "image": "busybox",
        "command": ["sleep", "60"],
        "resourceRequirements": [
            {"type": "VCPU", "value": "1"},
            {"type": "MEMORY", "value": "128"},
        ],
    },
}


def job(base: dict[str, Any] = FARGATE_JOB, **changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(base)
    document.update(changes)
    return document


def resources(vcpu: str, memory: str, base: dict[str, Any] = FARGATE_JOB) -> dict[str, Any]:
    document = job(base)
    document["containerProperties"]["resourceRequirements"] = [
        {"type": "VCPU", "value": vcpu},
        {"type": "MEMORY", "value": memory},
    ]
    return document


def test_fargate_array_job_is_valid_with_info():
    data = check(KIND, dumps(FARGATE_JOB))
    assert data["valid"] and data["warnings"] == [], messages(data)
    info = data["info"]
    assert info["platform"] == "FARGATE"
    assert info["vcpu"] == 0.25 and info["memory_mib"] == 512
    assert info["array"]["size"] == 100
    assert info["array"]["indexes"] == "0..99"
    assert info["array"]["index_variable"] == "AWS_BATCH_JOB_ARRAY_INDEX"
    assert "AWS_BATCH_JOB_ARRAY_INDEX" in info["array"]["note"]


def test_ec2_job_is_valid():
    data = check(KIND, dumps(EC2_JOB))
    assert data["valid"] and data["warnings"] == [], messages(data)
    assert data["info"]["platform"] == "EC2" and "array" not in data["info"]


FARGATE_PAIRS = [
    (fargate.format_number(Decimal(cpu) / 1024), memory)
    for cpu, sizes in fargate.TASK_SIZES.items()
    for memory in sizes
]


@pytest.mark.parametrize(("vcpu", "memory"), FARGATE_PAIRS)
def test_every_fargate_combination_is_accepted(vcpu, memory):
    data = check(KIND, dumps(resources(vcpu, str(memory))))
    assert data["valid"], messages(data)


@pytest.mark.parametrize(
    ("vcpu", "memory"),
    [
        ("0.25", "4096"),
        ("0.5", "512"),
        ("1", "1024"),
        ("2", "17408"),
        ("4", "31744"),
        ("8", "18432"),
        ("16", "131072"),
        ("0.25", "768"),
    ],
)
def test_invalid_fargate_combinations(vcpu, memory):
    data = check(KIND, dumps(resources(vcpu, memory)))
    assert "No Fargate configuration exists for given values" in messages(data)


@pytest.mark.parametrize("vcpu", ["0.3", "3", "32", "0.125"])
def test_fargate_vcpu_values(vcpu):
    assert "is not valid on Fargate" in messages(check(KIND, dumps(resources(vcpu, "2048"))))


def test_resource_values_must_be_strings():
    document = job()
    document["containerProperties"]["resourceRequirements"][0]["value"] = 1
    data = check(KIND, dumps(document))
    issue = find(data, "Invalid type for parameter")
    assert "valid types: string" in issue["message"]


def test_duplicate_and_unknown_resource_types():
    document = job()
    document["containerProperties"]["resourceRequirements"].append({"type": "VCPU", "value": "1"})
    assert "more than once" in messages(check(KIND, dumps(document)))
    document = job()
    document["containerProperties"]["resourceRequirements"][0]["type"] = "CPU"
    assert "resource type 'CPU' is not valid" in messages(check(KIND, dumps(document)))


def test_gpu_is_not_available_on_fargate():
    document = job()
    document["containerProperties"]["resourceRequirements"].append({"type": "GPU", "value": "1"})
    assert "GPUs aren't available" in messages(check(KIND, dumps(document)))


def test_ec2_needs_at_least_one_vcpu_and_4_mib():
    assert "at least one vCPU" in messages(check(KIND, dumps(resources("0.5", "128", EC2_JOB))))
    assert "at least 4 MiB" in messages(check(KIND, dumps(resources("1", "2", EC2_JOB))))


def test_legacy_vcpus_and_memory():
    legacy = job(EC2_JOB)
    props = legacy["containerProperties"]
    del props["resourceRequirements"]
    props.update(vcpus=2, memory=2048)
    data = check(KIND, dumps(legacy))
    assert data["valid"] and "deprecated" in messages(data, "warnings")
    assert data["info"]["vcpu"] == 2.0 and data["info"]["memory_mib"] == 2048
    on_fargate = job()
    on_fargate["containerProperties"]["vcpus"] = 1
    assert "isn't supported for jobs that run on Fargate" in messages(
        check(KIND, dumps(on_fargate))
    )


def test_missing_resources_are_warnings():
    document = job(EC2_JOB)
    del document["containerProperties"]["resourceRequirements"]
    data = check(KIND, dumps(document))
    assert data["valid"]
    assert "No VCPU" in messages(data, "warnings") and "No MEMORY" in messages(data, "warnings")


def test_fargate_without_execution_role_is_a_warning():
    document = job()
    del document["containerProperties"]["executionRoleArn"]
    data = check(KIND, dumps(document))
    assert data["valid"] and "executionRoleArn" in messages(data, "warnings")


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("a", True),
        ("A-b_9", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("bad name", False),
        ("dot.name", False),
        ("", False),
        (5, False),
    ],
)
def test_job_definition_name(name, ok):
    assert check(KIND, dumps(job(jobDefinitionName=name)))["valid"] is ok


def test_job_definition_name_is_required():
    document = job()
    del document["jobDefinitionName"]
    assert "jobDefinitionName is required" in messages(check(KIND, dumps(document)))


@pytest.mark.parametrize("kind", ["Container", "array", None])
def test_type_is_container_or_multinode(kind):
    assert "type must be container or multinode" in messages(check(KIND, dumps(job(type=kind))))


def test_multinode_is_not_on_fargate():
    data = check(KIND, dumps(job(type="multinode", nodeProperties={})))
    assert "aren't supported on Fargate" in messages(data)


def test_container_properties_and_image_required():
    document = job()
    del document["containerProperties"]
    assert "needs containerProperties" in messages(check(KIND, dumps(document)))
    document = job()
    del document["containerProperties"]["image"]
    assert "image is required" in messages(check(KIND, dumps(document)))


@pytest.mark.parametrize("platforms", [["LAMBDA"], "FARGATE", [1]])
def test_platform_capabilities(platforms):
    assert "platformCapabilities" in messages(
        check(KIND, dumps(job(platformCapabilities=platforms)))
    )


@pytest.mark.parametrize(
    ("size", "ok"),
    [
        (2, True),
        (10_000, True),
        (1, False),
        (10_001, False),
        (0, False),
        ("5", False),
        (2.5, False),
    ],
)
def test_array_size_2_to_10000(size, ok):
    data = check(KIND, dumps(job(arrayProperties={"size": size})))
    assert data["valid"] is ok
    if ok:
        assert data["info"]["array"]["last_index"] == size - 1


@pytest.mark.parametrize(
    ("attempts", "ok"), [(1, True), (10, True), (0, False), (11, False), ("3", False)]
)
def test_retry_attempts_1_to_10(attempts, ok):
    assert check(KIND, dumps(job(retryStrategy={"attempts": attempts})))["valid"] is ok


@pytest.mark.parametrize(
    ("seconds", "ok"), [(60, True), (3600, True), (59, False), (0, False), ("600", False)]
)
def test_timeout_at_least_60_seconds(seconds, ok):
    data = check(KIND, dumps(job(timeout={"attemptDurationSeconds": seconds})))
    assert data["valid"] is ok


def test_errors_point_at_the_value():
    text = dumps(job(arrayProperties={"size": 20000}))
    issue = find(check(KIND, text), "arrayProperties.size")
    line = text.splitlines()[issue["line"] - 1]
    assert line[issue["column"] - 1 :] == "20000"


def test_bad_json():
    data = check(KIND, '{"jobDefinitionName": "x",\n "type": container}')
    assert data["errors"][0]["message"].startswith("Invalid JSON")
    assert (data["errors"][0]["line"], data["errors"][0]["column"]) == (2, 10)
