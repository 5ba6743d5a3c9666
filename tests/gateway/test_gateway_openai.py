"""The gateway through the official openai client against a real uvicorn server and the mock upstream."""

from __future__ import annotations

import httpx
import pytest

from genloop.prompts import PromptService
from genloop.tracing import TraceService

from .conftest import mock_variant

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def test_chat_completion_headers_and_trace(store, upstream, deploy, gateway_factory) -> None:
    deploy("support", variants=[mock_variant(upstream, name="a")])
    with gateway_factory() as gw:
        raw = gw.openai().chat.completions.with_raw_response.create(
            model="support", messages=[{"role": "user", "content": "where is my order"}], user="u1",
            extra_body={"metadata": {"session_id": "s1", "channel": "web"}})
        answer = raw.parse()
        assert answer.choices[0].message.content == "where is my order"
        trace_id = raw.headers["x-genloop-trace-id"]
        assert raw.headers["x-genloop-deployment"] == "support"
        assert raw.headers["x-genloop-variant"] == "a"
        assert raw.headers["x-genloop-cache"] == "miss"
        gw.flush()
    trace = TraceService(store).get(trace_id)
    assert (trace.deployment, trace.deployment_version, trace.variant, trace.status) == ("support", 1, "a", "ok")
    assert (trace.user, trace.session_id, trace.metadata) == ("u1", "s1", {"channel": "web"})
    assert trace.model == "openai:mock-model" and trace.upstream_model == "mock-model"
    assert (trace.input_tokens, trace.output_tokens, trace.http_status) == (4, 4, 200)
    assert trace.input == [{"role": "user", "content": "where is my order"}]
    assert trace.output == {"role": "assistant", "content": "where is my order"}
    assert trace.latency_ms > 0
    assert [s.kind for s in trace.spans] == ["server", "client"]


def test_streaming_with_and_without_usage(store, upstream, deploy, gateway_factory) -> None:
    deploy("chat", variants=[mock_variant(upstream)])
    with gateway_factory() as gw:
        client = gw.openai()
        chunks = list(client.chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "one two three"}], stream=True,
            stream_options={"include_usage": True}))
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "one two three"
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
        plain = list(client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "four five"}],
                                                    stream=True))
        assert all(c.usage is None for c in plain)
        with httpx.stream("POST", gw.url + "/v1/chat/completions", json={
                "model": "chat", "stream": True, "messages": [{"role": "user", "content": "x"}]}) as response:
            lines = [line for line in response.iter_lines() if line]
        assert lines[-1] == "data: [DONE]"
        gw.flush()
    traces = TraceService(store).list(deployment="chat").items
    assert len(traces) == 3 and all(t.stream and t.status == "ok" for t in traces)
    assert all(t.ttft_ms is not None and t.output_tokens for t in traces)


def test_embeddings_and_models(upstream, deploy, gateway_factory) -> None:
    deploy("embedder", variants=[mock_variant(upstream)])
    deploy("other", variants=[mock_variant(upstream)])
    with gateway_factory() as gw:
        client = gw.openai()
        result = client.embeddings.create(model="embedder", input=["a", "b"])
        assert len(result.data) == 2 and len(result.data[0].embedding) == 32
        assert sorted(m.id for m in client.models.list()) == ["embedder", "other"]


def test_prompt_variables_and_label_move(store, upstream, deploy, gateway_factory) -> None:
    prompts = PromptService(store)
    prompts.create("support", messages=[{"role": "system", "content": "You help with {{ product }}."}])
    prompts.create("support", messages=[{"role": "system", "content": "You are terse about {{ product }}."}])
    prompts.label("support@1", "production")
    deploy("helper", variants=[mock_variant(upstream, prompt="support@production")])
    with gateway_factory(gateway_refresh_interval=0.05) as gw:
        client = gw.openai()
        first = client.chat.completions.with_raw_response.create(
            model="helper", messages=[{"role": "user", "content": "hi"}],
            extra_body={"genloop_variables": {"product": "GenLoop"}})
        with pytest.raises(Exception) as missing:
            client.chat.completions.create(model="helper", messages=[{"role": "user", "content": "hi"}])
        assert missing.value.status_code == 400 and "product" in str(missing.value)
        prompts.label("support@2", "production")
        gw.refresh()
        second = client.chat.completions.with_raw_response.create(
            model="helper", messages=[{"role": "user", "content": "hi"}],
            extra_body={"metadata": {"variables": {"product": "GenLoop"}}})
        gw.flush()
    service = TraceService(store)
    one, two = service.get(first.headers["x-genloop-trace-id"]), service.get(second.headers["x-genloop-trace-id"])
    assert one.prompt == "support@1" and two.prompt == "support@2"
    assert one.input[0] == {"role": "system", "content": "You help with GenLoop."}
    assert two.input == [{"role": "system", "content": "You are terse about GenLoop."}, {"role": "user", "content": "hi"}]


