"""Governance's built-in plugin: it registers the promotion guard through the public hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genloop.hookspecs import hookimpl


@hookimpl
def register_promotion_guards(register: Callable[..., Any]) -> None:
    from genloop.governance._guard import guard

    register(guard)
