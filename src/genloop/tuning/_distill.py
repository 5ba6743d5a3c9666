"""Distillation: a teacher model answers a prompts dataset, and the answers become a chat SFT dataset version.

The generation is a run of kind ``data`` whose inputs are the prompts version (and the teacher, when it is a
registry model) and whose output is the new dataset version, so ``genloop lineage`` leads from a student
tuned on it back to the teacher. Prompts come from any kind: chat rows (trailing assistant turns dropped),
completion/preference rows (``prompt``), eval rows (``input``/``prompt``/``question``/``messages``), or a
named column.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from genloop.errors import GenLoopError, Hint, InvalidInput
from genloop.tuning._engine import read_rows, run_tune
from genloop.tuning._schemas import DistillResult

__all__ = ["distill", "prompt_messages"]


def prompt_messages(row: dict[str, Any], column: str | None = None) -> list[dict[str, Any]] | None:
    """The messages to send the teacher for ``row``, or None when the row has no prompt."""
    value = row.get(column) if column else next(
        (row[k] for k in ("messages", "prompt", "input", "question") if row.get(k) not in (None, "", [])), None)
    if isinstance(value, list) and value and all(isinstance(m, dict) for m in value):
        messages = [{"role": m.get("role"), "content": m.get("content") or ""} for m in value]
        while messages and messages[-1]["role"] == "assistant":
            messages.pop()
        return messages or None
    if value is None or value == "":
        return None
    return [{"role": "user", "content": value if isinstance(value, str) else str(value)}]


def _sync(factory: Any) -> Any:
    """Run the coroutine ``factory()`` makes to completion, also from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="genloop-distill")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


async def _answer_all(target: Any, prompts: list[list[dict[str, Any]]], settings: Any, concurrency: int,
                      progress: Any) -> list[tuple[str | None, Any]]:
    from genloop.evals._calls import split_params
    from genloop.providers import ChatRequest, get_provider

    own, extra = split_params(dict(target.params))
    provider = get_provider(target.provider, settings=settings, **target.config)
    gate = asyncio.Semaphore(concurrency)

    async def one(messages: list[dict[str, Any]]) -> tuple[str | None, Any]:
        async with gate:
            try:
                result = await provider.chat(ChatRequest(model=target.model, messages=messages, extra=extra, **own))
                return result.text, result
            except GenLoopError as exc:
                return None, exc
            finally:
                if progress is not None:
                    progress()

    try:
        return list(await asyncio.gather(*(one(m) for m in prompts)))
    finally:
        await provider.aclose()


def _run_all(target: Any, prompts: list[list[dict[str, Any]]], settings: Any, concurrency: int,
             progress: bool) -> list[tuple[str | None, Any]]:
    def factory() -> Coroutine[Any, Any, list[tuple[str | None, Any]]]:
        return _answer_all(target, prompts, settings, concurrency, None)

    if not progress:
        return _sync(factory)  # type: ignore[no-any-return]
    from rich.progress import Progress

    with Progress(transient=False) as bar:
        task = bar.add_task("teacher answers", total=len(prompts))
        return _sync(lambda: _answer_all(target, prompts, settings, concurrency,  # type: ignore[no-any-return]
                                         lambda: bar.advance(task)))


def distill(svc: Any, teacher: str, prompts: str, out: str, *, student: str | None = None, tune: bool = False,
            params: dict[str, Any] | None = None, prompt_column: str | None = None, limit: int | None = None,
            concurrency: int = 8, tune_options: dict[str, Any] | None = None, progress: bool = False,
            message: str = "") -> DistillResult:
    """Have ``teacher`` answer dataset ``prompts``; store the answers as chat dataset ``out`` (then tune
    ``student`` on it when ``tune``; ``tune_options`` are extra TuneSpec fields such as method or epochs)."""
    from genloop.evals._plan import resolve_target
    from genloop.refs import validate_name

    validate_name(out, "dataset name")
    if tune and not student:
        raise InvalidInput("--tune needs a student model", hint=Hint(cli="pass --student NAME@N (a checkpoint)",
                                                                         sdk="pass student='NAME@N' (a checkpoint)"))
    if concurrency < 1 or (limit is not None and limit < 1):
        raise InvalidInput("concurrency and limit must be at least 1")
    source = svc.datasets.get(prompts)
    if prompt_column is not None:
        source.require_columns([prompt_column])
    rows = read_rows(svc.datasets, source.ref)[:limit]
    messages = [prompt_messages(row, prompt_column) for row in rows]
    usable = [m for m in messages if m]
    if not usable:
        raise InvalidInput(f"dataset {source.ref} has no prompts to send",
                           hint=Hint(cli="name the column holding them with --prompt-column",
                                     sdk="name the column holding them with prompt_column="))
    target = resolve_target(svc.models, teacher, {"temperature": 0, **(params or {})})
    inputs = [f"dataset:{source.ref}"] + ([f"model:{target.ref}"] if target.ref else [])
    run_params = {"op": "distill", "teacher": target.label, "prompts": source.ref, "out": out,
                  "params": target.params, "prompt_column": prompt_column, "limit": limit}
    with svc.runs.run("data", name=f"distill {target.label} -> {out}", params=run_params, inputs=inputs) as run:
        answers = _run_all(target, usable, svc.settings, concurrency, progress)
        produced = [{"messages": [*m, {"role": "assistant", "content": text}]}
                    for m, (text, _) in zip(usable, answers, strict=True) if text and text.strip()]
        errors = [str(err) for text, err in answers if text is None]
        if not produced:
            raise InvalidInput(f"the teacher {target.label} answered none of {len(usable)} prompts"
                               + (f" (first error: {errors[0]})" if errors else ""), hint="check the teacher model")
        usage = [r for text, r in answers if text is not None]
        run.log_metrics({"generated": float(len(produced)), "skipped": float(len(rows) - len(produced)),
                         "input_tokens": float(sum(r.usage.input_tokens for r in usage)),
                         "output_tokens": float(sum(r.usage.output_tokens for r in usage)),
                         "cost": float(sum(r.cost or 0.0 for r in usage))})
        dataset = svc.datasets.create(out, produced, kind="chat", source_run_id=run.id,
                                      message=message or f"distilled from {target.label} on {source.ref}")
        run.add_output(f"dataset:{dataset.ref}")
        run.summary.update({"dataset": dataset.ref, "generated": len(produced), "errors": errors[:5]})
    tuned = None
    if tune:
        spec = {"base": student, "train": dataset.ref, "method": "lora", **(tune_options or {})}
        tuned = run_tune(svc, spec, progress=progress)
    return DistillResult(run=svc.runs.get(run.id), dataset=dataset, generated=len(produced),
                         skipped=len(rows) - len(produced), tune=tuned)
