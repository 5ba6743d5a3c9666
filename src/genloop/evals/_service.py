"""The evals service: run a spec, read results and items, compare runs, check gates, report, validate judges.

``EvalService(store, project)`` works in-process; ``genloop.client._evals.RemoteEvals`` is its REST twin with
the same methods. Both run the engine in the calling process (see ``genloop.client._evals``).
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from genloop.evals._backend import LocalBackend
from genloop.evals._compare import compare_items, metric_directions
from genloop.evals._compare_page import ComparePage, ItemsPage, compare_page, paired_tests, run_items
from genloop.evals._gates import check_gates
from genloop.evals._results import result_from_info
from genloop.evals._runner import EvalEngine, Progress
from genloop.evals._schemas import (
    Comparison,
    EvalItem,
    EvalPair,
    EvalResult,
    GateResult,
    JudgeAgreement,
    MetricComparison,
)
from genloop.evals._spec import EvalSpec
from genloop.evals._validate import judge_agreement, load_labels
from genloop.store import Page, Store

__all__ = ["EvalService", "SpecLike"]

SpecLike = EvalSpec | dict[str, Any] | str | Path


class _EvalOps:
    """What the local service and the remote twin share: everything above the backend."""

    backend: Any
    settings: Any

    def _services(self) -> tuple[Any, Any, Any]:
        raise NotImplementedError

    def _full_id(self, run_id: str) -> str:
        """The whole run id a unique prefix stands for (the remote twin sends it as given: the server expands)."""
        return run_id

    def run(self, spec: SpecLike, *, resume: str | bool = True, gates: builtins.list[str] | None = None,
            progress: Progress | None = None, providers: dict[str, Any] | None = None,
            executor_options: dict[str, Any] | None = None) -> EvalResult:
        """Run ``spec`` (a path, YAML text, dict or EvalSpec) and return its result with gates checked.

        ``resume``: True resumes the latest unfinished run of the same spec hash, a run id resumes that
        run, False always starts fresh. ``providers`` maps a provider name to a ready Provider object.
        """
        spec = EvalSpec.load(spec)
        datasets, prompts, models = self._services()
        engine = EvalEngine(backend=self.backend, datasets=datasets, prompts=prompts, models=models,
                            settings=self.settings, providers=providers, progress=progress,
                            executor_options=executor_options, compare=self.compare)
        return engine.run(spec, resume=resume, gates=[*spec.gates, *(gates or [])])

    def get(self, run_id: str) -> EvalResult:
        """The result of an evaluation run (while it runs too)."""
        return result_from_info(self.backend.run_info(self._full_id(run_id)))

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[Any]:
        """Evaluation runs of the project, newest first."""
        return self.backend.list_runs(offset=offset, limit=limit)  # type: ignore[no-any-return]

    def items(self, run_id: str, offset: int = 0, limit: int = 50, *, candidate: str | None = None,
              status: str | None = None) -> Page[EvalItem]:
        """A page of the run's items (one per example, candidate and repeat) in example order."""
        return self.backend.items(self._full_id(run_id), offset, limit, candidate=candidate, status=status)  # type: ignore[no-any-return]

    def pairs(self, run_id: str, offset: int = 0, limit: int = 50) -> Page[EvalPair]:
        """A page of the run's pairwise verdicts."""
        return self.backend.pairs(self._full_id(run_id), offset, limit)  # type: ignore[no-any-return]

    def compare(self, run_a: str, run_b: str, *, candidate_a: str | None = None, candidate_b: str | None = None,
                top: int = 5, min_effect: float | None = None) -> Comparison:
        """Run B against baseline run A on their shared items (see :func:`compare_items`); each metric's
        direction (higher or lower is better) is the one run B recorded when it ran."""
        run_a, run_b = self._full_id(run_a), self._full_id(run_b)
        return compare_items(run_a, run_b, self.backend.all_items(run_a), self.backend.all_items(run_b),
                             candidate_a=candidate_a, candidate_b=candidate_b, top=top, min_effect=min_effect,
                             directions=self._directions(run_b))

    def _directions(self, run_id: str) -> dict[str, bool | None]:
        result = self.get(run_id)
        return {**metric_directions(result.spec), **result.directions}

    def check_gates(self, run_id: str, gates: builtins.list[str]) -> builtins.list[GateResult]:
        """Check gates on a finished run (``rouge_l>=0.4``, ``x.ci_low>0.3``, ``no_regression:RUN``)."""
        return check_gates(self.get(run_id), gates, compare=self.compare)

    def report(self, run_id: str, format: str = "markdown") -> str:
        """The run as ``table``, ``markdown``, ``html``, ``json`` or ``junit`` text."""
        from genloop.evals._report import render_report

        run_id = self._full_id(run_id)
        result = self.get(run_id)
        store = getattr(self, "store", None)  # the remote twin has none: no contamination notes
        notes = _contamination_notes(store, getattr(self, "project", "default"), result) if store is not None else []
        return render_report(result, format, items=self.backend.all_items(run_id), notes=notes)

    def validate_judge(self, run_id: str, judge: str, *, labels: dict[str, Any] | str | Path | None = None,
                       labels_column: str | None = None) -> JudgeAgreement:
        """Agreement of a judge with human labels on the same items: a dataset column, a mapping
        (example id, or ``example_id/candidate``, to label) or a JSONL/CSV file."""
        run_id = self._full_id(run_id)
        result = self.get(run_id)
        if labels_column is not None:
            datasets = self._services()[0]
            human = load_labels(column=labels_column, spec=result.spec, dataset=result.dataset, datasets=datasets)
        else:
            human = load_labels(source=labels)
        return judge_agreement(result, judge, self.backend.all_items(run_id), self.backend.all_pairs(run_id),
                               human)


