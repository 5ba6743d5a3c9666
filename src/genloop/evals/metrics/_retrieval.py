"""Retrieval metrics for RAG items whose passage ids are known, and a tool-call trajectory metric.

Retrieval metrics read two fields of the item (the dataset row with what the candidate recorded): the ranked ids
the app retrieved (``retrieved``, default column ``retrieved_ids``) and the relevant ids (``relevant``, default
``relevant_ids``: a list, or a mapping of id to graded relevance for nDCG). The definitions are trec_eval's, and
the values equal ``pytrec_eval``'s (tested):

- ``hit_rate``  (trec_eval ``success_k``): 1 when any of the first k retrieved ids is relevant;
- ``recall_at_k`` (``recall_k``): relevant ids among the first k over all relevant ids;
- ``precision_at_k`` (``P_k``): relevant ids among the first k over k (k, not the number retrieved);
- ``mrr`` (``recip_rank``): 1 / rank of the first relevant id (0 when none), over the first k when k is set;
- ``ndcg_at_k`` (``ndcg_cut_k``): DCG with gain = relevance grade and discount log2(rank + 1), over the ideal.

An item with no relevant ids is not applicable (None), as trec_eval skips a query without judgements. Duplicate
retrieved ids count once, at their first rank.

``tool_calls`` compares a trajectory of tool calls (``expected``, default column ``expected_tool_calls``) with the
calls made (``actual``, default ``tool_calls``, or the OpenAI ``tool_calls`` of the output when it is JSON):
each call is ``{"name": ..., "arguments": {...}}``; ``order="exact"`` needs the same calls in the same order,
``"in_order"`` the expected ones as a subsequence (other calls may come between), ``"set"`` the same calls in any
order. ``passed`` says whether the rule held; the value is the F1 of matched calls, matched in order (the longest
common subsequence) for ``exact`` and ``in_order``, as a multiset for ``set``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from genloop.errors import InvalidInput
from genloop.evals.metrics._base import Metric, Reference, Score

__all__ = ["HitRate", "Mrr", "Ndcg", "PrecisionAtK", "RecallAtK", "ToolCalls"]


def _id_list(name: str, column: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if not isinstance(value, Sequence) or isinstance(value, bytes):
        raise InvalidInput(f"metric {name!r}: column {column!r} holds {type(value).__name__}, not a list of ids",
                           hint="store the ids as a list (or a JSON list) of strings")
    return [str(v) for v in value]


def _grades(name: str, column: str, value: Any) -> dict[str, float]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            pass
    if isinstance(value, Mapping):
        grades: dict[str, float] = {}
        for key, grade in value.items():
            if isinstance(grade, bool) or not isinstance(grade, int | float) or not math.isfinite(grade):
                raise InvalidInput(f"metric {name!r}: relevance of {key!r} in {column!r} is {grade!r}, not a number")
            grades[str(key)] = float(grade)
        return grades
    return {doc: 1.0 for doc in _id_list(name, column, value)}


class _Ranked(Metric):
    """Shared shape: ``k`` (None: the whole ranking), and the item columns of retrieved and relevant ids."""

    requires_reference = False
    proportion = False
    trec = ""

    def __init__(self, *, k: int | None = 10, retrieved: str = "retrieved_ids", relevant: str = "relevant_ids",
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise InvalidInput(f"metric {self.name!r}: k must be a positive integer, got {k!r}")
        self.k, self.retrieved, self.relevant = k, retrieved, relevant
        self._params(k=k, retrieved=retrieved, relevant=relevant)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        item = item or {}
        if self.relevant not in item:
            raise InvalidInput(f"metric {self.name!r} needs the column {self.relevant!r} (the relevant ids)",
                               hint=f"add it to the dataset, or pass relevant='COLUMN' to {self.name}")
        grades = {doc: g for doc, g in _grades(self.name, self.relevant, item.get(self.relevant)).items() if g > 0}
        if not grades:
            return Score(explanation="no relevant ids for this item: not applicable")
        ranking: list[str] = []
        for doc in _id_list(self.name, self.retrieved, item.get(self.retrieved)):
            if doc not in ranking:
                ranking.append(doc)
        value = self.compute(ranking if self.k is None else ranking[: self.k], grades)
        return Score(value=value, details={"retrieved": len(ranking), "relevant": len(grades)})

    def compute(self, ranking: list[str], grades: dict[str, float]) -> float:
        raise NotImplementedError


class HitRate(_Ranked):
    name = "hit_rate"
    proportion = True

    def compute(self, ranking: list[str], grades: dict[str, float]) -> float:
        return 1.0 if any(doc in grades for doc in ranking) else 0.0


class RecallAtK(_Ranked):
    name = "recall_at_k"

    def compute(self, ranking: list[str], grades: dict[str, float]) -> float:
        return sum(1 for doc in ranking if doc in grades) / len(grades)


class PrecisionAtK(_Ranked):
    name = "precision_at_k"

    def compute(self, ranking: list[str], grades: dict[str, float]) -> float:
        return sum(1 for doc in ranking if doc in grades) / (self.k or max(1, len(ranking)))


class Mrr(_Ranked):
    name = "mrr"

    def __init__(self, *, k: int | None = None, retrieved: str = "retrieved_ids", relevant: str = "relevant_ids",
                 name: str | None = None) -> None:
        super().__init__(k=k, retrieved=retrieved, relevant=relevant, name=name)

    def compute(self, ranking: list[str], grades: dict[str, float]) -> float:
        for rank, doc in enumerate(ranking, start=1):
            if doc in grades:
                return 1.0 / rank
        return 0.0


class Ndcg(_Ranked):
    name = "ndcg_at_k"

    def compute(self, ranking: list[str], grades: dict[str, float]) -> float:
        dcg = sum(grades.get(doc, 0.0) / math.log2(rank + 1) for rank, doc in enumerate(ranking, start=1))
        ideal = sorted(grades.values(), reverse=True)[: self.k] if self.k else sorted(grades.values(), reverse=True)
        idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
        return dcg / idcg if idcg > 0 else 0.0


# -- tool calls -----------------------------------------------------------------------------------------


def _calls(name: str, column: str, value: Any) -> list[tuple[str, str]]:
    """Calls as ``(name, canonical JSON of the arguments)``, from our shape or OpenAI's ``tool_calls``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"metric {name!r}: {column!r} is not JSON: {exc}") from exc
    if isinstance(value, Mapping) and "tool_calls" in value:
        value = value["tool_calls"]
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise InvalidInput(f"metric {name!r}: {column!r} must be a list of tool calls",
                           hint='each call: {"name": "search", "arguments": {"q": "..."}}')
    calls: list[tuple[str, str]] = []
    for call in value:
        if not isinstance(call, Mapping):
            raise InvalidInput(f"metric {name!r}: a tool call in {column!r} is {type(call).__name__}, not an object")
        body = call.get("function", call)  # OpenAI nests name/arguments under "function"
        arguments = body.get("arguments", {})
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError:
                pass  # compared as the text it is
        calls.append((str(body.get("name", "")), json.dumps(arguments, sort_keys=True, default=str)))
    return calls


