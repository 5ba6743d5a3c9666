"""Studio's traces and deployments pages: filters in the query string, search, keyset pages, sessions, a
trace view (conversation, guardrails, lazy spans, JSON beyond the cap), feedback added from the page,
user data escaped, and 403 for a key of another project."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from genloop.auth import KeyService
from genloop.deployments import DeploymentService
from genloop.feedback import FeedbackService
from genloop.store import Store
from genloop.tracing import TraceService, new_trace_id
from studio.conftest import csrf_of, login

NOW = time.time()


def _seed(store: Store, project: str = "alpha") -> list[dict]:
    records = []
    for i in range(60):
        records.append({"id": new_trace_id(), "project": project, "deployment": "bot", "variant": "a" if i % 2 else "b",
                        "status": "error" if i % 10 == 0 else "ok", "user": f"u{i % 3}", "session_id": f"s{i % 4}",
                        "input": [{"role": "user", "content": f"tell me about penguins {i}" if i % 6 == 0
                                   else f"weather report {i}"}],
                        "output": "<script>alert('x')</script> answer" if i == 7 else f"reply {i}",
                        "guardrails": [{"check": "pii", "action": "redact", "stage": "input", "evidence": "<b>mail</b>"}]
                        if i == 7 else None,
                        "latency_ms": 10.0 + i, "input_tokens": 5, "output_tokens": 7, "cost_usd": 0.0001,
                        "spans": [{"span_id": f"{i:08x}{j:08x}", "name": f"upstream {j}", "started_at": NOW - 600 + i,
                                   "duration_ms": 5.0 * (j + 1)} for j in range(3)],
                        "started_at": NOW - 600 + i})
    TraceService(store, project).record(records)
    return records


def test_trace_list_filters_search_and_keyset_pages(web: TestClient, store: Store) -> None:
    records = _seed(store)
    page = web.get("/projects/alpha/traces?limit=20").text
    assert "60 traces match" in page and 'rel="next"' in page and "weather report 59" in page
    assert "&lt;script&gt;" not in page or "<script>alert" not in page
    nxt = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = web.get(nxt).text
    assert "weather report 39" in second and "weather report 59" not in second and "Newer" in second
    found = web.get("/projects/alpha/traces?q=penguins").text
    assert "10 traces match" in found and "weather" not in found
    assert "1 trace match" in web.get("/projects/alpha/traces?guardrail=redact").text
    assert "6 traces match" in web.get("/projects/alpha/traces?status=error").text
    assert "10 traces match" in web.get("/projects/alpha/traces?user=u1&variant=a").text
    FeedbackService(store, "alpha").create(records[3]["id"], value=1.0)
    assert "1 trace match" in web.get("/projects/alpha/traces?feedback=yes").text
    partial = web.get("/projects/alpha/traces?status=error", headers={"HX-Request": "true", "HX-Target": "trace-list"})
    assert "<html" not in partial.text and "6 traces match" in partial.text
    assert web.get("/projects/alpha/traces?feedback=maybe").status_code == 400
    assert web.get("/projects/alpha/traces?q=%21%21").status_code == 400
    assert web.get("/projects/alpha/traces?cursor=zzz").status_code == 400
    sessions = web.get("/projects/alpha/traces/sessions").text
    assert all(f">s{i}<" in sessions for i in range(4))


def test_trace_view_escapes_and_takes_feedback(web: TestClient, store: Store) -> None:
    records = _seed(store)
    tid = records[7]["id"]
    page = web.get(f"/projects/alpha/traces/{tid}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; answer" in page and "<script>alert" not in page
    assert "&lt;b&gt;mail&lt;/b&gt;" in page and "redact" in page and "weather report 7" in page
    assert f"/projects/alpha/traces/{tid}/spans" in page  # spans load lazily
    spans = web.get(f"/projects/alpha/traces/{tid}/spans").text
    assert spans.count("wf-bar") == 3 and "upstream 2" in spans
    answer = web.post(f"/projects/alpha/traces/{tid}/feedback",
                      data={"name": "helpful", "value": "yes", "comment": "<i>great</i>", "csrf_token": csrf_of(page)},
                      follow_redirects=False)
    assert answer.status_code == 303
    stored = FeedbackService(store, "alpha").list().items
    assert [(f.name, f.value, f.source) for f in stored] == [("helpful", True, "human")]
    assert "&lt;i&gt;great&lt;/i&gt;" in web.get(f"/projects/alpha/traces/{tid}").text
    refused = web.post(f"/projects/alpha/traces/{tid}/feedback", data={"value": "1"})
    assert refused.status_code == 403 and len(FeedbackService(store, "alpha").list().items) == 1
    assert web.get(f"/projects/alpha/traces/{new_trace_id()}").status_code == 404
    assert web.get(f"/projects/beta/traces/{tid}").status_code == 404  # another project's trace


def test_big_trace_offers_its_json(web: TestClient, store: Store) -> None:
    tid = new_trace_id()
    TraceService(store, "alpha").record([{"id": tid, "input": "x" * 300_000, "output": "done"}])
    page = web.get(f"/projects/alpha/traces/{tid}").text
    assert 'id="oversized"' in page and "x" * 1000 not in page
    whole = web.get(f"/projects/alpha/traces/{tid}/json")
    assert whole.status_code == 200 and whole.json()["output"] == "done"


def test_deployment_dashboard(web: TestClient, store: Store) -> None:
    DeploymentService(store, "alpha").create("bot", variants=[{"name": "a", "model": "mock:echo", "weight": 3},
                                                              {"name": "b", "model": "mock:echo"}],
                                             shadows=[{"name": "next", "model": "mock:echo"}])
    TraceService(store, "alpha").record([{"id": new_trace_id(), "deployment": "bot", "variant": "a",
                                          "latency_ms": 12.0, "started_at": time.time() - 60} for _ in range(5)])
    listing = web.get("/projects/alpha/deployments").text
    assert "bot" in listing and "a · 3" in listing and "next" in listing
    page = web.get("/projects/alpha/deployments/bot?window=1h").text
    assert 'id="traffic-data"' in page and "traffic.js" in page and ">5<" in page
    assert web.get("/projects/alpha/deployments/bot?window=2y").status_code == 400
    assert web.get("/projects/alpha/deployments/nope").status_code == 404


def test_key_of_another_project_gets_403(auth_web: TestClient, auth_store: Store) -> None:
    records = _seed(auth_store, "beta")
    key = KeyService(auth_store, "alpha").create("ana", scopes=["read", "write"]).key
    login(auth_web, key)
    assert auth_web.get("/projects/alpha/traces").status_code == 200
    for path in ("/projects/beta/traces", f"/projects/beta/traces/{records[0]['id']}", "/projects/beta/traces/sessions",
                 "/projects/beta/deployments", "/projects/beta/evals"):
        assert auth_web.get(path).status_code == 403, path
    reader = KeyService(auth_store, "beta").create("viewer", scopes=["read"]).key
    auth_web.cookies.clear()
    login(auth_web, reader)
    page = auth_web.get(f"/projects/beta/traces/{records[0]['id']}").text
    denied = auth_web.post(f"/projects/beta/traces/{records[0]['id']}/feedback",
                           data={"value": "1", "csrf_token": csrf_of(page)})
    assert denied.status_code == 403
