"""Gather a review's evidence: the version's evaluation runs and their comparison with the current version,
each policy requirement checked (gates, no regression, safety, bias), and the lineage (data, base, run, author).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from genloop.errors import GenLoopError
from genloop.evals import EvalService
from genloop.evals._gates import check_gates
from genloop.governance._schemas import Check, Evidence
from genloop.governance._spec import BiasRule, EvalRule, PolicySpec, SafetyRule
from genloop.runs._tables import RunRefRow, RunRow
from genloop.store import Store
from genloop.store._registry import find_project

__all__ = ["eval_runs_of", "gather"]


def eval_runs_of(store: Store, project: str, entity_type: str, name: str, version: int,
                 eval_name: str | None = None) -> list[RunRow]:
    """Succeeded evaluation runs that read ``entity_type:name@version``, newest first."""
    with store.db.read() as session:
        proj = find_project(session, project)
        if proj is None:
            return []
        query = (select(RunRow).join(RunRefRow, RunRefRow.run_id == RunRow.id)
                 .where(RunRow.project_id == proj.id, RunRow.kind == "eval", RunRow.status == "succeeded",
                        RunRefRow.direction == "input", RunRefRow.entity_type == entity_type,
                        RunRefRow.entity_name == name, RunRefRow.version == version))
        if eval_name is not None:
            query = query.where(RunRow.name == eval_name)
        return list(session.scalars(query.order_by(RunRow.started_at.desc(), RunRow.id.desc())).unique())


def gather(store: Store, project: str, *, entity_type: str, name: str, version: int, target: str, current: int | None,
           author: str, policy: PolicySpec | None, lineage: dict[str, Any]) -> Evidence:
    """The evidence of one review; every check is computed now, from the store."""
    evals = EvalService(store, project)
    subject = f"{entity_type}:{name}@{version}"
    evidence = Evidence(subject=subject, target=target, author=author, lineage=lineage,
                        current=f"{entity_type}:{name}@{current}" if current is not None else None)
    compared: set[str] = set()
    for run in eval_runs_of(store, project, entity_type, name, version)[:20]:
        # the newest run of each evaluation is compared with the current version; older ones show their metrics
        entry = _evaluation(store, project, evals, run, entity_type, name,
                            current if run.name not in compared else None, version)
        compared.add(run.name)
        evidence.evaluations.append(entry)
    if policy is None:
        return evidence
    for rule in policy.evaluations:
        evidence.checks += _eval_checks(store, project, evals, rule, entity_type, name, version, current, target)
    if policy.safety is not None:
        evidence.checks.append(_safety(store, project, policy.safety, lineage.get("spec")))
    for bias in policy.bias:
        evidence.checks.append(_bias(store, project, evals, bias, entity_type, name, version))
    if policy.approval.required:
        evidence.checks.append(Check(requirement="approval by a reviewer who is not the author", kind="approval",
                                     passed=False, message=f"waiting for a reviewer other than {author or 'the author'}"))
    return evidence


def _evaluation(store: Store, project: str, evals: EvalService, run: RunRow, entity_type: str, name: str,
                current: int | None, version: int) -> dict[str, Any]:
    """One run of the version: its metrics, and (when the target has a version) the comparison with it."""
    entry: dict[str, Any] = {"run_id": run.id, "eval": run.name, "metrics": dict(run.metrics or {}),
                             "started_at": run.started_at.isoformat()}
    if current is not None and current != version:
        baseline = eval_runs_of(store, project, entity_type, name, current, run.name)
        if baseline:
            try:
                comparison = evals.compare(baseline[0].id, run.id)
            except GenLoopError as exc:
                entry["comparison_error"] = exc.message
            else:
                entry["compared_with"] = baseline[0].id
                entry["comparison"] = [
                    {"metric": m.metric, "current": m.mean_a, "candidate": m.mean_b, "delta": m.delta,
                     "ci_low": m.ci_low, "ci_high": m.ci_high, "p_value": m.p_value, "significant": m.significant}
                    for m in comparison.metrics]
    return entry


def _missing_run(rule_eval: str, requirement: str, kind: Any, subject: str) -> Check:
    return Check(requirement=requirement, kind=kind, passed=False,
                 message=f"evaluation {rule_eval!r} has no succeeded run of {subject}; run it with: "
                         f"genloop eval run SPEC.yaml (spec name {rule_eval!r}, candidate {subject.split(':', 1)[1]})")


def _eval_checks(store: Store, project: str, evals: EvalService, rule: EvalRule, entity_type: str, name: str,
                 version: int, current: int | None, target: str) -> list[Check]:
    subject = f"{entity_type}:{name}@{version}"
    runs = eval_runs_of(store, project, entity_type, name, version, rule.eval)
    regression = f"evaluation {rule.eval!r}: no regression against the current {target}"
    if not runs:
        names = [f"evaluation {rule.eval!r}: {gate}" for gate in rule.gates] + ([regression] if rule.no_regression
                                                                                else [])
        return [_missing_run(rule.eval, n, "evaluation", subject) for n in names]
    run = runs[0]
    result = evals.get(run.id)
    checks = [Check(requirement=f"evaluation {rule.eval!r}: {g.gate}", kind="evaluation", passed=g.passed,
                    message=g.message, run_id=run.id) for g in check_gates(result, rule.gates)]
    if rule.no_regression:
        if current is None or current == version:
            checks.append(Check(requirement=regression, kind="no_regression", passed=True, run_id=run.id,
                                message=f"{target} points at no other version: nothing to regress from"))
        else:
            baseline = eval_runs_of(store, project, entity_type, name, current, rule.eval)
            if not baseline:
                checks.append(Check(requirement=regression, kind="no_regression", passed=False, run_id=run.id,
                                    message=f"evaluation {rule.eval!r} has no succeeded run of the current {target} "
                                            f"{entity_type}:{name}@{current} to compare with; run it on both"))
            else:
                gate = check_gates(result, [f"no_regression:{baseline[0].id}"], compare=evals.compare)[0]
                checks.append(Check(requirement=regression, kind="no_regression", passed=gate.passed,
                                    message=gate.message, run_id=run.id, details={"baseline_run": baseline[0].id}))
    return checks


def _safety(store: Store, project: str, rule: SafetyRule, proposed: dict[str, Any] | None = None) -> Check:
    from genloop.datasets import DatasetService
    from genloop.guardrails import evaluate_policy

    requirement = f"safety: {rule.attack_set}"
    try:
        policy = _guardrail_policy(store, project, rule.policy, proposed)
        rows = list(DatasetService(store, project).iter_rows(rule.attack_set))
        report = evaluate_policy(policy, rows, stage=rule.stage)
    except GenLoopError as exc:
        return Check(requirement=requirement, kind="safety", passed=False, message=exc.message)
    fails = []
    if report.block_rate < rule.min_block_rate:
        fails.append(f"block rate {report.block_rate:.3f} < {rule.min_block_rate}")
    if report.false_positive_rate > rule.max_false_positive_rate:
        fails.append(f"false-positive rate {report.false_positive_rate:.3f} > {rule.max_false_positive_rate}")
    summary = (f"policy {report.policy!r} on {report.attacks} attacks and {report.benign} benign rows: block rate "
               f"{report.block_rate:.3f} (min {rule.min_block_rate}), false-positive rate "
               f"{report.false_positive_rate:.3f} (max {rule.max_false_positive_rate})")
    return Check(requirement=requirement, kind="safety", passed=not fails,
                 message=summary + (": fail (" + "; ".join(fails) + ")" if fails else ": pass"),
                 details={"policy": report.policy, "policy_digest": report.policy_digest, "attacks": report.attacks,
                          "benign": report.benign, "block_rate": report.block_rate,
                          "false_positive_rate": report.false_positive_rate,
                          "per_category": {k: v.recall for k, v in report.per_category.items()}})


def _guardrail_policy(store: Store, project: str, policy: str | dict[str, Any],
                      proposed: dict[str, Any] | None) -> Any:
    from genloop.errors import InvalidInput
    from genloop.guardrails._policy import default_policy

    if isinstance(policy, dict):
        return policy
    if policy == "proposed":
        if proposed is None:
            raise InvalidInput("safety policy 'proposed' applies to deployment updates only")
        if not proposed.get("guardrails"):
            raise InvalidInput("the proposed deployment has no guardrail policy")
        return proposed["guardrails"]
    if policy == "default":
        return default_policy()
    if policy.startswith("deployment:"):
        from genloop.deployments import DeploymentService

        deployment = DeploymentService(store, project).get(policy.removeprefix("deployment:"))
        if not deployment.guardrails:
            raise InvalidInput(f"deployment {deployment.name!r} has no guardrail policy")
        return deployment.guardrails
    raise InvalidInput(f"unknown guardrail policy {policy!r}", hint="use default, deployment:NAME, proposed or a mapping")


def _bias(store: Store, project: str, evals: EvalService, rule: BiasRule, entity_type: str, name: str,
          version: int) -> Check:
    requirement = f"bias: {rule.metric} by {rule.column} (gap <= {rule.max_gap})"
    subject = f"{entity_type}:{name}@{version}"
    runs = eval_runs_of(store, project, entity_type, name, version, rule.eval)
    if not runs:
        return _missing_run(rule.eval, requirement, "bias", subject)
    result = evals.get(runs[0].id)
    candidate = result.candidates[-1] if result.candidates else None
    slices: dict[str, list[float]] = {}
    for item in evals.backend.all_items(runs[0].id):
        if candidate is not None and item.candidate != candidate:
            continue
        if rule.column not in item.inputs:
            return Check(requirement=requirement, kind="bias", passed=False, run_id=runs[0].id,
                         message=f"run {runs[0].id}'s items have no column {rule.column!r}; columns: "
                                 f"{', '.join(sorted(item.inputs))}")
        score = item.scores.get(rule.metric)
        if score is not None:
            slices.setdefault(str(item.inputs[rule.column]), []).append(float(score))
    means = {k: sum(v) / len(v) for k, v in sorted(slices.items()) if len(v) >= rule.min_slice}
    if len(means) < 2:
        return Check(requirement=requirement, kind="bias", passed=False, run_id=runs[0].id,
                     message=f"metric {rule.metric!r} has fewer than two slices of {rule.column!r} in run "
                             f"{runs[0].id} (found: {', '.join(means) or 'none'})")
    gap = max(means.values()) - min(means.values())
    detail = ", ".join(f"{k}={v:.3f} (n={len(slices[k])})" for k, v in means.items())
    return Check(requirement=requirement, kind="bias", passed=gap <= rule.max_gap, run_id=runs[0].id,
                 message=f"{rule.metric} by {rule.column}: {detail}; gap {gap:.3f} "
                         f"{'<=' if gap <= rule.max_gap else '>'} {rule.max_gap}: "
                         f"{'pass' if gap <= rule.max_gap else 'fail'}",
                 details={"slices": means, "counts": {k: len(v) for k, v in slices.items()}, "gap": gap})
