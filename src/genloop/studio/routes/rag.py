"""One evaluation item of a RAG app: the question, the retrieved passages (the row's ``contexts``), the answer,
and what each RAG judge found: the faithfulness judge's claims, supported or not by the passages; the context
judges' verdicts per statement or per passage. Read from the item as stored; nothing is recomputed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from genloop.errors import InvalidInput, NotFound
from genloop.evals import EvalItem, EvalService
from genloop.evals._rag_judges import contexts_of
from genloop.evals._tables import EvalItemRow
from genloop.studio._context import StudioDep

router = APIRouter()

# the verdict each RAG judge writes per entry (see genloop.evals._rag_judges): what is judged, and the flag
_VERDICT = {"faithfulness": ("claim", "supported"), "context_recall": ("statement", "attributable"),
            "context_precision": ("index", "useful"), "answer_relevance": ("question", "answerable")}


@router.get("/projects/{project}/evals/{run_id}/items/{example_index}")
def rag_item(project: str, run_id: str, example_index: int, studio: StudioDep, candidate: str = "",
             repeat: int = 0) -> Response:
    """The item at ``example_index`` (of ``candidate``, or the first candidate) shown as a RAG answer."""
    studio.check("GET", f"/projects/{project}/evals/{run_id}")
    if not 0 <= example_index < 2**31 or not 0 <= repeat < 2**31:
        raise InvalidInput(f"no item {example_index} (repeat {repeat})", hint="open it from the run's items")
    service = EvalService(studio.store, project)
    result = service.get(run_id)  # NotFound for a run of another project
    with studio.store.db.read() as session:
        query = select(EvalItemRow).where(EvalItemRow.run_id == result.run_id,
                                          EvalItemRow.example_index == example_index, EvalItemRow.repeat == repeat)
        if candidate:
            query = query.where(EvalItemRow.candidate == candidate)
        row = session.scalars(query.order_by(EvalItemRow.candidate).limit(1)).first()
        if row is None:
            raise NotFound(f"run {result.run_id[:12]} has no item {example_index}"
                           + (f" of candidate {candidate!r}" if candidate else ""),
                           hint="open it from the run's items")
        item = EvalItem.model_validate(row)
    return studio.render("rag/item.html", project=project, r=result, it=item, view=rag_view(item))


def rag_view(item: EvalItem) -> dict[str, Any]:
    """The question, passages (each with the context-precision verdict when there is one), answer and verdicts."""
    inputs = item.inputs or {}
    question = next((inputs[k] for k in ("question", "input", "query", "prompt") if inputs.get(k) is not None), None)
    passages: list[dict[str, Any]] = [{"text": text, "useful": None} for text in contexts_of(inputs)]
    judges = []
    for name, judgment in (item.judgments or {}).items():
        if not isinstance(judgment, dict):
            continue
        details = judgment.get("details") if isinstance(judgment.get("details"), list) else None
        if not details or not isinstance(details[0], dict):
            continue
        kind = next((k for k, (_label, flag) in _VERDICT.items() if flag in details[0]), None)
        if kind is None:
            continue
        label, flag = _VERDICT[kind]
        verdicts = [{"text": str(d.get(label, "")), "held": bool(d.get(flag))} for d in details if isinstance(d, dict)]
        if kind == "context_precision":
            for position, verdict in enumerate(verdicts):
                if position < len(passages):
                    passages[position]["useful"] = verdict["held"]
        judges.append({"name": name, "kind": kind, "flag": flag, "score": judgment.get("score"),
                       "explanation": judgment.get("explanation"), "verdicts": verdicts})
    return {"question": question, "passages": passages, "answer": item.output, "reference": item.reference,
            "judges": judges}
