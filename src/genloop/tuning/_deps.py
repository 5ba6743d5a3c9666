"""The ``train`` extra, imported lazily: a clear install hint instead of an ImportError deep in a stack."""

from __future__ import annotations

import importlib
from typing import Any

from genloop.errors import InvalidInput, MissingDependency

__all__ = ["TRAIN_MODULES", "cuda_available", "require_cuda_bnb", "require_train"]

TRAIN_MODULES: tuple[str, ...] = ("torch", "transformers", "peft", "trl", "accelerate", "datasets")


def require_train(*modules: str) -> None:
    """Import the training stack (or just ``modules``), raising ``MissingDependency`` with the pip command."""
    for name in modules or TRAIN_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise MissingDependency.for_extra(name, "train") from exc
    from genloop.providers._local_load import quiet_transformers

    quiet_transformers()
    _quiet_datasets()


def _quiet_datasets() -> None:
    try:
        from datasets.utils.logging import disable_progress_bar
    except ImportError:  # pragma: no cover - datasets is part of the extra
        return
    disable_progress_bar()


def cuda_available() -> bool:
    """Whether torch sees a CUDA GPU."""
    import torch

    return bool(torch.cuda.is_available())


def require_cuda_bnb(what: str) -> Any:
    """``bitsandbytes`` on a CUDA machine, or an error that names the fix (QLoRA, 4/8-bit quantization)."""
    if not cuda_available():
        raise InvalidInput(f"{what} needs a CUDA GPU (bitsandbytes 4/8-bit kernels); this machine has none",
                           hint="use method 'lora' on CPU (or quantize with dynamic-int8), or run on a GPU machine")
    try:
        return importlib.import_module("bitsandbytes")
    except ImportError as exc:
        raise MissingDependency(f"{what} needs the package 'bitsandbytes', which is not installed",
                                hint="pip install bitsandbytes") from exc
