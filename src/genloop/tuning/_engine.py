"""A tuning run end to end: check everything, train in a temporary folder, evaluate, then register.

Order matters for "nothing lost, nothing half-written": every reference, dataset kind and row is checked
before the run starts; training writes only to a temporary folder; the model version is registered only
after training, saving and the evaluation succeeded; a failure or Ctrl-C finishes the run ``failed`` or
``cancelled`` and registers nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genloop.errors import InvalidInput, NotFound
from genloop.tuning._schemas import EvalOutcome, TuneResult
from genloop.tuning._spec import TuneEval, TuneSpec, load_spec

__all__ = ["base_folder", "check_base", "evaluate", "read_rows", "run_tune", "work_dir"]


def check_base(version: Any, what: str = "base model") -> None:
    """A base must have full weights: a checkpoint or merged model."""
    if version.kind in ("checkpoint", "merged"):
        return
    hints = {"adapter": f"merge it first: genloop models merge {version.ref}",
             "quantized": "train on the unquantized model it came from",
             "provider": "register a checkpoint (a local folder) as the base"}
    raise InvalidInput(f"{what} {version.ref} is a {version.kind} model; training needs a checkpoint or merged model",
                       hint=hints.get(version.kind, "pick a checkpoint"))


def base_folder(version: Any, settings: Any) -> str:
    """A local folder holding ``version``'s files (downloaded to the cache when the store is remote)."""
    from genloop.providers._local_load import local_folder

    uri = version.uri.split("://", 1)[1] if version.uri.startswith("file://") else version.uri
    return str(local_folder(uri, settings.resolved_home / "cache"))


def work_dir(settings: Any, prefix: str) -> Path:
    """A fresh temporary folder under ``$GENLOOP_HOME/tmp/tuning`` (removed by the caller)."""
    root = settings.resolved_home / "tmp" / "tuning"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))


def read_rows(datasets: Any, ref: str) -> list[dict[str, Any]]:
    """Every row of dataset version ``ref``."""
    return list(datasets.iter_rows(ref, batch_size=1000))


def _get(service: Any, ref: str, what: str) -> Any:
    try:
        return service.get(ref)
    except NotFound as exc:
        raise NotFound(f"{what} {ref!r} does not resolve: {exc.message}", hint=exc.hint) from exc


def check_references(svc: Any, spec: TuneSpec) -> dict[str, Any]:
    """The base model, the datasets and their kinds, checked before the training libraries are imported."""
    from genloop.tuning._data import check_kind

    base = _get(svc.models, spec.base, "base model")
    check_base(base)
    train_v = _get(svc.datasets, spec.train, "training dataset")
    check_kind(spec.method, train_v)
    eval_v = _get(svc.datasets, spec.eval_dataset, "eval dataset") if spec.eval_dataset else None
    if eval_v is not None:
        check_kind(spec.method, eval_v, "eval")
    if spec.eval is not None:
        if svc.evals is None:
            raise InvalidInput("the spec has an eval section but this TuningService has no evals service",
                               hint="build it with a store, or pass evals=")
        _get(svc.datasets, spec.eval.dataset, "evaluation dataset")
    return {"base": base, "train": train_v, "eval": eval_v}


def _prepare(svc: Any, spec: TuneSpec, checked: dict[str, Any]) -> dict[str, Any]:
    """Load the tokenizer and check every row; raises before any run exists."""
    from transformers import AutoTokenizer

    from genloop.tuning._data import prepare_examples, raise_problems

    base, train_v, eval_v = checked["base"], checked["train"], checked["eval"]
    if spec.method == "qlora":
        from genloop.tuning._deps import require_cuda_bnb

        require_cuda_bnb("QLoRA")
    folder = base_folder(base, svc.settings)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    examples, problems, fmt = prepare_examples(read_rows(svc.datasets, train_v.ref), train_v.kind, spec, tokenizer)
    raise_problems(problems, train_v.ref, spec.method, spec.max_problems)
    eval_examples = None
    if eval_v is not None:
        eval_examples, problems, _ = prepare_examples(read_rows(svc.datasets, eval_v.ref), eval_v.kind, spec,
                                                      tokenizer)
        raise_problems(problems, eval_v.ref, spec.method, spec.max_problems)
    return {"base": base, "train": train_v, "eval": eval_v, "folder": folder, "tokenizer": tokenizer,
            "examples": examples, "eval_examples": eval_examples, "fmt": fmt}


def evaluate(svc: Any, tune_eval: TuneEval, *, tuned: str, base: str | None) -> EvalOutcome:
    """Evaluate ``tuned`` (and ``base``), compare them pair by pair, and check the gates on the tuned run."""
    tuned_result = svc.evals.run(tune_eval.eval_spec("tuned", tuned), gates=list(tune_eval.gates))
    outcome = EvalOutcome(tuned_run=tuned_result.run_id, tuned_metrics=dict(tuned_result.metrics),
                          gates=list(tuned_result.gates))
    if base is not None and tune_eval.compare_with_base:
        base_result = svc.evals.run(tune_eval.eval_spec("base", base))
        outcome.base_run = base_result.run_id
        outcome.base_metrics = dict(base_result.metrics)
        outcome.comparison = svc.evals.compare(base_result.run_id, tuned_result.run_id)
    return outcome


