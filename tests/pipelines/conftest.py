"""Fixtures of the pipeline tests (helpers live in _helpers.py, imported once under one name)."""

from tests.pipelines._helpers import plugin

__all__ = ["plugin"]
