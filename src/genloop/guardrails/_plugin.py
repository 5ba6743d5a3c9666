"""The built-in guardrail checks, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genloop.guardrails._classifier import ClassifierCheck
from genloop.guardrails._content import BannedTermsCheck, JSONSchemaCheck, MaxLengthCheck, RegexCheck, TopicsCheck
from genloop.guardrails._finance import IBANCheck, PaymentCardCheck
from genloop.guardrails._injection import PromptInjectionCheck
from genloop.guardrails._pii import EmailCheck, IPAddressCheck, NationalIDCheck, PhoneCheck
from genloop.guardrails._secrets import APIKeyCheck, HighEntropyCheck
from genloop.hookspecs import hookimpl

BUILTIN_CHECKS = (
    EmailCheck,
    PhoneCheck,
    PaymentCardCheck,
    IBANCheck,
    NationalIDCheck,
    IPAddressCheck,
    APIKeyCheck,
    HighEntropyCheck,
    PromptInjectionCheck,
    BannedTermsCheck,
    TopicsCheck,
    RegexCheck,
    MaxLengthCheck,
    JSONSchemaCheck,
    ClassifierCheck,
)


@hookimpl
def register_guardrail_checks(register: Callable[..., Any]) -> None:
    """Register every built-in check under its ``name``."""
    for check in BUILTIN_CHECKS:
        register(check.name, check)
