"""Studio's evaluation pages: runs with metrics, intervals and gates; a run's items filtered; two runs side
by side with a word-level diff (escaped), wins/ties/losses, the paired test, regressions only; starting a
run from a YAML spec posted by the form."""

from __future__ import annotations

from fastapi.testclient import TestClient

from genloop.datasets import DatasetService
from genloop.evals import EvalService
from genloop.store import Store
from studio.conftest import csrf_of

ROWS = [{"id": f"q{i}", "question": f"What is {i} plus {i}?", "reference": str(2 * i),
         "base": str(2 * i) if i % 3 else "no <b>idea</b>", "new": f"{2 * i} (good)" if i % 4 else f"= {2 * i}"}
        for i in range(12)]


def _spec(column: str) -> dict:
    return {"name": f"qa-{column}", "dataset": "golden@1", "id_column": "id", "input_column": "question",
            "candidates": [{"name": "bot", "output_column": column}], "metrics": ["exact_match", "token_f1"],
            "gates": ["exact_match >= 0.5"]}


def _runs(store: Store) -> tuple[str, str]:
    DatasetService(store, "alpha").create("golden", ROWS, kind="generic")
    evals = EvalService(store, "alpha")
    return evals.run(_spec("base")).run_id, evals.run(_spec("new")).run_id


def test_runs_run_items_and_compare(web: TestClient, store: Store) -> None:
    a, b = _runs(store)
    listing = web.get("/projects/alpha/evals").text
    assert "qa-base" in listing and "qa-new" in listing and "exact_match &gt;= 0.5" in listing
    assert "badge-passed" in listing and "badge-failed" in listing  # base passes the gate, new does not
    run = web.get(f"/projects/alpha/evals/{a}").text
    assert "exact_match" in run and "12 items" in run and "no &lt;b&gt;idea&lt;/b&gt;" in run and "_metrics" not in run
    worst = web.get(f"/projects/alpha/evals/{a}?show=worst&metric=exact_match").text
    assert worst.index("no &lt;b&gt;idea") < worst.index("What is 1 plus 1")
    assert web.get(f"/projects/alpha/evals/{a}?show=weird").status_code == 400
    page = web.get(f"/projects/alpha/evals/compare?a={a}&b={b}&metric=exact_match").text
    assert "losses" in page and "12 shown by this filter" in page and "/evals/compare/tests?" in page
    tests = web.get(f"/projects/alpha/evals/compare/tests?a={a}&b={b}").text  # loaded after the page opens
    assert "McNemar" in tests and "token_f1" in tests and "<html" not in tests
    assert "<del>no</del><ins>=</ins> <del>&lt;b&gt;idea&lt;/b&gt;</del><ins>0</ins>" in page  # word by word, escaped
    assert "<b>idea</b>" not in page
    regressions = web.get(f"/projects/alpha/evals/compare?a={a}&b={b}&metric=exact_match&show=regressions").text
    losses = sum(1 for i in range(12) if i % 3)  # base right where i % 3, new never exactly right
    assert f"{losses} shown by this filter" in regressions and 'data-outcome="win"' not in regressions
    assert web.get(f"/projects/alpha/evals/compare?a={a}").status_code == 400
    assert web.get(f"/projects/beta/evals/{a}").status_code == 404


def test_start_an_evaluation_from_yaml(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha").create("golden", ROWS, kind="generic")
    page = web.get("/projects/alpha/evals").text
    spec = ("name: from-form\ndataset: golden@1\nid_column: id\ninput_column: question\n"
            "candidates:\n  - name: bot\n    output_column: new\nmetrics: [exact_match]\n")
    answer = web.post("/projects/alpha/evals", data={"spec": spec, "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert answer.status_code == 303
    runs = EvalService(store, "alpha").list().items
    assert [r.name for r in runs] == ["from-form"] and answer.headers["location"].endswith(runs[0].id)
    bad = web.post("/projects/alpha/evals", data={"spec": "name: [", "csrf_token": csrf_of(page)})
    assert bad.status_code == 400 and len(EvalService(store, "alpha").list().items) == 1
