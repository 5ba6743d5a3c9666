"""The owner's side of a queue: the agreement report and the export to a dataset version."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from genloop.errors import InvalidInput
from genloop.refs import validate_name
from genloop.review._agreement import QueueAgreement, comparable, judges_vs_humans, question_agreement, rater_stats
from genloop.review._export import DATASET_KIND, ReviewExport, add_lineage, build_rows, check_kind
from genloop.review._questions import Question
from genloop.review._tables import ItemRow, RatingRow

if TYPE_CHECKING:
    from genloop.store import Store

__all__ = ["ReportMixin"]


class ReportMixin:
    """``agreement`` and ``export`` of :class:`ReviewService`."""

    store: Store
    project: str
    actor: str

    def _rated_items(self, queue: str) -> tuple[Any, list[Question], list[tuple[ItemRow, list[RatingRow]]]]:
        with self.store.db.read() as session:
            row, schema = self._queue(session, queue)  # type: ignore[attr-defined]
            ratings = session.scalars(select(RatingRow).where(RatingRow.queue_id == row.id).order_by(RatingRow.id)).all()
            by_item: dict[int, list[RatingRow]] = defaultdict(list)
            for rating in ratings:
                by_item[rating.item_id].append(rating)
            items = []
            ids = sorted(by_item)
            for start in range(0, len(ids), 1000):
                for item in session.scalars(select(ItemRow).where(ItemRow.id.in_(ids[start:start + 1000]))):
                    items.append((item, by_item[item.id]))
            items.sort(key=lambda pair: pair[0].position)
            return row, [Question.model_validate(q) for q in schema.questions], items

    def agreement(self, queue: str, *, question: str | None = None) -> QueueAgreement:
        """Per question kappa and alpha, per rater statistics, and, over eval items, each judge vs the humans.

        ``question`` picks the question judges are compared on (default: the one named like the judge, else
        the first score or true/false question).
        """
        row, questions, items = self._rated_items(queue)
        if question is not None and question not in {q.name for q in questions}:
            raise InvalidInput(f"queue {queue!r} has no question {question!r}",
                               hint=f"its questions: {', '.join(q.name for q in questions)}")
        ratings = [r for _, rs in items for r in rs]
        report = QueueAgreement(queue=row.name, ratings=len(ratings), questions=[], raters=rater_stats(questions, ratings))
        for q in questions:
            if q.level is None:
                continue
            table = {item.id: {r.rater: v for r in rs if (v := comparable(q, r.answers.get(q.name))) is not None}
                     for item, rs in items}
            report.questions.append(question_agreement(q, table))
        evaluated = [(item.payload.get("origin") or {}, [r.answers for r in rs]) for item, rs in items
                     if item.source == "eval_item"]
        if evaluated:
            from genloop.evals import EvalService

            evals = EvalService(self.store, self.project, self.actor)
            report.judges = judges_vs_humans(evals, questions, evaluated, question, report.warnings)
        return report

    def export(self, queue: str, *, kind: str, name: str, message: str = "") -> ReviewExport:
        """Export the queue's labels to a new version of dataset ``name`` (``golden``, ``sft`` or ``preference``)."""
        from genloop.datasets import DatasetService
        from genloop.runs import RunService

        check_kind(kind)
        validate_name(name, "dataset name")
        row, questions, items = self._rated_items(queue)
        if not items:
            raise InvalidInput(f"queue {queue!r} has no ratings; nothing exported", hint="rate some items first")
        rows, used, skipped = build_rows(kind, questions, [(item, [r.answers for r in rs]) for item, rs in items])
        if not rows:
            reasons = ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items()))
            raise InvalidInput(f"none of the {len(items)} rated items of queue {queue!r} made a {kind} row ({reasons}); "
                               "nothing exported", hint=_HINTS[kind])
        params = {"queue": row.name, "kind": kind, "dataset": name}
        with RunService(self.store, self.project, self.actor).run("data", name="review export", params=params) as run:
            version, created = DatasetService(self.store, self.project, self.actor).create_or_get(
                name, rows, kind=DATASET_KIND[kind], tags=["review", kind], source_run_id=run.id,
                message=message or f"{kind} export of review queue {row.name!r}: {len(rows)} rows (run {run.id})",
                display=f"review export ({kind})")
            run.add_output(f"dataset:{version.ref}")
            self.store.db.write(lambda session: add_lineage(session, run.id, row.name, used))
            run.summary = {"rows": len(rows), "items": len(items), "skipped": dict(skipped), "dataset": version.ref}
        return ReviewExport(dataset=version, created=created, run_id=run.id, kind=kind, rows=len(rows),
                            items=len(items), skipped=dict(skipped))


_HINTS = {
    "golden": "a golden row needs a correction, or an answer left unedited (and judged true where asked)",
    "sft": "an sft row needs a correction (an edit question) on an item with a conversation",
    "preference": "a preference row needs a pairwise choice of a or b, or a correction that differs from the answer",
}
