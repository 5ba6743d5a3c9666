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
