"""Trainer callbacks: the trainer's logs become run metric series, and a Rich progress bar shows the steps.

:class:`RunLogger` writes ``loss``, ``eval_loss``, ``learning_rate``, ``tokens_per_second`` (and the
preference metrics of DPO/KTO) to the run at each logging step, through the runs API (in-process or REST).
"""

from __future__ import annotations

import math
import time
from typing import Any

from transformers import TrainerCallback

__all__ = ["METRIC_NAMES", "RichProgress", "RunLogger", "remove_printers"]

#: Trainer log keys -> run metric names.
METRIC_NAMES: dict[str, str] = {
    "loss": "loss", "eval_loss": "eval_loss", "learning_rate": "learning_rate", "grad_norm": "grad_norm",
    "mean_token_accuracy": "token_accuracy", "eval_mean_token_accuracy": "eval_token_accuracy",
    "rewards/accuracies": "reward_accuracy", "rewards/margins": "reward_margin",
    "eval_rewards/accuracies": "eval_reward_accuracy", "eval_rewards/margins": "eval_reward_margin",
    "kl": "kl",
}


class RunLogger(TrainerCallback):  # type: ignore[misc]
    """Writes each log of the trainer to run ``run_id`` as metric points at the current step."""

    def __init__(self, runs: Any, run_id: str) -> None:
        self.runs = runs
        self.run_id = run_id
        self.tokens = 0.0
        self.last: dict[str, float] = {}
        self._mark: tuple[float, float] | None = None
        self._started = time.perf_counter()

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._started = time.perf_counter()
        self._mark = (self._started, 0.0)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not logs or "train_runtime" in logs:
            return
        metrics = {name: float(logs[key]) for key, name in METRIC_NAMES.items()
                   if isinstance(logs.get(key), int | float) and math.isfinite(float(logs[key]))}
        tokens = logs.get("num_tokens") or getattr(state, "num_input_tokens_seen", 0) or 0
        now = time.perf_counter()
        if tokens and self._mark is not None and tokens > self._mark[1] and now > self._mark[0]:
            metrics["tokens_per_second"] = (float(tokens) - self._mark[1]) / (now - self._mark[0])
            self._mark = (now, float(tokens))
            self.tokens = float(tokens)
        if metrics:
            self.last.update(metrics)
            self.runs.log_metrics(self.run_id, metrics, step=int(state.global_step))

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._started


class RichProgress(TrainerCallback):  # type: ignore[misc]
    """A Rich progress bar over the optimizer steps, with the latest loss."""

    def __init__(self, description: str = "training", console: Any = None) -> None:
        self.description = description
        self.console = console
        self._progress: Any = None
        self._task: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[loss]}"),
                                  console=self.console, transient=False)
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=state.max_steps or None, loss="")

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=state.global_step)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if self._progress is not None and logs and isinstance(logs.get("loss"), int | float):
            self._progress.update(self._task, loss=f"loss {float(logs['loss']):.4f}")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def remove_printers(trainer: Any) -> None:
    """Drop the trainer's own tqdm bar and log printer (GenLoop reports progress itself)."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    for callback in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(callback)
