"""An Amazon ECR lifecycle policy, checked as PutLifecyclePolicy would check it.

Error messages follow ECR's "Lifecycle policy validation failure: ..." wording. Info lists the
rules in the order ECR applies them (lowest rulePriority first), each summed up in plain English.
"""

from __future__ import annotations

from typing import Any

from .base import Result, is_int, json_type
from .jsonpos import JsonDocument, JsonSyntaxError, parse_json

PROPERTIES = (
    "https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html"
)
EVALUATION = (
    "https://docs.aws.amazon.com/AmazonECR/latest/userguide/"
    "LifecyclePolicies.html#lp_evaluation_rules"
)
ARCHIVE = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/archive-image.html"
EXAMPLES = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html"

TAG_STATUSES = ("tagged", "untagged", "any")
COUNT_TYPES = (
    "imageCountMoreThan",
    "sinceImagePushed",
    "sinceImagePulled",
    "sinceImageTransitioned",
)
AGE_COUNT_TYPES = COUNT_TYPES[1:]
STORAGE_CLASSES = ("standard", "archive")
ACTIONS = ("expire", "transition")
MAX_WILDCARDS = 4
ARCHIVE_MINIMUM_DAYS = 90

_PREFIX = "Lifecycle policy validation failure: "


def validate(text: str) -> Result:
    result = Result()
    try:
        doc = parse_json(text)
    except JsonSyntaxError as exc:
        result.error(_PREFIX + exc.message, (exc.line, exc.column), PROPERTIES)
        return result
    policy = doc.value
    if not isinstance(policy, dict):
        result.error(
            _PREFIX + f"a lifecycle policy is a JSON object, not {json_type(policy)}.",
            doc.at(),
            EXAMPLES,
        )
        return result
    rules = policy.get("rules")
    if not isinstance(rules, list) or not rules:
        where = doc.at("rules") if "rules" in policy else doc.at()
        result.error(_PREFIX + 'the policy needs a non-empty "rules" array.', where, EXAMPLES)
        return result
    checked: list[tuple[int, dict[str, Any]]] = []
    priorities: dict[int, int] = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            result.error(
                _PREFIX + f"rules[{index}] must be an object, not {json_type(rule)}.",
                doc.at("rules", index),
                EXAMPLES,
            )
            continue
        if _check_rule(rule, index, doc, result):
            checked.append((index, rule))
        priority = rule.get("rulePriority")
        if is_int(priority):
            if priority in priorities:
                result.error(
                    _PREFIX + f"rulePriority {priority} is used by more than one rule; each "
                    "rule needs a unique rulePriority.",
                    doc.at("rules", index, "rulePriority"),
                    PROPERTIES,
                )
            else:
                priorities[priority] = index
    _check_any_last(checked, doc, result)
    _check_untagged_once(checked, doc, result)
    ordered = sorted(checked, key=lambda pair: pair[1]["rulePriority"])
    result.info["rules"] = [
        {
            "rulePriority": rule["rulePriority"],
            "description": rule.get("description", ""),
            "summary": summarise(rule),
        }
        for _, rule in ordered
    ]
    return result


def _check_rule(rule: dict[str, Any], index: int, doc: JsonDocument, result: Result) -> bool:
    """Check one rule; True when it is complete enough to summarise and order."""
    at = ("rules", index)
    ok = True
    priority = rule.get("rulePriority")
    if "rulePriority" not in rule:
        result.error(
            _PREFIX + f"rules[{index}] is missing required property rulePriority.",
            doc.at(*at),
            PROPERTIES,
        )
        ok = False
    elif not is_int(priority) or priority < 1:
        result.error(
            _PREFIX + f"rulePriority must be an integer of 1 or more, not {priority!r}.",
            doc.at(*at, "rulePriority"),
            PROPERTIES,
        )
        ok = False
    if "description" in rule and not isinstance(rule["description"], str):
        result.error(
            _PREFIX + "description must be a string.", doc.at(*at, "description"), PROPERTIES
        )
    selection = rule.get("selection")
    if not isinstance(selection, dict):
        result.error(
            _PREFIX + f"rules[{index}] needs a selection object.",
            doc.at(*at, "selection"),
            PROPERTIES,
        )
        ok = False
    elif not _check_selection(selection, (*at, "selection"), doc, result):
        ok = False
    action = rule.get("action")
    if not isinstance(action, dict):
        result.error(
            _PREFIX + f'rules[{index}] needs an action object, such as {{"type": "expire"}}.',
            doc.at(*at, "action"),
            PROPERTIES,
        )
        return False
    kind = action.get("type")
    if kind not in ACTIONS:
        result.error(
            _PREFIX + f'action type {kind!r} is not valid; use "expire" (or "transition" to '
            "archive).",
            doc.at(*at, "action", "type"),
            PROPERTIES,
        )
        return False
    if kind == "transition" and action.get("targetStorageClass") != "archive":
        result.error(
            _PREFIX + 'a "transition" action needs "targetStorageClass": "archive".',
            doc.at(*at, "action", "targetStorageClass"),
            ARCHIVE,
        )
        ok = False
    if kind == "expire" and "targetStorageClass" in action:
        result.error(
            _PREFIX + 'targetStorageClass is only used with "type": "transition".',
            doc.at(*at, "action", "targetStorageClass"),
            PROPERTIES,
        )
    if ok and isinstance(selection, dict):
        _check_archive_minimum(selection, kind, at, doc, result)
    return ok


