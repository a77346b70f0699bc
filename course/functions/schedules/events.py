"""The event EventBridge delivers to a function when a scheduled rule fires. Pure: no Django.

Shape from AWS's own sample of a scheduled event ("Using Lambda with scheduled events",
https://docs.aws.amazon.com/lambda/latest/dg/with-scheduled-events.html, and the scheduled rules
of https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html):
version "0", a fresh id, detail-type "Scheduled Event", source "aws.events", the account and
region, ``time`` the scheduled time (not when the target happened to run), the rule's ARN in
``resources``, and an empty ``detail``.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from course.labs.validators.schedule import iso

REGION = "us-east-1"
# EventBridge rule names: 1-64 of [.-_A-Za-z0-9].
_RULE_NAME_UNSAFE = re.compile(r"[^.\-_A-Za-z0-9]")


def account_id(user_id: int) -> str:
    """Each learner is their own AWS account: a 12-digit id made from their user id."""
    return f"{user_id % 10**12:012d}"


def rule_name(function_name: str) -> str:
    suffix = "-schedule"
    base = _RULE_NAME_UNSAFE.sub("-", function_name) or "function"
    return base[: 64 - len(suffix)] + suffix


def scheduled_event(
    *, function_name: str, user_id: int, scheduled_for: datetime, event_id: str | None = None
) -> dict:
    account = account_id(user_id)
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": iso(scheduled_for),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{account}:rule/{rule_name(function_name)}"],
        "detail": {},
    }
