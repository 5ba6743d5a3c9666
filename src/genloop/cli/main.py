"""The ``genloop`` command line: one Typer app, one module per command group.

Errors are converted here and only here: a GenLoop error prints one line on stderr and exits 1
(2 for usage errors, from Typer itself).
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from genloop import __version__
from genloop.cli import (
    admin,
    audit,
    compliance,
    connections,
    datasets,
    db,
    demo,
    deployments,
    distill,
    evals,
    feedback,
    gateway,
    governance,
    keys,
    lineage,
    mock_upstream,
    models,
    monitoring,
    optimize,
    pipelines,
    prompt_optimize,
    prompts,
    quality,
    review,
    roles,
    runs,
    scheduler,
    server,
    traces,
    tune,
    users,
)

app = typer.Typer(
    name="genloop",
    help="GenLoop: datasets, prompts, evaluation, tuning, registry, gateway and feedback in one loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(datasets.app, name="datasets")
app.add_typer(prompts.app, name="prompts")
app.add_typer(models.app, name="models")
app.add_typer(runs.app, name="runs")
app.add_typer(evals.app, name="eval")
app.add_typer(deployments.app, name="deployments")
app.add_typer(traces.app, name="traces")
app.add_typer(feedback.app, name="feedback")
app.add_typer(review.app, name="review")
app.add_typer(monitoring.app, name="monitoring")
app.add_typer(pipelines.app, name="pipelines")
app.add_typer(scheduler.app, name="triggers")
app.add_typer(governance.app, name="governance")
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users")
app.add_typer(roles.app, name="roles")
app.add_typer(admin.app, name="admin")
app.add_typer(connections.app, name="connections")
app.add_typer(tune.app, name="tune")
app.add_typer(quality.app, name="quality")
app.add_typer(db.app, name="db")
models.app.command("merge")(optimize.merge)
prompts.app.command("optimize")(prompt_optimize.optimize)
datasets.app.command("profile")(quality.profile)
models.app.command("quantize")(optimize.quantize)
app.command("lineage")(lineage.lineage)
app.add_typer(audit.app, name="audit")
governance.app.add_typer(compliance.retention_app, name="retention")
governance.app.command("erase")(compliance.erase)
prompts.app.command("retire")(compliance.retire_prompt)
models.app.command("retire")(compliance.retire_model)
app.command("server")(server.server)
app.command("scheduler")(scheduler.scheduler)
app.command("gateway")(gateway.gateway)
app.command("trace-writer")(gateway.trace_writer)
app.command("demo")(demo.demo)
app.command("distill")(distill.distill)
app.command("mock-upstream")(mock_upstream.mock_upstream)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the GenLoop version and exit.",
                                 callback=_print_version, is_eager=True),
) -> None:
    """GenLoop: datasets, prompts, evaluation, tuning, registry, gateway and feedback in one loop."""


@app.command("version")
def version() -> None:
    """Print the GenLoop version."""
    typer.echo(__version__)


# Typer raises click's exceptions, or since 0.29 those of its vendored copy (typer._click): take the class
# from typer itself, so a usage error is shown as one message, never a traceback, with either.
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main() -> None:
    """Console-script entry point."""
    from genloop.cli._common import fit_consoles
    from genloop.errors import GenLoopError

    fit_consoles()
    try:
        code = app(standalone_mode=False)
    except GenLoopError as exc:
        typer.echo(f"error: {exc.text_for('cli')}", err=True)  # the hint in the CLI's terms
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except _CLICK_ERROR as exc:  # a usage error: a bad option value, a missing argument
        exc.show()
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
