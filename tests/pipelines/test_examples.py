"""The shipped example pipeline is a valid spec, and the example GitHub Actions workflow runs the real CLI."""

from __future__ import annotations

from pathlib import Path

import yaml

from genloop.cli.main import app
from genloop.pipelines import PipelineSpec
from genloop.pipelines._validate import check_spec

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_example_pipeline_is_valid() -> None:
    spec = PipelineSpec.load(EXAMPLES / "pipelines" / "retrain.yaml")
    kinds = check_spec(spec)
    assert list(kinds) == ["export", "dedup", "split", "tune", "evaluate", "gate", "promote", "canary", "tell"]


def test_example_workflow_uses_existing_commands_and_is_not_active_here() -> None:
    workflow = yaml.safe_load((EXAMPLES / "github-actions" / "genloop-pipeline.yml").read_text())
    runs = [step["run"] for step in workflow["jobs"]["retrain"]["steps"] if "run" in step]
    assert any(r.startswith("genloop pipelines run retrain") and "--junit gates.xml" in r for r in runs)
    commands = {c.name for g in app.registered_groups if g.name == "pipelines" for c in g.typer_instance.registered_commands}
    for run in runs:
        if run.startswith("genloop pipelines "):
            assert run.split()[2] in commands
    assert not (Path(__file__).parents[2] / ".github" / "workflows" / "genloop-pipeline.yml").exists()
