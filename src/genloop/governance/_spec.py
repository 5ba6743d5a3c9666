"""The promotion policy spec: what moving a protected alias, label or deployment requires (YAML + pydantic).

```yaml
name: production
target: {kind: model, name: "*", label: production}   # kind: model | prompt | deployment
evaluations:                                           # gates on the named evaluation's runs of the version
  - eval: qa
    gates: ["exact_match.ci_low>=0.4"]
    no_regression: true                                # against the version the target points at now
safety:                                                # a guardrail policy over an attack set
  policy: default                                      # built-in "default", "deployment:NAME", or a mapping
  attack_set: attacks@1                                # a dataset with text, label (attack|benign)
  min_block_rate: 0.9
  max_false_positive_rate: 0.05
bias:                                                  # one metric sliced by a dataset column
  - {eval: qa, metric: exact_match, column: language, max_gap: 0.1}
approval: {required: true}                             # a reviewer who is not the author
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from genloop.errors import InvalidInput
from genloop.evals._gates import parse_gate
from genloop.refs import validate_label, validate_name

__all__ = ["ApprovalRule", "BiasRule", "EvalRule", "PolicySpec", "SafetyRule", "Target", "load_policy_spec"]

TargetKind = Literal["model", "prompt", "deployment"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Strict):
    """What the policy protects: one entity (or ``*``, every one of the kind) and one alias/label."""

    kind: TargetKind
    name: str = "*"
    label: str = Field(default="production", description="The alias or label; a deployment's is 'update'")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value != "*":
            validate_name(value, "target name")
        return value


class EvalRule(_Strict):
    """Gates on the newest succeeded run of evaluation ``eval`` that used the version under review."""

    eval: str = Field(min_length=1, max_length=256)
    gates: list[str] = Field(default_factory=list, max_length=50)
    no_regression: bool = False

    @field_validator("gates")
    @classmethod
    def _gates(cls, value: list[str]) -> list[str]:
        for gate in value:
            if gate.startswith("no_regression"):
                raise ValueError("write no_regression: true instead of a no_regression gate")
            parse_gate(gate)
        return value


class SafetyRule(_Strict):
    """A guardrail policy run over a labelled attack set: enough attacks blocked, few benign texts hit."""

    policy: str | dict[str, Any] = Field(default="default", description="default, deployment:NAME, a mapping, or "
                                         "proposed (the guardrails of a deployment update under review)")
    attack_set: str = Field(min_length=1, max_length=300, description="A dataset version NAME@ref with text and label (attack|benign) columns")
    stage: Literal["input", "output"] = "input"
    min_block_rate: float = Field(default=0.0, ge=0, le=1)
    max_false_positive_rate: float = Field(default=1.0, ge=0, le=1)


class BiasRule(_Strict):
    """One metric of evaluation ``eval`` sliced by a dataset column: the largest gap between slices."""

    eval: str = Field(min_length=1, max_length=256)
    metric: str = Field(min_length=1, max_length=128)
    column: str = Field(min_length=1, max_length=128)
    max_gap: float = Field(ge=0)
    min_slice: int = Field(default=1, ge=1, description="Slices with fewer items are left out of the gap")


class ApprovalRule(_Strict):
    required: bool = True


class PolicySpec(_Strict):
    """A promotion policy; see the module docstring for the YAML form."""

    name: str
    description: str = Field(default="", max_length=10_000)
    target: Target
    evaluations: list[EvalRule] = Field(default_factory=list, max_length=50)
    safety: SafetyRule | None = None
    bias: list[BiasRule] = Field(default_factory=list, max_length=50)
    approval: ApprovalRule = Field(default_factory=ApprovalRule)

    @field_validator("name")
    @classmethod
    def _policy_name(cls, value: str) -> str:
        validate_name(value, "policy name")
        return value

    @model_validator(mode="after")
    def _target_rules(self) -> PolicySpec:
        validate_label(self.target.label)
        if self.target.kind == "deployment":
            if self.target.label != "update":
                raise ValueError("a deployment policy guards updates: write target.label: update")
            if self.evaluations or self.bias:
                raise ValueError("a deployment policy checks safety and approval only (evaluations and bias gate "
                                 "the model and prompt versions it serves: protect their aliases and labels)")
        return self

    def requirement_names(self) -> list[str]:
        """Each requirement named as the review evidence and refusals name it."""
        names = []
        for rule in self.evaluations:
            names += [f"evaluation {rule.eval!r}: {gate}" for gate in rule.gates]
            if rule.no_regression:
                names.append(f"evaluation {rule.eval!r}: no regression against the current {self.target.label}")
        if self.safety is not None:
            names.append(f"safety: {self.safety.attack_set}")
        names += [f"bias: {b.metric} by {b.column} (gap <= {b.max_gap})" for b in self.bias]
        if self.approval.required:
            names.append("approval by a reviewer who is not the author")
        return names


def load_policy_spec(source: PolicySpec | dict[str, Any] | str | Path) -> PolicySpec:
    """A policy from a spec, a mapping, a YAML file path or YAML text; errors name the field to fix."""
    if isinstance(source, PolicySpec):
        return source
    data: Any = source
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and source.endswith((".yaml", ".yml"))):
        path = Path(source)
        try:
            data = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read policy file {str(path)!r}: {exc.strerror}") from None
    if isinstance(data, str):
        import yaml

        try:
            data = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"policy is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput("a policy must be a mapping", hint="see the README's governance section for the form")
    try:
        return PolicySpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "policy"
        raise InvalidInput(f"invalid policy: {where}: {first['msg']}",
                           hint="see the README's governance section for the policy form") from None
    except InvalidInput as exc:
        raise InvalidInput(f"invalid policy: {exc.message}", hint=exc.hint) from None
