"""Studio's quality pages through the whole server app (TestClient): a version's profile with histograms,
quality runs with what each step removed, the prompt map and saving a selection as a dataset version."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from genloop.auth import KeyService
from genloop.datasets import DatasetService
from genloop.quality import QualityService
from genloop.settings import Settings
from genloop.store import Store
from studio.conftest import BASE, login, server_app, token

ROWS = [{"messages": [{"role": "user", "content": f"<b>How</b> do I {t} for order {i}?"},
                      {"role": "assistant", "content": "Like this."}]}
        for i, t in enumerate(["reset my password", "get a refund", "change my address"] * 10)]


@pytest.fixture
def web(store: Store) -> Iterator[TestClient]:
    with TestClient(server_app(store), base_url=BASE) as client:
        yield client


def test_profile_page_profiles_and_shows_histograms(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha").create("chats", ROWS, kind="chat")
    version_page = web.get("/projects/alpha/datasets/chats/1").text
    assert "/projects/alpha/datasets/chats/1/profile" in version_page
    empty = web.get("/projects/alpha/datasets/chats/1/profile")
    assert empty.status_code == 200 and "has not been profiled yet" in empty.text
    csrf = token(web, "/projects/alpha/datasets/chats/1/profile")
    done = web.post("/projects/alpha/datasets/chats/1/profile", data={"csrf_token": csrf, "sample": "100"},
                    follow_redirects=False)
    assert done.status_code == 303
    page = web.get("/projects/alpha/datasets/chats/1/profile").text
    assert "30" in page and 'id="columns"' in page and "messages per chat" in page
    charts = json.loads(re.search(r'id="histogram-data">(.*?)</script>', page, re.S).group(1))
    assert {c["title"] for c in charts} >= {"messages: characters", "messages: tokens (words)"}
    assert all(sum(c["counts"]) == 30 for c in charts)
    assert web.get("/projects/alpha/datasets/chats/9/profile").status_code == 404
    refused = web.post("/projects/alpha/datasets/chats/1/profile", data={"sample": "100"})
    assert refused.status_code == 403  # no CSRF token


def test_quality_runs_show_steps_with_examples(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha").create("chats", ROWS, kind="chat")
    result = QualityService(store, "alpha").clean("chats", [{"op": "strip_html"}, {"op": "length", "min_chars": 48}])
    listing = web.get("/projects/alpha/quality").text
    assert result.run_id[:12] in listing and "clean" in listing
    page = web.get(f"/projects/alpha/quality/runs/{result.run_id}").text
    assert "1:strip_html" in page and "2:length" in page and "&lt;b&gt;How&lt;/b&gt;" in page  # escaped example
    assert "removed.parquet" in page


def test_prompt_map_page_and_selection_to_a_dataset(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha").create("chats", ROWS, kind="chat")
    csrf = token(web, "/projects/alpha/quality/map")
    made = web.post("/projects/alpha/quality/map", data={"csrf_token": csrf, "ref": "chats"}, follow_redirects=False)
    assert made.status_code == 303
    page = web.get(made.headers["location"]).text
    points = json.loads(re.search(r'id="map-data">(.*?)</script>', page, re.S).group(1))
    assert len(points) == 30 and {"x", "y", "cluster", "text", "id"} <= set(points[0])
    run_id = made.headers["location"].split("run=")[1]
    saved = web.post(f"/projects/alpha/quality/map/{run_id}/selection",
                     data={"csrf_token": csrf, "name": "picked", "ids": "0,3,6"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/projects/alpha/datasets/picked/1"
    rows = DatasetService(store, "alpha").head("picked", 10)
    assert [r["source_row"] for r in rows] == [0, 3, 6] and rows[0]["prompt"].startswith("<b>How</b>")
    assert DatasetService(store, "alpha").get("picked").source_run_id == run_id
    from genloop.review import ReviewService

    review = ReviewService(store, "alpha")
    review.create_schema("ok", [{"name": "relevant", "type": "boolean"}])
    review.create_queue("triage", "ok")
    queued = web.post(f"/projects/alpha/quality/map/{run_id}/selection",
                      data={"csrf_token": csrf, "name": "picked", "ids": "1,2", "queue": "triage"},
                      follow_redirects=False)
    assert queued.status_code == 303 and review.progress("triage").items == 2
    missing_queue = web.post(f"/projects/alpha/quality/map/{run_id}/selection",
                             data={"csrf_token": csrf, "name": "picked", "ids": "4", "queue": "nope"})
    assert missing_queue.status_code == 404 and DatasetService(store, "alpha").get("picked").version == 2
    bad = web.post("/projects/alpha/quality/map", data={"csrf_token": csrf, "ref": "missing"})
    assert bad.status_code == 400 and "missing" in bad.text
    nothing = web.post(f"/projects/alpha/quality/map/{run_id}/selection",
                       data={"csrf_token": csrf, "name": "none", "ids": ""})
    assert nothing.status_code == 400


def test_access_follows_the_rest_api(settings: Settings) -> None:
    store = Store(settings.model_copy(update={"auth": True}))
    try:
        DatasetService(store, "alpha").create("chats", ROWS, kind="chat")
        with TestClient(server_app(store), base_url=BASE) as web:
            login(web, KeyService(store, "alpha").create("reader", scopes=["read"]).key)
            assert web.get("/projects/alpha/datasets/chats/1/profile").status_code == 200
            assert web.get("/projects/beta/quality").status_code == 403
            csrf = token(web, "/projects/alpha/quality")
            denied = web.post("/projects/alpha/datasets/chats/1/profile", data={"csrf_token": csrf})
            assert denied.status_code == 403
    finally:
        store.close()
