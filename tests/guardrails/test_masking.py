"""Actions on text: merging overlapping findings, redaction, and reversible masks."""

from __future__ import annotations

from genloop.guardrails import Action, Finding, MaskMap, apply_findings
from genloop.guardrails._masking import merge_spans


def f(start: int, end: int, action: Action, category: str = "email", check: str = "c") -> Finding:
    return Finding(check=check, category=category, start=start, end=end, action=action)


def test_redact_and_mask() -> None:
    text = "mail a@x.io or b@y.io now"
    masks = MaskMap()
    out = apply_findings(text, [f(5, 11, Action.MASK), f(15, 21, Action.REDACT, "secret")], masks)
    assert out == "mail <<EMAIL_1>> or [REDACTED:secret] now"
    assert masks.to_dict() == {"<<EMAIL_1>>": "a@x.io"}


def test_flag_and_block_do_not_change_text() -> None:
    assert apply_findings("abc", [f(0, 1, Action.FLAG), f(1, 2, Action.BLOCK)]) == "abc"


def test_overlap_strongest_action_wins_and_span_covers_both() -> None:
    spans = merge_spans([f(0, 10, Action.MASK, "phone"), f(5, 15, Action.REDACT, "payment_card")])
    assert [(s, e, w.action, w.category) for s, e, w in spans] == [(0, 15, Action.REDACT, "payment_card")]
    out = apply_findings("0123456789abcdefXYZ", [f(0, 10, Action.MASK, "phone"), f(5, 15, Action.REDACT, "card")],
                         MaskMap())
    assert out == "[REDACTED:card]fXYZ"


def test_overlap_of_equal_actions_prefers_the_longer_finding() -> None:
    ((start, end, winner),) = merge_spans([f(2, 4, Action.MASK, "short"), f(0, 8, Action.MASK, "long")])
    assert (start, end, winner.category) == (0, 8, "long")


def test_adjacent_findings_stay_separate() -> None:
    assert len(merge_spans([f(0, 3, Action.REDACT), f(3, 6, Action.REDACT)])) == 2


def test_same_value_same_placeholder_and_numbering_per_category() -> None:
    masks = MaskMap()
    assert masks.placeholder("email", "a@x.io") == "<<EMAIL_1>>"
    assert masks.placeholder("phone", "+44 20 7946 0958") == "<<PHONE_1>>"
    assert masks.placeholder("email", "b@y.io") == "<<EMAIL_2>>"
    assert masks.placeholder("email", "a@x.io") == "<<EMAIL_1>>"
    assert masks.placeholder("national id!", "x") == "<<NATIONAL_ID_1>>"
    assert len(masks) == 4


def test_unmask_restores_known_placeholders_only() -> None:
    masks = MaskMap({"<<EMAIL_1>>": "a@x.io", "<<PHONE_1>>": "+1 212 555 0100"})
    text = "Write to <<EMAIL_1>> or call <<PHONE_1>>; <<EMAIL_9>> is unknown."
    assert masks.unmask(text) == "Write to a@x.io or call +1 212 555 0100; <<EMAIL_9>> is unknown."
    assert masks.unmask(text, only={"<<EMAIL_1>>"}) == "Write to a@x.io or call <<PHONE_1>>; <<EMAIL_9>> is unknown."
    assert MaskMap().unmask(text) == text


def test_a_map_rebuilt_from_dict_continues_numbering() -> None:
    masks = MaskMap(MaskMap({"<<EMAIL_3>>": "a@x.io"}).to_dict())
    assert masks.placeholder("email", "new@x.io") == "<<EMAIL_4>>"
    assert masks.placeholder("email", "a@x.io") == "<<EMAIL_3>>"
