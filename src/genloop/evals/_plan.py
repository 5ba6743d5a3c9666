"""Turn a spec into a plan: pinned versions, the sampled examples, candidates, metrics and judges.

Everything a run needs is resolved here, before the first model call, so a bad spec (an unknown metric,
a column the dataset lacks, a missing prompt) fails with one clear message. References are pinned to
concrete versions (``golden@production`` -> ``golden@4``) and the spec hash covers them, so a moved label
never resumes a run made from other versions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from genloop.errors import Hint, InvalidInput
from genloop.evals._calls import ModelTarget
from genloop.evals._judges import PairwiseJudge, PointwiseJudge, ensure_judge_prompt
from genloop.evals._metrics import resolve_metrics
from genloop.evals._spec import CandidateSpec, EvalSpec, canonical_hash

__all__ = ["Candidate", "Example", "Plan", "build_plan", "judge_registry"]


@dataclass
class Candidate:
    name: str
    spec: CandidateSpec
    target: ModelTarget | None = None
    prompt: Any = None  # a pinned PromptVersion
    params: dict[str, Any] = field(default_factory=dict)
    function: Any = None  # the Python callable of a 'callable' candidate

    def messages(self, row: dict[str, Any], input_column: str) -> list[dict[str, Any]]:
        """The chat messages this candidate sends for ``row``."""
        if self.prompt is not None:
            from genloop.prompts import render_version

            rendered = render_version(self.prompt, row)
            if rendered.messages is not None:
                return [{"role": m.role, "content": m.content} for m in rendered.messages]
            return [{"role": "user", "content": rendered.text or ""}]
        if isinstance(row.get("messages"), list) and input_column not in row:
            return [dict(m) for m in row["messages"]]
        return [{"role": "user", "content": _text(row.get(input_column))}]


@dataclass
class Example:
    index: int
    id: str
    row: dict[str, Any]
    reference: Any = None


@dataclass
class Plan:
    spec: EvalSpec
    spec_hash: str
    dataset_ref: str
    examples: list[Example]
    candidates: list[Candidate]
    metrics: list[tuple[str, Any]]
    pointwise: list[PointwiseJudge]
    pairwise: list[tuple[PairwiseJudge, list[tuple[str, str]]]]
    inputs: list[str]
    hidden_columns: set[str] = field(default_factory=set)

    @property
    def planned_items(self) -> int:
        return len(self.examples) * len(self.candidates) * self.spec.repeats

    @property
    def planned_pairs(self) -> int:
        return len(self.examples) * self.spec.repeats * sum(len(pairs) for _, pairs in self.pairwise)

    def inputs_of(self, example: Example) -> dict[str, Any]:
        """The row without reference and precomputed-output columns (what an item records as its inputs)."""
        return {k: v for k, v in example.row.items() if k not in self.hidden_columns}

    def judge_input(self, example: Example) -> str:
        """The input a judge is shown: the input column, else the first candidate's user messages."""
        if self.spec.input_column in example.row:
            return _text(example.row[self.spec.input_column])
        for candidate in self.candidates:
            if candidate.spec.output_column is None and candidate.spec.callable is None:
                messages = candidate.messages(example.row, self.spec.input_column)
                return "\n\n".join(_text(m.get("content")) for m in messages if m.get("role") == "user")
        return _text(self.inputs_of(example))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def import_callable(path: str, candidate: str) -> Any:
    """The function ``module:function`` (``module:Class.method`` too) names; InvalidInput naming what is missing."""
    import importlib

    module_name, sep, attribute = path.partition(":")
    hint = "write callable: 'package.module:function' (importable where the evaluation runs)"
    if not sep or not module_name or not attribute or "<locals>" in attribute:
        raise InvalidInput(f"candidate {candidate!r}: callable {path!r} is not 'module:function'", hint=hint)
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidInput(f"candidate {candidate!r}: cannot import module {module_name!r}: {exc}", hint=hint) from exc
    for part in attribute.split("."):
        found = getattr(found, part, None)
        if found is None:
            raise InvalidInput(f"candidate {candidate!r}: module {module_name!r} has no {attribute!r}", hint=hint)
    if not callable(found):
        raise InvalidInput(f"candidate {candidate!r}: {path!r} is not callable", hint=hint)
    return found


def judge_registry() -> dict[str, type]:
    """Judge classes by type name, from the ``register_judges`` hook (built-ins included)."""
    from genloop.plugins import collect

    found: dict[str, type] = {}
    for args, kwargs in collect("judges"):
        values = {**dict(zip(("name", "factory"), args, strict=False)), **kwargs}
        found.setdefault(str(values["name"]), values["factory"])
    return found


