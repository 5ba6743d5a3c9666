"""Loading Hugging Face causal LMs for the ``local`` provider: checkpoints, adapters, merged and quantized models.

A local model is named by its folder: ``/models/tiny`` (a checkpoint or merged model), an adapter folder
(``adapter_config.json``; its base is ``?base=/models/base`` or the base its config records), or a quantized
folder (``genloop_quantization.json`` marks the format). Models load once per process and stay in a small
LRU cache keyed by that name; a registry version maps to its name with :func:`local_model_name`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloop.errors import Hint, InvalidInput, MissingDependency, NotFound

__all__ = [
    "LOCAL_KINDS",
    "QUANT_MARKER",
    "LoadedModel",
    "ModelCache",
    "build_dynamic_int8",
    "load_model",
    "local_folder",
    "local_model_name",
    "quiet_transformers",
    "split_name",
]

#: Registry kinds whose weights the ``local`` provider can run.
LOCAL_KINDS: tuple[str, ...] = ("checkpoint", "adapter", "merged", "quantized")
#: The file that marks a quantized folder and says how to load it.
QUANT_MARKER = "genloop_quantization.json"
_BASE_SEP = "?base="


@dataclass
class LoadedModel:
    """A model ready to generate: weights, tokenizer, device, and a lock (one generation at a time)."""

    name: str
    model: Any
    tokenizer: Any
    device: str
    context: int
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))


def split_name(name: str) -> tuple[str, str | None]:
    """``"/a?base=/b"`` -> ``("/a", "/b")``; a plain path has no base."""
    path, sep, base = name.partition(_BASE_SEP)
    return path, (base or None) if sep else None


def local_model_name(version: Any, resolve: Callable[[str], Any]) -> str:
    """The ``local`` provider's model name for registry ``version`` (its folder, plus its base for adapters)."""
    if version.kind not in LOCAL_KINDS:
        raise InvalidInput(f"model {version.ref} is a {version.kind} model; the local provider runs "
                           f"{', '.join(LOCAL_KINDS)} models")
    path = _plain_path(version.uri)
    if version.kind != "adapter":
        return path
    if not version.base:
        raise InvalidInput(f"adapter {version.ref} has no base model", hint=Hint(cli="register it again with --base",
                                                                                sdk="register it again with base=",
                                                                                rest='register it again with "base"'))
    base = local_model_name(resolve(version.base), resolve)
    config = Path(path) / "adapter_config.json"
    with contextlib.suppress(OSError, ValueError):
        if "://" not in path and json.loads(config.read_text()).get("base_model_name_or_path") == base:
            return path  # the adapter already names its registry base: keep the name short
    return f"{path}{_BASE_SEP}{base}"


def _plain_path(uri: str) -> str:
    return uri.split("://", 1)[1] if uri.startswith("file://") else uri


