"""`genloop monitoring ...`: online evaluators, monitors, alert history, drift reports, and the worker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table
from genloop.errors import InvalidInput

app = typer.Typer(help="Online evaluation, drift, monitors and alerts on production traces.", no_args_is_help=True)
evaluators_app = typer.Typer(help="Online evaluators: judges and metrics on a sample of traces.", no_args_is_help=True)
monitors_app = typer.Typer(help="Monitors: thresholds over gateway, feedback, judge and drift series.",
                           no_args_is_help=True)
app.add_typer(evaluators_app, name="evaluators")
app.add_typer(monitors_app, name="monitors")

ReplaceOpt = Annotated[bool, typer.Option("--replace", help="Change the one of that name.")]


def _spec(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", hint="give the path of a YAML spec") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} must hold a mapping of spec fields", hint="see the README's monitoring section")
    return data


@evaluators_app.command("create")
def evaluators_create(spec: Path, replace: ReplaceOpt = False, project: ProjectOpt = "default",
                      as_json: JsonOpt = False) -> None:
    """Create an online evaluator from a YAML spec (name, deployment, metric or judge, sample_rate, ...)."""
    with get_client(project) as client:
        info = client.monitoring.evaluators.create(_spec(spec), replace=replace)
    if as_json:
        print_json(info)
    else:
        typer.echo(f"evaluator {info.name} scores {info.spec.sample_rate:.0%} of {info.spec.deployment}'s traces")


@evaluators_app.command("list")
def evaluators_list(project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Online evaluators with their progress."""
    with get_client(project) as client:
        items = client.monitoring.evaluators.list()
    if as_json:
        print_json(items)
        return
    rows = [{"name": e.name, "deployment": e.spec.deployment, "scorer": e.spec.metric or e.spec.judge.model,  # type: ignore[union-attr]
             "sample": e.spec.sample_rate, "enabled": e.enabled, "scored": e.scored,
             "spent_today": e.spent_today_usd, "cursor": e.cursor_time, "last_error": e.last_error} for e in items]
    print_table(rows, ["name", "deployment", "scorer", "sample", "enabled", "scored", "spent_today", "cursor",
                       "last_error"])


@evaluators_app.command("show")
def evaluators_show(name: str, project: ProjectOpt = "default") -> None:
    """One evaluator as JSON."""
    with get_client(project) as client:
        print_json(client.monitoring.evaluators.get(name))


@evaluators_app.command("pause")
def evaluators_pause(name: str, project: ProjectOpt = "default") -> None:
    """Pause an evaluator (resume catches up from its cursor)."""
    with get_client(project) as client:
        client.monitoring.evaluators.set_enabled(name, False)
    typer.echo(f"evaluator {name} paused")


@evaluators_app.command("resume")
def evaluators_resume(name: str, project: ProjectOpt = "default") -> None:
    """Resume a paused evaluator."""
    with get_client(project) as client:
        client.monitoring.evaluators.set_enabled(name, True)
    typer.echo(f"evaluator {name} resumed")


@evaluators_app.command("delete")
def evaluators_delete(name: str, project: ProjectOpt = "default") -> None:
    """Delete an evaluator (its scores stay as feedback)."""
    with get_client(project) as client:
        client.monitoring.evaluators.delete(name)
    typer.echo(f"evaluator {name} deleted")


