"""Promotion reviews: request one (evidence gathered automatically), list, show, and decide it once.

A decision is one conditional update (``WHERE status = 'pending'``), so of two reviewers deciding at once
exactly one wins; the other is refused and its attempt is audited too. Approval moves the alias or label in
the same transaction (the promotion guard sees the approved review) and the model's status moves with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from genloop.errors import Conflict, Forbidden, Hint, InvalidInput, NotFound
from genloop.governance._evidence import gather
from genloop.governance._lineage import deployment_facts, subject_facts
from genloop.governance._policies import policy_for
from genloop.governance._schemas import Decision, Evidence, ReviewInfo
from genloop.governance._spec import PolicySpec
from genloop.governance._tables import ReviewRow
from genloop.refs import validate_label
from genloop.store import Store, utcnow
from genloop.store._registry import ensure_project, find_project, labels_of, record_audit

__all__ = ["ReviewService", "same_person"]

_OUTCOME = {"approve": "approved", "request_changes": "changes_requested", "reject": "rejected"}


def same_person(a: str, b: str) -> bool:
    """Whether two actor strings (``user:alice``, ``key:ci``, ``alice``) are the same person."""
    import genloop.auth

    actor_user: Any = getattr(genloop.auth, "actor_user", None)  # G1's user lookup, when present
    if actor_user is not None:
        ua, ub = actor_user(a), actor_user(b)
        if ua is not None and ub is not None:
            return bool(ua == ub)
    return a.removeprefix("user:") == b.removeprefix("user:")


def parse_subject(ref: str) -> tuple[str, str]:
    """``model:NAME@N`` / ``prompt:NAME@N`` / ``NAME@N`` (a model) -> (entity type, plain ref)."""
    kind, sep, rest = ref.partition(":")
    if sep and kind in ("model", "prompt", "deployment"):
        return kind, rest
    if sep:
        raise InvalidInput(f"cannot review {ref!r}", hint="review model:NAME@N, prompt:NAME@N or deployment:NAME")
    return "model", ref


class ReviewService:
    """Promotion reviews of one project; ``actor`` requests and decides."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    def request(self, ref: str, *, target: str = "production", changes: dict[str, Any] | None = None) -> ReviewInfo:
        """Open a review of the version ``ref`` resolves to for ``target``, with its evidence gathered now.

        A deployment update is reviewed before it exists: ``ref`` is ``deployment:NAME``, ``target`` is ``update``
        and ``changes`` the spec fields it changes; approval adds that version (if nothing changed meanwhile).
        """
        validate_label(target)
        entity_type, plain = parse_subject(ref)
        if entity_type == "deployment":
            if target != "update" or not changes:
                raise InvalidInput("a deployment review needs target 'update' and the changes to review",
                                   hint=Hint(cli="pass --target update --changes CHANGES.yaml",
                                             sdk="pass target='update', changes={...}",
                                             rest='send "target": "update" and "changes"'))
            facts = deployment_facts(self.store, self.project, plain, changes, self.actor)
        elif changes:
            raise InvalidInput("changes apply to a deployment review only", hint="drop the changes")
        else:
            facts = subject_facts(self.store, self.project, entity_type, plain)
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            policy = policy_for(session, project.id, entity_type, facts.name, target) if project else None
            current = labels_of(session, project.id, entity_type, facts.name).get(target) if project else None
        if entity_type == "deployment":
            current = facts.version - 1
        spec = PolicySpec.model_validate(policy.spec) if policy is not None else None
        evidence = gather(self.store, self.project, entity_type=entity_type, name=facts.name, version=facts.version,
                          target=target, current=current, author=facts.author, policy=spec, lineage=facts.lineage)
        passed = not evidence.missing

        def write(session: Session) -> ReviewInfo:
            project = ensure_project(session, self.project, self.actor)
            row = ReviewRow(project_id=project.id, entity_type=entity_type, entity_name=facts.name,
                            version=facts.version, target=target, policy_name=policy.name if policy else None,
                            policy_version=policy.version if policy else None, status="pending",
                            author=facts.author, requested_by=self.actor, evidence=evidence.model_dump(mode="json"),
                            passed=passed, comment="")
            session.add(row)
            session.flush()
            record_audit(session, project, self.actor, "review_request", entity_type, facts.name,
                         version=facts.version, after={"review": row.id, "target": target, "passed": passed,
                                                       "missing": evidence.missing})
            return _info(row)

        return self.store.db.write(write)

    def get(self, review_id: int) -> ReviewInfo:
        """One review with its evidence and decision."""
        with self.store.db.read() as session:
            return _info(self._row(session, review_id))

    def list(self, *, status: str | None = None, ref: str | None = None, limit: int = 50) -> list[ReviewInfo]:
        """Reviews, newest first, optionally only ``status`` or only those of ``ref`` (NAME or NAME@N)."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return []
            query = select(ReviewRow).where(ReviewRow.project_id == project.id)
            if status is not None:
                if status not in _OUTCOME.values() and status != "pending":
                    raise InvalidInput(f"unknown review status {status!r}",
                                       hint="use pending, approved, changes_requested or rejected")
                query = query.where(ReviewRow.status == status)
            if ref is not None:
                entity_type, plain = parse_subject(ref)
                name, _, version = plain.partition("@")
                query = query.where(ReviewRow.entity_type == entity_type, ReviewRow.entity_name == name)
                if version.isdigit():
                    query = query.where(ReviewRow.version == int(version))
            rows = session.scalars(query.order_by(ReviewRow.id.desc()).limit(max(1, min(limit, 1000))))
            return [_info(row) for row in rows]

    def decide(self, review_id: int, decision: Decision | str, *, comment: str = "") -> ReviewInfo:
        """Approve (promotes), request changes, or reject review ``review_id``, once; audited either way."""
        if decision not in _OUTCOME:
            raise InvalidInput(f"unknown decision {decision!r}", hint="use approve, request_changes or reject")
        if not isinstance(comment, str) or len(comment) > 10_000:
            raise InvalidInput("a comment must be text of at most 10000 characters")
        current = self.get(review_id)
        for who, role in ((current.author, "author"), (current.requested_by, "requester")):
            if who and same_person(self.actor, who):
                self._refused(current, decision, f"the reviewer is the {role}")
                raise Forbidden(f"{self.actor} cannot decide review #{review_id}: they are its {role}",
                                hint="a reviewer who is not the author must decide it")
        if decision == "approve" and not current.passed:
            self._refused(current, decision, "requirements missing")
            raise Conflict(f"review #{review_id} cannot be approved: missing: {'; '.join(current.evidence.missing)}",
                           hint=f"fix them, then request a new review of {current.subject}")
        try:
            result = self.store.db.write(lambda session: self._decide(session, current, decision, comment))
        except Conflict as exc:
            self._refused(current, decision, exc.message)
            raise
        self.store.cache.invalidate(current.entity_type, self.project)
        return result

    def _decide(self, session: Session, review: ReviewInfo, decision: str, comment: str) -> ReviewInfo:
        status = _OUTCOME[decision]
        done = session.execute(
            update(ReviewRow).where(ReviewRow.id == review.id, ReviewRow.status == "pending")
            .values(status=status, decided_by=self.actor, comment=comment, decided_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            row = self._row(session, review.id)
            raise Conflict(f"review #{review.id} was already decided ({row.status} by {row.decided_by})",
                           hint="request a new review to decide again")
        project = ensure_project(session, self.project, self.actor)
        record_audit(session, project, self.actor, "review_decide", review.entity_type, review.name,
                     version=review.version, after={"review": review.id, "decision": decision, "comment": comment,
                                                    "target": review.target})
        if decision == "approve":
            _promote(session, self.store, self.project, review, self.actor)
        row = self._row(session, review.id)
        session.refresh(row)
        return _info(row)

    def _refused(self, review: ReviewInfo, decision: str, reason: str) -> None:
        """Audit a decision attempt that was refused, in its own transaction (the refusal itself rolls back)."""

        def write(session: Session) -> None:
            project = ensure_project(session, self.project, self.actor)
            record_audit(session, project, self.actor, "review_refused", review.entity_type, review.name,
                         version=review.version, after={"review": review.id, "decision": decision, "reason": reason})

        self.store.db.write(write)

    def _row(self, session: Session, review_id: int) -> ReviewRow:
        project = find_project(session, self.project)
        row = session.get(ReviewRow, review_id) if isinstance(review_id, int) and 0 < review_id < 2**31 else None
        if row is None or project is None or row.project_id != project.id:
            raise NotFound(f"review #{review_id} does not exist in project {self.project!r}",
                           hint="list reviews with: genloop governance review list")
        return row


def _promote(session: Session, store: Store, project: str, review: ReviewInfo, actor: str) -> None:
    """Move the target to the reviewed version (the guard sees the approved review); a model becomes approved;
    a deployment update is added as the version reviewed, unless the deployment changed meanwhile."""
    if review.entity_type == "deployment":
        from genloop.deployments import DeploymentService

        service = DeploymentService(store, project, actor)
        current = service.get(review.name)
        if current.version != review.version - 1:
            raise Conflict(f"deployment {review.name} changed since review #{review.id} was requested (now at "
                           f"version {current.version})", hint="request a new review of the update")
        service.apply_reviewed(session, review.name, review.evidence.lineage["spec"],
                               message=f"review #{review.id} approved by {actor}")
        return
    if review.entity_type == "prompt":
        from genloop.prompts._service import KIND as PROMPTS

        PROMPTS.set_label(session, project, f"{review.name}@{review.version}", review.target, actor)
        return
    from genloop.models._service import MODELS

    proj, parent, row = MODELS.resolve(session, project, f"{review.name}@{review.version}")
    if row.status == "retired":
        raise Conflict(f"model {review.subject} is retired and cannot take {review.target!r}")
    MODELS.set_label(session, project, f"{review.name}@{review.version}", review.target, actor)
    if row.status in ("draft", "reviewed"):
        old, row.status = row.status, "approved"
        record_audit(session, proj, actor, "status", "model", parent.name, version=row.version,
                     before={"status": old}, after={"status": "approved", "reason": f"review #{review.id} approved"})


def _info(row: ReviewRow) -> ReviewInfo:
    evidence: Any = Evidence.model_validate(row.evidence or {"subject": "", "target": row.target})
    return ReviewInfo(
        id=row.id, subject=f"{row.entity_type}:{row.entity_name}@{row.version}", entity_type=row.entity_type,
        name=row.entity_name, version=row.version, target=row.target,
        policy=f"{row.policy_name}@{row.policy_version}" if row.policy_name else None, status=row.status,  # type: ignore[arg-type]
        passed=row.passed, author=row.author, requested_by=row.requested_by, evidence=evidence,
        decided_by=row.decided_by, comment=row.comment, decided_at=row.decided_at, created_at=row.created_at,
    )
