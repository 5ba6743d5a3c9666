"""``POST /v1/chat/completions``: prompt rendering, guardrails, cache, upstream call and trace, plain or streamed.

Request extensions (all optional; the official client sends them with ``extra_body``):

- ``genloop_variables`` (object): values for the deployment prompt's variables; ``metadata.variables``
  works too. The rendered prompt's messages come first, then the request's own ``messages``.
- ``user`` picks the A/B variant stickily (a hash of deployment and user); ``metadata`` (string values)
  is recorded on the trace; ``metadata.session_id`` or the ``x-genloop-session-id`` header groups a session.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from typing import Any

import orjson

from genloop.errors import GenLoopError
from genloop.gateway._config import Deployment, Variant, render_prompt_messages
from genloop.gateway._errors import GatewayError, from_genloop_error
from genloop.gateway._gateway import Caller, Gateway
from genloop.gateway._request import Exchange
from genloop.gateway._resilience import cache_key
from genloop.gateway._upstream import UpstreamError

__all__ = ["ChatHandler", "request_context", "sticky_fraction"]

_STRIP = frozenset({"genloop_variables", "metadata", "stream", "stream_options"})


def sticky_fraction(deployment: str, user: str | None) -> float:
    """Where a user falls in [0, 1) for variant assignment: a stable hash, random when there is no user."""
    if not user:
        return random.random()
    digest = hashlib.blake2b(f"{deployment}\0{user}".encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def request_context(body: dict[str, Any], ex: Exchange) -> tuple[str | None, str | None, dict[str, Any], Any]:
    """``(user, session_id, metadata, variables)`` from the body and the x-genloop-* headers."""
    user = body.get("user") if isinstance(body.get("user"), str) else ex.header(b"x-genloop-user")
    raw = body.get("metadata")
    metadata: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    variables = body.get("genloop_variables", metadata.pop("variables", None))
    if isinstance(variables, str):
        try:
            variables = orjson.loads(variables)
        except orjson.JSONDecodeError:
            raise GatewayError(400, "metadata.variables must be a JSON object", param="metadata.variables") from None
    if variables is not None and not isinstance(variables, dict):
        raise GatewayError(400, "genloop_variables must be an object of variable values", param="genloop_variables")
    session = metadata.pop("session_id", None) or ex.header(b"x-genloop-session-id")
    return user, str(session) if session is not None else None, metadata, variables


def _check_messages(messages: Any, has_prompt: bool) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or (not messages and not has_prompt):
        raise GatewayError(400, "'messages' is required: a non-empty list of {role, content} objects",
                           param="messages", code="missing_messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise GatewayError(400, f"messages[{i}] must be an object with a 'role'", param=f"messages[{i}]")
    return messages


def _guard_input(guard: Any, messages: list[dict[str, Any]], variables: dict[str, Any] | None
                 ) -> tuple[Any, list[dict[str, Any]], dict[str, Any] | None]:
    """Run the input rules over the request's messages and its prompt variables' text values.

    Variables carry the caller's text into the prompt as surely as messages do, so each string value is
    checked as a user turn; masked or redacted values go into the prompt instead of the originals.
    Returns (the result, the checked messages, the checked variables).
    """
    keys = [k for k, v in (variables or {}).items() if isinstance(v, str) and v]
    checked = guard.check_input([*messages, *({"role": "user", "content": variables[k]} for k in keys)]
                                if keys else messages)
    if checked.messages is None:
        return checked, messages, variables
    n = len(messages)
    if keys:
        variables = {**(variables or {}), **{k: m["content"] for k, m in zip(keys, checked.messages[n:], strict=True)}}
    return checked, checked.messages[:n], variables


def _findings(result: Any, stage: str) -> list[dict[str, Any]]:
    return [{**f.to_dict(), "stage": stage} for f in result.findings]


class ChatHandler:
    """Answers chat completions for one :class:`Gateway`."""

    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        self.capture = gateway.settings.trace_capture_content
        self.body_limit = int(gateway.settings.gateway_max_body_mb * 1024 * 1024)

    async def handle(self, ex: Exchange, caller: Caller, rec: dict[str, Any]) -> None:
        body = await ex.json(self.body_limit)
        if isinstance(body.get("model"), str):  # the trace names the deployment asked for, even when refused
            rec["deployment"] = body["model"][:128]
        dep = self.gw.deployment(caller, body.get("model"))
        user, session, metadata, variables = request_context(body, ex)
        variant = dep.pick(sticky_fraction(dep.name, user))
        has_prompt = any(v.prompt is not None for v in dep.variants)
        messages = _check_messages(body.get("messages"), has_prompt)
        stream = bool(body.get("stream"))
        rec.update(deployment=dep.name, deployment_version=dep.version, variant=variant.name, user=user,
                   session_id=session, metadata=metadata, stream=stream)
        ex.response_headers += [(b"x-genloop-deployment", dep.name.encode()),
                                (b"x-genloop-variant", variant.name.encode())]
        masks = None
        if dep.guard is not None:
            checked, messages, variables = _guard_input(dep.guard, messages, variables)
            rec["guardrails"] = _findings(checked, "input")
            if checked.blocked:
                raise GatewayError(400, checked.block_reason or "blocked by a guardrail", code="content_filter",
                                   trace_status="blocked", details={"check": checked.block.check if checked.block
                                                                    else None, "stage": "input"})
            masks = checked.masks if len(checked.masks) else None
        bodies: dict[int, dict[str, Any]] = {}  # by variant object: names may repeat across lists
        rendered = await _render_off_loop([variant, *dep.fallbacks, *dep.shadows], variables)

        def body_for(v: Variant) -> dict[str, Any]:
            if id(v) in bodies:
                return bodies[id(v)]
            try:
                done = rendered.get(id(v))
                if isinstance(done, GenLoopError):
                    raise done
                final = (done if done is not None else render_prompt_messages(v, variables)) + messages
            except GenLoopError as exc:
                raise from_genloop_error(exc) from None
            out = {k: val for k, val in body.items() if k not in _STRIP}
            for name, value in v.params.items():
                out.setdefault(name, value)
            out["model"] = v.target.model
            out["messages"] = final
            if stream:
                out["stream"] = True
                out["stream_options"] = {"include_usage": True}
            bodies[id(v)] = out
            return out

        first_body = body_for(variant)
        if self.capture:
            rec["input"] = first_body["messages"]
        self._shadow(dep, body_for, rec)
        if stream:
            await self._stream(ex, dep, variant, body, body_for, rec, masks)
        else:
            await self._complete(ex, dep, variant, first_body, body_for, rec, masks)

    async def _complete(self, ex: Exchange, dep: Deployment, variant: Variant, first_body: dict[str, Any],
                        body_for: Any, rec: dict[str, Any], masks: Any) -> None:
        cache = self.gw.cache_for(dep) if dep.info.cache.enabled else None
        key = cache_key(dep.name, dep.version, variant.name, first_body) if cache is not None else None
        data = cache.get(key) if cache is not None and key is not None else None
        if cache is not None:
            self.gw.metrics.cache_lookup(dep.name, data is not None)
        used = variant
        if data is not None:
            rec["cache_hit"] = True
        else:
            data, used = await self.gw.dispatcher.call(dep, variant, body_for, rec, "chat")
        self._describe(rec, used, variant)
        usage = data.get("usage") or {}
        rec["input_tokens"] = usage.get("prompt_tokens")
        rec["output_tokens"] = usage.get("completion_tokens")
        if not rec.get("cache_hit"):
            rec["cost_usd"] = used.cost(rec["input_tokens"] or 0, rec["output_tokens"] or 0)
        traced, answer = self._guard_output(dep, data, masks, rec)
        if cache is not None and key is not None and not rec.get("cache_hit"):
            cache.put(key, data, dep.info.cache)
        if self.capture:
            rec["output"] = traced
        ex.response_headers.append((b"x-genloop-cache", b"hit" if rec.get("cache_hit") else b"miss"))
        rec["http_status"] = 200
        await ex.send_bytes(200, orjson.dumps(answer))

    def _guard_output(self, dep: Deployment, data: dict[str, Any], masks: Any, rec: dict[str, Any]
                      ) -> tuple[Any, dict[str, Any]]:
        """Apply output rules and restore masked values; return (what the trace keeps, what the client gets)."""
        choices = data.get("choices") or []
        traced = [(c.get("message") or {}).get("content") for c in choices]
        if dep.guard is None or not (dep.guard_output or masks is not None):
            return _output(traced, choices), data
        answer = {**data, "choices": []}
        for i, choice in enumerate(choices):
            message = dict(choice.get("message") or {})
            content = message.get("content")
            if isinstance(content, str) and content:
                if dep.guard_output:
                    result = dep.guard.check_output(content)
                    rec.setdefault("guardrails", []).extend(_findings(result, "output"))
                    if result.blocked:
                        raise GatewayError(400, result.block_reason or "blocked by a guardrail", code="content_filter",
                                           trace_status="blocked", details={"stage": "output",
                                                                            "check": result.block.check})
                    content = traced[i] = result.text
                message["content"] = masks.unmask(content) if masks is not None else content
            answer["choices"].append({**choice, "message": message})
        return _output(traced, choices), answer

    def _describe(self, rec: dict[str, Any], used: Variant, assigned: Variant) -> None:
        rec["prompt"] = used.prompt_ref
        rec["model"] = used.target.label
        rec["provider"] = used.target.provider
        rec["upstream_model"] = used.target.model
        if used is not assigned:
            rec.setdefault("metadata", {})["genloop.fallback"] = used.name

    async def _stream(self, ex: Exchange, dep: Deployment, variant: Variant, body: dict[str, Any], body_for: Any,
                      rec: dict[str, Any], masks: Any) -> None:
        from genloop.gateway._streaming import relay_stream

        stream, used = await self.gw.dispatcher.call(dep, variant, body_for, rec, "stream")
        self._describe(rec, used, variant)
        ex.response_headers.append((b"x-genloop-cache", b"miss"))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        await relay_stream(ex, stream, dep, used, rec, masks, include_usage, self.capture)

    def _shadow(self, dep: Deployment, body_for: Any, rec: dict[str, Any]) -> None:
        gw = self.gw
        for shadow in dep.shadows:
            if len(gw.shadow_tasks) >= gw.settings.gateway_shadow_max:
                gw.metrics.add("shed", ("shadow",))
                continue
            task = asyncio.create_task(self._run_shadow(dep, shadow, body_for, rec))
            gw.shadow_tasks.add(task)
            task.add_done_callback(gw.shadow_tasks.discard)

    async def _run_shadow(self, dep: Deployment, shadow: Variant, body_for: Any, served: dict[str, Any]) -> None:
        gw = self.gw
        rec = gw.new_record("chat.completions.shadow", served["project"], None)
        # no api_key: shadow traffic is the operator's experiment, not the caller's spend (shadow_of links them)
        rec.update(deployment=dep.name, deployment_version=dep.version, variant=shadow.name, shadow_of=served["id"],
                   user=served.get("user"), session_id=served.get("session_id"))
        try:
            body = dict(body_for(shadow))
            body.pop("stream", None)
            body.pop("stream_options", None)
            if self.capture:
                rec["input"] = body["messages"]
            client = gw.dispatcher.client(shadow.target)
            data = await client.chat(shadow.target, body, dep.info.timeout_s)
            self._describe(rec, shadow, shadow)
            usage = data.get("usage") or {}
            rec["input_tokens"], rec["output_tokens"] = usage.get("prompt_tokens"), usage.get("completion_tokens")
            rec["cost_usd"] = shadow.cost(rec["input_tokens"] or 0, rec["output_tokens"] or 0)
            if self.capture:
                rec["output"] = _output([(c.get("message") or {}).get("content") for c in data.get("choices") or []],
                                        data.get("choices") or [])
            rec["http_status"] = 200
        except (UpstreamError, GatewayError) as exc:
            self._describe(rec, shadow, shadow)
            rec.update(status="error", error=str(exc), http_status=getattr(exc, "status", 502))
        except Exception as exc:  # noqa: BLE001 - a shadow failure is traced, never surfaced
            rec.update(status="error", error=f"{type(exc).__name__}: {exc}")
        finally:
            gw.finish(rec, None)


async def _render_off_loop(variants: list[Variant], variables: dict[str, Any] | None
                           ) -> dict[int, list[dict[str, Any]] | GenLoopError]:
    """Render the prompts that may run long (loops, filters, calls) in a worker thread, by variant object.

    A light prompt (values substituted only) renders inline later, as before; this one thread hop is paid
    only by deployments whose prompts compute. Rendering has its own hard limits (genloop.prompts._limits).
    """
    heavy = [v for v in variants if not v.light]
    if not heavy:
        return {}

    def render_all() -> dict[int, list[dict[str, Any]] | GenLoopError]:
        out: dict[int, list[dict[str, Any]] | GenLoopError] = {}
        for v in heavy:
            try:
                out[id(v)] = render_prompt_messages(v, variables)
            except GenLoopError as exc:  # raised when (if) this variant is used
                out[id(v)] = exc
        return out

    return await asyncio.to_thread(render_all)


def _output(texts: list[Any], choices: list[dict[str, Any]]) -> Any:
    if len(choices) == 1:
        message = choices[0].get("message") or {}
        out = {"role": "assistant", "content": texts[0]}
        if message.get("tool_calls"):
            out["tool_calls"] = message["tool_calls"]
        return out
    return [{"role": "assistant", "content": t} for t in texts]

