"""A cache of the demo's pre-trained base model, keyed by the hash of everything that shapes it.

Pre-training is the demo's longest part. The model it makes is a pure function of its recipe (size, seed,
steps, corpus), the code that trains it and the library versions, so a second ``genloop demo`` reuses the
folder the first one saved instead of training it again. The cache lives in the user's cache directory
(``$XDG_CACHE_HOME/genloop/tiny-base``, default ``~/.cache/genloop/tiny-base``); deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["base_cache_key", "cached_tiny_model", "default_cache_dir"]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/genloop/tiny-base`` (``~/.cache/genloop/tiny-base`` when unset)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root).expanduser() / "genloop" / "tiny-base"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def base_cache_key(*, size: str, seed: int, steps: int | None, corpus: Sequence[str]) -> str:
    """The content hash of a tiny base: its recipe, its corpus, the training code and the library versions."""
    from genloop.tuning import _tiny

    digest = hashlib.sha256()
    recipe = {"size": size, "seed": seed, "steps": steps, "shape": repr(_tiny.TINY_SIZES.get(size)),
              "versions": {p: _version(p) for p in ("torch", "transformers", "tokenizers")}}
    digest.update(json.dumps(recipe, sort_keys=True).encode())
    digest.update(Path(_tiny.__file__).read_bytes())
    for line in corpus:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:24]


def cached_tiny_model(cache_dir: Path, *, size: str, seed: int, steps: int | None, corpus: Sequence[str],
                      progress: Any = None) -> tuple[Path, bool]:
    """The folder of the tiny base for this recipe, built (and kept) unless the cache has it.

    Returns ``(folder, reused)``. A build goes to a temporary folder beside the cache entry and is renamed
    into place once complete, so an interrupted build never leaves a half-written model to be reused.
    """
    from genloop.tuning import build_tiny_model

    folder = cache_dir / base_cache_key(size=size, seed=seed, steps=steps, corpus=corpus)
    if (folder / "genloop_tiny.json").is_file():
        return folder, True
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
    try:
        build_tiny_model(staging / "model", size=size, seed=seed, steps=steps, corpus=corpus, progress=progress)
        try:
            os.replace(staging / "model", folder)
        except OSError:  # another demo finished the same build first: keep its folder
            if not (folder / "genloop_tiny.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder, False
