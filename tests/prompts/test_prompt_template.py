"""Rendering: strict variables, the sandbox, compiled-template caching and thread safety."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from genloop.errors import InvalidInput
from genloop.prompts import PromptVersion, build_spec, render_version
from genloop.prompts._template import _compiled_for


def version(**fields: object) -> PromptVersion:
    """A PromptVersion built (and validated) as the service would, without a database."""
    spec = build_spec(fields)
    return PromptVersion(name="p", version=3, content_hash=spec.content_hash, created_at=dt.datetime.now(dt.UTC),
                         **spec.content())


CHAT = version(messages=[{"role": "system", "content": "Agent for {{ product }}."},
                         {"role": "user", "content": "{{ question }}"}],
               model="openai:gpt-4o-mini", params={"temperature": 0.2}, response_schema={"type": "object"})


def test_render_chat() -> None:
    out = render_version(CHAT, {"product": "Acme", "question": "Where is my order?"})
    assert out.ref == "p@3" and out.template_type == "chat" and out.text is None
    assert [(m.role, m.content) for m in out.messages or []] == [("system", "Agent for Acme."),
                                                                 ("user", "Where is my order?")]
    assert out.model == "openai:gpt-4o-mini" and out.params == {"temperature": 0.2}
    assert out.response_schema == {"type": "object"}


def test_render_text_with_loops_and_filters() -> None:
    v = version(template="{% for item in items %}- {{ item | upper }}\n{% endfor %}{{ note | default('none') }}")
    assert render_version(v, {"items": ["a", "b"]}).text == "- A\n- B\nnone"


def test_missing_variable_is_named() -> None:
    with pytest.raises(InvalidInput) as info:
        render_version(CHAT, {"product": "Acme"})
    assert info.value.message == "prompt 'p@3' needs variable 'question'"
    assert info.value.hint == "pass variables={'question': ...}"  # the SDK's terms; the CLI says --var
    assert info.value.hint_for("cli") == "pass --var question=..."
    with pytest.raises(InvalidInput, match=r"needs variables 'product', 'question'"):
        render_version(CHAT, {})


def test_extra_variables_are_ignored() -> None:
    out = render_version(CHAT, {"product": "A", "question": "Q", "reference": "unused"})
    assert out.messages is not None and out.messages[1].content == "Q"


def test_bad_structure_is_a_clear_error() -> None:
    v = version(template="{{ user.name }}")
    with pytest.raises(InvalidInput, match=r"failed to render template: 'dict object' has no attribute 'name'"):
        render_version(v, {"user": {}})
    with pytest.raises(InvalidInput, match="must be a mapping"):
        render_version(v, ["user"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ x.__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ x['__class__'] }}",
        "{{ x|attr('__class__') }}",
        "{{ self._TemplateReference__context }}",
    ],
)
def test_escapes_are_refused_at_creation(template: str) -> None:
    with pytest.raises(InvalidInput, match="templates may not reach Python internals"):
        build_spec({"template": template})


@pytest.mark.parametrize(
    ("template", "variables"),
    [
        ("{{ x[k] }}", {"x": "s", "k": "__class__"}),  # the key is only known at render time
        ("{{ x|attr(k) }}", {"x": "s", "k": "__class__"}),
        ("{{ '{0.__class__.__mro__}'.format(x) }}", {"x": "s"}),  # str.format is sandboxed too
        ("{{ x.append(1) }}", {"x": [1]}),  # passed containers cannot be mutated
        ("{{ x.update({'a': 1}) }}", {"x": {}}),
        ("{{ 'a' * n }}", {"n": 10**9}),  # no memory bombs
        ("{{ n ** n }}", {"n": 10**6}),
    ],
)
def test_escapes_are_stopped_at_render(template: str, variables: dict[str, object]) -> None:
    v = version(template=template)
    with pytest.raises(InvalidInput) as info:
        render_version(v, variables)
    assert info.value.message.startswith("prompt 'p@3' tried an unsafe operation in template")


def test_range_is_capped() -> None:
    with pytest.raises(InvalidInput, match="failed to render template"):
        render_version(version(template="{% for i in range(n) %}{% endfor %}"), {"n": 10**9})


def test_templates_compile_once_per_content() -> None:
    other = version(messages=[{"role": "system", "content": "Agent for {{ product }}."},
                              {"role": "user", "content": "{{ question }}"}],
                    model="openai:gpt-4o-mini", params={"temperature": 0.2}, response_schema={"type": "object"})
    assert _compiled_for(CHAT) is _compiled_for(other)


def test_render_is_thread_safe() -> None:
    def work(i: int) -> str:
        out = render_version(CHAT, {"product": f"p{i}", "question": f"q{i}"})
        assert out.messages is not None
        return out.messages[0].content + out.messages[1].content

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(2000)))
    assert results == [f"Agent for p{i}.q{i}" for i in range(2000)]
