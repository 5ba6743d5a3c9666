"""LoRA SFT tokens/s through GenLoop against a plain TRL script: same tiny model, data and settings, one run.

    python bench/bench_tuning.py [--rounds 3] [--steps 30] [--size small] [--threads 1]

Both sides train the same LoRA (same target modules, r, batch, max_length, seed) on the same examples in the
same TRL format, in this process, alternating which goes first each round. Tokens/s is the trainer's own
count of tokens seen divided by its ``train_runtime``, for both. GenLoop's side is a whole ``TuningService.run``
(validation, run record, metric series written to the store, registration); its end-to-end wall time is
reported separately. Goal: GenLoop within 5% of plain TRL.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", category=FutureWarning)


def _cpu_clock() -> Any:
    """A trainer callback timing the training loop in CPU seconds of this process (robust to a busy machine)."""
    from transformers import TrainerCallback

    class CpuClock(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.start = self.seconds = 0.0
            self.tokens = 0.0

        def on_train_begin(self, *a: Any, **kw: Any) -> None:
            self.start = time.process_time()

        def on_log(self, a: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any) -> None:
            if logs and logs.get("num_tokens"):
                self.tokens = float(logs["num_tokens"])

        def on_train_end(self, *a: Any, **kw: Any) -> None:
            self.seconds = time.process_time() - self.start

        @property
        def rate(self) -> float:
            return self.tokens / self.seconds if self.seconds else 0.0

    return CpuClock()


def _plain_trl(model_dir: Path, examples: list[dict[str, Any]], targets: list[str], args: argparse.Namespace,
               out: Path) -> tuple[float, float]:
    """The script a user would write with TRL alone; returns tokens/s (wall) and tokens per CPU second."""
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import SFTConfig, SFTTrainer

    from datasets import Dataset

    set_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    config = SFTConfig(output_dir=str(out), max_steps=args.steps, per_device_train_batch_size=args.batch,
                       learning_rate=2e-4, logging_steps=10, save_strategy="no", report_to="none", use_cpu=True,
                       seed=0, data_seed=0, max_length=args.max_length, disable_tqdm=True,
                       activation_checkpointing=False, dataloader_pin_memory=False, assistant_only_loss=True,
                       completion_only_loss=False)
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=targets, task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(examples),
                         processing_class=tokenizer, peft_config=lora, callbacks=[clock := _cpu_clock()])
    result = trainer.train()
    return clock.tokens / result.metrics["train_runtime"], clock.rate


def _genloop(svc: Any, args: argparse.Namespace, name: str) -> tuple[float, float, float, Any]:
    started = time.perf_counter()
    clock = _cpu_clock()
    result = svc.run({"base": "tiny", "train": "qa", "method": "lora", "max_steps": args.steps,
                      "batch_size": args.batch, "max_length": args.max_length, "logging_steps": 10, "output": name},
                     callbacks=[clock])
    wall = time.perf_counter() - started
    return result.metrics["tokens_per_second"], clock.rate, wall, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--size", default="small", help="tiny model size: test, small or demo")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (both sides)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from genloop.settings import Settings
    from genloop.store import Store
    from genloop.tuning import TuneSpec, TuningService, build_tiny_model, register_tiny_model, synthetic_tasks
    from genloop.tuning._data import prepare_examples

    with tempfile.TemporaryDirectory(prefix="bench-tuning-") as tmp:
        root = Path(tmp)
        model_dir = build_tiny_model(root / "tiny", size=args.size, steps=20)
        svc = TuningService(Store(Settings(home=root / "home", actor="bench")))
        register_tiny_model(svc.models, "tiny", path=model_dir)
        rows = synthetic_tasks(args.rows, kind="chat")
        svc.datasets.create("qa", rows, kind="chat")
        from transformers import AutoTokenizer

        spec = TuneSpec(base="tiny", train="qa", max_length=args.max_length)
        examples, _, _ = prepare_examples(rows, "chat", spec, AutoTokenizer.from_pretrained(str(model_dir)))
        *_, warm = _genloop(svc, args, "warmup")  # first run pays imports and kernel warm-up
        targets = warm.run.params["target_modules"]
        ours, theirs, ours_cpu, theirs_cpu, walls = [], [], [], [], []
        for i in range(args.rounds):
            order = ("genloop", "trl") if i % 2 == 0 else ("trl", "genloop")
            for side in order:
                if side == "genloop":
                    tps, cpu, wall, _ = _genloop(svc, args, f"bench{i}")
                    ours.append(tps)
                    ours_cpu.append(cpu)
                    walls.append(wall)
                else:
                    tps, cpu = _plain_trl(model_dir, examples, targets, args, root / f"trl{i}")
                    theirs.append(tps)
                    theirs_cpu.append(cpu)
            print(f"round {i + 1}: genloop {ours[-1]:7.1f} tok/s ({ours_cpu[-1]:7.1f} per CPU s)   "
                  f"plain TRL {theirs[-1]:7.1f} tok/s ({theirs_cpu[-1]:7.1f} per CPU s)")
    g, t = statistics.median(ours), statistics.median(theirs)
    gc, tc = statistics.median(ours_cpu), statistics.median(theirs_cpu)
    print(f"\nLoRA SFT, {args.size} tiny model, {args.steps} steps x batch {args.batch}, max_length {args.max_length}, "
          f"{args.threads} thread(s), median of {args.rounds}")
    print(f"  plain TRL  {t:8.1f} tokens/s   {tc:8.1f} tokens per CPU second")
    print(f"  GenLoop    {g:8.1f} tokens/s   {gc:8.1f} tokens per CPU second   "
          f"({(g / t - 1) * 100:+.1f}% wall, {(gc / tc - 1) * 100:+.1f}% CPU vs TRL; goal within -5%)")
    print(f"  GenLoop end to end (validate, train, save, register): median {statistics.median(walls):.2f} s per run")


if __name__ == "__main__":
    main()