def test_sticky_weighted_variants(store, upstream, deploy, gateway_factory) -> None:
    deploy("ab", variants=[mock_variant(upstream, name="a", weight=1), mock_variant(upstream, name="b", weight=1)])
    with gateway_factory() as gw:
        client = gw.openai()

        def variant(user: str) -> str:
            raw = client.chat.completions.with_raw_response.create(
                model="ab", messages=[{"role": "user", "content": "x"}], user=user)
            return raw.headers["x-genloop-variant"]

        assert len({variant("alice") for _ in range(5)}) == 1
        seen = {variant(f"user-{i}") for i in range(30)}
        assert seen == {"a", "b"}


def test_cache_shadow_and_models_change_without_restart(store, upstream, deploy, gateway_factory) -> None:
    deploy("cached", variants=[mock_variant(upstream, name="main")], shadows=[mock_variant(upstream, name="shadow")],
           cache={"enabled": True, "ttl_s": 60})
    with gateway_factory() as gw:
        client = gw.openai()
        request = {"model": "cached", "messages": [{"role": "user", "content": "same"}]}
        first = client.chat.completions.with_raw_response.create(**request)
        second = client.chat.completions.with_raw_response.create(**request)
        assert (first.headers["x-genloop-cache"], second.headers["x-genloop-cache"]) == ("miss", "hit")
        assert second.parse().choices[0].message.content == "same"
        gw.flush()
        import time

        deadline = time.monotonic() + 5
        while len(TraceService(store).list(deployment="cached").items) < 4 and time.monotonic() < deadline:
            gw.flush()
            time.sleep(0.05)
    traces = TraceService(store).list(deployment="cached").items
    served = [t for t in traces if t.shadow_of is None]
    shadows = [t for t in traces if t.shadow_of is not None]
    assert len(served) == 2 and sum(t.cache_hit for t in served) == 1
    assert len(shadows) == 2 and {t.variant for t in shadows} == {"shadow"}
    assert {t.shadow_of for t in shadows} == {t.id for t in served}


def test_non_openai_providers_stream_through_the_adapter(store, deploy, gateway_factory) -> None:
    deploy("local", variants=[{"model": "mock:echo"}])
    with gateway_factory() as gw:
        client = gw.openai()
        chunks = list(client.chat.completions.create(model="local", messages=[{"role": "user", "content": "a b c"}],
                                                     stream=True, stream_options={"include_usage": True}))
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "a b c"
        assert chunks[-1].usage.completion_tokens == 3
        assert client.embeddings.create(model="local", input="x").data[0].embedding
        gw.flush()
    assert {t.provider for t in TraceService(store).list(deployment="local").items} == {"mock"}


def test_cache_entries_expire_after_their_ttl(upstream, deploy, gateway_factory) -> None:
    deploy("brief", variants=[mock_variant(upstream)], cache={"enabled": True, "ttl_s": 0.5})
    deploy("uncached", variants=[mock_variant(upstream)])
    with gateway_factory() as gw:
        client = gw.openai()

        def cache(model: str, text: str = "same") -> str:
            raw = client.chat.completions.with_raw_response.create(
                model=model, messages=[{"role": "user", "content": text}])
            return raw.headers["x-genloop-cache"]

        assert [cache("brief"), cache("brief"), cache("brief", "other")] == ["miss", "hit", "miss"]
        import time

        time.sleep(0.7)
        assert [cache("brief"), cache("brief")] == ["miss", "hit"]
        assert [cache("uncached"), cache("uncached")] == ["miss", "miss"]  # the cache is opt-in
        assert upstream.stats["chat.completions"] == 5