def quiet_transformers() -> None:
    """Silence the loaders' per-file progress bars (GenLoop shows its own progress)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency.for_extra(module, "train") from exc


def local_folder(path: str, cache_dir: Path | None) -> Path:
    """A local folder for ``path``: itself, or a cached download of a remote fsspec URI."""
    if "://" not in path:
        local = Path(path).expanduser()
        if not local.exists():
            raise NotFound(f"local model folder {str(local)!r} does not exist",
                           hint="check the path, or register the model again")
        return local
    import fsspec

    target = (cache_dir or Path.home() / ".genloop" / "cache") / "models" / hashlib.sha256(path.encode()).hexdigest()
    if not (target / ".complete").exists():
        fs, root = fsspec.core.url_to_fs(path)
        fs.get(root.rstrip("/") + "/", str(target) + "/", recursive=True)
        (target / ".complete").touch()
    return target


def load_model(name: str, *, device: str | None = None, cache_dir: Path | None = None) -> LoadedModel:
    """Load the model ``name`` names (see the module docstring), on ``device`` (default cuda when present)."""
    torch = _require("torch")
    _require("transformers")
    quiet_transformers()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    path_text, base_text = split_name(name)
    path = local_folder(path_text, cache_dir)
    marker = path / QUANT_MARKER
    if marker.exists():
        model = _load_quantized(path, json.loads(marker.read_text()), device)
    elif (path / "adapter_config.json").exists():
        model = _load_adapter(path, base_text, device, cache_dir)
    elif (path / "config.json").exists():
        model = _from_pretrained(path, device)
    else:
        raise InvalidInput(f"{str(path)!r} holds no model (no config.json, adapter_config.json or {QUANT_MARKER})",
                           hint="point at a folder written by save_pretrained")
    model.eval()
    tokenizer = _load_tokenizer(path, base_text, cache_dir)
    context = int(getattr(model.config, "max_position_embeddings", 0) or getattr(model.config, "n_positions", 0)
                  or 2048)
    return LoadedModel(name=name, model=model, tokenizer=tokenizer, device=device, context=context)


def _from_pretrained(path: Path, device: str, **kwargs: Any) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.float32 if device == "cpu" else "auto"
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype, **kwargs)
    if kwargs.get("quantization_config") or kwargs.get("device_map"):
        return model
    return model.to(device)  # type: ignore[arg-type]


def _load_adapter(path: Path, base_text: str | None, device: str, cache_dir: Path | None) -> Any:
    _require("peft")
    from peft import PeftModel

    if base_text is None:
        config = json.loads((path / "adapter_config.json").read_text())
        base_text = config.get("base_model_name_or_path")
        if not base_text or not Path(str(base_text)).exists():
            raise InvalidInput(f"adapter {str(path)!r} does not say where its base model is",
                               hint="name it as local:ADAPTER?base=BASE_FOLDER, or use the registry ref")
    base = load_model(base_text, device=device, cache_dir=cache_dir).model  # a fresh copy: PEFT edits it in place
    with warnings.catch_warnings():  # PEFT reads a property transformers 5 deprecated; not ours to change
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        return PeftModel.from_pretrained(base, str(path))


@contextlib.contextmanager
def _quantization_warnings() -> Iterator[None]:
    # torch marks torch.ao.quantization and its quantized tensors deprecated in favour of torchao, which is not
    # a torch dependency; they are what ships with torch today, so the notices are silenced here, narrowly
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=r"torch\.ao\.quantization")
        warnings.filterwarnings("ignore", category=UserWarning, message=r"torch\.quantize_per_tensor")
        warnings.filterwarnings("ignore", category=UserWarning, message=r"TypedStorage is deprecated")
        yield


def build_dynamic_int8(model: Any) -> Any:
    """``model`` with its Linear layers replaced by dynamically quantized int8 ones (CPU inference)."""
    import torch

    with _quantization_warnings():
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _load_quantized(path: Path, marker: dict[str, Any], device: str) -> Any:
    method = marker.get("method")
    if method == "dynamic-int8":
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM

        if device != "cpu":
            raise InvalidInput(f"{str(path)!r} is dynamically quantized int8, which runs on CPU only",
                               hint="load it with device='cpu', or quantize with bnb-8bit/bnb-4bit for GPUs")
        config = AutoConfig.from_pretrained(str(path))
        model = build_dynamic_int8(AutoModelForCausalLM.from_config(config, dtype=torch.float32))
        with _quantization_warnings():
            state = torch.load(path / marker.get("weights", "quantized_state.pt"), weights_only=True,
                               map_location="cpu")
            model.load_state_dict(state)
        return model
    if method in ("bnb-8bit", "bnb-4bit"):
        _require("bitsandbytes")
        if device == "cpu":
            raise InvalidInput(f"{str(path)!r} is quantized with bitsandbytes ({method}), which needs a CUDA GPU",
                               hint="run it on a machine with a GPU, or quantize with dynamic-int8 for CPU")
        return _from_pretrained(path, device, device_map=device)
    raise InvalidInput(f"{str(path)!r}: unknown quantization method {method!r}",
                       hint="known: dynamic-int8, bnb-8bit, bnb-4bit")


def _load_tokenizer(path: Path, base_text: str | None, cache_dir: Path | None) -> Any:
    from transformers import AutoTokenizer

    folder = path
    if not any((path / f).exists() for f in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")):
        if base_text is None:
            config = path / "adapter_config.json"
            base_text = json.loads(config.read_text()).get("base_model_name_or_path") if config.exists() else None
        if not base_text:
            raise InvalidInput(f"{str(path)!r} has no tokenizer files", hint="save the tokenizer next to the model")
        folder = local_folder(split_name(base_text)[0], cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


class ModelCache:
    """Loaded models by name, least recently used evicted past ``size``; each name loads once at a time."""

    def __init__(self, size: int = 2) -> None:
        self.size = max(1, size)
        self._models: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def get(self, name: str, loader: Callable[[str], LoadedModel]) -> LoadedModel:
        """The cached model ``name``, loading it with ``loader(name)`` on a miss."""
        with self._lock:
            hit = self._models.get(name)
            if hit is not None:
                self._models.move_to_end(name)
                return hit
            gate = self._loading.setdefault(name, threading.Lock())
        with gate:
            with self._lock:
                hit = self._models.get(name)
            if hit is None:
                hit = loader(name)
                with self._lock:
                    self._models[name] = hit
                    while len(self._models) > self.size:
                        self._models.popitem(last=False)
            with self._lock:
                self._loading.pop(name, None)
                self._models.move_to_end(name)
            return hit

    def names(self) -> list[str]:
        """Cached model names, least recently used first."""
        with self._lock:
            return list(self._models)

    def discard(self, name: str) -> None:
        """Forget model ``name`` (its folder is gone, say); the next use loads it again."""
        with self._lock:
            self._models.pop(name, None)

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
