"""Guardrails: one policy format for the gateway, the SDK and evaluation.

A :class:`Policy` lists rules (a check, where it runs, an action, parameters); a :class:`Guard` runs it on
inputs (:meth:`Guard.check_input`), outputs (:meth:`Guard.check_output`) and streams
(:class:`StreamGuard`); :func:`evaluate_policy` measures it on labelled attacks and benign texts.
Checks register through the ``register_guardrail_checks`` plugin hook, built-ins included.
"""

from genloop.guardrails._base import Action, Check, Finding, fingerprint
from genloop.guardrails._classifier import ClassifierCheck
from genloop.guardrails._content import BannedTermsCheck, JSONSchemaCheck, MaxLengthCheck, RegexCheck, TopicsCheck
from genloop.guardrails._engine import Guard, GuardResult
from genloop.guardrails._evaluate import CategoryStats, CheckStats, SafetyReport, evaluate_policy
from genloop.guardrails._finance import IBANCheck, PaymentCardCheck
from genloop.guardrails._injection import PromptInjectionCheck, normalize_for_matching
from genloop.guardrails._masking import MaskMap, apply_findings
from genloop.guardrails._pii import EmailCheck, IPAddressCheck, NationalIDCheck, PhoneCheck
from genloop.guardrails._policy import DEFAULT_POLICY_YAML, Policy, Rule, default_policy, load_policy
from genloop.guardrails._registry import available_checks, get_check
from genloop.guardrails._samples import sample_chat_messages, sample_rows
from genloop.guardrails._secrets import APIKeyCheck, HighEntropyCheck, shannon_entropy
from genloop.guardrails._stream import StreamGuard

__all__ = [
    "DEFAULT_POLICY_YAML",
    "APIKeyCheck",
    "Action",
    "BannedTermsCheck",
    "CategoryStats",
    "Check",
    "CheckStats",
    "ClassifierCheck",
    "EmailCheck",
    "Finding",
    "Guard",
    "GuardResult",
    "HighEntropyCheck",
    "IBANCheck",
    "IPAddressCheck",
    "JSONSchemaCheck",
    "MaskMap",
    "MaxLengthCheck",
    "NationalIDCheck",
    "PaymentCardCheck",
    "PhoneCheck",
    "Policy",
    "PromptInjectionCheck",
    "RegexCheck",
    "Rule",
    "SafetyReport",
    "StreamGuard",
    "TopicsCheck",
    "apply_findings",
    "available_checks",
    "default_policy",
    "evaluate_policy",
    "fingerprint",
    "get_check",
    "load_policy",
    "normalize_for_matching",
    "sample_chat_messages",
    "sample_rows",
    "shannon_entropy",
]
