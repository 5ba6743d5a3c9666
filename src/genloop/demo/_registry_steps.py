"""Demo steps that seed the system of record: datasets, prompts, models and a run with lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genloop.demo._task import INSTRUCTION, make_examples, to_chat, to_eval

__all__ = ["Seeded", "seed_registry"]


@dataclass
class Seeded:
    """What the registry steps created, for the later steps and the summary."""

    source: str = ""
    train: str = ""
    golden: str = ""
    sft: str = ""
    prompt: str = ""
    run_id: str = ""
    dates: frozenset[str] = frozenset()  # every ISO date of the task, kept out of the base model's corpus


def seed_registry(client: Any, say: Any, *, n_examples: int = 600, golden_rows: int = 200, seed: int = 7) -> Seeded:
    """Create the demo's datasets, prompt versions and labels, provider models, and a data run."""
    out = Seeded()
    rows = make_examples(n_examples, seed=seed)
    out.dates = frozenset(r["iso"] for r in rows)

    with client.runs.run(kind="data", name="generate dates task", params={"examples": n_examples, "seed": seed}) as run:
        source = client.datasets.create("dates", data=[to_eval(r) for r in rows], kind="eval",
                                        message=f"{n_examples} synthetic dates (seed {seed})")
        run.add_output(f"dataset:{source.ref}")
        parts = client.datasets.split(source.ref, test_size=golden_rows, seed=seed, stratify="style",
                                      train_name="dates-train", test_name="dates-golden")
        run.add_output(f"dataset:{parts.train.ref}")
        run.add_output(f"dataset:{parts.test.ref}")
        client.datasets.tag(parts.test.ref, "golden")
        train_rows = client.datasets.head(parts.train.ref, n=parts.train.num_rows)
        sft = client.datasets.create(
            "dates-sft", data=[to_chat({"text": r["input"], "iso": r["reference"]}) for r in train_rows], kind="chat",
            message="chat-format SFT set from dates-train", tags=["sft"],
        )
        run.add_output(f"dataset:{sft.ref}")
        run.log_metrics({"train_rows": parts.train.num_rows, "golden_rows": parts.test.num_rows})
        out.run_id = run.id
    out.source, out.train, out.golden, out.sft = source.ref, parts.train.ref, parts.test.ref, sft.ref
    say(f"datasets: {source.ref} ({source.num_rows} rows) split into {parts.train.ref} "
        f"({parts.train.num_rows}) and golden {parts.test.ref} ({parts.test.num_rows}); SFT set {sft.ref}")

    client.prompts.create(
        "normalize-date", messages=[{"role": "system", "content": INSTRUCTION}, {"role": "user", "content": "{{ input }}"}],
        params={"temperature": 0, "max_tokens": 16}, message="first draft",
    )
    v2 = client.prompts.create(
        "normalize-date",
        messages=[{"role": "system", "content": INSTRUCTION + " Answer with the date only."},
                  {"role": "user", "content": "{{ input }}"}],
        params={"temperature": 0, "max_tokens": 16}, message="answer with the date only",
    )
    client.prompts.label(f"normalize-date@{v2.version}", "production")
    client.prompts.label("normalize-date@1", "staging")
    out.prompt = "normalize-date@production"
    say(f"prompts: normalize-date v1 (staging) and v{v2.version} (production)")

    client.models.register("gpt-4o-mini", kind="provider", uri="openai:gpt-4o-mini",
                           base_url="https://api.openai.com/v1", description="a hosted model, for reference")
    client.models.register("echo", kind="provider", uri="mock:echo", description="deterministic mock provider")
    say("models: gpt-4o-mini (provider) and echo (mock provider)")
    return out
