"""Governance in Studio: the reviews page, one review's evidence and its decision form, the model card page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.governance.conftest import eval_spec
from tests.studio.conftest import BASE, csrf_of, server_app

from genloop.evals import EvalService
from genloop.governance import ReviewService
from genloop.models import ModelService
from genloop.store import Store


@pytest.fixture
def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """SQLite only: Studio draws what ReviewService reads, which test_reviews.py runs on PostgreSQL."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


def test_review_page_decision_and_card(world: Store) -> None:
    EvalService(world).run(eval_spec("bot@2"))
    review = ReviewService(world, actor="user:alice").request("bot@2")
    alice = Store(world.settings.model_copy(update={"actor": "user:alice"}))
    bob = Store(world.settings.model_copy(update={"actor": "user:bob"}))
    try:
        with TestClient(server_app(bob), base_url=BASE) as web:
            listing = web.get("/projects/default/governance")
            assert listing.status_code == 200 and f"#{review.id}" in listing.text and "prod-gate" in listing.text
            assert "/projects/default/model-cards/bot@2" in web.get(f"/projects/default/governance/reviews/{review.id}").text
            page = web.get(f"/projects/default/governance/reviews/{review.id}")
            assert page.status_code == 200 and "exact_match&gt;=0.5" in page.text and "Approve and move" in page.text
            answer = web.post(f"/projects/default/governance/reviews/{review.id}/decide", follow_redirects=False,
                              data={"decision": "approve", "comment": "<script>x</script>",
                                    "csrf_token": csrf_of(page.text)})
            assert answer.status_code == 303, answer.text
            after = web.get(f"/projects/default/governance/reviews/{review.id}").text
            assert "&lt;script&gt;x&lt;/script&gt;" in after and "<script>x</script>" not in after
            card = web.get("/projects/default/model-cards/bot@production")
            assert card.status_code == 200 and "Model card" in card.text and "user:bob" in card.text
            assert re.search(r"exact_match</td><td><span class=\"score\">0\.75", card.text)
            assert web.get("/projects/default/governance/reviews/4242").status_code == 404
        assert ModelService(world).get("bot@production").version == 2
        second = ReviewService(world, actor="user:alice").request("bot@1")
        with TestClient(server_app(alice), base_url=BASE) as web:
            page = web.get(f"/projects/default/governance/reviews/{second.id}")
            refused = web.post(f"/projects/default/governance/reviews/{second.id}/decide",
                               data={"decision": "reject", "csrf_token": csrf_of(page.text)})
            assert refused.status_code == 403 and "cannot decide" in refused.text
    finally:
        alice.close()
        bob.close()
