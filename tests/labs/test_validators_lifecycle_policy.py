"""ECR lifecycle policies: the properties page's rules, AWS's documented examples, positions."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import check, dumps, find, messages

KIND = "ecr-lifecycle-policy"


def rule(priority: int = 1, action: str = "expire", **selection: Any) -> dict[str, Any]:
    chosen = {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}
    chosen.update(selection)
    return {"rulePriority": priority, "selection": chosen, "action": {"type": action}}


def policy(*rules: dict[str, Any]) -> str:
    return dumps({"rules": list(rules)})


# The examples on "Examples of lifecycle policies in Amazon ECR".
AGE_EXAMPLE = """{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire images older than 14 days",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["prod*"],
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 14
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}"""
COUNT_EXAMPLE = """{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Keep only one untagged image, expire all others",
            "selection": {
                "tagStatus": "untagged",
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}"""
MULTIPLE_EXAMPLE = """{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Rule 1",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["prod*"],
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {"type": "expire"}
        },
        {
            "rulePriority": 2,
            "description": "Rule 2",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["beta*"],
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {"type": "expire"}
        }
    ]
}"""
PREFIX_EXAMPLE = """{
  "rules": [
    {
      "rulePriority": 1,
      "description": "Rule 1",
      "selection": {
        "tagStatus": "tagged",
        "tagPrefixList": ["alpha", "beta"],
        "countType": "imageCountMoreThan",
        "countNumber": 5
      },
      "action": {"type": "expire"}
    },
    {
      "rulePriority": 2,
      "description": "Rule 2",
      "selection": {
        "tagStatus": "any",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 30
      },
      "action": {"type": "expire"}
    }
  ]
}"""


@pytest.mark.parametrize("text", [AGE_EXAMPLE, COUNT_EXAMPLE, MULTIPLE_EXAMPLE, PREFIX_EXAMPLE])
def test_aws_documented_examples_are_valid(text):
    data = check(KIND, text)
    assert data["valid"], messages(data)
    assert data["warnings"] == []


def test_info_lists_rules_in_priority_order_in_plain_english():
    text = policy(
        rule(5, tagStatus="any", countType="sinceImagePushed", countUnit="days", countNumber=30),
        rule(2, tagStatus="tagged", tagPrefixList=["prod"], countNumber=10),
        rule(3),
    )
    rules = check(KIND, text)["info"]["rules"]
    assert [r["rulePriority"] for r in rules] == [2, 3, 5]
    assert rules[0]["summary"] == (
        "Expire images with tags starting with prod beyond the 10 most recently pushed images."
    )
    assert rules[1]["summary"] == "Expire untagged images beyond the 1 most recently pushed image."
    assert rules[2]["summary"] == "Expire all images pushed more than 30 days ago."


def test_age_example_summary():
    summary = check(KIND, AGE_EXAMPLE)["info"]["rules"][0]["summary"]
    assert summary == "Expire images with tags matching prod* pushed more than 14 days ago."


def test_rule_priorities_must_be_unique():
    data = check(KIND, policy(rule(1), rule(1, tagStatus="tagged", tagPrefixList=["v"])))
    assert "rulePriority 1 is used by more than one rule" in messages(data)


@pytest.mark.parametrize("priority", [0, -1, "1", 1.5, None])
def test_rule_priority_is_an_integer_of_1_or_more(priority):
    assert not check(KIND, policy(rule(priority)))["valid"]  # type: ignore[arg-type]


def test_rule_priority_is_required():
    document = rule()
    del document["rulePriority"]
    assert "missing required property rulePriority" in messages(check(KIND, policy(document)))


def test_priorities_need_not_be_sequential():
    text = policy(rule(10), rule(20, tagStatus="tagged", tagPrefixList=["v"]))
    assert check(KIND, text)["valid"]


def test_any_must_have_the_highest_priority():
    text = policy(
        rule(1, tagStatus="any", countNumber=5),
        rule(2, tagStatus="tagged", tagPrefixList=["prod"]),
    )
    data = check(KIND, text)
    issue = find(data, "must have the highest value for rulePriority")
    assert text.splitlines()[issue["line"] - 1].strip() == '"rulePriority": 1,'


@pytest.mark.parametrize("status", ["Tagged", "all", "", None])
def test_tag_status_must_be_tagged_untagged_or_any(status):
    assert "tagStatus" in messages(check(KIND, policy(rule(tagStatus=status))))


def test_tagged_needs_a_prefix_or_pattern_list():
    data = check(KIND, policy(rule(tagStatus="tagged")))
    assert "must also specify a tagPrefixList or a tagPatternList" in messages(data)
    assert check(KIND, policy(rule(tagStatus="tagged", tagPatternList=["v*"])))["valid"]
    assert check(KIND, policy(rule(tagStatus="tagged", tagPrefixList=["v"])))["valid"]


@pytest.mark.parametrize("key", ["tagPrefixList", "tagPatternList"])
def test_untagged_must_omit_tag_lists(key):
    data = check(KIND, policy(rule(tagStatus="untagged", **{key: ["v"]})))
    assert f"you must omit {key}" in messages(data)


def test_tag_lists_with_any_are_only_a_warning():
    data = check(KIND, policy(rule(tagStatus="any", tagPrefixList=["v"])))
    assert data["valid"]
    assert "only used with" in messages(data, "warnings")


@pytest.mark.parametrize("value", [[], "prod", [""], [1]])
def test_tag_lists_are_non_empty_string_arrays(value):
    assert not check(KIND, policy(rule(tagStatus="tagged", tagPrefixList=value)))["valid"]


def test_at_most_four_wildcards_per_pattern():
    assert check(KIND, policy(rule(tagStatus="tagged", tagPatternList=["*test*1*2*3"])))["valid"]
    data = check(KIND, policy(rule(tagStatus="tagged", tagPatternList=["test*1*2*3*4*5*6"])))
    assert "at most 4" in messages(data)


@pytest.mark.parametrize("count_type", ["imageCountMorethan", "sinceImageCreated", None])
def test_count_type_must_be_known(count_type):
    assert "countType" in messages(check(KIND, policy(rule(countType=count_type))))


@pytest.mark.parametrize("number", [0, -3, 1.5, "5", None])
def test_count_number_is_a_positive_integer(number):
    data = check(KIND, policy(rule(countNumber=number)))
    assert "countNumber must be a positive integer" in messages(data)


def test_since_image_pushed_needs_count_unit_days():
    data = check(KIND, policy(rule(countType="sinceImagePushed", countNumber=14)))
    assert '"countUnit": "days"' in messages(data)
    data = check(
        KIND, policy(rule(countType="sinceImagePushed", countUnit="hours", countNumber=14))
    )
    assert '"countUnit": "days"' in messages(data)


def test_image_count_rule_must_not_have_a_count_unit():
    data = check(KIND, policy(rule(countUnit="days")))
    assert "countUnit is only used with an age countType" in messages(data)


@pytest.mark.parametrize("action", ["delete", "Expire", ""])
def test_action_type_is_expire(action):
    assert "action type" in messages(check(KIND, policy(rule(action=action))))


def test_action_is_required():
    document = rule()
    del document["action"]
    assert "needs an action object" in messages(check(KIND, policy(document)))


def test_only_one_rule_selects_untagged_images():
    data = check(KIND, policy(rule(1), rule(2)))
    assert "only one rule is allowed to select untagged images" in messages(data)


def test_archive_transition_and_expiry():
    transition = rule(
        1,
        action="transition",
        tagStatus="any",
        countType="sinceImagePulled",
        countUnit="days",
        countNumber=30,
    )
    transition["action"]["targetStorageClass"] = "archive"
    expire_archived = rule(
        2,
        tagStatus="any",
        storageClass="archive",
        countType="sinceImageTransitioned",
        countUnit="days",
        countNumber=90,
    )
    data = check(KIND, policy(transition, expire_archived))
    assert data["valid"], messages(data)
    summaries = [r["summary"] for r in data["info"]["rules"]]
    assert summaries[0] == "Archive all images last pulled more than 30 days ago."
    assert summaries[1] == "Expire all archived images archived more than 90 days ago."


def test_archived_images_are_kept_at_least_90_days():
    expire_archived = rule(
        1,
        tagStatus="any",
        storageClass="archive",
        countType="sinceImageTransitioned",
        countUnit="days",
        countNumber=30,
    )
    assert "minimum storage duration of 90 days" in messages(check(KIND, policy(expire_archived)))


def test_transition_needs_the_archive_target():
    assert "targetStorageClass" in messages(check(KIND, policy(rule(action="transition"))))


@pytest.mark.parametrize("text", ["{}", '{"rules": []}', '{"rules": {}}', "[]", '{"rules": [1]}'])
def test_a_policy_needs_a_rules_array_of_objects(text):
    data = check(KIND, text)
    assert not data["valid"]
    assert messages(data).startswith("Lifecycle policy validation failure: ")


def test_bad_json_has_a_position():
    data = check(KIND, '{"rules": [\n  {"rulePriority": 1\n  "selection": {}}\n]}')
    assert data["errors"][0]["line"] == 3 and data["errors"][0]["column"] == 3


def test_errors_point_at_the_offending_value():
    text = COUNT_EXAMPLE.replace('"countNumber": 1', '"countNumber": 0')
    issue = find(check(KIND, text), "countNumber must be a positive integer")
    line = text.splitlines()[issue["line"] - 1]
    assert line[issue["column"] - 1 :] == "0"