def _params(spec: TuneSpec, ready: dict[str, Any]) -> dict[str, Any]:
    params = spec.model_dump(mode="json", exclude={"eval"})
    params.update({"base": ready["base"].ref, "train": ready["train"].ref, "learning_rate": spec.lr,
                   "adapter": spec.uses_adapter, "train_examples": len(ready["examples"]), **ready["fmt"]})
    if ready["eval"] is not None:
        params["eval_dataset"] = ready["eval"].ref
    if spec.eval is not None:
        params["evaluation"] = spec.eval.model_dump(mode="json")
    return params


def run_tune(svc: Any, spec: TuneSpec | dict[str, Any] | str | Path, *, progress: bool = False,
             callbacks: Sequence[Any] = ()) -> TuneResult:
    """Run one tuning spec (see :class:`~genloop.tuning.TuneSpec`); returns the run and the registered version."""
    from genloop.tuning._deps import require_train

    spec = load_spec(spec)
    checked = check_references(svc, spec)  # a typo is reported in a second, not after importing torch
    require_train()
    ready = _prepare(svc, spec, checked)
    base, output = ready["base"], spec.output_name()
    from genloop.quality._contamination import warn_train_eval_overlap

    eval_refs = [ready["eval"].ref if ready["eval"] is not None else None, spec.eval.dataset if spec.eval else None]
    contamination = warn_train_eval_overlap(svc.datasets, ready["train"].ref, eval_refs)
    inputs = [f"model:{base.ref}", f"dataset:{ready['train'].ref}"]
    if ready["eval"] is not None:
        inputs.append(f"dataset:{ready['eval'].ref}")
    params = _params(spec, ready) | ({"contamination": contamination} if contamination else {})
    with svc.runs.run("tune", name=spec.name or f"tune {output}", params=params, inputs=inputs) as run:
        workdir = work_dir(svc.settings, f"tune-{run.id[:12]}-")
        try:
            version, metrics, evaluation = _train_and_register(svc, spec, ready, run, workdir, progress, callbacks)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return TuneResult(run=svc.runs.get(run.id), model=version, metrics=metrics, evaluation=evaluation)


def _train_and_register(svc: Any, spec: TuneSpec, ready: dict[str, Any], run: Any, workdir: Path, progress: bool,
                        callbacks: Sequence[Any]) -> tuple[Any, dict[str, Any], EvalOutcome | None]:
    from genloop.providers._local import MODELS
    from genloop.tuning._callback import RichProgress, RunLogger
    from genloop.tuning._train import is_oom, oom_error, train

    logger = RunLogger(svc.runs, run.id)
    bars = [RichProgress(f"{spec.method} {ready['base'].ref}")] if progress else []
    try:
        facts = train(spec, ready["folder"], ready["tokenizer"], ready["examples"], ready["eval_examples"], workdir,
                      ready["fmt"], [logger, *bars, *callbacks])
    except Exception as exc:
        if is_oom(exc):
            raise oom_error(spec, exc) from exc
        raise
    finally:
        for bar in bars:
            bar.close()
    run.log_params({"target_modules": facts.pop("target_modules")})
    metrics = {**facts, "tokens": logger.tokens}
    if logger.tokens and facts["train_runtime_s"]:
        metrics["tokens_per_second"] = logger.tokens / facts["train_runtime_s"]
    run.log_metrics({k: float(v) for k, v in metrics.items()})
    saved = workdir / "model"
    evaluation = None
    if spec.eval is not None:
        tuned = f"local:{saved}"  # an adapter's config names the base folder it was trained on
        try:
            evaluation = evaluate(svc, spec.eval, tuned=tuned, base=ready["base"].ref)
        finally:
            MODELS.discard(tuned.removeprefix("local:"))
    kind = "adapter" if spec.uses_adapter else "checkpoint"
    metadata: dict[str, Any] = {"train_dataset": ready["train"].ref, "metrics": metrics}
    if evaluation is not None:
        metadata["evaluation"] = evaluation.brief()
    version = svc.models.register(
        spec.output_name(), kind=kind, uri=str(saved), base=ready["base"].ref, copy=True, source_run_id=run.id,
        config={"method": spec.method, "format": "peft-lora" if spec.uses_adapter else "hf-checkpoint",
                **({"lora": spec.lora.model_dump(mode="json")} if spec.uses_adapter else {})},
        metadata=metadata, description=spec.description or f"{spec.method} of {ready['base'].ref} on "
                                                            f"{ready['train'].ref}")
    run.add_output(f"model:{version.ref}")
    run.summary.update({"model": version.ref, "metrics": metrics})
    if evaluation is not None:
        run.summary["evaluation"] = evaluation.brief()
    return version, metrics, evaluation
