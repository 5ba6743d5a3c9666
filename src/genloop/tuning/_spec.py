"""The tuning spec: which base model, which data, which method, which hyperparameters, which evaluation after.

    base: tiny@1                 # a registry model: checkpoint or merged
    train: qa-train@2            # chat or completion for sft/lora/qlora; preference for dpo/kto
    eval_dataset: qa-val@1       # optional: eval loss during training
    method: lora                 # sft (full), lora, qlora (CUDA + bitsandbytes), dpo, kto
    output: tiny-qa              # model name to register (default BASE-METHOD)
    epochs: 3
    lora: {r: 16, alpha: 32, dropout: 0.05, target_modules: auto}
    eval:                        # after training: the tuned model and its base, compared pair by pair
      dataset: qa-golden@1
      metrics: [exact_match, rouge_l]
      params: {max_tokens: 32}

Every field has a default except ``base`` and ``train``; the learning rate defaults by method.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from genloop.errors import InvalidInput
from genloop.prompts._yaml import read_text_file
from genloop.refs import parse_ref, validate_name

__all__ = ["ADAPTER_METHODS", "DEFAULT_LR", "PREFERENCE_METHODS", "SFT_METHODS", "LoraSettings", "TuneEval",
           "TuneSpec", "load_spec"]

Method = Literal["sft", "lora", "qlora", "dpo", "kto"]
SFT_METHODS: tuple[str, ...] = ("sft", "lora", "qlora")
PREFERENCE_METHODS: tuple[str, ...] = ("dpo", "kto")
ADAPTER_METHODS: tuple[str, ...] = ("lora", "qlora")
#: Default learning rates: (full fine-tune, LoRA adapter) per method.
DEFAULT_LR: dict[str, tuple[float, float]] = {"sft": (2e-5, 2e-4), "lora": (2e-4, 2e-4), "qlora": (2e-4, 2e-4),
                                              "dpo": (5e-7, 5e-5), "kto": (5e-7, 5e-5)}


class LoraSettings(BaseModel):
    """LoRA adapter shape; ``target_modules: auto`` picks every Linear layer but the output head."""

    model_config = ConfigDict(extra="forbid")

    r: int = Field(default=16, ge=1, le=1024)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["auto"] = "auto"


class TuneEval(BaseModel):
    """An evaluation run on the tuned model and on its base after training (see ``genloop.evals``)."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(description="Eval dataset NAME@ref.")
    prompt: str | None = Field(default=None, description="Prompt NAME@ref rendered with each row (else the input).")
    params: dict[str, Any] = Field(default_factory=lambda: {"temperature": 0, "max_tokens": 64})
    metrics: list[Any] = Field(default_factory=lambda: ["exact_match", "rouge_l"])
    judges: list[dict[str, Any]] = Field(default_factory=list)
    input_column: str = "input"
    reference_column: str | None = None
    id_column: str | None = None
    limit: int | None = Field(default=None, ge=1)
    seed: int = 0
    concurrency: int = Field(default=8, ge=1)
    gates: list[str] = Field(default_factory=list)
    compare_with_base: bool = Field(default=True, description="Also evaluate the base and compare pair by pair.")

    def eval_spec(self, candidate: str, model: str) -> Any:
        """The :class:`~genloop.evals.EvalSpec` evaluating ``model`` as candidate ``candidate``."""
        from genloop.evals import EvalSpec

        cand: dict[str, Any] = {"name": candidate, "model": model, "params": dict(self.params)}
        if self.prompt:
            cand["prompt"] = self.prompt
        return EvalSpec.load({
            "name": f"tune-{candidate}", "dataset": self.dataset, "candidates": [cand], "metrics": list(self.metrics),
            "judges": list(self.judges), "input_column": self.input_column, "reference_column": self.reference_column,
            "id_column": self.id_column, "limit": self.limit, "seed": self.seed, "concurrency": self.concurrency,
        })


