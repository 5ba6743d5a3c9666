"""Traces and spans: every request through the gateway (or an instrumented app, over OTLP) becomes a trace.

Writing never blocks the hot path: :class:`TraceWriter` spools each trace to disk; batches are written in the
background, idempotent by trace id, by a thread of the same process or by a writer process
(:class:`SpoolDrainer`), and spools a crashed process left behind are replayed.
"""

from genloop.tracing._drain import SpoolDrainer
from genloop.tracing._otlp import otlp_to_records
from genloop.tracing._schemas import SessionInfo, SessionPage, SpanInfo, TraceInfo, TracePage, TraceView
from genloop.tracing._service import TraceService, new_span_id, new_trace_id
from genloop.tracing._trajectory import ToolCall, Trajectory, TrajectoryDataset
from genloop.tracing._writer import TraceWriter

__all__ = [
    "SessionInfo",
    "SessionPage",
    "SpanInfo",
    "SpoolDrainer",
    "TraceInfo",
    "TracePage",
    "TraceService",
    "TraceView",
    "ToolCall",
    "TraceWriter",
    "Trajectory",
    "TrajectoryDataset",
    "new_span_id",
    "new_trace_id",
    "otlp_to_records",
]
