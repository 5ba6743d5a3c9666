"""Policies: loading from YAML and dicts, inline parameters, and validation errors that name rule and field."""

from __future__ import annotations

import pytest

from genloop.errors import InvalidInput
from genloop.guardrails import DEFAULT_POLICY_YAML, Action, Policy, default_policy, load_policy

YAML = """
name: support-bot
description: test policy
rules:
  - check: prompt_injection
    on: input
    action: block
    threshold: 0.6
  - check: email
    action: mask
  - check: topics
    name: no-medical
    on: output
    action: flag
    params:
      topics: {medical: [diagnosis]}
"""


def test_yaml_policy_with_inline_and_nested_params() -> None:
    policy = Policy.from_yaml(YAML)
    injection, email, topics = policy.rules
    assert (injection.on, injection.action, injection.params) == ("input", Action.BLOCK, {"threshold": 0.6})
    assert injection.build().threshold == 0.6  # type: ignore[attr-defined]
    assert (email.on, email.label) == ("both", "email")  # `on` defaults to both
    assert topics.label == "no-medical" and topics.build().label == "no-medical"
    assert [r.check for r in policy.rules_for("input")] == ["prompt_injection", "email"]
    assert [r.check for r in policy.rules_for("output")] == ["email", "topics"]


def test_yaml_bare_on_key_is_not_a_boolean() -> None:
    # YAML 1.1 reads `on:` as True; the rule still gets its `on`.
    assert Policy.from_yaml("name: p\nrules:\n  - {check: email, on: output, action: flag}").rules[0].on == "output"


def test_round_trip_and_digest() -> None:
    policy = Policy.from_yaml(YAML)
    again = Policy.from_dict(policy.to_dict())
    assert again.to_dict() == policy.to_dict()
    assert again.digest() == policy.digest() and policy.digest().startswith("sha256:")
    assert Policy.from_yaml(policy.to_yaml()).digest() == policy.digest()
    changed = policy.to_dict()
    changed["rules"][0]["params"]["threshold"] = 0.7
    assert Policy.from_dict(changed).digest() != policy.digest()


def test_load_policy_sources(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "policy.yaml"
    path.write_text(YAML)
    assert load_policy(path).name == "support-bot"
    assert load_policy(str(path)).name == "support-bot"
    assert load_policy(YAML).name == "support-bot"
    assert load_policy({"name": "x", "rules": []}).rules == []
    policy = default_policy()
    assert load_policy(policy) is policy
    with pytest.raises(InvalidInput, match="does not exist"):
        load_policy(str(tmp_path / "missing.yaml"))


def test_default_policy_is_valid() -> None:
    policy = Policy.from_yaml(DEFAULT_POLICY_YAML)
    assert policy.name == "default" and len(policy.rules) >= 8


def errors_of(data: object) -> tuple[str, list[dict]]:
    with pytest.raises(InvalidInput) as info:
        Policy.from_dict(data)  # type: ignore[arg-type]
    return str(info.value), info.value.details.get("errors", [])


def test_unknown_check_names_rule_index_and_lists_known_checks() -> None:
    message, errors = errors_of({"name": "p", "rules": [{"check": "email", "action": "flag"},
                                                        {"check": "emial", "action": "flag"}]})
    assert errors[0]["loc"] == "rules[1].check"
    assert "unknown check 'emial'" in message and "email" in errors[0]["message"] and "payment_card" in message


def test_bad_action_and_on_list_the_choices() -> None:
    message, errors = errors_of({"name": "p", "rules": [{"check": "email", "action": "delete", "on": "sideways"}]})
    locs = {e["loc"]: e["message"] for e in errors}
    assert "'block'" in locs["rules[0].action"] and "'flag'" in locs["rules[0].action"]
    assert "'input'" in locs["rules[0].on"]


def test_missing_action() -> None:
    _, errors = errors_of({"name": "p", "rules": [{"check": "email"}]})
    assert errors[0]["loc"] == "rules[0].action"


def test_unknown_parameter_lists_accepted_ones() -> None:
    message, errors = errors_of({"name": "p", "rules": [{"check": "national_id", "action": "flag", "kinz": ["x"]}]})
    assert errors[0]["loc"] == "rules[0]"
    assert "does not take ['kinz']" in message and "kinds" in message


def test_bad_parameter_value_names_the_rule() -> None:
    message, errors = errors_of({"name": "p", "rules": [{"check": "email", "action": "flag"},
                                                        {"check": "prompt_injection", "action": "block",
                                                         "threshold": 7}]})
    assert errors[0]["loc"] == "rules[1]" and "params.threshold" in message


def test_duplicate_labels_need_names() -> None:
    rule = {"check": "regex", "action": "flag", "pattern": "a"}
    message, _ = errors_of({"name": "p", "rules": [rule, rule]})
    assert "rules[1].name" in message and "distinct 'name'" in message
    Policy.from_dict({"name": "p", "rules": [rule, {**rule, "name": "regex-2"}]})


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"rules": []}, "name"),
        ({"name": "bad name!", "rules": []}, "name"),
        ({"name": "p", "rulez": []}, "rulez"),
        ({"name": "p", "stream_window": 4}, "stream_window"),
        ({"name": "p", "rules": ["email"]}, "rules[0]"),
    ],
)
def test_policy_level_errors(data: dict, fragment: str) -> None:
    message, _ = errors_of(data)
    assert fragment in message


def test_not_a_mapping_and_bad_yaml() -> None:
    with pytest.raises(InvalidInput, match="mapping"):
        Policy.from_yaml("- just\n- a list")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        Policy.from_yaml("name: [unclosed")
