"""Model cards from the registry: intended use and limitations (the author's words), base model and data with
their hashes, the training run and its parameters, evaluation results with intervals, safety and bias results,
and the approvals; as Markdown, and exported next to the model's files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Forbidden, InvalidInput
from genloop.governance._evidence import eval_runs_of
from genloop.governance._lineage import model_lineage
from genloop.governance._reviews import same_person
from genloop.governance._schemas import ModelCard
from genloop.governance._tables import CardNotesRow, ReviewRow
from genloop.store import Store, utcnow
from genloop.store._registry import ensure_project, find_project, record_audit

__all__ = ["ModelCardService", "render_card"]

_MAX_NOTE = 20_000


class ModelCardService:
    """Model cards of one project; only a version's author writes its intended use and limitations."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    def card(self, ref: str) -> ModelCard:
        """The card of the model version ``ref`` resolves to, with its Markdown."""
        from genloop.models import ModelService

        version = ModelService(self.store, self.project).get(ref.removeprefix("model:"))
        lineage = model_lineage(self.store, self.project, version)
        card = ModelCard(model=version.ref, kind=version.kind, status=version.status, aliases=version.aliases,
                         created_by=version.created_by, created_at=version.created_at,
                         description=version.description, base=lineage["base"], training=lineage["run"],
                         data=lineage["data"])
        for run in eval_runs_of(self.store, self.project, "model", version.name, version.version)[:10]:
            card.evaluations.append({"run_id": run.id, "eval": run.name, "metrics": _with_intervals(run.metrics)})
        at_tuning = _tuning_evaluation(self.store, self.project, version.metadata or {})
        if at_tuning is not None and all(e["run_id"] != at_tuning["run_id"] for e in card.evaluations):
            card.evaluations.append(at_tuning)
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is not None:
                notes = _notes(session, project.id, version.name, version.version)
                if notes is not None:
                    card.intended_use, card.limitations = notes.intended_use, notes.limitations
                reviews = session.scalars(select(ReviewRow).where(
                    ReviewRow.project_id == project.id, ReviewRow.entity_type == "model",
                    ReviewRow.entity_name == version.name, ReviewRow.version == version.version,
                ).order_by(ReviewRow.id.desc())).all()
                for review in reviews:
                    if review.status != "pending":
                        card.approvals.append({"review": review.id, "target": review.target,
                                               "decision": review.status, "by": review.decided_by,
                                               "comment": review.comment, "at": _iso(review.decided_at)})
                newest = reviews[0] if reviews else None
                for check in ((newest.evidence or {}).get("checks", []) if newest is not None else []):
                    entry = {"requirement": check["requirement"], "passed": check["passed"],
                             "message": check["message"], "review": newest.id}  # type: ignore[union-attr]
                    if check["kind"] == "safety":
                        card.safety.append(entry)
                    elif check["kind"] == "bias":
                        card.bias.append(entry)
        card.markdown = render_card(card)
        return card

    def set_notes(self, ref: str, *, intended_use: str | None = None, limitations: str | None = None) -> ModelCard:
        """Write the intended use and/or limitations of a version (its author only); audited."""
        from genloop.models import ModelService

        for value, what in ((intended_use, "intended use"), (limitations, "limitations")):
            if value is not None and (not isinstance(value, str) or len(value) > _MAX_NOTE or "\x00" in value):
                raise InvalidInput(f"{what} must be text of at most {_MAX_NOTE} characters")
        version = ModelService(self.store, self.project).get(ref.removeprefix("model:"))
        if version.created_by and not same_person(self.actor, version.created_by):
            raise Forbidden(f"only the author of {version.ref} ({version.created_by}) writes its card notes",
                            hint="ask the author, or register your own version")

        def write(session: Session) -> None:
            project = ensure_project(session, self.project, self.actor)
            row = _notes(session, project.id, version.name, version.version)
            if row is None:
                row = CardNotesRow(project_id=project.id, model_name=version.name, version=version.version)
                session.add(row)
            before = {"intended_use": row.intended_use, "limitations": row.limitations}
            if intended_use is not None:
                row.intended_use = intended_use
            if limitations is not None:
                row.limitations = limitations
            row.updated_at, row.updated_by = utcnow(), self.actor
            record_audit(session, project, self.actor, "card_notes", "model", version.name, version=version.version,
                         before=before, after={"intended_use": row.intended_use, "limitations": row.limitations})

        self.store.db.write(write)
        return self.card(version.ref)

    def export(self, ref: str, dest: str | os.PathLike[str]) -> Path:
        """Copy the version's files (when it has any) into ``dest`` with ``MODEL_CARD.md`` and ``model_card.json``."""
        import fsspec

        card = self.card(ref)
        out = Path(dest)
        if out.exists() and any(out.iterdir()):
            raise InvalidInput(f"{out} is not empty", hint="export into a new or empty folder")
        out.mkdir(parents=True, exist_ok=True)
        from genloop.models import ModelService

        version = ModelService(self.store, self.project).get(card.model)
        if version.kind != "provider":
            fs, path = fsspec.core.url_to_fs(version.uri)
            if fs.isdir(path):
                fs.get(path.rstrip("/") + "/", str(out / "model") + "/", recursive=True)
            else:
                (out / "model").mkdir()
                fs.get(path, str(out / "model" / Path(path).name))
        (out / "MODEL_CARD.md").write_text(card.markdown, encoding="utf-8")
        (out / "model_card.json").write_text(card.model_dump_json(indent=2), encoding="utf-8")
        return out


