"""Fault injection on monitoring: judges answering garbage, the store restarted in the middle of a tick, webhook
receivers down then up, and what a caller-chosen webhook URL can ever receive (no server secret or header)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from genloop.feedback import FeedbackService
from genloop.monitoring import EvaluatorService, MonitoringWorker, MonitorService
from genloop.providers import MockProvider
from genloop.server import BackgroundServer
from genloop.store import Store, utcnow

from .conftest import add_traces


def later(seconds: float = 120.0):  # type: ignore[no-untyped-def]
    return lambda: utcnow() + dt.timedelta(seconds=seconds)


def _judged(store: Store, name: str) -> list[Any]:
    return list(FeedbackService(store).list(name=name, limit=1000).items)


JUDGE = {"name": "helpful", "deployment": "bot", "judge": {"model": "mock:judge"}, "sample_rate": 1.0, "delay_s": 0,
         "max_calls_per_minute": 10_000}


@pytest.mark.parametrize("reply", [
    '{"reasoning": "x", "score": 99}', '{"reasoning": "x", "score": -3}', '{"reasoning": "x", "score": NaN}',
    '{"reasoning": "x", "score": Infinity}', '{"reasoning": "x", "score": 1e400}', '{"reasoning": "x", "score": "4"}',
    '{"reasoning": "x", "score": true}', '{"reasoning": "x", "score": [4]}', '{"reasoning": "x", "score": null}',
    "", "\u0000" * 50, "{" * 5000, "score: " + "9" * 400,
])
def test_a_judge_answering_garbage_records_nothing_false(store: Store, reply: str) -> None:
    add_traces(store, 6)
    EvaluatorService(store).create(JUDGE)
    report = MonitoringWorker(store, clock=later(), providers={"mock": MockProvider(reply=reply)}).tick()
    for feedback in _judged(store, "helpful"):  # whatever was read is a finite score on the judge's scale
        assert isinstance(feedback.value, float | int) and math.isfinite(feedback.value), (reply[:40], feedback)
        assert 1 <= feedback.value <= 5, (reply[:40], feedback.value)
    assert report.scored + report.skipped == 6 or report.evaluator_errors, report


class _Restarting(MockProvider):
    """A judge whose first call drops every pooled database connection (the store restarting under a tick)."""

    def __init__(self, store: Store, **kw: Any) -> None:
        super().__init__(**kw)
        self.store, self.restarted = store, False

    async def _before_call(self, request: Any) -> None:
        if not self.restarted:
            self.restarted = True
            _restart(self.store)
        await super()._before_call(request)


def _restart(store: Store) -> None:
    if store.db.is_postgres:  # the server kills every session of this database, as a restart does
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(store.db.url)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": url.database})
        admin.dispose()
    store.db.read_engine.dispose()
    store.db.write_engine.dispose()


def test_the_store_restarted_mid_tick_scores_each_trace_once(store: Store) -> None:
    ids = add_traces(store, 12)
    EvaluatorService(store).create(JUDGE)
    MonitorService(store).create({"name": "low", "signal": "feedback_mean:helpful", "direction": "below",
                                  "alert": 4.5})
    judge = _Restarting(store, reply='{"reasoning": "fine", "score": 4}')
    worker = MonitoringWorker(store, clock=later(), providers={"mock": judge})
    reports = [worker.tick() for _ in range(3)]  # the store went away under the first: it carries on
    assert judge.restarted and sum(r.scored for r in reports) == 12, reports
    got = _judged(store, "helpful")
    assert sorted(f.trace_id for f in got) == sorted(ids)  # every trace scored, none twice
    [alert] = MonitorService(store).alerts()
    assert (alert.monitor, alert.level) == ("low", "alert")


class _Receiver:
    """A loopback webhook receiver that records requests; down (connection refused) until entered."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        app = FastAPI()

        @app.post("/{path:path}")
        async def hook(request: Request) -> Response:
            self.requests.append((dict(request.headers), await request.body()))
            return Response(status_code=204)

        self.server = BackgroundServer(app)


