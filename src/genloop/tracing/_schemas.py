"""Schemas of the tracing package: traces and spans as the service returns them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from genloop.feedback import FeedbackInfo
from genloop.store import Page

__all__ = ["SessionInfo", "SessionPage", "SpanInfo", "TraceInfo", "TracePage", "TraceView"]


class SpanInfo(BaseModel):
    """One step of a trace: a guardrail pass, an upstream attempt, or a span received over OTLP."""

    span_id: str
    parent_span_id: str | None = None
    name: str
    kind: str = "internal"
    status: str = "ok"
    started_at: dt.datetime
    duration_ms: float | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class TraceInfo(BaseModel):
    """One request: who called which deployment and variant, what went in and out, how long, how much."""

    id: str = Field(description="32-hex trace id (the x-genloop-trace-id response header)")
    project: str
    source: str = Field(default="gateway", description="gateway, otlp or sdk")
    name: str = ""
    deployment: str | None = None
    deployment_version: int | None = None
    variant: str | None = None
    shadow_of: str | None = Field(default=None, description="For a shadow variant's call: the served trace's id")
    prompt: str | None = Field(default=None, description="Prompt version served, NAME@VERSION")
    model: str | None = Field(default=None, description="Model served: NAME@VERSION or provider:model")
    provider: str | None = None
    upstream_model: str | None = None
    input: Any = None
    output: Any = None
    status: str = Field(default="ok", description="ok, error, blocked or cancelled")
    http_status: int | None = None
    error: str | None = None
    error_type: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = Field(default=None, description="Time to first token of a streamed answer")
    cache_hit: bool = False
    stream: bool = False
    guardrails: list[dict[str, Any]] | None = Field(default=None, description="Guardrail findings and actions")
    user: str | None = None
    session_id: str | None = None
    api_key: str | None = Field(default=None, description="Visible prefix of the API key that called")
    metadata: dict[str, Any] = Field(default_factory=dict)
    started_at: dt.datetime
    spans: list[SpanInfo] | None = Field(default=None, description="Only when one trace is shown")
    feedback: list[FeedbackInfo] | None = Field(default=None, description="Only when one trace is shown")

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens or 0) + (self.output_tokens or 0)


class TracePage(Page[TraceInfo]):
    """A page of traces, newest first. Pass ``next_cursor`` back as ``cursor`` for the next page (keyset:
    deep pages cost what the first costs). ``total`` is exact up to 1,000 matches; beyond that it is a
    lower bound and ``total_exact`` is False."""

    next_cursor: str | None = Field(default=None, description="Opaque token of the next page; None on the last")
    total_exact: bool = Field(default=True, description="False when total is a lower bound (many matches)")


class SessionInfo(BaseModel):
    """Traces grouped by their session id: how many, when, what they cost."""

    session_id: str
    traces: int
    first_at: dt.datetime
    last_at: dt.datetime
    users: list[str] = Field(default_factory=list)
    errors: int = 0
    tokens: int = 0
    cost_usd: float = 0.0


class SessionPage(BaseModel):
    """Sessions, the most recently active first; pass ``next_cursor`` back as ``cursor``."""

    items: list[SessionInfo]
    next_cursor: str | None = None


class TraceView(BaseModel):
    """One trace for display: without its spans (page them with ``spans``); input and output are left
    out (``oversized``) when together they exceed the size cap: fetch the trace's JSON instead."""

    trace: TraceInfo
    size_bytes: int = Field(description="Size of the stored input and output")
    oversized: bool = False
    span_count: int = 0
