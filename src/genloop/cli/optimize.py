"""`genloop models merge REF` and `genloop models quantize REF`: optimized versions, measured against the source."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, console, get_client, print_json, print_table


def _show(result: Any) -> None:
    console.print(f"registered {result.model.ref} ({result.model.kind} of {result.source}) from run "
                  f"{result.run.id}")
    rows = [{"measure": k, "value": v} for k, v in result.comparison.items() if isinstance(v, int | float)]
    if rows:
        print_table(rows, ["measure", "value"], title=f"{result.model.ref} against {result.source}")


def merge(
    ref: Annotated[str, typer.Argument(help="Adapter version NAME@ref.")],
    name: Annotated[str | None, typer.Option("--name", help="Model name (default NAME-merged).")] = None,
    description: Annotated[str, typer.Option("--description")] = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Merge an adapter into its base as a new merged version (lineage: the adapter)."""

    with get_client(project) as client:
        result = client.tuning.merge(ref, name=name, description=description)
    if as_json:
        print_json(result)
    else:
        _show(result)


def quantize(
    ref: Annotated[str, typer.Argument(help="Checkpoint, merged or adapter version NAME@ref.")],
    method: Annotated[str, typer.Option("--method", help="dynamic-int8 (CPU), bnb-8bit or bnb-4bit (CUDA).")]
    = "dynamic-int8",
    name: Annotated[str | None, typer.Option("--name", help="Model name (default NAME-METHOD).")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Dataset NAME@ref to compare perplexity on.")]
    = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows of --dataset to score.")] = 32,
    description: Annotated[str, typer.Option("--description")] = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Quantize a model as a new quantized version, compared with its source (size, latency, perplexity)."""

    with get_client(project) as client:
        result = client.tuning.quantize(ref, method=method, name=name, dataset=dataset, limit=limit,
                                             description=description)
    if as_json:
        print_json(result)
    else:
        _show(result)
