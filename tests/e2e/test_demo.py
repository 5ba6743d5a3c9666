"""`genloop demo --quick` through the real CLI: the whole loop leaves a consistent system of record behind."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from genloop.client import Client
from genloop.settings import Settings

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")]
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _run_demo(cli: Any) -> dict[str, Any]:
    result = cli("demo", "--quick", "--json", "-p", "loop")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_the_demo_runs_the_loop_and_records_every_step(cli: Any, settings: Settings) -> None:
    pytest.importorskip("trl")
    s = _run_demo(cli)
    with Client(settings=settings, project="loop") as client:
        # 1-2. data, and a base model pre-trained by a run
        assert client.datasets.get(s["datasets"]["golden"]).tags == ["golden"]
        base = client.models.get(s["base"]["model"])
        assert base.kind == "checkpoint" and base.source_run_id
        assert client.runs.get(base.source_run_id).outputs == [f"model:{base.ref}"]
        # 3-4. baseline evaluation, tuning, and the comparison the promotion was decided on
        assert client.evals.get(s["baseline"]["run"]).status == "succeeded"
        tuned = client.models.get(s["tuned"]["model"])
        assert (tuned.kind, tuned.base, tuned.source_run_id) == ("adapter", base.ref, s["tuned"]["run"])
        em = s["comparison"]["exact_match"]
        assert em["wins"] + em["ties"] + em["losses"] == client.datasets.get(s["datasets"]["golden"]).num_rows
        card = client.governance.cards.card(tuned.ref)  # the tuning run's own evaluation is on the model card
        at_tuning = [e for e in card.evaluations if e["run_id"] == s["tuned"]["eval_run"]]
        assert at_tuning and at_tuning[0]["eval"] == "tune-tuned (by the tuning run, before registration)"
        assert "exact_match" in at_tuning[0]["metrics"] and "  - method: lora" in card.markdown
        # 5. the champion alias follows the evidence
        champion = client.models.get(_name(s["champion"]) + "@champion")
        if s["promoted"]:
            assert em["significant"] and em["delta"] > 0
            assert champion.ref == tuned.ref and champion.status == "approved"
        else:
            assert champion.ref == base.ref
        # every request has exactly one trace; injections were blocked, e-mail addresses never stored
        gateway = s["gateway"]
        traces = client.traces.list(deployment="dates", limit=500).items
        assert len(traces) == gateway["sent"] == 20
        assert len({t.id for t in traces}) == 20
        blocked = [t for t in traces if t.status == "blocked"]
        assert len(blocked) == gateway["status"]["400"] == 2
        assert not any("@example." in json.dumps(t.model_dump(mode="json")) for t in traces)
        # 6. feedback on every answered date; the corrections became a dataset whose lineage reaches the traces
        answered = gateway["status"]["200"]
        assert sum(s["feedback"].values()) == answered == client.feedback.list(limit=500).total
        export = s["export"]
        wrong = s["feedback"]["thumbs down + correction"]  # the quick model is far from perfect
        version = client.datasets.get(export["dataset"])
        assert version.kind == "chat" and 0 < version.num_rows == export["rows"] <= wrong
        run = client.runs.get(export["run"])
        assert run.kind == "data" and sum(ref.startswith("trace:") for ref in run.inputs) == export["traces"]
        prefs = client.datasets.get(export["preference"]["dataset"])
        assert prefs.kind == "preference" and prefs.num_rows == export["preference"]["rows"] > 0
    # 7. the lineage of the champion is in the output
    assert s["lineage"]["ref"].startswith("model:")


@SQLITE_ONLY  # reproducibility is the seeds' and the registry's; the first test runs the demo on both databases
def test_the_demo_runs_again_in_the_same_project(cli: Any, settings: Settings) -> None:
    """A second run is reproducible: the same seeds give the same data and model versions (reused, not
    duplicated), and its traffic adds to the first's."""
    pytest.importorskip("trl")
    first = _run_demo(cli)
    second = _run_demo(cli)
    assert second["datasets"] == first["datasets"]
    assert (second["base"]["model"], second["tuned"]["model"]) == (first["base"]["model"], first["tuned"]["model"])
    assert second["comparison"] == first["comparison"]
    with Client(settings=settings, project="loop") as client:
        assert client.traces.list(deployment="dates", limit=500).total == 40


def _name(ref: str) -> str:
    return ref.split("@", 1)[0]


def test_without_the_train_extra_a_mock_model_stands_in(cli: Any, settings: Settings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry, evaluation, gateway and feedback steps run on the mock provider, and the output says
    what was skipped (what `pip install -e .` without extras gets)."""
    import genloop.demo

    monkeypatch.setattr(genloop.demo, "has_train_extra", lambda: False)
    s = _run_demo(cli)
    assert s["trained"] is False and "pip install 'genloop[train]'" in s["skipped"][0]
    assert s["champion"] == s["base"]["model"] == "echo@1" and not s["comparison"]
    assert s["gateway"]["sent"] == 20 and s["gateway"]["status"] == {"200": 18, "400": 2}
    assert s["export"]["rows"] == s["feedback"]["thumbs down + correction"] == 18  # an echo is never a date
    with Client(settings=settings, project="loop") as client:
        assert client.models.get("echo@champion").uri == "mock:echo"
        assert client.datasets.get(s["export"]["dataset"]).num_rows == 18


@SQLITE_ONLY  # progress reporting touches no SQL
def test_the_demo_reports_progress_on_every_long_part(settings: Settings) -> None:
    """Pre-training and LoRA steps (with the loss), evaluation items and gateway requests, each as it goes."""
    pytest.importorskip("trl")
    from genloop.demo import run_demo

    seen: dict[str, list[tuple[int, int | None, str]]] = {}
    with Client(settings=settings, project="progress") as client:
        figures = run_demo(client, lambda line: None, quick=True,
                           progress=lambda part, done, total, detail="": seen.setdefault(part, []).append(
                               (done, total, detail)))
    assert set(seen) == {"pre-train base", "baseline evaluation", "LoRA tuning", "gateway traffic"}
    for part, updates in seen.items():
        done = [d for d, _, _ in updates]
        assert done == sorted(done) and done[-1] == updates[-1][1], (part, updates[-3:])
    assert seen["pre-train base"][0][2].startswith("loss ") and "loss" in seen["LoRA tuning"][-1][2]
    assert len(seen["pre-train base"]) > 10 and seen["gateway traffic"][-1][0] == figures.traffic.sent
    assert set(figures.timings) >= {"pre-train base", "baseline evaluation", "LoRA tuning and comparison",
                                    "gateway traffic"}


@SQLITE_ONLY
def test_without_a_terminal_the_demo_prints_plain_progress_lines(cli: Any) -> None:
    """A CI log or a file gets a line as each long part starts and ends (Rich draws nothing there until the end),
    full width: the "try next" commands stay one line each."""
    pytest.importorskip("trl")
    result = cli("demo", "--quick", "-p", "plain")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    for part in ("pre-train base", "baseline evaluation", "LoRA tuning", "gateway traffic"):
        mine = [line for line in lines if line.startswith(f"  {part}: ")]
        assert len(mine) >= 2, (part, mine)  # its start, then at least its end
        assert re.match(rf"  {part}: [\d,]+/[\d,]+ \(100%\), \d+:\d\d", mine[-1]), mine[-1]
    assert lines.index(next(x for x in lines if x.startswith("  pre-train base: "))) < lines.index(
        next(x for x in lines if x.startswith("  LoRA tuning: ")))
    curl = [line for line in lines if "curl" in line]
    assert curl and all(line.count("'") % 2 == 0 for line in curl)  # each command whole on one line
