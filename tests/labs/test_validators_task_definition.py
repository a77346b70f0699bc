"""ECS task definitions for Fargate: RegisterTaskDefinition's rules and the task-size table."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from course.labs.validators import fargate
from course.labs.validators.task_definition import parse_cpu, parse_memory

from .helpers import check, dumps, find, messages, position

KIND = "ecs-task-definition"


def task(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "family": "web",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        "containerDefinitions": [
            {
                "name": "web",
                "image": "public.ecr.aws/nginx/nginx:1.27",
                "essential": True,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            }
        ],
    }
    base.update(changes)
    return base


def container(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(task()["containerDefinitions"][0])
    result.update(changes)
    return result


ALL_VALID = [(cpu, memory) for cpu, sizes in fargate.TASK_SIZES.items() for memory in sizes]


def test_the_table_has_every_combination_aws_lists():
    assert len(ALL_VALID) == 3 + 4 + 7 + 13 + 23 + 12 + 12
    assert fargate.TASK_SIZES[8192][0] == 16 * 1024 and fargate.TASK_SIZES[8192][-1] == 60 * 1024
    assert fargate.TASK_SIZES[16384][0] == 32 * 1024
    assert fargate.TASK_SIZES[16384][-1] == 120 * 1024


def test_the_table_agrees_with_the_price_model():
    from course import pricing

    ours = {
        fargate.format_number(fargate.to_decimal(str(cpu)) / 1024): [m / 1024 for m in sizes]
        for cpu, sizes in fargate.TASK_SIZES.items()
    }
    theirs = {
        fargate.format_number(vcpu): [float(gb) for gb in sizes]
        for vcpu, sizes in pricing.FARGATE_TASK_SIZES
    }
    assert ours == theirs


@pytest.mark.parametrize(("cpu", "memory"), ALL_VALID)
def test_every_valid_fargate_combination_is_accepted(cpu, memory):
    data = check(KIND, dumps(task(cpu=str(cpu), memory=str(memory))))
    assert data["valid"], messages(data)
    assert data["info"]["cpu"] == cpu
    assert data["info"]["memory_mib"] == memory


def _invalid_neighbours() -> list[tuple[int, int]]:
    pairs = set()
    for cpu, sizes in fargate.TASK_SIZES.items():
        step = sizes[1] - sizes[0]
        for candidate in (sizes[0] - step, sizes[-1] + step, sizes[0] + 512, sizes[0] - 1):
            if candidate > 0 and not fargate.is_valid(cpu, candidate):
                pairs.add((cpu, candidate))
    return sorted(pairs)


@pytest.mark.parametrize(("cpu", "memory"), _invalid_neighbours())
def test_neighbours_of_the_valid_range_are_refused(cpu, memory):
    data = check(KIND, dumps(task(cpu=str(cpu), memory=str(memory))))
    assert not data["valid"]
    assert f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory" in (
        messages(data)
    )


@pytest.mark.parametrize("cpu", [0, 128, 300, 1000, 3072, 32768, -256])
def test_cpu_values_outside_the_table_are_refused(cpu):
    data = check(KIND, dumps(task(cpu=str(cpu))))
    assert "Invalid 'cpu' setting for task" in messages(data)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("1024", 1024),
        (1024, 1024),
        ("1 vCPU", 1024),
        ("1 vcpu", 1024),
        ("0.25 vCPU", 256),
        (".5 vCPU", 512),
        ("16 vCPU", 16384),
        ("2vCPU", 2048),
        ("0.3 vCPU", None),
        ("one", None),
        (True, None),
        (1.5, None),
        ("1024 MiB", None),
    ],
)
def test_cpu_units_and_vcpu_strings(text, units):
    assert parse_cpu(text) == units


@pytest.mark.parametrize(
    ("text", "mib"),
    [
        ("512", 512),
        (2048, 2048),
        ("1GB", 1024),
        ("1 GB", 1024),
        ("0.5GB", 512),
        ("0.5 gb", 512),
        ("120 GB", 122880),
        ("1.3GB", None),
        ("1024 MiB", None),
        (None, None),
    ],
)
def test_memory_mib_and_gb_strings(text, mib):
    assert parse_memory(text) == mib


def test_unit_strings_are_accepted_in_the_document():
    data = check(KIND, dumps(task(cpu="1 vCPU", memory="2 GB")))
    assert data["valid"], messages(data)
    assert data["info"]["vcpu"] == 1.0 and data["info"]["memory_gb"] == 2.0


def test_a_numeric_cpu_and_memory_are_accepted():
    data = check(KIND, dumps(task(cpu=512, memory=1024)))
    assert data["valid"], messages(data)


def test_aws_documented_message_for_a_bad_combination_points_at_memory():
    text = dumps(task(cpu="512", memory="8192"))
    data = check(KIND, text)
    issue = find(data, "No Fargate configuration exists")
    assert issue["message"].startswith("ClientException: No Fargate configuration exists")
    assert "1024, 2048, 3072, 4096 MiB" in issue["message"]
    line = text.splitlines()[issue["line"] - 1]
    assert line[issue["column"] - 1 :].startswith('"8192"')


def test_8_and_16_vcpu_note_the_platform_version():
    data = check(KIND, dumps(task(cpu="8192", memory="16384")))
    assert data["info"]["platform_version"] == "1.4.0 or later (Linux)"


def test_windows_needs_at_least_one_vcpu():
    text = dumps(task(runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}))
    assert "Windows" in messages(check(KIND, text))
    ok = task(
        cpu="1024",
        memory="2048",
        runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"},
    )
    assert check(KIND, dumps(ok))["valid"]


def test_missing_cpu_and_memory_are_errors():
    document = task()
    del document["cpu"], document["memory"]
    text = messages(check(KIND, dumps(document)))
    assert "Fargate requires that 'cpu' be defined at the task level" in text
    assert "Fargate requires that 'memory' be defined at the task level" in text


def test_requires_compatibilities_must_include_fargate():
    data = check(KIND, dumps(task(requiresCompatibilities=["EC2"])))
    assert "does not support launch_type FARGATE" in messages(data)
    document = task()
    del document["requiresCompatibilities"]
    assert "does not support launch_type FARGATE" in messages(check(KIND, dumps(document)))
    assert check(KIND, dumps(task(requiresCompatibilities=["EC2", "FARGATE"])))["valid"]


def test_network_mode_must_be_awsvpc():
    text = dumps(task(networkMode="bridge"))
    data = check(KIND, text)
    issue = find(data, "Fargate only supports network mode 'awsvpc'")
    assert text.splitlines()[issue["line"] - 1].strip().startswith('"networkMode": "bridge"')
    document = task()
    del document["networkMode"]
    assert "awsvpc" in messages(check(KIND, dumps(document)))


def test_family_is_required():
    document = task()
    del document["family"]
    assert "Family" in messages(check(KIND, dumps(document)))
    assert "Family" in messages(check(KIND, dumps(task(family="my app!"))))


def test_container_definitions_must_not_be_empty():
    assert "Container list cannot be empty" in messages(
        check(KIND, dumps(task(containerDefinitions=[])))
    )
    document = task()
    del document["containerDefinitions"]
    assert "Container list cannot be empty" in messages(check(KIND, dumps(document)))


def test_each_container_needs_a_name_and_an_image():
    text = messages(check(KIND, dumps(task(containerDefinitions=[{"essential": True}]))))
    assert "Container.name should not be null or empty" in text
    assert "Container.image should not be null or empty" in text


def test_container_names_are_unique():
    text = dumps(task(containerDefinitions=[container(), container(portMappings=[])]))
    assert "Duplicate container name 'web'" in messages(check(KIND, text))


def test_essential_defaults_to_true():
    only = container()
    del only["essential"]
    assert check(KIND, dumps(task(containerDefinitions=[only])))["valid"]


def test_at_least_one_container_is_essential():
    data = check(KIND, dumps(task(containerDefinitions=[container(essential=False)])))
    assert "at least one essential container" in messages(data)
    two = [container(essential=False), container(name="sidecar", portMappings=[])]
    assert check(KIND, dumps(task(containerDefinitions=two)))["valid"]


@pytest.mark.parametrize("host_port", [None, 80])
def test_host_port_omitted_or_equal_is_fine(host_port):
    mapping: dict[str, Any] = {"containerPort": 80}
    if host_port is not None:
        mapping["hostPort"] = host_port
    text = dumps(task(containerDefinitions=[container(portMappings=[mapping])]))
    assert check(KIND, text)["valid"]


def test_host_port_must_equal_container_port_in_awsvpc():
    mapping = {"containerPort": 80, "hostPort": 8080}
    text = dumps(task(containerDefinitions=[container(portMappings=[mapping])]))
    data = check(KIND, text)
    issue = find(data, "host ports and container ports in port mappings must match")
    line = text.splitlines()[issue["line"] - 1]
    assert line[issue["column"] - 1 :].startswith('"hostPort"') or line[
        issue["column"] - 1 :
    ].startswith("8080")


@pytest.mark.parametrize("port", [-1, 65536, 100000, "80", 8.5])
def test_port_numbers_are_0_to_65535(port):
    text = dumps(task(containerDefinitions=[container(portMappings=[{"containerPort": port}])]))
    assert "port numbers are integers from 0 to 65535" in messages(check(KIND, text))


@pytest.mark.parametrize(("protocol", "ok"), [("tcp", True), ("udp", True), ("http", False)])
def test_protocol_is_tcp_or_udp(protocol, ok):
    mapping = {"containerPort": 53, "protocol": protocol}
    text = dumps(task(containerDefinitions=[container(portMappings=[mapping])]))
    assert check(KIND, text)["valid"] is ok


def test_container_cpu_sum_cannot_exceed_task_cpu():
    two = [container(cpu=200), container(name="b", cpu=100, portMappings=[])]
    data = check(KIND, dumps(task(containerDefinitions=two)))
    assert "sum of the containers' cpu (300)" in messages(data)
    fits = [container(cpu=128), container(name="b", cpu=128, portMappings=[])]
    assert check(KIND, dumps(task(containerDefinitions=fits)))["valid"]


def test_container_memory_sum_cannot_exceed_task_memory():
    two = [container(memory=400), container(name="b", memoryReservation=200, portMappings=[])]
    data = check(KIND, dumps(task(containerDefinitions=two)))
    assert "(600 MiB) must be lower than the task memory value (512 MiB)" in messages(data)


def test_memory_reservation_cannot_exceed_memory():
    data = check(
        KIND, dumps(task(containerDefinitions=[container(memory=256, memoryReservation=300)]))
    )
    assert "'memory' must be greater than or equal to 'memoryReservation'" in messages(data)
    ok = task(containerDefinitions=[container(memory=256, memoryReservation=256)])
    assert check(KIND, dumps(ok))["valid"]


def test_awslogs_needs_an_execution_role():
    log = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}}
    document = task(containerDefinitions=[container(logConfiguration=log)])
    del document["executionRoleArn"]
    data = check(KIND, dumps(document))
    assert "execution role ARN to support log driver awslogs" in messages(data)


def test_private_ecr_image_without_execution_role_is_a_warning():
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.0"
    document = task(containerDefinitions=[container(image=image)])
    del document["executionRoleArn"]
    data = check(KIND, dumps(document))
    assert data["valid"]
    assert "task execution role" in messages(data, "warnings")


def test_info_lists_containers_and_ports():
    info = check(KIND, dumps(task()))["info"]
    assert info["family"] == "web"
    assert info["containers"][0]["ports"] == [{"port": 80, "protocol": "tcp"}]
    assert info["container_ports"] == [80]
    assert info["vcpu"] == 0.25 and info["memory_gb"] == 0.5


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"family": "web",\n  "cpu": 256,,\n}', 2, 14),
        ("{", 1, 2),
        ("", 1, 1),
        ('{"cpu": NaN}', 1, 9),
    ],
)
def test_malformed_json_gives_the_decoders_position(text, line, column):
    data = check(KIND, text)
    assert not data["valid"]
    assert data["errors"][0]["message"].startswith("Invalid JSON")
    assert position(data) == (line, column)


@pytest.mark.parametrize("text", ["[]", '"task"', "42", "null"])
def test_a_non_object_document_is_an_error(text):
    assert "JSON object" in messages(check(KIND, text))


def test_positions_point_at_keys_in_nested_containers():
    text = dumps(task(containerDefinitions=[container(), container(name="two", image="")]))
    issue = find(check(KIND, text), "Container.image should not be null or empty")
    line = text.splitlines()[issue["line"] - 1]
    assert line[issue["column"] - 1 :].startswith('""')
