"""FeedbackService: record and list feedback on traces (append-only), and export it to dataset versions."""

from __future__ import annotations

import builtins
import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, null, select
from sqlalchemy.orm import Session

from genloop.errors import Hint, InvalidInput, NotFound
from genloop.feedback._schemas import FeedbackInfo, FeedbackKind
from genloop.feedback._tables import FeedbackRow
from genloop.refs import validate_name
from genloop.store import Page, Store
from genloop.store._registry import Project, ensure_project, find_project

if TYPE_CHECKING:
    from genloop.feedback._export_schemas import ExportKind, FeedbackExport
    from genloop.guardrails import Policy

__all__ = ["FeedbackService"]

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


class FeedbackService:
    """Feedback of one project: scores, labels, comments and corrected answers on traces."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    def create(
        self,
        trace_id: str,
        *,
        name: str = "score",
        value: float | bool | str | None = None,
        comment: str | None = None,
        correction: Any = None,
        source: str = "api",
        metadata: dict[str, Any] | None = None,
    ) -> FeedbackInfo:
        """Record feedback on ``trace_id``. Give a value, a comment, a correction, or several.

        ``trace_id`` is the 32-hex trace id (x-genloop-trace-id) or a unique prefix of it. The trace must
        exist in this project: one just answered may still be on its way to the store (traces are written
        in batches), so an unknown id is looked for again for a few flush intervals before it is refused
        (:class:`NotFound`, as for a trace of another project).
        """
        trace_id = self._trace(trace_id.strip().lower())
        validate_name(name, "feedback name")
        if source not in ("human", "api", "rule", "judge"):
            raise InvalidInput(f"invalid source {source!r}", hint="use human, api, rule or judge")
        kind = _kind(value, comment, correction)
        row_values: dict[str, Any] = {"value_number": None, "value_bool": None, "value_label": None}
        if isinstance(value, bool):
            row_values["value_bool"] = value
        elif isinstance(value, (int, float)):
            row_values["value_number"] = float(value)
        elif isinstance(value, str):
            row_values["value_label"] = value[:256]

        from genloop.tracing._tables import TraceRow  # tracing shows feedback: import it when used

        def fn(session: Session) -> FeedbackInfo:
            project = ensure_project(session, self.project, self.actor)
            owner = session.scalar(select(TraceRow.project_id).where(TraceRow.id == trace_id))
            if owner != project.id:
                raise NotFound(f"project {self.project!r} has no trace {trace_id!r}",
                               hint="give feedback with a key of the trace's own project")
            row = FeedbackRow(project_id=project.id, trace_id=trace_id, name=name, kind=kind, comment=comment,
                              correction=correction if correction is not None else null(), source=source,
                              metadata_=metadata or {}, created_by=self.actor, **row_values)
            session.add(row)
            session.flush()
            return _info(row, project.name)

        return self.store.db.write(fn)

    def _trace(self, trace_id: str) -> str:
        """The whole id of a trace of this project (a prefix expanded), waiting briefly for one in flight."""
        import time

        from genloop.store._ids import expand_id
        from genloop.tracing._tables import TraceRow

        if not (_TRACE_ID.fullmatch(trace_id) or re.fullmatch(r"[0-9a-f]{4,31}", trace_id)):
            raise InvalidInput(f"invalid trace id {trace_id!r}",
                               hint="use the 32-hex id from the x-genloop-trace-id response header (or a prefix)")
        deadline = time.monotonic() + max(1.0, 4 * self.store.settings.trace_flush_interval)
        while True:
            with self.store.db.read() as session:
                project = find_project(session, self.project)
                scope = [TraceRow.project_id == project.id] if project is not None else [TraceRow.id.is_(None)]
                full = expand_id(session, TraceRow.id, trace_id, "trace", *scope)
                if session.scalar(select(TraceRow.id).where(TraceRow.id == full, *scope)) is not None:
                    return full
            if len(trace_id) < 32 or time.monotonic() >= deadline:
                raise NotFound(f"project {self.project!r} has no trace {trace_id!r}",
                               hint="use the x-genloop-trace-id of a response; list traces with: genloop traces list")
            time.sleep(0.1)

    def list(
        self,
        *,
        trace_id: str | None = None,
        name: str | None = None,
        kind: str | None = None,
        has_correction: bool | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[FeedbackInfo]:
        """Feedback, newest first, filtered by trace, name, kind, presence of a correction and time."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return Page.build([], 0, offset, limit)
            query = select(FeedbackRow).where(FeedbackRow.project_id == project.id)
            if trace_id:
                query = query.where(FeedbackRow.trace_id == trace_id.lower())
            if name:
                query = query.where(FeedbackRow.name == name)
            if kind:
                query = query.where(FeedbackRow.kind == kind)
            if has_correction is not None:
                column = FeedbackRow.correction
                query = query.where(column.is_not(None) if has_correction else column.is_(None))
            if since:
                query = query.where(FeedbackRow.created_at >= _aware(since))
            if until:
                query = query.where(FeedbackRow.created_at < _aware(until))
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.order_by(FeedbackRow.id.desc()).offset(offset).limit(limit))
            return Page.build([_info(r, project.name) for r in rows], int(total), offset, limit)

    def export(
        self,
        *,
        kind: ExportKind,
        name: str,
        deployment: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        feedback_name: str | None = None,
        like_threshold: float | None = None,
        dislike_threshold: float | None = None,
        redact_pii: bool = False,
        policy: Policy | Mapping[str, Any] | str | Path | None = None,
        message: str = "",
    ) -> FeedbackExport:
        """Export feedback to a new version of dataset ``name``, made by a ``data`` run whose inputs are the traces.

        ``sft`` (a ``chat`` dataset): each correction gives the trace's input messages plus the corrected
        answer. ``preference``: a correction is chosen over the trace's answer; and traces with the same
        prompt, some liked and some disliked (true/false, or a numeric score >= ``like_threshold`` /
        <= ``dislike_threshold``), pair each liked answer with each disliked one. Feedback is filtered by the
        trace's ``deployment``, its creation time (``since`` inclusive, ``until`` exclusive) and its name.
        ``redact_pii`` redacts PII with the guardrail checks (``policy``: use its redact/mask rules instead;
        giving one implies redaction). Identical rows are kept once. Exporting the same rows again returns
        the existing version (``created`` False). Raises :class:`InvalidInput` when nothing would be exported.
        """
        from genloop.feedback._export import ExportSpec, export_feedback

        spec = ExportSpec(kind=kind, name=name, deployment=deployment, since=since, until=until,
                          feedback_name=feedback_name, like_threshold=like_threshold,
                          dislike_threshold=dislike_threshold, message=message)
        return export_feedback(self.store, self.project, self.actor, spec, redact_pii=redact_pii, policy=policy)

    @staticmethod
    def for_traces(session: Session, trace_ids: builtins.list[str],
                   project_id: int | None = None) -> dict[str, builtins.list[FeedbackInfo]]:
        """Feedback grouped by trace id, oldest first (for showing traces with their feedback).

        Give ``project_id`` (the traces' project): feedback another project wrote under the same id never shows.
        """
        out: dict[str, builtins.list[FeedbackInfo]] = {}
        if not trace_ids:
            return out
        query = (select(FeedbackRow, Project.name).join(Project, Project.id == FeedbackRow.project_id)
                 .where(FeedbackRow.trace_id.in_(trace_ids)))
        if project_id is not None:
            query = query.where(FeedbackRow.project_id == project_id)
        rows = session.execute(query.order_by(FeedbackRow.id)).all()
        for row, project in rows:
            out.setdefault(row.trace_id, []).append(_info(row, project))
        return out


