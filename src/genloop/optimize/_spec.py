"""What a prompt optimization is asked to do: the prompt, the data, what to maximise, how, and the budget."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from genloop.errors import InvalidInput

__all__ = ["Budget", "OptimizeSpec"]


class Budget(BaseModel):
    """When to stop proposing: model calls (optimizer and evaluation), USD, seconds; None means no limit."""

    model_config = ConfigDict(extra="forbid")

    max_calls: int | None = Field(default=None, ge=1, description="Optimizer and evaluation model calls")
    max_cost: float | None = Field(default=None, gt=0, description="USD spent by this optimization")
    max_seconds: float | None = Field(default=None, gt=0)


class OptimizeSpec(BaseModel):
    """A prompt optimization. ``eval`` holds the evaluation fields shared by every run it makes (``metrics``,
    ``judges``, ``input_column``, ``reference_column``, ``id_column``, ``concurrency``); ``metric`` is the flat
    key maximised (``exact_match``, or a judge such as ``helpfulness``)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(description="The prompt version to improve, NAME@ref")
    dataset: str = Field(description="Dataset version, split into an optimization part and a held-out part")
    model: str = Field(description="The model the prompt runs on (provider:model or a registry NAME@ref)")
    metric: str = Field(description="The metric to maximise, a key of the evaluation's metrics")
    eval: dict[str, Any] = Field(default_factory=dict)
    strategy: Literal["meta", "fewshot", "reflective"] = "meta"
    optimizer_model: str | None = Field(default=None, description="Proposes rewrites (meta and reflective)")
    rounds: int = Field(default=3, ge=1, le=100)
    candidates_per_round: int = Field(default=2, ge=1, le=20)
    holdout: float = Field(default=0.3, gt=0, lt=1, description="Fraction of the dataset held out for the final test")
    demos: int = Field(default=3, ge=1, le=20, description="Few-shot: demonstrations per candidate")
    failures_shown: int = Field(default=5, ge=1, le=50, description="Failing examples the optimizer model reads")
    seed: int = 0
    budget: Budget = Field(default_factory=Budget)
    name: str = ""

    @field_validator("eval")
    @classmethod
    def _eval_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        owned = {"dataset", "candidates", "name", "gates", "seed"} & set(value)
        if owned:
            raise ValueError(f"eval may not set {', '.join(sorted(owned))}: the optimization sets them")
        if not value.get("metrics") and not value.get("judges"):
            raise ValueError("eval needs metrics or judges to score candidates (e.g. metrics: [exact_match])")
        return value

    @classmethod
    def load(cls, spec: OptimizeSpec | dict[str, Any] | str | Path) -> OptimizeSpec:
        """A spec from an object, a mapping, YAML text or a YAML file; InvalidInput names what is wrong."""
        if isinstance(spec, OptimizeSpec):
            return spec
        if isinstance(spec, Path) or (isinstance(spec, str) and "\n" not in spec and spec.endswith((".yaml", ".yml"))):
            try:
                spec = Path(spec).read_text(encoding="utf-8")
            except OSError as exc:
                raise InvalidInput(f"cannot read optimization spec {spec}: {exc.strerror}") from exc
        if isinstance(spec, str):
            try:
                spec = yaml.safe_load(spec)
            except yaml.YAMLError as exc:
                raise InvalidInput(f"optimization spec is not valid YAML: {exc}") from exc
        if not isinstance(spec, dict):
            raise InvalidInput("an optimization spec is a mapping", hint="see README: prompt optimization")
        try:
            parsed = cls.model_validate(spec)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "spec"
            raise InvalidInput(f"optimization spec: {where}: {err['msg']}") from None
        if parsed.strategy != "fewshot" and not parsed.optimizer_model:
            raise InvalidInput(f"strategy {parsed.strategy!r} needs an optimizer_model that proposes rewrites",
                               hint="set optimizer_model (provider:model or a registry NAME@ref), or use fewshot")
        return parsed

    @property
    def spec_hash(self) -> str:
        """The identity of what is asked (a resumed optimization must ask the same)."""
        canonical = orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        return "sha256:" + hashlib.sha256(canonical).hexdigest()
