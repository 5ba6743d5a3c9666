"""The continuous-training journey offline, through real parts: traffic and feedback arrive through a real gateway
and REST server (the main variant behind the mock upstream); a feedback-threshold trigger starts the pipeline
(export -> tune the tiny base model -> evaluate -> gate -> promote to ``canary`` -> 10% canary in the deployment);
an online judge scores the canary's traffic against the main variant's; a monitor then fires a trigger that rolls
the canary back when it is worse, or forward to 100% when it holds. Every run says why it ran.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

from genloop.datasets import DatasetService
from genloop.deployments import DeploymentService
from genloop.gateway import sticky_fraction
from genloop.models import ModelService
from genloop.monitoring import EvaluatorService, MonitoringWorker, MonitorService
from genloop.pipelines import Pipeline, PipelineService, TriggerService
from genloop.pipelines._scheduler import Scheduler
from genloop.providers import MockProvider
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.server import BackgroundServer
from genloop.settings import Settings
from genloop.store import Store, utcnow
from genloop.tracing import TraceService

PEFT_CHECKPOINTING = "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """The journey runs a gateway and a tuning; its services are covered on PostgreSQL by their own tests."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("trl")
    import torch

    from genloop.tuning import build_tiny_model

    torch.set_num_threads(1)
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", size="test", seed=0)


def _users(canary: bool, n: int) -> list[str]:
    """Users the deployment's sticky hash sends to the canary (the last 10% of [0, 1)) or to main."""
    out, i = [], 0
    while len(out) < n:
        user = f"user-{i}"
        if (sticky_fraction("bot", user) >= 0.9) == canary:
            out.append(user)
        i += 1
    return out


def _chat(http: httpx.Client, user: str, text: str) -> str:
    reply = http.post("/v1/chat/completions", timeout=60, json={
        "model": "bot", "user": user, "max_tokens": 4, "temperature": 0,
        "messages": [{"role": "user", "content": text}]})
    assert reply.status_code == 200, reply.text
    return reply.headers["x-genloop-trace-id"]


def _ct_pipeline(main: dict[str, Any]) -> Pipeline:
    p = Pipeline(description="feedback -> tune -> evaluate -> gate -> canary")
    export = p.step("export", "feedback_export", kind="sft", name="bot-sft", deployment="bot",
                    feedback_name="thumbs")
    tune = p.step("tune", "tune", spec={"base": "tiny", "train": export["dataset"], "method": "lora", "max_steps": 2,
                                        "batch_size": 8, "max_length": 64, "output": "bot-lora"})
    ev = p.step("eval", "eval", spec={"name": "ct-check", "dataset": "golden@1", "input_column": "question",
                                      "reference_column": "answer", "metrics": ["exact_match"],
                                      "candidates": [{"name": "tuned", "model": tune["model"],
                                                      "params": {"max_tokens": 4}}]})
    gate = p.step("gate", "gate", run=ev["run"], gates=["exact_match>=0"])
    promote = p.step("promote", "promote", target=tune["model"], alias="canary", depends_on=[gate])
    p.step("canary", "deploy", deployment="bot", message="10% canary of ${steps.tune.model}", depends_on=[promote],
           variants=[{**main, "weight": 0.9}, {"name": "canary", "model": "bot-lora@canary", "weight": 0.1}])
    return p


