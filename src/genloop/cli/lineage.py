"""`genloop lineage REF`: the graph behind a version, as a tree in the terminal or as JSON."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.tree import Tree

from genloop.cli._common import JsonOpt, ProjectOpt, console, get_client, print_json
from genloop.runs import LineageNode


def lineage(
    ref: Annotated[str, typer.Argument(help="model:tiny@4, dataset:golden@3, or untyped tiny@champion.")],
    kind: Annotated[str | None, typer.Option("--kind", help="dataset, prompt or model (for an untyped REF).")] = None,
    depth: Annotated[int, typer.Option("--depth", min=0, max=100, help="Levels of ancestry to follow.")] = 10,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Show which run made a version, from which dataset, prompt and model versions, recursively."""
    with get_client(project) as client:
        node = client.lineage(ref, kind=kind, depth=depth)
    if as_json:
        print_json(node)
        return
    console.print(lineage_tree(node))


def lineage_tree(node: LineageNode) -> Tree:
    """The lineage graph as a Rich tree: what made the version, from what, recursively."""
    tree = Tree(_label(node))
    _grow(tree, node)
    return tree


def _label(node: LineageNode, role: str = "") -> str:
    text = f"{role}[bold]{escape(node.ref)}[/bold]"
    if node.produced_by is not None:
        run = node.produced_by
        name = f" {escape(run.name)}" if run.name else ""
        text += f"  [dim]made by {run.kind} run {run.id[:12]}{name} ({run.status})[/dim]"
    if node.truncated:
        text += "  [yellow]... (deeper ancestry cut; raise --depth)[/yellow]"
    return text


def _grow(tree: Tree, node: LineageNode) -> None:
    if node.parent is not None:
        relation = "base: " if node.entity_type == "model" else "parent: "
        _grow(tree.add(_label(node.parent, relation)), node.parent)
    for child in node.inputs:
        if node.parent is not None and child.ref == node.parent.ref:
            continue  # a tuned model's base is also its run's input: shown once, as the base
        _grow(tree.add(_label(child, "input: ")), child)
    if node.input_trace_count:
        shown = ", ".join(t[:12] for t in node.input_traces[:5])
        more = f", ... ({node.input_trace_count - 5} more)" if node.input_trace_count > 5 else ""
        plural = "trace" if node.input_trace_count == 1 else "traces"
        tree.add(f"input: [bold]{node.input_trace_count} {plural}[/bold]  [dim]{shown}{more}; "
                 "genloop traces show ID[/dim]")
