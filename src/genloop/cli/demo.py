"""`genloop demo`: seed a sample project through the whole loop, then print what to try next."""

from __future__ import annotations

from typing import Annotated

import typer

from genloop.cli._common import ProjectOpt, console, get_client


def demo(
    project: ProjectOpt = "demo",
    quick: Annotated[bool, typer.Option("--quick", help="Smaller data and models (for tests).")] = False,
) -> None:
    """Run the GenOps loop on generated data in PROJECT (default 'demo') and print what to try next."""
    from genloop.demo import run_demo

    with get_client(project) as client:
        console.print(f"[bold]GenLoop demo[/bold] in project '{project}' on {client.url}")
        figures = run_demo(client, lambda line: console.print(f"  • {line}"), quick=quick)
        lineage = client.lineage(figures["datasets"][-1], kind="dataset")
    console.print(f"\n[bold]Done in {figures['seconds']} s.[/bold] Try next:")
    for line in (
        f"genloop datasets list -p {project}",
        f"genloop datasets show {figures['datasets'][2]} -p {project} --head 5",
        f"genloop prompts render normalize-date@production --var input='May 4, 2021' -p {project}",
        f"genloop lineage dataset:{lineage.name}@{lineage.version} -p {project}",
        f"genloop runs show {figures['data_run']} -p {project}",
        f"genloop audit -p {project}",
        "genloop server   # then open http://127.0.0.1:8000/api/v1/docs",
    ):
        console.print(f"  $ {line}")
