"""`genloop prompts optimize SPEC`: propose better prompt versions and test the best once on held-out data."""

from __future__ import annotations

from pathlib import Path

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, console, err_console, get_client, print_json, print_table


def optimize(
    spec: Path = typer.Argument(..., help="Optimization spec (YAML): prompt, dataset, model, metric, eval, strategy, "
                                "optimizer_model, rounds, budget."),
    fresh: bool = typer.Option(False, "--fresh", help="Start over instead of resuming a stopped optimization."),
    project: ProjectOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Optimize a prompt: candidates become versions scored with intervals; the best is tested once, held out."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from genloop.optimize import OptimizeSpec, PromptOptimizer

    loaded = OptimizeSpec.load(spec)  # a bad spec fails here, before any call
    with get_client(project) as client, Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                                  TimeElapsedColumn(), console=err_console,
                                                  disable=json_out) as bar:
        task = bar.add_task(f"optimizing {loaded.prompt} ({loaded.strategy}, {loaded.rounds} rounds)", total=None)

        def progress(event: str, data: dict) -> None:  # type: ignore[type-arg]
            if event == "candidate":
                bar.update(task, description=f"round {data['round']}: {data['ref']} scored {data['score']}")
            elif event == "resume":
                bar.update(task, description=f"resuming run {data['run'][:12]} ({data['candidates']} candidates)")

        result = PromptOptimizer(client, progress=progress).run(loaded, resume=not fresh)
    if json_out:
        print_json(result)
        return
    rows = [{"version": c.ref, "round": c.round, loaded.metric: c.score, "ci": f"[{c.ci_low}, {c.ci_high}]",
             "how": c.how} for c in [result.original, *result.candidates]]
    print_table(rows, ["version", "round", loaded.metric, "ci", "how"],
                title=f"optimization {result.run_id[:12]}: scores on the optimization split")
    if result.held_out is None:
        console.print("no candidate could be scored; nothing to test on the held-out split")
    else:
        console.print(f"held out: {result.held_out.verdict}")
    console.print(f"{result.calls} model calls, ${result.cost:.4f}"
                  + (f"; stopped by {result.stopped_by}" if result.stopped_by else "")
                  + (f"; {result.discarded} proposals discarded" if result.discarded else ""))
    console.print("nothing was labelled: move a label with genloop prompts label REF LABEL")
