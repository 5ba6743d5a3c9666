"""prompt.yaml validation: every problem names the file, line and field, and says what would be valid."""

from __future__ import annotations

import pytest
import yaml

from genloop.errors import InvalidInput
from genloop.prompts import build_spec, spec_from_yaml
from genloop.prompts._diff import version_content
from genloop.prompts._yaml import dump_prompt_yaml


def error(text: str, filename: str = "p.yaml") -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        spec_from_yaml(text, filename)
    return info.value


def test_valid_chat_prompt(support_text: str) -> None:
    spec = spec_from_yaml(support_text)
    assert spec.template_type == "chat"
    assert spec.variables == ["product", "question"]
    assert spec.messages is not None and spec.messages[1]["content"] == "Customer question:\n{{ question }}\n"
    assert spec.params == {"temperature": 0.2, "max_tokens": 256}
    assert spec.description == "Answers support questions"
    assert spec.content_hash.startswith("sha256:") and len(spec.content_hash) == 71


def test_variables_are_inferred_when_absent() -> None:
    spec = spec_from_yaml("template: 'Summarise {{ text }} in {% for l in langs %}{{ l }}{% endfor %}'\n")
    assert spec.template_type == "text"
    assert spec.variables == ["langs", "text"]  # loop variables and globals (range...) are not inputs


def test_hash_ignores_description_and_declared_order() -> None:
    a = build_spec({"template": "{{ b }} {{ a }}", "variables": ["b", "a"], "description": "x"})
    b = build_spec({"template": "{{ b }} {{ a }}"})
    c = build_spec({"template": "{{ b }} {{ a }}", "params": {"temperature": 0.1}})
    assert a.content_hash == b.content_hash != c.content_hash


def test_yaml_syntax_error_names_file_and_line() -> None:
    exc = error("messages:\n  - role: user\n    content: \"unterminated\n")
    assert exc.message.startswith("p.yaml:")
    assert "YAML syntax error" in exc.message
    exc = error("template: hello\nparams: {temperature: 0.2\nmodel: x\n")
    assert exc.details["file"] == "p.yaml" and exc.details["line"] == 3


def test_unknown_key_lists_valid_keys() -> None:
    exc = error("template: hi\ntemprature: 0.2\n")
    assert exc.message == "p.yaml:2: temprature: unknown key 'temprature'"
    assert exc.hint is not None and "valid keys: messages, template, variables, model, params" in exc.hint


def test_undeclared_variable_names_it() -> None:
    exc = error("template: '{{ text }} {{ tone }}'\nvariables: [text]\n")
    assert exc.message == "p.yaml:2: variables: the template uses undeclared variable 'tone'"
    assert exc.hint is not None and "variables: [text, tone]" in exc.hint


def test_declared_but_unused_variable_names_it() -> None:
    exc = error("template: '{{ text }}'\nvariables: [text, extra, more]\n")
    assert exc.message == "p.yaml:2: variables: declared variables 'extra', 'more' not used by the template"


def test_jinja_syntax_error_names_field_and_line() -> None:
    text = "messages:\n  - role: system\n    content: hi\n  - role: user\n    content: |\n      ok\n      {{ q }\n"
    exc = error(text)
    assert exc.message.startswith("p.yaml:7: messages[1].content: template syntax error")
    assert "(template line 2)" in exc.message
    assert exc.details == {"file": "p.yaml", "line": 7, "field": "messages[1].content"}


def test_unknown_filter_is_caught_at_creation() -> None:
    exc = error("template: '{{ q | shout }}'\n")
    assert "template syntax error" in exc.message and "shout" in exc.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("messages:\n  - role: robot\n    content: hi\n", "p.yaml:2: messages[0].role: role 'robot' is not a known role"),
        ("messages:\n  - content: hi\n", "p.yaml:2: messages[0].role: role is missing"),
        ("messages:\n  - role: user\n    content: hi\n    nme: x\n", "p.yaml:4: messages[0].nme: unknown key 'nme'"),
        ("messages: []\n", "p.yaml:1: messages: must be a non-empty list"),
        ("template: a\nmessages: [{role: user, content: b}]\n", "p.yaml: both 'messages' and 'template' given"),
        ("model: x:y\n", "p.yaml: neither 'messages' nor 'template' given"),
        ("template: hi\nmodel: 'Bad Model'\n", "p.yaml:2: model: invalid name 'Bad Model'"),
        ("template: hi\nparams: [1, 2]\n", "p.yaml:2: params: must be a mapping"),
        ("template: hi\nparams: {when: 2024-01-01}\n", "p.yaml:2: params.when: value datetime.date"),
        ("template: hi\nresponse_schema: {type: strin}\n", "p.yaml:2: response_schema: is not a valid JSON Schema"),
        ("template: hi\ntemplate: again\n", "p.yaml:2: template: duplicate key 'template' (first at line 1)"),
        ("- just\n- a list\n", "p.yaml: a prompt must be a mapping, not a list"),
        ("", "p.yaml: the file is empty"),
        ("template: '{{ x }}'\nvariables: [1x]\n", "p.yaml:2: variables: '1x' is not a valid variable name"),
    ],
)
def test_bad_fields(text: str, expected: str) -> None:
    assert error(text).message.startswith(expected)


def test_errors_without_a_file_name_the_field() -> None:
    with pytest.raises(InvalidInput) as info:
        build_spec({"messages": [{"role": "user", "content": "{{ q }"}]})
    assert info.value.message.startswith("messages[0].content: template syntax error")


def test_dump_round_trips_to_the_same_content(support_text: str) -> None:
    from genloop.prompts import PromptVersion

    spec = spec_from_yaml(support_text)
    version = PromptVersion(name="support", version=1, content_hash=spec.content_hash, created_at="2024-01-01T00:00Z",
                            **{k: v for k, v in spec.content().items()})
    text = dump_prompt_yaml(version_content(version))
    assert "content: |" in text and "variables: [product, question]" in text
    again = spec_from_yaml(text)
    assert again.content_hash == spec.content_hash
    assert yaml.safe_load(text)["params"] == {"temperature": 0.2, "max_tokens": 256}
