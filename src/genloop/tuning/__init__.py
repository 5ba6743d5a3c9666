"""Tuning and optimization: SFT, LoRA/QLoRA, DPO/KTO through TRL and PEFT; merge, quantize, distill.

    from genloop import Client
    from genloop.tuning import register_tiny_model

    client = Client()
    tuning = client.tuning                               # TuningService (in-process) or its REST-backed twin
    register_tiny_model(client.models, "tiny")           # a tiny base model built here (no download)
    result = tuning.run({"base": "tiny", "train": "qa-train", "method": "lora", "epochs": 3,
                         "eval": {"dataset": "qa-golden", "metrics": ["exact_match"]}})
    result.model.ref                                     # tiny-lora@1, an adapter on tiny@1
    result.evaluation.comparison                         # tuned vs base, paired, per metric

The heavy stack (torch, transformers, peft, trl) is the ``train`` extra, imported only when a method runs.
"""

from genloop.tuning._schemas import DistillResult, EvalOutcome, OptimizeResult, TuneResult
from genloop.tuning._service import TuningService
from genloop.tuning._spec import DEFAULT_LR, LoraSettings, TuneEval, TuneSpec, load_spec
from genloop.tuning._tiny import TINY_SIZES, build_tiny_model, register_tiny_model, synthetic_corpus, synthetic_tasks

__all__ = [
    "DEFAULT_LR",
    "TINY_SIZES",
    "DistillResult",
    "EvalOutcome",
    "LoraSettings",
    "OptimizeResult",
    "TuneEval",
    "TuneResult",
    "TuneSpec",
    "TuningService",
    "build_tiny_model",
    "load_spec",
    "register_tiny_model",
    "synthetic_corpus",
    "synthetic_tasks",
]
