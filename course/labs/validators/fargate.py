"""Fargate's task sizes: the CPU and memory combinations AWS accepts, as data.

Shared by the ECS task definition and the AWS Batch job definition validators (Batch on Fargate
takes the same combinations, its VCPU given in vCPUs rather than CPU units).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

SOURCE = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
    "task_definition_parameters.html#task_size"
)
# "8192 and 16384 CPU require Linux platform version 1.4.0 or later" and they are Linux only;
# Windows containers on Fargate need at least 1 vCPU.
PLATFORM_1_4_0_CPU = frozenset({8192, 16384})
WINDOWS_CPU = frozenset({1024, 2048, 4096})

GB = 1024  # MiB

# CPU units -> the memory sizes (MiB) Fargate pairs with them, exactly as AWS's table lists them.
TASK_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),  # .25 vCPU: 512 MiB, 1 GB, 2 GB
    512: tuple(range(1 * GB, 4 * GB + 1, GB)),  # .5 vCPU: 1-4 GB
    1024: tuple(range(2 * GB, 8 * GB + 1, GB)),  # 1 vCPU: 2-8 GB
    2048: tuple(range(4 * GB, 16 * GB + 1, GB)),  # 2 vCPU: 4-16 GB in 1 GB increments
    4096: tuple(range(8 * GB, 30 * GB + 1, GB)),  # 4 vCPU: 8-30 GB in 1 GB increments
    8192: tuple(range(16 * GB, 60 * GB + 1, 4 * GB)),  # 8 vCPU: 16-60 GB in 4 GB increments
    16384: tuple(range(32 * GB, 120 * GB + 1, 8 * GB)),  # 16 vCPU: 32-120 GB in 8 GB increments
}


def is_valid(cpu_units: int, memory_mib: int) -> bool:
    return memory_mib in TASK_SIZES.get(cpu_units, ())


def describe_memory(cpu_units: int) -> str:
    """The memory choices for a CPU size, in AWS's words ("Between 4096 and 16384 in ...")."""
    sizes = TASK_SIZES[cpu_units]
    if len(sizes) <= 4:
        return ", ".join(str(size) for size in sizes) + " MiB"
    step = sizes[1] - sizes[0]
    return f"between {sizes[0]} and {sizes[-1]} MiB in increments of {step} MiB"


def vcpu_text(cpu_units: int) -> str:
    return f"{format_number(Decimal(cpu_units) / 1024)} vCPU"


def format_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def to_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
