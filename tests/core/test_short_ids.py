"""Short ids, as git takes them: any unique prefix (4+ hex characters) of a run, evaluation run or trace id."""

from __future__ import annotations

import time
from typing import Any

import pytest

from genloop.errors import InvalidInput, NotFound


def test_a_unique_prefix_stands_for_the_id_everywhere(cli: Any, store: Any) -> None:
    from genloop.datasets import DatasetService
    from genloop.evals import EvalService

    DatasetService(store).create("g", [{"input": "a", "reference": "a"}, {"input": "b", "reference": "b"}],
                                 kind="eval")
    result = EvalService(store).run({"name": "t", "dataset": "g@1", "metrics": ["exact_match"],
                                     "candidates": [{"name": "c", "model": "mock:echo"}]})
    short = result.run_id[:12]
    for args in (["eval", "show", short, "--json"], ["runs", "show", short, "--json"],
                 ["eval", "items", short, "--json"], ["eval", "report", short]):
        done = cli(*args)
        assert done.code == 0 and result.run_id in done.out + cli("eval", "show", result.run_id, "--json").out, args
    assert cli("eval", "show", short, "--json").json()["run_id"] == result.run_id
    assert cli("runs", "show", short, "--json").json()["id"] == result.run_id
    assert EvalService(store).compare(short, result.run_id[:8]).shared == 2
    missing = cli("eval", "show", "ffffffff")
    assert missing.code == 1 and "does not exist" in missing.err


def test_an_ambiguous_prefix_lists_the_matches(store: Any) -> None:
    from genloop.tracing import TraceService

    traces = TraceService(store)
    ids = ["abcd" + "0" * 28, "abcd" + "1" * 28, "abc9" + "2" * 28]
    traces.record([{"id": i, "name": "t", "started_at": time.time()} for i in ids])
    with pytest.raises(InvalidInput) as caught:
        traces.get("abcd")
    assert "ambiguous" in str(caught.value) and ids[0] in str(caught.value) and ids[1] in str(caught.value)
    assert ids[2] not in str(caught.value)
    assert traces.get("abcd1").id == ids[1]
    assert traces.get("abc9").id == ids[2]  # the range's upper bound is the next hex digit, in any collation
    with pytest.raises(NotFound):
        traces.get("abc")  # under 4 characters: a whole id or nothing
