"""Banned terms, topics, custom regexes, maximum length and JSON Schema conformance."""

from __future__ import annotations

import pytest

from genloop.guardrails import BannedTermsCheck, JSONSchemaCheck, MaxLengthCheck, RegexCheck, TopicsCheck


def matched(check, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [text[f.start : f.end] for f in check.scan(text)]


def test_banned_terms_use_word_boundaries_and_ignore_case() -> None:
    check = BannedTermsCheck(terms=["darn", "credit card", "heck"])
    assert matched(check, "Darn it, my CREDIT   card! Heckle the checker.") == ["Darn", "CREDIT   card"]
    assert matched(BannedTermsCheck(terms=["Darn"], case_sensitive=True), "darn Darn") == ["Darn"]


def test_banned_terms_prefer_the_longest_term() -> None:
    assert matched(BannedTermsCheck(terms=["credit", "credit card"]), "a credit card") == ["credit card"]


@pytest.mark.parametrize("terms", [[], ["  "], "darn", [1, 2]])
def test_banned_terms_need_a_list_of_terms(terms: object) -> None:
    with pytest.raises(ValueError, match="params.terms"):
        BannedTermsCheck(terms=terms)  # type: ignore[arg-type]


def test_topics_name_the_topic() -> None:
    check = TopicsCheck(topics={"medical": ["diagnosis", "prescription"], "legal": ["lawsuit"]})
    findings = check.scan("Is a lawsuit about a wrong Diagnosis likely?")
    assert [(f.kind, f.category) for f in findings] == [("legal", "topic"), ("medical", "topic")]
    assert check.scan("prescriptions") == []  # whole words only
    with pytest.raises(ValueError, match="params.topics"):
        TopicsCheck(topics={})


def test_regex_check() -> None:
    check = RegexCheck(patterns=[r"ORD-\d{6}", r"ticket #\d+"], flags="i", category="order_id")
    findings = check.scan("See ord-123456 and Ticket #42.")
    assert [f.category for f in findings] == ["order_id", "order_id"]
    assert matched(check, "See ord-123456 and Ticket #42.") == ["ord-123456", "Ticket #42"]
    assert RegexCheck(pattern="x*").scan("abc") == []  # empty matches are not findings


def test_regex_check_sensitive_uses_fingerprints() -> None:
    (finding,) = RegexCheck(pattern=r"EMP\d{5}", sensitive=True).scan("id EMP12345")
    assert finding.evidence and finding.evidence.startswith("sha256:")


@pytest.mark.parametrize(
    ("params", "message"),
    [({}, "give 'pattern'"), ({"pattern": "("}, "invalid regex"), ({"pattern": "a", "flags": "q"}, "flags")],
)
def test_regex_check_bad_params(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RegexCheck(**params)


def test_max_length_chars_and_tokens() -> None:
    (finding,) = MaxLengthCheck(max_chars=10).scan("x" * 15)
    assert (finding.start, finding.end) == (10, 15) and finding.category == "length"
    assert MaxLengthCheck(max_chars=10).scan("x" * 10) == []
    (finding,) = MaxLengthCheck(max_tokens=2).scan("x" * 9)  # about 4 characters a token
    assert finding.start == 8
    assert MaxLengthCheck(max_chars=100, max_tokens=5).limit == 20
    with pytest.raises(ValueError, match="max_chars or max_tokens"):
        MaxLengthCheck()
    with pytest.raises(ValueError, match="positive"):
        MaxLengthCheck(max_chars=0)


SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
    "required": ["answer"],
    "additionalProperties": False,
}


@pytest.mark.parametrize("text", ['{"answer": "Paris", "confidence": 0.9}', '```json\n{"answer": "Paris"}\n```'])
def test_json_schema_valid(text: str) -> None:
    assert JSONSchemaCheck(schema=SCHEMA).scan(text) == []


@pytest.mark.parametrize(
    ("text", "kind", "evidence"),
    [
        ("Paris", "not_json", "not JSON"),
        ('{"confidence": 0.5}', "schema_violation", "'answer' is a required property"),
        ('{"answer": "Paris", "confidence": 3}', "schema_violation", "/confidence"),
    ],
)
def test_json_schema_invalid(text: str, kind: str, evidence: str) -> None:
    (finding,) = JSONSchemaCheck(schema=SCHEMA).scan(text)
    assert finding.kind == kind and evidence in (finding.evidence or "")
    assert (finding.start, finding.end) == (0, len(text))


def test_json_schema_rejects_a_bad_schema() -> None:
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        JSONSchemaCheck(schema={"type": "no-such-type"})
    with pytest.raises(ValueError, match="params.schema"):
        JSONSchemaCheck()