def _notes(session: Session, project_id: int, name: str, version: int) -> CardNotesRow | None:
    return session.scalar(select(CardNotesRow).where(
        CardNotesRow.project_id == project_id, CardNotesRow.model_name == name, CardNotesRow.version == version))


def _with_intervals(metrics: Any) -> dict[str, dict[str, float | None]]:
    """``{"rouge_l": 0.5, "rouge_l.ci_low": 0.4, ...}`` -> ``{"rouge_l": {"value", "ci_low", "ci_high"}}``."""
    flat = dict(metrics or {})
    out: dict[str, dict[str, float | None]] = {}
    for key, value in sorted(flat.items()):
        if key.endswith((".ci_low", ".ci_high", ".n")) or not isinstance(value, int | float):
            continue
        out[key] = {"value": value, "ci_low": flat.get(f"{key}.ci_low"), "ci_high": flat.get(f"{key}.ci_high")}
    return out


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _md(text: Any) -> str:
    """Text safe inside a Markdown table cell or line: no pipes, newlines or HTML."""
    return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", " ").replace("\n", " "))


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else "-"


def _tuning_evaluation(store: Store, project: str, metadata: dict[str, Any]) -> dict[str, Any] | None:
    """The evaluation a tuning run made of its own output before registering it (``metadata.evaluation``): the
    same weights, read from the run's folder, so no run names the version as its input."""
    from genloop.errors import NotFound
    from genloop.runs import RunService

    evaluation = metadata.get("evaluation")
    run_id = evaluation.get("tuned_run") if isinstance(evaluation, dict) else None
    if not isinstance(run_id, str):
        return None
    try:
        run = RunService(store, project).get(run_id)
    except NotFound:
        return None
    if run.kind != "eval" or run.status != "succeeded":
        return None
    return {"run_id": run.id, "eval": f"{run.name} (by the tuning run, before registration)",
            "metrics": _with_intervals(run.metrics)}


def render_card(card: ModelCard) -> str:
    """The card as Markdown (every registry value escaped)."""
    lines = [f"# Model card: {_md(card.model)}", "",
             f"- Kind: {_md(card.kind)}; status: {_md(card.status)}; aliases: {_md(', '.join(card.aliases) or '-')}",
             f"- Made by: {_md(card.created_by or '-')} on {_md(_iso(card.created_at) or '-')}"]
    if card.description:
        lines.append(f"- Description: {_md(card.description)}")
    lines += ["", "## Intended use", "", _md(card.intended_use) or "_Not stated by the author._", "",
              "## Limitations", "", _md(card.limitations) or "_Not stated by the author._", "", "## Lineage", ""]
    if card.base:
        lines.append(f"- Base model: {_md(card.base.get('model'))} ({_md(card.base.get('content_hash', '-'))})")
    if card.training:
        lines.append(f"- Training run: {_md(card.training.get('id'))} ({_md(card.training.get('kind'))}, "
                     f"{_md(card.training.get('status'))}), with the parameters:")
        for key, value in sorted((card.training.get("params") or {}).items()):
            shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            lines.append(f"  - {_md(key)}: {_md(shown)}")
    for data in card.data:
        lines.append(f"- Data: {_md(data.get('dataset'))} ({_md(data.get('content_hash', data.get('error', '-')))})")
    if not (card.base or card.training or card.data):
        lines.append("- No base model, training run or data recorded.")
    lines += ["", "## Evaluation results", ""]
    if card.evaluations:
        lines += ["| run | evaluation | metric | value | 95% interval |", "| --- | --- | --- | --- | --- |"]
        for ev in card.evaluations:
            for metric, v in ev["metrics"].items():
                interval = f"[{_num(v['ci_low'])}, {_num(v['ci_high'])}]" if v["ci_low"] is not None else "-"
                lines.append(f"| {_md(ev['run_id'][:12])} | {_md(ev['eval'])} | {_md(metric)} | {_num(v['value'])} "
                             f"| {interval} |")
    else:
        lines.append("_No evaluation run of this version._")
    for title, entries in (("Safety", card.safety), ("Bias", card.bias)):
        lines += ["", f"## {title}", ""]
        lines += [f"- {'pass' if e['passed'] else 'FAIL'}: {_md(e['message'])}" for e in entries] or [
            f"_No {title.lower()} result in a review of this version._"]
    lines += ["", "## Approvals", ""]
    lines += [f"- Review #{a['review']} for {_md(a['target'])}: {_md(a['decision'])} by {_md(a['by'])} on "
              f"{_md(a['at'])}" + (f": {_md(a['comment'])}" if a["comment"] else "") for a in card.approvals] or [
        "_No decided review._"]
    return "\n".join(lines) + "\n"