@evaluators_app.command("scores")
def evaluators_scores(name: str, bucket: Annotated[int, typer.Option("--bucket", help="Seconds per bucket.")] = 3600,
                      project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Mean score per variant per time bucket over the last day."""
    with get_client(project) as client:
        points = client.monitoring.evaluators.scores(name, bucket_s=bucket)
    if as_json:
        print_json(points)
    else:
        print_table(points, ["bucket", "variant", "count", "mean"])


@monitors_app.command("create")
def monitors_create(spec: Path, replace: ReplaceOpt = False, project: ProjectOpt = "default",
                    as_json: JsonOpt = False) -> None:
    """Create a monitor from a YAML spec (name, signal, window_s, warning, alert, webhooks, ...)."""
    with get_client(project) as client:
        info = client.monitoring.monitors.create(_spec(spec), replace=replace)
    if as_json:
        print_json(info)
    else:
        typer.echo(f"monitor {info.name} watches {info.spec.signal} over {info.spec.window_s}s")


@monitors_app.command("list")
def monitors_list(project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Monitors with their state and last value."""
    with get_client(project) as client:
        items = client.monitoring.monitors.list()
    if as_json:
        print_json(items)
        return
    rows = [{"name": m.name, "signal": m.spec.signal, "deployment": m.spec.deployment, "window_s": m.spec.window_s,
             "warning": m.spec.warning, "alert": m.spec.alert, "state": m.state, "value": m.value,
             "evaluated_at": m.evaluated_at, "enabled": m.enabled} for m in items]
    print_table(rows, ["name", "signal", "deployment", "window_s", "warning", "alert", "state", "value",
                       "evaluated_at", "enabled"])


@monitors_app.command("evaluate")
def monitors_evaluate(name: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Evaluate a monitor now (an alert it raises is recorded and queued for its webhooks)."""
    with get_client(project) as client:
        info = client.monitoring.monitors.evaluate(name)
    if as_json:
        print_json(info)
    else:
        shown = "no data" if info.value is None else f"{info.value:.4g}"
        typer.echo(f"monitor {info.name}: {info.spec.signal} = {shown} -> {info.state}")


@monitors_app.command("show")
def monitors_show(name: str, project: ProjectOpt = "default") -> None:
    """One monitor as JSON."""
    with get_client(project) as client:
        print_json(client.monitoring.monitors.get(name))


@monitors_app.command("pause")
def monitors_pause(name: str, project: ProjectOpt = "default") -> None:
    """Pause a monitor (no evaluation, no alerts)."""
    with get_client(project) as client:
        client.monitoring.monitors.set_enabled(name, False)
    typer.echo(f"monitor {name} paused")


@monitors_app.command("resume")
def monitors_resume(name: str, project: ProjectOpt = "default") -> None:
    """Resume a paused monitor."""
    with get_client(project) as client:
        client.monitoring.monitors.set_enabled(name, True)
    typer.echo(f"monitor {name} resumed")


@monitors_app.command("delete")
def monitors_delete(name: str, project: ProjectOpt = "default") -> None:
    """Delete a monitor with its alert history."""
    with get_client(project) as client:
        client.monitoring.monitors.delete(name)
    typer.echo(f"monitor {name} deleted")


@app.command("alerts")
def alerts(project: ProjectOpt = "default",
           since_id: Annotated[int, typer.Option("--since-id", min=0, help="Only alerts after this id.")] = 0,
           monitor: Annotated[str | None, typer.Option("--monitor")] = None,
           level: Annotated[str | None, typer.Option("--level", help="ok, warning, alert or no_data")] = None,
           limit: Annotated[int, typer.Option(min=1, max=1000)] = 100, as_json: JsonOpt = False) -> None:
    """Alert history, oldest first."""
    with get_client(project) as client:
        items = client.monitoring.monitors.alerts(since_id=since_id, monitor=monitor, level=level, limit=limit)
    if as_json:
        print_json(items)
    else:
        print_table(items, ["id", "created_at", "monitor", "event", "level", "previous", "value", "threshold",
                            "count"])


@app.command("drift")
def drift(project: ProjectOpt = "default",
          deployment: Annotated[str | None, typer.Option("--deployment", "-d")] = None,
          variant: Annotated[str | None, typer.Option("--variant")] = None,
          window: Annotated[int, typer.Option("--window", help="Recent window in seconds.")] = 3600,
          reference_window: Annotated[int | None, typer.Option("--reference-window",
                                                               help="Reference window before it (seconds).")] = None,
          dataset: Annotated[str | None, typer.Option("--dataset", help="A dataset version as the reference.")] = None,
          signal: Annotated[list[str] | None, typer.Option("--signal", help="A signal (repeat); default all.")] = None,
          as_json: JsonOpt = False) -> None:
    """Drift of the recent window against a reference window or dataset version; exit 1 when a signal drifted."""
    with get_client(project) as client:
        report = client.monitoring.drift.compare(deployment=deployment, variant=variant, window_s=window,
                                                 reference_window_s=reference_window, reference_dataset=dataset,
                                                 signals=signal or None)
    if as_json:
        print_json(report)
    else:
        typer.echo(f"reference: {report.reference}\nrecent:    {report.recent}")
        print_table(report.signals, ["signal", "test", "statistic", "p_value", "threshold", "verdict",
                                     "reference_count", "recent_count"])
    if report.drifted:
        raise typer.Exit(1)


@app.command("run-once")
def run_once(as_json: JsonOpt = False) -> None:
    """One pass of the monitoring worker on the local store: evaluators, monitors, webhook deliveries."""
    from genloop.monitoring import MonitoringWorker
    from genloop.settings import Settings
    from genloop.store import Store

    store = Store(Settings())
    try:
        report = MonitoringWorker(store).tick()
    finally:
        store.close()
    if as_json:
        print_json(report)
    else:
        typer.echo(f"scored {report.scored} traces ({report.skipped} without a score), evaluated {report.monitors} "
                   f"monitors, {report.alerts} alerts, {report.delivered} webhooks delivered"
                   + (f", {report.delivery_failures} deliveries to retry" if report.delivery_failures else ""))
        for evaluator, error in report.evaluator_errors.items():
            typer.echo(f"evaluator {evaluator}: {error}", err=True)


@app.command("export-otlp")
def export_otlp_command(
    endpoint: Annotated[str, typer.Argument(help="The collector's OTLP/HTTP traces URL, e.g. http://host:4318/v1/traces")],
    project: ProjectOpt = "default",
    since: Annotated[float, typer.Option("--since", help="Hours back to start from.")] = 24.0,
    deployment: Annotated[str | None, typer.Option("--deployment", "-d")] = None,
    header: Annotated[list[str] | None, typer.Option("--header", help="NAME=VALUE sent to the collector (repeat).")] = None,
) -> None:
    """Send the local store's traces to an OpenTelemetry collector (OTLP/HTTP protobuf)."""
    import datetime as dt

    from genloop.monitoring._otlp_export import export_otlp
    from genloop.settings import Settings
    from genloop.store import Store, utcnow

    headers = {}
    for item in header or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"invalid --header {item!r}", hint="write NAME=VALUE")
        headers[name.strip()] = value
    store = Store(Settings())
    try:
        sent = export_otlp(store, endpoint, project=project, since=utcnow() - dt.timedelta(hours=since),
                           deployment=deployment, headers=headers)
    finally:
        store.close()
    typer.echo(f"sent {sent} traces to {endpoint}")
