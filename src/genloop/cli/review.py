"""`genloop review ...`: rating schemas, annotation queues, rating from the terminal, agreement and export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table
from genloop.errors import InvalidInput, NotFound

app = typer.Typer(help="Human review: rating schemas, annotation queues, ratings, agreement, exports.",
                  no_args_is_help=True)

QueueArg = Annotated[str, typer.Argument(help="The queue's name.")]


def _load(path: Path) -> Any:
    if not path.exists():
        raise NotFound(f"file {str(path)!r} does not exist")
    text = path.read_text()
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text)
    if path.suffix.lower() == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


@app.command("schema-create")
def schema_create(
    name: str,
    file: Annotated[Path, typer.Option("--file", "-f", help="YAML or JSON: a list of questions, or {questions: [...]}"
                                       )],
    description: Annotated[str, typer.Option("--description")] = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Create a rating schema (or its next version) from a YAML or JSON list of questions.

    Question types: numeric, likert, boolean, categorical, comment, pairwise, edit.
    """
    data = _load(file)
    questions = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(questions, list):
        raise InvalidInput(f"{file}: expected a list of questions", hint='e.g. [{"name": "score", "type": "likert", '
                                                                         '"points": ["bad", "ok", "good"]}]')
    with get_client(project) as client:
        info = client.review.create_schema(name, questions, description=description)
    print_json(info) if as_json else typer.echo(f"rating schema {info.ref} ({len(info.questions)} questions)")


