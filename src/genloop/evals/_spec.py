"""The evaluation spec: what to evaluate (a dataset, candidates, metrics, judges) and how (repeats, limits, cost).

A spec is a pydantic object, written in YAML or built in code; ``EvalSpec.load(path)`` reads a file. Its
``spec_hash`` covers only what changes the results (not concurrency, the cost cap or the executor), so
re-running the same spec finds the unfinished run to resume.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from genloop.errors import InvalidInput
from genloop.prompts._yaml import read_text_file

__all__ = ["CandidateSpec", "EvalSpec", "JudgeSpec", "canonical_hash"]

_CANDIDATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

DEFAULT_RUBRIC = (
    "How well does the response answer the input? Consider correctness, completeness and clarity."
)
DEFAULT_ANCHORS = {
    1: "wrong, irrelevant or harmful",
    2: "mostly wrong or missing the point",
    3: "partly correct or incomplete",
    4: "correct with minor issues",
    5: "fully correct, complete and clear",
}


def canonical_hash(obj: Any) -> str:
    """``sha256:`` of the canonical JSON of ``obj`` (sorted keys, no whitespace)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # any str hashes


class CandidateSpec(BaseModel):
    """One system under test: a prompt ref plus a model (``provider:model`` or registry ``NAME@ref``),
    a model alone (the dataset's ``messages`` or input column is sent), a column of precomputed outputs, or a
    Python callable (``module:function``, or in the SDK the function itself) called with each row."""

    model_config = ConfigDict(extra="forbid")
    _function: Any = PrivateAttr(default=None)

    name: str | None = Field(default=None, description="Label in reports; default the output column or model.")
    prompt: str | None = Field(default=None, description="Prompt reference NAME@ref rendered with each row.")
    model: str | None = Field(default=None, description="'provider:model' or a registry model NAME@ref.")
    output_column: str | None = Field(default=None, description="Dataset column holding precomputed outputs.")
    callable: str | None = Field(default=None, description=(
        "'module:function' called with the row (a dict), sync or async; it returns the answer text, or a dict "
        "with 'output' and fields the metrics and judges read (contexts, tool_calls, retrieved_ids)."))
    params: dict[str, Any] = Field(default_factory=dict, description="Sampling parameters over the prompt's own.")

    @model_validator(mode="wrap")
    @classmethod
    def _function_object(cls, data: Any, handler: Any) -> Any:
        """A function passed in the SDK is kept as is; the spec records its ``module:qualname``."""
        function = None
        if isinstance(data, dict) and data.get("callable") is not None and not isinstance(data["callable"], str):
            function = data["callable"]
            if not callable(function):
                raise ValueError(f"'callable' must be 'module:function' or a function, not {type(function).__name__}")
            data = {**data, "callable": f"{function.__module__}:{getattr(function, '__qualname__', 'function')}"}
        model = handler(data)
        if function is not None:
            model._function = function
        return model

    @model_validator(mode="after")
    def _one_source(self) -> CandidateSpec:
        sources = [self.model is not None or self.prompt is not None, self.output_column is not None,
                   self.callable is not None]
        if sum(sources) != 1:
            raise ValueError("a candidate needs either 'prompt' and/or 'model', or 'output_column', or 'callable' "
                             "(exactly one of them)")
        if self.output_column is not None and self.prompt is not None:
            raise ValueError("a candidate with 'output_column' takes no 'prompt'")
        if self.name is not None and not _CANDIDATE_NAME.fullmatch(self.name):
            raise ValueError(f"candidate name {self.name!r}: use letters, digits, '_' or '-' (64 at most)")
        return self

    def default_name(self, index: int) -> str:
        """The name used when none is given: derived from the column or model, else ``c{index}``."""
        raw = (self.name or self.output_column or (self.prompt or self.model or "").split("@")[0]
               or (self.callable or "").rpartition(":")[2])
        clean = re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:64].strip("-")
        return clean or f"c{index}"


