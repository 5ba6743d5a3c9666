"""A tiny base model built here, from nothing: no download, seconds (``test``) to minutes (``demo``) on a CPU.

A byte-level BPE tokenizer (digits one by one) is trained on a synthetic corpus (arithmetic, capitals of
made-up countries, colours), a small Llama is pre-trained on the same corpus plus some of it as chat turns,
and both are saved with ``save_pretrained``.
The tokenizer has ``<pad>``, ``<s>``, ``</s>`` and a chat template (with ``{% generation %}`` marks, so
assistant-only loss works). :func:`synthetic_tasks` makes matching chat, eval and preference rows.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from genloop.errors import InvalidInput
from genloop.tuning._deps import require_train

__all__ = ["CHAT_TEMPLATE", "TINY_SIZES", "TinySize", "build_tiny_model", "register_tiny_model", "synthetic_corpus",
           "synthetic_tasks"]

# Only an assistant turn ends with the end-of-sequence token (where generation stops). Pre-training packs lines
# with it between them, so the base learned that nothing before it bears on what follows: a prompt whose turns
# ended with it would hide the question from the answer.
# Newlines are written as expressions: transformers renders templates with trim_blocks, which drops a newline
# that follows a block tag.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ '\\n' }}"
    "{% if m['role'] == 'assistant' %}{% generation %}{{ m['content'] }}{{ eos_token }}{% endgeneration %}"
    "{% else %}{{ m['content'] }}{% endif %}{{ '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{{ '\\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>"]
COUNTRIES = [("Norland", "Vell"), ("Ostria", "Kamber"), ("Talvia", "Remo"), ("Quessa", "Dunmark"),
             ("Ilmar", "Sorrow"), ("Brava", "Pellin"), ("Caldor", "Ythe"), ("Marrow", "Fen")]
COLOURS = [("sky", "blue"), ("grass", "green"), ("snow", "white"), ("coal", "black"), ("sun", "yellow"),
           ("blood", "red")]


@dataclass(frozen=True)
class TinySize:
    """Shape and pre-training budget of a tiny model."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    context: int
    steps: int
    batch: int = 16
    block: int = 64
    lr: float = 3e-3


TINY_SIZES: dict[str, TinySize] = {
    "test": TinySize(hidden=64, layers=2, heads=4, intermediate=128, vocab=320, context=128, steps=150),
    "small": TinySize(hidden=128, layers=3, heads=4, intermediate=256, vocab=512, context=256, steps=300),
    "demo": TinySize(hidden=192, layers=4, heads=6, intermediate=512, vocab=768, context=256, steps=800, block=96),
}


def _fact(rng: random.Random) -> tuple[str, str]:
    """One (question, answer) pair of the synthetic world."""
    pick = rng.random()
    if pick < 0.5:
        a, b = rng.randint(0, 9), rng.randint(0, 9)
        return f"What is {a} plus {b}?", f"{a} plus {b} is {a + b}."
    if pick < 0.8:
        country, capital = rng.choice(COUNTRIES)
        return f"What is the capital of {country}?", f"The capital of {country} is {capital}."
    thing, colour = rng.choice(COLOURS)
    return f"What colour is the {thing}?", f"The {thing} is {colour}."