class ToolCalls(Metric):
    """Expected tool calls (names and arguments) against the calls made; see the module docstring."""

    name = "tool_calls"
    proportion = False

    def __init__(self, *, order: str = "in_order", expected: str = "expected_tool_calls", actual: str = "tool_calls",
                 arguments: bool = True, name: str | None = None) -> None:
        super().__init__(name=name)
        if order not in ("exact", "in_order", "set"):
            raise InvalidInput(f"metric {self.name!r}: order must be 'exact', 'in_order' or 'set', got {order!r}")
        self.order, self.expected, self.actual, self.arguments = order, expected, actual, arguments
        self._params(order=order, expected=expected, actual=actual, arguments=arguments)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        item = item or {}
        if self.expected not in item:
            raise InvalidInput(f"metric {self.name!r} needs the column {self.expected!r} (the expected calls)",
                               hint=f"add it to the dataset, or pass expected='COLUMN' to {self.name}")
        expected = _calls(self.name, self.expected, item.get(self.expected))
        made = item.get(self.actual) if self.actual in item else output
        actual = _calls(self.name, self.actual, made)
        if not self.arguments:
            expected = [(n, "") for n, _ in expected]
            actual = [(n, "") for n, _ in actual]
        matched = _multiset_overlap(expected, actual) if self.order == "set" else _lcs(expected, actual)
        precision = matched / len(actual) if actual else (1.0 if not expected else 0.0)
        recall = matched / len(expected) if expected else 1.0
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        if self.order == "exact":
            passed = expected == actual
        elif self.order == "set":
            passed = sorted(expected) == sorted(actual)
        else:
            passed = _is_subsequence(expected, actual)
        details = {"expected": [n for n, _ in expected], "actual": [n for n, _ in actual], "matched": matched}
        return Score(value=f1, passed=passed, details=details,
                     explanation=None if passed else f"calls {details['actual']} vs expected {details['expected']}")


def _multiset_overlap(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> int:
    left = list(b)
    count = 0
    for call in a:
        if call in left:
            left.remove(call)
            count += 1
    return count


def _lcs(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> int:
    """Length of the longest common subsequence (calls matched in order)."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def _is_subsequence(expected: list[tuple[str, str]], actual: list[tuple[str, str]]) -> bool:
    remaining = iter(actual)
    return all(any(call == made for made in remaining) for call in expected)
