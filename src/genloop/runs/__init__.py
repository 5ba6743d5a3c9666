"""Runs and lineage: one execution's params, metrics, series, artifacts, and the versions it read and wrote.

A run is append-only while running and frozen once finished. ``RunService.lineage`` (and
``genloop lineage REF``) walks back from any version to the runs and versions it came from.
"""

from genloop.runs._context import ActiveRun
from genloop.runs._refs import ENTITY_TYPES, TypedRef, parse_typed_ref
from genloop.runs._schemas import (
    FINAL_STATUSES,
    RUN_STATUSES,
    LineageNode,
    MetricPoint,
    Run,
    RunArtifact,
    RunInfo,
    RunSummary,
    SeriesSummary,
)
from genloop.runs._service import RunService

__all__ = [
    "ENTITY_TYPES",
    "FINAL_STATUSES",
    "RUN_STATUSES",
    "ActiveRun",
    "LineageNode",
    "MetricPoint",
    "Run",
    "RunArtifact",
    "RunInfo",
    "RunService",
    "RunSummary",
    "SeriesSummary",
    "TypedRef",
    "parse_typed_ref",
]
