"""Drift: a recent window of a deployment's traces against a reference window or a dataset version.

Each signal gets one test, with the thresholds of :mod:`genloop.monitoring._stats` stated in its result:

=================  ==========================================================  ===========
signal             values                                                      test
=================  ==========================================================  ===========
input_length       characters of the input text                                KS
output_length      characters of the answer                                    KS
language           language of the input (py3langid with the ``quality``        chi-square
                   extra, else the Unicode script of its letters)
topic              cosine similarity of each input's embedding to the          PSI
                   reference centroid (the data-quality embedder; a hashed
                   character-trigram embedding without the ``quality`` extra)
guardrail_hits     the strongest guardrail action per trace (``none`` if none)  chi-square
score:NAME         numeric feedback NAME (an online judge's scores, ratings)    KS
=================  ==========================================================  ===========

At most ``max_samples`` traces (the newest) are read from each window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.monitoring._schemas import DriftSignal
from genloop.monitoring._stats import chi_square_test, ks_test, psi

__all__ = ["DRIFT_SIGNALS", "Sample", "compare_samples", "window_drift", "window_sample"]

DRIFT_SIGNALS = ("input_length", "output_length", "language", "topic", "guardrail_hits")
MAX_SAMPLES = 5000


class Sample:
    """The texts and figures of a set of traces (or dataset rows) that drift signals read."""

    def __init__(self, inputs: list[str], outputs: list[str | None], guardrails: list[str],
                 scores: dict[str, list[float]] | None = None) -> None:
        self.inputs, self.outputs, self.guardrails = inputs, outputs, guardrails
        self.scores = scores or {}

    def __len__(self) -> int:
        return len(self.inputs)


def window_sample(session: Session, project_id: int, *, deployment: str | None, variant: str | None,
                  start: dt.datetime, end: dt.datetime, score_names: Sequence[str] = (),
                  max_samples: int = MAX_SAMPLES) -> Sample:
    """The newest ``max_samples`` traces (shadows left out) that started in ``[start, end)``."""
    from genloop.monitoring._online import _trace_view
    from genloop.tracing._tables import TraceRow

    where = [TraceRow.project_id == project_id, TraceRow.started_at >= start, TraceRow.started_at < end,
             TraceRow.shadow_of.is_(None)]
    if deployment is not None:
        where.append(TraceRow.deployment == deployment)
    if variant is not None:
        where.append(TraceRow.variant == variant)
    rows = list(session.scalars(select(TraceRow).where(*where).order_by(TraceRow.started_at.desc())
                                .limit(max_samples)))
    views = [_trace_view(r) for r in rows]
    scores: dict[str, list[float]] = {}
    if score_names and rows:
        from genloop.feedback._tables import FeedbackRow

        ids = [r.id for r in rows]
        for name in score_names:
            values: list[float] = []
            for chunk in range(0, len(ids), 900):
                values.extend(float(v) for v in session.scalars(select(FeedbackRow.value_number).where(
                    FeedbackRow.project_id == project_id, FeedbackRow.name == name,
                    FeedbackRow.trace_id.in_(ids[chunk:chunk + 900]), FeedbackRow.value_number.is_not(None)))
                              if v is not None)
            scores[name] = values
    return Sample([v["input"] or "" for v in views], [v["output"] for v in views],
                  [r.guardrail_action or "none" for r in rows], scores)


def compare_samples(reference: Sample, recent: Sample, signals: Sequence[str]) -> list[DriftSignal]:
    """One :class:`DriftSignal` per signal (``no_data`` where a side has no value for it)."""
    return [_signal(name, reference, recent) for name in signals]


def window_drift(session: Session, project_id: int, signal: str, *, deployment: str | None, variant: str | None,
                 start: dt.datetime, end: dt.datetime) -> DriftSignal:
    """``signal`` of the window ``[start, end)`` against the window of the same length before it."""
    span = end - start
    names = [signal.partition(":")[2]] if signal.startswith("score:") else []
    recent = window_sample(session, project_id, deployment=deployment, variant=variant, start=start, end=end,
                           score_names=names)
    reference = window_sample(session, project_id, deployment=deployment, variant=variant, start=start - span,
                              end=start, score_names=names)
    return _signal(signal, reference, recent)


def _signal(name: str, reference: Sample, recent: Sample) -> DriftSignal:
    kind, _, arg = name.partition(":")
    if name in ("input_length", "output_length"):
        texts_a = reference.inputs if name == "input_length" else [o for o in reference.outputs if o is not None]
        texts_b = recent.inputs if name == "input_length" else [o for o in recent.outputs if o is not None]
        return _numeric(name, [len(t) for t in texts_a], [len(t) for t in texts_b])
    if kind == "score":
        return _numeric(name, reference.scores.get(arg, []), recent.scores.get(arg, []))
    if name == "language":
        return _categorical(name, Counter(_languages(reference.inputs)), Counter(_languages(recent.inputs)))
    if name == "guardrail_hits":
        return _categorical(name, Counter(reference.guardrails), Counter(recent.guardrails))
    if name == "topic":
        return _topic(reference.inputs, recent.inputs)
    from genloop.errors import InvalidInput

    raise InvalidInput(f"unknown drift signal {name!r}",
                       hint=f"use one of {', '.join(DRIFT_SIGNALS)} or score:NAME (a feedback name)")


def _numeric(name: str, a: Sequence[float], b: Sequence[float]) -> DriftSignal:
    if not a or not b:
        return DriftSignal(signal=name, test="ks", verdict="no_data", reference_count=len(a), recent_count=len(b))
    result = ks_test(a, b)
    detail = {"reference_mean": float(np.mean(a)), "recent_mean": float(np.mean(b)), "psi": psi(a, b).statistic}
    return DriftSignal(signal=name, test=result.test, statistic=result.statistic, p_value=result.p_value,
                       threshold=result.threshold, verdict=result.verdict, reference_count=len(a),  # type: ignore[arg-type]
                       recent_count=len(b), detail=detail)


def _categorical(name: str, a: Counter[str], b: Counter[str]) -> DriftSignal:
    if not a or not b:
        return DriftSignal(signal=name, test="chi2", verdict="no_data", reference_count=sum(a.values()),
                           recent_count=sum(b.values()))
    result = chi_square_test(a, b)
    return DriftSignal(signal=name, test=result.test, statistic=result.statistic, p_value=result.p_value,
                       threshold=result.threshold, verdict=result.verdict,  # type: ignore[arg-type]
                       reference_count=sum(a.values()), recent_count=sum(b.values()),
                       detail={"reference": dict(a.most_common(20)), "recent": dict(b.most_common(20))})


def _topic(a: list[str], b: list[str]) -> DriftSignal:
    if len(a) < 2 or len(b) < 2:
        return DriftSignal(signal="topic", test="psi", verdict="no_data", reference_count=len(a), recent_count=len(b))
    vectors, embedder = _embed(a + b)
    ref, new = vectors[: len(a)], vectors[len(a):]
    centroid = ref.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    result = psi(ref @ centroid, new @ centroid)
    distance = 1.0 - float(new.mean(axis=0) @ centroid / max(float(np.linalg.norm(new.mean(axis=0))), 1e-12))
    return DriftSignal(signal="topic", test="psi", statistic=result.statistic, threshold=result.threshold,
                       verdict=result.verdict, reference_count=len(a), recent_count=len(b),  # type: ignore[arg-type]
                       detail={"embedder": embedder, "centroid_cosine_distance": distance})


def _embed(texts: list[str]) -> tuple[np.ndarray, str]:
    from genloop.errors import MissingDependency

    try:
        from genloop.quality._embed import HashedEmbedder

        embedder = HashedEmbedder()
        return embedder.embed(texts), embedder.name
    except (ImportError, MissingDependency):  # no quality extra (scikit-learn): a plain hashed embedding
        return _hashed(texts), "hashed-char-trigrams-512"


def _hashed(texts: list[str], dims: int = 512) -> np.ndarray:
    out = np.zeros((len(texts), dims), dtype=np.float64)
    for row, text in enumerate(texts):
        low = f" {text.lower()[:1000]} "
        for i in range(len(low) - 2):
            digest = hashlib.blake2b(low[i:i + 3].encode(), digest_size=4).digest()
            out[row, int.from_bytes(digest, "big") % dims] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def _languages(texts: list[str]) -> list[str]:
    try:
        from genloop.quality._langid import detect_languages, langid_available

        if langid_available():
            return detect_languages(texts)
    except ImportError:
        pass
    return [_script(t) for t in texts]


def _script(text: str) -> str:
    """The Unicode script most letters of ``text`` belong to (``und`` without letters)."""
    scripts: Counter[str] = Counter()
    for ch in text[:500]:
        if ch.isalpha():
            scripts[unicodedata.name(ch, "UNKNOWN").split(" ")[0].lower()] += 1
    return scripts.most_common(1)[0][0] if scripts else "und"


def dataset_sample(datasets: Any, ref: str, max_samples: int = MAX_SAMPLES) -> Sample:
    """Inputs and answers of a dataset version's rows (chat rows, prompt/completion or input/output columns)."""
    from genloop.feedback._export_rows import answer_text, chat_messages

    inputs: list[str] = []
    outputs: list[str | None] = []
    for row in datasets.iter_rows(ref):
        if len(inputs) >= max_samples:
            break
        messages = chat_messages(row.get("messages")) if "messages" in row else None
        if messages:
            answer = messages[-1]["content"] if messages[-1]["role"] == "assistant" else None
            asked = messages[:-1] if answer is not None else messages
            inputs.append("\n\n".join(f"{m['role']}: {m['content']}" for m in asked))
            outputs.append(answer)
            continue
        prompt = next((row[k] for k in ("prompt", "input", "question") if k in row), None)
        inputs.append(prompt if isinstance(prompt, str) else str(prompt or ""))
        answer = next((row[k] for k in ("completion", "output", "answer", "response") if k in row), None)
        outputs.append(answer_text(answer) if answer is not None else None)
    return Sample(inputs, outputs, ["none"] * len(inputs))
