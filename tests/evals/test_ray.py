"""The same spec on a local Ray instance gives the same results as the local executor."""

from __future__ import annotations

from typing import Any

import pytest
from tests.evals.conftest import evals_of, spec_for

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'genloop[ray]'")
#: One pytest-xdist worker runs every Ray test: two Ray instances on one machine compete for its default ports.
pytestmark = pytest.mark.xdist_group("ray")


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the executor, not the store, is under test
def test_ray_executor_matches_local(local: Any, golden: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    local.models.register("judgebot", kind="provider", uri="mock:judge",
                          config={"reply": '{"reasoning": "fine", "score": 4}'})
    spec = spec_for(golden, limit=6, judges=[{"name": "quality", "model": "judgebot"}], metrics=["exact_match"],
                    candidates=[{"name": "echo", "model": "mock:echo"}, {"name": "new", "output_column": "new"}])
    on_ray = evals_of(local).run({**spec, "executor": "ray"}, executor_options={"workers": 1, "num_cpus": 1})
    assert on_ray.status == "succeeded", on_ray.error
    assert ray.is_initialized() is False  # the executor shut down the Ray it started
    on_local = evals_of(local).run(spec, resume=False)
    assert on_ray.spec_hash == on_local.spec_hash  # the executor is not part of what is evaluated
    assert on_ray.metrics["echo.quality"] == on_local.metrics["echo.quality"] == 4.0
    assert on_ray.metrics["new.exact_match"] == on_local.metrics["new.exact_match"]
    ray_items = [(i.example_id, i.candidate, i.output) for i in evals_of(local).items(on_ray.run_id, 0, 50).items]
    local_items = [(i.example_id, i.candidate, i.output) for i in evals_of(local).items(on_local.run_id, 0, 50).items]
    assert ray_items == local_items