def _check_selection(
    selection: dict[str, Any], at: tuple[str | int, ...], doc: JsonDocument, result: Result
) -> bool:
    ok = True
    status = selection.get("tagStatus")
    if status not in TAG_STATUSES:
        result.error(
            _PREFIX + f"tagStatus {status!r} is not valid; use tagged, untagged or any.",
            doc.at(*at, "tagStatus"),
            PROPERTIES,
        )
        ok = False
    lists = [key for key in ("tagPrefixList", "tagPatternList") if key in selection]
    for key in lists:
        value = selection[key]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) and item for item in value)
        ):
            result.error(
                _PREFIX + f"{key} must be a non-empty array of non-empty strings.",
                doc.at(*at, key),
                PROPERTIES,
            )
            ok = False
    if status == "tagged" and not lists:
        result.error(
            _PREFIX + 'with "tagStatus": "tagged" you must also specify a tagPrefixList or a '
            "tagPatternList.",
            doc.at(*at, "tagStatus"),
            PROPERTIES,
        )
        ok = False
    if status == "untagged" and lists:
        result.error(
            _PREFIX + f'with "tagStatus": "untagged" you must omit {" and ".join(lists)}.',
            doc.at(*at, lists[0]),
            PROPERTIES,
        )
        ok = False
    if status == "any" and lists:
        result.warn(
            f'{" and ".join(lists)} is only used with "tagStatus": "tagged"; this rule selects '
            "every image regardless.",
            doc.at(*at, lists[0]),
            PROPERTIES,
        )
    if len(lists) == 2:
        result.warn(
            "Use either tagPrefixList or tagPatternList in a rule, not both.",
            doc.at(*at, "tagPatternList"),
            PROPERTIES,
        )
    patterns = selection.get("tagPatternList")
    if isinstance(patterns, list):
        for position, pattern in enumerate(patterns):
            if isinstance(pattern, str) and pattern.count("*") > MAX_WILDCARDS:
                result.error(
                    _PREFIX + f"tag pattern {pattern!r} has {pattern.count('*')} wildcards; "
                    f"each string can use at most {MAX_WILDCARDS}.",
                    doc.at(*at, "tagPatternList", position),
                    PROPERTIES,
                )
                ok = False
    storage = selection.get("storageClass", "standard")
    if storage not in STORAGE_CLASSES:
        result.error(
            _PREFIX + f"storageClass {storage!r} is not valid; use standard or archive.",
            doc.at(*at, "storageClass"),
            ARCHIVE,
        )
        ok = False
    count_type = selection.get("countType")
    if count_type not in COUNT_TYPES:
        result.error(
            _PREFIX + f"countType {count_type!r} is not valid; use imageCountMoreThan or "
            "sinceImagePushed (or sinceImagePulled, sinceImageTransitioned).",
            doc.at(*at, "countType"),
            PROPERTIES,
        )
        ok = False
    number = selection.get("countNumber")
    if not is_int(number) or number < 1:
        result.error(
            _PREFIX + f"countNumber must be a positive integer (0 is not accepted), not "
            f"{number!r}.",
            doc.at(*at, "countNumber"),
            PROPERTIES,
        )
        ok = False
    unit = selection.get("countUnit")
    if count_type in AGE_COUNT_TYPES and unit != "days":
        result.error(
            _PREFIX + f'with "countType": "{count_type}" you must specify "countUnit": "days".',
            doc.at(*at, "countUnit"),
            PROPERTIES,
        )
        ok = False
    if count_type == "imageCountMoreThan" and "countUnit" in selection:
        result.error(
            _PREFIX + 'countUnit is only used with an age countType such as "sinceImagePushed"; '
            'remove it from an "imageCountMoreThan" rule.',
            doc.at(*at, "countUnit"),
            PROPERTIES,
        )
        ok = False
    if count_type == "sinceImageTransitioned" and storage != "archive":
        result.error(
            _PREFIX + '"sinceImageTransitioned" selects archived images: it needs '
            '"storageClass": "archive".',
            doc.at(*at, "countType"),
            ARCHIVE,
        )
        ok = False
    return ok


