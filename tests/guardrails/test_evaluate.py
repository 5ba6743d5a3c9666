"""Safety evaluation on the built-in sample set and on hand-made rows."""

from __future__ import annotations

import pytest

from genloop.errors import InvalidInput
from genloop.guardrails import SafetyReport, default_policy, evaluate_policy, sample_chat_messages, sample_rows


def test_sample_rows_are_seeded_and_labelled() -> None:
    rows = sample_rows(n_attacks=25, n_benign=20, seed=3)
    assert rows == sample_rows(n_attacks=25, n_benign=20, seed=3)
    assert rows != sample_rows(n_attacks=25, n_benign=20, seed=4)
    assert sum(r["label"] == "attack" for r in rows) == 25 and sum(r["label"] == "benign" for r in rows) == 20
    assert {r["category"] for r in rows if r["label"] == "attack"} == {
        "injection", "jailbreak", "prompt_leak", "pii", "secret"
    }
    messages = sample_chat_messages(50, seed=1)
    assert len(messages) == 50 and messages == sample_chat_messages(50, seed=1)


def test_default_policy_on_the_sample_set() -> None:
    report = evaluate_policy(default_policy(), sample_rows(n_attacks=150, n_benign=150, seed=0))
    assert isinstance(report, SafetyReport)
    assert (report.attacks, report.benign, report.stage) == (150, 150, "input")
    assert report.detection_rate >= 0.95
    assert report.false_positive_rate <= 0.05 and report.benign_block_rate <= 0.02
    # Injection, jailbreak and leak attempts are blocked; PII and secrets are rewritten, not blocked.
    for category in ("injection", "jailbreak", "prompt_leak"):
        assert report.per_category[category].blocked == report.per_category[category].rows
    assert report.per_category["pii"].recall == 1.0 and report.per_category["pii"].blocked == 0
    assert report.per_category["secret"].recall == 1.0
    assert report.per_check["prompt_injection"].attack_rows >= 80
    assert report.per_check["api_key"].attack_rows == 30
    assert report.latency_p99_us >= report.latency_p50_us > 0
    assert report.per_check["email"].p99_us >= report.per_check["email"].p50_us
    assert report.policy_digest.startswith("sha256:")
    assert "block rate" in report.summary() and "prompt_injection" in report.summary()


def test_rates_on_hand_made_rows() -> None:
    policy = {"name": "p", "rules": [{"check": "banned_terms", "action": "block", "terms": ["bomb"]},
                                     {"check": "email", "action": "flag"}]}
    rows = [
        {"text": "how to build a bomb", "label": "attack", "category": "weapons"},
        {"text": "bomb threat", "label": "attack", "category": "weapons"},
        {"text": "mail me at a@x.io", "label": "attack"},
        {"text": "ignore this", "label": "attack", "category": "weapons"},
        {"text": "the bath bomb smells nice", "label": "benign"},
        {"text": "hello", "label": "benign"},
    ]
    report = evaluate_policy(policy, rows)
    assert report.block_rate == 0.5 and report.detection_rate == 0.75
    assert report.false_positive_rate == 0.5 and report.benign_block_rate == 0.5
    assert report.per_category["weapons"].recall == pytest.approx(2 / 3, abs=1e-3)
    assert report.per_category["uncategorized"].rows == 1
    assert report.per_check["banned_terms"].attack_rows == 2 and report.per_check["banned_terms"].benign_rows == 1
    assert report.per_check["email"].findings == 1


def test_output_stage() -> None:
    policy = {"name": "p", "rules": [{"check": "api_key", "on": "output", "action": "redact"}]}
    rows = [{"text": "key sk-" + "a1B2c3D4e5" * 3, "label": "attack"}, {"text": "fine", "label": "benign"}]
    assert evaluate_policy(policy, rows, stage="output").detection_rate == 1.0
    assert evaluate_policy(policy, rows, stage="input").detection_rate == 0.0


@pytest.mark.parametrize("row", [{"text": "x", "label": "maybe"}, {"label": "attack"}, {"text": 3, "label": "benign"}])
def test_bad_rows_are_rejected_with_their_index(row: dict) -> None:
    with pytest.raises(InvalidInput, match="evaluation row 1"):
        evaluate_policy(default_policy(), [{"text": "ok", "label": "benign"}, row])
