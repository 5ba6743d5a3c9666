"""Bad input and bad upstreams: every one gets the right OpenAI-shaped error or the fallback, and a trace."""

from __future__ import annotations

import concurrent.futures
import socket

import httpx
import openai
import pytest

from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.tracing import TraceService

from .conftest import BadUpstream, mock_variant

CHAT = "/v1/chat/completions"


def _error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert set(body) >= {"message", "type", "param", "code"}
    return body


def test_bad_requests_get_openai_errors_and_traces(store, upstream, deploy, gateway_factory) -> None:
    deploy("chat", variants=[mock_variant(upstream)])
    with gateway_factory(gateway_max_body_mb=1) as gw, httpx.Client(base_url=gw.url, timeout=10) as http:
        assert _error(http.post(CHAT, content=b"{not json", headers={"content-type": "application/json"}),
                      400)["code"] == "invalid_json"
        assert _error(http.post(CHAT, content=b'{"model": "chat", "messages": [{"role": "user", "content": "\xff"}]}'),
                      400)["code"] == "invalid_json"
        assert _error(http.post(CHAT, json={"model": "chat"}), 400)["param"] == "messages"
        assert _error(http.post(CHAT, json={"messages": [{"role": "user", "content": "x"}]}), 400)["param"] == "model"
        assert _error(http.post(CHAT, json={"model": "chat", "messages": ["x"]}), 400)["param"] == "messages[0]"
        missing = _error(http.post(CHAT, json={"model": "nope", "messages": [{"role": "user", "content": "x"}]}), 404)
        assert missing["code"] == "model_not_found"
        big = b'{"model": "chat", "messages": [], "pad": "' + b"x" * (50 * 1024 * 1024) + b'"}'
        assert _error(http.post(CHAT, content=big), 413)["code"] == "request_too_large"
        assert _error(http.get(CHAT), 405)["code"] == "method_not_allowed"
        assert _error(http.get("/v1/nothing"), 404)["code"] == "unknown_url"
        gw.flush()
    traces = TraceService(store).list(limit=100).items
    assert len(traces) == 7 and all(t.status == "error" and t.http_status in (400, 404, 413) for t in traces)


def test_upstream_failures_map_to_errors(store, deploy, gateway_factory) -> None:
    fast = {"retries": {"attempts": 2, "backoff_ms": 1}, "timeout_s": 1.0, "circuit_breaker": {"enabled": False}}
    with BadUpstream() as bad, MockUpstreamServer(script=[{"status": 500}]) as five, \
            MockUpstreamServer(script=[{"status": 429}]) as limited, gateway_factory() as gw:
        for name in ("garbage", "reset", "hang"):
            deploy(name, variants=[{"model": f"openai:{name}", "base_url": bad.url}], **fast)
        deploy("five", variants=[mock_variant(five)], **fast)
        deploy("limited", variants=[mock_variant(limited)], **fast)
        deploy("rescued", variants=[mock_variant(five, name="main")], fallbacks=[{"model": "openai:garbage",
               "base_url": bad.url}, {"model": "mock:echo", "name": "last"}], **fast)
        gw.refresh()
        client = gw.openai()
        messages = [{"role": "user", "content": "hi"}]
        for name, error, status in (("garbage", openai.InternalServerError, 502),
                                    ("reset", openai.InternalServerError, 502),
                                    ("hang", openai.InternalServerError, 504),
                                    ("five", openai.InternalServerError, 502),
                                    ("limited", openai.RateLimitError, 429)):
            with pytest.raises(error) as caught:
                client.chat.completions.create(model=name, messages=messages)
            assert caught.value.status_code == status, name
        assert five.stats["chat.completions"] == 2  # retried once
        raw = client.chat.completions.with_raw_response.create(model="rescued", messages=messages)
        assert raw.parse().choices[0].message.content == "hi"
        gw.flush()
        trace = TraceService(store).get(raw.headers["x-genloop-trace-id"])
    assert trace.status == "ok" and trace.variant == "main" and trace.metadata["genloop.fallback"] == "last"
    assert [s.status for s in trace.spans[1:]] == ["error", "error", "error", "error", "ok"]


def test_circuit_breaker_skips_a_failing_upstream(deploy, gateway_factory) -> None:
    with MockUpstreamServer(script=[{"status": 503}]) as failing, MockUpstreamServer() as healthy, \
            gateway_factory() as gw:
        deploy("guarded", variants=[mock_variant(failing)], fallbacks=[mock_variant(healthy, name="backup")],
               retries={"attempts": 1}, circuit_breaker={"failures": 2, "cooldown_s": 60})
        gw.refresh()
        client = gw.openai()
        for _ in range(5):
            assert client.chat.completions.create(model="guarded", messages=[{"role": "user", "content": "x"}])
        assert failing.stats["chat.completions"] == 2
        assert healthy.stats["chat.completions"] == 5


