"""The smaller endpoints: embeddings, the model list, OTLP trace ingestion, metrics and health."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import orjson

from genloop.auth import bearer_token
from genloop.errors import GenLoopError
from genloop.gateway._chat import request_context, sticky_fraction
from genloop.gateway._config import Variant
from genloop.gateway._errors import GatewayError
from genloop.gateway._gateway import Caller, Gateway
from genloop.gateway._metrics import CONTENT_TYPE_LATEST
from genloop.gateway._request import Exchange

__all__ = ["embeddings", "health", "list_models", "metrics", "otlp_traces"]

log = logging.getLogger("genloop.gateway")


async def embeddings(gw: Gateway, ex: Exchange, caller: Caller, rec: dict[str, Any], limit: int) -> None:
    """``POST /v1/embeddings`` on a deployment's variant (its model; prompts do not apply)."""
    body = await ex.json(limit)
    dep = gw.deployment(caller, body.get("model"))
    user, session, metadata, _variables = request_context(body, ex)
    variant = dep.pick(sticky_fraction(dep.name, user))
    texts = body.get("input")
    if not (isinstance(texts, str) and texts) and not (isinstance(texts, list) and texts):
        raise GatewayError(400, "'input' is required: a string or a non-empty list", param="input",
                           code="missing_input")
    rec.update(deployment=dep.name, deployment_version=dep.version, variant=variant.name, user=user,
               session_id=session, metadata=metadata)
    ex.response_headers += [(b"x-genloop-deployment", dep.name.encode()),
                            (b"x-genloop-variant", variant.name.encode()), (b"x-genloop-cache", b"miss")]
    if dep.guard is not None and isinstance(texts, (str, list)) and all(isinstance(t, str) for t in _list(texts)):
        checked = [dep.guard.check_input(t) for t in _list(texts)]
        rec["guardrails"] = [{**f.to_dict(), "stage": "input"} for c in checked for f in c.findings]
        blocked = next((c for c in checked if c.blocked), None)
        if blocked is not None:
            raise GatewayError(400, blocked.block_reason or "blocked by a guardrail", code="content_filter",
                               trace_status="blocked")
        out = [c.text for c in checked]
        texts = out[0] if isinstance(texts, str) else out

    def body_for(v: Variant) -> dict[str, Any]:
        return {**{k: val for k, val in body.items() if k not in ("metadata", "genloop_variables")},
                "model": v.target.model, "input": texts}

    data, used = await gw.dispatcher.call(dep, variant, body_for, rec, "embed")
    rec.update(prompt=None, model=used.target.label, provider=used.target.provider, upstream_model=used.target.model)
    usage = data.get("usage") or {}
    rec["input_tokens"] = usage.get("prompt_tokens")
    rec["cost_usd"] = used.cost(rec["input_tokens"] or 0, 0)
    if gw.settings.trace_capture_content:
        rec["input"] = texts
        rec["output"] = {"vectors": len(data.get("data") or [])}
    rec["http_status"] = 200
    await ex.send_bytes(200, orjson.dumps(data))


def _list(texts: Any) -> list[Any]:
    return [texts] if isinstance(texts, str) else list(texts)


async def list_models(gw: Gateway, ex: Exchange, caller: Caller) -> None:
    """``GET /v1/models``: the deployments this caller may call."""
    data = []
    for (project, name), dep in sorted(gw.snapshot.deployments.items()):
        if project != caller.project or (caller.key is not None and not caller.key.allows_deployment(name)):
            continue
        data.append({"id": name, "object": "model", "created": int(dep.info.created_at.timestamp()),
                     "owned_by": f"genloop:{project}"})
    await ex.send_json(200, {"object": "list", "data": data})


