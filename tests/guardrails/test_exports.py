"""The public API of genloop.guardrails: complete ``__all__`` and documented names."""

from __future__ import annotations

import inspect

import genloop.guardrails as guardrails


def test_all_is_complete() -> None:
    public = {name for name in vars(guardrails) if not name.startswith("_")}
    modules = {name for name in public if inspect.ismodule(getattr(guardrails, name))}
    assert set(guardrails.__all__) == public - modules - {"annotations"}


def test_public_callables_have_docstrings() -> None:
    for name in guardrails.__all__:
        value = getattr(guardrails, name)
        if callable(value):
            assert inspect.getdoc(value), f"{name} has no docstring"
