"""Compile a pipeline version for an existing orchestrator: a Kubeflow Pipelines v2 spec (through the ``kfp``
SDK, the optional extra ``genloop[kfp]``) or an Argo Workflow. Every task runs the same GenLoop image:

    genloop pipelines start NAME@N --key K    (creates the pipeline run; idempotent by K)
    genloop pipelines step key:K STEP         (one per step, after the steps it depends on)
    genloop pipelines finish key:K            (exit handler: marks what did not run, finishes the run)

K is the orchestrator's own run id (Argo ``{{workflow.uid}}``, KFP's job id), so a retried task finds the same
pipeline run and no value needs to pass between tasks. The store is reached through the environment
(``GENLOOP_DATABASE_URL``, ``GENLOOP_ARTIFACTS_URI``) from a Kubernetes Secret, by default named ``genloop``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from genloop.errors import InvalidInput, MissingDependency
from genloop.pipelines._schemas import PipelineInfo
from genloop.pipelines._spec import PipelineSpec
from genloop.pipelines._validate import check_spec, dependencies, topological_order

__all__ = ["TARGETS", "compile_pipeline", "task_name"]

TARGETS = ("argo", "kfp")
_ARGO_KEY = "{{workflow.uid}}"


def task_name(step: str) -> str:
    """A DNS-1123 task name for a step (``Tune_Model`` -> ``step-tune-model``)."""
    return "step-" + re.sub(r"[^a-z0-9-]+", "-", step.lower()).strip("-")


def _plan(info: PipelineInfo) -> tuple[PipelineSpec, list[str], dict[str, list[str]]]:
    spec = PipelineSpec.model_validate(info.spec)
    check_spec(spec)
    order = topological_order(spec)
    names = [task_name(s) for s in order]
    if len(set(names)) != len(names):
        raise InvalidInput("two step names map to the same task name once lowercased",
                           hint="rename steps so they differ by more than case or '_' vs '-'")
    return spec, order, {s.name: dependencies(s) for s in spec.steps}


def compile_pipeline(info: PipelineInfo, *, target: str, image: str = "genloop:latest", project: str = "default",
                     secret: str = "genloop") -> str:
    """The YAML text of ``info`` compiled for ``target`` (``argo`` or ``kfp``)."""
    if target == "argo":
        return argo_workflow(info, image=image, project=project, secret=secret)
    if target == "kfp":
        return kfp_pipeline(info, image=image, project=project)
    raise InvalidInput(f"unknown target {target!r}", hint=f"use one of: {', '.join(TARGETS)}")


def _container(image: str, args: list[str], secret: str) -> dict[str, Any]:
    return {"image": image, "command": ["genloop"], "args": args, "envFrom": [{"secretRef": {"name": secret}}]}


def argo_workflow(info: PipelineInfo, *, image: str, project: str, secret: str = "genloop") -> str:
    """An Argo ``Workflow``: a DAG of one task per step after a ``start`` task, ``finish`` on exit."""
    spec, order, deps = _plan(info)
    key = _ARGO_KEY
    tasks: list[dict[str, Any]] = [{"name": "start", "template": "start"}]
    for name in order:
        tasks.append({
            "name": task_name(name), "template": "step",
            "dependencies": ["start", *(task_name(d) for d in deps[name])],
            "arguments": {"parameters": [{"name": "step", "value": name}]},
        })
    workflow = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"genloop-{task_name(info.name)[5:]}-",
                     "labels": {"genloop.dev/pipeline": info.name, "genloop.dev/version": str(info.version)}},
        "spec": {
            "entrypoint": "main",
            "onExit": "finish",
            "arguments": {"parameters": [{"name": "params", "value": "{}"}]},
            "templates": [
                {"name": "main", "dag": {"tasks": tasks}},
                {"name": "start", "container": _container(image, [
                    "pipelines", "start", info.ref, "--project", project, "--key", key,
                    "--params-json", "{{workflow.parameters.params}}"], secret)},
                {"name": "step", "inputs": {"parameters": [{"name": "step"}]},
                 "container": _container(image, ["pipelines", "step", f"key:{key}", "{{inputs.parameters.step}}",
                                                 "--project", project], secret)},
                {"name": "finish", "container": _container(image, [
                    "pipelines", "finish", f"key:{key}", "--project", project], secret)},
            ],
        },
    }
    header = f"# GenLoop pipeline {info.ref} ({len(spec.steps)} steps) as an Argo Workflow\n"
    return header + yaml.safe_dump(workflow, sort_keys=False)


def kfp_pipeline(info: PipelineInfo, *, image: str, project: str) -> str:
    """A Kubeflow Pipelines v2 spec compiled by the ``kfp`` SDK's own compiler (which validates it)."""
    try:
        import kfp  # noqa: F401
    except ImportError as exc:
        raise MissingDependency(
            "compiling for Kubeflow Pipelines needs the optional package 'kfp', which is not installed",
            hint="pip install 'genloop[kfp]' (kfp pins protobuf<7: where other packages need protobuf 7, install "
                 "it in a virtual environment of its own that sees this one's packages (python's venv with system site "
                 "packages), and compile there)") from exc
    from genloop.pipelines._kfp import compile_kfp

    spec, order, deps = _plan(info)
    return compile_kfp(info, spec, order, deps, image=image, project=project)
