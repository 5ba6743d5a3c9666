"""Studio pages for prompt optimizations (candidates with intervals as they come in, the held-out verdict) and for
a RAG evaluation item (question, passages, what the faithfulness judge found supported, answer): listing, user
text escaped, 403 for a key of another project."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from genloop.auth import KeyService
from genloop.evals import EvalService
from genloop.optimize import CandidateScore, HeldOutResult, OptimizeResult
from genloop.providers import MockProvider
from genloop.runs import RunService
from genloop.store import Store
from studio.conftest import login

EVIL = "<script>alert('x')</script>"


def _optimization(store: Store, project: str = "default") -> str:
    """An optimize run as the engine leaves it while running: its spec and the candidates so far in its params."""
    service = RunService(store, project)
    spec = {"prompt": "support@1", "dataset": "golden@1", "strategy": "meta", "metric": "exact_match",
            "model": "openai:gpt-4o-mini", "optimizer_model": "openai:gpt-4o", "holdout": 0.3, "seed": 7}
    run = service.start("optimize", name="optimize support@1", params={"spec": spec, "spec_hash": "h"})
    pool = [{"ref": "support@1", "how": "the original", "round": 0, "score": 0.4, "ci_low": 0.2, "ci_high": 0.6,
             "eval_run": None, "failures": [], "correct": []},
            {"ref": "support@2", "how": f"rewrite from failures {EVIL}", "round": 1, "score": 0.8, "ci_low": 0.61,
             "ci_high": 0.93, "eval_run": None, "failures": [], "correct": []}]
    service.log_params(run.id, {"state": {"candidates": pool, "calls": 12, "cost": 0.01, "seconds": 1.0,
                                          "discarded": 0}})
    return run.id


def _finish(store: Store, run_id: str, significant: bool, project: str = "default") -> None:
    original = CandidateScore(ref="support@1", how="the original", round=0, score=0.4, ci_low=0.2, ci_high=0.6)
    best = CandidateScore(ref="support@2", how=f"rewrite from failures {EVIL}", round=1, score=0.8, ci_low=0.61,
                          ci_high=0.93)
    verdict = ("support@2 is significantly better than support@1 on the 20 held-out items" if significant
               else "not significant: support@2 vs support@1 on the 20 held-out items")
    held = HeldOutResult(eval_run="e" * 32, metric="exact_match", n=20, original=0.4, best=0.75, delta=0.35,
                         ci_low=0.12, ci_high=0.55, p_value=0.004, test="sign test", significant=significant,
                         verdict=verdict)
    saved = RunService(store, project).get(run_id).params["state"]["candidates"][1:]
    scored = [CandidateScore(**{k: c.get(k) for k in CandidateScore.model_fields}) for c in saved]
    result = OptimizeResult(run_id=run_id, status="succeeded", strategy="meta", metric="exact_match",
                            original=original, best=best, candidates=scored, held_out=held, calls=40, cost=0.02)
    RunService(store, project).finish(run_id, "succeeded", summary=result.model_dump(mode="json"))


def test_optimization_pages_poll_while_running_then_show_the_verdict(web: TestClient, store: Store) -> None:
    run_id = _optimization(store)
    listing = web.get("/projects/default/optimize")
    assert listing.status_code == 200 and "optimize support@1" in listing.text and "pending" in listing.text
    page = web.get(f"/projects/default/optimize/{run_id}").text
    assert f'hx-get="/projects/default/optimize/{run_id}/candidates"' in page and 'hx-trigger="every 2s"' in page
    assert "support@2" in page and "[0.61, 0.93]" in page and "more coming" in page
    assert EVIL not in page and "&lt;script&gt;" in page
    # a new candidate arrives: the polled partial shows it, and only the block (no page layout)
    state = RunService(store).get(run_id).params["state"]
    state["candidates"].append({"ref": "support@3", "how": "shorter", "round": 2, "score": 0.5, "ci_low": 0.3,
                                "ci_high": 0.7, "eval_run": None})
    RunService(store).log_params(run_id, {"state": state})
    block = web.get(f"/projects/default/optimize/{run_id}/candidates",
                    headers={"HX-Request": "true", "HX-Target": "candidates"}).text
    assert '<section id="candidates"' in block and "support@3" in block and "<html" not in block
    assert 'id="run-status" hx-swap-oob="true"' in block

    _finish(store, run_id, significant=True)
    done = web.get(f"/projects/default/optimize/{run_id}").text
    assert "hx-trigger" not in done.split('id="candidates"')[1].split(">")[0]  # polling stopped
    assert "significantly better" in done and "[0.12, 0.55]" in done and "sign test" in done
    assert ">significant<" in web.get("/projects/default/optimize").text


def test_not_significant_verdict_and_unknown_run(web: TestClient, store: Store) -> None:
    run_id = _optimization(store)
    _finish(store, run_id, significant=False)
    page = web.get(f"/projects/default/optimize/{run_id}").text
    assert ">not significant<" in page and "not significant: support@2" in page
    assert web.get("/projects/default/optimize/" + "f" * 32).status_code == 404


ROWS = [{"id": "q1", "question": f"What is the capital of France? {EVIL}",
         "contexts": ["Paris is the capital of France.", "<b>France</b> is in Europe."],
         "reference": "Paris.", "answer": "The capital of France is Paris, which has 2 million people."}]
CLAIMS = [{"claim": "The capital of France is Paris", "supported": True},
          {"claim": "Paris has 2 million people", "supported": False}]


def _rag_run(store: Store) -> str:
    from genloop.datasets import DatasetService

    DatasetService(store).create("rag", ROWS, kind="eval")

    def judge(request: Any) -> str:
        text = request.messages[-1]["content"]
        if '{"claims": [' in text:
            return json.dumps({"claims": CLAIMS})
        return json.dumps({"contexts": [{"index": 1, "useful": True}, {"index": 2, "useful": False}]})

    spec = {"name": "rag", "dataset": "rag@1", "id_column": "id", "input_column": "question",
            "candidates": [{"name": "app", "output_column": "answer"}], "concurrency": 1,
            "judges": [{"name": "faithfulness", "type": "faithfulness", "model": "judge:rag"},
                       {"name": "precision", "type": "context_precision", "model": "judge:rag"}]}
    result = EvalService(store).run(spec, providers={"judge": MockProvider(name="judge", reply=judge)})
    assert result.status == "succeeded", result.error
    return result.run_id


def test_rag_item_shows_passages_claims_and_answer(web: TestClient, store: Store) -> None:
    run_id = _rag_run(store)
    listing = web.get(f"/projects/default/evals/{run_id}").text  # an item with contexts links to its RAG view
    assert f'href="/projects/default/evals/{run_id}/items/0?candidate=app&amp;repeat=0"' in listing
    page = web.get(f"/projects/default/evals/{run_id}/items/0")
    assert page.status_code == 200, page.text
    html = page.text
    assert "What is the capital of France?" in html and EVIL not in html and "&lt;script&gt;" in html
    assert "Paris is the capital of France." in html and "&lt;b&gt;France&lt;/b&gt;" in html
    supported = html.split('id="judge-faithfulness"')[1].split("</table>")[0]
    assert "The capital of France is Paris" in supported and ">supported<" in supported
    assert "Paris has 2 million people" in supported and ">not supported<" in supported
    assert ">useful<" in html and ">not useful<" in html  # context precision marks each passage
    assert "2 million people" in html.split('id="rag-answer"')[1]
    assert web.get(f"/projects/default/evals/{run_id}/items/5").status_code == 404
    assert web.get(f"/projects/default/evals/{run_id}/items/0?candidate=nope").status_code == 404


def test_key_of_another_project_gets_403(auth_web: TestClient, auth_store: Store) -> None:
    run_id = _optimization(auth_store, "beta")
    key = KeyService(auth_store, "alpha").create("ana", scopes=["read", "write"]).key
    login(auth_web, key)
    assert auth_web.get("/projects/alpha/optimize").status_code == 200
    for path in ("/projects/beta/optimize", f"/projects/beta/optimize/{run_id}",
                 f"/projects/beta/optimize/{run_id}/candidates", f"/projects/beta/evals/{run_id}/items/0"):
        assert auth_web.get(path).status_code == 403, path


def test_studio_does_not_run_callable_candidates(web: TestClient, store: Store) -> None:
    from genloop.datasets import DatasetService
    from studio.conftest import csrf_of

    DatasetService(store).create("rag", ROWS, kind="eval")
    page = web.get("/projects/default/evals").text
    spec = ("name: code\ndataset: rag@1\ninput_column: question\n"
            "candidates: [{name: app, callable: 'antigravity:fly'}]\nmetrics: [exact_match]\n")
    refused = web.post("/projects/default/evals", data={"spec": spec, "csrf_token": csrf_of(page)})
    assert refused.status_code == 400 and "callable" in refused.text
    assert "antigravity" not in __import__("sys").modules and EvalService(store).list().total == 0
