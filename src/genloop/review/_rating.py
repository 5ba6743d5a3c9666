"""The rater's loop inside one transaction: claim the next item, submit, skip, come back later, undo.

Claim-next walks the open items of a queue in position order (index ``queue_id, done, position``) and stops
at the first one the rater has not rated or skipped and nobody else holds an unexpired lock on; round robin
deals position ``p`` to annotators ``(p + k) % m`` for ``k < N``. Submitting does not need the lock: a
rating whose lock expired (and whose item another rater claimed meanwhile) is kept while a slot is free.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from genloop.errors import Conflict, Forbidden, NotFound
from genloop.feedback._tables import FeedbackRow
from genloop.review._content import rater_content, swap_choices
from genloop.review._questions import Question, check_answers
from genloop.review._schemas import ItemInfo, RatingInfo
from genloop.review._tables import ItemRow, QueueRow, RatingRow, SchemaRow, SkipRow
from genloop.store import utcnow

__all__ = ["claim_next", "item_info", "may_rate", "rating_info", "skip_item", "submit_rating", "undo_last"]


def may_rate(queue: QueueRow, rater: str) -> bool:
    """Whether ``rater`` is one of the queue's annotators (``key:alice`` and ``alice`` are the same person)."""
    if not queue.annotators:
        return True
    names = {rater, rater.removeprefix("key:")}
    return any(a in names or a.removeprefix("key:") in names for a in queue.annotators)


def check_rater(queue: QueueRow, rater: str) -> None:
    if not may_rate(queue, rater):
        raise Forbidden(f"{rater!r} is not an annotator of queue {queue.name!r}",
                        hint="ask the queue's owner to add you to its annotators")


def _slot_of(queue: QueueRow, rater: str) -> int | None:
    for index, name in enumerate(queue.annotators or []):
        if name.removeprefix("key:") == rater.removeprefix("key:"):
            return index
    return None


@functools.cache
def _queries() -> dict[str, Any]:
    """The claim statements, built once with bind parameters (building them per call cost more than running)."""
    rater: Any = bindparam("rater")
    now: Any = bindparam("now", type_=ItemRow.__table__.c.locked_until.type)
    held = select(ItemRow).where(ItemRow.queue_id == bindparam("queue_id"), ItemRow.locked_by == rater)
    rated = select(RatingRow.id).where(RatingRow.item_id == bindparam("item_id"), RatingRow.rater == rater)
    base = select(ItemRow).where(
        ItemRow.queue_id == bindparam("queue_id"), ItemRow.done.is_(False),
        ItemRow.id.not_in(bindparam("exclude", expanding=True)),
        ~exists().where(RatingRow.item_id == ItemRow.id, RatingRow.rater == rater),
        (ItemRow.locked_by.is_(None)) | (ItemRow.locked_by == rater) | (ItemRow.locked_until <= now))
    robin = ((ItemRow.position - bindparam("slot")) % bindparam("count") + bindparam("count")) % bindparam("count") \
        < bindparam("needed")
    passed = exists().where(SkipRow.item_id == ItemRow.id, SkipRow.rater == rater)
    later = exists().where(SkipRow.item_id == ItemRow.id, SkipRow.rater == rater, SkipRow.kind == "later")
    first = {}
    for name, query in (("fresh", base.where(~passed)), ("later", base.where(later))):
        first[name] = query.order_by(ItemRow.position).limit(1)
        first[name + "_rr"] = query.where(robin).order_by(ItemRow.position).limit(1)
    lock = (update(ItemRow).where(ItemRow.id == bindparam("item_id"),
                                  (ItemRow.locked_by.is_(None)) | (ItemRow.locked_by == rater)
                                  | (ItemRow.locked_until <= now))
            .values(locked_by=rater, locked_until=bindparam("until", type_=ItemRow.__table__.c.locked_until.type))
            .execution_options(synchronize_session=False))
    return {"held": held, "rated": rated, "lock": lock, **first}