class TuneSpec(BaseModel):
    """Everything one tuning run needs; load from YAML with :func:`load_spec`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", description="Run name (default 'tune OUTPUT').")
    base: str = Field(description="Base model NAME@ref (a checkpoint or merged model).")
    train: str = Field(description="Training dataset NAME@ref.")
    eval_dataset: str | None = Field(default=None, description="Dataset NAME@ref for eval loss during training.")
    method: Method = "lora"
    adapter: bool | None = Field(default=None, description="Train a LoRA adapter; default yes except for sft.")
    output: str | None = Field(default=None, description="Model name to register; default BASE-METHOD.")
    description: str = ""
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1, description="Stop after this many steps (overrides epochs).")
    batch_size: int = Field(default=8, ge=1)
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    learning_rate: float | None = Field(default=None, gt=0, description="Default by method (2e-4 for LoRA).")
    lr_scheduler: str = "linear"
    warmup_ratio: float = Field(default=0.0, ge=0, lt=1)
    weight_decay: float = Field(default=0.0, ge=0)
    max_length: int = Field(default=512, ge=8, description="Longest example in tokens; longer ones are reported.")
    truncate: bool = Field(default=False, description="Truncate too-long examples instead of refusing them.")
    completion_only: bool = Field(default=True, description="Loss on the completion/assistant tokens only.")
    packing: bool = Field(default=False, description="Pack short examples into full rows (best on GPUs).")
    chat_format: bool | None = Field(default=None, description="Completion/preference rows as chat turns; "
                                     "default when the tokenizer has a chat template.")
    lora: LoraSettings = Field(default_factory=LoraSettings)
    beta: float = Field(default=0.1, gt=0, description="DPO/KTO: strength of the pull towards the base model.")
    seed: int = 0
    logging_steps: int = Field(default=10, ge=1)
    eval_steps: int | None = Field(default=None, ge=1, description="Eval loss every N steps (default each epoch).")
    gradient_checkpointing: bool = False
    threads: int | None = Field(default=None, ge=1, description="CPU threads for torch (default torch's).")
    max_problems: int = Field(default=10, ge=1, description="Bad rows listed when validation fails.")
    eval: TuneEval | None = None

    @field_validator("base", "train", "eval_dataset")
    @classmethod
    def _ref(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ref(value)
        return value

    @model_validator(mode="after")
    def _check(self) -> TuneSpec:
        if self.output is not None:
            validate_name(self.output, "output model name")
        if self.method in ADAPTER_METHODS and self.adapter is False:
            raise ValueError(f"method {self.method} trains an adapter; drop 'adapter: false' or use method sft")
        return self

    @property
    def uses_adapter(self) -> bool:
        return self.adapter if self.adapter is not None else self.method != "sft"

    @property
    def lr(self) -> float:
        """The learning rate: given, or the method's default."""
        return self.learning_rate or DEFAULT_LR[self.method][1 if self.uses_adapter else 0]

    def output_name(self) -> str:
        return self.output or validate_name(f"{parse_ref(self.base).name}-{self.method}", "output model name")


def load_spec(source: str | Path | dict[str, Any] | TuneSpec) -> TuneSpec:
    """A spec from a YAML/JSON file path, a YAML string, a dict, or a spec (returned as is)."""
    if isinstance(source, TuneSpec):
        return source
    origin = "tuning spec"
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and source.endswith((".yaml", ".yml", ".json"))):
        path = Path(source)
        if not path.exists():
            raise InvalidInput(f"spec file {str(path)!r} does not exist", hint="check the path")
        origin, source = str(path), read_text_file(path, "tuning spec")  # not UTF-8: names the line
    if isinstance(source, str):
        try:
            source = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(source, dict):
        raise InvalidInput(f"{origin}: a tuning spec is a mapping with at least 'base' and 'train'")
    try:
        return TuneSpec.model_validate(source)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'spec'}: {err['msg']}"
                             for err in exc.errors()[:10])
        raise InvalidInput(f"{origin}: invalid spec: {problems}",
                           hint="the fields are those of genloop.tuning.TuneSpec") from exc
    except InvalidInput as exc:
        raise InvalidInput(f"{origin}: {exc.message}", hint=exc.hint) from exc