def test_a_receiver_down_then_up_gets_the_alert_once_and_never_a_server_secret(tmp_path: Any, store: Store) -> None:
    """The store's settings carry secrets (OTLP export headers, a provider key); a webhook sees none of them."""
    from genloop.server import create_app

    secret_store = Store(store.settings.model_copy(update={
        "otlp_export_headers": "authorization=Bearer OTLP-SECRET-1,x-api-key=OTLP-SECRET-2", "auth": True}))
    receiver = _Receiver()
    try:
        from genloop.auth import KeyService

        key = KeyService(secret_store, "default").create("ops", scopes=["admin"]).key
        add_traces(secret_store, 5, age_s=10, status="error")
        with BackgroundServer(create_app(secret_store)) as api:
            url = f"{receiver.server.url}/hook?x=1"  # its port is bound, not yet listening: refused
            answer = httpx.post(f"{api.url}/api/v1/projects/default/monitoring/monitors",
                                headers={"authorization": f"Bearer {key}", "cookie": "genloop_session=COOKIE"},
                                json={"name": "errors", "signal": "error_rate", "alert": 0.5,
                                      "webhooks": [{"url": url}, {"url": url, "format": "slack"}]})
            assert answer.status_code == 201, answer.text
            worker = MonitoringWorker(secret_store)
            first = worker.tick()  # receiver down: both deliveries fail and stay pending
            assert first.alerts == 1 and first.delivered == 0 and first.delivery_failures == 2
            with receiver.server:
                later_now = utcnow() + dt.timedelta(seconds=30)
                second = MonitoringWorker(secret_store, clock=lambda: later_now).tick()
                third = MonitoringWorker(secret_store, clock=lambda: later_now).tick()
            assert (second.delivered, third.delivered) == (2, 0)
        assert len(receiver.requests) == 2  # each delivery once
        for headers, body in receiver.requests:
            seen = (str(headers) + body.decode()).lower()
            for secret in ("otlp-secret", key.lower(), "cookie", "authorization", "x-api-key"):
                assert secret not in seen, secret
        [alert] = MonitorService(secret_store).alerts()
        assert {d.status for d in MonitorService(secret_store).deliveries(alert.id)} == {"sent"}
    finally:
        secret_store.close()


def test_the_otlp_export_endpoint_is_configuration_only(store: Store) -> None:
    """No REST route, request body or SDK call takes an OTLP endpoint or its headers (a caller cannot choose
    where the project's traces, with the collector's key, are sent)."""
    from genloop.server import create_app

    schema = create_app(store).openapi()
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            names.update(str(k).lower() for k in node.get("properties", {}))
            if "in" in node and "name" in node:  # a path, query or header parameter
                names.add(str(node["name"]).lower())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert "url" in names  # the walk sees request fields (a webhook's url)
    assert not [n for n in names if "otlp" in n or "endpoint" in n or "collector" in n], sorted(names)
    assert not [p for p in schema["paths"] if "otlp" in p and "export" in p]


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x",
                                 "http://100.100.100.200/x", "http://[::ffff:169.254.169.254]/x", "http://0.0.0.0:80/",
                                 "http://[fd00:ec2::254]/", "http://224.0.0.1/"])
def test_a_webhook_to_a_metadata_or_link_local_address_is_refused(store: Store, url: str) -> None:
    from genloop.errors import InvalidInput

    with pytest.raises(InvalidInput, match="webhook url"):
        MonitorService(store).create({"name": "m", "signal": "error_rate", "alert": 0.5, "webhooks": [{"url": url}]})


def test_a_webhook_name_that_resolves_to_a_metadata_address_is_not_sent(store: Store, monkeypatch: Any) -> None:
    """A host name is checked when it is resolved, at each delivery (the name may point elsewhere later)."""
    import socket

    real = socket.getaddrinfo

    def resolve(host: str, *args: Any, **kw: Any) -> Any:
        if host == "hooks.attacker.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 0))]
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    sent: list[str] = []
    http = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(str(r.url)) or httpx.Response(204)))
    add_traces(store, 3, age_s=10, status="error")
    monitors = MonitorService(store)
    monitors.create({"name": "m", "signal": "error_rate", "alert": 0.5,
                     "webhooks": [{"url": "http://hooks.attacker.test/x"}, {"url": "http://127.0.0.1:1/ok"}]})
    report = MonitoringWorker(store, http=http).tick()
    assert sent == ["http://127.0.0.1:1/ok"] and (report.delivered, report.delivery_failures) == (1, 1)
    refused = [d for d in monitors.deliveries(monitors.alerts()[0].id) if d.status == "pending"]
    assert "refused" in (refused[0].last_error or "") and "169.254.169.254" in (refused[0].last_error or "")


