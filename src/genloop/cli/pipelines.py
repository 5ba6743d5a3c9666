"""`genloop pipelines create|list|show|kinds|run|runs|status|start|step|finish|compile`: versioned pipelines and their runs.

    genloop pipelines create retrain retrain.yaml
    genloop pipelines run retrain --param since=7d --junit gates.xml
    genloop pipelines run retrain --resume latest
    genloop pipelines compile retrain --target argo -o retrain-argo.yaml
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, console, get_client, print_json, print_table
from genloop.errors import InvalidInput

app = typer.Typer(help="Pipelines: steps from data to production, run in order, cached and resumable.",
                  no_args_is_help=True)

ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="NAME=VALUE (YAML value); repeatable.")]
_STYLE = {"succeeded": "green", "cached": "cyan", "reused": "cyan", "failed": "red", "skipped": "yellow",
          "running": "bold", "pending": "dim"}


def _params(items: list[str] | None) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"invalid --param {item!r}", hint="write --param NAME=VALUE")
        out[key] = yaml.safe_load(value) if value else ""
    return out


@app.command("create")
def create(name: str, spec: Path, message: Annotated[str, typer.Option("--message", "-m")] = "",
           project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Create a version of pipeline NAME from a YAML spec (checked before anything is written)."""
    if not spec.is_file():
        raise InvalidInput(f"{spec} does not exist", hint="give the path of a pipeline YAML file")
    with get_client(project) as client:
        info = client.pipelines.create(name, spec.read_text(encoding="utf-8"), message=message)
    if as_json:
        print_json(info)
    else:
        typer.echo(f"pipeline {info.ref} ({len(info.spec['steps'])} steps)")


@app.command("list")
def list_(project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Pipelines with their latest version."""
    with get_client(project) as client:
        page = client.pipelines.list(limit=1000)
    if as_json:
        print_json(page.items)
        return
    rows = [{"name": p.name, "version": p.version, "steps": len(p.spec["steps"]), "description": p.description,
             "created_at": p.created_at} for p in page.items]
    print_table(rows, ["name", "version", "steps", "description", "created_at"])


@app.command("show")
def show(ref: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """A pipeline version's spec, as YAML."""
    import yaml

    with get_client(project) as client:
        info = client.pipelines.get(ref)
    if as_json:
        print_json(info)
    else:
        typer.echo(f"# {info.ref} by {info.created_by} at {info.created_at:%Y-%m-%d %H:%M}")
        typer.echo(yaml.safe_dump(info.spec, sort_keys=False).rstrip())


@app.command("kinds")
def kinds_(as_json: JsonOpt = False) -> None:
    """The step kinds this installation knows (built-in and plugins)."""
    from genloop.pipelines import kinds

    rows = [{"kind": k.name, "outputs": ", ".join(k.outputs), "cached": k.cacheable, "description": k.description}
            for k in sorted(kinds().values(), key=lambda k: k.name)]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["kind", "outputs", "cached", "description"])


def _table(states: dict[str, str], kinds: dict[str, str]) -> Any:
    from rich.table import Table

    table = Table(title="pipeline steps")
    for column in ("step", "kind", "status"):
        table.add_column(column)
    for name, status in states.items():
        table.add_row(name, kinds[name], f"[{_STYLE.get(status, '')}]{status}[/]")
    return table


