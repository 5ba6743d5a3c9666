"""Feedback on traces through the service and its REST twin, listed with the trace; and the CLI."""

from __future__ import annotations

import pytest

from genloop.errors import InvalidInput, NotFound
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
    with pytest.raises(NotFound, match="has no trace"):  # looked for a few flush intervals, then refused
        fb.create(new_trace_id(), comment="no such trace")
    assert fb.create(trace_id[:10], name="short", comment="a unique prefix of the id").trace_id == trace_id
    assert [f.name for f in twin.traces.get(trace_id[:8]).feedback] == ["score", "thumbs", "tone", "answer", "short"]
    assert fb.list(trace_id=trace_id).total == 5
    assert [f.correction for f in fb.list(has_correction=True).items] == ["Paris"]
    assert fb.list(name="thumbs").items[0].value is True
    for bad in ({"trace_id": "nope", "value": 1}, {"trace_id": trace_id}, {"trace_id": trace_id, "value": [1]},
                {"trace_id": trace_id, "value": 1, "source": "robot"}):
        with pytest.raises(InvalidInput):
            fb.create(bad.pop("trace_id"), **bad)


def test_feedback_cli(sqlite_env) -> None:
    from typer.testing import CliRunner

    from genloop.cli.feedback import app
    from genloop.tracing import TraceService

    trace_id = new_trace_id()
    TraceService(sqlite_env).record([{"id": trace_id, "deployment": "bot", "started_at": 1700000000.0}])
    runner = CliRunner()
    missing = runner.invoke(app, ["add", new_trace_id(), "--score", "0.5"])
    assert missing.exit_code != 0
    added = runner.invoke(app, ["add", trace_id, "--score", "0.5", "--comment", "ok"])
    assert added.exit_code == 0 and "numeric" in added.output
    assert runner.invoke(app, ["add", trace_id, "--good", "--name", "thumbs"]).exit_code == 0
    assert runner.invoke(app, ["add", trace_id, "--correction", "better", "--name", "fix"]).exit_code == 0
    listed = runner.invoke(app, ["list", "--trace", trace_id, "--json"])
    assert listed.exit_code == 0 and listed.output.count('"trace_id"') == 3
    assert '"better"' in runner.invoke(app, ["list", "--corrections", "--json"]).output
