"""An optional model-based check: a local Hugging Face text-classification model.

``transformers`` is imported, and the model loaded, on the first scan only, so a policy that names a
classifier can be validated (and its other checks run) on a machine without the ``train`` extra.
The model is read from a local directory and never downloaded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from genloop.errors import MissingDependency, NotFound
from genloop.guardrails._base import Check, Finding, require

__all__ = ["ClassifierCheck"]

Pipeline = Callable[..., Any]


class ClassifierCheck(Check):
    """Labels from a local text-classification model, mapped to categories, above a score threshold.

    Parameters: ``path`` (required, a local model directory), ``labels`` (required, model label ->
    finding category; unmapped labels such as ``SAFE`` are ignored), ``threshold`` (0.5), ``max_length``
    (512 tokens, longer texts are truncated), ``device`` (as ``transformers.pipeline`` takes it), and
    ``pipeline`` (an already loaded classification callable, for callers that hold one; not for YAML).
    The finding spans the whole text; ``kind`` is the model label and ``score`` its probability.
    """

    name = "classifier"
    category = "classifier"
    streamable = False

    def __init__(
        self,
        *,
        path: str | None = None,
        labels: Mapping[str, str] | None = None,
        threshold: float = 0.5,
        max_length: int = 512,
        device: int | str | None = None,
        pipeline: Pipeline | None = None,
        **base: object,
    ) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        require(pipeline is not None or isinstance(path, str) and bool(path), "params.path: a local model directory")
        require(isinstance(labels, Mapping) and bool(labels), "params.labels: map model labels to categories")
        require(0 < threshold <= 1, "params.threshold: must be in (0, 1]")
        require(isinstance(max_length, int) and max_length > 0, "params.max_length: must be a positive integer")
        self.path, self.threshold, self.max_length, self.device = path, threshold, max_length, device
        self.labels = {str(k).lower(): str(v) for k, v in labels.items()}  # type: ignore[union-attr]
        self._pipeline = pipeline
        self._lock = threading.Lock()

    def _load(self) -> Pipeline:
        with self._lock:
            if self._pipeline is None:
                model_dir = Path(str(self.path)).expanduser()
                if not model_dir.is_dir():  # checked first: a hub name here would start a download
                    raise NotFound(
                        f"classifier model directory {str(model_dir)!r} does not exist",
                        hint="point params.path at a saved text-classification model (save_pretrained output)",
                    )
                try:
                    import transformers
                except ImportError:
                    raise MissingDependency.for_extra("transformers", "train") from None
                self._pipeline = transformers.pipeline(
                    "text-classification", model=str(model_dir), tokenizer=str(model_dir), device=self.device
                )
            return self._pipeline

    def predict(self, text: str) -> dict[str, float]:
        """Every label's score for ``text`` (lower-cased labels), loading the model on first use."""
        pipe = self._pipeline or self._load()
        result = pipe(text, top_k=None, truncation=True, max_length=self.max_length)
        if result and isinstance(result[0], list):  # batched shape from some transformers versions
            result = result[0]
        return {str(item["label"]).lower(): float(item["score"]) for item in result}

    def scan(self, text: str) -> list[Finding]:
        if not text.strip():
            return []
        found = []
        for label, score in sorted(self.predict(text).items(), key=lambda item: -item[1]):
            category = self.labels.get(label)
            if category is not None and score >= self.threshold:
                found.append(
                    self.finding(text, 0, len(text), kind=label, score=round(score, 4), category=category,
                                 evidence=f"{label}={score:.3f}")
                )
        return found
