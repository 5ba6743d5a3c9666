"""TriggerService: triggers that start pipelines, each firing recorded with its evidence, exactly once.

A firing is two transactions: the first advances the trigger's cursor past the evidence and stores the
firing as ``pending`` (compare and set on ``seq``, so two checkers never both fire on the same evidence); then
the pipeline run is created with the idempotency key ``trigger-ID-SEQ`` and the pending firing cleared. A
process that dies in between leaves the firing pending, and the next check creates (or finds) that same run.
The run's ``trigger`` holds the kind, the reason and the evidence, so a team can read why it ran.
"""

from __future__ import annotations

import builtins
import datetime as dt
import threading
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from genloop.errors import GenLoopError, Hint, InvalidInput, NotFound, Unavailable
from genloop.pipelines import _trigger_kinds as kinds
from genloop.pipelines._cron import CronSchedule
from genloop.pipelines._trigger_schemas import Firing, TriggerInfo, TriggerSpec
from genloop.pipelines._trigger_tables import TriggerRow
from genloop.refs import validate_name
from genloop.store import Store, utcnow
from genloop.store._registry import ensure_project, find_project, record_audit

__all__ = ["TriggerService"]

EXECUTE_MODES = ("thread", "inline", "none")
#: A firing left pending this long is taken to be a crashed checker's, and finished by the next check (its
#: run found by key, or created). Sooner, the checker that fired is still finishing it (it takes milliseconds).
PENDING_GRACE = dt.timedelta(seconds=60)


def _spec(value: TriggerSpec | dict[str, Any]) -> TriggerSpec:
    if isinstance(value, TriggerSpec):
        return value
    try:
        return TriggerSpec.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "trigger"
        raise InvalidInput(f"invalid trigger: {where}: {first['msg']}",
                           hint=Hint(cli="see `genloop triggers create --help` or the README's triggers section",
                                sdk="see help(genloop.pipelines.TriggerSpec) or the README's triggers section",
                                rest="see the TriggerSpec schema in /api/v1/openapi.json")) from None