def test_a_judge_at_a_caller_chosen_base_url_never_gets_the_servers_key(store: Store) -> None:
    """An evaluator's judge may be a registry model with its own base URL (anyone with project.write can
    register one): the server's provider key is sent only to the server's own endpoint, never there."""
    from genloop.models import ModelService

    seen: list[dict[str, str]] = []
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict[str, Any]:
        seen.append(dict(request.headers))
        return {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": '{"reasoning": "ok", "score": 3}'}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    keyed = Store(store.settings.model_copy(update={"openai_api_key": "sk-SERVER-SECRET"}))
    try:
        with BackgroundServer(app) as upstream:
            ModelService(keyed).register("outside-judge", kind="provider", uri="openai:m",
                                         base_url=f"{upstream.url}/v1")
            add_traces(keyed, 3)
            EvaluatorService(keyed).create({**JUDGE, "judge": {"model": "outside-judge@1"}})
            report = MonitoringWorker(keyed, clock=later()).tick()
            assert report.scored == 3 and len(seen) == 3, report
            assert not [h for h in seen if "SERVER-SECRET" in str(h) or "authorization" in h]
            # the control: the server's own endpoint (configured, not chosen by a caller) does get the key
            own = Store(keyed.settings.model_copy(update={"openai_base_url": f"{upstream.url}/v1"}))
            try:
                EvaluatorService(own).create({**JUDGE, "name": "own", "judge": {"model": "openai:m"}})
                assert MonitoringWorker(own, clock=later()).tick().scored == 3
            finally:
                own.close()
        assert seen[-1].get("authorization") == "Bearer sk-SERVER-SECRET"
    finally:
        keyed.close()


def test_a_spec_stored_under_older_rules_does_not_hold_up_deliveries(store: Store) -> None:
    """Deliveries are built from the stored alert and spec as they are (a spec that today's checks would refuse,
    e.g. written before a rule was added, still gets its alert delivered, and so do the others)."""
    from sqlalchemy import update

    from genloop.monitoring._alerts import deliver_due
    from genloop.monitoring._tables import AlertRow, DeliveryRow, MonitorRow

    add_traces(store, 3, age_s=10, status="error")
    monitors = MonitorService(store)
    sent: list[str] = []
    http = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(str(r.url)) or httpx.Response(204)))
    for name in ("old", "new"):
        monitors.create({"name": name, "signal": "error_rate", "alert": 0.5,
                         "webhooks": [{"url": f"http://127.0.0.1:1/{name}"}]})
    MonitoringWorker(store, http=http).tick()  # both fire and deliver
    store.db.write(lambda s: s.execute(update(MonitorRow).where(MonitorRow.name == "old").values(
        spec={**MonitorService(store).get("new").spec.model_dump(mode="json", exclude={"name"}),
              "deployment": "not a name", "webhooks": [{"url": "http://127.0.0.1:1/old"}]})))

    def requeue(session: Any) -> None:  # two fresh alerts, as if both had fired again
        for row in session.query(AlertRow).all():
            session.add(DeliveryRow(alert_id=row.id, url=f"http://127.0.0.1:1/{row.monitor}", format="json",
                                    status="pending", attempts=0, next_attempt_at=utcnow()))

    store.db.write(requeue)
    sent.clear()
    assert deliver_due(store, http=http) == (2, 0)
    assert sorted(sent) == ["http://127.0.0.1:1/new", "http://127.0.0.1:1/old"]


def test_two_workers_on_one_database_score_alert_and_deliver_once(store: Store) -> None:
    """Two servers on one database each run the worker: every trace is scored once, a monitor's change of level
    writes one alert, and each delivery is sent once."""
    import threading

    ids = add_traces(store, 40)
    EvaluatorService(store).create({"name": "len", "deployment": "bot", "metric": "length", "sample_rate": 1.0,
                                    "delay_s": 0})
    MonitorService(store).create({"name": "many", "signal": "requests", "alert": 1, "window_s": 3600,
                                  "webhooks": [{"url": "http://127.0.0.1:1/a"}, {"url": "http://127.0.0.1:1/b"}]})
    sent: list[str] = []
    lock = threading.Lock()

    def record(request: httpx.Request) -> httpx.Response:
        with lock:
            sent.append(str(request.url))
        return httpx.Response(204)

    stores = [Store(store.settings) for _ in range(2)]
    try:
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(s: Store) -> None:
            try:
                worker = MonitoringWorker(s, clock=later(), http=httpx.Client(transport=httpx.MockTransport(record)))
                start.wait()
                for _ in range(3):
                    worker.tick()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for s in stores:
            s.close()
    assert not errors, errors
    assert sorted(f.trace_id for f in _judged(store, "len")) == sorted(ids)
    [alert] = MonitorService(store).alerts()
    assert sorted(sent) == ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"], sent
    assert {d.status for d in MonitorService(store).deliveries(alert.id)} == {"sent"}