def resolve_target(models: Any, ref: str, params: dict[str, Any] | None = None) -> ModelTarget:
    """``provider:model`` as is, or a registry ``NAME@ref`` through the model registry (pinned to NAME@N)."""
    if ":" in ref:
        provider, _, model = ref.partition(":")
        return ModelTarget(provider=provider, model=model, params=dict(params or {}))
    version = models.resolve(ref)
    from genloop.providers._local_load import LOCAL_KINDS, local_model_name

    config = version.config or {}
    if version.kind in LOCAL_KINDS and not config.get("base_url") and ("://" in version.uri or ":" not in version.uri):
        # weights (a folder or an fsspec URI): run them in-process with the local provider
        params = {**dict(config.get("params") or {}), **(params or {})}
        return ModelTarget(provider="local", model=local_model_name(version, models.resolve), params=params,
                           ref=version.ref)
    if ":" not in version.uri:
        raise InvalidInput(f"model {version.ref} ({version.kind}) is not served by a provider (uri {version.uri!r})",
                           hint="serve it behind an OpenAI-compatible endpoint and register it with "
                                "uri openai:MODEL and config.base_url")
    provider, _, model = version.uri.partition(":")
    if config.get("connection"):  # its key stays on the server: only the gateway resolves it (issue 9)
        raise InvalidInput(f"model {version.ref} is served through the connection {config['connection']!r}, which "
                           "only the gateway resolves", hint=Hint(
                               cli="evaluate it through a deployment that uses it, or register a version with "
                                   "--base-url for evaluation (no server key is sent there)",
                               sdk="evaluate it through a deployment that uses it, or register a version with "
                                   "base_url= for evaluation (no server key is sent there)",
                               rest='evaluate it through a deployment that uses it, or register a version with '
                                    '"base_url" for evaluation (no server key is sent there)'))
    config = {k: v for k, v in (version.config or {}).items() if k != "params"}
    merged = {**dict((version.config or {}).get("params") or {}), **(params or {})}
    return ModelTarget(provider=provider, model=model, config=config, params=merged, ref=version.ref)


def check_providers(plan: Plan, injected: Any = None) -> None:
    """Every candidate's and judge's provider exists (registered, or passed in ``providers=``), before any call."""
    from genloop.errors import did_you_mean
    from genloop.providers import list_providers

    known = sorted({*list_providers(), *(injected or {})})
    targets = [(f"candidate {c.name!r}", c.target) for c in plan.candidates if c.target is not None]
    targets += [(f"judge {j.name!r}", j.target) for j in [*plan.pointwise, *(p for p, _ in plan.pairwise)]]
    for where, target in targets:
        if target.provider not in known:
            raise InvalidInput(f"{where}: unknown provider {target.provider!r} in model "
                               f"'{target.provider}:{target.model}'{did_you_mean(target.provider, known)}",
                               hint=f"known providers: {', '.join(known)}")


def _sample(count: int, spec: EvalSpec) -> list[int]:
    if spec.limit is None or spec.limit >= count:
        return list(range(count))
    return sorted(random.Random(spec.seed).sample(range(count), spec.limit))


