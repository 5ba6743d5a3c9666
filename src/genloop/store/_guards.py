"""Promotion guards: the hook that label-moving code calls inside its transaction (issue 13).

Domain code (model aliases, prompt labels, deployment updates) calls :func:`check_promotion` with the
change it is about to make; every guard registered through the ``register_promotion_guards`` hook may
refuse it by raising a ``genloop.errors`` exception, which rolls the whole transaction back. Governance
registers the guard that enforces promotion policies; with no guard (or no policy) nothing changes.
Arrows point down: core holds the hook, the engine that enforces it registers into it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

__all__ = ["PromotionChange", "check_promotion", "promotion_guards"]


@dataclass(frozen=True)
class PromotionChange:
    """A move about to happen: ``entity_type`` model/prompt/deployment, the target label (``production``,
    or ``update`` for a deployment update), the version it will point at, and who moves it."""

    project: str
    project_id: int
    entity_type: str
    name: str
    target: str
    version: int
    actor: str
    content_hash: str | None = None
    removal: bool = False
    """True when the label is being removed (``version`` is the one it pointed at)."""


Guard = Callable[[Session, PromotionChange], Any]


def promotion_guards() -> list[Guard]:
    """The guards every plugin registers now (collected per move: a few microseconds, and a plugin registered
    later is asked too)."""
    from genloop.plugins import collect

    return [args[0] if args else kwargs["guard"] for args, kwargs in collect("promotion_guards")]


def check_promotion(session: Session, change: PromotionChange) -> None:
    """Run every guard on ``change`` in the caller's transaction; the first refusal raises."""
    for guard in promotion_guards():
        guard(session, change)
