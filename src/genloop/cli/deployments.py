"""`genloop deployments create|list|show|update|versions`: versioned deployments served by the gateway.

A variant is written ``key=value`` pairs separated by commas::

    --variant "name=a,prompt=support@production,model=tiny@champion,weight=0.9"
    --variant "name=b,model=openai:gpt-4o-mini,weight=0.1" --fallback "model=openai:gpt-4o-mini"

or put the whole spec in a YAML/JSON file (``--file``) with the same fields as the REST API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from genloop.cli._common import JsonOpt, ProjectOpt, get_client, print_json, print_table
from genloop.errors import InvalidInput

app = typer.Typer(help="Manage deployments (what the gateway serves).", no_args_is_help=True)

VariantOpt = Annotated[list[str] | None, typer.Option("--variant", "-v", help="name=..,prompt=..,model=..,weight=..")]
ShadowOpt = Annotated[list[str] | None, typer.Option("--shadow", help="A shadow variant (traced, never returned).")]
FallbackOpt = Annotated[list[str] | None, typer.Option("--fallback", help="A fallback, tried in the order given.")]
FileOpt = Annotated[Path | None, typer.Option("--file", "-f", exists=True, dir_okay=False, help="Spec in YAML/JSON.")]
RetriesOpt = Annotated[int | None, typer.Option("--retries", min=1, max=10, help="Attempts per upstream.")]
TimeoutOpt = Annotated[float | None, typer.Option("--timeout", help="Seconds per upstream attempt.")]
CacheOpt = Annotated[float | None, typer.Option("--cache-ttl", help="Turn on the exact-match cache with this TTL (s).")]
GuardOpt = Annotated[Path | None, typer.Option("--guardrails", exists=True, dir_okay=False, help="Policy YAML file.")]
MessageOpt = Annotated[str, typer.Option("--message", "-m", help="Why this version.")]


def parse_variant(text: str) -> dict[str, Any]:
    """``name=a,prompt=p@1,model=m,weight=0.5,temperature=0.2`` as a variant dict (unknown keys become params)."""
    variant: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise InvalidInput(f"invalid variant part {part!r} in {text!r}", hint="write key=value pairs")
        if key == "weight":
            variant[key] = float(value)
        elif key in ("name", "prompt", "model", "base_url", "connection", "api_key_env"):
            variant[key] = value
        else:
            import yaml

            params[key] = yaml.safe_load(value)
    if params:
        variant["params"] = params
    return variant


def _spec(file: Path | None, variants: list[str] | None, shadows: list[str] | None, fallbacks: list[str] | None,
          retries: int | None, timeout: float | None, cache_ttl: float | None, guardrails: Path | None
          ) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if file is not None:
        import yaml

        loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise InvalidInput(f"{file}: a deployment spec must be a mapping")
        spec.update(loaded)
    for key, values in (("variants", variants), ("shadows", shadows), ("fallbacks", fallbacks)):
        if values:
            spec[key] = [parse_variant(v) for v in values]
    if retries is not None:
        spec["retries"] = {**spec.get("retries", {}), "attempts": retries}
    if timeout is not None:
        spec["timeout_s"] = timeout
    if cache_ttl is not None:
        spec["cache"] = {"enabled": cache_ttl > 0, "ttl_s": cache_ttl if cache_ttl > 0 else 300}
    if guardrails is not None:
        from genloop.guardrails import load_policy

        spec["guardrails"] = load_policy(guardrails).to_dict()
    return spec


def _show(info: Any, as_json: bool) -> None:
    if as_json:
        print_json(info)
        return
    rows = [{"kind": kind, "name": v.name, "prompt": v.prompt, "model": v.model, "weight": v.weight}
            for kind, items in (("variant", info.variants), ("shadow", info.shadows), ("fallback", info.fallbacks))
            for v in items]
    print_table(rows, ["kind", "name", "prompt", "model", "weight"], title=f"{info.name}@{info.version}")


@app.command("create")
def create(name: str, file: FileOpt = None, variant: VariantOpt = None, shadow: ShadowOpt = None,
           fallback: FallbackOpt = None, retries: RetriesOpt = None, timeout: TimeoutOpt = None,
           cache_ttl: CacheOpt = None, guardrails: GuardOpt = None, message: MessageOpt = "",
           description: Annotated[str | None, typer.Option("--description")] = None,
           project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Create deployment NAME (clients send it as `model`)."""
    spec = _spec(file, variant, shadow, fallback, retries, timeout, cache_ttl, guardrails)
    description = description or spec.pop("description", None)
    with get_client(project) as client:
        info = client.deployments.create(name, description=description, message=message, **spec)
    _show(info, as_json)


@app.command("update")
def update(name: str, file: FileOpt = None, variant: VariantOpt = None, shadow: ShadowOpt = None,
           fallback: FallbackOpt = None, retries: RetriesOpt = None, timeout: TimeoutOpt = None,
           cache_ttl: CacheOpt = None, guardrails: GuardOpt = None, message: MessageOpt = "",
           project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Make a new version of NAME with the given fields changed; the gateway serves it within a second."""
    spec = _spec(file, variant, shadow, fallback, retries, timeout, cache_ttl, guardrails)
    if not spec:
        raise InvalidInput("nothing to change", hint="pass --variant, --fallback, --file ...")
    with get_client(project) as client:
        info = client.deployments.update(name, message=message, **spec)
    _show(info, as_json)


@app.command("list")
def list_(project: ProjectOpt = "default", limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
          offset: Annotated[int, typer.Option(min=0)] = 0, as_json: JsonOpt = False) -> None:
    """List deployments (latest versions)."""
    with get_client(project) as client:
        page = client.deployments.list(offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    rows = [{"name": d.name, "version": d.version, "variants": [v.name for v in d.variants],
             "fallbacks": [v.name for v in d.fallbacks], "cache": d.cache.enabled,
             "guardrails": bool(d.guardrails), "created_at": d.created_at} for d in page.items]
    print_table(rows, ["name", "version", "variants", "fallbacks", "cache", "guardrails", "created_at"],
                title=f"deployments ({len(page.items)} of {page.total})")


@app.command("show")
def show(ref: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """Show a deployment version (NAME or NAME@VERSION)."""
    with get_client(project) as client:
        info = client.deployments.get(ref)
    _show(info, as_json)


@app.command("versions")
def versions(name: str, project: ProjectOpt = "default", as_json: JsonOpt = False) -> None:
    """List the versions of a deployment, newest first."""
    with get_client(project) as client:
        page = client.deployments.versions(name)
    if as_json:
        print_json(page)
        return
    print_table(page.items, ["version", "message", "content_hash", "created_by", "created_at"], title=name)
