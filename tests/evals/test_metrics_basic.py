"""The metric interface, the registry and specs, the decorator, and the simple metrics."""

from __future__ import annotations

import json

import pytest

from genloop.errors import Conflict, InvalidInput
from genloop.evals.metrics import (
    ExactMatch,
    Metric,
    MetricRegistry,
    Rouge,
    Score,
    builtin_metrics,
    default_registry,
    get_metric,
    metric,
    normalize_text,
    parse_metric_spec,
)


def test_builtins_come_through_the_plugin_hook() -> None:
    names = default_registry(refresh=True).names()
    assert names == sorted(m.name for m in builtin_metrics())
    assert {"exact_match", "token_f1", "contains", "regex", "bleu", "chrf", "rouge", "rouge_l", "rouge_lsum",
            "json_valid", "json_schema", "length", "latency", "tokens", "cost"} <= set(names)


@pytest.mark.parametrize(("spec", "name", "params"), [
    ("rouge_l", "rouge_l", {"variant": "rougeL"}),
    ({"name": "rouge", "variant": "rouge2", "stemmer": True}, "rouge", {"variant": "rouge2", "stemmer": True}),
    ("rouge(variant='rougeLsum', stemmer=True)", "rouge", {"variant": "rougeLsum", "stemmer": True}),
    ({"metric": "rouge_1", "name": "r1s", "stemmer": True}, "r1s", {"variant": "rouge1", "stemmer": True}),
    ({"name": "exact_match", "normalize": ["lower", "strip"]}, "exact_match", {"normalize": ["lower", "strip"]}),
])
def test_specs(spec, name: str, params: dict) -> None:  # type: ignore[no-untyped-def]
    found = get_metric(spec)
    assert found.name == name
    assert params.items() <= found.params.items()
    assert get_metric(found.spec).spec == found.spec  # a spec round-trips through JSON
    assert get_metric(json.loads(json.dumps(found.spec))).params == found.params


def test_unknown_metric_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="unknown metric 'bleurt'; known metrics: bleu, chrf") as info:
        get_metric("bleurt")
    assert info.value.status_code == 400


@pytest.mark.parametrize(("spec", "message"), [
    ({"name": "rouge", "variant": "rougeX"}, "unknown ROUGE type"),
    ({"name": "regex", "pattern": "("}, "invalid regular expression"),
    ({"name": "exact_match", "normalize": ["upper"]}, "unknown normalization 'upper'"),
    ({"name": "bleu", "smooth": "floor"}, "has no parameter 'smooth'"),
    ({"name": "json_schema", "schema": {"type": 12}}, "invalid JSON Schema"),
    ("rouge(1)", "not name"),
    ({"variant": "rougeL"}, "has no 'name'"),
])
def test_bad_specs_are_invalid_input(spec, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=message):
        get_metric(spec)


def test_decorator_turns_a_function_into_a_configurable_metric() -> None:
    @metric
    def mentions(output: str, *, word: str = "please") -> bool:
        return word in output.lower()

    assert isinstance(mentions, Metric) and mentions.name == "mentions"
    assert mentions("Please sit").passed is True
    assert mentions.configure(word="sit")("Please sit") == Score(value=1.0, passed=True)
    with pytest.raises(InvalidInput, match="has no parameter 'words'"):
        mentions.configure(words="x")

    @metric(name="near", requires_reference=True, higher_is_better=None)
    def close(output: str, reference: list[str], item: dict) -> dict:
        gap = min(abs(float(output) - float(r)) for r in reference)
        return {"value": gap, "passed": gap <= item.get("tolerance", 0), "explanation": f"off by {gap:g}"}

    assert close.score("3.0", ["2.5", "4"], {"tolerance": 0.5}) == Score(value=0.5, passed=True,
                                                                         explanation="off by 0.5")
    with pytest.raises(InvalidInput, match="needs a reference"):
        close.score("3", None)
    registry = MetricRegistry([*builtin_metrics(), mentions, close])
    assert get_metric({"name": "mentions", "word": "sit"}, registry)("sit").value == 1.0
    with pytest.raises(Conflict):
        registry.register(metric(lambda output: 1.0), name="near")
    registry.register(close)  # the same metric again (a plugin loaded twice) is fine

    @metric
    def broken(output: str) -> list:
        return [1]

    with pytest.raises(InvalidInput, match="returned list"):
        broken("x")


def test_normalization_and_exact_match() -> None:
    assert normalize_text("  The  Café,  “ok”! ", ["lower", "punct", "articles", "whitespace"]) == "café ok"
    assert normalize_text("ﬁne", ["unicode"]) == "fine"
    strict = ExactMatch()
    assert strict.score("Paris", "Paris").passed and not strict.score("Paris ", "Paris").passed
    loose = get_metric({"name": "exact_match", "normalize": ["lower", "strip", "punct", "whitespace"]})
    assert loose.score(" PARIS! ", ["London", "paris"]) == Score(value=1.0, passed=True)


