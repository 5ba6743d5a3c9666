"""Fixtures for the prompts tests: sample prompt.yaml text and files."""

from __future__ import annotations

from pathlib import Path

import pytest

SUPPORT_YAML = """\
messages:
  - role: system
    content: "You are a support agent for {{ product }}."
  - role: user
    content: |
      Customer question:
      {{ question }}
variables: [product, question]
model: openai:gpt-4o-mini
params: {temperature: 0.2, max_tokens: 256}
description: Answers support questions
"""


@pytest.fixture
def support_text() -> str:
    """The text of a valid chat prompt.yaml."""
    return SUPPORT_YAML


@pytest.fixture
def support_yaml(tmp_path: Path) -> Path:
    """A valid chat prompt.yaml on disk."""
    path = tmp_path / "prompt.yaml"
    path.write_text(SUPPORT_YAML)
    return path


@pytest.fixture
def write_yaml(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write text to ``prompt.yaml`` (or another name) in a temporary folder; return the path."""

    def write(text: str, name: str = "prompt.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
