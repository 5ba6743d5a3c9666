"""Checks register through the plugin hook: built-ins and third-party checks alike."""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest

from genloop.errors import Conflict, NotFound
from genloop.guardrails import Check, Finding, Guard, available_checks, get_check
from genloop.guardrails import _plugin as builtin_plugin
from genloop.hookspecs import hookimpl
from genloop.plugins import get_plugin_manager

BUILTINS = {
    "email", "phone", "payment_card", "iban", "national_id", "ip_address", "api_key", "high_entropy",
    "prompt_injection", "banned_terms", "topics", "regex", "max_length", "json_schema", "classifier",
}


class ShoutCheck(Check):
    """A third-party check: flags words in capitals."""

    name = "shout"
    category = "tone"

    def __init__(self, *, min_length: int = 4, **base: object) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        self.min_length = min_length

    def scan(self, text: str) -> list[Finding]:
        found, start = [], 0
        for word in text.split(" "):
            if len(word) >= self.min_length and word.isupper():
                found.append(self.finding(text, start, start + len(word)))
            start += len(word) + 1
        return found


@pytest.fixture
def plugin() -> Iterator[types.ModuleType]:
    """Register a plugin module the way an installed package's entry point would be, then remove it."""
    module = types.ModuleType("genloop_shout")

    @hookimpl
    def register_guardrail_checks(register):  # type: ignore[no-untyped-def]
        register("shout", ShoutCheck)

    module.register_guardrail_checks = register_guardrail_checks  # type: ignore[attr-defined]
    pm = get_plugin_manager()
    pm.register(module, name="genloop_shout")
    yield module
    pm.unregister(name="genloop_shout")


def test_builtins_register_through_the_hook() -> None:
    assert hasattr(builtin_plugin.register_guardrail_checks, "genloop_impl")
    assert BUILTINS <= set(available_checks())
    assert get_check("email").name == "email"


def test_unknown_check_lists_the_known_ones() -> None:
    with pytest.raises(NotFound, match="no guardrail check named 'nope'") as info:
        get_check("nope")
    assert info.value.hint and "email" in info.value.hint


def test_third_party_check_plugs_in(plugin: types.ModuleType) -> None:
    assert available_checks()["shout"] is ShoutCheck
    guard = Guard({"name": "p", "rules": [{"check": "shout", "action": "redact", "min_length": 3}]})
    result = guard.check_input("please STOP doing that NOW ok")
    assert result.text == "please [REDACTED:tone] doing that [REDACTED:tone] ok"
    with pytest.raises(Exception, match="does not take"):
        Guard({"name": "p", "rules": [{"check": "shout", "action": "flag", "loud": True}]})


def test_plugin_is_gone_after_unregistering(plugin: types.ModuleType) -> None:
    get_plugin_manager().unregister(name="genloop_shout")
    assert "shout" not in available_checks()
    get_plugin_manager().register(plugin, name="genloop_shout")  # for the fixture's teardown


def test_two_plugins_claiming_one_name_conflict() -> None:
    module = types.ModuleType("genloop_evil_email")

    class OtherEmail(ShoutCheck):
        name = "email"

    @hookimpl
    def register_guardrail_checks(register):  # type: ignore[no-untyped-def]
        register(OtherEmail)  # the name comes from the class

    module.register_guardrail_checks = register_guardrail_checks  # type: ignore[attr-defined]
    pm = get_plugin_manager()
    pm.register(module, name="genloop_evil_email")
    try:
        with pytest.raises(Conflict, match="two plugins register a guardrail check named 'email'"):
            available_checks()
    finally:
        pm.unregister(name="genloop_evil_email")


def test_registering_something_that_is_not_a_check_fails_clearly() -> None:
    module = types.ModuleType("genloop_bad")

    @hookimpl
    def register_guardrail_checks(register):  # type: ignore[no-untyped-def]
        register("bad", object)

    module.register_guardrail_checks = register_guardrail_checks  # type: ignore[attr-defined]
    pm = get_plugin_manager()
    pm.register(module, name="genloop_bad")
    try:
        with pytest.raises(TypeError, match="Check subclass"):
            available_checks()
    finally:
        pm.unregister(name="genloop_bad")