def _kind(value: Any, comment: str | None, correction: Any) -> FeedbackKind:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        if value != value:  # NaN
            raise InvalidInput("a numeric feedback value must be a number, not NaN")
        return "numeric"
    if isinstance(value, str):
        if not value.strip():
            raise InvalidInput("a categorical feedback value must not be empty")
        return "categorical"
    if value is not None:
        raise InvalidInput(f"feedback value must be a number, true/false or a category, not {type(value).__name__}")
    if correction is not None:
        return "correction"
    if comment:
        return "comment"
    raise InvalidInput("feedback needs a value, a comment or a correction",
                       hint=Hint(cli="e.g. --score 0.8, --good (or --bad), --label good, --comment ..., --correction ...",
                                 sdk="pass value= (0.8, True or 'good'), comment= or correction=",
                                 rest='send "value" (a number such as 0.8, true or false, or a label), "comment" or "correction"'))


def _info(row: FeedbackRow, project: str) -> FeedbackInfo:
    value: float | bool | str | None = row.value_number
    if row.value_bool is not None:
        value = row.value_bool
    elif row.value_label is not None:
        value = row.value_label
    return FeedbackInfo(id=row.id, project=project, trace_id=row.trace_id, name=row.name, kind=row.kind,  # type: ignore[arg-type]
                        value=value, comment=row.comment, correction=row.correction, source=row.source,
                        metadata=row.metadata_ or {}, created_at=row.created_at, created_by=row.created_by)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