def synthetic_corpus(lines: int = 2000, seed: int = 0) -> list[str]:
    """Plain-text pre-training lines: facts, and the questions about them."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        question, answer = _fact(rng)
        out.append(answer if rng.random() < 0.7 else f"{question} {answer}")
    return out


def synthetic_tasks(n: int = 64, seed: int = 1, *, kind: str = "chat") -> list[dict[str, Any]]:
    """Rows of dataset kind ``chat``, ``completion``, ``eval`` (input/reference) or ``preference``."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        question, answer = _fact(rng)
        if kind == "chat":
            rows.append({"messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]})
        elif kind == "completion":
            rows.append({"prompt": question, "completion": answer})
        elif kind == "eval":
            rows.append({"id": f"q{i}", "input": question, "reference": answer})
        elif kind == "preference":
            wrong = answer.rsplit(" ", 1)[0] + " " + rng.choice(["nine.", "Vell.", "red.", "12."])
            rejected = wrong if wrong != answer else "I do not know."
            rows.append({"prompt": question, "chosen": answer, "rejected": rejected})
        else:
            raise InvalidInput(f"unknown synthetic kind {kind!r}", hint="use chat, completion, eval or preference")
    return rows


def _tokenizer(texts: list[str], vocab: int) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # digits one by one (as Llama's tokenizer does): "2010" and " 2010" share their digit tokens, so a model
    # this small can learn to copy numbers instead of memorising a token per number and spacing
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   model_max_length=10**6)
    fast.chat_template = CHAT_TEMPLATE
    return fast


#: Pre-training this long measures whether all cores or one thread step faster (below it: one thread, as a model
#: this small steps fastest on one thread when the machine is busy, and a short run is not worth the probe).
PROBE_FROM_STEPS = 200


class _ThreadProbe:
    """Times steps 2-5 on ``most`` threads and 6-9 on one, then keeps the faster for the rest of the run.

    Measured on the demo size (hidden 192, 4 layers, batch 16 x 96 tokens): two quiet cores step in 0.21 s on
    two threads and 0.34 s on one; with the other core busy, two threads spin against it and one is faster.
    The load average cannot tell (the pip install before the demo leaves it high), so the steps decide.
    """

    def __init__(self, most: int) -> None:
        self.most, self.times = most, {most: 0.0, 1: 0.0}
        self.started = 0.0

    def before(self, step: int) -> None:
        import time

        import torch

        if self.most <= 1 or step > 10:
            if step == 0:
                torch.set_num_threads(1)
            return
        now = time.perf_counter()
        if step in (3, 4, 5, 6):
            self.times[self.most] += now - self.started
        elif step in (7, 8, 9, 10):
            self.times[1] += now - self.started
        if step == 0 or step == 2:
            torch.set_num_threads(self.most)
        elif step == 6:
            torch.set_num_threads(1)
        elif step == 10:
            torch.set_num_threads(self.most if self.times[self.most] < self.times[1] else 1)
        self.started = now


def _pretrain(model: Any, ids: list[int], size: TinySize, seed: int, progress: Any = None) -> float:
    """A plain next-token loop over packed blocks; returns the last loss. ``progress(step, steps, loss)`` is
    called after every step."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    data = torch.tensor(ids, dtype=torch.long)
    blocks = data[: len(data) // size.block * size.block].view(-1, size.block)
    optimizer = torch.optim.AdamW(model.parameters(), lr=size.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 - s / max(1, size.steps))
    model.train()
    loss = torch.tensor(float("nan"))
    probe = _ThreadProbe(torch.get_num_threads() if size.steps >= PROBE_FROM_STEPS else 1)
    for step in range(size.steps):
        probe.before(step)
        batch = blocks[torch.randint(0, len(blocks), (size.batch,), generator=gen)]
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        if progress is not None:
            progress(step + 1, size.steps, float(loss.detach()))
    model.eval()
    return float(loss.detach())


def build_tiny_model(path: str | Path, *, size: str | TinySize = "test", seed: int = 0,
                     steps: int | None = None, corpus: Sequence[str] = (), progress: Any = None) -> Path:
    """Build, pre-train and save a tiny Llama and its tokenizer in ``path``; returns the folder.
    ``progress(step, steps, loss)`` follows pre-training.

    ``corpus`` adds text lines to the synthetic pre-training corpus (the tokenizer is trained on both), so a
    caller can give the base model knowledge of its own domain (the demo: sentences about dates).
    """
    require_train()
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    shape = TINY_SIZES.get(size) if isinstance(size, str) else size
    if shape is None:
        raise InvalidInput(f"unknown tiny size {size!r}", hint=f"use one of: {', '.join(TINY_SIZES)}")
    if steps is not None:
        shape = TinySize(**{**asdict(shape), "steps": steps})
    texts = [*synthetic_corpus(lines=max(1000, shape.steps * 8), seed=seed), *corpus]
    tokenizer = _tokenizer(texts, shape.vocab)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=shape.hidden, intermediate_size=shape.intermediate,
                         num_hidden_layers=shape.layers, num_attention_heads=shape.heads,
                         num_key_value_heads=shape.heads, max_position_embeddings=shape.context,
                         tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    # a tenth of the corpus is questions and answers in the chat format, so the base answers after
    # <|assistant|> (as an instruction-tuned model does) instead of ending at once
    chats = [str(tokenizer.apply_chat_template(row["messages"], tokenize=False)).removesuffix(f"{tokenizer.eos_token}\n")
             for row in synthetic_tasks(len(texts) // 10, seed=seed + 1, kind="chat")]
    texts = [*texts, *chats]
    random.Random(seed + 1).shuffle(texts)
    lines = tokenizer(texts, add_special_tokens=False)["input_ids"]
    ids = [t for line in lines for t in [*line, tokenizer.eos_token_id]]
    threads = torch.get_num_threads()
    try:
        loss = _pretrain(model, ids, shape, seed, progress)
    finally:
        torch.set_num_threads(threads)
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    recipe = {"size": asdict(shape), "seed": seed, "final_loss": round(loss, 4),
              "parameters": sum(p.numel() for p in model.parameters())}
    (out / "genloop_tiny.json").write_text(json.dumps(recipe, indent=2))
    return out


def register_tiny_model(models: Any, name: str = "tiny", *, path: str | Path | None = None,
                        size: str | TinySize = "test", seed: int = 0, steps: int | None = None,
                        corpus: Sequence[str] = (), source_run_id: str | None = None, progress: Any = None) -> Any:
    """Register a tiny model as a ``checkpoint`` version (copied into the artifact store); builds it unless ``path``
    (``progress(step, steps, loss)`` follows its pre-training).

    ``source_run_id`` names the run that built it, so the version's lineage shows how it was made.
    """
    with tempfile.TemporaryDirectory(prefix="genloop-tiny-") as tmp:
        folder = Path(path) if path is not None else build_tiny_model(Path(tmp) / "model", size=size, seed=seed,
                                                                      steps=steps, corpus=corpus, progress=progress)
        recipe_file = folder / "genloop_tiny.json"
        recipe = json.loads(recipe_file.read_text()) if recipe_file.exists() else {}
        return models.register(name, kind="checkpoint", uri=str(folder), copy=True,
                               config={"architecture": "llama", "context": recipe.get("size", {}).get("context")},
                               metadata={"recipe": recipe}, description="tiny base model built locally by GenLoop",
                               source_run_id=source_run_id)
