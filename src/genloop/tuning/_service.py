"""TuningService: tune, merge, quantize and distill in one project, on local services or their REST twins.

The engine always runs in the calling process (it needs the weights and, for training, the hardware); it
reads datasets and models and records runs and versions through the services it is given. In-process those
are the domain services on a store; ``genloop.client._tuning.RemoteTuning`` hands it the REST twins instead,
so a laptop can tune against a team server (model files are uploaded on registration).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genloop.settings import Settings
from genloop.store import Store
from genloop.tuning._schemas import DistillResult, OptimizeResult, TuneResult
from genloop.tuning._spec import TuneSpec

__all__ = ["TuningService"]

SpecLike = TuneSpec | dict[str, Any] | str | Path


class TuningService:
    """Training recipes over the registry: every method returns schemas and raises ``genloop.errors``."""

    def __init__(self, store: Store | None = None, project: str = "default", actor: str | None = None, *,
                 datasets: Any = None, models: Any = None, runs: Any = None, evals: Any = None,
                 settings: Settings | None = None) -> None:
        self.project = project
        if store is not None:
            from genloop.datasets import DatasetService
            from genloop.evals import EvalService
            from genloop.models import ModelService
            from genloop.runs import RunService

            datasets = datasets or DatasetService(store, project=project, actor=actor)
            models = models or ModelService(store, project=project, actor=actor)
            runs = runs or RunService(store, project=project, actor=actor)
            evals = evals or EvalService(store, project=project, actor=actor)
            settings = settings or store.settings
        if datasets is None or models is None or runs is None:
            raise TypeError("TuningService needs a store, or datasets, models and runs services")
        self.datasets, self.models, self.runs, self.evals = datasets, models, runs, evals
        self.settings = settings or Settings()

    def run(self, spec: SpecLike, *, progress: bool = False, callbacks: Sequence[Any] = ()) -> TuneResult:
        """Run a tuning spec (a YAML path, YAML text, dict or :class:`TuneSpec`).

        Checks every reference, dataset kind and row first (no run is started for a bad spec), trains into a
        temporary folder, runs the spec's evaluation on the tuned model and its base, then registers the
        tuned model (an ``adapter`` on its base, or a full ``checkpoint``) with lineage to the data and run.
        ``progress`` shows a Rich bar; ``callbacks`` are extra ``transformers.TrainerCallback`` objects.
        """
        from genloop.tuning._engine import run_tune

        return run_tune(self, spec, progress=progress, callbacks=callbacks)

    def merge(self, ref: str, *, name: str | None = None, description: str = "") -> OptimizeResult:
        """Merge adapter ``ref`` into its base as a new ``merged`` version (default name ``NAME-merged``)."""
        from genloop.tuning._optimize import merge

        return merge(self, ref, name=name, description=description)

    def quantize(self, ref: str, *, method: str = "dynamic-int8", name: str | None = None,
                 dataset: str | None = None, limit: int = 32, description: str = "") -> OptimizeResult:
        """Quantize ``ref`` (``dynamic-int8`` on CPU; ``bnb-8bit``/``bnb-4bit`` on CUDA) as a ``quantized``
        version, compared with its source on size, latency and (given ``dataset``) perplexity."""
        from genloop.tuning._optimize import quantize

        return quantize(self, ref, method=method, name=name, dataset=dataset, limit=limit, description=description)

    def distill(self, teacher: str, prompts: str, out: str, *, student: str | None = None, tune: bool = False,
                params: dict[str, Any] | None = None, prompt_column: str | None = None, limit: int | None = None,
                concurrency: int = 8, tune_options: dict[str, Any] | None = None, progress: bool = False,
                message: str = "") -> DistillResult:
        """Turn ``teacher``'s answers to dataset ``prompts`` into chat dataset ``out``; with ``tune``, train
        ``student`` on it (LoRA unless ``tune_options`` says otherwise)."""
        from genloop.tuning._distill import distill

        return distill(self, teacher, prompts, out, student=student, tune=tune, params=params,
                       prompt_column=prompt_column, limit=limit, concurrency=concurrency, tune_options=tune_options,
                       progress=progress, message=message)

    def __repr__(self) -> str:
        return f"TuningService(project={self.project!r})"
