"""Reading runs: rows of the runs tables turned into the schemas the SDK and REST API return."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.errors import Hint, NotFound
from genloop.runs._schemas import MetricPoint, Run, RunArtifact, RunInfo, SeriesSummary
from genloop.runs._tables import RunArtifactRow, RunMetricPoint, RunRefRow, RunRow
from genloop.store._registry import find_project

__all__ = ["find_run", "load_series", "run_info", "run_schema"]


def find_run(session: Session, project: str, run_id: str, *, for_update: bool = False) -> RunRow:
    """The run ``run_id`` (or a unique prefix of it) of ``project`` (locked for update when asked), or
    :class:`NotFound`."""
    if isinstance(run_id, str) and run_id:
        from genloop.store._ids import expand_id

        scope = find_project(session, project)
        if scope is not None:
            run_id = expand_id(session, RunRow.id, run_id, "run", RunRow.project_id == scope.id)
    query = select(RunRow).where(RunRow.id == run_id)
    if for_update:
        query = query.with_for_update()
    row = session.scalar(query) if isinstance(run_id, str) and run_id else None
    project_row = find_project(session, project) if row is not None else None
    if row is None or project_row is None or row.project_id != project_row.id:
        raise NotFound(f"run {run_id!r} does not exist in project {project!r}",
                       hint=Hint(cli=f"list runs with: genloop runs list --project {project}",
                                 sdk="list runs with: client.runs.list()",
                                 rest=f"list runs with: GET /api/v1/projects/{project}/runs"))
    return row


def run_info(row: RunRow) -> RunInfo:
    return RunInfo(id=row.id, kind=row.kind, name=row.name, status=row.status, started_at=row.started_at,
                   ended_at=row.ended_at, metrics=row.metrics or {}, created_by=row.created_by)


def run_schema(session: Session, row: RunRow) -> Run:
    """Everything about one run: logs, artifacts, series summaries and lineage edges."""
    refs = session.scalars(select(RunRefRow).where(RunRefRow.run_id == row.id).order_by(RunRefRow.id))
    inputs, outputs = [], []
    for ref in refs:
        text = f"{ref.entity_type}:{ref.entity_name}" + (f"@{ref.version}" if ref.version is not None else "")
        (inputs if ref.direction == "input" else outputs).append(text)
    artifacts = session.scalars(
        select(RunArtifactRow).where(RunArtifactRow.run_id == row.id).order_by(RunArtifactRow.name)
    )
    return Run(
        **run_info(row).model_dump(),
        params=row.params or {}, summary=row.summary or {}, error=row.error, inputs=inputs, outputs=outputs,
        artifacts=[RunArtifact.model_validate(a) for a in artifacts], series=_series_summaries(session, row.id),
    )


def _series_summaries(session: Session, run_id: str) -> list[SeriesSummary]:
    P = RunMetricPoint
    stats = session.execute(
        select(P.key, func.count(), func.min(P.value), func.max(P.value), func.max(P.step))
        .where(P.run_id == run_id).group_by(P.key).order_by(P.key)
    ).all()
    out = []
    for key, count, low, high, last_step in stats:
        last = session.scalar(
            select(P.value).where(P.run_id == run_id, P.key == key, P.step == last_step).order_by(P.id.desc()).limit(1)
        )
        out.append(SeriesSummary(key=key, count=count, last_step=last_step, last=last, min=low, max=high))
    return out


def load_series(session: Session, run_id: str, key: str) -> list[MetricPoint]:
    """The points of one series in step order, or :class:`NotFound` naming the keys that exist."""
    P = RunMetricPoint
    rows = session.execute(
        select(P.step, P.value).where(P.run_id == run_id, P.key == key).order_by(P.step, P.id)
    ).all()
    if not rows:
        keys = list(session.scalars(select(P.key).where(P.run_id == run_id).distinct().order_by(P.key)))
        hint = f"series of this run: {', '.join(keys)}" if keys else "this run logged no series"
        raise NotFound(f"run {run_id} has no metric series {key!r}", hint=hint)
    return [MetricPoint(step=step, value=value) for step, value in rows]
