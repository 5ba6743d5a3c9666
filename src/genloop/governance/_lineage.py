"""What a review and a model card say about where a version comes from: author, base model, data, training run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genloop.errors import GenLoopError
from genloop.store import Store

__all__ = ["Facts", "deployment_facts", "model_lineage", "subject_facts"]


@dataclass
class Facts:
    name: str
    version: int
    author: str
    lineage: dict[str, Any] = field(default_factory=dict)


def subject_facts(store: Store, project: str, entity_type: str, ref: str) -> Facts:
    """The concrete version ``ref`` names, its author and lineage (``NotFound`` when it does not resolve)."""
    if entity_type == "prompt":
        from genloop.prompts import PromptService

        prompt = PromptService(store, project).get(ref)
        return Facts(prompt.name, prompt.version, prompt.created_by,
                     {"content_hash": prompt.content_hash, "created_by": prompt.created_by,
                      "created_at": prompt.created_at.isoformat()})
    from genloop.models import ModelService

    version = ModelService(store, project).get(ref)
    return Facts(version.name, version.version, version.created_by, model_lineage(store, project, version))


def model_lineage(store: Store, project: str, version: Any) -> dict[str, Any]:
    """Base model (with its content hash), training run (kind, parameters), its data (with hashes), author."""
    from genloop.models import ModelService
    from genloop.models._tables import model_content_hash

    models = ModelService(store, project)
    lineage: dict[str, Any] = {
        "model": version.ref, "kind": version.kind, "uri": version.uri, "created_by": version.created_by,
        "created_at": version.created_at.isoformat(),
        "content_hash": model_content_hash(version.kind, version.uri, version.base, version.config),
        "base": None, "run": None, "data": [],
    }
    run = _source_run(store, project, version.source_run_id)
    base_ref = version.base or next((ref.removeprefix("model:") for ref in (run.inputs if run else [])
                                     if ref.startswith("model:")), None)  # a tune run's base model
    if base_ref:
        try:
            base = models.get(base_ref)
            lineage["base"] = {"model": base.ref, "kind": base.kind, "uri": base.uri,
                               "content_hash": model_content_hash(base.kind, base.uri, base.base, base.config)}
        except GenLoopError as exc:
            lineage["base"] = {"model": base_ref, "error": exc.message}
    if run is not None:
        lineage["run"] = {"id": run.id, "kind": run.kind, "name": run.name, "status": run.status,
                          "params": run.params, "inputs": run.inputs, "created_by": run.created_by}
        lineage["data"] = _datasets(store, project, run.inputs)
    elif version.source_run_id:
        lineage["run"] = {"id": version.source_run_id, "error": "the run that made this version is gone"}
    return lineage


def _source_run(store: Store, project: str, run_id: str | None) -> Any:
    if not run_id:
        return None
    from genloop.runs import RunService

    try:
        return RunService(store, project).get(run_id)
    except GenLoopError:
        return None


def _datasets(store: Store, project: str, inputs: list[str]) -> list[dict[str, Any]]:
    from genloop.datasets import DatasetService

    datasets = DatasetService(store, project)
    out = []
    for ref in inputs:
        if not ref.startswith("dataset:"):
            continue
        try:
            version = datasets.get(ref.removeprefix("dataset:"))
            out.append({"dataset": ref.removeprefix("dataset:"), "content_hash": version.content_hash,
                        "rows": version.num_rows})
        except GenLoopError as exc:
            out.append({"dataset": ref.removeprefix("dataset:"), "error": exc.message})
    return out


def deployment_facts(store: Store, project: str, name: str, changes: dict[str, Any], actor: str) -> Facts:
    """A proposed deployment update: the version it would be, its spec and hash; its author is the requester."""
    from genloop.deployments import DeploymentService

    current = DeploymentService(store, project).get(name)
    spec, spec_hash = DeploymentService.proposed(current, changes)
    if spec_hash == current.content_hash:
        from genloop.errors import InvalidInput

        raise InvalidInput(f"the changes leave deployment {current.name} as it is (version {current.version})",
                           hint="change a spec field")
    return Facts(current.name, current.version + 1, actor,
                 {"current": f"{current.name}@{current.version}", "changes": changes, "spec": spec,
                  "spec_hash": spec_hash, "created_by": actor})
