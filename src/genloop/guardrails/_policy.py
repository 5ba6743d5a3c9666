"""Guardrail policies: a named list of rules, the one format the gateway, the SDK and evaluation share.

A rule names a check, where it applies (``apply_to: input|output|both``; ``on:`` is accepted too, though
YAML 1.1 readers turn a bare ``on`` key into ``true``), what to do with findings
(``action: block|redact|mask|flag``) and the check's parameters, inline or under ``params``::

    name: support-bot
    rules:
      - {check: prompt_injection, apply_to: input, action: block, threshold: 0.6}
      - {check: email, action: mask}
      - {check: topics, name: no-medical, action: block, topics: {medical: [diagnosis, prescription]}}

Validation builds every check once, so a bad parameter is reported with its rule index up front.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from genloop.errors import InvalidInput
from genloop.guardrails._base import Action, Check
from genloop.guardrails._registry import accepted_params, available_checks

__all__ = ["DEFAULT_POLICY_YAML", "Policy", "Rule", "default_policy", "load_policy"]

Stage = Literal["input", "output"]
_RULE_FIELDS = {"check", "on", "action", "name", "params"}
_PLACEMENT_KEYS = ("apply_to", "on")  # `apply_to` reads the same in every YAML; a bare `on:` is YAML 1.1's True


class Rule(BaseModel):
    """One check with its placement, action and parameters. ``name`` labels its findings (default: the check)."""

    model_config = ConfigDict(extra="forbid")

    check: str
    on: Literal["input", "output", "both"] = "both"
    action: Action
    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    params: dict[str, Any] = Field(default_factory=dict)
    _instance: Check | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _inline_params(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        for key in (True, "true"):  # YAML 1.1 reads a bare `on:` key as True; JSON then writes it "true"
            if key in data and data[key] in ("input", "output", "both"):
                data.setdefault("on", data.pop(key))
        if "apply_to" in data:
            if "on" in data:
                raise ValueError("give `apply_to` or `on`, not both (they are the same field)")
            data["on"] = data.pop("apply_to")
        extra = {k: data.pop(k) for k in list(data) if k not in _RULE_FIELDS}
        if extra:
            params = data.get("params")
            nested = dict(params) if isinstance(params, Mapping) else {}
            data["params"] = {**nested, **{str(k): v for k, v in extra.items()}}
        return data

    @field_validator("check")
    @classmethod
    def _known_check(cls, value: str) -> str:
        checks = available_checks()
        if value not in checks:
            raise ValueError(f"unknown check {value!r}; known checks: {', '.join(checks)}")
        return value

    @model_validator(mode="after")
    def _build(self) -> Rule:
        cls = available_checks()[self.check]
        accepted = accepted_params(cls)
        if accepted is not None:
            unknown = sorted(set(self.params) - accepted)
            if unknown:
                takes = ", ".join(sorted(accepted)) or "no parameters"
                raise ValueError(f"params: check {self.check!r} does not take {unknown}; it takes: {takes}")
        try:
            self._instance = cls(action=self.action, label=self.label, **self.params)
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None
        return self

    @property
    def label(self) -> str:
        """The name findings carry: ``name`` if set, else the check's name."""
        return self.name or self.check

    def applies_to(self, stage: Stage) -> bool:
        """Whether this rule runs on ``input`` or ``output``."""
        return self.on == "both" or self.on == stage

    def build(self) -> Check:
        """The configured check instance (built once, shared: checks are stateless)."""
        assert self._instance is not None
        return self._instance


class Policy(BaseModel):
    """A named, versionable set of guardrail rules.

    ``input_roles`` are the chat roles whose messages input rules scan (system prompts are the operator's
    own); ``stream_window`` is how many trailing characters a stream holds back while checking.
    Build one with :meth:`from_dict`, :meth:`from_yaml` or :func:`load_policy` to get
    :class:`~genloop.errors.InvalidInput` errors that name the rule index and field.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    description: str = ""
    rules: list[Rule] = Field(default_factory=list)
    input_roles: list[str] = Field(default_factory=lambda: ["user", "tool"])
    stream_window: int = Field(default=128, ge=16, le=4096)

    @model_validator(mode="after")
    def _distinct_labels(self) -> Policy:
        seen: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            if rule.label in seen:
                raise ValueError(
                    f"rules[{i}].name: rules[{seen[rule.label]}] already labels its findings {rule.label!r}; "
                    "give one of them a distinct 'name'"
                )
            seen[rule.label] = i
        return self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """Validate a policy from plain data; errors name the rule index and field."""
        if not isinstance(data, Mapping):
            raise InvalidInput(f"a guardrail policy must be a mapping, not {type(data).__name__}")
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            errors = [{"loc": _loc(err["loc"]), "message": _message(err)} for err in exc.errors()]
            lines = "; ".join(f"{e['loc']}: {e['message']}" if e["loc"] else e["message"] for e in errors)
            raise InvalidInput(
                f"invalid guardrail policy {data.get('name', '?')!r}: {lines}",
                hint="actions are block, redact, mask, flag; `apply_to` (or `on`) is input, output or both",
                errors=errors,
            ) from None

    @classmethod
    def from_yaml(cls, text: str) -> Policy:
        """Parse and validate a YAML (or JSON) policy document."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"guardrail policy is not valid YAML: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data (round-trips through :meth:`from_dict`)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The canonical form as YAML."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def digest(self) -> str:
        """Content hash of the canonical form (``sha256:...``), the identity of a stored policy version."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), default=str)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def rules_for(self, stage: Stage) -> list[Rule]:
        """The rules that run on ``input`` or ``output``, in policy order."""
        return [rule for rule in self.rules if rule.applies_to(stage)]


def load_policy(source: Policy | Mapping[str, Any] | str | Path) -> Policy:
    """A policy from a :class:`Policy`, a mapping, a ``.yaml``/``.yml``/``.json`` path, or YAML text."""
    if isinstance(source, Policy):
        return source
    if isinstance(source, Mapping):
        return Policy.from_dict(source)
    if isinstance(source, Path) or ("\n" not in source and source.endswith((".yaml", ".yml", ".json"))):
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(f"guardrail policy file {str(path)!r} does not exist")
        return Policy.from_yaml(path.read_text(encoding="utf-8"))
    return Policy.from_yaml(source)


DEFAULT_POLICY_YAML = """\
name: default
description: >-
  Block prompt injection; keep credentials, card, bank and national ID numbers out of prompts and answers;
  mask contact details on the way in (restored in the answer); record IP addresses.
rules:
  - {check: prompt_injection, on: input, action: block}
  - {check: api_key, on: both, action: redact}
  - {check: high_entropy, on: output, action: redact}
  - {check: payment_card, on: both, action: redact}
  - {check: iban, on: both, action: redact}
  - {check: national_id, on: both, action: redact}
  - {check: email, on: input, action: mask}
  - {check: phone, on: input, action: mask}
  - {check: ip_address, on: both, action: flag}
"""


def default_policy() -> Policy:
    """GenLoop's default policy (:data:`DEFAULT_POLICY_YAML`): a sensible start for a gateway deployment."""
    return Policy.from_yaml(DEFAULT_POLICY_YAML)


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
