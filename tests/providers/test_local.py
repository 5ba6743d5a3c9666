"""The local provider: a tiny Hugging Face model built here, run in-process with micro-batching, the chat
template or its plain fallback, sampling parameters, usage and latency; and registry versions routed to it."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from genloop.errors import InvalidInput, NotFound
from genloop.providers import ChatRequest, CompletionRequest, get_provider, resolve_model
from genloop.providers._local import MODELS, LocalProvider, plain_transcript
from genloop.providers._local_load import LoadedModel, ModelCache, local_model_name, split_name

ASK = [{"role": "user", "content": "What is 3 plus 4?"}]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    import torch

    from genloop.tuning import build_tiny_model

    torch.set_num_threads(1)
    folder = build_tiny_model(tmp_path_factory.mktemp("local") / "tiny", size="test", steps=20)
    yield folder
    MODELS.clear()


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _chat(provider: LocalProvider, model: str, **fields: Any) -> Any:
    fields.setdefault("messages", ASK)
    return await provider.chat(ChatRequest(model=model, **fields))


def test_chat_is_greedy_by_default_with_usage_and_latency(tiny: Path) -> None:
    async def go() -> tuple[Any, Any]:
        provider, model = resolve_model(f"local:{tiny}")
        async with provider:
            return await _chat(provider, model, max_tokens=8), await _chat(provider, model, max_tokens=8)

    first, second = _run(go())
    assert first.text == second.text and first.provider == "local" and first.model == str(tiny)
    assert first.usage.input_tokens > 5 and 0 < first.usage.output_tokens <= 8
    assert first.latency_s > 0 and first.finish_reason in ("stop", "length") and first.cost is None


def test_requests_that_arrive_together_are_batched_and_match_one_at_a_time(tiny: Path) -> None:
    questions = [[{"role": "user", "content": f"What is {i} plus {i}?"}] for i in range(6)]

    async def go() -> tuple[list[Any], list[Any], list[int]]:
        async with LocalProvider(max_batch=8, batch_window_ms=50) as provider:
            together = await asyncio.gather(*(_chat(provider, str(tiny), messages=q, max_tokens=6)
                                              for q in questions))
            sizes = list(provider.batcher(str(tiny)).batches)
        async with LocalProvider(max_batch=1) as alone:
            single = [await _chat(alone, str(tiny), messages=q, max_tokens=6) for q in questions]
        return together, single, sizes

    together, single, sizes = _run(go())
    assert max(sizes) > 1  # left-padded into shared generate calls
    assert [r.text for r in together] == [r.text for r in single]
    assert [r.usage.input_tokens for r in together] == [r.usage.input_tokens for r in single]


def test_max_tokens_stop_and_seeded_sampling(tiny: Path) -> None:
    async def go() -> dict[str, Any]:
        async with LocalProvider() as p:
            return {"short": await _chat(p, str(tiny), max_tokens=1),
                    "a": await _chat(p, str(tiny), temperature=1.0, top_p=0.9, seed=7, max_tokens=10),
                    "b": await _chat(p, str(tiny), temperature=1.0, top_p=0.9, seed=7, max_tokens=10),
                    "free": await _chat(p, str(tiny), max_tokens=12)}

    out = _run(go())
    assert out["short"].usage.output_tokens <= 1
    assert out["a"].text == out["b"].text  # same seed, same sample
    text = out["free"].text
    if len(text) > 2:
        stop = text[1:3]

        async def stopped() -> Any:
            async with LocalProvider() as p:
                return await _chat(p, str(tiny), max_tokens=12, stop=[stop])

        cut = _run(stopped())
        assert stop not in cut.text and cut.finish_reason == "stop" and text.startswith(cut.text)


def test_stream_and_complete(tiny: Path) -> None:
    async def go() -> tuple[list[Any], Any, Any]:
        async with LocalProvider() as p:
            chunks = [c async for c in p.chat_stream(ChatRequest(model=str(tiny), messages=ASK, max_tokens=6))]
            whole = await _chat(p, str(tiny), max_tokens=6)
            completed = await p.complete(CompletionRequest(model=str(tiny), prompt="3 plus 4 is", max_tokens=4))
        return chunks, whole, completed

    chunks, whole, completed = _run(go())
    assert "".join(c.delta for c in chunks) == whole.text
    assert chunks[-1].is_final and chunks[-1].usage == whole.usage
    assert completed.usage.output_tokens > 0 and completed.usage.input_tokens >= 4


def test_a_model_without_chat_template_gets_plain_role_prefixes(tiny: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(tiny, plain)
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    async def go() -> Any:
        async with LocalProvider() as provider:
            return await _chat(provider, str(plain), max_tokens=3)

    reply = _run(go())
    assert reply.usage.output_tokens > 0
    loaded = MODELS.get(str(plain), lambda n: pytest.fail("already loaded"))
    assert not loaded.has_chat_template
    assert plain_transcript([{"role": "system", "content": "Be brief."}, *ASK]) == (
        "System: Be brief.\nUser: What is 3 plus 4?\nAssistant:")


def test_errors_name_the_problem(tiny: Path, tmp_path: Path) -> None:
    provider = LocalProvider()
    with pytest.raises(NotFound, match="does not exist"):
        _run(_chat(provider, str(tmp_path / "nowhere")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="holds no model"):
        _run(_chat(provider, str(tmp_path / "empty")))
    with pytest.raises(InvalidInput, match="the prompt has .* tokens; .* reads at most 128"):
        _run(_chat(provider, str(tiny), messages=[{"role": "user", "content": "plus " * 300}]))
    with pytest.raises(InvalidInput, match="no tools"):
        _run(_chat(provider, str(tiny), tools=[{"type": "function", "function": {"name": "f"}}]))
    with pytest.raises(InvalidInput, match="no extra fields"):
        _run(_chat(provider, str(tiny), extra={"logprobs": True}))
    assert not provider.supports("embed")
    _run(provider.aclose())


def test_the_model_cache_loads_each_name_once_and_evicts_the_least_recently_used() -> None:
    loads: list[str] = []

    def loader(name: str) -> LoadedModel:
        loads.append(name)
        return LoadedModel(name=name, model=None, tokenizer=None, device="cpu", context=8)

    cache = ModelCache(size=2)
    for name in ["a", "b", "a", "c", "a", "b"]:
        assert cache.get(name, loader).name == name
    assert loads == ["a", "b", "c", "b"] and cache.names() == ["a", "b"]
    cache.discard("a")
    assert cache.names() == ["b"]


def test_registry_versions_map_to_local_model_names(tmp_path: Path) -> None:
    from types import SimpleNamespace as V

    base = V(kind="checkpoint", uri="/models/base", ref="base@1", base=None)
    adapter = V(kind="adapter", uri="file:///models/ad", ref="ad@2", base="base@1")
    name = local_model_name(adapter, {"base@1": base}.__getitem__)
    assert name == "/models/ad?base=/models/base" and split_name(name) == ("/models/ad", "/models/base")
    with pytest.raises(InvalidInput, match="provider model"):
        local_model_name(V(kind="provider", uri="openai:x", ref="p@1", base=None), lambda r: None)


def test_evals_and_the_gateway_route_registered_checkpoints_to_this_provider(tiny: Path, store: Any) -> None:
    from genloop.datasets import DatasetService
    from genloop.evals import EvalService
    from genloop.evals._plan import resolve_target
    from genloop.gateway._config import _target
    from genloop.models import ModelService
    from genloop.tuning import register_tiny_model, synthetic_tasks

    models = ModelService(store)
    version = register_tiny_model(models, "tiny", path=tiny)
    target = resolve_target(models, "tiny@1", {"max_tokens": 4})
    assert (target.provider, target.model, target.ref, target.config) == ("local", version.uri, "tiny@1", {})
    spec = type("Spec", (), {"base_url": None, "connection": None})()
    gateway = _target("tiny@1", spec, models, store.settings, {})
    assert (gateway.provider, gateway.model, gateway.label) == ("local", version.uri, "tiny@1")
    DatasetService(store).create("golden", synthetic_tasks(4, kind="eval"), kind="eval")
    result = EvalService(store).run({"dataset": "golden", "candidates": [{"model": "tiny@1", "params": {
        "max_tokens": 4}}], "metrics": ["exact_match"]})
    assert result.status == "succeeded", result.error
    assert get_provider("local").name == "local"
