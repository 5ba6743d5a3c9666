"""`genloop quality profile|clean|dedup|scrub|decontaminate|overlap|map`: data quality on dataset versions.

``genloop datasets profile REF`` is the same command as ``genloop quality profile REF``. Every operation
that changes rows writes a new version (of the same dataset unless ``--name``) and prints it with the run.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from genloop.cli._common import JsonOpt, ProjectOpt, console, err_console, get_client, print_json, print_table
from genloop.errors import InvalidInput

app = typer.Typer(help="Profile, clean, deduplicate, scrub and decontaminate datasets; map prompts.",
                  no_args_is_help=True)

RefArg = Annotated[str, typer.Argument(help="Dataset version: NAME, NAME@3 or NAME@label.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Write to this dataset (default: the input's).")]
MessageOpt = Annotated[str, typer.Option("--message", "-m", help="Message of the new version.")]
ColumnsOpt = Annotated[list[str] | None, typer.Option("--column", "-c", help="Text column to use (repeatable).")]


@app.command("profile")
def profile(
    ref: RefArg,
    tokenizer: Annotated[str | None, typer.Option(
        "--tokenizer", help="Count tokens with this local Hugging Face tokenizer (default: regex words).")] = None,
    sample: Annotated[int, typer.Option("--sample", min=0, help="Rows sampled for languages, near dups, PII.")] = 10_000,
    stored: Annotated[bool, typer.Option("--stored", help="Show the latest stored profile instead of a new one.")] = False,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Profile a dataset version: lengths, languages, chat statistics, duplicates, PII, outliers."""
    with get_client(project) as client:
        if stored:
            result = client.quality.get_profile(ref)
        else:
            with err_console.status(f"profiling {ref}..."):
                result = client.quality.profile(ref, tokenizer=tokenizer, sample=sample)
    if as_json:
        print_json(result)
        return
    console.print(f"[bold]{result.dataset}[/bold] ({result.kind}): {result.rows:,} rows, run {result.run_id}")
    print_table([c.model_dump() for c in result.columns], ["name", "type", "nulls", "empty"], title="columns")
    print_table([{"field": f.name, "chars_p50": f.chars.p50, "chars_p99": f.chars.p99, "chars_max": f.chars.max,
                  "tokens_p50": f.tokens.p50, "tokens_p99": f.tokens.p99} for f in result.text_fields],
                ["field", "chars_p50", "chars_p99", "chars_max", "tokens_p50", "tokens_p99"],
                title=f"text lengths (tokens: {result.tokenizer})")
    lines = {"languages": result.languages, "duplicates": result.duplicates,
             "pii (sample)": result.pii.get("hits_by_kind"), "length outliers": result.outliers.get("length", {}).get("rows"),
             "chat roles": (result.chat or {}).get("roles"), "preference": result.preference}
    for label, value in lines.items():
        if value not in (None, {}, []):
            console.print(f"{label}: {value}", markup=False)
    for note in result.notes:
        err_console.print(f"note: {note}", markup=False)


