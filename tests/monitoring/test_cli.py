"""`genloop monitoring ...` end to end through the real entry point."""

from __future__ import annotations

import pytest

from genloop.store import Store

from .conftest import add_traces


@pytest.fixture
def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """SQLite only: the CLI is thin over the monitoring services, which test_online/test_alerts/test_drift run on PostgreSQL."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


def test_cli_evaluators_monitors_alerts_drift_and_run_once(cli, store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_traces(store, 20, age_s=600, stored_age_s=600)
    add_traces(store, 20, age_s=600, status="error", stored_age_s=600)
    spec = tmp_path / "ev.yaml"
    spec.write_text("name: length\ndeployment: bot\nmetric: length\nsample_rate: 1.0\ndelay_s: 0\n")
    result = cli("monitoring", "evaluators", "create", str(spec))
    assert result.code == 0, result.err
    mon = tmp_path / "mon.yaml"
    mon.write_text("name: errors\nsignal: error_rate\ndeployment: bot\nalert: 0.4\nwindow_s: 3600\n")
    assert cli("monitoring", "monitors", "create", str(mon)).code == 0
    done = cli("monitoring", "run-once", "--json")
    assert done.code == 0, done.err
    assert done.json()["scored"] == 20 and done.json()["alerts"] == 1
    listed = cli("monitoring", "evaluators", "list", "--json").json()
    assert listed[0]["scored"] == 20
    alerts = cli("monitoring", "alerts", "--json").json()
    assert alerts[0]["level"] == "alert" and alerts[0]["monitor"] == "errors"
    assert "errors" in cli("monitoring", "monitors", "list").out
    assert cli("monitoring", "monitors", "pause", "errors").code == 0
    assert cli("monitoring", "monitors", "show", "errors").json()["enabled"] is False
    assert cli("monitoring", "evaluators", "pause", "length").code == 0
    assert cli("monitoring", "evaluators", "show", "length").json()["enabled"] is False
    drift = cli("monitoring", "drift", "-d", "bot", "--signal", "input_length", "--json")
    assert drift.code == 0 and drift.json()["signals"][0]["verdict"] == "no_data"


def test_cli_bad_spec_is_one_line(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: x\ndeployment: bot\n")
    result = cli("monitoring", "evaluators", "create", str(spec))
    assert result.code == 1 and "exactly one of metric and judge" in result.err and len(result.err.strip().splitlines()) <= 2
    missing = cli("monitoring", "monitors", "create", str(tmp_path / "nope.yaml"))
    assert missing.code == 1 and "cannot read" in missing.err
