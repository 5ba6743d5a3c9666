"""Helpers of the pipeline tests: a small chat dataset and a test plugin with a controllable step kind."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import pytest

from genloop.hookspecs import hookimpl
from genloop.pipelines import StepKind
from genloop.pipelines._kinds import reset_kinds
from genloop.plugins import get_plugin_manager
from genloop.store import Store

CALLS: list[str] = []
FAIL: set[str] = set()
INTERRUPT: set[str] = set()


def rows(n: int, offset: int = 0) -> list[dict[str, Any]]:
    """``n`` chat rows; rows ``i`` and ``i + 12`` are identical (exact duplicates for dedup)."""
    return [{"messages": [{"role": "user", "content": f"question {i % 12} about item {i % 12 % 7}"},
                          {"role": "assistant", "content": f"answer {i % 12}"}]} for i in range(offset, offset + n)]


def add_dataset(store: Store, name: str = "support", n: int = 20, offset: int = 0) -> str:
    from genloop.datasets import DatasetService

    version = DatasetService(store).create(name, rows(n, offset), kind="chat")
    return f"{version.name}@{version.version}"


def _echo(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    CALLS.append(ctx.step)
    ctx.log(f"echo {params.get('value')!r}")
    if ctx.step in INTERRUPT:
        raise KeyboardInterrupt
    if ctx.step in FAIL:
        raise RuntimeError(f"step {ctx.step} was told to fail")
    return {"value": params.get("value"), "upper": str(params.get("value")).upper()}


def _hang(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Blocks when ``GENLOOP_TEST_HANG_MARKER`` names a file (written first, so a test knows it is running)."""
    import os
    import time

    marker = os.environ.get("GENLOOP_TEST_HANG_MARKER")
    if marker:
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        time.sleep(120)
    return {"value": params.get("value")}


@hookimpl
def register_pipeline_steps(register: Any) -> None:
    register(StepKind("echo", _echo, {"value": "value", "upper": "value"}, None, description="test step"))
    register(StepKind("hang", _hang, {"value": "value"}, None, description="test step that can block"))


@pytest.fixture
def plugin() -> Iterator[None]:
    """Registers the ``echo`` kind through the plugin hook (as a third-party package would)."""
    module = types.ModuleType("genloop_test_pipeline_plugin")
    module.register_pipeline_steps = register_pipeline_steps  # type: ignore[attr-defined]
    pm = get_plugin_manager()
    pm.register(module, name=module.__name__)
    reset_kinds()
    CALLS.clear()
    FAIL.clear()
    yield
    pm.unregister(name=module.__name__)
    reset_kinds()
