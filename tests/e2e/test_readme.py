"""The README's SDK examples run as written (on the test's own GENLOOP_HOME)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _sdk_blocks() -> list[str]:
    text = README.read_text()
    section = text[text.index("## SDK"):text.index("\n## ", text.index("## SDK") + 1)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
def test_the_sdk_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("trl")
    blocks = _sdk_blocks()
    assert len(blocks) >= 3  # the client, the pytest plugin, tuning
    namespace: dict[str, object] = {}
    for block in blocks:
        if "def test_" in block:  # the pytest plugin example defines a test; it is not run here
            continue
        exec(compile(block, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "tiny-lora@1" in out and "'base':" in out
