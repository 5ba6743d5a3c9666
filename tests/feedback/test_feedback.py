"""Feedback on traces through the service and its REST twin, listed with the trace; and the CLI."""

from __future__ import annotations

import pytest

from genloop.errors import InvalidInput
from genloop.tracing import new_trace_id


def test_feedback_kinds_listed_with_its_trace(twin) -> None:
    trace_id = new_trace_id()
    assert twin.traces.record([{"id": trace_id, "deployment": "bot", "started_at": 1700000000.0}]) == 1
    fb = twin.feedback
    assert fb.create(trace_id, value=0.8).kind == "numeric"
    assert fb.create(trace_id, name="thumbs", value=True, source="human").value is True
    assert fb.create(trace_id, name="tone", value="rude").kind == "categorical"
    fixed = fb.create(trace_id, name="answer", comment="wrong city", correction="Paris", metadata={"by": "qa"})
    assert (fixed.kind, fixed.correction, fixed.metadata) == ("correction", "Paris", {"by": "qa"})
    assert fb.create(new_trace_id(), comment="trace still in flight").kind == "comment"
    assert [f.name for f in twin.traces.get(trace_id).feedback] == ["score", "thumbs", "tone", "answer"]
    assert fb.list(trace_id=trace_id).total == 4
    assert [f.correction for f in fb.list(has_correction=True).items] == ["Paris"]
    assert fb.list(name="thumbs").items[0].value is True
    for bad in ({"trace_id": "nope", "value": 1}, {"trace_id": trace_id}, {"trace_id": trace_id, "value": [1]},
                {"trace_id": trace_id, "value": 1, "source": "robot"}):
        with pytest.raises(InvalidInput):
            fb.create(bad.pop("trace_id"), **bad)


def test_feedback_cli(sqlite_env) -> None:
    from typer.testing import CliRunner

    from genloop.cli.feedback import app

    trace_id = new_trace_id()
    runner = CliRunner()
    added = runner.invoke(app, ["add", trace_id, "--score", "0.5", "--comment", "ok"])
    assert added.exit_code == 0 and "numeric" in added.output
    assert runner.invoke(app, ["add", trace_id, "--good", "--name", "thumbs"]).exit_code == 0
    assert runner.invoke(app, ["add", trace_id, "--correction", "better", "--name", "fix"]).exit_code == 0
    listed = runner.invoke(app, ["list", "--trace", trace_id, "--json"])
    assert listed.exit_code == 0 and listed.output.count('"trace_id"') == 3
    assert '"better"' in runner.invoke(app, ["list", "--corrections", "--json"]).output
