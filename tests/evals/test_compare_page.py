"""Two runs side by side a page at a time: outcomes per example on the chosen metric, filters to
regressions/improvements, both outputs, reference and judge explanations, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from tests.evals.conftest import evals_of, spec_for

from genloop.errors import InvalidInput, NotFound
from genloop.evals import EvalService
from genloop.providers._mock import MockProvider


def one(golden: str, column: str, **extra: Any) -> dict[str, Any]:
    return spec_for(golden, name=column, candidates=[{"name": "bot", "output_column": column}],
                    metrics=["exact_match", "token_f1"],
                    judges=[{"name": "correct", "model": "judge:j1", "use_reference": True}], **extra)


def test_compare_page_filters_and_pages(local: Any, golden: str, judge: MockProvider, store: Any) -> None:
    a = evals_of(local).run(one(golden, "base"), providers={"judge": judge})
    b = evals_of(local).run(one(golden, "new"), providers={"judge": judge})
    service = EvalService(store)
    whole = evals_of(local).compare(a.run_id, b.run_id)
    exact = next(m for m in whole.metrics if m.metric == "exact_match")
    page = service.compare_page(a.run_id, b.run_id, metric="exact_match", limit=5)
    assert (page.wins, page.ties, page.losses) == (exact.wins, exact.ties, exact.losses)
    assert page.shared == 12 and page.total == 12 and len(page.items) == 5 and page.next_offset == 5
    assert [r.example_index for r in page.items] == sorted(r.example_index for r in page.items)
    row = page.items[0]
    assert row.inputs and row.output_a is not None and row.output_b is not None and row.reference is not None
    assert set(row.explanations_a) == {"correct"}
    losses = service.compare_page(a.run_id, b.run_id, metric="exact_match", show="regressions", limit=50)
    assert losses.total == exact.losses and {r.outcome for r in losses.items} == {"loss"}
    assert all(r.score_a is not None and r.score_b is not None and r.score_b < r.score_a for r in losses.items)
    rest = service.compare_page(a.run_id, b.run_id, metric="exact_match", offset=10, limit=5)
    assert len(rest.items) == 2 and rest.next_offset is None
    tests = {m.metric: m for m in service.paired_tests(a.run_id, b.run_id)}
    assert tests["exact_match"].model_dump() == exact.model_dump()  # the same test as compare(), from scores alone
    with pytest.raises(InvalidInput, match="filter"):
        service.compare_page(a.run_id, b.run_id, show="worse")
    with pytest.raises(InvalidInput, match="no metric"):
        service.compare_page(a.run_id, b.run_id, metric="bleu")
    with pytest.raises(NotFound):
        EvalService(store, "other").compare_page(a.run_id, b.run_id)
