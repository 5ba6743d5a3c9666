"""`genloop triggers ...` (when pipelines start by themselves) and `genloop scheduler` (the process that fires them).

The trigger commands go through the client (GENLOOP_SERVER_URL, else the local store); the scheduler is a
process beside the database (GENLOOP_DATABASE_URL), like the server.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table
from genloop.errors import InvalidInput

app = typer.Typer(help="Pipeline triggers: cron, new dataset version, feedback/annotation counts, monitor alerts.",
                  no_args_is_help=True)


@contextlib.contextmanager
def _service(project: str) -> Iterator[Any]:
    with get_client(project) as client:
        yield client.triggers


def _params(values: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--param {item!r} is not NAME=VALUE", hint="e.g. --param deployment=bot")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


@app.command("create")
def create(
    name: str,
    pipeline: Annotated[str, typer.Option(help="The pipeline to start (NAME or NAME@N).")],
    cron: Annotated[str | None, typer.Option(help="Fire on this schedule (five fields, UTC).")] = None,
    dataset: Annotated[str | None, typer.Option(help="Fire when this dataset gets a new version.")] = None,
    feedback: Annotated[int | None, typer.Option(help="Fire when this many new feedback arrived.")] = None,
    feedback_name: Annotated[str | None, typer.Option(help="Count only feedback of this name.")] = None,
    annotations: Annotated[int | None, typer.Option(help="Fire when this many new annotations arrived.")] = None,
    queue: Annotated[str | None, typer.Option(help="Count only annotations of this review queue.")] = None,
    monitor: Annotated[str | None, typer.Option(help="Fire when this monitor alerts ('*': any monitor).")] = None,
    param: Annotated[list[str] | None, typer.Option(help="Pipeline parameter NAME=VALUE (repeatable).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Change the trigger of that name.")] = False,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Create a trigger; with none of --cron/--dataset/--feedback/--annotations/--monitor it fires only by hand."""
    chosen = [k for k, v in (("cron", cron), ("dataset", dataset), ("feedback", feedback),
                             ("annotation", annotations), ("monitor", monitor)) if v is not None]
    if len(chosen) > 1:
        raise InvalidInput(f"choose one of --{', --'.join(chosen)}", hint="make one trigger per condition")
    kind = chosen[0] if chosen else "manual"
    spec: dict[str, Any] = {"name": name, "pipeline": pipeline, "kind": kind, "params": _params(param)}
    if kind == "cron":
        spec["cron"] = cron
    elif kind == "dataset":
        spec["dataset"] = dataset
    elif kind == "feedback":
        spec.update(threshold=feedback, feedback_name=feedback_name)
    elif kind == "annotation":
        spec.update(threshold=annotations, queue=queue)
    elif kind == "monitor":
        spec["monitor"] = None if monitor == "*" else monitor
    with _service(project) as service:
        info = service.create(spec, replace=replace)
    if as_json:
        print_json(info)
    else:
        typer.echo(f"trigger {info.name} ({info.spec.kind}) starts pipeline {info.spec.pipeline}")


@app.command("list")
def list_(project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Triggers with their last firing and the next cron time."""
    with _service(project) as service:
        items = service.list()
    if as_json:
        print_json(items)
        return
    rows = [{"name": t.name, "kind": t.spec.kind, "pipeline": t.spec.pipeline, "enabled": t.enabled,
             "firings": t.firings, "last_fired": t.last_fired_at, "last_run": t.last_run_id,
             "next": t.next_fire_at, "error": t.last_error} for t in items]
    print_table(rows, ["name", "kind", "pipeline", "enabled", "firings", "last_fired", "last_run", "next", "error"])


@app.command("show")
def show(name: str, project: ProjectOpt = "default") -> None:
    """One trigger as JSON: spec, cursor (the evidence it last fired on), last run and error."""
    with _service(project) as service:
        print_json(service.get(name))


@app.command("fire")
def fire(name: str, reason: Annotated[str, typer.Option(help="Why (kept on the run).")] = "manual",
         param: Annotated[list[str] | None, typer.Option(help="Pipeline parameter NAME=VALUE.")] = None,
         project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Fire a trigger now (by hand or from CI) and run its pipeline here; exits 1 when the run fails."""
    with _service(project) as service:
        firing = service.fire(name, reason=reason, params=_params(param))
    if as_json:
        print_json(firing)
    else:
        typer.echo(f"run {firing.run_id}: {firing.status or firing.error}")
    if firing.status != "succeeded":
        raise typer.Exit(1)


@app.command("enable")
def enable(name: str, project: ProjectOpt = "default") -> None:
    """Resume a paused trigger."""
    with _service(project) as service:
        service.set_enabled(name, True)
    typer.echo(f"trigger {name} enabled")


@app.command("disable")
def disable(name: str, project: ProjectOpt = "default") -> None:
    """Pause a trigger (evidence arriving meanwhile fires it once it is enabled again)."""
    with _service(project) as service:
        service.set_enabled(name, False)
    typer.echo(f"trigger {name} disabled")


@app.command("delete")
def delete(name: str, project: ProjectOpt = "default") -> None:
    """Delete a trigger (the runs it started stay)."""
    with _service(project) as service:
        service.delete(name)
    typer.echo(f"trigger {name} deleted")


def scheduler(
    once: Annotated[bool, typer.Option("--once", help="One tick, then exit (cron-driven setups, tests).")] = False,
    interval: Annotated[float | None, typer.Option(help="Seconds between ticks [GENLOOP_SCHEDULER_INTERVAL].")] = None,
    lease: Annotated[float | None, typer.Option(help="Leader lease seconds [GENLOOP_SCHEDULER_LEASE_SECONDS].")] = None,
    monitoring: Annotated[bool, typer.Option(help="Also run the monitoring worker each tick.")] = True,
) -> None:
    """Run the scheduler: the leader (one per database) fires due triggers and runs the monitoring worker."""
    from genloop.pipelines._scheduler import Scheduler, SchedulerReport
    from genloop.store import Store

    store = Store()
    sched = Scheduler(store, interval=interval if interval is not None else (store.settings.scheduler_interval or 10.0),
                      lease_seconds=lease, monitoring=monitoring, execute="inline" if once else "thread")
    was_leader: list[bool] = [False]

    def report(r: SchedulerReport) -> None:
        if r.leader != was_leader[0]:
            typer.echo(f"scheduler {r.holder} {'leads' if r.leader else 'stands by'}", err=False)
            was_leader[0] = r.leader
        for f in r.firings:
            typer.echo(f"fired {f.trigger.get('trigger')} ({f.trigger.get('reason', '')}): "
                       f"{'run ' + f.run_id if f.run_id else f.error}")
        for where, error in r.errors.items():
            typer.echo(f"error in {where}: {error}", err=True)

    try:
        if once:
            report(sched.tick())
            if sched.leader:
                from genloop.pipelines._scheduler import release_lease

                release_lease(store, sched.holder)
            return
        signal.signal(signal.SIGTERM, lambda *_: sched._stop.set())
        typer.echo(f"scheduler {sched.holder}: a tick every {sched.interval:g} s, lease {sched.lease_seconds:g} s")
        try:
            sched.run(on_tick=report)
        except KeyboardInterrupt:
            pass
    finally:
        store.close()