def test_client_disconnect_mid_stream_cancels_and_is_traced(store, deploy, gateway_factory) -> None:
    with BadUpstream() as bad, gateway_factory() as gw:
        deploy("slow", variants=[{"model": "openai:slowstream", "base_url": bad.url}])
        gw.refresh()
        request = {"model": "slow", "stream": True, "messages": [{"role": "user", "content": "x"}]}
        with httpx.Client(base_url=gw.url, timeout=10) as http, http.stream("POST", CHAT, json=request) as response:
            trace_id = response.headers["x-genloop-trace-id"]
            next(response.iter_lines())
        assert bad.aborted.wait(3), "the upstream call was left running"
        assert bad.chunks_sent < 50
        gw.flush()
        trace = TraceService(store).get(trace_id)
    assert trace.status == "cancelled" and trace.error_type == "client_disconnected"
    assert trace.output["content"].startswith("tick")


def test_truncated_stream_ends_with_an_error_event(store, deploy, gateway_factory) -> None:
    with BadUpstream() as bad, gateway_factory() as gw:
        deploy("cut", variants=[{"model": "openai:truncated", "base_url": bad.url}])
        gw.refresh()
        stream = gw.openai().chat.completions.create(model="cut", messages=[{"role": "user", "content": "x"}],
                                                     stream=True)
        with pytest.raises(openai.APIError):
            list(stream)
        gw.flush()
    (trace,) = TraceService(store).list(deployment="cut").items
    assert trace.status == "error" and trace.output["content"] == "partial "


def test_overload_sheds_with_503_and_traces_every_answer(store, deploy, gateway_factory) -> None:
    with MockUpstreamServer(latency_ms=300) as slow, gateway_factory(gateway_max_inflight=4) as gw:
        deploy("busy", variants=[mock_variant(slow)])
        gw.refresh()
        request = {"model": "busy", "messages": [{"role": "user", "content": "x"}]}
        with httpx.Client(base_url=gw.url, timeout=10, limits=httpx.Limits(max_connections=40)) as http, \
                concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda _: http.post(CHAT, json=request).status_code, range(16)))
        assert set(statuses) == {200, 503} and statuses.count(200) >= 4
        gw.flush()
    traces = TraceService(store).list(deployment=None, limit=100).items
    assert len(traces) == 16
    assert sorted(t.http_status for t in traces) == sorted(statuses)


def test_health_reports_state(store, deploy, upstream, gateway_factory) -> None:
    deploy("chat", variants=[mock_variant(upstream)])
    from genloop.connections import ConnectionService

    ConnectionService(store).create("box", provider="openai", base_url=upstream.url + "/v1")
    deploy("broken", variants=[{"model": "openai:mock-model", "connection": "box"}])  # checked: it exists now
    ConnectionService(store).delete("box")  # ... and then it does not
    with gateway_factory() as gw, httpx.Client(base_url=gw.url) as http:
        health = http.get("/healthz").json()
        assert health["status"] == "ok" and health["deployments"] == 1
        assert "default/broken" in health["broken"]
        error = _error(http.post(CHAT, json={"model": "broken", "messages": [{"role": "user", "content": "x"}]}), 422)
        assert error["code"] == "deployment_broken" and "connection 'box' does not exist" in error["message"]
        from openai import OpenAI, UnprocessableEntityError

        client = OpenAI(base_url=gw.url + "/v1", api_key="any", max_retries=2)
        with pytest.raises(UnprocessableEntityError):  # not retried: one call, one trace
            client.chat.completions.create(model="broken", messages=[{"role": "user", "content": "x"}])
        gw.flush()
    traces = TraceService(store).list(limit=10).items
    assert [(t.deployment, t.http_status) for t in traces] == [("broken", 422)] * 2


def test_reset_connection_port_is_closed() -> None:
    with socket.socket() as sock:  # sanity: the bad upstream closes connections it "resets"
        sock.settimeout(5)
        with BadUpstream() as bad:
            sock.connect(("127.0.0.1", bad.port))
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: 8\r\n\r\n\"reset\" ")
            assert sock.recv(100) == b""


def test_streams_fall_back_before_the_first_byte(store, upstream, deploy, gateway_factory) -> None:
    with MockUpstreamServer(script=[{"status": 500}]) as five, MockUpstreamServer(script=[{"status": 429}]) as limited, \
            gateway_factory() as gw:
        deploy("rescued", variants=[mock_variant(five, name="main")],
               fallbacks=[mock_variant(limited, name="second"), mock_variant(upstream, name="last")],
               retries={"attempts": 1}, circuit_breaker={"enabled": False})
        deploy("failing", variants=[mock_variant(five)], retries={"attempts": 1})
        gw.refresh()
        client = gw.openai()
        stream = client.chat.completions.with_raw_response.create(
            model="rescued", messages=[{"role": "user", "content": "a b"}], stream=True)
        assert stream.headers["x-genloop-variant"] == "main"
        assert "".join(c.choices[0].delta.content or "" for c in stream.parse() if c.choices) == "a b"
        with pytest.raises(openai.InternalServerError) as failed:  # no fallback: an error status, not a stream
            client.chat.completions.create(model="failing", messages=[{"role": "user", "content": "x"}], stream=True)
        assert failed.value.status_code == 502 and failed.value.code == "upstream_error"
        gw.flush()
        trace = TraceService(store).get(stream.headers["x-genloop-trace-id"])
    assert trace.status == "ok" and trace.stream and trace.metadata["genloop.fallback"] == "last"
    assert [s.status for s in trace.spans[1:]] == ["error", "error", "ok"]
    assert (five.stats["chat.completions"], limited.stats["chat.completions"]) == (2, 1)
