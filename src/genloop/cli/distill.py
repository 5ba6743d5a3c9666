"""`genloop distill`: a teacher model's answers to a prompts dataset become a chat SFT dataset version."""

from __future__ import annotations

from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, console, get_client, print_json
from genloop.cli.tune import parse_overrides, show_result


def distill(
    teacher: Annotated[str, typer.Option("--teacher", help="Teacher: provider:model or a registry NAME@ref.")],
    prompts: Annotated[str, typer.Option("--prompts", help="Prompts dataset NAME@ref (any kind).")],
    out: Annotated[str, typer.Option("--out", help="Name of the chat dataset to write.")],
    student: Annotated[str | None, typer.Option("--student", help="Student model NAME@ref to tune.")] = None,
    tune: Annotated[bool, typer.Option("--tune", help="Tune the student on the new dataset (LoRA).")] = False,
    prompt_column: Annotated[str | None, typer.Option("--prompt-column", help="Column holding the prompts.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Use at most this many prompts.")] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="Longest teacher answer.")] = 512,
    temperature: Annotated[float, typer.Option("--temperature", min=0.0)] = 0.0,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1)] = 8,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Tuning spec field for --tune: KEY=VALUE.")]
    = None,
    project: ProjectOpt = "default",
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Distill: the teacher answers each prompt; the answers become dataset OUT (then tune the student)."""

    with get_client(project) as client:
        result = client.tuning.distill(
            teacher, prompts, out, student=student, tune=tune, prompt_column=prompt_column, limit=limit,
            concurrency=concurrency, params={"max_tokens": max_tokens, "temperature": temperature},
            tune_options=parse_overrides(set_ or []), progress=progress and not as_json)
    if as_json:
        print_json(result)
        return
    console.print(f"wrote {result.dataset.ref} ({result.generated} answers, {result.skipped} skipped) "
                  f"from run {result.run.id}")
    if result.tune is not None:
        show_result(result.tune)