@app.command("run")
def run(name: str, param: ParamOpt = None,
        resume: Annotated[str | None, typer.Option("--resume", help="A failed run id, or 'latest'.")] = None,
        subprocess: Annotated[bool, typer.Option("--subprocess", help="Run each step as its own process.")] = False,
        junit: Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report of gates.")] = None,
        project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Run pipeline NAME (NAME@N) to the end; exits 1 when a step failed."""
    from rich.live import Live

    with get_client(project) as client:
        info = client.pipelines.get(name)
        kinds = {s["name"]: s["kind"] for s in info.spec["steps"]}
        states = dict.fromkeys(kinds, "pending")
        mode = "subprocess" if subprocess else "inprocess"
        if client.is_remote:
            result = client.pipelines.start(info.ref, params=_params(param), resume=resume, mode=mode)
        else:
            with Live(_table(states, kinds), console=console, transient=as_json, auto_refresh=False) as live:
                def progress(step: str, status: str) -> None:
                    states[step] = status
                    live.update(_table(states, kinds), refresh=True)

                result = client.pipelines.start(info.ref, params=_params(param), resume=resume, mode=mode,
                                                local=True, progress=progress)
    if junit is not None:
        from genloop.pipelines._junit import junit_xml

        junit.write_text(junit_xml(result), encoding="utf-8")
    if as_json:
        print_json(result)
    else:
        for step in result.steps:
            if step.status in ("cached", "reused"):
                typer.echo(f"{step.name}: {step.status} (outputs of run {step.cached_from} reused, not run again)")
        typer.echo(f"pipeline run {result.id}: {result.status}")
    if result.status != "succeeded":
        typer.echo(f"error: {result.error}", err=True)
        raise typer.Exit(1)


@app.command("runs")
def runs(name: Annotated[str | None, typer.Argument(help="Only this pipeline's runs.")] = None,
         project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Pipeline runs, newest first."""
    with get_client(project) as client:
        page = client.pipelines.runs(name, limit=100)
    if as_json:
        print_json(page.items)
        return
    rows = [{"id": r.id, "pipeline": f"{r.pipeline}@{r.version}", "status": r.status,
             "steps": " ".join(f"{s.name}:{s.status}" for s in r.steps), "started_at": r.started_at} for r in page.items]
    print_table(rows, ["id", "pipeline", "status", "steps", "started_at"])


@app.command("status")
def status(run_id: str, logs: Annotated[bool, typer.Option("--logs", help="Print each step's log.")] = False,
           project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """One pipeline run: each step's status, run, outputs and error."""
    with get_client(project) as client:
        result = client.pipelines.get_run(run_id)
    if as_json:
        print_json(result)
        return
    print_table([s.model_dump() for s in result.steps], ["name", "kind", "status", "run_id", "outputs", "error"],
                title=f"{result.pipeline}@{result.version} run {result.id}: {result.status}")
    if logs:
        for s in result.steps:
            typer.echo(f"--- {s.name}\n{s.log}")


@app.command("start")
def start(ref: str, param: ParamOpt = None,
          params_json: Annotated[str | None, typer.Option("--params-json", help="Parameters as a JSON object.")] = None,
          key: Annotated[str | None, typer.Option("--key", help="Idempotency key (the orchestrator's run id).")] = None,
          id_file: Annotated[Path | None, typer.Option("--id-file", help="Write the run id to this file.")] = None,
          project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Create a pipeline run without running its steps (an orchestrator's first task; see `compile`)."""
    import json

    values = _params(param)
    if params_json:
        try:
            loaded = json.loads(params_json)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"--params-json is not JSON: {exc}", hint="pass a JSON object") from None
        if not isinstance(loaded, dict):
            raise InvalidInput("--params-json must be a JSON object")
        values = {**loaded, **values}
    with _local_service(project) as service:
        result = service.create_run(ref, params=values or None, key=key)
    if id_file is not None:
        id_file.write_text(result.id, encoding="utf-8")
    if as_json:
        print_json(result)
    else:
        typer.echo(result.id)


@app.command("finish")
def finish(run_id: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """End a pipeline run (RUN or key:KEY): mark steps that never ran, set its status; exits 1 when it failed."""
    with _local_service(project) as service:
        result = service.finish_run(run_id)
    if as_json:
        print_json(result)
    else:
        typer.echo(f"pipeline run {result.id}: {result.status}")
    if result.status != "succeeded":
        raise typer.Exit(1)


@contextlib.contextmanager
def _local_service(project: str) -> Iterator[Any]:
    """A PipelineService on the local store (GENLOOP_DATABASE_URL): what orchestrator containers use."""
    from genloop.pipelines import PipelineService
    from genloop.store import Store

    store = Store()
    try:
        yield PipelineService(store, project=project)
    finally:
        store.close()


@app.command("step")
def step(run_id: str, step_name: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Run one step of a started pipeline run (RUN or key:KEY): what subprocesses and Kubeflow/Argo containers run."""
    with _local_service(project) as service:
        state = service.step(run_id, step_name)
    if as_json:
        print_json(state)
    else:
        typer.echo(f"step {state.name}: {state.status}" + (f" ({state.error})" if state.error else ""))
    if state.status == "failed":
        raise typer.Exit(1)


@app.command("compile")
def compile_(ref: str, target: Annotated[str, typer.Option("--target", "-t", help="kfp or argo")],
             output: Annotated[Path, typer.Option("--output", "-o", help="File to write (YAML).")],
             image: Annotated[str, typer.Option("--image", help="The GenLoop container image.")] = "genloop:latest",
             project: ProjectOpt = "default") -> None:
    """Compile a pipeline version to a Kubeflow Pipelines v2 or an Argo Workflow YAML."""
    from genloop.pipelines._compile import compile_pipeline

    with get_client(project) as client:
        info = client.pipelines.get(ref)
    output.write_text(compile_pipeline(info, target=target, image=image, project=project), encoding="utf-8")
    typer.echo(f"wrote {output} ({target})")
