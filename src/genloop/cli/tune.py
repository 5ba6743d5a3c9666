"""`genloop tune ...`: run a tuning spec, and build a tiny local base model to try it on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from genloop.cli._common import JsonOpt, ProjectOpt, console, err_console, get_client, print_json, print_table
from genloop.errors import InvalidInput

app = typer.Typer(help="Fine-tune models: SFT, LoRA/QLoRA, DPO/KTO (needs: the train extra).",
                  no_args_is_help=True)

ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")]


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``["epochs=3", "lora.r=8"]`` -> ``{"epochs": 3, "lora": {"r": 8}}`` (values read as YAML)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--set {pair!r} is not KEY=VALUE", hint="write e.g. --set epochs=3 --set lora.r=8")
        node = out
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
    return out


def merge_spec(path: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """The spec file's mapping with ``overrides`` merged in (nested mappings merge key by key)."""
    from genloop.tuning import load_spec

    base = load_spec(path).model_dump(exclude_unset=True)

    def deep(into: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        for key, value in extra.items():
            into[key] = deep(dict(into.get(key) or {}), value) if isinstance(value, dict) else value
        return into

    return deep(base, overrides)


def show_result(result: Any) -> None:
    """Print a tuning result: the version, the run, training metrics and the evaluation against the base."""
    console.print(f"registered {result.model.ref} ({result.model.kind}"
                  + (f" on {result.model.base}" if result.model.base else "") + f") from run {result.run.id}")
    metrics = {k: v for k, v in result.metrics.items() if isinstance(v, int | float)}
    print_table([{"metric": k, "value": v} for k, v in metrics.items()], ["metric", "value"], title="training")
    evaluation = result.evaluation
    if evaluation is None or evaluation.comparison is None:
        return
    rows = [{"metric": m.metric, "base": m.mean_a, "tuned": m.mean_b, "delta": m.delta, "ci_low": m.ci_low,
             "ci_high": m.ci_high, "p_value": m.p_value, "significant": "yes" if m.significant else "no"}
            for m in evaluation.comparison.metrics]
    print_table(rows, ["metric", "base", "tuned", "delta", "ci_low", "ci_high", "p_value", "significant"],
                title=f"tuned vs base on {evaluation.comparison.shared} items")
    for gate in evaluation.gates:
        console.print(f"gate {gate.message}", markup=False, highlight=False)


@app.command("run")
def run(
    spec: Annotated[Path, typer.Argument(help="Tuning spec (YAML): base, train, method, hyperparameters, eval.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a field: KEY=VALUE (e.g. lora.r=8).")]
    = None,
    project: ProjectOpt = "default",
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """Validate the data, train, evaluate against the base, and register the tuned model.

    Methods (the spec's method): sft (full fine-tune), lora, qlora (CUDA + bitsandbytes), dpo, kto (dpo and kto
    train on preference datasets, the others on chat or completion datasets).
    """

    body = merge_spec(spec, parse_overrides(set_ or []))
    with get_client(project) as client:
        result = client.tuning.run(body, progress=progress and not as_json)
    if as_json:
        print_json(result)
        return
    show_result(result)
    if result.evaluation is not None and not result.evaluation.passed:
        err_console.print("evaluation gates failed")
        raise typer.Exit(1)


@app.command("tiny")
def tiny(
    name: Annotated[str, typer.Argument(help="Model name to register.")] = "tiny",
    size: Annotated[str, typer.Option("--size", help="test (seconds), small, or demo (minutes).")] = "test",
    seed: Annotated[int, typer.Option("--seed")] = 0,
    steps: Annotated[int | None, typer.Option("--steps", help="Pre-training steps (default by size).")] = None,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Build a tiny base model here (no download: tokenizer and weights trained on synthetic text)."""
    from genloop.tuning import register_tiny_model

    with get_client(project) as client:
        with console.status(f"building a {size} model"):
            version = register_tiny_model(client.models, name, size=size, seed=seed, steps=steps)
    if as_json:
        print_json(version)
        return
    recipe = version.metadata.get("recipe", {})
    console.print(f"registered {version.ref} (checkpoint, {recipe.get('parameters', '?')} parameters, "
                  f"pre-training loss {recipe.get('final_loss', '?')})")
