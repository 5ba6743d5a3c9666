"""Reference-overlap metrics: BLEU, chrF and ROUGE, as :class:`Metric` objects.

All three report values in [0, 1]. BLEU and chrF are sacrebleu's numbers divided by 100 (sacrebleu prints
them on a 0-100 scale); ROUGE is rouge-score's precision, recall or F1 as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from genloop.errors import InvalidInput
from genloop.evals.metrics._base import Metric, Reference, Score
from genloop.evals.metrics._bleu import BleuScore, bleu_from_statistics, bleu_statistics, corpus_bleu, sentence_bleu
from genloop.evals.metrics._chrf import chrf_from_statistics, chrf_statistics, corpus_chrf, sentence_chrf
from genloop.evals.metrics._rouge import check_rouge_type, rouge_scores

__all__ = ["Bleu", "Chrf", "Rouge"]


def _corpus_refs(metric: Metric, outputs: Sequence[str], references: Sequence[Reference]) -> list[list[str]]:
    if len(outputs) != len(references):
        raise InvalidInput(f"metric {metric.name!r}: {len(outputs)} outputs but {len(references)} references")
    return [metric.references(ref) for ref in references]


def _bleu_score(result: BleuScore) -> Score:
    return Score(value=result.score, details={
        "precisions": list(result.precisions), "bp": result.bp, "sys_len": result.sys_len, "ref_len": result.ref_len,
    })


class Bleu(Metric):
    """BLEU in [0, 1]: sentence BLEU per item (effective order, exp smoothing, 13a tokens, like
    ``sacrebleu.sentence_bleu``) and a true corpus BLEU over a run (``sacrebleu.corpus_bleu``)."""

    name = "bleu"
    requires_reference = True

    def __init__(self, *, lowercase: bool = False, name: str | None = None) -> None:
        super().__init__(name=name)
        self.lowercase = bool(lowercase)
        self._params(lowercase=self.lowercase)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        return _bleu_score(sentence_bleu(output, self.references(reference), lowercase=self.lowercase))

    def corpus_score(self, outputs: Sequence[str], references: Sequence[Reference]) -> Score:
        refs = _corpus_refs(self, outputs, references)
        return _bleu_score(corpus_bleu(outputs, refs, lowercase=self.lowercase))

    def corpus_statistics(self, outputs: Sequence[str], references: Sequence[Reference]
                          ) -> tuple[list[list[int]], Callable[[Sequence[int]], float]]:
        stats = bleu_statistics(outputs, _corpus_refs(self, outputs, references), lowercase=self.lowercase)
        return stats, lambda totals: bleu_from_statistics(totals).score


class Chrf(Metric):
    """chrF in [0, 1] (character 6-grams, beta 2, like ``sacrebleu.sentence_chrf``), with a true corpus
    chrF over a run (``sacrebleu.corpus_chrf``)."""

    name = "chrf"
    requires_reference = True

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        return Score(value=sentence_chrf(output, self.references(reference)))

    def corpus_score(self, outputs: Sequence[str], references: Sequence[Reference]) -> Score:
        return Score(value=corpus_chrf(outputs, _corpus_refs(self, outputs, references)))

    def corpus_statistics(self, outputs: Sequence[str], references: Sequence[Reference]
                          ) -> tuple[list[list[int]], Callable[[Sequence[int]], float]]:
        return chrf_statistics(outputs, _corpus_refs(self, outputs, references)), chrf_from_statistics


class Rouge(Metric):
    """ROUGE ``variant`` (rouge1..rouge9, rougeL, rougeLsum) with the numbers of Google's rouge-score;
    ``measure`` picks the value (fmeasure, precision or recall), the other two go in ``details``.
    ``stemmer`` is rouge-score's ``use_stemmer`` (off by default, as there). Several references: the best F1."""

    name = "rouge"
    requires_reference = True

    def __init__(self, *, variant: str = "rougeL", stemmer: bool = False, measure: str = "fmeasure",
                 name: str | None = None) -> None:
        super().__init__(name=name)
        try:
            check_rouge_type(variant)
        except ValueError as exc:
            raise InvalidInput(f"metric {self.name!r}: {exc}") from exc
        if measure not in ("fmeasure", "precision", "recall"):
            raise InvalidInput(f"metric {self.name!r}: measure must be fmeasure, precision or recall")
        self.variant, self.stemmer, self.measure = variant, bool(stemmer), measure
        self._params(variant=variant, stemmer=self.stemmer, measure=measure)

    def score(self, output: str, reference: Reference = None, item: Mapping[str, Any] | None = None) -> Score:
        refs = self.references(reference)
        result = rouge_scores(output, refs[0] if len(refs) == 1 else refs, (self.variant,), stemmer=self.stemmer)
        best = result[self.variant]
        return Score(value=getattr(best, self.measure), details=best._asdict())
