"""What an optimization is judged by: size on disk, perplexity on a dataset, and generation latency."""

from __future__ import annotations

import math
import statistics
import time
from pathlib import Path
from typing import Any

from genloop.providers._local import plain_transcript
from genloop.providers._mock import content_text

__all__ = ["folder_size", "latency", "perplexity", "sample_texts"]


def folder_size(path: str | Path) -> int:
    """Bytes of every file under ``path`` (or of the file itself)."""
    root = Path(path)
    if root.is_file():
        return root.stat().st_size
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def _chat_text(tok: Any, messages: list[dict[str, Any]]) -> str:
    plain = [{"role": m.get("role", "user"), "content": content_text(m.get("content"))} for m in messages]
    if getattr(tok, "chat_template", None):
        return str(tok.apply_chat_template(plain, tokenize=False))
    return plain_transcript(plain[:-1]) + " " + plain[-1]["content"]


def sample_texts(rows: list[dict[str, Any]], tok: Any, limit: int = 32) -> tuple[list[str], list[list[dict[str, Any]]]]:
    """Full texts to score (perplexity) and prompts to time (latency) from rows of any dataset kind."""
    texts: list[str] = []
    prompts: list[list[dict[str, Any]]] = []
    for row in rows[:limit]:
        if isinstance(row.get("messages"), list) and row["messages"]:
            messages = list(row["messages"])
        elif row.get("prompt") is not None and row.get("completion") is not None:
            messages = [{"role": "user", "content": str(row["prompt"])},
                        {"role": "assistant", "content": str(row["completion"])}]
        elif row.get("prompt") is not None and row.get("chosen") is not None:
            messages = [{"role": "user", "content": content_text(row["prompt"])},
                        {"role": "assistant", "content": content_text(row["chosen"])}]
        else:
            question = row.get("input", row.get("question", row.get("prompt")))
            if question is None:
                continue
            answer = row.get("reference")
            messages = [{"role": "user", "content": content_text(question) if not isinstance(question, str)
                         else question}]
            if answer is not None:
                messages.append({"role": "assistant", "content": str(answer)})
        if messages[-1].get("role") == "assistant":
            texts.append(_chat_text(tok, messages))
            prompts.append(messages[:-1] or messages)
        else:
            prompts.append(messages)
    return texts, prompts


def perplexity(model: Any, tok: Any, texts: list[str], *, max_length: int = 256, batch: int = 8) -> float | None:
    """exp(mean next-token loss) of ``model`` over ``texts`` (token-weighted); None without texts."""
    import torch

    if not texts:
        return None
    total, count = 0.0, 0
    side = tok.padding_side
    tok.padding_side = "right"
    try:
        for i in range(0, len(texts), batch):
            enc = tok(texts[i:i + batch], return_tensors="pt", padding=True, truncation=True, max_length=max_length)
            labels = enc["input_ids"].clone()
            labels[enc["attention_mask"] == 0] = -100
            with torch.inference_mode():
                logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
            shift = labels[:, 1:]
            loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(),
                                                     shift.reshape(-1), ignore_index=-100, reduction="sum")
            total += float(loss)
            count += int((shift != -100).sum())
    finally:
        tok.padding_side = side
    return math.exp(total / count) if count else None


def latency(model: Any, tok: Any, prompts: list[str], *, max_new_tokens: int = 16, repeats: int = 1) -> float | None:
    """Median seconds to generate ``max_new_tokens`` greedily for one prompt at a time."""
    import torch
    from transformers import GenerationConfig

    if not prompts:
        return None
    config = GenerationConfig(max_new_tokens=max_new_tokens, min_new_tokens=max_new_tokens, do_sample=False,
                              pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
    times = []
    for _ in range(repeats):
        for prompt in prompts:
            enc = tok(prompt, return_tensors="pt", add_special_tokens=False)
            start = time.perf_counter()
            with torch.inference_mode():
                model.generate(**enc, generation_config=config)
            times.append(time.perf_counter() - start)
    return statistics.median(times)
