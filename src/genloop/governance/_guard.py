"""The promotion guard: a protected alias, label or deployment moves only to a version with an approved review.

Registered through ``register_promotion_guards`` (see ``_plugin.py``); ``genloop.store._guards`` calls it inside
the transaction that moves the label, so a refusal leaves nothing half-written.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Conflict
from genloop.governance._policies import policy_for
from genloop.governance._spec import PolicySpec
from genloop.governance._tables import ReviewRow
from genloop.store._guards import PromotionChange

__all__ = ["approved_review", "guard"]


def approved_review(session: Session, project_id: int, entity_type: str, name: str, version: int,
                    target: str) -> ReviewRow | None:
    """The newest approved review of ``entity_type`` ``name``@``version`` for ``target``, if any."""
    return session.scalar(select(ReviewRow).where(
        ReviewRow.project_id == project_id, ReviewRow.entity_type == entity_type, ReviewRow.entity_name == name,
        ReviewRow.version == version, ReviewRow.target == target, ReviewRow.status == "approved",
    ).order_by(ReviewRow.id.desc()).limit(1))


def guard(session: Session, change: PromotionChange) -> None:
    """Refuse ``change`` when a policy protects its target and the version has no approved review."""
    policy = policy_for(session, change.project_id, change.entity_type, change.name, change.target)
    if policy is None:
        return
    if change.removal:
        raise Conflict(
            f"{change.target!r} of {change.entity_type} {change.name} is protected by policy {policy.name!r}: "
            "removing it would leave whatever follows it with nothing reviewed to serve",
            hint=f"move it to a reviewed version instead, or stop enforcing the policy with: "
                 f"genloop governance policies disable {policy.name}",
            missing=["removal of a protected label"], policy=policy.name, review_id=None,
        )
    approved = approved_review(session, change.project_id, change.entity_type, change.name, change.version,
                               change.target)
    if approved is not None and (change.content_hash is None
                                 or (approved.evidence or {}).get("lineage", {}).get("spec_hash") == change.content_hash):
        return
    subject = f"{change.entity_type}:{change.name}@{change.version}"
    latest = session.scalar(select(ReviewRow).where(
        ReviewRow.project_id == change.project_id, ReviewRow.entity_type == change.entity_type,
        ReviewRow.entity_name == change.name, ReviewRow.version == change.version,
        ReviewRow.target == change.target).order_by(ReviewRow.id.desc()).limit(1))
    spec = PolicySpec.model_validate(policy.spec)
    if latest is not None:
        checks = (latest.evidence or {}).get("checks", [])
        missing = [f"{c['requirement']}: {c['message']}" for c in checks
                   if not c.get("passed") and c.get("kind") != "approval"]
        missing.append(f"approval: review #{latest.id} is {latest.status.replace('_', ' ')}")
        hint = (f"decide it with: genloop governance review decide {latest.id} approve" if latest.status == "pending"
                else f"request a new review with: genloop governance review request {subject} "
                     f"--target {change.target}")
    else:
        missing = [f"{name}: not checked (no review)" for name in spec.requirement_names()]
        hint = f"request a review with: genloop governance review request {subject} --target {change.target}"
    raise Conflict(
        f"{change.entity_type} {change.name}@{change.version} cannot take {change.target!r}: policy "
        f"{policy.name!r} needs an approved review; missing: {'; '.join(missing)}",
        hint=hint, missing=missing, policy=policy.name, review_id=latest.id if latest is not None else None,
    )