def claim_next(session: Session, queue: QueueRow, rater: str, *, now: dt.datetime | None = None,
               exclude: Collection[int] = ()) -> ItemRow | None:
    """Lock and return the rater's next item: one they already hold, else the first free one, later ones last.

    ``exclude``: items the rater has on screen already (the one just rated, the one preloaded after it).
    """
    now = now or utcnow()
    q = _queries()
    # the items this rater holds: found by the (queue_id, locked_by) index, a handful at most; the rest is
    # checked here so the planner cannot prefer walking every open item in position order
    held = [item for item in session.scalars(q["held"], {"queue_id": queue.id, "rater": rater})
            if not item.done and item.locked_until is not None and item.locked_until > now
            and item.id not in exclude]
    for item in sorted(held, key=lambda i: i.position):
        if not session.scalar(q["rated"], {"item_id": item.id, "rater": rater}):
            return item
    params: dict[str, Any] = {"queue_id": queue.id, "rater": rater, "now": now, "exclude": list(exclude) or [0]}
    suffix = ""
    if queue.assignment == "round_robin":
        slot, count = _slot_of(queue, rater), len(queue.annotators or [])
        if slot is None or not count:
            return None
        params |= {"slot": slot, "count": count, "needed": queue.ratings_per_item}
        suffix = "_rr"
    for name in ("fresh", "later"):
        for _ in range(3):  # a conditional update: lost to a concurrent claim, look again
            item = session.scalar(q[name + suffix], params)
            if item is None:
                break
            if _lock(session, queue, item, rater, now):
                return item
    return None


def _lock(session: Session, queue: QueueRow, item: ItemRow, rater: str, now: dt.datetime) -> bool:
    until = now + dt.timedelta(seconds=queue.lock_seconds)
    result = session.execute(_queries()["lock"], {"item_id": item.id, "rater": rater, "now": now, "until": until})
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(item, "locked_by", rater)  # what the UPDATE wrote; no second UPDATE at flush
    set_committed_value(item, "locked_until", until)
    return True


def submit_rating(session: Session, queue: QueueRow, schema: SchemaRow, item_id: int, rater: str,
                  answers: dict[str, Any], project_id: int) -> tuple[RatingRow, ItemRow]:
    """Store one rating (and its feedback); :class:`Conflict` when the rater rated it already or it is done."""
    questions = [Question.model_validate(q) for q in schema.questions]
    item = _item(session, queue, item_id, lock=True)
    checked = swap_choices(check_answers(questions, answers), item.swapped)  # stored as first/second source
    existing = session.execute(select(RatingRow.rater, RatingRow.slot).where(RatingRow.item_id == item.id)).all()
    if any(name == rater for name, _ in existing):
        raise Conflict(f"{rater!r} has already rated item {item.id} of queue {queue.name!r}",
                       hint="undo the last rating to change it (genloop review undo)")
    taken = {slot for _, slot in existing}
    free = [slot for slot in range(queue.ratings_per_item) if slot not in taken]
    if not free:
        raise Conflict(f"item {item.id} of queue {queue.name!r} is done: it has its {queue.ratings_per_item} "
                       "rating(s)", hint="claim the next item")
    now = utcnow()
    seconds = None
    if item.locked_by == rater and item.locked_until is not None:
        seconds = max(0.0, (now - (item.locked_until - dt.timedelta(seconds=queue.lock_seconds))).total_seconds())
    rating = RatingRow(item_id=item.id, queue_id=queue.id, slot=free[0], rater=rater, answers=checked,
                       schema_version=schema.version, seconds=seconds, created_at=now)
    session.add(rating)
    session.flush()  # the unique (item, slot) constraint decides a race here; Database.write retries
    rating.feedback_ids = _feedback(session, questions, queue, schema, item, rating, project_id)
    count = len(taken) + 1
    values: dict[str, Any] = {"ratings": count, "done": count >= queue.ratings_per_item}
    if item.locked_by == rater or values["done"]:
        values |= {"locked_by": None, "locked_until": None}
    for key, value in values.items():
        setattr(item, key, value)  # the row is locked (FOR UPDATE on PostgreSQL, the write lock on SQLite)
    return rating, item


