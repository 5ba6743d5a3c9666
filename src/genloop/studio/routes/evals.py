"""Evaluations: runs with status, metrics with intervals and gates; one run (metrics, gates, the
Bradley-Terry table, its items filtered to failed ones, disagreeing judges or the worst scores); two runs
compared side by side (word-level diff of the outputs, scores, explanations, wins/ties/losses, the
paired test and its interval, filtered to regressions); start an evaluation from a YAML spec."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from genloop.errors import InvalidInput
from genloop.evals import EvalService
from genloop.studio._context import StudioDep
from genloop.studio._observe import word_diff
from genloop.studio._params import ListQ

router = APIRouter()

EXAMPLE_SPEC = """name: qa-check
dataset: golden@1
input_column: question
candidates:
  - name: bot
    model: mock:echo
metrics: [exact_match, token_f1]
"""


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset") or "0"
    if not raw.isdigit():
        raise InvalidInput(f"query parameter offset={raw!r} is not a whole number", hint="use offset=0")
    return int(raw)


@router.get("/projects/{project}/evals")
def evals(project: str, studio: StudioDep, page: ListQ) -> Response:
    studio.check("GET", f"/projects/{project}/evals")
    service = EvalService(studio.store, project)
    found = service.list(offset=page.offset, limit=page.limit)
    results = [service.get(r.id) for r in found.items]
    from genloop.studio._params import pager

    return studio.render("evals/list.html", project=project, results=results, pager=pager(studio.request, found),
                         example=EXAMPLE_SPEC)


@router.post("/projects/{project}/evals")
def start(project: str, studio: StudioDep, spec: str = Form(...)) -> Response:
    """Run a spec given as YAML text (the page waits for the run; long runs belong to the CLI)."""
    studio.check("POST", f"/projects/{project}/evals")
    if not spec.strip():
        raise InvalidInput("the spec is empty", hint="paste an evaluation spec in YAML")
    from genloop.evals import EvalSpec

    loaded = EvalSpec.load(spec)
    if any(c.callable is not None for c in loaded.candidates):  # it would import and run code on the server
        raise InvalidInput("Studio does not run 'callable' candidates (they import and call code on the server)",
                           hint="run the spec where the app's code lives: genloop eval run SPEC")
    result = EvalService(studio.store, project, studio.actor).run(loaded)
    return studio.redirect(f"/projects/{project}/evals/{result.run_id}")


@router.get("/projects/{project}/evals/compare")
def compare(project: str, studio: StudioDep, a: str = "", b: str = "", metric: str = "", show: str = "all",
            candidate_a: str = "", candidate_b: str = "") -> Response:
    studio.check("GET", f"/projects/{project}/evals/compare")
    if not a or not b:
        raise InvalidInput("compare needs two runs: ?a=RUN_ID&b=RUN_ID", hint="pick two runs on the evaluations page")
    service = EvalService(studio.store, project)
    page = service.compare_page(a, b, candidate_a=candidate_a or None, candidate_b=candidate_b or None,
                                metric=metric or None, show=show, offset=_offset(studio.request), limit=25)
    diffs = {row.example_id: word_diff(row.output_a, row.output_b) for row in page.items}
    from genloop.studio._templates import with_query

    url = studio.request.url
    next_url = with_query(url, offset=page.next_offset) if page.next_offset else None
    prev_url = with_query(url, offset=max(page.offset - page.limit, 0) or None) if page.offset else None
    return studio.render("evals/compare.html", project=project, page=page, diffs=diffs, next_url=next_url,
                         prev_url=prev_url)


@router.get("/projects/{project}/evals/compare/tests")
def paired(project: str, studio: StudioDep, a: str = "", b: str = "", candidate_a: str = "",
           candidate_b: str = "") -> Response:
    """The paired test of every shared metric (a partial the comparison page loads after it opens)."""
    studio.check("GET", f"/projects/{project}/evals/compare")
    if not a or not b:
        raise InvalidInput("compare needs two runs: ?a=RUN_ID&b=RUN_ID", hint="pick two runs on the evaluations page")
    metrics = EvalService(studio.store, project).paired_tests(a, b, candidate_a=candidate_a or None,
                                                              candidate_b=candidate_b or None)
    return studio.render("evals/_paired.html", project=project, metrics=metrics, a=a, b=b)


@router.get("/projects/{project}/evals/{run_id}")
def run(project: str, run_id: str, studio: StudioDep, show: str = "all", metric: str = "") -> Response:
    studio.check("GET", f"/projects/{project}/evals/{run_id}")
    service = EvalService(studio.store, project)
    result = service.get(run_id)
    items = service.item_page(run_id, show=show, metric=metric or None, offset=_offset(studio.request), limit=25)
    from genloop.studio._templates import with_query

    url = studio.request.url
    next_url = with_query(url, offset=items.next_offset) if items.next_offset else None
    prev_url = with_query(url, offset=max(items.offset - items.limit, 0) or None) if items.offset else None
    others = [r for r in service.list(limit=20).items if r.id != run_id]
    return studio.render("evals/run.html", project=project, r=result, items=items, next_url=next_url,
                         prev_url=prev_url, others=others)
