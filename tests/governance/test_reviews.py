"""Promotion policies, the guard, reviews and decisions, on SQLite and PostgreSQL (services in-process)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from tests.governance.conftest import POLICY, eval_spec

from genloop.errors import Conflict, Forbidden, InvalidInput
from genloop.evals import EvalService
from genloop.governance import PolicyService, ReviewService
from genloop.models import ModelService
from genloop.store import Store
from genloop.store._registry import AuditEvent


def test_no_policy_changes_nothing(store: Store) -> None:
    models = ModelService(store)
    models.register("free", kind="provider", uri="mock:a")
    assert models.alias("free@1", "production").aliases == ["production"]


def test_protected_alias_refused_with_each_missing_requirement(world: Store) -> None:
    with pytest.raises(Conflict) as info:
        ModelService(world, actor="user:alice").alias("bot@2", "production")
    missing = info.value.details["missing"]
    assert any("exact_match>=0.5" in m for m in missing)
    assert any(m.startswith("safety: attacks@1") for m in missing)
    assert any("approval" in m for m in missing)
    assert info.value.status_code == 409 and "genloop governance review request" in (info.value.hint or "")
    assert ModelService(world).get("bot@2").aliases == []  # nothing half-written
    ModelService(world).alias("bot@2", "staging")  # another alias is not protected


def test_missing_eval_run_is_named(world: Store) -> None:
    review = ReviewService(world, actor="user:alice").request("bot@2", target="production")
    assert not review.passed and review.status == "pending"
    gate = next(c for c in review.evidence.checks if c.kind == "evaluation")
    assert "evaluation 'qa' has no succeeded run of model:bot@2" in gate.message
    safety = next(c for c in review.evidence.checks if c.kind == "safety")
    assert safety.passed and safety.details["attacks"] == 2
    with pytest.raises(Conflict, match="cannot be approved: missing: evaluation 'qa'"):
        ReviewService(world, actor="user:bob").decide(review.id, "approve")
    with pytest.raises(Conflict, match=f"review #{review.id} is pending"):
        ModelService(world, actor="user:alice").alias("bot@2", "production")


def test_review_approved_by_second_user_promotes(world: Store) -> None:
    EvalService(world).run(eval_spec("bot@2"))
    review = ReviewService(world, actor="user:alice").request("bot@2", target="production")
    assert review.passed, review.evidence.missing
    kinds = {c.kind: c for c in review.evidence.checks}
    assert kinds["bias"].passed and kinds["bias"].details["slices"] == {"en": 1.0, "fr": 0.5}
    assert kinds["no_regression"].message.startswith("production points at no other version")
    assert review.evidence.lineage["created_by"] == "user:alice"
    assert review.evidence.evaluations and review.evidence.evaluations[0]["eval"] == "qa"
    with pytest.raises(Forbidden, match="author"):
        ReviewService(world, actor="user:alice").decide(review.id, "approve")
    decided = ReviewService(world, actor="user:bob").decide(review.id, "approve", comment="looks good")
    assert decided.status == "approved" and decided.decided_by == "user:bob"
    version = ModelService(world).get("bot@production")
    assert (version.version, version.status) == (2, "approved")
    # a second version is compared with the production one (no regression on shared items)
    ModelService(world, actor="user:alice").register("bot", kind="provider", uri="mock:echo-3")
    EvalService(world).run(eval_spec("bot@3"))
    again = ReviewService(world, actor="user:carol").request("bot@3")
    check = next(c for c in again.evidence.checks if c.kind == "no_regression")
    assert check.passed and "no metric significantly worse" in check.message
    assert again.evidence.evaluations[0]["compared_with"]
    with pytest.raises(Forbidden, match="requester"):
        ReviewService(world, actor="user:carol").decide(again.id, "approve")
    with world.db.read() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.entity_name == "bot"))]
    assert {"review_request", "review_decide", "review_refused", "status", "label"} <= set(actions)
    # removing the protected alias is refused too (it would leave a following deployment nothing reviewed)
    with pytest.raises(Conflict, match="protected by policy") as removal:
        ModelService(world, actor="user:bob").unalias("bot", "production")
    assert "genloop governance policies disable" in (removal.value.hint or "")
    assert ModelService(world).get("bot@production").version == 2


def test_failing_bias_and_rejection(world: Store) -> None:
    PolicyService(world, actor="user:lead").set({**POLICY, "bias": [
        {"eval": "qa", "metric": "exact_match", "column": "language", "max_gap": 0.1}]})
    EvalService(world).run(eval_spec("bot@2"))
    review = ReviewService(world, actor="user:alice").request("bot@2")
    bias = next(c for c in review.evidence.checks if c.kind == "bias")
    assert not bias.passed and "gap 0.500 > 0.1: fail" in bias.message
    rejected = ReviewService(world, actor="user:bob").decide(review.id, "reject", comment="biased")
    assert rejected.status == "rejected"
    with pytest.raises(Conflict, match="already decided"):
        ReviewService(world, actor="user:bob").decide(review.id, "request_changes")
    with pytest.raises(Conflict, match="rejected"):
        ModelService(world, actor="user:alice").alias("bot@2", "production")


def test_two_reviewers_at_once_leave_one_decision(world: Store) -> None:
    EvalService(world).run(eval_spec("bot@2"))
    review = ReviewService(world, actor="user:alice").request("bot@2")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def decide(who: str, decision: str) -> None:
        barrier.wait()
        try:
            outcomes[who] = ReviewService(world, actor=who).decide(review.id, decision).status
        except Conflict as exc:
            outcomes[who] = exc

    threads = [threading.Thread(target=decide, args=("user:bob", "approve")),
               threading.Thread(target=decide, args=("user:dan", "reject"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [v for v in outcomes.values() if isinstance(v, str)]
    assert len(winners) == 1, outcomes
    final = ReviewService(world).get(review.id)
    assert final.status == winners[0]
    with world.db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(("review_decide", "review_refused"))))
        attempts = {(e.actor, e.action) for e in events}
    assert {a for a, _ in attempts} == {"user:bob", "user:dan"}
    assert {act for _, act in attempts} == {"review_decide", "review_refused"}


def test_bad_policies_are_refused_with_the_field(store: Store) -> None:
    policies = PolicyService(store)
    with pytest.raises(InvalidInput, match="invalid policy: target"):
        policies.set({"name": "p"})
    with pytest.raises(InvalidInput, match="invalid gate"):
        policies.set({**POLICY, "evaluations": [{"eval": "qa", "gates": ["exact_match >> 1"]}]})
    with pytest.raises(InvalidInput, match="target.kind"):
        policies.set({**POLICY, "target": {"kind": "dataset"}})
    first = policies.set(POLICY)
    second = policies.set({**POLICY, "description": "v2"})
    assert (first.version, second.version) == (1, 2)
    assert policies.get("prod-gate").spec.description == "v2"
    assert policies.get("prod-gate", 1).spec.description == ""
    off = policies.disable("prod-gate")
    assert not off.active
    ModelService(store).register("bot", kind="provider", uri="mock:a")
    ModelService(store).alias("bot@1", "production")  # a disabled policy guards nothing


def test_a_plugin_guard_through_the_public_hook(store: Store) -> None:
    from genloop.hookspecs import hookimpl
    from genloop.plugins import get_plugin_manager
    from genloop.store._guards import PromotionChange

    seen: list[PromotionChange] = []

    class FreezePlugin:
        @hookimpl
        def register_promotion_guards(self, register) -> None:  # type: ignore[no-untyped-def]
            def guard(session, change: PromotionChange) -> None:  # type: ignore[no-untyped-def]
                seen.append(change)
                if change.target == "frozen":
                    raise Conflict(f"{change.name} is frozen")

            register(guard)

    plugin = FreezePlugin()
    get_plugin_manager().register(plugin)
    try:
        models = ModelService(store)
        models.register("m", kind="provider", uri="mock:a")
        models.alias("m@1", "champion")
        with pytest.raises(Conflict, match="m is frozen"):
            models.alias("m@1", "frozen")
        assert models.get("m@1").aliases == ["champion"]
        assert [(c.entity_type, c.name, c.target, c.version) for c in seen] == [
            ("model", "m", "champion", 1), ("model", "m", "frozen", 1)]
    finally:
        get_plugin_manager().unregister(plugin)
