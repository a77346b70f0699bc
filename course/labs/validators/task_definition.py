"""An Amazon ECS task definition for Fargate, checked as RegisterTaskDefinition would check it.

Errors are what ECS refuses at registration (or what makes the definition unusable on Fargate:
a definition without FARGATE in requiresCompatibilities cannot be launched there); warnings are
accepted but likely to hurt.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from . import fargate
from .base import Result, is_int, json_type
from .jsonpos import JsonDocument, JsonSyntaxError, parse_json

API = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html"
CONTAINER = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html"
PORT_MAPPING = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html"
NETWORK_MODE = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
    "task_definition_parameters.html#network_mode"
)
LAUNCH_TYPES = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
    "task_definition_parameters.html#requires_compatibilities"
)
ESSENTIAL = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
    "task_definition_parameters.html#container_definition_environment"
)
EXECUTION_ROLE = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"
)
RUNTIME_PLATFORM = (
    "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RuntimePlatform.html"
)

_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
# [0-9], not \d: ECS refuses other scripts' digits ("٢٥٦"), which \d and int() accept. Bounded
# so that int() and messages never meet a huge number (no task has a billion CPU units or MiB).
_CPU_VCPU = re.compile(r"\s*([0-9]{1,9}(?:\.[0-9]{1,9})?|\.[0-9]{1,9})\s*vcpu\s*", re.IGNORECASE)
_MEMORY_GB = re.compile(r"\s*([0-9]{1,9}(?:\.[0-9]{1,9})?|\.[0-9]{1,9})\s*gb\s*", re.IGNORECASE)
_INTEGER = re.compile(r"\s*[0-9]{1,12}\s*")


def validate(text: str) -> Result:
    result = Result()
    try:
        doc = parse_json(text)
    except JsonSyntaxError as exc:
        result.error(exc.message, (exc.line, exc.column), API)
        return result
    task = doc.value
    if not isinstance(task, dict):
        result.error(f"A task definition is a JSON object, not {json_type(task)}.", doc.at(), API)
        return result
    _check_family(task, doc, result)
    _check_compatibilities(task, doc, result)
    _check_network_mode(task, doc, result)
    cpu, memory = _check_task_size(task, doc, result)
    containers = _check_containers(task, doc, result, cpu, memory)
    _check_execution_role(task, doc, result, containers)
    result.info.update(_info(task, cpu, memory, containers))
    return result


def _check_family(task: dict[str, Any], doc: JsonDocument, result: Result) -> None:
    family = task.get("family")
    if family is None:
        result.error("ClientException: Family should not be null or empty.", doc.at(), API)
    elif not isinstance(family, str) or not _NAME.fullmatch(family):
        result.error(
            "ClientException: Family must be up to 255 letters (uppercase and lowercase), "
            "numbers, hyphens, and underscores.",
            doc.at("family"),
            API,
        )


def _check_compatibilities(task: dict[str, Any], doc: JsonDocument, result: Result) -> None:
    compat = task.get("requiresCompatibilities")
    if compat is None:
        result.error(
            "Task definition does not support launch_type FARGATE: add "
            '"requiresCompatibilities": ["FARGATE"] so ECS validates it for Fargate.',
            doc.at(),
            LAUNCH_TYPES,
        )
        return
    if not isinstance(compat, list) or not all(isinstance(item, str) for item in compat):
        result.error(
            "requiresCompatibilities must be an array of strings (EC2, FARGATE, EXTERNAL, "
            "MANAGED_INSTANCES).",
            doc.at("requiresCompatibilities"),
            API,
        )
        return
    for index, item in enumerate(compat):
        if item not in {"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"}:
            result.error(
                f"ClientException: Invalid compatibility '{item}'; valid values are EC2, "
                "FARGATE, EXTERNAL and MANAGED_INSTANCES.",
                doc.at("requiresCompatibilities", index),
                API,
            )
    if "FARGATE" not in compat:
        result.error(
            "Task definition does not support launch_type FARGATE: requiresCompatibilities "
            "must include FARGATE.",
            doc.at("requiresCompatibilities"),
            LAUNCH_TYPES,
        )


def _check_network_mode(task: dict[str, Any], doc: JsonDocument, result: Result) -> None:
    mode = task.get("networkMode")
    if mode == "awsvpc":
        return
    where = doc.at("networkMode") if "networkMode" in task else doc.at()
    shown = "none given" if mode is None else repr(mode)
    result.error(
        f"ClientException: Fargate only supports network mode 'awsvpc' ({shown}).",
        where,
        NETWORK_MODE,
    )


def parse_cpu(value: object) -> int | None:
    """CPU units from 1024, "1024", "1 vCPU" or "0.25 vcpu"; None if it is none of those."""
    if is_int(value):
        return value  # type: ignore[return-value]
    if not isinstance(value, str):
        return None
    if _INTEGER.fullmatch(value):
        return int(value)
    match = _CPU_VCPU.fullmatch(value)
    if match:
        units = Decimal(match.group(1)) * 1024
        if units == units.to_integral_value():
            return int(units)
    return None


def parse_memory(value: object) -> int | None:
    """MiB from 1024, "1024", "1GB" or "1 GB"; None if it is none of those."""
    if is_int(value):
        return value  # type: ignore[return-value]
    if not isinstance(value, str):
        return None
    if _INTEGER.fullmatch(value):
        return int(value)
    match = _MEMORY_GB.fullmatch(value)
    if match:
        mib = Decimal(match.group(1)) * 1024
        if mib == mib.to_integral_value():
            return int(mib)
    return None


def _check_task_size(
    task: dict[str, Any], doc: JsonDocument, result: Result
) -> tuple[int | None, int | None]:
    cpu = memory = None
    for name in ("cpu", "memory"):
        if name not in task:
            result.error(
                f"ClientException: Fargate requires that '{name}' be defined at the task level.",
                doc.at(),
                fargate.SOURCE,
            )
    if "cpu" in task:
        cpu = parse_cpu(task["cpu"])
        if cpu is None or cpu not in fargate.TASK_SIZES:
            result.error(
                f"ClientException: Invalid 'cpu' setting for task: {task['cpu']!r}. Fargate "
                "accepts 256 (.25 vCPU), 512 (.5 vCPU), 1024 (1 vCPU), 2048 (2 vCPU), 4096 "
                "(4 vCPU), 8192 (8 vCPU) or 16384 (16 vCPU) CPU units, as an integer or as a "
                'string such as "1024" or "1 vCPU".',
                doc.at("cpu"),
                fargate.SOURCE,
            )
            cpu = None
    if "memory" in task:
        memory = parse_memory(task["memory"])
        if memory is None or memory <= 0:
            result.error(
                f"ClientException: Invalid 'memory' setting for task: {task['memory']!r}. "
                'Give MiB as an integer (1024) or GB as a string ("1GB" or "1 GB").',
                doc.at("memory"),
                fargate.SOURCE,
            )
            memory = None
    if cpu is not None and memory is not None and not fargate.is_valid(cpu, memory):
        result.error(
            f"ClientException: No Fargate configuration exists for given values: {cpu} CPU, "
            f"{memory} memory. With {cpu} CPU ({fargate.vcpu_text(cpu)}) the memory must be "
            f"{fargate.describe_memory(cpu)}.",
            doc.at("memory"),
            fargate.SOURCE,
        )
    if cpu is not None:
        _check_runtime_platform(task, doc, result, cpu)
    return cpu, memory


def _check_runtime_platform(
    task: dict[str, Any], doc: JsonDocument, result: Result, cpu: int
) -> None:
    platform = task.get("runtimePlatform")
    if platform is None:
        return
    if not isinstance(platform, dict):
        result.error("runtimePlatform must be an object.", doc.at("runtimePlatform"), API)
        return
    family = platform.get("operatingSystemFamily", "LINUX")
    arch = platform.get("cpuArchitecture", "X86_64")
    if arch not in ("X86_64", "ARM64"):
        result.error(
            f"ClientException: Invalid cpuArchitecture {arch!r}; valid values are X86_64 and "
            "ARM64.",
            doc.at("runtimePlatform", "cpuArchitecture"),
            RUNTIME_PLATFORM,
        )
    if isinstance(family, str) and family.startswith("WINDOWS"):
        if cpu not in fargate.WINDOWS_CPU:
            result.error(
                f"ClientException: No Fargate configuration exists for given values: {cpu} CPU "
                "with Windows containers; Windows on Fargate takes 1024, 2048 or 4096 CPU.",
                doc.at("cpu"),
                fargate.SOURCE,
            )
        if arch == "ARM64":
            result.error(
                "ClientException: Windows containers on Fargate run only on X86_64.",
                doc.at("runtimePlatform", "cpuArchitecture"),
                RUNTIME_PLATFORM,
            )


def _port(value: object) -> bool:
    return is_int(value) and 0 <= value <= 65535  # type: ignore[operator]


def _check_containers(
    task: dict[str, Any],
    doc: JsonDocument,
    result: Result,
    task_cpu: int | None,
    task_memory: int | None,
) -> list[dict[str, Any]]:
    containers = task.get("containerDefinitions")
    if not isinstance(containers, list) or not containers:
        where = doc.at("containerDefinitions") if "containerDefinitions" in task else doc.at()
        result.error("ClientException: Container list cannot be empty.", where, API)
        return []
    good: list[dict[str, Any]] = []
    names: set[str] = set()
    cpu_total = memory_total = 0
    essential_any = False
    for index, container in enumerate(containers):
        here = ("containerDefinitions", index)
        if not isinstance(container, dict):
            result.error(
                f"containerDefinitions[{index}] must be an object, not {json_type(container)}.",
                doc.at(*here),
                CONTAINER,
            )
            continue
        good.append(container)
        name = container.get("name")
        label = name if isinstance(name, str) and name else f"#{index + 1}"
        if not isinstance(name, str) or not name:
            result.error(
                "ClientException: Container.name should not be null or empty.",
                doc.at(*here, "name"),
                CONTAINER,
            )
        elif not _NAME.fullmatch(name):
            result.error(
                f"ClientException: Container name '{name}' must be up to 255 letters "
                "(uppercase and lowercase), numbers, underscores, and hyphens.",
                doc.at(*here, "name"),
                CONTAINER,
            )
        elif name in names:
            result.error(
                f"ClientException: Duplicate container name '{name}': container names must be "
                "unique within a task definition.",
                doc.at(*here, "name"),
                CONTAINER,
            )
        else:
            names.add(name)
        image = container.get("image")
        if not isinstance(image, str) or not image.strip():
            result.error(
                f"ClientException: Container.image should not be null or empty (container "
                f"{label}).",
                doc.at(*here, "image"),
                CONTAINER,
            )
        essential = container.get("essential", True)
        if not isinstance(essential, bool):
            result.error(
                f"essential must be true or false (container {label}).",
                doc.at(*here, "essential"),
                CONTAINER,
            )
        elif essential:
            essential_any = True
        cpu_total += _container_number(container, "cpu", here, doc, result, label, 0)
        memory = _container_number(container, "memory", here, doc, result, label, 1)
        reservation = _container_number(container, "memoryReservation", here, doc, result, label, 1)
        memory_total += memory or reservation
        if memory and reservation and reservation > memory:
            result.error(
                f"ClientException: Invalid setting for container '{label}'. 'memory' must be "
                f"greater than or equal to 'memoryReservation' ({memory} < {reservation}).",
                doc.at(*here, "memoryReservation"),
                CONTAINER,
            )
        if memory and memory < 6:
            result.warn(
                f"Container {label}: Docker 20.10 and later reserves at least 6 MiB of memory "
                f"for a container, so a {memory} MiB limit will not start.",
                doc.at(*here, "memory"),
                CONTAINER,
            )
        _check_ports(container, here, doc, result, label)
    if good and not essential_any:
        result.error(
            "ClientException: A task definition must have at least one essential container "
            "(essential defaults to true when omitted).",
            doc.at("containerDefinitions"),
            ESSENTIAL,
        )
    if task_cpu is not None and cpu_total > task_cpu:
        result.error(
            f"ClientException: The sum of the containers' cpu ({cpu_total}) is greater than the "
            f"task cpu ({task_cpu}).",
            doc.at("cpu"),
            CONTAINER,
        )
    if task_memory is not None and memory_total > task_memory:
        result.error(
            f"ClientException: The total amount of memory reserved for all containers "
            f"({memory_total} MiB) must be lower than the task memory value ({task_memory} MiB).",
            doc.at("memory"),
            CONTAINER,
        )
    return good


def _container_number(
    container: dict[str, Any],
    key: str,
    here: tuple[str | int, ...],
    doc: JsonDocument,
    result: Result,
    label: str,
    minimum: int,
) -> int:
    if key not in container or container[key] is None:
        return 0
    value = container[key]
    if not is_int(value) or value < minimum:
        result.error(
            f"ClientException: Invalid '{key}' setting for container '{label}': expected an "
            f"integer of at least {minimum}, got {json_type(value)} {value!r}.",
            doc.at(*here, key),
            CONTAINER,
        )
        return 0
    return value


def _check_ports(
    container: dict[str, Any],
    here: tuple[str | int, ...],
    doc: JsonDocument,
    result: Result,
    label: str,
) -> None:
    mappings = container.get("portMappings")
    if mappings is None:
        return
    if not isinstance(mappings, list):
        result.error(
            f"portMappings must be an array (container {label}).",
            doc.at(*here, "portMappings"),
            PORT_MAPPING,
        )
        return
    for index, mapping in enumerate(mappings):
        at = (*here, "portMappings", index)
        if not isinstance(mapping, dict):
            result.error(
                f"portMappings[{index}] must be an object (container {label}).",
                doc.at(*at),
                PORT_MAPPING,
            )
            continue
        container_port = mapping.get("containerPort")
        host_port = mapping.get("hostPort")
        for key in ("containerPort", "hostPort"):
            if key in mapping and not _port(mapping[key]):
                result.error(
                    f"ClientException: Invalid {key} {mapping[key]!r} for container '{label}': "
                    "port numbers are integers from 0 to 65535.",
                    doc.at(*at, key),
                    PORT_MAPPING,
                )
        if "containerPort" not in mapping and "containerPortRange" not in mapping:
            result.error(
                f"ClientException: A port mapping for container '{label}' needs a "
                "containerPort (or a containerPortRange).",
                doc.at(*at),
                PORT_MAPPING,
            )
        if (
            host_port is not None
            and _port(host_port)
            and _port(container_port)
            and host_port != container_port
        ):
            result.error(
                "ClientException: When networkMode=awsvpc, the host ports and container ports "
                f"in port mappings must match ({host_port} != {container_port}).",
                doc.at(*at, "hostPort"),
                PORT_MAPPING,
            )
        protocol = mapping.get("protocol", "tcp")
        if protocol not in ("tcp", "udp"):
            result.error(
                f"ClientException: Invalid protocol {protocol!r} for container '{label}': "
                "valid values are tcp and udp.",
                doc.at(*at, "protocol"),
                PORT_MAPPING,
            )


def _check_execution_role(
    task: dict[str, Any],
    doc: JsonDocument,
    result: Result,
    containers: list[dict[str, Any]],
) -> None:
    if task.get("executionRoleArn"):
        return
    for index, container in enumerate(containers):
        log = container.get("logConfiguration")
        if isinstance(log, dict) and log.get("logDriver") == "awslogs":
            result.error(
                "ClientException: Fargate requires task definition to have execution role ARN "
                "to support log driver awslogs.",
                doc.at("containerDefinitions", index, "logConfiguration"),
                EXECUTION_ROLE,
            )
            return
    for index, container in enumerate(containers):
        image = container.get("image")
        if isinstance(image, str) and ".dkr.ecr." in image:
            result.warn(
                "The image is in a private Amazon ECR repository but the task definition has no "
                "executionRoleArn: Fargate needs a task execution role to pull it.",
                doc.at("containerDefinitions", index, "image"),
                EXECUTION_ROLE,
            )
            return


def _info(
    task: dict[str, Any],
    cpu: int | None,
    memory: int | None,
    containers: list[dict[str, Any]],
) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if isinstance(task.get("family"), str):
        info["family"] = task["family"]
    if cpu is not None:
        info["cpu"] = cpu
        info["vcpu"] = float(Decimal(cpu) / 1024)
        if cpu in fargate.PLATFORM_1_4_0_CPU:
            info["platform_version"] = "1.4.0 or later (Linux)"
    if memory is not None:
        info["memory_mib"] = memory
        info["memory_gb"] = float(Decimal(memory) / 1024)
    summary = []
    for container in containers:
        ports = []
        for mapping in container.get("portMappings") or []:
            if isinstance(mapping, dict) and _port(mapping.get("containerPort")):
                protocol = mapping.get("protocol", "tcp")
                ports.append({"port": mapping["containerPort"], "protocol": protocol})
        summary.append(
            {
                "name": container.get("name"),
                "image": container.get("image"),
                "essential": container.get("essential", True),
                "ports": ports,
            }
        )
    info["containers"] = summary
    info["container_ports"] = sorted({port["port"] for item in summary for port in item["ports"]})
    return info