async def otlp_traces(gw: Gateway, ex: Exchange, caller: Caller, limit: int) -> None:
    """``POST /v1/traces``: OTLP/HTTP (JSON or protobuf) spans become GenLoop traces through the spool."""
    from genloop.tracing import otlp_to_records

    content_type = ex.header(b"content-type") or "application/json"
    raw = await ex.body(limit)
    try:
        records = otlp_to_records(raw, content_type, project=caller.project, price=_pricer(gw),
                                  api_key=caller.key.id if caller.key else None)
    except GenLoopError as exc:
        raise GatewayError(400, str(exc), code="invalid_otlp") from None
    await _check_owners(gw, caller, records)
    for rec in records:
        gw.writer.submit(rec)
    if "protobuf" in content_type:
        await ex.send_bytes(200, b"", content_type=b"application/x-protobuf")
    else:
        await ex.send_json(200, {})


async def _check_owners(gw: Gateway, caller: Caller, records: list[dict[str, Any]]) -> None:
    """403 when a span would join a trace of another project (the writer refuses those too, later)."""
    if not records:
        return
    from genloop.tracing import TraceService

    try:
        owners = await asyncio.to_thread(TraceService(gw.store).owners, [r["id"] for r in records])
    except Exception:  # noqa: BLE001 - the store may be down; the spool keeps the spans, the writer checks again
        log.warning("could not check which project owns %d OTLP traces; the writer will", len(records))
        return
    foreign = sorted(tid for tid, project in owners.items() if project != caller.project)
    if foreign:
        raise GatewayError(403, f"trace {foreign[0]} belongs to another project; spans may only be added to "
                           f"traces of project {caller.project!r}", code="trace_of_another_project")


def _pricer(gw: Gateway) -> Any:
    try:
        from genloop.providers import PriceTable, Usage

        table = PriceTable.from_settings(gw.settings)
    except Exception:  # noqa: BLE001 - unknown prices leave cost empty
        return None

    def price(model: str, input_tokens: int, output_tokens: int) -> float | None:
        provider, _, name = model.partition(":") if ":" in model else ("openai", "", model)
        return table.cost(provider, name, Usage(input_tokens=input_tokens, output_tokens=output_tokens))

    return price


async def metrics(gw: Gateway, ex: Exchange) -> None:
    """``GET /metrics`` in the Prometheus text format (every project's series: with auth on, a ``metrics`` key)."""
    if gw.settings.auth:
        gw.caller(ex, "metrics", limit=False)
    await ex.send_bytes(200, gw.metrics.render(), content_type=CONTENT_TYPE_LATEST.encode())


async def health(gw: Gateway, ex: Exchange) -> None:
    """``GET /healthz``: liveness for anyone; the details for a key, scoped to what it may see.

    With auth on and no key, only ``status`` is answered (a liveness probe needs nothing more). A project's
    key sees its project's deployments and the broken ones; a ``metrics`` (or ``operator``) key, and anyone
    when auth is off, also sees open circuits (they name upstream URLs), the trace backlog and dead letters.
    """
    snapshot = gw.snapshot
    answer: dict[str, Any] = {"status": "ok" if gw.started else "starting"}
    project: str | None = None
    if gw.settings.auth:
        if bearer_token(ex.scope["headers"]) is None:
            await ex.send_json(200, answer)
            return
        caller = _any_key(gw, ex)
        project = None if caller.allows("metrics") else caller.project
    answer["deployments"] = sum(1 for p, _ in snapshot.deployments if project is None or p == project)
    answer["broken"] = {f"{p}/{n}": why for (p, n), why in snapshot.errors.items() if project is None or p == project}
    answer["retired"] = {f"{p}/{n}": notes for (p, n), notes in snapshot.retired.items()
                         if project is None or p == project}
    if project is None:
        answer.update(in_flight=gw.in_flight, traces_pending=gw.writer.pending,
                      traces_dead_lettered=gw.writer.dead_lettered, trace_writer=gw.writer_status(),
                      circuits=gw.dispatcher.breakers.snapshot())
    await ex.send_json(200, answer)


def _any_key(gw: Gateway, ex: Exchange) -> Any:
    """The active key the request presents (any scope), or the 401 answer."""
    token = bearer_token(ex.scope["headers"])
    key = gw.snapshot.keys.get(hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()) if token else None
    if key is None or not key.active:
        raise GatewayError(401, "invalid, expired or revoked API key; /healthz answers its bare status without one",
                           code="invalid_api_key")
    return key