class TriggerService:
    """Create, read and fire the triggers of one project; :meth:`check` fires every trigger that is due."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None, *,
                 execute: str = "thread") -> None:
        if execute not in EXECUTE_MODES:
            raise InvalidInput(f"unknown execute mode {execute!r}", hint=f"use one of {', '.join(EXECUTE_MODES)}")
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor
        self.execute = execute  # run a started pipeline on a thread, here and now, or not at all

    # -- definitions ---------------------------------------------------------------------------------

    def create(self, spec: TriggerSpec | dict[str, Any], *, replace: bool = False) -> TriggerInfo:
        """A new trigger (``replace``: change the one of that name); only evidence arriving after it counts."""
        parsed = _spec(spec)
        validate_name(parsed.name, "trigger name")
        from genloop.pipelines._service import PipelineService

        PipelineService(self.store, self.project, self.actor).get(parsed.pipeline)  # NotFound names the fix
        now = utcnow()
        cursor = kinds.start(self.store, self.project, parsed, now)
        content = parsed.model_dump(mode="json")

        def fn(session: Session) -> TriggerInfo:
            project = ensure_project(session, self.project, self.actor)
            row = session.scalar(select(TriggerRow).where(TriggerRow.project_id == project.id,
                                                          TriggerRow.name == parsed.name))
            before = None
            if row is not None:
                if not replace:
                    from genloop.errors import Conflict

                    raise Conflict(f"trigger {parsed.name!r} exists", hint=Hint(cli="pass --replace to change it", sdk="pass replace=True to change it",
                                                            rest='send "replace": true to change it'))
                before = row.spec
                same_evidence = row.kind == parsed.kind and {k: v for k, v in row.spec.items() if k != "params"} == {
                    k: v for k, v in content.items() if k != "params"}
                row.pipeline, row.kind, row.spec = parsed.pipeline, parsed.kind, content
                if not same_evidence:
                    row.cursor = cursor
            else:
                row = TriggerRow(project_id=project.id, name=parsed.name, pipeline=parsed.pipeline, kind=parsed.kind,
                                 spec=content, enabled=True, cursor=cursor, seq=0, pending={}, created_by=self.actor)
                session.add(row)
            record_audit(session, project, self.actor, "replace" if before else "create", "trigger", parsed.name,
                         before=before, after=content)
            session.flush()
            return _info(row, self.project)

        return self.store.db.write(fn)

    def get(self, name: str) -> TriggerInfo:
        with self.store.db.read() as session:
            return _info(self._row(session, name), self.project)

    def list(self, *, pipeline: str | None = None) -> builtins.list[TriggerInfo]:
        """Every trigger of the project (``pipeline``: only those starting that pipeline), by name."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return []
            rows = session.scalars(select(TriggerRow).where(TriggerRow.project_id == project.id)
                                   .order_by(TriggerRow.name))
            return [_info(r, self.project) for r in rows
                    if pipeline is None or r.pipeline.partition("@")[0] == pipeline.partition("@")[0]]

    def set_enabled(self, name: str, enabled: bool) -> TriggerInfo:
        """Pause or resume a trigger (evidence arriving while paused fires it when resumed)."""
        def fn(session: Session) -> TriggerInfo:
            row = self._row(session, name)
            if row.enabled != enabled:
                row.enabled = enabled
                project = find_project(session, self.project)
                assert project is not None
                record_audit(session, project, self.actor, "enable" if enabled else "disable", "trigger", name)
            return _info(row, self.project)

        return self.store.db.write(fn)

    def delete(self, name: str) -> None:
        def fn(session: Session) -> None:
            row = self._row(session, name)
            project = find_project(session, self.project)
            assert project is not None
            record_audit(session, project, self.actor, "delete", "trigger", name, before=row.spec)
            session.delete(row)

        self.store.db.write(fn)

    # -- firing --------------------------------------------------------------------------------------

    def fire(self, name: str, *, reason: str = "manual", params: dict[str, Any] | None = None,
             wait: bool = True) -> Firing:
        """Fire ``name`` now, by hand or from CI (any kind; its cursor is left as it is); ``wait``: run the
        pipeline to its end before answering (else as the service's ``execute`` says)."""
        info = self.get(name)
        evidence = {"reason": reason or "manual", "by": self.actor, "manual": True}
        execute = self.execute
        self.execute = "inline" if wait else execute
        try:
            return self._fire(info, evidence, None, params=params)
        finally:
            self.execute = execute

    def check(self, now: dt.datetime | None = None) -> builtins.list[Firing]:
        """Fire every enabled trigger of the project that has new evidence (and finish any pending firing)."""
        now = now or utcnow()
        out: builtins.list[Firing] = []
        for info in self.list():
            if not info.enabled:
                continue
            if info.pending:
                if info.last_fired_at is None or utcnow() - info.last_fired_at >= PENDING_GRACE:
                    out.append(self._finish_pending(info.spec.name))
                continue
            try:
                found = kinds.check(self.store, self.project, info.spec, info.cursor, now)
            except GenLoopError as exc:
                self._note_error(info.id, info.firings, str(exc))
                continue
            if found is not None and found[0] is None:
                self._advance(info.id, info.firings, found[1])
            elif found is not None and found[0] is not None:
                out.append(self._fire(info, found[0], found[1]))
        return out

    def _fire(self, info: TriggerInfo, evidence: dict[str, Any], cursor: dict[str, Any] | None, *,
              params: dict[str, Any] | None = None) -> Firing:
        seq = info.firings + 1
        trigger = {"trigger": info.spec.name, "kind": info.spec.kind, "fired_at": utcnow().isoformat(),
                   "firing": seq, **evidence}
        pending = {"key": f"trigger-{info.id}-{seq}", "trigger": trigger, "params": {**info.spec.params,
                                                                                   **(params or {})}}

        def fn(session: Session) -> bool:
            values: dict[str, Any] = {"seq": seq, "pending": pending, "last_fired_at": utcnow()}
            if cursor is not None:
                values["cursor"] = cursor
            result = session.execute(update(TriggerRow).where(TriggerRow.id == info.id, TriggerRow.seq == info.firings)
                                     .values(**values))
            return bool(result.rowcount)  # type: ignore[attr-defined]

        if not self.store.db.write(fn):  # another checker fired on this evidence first
            return Firing(trigger=trigger, error="already fired by another scheduler")
        return self._finish_pending(info.spec.name)

    def _finish_pending(self, name: str) -> Firing:
        from genloop.pipelines._service import PipelineService

        with self.store.db.read() as session:
            row = self._row(session, name)
            row_id, seq, pending, pipeline = row.id, row.seq, row.pending, row.pipeline
        if not pending:
            return Firing(trigger={"trigger": name}, error="nothing pending")
        from genloop.pipelines._orphans import executor_of_this_process

        service = PipelineService(self.store, self.project, f"trigger:{name}")
        here = executor_of_this_process() if self.execute in ("inline", "thread") else None
        try:
            run = service.create_run(pipeline, trigger=pending["trigger"], params=pending["params"] or None,
                                     key=pending["key"], executor=here)
        except Unavailable:
            raise  # the database is down: the firing stays pending and the next check retries
        except GenLoopError as exc:  # the pipeline is gone or refuses: the firing is kept, with its error
            self._settle(row_id, seq, None, f"{type(exc).__name__}: {exc}")
            return Firing(trigger=pending["trigger"], error=str(exc))
        self._settle(row_id, seq, run.id, None)
        status = run.status
        if self.execute == "inline":
            status = service.execute(run.id).status
        elif self.execute == "thread":
            threading.Thread(target=_execute_quietly, args=(service, run.id), name=f"trigger-{run.id[:8]}",
                             daemon=True).start()
        return Firing(trigger=pending["trigger"], run_id=run.id, status=status)

    def _settle(self, row_id: int, seq: int, run_id: str | None, error: str | None) -> None:
        def fn(session: Session) -> None:
            values: dict[str, Any] = {"pending": {}, "last_error": error}
            if run_id is not None:
                values["last_run_id"] = run_id
            session.execute(update(TriggerRow).where(TriggerRow.id == row_id, TriggerRow.seq == seq).values(**values))

        self.store.db.write(fn)

    def _advance(self, row_id: int, seq: int, cursor: dict[str, Any]) -> None:
        def fn(session: Session) -> None:
            session.execute(update(TriggerRow).where(TriggerRow.id == row_id, TriggerRow.seq == seq)
                            .values(cursor=cursor))

        self.store.db.write(fn)

    def _note_error(self, row_id: int, seq: int, error: str) -> None:
        def fn(session: Session) -> None:
            session.execute(update(TriggerRow).where(TriggerRow.id == row_id, TriggerRow.seq == seq)
                            .values(last_error=error[:2000]))

        self.store.db.write(fn)

    def _row(self, session: Session, name: str) -> TriggerRow:
        project = find_project(session, self.project)
        row = None if project is None else session.scalar(
            select(TriggerRow).where(TriggerRow.project_id == project.id, TriggerRow.name == name))
        if row is None:
            raise NotFound(f"no trigger {name!r} in project {self.project!r}", hint="see `genloop triggers list`")
        return row


def _execute_quietly(service: Any, run_id: str) -> None:
    try:
        service.execute(run_id)
    except Exception:  # the run records its own failure; a thread has no one to tell
        import logging

        logging.getLogger("genloop.pipelines").exception("pipeline run %s failed", run_id)


def _info(row: TriggerRow, project: str) -> TriggerInfo:
    spec = TriggerSpec.model_validate(row.spec)
    next_at = None
    if spec.kind == "cron" and row.enabled:
        after = (row.cursor or {}).get("after")
        base = dt.datetime.fromisoformat(after) if after else utcnow()
        next_at = CronSchedule.parse(spec.cron or "").next_after(base)
    return TriggerInfo(id=row.id, project=project, spec=spec, enabled=row.enabled, firings=row.seq,
                       cursor=row.cursor or {}, pending=bool(row.pending), last_fired_at=row.last_fired_at,
                       last_run_id=row.last_run_id, last_error=row.last_error, next_fire_at=next_at,
                       created_at=row.created_at, created_by=row.created_by)