def build_plan(spec: EvalSpec, *, datasets: Any, prompts: Any, models: Any) -> Plan:
    """Resolve ``spec``: raises :class:`InvalidInput` / :class:`NotFound` naming the first problem."""
    from genloop.evals._datasets import load_rows

    dataset_ref, columns, rows = load_rows(datasets, spec.dataset)
    names = spec.candidate_names()

    def need(column: str | None, what: str) -> None:
        if column is not None and column not in columns:
            raise InvalidInput(f"{what}: dataset {dataset_ref} has no column {column!r}",
                               hint=f"its columns are: {', '.join(columns)}")

    need(spec.id_column, "id_column")
    reference_column = spec.reference_column or ("reference" if "reference" in columns else None)
    need(reference_column, "reference_column")
    candidates: list[Candidate] = []
    inputs = [f"dataset:{dataset_ref}"]
    for name, cspec in zip(names, spec.candidates, strict=True):
        candidate = Candidate(name=name, spec=cspec, params=dict(cspec.params))
        need(cspec.output_column, f"candidate {name!r} output_column")
        if cspec.prompt:
            candidate.prompt = prompts.get(cspec.prompt)
            inputs.append(f"prompt:{candidate.prompt.ref}")
            for variable in candidate.prompt.variables:
                need(variable, f"candidate {name!r}: prompt {candidate.prompt.ref} variable {variable!r}")
        elif cspec.callable is not None:
            candidate.function = cspec._function or import_callable(cspec.callable, name)
        elif cspec.output_column is None and spec.input_column not in columns and "messages" not in columns:
            need(spec.input_column, f"candidate {name!r} (no prompt) input_column")
        model_ref = cspec.model or (candidate.prompt.model if candidate.prompt is not None else None)
        if cspec.output_column is None and cspec.callable is None:
            if not model_ref:
                raise InvalidInput(f"candidate {name!r}: prompt {candidate.prompt.ref} names no model",
                                   hint="add 'model: provider:model' to the candidate")
            prompt_params = dict(candidate.prompt.params) if candidate.prompt is not None else {}
            candidate.target = resolve_target(models, model_ref, {**prompt_params, **cspec.params})
            if candidate.target.ref:
                inputs.append(f"model:{candidate.target.ref}")
        candidates.append(candidate)
    metrics = resolve_metrics(spec.metrics)
    pointwise, pairwise = _judges(spec, names, prompts, models, inputs)
    if reference_column is None:  # found now, not as an error on every item
        needing = [f"metric {n!r}" for n, m in metrics if getattr(m, "requires_reference", False)]
        needing += [f"judge {j.name!r}" for j in [*pointwise, *(p for p, _ in pairwise)] if j.spec.use_reference]
        if needing:
            raise InvalidInput(f"{', '.join(needing)} need a reference, and dataset {dataset_ref} has no "
                               "'reference' column", hint=f"set reference_column to one of: {', '.join(columns)}")
    indices = _sample(len(rows), spec)
    examples = []
    for index in indices:
        row = rows[index]
        ident = str(row[spec.id_column]) if spec.id_column else str(index)
        examples.append(Example(index=index, id=ident, row=row,
                                reference=row.get(reference_column) if reference_column else None))
    if spec.id_column and len({e.id for e in examples}) != len(examples):
        raise InvalidInput(f"id_column {spec.id_column!r} has repeated values in {dataset_ref}",
                           hint="pick a column that identifies each row, or leave id_column out")
    pinned = {"spec": spec.semantic(), "dataset": dataset_ref,
              "candidates": {c.name: [c.prompt.ref if c.prompt is not None else None,
                                      c.target.to_json() if c.target is not None else None] for c in candidates},
              "judges": {j.name: [j.prompt.ref, j.target.to_json()] for j in [*pointwise, *(p for p, _ in pairwise)]}}
    hidden = {c.spec.output_column for c in candidates if c.spec.output_column}
    if reference_column:
        hidden.add(reference_column)
    return Plan(spec=spec, spec_hash=canonical_hash(pinned), dataset_ref=dataset_ref, examples=examples,
                candidates=candidates, metrics=metrics, pointwise=pointwise, pairwise=pairwise,
                inputs=list(dict.fromkeys(inputs)), hidden_columns=hidden)


def _judges(spec: EvalSpec, names: list[str], prompts: Any, models: Any,
            inputs: list[str]) -> tuple[list[PointwiseJudge], list[tuple[PairwiseJudge, list[tuple[str, str]]]]]:
    registry = judge_registry()
    pointwise: list[PointwiseJudge] = []
    pairwise: list[tuple[PairwiseJudge, list[tuple[str, str]]]] = []
    for jspec in spec.judges:
        cls = registry.get(jspec.type)
        if cls is None:
            raise InvalidInput(f"judge {jspec.name!r}: unknown judge type {jspec.type!r}",
                               hint=f"known types: {', '.join(sorted(registry))}")
        target = resolve_target(models, jspec.model)
        prompt = ensure_judge_prompt(prompts, jspec)
        inputs.append(f"prompt:{prompt.ref}")
        if target.ref:
            inputs.append(f"model:{target.ref}")
        judge = cls(jspec, target, prompt)
        if getattr(judge, "kind", "") == "pairwise":
            if jspec.baseline is not None and jspec.baseline not in names:
                raise InvalidInput(f"judge {jspec.name!r}: baseline {jspec.baseline!r} is not a candidate",
                                   hint=f"candidates: {', '.join(names)}")
            if len(names) < 2:
                raise InvalidInput(f"pairwise judge {jspec.name!r} needs at least two candidates")
            # one orientation everywhere: candidate_a is the challenger (a later candidate, or any candidate
            # but the baseline), candidate_b what it is compared with, and win rates are candidate_a's
            if jspec.baseline:
                pairs = [(n, jspec.baseline) for n in names if n != jspec.baseline]
            else:
                pairs = [(b, a) for i, a in enumerate(names) for b in names[i + 1:]]  # later vs earlier
            pairwise.append((judge, pairs))
        else:
            pointwise.append(judge)
    return pointwise, pairwise
