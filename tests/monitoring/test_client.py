"""The SDK on both twins (in-process and over REST): evaluators, monitors, alerts, drift, errors."""

from __future__ import annotations

import pytest

from genloop.errors import Conflict, InvalidInput, NotFound

from .conftest import add_traces


@pytest.fixture
def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """SQLite only: the SDK twins are thin over the monitoring services, which test_online/test_alerts/test_drift run on PostgreSQL."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


def test_monitoring_through_the_sdk(client, store) -> None:  # type: ignore[no-untyped-def]
    add_traces(store, 20, age_s=30, status="error")
    m = client.monitoring
    info = m.evaluators.create({"name": "length", "deployment": "bot", "metric": "length", "sample_rate": 0.5})
    assert info.spec.sample_rate == 0.5 and [e.name for e in m.evaluators.list()] == ["length"]
    with pytest.raises(Conflict):
        m.evaluators.create({"name": "length", "deployment": "bot", "metric": "length"})
    assert m.evaluators.set_enabled("length", False).enabled is False
    assert m.evaluators.scores("length") == []
    m.monitors.create({"name": "errors", "signal": "error_rate", "deployment": "bot", "alert": 0.5})
    assert m.monitors.evaluate("errors").state == "alert"
    [alert] = m.monitors.alerts(since_id=0)
    assert alert.event == "fired" and m.monitors.alerts(since_id=alert.id) == []
    assert m.monitors.deliveries(alert.id) == []
    report = m.drift.compare(deployment="bot", window_s=3600, signals=["input_length"])
    assert report.signals[0].signal == "input_length"
    with pytest.raises(NotFound):
        m.monitors.get("nope")
    with pytest.raises(InvalidInput):
        m.monitors.create({"name": "bad", "signal": "nope", "alert": 1})
    m.monitors.delete("errors")
    m.evaluators.delete("length")
    assert m.monitors.list() == [] and m.evaluators.list() == []
