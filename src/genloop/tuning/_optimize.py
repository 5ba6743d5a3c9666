"""Optimizations of a registered model: merge an adapter into its base, and quantize.

Each runs as a run of kind ``optimize`` (input: the source version), writes to a temporary folder, measures
the result against its source, and only then registers a new version (``merged`` or ``quantized``) whose
``base`` is the source, so lineage leads back through the adapter to the base and the data it was tuned on.
Quantization: ``dynamic-int8`` (CPU; ``torch.ao`` dynamic quantization of every Linear layer, saved as a state
dict + config + a marker the ``local`` provider reads) or ``bnb-8bit`` / ``bnb-4bit`` (CUDA + bitsandbytes).
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

from genloop.errors import InvalidInput
from genloop.tuning._engine import read_rows, work_dir
from genloop.tuning._schemas import OptimizeResult

__all__ = ["QUANT_METHODS", "merge", "quant_devices", "quantize"]

QUANT_METHODS: tuple[str, ...] = ("dynamic-int8", "bnb-8bit", "bnb-4bit")


def _fresh(svc: Any, version: Any, device: str = "cpu") -> Any:
    """The version loaded anew (not from the provider's cache: merging edits the model in place)."""
    from genloop.providers._local_load import load_model, local_model_name

    return load_model(local_model_name(version, svc.models.get), device=device,
                      cache_dir=svc.settings.resolved_home / "cache")


def _save_tokenizer(loaded: Any, folder: Path) -> None:
    tok = copy.copy(loaded.tokenizer)
    tok.padding_side = "right"
    tok.save_pretrained(str(folder))


def merge(svc: Any, ref: str, *, name: str | None = None, description: str = "") -> OptimizeResult:
    """Merge adapter ``ref`` into its base; registers a ``merged`` version whose base is the adapter."""
    from genloop.tuning._deps import require_train
    from genloop.tuning._measure import folder_size

    require_train()
    version = svc.models.get(ref)
    if version.kind != "adapter":
        raise InvalidInput(f"model {version.ref} is a {version.kind} model; only adapters can be merged",
                           hint="pass the ref of an adapter version (kind adapter)")
    target = name or f"{version.name}-merged"
    with svc.runs.run("optimize", name=f"merge {version.ref}", params={"op": "merge", "source": version.ref,
                                                                      "base": version.base},
                      inputs=[f"model:{version.ref}"]) as run:
        tmp = work_dir(svc.settings, f"merge-{run.id[:12]}-")
        try:
            loaded = _fresh(svc, version)
            merged = loaded.model.merge_and_unload()
            merged.save_pretrained(str(tmp / "model"))
            _save_tokenizer(loaded, tmp / "model")
            comparison = {"size_bytes": folder_size(tmp / "model")}
            run.log_metrics({"size_bytes": float(comparison["size_bytes"])})
            result = svc.models.register(target, kind="merged", uri=str(tmp / "model"), base=version.ref, copy=True,
                                         source_run_id=run.id, config={"merged_from": version.ref,
                                                                       "base_model": version.base},
                                         metadata={"comparison": comparison},
                                         description=description or f"{version.ref} merged into {version.base}")
            run.add_output(f"model:{result.ref}")
            run.summary.update({"model": result.ref, **comparison})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return OptimizeResult(run=svc.runs.get(run.id), model=result, source=version.ref, comparison=comparison)


def _write_int8(model: Any, loaded: Any, folder: Path) -> dict[str, Any]:
    import torch

    from genloop.providers._local_load import QUANT_MARKER, build_dynamic_int8

    folder.mkdir(parents=True)
    quantized = build_dynamic_int8(copy.deepcopy(model).float().cpu())
    torch.save(quantized.state_dict(), folder / "quantized_state.pt")
    model.config.save_pretrained(str(folder))
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.save_pretrained(str(folder))
    _save_tokenizer(loaded, folder)
    marker = {"method": "dynamic-int8", "dtype": "qint8", "modules": ["Linear"], "weights": "quantized_state.pt",
              "format": 1}
    (folder / QUANT_MARKER).write_text(json.dumps(marker, indent=2))
    return marker


def quant_devices(method: str) -> dict[str, Any]:
    """Where each model of a quantization lives: ``source`` (loaded to quantize and compare against),
    ``quantized`` (loaded to measure) and the ``device_map`` that quantizes. bitsandbytes' 4/8-bit kernels run
    on CUDA only (it refuses a CPU model), so both sides of a ``bnb-*`` quantization go to the first GPU and
    are compared there; ``dynamic-int8`` runs on the CPU."""
    if method.startswith("bnb"):
        return {"source": "cuda:0", "quantized": "cuda:0", "device_map": {"": 0}}
    return {"source": "cpu", "quantized": "cpu", "device_map": None}


def _write_bnb(model: Any, loaded: Any, folder: Path, method: str, staging: Path) -> dict[str, Any]:
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    from genloop.providers._local_load import QUANT_MARKER

    model.save_pretrained(str(staging))
    bits = {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4"} if method == "bnb-4bit" else {"load_in_8bit": True}
    quantized = AutoModelForCausalLM.from_pretrained(str(staging), quantization_config=BitsAndBytesConfig(**bits),
                                                     device_map=quant_devices(method)["device_map"])
    quantized.save_pretrained(str(folder))
    _save_tokenizer(loaded, folder)
    marker = {"method": method, "format": 1}
    (folder / QUANT_MARKER).write_text(json.dumps(marker, indent=2))
    return marker


def quantize(svc: Any, ref: str, *, method: str = "dynamic-int8", name: str | None = None,
             dataset: str | None = None, limit: int = 32, description: str = "") -> OptimizeResult:
    """Quantize ``ref`` (checkpoint, merged, or adapter merged on the fly) into a new ``quantized`` version.

    With ``dataset`` (any kind), quality is compared as perplexity on up to ``limit`` of its rows; size on disk
    and greedy generation latency are always compared. Everything lands on the ``optimize`` run.
    """
    from genloop.tuning._deps import require_cuda_bnb, require_train
    from genloop.tuning._measure import folder_size

    require_train()
    if method not in QUANT_METHODS:
        raise InvalidInput(f"unknown quantization method {method!r}", hint=f"use one of: {', '.join(QUANT_METHODS)}")
    if method.startswith("bnb"):
        require_cuda_bnb(f"{method} quantization")
    version = svc.models.get(ref)
    if version.kind not in ("checkpoint", "merged", "adapter"):
        raise InvalidInput(f"model {version.ref} is a {version.kind} model; quantize a checkpoint, merged model or "
                           "adapter", hint="pick the unquantized version")
    data = svc.datasets.get(dataset) if dataset else None
    inputs = [f"model:{version.ref}"] + ([f"dataset:{data.ref}"] if data else [])
    params = {"op": "quantize", "method": method, "source": version.ref, "dataset": data.ref if data else None}
    with svc.runs.run("optimize", name=f"quantize {version.ref} ({method})", params=params, inputs=inputs) as run:
        tmp = work_dir(svc.settings, f"quantize-{run.id[:12]}-")
        try:
            devices = quant_devices(method)
            loaded = _fresh(svc, version, devices["source"])
            model = loaded.model.merge_and_unload() if version.kind == "adapter" else loaded.model
            (tmp / "source").mkdir()
            model.save_pretrained(str(tmp / "source"))
            if method == "dynamic-int8":
                marker = _write_int8(model, loaded, tmp / "model")
            else:
                marker = _write_bnb(model, loaded, tmp / "model", method, tmp / "source")
            comparison = _compare(svc, loaded, model, tmp, data, limit, devices["quantized"])
            comparison["size_source_bytes"] = folder_size(tmp / "source")
            comparison["size_ratio"] = comparison["size_bytes"] / max(1, comparison["size_source_bytes"])
            run.log_metrics({k: float(v) for k, v in comparison.items() if isinstance(v, int | float)})
            result = svc.models.register(
                name or f"{version.name}-{method.replace('-', '')}", kind="quantized", uri=str(tmp / "model"),
                base=version.ref, copy=True, source_run_id=run.id, config={"quantization": marker},
                metadata={"comparison": comparison}, description=description or f"{version.ref} quantized ({method})")
            run.add_output(f"model:{result.ref}")
            run.summary.update({"model": result.ref, **comparison})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return OptimizeResult(run=svc.runs.get(run.id), model=result, source=version.ref, comparison=comparison)


def _compare(svc: Any, loaded: Any, model: Any, tmp: Path, data: Any, limit: int, device: str) -> dict[str, Any]:
    from genloop.providers._local import render_prompt
    from genloop.providers._local_load import load_model
    from genloop.tuning._measure import folder_size, latency, perplexity, sample_texts

    quant = load_model(str(tmp / "model"), device=device)
    rows = read_rows(svc.datasets, data.ref)[:limit] if data is not None else []
    texts, prompt_msgs = sample_texts(rows, loaded.tokenizer, limit)
    prompts = [render_prompt(loaded, m) for m in prompt_msgs[:8]] or [render_prompt(loaded, [
        {"role": "user", "content": "Hello"}])]
    out: dict[str, Any] = {"size_bytes": folder_size(tmp / "model")}
    if texts:
        out["perplexity_source"] = perplexity(model, loaded.tokenizer, texts, max_length=loaded.context)
        out["perplexity"] = perplexity(quant.model, quant.tokenizer, texts, max_length=loaded.context)
    out["latency_source_s"] = latency(model, loaded.tokenizer, prompts)
    out["latency_s"] = latency(quant.model, quant.tokenizer, prompts)
    if out["latency_source_s"] and out["latency_s"]:
        out["speedup"] = out["latency_source_s"] / out["latency_s"]
    return out
