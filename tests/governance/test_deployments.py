"""A promotion policy on deployment updates: an update is reviewed before it exists and added on approval."""

from __future__ import annotations

import pytest

from genloop.deployments import DeploymentService
from genloop.errors import Conflict, Forbidden, InvalidInput
from genloop.governance import PolicyService, ReviewService
from genloop.store import Store

GUARDED = {"rules": [{"check": "prompt_injection", "on": "input", "action": "block"}]}


def test_deployment_update_needs_an_approved_review(store: Store) -> None:
    from tests.governance.conftest import ATTACKS

    from genloop.datasets import DatasetService

    DatasetService(store).create("attacks", ATTACKS, kind="generic")
    deployments = DeploymentService(store, actor="user:alice")
    deployments.create("assistant", variants=[{"model": "mock:echo"}])
    PolicyService(store).set({"name": "deploy-gate", "target": {"kind": "deployment", "label": "update"},
                              "safety": {"policy": "proposed", "attack_set": "attacks@1", "min_block_rate": 0.5}})
    with pytest.raises(Conflict) as blocked:
        deployments.update("assistant", guardrails=GUARDED)
    assert any(m.startswith("safety: attacks@1") for m in blocked.value.details["missing"])
    assert deployments.get("assistant").version == 1
    with pytest.raises(InvalidInput, match="target 'update'"):
        ReviewService(store, actor="user:alice").request("deployment:assistant")
    with pytest.raises(InvalidInput, match="leave deployment assistant as it is"):
        ReviewService(store, actor="user:alice").request("deployment:assistant", target="update",
                                                         changes={"variants": [{"model": "mock:echo"}]})
    unsafe = ReviewService(store, actor="user:alice").request("deployment:assistant", target="update",
                                                              changes={"timeout_s": 30})
    assert not unsafe.passed and "has no guardrail policy" in unsafe.evidence.missing[0]
    review = ReviewService(store, actor="user:alice").request("deployment:assistant", target="update",
                                                              changes={"guardrails": GUARDED})
    assert review.passed and review.subject == "deployment:assistant@2", review.evidence.missing
    with pytest.raises(Forbidden):
        ReviewService(store, actor="user:alice").decide(review.id, "approve")
    ReviewService(store, actor="user:bob").decide(review.id, "approve")
    applied = deployments.get("assistant")
    assert applied.version == 2 and applied.guardrails is not None
    # a review of an update goes stale when the deployment changes before the decision
    stale = ReviewService(store, actor="user:alice").request("deployment:assistant", target="update",
                                                             changes={"timeout_s": 31})
    other = ReviewService(store, actor="user:alice").request("deployment:assistant", target="update",
                                                             changes={"timeout_s": 32})
    ReviewService(store, actor="user:bob").decide(other.id, "approve")
    with pytest.raises(Conflict, match="changed since review"):
        ReviewService(store, actor="user:bob").decide(stale.id, "approve")
    assert ReviewService(store).get(stale.id).status == "pending"
    with pytest.raises(InvalidInput, match="deployment policy checks safety and approval only"):
        PolicyService(store).set({"name": "bad", "target": {"kind": "deployment", "label": "update"},
                                  "evaluations": [{"eval": "qa", "gates": ["x>=1"]}]})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the CLI is thin; the service test above runs on PG
def test_deployment_review_through_the_cli(cli, store: Store, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    DeploymentService(store, actor="user:alice").create("assistant", variants=[{"model": "mock:echo"}])
    PolicyService(store).set({"name": "deploy-gate", "target": {"kind": "deployment", "name": "assistant",
                                                                 "label": "update"}})
    refused = cli("deployments", "update", "assistant", "--timeout", "30")
    assert refused.code == 1 and "needs an approved review" in refused.err, refused.err
    changes = tmp_path / "changes.yaml"
    changes.write_text("timeout_s: 30\n", encoding="utf-8")
    monkeypatch.setenv("GENLOOP_ACTOR", "user:alice")
    opened = cli("governance", "review", "request", "deployment:assistant", "--target", "update",
                 "--changes", str(changes))
    assert opened.code == 0 and "deployment:assistant@2 -> update" in opened.out, opened.err
    monkeypatch.setenv("GENLOOP_ACTOR", "user:bob")
    review_id = opened.out.split("#", 1)[1].split(":", 1)[0]
    decided = cli("governance", "review", "decide", review_id, "approve")
    assert decided.code == 0 and "deployment assistant is now version 2" in decided.out, decided.err
    assert DeploymentService(store).get("assistant").timeout_s == 30
