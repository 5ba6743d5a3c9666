"""What guardrails cost per request: the default policy on realistic chat messages.

    python bench/bench_guardrails.py [--messages 10000] [--seed 0] [--policy policy.yaml] [--stream-delta 8]

Messages come from ``genloop.guardrails.sample_chat_messages`` (1-6 sentences of ordinary chat, some with
code, dates, order numbers and UUIDs; about 6% carry PII, a credential or an injection attempt). Each is
checked as a user message on the way in, as the model's answer on the way out, and as a stream of small
deltas. Times are per message in microseconds, after a warm-up, with the garbage collector's existing
objects frozen (as a long-running server would have them): wall-clock percentiles, and the mean CPU time,
which stays meaningful when other processes share the machine (the load average is printed too).
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


def _time(messages: list[str], fn: Callable[[str], object]) -> tuple[list[float], float]:
    """Wall-clock microseconds per message, and CPU microseconds per message over the whole run (the
    latter is what the work costs when other processes compete for the CPU)."""
    clock = time.perf_counter_ns
    out = []
    cpu_started = time.process_time_ns()
    for message in messages:
        started = clock()
        fn(message)
        out.append((clock() - started) / 1000)
    return out, (time.process_time_ns() - cpu_started) / 1000 / len(messages)


def _row(label: str, measured: tuple[list[float], float]) -> str:
    times, cpu = measured
    return (
        f"{label:<24} p50 {percentile(times, 50):8.1f}  p99 {percentile(times, 99):8.1f}  "
        f"mean {statistics.fmean(times):8.1f}  cpu {cpu:7.1f}  ({1e6 / cpu:,.0f} msg/s per core)"
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
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, {sys.platform}, "
          f"load average {load:.1f}")
    print(f"message length: median {lengths[len(lengths) // 2]} chars, p99 {lengths[int(len(lengths) * 0.99)]}, "
          f"max {lengths[-1]}; blocked on input: {blocked}")
    print("microseconds per message (wall clock p50/p99/mean; cpu = process CPU time / messages):")
    print("  " + _row("check_input (chat)", inputs))
    print("  " + _row("check_output", outputs))
    print("  " + _row(f"stream ({args.stream_delta}-char deltas)", streams))
    print("per rule (us):")
    for label, times in per_check.items():
        print(f"  {label:<22} p50 {percentile(times, 50):8.2f}  p99 {percentile(times, 99):8.2f}")


if __name__ == "__main__":
    main()