def _feedback(session: Session, questions: list[Question], queue: QueueRow, schema: SchemaRow, item: ItemRow,
              rating: RatingRow, project_id: int) -> list[int]:
    """Each answer as feedback on the item's trace or eval item (dataset rows have neither: none written)."""
    if item.trace_id is None and item.eval_item_id is None:
        return []
    meta = {"review_queue": queue.name, "review_item": item.id, "rating": rating.id, "rater": rating.rater,
            "schema": schema.name, "schema_version": schema.version, "eval_item_id": item.eval_item_id}
    rows = []
    for question in questions:
        if question.name not in rating.answers:
            continue
        value: Any = rating.answers[question.name]
        fields: dict[str, Any] = {"kind": question.type, "value_number": None, "value_bool": None,
                                  "value_label": None, "comment": None, "correction": None}
        if question.type in ("numeric", "likert"):
            fields |= {"kind": "numeric", "value_number": float(value)}
        elif question.type == "boolean":
            fields |= {"value_bool": value}
        elif question.type == "categorical":
            fields |= {"value_label": ",".join(value) if isinstance(value, list) else value}
        elif question.type == "pairwise":
            fields |= {"kind": "categorical", "value_label": value["choice"], "comment": value.get("reason")}
        elif question.type == "comment":
            fields |= {"comment": value}
        else:  # edit: a correction; no edit is an approval
            if value is None:
                fields |= {"kind": "boolean", "value_bool": True}
            else:
                fields |= {"kind": "correction", "correction": value}
        rows.append(FeedbackRow(project_id=project_id, trace_id=item.trace_id, eval_item_id=item.eval_item_id,
                                name=question.name, source="human", metadata_=meta | {"question": question.type},
                                created_by=rating.rater, created_at=rating.created_at, **fields))
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def skip_item(session: Session, queue: QueueRow, item_id: int, rater: str, *, later: bool) -> None:
    """Pass on an item (``later``: it comes back after the rest) and release the rater's lock on it."""
    item = _item(session, queue, item_id)
    kind = "later" if later else "skip"
    existing = session.scalar(select(SkipRow).where(SkipRow.item_id == item.id, SkipRow.rater == rater))
    if existing is None:
        session.add(SkipRow(item_id=item.id, rater=rater, kind=kind))
    else:
        existing.kind = kind
    if item.locked_by == rater:
        item.locked_by, item.locked_until = None, None
    session.flush()


def undo_last(session: Session, queue: QueueRow, rater: str) -> tuple[ItemRow, dict[str, Any]]:
    """Delete the rater's newest rating in the queue (and its feedback); the item comes back locked to them."""
    rating = session.scalar(select(RatingRow).where(RatingRow.queue_id == queue.id, RatingRow.rater == rater)
                            .order_by(RatingRow.id.desc()).limit(1))
    if rating is None:
        raise NotFound(f"{rater!r} has no rating in queue {queue.name!r} to undo")
    item = _item(session, queue, rating.item_id, lock=True)
    if rating.feedback_ids:
        session.execute(delete(FeedbackRow).where(FeedbackRow.id.in_(rating.feedback_ids)))
    answers = dict(rating.answers)
    session.delete(rating)
    session.flush()
    item.ratings = max(0, item.ratings - 1)
    item.done = False
    now = utcnow()
    item.locked_by, item.locked_until = rater, now + dt.timedelta(seconds=queue.lock_seconds)
    session.execute(delete(SkipRow).where(SkipRow.item_id == item.id, SkipRow.rater == rater))
    session.flush()
    return item, answers


def _item(session: Session, queue: QueueRow, item_id: int, *, lock: bool = False) -> ItemRow:
    if not isinstance(item_id, int) or not 0 < item_id < 2**53:  # beyond any id (and SQLite's 64-bit integers)
        raise NotFound(f"queue {queue.name!r} has no item {item_id}",
                       hint=f"take the next one: genloop review next {queue.name}")
    query = select(ItemRow).where(and_(ItemRow.id == item_id, ItemRow.queue_id == queue.id))
    item = session.scalar(query.with_for_update() if lock else query)
    if item is None:
        raise NotFound(f"queue {queue.name!r} has no item {item_id}", hint=f"take the next one: genloop review next {queue.name}")
    return item


def item_info(item: ItemRow, queue: QueueRow, questions: list[Question], mine: dict[str, Any] | None = None,
              undone: dict[str, Any] | None = None) -> ItemInfo:
    """The item as a rater sees it (the hidden A/B order applied to content and to their own answers)."""
    return ItemInfo(id=item.id, queue=queue.name, position=item.position, source=item.source,
                    content=rater_content(item.payload, item.swapped), ratings=item.ratings,
                    ratings_needed=queue.ratings_per_item, done=item.done, locked_by=item.locked_by,
                    locked_until=item.locked_until,
                    my_rating=swap_choices(mine, item.swapped) if mine is not None else None,
                    undone=swap_choices(undone, item.swapped) if undone is not None else None)


def rating_info(rating: RatingRow, queue: QueueRow) -> RatingInfo:
    """A stored rating (pairwise choices de-randomised: ``a`` is the first source's answer)."""
    return RatingInfo(id=rating.id, item_id=rating.item_id, queue=queue.name, rater=rating.rater,
                      answers=rating.answers, schema_version=rating.schema_version, seconds=rating.seconds,
                      feedback_ids=list(rating.feedback_ids or []), created_at=rating.created_at)


def count_open(session: Session, queue_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(ItemRow)
                              .where(ItemRow.queue_id == queue_id, ItemRow.done.is_(False))) or 0)
