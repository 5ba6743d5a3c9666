"""`genloop pipelines ...` through the real entry point: create, run with a JUnit report of gates, the
orchestrator's task sequence (start --key, step key:K, finish), compile; notify to a real HTTP receiver."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from genloop.datasets import DatasetService
from genloop.pipelines import PipelineService
from genloop.server import BackgroundServer
from genloop.store import Store

GATED = """
description: evaluate, gate, notify
params: {bar: 0.5}
steps:
  - name: evaluate
    kind: eval
    params:
      spec: {name: qa-eval, dataset: qa, metrics: [exact_match], candidates: [{name: echo, model: "mock:echo"}]}
  - name: gate
    kind: gate
    params: {run: "${steps.evaluate.run}", gates: ["exact_match>=${params.bar}"]}
  - name: tell
    kind: notify
    depends_on: [gate]
    params: {url: "URL", message: "gate passed on ${steps.evaluate.run}"}
"""


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the CLI is thin over PipelineService, which test_run.py and test_kinds.py run on PostgreSQL."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


def _qa(store: Store) -> None:
    DatasetService(store).create("qa", [{"input": f"q{i}", "reference": f"q{i}" if i % 4 else "zz"}
                                        for i in range(8)], kind="eval")


class Receiver:
    """A real ASGI webhook receiver on loopback; keeps every JSON body."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        import json

        self.bodies.append(json.loads(body))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_run_with_junit_report_and_notify(cli: Any, store: Store, tmp_path: Path) -> None:
    _qa(store)
    receiver = Receiver()
    with BackgroundServer(receiver) as srv:
        spec = tmp_path / "gated.yaml"
        spec.write_text(GATED.replace("URL", srv.url + "/hook"), encoding="utf-8")
        assert cli("pipelines", "create", "gated", str(spec)).out.strip() == "pipeline gated@1 (3 steps)"
        report = tmp_path / "gates.xml"
        ok = cli("pipelines", "run", "gated", "--junit", str(report))
        assert ok.code == 0, ok.err
        assert "pipeline run" in ok.out and "succeeded" in ok.out
        suite = ET.parse(report).getroot().find("testsuite")
        assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"
        assert len(receiver.bodies) == 1 and receiver.bodies[0]["message"].startswith("gate passed on ")
        # a stricter bar fails the gate: exit 1, a JUnit failure, the notify step skipped
        failed = cli("pipelines", "run", "gated", "--param", "bar=0.9", "--junit", str(report))
        assert failed.code == 1 and "step 'gate' failed" in failed.err
        case = ET.parse(report).getroot().find("testsuite/testcase")
        assert case is not None and case.get("name") == "exact_match>=0.9"
        assert case.find("failure") is not None
        assert len(receiver.bodies) == 1
    listing = cli("pipelines", "runs", "gated", "--json").json()
    assert [r["status"] for r in listing] == ["failed", "succeeded"]
    assert [s["status"] for s in listing[0]["steps"]] == ["cached", "failed", "skipped"]


def test_the_orchestrator_task_sequence(cli: Any, store: Store, tmp_path: Path) -> None:
    """What an Argo or Kubeflow run executes, task by task, with the orchestrator's run id as the key."""
    _qa(store)
    PipelineService(store).create("gated", GATED.replace("URL", "http://127.0.0.1:9/none").replace(
        "    kind: notify\n", "    kind: notify\n    cache: false\n"))
    started = cli("pipelines", "start", "gated@1", "--key", "wf-123", "--params-json", '{"bar": 0.25}',
                  "--id-file", str(tmp_path / "id"))
    run_id = started.out.strip()
    assert started.code == 0 and (tmp_path / "id").read_text() == run_id
    assert cli("pipelines", "start", "gated@1", "--key", "wf-123").out.strip() == run_id  # a retried task
    assert cli("pipelines", "step", "key:wf-123", "evaluate").code == 0
    assert cli("pipelines", "step", "key:wf-123", "gate").out.strip() == "step gate: succeeded"
    tell = cli("pipelines", "step", "key:wf-123", "tell")  # nothing listens on port 9
    assert tell.code == 1 and "could not deliver" in tell.out
    finished = cli("pipelines", "finish", "key:wf-123", "--json")
    assert finished.code == 1 and finished.json()["status"] == "failed"
    status = cli("pipelines", "status", run_id, "--json").json()
    assert status["params"] == {"bar": 0.25} and [s["status"] for s in status["steps"]] == [
        "succeeded", "succeeded", "failed"]


def test_compile_and_show_and_errors(cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text("steps:\n  - {name: a, kind: split, params: {dataset: d}}\n", encoding="utf-8")
    assert cli("pipelines", "create", "p", str(spec)).code == 0
    out = tmp_path / "argo.yaml"
    assert cli("pipelines", "compile", "p", "--target", "argo", "-o", str(out)).code == 0
    assert "kind: Workflow" in out.read_text()
    assert "kind: split" in cli("pipelines", "show", "p@1").out
    assert "split" in cli("pipelines", "kinds").out
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps:\n  - {name: a, kind: split, params: {dataset: '${steps.b.train}'}}\n", encoding="utf-8")
    result = cli("pipelines", "create", "bad", str(bad))
    assert result.code == 1 and "step 'a': ${steps.b.train} refers to unknown step 'b'" in result.err
    assert len(result.err.strip().splitlines()) == 1
    missing = cli("pipelines", "run", "p")
    assert missing.code == 1 and "dataset 'd' does not exist" in missing.err


def test_run_against_a_server(cli: Any, store: Store, server: Any, monkeypatch: Any, tmp_path: Path) -> None:
    """With GENLOOP_SERVER_URL the same commands start the run on the server and read it back over REST."""
    _qa(store)
    spec = tmp_path / "g.yaml"
    spec.write_text(GATED.split("  - name: tell")[0], encoding="utf-8")  # evaluate and gate
    monkeypatch.setenv("GENLOOP_SERVER_URL", server.url)
    assert cli("pipelines", "create", "g", str(spec)).code == 0
    report = tmp_path / "r.xml"
    result = cli("pipelines", "run", "g", "--junit", str(report), "--json")
    assert result.code == 0, result.err
    run = result.json()
    assert run["status"] == "succeeded" and [s["status"] for s in run["steps"]] == ["succeeded", "succeeded"]
    assert 'failures="0"' in report.read_text()
    assert cli("pipelines", "status", run["id"], "--json").json()["id"] == run["id"]
    assert "a server runs pipeline steps in-process" in cli("pipelines", "run", "g", "--subprocess").err
