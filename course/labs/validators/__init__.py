"""Pure validators for the hands-on labs' artefacts (no Django).

    from course.labs.validators import validate
    validate("ecs-task-definition", text).as_dict()
    # {"valid": bool, "errors": [{"message", "line", "column", "source"}], "warnings": [...],
    #  "info": {...}}

`valid` is false exactly when AWS (or Docker, for a Dockerfile) would refuse the artefact;
advice it would accept is a warning. Malformed input is an error with a position, never an
exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import batch_job, dockerfile, lifecycle_policy, schedule, task_definition
from .base import Issue, Result
from .dockerfile import exposes

VALIDATORS: dict[str, Callable[..., Result]] = {
    "dockerfile": dockerfile.validate,
    "ecs-task-definition": task_definition.validate,
    "ecr-lifecycle-policy": lifecycle_policy.validate,
    "schedule-expression": schedule.validate,
    "batch-job-definition": batch_job.validate,
}
KINDS = tuple(VALIDATORS)
SOURCES = {
    "dockerfile": dockerfile.REFERENCE,
    "ecs-task-definition": task_definition.API,
    "ecr-lifecycle-policy": lifecycle_policy.PROPERTIES,
    "schedule-expression": schedule.RULES,
    "batch-job-definition": batch_job.API,
}


def validate(kind: str, text: str, **options: Any) -> Result:
    """Validate `text` as `kind`; KeyError for an unknown kind.

    Options: dockerfile takes ``expose_port`` (require that EXPOSE); schedule-expression takes
    ``now`` (an aware datetime; default: the current time, UTC) for its next fire times.
    """
    validator = VALIDATORS[kind]
    try:
        return validator(text, **options)
    except (RecursionError, MemoryError):
        # Pathological input (thousands of nested brackets) must not become a server error.
        result = Result()
        result.error("The input is too deeply nested or too large to check.", (1, 1), SOURCES[kind])
        return result


__all__ = ["KINDS", "Issue", "Result", "exposes", "validate"]
