"""`genloop demo`: the whole GenOps loop on generated data, then the figures, the champion's lineage and what next."""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.table import Table

from genloop.cli._common import JsonOpt, ProjectOpt, console, get_client, print_json
from genloop.refs import parse_ref


def demo(
    project: ProjectOpt = "demo",
    quick: Annotated[bool, typer.Option("--quick", help="Smaller data and model, fewer requests (for tests).")] = False,
    as_json: JsonOpt = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Pre-train the base model again instead of reusing "
                                           "the one an earlier demo kept in ~/.cache/genloop.")] = False,
) -> None:
    """Run the GenOps loop on generated data in PROJECT (default 'demo') and print what to try next."""
    from genloop.demo import default_cache_dir, run_demo

    say = (lambda line: None) if as_json else (lambda line: console.print(f"  • {line}", highlight=False))
    with get_client(project) as client, _live_progress(disabled=as_json) as progress:
        if not as_json:
            console.print(f"[bold]GenLoop demo[/bold] in project '{project}' on {client.url}")
        cache_dir = None if quick or no_cache else default_cache_dir()  # the quick (test) base trains in seconds
        figures = run_demo(client, say, quick=quick, progress=progress, cache_dir=cache_dir)
        lineage = client.lineage(f"model:{figures.model.champion}")
    summary = _summary(figures)
    if as_json:
        print_json({**summary, "lineage": lineage})
        return
    console.print()
    console.print(_table(summary))
    from genloop.cli.lineage import lineage_tree

    console.print("\n[bold]Lineage of the champion[/bold]")
    console.print(lineage_tree(lineage))
    for line in figures.skipped:
        console.print(f"[yellow]skipped:[/yellow] {line}")
    console.print(f"\n[bold]Done in {figures.seconds} s[/bold] ("
                  + ", ".join(f"{k} {v:.0f} s" for k, v in figures.timings.items()) + ").")
    console.print("Open Studio at [bold]http://127.0.0.1:8000/[/bold] once the server below runs. Try next:")
    m = figures.model
    compare = [f"genloop eval compare {m.baseline_run} {m.tuned_eval_run} -p {project}"] if m.tuned_eval_run else []
    made = figures.traffic.export.get("dataset")
    exported = [f"genloop datasets show {made} -p {project} --head 3",
                f"genloop lineage dataset:{made} -p {project}"] if made else []
    for line in (
        f"GENLOOP_GATEWAY_PROJECT={project} genloop server   # REST docs: http://127.0.0.1:8000/api/v1/docs",
        "curl -s http://127.0.0.1:8000/v1/chat/completions -H 'content-type: application/json' -d "
        "'{\"model\": \"dates\", \"messages\": [], \"genloop_variables\": {\"input\": \"May 4, 2021\"}}'",
        f"genloop models show {m.champion} -p {project}",
        *compare,
        f"genloop traces list --deployment {parse_ref(figures.traffic.deployment).name} -p {project}",
        *exported,
        f"genloop audit -p {project}",
    ):
        console.print(f"  $ {line}", highlight=False)


#: Seconds between two plain progress lines of one part when the output is not a terminal (a CI log, a file).
PLAIN_EVERY_S = 15.0


@contextlib.contextmanager
def _live_progress(disabled: bool) -> Iterator[Any]:
    """A Rich progress display (steps or items, elapsed, ETA, loss) and ``progress(part, done, total, detail)``
    feeding it; one bar per part, each finished as the next starts. Without a terminal (Rich draws nothing
    there until the end), plain lines instead: a part's start, then one line every ``PLAIN_EVERY_S`` seconds."""
    if not disabled and not console.is_terminal:
        yield _plain_progress()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("  [bold]{task.description}"), BarColumn(bar_width=30), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[detail]}"),
                  console=console, disable=disabled) as bar:
        tasks: dict[str, Any] = {}

        def progress(part: str, done: int, total: int | None, detail: str = "") -> None:
            if part not in tasks:
                tasks[part] = bar.add_task(part, total=total, detail=detail)
            bar.update(tasks[part], completed=done, total=total, detail=detail)

        yield progress


def _plain_progress() -> Any:
    """``progress(part, done, total, detail)`` printing ``  pre-train base: 120/500 (24%), 0:45, ETA 2:22, loss
    1.234`` lines, throttled per part (callers may be worker threads)."""
    lock = threading.Lock()
    started: dict[str, float] = {}
    printed: dict[str, float] = {}

    def clock(seconds: float) -> str:
        return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"

    def progress(part: str, done: int, total: int | None, detail: str = "") -> None:
        now = time.monotonic()
        with lock:
            first = part not in started
            start = started.setdefault(part, now)
            finished = total is not None and done >= total
            if not first and not finished and now - printed.get(part, 0.0) < PLAIN_EVERY_S:
                return
            if finished and printed.get(part) == -1.0:
                return
            printed[part] = -1.0 if finished else now
        elapsed = now - start
        line = f"  {part}: {done:,}" + (f"/{total:,} ({100 * done / total:.0f}%)" if total else "")
        line += f", {clock(elapsed)}"
        if total and 0 < done < total and elapsed >= 1:  # no ETA from one step in no time
            line += f", ETA {clock(elapsed / done * (total - done))}"
        console.print(line + (f", {detail}" if detail else ""), highlight=False, markup=False)

    return progress


