"""An AWS Batch job definition (RegisterJobDefinition), plus the array size a lab submits it with.

The lab's artefact is one JSON document: the job definition, optionally with
``"arrayProperties": {"size": N}`` as SubmitJob would take it. On Fargate the vCPU/memory pair
must be one of Fargate's task sizes (the same table as ECS, VCPU in vCPUs).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from . import fargate
from .base import Result, ascii_digits, is_int, json_type
from .jsonpos import JsonDocument, JsonSyntaxError, parse_json

API = "https://docs.aws.amazon.com/batch/latest/APIReference/API_RegisterJobDefinition.html"
CONTAINER = "https://docs.aws.amazon.com/batch/latest/APIReference/API_ContainerProperties.html"
RESOURCES = "https://docs.aws.amazon.com/batch/latest/APIReference/API_ResourceRequirement.html"
ARRAY = "https://docs.aws.amazon.com/batch/latest/APIReference/API_ArrayProperties.html"
ARRAY_GUIDE = "https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html"
RETRY = "https://docs.aws.amazon.com/batch/latest/APIReference/API_RetryStrategy.html"
TIMEOUT = "https://docs.aws.amazon.com/batch/latest/APIReference/API_JobTimeout.html"
FARGATE_GUIDE = "https://docs.aws.amazon.com/batch/latest/userguide/fargate.html"

_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
# [0-9], not \d (which matches "٤" too); bounded so that no value is too long to print.
_NUMBER = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?|\.[0-9]{1,9}")
# More MiB than any machine has (a pebibyte); checked before int() so it never sees a huge text.
_MEMORY_MAX_DIGITS = 10
ARRAY_MIN, ARRAY_MAX = 2, 10_000
ATTEMPTS_MIN, ATTEMPTS_MAX = 1, 10
TIMEOUT_MIN = 60
INDEX_VARIABLE = "AWS_BATCH_JOB_ARRAY_INDEX"


def validate(text: str) -> Result:
    result = Result()
    try:
        doc = parse_json(text)
    except JsonSyntaxError as exc:
        result.error(exc.message, (exc.line, exc.column), API)
        return result
    job = doc.value
    if not isinstance(job, dict):
        result.error(f"A job definition is a JSON object, not {json_type(job)}.", doc.at(), API)
        return result
    name = job.get("jobDefinitionName")
    if name is None:
        result.error("ClientException: jobDefinitionName is required.", doc.at(), API)
    elif not isinstance(name, str) or not _NAME.fullmatch(name):
        result.error(
            "ClientException: jobDefinitionName can be up to 128 letters long, using "
            "uppercase and lowercase letters, numbers, hyphens (-), and underscores (_).",
            doc.at("jobDefinitionName"),
            API,
        )
    kind = job.get("type")
    if kind not in ("container", "multinode"):
        where = doc.at("type") if "type" in job else doc.at()
        result.error(
            f"ClientException: type must be container or multinode, not {kind!r}.", where, API
        )
    platforms = _platforms(job, doc, result)
    on_fargate = "FARGATE" in platforms
    if on_fargate and kind == "multinode":
        result.error(
            "ClientException: multi-node parallel jobs (type multinode) aren't supported on "
            "Fargate resources.",
            doc.at("type"),
            API,
        )
    vcpu = memory = None
    if kind == "container":
        props = job.get("containerProperties")
        if isinstance(props, dict):
            vcpu, memory = _container(props, doc, result, on_fargate)
        elif "ecsProperties" not in job and "eksProperties" not in job:
            where = doc.at("containerProperties") if "containerProperties" in job else doc.at()
            result.error(
                "ClientException: a job definition of type container needs containerProperties "
                "(an object with at least an image).",
                where,
                API,
            )
    elif kind == "multinode" and not isinstance(job.get("nodeProperties"), dict):
        result.error(
            "ClientException: a job definition of type multinode needs nodeProperties.",
            doc.at(),
            API,
        )
    size = _array(job, doc, result)
    _retry(job, doc, result)
    _timeout(job, doc, result)
    info: dict[str, Any] = {"platform": "FARGATE" if on_fargate else "EC2"}
    if isinstance(name, str):
        info["jobDefinitionName"] = name
    if vcpu is not None:
        info["vcpu"] = float(vcpu)
    if memory is not None:
        info["memory_mib"] = memory
    if size is not None:
        info["array"] = {
            "size": size,
            "indexes": f"0..{size - 1}",
            "first_index": 0,
            "last_index": size - 1,
            "index_variable": INDEX_VARIABLE,
            "note": f"Each of the {size} child jobs reads its index (0 to {size - 1}) from the "
            f"{INDEX_VARIABLE} environment variable.",
        }
    result.info.update(info)
    return result


def _platforms(job: dict[str, Any], doc: JsonDocument, result: Result) -> list[str]:
    platforms = job.get("platformCapabilities", ["EC2"])
    if not isinstance(platforms, list) or any(p not in ("EC2", "FARGATE") for p in platforms):
        result.error(
            'ClientException: platformCapabilities must be ["EC2"] or ["FARGATE"].',
            doc.at("platformCapabilities"),
            API,
        )
        return []
    return platforms


def _container(
    props: dict[str, Any], doc: JsonDocument, result: Result, on_fargate: bool
) -> tuple[Decimal | None, int | None]:
    at = ("containerProperties",)
    image = props.get("image")
    if not isinstance(image, str) or not image.strip():
        result.error(
            "ClientException: containerProperties.image is required.",
            doc.at(*at, "image"),
            CONTAINER,
        )
    resources: dict[str, tuple[str, int]] = {}
    requirements = props.get("resourceRequirements", [])
    if not isinstance(requirements, list):
        result.error(
            "resourceRequirements must be an array of {type, value} objects.",
            doc.at(*at, "resourceRequirements"),
            RESOURCES,
        )
        requirements = []
    for index, item in enumerate(requirements):
        here = (*at, "resourceRequirements", index)
        if not isinstance(item, dict):
            result.error(
                "Each resource requirement is an object with type and value.",
                doc.at(*here),
                RESOURCES,
            )
            continue
        kind, value = item.get("type"), item.get("value")
        if kind not in ("VCPU", "MEMORY", "GPU"):
            result.error(
                f"ClientException: resource type {kind!r} is not valid; use VCPU, MEMORY or GPU.",
                doc.at(*here, "type"),
                RESOURCES,
            )
            continue
        if not isinstance(value, str):
            result.error(
                f"Invalid type for parameter containerProperties.resourceRequirements[{index}]."
                f"value, value: {value!r}, type: {json_type(value)}, valid types: string "
                f'(write "{value}" in quotes).',
                doc.at(*here, "value"),
                RESOURCES,
            )
            continue
        if kind in resources:
            result.error(
                f"ClientException: {kind} is given more than once in resourceRequirements.",
                doc.at(*here, "type"),
                RESOURCES,
            )
            continue
        resources[kind] = (value, index)
    for legacy in ("vcpus", "memory"):
        if legacy in props:
            if on_fargate:
                result.error(
                    f"ClientException: containerProperties.{legacy} isn't supported for jobs "
                    "that run on Fargate resources; use resourceRequirements (VCPU and MEMORY).",
                    doc.at(*at, legacy),
                    CONTAINER,
                )
            else:
                result.warn(
                    f"containerProperties.{legacy} is deprecated: use resourceRequirements.",
                    doc.at(*at, legacy),
                    CONTAINER,
                )
    vcpu = _vcpu(resources, props, doc, result, on_fargate)
    memory = _memory(resources, props, doc, result, on_fargate)
    if on_fargate:
        if "GPU" in resources:
            result.error(
                "ClientException: GPUs aren't available for jobs that are running on Fargate "
                "resources.",
                doc.at(*at, "resourceRequirements", resources["GPU"][1]),
                RESOURCES,
            )
        if vcpu is not None and memory is not None:
            units = vcpu * 1024
            if units != units.to_integral_value() or not fargate.is_valid(int(units), memory):
                result.error(
                    f"ClientException: No Fargate configuration exists for given values: "
                    f"{fargate.format_number(vcpu)} vCPU, {memory} MiB memory. Fargate takes "
                    f"VCPU 0.25, 0.5, 1, 2, 4, 8 or 16"
                    + (
                        f", and with {fargate.format_number(vcpu)} vCPU MEMORY "
                        f"{fargate.describe_memory(int(units))}."
                        if units == units.to_integral_value() and int(units) in fargate.TASK_SIZES
                        else "."
                    ),
                    doc.at(*at, "resourceRequirements", resources["MEMORY"][1], "value"),
                    fargate.SOURCE,
                )
        if not props.get("executionRoleArn"):
            result.warn(
                "Jobs that run on Fargate resources need an executionRoleArn (to pull from "
                "private Amazon ECR repositories and to send logs to CloudWatch).",
                doc.at(*at),
                CONTAINER,
            )
    return vcpu, memory


def _vcpu(
    resources: dict[str, tuple[str, int]],
    props: dict[str, Any],
    doc: JsonDocument,
    result: Result,
    on_fargate: bool,
) -> Decimal | None:
    at = ("containerProperties",)
    if "VCPU" in resources:
        text, index = resources["VCPU"]
        where = doc.at(*at, "resourceRequirements", index, "value")
        value = fargate.to_decimal(text) if _NUMBER.fullmatch(text) else None
        if value is None or value <= 0:
            result.error(
                f"ClientException: VCPU value {text!r} is not a number of vCPUs.", where, RESOURCES
            )
            return None
        if on_fargate and value not in {Decimal(units) / 1024 for units in fargate.TASK_SIZES}:
            result.error(
                f"ClientException: VCPU {text} is not valid on Fargate: use 0.25, 0.5, 1, 2, 4, "
                "8 or 16.",
                where,
                fargate.SOURCE,
            )
            return None
        if not on_fargate and value < 1:
            result.error(
                f"ClientException: VCPU {text} is too small: jobs that run on Amazon EC2 "
                "resources must specify at least one vCPU.",
                where,
                RESOURCES,
            )
            return None
        return value
    if "vcpus" in props and not on_fargate:
        if not is_int(props["vcpus"]) or props["vcpus"] < 1:
            result.error(
                "ClientException: vcpus must be an integer of at least 1.",
                doc.at(*at, "vcpus"),
                CONTAINER,
            )
            return None
        return Decimal(props["vcpus"])
    result.warn(
        "No VCPU resource requirement: every job must get one, here or when it is submitted "
        "(containerOverrides).",
        doc.at(*at),
        RESOURCES,
    )
    return None


def _memory(
    resources: dict[str, tuple[str, int]],
    props: dict[str, Any],
    doc: JsonDocument,
    result: Result,
    on_fargate: bool,
) -> int | None:
    at = ("containerProperties",)
    if "MEMORY" in resources:
        text, index = resources["MEMORY"]
        where = doc.at(*at, "resourceRequirements", index, "value")
        if not ascii_digits(text):
            result.error(
                f"ClientException: MEMORY value {text[:40]!r} must be a whole number of MiB.",
                where,
                RESOURCES,
            )
            return None
        if len(text.lstrip("0")) > _MEMORY_MAX_DIGITS:
            result.error(
                f"ClientException: MEMORY value {text[:20]}... MiB is more memory than any "
                "instance has.",
                where,
                RESOURCES,
            )
            return None
        if int(text) < 4:
            result.error(
                "ClientException: You must specify at least 4 MiB of memory for a job.",
                where,
                RESOURCES,
            )
            return None
        return int(text)
    if "memory" in props and not on_fargate:
        if not is_int(props["memory"]) or props["memory"] < 4:
            result.error(
                "ClientException: You must specify at least 4 MiB of memory for a job.",
                doc.at(*at, "memory"),
                CONTAINER,
            )
            return None
        return props["memory"]
    result.warn(
        "No MEMORY resource requirement: every job must get one, here or when it is submitted "
        "(containerOverrides).",
        doc.at(*at),
        RESOURCES,
    )
    return None


def _array(job: dict[str, Any], doc: JsonDocument, result: Result) -> int | None:
    if "arrayProperties" not in job:
        return None
    props = job["arrayProperties"]
    size = props.get("size") if isinstance(props, dict) else None
    if not is_int(size) or not ARRAY_MIN <= size <= ARRAY_MAX:  # type: ignore[operator]
        result.error(
            f"ClientException: arrayProperties.size must be an integer between {ARRAY_MIN} and "
            f"{ARRAY_MAX:,}, not {size!r}.",
            doc.at("arrayProperties", "size"),
            ARRAY,
        )
        return None
    return size  # type: ignore[return-value]


def _retry(job: dict[str, Any], doc: JsonDocument, result: Result) -> None:
    if "retryStrategy" not in job:
        return
    strategy = job["retryStrategy"]
    attempts = strategy.get("attempts") if isinstance(strategy, dict) else None
    if attempts is None and isinstance(strategy, dict):
        return
    if not is_int(attempts) or not ATTEMPTS_MIN <= attempts <= ATTEMPTS_MAX:  # type: ignore[operator]
        result.error(
            f"ClientException: retryStrategy.attempts must be an integer from {ATTEMPTS_MIN} to "
            f"{ATTEMPTS_MAX}, not {attempts!r}.",
            doc.at("retryStrategy", "attempts"),
            RETRY,
        )


def _timeout(job: dict[str, Any], doc: JsonDocument, result: Result) -> None:
    if "timeout" not in job:
        return
    timeout = job["timeout"]
    seconds = timeout.get("attemptDurationSeconds") if isinstance(timeout, dict) else None
    if seconds is None and isinstance(timeout, dict):
        return
    if not is_int(seconds) or seconds < TIMEOUT_MIN:  # type: ignore[operator]
        result.error(
            f"ClientException: timeout.attemptDurationSeconds must be an integer of at least "
            f"{TIMEOUT_MIN} seconds, not {seconds!r}.",
            doc.at("timeout", "attemptDurationSeconds"),
            TIMEOUT,
        )
