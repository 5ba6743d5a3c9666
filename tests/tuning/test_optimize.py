"""Merging adapters and quantizing models: new versions with lineage, measured against their source."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.tuning.conftest import PEFT_CHECKPOINTING, spec

from genloop.errors import InvalidInput

pytestmark = [pytest.mark.filterwarnings(PEFT_CHECKPOINTING)]


def _chat(model: str) -> Any:
    from genloop.providers import ChatRequest, get_provider

    async def go() -> Any:
        async with get_provider("local") as provider:
            return await provider.chat(ChatRequest(model=model, max_tokens=6,
                                                   messages=[{"role": "user", "content": "What is 2 plus 2?"}]))

    return asyncio.run(go())


@pytest.mark.slow
def test_merge_makes_a_merged_version_that_answers_like_the_adapter(tuning: Any) -> None:
    adapter = tuning.run(spec(output="tiny-qa")).model
    result = tuning.merge("tiny-qa")
    merged = result.model
    assert (merged.ref, merged.kind, merged.base, result.source) == ("tiny-qa-merged@1", "merged", "tiny-qa@1",
                                                                     "tiny-qa@1")
    assert result.run.kind == "optimize" and result.run.inputs == ["model:tiny-qa@1"]
    assert result.run.outputs == ["model:tiny-qa-merged@1"] and merged.source_run_id == result.run.id
    assert merged.config == {"merged_from": "tiny-qa@1", "base_model": "tiny@1"}
    lineage = tuning.runs.lineage("model:tiny-qa-merged@1", depth=3)
    assert lineage.parent is not None and lineage.parent.ref == "model:tiny-qa@1"
    assert lineage.parent.parent is not None and lineage.parent.parent.ref == "model:tiny@1"
    from genloop.providers._local_load import local_model_name

    via_adapter = _chat(local_model_name(adapter, tuning.models.get))
    assert _chat(merged.uri).text == via_adapter.text
    with pytest.raises(InvalidInput, match="only adapters can be merged"):
        tuning.merge("tiny")


@pytest.mark.slow
def test_dynamic_int8_quantization_is_smaller_close_in_quality_and_servable(tuning: Any) -> None:
    result = tuning.quantize("tiny", dataset="golden")
    quant, cmp = result.model, result.comparison
    assert (quant.ref, quant.kind, quant.base) == ("tiny-dynamicint8@1", "quantized", "tiny@1")
    assert quant.config["quantization"]["method"] == "dynamic-int8"
    assert result.run.kind == "optimize" and result.run.inputs == ["model:tiny@1", "dataset:golden@1"]
    assert cmp["size_bytes"] < cmp["size_source_bytes"] and cmp["size_ratio"] < 0.8
    assert cmp["perplexity"] == pytest.approx(cmp["perplexity_source"], rel=0.1)
    assert cmp["latency_s"] > 0 and cmp["latency_source_s"] > 0
    assert {"perplexity", "size_bytes", "latency_s"} <= set(tuning.runs.get(result.run.id).metrics)
    assert quant.metadata["comparison"]["size_bytes"] == cmp["size_bytes"]
    reply = _chat(quant.uri)
    assert reply.usage.output_tokens > 0 and reply.provider == "local"
    served = tuning.evals.run({"dataset": "golden", "candidates": [{"model": quant.ref, "params": {"max_tokens": 4}}],
                               "metrics": ["exact_match"]})
    assert served.status == "succeeded", served.error


@pytest.mark.slow
def test_an_adapter_is_merged_on_the_fly_before_quantization(tuning: Any) -> None:
    tuning.run(spec(output="tiny-qa"))
    result = tuning.quantize("tiny-qa", name="tiny-qa-int8")
    assert (result.model.ref, result.model.base) == ("tiny-qa-int8@1", "tiny-qa@1")
    assert "perplexity" not in result.comparison  # no dataset: size and latency only


def test_gpu_quantization_without_cuda_and_bad_sources_are_refused(tuning: Any) -> None:
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(InvalidInput, match="bnb-4bit quantization needs a CUDA GPU"):
            tuning.quantize("tiny", method="bnb-4bit")
    with pytest.raises(InvalidInput, match="unknown quantization method 'int3'"):
        tuning.quantize("tiny", method="int3")
    tuning.models.register("remote", kind="provider", uri="openai:gpt-4o-mini")
    with pytest.raises(InvalidInput, match="remote@1 is a provider model"):
        tuning.quantize("remote")
    assert tuning.runs.list(kind="optimize").total == 0


def test_bitsandbytes_quantization_keeps_both_models_on_the_gpu() -> None:
    """bitsandbytes refuses a CPU model: the source of a bnb-* quantization is loaded on the GPU, quantized
    there (device map: all of it on GPU 0) and the result is measured there; dynamic-int8 stays on the CPU."""
    from genloop.tuning._optimize import quant_devices

    for method in ("bnb-4bit", "bnb-8bit"):
        assert quant_devices(method) == {"source": "cuda:0", "quantized": "cuda:0", "device_map": {"": 0}}
    assert quant_devices("dynamic-int8") == {"source": "cpu", "quantized": "cpu", "device_map": None}


@pytest.mark.slow
@pytest.mark.parametrize("method", ["bnb-4bit", "bnb-8bit"])
def test_bitsandbytes_quantization_on_a_gpu(tuning: Any, method: str) -> None:
    """Runs where there is a CUDA GPU and bitsandbytes (skipped elsewhere)."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    pytest.importorskip("bitsandbytes")
    result = tuning.quantize("tiny", method=method, dataset="golden")
    quant, cmp = result.model, result.comparison
    assert quant.kind == "quantized" and quant.config["quantization"]["method"] == method
    assert cmp["perplexity"] > 0 and cmp["perplexity_source"] > 0 and cmp["latency_s"] > 0
    reply = _chat(quant.uri)
    assert reply.usage.output_tokens > 0