class JudgeSpec(BaseModel):
    """A model-based metric: a pointwise rubric judge or a pairwise (A vs B) judge."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Metric name in results and gates, e.g. 'helpfulness' or 'pairwise'.")
    type: str = Field(default="pointwise", description="'pointwise', 'pairwise' or a plugin judge.")
    model: str = Field(description="Judge model: 'provider:model' or a registry model NAME@ref.")
    prompt: str | None = Field(default=None, description="Judge prompt NAME@ref; default a built-in versioned one.")
    rubric: str = DEFAULT_RUBRIC
    anchors: dict[int, str] = Field(default_factory=lambda: dict(DEFAULT_ANCHORS))
    scale: tuple[int, int] = (1, 5)
    use_reference: bool = Field(default=False, description="Show the judge the reference answer.")
    samples: int = Field(default=1, ge=1, le=25, description="Verdicts drawn per item (and per order).")
    aggregate: Literal["mean", "majority"] = "mean"
    both_orders: bool = Field(default=True, description="Pairwise: judge A-B and B-A; a flip counts as a tie.")
    baseline: str | None = Field(default=None, description="Pairwise: compare every candidate with this one only.")
    pass_threshold: float | None = Field(default=None, description="Pointwise: a score >= this passes.")
    params: dict[str, Any] = Field(default_factory=lambda: {"temperature": 0.0})

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _CANDIDATE_NAME.fullmatch(value):
            raise ValueError(f"judge name {value!r}: use letters, digits, '_' or '-'")
        return value

    @model_validator(mode="after")
    def _scale(self) -> JudgeSpec:
        if self.scale[0] >= self.scale[1]:
            raise ValueError(f"scale {self.scale} must be (low, high) with low < high")
        return self


class EvalSpec(BaseModel):
    """Everything one evaluation needs. ``repeats`` re-asks each candidate; ``limit`` samples with ``seed``."""

    model_config = ConfigDict(extra="forbid")

    name: str = "eval"
    description: str = ""
    dataset: str = Field(description="Dataset reference NAME@ref.")
    id_column: str | None = Field(default=None, description="Column identifying an example; default row position.")
    input_column: str = Field(default="input", description="Sent as the user message when a candidate has no prompt.")
    reference_column: str | None = Field(default=None, description="Reference answers; default 'reference' if present.")
    candidates: list[CandidateSpec] = Field(min_length=1)
    metrics: list[Any] = Field(default_factory=list, description="Names ('rouge_l'), mappings ({name: regex, "
                               "pattern: ...}) or, in code, Metric objects and @metric functions.")
    judges: list[JudgeSpec] = Field(default_factory=list)
    repeats: int = Field(default=1, ge=1, le=100)
    limit: int | None = Field(default=None, ge=1)
    seed: int = 0
    concurrency: int = Field(default=16, ge=1, le=4096)
    max_cost: float | None = Field(default=None, ge=0, description="USD; the run stops cleanly when reached.")
    executor: str = Field(default="local", description="'local' (asyncio) or 'ray'.")
    gates: list[str] = Field(default_factory=list, description="Checked after the run, e.g. 'rouge_l>=0.4'.")

    @field_validator("metrics")
    @classmethod
    def _metric_items(cls, values: list[Any]) -> list[Any]:
        for value in values:
            if not isinstance(value, str | dict) and not callable(getattr(value, "score", None)):
                raise ValueError(f"metric {value!r}: use a name, a mapping, or a Metric / @metric function")
        return values

    @field_serializer("metrics")
    def _metric_specs(self, values: list[Any]) -> list[Any]:
        return [v if isinstance(v, str | dict) else v.spec for v in values]

    @model_validator(mode="after")
    def _unique_names(self) -> EvalSpec:
        names = self.candidate_names()
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"candidate names must be unique; repeated: {', '.join(dupes)} (set 'name')")
        judges = [j.name for j in self.judges]
        if len(set(judges)) != len(judges):
            raise ValueError("judge names must be unique")
        return self

    def candidate_names(self) -> list[str]:
        return [c.default_name(i) for i, c in enumerate(self.candidates)]

    def semantic(self) -> dict[str, Any]:
        """The fields that decide the results (what the spec hash covers)."""
        return self.model_dump(mode="json", exclude={"concurrency", "max_cost", "executor", "gates", "description"})

    @classmethod
    def load(cls, source: str | Path | dict[str, Any] | EvalSpec) -> EvalSpec:
        """A spec from a YAML/JSON file path, a YAML string, a dict, or a spec (returned as is)."""
        if isinstance(source, EvalSpec):
            return source
        origin = "spec"
        if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and source.endswith(
                (".yaml", ".yml", ".json"))):
            path = Path(source)
            if not path.exists():
                raise InvalidInput(f"spec file {str(path)!r} does not exist", hint="check the path")
            origin, source = str(path), read_text_file(path, "evaluation spec")  # not UTF-8: names the line
        if isinstance(source, str):
            try:
                source = yaml.safe_load(source)
            except yaml.YAMLError as exc:
                raise InvalidInput(f"{origin}: not valid YAML: {exc}") from exc
        if not isinstance(source, dict):
            raise InvalidInput(f"{origin}: a spec is a mapping with 'dataset' and 'candidates'")
        try:
            return cls.model_validate(source)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'spec'}: {err['msg']}" for err in exc.errors()[:10]
            )
            raise InvalidInput(f"{origin}: invalid spec: {problems}", hint="the spec format is in the genloop.evals module docstring") from exc
