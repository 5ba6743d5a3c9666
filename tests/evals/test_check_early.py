"""A spec naming an unknown provider, model, metric or judge fails before the first model call: the SDK raises
(in-process and remotely, REST answering 400/404), the CLI prints one line, and no item is attempted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from genloop.errors import InvalidInput, NotFound

BAD = [
    ({"candidates": [{"name": "c", "model": "opneai:gpt-4o-mini"}]}, InvalidInput,
     "candidate 'c': unknown provider 'opneai' in model 'opneai:gpt-4o-mini'; did you mean 'openai'?"),
    ({"candidates": [{"name": "c", "model": "ghost@champion"}]}, NotFound, "model 'ghost' does not exist"),
    ({"metrics": ["exact_mach"]}, InvalidInput, "exact_mach"),
    ({"judges": [{"name": "j", "model": "mock:judge", "type": "pointwize"}]}, InvalidInput,
     "unknown judge type 'pointwize'"),
    ({"judges": [{"name": "j", "model": "antropic:claude"}]}, InvalidInput,
     "judge 'j': unknown provider 'antropic' in model 'antropic:claude'; did you mean 'anthropic'?"),
]


def _spec(golden: str, **fields: Any) -> dict[str, Any]:
    spec = {"name": "early", "dataset": golden, "input_column": "question", "metrics": ["exact_match"],
            "candidates": [{"name": "c", "model": "mock:echo"}]}
    spec.update(fields)
    return spec


@pytest.mark.parametrize(("fields", "error", "needle"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_unknown_names_fail_before_any_call(client: Any, golden: str, fields: dict[str, Any], error: type,
                                            needle: str) -> None:
    with pytest.raises(error) as caught:
        client.evals.run(_spec(golden, **fields))
    assert needle in str(caught.value)
    assert all(run.status == "failed" and not run.metrics.get("items_done")
               for run in client.evals.list().items)  # recorded as invalid at most, nothing attempted


def test_the_cli_says_it_in_one_line(cli: Any, local: Any, golden: str, tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(_spec(golden, candidates=[{"name": "c", "model": "opneai:gpt-4o-mini"}])))
    done = cli("eval", "run", path)
    lines = [line for line in done.err.splitlines() if line.startswith("error:")]
    assert done.code == 1 and len(lines) == 1 and "did you mean 'openai'?" in lines[0], done.err
