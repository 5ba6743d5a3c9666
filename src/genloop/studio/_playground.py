"""The playground's work: render a prompt version, stream a model's reply, and keep what was tried.

A reply streams as NDJSON lines: ``{"delta": "..."}`` per piece, then one ``{"done": true, ...}`` with the
tokens, latency, cost and the model that answered, or one ``{"error": "...", "hint": "..."}``. Models are
``provider:model`` (any configured provider, ``mock:echo`` included) or a registry ``NAME@ref``, resolved
the way evaluations resolve candidates.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from genloop.datasets import DatasetService
from genloop.errors import GenLoopError, InvalidInput, NotFound
from genloop.models import ModelService
from genloop.prompts import PromptService, PromptVersion, build_spec
from genloop.store import Store

__all__ = ["model_choices", "save_example", "save_version", "stream_reply"]

MAX_VARIABLE_CHARS = 100_000


def check_variables(variables: Any) -> dict[str, str]:
    """Variables from the page: a flat object of strings (the page sends what the inputs hold)."""
    if not isinstance(variables, dict) or not all(isinstance(k, str) for k in variables):
        raise InvalidInput("variables must be an object of name -> text")
    out = {k: v if isinstance(v, str) else json.dumps(v) for k, v in variables.items()}
    if sum(len(v) for v in out.values()) > MAX_VARIABLE_CHARS:
        raise InvalidInput(f"the variables hold over {MAX_VARIABLE_CHARS:,} characters", hint="shorten them")
    return out


def model_choices(store: Store, project: str) -> list[str]:
    """What the model box suggests: ``mock:echo``, each provider's prefix, and the registry's models."""
    from genloop.providers import list_providers

    choices = ["mock:echo"] + [f"{name}:" for name in list_providers() if name not in ("mock", "local")]
    for info in ModelService(store, project).list(limit=100).items:
        choices += [f"{info.name}@{alias}" for alias in info.aliases]
        if info.latest_version is not None:
            choices.append(f"{info.name}@{info.latest_version}")
    return choices


async def stream_reply(store: Store, project: str, ref: str, variables: Any, model: str | None,
                       params: dict[str, Any] | None = None) -> AsyncIterator[bytes]:
    """Render ``ref`` with ``variables`` and stream the reply of ``model`` (default the version's model)."""
    from starlette.concurrency import run_in_threadpool

    try:
        rendered = await run_in_threadpool(PromptService(store, project).render, ref, check_variables(variables))
        target_ref = (model or "").strip() or rendered.model
        if not target_ref:
            raise InvalidInput(f"{rendered.ref} names no model", hint="pick one, e.g. mock:echo or openai:gpt-4o-mini")
        merged = {**rendered.params, **(params or {})}
        target = await run_in_threadpool(_resolve, store, project, target_ref, merged)
        messages = ([m.model_dump() for m in rendered.messages] if rendered.messages
                    else [{"role": "user", "content": rendered.text or ""}])
        yield _line({"rendered": messages, "model": target.label})
        async for piece in _chat(store, target, messages):
            yield _line(piece)
    except GenLoopError as exc:
        yield _line({"error": exc.message, "hint": exc.hint})


def _resolve(store: Store, project: str, ref: str, params: dict[str, Any]) -> Any:
    from genloop.evals._plan import resolve_target

    return resolve_target(ModelService(store, project), ref, params)


async def _chat(store: Store, target: Any, messages: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    from genloop.evals._calls import split_params
    from genloop.providers import ChatRequest, get_provider

    params, extra = split_params(dict(target.params))
    provider = get_provider(target.provider, settings=store.settings, **target.config)
    async with provider:
        request = ChatRequest(model=target.model, messages=messages, extra=extra, **params)
        if not provider.supports("chat_stream"):
            result = await provider.chat(request)
            yield {"delta": result.text}
            yield {"done": True, "input_tokens": result.usage.input_tokens, "output_tokens": result.usage.output_tokens,
                   "latency_s": result.latency_s, "cost": result.cost}
            return
        async for chunk in provider.chat_stream(request):
            if chunk.delta:
                yield {"delta": chunk.delta}
            if chunk.is_final:
                yield {"done": True, "input_tokens": chunk.usage.input_tokens if chunk.usage else 0,
                       "output_tokens": chunk.usage.output_tokens if chunk.usage else 0,
                       "latency_s": chunk.latency_s, "cost": chunk.cost}


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, default=str).encode() + b"\n"


def save_version(store: Store, project: str, actor: str, ref: str, model: str, params: dict[str, Any] | None,
                 message: str) -> tuple[PromptVersion, bool]:
    """A new version of ``ref``'s prompt with the model (and params) tried in the playground."""
    service = PromptService(store, project, actor)
    base = service.get(ref)
    fields: dict[str, Any] = {"model": model.strip() or None, "params": {**base.params, **(params or {})}}
    if base.messages:
        fields["messages"] = [m.model_dump() for m in base.messages]
    else:
        fields["template"] = base.template
    if base.response_schema:
        fields["response_schema"] = base.response_schema
    fields = {k: v for k, v in fields.items() if v not in (None, {})}
    return service.create_or_get(base.name, build_spec(fields),
                                 message=message or f"from the playground: {base.ref} on {model}")


def save_example(store: Store, project: str, actor: str, dataset: str, variables: Any, reference: str,
                 reference_column: str = "reference") -> Any:
    """Append one row (the variables and the reply as ``reference``) as a new version of ``dataset``."""
    row = {**check_variables(variables), reference_column: reference}
    service = DatasetService(store, project, actor)
    try:
        rows = service.read(dataset).to_pylist()
    except NotFound:
        rows = []
    return service.create(dataset, [*rows, row], message=f"playground example ({len(rows) + 1} rows)")
