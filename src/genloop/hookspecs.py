"""Every GenLoop hook, in one place. Built-ins register through these same hooks (see plugins.py).

Each hook is shaped ``register_X(register)``: the plugin calls ``register(...)`` once per thing it adds.
Third-party packages expose a module under the ``genloop`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("genloop")
hookimpl = pluggy.HookimplMarker("genloop")

__all__ = ["hookimpl", "hookspec"]


@hookspec
def register_providers(register: Callable[..., Any]) -> None:
    """Add model providers: ``register(name, factory)``; ``factory(settings, **config)`` returns a Provider."""


@hookspec
def register_metrics(register: Callable[..., Any]) -> None:
    """Add evaluation metrics: ``register(metric)`` with a metric object or decorated function."""


@hookspec
def register_judges(register: Callable[..., Any]) -> None:
    """Add model-based judges: ``register(name, factory)``."""


@hookspec
def register_guardrail_checks(register: Callable[..., Any]) -> None:
    """Add guardrail checks: ``register(name, check_class)``."""


@hookspec
def register_optimizers(register: Callable[..., Any]) -> None:
    """Add prompt-optimization strategies: ``register(name, factory)``; ``factory(spec, variables, rng)`` returns
    a :class:`genloop.optimize.Strategy` whose ``propose`` yields new prompt messages."""


@hookspec
def register_pipeline_steps(register: Callable[..., Any]) -> None:
    """Add pipeline step kinds: ``register(name, fn, outputs={...}, params=Model, refs={...}, cacheable=True)``
    or ``register(genloop.pipelines.StepKind(...))``; ``fn(ctx, params)`` returns the step's outputs."""


@hookspec
def register_promotion_guards(register: Callable[..., Any]) -> None:
    """Add promotion guards: ``register(guard)``; ``guard(session, change)`` runs inside the transaction that
    moves a model alias or prompt label or updates a deployment (``genloop.store._guards.PromotionChange``),
    and refuses the move by raising a ``genloop.errors`` exception."""
