"""Relaying a streamed answer as Server-Sent Events: output guardrails over a sliding window, masked values
restored, usage kept for the trace (and passed on only when the client asked), and a client that goes away
mid-stream cancels the upstream call."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from genloop.gateway._config import Deployment, Variant
from genloop.gateway._errors import GatewayError
from genloop.gateway._request import Exchange
from genloop.gateway._upstream import UpstreamError, UpstreamStream

__all__ = ["relay_stream"]

_DONE = b"data: [DONE]\n\n"


async def _watch_disconnect(ex: Exchange, task: asyncio.Task[Any], state: dict[str, bool]) -> None:
    """Cancel ``task`` when the client disconnects before the answer is complete."""
    while True:
        message = await ex.receive()
        if message["type"] == "http.disconnect":
            if not state["done"]:
                state["disconnected"] = True
                task.cancel()
            return


async def relay_stream(ex: Exchange, stream: UpstreamStream, dep: Deployment, used: Variant, rec: dict[str, Any],
                       masks: Any, include_usage: bool, capture: bool) -> None:
    """Send the upstream's chunks to the client; record tokens, TTFT, output and how the stream ended."""
    task = asyncio.current_task()
    assert task is not None
    state = {"done": False, "disconnected": False}
    watcher = asyncio.create_task(_watch_disconnect(ex, task, state))
    guarding = dep.guard is not None and (dep.guard_output or masks is not None)
    guards: dict[int, Any] = {}
    texts: dict[int, list[str]] = {}
    usage: dict[str, Any] | None = None
    clock = time.perf_counter()
    started = rec.get("_clock", clock)
    def close_record() -> None:
        _record_stream_findings(rec, guards)
        _record_usage(rec, usage, texts, used)
        if capture:
            rec["output"] = _traced_output(dep, texts)

    try:
        await ex.start_stream()
        async for chunk in stream:
            if chunk.get("usage"):
                usage = chunk["usage"]
                if not include_usage:
                    if not chunk.get("choices"):
                        continue
                    chunk = {k: v for k, v in chunk.items() if k != "usage"}
            for choice in chunk.get("choices") or ():
                index = choice.get("index", 0)
                delta = choice.get("delta") or {}
                content = delta.get("content")
                if content:
                    if "ttft_ms" not in rec:
                        rec["ttft_ms"] = round((time.perf_counter() - started) * 1000, 3)
                    texts.setdefault(index, []).append(content)
                if not guarding:
                    continue
                guard = guards.get(index)
                if guard is None:
                    guard = guards[index] = dep.guard.stream(masks=masks)
                safe = guard.feed(content) if content else ""
                if choice.get("finish_reason") and not guard.blocked:
                    safe += guard.finish()
                if guard.blocked:
                    raise GatewayError(400, guard.block_reason or "blocked by a guardrail", code="content_filter",
                                       trace_status="blocked", details={"stage": "output"})
                if content or safe:
                    choice["delta"] = {**delta, "content": safe}
            await ex.send_frame(b"data: " + orjson.dumps(chunk) + b"\n\n")
        state["done"] = True
        rec["http_status"] = 200
        close_record()
        ex.complete()  # spooled before the client sees [DONE]
        await ex.send_frame(_DONE)
        await ex.end_stream()
    except GatewayError as exc:  # a guardrail block, after the headers went out: an error event ends the stream
        state["done"] = True
        rec.update(status=exc.trace_status, error=exc.message, error_type=exc.code or exc.type, http_status=200)
        close_record()
        await _send_quietly(ex, b"data: " + exc.body() + b"\n\n")
    except UpstreamError as exc:
        state["done"] = True
        rec.update(status="error", error=exc.message, error_type=f"upstream_{exc.kind}", http_status=200)
        close_record()
        await _send_quietly(ex, b"data: " + GatewayError(502, exc.message, code="upstream_error").body() + b"\n\n")
    except (asyncio.CancelledError, OSError) as exc:
        if not state["disconnected"] and not isinstance(exc, OSError):
            close_record()
            raise
        if isinstance(exc, asyncio.CancelledError):
            task.uncancel()
        rec.update(status="cancelled", error="the client disconnected mid-stream; the upstream call was cancelled",
                   error_type="client_disconnected", http_status=499)
        close_record()
    finally:
        watcher.cancel()
        await stream.aclose()


def _record_stream_findings(rec: dict[str, Any], guards: dict[int, Any]) -> None:
    if guards:
        found = [{**f.to_dict(), "stage": "output"} for g in guards.values() for f in g.findings]
        existing = [f for f in rec.get("guardrails") or [] if f.get("stage") != "output"]
        rec["guardrails"] = existing + found


def _record_usage(rec: dict[str, Any], usage: dict[str, Any] | None, texts: dict[int, list[str]],
                  used: Variant) -> None:
    if usage is not None:
        rec["input_tokens"] = usage.get("prompt_tokens")
        rec["output_tokens"] = usage.get("completion_tokens")
    elif texts:  # no usage from upstream (a cut stream): count words as a floor, marked as estimated
        rec["output_tokens"] = sum(len("".join(t).split()) for t in texts.values())
        rec.setdefault("metadata", {})["genloop.tokens_estimated"] = True
    rec["cost_usd"] = used.cost(rec.get("input_tokens") or 0, rec.get("output_tokens") or 0)


def _traced_output(dep: Deployment, texts: dict[int, list[str]]) -> Any:
    joined = {i: "".join(parts) for i, parts in sorted(texts.items())}
    if dep.guard is not None and dep.guard_output:  # keep what the trace stores redacted, like the answer
        joined = {i: dep.guard.check_output(t).text for i, t in joined.items()}
    if len(joined) <= 1:
        return {"role": "assistant", "content": joined.get(0, next(iter(joined.values()), ""))}
    return [{"role": "assistant", "content": t} for t in joined.values()]


async def _send_quietly(ex: Exchange, frame: bytes) -> None:
    ex.complete()
    try:
        await ex.send_frame(frame)
        await ex.end_stream()
    except OSError:
        pass
