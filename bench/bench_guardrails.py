"""What guardrails cost per request: the default policy on realistic chat messages.

    python bench/bench_guardrails.py [--messages 10000] [--seed 0] [--policy policy.yaml] [--stream-delta 8]

Messages come from ``genloop.guardrails.sample_chat_messages`` (1-6 sentences of ordinary chat, some with
code, dates, order numbers and UUIDs; about 6% carry PII, a credential or an injection attempt). Each is
checked as a user message on the way in, as the model's answer on the way out, and as a stream of small
deltas. Times are wall-clock per message in microseconds, after a warm-up, with the garbage collector's
existing objects frozen (as a long-running server would have them).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable

from genloop.guardrails import Guard, default_policy, load_policy, sample_chat_messages
from genloop.guardrails._evaluate import percentile


def _time(messages: list[str], fn: Callable[[str], object]) -> list[float]:
    clock = time.perf_counter_ns
    out = []
    for message in messages:
        started = clock()
        fn(message)
        out.append((clock() - started) / 1000)
    return out


def _row(label: str, times: list[float]) -> str:
    return (
        f"{label:<22} p50 {percentile(times, 50):8.1f}  p99 {percentile(times, 99):8.1f}  "
        f"mean {statistics.fmean(times):8.1f}  ({1e6 / statistics.fmean(times):,.0f} msg/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--policy", help="a policy YAML file (default: genloop's default policy)")
    parser.add_argument("--stream-delta", type=int, default=8, help="characters per streamed delta")
    args = parser.parse_args()

    guard = Guard(load_policy(args.policy) if args.policy else default_policy())
    messages = sample_chat_messages(args.messages, seed=args.seed)
    lengths = sorted(len(m) for m in messages)
    for message in messages[:500]:  # warm-up: regex caches, the plugin manager, branch predictors
        guard.check_input(message)
        guard.check_output(message)
    gc.collect()
    gc.freeze()

    per_check: dict[str, list[float]] = defaultdict(list)

    def check_input(message: str) -> None:
        result = guard.check_input([{"role": "user", "content": message}])
        for label, spent in result.timings_us.items():
            per_check[f"in:{label}"].append(spent)

    def check_output(message: str) -> None:
        result = guard.check_output(message)
        for label, spent in result.timings_us.items():
            per_check[f"out:{label}"].append(spent)

    def stream(message: str) -> None:
        s = guard.stream()
        step = args.stream_delta
        for i in range(0, len(message), step):
            s.feed(message[i : i + step])
        s.finish()

    inputs = _time(messages, check_input)
    outputs = _time(messages, check_output)
    streams = _time(messages, stream)
    blocked = sum(guard.check_input(m).blocked for m in messages)

    print(f"guardrails benchmark: policy {guard.policy.name!r} ({len(guard.policy.rules)} rules), "
          f"{len(messages):,} messages")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, {sys.platform}")
    print(f"message length: median {lengths[len(lengths) // 2]} chars, p99 {lengths[int(len(lengths) * 0.99)]}, "
          f"max {lengths[-1]}; blocked on input: {blocked}")
    print("microseconds per message:")
    print("  " + _row("check_input (chat)", inputs))
    print("  " + _row("check_output", outputs))
    print("  " + _row(f"stream ({args.stream_delta}-char deltas)", streams))
    print("per rule (us):")
    for label, times in per_check.items():
        print(f"  {label:<22} p50 {percentile(times, 50):8.2f}  p99 {percentile(times, 99):8.2f}")


if __name__ == "__main__":
    main()
