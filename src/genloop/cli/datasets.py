"""`genloop datasets ...`: create versions from files, list and show them, export, split, tag and label."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, console, count, err_console, get_client, print_json, print_table

app = typer.Typer(help="Manage datasets: versioned, validated, content-addressed Parquet.", no_args_is_help=True)

RefArg = Annotated[str, typer.Argument(help="NAME, NAME@3 or NAME@label.")]


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    file: Annotated[Path, typer.Option("--file", "-f", help="JSONL, CSV, Parquet, or a save_to_disk folder.")],
    kind: Annotated[str | None, typer.Option(
        "--kind", "-k", help="chat, completion, preference, eval or generic (default: the latest version's, else "
                             "the kind its columns evidently are, else generic).")] = None,
    message: Annotated[str, typer.Option("--message", "-m", help="What changed in this version.")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag the version (repeatable).")] = None,
    format: Annotated[str | None, typer.Option("--format", help="jsonl, csv or parquet (default: extension).")] = None,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Import a file as a new version (identical content to the latest version returns it)."""
    with get_client(project) as client, err_console.status(f"importing {file.name}..."):
        version, created = client.datasets.create_or_get(name, file, kind=kind, message=message, tags=tag,
                                                         format=format)
    if as_json:
        print_json(version)
        return
    verb = "created" if created else "unchanged: identical to"
    rows = count(version.num_rows, "row")
    console.print(f"{verb} {version.ref} ({version.kind}, {rows}, {version.content_hash[:19]})", highlight=False)
    if kind is None and version.version == 1:
        chosen = "read from its columns" if version.kind != "generic" else "no other kind fits its columns"
        console.print(f"kind {version.kind}: {chosen}; pass --kind to choose another", highlight=False)


@app.command("list")
def list_datasets(
    project: ProjectOpt = "default",
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List datasets with their latest version."""
    with get_client(project) as client:
        page = client.datasets.list(offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    print_table(page.items, ["name", "latest_version", "kind", "num_rows", "labels", "updated_at"],
                title=f"datasets ({len(page.items)} of {page.total})")


@app.command("versions")
def versions(
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    project: ProjectOpt = "default",
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List the versions of a dataset, newest first."""
    with get_client(project) as client:
        page = client.datasets.versions(name, offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    rows = [{**v.model_dump(), "hash": v.content_hash[:19]} for v in page.items]
    print_table(rows, ["version", "kind", "num_rows", "hash", "tags", "labels", "message", "created_at", "created_by"],
                title=f"{name} ({len(page.items)} of {page.total} versions)")


@app.command("show")
def show(
    ref: RefArg,
    head: Annotated[int, typer.Option("--head", "-n", min=0, max=10_000, help="Also show the first N rows.")] = 0,
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Show a version: kind, rows, columns, hash, tags, labels, lineage; --head N adds rows."""
    with get_client(project) as client:
        version = client.datasets.get(ref)
        rows = client.datasets.head(version.ref, head) if head else []
    if as_json:
        print_json({**version.model_dump(mode="json"), "head": rows} if head else version)
        return
    lines = [
        f"[bold]{version.ref}[/bold]  {version.kind}, {count(version.num_rows, 'row')}, "
        f"{count(version.size_bytes, 'byte')}",
        f"hash     {version.content_hash}",
        f"columns  {', '.join(f'{c.name} ({c.type})' for c in version.columns)}",
        f"tags     {', '.join(version.tags) or '-'}    labels  {', '.join(version.labels) or '-'}",
        f"created  {version.created_at.isoformat(timespec='seconds')} by {version.created_by}",
    ]
    if version.message:
        lines.append(f"message  {version.message}")
    if version.parent or version.transform:
        lines.append(f"parent   {version.parent or '-'}  {version.transform or ''}")
    for line in lines:
        console.print(line, highlight=False)
    if rows:
        print_table(rows, version.column_names, title=f"first {count(len(rows), 'row')}")


@app.command("export")
def export(
    ref: RefArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    format: Annotated[str | None, typer.Option("--format", help="jsonl, csv or parquet (default: extension).")] = None,
    project: ProjectOpt = "default",
) -> None:
    """Write a version to a file as JSON Lines, CSV or Parquet."""
    with get_client(project) as client, err_console.status(f"exporting {ref}..."):
        path = client.datasets.export(ref, out, format=format)
    console.print(f"wrote {path}")


@app.command("split")
def split(
    ref: RefArg,
    test_size: Annotated[float, typer.Option("--test-size", help="Fraction (0.2) or number of rows (100).")] = 0.2,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Same seed, same split.")] = 42,
    stratify: Annotated[str | None, typer.Option("--stratify", help="Keep this column's proportions.")] = None,
    train_name: Annotated[str | None, typer.Option("--train-name", help="Default NAME-train.")] = None,
    test_name: Annotated[str | None, typer.Option("--test-name", help="Default NAME-test.")] = None,
    message: Annotated[str, typer.Option("--message", "-m")] = "",
    project: ProjectOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Split a version into train and test versions (seeded, reproducible)."""
    size: float = int(test_size) if test_size >= 1 and float(test_size).is_integer() else test_size
    with get_client(project) as client, err_console.status(f"splitting {ref}..."):
        result = client.datasets.split(ref, test_size=size, seed=seed, stratify=stratify, train_name=train_name,
                                       test_name=test_name, message=message)
    if as_json:
        print_json(result)
        return
    console.print(f"train {result.train.ref} ({count(result.train.num_rows, 'row')}), "
                  f"test {result.test.ref} ({count(result.test.num_rows, 'row')})")


@app.command("tag")
def tag(ref: RefArg, tag: Annotated[str, typer.Argument(help="golden, few-shot, sft...")],
        project: ProjectOpt = "default") -> None:
    """Tag a version."""
    with get_client(project) as client:
        version = client.datasets.tag(ref, tag)
    console.print(f"{version.ref} tags: {', '.join(version.tags)}")


@app.command("untag")
def untag(ref: RefArg, tag: Annotated[str, typer.Argument(help="The tag to remove.")],
          project: ProjectOpt = "default") -> None:
    """Remove a tag from a version."""
    with get_client(project) as client:
        version = client.datasets.untag(ref, tag)
    console.print(f"{version.ref} tags: {', '.join(version.tags) or '-'}")


@app.command("label")
def label(ref: RefArg, label: Annotated[str, typer.Argument(help="production, golden, ... (NAME@label).")],
          project: ProjectOpt = "default") -> None:
    """Point a label at a version, so NAME@label refers to it."""
    with get_client(project) as client:
        version = client.datasets.label(ref, label)
    console.print(f"{version.name}@{label} -> {version.ref}")


@app.command("unlabel")
def unlabel(name: Annotated[str, typer.Argument(help="Dataset name.")],
            label: Annotated[str, typer.Argument(help="The label to remove.")],
            project: ProjectOpt = "default") -> None:
    """Remove a label."""
    with get_client(project) as client:
        client.datasets.unlabel(name, label)
    console.print(f"removed {name}@{label}")
