"""The promotion journey end to end: a tuned model is blocked from production (gates missing), evaluated against
the mock upstream, safety-checked, reviewed by a second user, promoted, and served by a deployment that follows
the alias, through a real gateway on loopback.

The tuning itself is recorded, not run (a ``tune`` run with its parameters, base model and data as lineage):
training is covered by tests/tuning; here the tuned weights are served behind an OpenAI-compatible endpoint
(the mock upstream, as vLLM would serve them) and registered as a version made by that run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.governance.conftest import ATTACKS, ROWS

from genloop.errors import Conflict, Forbidden, InvalidInput
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.server import BackgroundServer
from genloop.settings import Settings
from genloop.store import Store


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """The journey runs a gateway; the services under it are covered on PostgreSQL by test_reviews.py."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


def _store_as(store: Store, actor: str) -> Store:
    return Store(store.settings.model_copy(update={"actor": actor}))


@pytest.mark.slow
def test_tuned_model_blocked_then_reviewed_promoted_and_served(store: Store, tmp_path: Path) -> None:
    from genloop import Client
    from genloop.gateway import create_gateway_app

    alice_store, bob_store, lead_store = (_store_as(store, a) for a in ("user:alice", "user:bob", "user:lead"))
    with MockUpstreamServer() as v1_server, MockUpstreamServer() as v2_server, \
            Client(store=alice_store) as alice, Client(store=bob_store) as bob, Client(store=lead_store) as lead:
        # the current production model and the deployment that follows the alias (no policy yet)
        alice.datasets.create("golden", ROWS, kind="generic")
        alice.datasets.create("attacks", ATTACKS, kind="generic")
        alice.datasets.create("train", [{"prompt": f"say {i}", "completion": f"say {i}"} for i in range(8)],
                              kind="completion")
        weights = tmp_path / "tiny"
        weights.mkdir()
        (weights / "config.json").write_text("{}", encoding="utf-8")
        alice.models.register("tiny", kind="checkpoint", uri=str(weights))
        alice.models.register("bot", kind="provider", uri="openai:bot-v1", base_url=v1_server.url + "/v1")
        alice.models.alias("bot@1", "production")
        alice.deployments.create("assistant", variants=[{"model": "bot@production"}])
        lead.governance.policies.set({
            "name": "bot-production", "target": {"kind": "model", "name": "bot", "label": "production"},
            "evaluations": [{"eval": "qa", "gates": ["exact_match.ci_low>=0.4"], "no_regression": True}],
            "safety": {"policy": "default", "attack_set": "attacks@1", "min_block_rate": 0.5,
                       "max_false_positive_rate": 0.5},
            "bias": [{"eval": "qa", "metric": "exact_match", "column": "language", "max_gap": 0.6}],
        })
        # the tuned version: made by a tune run on the base model and the training data
        with alice.runs.run("tune", name="bot-sft", params={"method": "lora", "max_steps": 4, "lr": 5e-3},
                            inputs=["model:tiny@1", "dataset:train@1"]) as run:
            tuned = alice.models.register("bot", kind="provider", uri="openai:bot-v2",
                                          base_url=v2_server.url + "/v1", source_run_id=run.id)
        assert tuned.version == 2
        with pytest.raises(Conflict) as blocked:
            alice.models.alias("bot@2", "production")
        missing = blocked.value.details["missing"]
        assert any("exact_match.ci_low>=0.4" in m for m in missing) and any("approval" in m for m in missing)

        # evaluated through the mock upstream, the current production version too (for no_regression)
        for ref in ("bot@1", "bot@2"):
            alice.evals.run({"name": "qa", "dataset": "golden@1", "id_column": "id", "input_column": "question",
                             "candidates": [{"name": "bot", "model": ref}], "metrics": ["exact_match"]})
        review = alice.governance.reviews.request("bot@2", target="production")
        assert review.passed, review.evidence.missing
        checks = {c.kind: c for c in review.evidence.checks}
        assert checks["safety"].passed and checks["safety"].details["block_rate"] >= 0.5
        assert checks["no_regression"].passed and checks["no_regression"].details["baseline_run"]
        lineage = review.evidence.lineage
        assert lineage["run"]["params"]["method"] == "lora" and lineage["created_by"] == "user:alice"
        assert [d["dataset"] for d in lineage["data"]] == ["train@1"] and lineage["data"][0]["content_hash"]
        assert lineage["base"]["model"] == "tiny@1" and lineage["base"]["content_hash"].startswith("sha256:")
        with pytest.raises(Forbidden):
            alice.governance.reviews.decide(review.id, "approve")
        decided = bob.governance.reviews.decide(review.id, "approve", comment="gates and safety pass")
        assert decided.status == "approved"
        promoted = alice.models.get("bot@production")
        assert (promoted.version, promoted.status) == (2, "approved")

        # served: the deployment follows the alias, through a real gateway
        settings = Settings(**{**store.settings.model_dump(), "trace_flush_interval": 0.05})
        app = create_gateway_app(store, settings)
        with BackgroundServer(app) as srv:
            import httpx

            app.gateway.refresh_now()
            reply = httpx.post(f"{srv.url}/v1/chat/completions", timeout=20, json={
                "model": "assistant", "messages": [{"role": "user", "content": "say 3"}]})
            assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"] == "say 3"
            assert app.gateway.writer.flush(15)
        traces = alice.traces.list(deployment="assistant").items
        assert [t.model for t in traces] == ["bot@2"]
        card = alice.governance.cards.card("bot@production")
        assert "gates and safety pass" in card.markdown and "train@1" in card.markdown
        assert "- Base model: tiny@1 (sha256:" in card.markdown
        from fastapi.testclient import TestClient
        from tests.studio.conftest import BASE, server_app

        with TestClient(server_app(store), base_url=BASE) as web:
            page = web.get("/projects/default/model-cards/bot@production")
        assert page.status_code == 200 and "Training run" in page.text and "lora" in page.text

        # retired: no new deployment version may name it, the running deployment is flagged, evaluations still read it
        lead.compliance.retire("model", "bot@2", reason="superseded")
        assert lead.models.get("bot@2").status == "retired"
        with pytest.raises(InvalidInput, match="bot@2 is retired"):
            lead.deployments.update("assistant", message="touch", variants=[{"name": "main", "model": "bot@2"}])
        with TestClient(server_app(store), base_url=BASE) as web:
            health = web.get("/healthz").json()
            listing = web.get("/projects/default/deployments")
        assert any("bot@2 is retired" in w for w in health["retired"]["default/assistant"])
        assert "still uses retired versions" in listing.text
    for s in (alice_store, bob_store, lead_store):
        s.close()
