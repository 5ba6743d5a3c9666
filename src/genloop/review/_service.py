"""ReviewService: rating schemas, annotation queues, and the rater's loop (claim, submit, skip, later, undo)."""

from __future__ import annotations

import builtins
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.errors import Conflict, Forbidden, Hint, InvalidInput, NotFound
from genloop.refs import parse_ref, validate_name
from genloop.review import _rating
from genloop.review._fill import FillMixin
from genloop.review._questions import Question
from genloop.review._reports import ReportMixin
from genloop.review._schemas import (
    ItemInfo,
    QueueInfo,
    QueueProgress,
    RaterProgress,
    RatingInfo,
    RatingSchemaInfo,
    SubmitResult,
)
from genloop.review._tables import ItemRow, QueueRow, RatingRow, SchemaRow, SkipRow
from genloop.store import Page, Store
from genloop.store._registry import Project, ensure_project, record_audit, require_project

__all__ = ["ReviewService"]


class ReviewService(FillMixin, ReportMixin):
    """Human review in one project; ``actor`` is the rater for claim, submit, skip and undo."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    # -- rating schemas ---------------------------------------------------------------------------

    def create_schema(self, name: str, questions: builtins.list[Question | dict[str, Any]], *,
                      description: str = "") -> RatingSchemaInfo:
        """A new version of schema ``name``; the same questions as its latest version return that version."""
        validate_name(name, "rating schema name")
        try:
            parsed = [q if isinstance(q, Question) else Question.model_validate(q) for q in questions]
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'question'}: {e['msg']}" for e in exc.errors())
            raise InvalidInput(f"invalid question in rating schema {name!r}: {problems}",
                               hint=Hint(cli="see genloop review schema-create --help for the question types",
                                         sdk="see help(genloop.review.Question) for the question types",
                                         rest="see the RatingSchemaCreate schema at /api/v1/docs for the question "
                                              "types")) from None
        if not parsed:
            raise InvalidInput("a rating schema needs at least one question")
        names = [q.name for q in parsed]
        if len(set(names)) != len(names):
            raise InvalidInput(f"question names repeat in schema {name!r}: {', '.join(names)}")
        dumped = [q.model_dump() for q in parsed]

        def fn(session: Session) -> RatingSchemaInfo:
            project = ensure_project(session, self.project, self.actor)
            latest = session.scalar(select(SchemaRow).where(SchemaRow.project_id == project.id, SchemaRow.name == name)
                                    .order_by(SchemaRow.version.desc()).limit(1).with_for_update())
            if latest is not None and latest.questions == dumped and latest.description == description:
                return _schema_info(latest)
            row = SchemaRow(project_id=project.id, name=name, version=(latest.version + 1) if latest else 1,
                            description=description, questions=dumped, created_by=self.actor)
            session.add(row)
            session.flush()
            record_audit(session, project, self.actor, "create", "rating_schema", name, version=row.version)
            return _schema_info(row)

        return self.store.db.write(fn)

    def get_schema(self, ref: str) -> RatingSchemaInfo:
        """A schema version by ``NAME`` (latest) or ``NAME@VERSION``."""
        with self.store.db.read() as session:
            return _schema_info(self._schema(session, require_project(session, self.project), ref))

    def list_schemas(self) -> builtins.list[RatingSchemaInfo]:
        """The latest version of every schema."""
        with self.store.db.read() as session:
            project = require_project(session, self.project)
            latest = (select(SchemaRow.name, func.max(SchemaRow.version).label("v"))
                      .where(SchemaRow.project_id == project.id).group_by(SchemaRow.name).subquery())
            rows = session.scalars(select(SchemaRow).join(latest, (SchemaRow.name == latest.c.name)
                                                          & (SchemaRow.version == latest.c.v))
                                   .where(SchemaRow.project_id == project.id).order_by(SchemaRow.name))
            return [_schema_info(r) for r in rows]

    def _schema(self, session: Session, project: Project, ref: str) -> SchemaRow:
        parsed = parse_ref(ref)
        query = select(SchemaRow).where(SchemaRow.project_id == project.id, SchemaRow.name == parsed.name)
        if parsed.version is not None:
            query = query.where(SchemaRow.version == parsed.version)
        elif parsed.label is not None:
            raise InvalidInput(f"rating schemas have no labels: {ref!r}", hint=f"use {parsed.name} or {parsed.name}@2")
        row = session.scalar(query.order_by(SchemaRow.version.desc()).limit(1))
        if row is None:
            raise NotFound(f"project {self.project!r} has no rating schema {ref!r}",
                           hint=Hint(cli="create one: genloop review schema-create NAME --file questions.yaml",
                                     sdk="create one: client.review.create_schema(NAME, questions)",
                                     rest=f"create one: POST /api/v1/projects/{self.project}/review/schemas"))
        return row

    # -- queues -----------------------------------------------------------------------------------

    def create_queue(self, name: str, schema: str, *, ratings_per_item: int = 1, assignment: str = "claim",
                     annotators: builtins.list[str] | None = None, lock_seconds: int = 600,
                     description: str = "") -> QueueInfo:
        """An empty queue rated with schema ``schema`` (its version pinned now); fill it with ``add_*``."""
        validate_name(name, "queue name")
        annotators = list(dict.fromkeys(a.strip() for a in annotators or [] if a.strip()))
        if ratings_per_item < 1:
            raise InvalidInput(f"ratings_per_item must be >= 1, got {ratings_per_item}")
        if assignment not in ("claim", "round_robin"):
            raise InvalidInput(f"unknown assignment {assignment!r}", hint="use claim or round_robin")
        if assignment == "round_robin" and len(annotators) < ratings_per_item:
            raise InvalidInput(f"round robin with {ratings_per_item} rating(s) per item needs at least as many "
                               f"annotators (got {len(annotators)})", hint=Hint(cli="pass --annotator NAME for each rater",
                                         sdk="pass annotators=[...] with each rater",
                                         rest='send "annotators" with each rater'))
        if lock_seconds < 5:
            raise InvalidInput(f"lock_seconds must be >= 5, got {lock_seconds}")

        def fn(session: Session) -> QueueInfo:
            project = ensure_project(session, self.project, self.actor)
            schema_row = self._schema(session, project, schema)
            if session.scalar(select(QueueRow.id).where(QueueRow.project_id == project.id, QueueRow.name == name)):
                raise Conflict(f"queue {name!r} already exists in project {self.project!r}",
                               hint="pick another name, or add items to it")
            row = QueueRow(project_id=project.id, name=name, description=description, schema_id=schema_row.id,
                           ratings_per_item=ratings_per_item, assignment=assignment, annotators=annotators,
                           lock_seconds=lock_seconds, created_by=self.actor)
            session.add(row)
            session.flush()
            record_audit(session, project, self.actor, "create", "review_queue", name,
                         after={"schema": f"{schema_row.name}@{schema_row.version}", "n": ratings_per_item})
            return self._queue_info(session, row, schema_row)

        return self.store.db.write(fn)

    def get_queue(self, name: str) -> QueueInfo:
        with self.store.db.read() as session:
            queue, schema = self._queue(session, name)
            return self._queue_info(session, queue, schema)

    def list_queues(self, *, annotator: str | None = None) -> builtins.list[QueueInfo]:
        """Every queue, or (``annotator``) only the queues that person may rate."""
        with self.store.db.read() as session:
            project = require_project(session, self.project)
            out = []
            for queue in session.scalars(select(QueueRow).where(QueueRow.project_id == project.id)
                                         .order_by(QueueRow.name)):
                if annotator is None or _rating.may_rate(queue, annotator):
                    out.append(self._queue_info(session, queue, session.get(SchemaRow, queue.schema_id)))
            return out

    def can_rate(self, queue: str, rater: str) -> bool:
        with self.store.db.read() as session:
            return _rating.may_rate(self._queue(session, queue)[0], rater)

    def require_assigned(self, queue: str, name: str) -> None:
        """For an ``annotate``-only key: :class:`Forbidden` unless the queue names it among its annotators
        (a queue open to anyone is not open to such a key)."""
        info = self.get_queue(queue)
        if name.removeprefix("key:") not in {a.removeprefix("key:") for a in info.annotators}:
            raise Forbidden(f"{name!r} is not an annotator of queue {queue!r}",
                            hint="ask the queue's owner to add the key's name to its annotators")

    def _queue(self, session: Session, name: str, *, lock: bool = False) -> tuple[QueueRow, SchemaRow]:
        query = (select(QueueRow, SchemaRow).join(Project, Project.id == QueueRow.project_id)
                 .join(SchemaRow, SchemaRow.id == QueueRow.schema_id)
                 .where(Project.name == self.project, QueueRow.name == name))
        found = session.execute(query.with_for_update(of=QueueRow) if lock else query).first()
        if found is None:
            require_project(session, self.project)  # names a missing project first
            raise NotFound(f"project {self.project!r} has no review queue {name!r}", hint="list them: genloop review queues")
        return found[0], found[1]

    def _queue_info(self, session: Session, queue: QueueRow, schema: SchemaRow | None) -> QueueInfo:
        assert schema is not None
        done = session.scalar(select(func.count()).select_from(ItemRow)
                              .where(ItemRow.queue_id == queue.id, ItemRow.done.is_(True))) or 0
        ratings = session.scalar(select(func.count()).select_from(RatingRow).where(RatingRow.queue_id == queue.id))
        return QueueInfo(id=queue.id, project=self.project, name=queue.name, description=queue.description,
                         schema_ref=f"{schema.name}@{schema.version}", questions=schema.questions,
                         ratings_per_item=queue.ratings_per_item, assignment=queue.assignment,  # type: ignore[arg-type]
                         annotators=list(queue.annotators or []), lock_seconds=queue.lock_seconds,
                         items=queue.item_count, done=int(done), ratings=int(ratings or 0),
                         created_at=queue.created_at, created_by=queue.created_by)

    # -- the rater's loop -------------------------------------------------------------------------

    def claim(self, queue: str, *, exclude: builtins.list[int] | None = None) -> ItemInfo | None:
        """Lock and return the actor's next item (None when nothing is left for them), other than ``exclude``."""
        def fn(session: Session) -> ItemInfo | None:
            row, schema = self._queue(session, queue)
            _rating.check_rater(row, self.actor)
            item = _rating.claim_next(session, row, self.actor, exclude=exclude or ())
            return _rating.item_info(item, row, schema.questions) if item is not None else None

        return self.store.db.write(fn)

    def item(self, queue: str, item_id: int) -> ItemInfo:
        """One item as the actor sees it, with their own answers if they rated it (for going back)."""
        with self.store.db.read() as session:
            row, schema = self._queue(session, queue)
            _rating.check_rater(row, self.actor)
            item = _rating._item(session, row, item_id)
            mine = session.scalar(select(RatingRow.answers).where(RatingRow.item_id == item.id,
                                                                  RatingRow.rater == self.actor))
            return _rating.item_info(item, row, schema.questions, mine)

    def submit(self, queue: str, item_id: int, answers: dict[str, Any], *, next_item: bool = True,
               exclude: builtins.list[int] | None = None) -> SubmitResult:
        """Rate an item; answers are checked against the queue's schema. Returns the next item (claimed) too,
        other than ``exclude`` (an item the rater has preloaded already).

        Raises :class:`Conflict` when the item already has its N ratings ("done") or the actor rated it.
        """
        def fn(session: Session) -> SubmitResult:
            row, schema = self._queue(session, queue)
            _rating.check_rater(row, self.actor)
            rating, item = _rating.submit_rating(session, row, schema, item_id, self.actor, answers, row.project_id)
            upcoming = (_rating.claim_next(session, row, self.actor, exclude=[item.id, *(exclude or [])])
                        if next_item else None)
            return SubmitResult(rating=_rating.rating_info(rating, row), item_done=item.done,
                                next=_rating.item_info(upcoming, row, schema.questions) if upcoming else None)

        return self.store.db.write(fn)

    def skip(self, queue: str, item_id: int, *, later: bool = False,
             exclude: builtins.list[int] | None = None) -> ItemInfo | None:
        """Pass on an item (``later``: see it again after the others); returns the next item (not ``exclude``)."""
        def fn(session: Session) -> ItemInfo | None:
            row, schema = self._queue(session, queue)
            _rating.check_rater(row, self.actor)
            _rating.skip_item(session, row, item_id, self.actor, later=later)
            upcoming = _rating.claim_next(session, row, self.actor, exclude=[item_id, *(exclude or [])])
            return _rating.item_info(upcoming, row, schema.questions) if upcoming else None

        return self.store.db.write(fn)

    def undo(self, queue: str) -> ItemInfo:
        """Take back the actor's last rating in the queue; the item returns to them with those answers."""
        def fn(session: Session) -> ItemInfo:
            row, schema = self._queue(session, queue)
            _rating.check_rater(row, self.actor)
            item, answers = _rating.undo_last(session, row, self.actor)
            return _rating.item_info(item, row, schema.questions, undone=answers)

        return self.store.db.write(fn)

    def ratings(self, queue: str, *, offset: int = 0, limit: int = 100) -> Page[RatingInfo]:
        """Every rating in the queue, oldest first (pairwise choices de-randomised)."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            row, _ = self._queue(session, queue)
            total = session.scalar(select(func.count()).select_from(RatingRow).where(RatingRow.queue_id == row.id))
            rows = session.scalars(select(RatingRow).where(RatingRow.queue_id == row.id).order_by(RatingRow.id)
                                   .offset(offset).limit(limit))
            return Page.build([_rating.rating_info(r, row) for r in rows], int(total or 0), offset, limit)

    def progress(self, queue: str) -> QueueProgress:
        """Items, done, ratings and locks of the queue, and each rater's count and time per item."""
        from genloop.store import utcnow

        with self.store.db.read() as session:
            row, _ = self._queue(session, queue)
            done = session.scalar(select(func.count()).select_from(ItemRow)
                                  .where(ItemRow.queue_id == row.id, ItemRow.done.is_(True))) or 0
            locked = session.scalar(select(func.count()).select_from(ItemRow).where(
                ItemRow.queue_id == row.id, ItemRow.done.is_(False), ItemRow.locked_until > utcnow())) or 0
            per = session.execute(select(RatingRow.rater, func.count(), func.avg(RatingRow.seconds))
                                  .where(RatingRow.queue_id == row.id).group_by(RatingRow.rater)).all()
            skips = dict(session.execute(select(SkipRow.rater, func.count()).join(ItemRow, ItemRow.id == SkipRow.item_id)
                                         .where(ItemRow.queue_id == row.id).group_by(SkipRow.rater)).all())
            raters = [RaterProgress(rater=r, rated=int(n), skipped=int(skips.get(r, 0)),
                                    seconds_per_item=float(s) if s is not None else None) for r, n, s in per]
            raters.sort(key=lambda p: (-p.rated, p.rater))
            mine = next((p for p in raters if p.rater == self.actor), None)
            return QueueProgress(queue=row.name, items=row.item_count, done=int(done),
                                 ratings=sum(p.rated for p in raters), ratings_needed=row.item_count * row.ratings_per_item,
                                 locked=int(locked), raters=raters,
                                 mine=mine or RaterProgress(rater=self.actor, rated=0))


def _schema_info(row: SchemaRow) -> RatingSchemaInfo:
    return RatingSchemaInfo(name=row.name, version=row.version, ref=f"{row.name}@{row.version}",
                            questions=row.questions, description=row.description, created_at=row.created_at,
                            created_by=row.created_by)