def _check_archive_minimum(
    selection: dict[str, Any],
    kind: str,
    at: tuple[str | int, ...],
    doc: JsonDocument,
    result: Result,
) -> None:
    if (
        kind == "expire"
        and selection.get("storageClass") == "archive"
        and selection.get("countType") == "sinceImageTransitioned"
        and selection["countNumber"] < ARCHIVE_MINIMUM_DAYS
    ):
        result.error(
            _PREFIX + "archived images have a minimum storage duration of 90 days; a lifecycle "
            f"policy cannot delete them after {selection['countNumber']} days.",
            doc.at(*at, "selection", "countNumber"),
            ARCHIVE,
        )


def _check_any_last(
    checked: list[tuple[int, dict[str, Any]]], doc: JsonDocument, result: Result
) -> None:
    # Rules on archived images (storageClass "archive") form their own set: an "any" rule that
    # archives standard images need not come after the rules that expire archived ones.
    highest: dict[str, int] = {}
    for _, rule in checked:
        storage = rule["selection"].get("storageClass", "standard")
        highest[storage] = max(highest.get(storage, 0), rule["rulePriority"])
    for index, rule in checked:
        top = highest[rule["selection"].get("storageClass", "standard")]
        if rule["selection"].get("tagStatus") == "any" and rule["rulePriority"] != top:
            result.error(
                _PREFIX + f'the rule with "tagStatus": "any" has rulePriority '
                f"{rule['rulePriority']}, but a rule with a tagStatus value of any must have "
                f"the highest value for rulePriority ({top} is higher) and be evaluated "
                "last.",
                doc.at("rules", index, "rulePriority"),
                PROPERTIES,
            )


def _check_untagged_once(
    checked: list[tuple[int, dict[str, Any]]], doc: JsonDocument, result: Result
) -> None:
    seen: set[tuple[str, str]] = set()
    for index, rule in checked:
        selection = rule["selection"]
        if selection.get("tagStatus") != "untagged":
            continue
        key = (selection.get("storageClass", "standard"), rule["action"]["type"])
        if key in seen:
            result.error(
                _PREFIX + "only one rule is allowed to select untagged images.",
                doc.at("rules", index, "selection", "tagStatus"),
                EVALUATION,
            )
        seen.add(key)


def summarise(rule: dict[str, Any]) -> str:
    """One rule in plain English: "Expire untagged images older than 14 days"."""
    selection = rule["selection"]
    status = selection["tagStatus"]
    archived = "archived " if selection.get("storageClass") == "archive" else ""
    if status == "untagged":
        images = f"{archived}untagged images"
    elif status == "any":
        images = f"all {archived}images"
    elif "tagPatternList" in selection:
        tags = " and ".join(selection["tagPatternList"])
        images = f"{archived}images with tags matching {tags}"
    else:
        tags = " and ".join(selection["tagPrefixList"])
        images = f"{archived}images with tags starting with {tags}"
    number = selection["countNumber"]
    days = f"{number} day" + ("" if number == 1 else "s")
    count_type = selection["countType"]
    if count_type == "imageCountMoreThan":
        image_word = "image" if number == 1 else "images"
        condition = f"beyond the {number} most recently pushed {image_word}"
    elif count_type == "sinceImagePushed":
        condition = f"pushed more than {days} ago"
    elif count_type == "sinceImagePulled":
        condition = f"last pulled more than {days} ago"
    else:
        condition = f"archived more than {days} ago"
    verb = "Archive" if rule["action"]["type"] == "transition" else "Expire"
    return f"{verb} {images} {condition}."
