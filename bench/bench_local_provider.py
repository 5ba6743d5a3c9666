"""Local provider generation throughput: requests batched together vs one at a time, on a tiny local model.

    python bench/bench_local_provider.py [--requests 32] [--max-tokens 32] [--batch 8] [--size small]

"One at a time" awaits each request before sending the next (max_batch 1); "batched" sends them all at once
and lets the micro-batcher group up to ``--batch`` per ``generate`` call. Greedy decoding; output tokens/s is
the tokens actually generated (a reply may stop early at end-of-sequence) over the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


async def _one_at_a_time(model: str, prompts: list[list[dict[str, Any]]], max_tokens: int) -> tuple[int, float]:
    from genloop.providers import ChatRequest
    from genloop.providers._local import LocalProvider

    async with LocalProvider(max_batch=1, batch_window_ms=0) as provider:
        started, tokens = time.perf_counter(), 0
        for messages in prompts:
            result = await provider.chat(ChatRequest(model=model, messages=messages, max_tokens=max_tokens))
            tokens += result.usage.output_tokens
        return tokens, time.perf_counter() - started


async def _batched(model: str, prompts: list[list[dict[str, Any]]], max_tokens: int, batch: int
                   ) -> tuple[int, float, list[int]]:
    from genloop.providers import ChatRequest
    from genloop.providers._local import LocalProvider

    async with LocalProvider(max_batch=batch, batch_window_ms=5) as provider:
        started = time.perf_counter()
        results = await asyncio.gather(*(provider.chat(ChatRequest(model=model, messages=m, max_tokens=max_tokens))
                                         for m in prompts))
        elapsed = time.perf_counter() - started
        return sum(r.usage.output_tokens for r in results), elapsed, provider.batcher(model).batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", default="small", help="tiny model size: test, small or demo")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from genloop.tuning import build_tiny_model, synthetic_tasks

    prompts = [r["messages"][:1] for r in synthetic_tasks(args.requests, kind="chat", seed=3)]
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        model = str(build_tiny_model(Path(tmp) / "tiny", size=args.size, steps=100))
        asyncio.run(_one_at_a_time(model, prompts[:2], 4))  # load the model once (cached for the process)
        single, batched, sizes = [], [], []
        for i in range(args.rounds):
            tokens, seconds = asyncio.run(_one_at_a_time(model, prompts, args.max_tokens))
            single.append(tokens / seconds)
            tokens, seconds, sizes = asyncio.run(_batched(model, prompts, args.max_tokens, args.batch))
            batched.append(tokens / seconds)
            print(f"round {i + 1}: one at a time {single[-1]:8.1f} tok/s   batched {batched[-1]:8.1f} tok/s")
    s, b = statistics.median(single), statistics.median(batched)
    print(f"\nlocal provider, {args.size} tiny model, {args.requests} requests x {args.max_tokens} max tokens, "
          f"greedy, {args.threads} thread(s), median of {args.rounds}")
    print(f"  one at a time  {s:8.1f} output tokens/s")
    print(f"  batched        {b:8.1f} output tokens/s   ({b / s:.1f}x; batch sizes {sorted(set(sizes))})")


if __name__ == "__main__":
    main()
