"""One training job through TRL and PEFT: load the base, build the trainer for the method, train, save.

Everything here runs after validation. Out-of-memory errors become one :class:`InvalidInput` that names the
knobs to turn; the caller (the engine) owns the run record and what gets registered.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from genloop.errors import InvalidInput
from genloop.tuning._spec import TuneSpec

__all__ = ["detect_target_modules", "is_oom", "load_base_model", "oom_error", "train"]


def detect_target_modules(model: Any) -> list[str]:
    """Names of the Linear (and GPT-2 Conv1D) layers LoRA should wrap: every one but the output head."""
    import torch
    from transformers.pytorch_utils import Conv1D

    names = {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
             if isinstance(module, torch.nn.Linear | Conv1D) and "lm_head" not in name}
    names.discard("score")
    return sorted(names)


def load_base_model(path: str, spec: TuneSpec) -> Any:
    """The base model for training: float32 on CPU, bf16 on a GPU that has it, 4-bit NF4 for QLoRA."""
    import torch
    from transformers import AutoModelForCausalLM

    from genloop.tuning._deps import cuda_available, require_cuda_bnb

    kwargs: dict[str, Any] = {"dtype": torch.float32}
    if cuda_available() and torch.cuda.is_bf16_supported():
        kwargs["dtype"] = torch.bfloat16
    if spec.method == "qlora":
        require_cuda_bnb("QLoRA")
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                           bnb_4bit_use_double_quant=True,
                                                           bnb_4bit_compute_dtype=kwargs["dtype"])
        kwargs["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if spec.method == "qlora":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=spec.gradient_checkpointing)
    return model


def _common_args(spec: TuneSpec, out: Path, has_eval: bool) -> dict[str, Any]:
    from genloop.tuning._deps import cuda_available

    gpu = cuda_available()
    args: dict[str, Any] = dict(
        output_dir=str(out), num_train_epochs=spec.epochs, max_steps=spec.max_steps or -1,
        per_device_train_batch_size=spec.batch_size, per_device_eval_batch_size=spec.batch_size,
        gradient_accumulation_steps=spec.gradient_accumulation_steps, learning_rate=spec.lr,
        lr_scheduler_type=spec.lr_scheduler, warmup_steps=spec.warmup_ratio, weight_decay=spec.weight_decay,
        seed=spec.seed, data_seed=spec.seed, logging_steps=spec.logging_steps, save_strategy="no", report_to="none",
        disable_tqdm=True, use_cpu=not gpu, activation_checkpointing=spec.gradient_checkpointing,
        dataloader_pin_memory=gpu, max_length=spec.max_length,
    )
    if gpu:
        import torch

        args["bf16"] = bool(torch.cuda.is_bf16_supported())
    if has_eval:
        args["eval_strategy"] = "steps" if spec.eval_steps else "epoch"
        if spec.eval_steps:
            args["eval_steps"] = spec.eval_steps
    return args


def _trainer(spec: TuneSpec, model: Any, tokenizer: Any, train_ds: Any, eval_ds: Any, out: Path,
             peft_config: Any, fmt: dict[str, Any], callbacks: list[Any]) -> Any:
    common = _common_args(spec, out, eval_ds is not None)
    if spec.method in ("dpo", "kto"):
        from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer

        pair: tuple[Any, Any] = (DPOConfig, DPOTrainer) if spec.method == "dpo" else (KTOConfig, KTOTrainer)
        return pair[1](model=model, args=pair[0](**common, beta=spec.beta), train_dataset=train_ds,
                       eval_dataset=eval_ds, processing_class=tokenizer, peft_config=peft_config, callbacks=callbacks)
    from trl import SFTConfig, SFTTrainer

    prompt_completion = fmt["format"] == "prompt-completion"
    config = SFTConfig(**common, packing=spec.packing, completion_only_loss=spec.completion_only and prompt_completion,
                       assistant_only_loss=bool(fmt.get("assistant_only_loss")))
    return SFTTrainer(model=model, args=config, train_dataset=train_ds, eval_dataset=eval_ds,
                      processing_class=tokenizer, peft_config=peft_config, callbacks=callbacks)


@contextlib.contextmanager
def _threads(count: int | None) -> Iterator[None]:
    import torch

    if count is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def train(spec: TuneSpec, base_path: str, tokenizer: Any, train_examples: list[dict[str, Any]],
          eval_examples: list[dict[str, Any]] | None, out: Path, fmt: dict[str, Any],
          callbacks: list[Any]) -> dict[str, Any]:
    """Train and save to ``out/model`` (an adapter or a full checkpoint, with the tokenizer); returns facts."""
    from peft import LoraConfig
    from transformers import set_seed

    from datasets import Dataset
    from genloop.tuning._callback import remove_printers

    with _threads(spec.threads):
        set_seed(spec.seed)  # before the adapter is initialised: TRL wraps the model before the Trainer seeds
        model = load_base_model(base_path, spec)
        targets: list[str] = []
        peft_config = None
        if spec.uses_adapter:
            targets = (detect_target_modules(model) if spec.lora.target_modules == "auto"
                       else list(spec.lora.target_modules))
            peft_config = LoraConfig(r=spec.lora.r, lora_alpha=spec.lora.alpha, lora_dropout=spec.lora.dropout,
                                     target_modules=targets, task_type="CAUSAL_LM")
        train_ds = Dataset.from_list(train_examples)
        eval_ds = Dataset.from_list(eval_examples) if eval_examples else None
        with warnings.catch_warnings():
            # PEFT reads a property transformers 5 marks deprecated; neither is ours to change, and the notice
            # would be the only line a user sees between the progress bars
            warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
            trainer = _trainer(spec, model, tokenizer, train_ds, eval_ds, out / "trainer", peft_config, fmt,
                               callbacks)
            remove_printers(trainer)
            result = trainer.train()
            final_eval = trainer.evaluate() if eval_ds is not None else {}
        saved = out / "model"
        trainer.model.save_pretrained(str(saved))
        tokenizer.save_pretrained(str(saved))
    facts = {"train_loss": float(result.training_loss), "steps": int(trainer.state.global_step),
             "train_runtime_s": float(result.metrics.get("train_runtime", 0.0)), "target_modules": targets}
    if "eval_loss" in final_eval:
        facts["eval_loss"] = float(final_eval["eval_loss"])
    return facts


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is torch running out of (GPU or CPU) memory."""
    import torch

    oom_type = getattr(torch, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError | MemoryError) and (
        "out of memory" in text or "can't allocate memory" in text or isinstance(exc, MemoryError))


def oom_error(spec: TuneSpec, exc: BaseException) -> InvalidInput:
    """The out-of-memory message, naming the knobs and their current values."""
    knobs = [f"batch_size (now {spec.batch_size})", f"max_length (now {spec.max_length})",
             f"raise gradient_accumulation_steps (now {spec.gradient_accumulation_steps}) to keep the effective batch"]
    if spec.uses_adapter:
        knobs.append(f"lora.r (now {spec.lora.r})")
    if not spec.gradient_checkpointing:
        knobs.append("gradient_checkpointing: true")
    return InvalidInput(f"training ran out of memory: {str(exc).splitlines()[0][:200]}",
                        hint="lower " + ", ".join(knobs))