@pytest.mark.slow
@pytest.mark.filterwarnings(PEFT_CHECKPOINTING)
@pytest.mark.parametrize("canary_worse", [True, False], ids=["worse-rolls-back", "holds-rolls-forward"])
def test_feedback_trains_a_canary_that_a_monitor_rolls_back_or_forward(store: Store, tiny_dir: Path,
                                                                       canary_worse: bool) -> None:
    from genloop.providers._local import MODELS
    from genloop.server import create_app
    from genloop.tuning import register_tiny_model

    register_tiny_model(ModelService(store), "tiny", path=tiny_dir)
    DatasetService(store).create("golden", [{"question": f"say {i}", "answer": f"{i}"} for i in range(3)],
                                 kind="generic")
    pipelines, triggers = PipelineService(store), TriggerService(store)
    settings = Settings(**{**store.settings.model_dump(), "trace_writer": "thread", "trace_flush_interval": 0.05})
    with MockUpstreamServer(reply="main answer") as upstream:
        main = {"name": "main", "model": "openai:mock-model", "base_url": upstream.url + "/v1"}
        DeploymentService(store).create("bot", variants=[{**main, "weight": 1}])
        pipelines.create("ct", _ct_pipeline(main).spec())
        rollback = Pipeline(description="canary is worse: main only")
        rollback.step("main-only", "deploy", deployment="bot", variants=[{**main, "weight": 1}], message="rollback")
        pipelines.create("rollback", rollback.spec())
        forward = Pipeline(description="canary holds: all traffic to it")
        forward.step("all-canary", "deploy", deployment="bot", weights={"main": 0, "canary": 1},
                     message="roll forward")
        pipelines.create("rollforward", forward.spec())
        triggers.create({"name": "retrain-on-feedback", "pipeline": "ct", "kind": "feedback", "threshold": 6,
                         "feedback_name": "thumbs"})
        EvaluatorService(store).create({"name": "helpful", "deployment": "bot", "judge": {"model": "mock:judge"},
                                        "sample_rate": 1.0, "delay_s": 0})
        monitors = MonitorService(store)
        common = {"signal": "feedback_mean:helpful", "deployment": "bot", "variant": "canary",
                  "baseline_variant": "main", "min_count": 3, "window_s": 3600}
        monitors.create({"name": "canary-worse", "direction": "below", "alert": -0.5, **common})
        monitors.create({"name": "canary-holds", "direction": "above", "alert": -0.5, **common})
        triggers.create({"name": "roll-back", "pipeline": "rollback", "kind": "monitor", "monitor": "canary-worse"})
        triggers.create({"name": "roll-forward", "pipeline": "rollforward", "kind": "monitor",
                         "monitor": "canary-holds"})

        def judge(request: Any) -> str:
            shown = " ".join(str(m.get("content") if isinstance(m, dict) else m.content) for m in request.messages)
            worse = canary_worse and "main answer" not in shown
            return '{"reasoning": "r", "score": ' + ("2" if worse else "5") + "}"

        worker = MonitoringWorker(store, providers={"mock": MockProvider(reply=judge)},
                                  clock=lambda: utcnow() + dt.timedelta(seconds=10))
        scheduler = Scheduler(store, interval=1, lease_seconds=30, execute="inline", monitoring_worker=worker)
        app = create_app(store)
        from genloop.gateway import with_gateway

        served = with_gateway(app, store, settings)
        with BackgroundServer(served) as srv, httpx.Client(base_url=srv.url) as http:
            # 1. production traffic on main, and feedback on it through the REST API
            traces = [_chat(http, u, f"question {i}") for i, u in enumerate(_users(False, 6))]
            assert served.gateway.gateway.writer.flush(15)
            assert scheduler.tick().firings == []  # no feedback yet
            for i, trace_id in enumerate(traces):  # corrections: what the answer should have been
                answer = http.post("/api/v1/projects/default/feedback", json={
                    "trace_id": trace_id, "name": "thumbs", "correction": f"answer {i}"})
                assert answer.status_code == 201, answer.text
            # 2. the threshold trigger starts the pipeline: export, tune, evaluate, gate, promote, 10% canary
            [firing] = scheduler.tick().firings
            assert firing.status == "succeeded", pipelines.get_run(firing.run_id).error  # type: ignore[arg-type]
            run = pipelines.get_run(firing.run_id)  # type: ignore[arg-type]
            assert run.trigger is not None and run.trigger["reason"] == "6 new feedback (threshold 6)"
            assert [s.status for s in run.steps] == ["succeeded"] * 6
            assert run.step("tune").outputs["model"] == "bot-lora@1"
            assert "canary" in ModelService(store).get("bot-lora@1").aliases
            weights = {v.name: v.weight for v in DeploymentService(store).get("bot").variants}
            assert weights == {"main": 0.9, "canary": 0.1}
            # 3. traffic on both variants; the online judge scores it, per variant
            served.gateway.gateway.refresh_now()
            for i, user in enumerate(_users(True, 4) + _users(False, 4)):
                _chat(http, user, f"later question {i}")
            assert served.gateway.gateway.writer.flush(15)
        by_variant = {t.variant for t in TraceService(store).list(deployment="bot", limit=50).items}
        assert by_variant == {"main", "canary"}
        # 4. the scheduler's tick runs the monitoring worker, whose alert fires the roll-back or roll-forward trigger
        report = scheduler.tick()
        assert report.monitoring is not None and report.monitoring["scored"] >= 8, report
        fired = {f.trigger["trigger"]: f for f in report.firings}
        expected = "roll-back" if canary_worse else "roll-forward"
        assert set(fired) == {expected}, report
        assert fired[expected].status == "succeeded"
        assert fired[expected].trigger["monitor"] == ("canary-worse" if canary_worse else "canary-holds")
        variants = {v.name: v.weight for v in DeploymentService(store).get("bot").variants}
        assert variants == ({"main": 1} if canary_worse else {"main": 0, "canary": 1})
        assert scheduler.tick().firings == []  # the same alert never fires twice
    MODELS.clear()