@app.command("schemas")
def schemas(project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """List rating schemas (latest versions)."""
    with get_client(project) as client:
        rows = client.review.list_schemas()
    if as_json:
        print_json(rows)
        return
    print_table([{"ref": s.ref, "questions": ", ".join(f"{q.name}:{q.type}" for q in s.questions)} for s in rows],
                ["ref", "questions"], title="rating schemas")


@app.command("queue-create")
def queue_create(
    name: str,
    schema: Annotated[str, typer.Option("--schema", "-s", help="Rating schema: NAME or NAME@VERSION.")],
    ratings: Annotated[int, typer.Option("--ratings", "-n", min=1, help="Ratings each item needs.")] = 1,
    assignment: Annotated[str, typer.Option("--assignment", help="claim or round_robin")] = "claim",
    annotator: Annotated[list[str] | None, typer.Option("--annotator", "-a", help="Who may rate (repeat).")] = None,
    lock_seconds: Annotated[int, typer.Option("--lock-seconds", min=5)] = 600,
    description: Annotated[str, typer.Option("--description")] = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Create an empty annotation queue."""
    with get_client(project) as client:
        info = client.review.create_queue(name, schema, ratings_per_item=ratings, assignment=assignment,
                                          annotators=annotator or [], lock_seconds=lock_seconds,
                                          description=description)
    print_json(info) if as_json else typer.echo(f"queue {info.name} rated with {info.schema_ref}, "
                                                f"{info.ratings_per_item} rating(s) per item")


@app.command("queues")
def queues(
    annotator: Annotated[str | None, typer.Option("--annotator", help="Only queues this person may rate.")] = None,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """List annotation queues with their progress."""
    with get_client(project) as client:
        rows = client.review.list_queues(annotator=annotator)
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["name", "schema_ref", "ratings_per_item", "assignment", "items", "done", "ratings"],
                title="review queues")


@app.command("add")
def add(
    queue: QueueArg,
    run: Annotated[str | None, typer.Option("--run", help="The items of this eval run.")] = None,
    candidate: Annotated[str | None, typer.Option("--candidate", help="--run: this candidate only.")] = None,
    compare: Annotated[tuple[str, str] | None, typer.Option("--compare", help="RUN_A RUN_B: their disagreements, "
                                                                               "for pairwise review.")] = None,
    metric: Annotated[str | None, typer.Option("--metric", help="--compare: where this score differs.")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="The rows of a dataset version.")] = None,
    items: Annotated[Path | None, typer.Option("--items", help="A JSONL file of items to rate.")] = None,
    traces: Annotated[bool, typer.Option("--traces", help="Traces matching the filter options below.")] = False,
    deployment: Annotated[str | None, typer.Option("--deployment", "-d")] = None,
    variant: Annotated[str | None, typer.Option("--variant")] = None,
    since: Annotated[dt.datetime | None, typer.Option("--since")] = None,
    until: Annotated[dt.datetime | None, typer.Option("--until")] = None,
    feedback_name: Annotated[str | None, typer.Option("--feedback-name")] = None,
    feedback_min: Annotated[float | None, typer.Option("--feedback-min")] = None,
    feedback_max: Annotated[float | None, typer.Option("--feedback-max")] = None,
    guardrail_action: Annotated[str | None, typer.Option("--guardrail-action")] = None,
    judge: Annotated[str | None, typer.Option("--judge", help="With --judge-below: a judge feedback name.")] = None,
    judge_below: Annotated[float | None, typer.Option("--judge-below")] = None,
    sample_rate: Annotated[float, typer.Option("--sample-rate", min=0.0, max=1.0)] = 1.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    project: ProjectOpt = "default",
) -> None:
    """Add items to QUEUE from traces (--traces and filters), an eval run, a comparison, a dataset or a file."""
    from genloop.review._schemas import Comparison, ItemsAdd, TraceFilter

    spec = ItemsAdd(
        traces=TraceFilter(deployment=deployment, variant=variant, since=since, until=until,
                           feedback_name=feedback_name, feedback_min=feedback_min, feedback_max=feedback_max,
                           guardrail_action=guardrail_action, judge=judge, judge_below=judge_below,
                           sample_rate=sample_rate, seed=seed, limit=limit) if traces else None,
        run_id=run, candidate=candidate, dataset=dataset, limit=limit if dataset else None,
        comparison=Comparison(run_a=compare[0], run_b=compare[1], metric=metric, seed=seed) if compare else None,
        items=_load(items) if items else None)
    with get_client(project) as client:
        added = client.review.add(queue, spec)
    typer.echo(f"{added} item(s) added to queue {queue}")


def _show(item: Any, as_json: bool) -> None:
    if as_json:
        print_json(item)
        return
    if item is None:
        typer.echo("nothing left for you in this queue")
        return
    typer.echo(f"item {item.id} (#{item.position + 1}, {item.ratings}/{item.ratings_needed} ratings)")
    content = item.content
    for message in content.get("messages") or []:
        typer.echo(f"  [{message['role']}] {message['content']}")
    if content.get("inputs") is not None:
        typer.echo(f"  [inputs] {json.dumps(content['inputs'], ensure_ascii=False)}")
    for key in ("answer", "answer_a", "answer_b", "reference"):
        if content.get(key) is not None:
            typer.echo(f"  [{key}] {content[key]}")


@app.command("next")
def next_(queue: QueueArg, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Claim your next item in QUEUE and show it."""
    with get_client(project) as client:
        _show(client.review.claim(queue), as_json)


@app.command("rate")
def rate(
    queue: QueueArg,
    item_id: int,
    answer: Annotated[list[str], typer.Option("--answer", "-a", help="NAME=VALUE (VALUE read as JSON when it "
                                                                     "parses: 4, true, \"a\", [\"x\"])")],
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Rate ITEM_ID of QUEUE; prints the next item."""
    answers: dict[str, Any] = {}
    for pair in answer:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise InvalidInput(f"--answer {pair!r} is not NAME=VALUE", hint="e.g. --answer helpfulness=4")
        try:
            answers[name.strip()] = json.loads(raw)
        except ValueError:
            answers[name.strip()] = raw
    with get_client(project) as client:
        result = client.review.submit(queue, item_id, answers)
    if as_json:
        print_json(result)
        return
    typer.echo(f"rating {result.rating.id} stored" + (" (item done)" if result.item_done else ""))
    _show(result.next, False)


@app.command("skip")
def skip(queue: QueueArg, item_id: int,
         later: Annotated[bool, typer.Option("--later", help="Come back to it after the rest.")] = False,
         project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Skip ITEM_ID (or put it off with --later); prints the next item."""
    with get_client(project) as client:
        _show(client.review.skip(queue, item_id, later=later), as_json)


@app.command("undo")
def undo(queue: QueueArg, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Take back your last rating in QUEUE; the item comes back to you."""
    with get_client(project) as client:
        item = client.review.undo(queue)
    if not as_json:
        typer.echo(f"rating of item {item.id} taken back (it was {json.dumps(item.undone)})")
    _show(item, as_json)


@app.command("progress")
def progress(queue: QueueArg, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Items done and ratings, per queue and per rater."""
    with get_client(project) as client:
        info = client.review.progress(queue)
    if as_json:
        print_json(info)
        return
    typer.echo(f"{info.queue}: {info.done}/{info.items} items done, {info.ratings}/{info.ratings_needed} ratings, "
               f"{info.locked} locked")
    print_table(info.raters, ["rater", "rated", "skipped", "seconds_per_item"], title="raters")


@app.command("agreement")
def agreement(queue: QueueArg,
              question: Annotated[str | None, typer.Option("--question", help="Question judges are compared on.")
                                  ] = None,
              project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Inter-annotator agreement per question, per-rater statistics, and judges vs the human majority."""
    with get_client(project) as client:
        report = client.review.agreement(queue, question=question)
    if as_json:
        print_json(report)
        return
    print_table(report.questions, ["question", "level", "items", "raters", "kappa", "weighted_kappa", "alpha"],
                title=f"agreement in {report.queue} ({report.ratings} ratings)")
    print_table(report.raters, ["rater", "rated", "seconds_per_item", "agreement_with_majority"], title="raters")
    if report.judges:
        print_table(report.judges, ["run_id", "judge", "n", "accuracy", "kappa"], title="judges vs humans")
    for warning in report.warnings + [w for q in report.questions for w in q.warnings]:
        typer.echo(f"warning: {warning}", err=True)


@app.command("export")
def export(
    queue: QueueArg,
    kind: Annotated[str, typer.Option("--kind", "-k", help="golden, sft or preference")],
    name: Annotated[str, typer.Option("--name", "-n", help="Dataset to add the new version to.")],
    message: Annotated[str, typer.Option("--message", "-m")] = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Export QUEUE's labels to a new dataset version, with the queue and its sources in its lineage."""
    with get_client(project) as client:
        result = client.review.export(queue, kind=kind, name=name, message=message)
    if as_json:
        print_json(result)
        return
    skipped = ", ".join(f"{k} {v}" for k, v in result.skipped.items()) or "none"
    state = "new version" if result.created else "unchanged, latest version"
    typer.echo(f"{result.dataset.ref} ({state}): {result.rows} {kind} rows from {result.items} rated items; "
               f"skipped: {skipped}; run {result.run_id}")