class EvalService(_EvalOps):
    """Evaluations in one project of a store; ``actor`` is recorded on the runs it starts."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.settings = store.settings
        self.backend = LocalBackend(store, project=project, actor=actor)
        self._actor = actor

    def _full_id(self, run_id: str) -> str:
        from genloop.evals._tables import EvalRunRow
        from genloop.store._ids import expand_id
        from genloop.store._registry import find_project

        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return run_id
            return expand_id(session, EvalRunRow.run_id, run_id, "evaluation run", EvalRunRow.project_id == project.id)

    def compare_page(self, run_a: str, run_b: str, *, candidate_a: str | None = None,
                     candidate_b: str | None = None, metric: str | None = None, show: str = "all", offset: int = 0,
                     limit: int = 50) -> ComparePage:
        """Run B against baseline run A side by side, a page of examples at a time (see
        :func:`genloop.evals._compare_page.compare_page`); ``show`` keeps all, regressions, improvements,
        ties or changed examples."""
        offset, limit = self.store.page_bounds(offset, limit)
        directions = self._directions(run_b)
        with self.store.db.read() as session:
            self.backend._require_eval(session, run_a)
            self.backend._require_eval(session, run_b)
            return compare_page(session, run_a, run_b, candidate_a=candidate_a, candidate_b=candidate_b,
                                metric=metric, show=show, offset=offset, limit=limit, higher_is_better=directions)

    def paired_tests(self, run_a: str, run_b: str, *, candidate_a: str | None = None,
                     candidate_b: str | None = None) -> builtins.list[MetricComparison]:
        """Per shared metric, run B against baseline A: delta, interval, paired test, wins/ties/losses."""
        directions = self._directions(run_b)
        with self.store.db.read() as session:
            self.backend._require_eval(session, run_a)
            self.backend._require_eval(session, run_b)
            return paired_tests(session, run_a, run_b, candidate_a=candidate_a, candidate_b=candidate_b,
                                higher_is_better=directions)

    def item_page(self, run_id: str, *, show: str = "all", metric: str | None = None, offset: int = 0,
                  limit: int = 50) -> ItemsPage:
        """A page of the run's items: all, failed, with disagreeing judges, or the worst on ``metric``."""
        offset, limit = self.store.page_bounds(offset, limit)
        with self.store.db.read() as session:
            self.backend._require_eval(session, run_id)
            return run_items(session, run_id, show=show, metric=metric, offset=offset, limit=limit)

    def _services(self) -> tuple[Any, Any, Any]:
        from genloop.datasets import DatasetService
        from genloop.models import ModelService
        from genloop.prompts import PromptService

        return (DatasetService(self.store, project=self.project, actor=self._actor),
                PromptService(self.store, project=self.project, actor=self._actor),
                ModelService(self.store, project=self.project, actor=self._actor))


def _contamination_notes(store: Any, project: str, result: EvalResult) -> builtins.list[str]:
    """Candidates whose registered training data shares 13-grams with the eval dataset (report notes)."""
    from genloop.quality._contamination import contamination_notes

    return contamination_notes(store, project, result)
