"""EvaluatorService: create, list, show, pause and delete online evaluators; their scores per variant over time."""

from __future__ import annotations

import builtins
import datetime as dt
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Conflict, Hint, InvalidInput, NotFound
from genloop.monitoring._schemas import EvaluatorInfo, EvaluatorSpec, ScorePoint
from genloop.monitoring._tables import EvaluatorRow
from genloop.refs import validate_name
from genloop.store import Store, utcnow
from genloop.store._registry import Project, ensure_project, find_project, record_audit

__all__ = ["EvaluatorService", "parse_spec"]

S = TypeVar("S", bound=BaseModel)

def parse_spec(cls: type[S], data: Any, what: str) -> S:
    """``cls.model_validate(data)`` with a validation error turned into one :class:`InvalidInput` line."""
    if not isinstance(data, cls):
        try:
            data = cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or what
            raise InvalidInput(f"invalid {what}: {where}: {first.get('msg')}",
                               hint=f"see the {what} fields in the README's monitoring section") from None
    try:  # free-form parts (a metric mapping, judge params) must be storable and readable back as JSON
        json.dumps(data.model_dump(mode="json"), allow_nan=False)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"invalid {what}: {exc}", hint="use finite numbers and at most a few levels of "
                           "nesting in metric and params mappings") from None
    return data

class EvaluatorService:
    """Online evaluators of one project (the scoring itself is :class:`genloop.monitoring.MonitoringWorker`)."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    def create(self, spec: EvaluatorSpec | dict[str, Any], *, replace: bool = False) -> EvaluatorInfo:
        """Create an evaluator (``replace``: change the one of that name; its cursor and spend are kept)."""
        return self._create(parse_spec(EvaluatorSpec, spec, "evaluator spec"), replace)

    def _create(self, spec: EvaluatorSpec, replace: bool) -> EvaluatorInfo:
        validate_name(spec.name, "evaluator name")
        if spec.metric is not None:
            from genloop.evals._metrics import resolve_metrics

            resolve_metrics([spec.metric])  # an unknown metric is refused now, not in the worker
        if spec.judge is not None:
            from genloop.monitoring._judge import judge_spec

            judge_spec(spec)  # a scale or rubric the judge would refuse is refused now
        body = spec.model_dump(mode="json", exclude={"name", "deployment"})

        def fn(session: Session) -> EvaluatorInfo:
            project = ensure_project(session, self.project, self.actor)
            row = session.scalar(select(EvaluatorRow).where(EvaluatorRow.project_id == project.id,
                                                            EvaluatorRow.name == spec.name))
            if row is not None and not replace:
                raise Conflict(f"evaluator {spec.name!r} exists in project {self.project!r}",
                               hint=Hint(cli="pass --replace to change it, or choose another name",
                                         sdk="pass replace=True to change it, or choose another name",
                                         rest='send "replace": true to change it, or choose another name'))
            if row is None:
                row = EvaluatorRow(project_id=project.id, name=spec.name, created_by=self.actor, spent_day="",
                                   spent_usd=0.0, scored=0, enabled=True)
                session.add(row)
            row.deployment, row.spec = spec.deployment, body
            session.flush()
            record_audit(session, project, self.actor, "update" if replace else "create", "evaluator", spec.name,
                         after={"deployment": spec.deployment, **body})
            return evaluator_info(row, project.name)

        return self.store.db.write(fn)

    def list(self) -> builtins.list[EvaluatorInfo]:
        """Every evaluator of the project, by name."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return []
            rows = session.scalars(select(EvaluatorRow).where(EvaluatorRow.project_id == project.id)
                                   .order_by(EvaluatorRow.name))
            return [evaluator_info(r, project.name) for r in rows]

    def get(self, name: str) -> EvaluatorInfo:
        """One evaluator with its progress."""
        with self.store.db.read() as session:
            project, row = self._find(session, name)
            return evaluator_info(row, project.name)

    def set_enabled(self, name: str, enabled: bool) -> EvaluatorInfo:
        """Pause (``False``) or resume an evaluator; a resumed one catches up from its cursor."""

        def fn(session: Session) -> EvaluatorInfo:
            project, row = self._find(session, name)
            row.enabled = enabled
            record_audit(session, project, self.actor, "update", "evaluator", name, after={"enabled": enabled})
            return evaluator_info(row, project.name)

        return self.store.db.write(fn)

    def delete(self, name: str) -> None:
        """Delete an evaluator; the scores it recorded stay (they are feedback)."""

        def fn(session: Session) -> None:
            project, row = self._find(session, name)
            session.delete(row)
            record_audit(session, project, self.actor, "delete", "evaluator", name)

        self.store.db.write(fn)

    def scores(self, name: str, *, since: dt.datetime | None = None,
               bucket_s: int = 3600) -> builtins.list[ScorePoint]:
        """Mean score per variant per time bucket (by trace start) of an evaluator, oldest first."""
        from genloop.feedback._tables import FeedbackRow
        from genloop.tracing._tables import TraceRow

        if not 60 <= bucket_s <= 30 * 86400:
            raise InvalidInput(f"bucket_s {bucket_s} is out of range", hint="use 60 to 2592000 seconds")
        since = since or utcnow() - dt.timedelta(days=1)
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        with self.store.db.read() as session:
            project, row = self._find(session, name)
            query = (select(TraceRow.variant, TraceRow.started_at, FeedbackRow.value_number)
                     .join(TraceRow, TraceRow.id == FeedbackRow.trace_id)
                     .where(FeedbackRow.project_id == project.id, FeedbackRow.name == row.name,
                            FeedbackRow.source == "judge", FeedbackRow.value_number.is_not(None),
                            TraceRow.started_at >= since))
            sums: dict[tuple[dt.datetime, str | None], builtins.list[float]] = {}
            for variant, started, value in session.execute(query):
                epoch = int(started.timestamp()) // bucket_s * bucket_s
                key = (dt.datetime.fromtimestamp(epoch, dt.UTC), variant)
                acc = sums.setdefault(key, [0, 0.0])
                acc[0] += 1
                acc[1] += float(value or 0.0)
        return [ScorePoint(bucket=b, variant=v, count=int(n), mean=s / n)
                for (b, v), (n, s) in sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))]

    def _find(self, session: Session, name: str) -> tuple[Project, EvaluatorRow]:
        project = find_project(session, self.project)
        row = None if project is None else session.scalar(
            select(EvaluatorRow).where(EvaluatorRow.project_id == project.id, EvaluatorRow.name == name))
        if project is None or row is None:
            known = [] if project is None else list(session.scalars(
                select(EvaluatorRow.name).where(EvaluatorRow.project_id == project.id).limit(10)))
            raise NotFound(f"project {self.project!r} has no evaluator {name!r}",
                           hint=f"known: {', '.join(known)}" if known else "create one: genloop monitoring "
                                                                           "evaluators create SPEC.yaml")
        return project, row

def evaluator_info(row: EvaluatorRow, project: str) -> EvaluatorInfo:
    today = utcnow().date().isoformat()
    spec = EvaluatorSpec.model_validate({**row.spec, "name": row.name, "deployment": row.deployment})
    return EvaluatorInfo(id=row.id, project=project, name=row.name, spec=spec, enabled=row.enabled,
                         cursor_time=row.cursor_time, cursor_id=row.cursor_id, scored=row.scored,
                         spent_today_usd=row.spent_usd if row.spent_day == today else 0.0,
                         last_error=row.last_error, created_at=row.created_at, created_by=row.created_by)
