"""`genloop eval ...`: run a spec (with a progress bar and gates), show, list, items, compare, report,
check gates and validate a judge against human labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, console, err_console, get_client, print_json, print_table

app = typer.Typer(help="Evaluate prompts and models: run specs, compare runs, gate releases.", no_args_is_help=True)

GateOpt = Annotated[list[str] | None, typer.Option("--gate", "-g", help="e.g. 'rouge_l>=0.4', "
                                                    "'rouge_l.ci_low>=0.35', 'no_regression:RUN_ID' (repeatable)")]


def _print_gates(gates: list[Any]) -> None:
    for gate in gates:  # each verdict once, on stdout: `new.exact_match.ci_low = 0.31 >= 0.3: pass`
        console.print(gate.message, markup=False, highlight=False, soft_wrap=True)


@app.command("run")
def run(
    spec: Annotated[Path, typer.Argument(help="The spec file (YAML or JSON).")],
    gate: GateOpt = None,
    resume: Annotated[str | None, typer.Option("--resume", help="Resume this run id.")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start a new run, even if an unfinished one exists.")] = False,
    executor: Annotated[str | None, typer.Option("--executor", help="local or ray (overrides the spec).")] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", min=1, help="Overrides the spec.")] = None,
    max_cost: Annotated[float | None, typer.Option("--max-cost", min=0, help="USD cap (overrides the spec).")] = None,
    report: Annotated[str | None, typer.Option("--report", help="Also write a report: markdown, html, json, "
                                                "junit.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where --report goes.")] = None,
    project: ProjectOpt = "default",
    json_out: JsonOpt = False,
) -> None:
    """Run an evaluation spec; finished items of an interrupted run of the same spec are reused."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from genloop.evals import EvalSpec

    loaded = EvalSpec.load(spec)
    overrides = {k: v for k, v in (("executor", executor), ("concurrency", concurrency), ("max_cost", max_cost))
                 if v is not None}
    loaded = loaded.model_copy(update=overrides) if overrides else loaded
    with get_client(project) as client, Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=json_out, disable=not err_console.is_terminal and json_out,
    ) as bar:
        task = bar.add_task(loaded.name, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = client.evals.run(loaded, resume=resume or not fresh, gates=gate or [],  # and the spec's own
                                      progress=progress)
        if report:
            text = client.evals.report(result.run_id, report)
            if output:
                output.write_text(text)
            else:
                typer.echo(text)
    if json_out:
        print_json(result)
    else:
        from genloop.evals import render_report

        console.print(render_report(result, "table"), markup=False, highlight=False, end="")
    _exit_for(result, spec)


def _exit_for(result: Any, spec: Path) -> None:
    failed_gates = [g for g in result.gates if not g.passed]
    if result.status != "succeeded":
        hint = f"; resume with: genloop eval run {spec}" if result.reason in {"cost_cap", "interrupted",
                                                                                "provider_error", "item_errors"} else ""
        err_console.print(f"error: run {result.run_id} {result.status} ({result.reason}): {result.error}{hint}",
                          markup=False, highlight=False)
        raise typer.Exit(130 if result.reason == "interrupted" else 1)
    if failed_gates:  # the verdicts are in the report above (or the JSON); one line says why the exit code is 1
        err_console.print(f"error: {len(failed_gates)} of {len(result.gates)} gate(s) failed: "
                          f"{', '.join(g.gate for g in failed_gates)}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@app.command("show")
def show(run_id: str, project: ProjectOpt = "default", json_out: JsonOpt = False) -> None:
    """Show an evaluation result."""
    from genloop.evals import render_report

    with get_client(project) as client:
        result = client.evals.get(run_id)
        unread = [name for name, j in result.judges.items() if j.get("unscored_items") or j.get("unparsed")]
        items = client.evals.items(result.run_id, 0, 200).items if unread and not json_out else []
    if json_out:
        print_json(result)
        return
    console.print(render_report(result, "table"), markup=False, highlight=False, end="")
    for name in unread:  # why a verdict could not be read, and what the judge said (eval items shows them all)
        first = next((i for i in items if name in i.judgments and i.judgments[name].get("score") is None), None)
        if first is not None:
            console.print(f"judge {name}, example {first.example_id} ({first.candidate}): "
                          f"{_judgments({name: first.judgments[name]}).split(': ', 1)[1]}",
                          markup=False, highlight=False, soft_wrap=True)


@app.command("list")
def list_runs(project: ProjectOpt = "default", offset: int = 0, limit: int = 50, json_out: JsonOpt = False) -> None:
    """List evaluation runs, newest first."""
    with get_client(project) as client:
        page = client.evals.list(offset=offset, limit=limit)
    if json_out:
        print_json(page)
    else:
        print_table(page.items, ["id", "name", "status", "started_at", "ended_at"], title="evaluations")


@app.command("items")
def items(run_id: str, project: ProjectOpt = "default", offset: int = 0, limit: int = 50,
          candidate: str | None = None, status: str | None = None, json_out: JsonOpt = False) -> None:
    """List a run's items (one per example, candidate and repeat)."""
    with get_client(project) as client:
        page = client.evals.items(run_id, offset, limit, candidate=candidate, status=status)
    if json_out:
        print_json(page)
    else:
        rows = [{**item.model_dump(), "judges": _judgments(item.judgments)} for item in page.items]
        print_table(rows, ["example_id", "candidate", "repeat", "status", "output", "scores", "judges", "error"])


def _judgments(judgments: dict[str, Any]) -> str:
    """Each judge's score, or why its answer could not be read and what it said (the raw text, cut)."""
    parts = []
    for name, judgment in judgments.items():
        if judgment.get("score") is not None or judgment.get("winner") is not None:
            parts.append(f"{name}={judgment.get('score', judgment.get('winner'))}")
            continue
        sample = next((s for s in judgment.get("samples") or [] if s.get("error")), {})
        raw = str(sample.get("raw", ""))[:80].replace("\n", " ")
        parts.append(f"{name}: unread ({judgment.get('error') or sample.get('error')}; it said {raw!r})")
    return "; ".join(parts)


@app.command("compare")
def compare(run_a: str, run_b: str, project: ProjectOpt = "default",
            candidate_a: Annotated[str | None, typer.Option(help="Candidate of run A")] = None,
            candidate_b: Annotated[str | None, typer.Option(help="Candidate of run B")] = None,
            top: int = 5, min_effect: Annotated[float | None, typer.Option(
                help="The difference you want to be able to see; warns when the sample is too small")] = None,
            json_out: JsonOpt = False) -> None:
    """Compare run B against baseline run A on shared items: deltas, paired tests, win/tie/loss."""
    with get_client(project) as client:
        result = client.evals.compare(run_a, run_b, candidate_a=candidate_a, candidate_b=candidate_b, top=top,
                                          min_effect=min_effect)
    if json_out:
        print_json(result)
        return
    rows = [{"metric": m.metric, "n": m.n, "A": m.mean_a, "B": m.mean_b, "delta": m.delta,
             "CI": f"[{_f(m.ci_low)}, {_f(m.ci_high)}]", "p": m.p_value, "test": m.test,
             "W/T/L": f"{m.wins}/{m.ties}/{m.losses}", "significant": "yes" if m.significant else "no"}
            for m in result.metrics]
    print_table(rows, ["metric", "n", "A", "B", "delta", "CI", "p", "test", "W/T/L", "significant"],
                title=f"{result.run_b} ({result.candidate_b}) vs {result.run_a} ({result.candidate_a}), "
                      f"{result.shared} shared items")
    if result.top_changes:
        print_table([c.model_dump() for c in result.top_changes],
                    ["example_id", "metric", "score_a", "score_b", "delta", "output_a", "output_b"],
                    title="items that changed most")
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


@app.command("report")
def report(run_id: str, format: Annotated[str, typer.Option("--format", "-f", help="table, markdown, html, json "
                                                            "or junit")] = "table",
           output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
           project: ProjectOpt = "default") -> None:
    """Write a report of a run."""
    with get_client(project) as client:
        text = client.evals.report(run_id, format)
    if output:
        output.write_text(text)
        err_console.print(f"wrote {output}", markup=False, highlight=False)
    else:
        typer.echo(text, nl=False)


@app.command("gate")
def gate(run_id: str, gate: GateOpt = None, project: ProjectOpt = "default", json_out: JsonOpt = False) -> None:
    """Check gates on a finished run; exits 1 when one fails."""
    with get_client(project) as client:
        results = client.evals.check_gates(run_id, gate or [])
    if json_out:
        print_json(results)
    else:
        _print_gates(results)
    if any(not g.passed for g in results):
        raise typer.Exit(1)


@app.command("validate-judge")
def validate_judge(run_id: str, judge: Annotated[str, typer.Option("--judge", help="Judge name in the spec")],
                   labels: Annotated[Path | None, typer.Option(help="JSONL/CSV with example_id, label")] = None,
                   labels_column: Annotated[str | None, typer.Option(help="Dataset column of human labels")] = None,
                   project: ProjectOpt = "default", json_out: JsonOpt = False) -> None:
    """Agreement of a judge with human labels: accuracy, Cohen's kappa, confusion matrix, win rates."""
    with get_client(project) as client:
        result = client.evals.validate_judge(run_id, judge, labels=labels, labels_column=labels_column)
    if json_out:
        print_json(result)
        return
    console.print(f"judge {result.judge} on {result.n} labelled items: accuracy {_f(result.accuracy)} "
                  f"[{_f(result.accuracy_ci_low)}, {_f(result.accuracy_ci_high)}], kappa {_f(result.kappa)}",
                  markup=False, highlight=False)
    print_table([{"human": label, **{f"judge={c}": n for c, n in zip(result.labels, row, strict=True)}}
                 for label, row in zip(result.labels, result.confusion, strict=True)],
                ["human", *(f"judge={c}" for c in result.labels)], title="confusion (rows: human)")
    if result.human_win_rate is not None:
        console.print(f"win rate of A: human {_f(result.human_win_rate)}, judge {_f(result.judge_win_rate)}",
                      markup=False, highlight=False)
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)


@app.command("metrics")
def metrics(json_out: JsonOpt = False) -> None:
    """List the computed metrics available here (built-ins and plugins)."""
    from genloop.evals.metrics import builtin_metrics

    names = sorted(str(getattr(m, "name", m)) for m in builtin_metrics())
    if json_out:
        print_json(names)
    else:
        for name in names:
            typer.echo(name)