def _summary(figures: Any) -> dict[str, Any]:
    """The figures as one JSON-able dict (what --json prints, what the table shows)."""
    m, t = figures.model, figures.traffic
    latencies = sorted(t.latencies_ms)
    return {
        "project": figures.project, "trained": figures.trained, "skipped": figures.skipped,
        "timings_s": figures.timings, "seconds": figures.seconds,
        "datasets": {"source": figures.seeded.source, "train": figures.seeded.train, "golden": figures.seeded.golden,
                     "sft": figures.seeded.sft},
        "prompt": figures.seeded.prompt,
        "base": {"model": m.base, "parameters": m.base_parameters, "final_loss": m.base_loss,
                 "reused_from_cache": m.base_reused},
        "baseline": {"run": m.baseline_run, **{k: v for k, v in m.baseline.items() if "." not in k or "ci_" in k}},
        "tuned": {"model": m.tuned, "run": m.tune_run, "train": m.train, "metrics": m.tuned_metrics,
                  "eval_run": m.tuned_eval_run},
        "comparison": m.comparison, "champion": m.champion, "promoted": m.promoted,
        "gateway": {"deployment": t.deployment, "variants": t.variants, "sent": t.sent, "status": dict(t.status),
                    "correct_by_variant": {v: {"right": a, "answered": n} for v, (a, n) in t.by_variant.items()},
                    "latency_ms_p50": statistics.median(latencies) if latencies else None},
        "feedback": dict(t.feedback), "export": t.export,
    }


def _fmt(value: Any, pct: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:.1f}%" if pct else f"{value:.3g}"


def _table(s: dict[str, Any]) -> Table:
    table = Table(title="What the loop did", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    d = s["datasets"]
    table.add_row("data", f"{d['source']} -> train {d['train']}, golden {d['golden']}, SFT {d['sft']}")
    table.add_row("base model", f"{s['base']['model']} ({s['base']['parameters'] / 1e6:.1f} M parameters, "
                                f"pre-trained here)" if s["trained"] else f"{s['base']['model']} (mock)")
    b = s["baseline"]
    table.add_row("baseline", f"exact match {_fmt(b.get('exact_match'))} "
                              f"[{_fmt(b.get('exact_match.ci_low'))}, {_fmt(b.get('exact_match.ci_high'))}], chrF "
                              f"{_fmt(b.get('chrf'))} [{_fmt(b.get('chrf.ci_low'))}, {_fmt(b.get('chrf.ci_high'))}]")
    em = s["comparison"].get("exact_match")
    if em:
        train = s["tuned"]["train"]
        table.add_row("LoRA tuning", f"{s['tuned']['model']}: {train.get('steps')} steps, "
                                     f"{train.get('tokens_per_second', 0):,.0f} tokens/s")
        table.add_row("tuned vs base", f"exact match {_fmt(em['base'])} -> {_fmt(em['tuned'])}, delta "
                                       f"{_fmt(em['delta'])} [95% CI {_fmt(em['ci_low'])}, {_fmt(em['ci_high'])}], "
                                       f"p = {_fmt(em['p_value'], pct=False)}, wins/ties/losses "
                                       f"{em['wins']}/{em['ties']}/{em['losses']}")
    table.add_row("champion", f"{s['champion']} ({'promoted on evidence' if s['promoted'] else 'unchanged'})")
    g = s["gateway"]
    status = ", ".join(f"{k}: {v}" for k, v in sorted(g["status"].items()))
    right = ", ".join(f"{v} {c['right']}/{c['answered']}" for v, c in sorted(g["correct_by_variant"].items()))
    table.add_row("gateway", f"{g['deployment']}: {g['sent']} requests ({status}); right answers by variant: "
                             f"{right}; p50 {g['latency_ms_p50'] or 0:.0f} ms")
    e = s["export"]
    table.add_row("feedback", ", ".join(f"{k}: {v}" for k, v in s["feedback"].items()) or "none")
    if e:
        prefs = e.get("preference") or {}
        table.add_row("back to data", f"{e['dataset']}: {e['rows']} SFT rows from {e['traces']} traces; "
                                      f"{prefs.get('dataset')}: {prefs.get('rows')} preference pairs")
    table.add_row("time", ", ".join(f"{k} {v:.0f} s" for k, v in s["timings_s"].items()))
    return table
