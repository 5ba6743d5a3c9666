"""The Kubeflow Pipelines v2 compilation (imported only where ``kfp`` is installed; see ``_compile.py``).

No ``from __future__ import annotations`` here: the kfp SDK reads the components' annotations as types.
"""

import os
import tempfile
from typing import Any

from kfp import compiler, dsl

from genloop.pipelines._schemas import PipelineInfo
from genloop.pipelines._spec import PipelineSpec

__all__ = ["compile_kfp"]


def compile_kfp(info: PipelineInfo, spec: PipelineSpec, order: list[str], deps: dict[str, list[str]], *,
                image: str, project: str) -> str:
    """The pipeline spec YAML: ``start``, one task per step (after ``start`` and its dependencies), ``finish``
    as the exit handler; each task's key is the KFP job id."""

    @dsl.container_component
    def genloop_start(pipeline: str, project: str, key: str, params: str):  # type: ignore[no-untyped-def]
        return dsl.ContainerSpec(image=image, command=["genloop"], args=[
            "pipelines", "start", pipeline, "--project", project, "--key", key, "--params-json", params])

    @dsl.container_component
    def genloop_step(run: str, step: str, project: str):  # type: ignore[no-untyped-def]
        return dsl.ContainerSpec(image=image, command=["genloop"], args=[
            "pipelines", "step", run, step, "--project", project])

    @dsl.container_component
    def genloop_finish(run: str, project: str):  # type: ignore[no-untyped-def]
        return dsl.ContainerSpec(image=image, command=["genloop"], args=[
            "pipelines", "finish", run, "--project", project])

    key = dsl.PIPELINE_JOB_ID_PLACEHOLDER
    name = "".join(c if c.isalnum() else "-" for c in info.name.lower()).strip("-") or "pipeline"

    @dsl.pipeline(name=f"genloop-{name}", description=spec.description or f"GenLoop pipeline {info.ref}")
    def pipeline(params: str = "{}"):  # type: ignore[no-untyped-def]
        finish = genloop_finish(run=f"key:{key}", project=project).set_display_name("finish")
        finish.set_caching_options(False)  # GenLoop caches steps by content itself
        with dsl.ExitHandler(finish):
            start = genloop_start(pipeline=info.ref, project=project, key=key, params=params)
            start.set_display_name("start").set_caching_options(False)
            tasks: dict[str, Any] = {}
            for step in order:
                task = genloop_step(run=f"key:{key}", step=step, project=project).set_display_name(step)
                task.set_caching_options(False)
                task.after(start, *(tasks[d] for d in deps[step]))
                tasks[step] = task

    fd, path = tempfile.mkstemp(suffix=".yaml")
    os.close(fd)
    try:
        compiler.Compiler().compile(pipeline, package_path=path)
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    finally:
        os.unlink(path)
