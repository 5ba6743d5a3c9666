"""`genloop governance ...`: promotion policies, and reviews that gate every promotion (request, list, show, decide)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table

app = typer.Typer(help="Promotion policies and the reviews that gate promotions.", no_args_is_help=True)
policies_app = typer.Typer(help="Promotion policies: what moving a protected alias or label needs.",
                           no_args_is_help=True)
review_app = typer.Typer(help="Promotion reviews: evidence, then one decision by someone who is not the author.",
                         no_args_is_help=True)
app.add_typer(policies_app, name="policies")
app.add_typer(review_app, name="review")


@policies_app.command("set")
def policies_set(spec: Annotated[Path, typer.Argument(help="The policy as YAML")], project: ProjectOpt = "default",
                 as_json: JsonOpt = False) -> None:
    """Add a version of a promotion policy from a YAML file (the newest version is in force)."""
    with get_client(project) as client:
        info = client.governance.policies.set(spec)
    if as_json:
        print_json(info)
        return
    target = info.spec.target
    typer.echo(f"policy {info.name} v{info.version} guards {target.kind} {target.name} -> {target.label}: "
               + "; ".join(info.requirements))


@policies_app.command("show")
def policies_show(name: str, version: Annotated[int | None, typer.Option(help="An older version")] = None,
                  project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """A promotion policy and what it requires."""
    with get_client(project) as client:
        info = client.governance.policies.get(name, version)
    if as_json:
        print_json(info)
        return
    target = info.spec.target
    typer.echo(f"{info.name} v{info.version} ({'active' if info.active else 'disabled'}), by {info.created_by}: "
               f"{target.kind} {target.name} -> {target.label}")
    for requirement in info.requirements:
        typer.echo(f"  - {requirement}")


@policies_app.command("list")
def policies_list(project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Every promotion policy (newest versions)."""
    with get_client(project) as client:
        items = client.governance.policies.list()
    if as_json:
        print_json(items)
        return
    print_table([{"name": p.name, "version": p.version, "active": p.active, "kind": p.spec.target.kind,
                  "target": f"{p.spec.target.name} -> {p.spec.target.label}", "requirements": len(p.requirements)}
                 for p in items], ["name", "version", "active", "kind", "target", "requirements"])


@policies_app.command("disable")
def policies_disable(name: str, project: ProjectOpt = "default") -> None:
    """Stop enforcing a policy (its history is kept)."""
    with get_client(project) as client:
        info = client.governance.policies.disable(name)
    typer.echo(f"policy {info.name} disabled (v{info.version})")


@review_app.command("request")
def review_request(ref: Annotated[str, typer.Argument(help="MODEL@V, model:NAME@V, prompt:NAME@V or deployment:NAME")],
                   target: Annotated[str, typer.Option(help="The alias or label to move on approval ('update' for "
                                                       "a deployment)")] = "production",
                   changes: Annotated[Path | None, typer.Option(help="A deployment update's changes (YAML spec "
                                                                "fields)")] = None,
                   project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Open a review: the evidence (evaluations, comparison, safety, bias, lineage) is gathered now."""
    with get_client(project) as client:
        info = client.governance.reviews.request(ref, target=target,
                                                 changes=_yaml_mapping(changes) if changes is not None else None)
    if as_json:
        print_json(info)
        return
    _show(info)


@review_app.command("list")
def review_list(status: Annotated[str | None, typer.Option(help="pending, approved, changes_requested, rejected")]
                = None, ref: Annotated[str | None, typer.Option(help="Only reviews of NAME or NAME@V")] = None,
                project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Reviews, newest first."""
    with get_client(project) as client:
        items = client.governance.reviews.list(status=status, ref=ref)
    if as_json:
        print_json(items)
        return
    print_table([{"id": r.id, "subject": r.subject, "target": r.target, "status": r.status, "passed": r.passed,
                  "requested_by": r.requested_by, "decided_by": r.decided_by or ""} for r in items],
                ["id", "subject", "target", "status", "passed", "requested_by", "decided_by"])


@review_app.command("show")
def review_show(review_id: int, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """A review: its evidence, check by check, and its decision."""
    with get_client(project) as client:
        info = client.governance.reviews.get(review_id)
    if as_json:
        print_json(info)
        return
    _show(info)


@review_app.command("decide")
def review_decide(review_id: int,
                  decision: Annotated[str, typer.Argument(help="approve, request_changes or reject")],
                  comment: Annotated[str, typer.Option(help="Why")] = "",
                  project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Decide a review once: approval moves the alias or label (never by the author or requester)."""
    with get_client(project) as client:
        info = client.governance.reviews.decide(review_id, decision.replace("-", "_"), comment=comment)
    if as_json:
        print_json(info)
        return
    moved = ""
    if info.status == "approved":
        moved = (f"; deployment {info.name} is now version {info.version}" if info.entity_type == "deployment"
                 else f"; {info.name}@{info.target} -> {info.version}")
    typer.echo(f"review #{info.id} {info.status.replace('_', ' ')} by {info.decided_by}{moved}")


def _yaml_mapping(path: Path) -> dict[str, Any]:
    import yaml

    from genloop.errors import InvalidInput

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} must hold a mapping of deployment spec fields")
    return data


def _show(info: Any) -> None:
    typer.echo(f"review #{info.id}: {info.subject} -> {info.target} ({info.status}); policy {info.policy or 'none'}; "
               f"author {info.author or '-'}, requested by {info.requested_by}")
    ev = info.evidence
    typer.echo(f"current {info.target}: {ev.current or 'none'}")
    for check in ev.checks:
        typer.echo(f"  [{'pass' if check.passed else 'FAIL' if check.kind != 'approval' else 'wait'}] "
                   f"{check.requirement}: {check.message}")
    for entry in ev.evaluations:
        line = f"  run {entry['run_id'][:12]} ({entry['eval']})"
        for m in entry.get("comparison", []):
            if m["delta"] is not None:
                line += f"; {m['metric']} {m['delta']:+.3g} vs current{' (significant)' if m['significant'] else ''}"
        typer.echo(line)
    lineage = ev.lineage
    if lineage.get("run") or lineage.get("base"):
        typer.echo(f"  lineage: base {(lineage.get('base') or {}).get('model', '-')}, run "
                   f"{(lineage.get('run') or {}).get('id', '-')}, data "
                   f"{', '.join(d.get('dataset', '?') for d in lineage.get('data', [])) or '-'}")
    if info.decided_by:
        typer.echo(f"decided: {info.status} by {info.decided_by}" + (f": {info.comment}" if info.comment else ""))
    elif info.passed:
        typer.echo(f"every requirement passes; decide with: genloop governance review decide {info.id} approve")
