"""A pytest plugin so a test suite can assert on an evaluation (entry point ``pytest11``: ``genloop``).

    def test_support_bot_quality(genloop_eval):
        result = genloop_eval("evals/support.yaml")
        result.assert_gates("rouge_l.ci_low>=0.35", "pairwise.win_rate>0.5")

``genloop_eval(spec, *, client=None, gates=None, resume=True, providers=None)`` runs the spec on ``client``
(default ``genloop.Client()``: ``GENLOOP_SERVER_URL`` or the local store) and returns the
:class:`~genloop.evals.EvalResult`; a run that does not succeed fails the test with its error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

__all__ = ["genloop_eval"]


@pytest.fixture
def genloop_eval() -> Iterator[Callable[..., Any]]:
    """Run an evaluation spec and return its result (see the module docstring)."""
    from genloop.client import Client

    owned: list[Any] = []

    def run(spec: Any, *, client: Any = None, gates: list[str] | None = None, resume: str | bool = True,
            providers: dict[str, Any] | None = None, allow_failure: bool = False) -> Any:
        if client is None:
            client = Client()
            owned.append(client)
        result = client.evals.run(spec, gates=gates, resume=resume, providers=providers)
        if result.status != "succeeded" and not allow_failure:
            pytest.fail(f"evaluation run {result.run_id} {result.status} ({result.reason}): {result.error}",
                        pytrace=False)
        return result

    yield run
    for client in owned:
        client.close()
