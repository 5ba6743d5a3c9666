"""Templates cannot exhaust the server: every hostile render stops at a hard limit with a clear error, quickly."""

from __future__ import annotations

import time

import pytest

from genloop.errors import InvalidInput
from genloop.prompts import PromptService
from genloop.prompts._template import is_light_version


@pytest.fixture
def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """Rendering does not touch the database: SQLite is enough."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


HOSTILE = {
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "filtered loops": "{% for i in range(100000) %}{% for j in range(100000) if false %}x{% endfor %}{% endfor %}",
    "loops over a variable": "{% for a in xs %}{% for b in xs %}{% for c in xs %}.{% endfor %}{% endfor %}{% endfor %}",
    "repetition in a loop": "{% for i in range(1000) %}{{ 'y' * 999999 }}{% endfor %}",
    "doubling by ~": "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "doubling by +": "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "lipsum": "{{ lipsum(n=100000, min=1000, max=100000) }}",
    "center": "{{ 'x'|center(1000000000) }}",
    "ljust": "{{ 'x'.ljust(1000000000) }}",
    "printf width": "{{ '%1000000000s'|format('x') }}",
    "format width": "{{ '{:>1000000000}'.format('x') }}",
    "nested format width": "{{ '{:{}}'.format('x', 1000000000) }}",
    "replace": "{{ ('x' * 900000)|replace('x', 'xxxxxxxxxx') }}",
    "join": "{{ (['x' * 900000] * 1000)|join }}",
    "indent": "{{ ('\\n' * 900000)|indent(1000) }}",
    "recursive macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_templates_stop_at_a_limit(store, name: str) -> None:  # type: ignore[no-untyped-def]
    service = PromptService(store)
    service.create("p", template=HOSTILE[name])
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match="limit|recursed|lipsum|would build") as caught:
        service.render("p", {"xs": list(range(1000))})
    assert time.perf_counter() - started < 5, "the limit came too late"
    assert "prompt 'p@1'" in str(caught.value)


def test_ordinary_templates_render_as_before(store) -> None:  # type: ignore[no-untyped-def]
    service = PromptService(store)
    light = service.create("light", messages=[{"role": "user", "content": "Hi {{ name }}, about {{ topic }}"}])
    heavy = service.create("heavy", template="{% for x in xs %}{{ x|upper }}{{ '-' * 3 }}{% endfor %}"
                                             "{{ lipsum(1, html=False, min=3, max=5)|wordcount >= 3 }}{{ '%5s'|format('a') }}")
    assert is_light_version(light) and not is_light_version(heavy)
    assert service.render("light", {"name": "Ann", "topic": "tea"}).messages[0].content == "Hi Ann, about tea"
    assert service.render("heavy", {"xs": ["a", "b"]}).text == "A---B---True    a"
    big = "z" * 5_000_000  # a long document passed in is fine: the limits are on what a template builds
    assert len(service.render("light", {"name": big, "topic": "t"}).messages[0].content) > 5_000_000
