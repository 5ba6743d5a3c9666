"""Demo steps with a real model: pre-train a tiny base here, evaluate it, LoRA-tune it, compare, promote.

Every number comes from a live run: the base is a tiny Llama pre-trained on sentences about dates (it has read
dates in both styles, never the instruction or the rewrite as a chat answer), the adapter is trained with TRL + PEFT on the SFT set, and both are
evaluated on the golden set with the paired statistics of ``genloop.evals``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloop.demo._base_cache import cached_tiny_model
from genloop.demo._task import pretraining_lines

__all__ = ["EVAL_METRICS", "ModelOutcome", "build_base", "evaluate_baseline", "promote", "tune_and_compare"]

EVAL_METRICS = ["exact_match", "chrf"]
#: Greedy decoding, and room for "YYYY-MM-DD" plus the end token.
GENERATION = {"temperature": 0, "max_tokens": 12}


@dataclass
class ModelOutcome:
    """What the model steps made and measured, for the later steps and the summary."""

    base: str = ""
    base_loss: float | None = None
    base_parameters: int = 0
    base_reused: bool = False
    baseline_run: str = ""
    baseline: dict[str, float] = field(default_factory=dict)
    tuned: str = ""
    tune_run: str = ""
    tuned_eval_run: str = ""
    tuned_metrics: dict[str, float] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    comparison: dict[str, Any] = field(default_factory=dict)
    champion: str = ""
    promoted: bool = False


def build_base(client: Any, say: Any, out: ModelOutcome, *, size: str, seed: int, exclude: frozenset[str],
               steps: int | None = None, progress: Any = None, cache_dir: Path | None = None) -> None:
    """Pre-train the tiny base model here (a ``tune`` run) and register it as ``tiny@N``; no date in
    ``exclude`` (the task's) is in its corpus. With ``cache_dir``, a base pre-trained before from the same
    recipe, corpus and code is reused from there (and a new one is kept there)."""
    from genloop.tuning import register_tiny_model

    corpus = pretraining_lines(12_000, seed=seed, exclude=exclude)
    params = {"size": size, "seed": seed, "extra_corpus_lines": len(corpus), "steps": steps}
    with client.runs.run(kind="tune", name="pre-train tiny base", params=params) as run:
        follow = None if progress is None else (
            lambda step, total, loss: progress("pre-train base", step, total, f"loss {loss:.3f}"))
        folder, out.base_reused = None, False
        if cache_dir is not None:
            folder, out.base_reused = cached_tiny_model(cache_dir, size=size, seed=seed, steps=steps, corpus=corpus,
                                                        progress=follow)
            run.log_params({"cache": str(folder), "reused_from_cache": out.base_reused})
        version = register_tiny_model(client.models, "tiny", path=folder, size=size, seed=seed, steps=steps,
                                      corpus=corpus, source_run_id=run.id, progress=follow)
        recipe = version.metadata.get("recipe", {})
        out.base_loss, out.base_parameters = recipe.get("final_loss"), int(recipe.get("parameters") or 0)
        run.log_metrics({"final_loss": float(out.base_loss or 0.0), "parameters": float(out.base_parameters)})
        run.add_output(f"model:{version.ref}")
    out.base = version.ref
    how = (f"reused from the cache {folder.parent} (pre-trained by an earlier demo from the same recipe; "
           "delete that folder to train it again)") if out.base_reused and folder else "pre-trained here"
    say(f"base model: {out.base}, a {out.base_parameters / 1e6:.1f} M-parameter Llama {how} "
        f"(final loss {out.base_loss})")


def _eval_spec(name: str, golden: str, prompt: str, candidate: str, model: str) -> dict[str, Any]:
    return {"name": name, "dataset": golden, "metrics": list(EVAL_METRICS), "concurrency": 32,
            "candidates": [{"name": candidate, "prompt": prompt, "model": model, "params": dict(GENERATION)}]}


def evaluate_baseline(client: Any, say: Any, out: ModelOutcome, *, golden: str, prompt: str,
                      progress: Any = None) -> None:
    """Evaluate the base model with the production prompt on the golden set."""
    follow = None if progress is None else (lambda done, total: progress("baseline evaluation", done, total, "items"))
    result = client.evals.run(_eval_spec("baseline", golden, prompt, "base", out.base), progress=follow)
    out.baseline_run, out.baseline = result.run_id, dict(result.metrics)
    say(f"baseline evaluation {result.run_id[:12]}: exact match {_ci(result.metrics, 'exact_match')}, "
        f"chrF {_ci(result.metrics, 'chrf', unit='')}")


def tune_and_compare(client: Any, say: Any, out: ModelOutcome, *, train: str, golden: str, prompt: str,
                     epochs: float, progress: Any = None) -> None:
    """LoRA-tune the base on ``train``; the run evaluates the adapter and the base and compares them."""
    spec = {
        "name": "lora on dates", "base": out.base, "train": train, "method": "lora", "output": "tiny-dates",
        "epochs": epochs, "learning_rate": 3e-3, "batch_size": 16, "max_length": 128, "logging_steps": 5,
        "lora": {"r": 16, "alpha": 32, "dropout": 0.0}, "seed": 0,
        "eval": {"dataset": golden, "prompt": prompt, "metrics": list(EVAL_METRICS), "params": dict(GENERATION),
                 "concurrency": 32},
    }
    result = client.tuning.run(spec, callbacks=[_follow_training(progress)] if progress is not None else ())
    out.tuned, out.tune_run, out.train = result.model.ref, result.run.id, dict(result.metrics)
    evaluation = result.evaluation
    assert evaluation is not None  # the spec has an eval section
    out.tuned_metrics, out.tuned_eval_run = dict(evaluation.tuned_metrics), evaluation.tuned_run
    out.comparison = evaluation.brief()["comparison"]
    say(f"LoRA run {result.run.id[:12]}: {out.train.get('steps')} steps, train loss "
        f"{out.train.get('train_loss', 0):.3f}, {out.train.get('tokens_per_second', 0):,.0f} tokens/s; "
        f"registered {out.tuned} (adapter on {out.base})")
    em = out.comparison.get("exact_match", {})
    say(f"tuned vs base on the golden set: exact match {_pct(em.get('base'))} -> {_pct(em.get('tuned'))} "
        f"(delta {_pct(em.get('delta'))}, 95% CI [{_pct(em.get('ci_low'))}, {_pct(em.get('ci_high'))}], "
        f"McNemar p = {_p(em.get('p_value'))})")


def _follow_training(progress: Any) -> Any:
    """A trainer callback reporting each optimizer step and the latest loss to ``progress``."""
    from transformers import TrainerCallback

    class Follow(TrainerCallback):  # type: ignore[misc]
        loss = ""

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if logs and "loss" in logs:
                self.loss = f"loss {logs['loss']:.3f}"

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            progress("LoRA tuning", state.global_step, state.max_steps or None, self.loss)

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            progress("LoRA tuning", state.global_step, state.global_step,
                     f"{self.loss}; evaluating the adapter and the base on the golden set")

    return Follow()


def promote(client: Any, say: Any, out: ModelOutcome) -> None:
    """Promote the tuned version to ``champion`` when the evidence says it is better, else keep the base."""
    em = out.comparison.get("exact_match", {})
    better = bool(em.get("significant")) and (em.get("delta") or 0) > 0
    if better:
        client.models.set_status(out.tuned, "approved",
                                 reason=f"exact match +{_pct(em.get('delta'))} vs {out.base}, p = {_p(em.get('p_value'))}")
        client.models.alias(out.tuned, "champion")
        out.champion, out.promoted = out.tuned, True
        say(f"promoted {out.tuned} to champion (approved: a significant improvement on the golden set)")
    else:
        client.models.alias(out.base, "champion")
        out.champion = out.base
        say(f"kept {out.base} as champion: the tuned model was not significantly better (p = {_p(em.get('p_value'))})")


def _ci(metrics: dict[str, float], key: str, unit: str = "%") -> str:
    """A 0-1 metric on a 0-100 scale with its interval: ``12.5% [8.1, 17.9]``."""
    value, low, high = metrics.get(key), metrics.get(f"{key}.ci_low"), metrics.get(f"{key}.ci_high")
    if value is None:
        return "n/a"
    if low is None or high is None:
        return f"{value * 100:.1f}{unit}"
    return f"{value * 100:.1f}{unit} [{low * 100:.1f}, {high * 100:.1f}]"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2g}"