def _print_result(result: Any, as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    out = result.dataset.ref if result.dataset is not None else "no new version"
    verb = "" if result.dataset is None or result.created else " (unchanged: identical to the latest)"
    console.print(f"{result.op} {result.source} -> {out}{verb}: {result.rows_in:,} rows in, {result.rows_out:,} out "
                  f"(run {result.run_id})", markup=False)
    report = {k: v for k, v in result.report.items() if k not in ("examples", "steps")}
    console.print(json.dumps(report, default=str), markup=False)
    if "steps" in result.report:
        print_table([{"step": label, "removed": s["removed"], "changed": s["changed"]}
                     for label, s in result.report["steps"].items()], ["step", "removed", "changed"], title="steps")


def parse_step(spec: str) -> dict[str, Any]:
    """A step from the command line: JSON (``{"op": ...}``), ``op``, or ``op:key=value,key=value``.

    Values are read as YAML scalars; ``a|b`` is a list (``keep_languages:languages=en|fr``).
    """
    spec = spec.strip()
    if spec.startswith("{"):
        try:
            value = json.loads(spec)
        except ValueError as exc:
            raise InvalidInput(f"step {spec!r} is not valid JSON: {exc}") from exc
        return value if isinstance(value, dict) else {"op": value}
    op, _, rest = spec.partition(":")
    step: dict[str, Any] = {"op": op.strip()}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, raw = part.partition("=")
        if not eq:
            raise InvalidInput(f"step {spec!r}: {part!r} is not key=value", hint="e.g. length:min_chars=10,max_chars=4000")
        values = [yaml.safe_load(v) for v in raw.split("|")]
        step[key.strip()] = values if "|" in raw else values[0]
    return step


@app.command("clean")
def clean(
    ref: RefArg,
    step: Annotated[list[str] | None, typer.Option(
        "--step", "-s", help="A step: op, op:key=value,... or JSON (repeatable, run in order).")] = None,
    steps_file: Annotated[Path | None, typer.Option("--steps", help="YAML or JSON file with a list of steps.")] = None,
    name: NameOpt = None,
    message: MessageOpt = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Clean rows with declarative steps, in one pass, into a new version.

    Steps: normalize_unicode, normalize_whitespace, strip_html, drop_empty, length, keep_languages, guardrail,
    fix_roles (see the README's Data quality section)."""
    steps = [parse_step(s) for s in step or []]
    if steps_file is not None:
        loaded = yaml.safe_load(steps_file.read_text())
        if not isinstance(loaded, list):
            raise InvalidInput(f"{steps_file} must hold a list of steps", hint='e.g. - {op: drop_empty}')
        steps = loaded + steps
    with get_client(project) as client, err_console.status(f"cleaning {ref}..."):
        result = client.quality.clean(ref, steps, name=name, message=message)
    _print_result(result, as_json)


@app.command("dedup")
def dedup(
    ref: RefArg,
    method: Annotated[str, typer.Option("--method", help="exact, near (MinHash + LSH) or semantic.")] = "near",
    threshold: Annotated[float, typer.Option("--threshold", help="Similarity in (0, 1].")] = 0.8,
    keep: Annotated[str, typer.Option("--keep", help="first, longest or score:COLUMN.")] = "first",
    num_perm: Annotated[int, typer.Option("--num-perm", help="MinHash permutations.")] = 128,
    ngram: Annotated[int, typer.Option("--ngram", help="Words per shingle.")] = 3,
    columns: ColumnsOpt = None,
    name: NameOpt = None,
    message: MessageOpt = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Remove duplicate rows into a new version; removed rows stay with the run (removed.parquet)."""
    with get_client(project) as client, err_console.status(f"deduplicating {ref}..."):
        result = client.quality.dedup(ref, method=method, threshold=threshold, keep=keep, num_perm=num_perm,
                                      ngram=ngram, columns=columns, name=name, message=message)
    _print_result(result, as_json)


@app.command("scrub")
def scrub(
    ref: RefArg,
    mode: Annotated[str, typer.Option("--mode", help="redact ([REDACTED:kind]) or mask (<<KIND_1>>).")] = "redact",
    check: Annotated[list[str] | None, typer.Option("--check", help="Guardrail check (repeatable; default PII).")] = None,
    columns: ColumnsOpt = None,
    name: NameOpt = None,
    message: MessageOpt = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Redact or mask PII in every text field into a new version, with a report by kind."""
    with get_client(project) as client, err_console.status(f"scrubbing {ref}..."):
        result = client.quality.scrub(ref, mode=mode, checks=check, columns=columns, name=name, message=message)
    _print_result(result, as_json)


@app.command("decontaminate")
def decontaminate(
    ref: RefArg,
    eval_ref: Annotated[list[str], typer.Option("--eval", "-e", help="Eval dataset version (repeatable).")],
    n: Annotated[int, typer.Option("--n", help="Word n-gram length.")] = 13,
    threshold: Annotated[float | None, typer.Option("--threshold", help="Near-duplicate Jaccard (0 turns it off).")] = 0.8,
    flag: Annotated[bool, typer.Option("--flag", help="Only report overlapping rows; write no version.")] = False,
    columns: ColumnsOpt = None,
    name: NameOpt = None,
    message: MessageOpt = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Remove (or --flag) training rows that overlap the eval sets by n-grams or near duplicates."""
    with get_client(project) as client, err_console.status(f"decontaminating {ref}..."):
        result = client.quality.decontaminate(ref, eval_ref, n=n, threshold=threshold or None,
                                              action="flag" if flag else "remove", columns=columns, name=name,
                                              message=message)
    _print_result(result, as_json)


@app.command("overlap")
def overlap(
    ref: RefArg,
    eval_ref: Annotated[list[str], typer.Option("--eval", "-e", help="Eval dataset version (repeatable).")],
    n: Annotated[int, typer.Option("--n", help="Word n-gram length.")] = 13,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Count rows that share a word n-gram with the eval sets (writes nothing)."""
    with get_client(project) as client:
        result = client.quality.overlap(ref, eval_ref, n=n)
    if as_json:
        print_json(result)
        return
    console.print(f"{result['overlapping_rows']:,} of {result['rows']:,} rows of {result['dataset']} share a "
                  f"{n}-gram with {', '.join(result['eval'])}", markup=False)


@app.command("map")
def prompt_map(
    ref: Annotated[str | None, typer.Argument(help="Dataset version whose prompts to map.")] = None,
    reference: Annotated[str | None, typer.Option("--reference", help="Reference version (flags irrelevant).")] = None,
    since: Annotated[dt.datetime | None, typer.Option("--since", help="Traces from (ISO time).")] = None,
    until: Annotated[dt.datetime | None, typer.Option("--until", help="Traces until (ISO time).")] = None,
    deployment: Annotated[str | None, typer.Option("--deployment", help="Traces of this deployment.")] = None,
    column: Annotated[str | None, typer.Option("--column", help="Column holding the prompt.")] = None,
    embedder: Annotated[str | None, typer.Option("--embedder", help="hashed, sentence-transformers:NAME, "
                                                                    "or PROVIDER:MODEL.")] = None,
    projection: Annotated[str, typer.Option("--projection", help="pca or umap.")] = "pca",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the points as JSON here.")] = None,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Embed, project and cluster prompts of a version and/or of traces; flag irrelevant production prompts."""
    with get_client(project) as client, err_console.status("mapping prompts..."):
        result = client.quality.map(ref, column=column, since=since, until=until, deployment=deployment,
                                    reference=reference, embedder=embedder, projection=projection)
    if out is not None:
        out.write_text(json.dumps([p.model_dump(mode="json") for p in result.points]))
    if as_json:
        print_json(result.model_dump(mode="json", exclude={"points"}))
        return
    console.print(f"{result.total_points:,} prompts, {len([c for c in result.clusters if c != '-1'])} clusters, "
                  f"{result.irrelevant:,} irrelevant (run {result.run_id}, {result.embedder}, {result.projection})",
                  markup=False)
