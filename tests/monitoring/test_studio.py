"""Studio's monitoring page: evaluator scores per variant over time, monitors with state, recent alerts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from genloop.monitoring import EvaluatorService, MonitoringWorker, MonitorService
from genloop.store import Store

from .conftest import add_traces


@pytest.fixture
def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """SQLite only: Studio draws what the monitoring services read, which test_online/test_alerts run on PostgreSQL."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


def test_monitoring_page_shows_scores_per_variant_monitors_and_alerts(store: Store) -> None:
    from genloop.gateway import with_gateway
    from genloop.server import create_app
    from genloop.studio import with_studio

    add_traces(store, 40, age_s=120, stored_age_s=60)
    add_traces(store, 10, age_s=120, status="error", stored_age_s=60)
    EvaluatorService(store).create({"name": "length", "deployment": "bot", "metric": "length", "sample_rate": 1.0,
                                    "delay_s": 0})
    MonitorService(store).create({"name": "errors", "signal": "error_rate", "deployment": "bot", "alert": 0.1})
    MonitoringWorker(store).tick()
    with TestClient(with_studio(with_gateway(create_app(store), store), store), base_url="http://127.0.0.1") as web:
        page = web.get("/projects/default/monitoring")
        assert page.status_code == 200, page.text
        html = page.text
        assert 'id="scores-length"' in html and ">canary<" in html and ">main<" in html and "n=20" in html
        assert "error_rate" in html and "badge-alert" in html and "[ALERT] monitor errors" in html
        assert web.get("/projects/default/monitoring?window=nope").status_code == 400
        assert 'href="/projects/default/monitoring"' in web.get("/projects/default/traces").text
