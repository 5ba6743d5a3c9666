"""The SDK in-process and over REST (one scenario both ways), the REST errors, and the ``annotate`` key scope."""

from __future__ import annotations

import httpx
import pytest

from genloop.auth import KeyService, install_auth
from genloop.errors import Conflict, InvalidInput, NotFound
from genloop.server import BackgroundServer

from .conftest import SCHEMA, record_traces

GOOD = {"helpfulness": 4, "safe": True, "fix": None}


def test_sdk_scenario_both_ways(client, store) -> None:  # type: ignore[no-untyped-def]
    record_traces(store, 3)
    review = client.review
    assert review.create_schema("quality", SCHEMA).ref == "quality@1"
    assert review.get_schema("quality").questions[4].type == "edit"
    queue = review.create_queue("q", "quality", ratings_per_item=1)
    assert queue.schema_ref == "quality@1" and queue.items == 0
    assert review.add_traces("q", {"deployment": "bot", "sample_rate": 1.0}) == 3
    assert review.add_items("q", [{"messages": [{"role": "user", "content": "hi"}], "answer": "hello"}]) == 1
    item = review.claim("q")
    with pytest.raises(InvalidInput, match=r"allowed: 1 \(bad\)"):
        review.submit("q", item.id, GOOD | {"helpfulness": 7})
    result = review.submit("q", item.id, GOOD | {"fix": "better"})
    assert result.item_done and result.next is not None
    with pytest.raises(Conflict, match="already rated"):
        review.submit("q", item.id, GOOD)
    after_skip = review.skip("q", result.next.id, later=True)
    assert after_skip is not None and after_skip.position == 2
    assert review.undo("q").id == item.id
    assert review.item("q", item.id).my_rating is None
    for bad_id in (0, -1, 2**70):  # never a server error, whatever the id
        with pytest.raises(NotFound, match="has no item"):
            review.item("q", bad_id)
    review.submit("q", item.id, GOOD | {"fix": "better"})
    progress = review.progress("q")
    assert (progress.items, progress.done, progress.ratings) == (4, 1, 1)
    assert review.ratings("q").items[0].answers["fix"] == "better"
    assert [q.name for q in review.list_queues()] == ["q"]
    exported = review.export("q", kind="sft", name="from-review")
    assert exported.rows == 1 and exported.dataset.kind == "chat"
    report = review.agreement("q")
    assert report.ratings == 1 and report.questions[0].items == 0


def test_annotate_scope_sees_only_its_queues(store) -> None:  # type: ignore[no-untyped-def]
    from genloop.review import ReviewService
    from genloop.server import create_app

    record_traces(store, 2)
    owner = ReviewService(store, actor="owner")
    owner.create_schema("quality", SCHEMA)
    owner.create_queue("mine", "quality", annotators=["ann"])
    owner.create_queue("theirs", "quality", annotators=["bob"])
    owner.create_queue("open", "quality")
    for name in ("mine", "theirs"):
        owner.add_traces(name)
    ann = KeyService(store).create("ann", scopes=["annotate"])
    app = create_app(store)
    install_auth(app, store)
    base = "/api/v1/projects/default/review"
    with BackgroundServer(app) as srv, httpx.Client(base_url=srv.url, headers={
            "authorization": f"Bearer {ann.key}"}) as http:
        assert [q["name"] for q in http.get(f"{base}/queues").json()] == ["mine"]
        assert http.get(f"{base}/queues/theirs").status_code == 403
        assert http.post(f"{base}/queues/open/claim").status_code == 403  # not named: not an annotator's queue
        item = http.post(f"{base}/queues/mine/claim").json()
        assert item["content"]["answer"] == "answer 1"
        bad = http.post(f"{base}/queues/mine/items/{item['id']}/submit", json={"answers": GOOD | {"safe": 3}})
        assert bad.status_code == 400 and "true or false" in bad.json()["error"]["hint"]
        done = http.post(f"{base}/queues/mine/items/{item['id']}/submit", json={"answers": GOOD})
        assert done.status_code == 201 and done.json()["rating"]["rater"] == "key:ann"
        assert http.get(f"{base}/queues/mine/progress").json()["mine"]["rated"] == 1
        # nothing else: not the ratings of others, not exports, not schemas, not other nouns
        assert http.get(f"{base}/queues/mine/ratings").status_code == 403
        assert http.post(f"{base}/queues/mine/export", json={"kind": "sft", "name": "x"}).status_code == 403
        assert http.post(f"{base}/schemas", json={"name": "s", "questions": SCHEMA}).status_code == 403
        assert http.get("/api/v1/projects/default/traces").status_code == 403
        assert http.post(f"{base}/queues/theirs/claim").status_code == 403
    assert [r.rater for r in owner.ratings("mine").items] == ["key:ann"]
