"""The smaller endpoints: embeddings, the model list, OTLP trace ingestion, metrics and health."""

from __future__ import annotations

from typing import Any

import orjson

from genloop.errors import GenLoopError
from genloop.gateway._chat import request_context, sticky_fraction
from genloop.gateway._config import Variant
from genloop.gateway._errors import GatewayError
from genloop.gateway._gateway import Caller, Gateway
from genloop.gateway._metrics import CONTENT_TYPE_LATEST
from genloop.gateway._request import Exchange

__all__ = ["embeddings", "health", "list_models", "metrics", "otlp_traces"]


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
    for rec in records:
        gw.writer.submit(rec)
    if "protobuf" in content_type:
        await ex.send_bytes(200, b"", content_type=b"application/x-protobuf")
    else:
        await ex.send_json(200, {})


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
    """``GET /metrics`` in the Prometheus text format."""
    await ex.send_bytes(200, gw.metrics.render(), content_type=CONTENT_TYPE_LATEST.encode())


async def health(gw: Gateway, ex: Exchange) -> None:
    """``GET /healthz``: liveness, what is served, broken deployments, open breakers, trace backlog."""
    snapshot = gw.snapshot
    await ex.send_json(200, {
        "status": "ok" if gw.started else "starting", "deployments": len(snapshot.deployments),
        "broken": {f"{p}/{n}": why for (p, n), why in snapshot.errors.items()}, "in_flight": gw.in_flight,
        "traces_pending": gw.writer.pending, "circuits": gw.dispatcher.breakers.snapshot(),
    })