@pytest.mark.parametrize(("output", "reference", "f1"), [
    ("the Eiffel tower", "Eiffel Tower", 1.0),
    ("a cat sat on the mat", "the cat is on the mat", 0.75),  # cat sat on mat / cat is on mat: 3 of 4 each
    ("", "", 1.0),
    ("", "something", 0.0),
    ("red blue", "green", 0.0),
])
def test_token_f1_squad(output: str, reference: str, f1: float) -> None:
    assert get_metric("token_f1").score(output, reference).value == pytest.approx(f1)


def test_token_f1_best_reference_and_details() -> None:
    score = get_metric("token_f1").score("new york city", ["york", "New York City!"])
    assert score.value == 1.0 and score.details == {"precision": 1.0, "recall": 1.0}


def test_contains_and_regex() -> None:
    assert get_metric("contains").score("The answer is 42.", "42").passed
    assert not get_metric({"name": "contains", "text": ["42", "43"], "mode": "all"})("42").passed
    assert get_metric({"name": "contains", "text": "ANSWER", "ignore_case": True})("the answer").passed
    assert get_metric({"name": "regex", "pattern": r"^\d+$"})("123").passed
    assert not get_metric({"name": "regex", "pattern": r"\d+", "mode": "fullmatch"})("12a").passed
    assert get_metric({"name": "regex", "pattern": "^yes", "flags": "i"})("YES sir").passed
    assert get_metric("regex").score("order 66", r"order \d+").passed  # the reference is the pattern


def test_length() -> None:
    assert get_metric("length")("héllo wörld").value == 11.0
    words = get_metric({"name": "length", "unit": "words", "max": 2})
    assert words("one two three") == Score(value=3.0, passed=False)
    assert get_metric({"name": "length", "unit": "tokens"})("Hi, you!").value == 4.0


def test_json_valid_and_schema() -> None:
    assert get_metric("json_valid")('{"a": [1, 2]}').passed
    bad = get_metric("json_valid")("{'a': 1}")
    assert bad.value == 0.0 and bad.explanation and "line 1 column 2" in bad.explanation
    assert get_metric({"name": "json_valid", "allow_fences": True})('```json\n{"a": 1}\n```').passed
    schema = {"type": "object", "properties": {"age": {"type": "integer", "minimum": 0}}, "required": ["age"]}
    conform = get_metric({"name": "json_schema", "schema": schema})
    assert conform('{"age": 3}') == Score(value=1.0, passed=True)
    wrong = conform('{"age": -1}')
    assert not wrong.passed and wrong.explanation == "at $.age: -1 is less than the minimum of 0"
    assert not conform("nope").passed
    from_item = get_metric("json_schema").score('{"age": "x"}', None, {"schema": schema})
    assert not from_item.passed and "$.age" in (from_item.explanation or "")
    with pytest.raises(InvalidInput, match="has no schema"):
        get_metric("json_schema")("{}")


def test_recorded_fields() -> None:
    item = {"latency_s": 1.25, "input_tokens": 10, "output_tokens": 5, "cost": 0.002, "usage": {"total": 17}}
    assert get_metric("latency").score("x", None, item).value == 1.25
    assert not get_metric({"name": "latency", "max": 1.0}).score("x", None, item).passed
    assert get_metric("tokens").score("x", None, item).value == 15.0
    assert get_metric({"name": "tokens", "which": "output"}).score("x", None, item).value == 5.0
    assert get_metric({"name": "tokens", "field": "usage.total"}).score("x", None, item).value == 17.0
    assert get_metric("cost").score("x", None, item).value == 0.002
    missing = get_metric("latency").score("x", None, {})
    assert missing.value is None and "latency_s" in (missing.explanation or "")
    assert get_metric("cost").higher_is_better is False

    class Item:  # an EvalItem-like object works as well as a mapping
        latency_s = 0.5

    assert get_metric("latency").score("x", None, Item()).value == 0.5  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="not a number"):
        get_metric("cost").score("x", None, {"cost": "free"})


def test_parse_spec_and_metric_objects_pass_through() -> None:
    assert parse_metric_spec("rouge( variant = 'rouge1' )") == ("rouge", None, {"variant": "rouge1"})
    rouge = Rouge(variant="rouge2")
    assert get_metric(rouge) is rouge
    assert repr(get_metric("rouge_1")) == "Rouge(name='rouge_1', variant='rouge1', stemmer=False, measure='fmeasure')"


def test_score_serialises() -> None:
    score = get_metric("rouge_l")("a b c", "a c")
    assert json.loads(score.model_dump_json())["details"]["recall"] == 1.0


def test_custom_metric_mapping_with_unknown_keys_is_invalid() -> None:
    @metric
    def odd(output: str) -> dict:
        return {"value": 1.0, "score": 2.0}

    with pytest.raises(InvalidInput, match="not a Score"):
        odd("x")
