"""The same pipeline compiled for Argo Workflows and Kubeflow Pipelines v2, checked offline.

Argo: a golden file, a JSON Schema of the subset of Argo's Workflow CRD we emit (argo_workflow_subset.schema.json,
fields as in the CRD), and the DAG's own invariants. Kubeflow: the ``kfp`` SDK's compiler (it validates the
spec as it builds it) and a golden file. kfp pins protobuf<7, which this environment's other packages exceed,
so the test runs the compiler in its own virtual environment (``GENLOOP_KFP_PYTHON``, or one it creates).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import jsonschema
import pytest
import yaml

from genloop.errors import InvalidInput
from genloop.pipelines import PipelineInfo, PipelineSpec
from genloop.pipelines._compile import compile_pipeline

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
KFP_VERSION = "2.17.3"
# read at import: the autouse fixture clears GENLOOP_* variables before each test
KFP_PYTHON = os.environ.get("GENLOOP_KFP_PYTHON")
UPDATE_GOLDEN = bool(os.environ.get("GENLOOP_UPDATE_GOLDEN"))
SPEC = {"description": "weekly retraining", "params": {"since": "7d"}, "steps": [
    {"name": "export", "kind": "feedback_export", "params": {"kind": "sft", "name": "bot-sft", "since": "${params.since}"}},
    {"name": "split", "kind": "split", "params": {"dataset": "${steps.export.dataset}"}},
    {"name": "Check_Gates", "kind": "gate", "params": {"run": "r", "gates": ["x>=1"]}, "depends_on": ["split"]},
    {"name": "notify", "kind": "notify", "params": {"url": "http://hooks.local/x"}, "depends_on": ["export"]},
]}


def _info() -> PipelineInfo:
    spec = PipelineSpec.load(SPEC)
    return PipelineInfo(name="retrain", version=3, ref="retrain@3", spec=spec.model_dump(mode="json"),
                        content_hash="sha256:0", created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_argo_workflow_matches_golden_schema_and_dag() -> None:
    text = compile_pipeline(_info(), target="argo", image="ghcr.io/genloop/genloop:0.1")
    golden = GOLDEN / "retrain.argo.yaml"
    if UPDATE_GOLDEN:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    jsonschema.validate(workflow, json.loads((HERE / "argo_workflow_subset.schema.json").read_text()))
    templates = {t["name"]: t for t in workflow["spec"]["templates"]}
    assert workflow["spec"]["entrypoint"] in templates and workflow["spec"]["onExit"] in templates
    tasks = templates["main"]["dag"]["tasks"]
    names = [t["name"] for t in tasks]
    assert len(set(names)) == len(names)
    seen: set[str] = set()
    for task in tasks:  # listed in dependency order, every dependency a task, every template defined
        assert task["template"] in templates
        assert set(task.get("dependencies", [])) <= seen
        seen.add(task["name"])
    by_name = {t["name"]: t for t in tasks}
    assert by_name["step-check-gates"]["dependencies"] == ["start", "step-split"]
    assert by_name["step-check-gates"]["arguments"]["parameters"] == [{"name": "step", "value": "Check_Gates"}]
    assert templates["step"]["container"]["args"][:3] == ["pipelines", "step", "key:{{workflow.uid}}"]


def test_unknown_target_and_kfp_missing_say_what_to_do() -> None:
    with pytest.raises(InvalidInput, match="unknown target 'tekton'"):
        compile_pipeline(_info(), target="tekton")
    try:
        import kfp  # noqa: F401
    except ImportError:
        from genloop.errors import MissingDependency

        with pytest.raises(MissingDependency, match=r"genloop\[kfp\]"):
            compile_pipeline(_info(), target="kfp")


def _kfp_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    if KFP_PYTHON:
        return KFP_PYTHON
    try:
        import kfp  # noqa: F401

        return sys.executable
    except ImportError:
        pass
    home = tmp_path_factory.mktemp("kfp-venv")
    venv.create(home, system_site_packages=True, with_pip=True)
    python = str(home / "bin" / "python")
    done = subprocess.run([python, "-m", "pip", "install", "-q", f"kfp=={KFP_VERSION}"], capture_output=True,
                          text=True, env={**os.environ, "PIP_CONSTRAINT": ""}, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot install kfp=={KFP_VERSION} into a venv (offline?): {done.stderr[-300:]}")
    return python


@pytest.mark.slow
def test_kfp_compiles_with_the_sdk_compiler(tmp_path_factory: pytest.TempPathFactory) -> None:
    python = _kfp_python(tmp_path_factory)
    code = ("import sys, json; sys.path.insert(0, sys.argv[1]); from test_compile import _info; "
            "from genloop.pipelines._compile import compile_pipeline; "
            "sys.stdout.write(compile_pipeline(_info(), target='kfp', image='ghcr.io/genloop/genloop:0.1'))")
    done = subprocess.run([python, "-c", code, str(HERE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    text = "\n".join(line for line in done.stdout.splitlines() if "sdkVersion" not in line) + "\n"
    golden = GOLDEN / "retrain.kfp.yaml"
    if UPDATE_GOLDEN:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    dag = spec["components"]["comp-exit-handler-1"]["dag"]["tasks"]
    steps = {t["taskInfo"]["name"]: t for t in dag.values()}
    assert set(steps) == {"start", "export", "split", "Check_Gates", "notify"}
    assert spec["root"]["dag"]["tasks"]["genloop-finish"]["triggerPolicy"]["strategy"] == "ALL_UPSTREAM_TASKS_COMPLETED"
