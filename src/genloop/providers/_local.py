"""The ``local`` provider: Hugging Face causal LMs run in this process, addressed as ``local:<folder>``.

    provider, model = resolve_model("local:/models/tiny")
    result = await provider.chat(ChatRequest(model=model, messages=[{"role": "user", "content": "hi"}]))

Requests for one model that arrive within a few milliseconds of each other are generated as one left-padded
batch (up to ``max_batch``) in a worker thread, so the event loop never blocks. Prompts use the tokenizer's
chat template when it has one, else ``System:/User:/Assistant:`` prefixes. ``temperature`` 0 or unset
decodes greedily. Registry versions of kind checkpoint, adapter, merged and quantized resolve to this
provider (see :func:`~genloop.providers._local_load.local_model_name`).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from genloop.errors import GenLoopError, InvalidInput, ProviderError
from genloop.providers._base import Provider
from genloop.providers._local_load import LoadedModel, ModelCache, load_model
from genloop.providers._mock import content_text, split_pieces
from genloop.providers._pricing import PriceTable
from genloop.providers._schemas import ChatChunk, ChatRequest, ChatResult, CompletionRequest, Usage

__all__ = ["MODELS", "LocalProvider", "plain_transcript", "render_prompt"]

#: Loaded models, shared by every LocalProvider of the process (LRU by model name).
MODELS = ModelCache(size=2)
DEFAULT_MAX_TOKENS = 256


def plain_transcript(messages: list[dict[str, Any]]) -> str:
    """The prompt of a model without a chat template: ``User: ...`` lines, then ``Assistant:`` (tuning matches it)."""
    lines = [f"{str(m.get('role', 'user')).capitalize()}: {content_text(m.get('content'))}" for m in messages]
    return "\n".join([*lines, "Assistant:"])


def render_prompt(loaded: LoadedModel, messages: list[dict[str, Any]]) -> str:
    """The prompt text for ``messages``: the chat template, else :func:`plain_transcript`."""
    if not loaded.has_chat_template:
        return plain_transcript(messages)
    plain = [{"role": str(m.get("role", "user")), "content": content_text(m.get("content"))} for m in messages]
    try:
        return str(loaded.tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=True))
    except Exception as exc:
        raise InvalidInput(f"the chat template of {loaded.name} rejected the messages: {exc}") from exc


@dataclass
class _Job:
    """One queued generation and where its answer goes."""

    messages: list[dict[str, Any]] | None
    prompt: str | None
    max_tokens: int
    temperature: float
    top_p: float | None
    stop: tuple[str, ...]
    seed: int | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[tuple[str, str, Usage]]
    started: float = field(default_factory=time.perf_counter)

    @property
    def group(self) -> tuple[Any, ...]:
        """Jobs with the same group share one ``generate`` call."""
        return (self.messages is None, self.temperature, self.top_p, self.stop, self.seed)

    def answer(self, value: Any, error: BaseException | None = None) -> None:
        def settle() -> None:
            if self.future.done():  # the caller gave up (cancelled)
                return
            if error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(value)

        try:
            self.loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the caller's loop closed: nobody is waiting
            pass


class _Batcher:
    """A worker thread for one model: collects jobs for ``window_s`` (or ``max_batch``) and generates them."""

    def __init__(self, name: str, *, max_batch: int, window_s: float, device: str | None, cache_dir: Any) -> None:
        self.name, self.max_batch, self.window_s = name, max_batch, window_s
        self.device, self.cache_dir = device, cache_dir
        self.batches: list[int] = []  # sizes of the batches generated, for tests and benchmarks
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name=f"genloop-local-{name[-40:]}", daemon=True)
        self._thread.start()

    def submit(self, job: _Job) -> None:
        self._queue.put(job)

    def stop(self) -> None:
        self._queue.put(None)

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, deadline = [first], time.monotonic() + self.window_s
            while len(jobs) < self.max_batch:
                try:
                    nxt = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                jobs.append(nxt)
            groups: dict[tuple[Any, ...], list[_Job]] = {}
            for job in jobs:
                groups.setdefault(job.group, []).append(job)
            for group in groups.values():
                self._run(group)

    def _run(self, jobs: list[_Job]) -> None:
        try:
            loaded = MODELS.get(self.name, lambda n: load_model(n, device=self.device, cache_dir=self.cache_dir))
            with loaded.lock:
                results = _generate(loaded, jobs)
            self.batches.append(len(jobs))
        except GenLoopError as exc:
            for job in jobs:
                job.answer(None, exc)
            return
        except Exception as exc:  # noqa: BLE001 - handed to every waiting caller as a provider error
            error = ProviderError(f"local model {self.name} failed: {type(exc).__name__}: {exc}", provider="local")
            for job in jobs:
                job.answer(None, error)
            return
        for job, result in zip(jobs, results, strict=True):
            job.answer(result, result if isinstance(result, BaseException) else None)


def _generate(loaded: LoadedModel, jobs: list[_Job]) -> list[Any]:
    """Generate every job of one group in one left-padded batch; a prompt too long gets its own error."""
    import torch
    from transformers import GenerationConfig

    tok = loaded.tokenizer
    raw = jobs[0].messages is None
    texts = [job.prompt if raw else render_prompt(loaded, job.messages or []) for job in jobs]
    encoded = [tok(t, add_special_tokens=raw)["input_ids"] for t in texts]
    results: list[Any] = [None] * len(jobs)
    keep = []
    for i, ids in enumerate(encoded):
        if len(ids) >= loaded.context:
            results[i] = InvalidInput(f"the prompt has {len(ids)} tokens; {loaded.name} reads at most "
                                      f"{loaded.context}", hint="shorten the prompt")
        else:
            keep.append(i)
    if not keep:
        return results
    batch = tok.pad({"input_ids": [encoded[i] for i in keep]}, padding=True, return_tensors="pt")
    width = batch["input_ids"].shape[1]
    wanted = max(jobs[i].max_tokens for i in keep)
    job = jobs[keep[0]]
    sample = job.temperature > 0
    config = GenerationConfig(max_new_tokens=max(1, min(wanted, loaded.context - width)),
                              pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, do_sample=sample,
                              temperature=job.temperature if sample else None, top_p=job.top_p if sample else None,
                              stop_strings=list(job.stop) or None)
    if job.seed is not None:
        torch.manual_seed(job.seed)
    with torch.inference_mode():
        out = loaded.model.generate(input_ids=batch["input_ids"].to(loaded.device),
                                    attention_mask=batch["attention_mask"].to(loaded.device),
                                    generation_config=config, tokenizer=tok if job.stop else None)
    for row, i in enumerate(keep):
        results[i] = _decode(tok, out[row, width:].tolist(), jobs[i], len(encoded[i]))
    return results


def _decode(tok: Any, ids: list[int], job: _Job, prompt_tokens: int) -> tuple[str, str, Usage]:
    finish = "length"
    if tok.eos_token_id in ids:
        ids, finish = ids[: ids.index(tok.eos_token_id)], "stop"
    ids = [t for t in ids if t != tok.pad_token_id]
    if len(ids) > job.max_tokens:
        ids, finish = ids[: job.max_tokens], "length"
    text = tok.decode(ids, skip_special_tokens=True)
    for stop in job.stop:
        if stop in text:
            text, finish = text[: text.index(stop)], "stop"
            ids = tok(text, add_special_tokens=False)["input_ids"]
    return text, finish, Usage(input_tokens=prompt_tokens, output_tokens=len(ids))


class LocalProvider(Provider):
    """Runs local Hugging Face models; the request's ``model`` is the model folder (see the module docstring)."""

    operations = frozenset({"chat", "chat_stream", "complete"})

    def __init__(self, *, name: str = "local", max_batch: int = 8, batch_window_ms: float = 5.0,
                 max_models: int | None = None, device: str | None = None, cache_dir: Any = None,
                 prices: PriceTable | None = None) -> None:
        super().__init__(name=name, prices=prices)
        if max_batch < 1 or batch_window_ms < 0:
            raise InvalidInput("max_batch must be >= 1 and batch_window_ms >= 0")
        self.max_batch, self.window_s = max_batch, batch_window_ms / 1000
        self.device, self.cache_dir = device, cache_dir
        if max_models is not None:
            MODELS.size = max(1, max_models)
        self._batchers: dict[str, _Batcher] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, *, retry: Any = None, max_concurrency: int | None = None,
                      **config: Any) -> LocalProvider:
        """Build from Settings (remote model files cache under ``$GENLOOP_HOME/cache``). ``retry`` and
        ``max_concurrency`` (what callers pass HTTP providers) do not apply: the batcher bounds the work."""
        config.setdefault("cache_dir", settings.resolved_home / "cache")
        config.setdefault("prices", PriceTable.from_settings(settings))
        return cls(**config)

    def batcher(self, model: str) -> _Batcher:
        """The worker that serves ``model`` (started on first use)."""
        with self._lock:
            found = self._batchers.get(model)
            if found is None:
                found = self._batchers[model] = _Batcher(model, max_batch=self.max_batch, window_s=self.window_s,
                                                         device=self.device, cache_dir=self.cache_dir)
            return found

    async def _submit(self, request: ChatRequest | CompletionRequest, messages: list[dict[str, Any]] | None,
                      prompt: str | None) -> ChatResult:
        if request.extra:
            raise InvalidInput(f"the local provider takes no extra fields ({', '.join(request.extra)})")
        loop = asyncio.get_running_loop()
        job = _Job(messages=messages, prompt=prompt, max_tokens=request.max_tokens or DEFAULT_MAX_TOKENS,
                   temperature=float(request.temperature or 0.0), top_p=request.top_p,
                   stop=tuple(request.stop_list() or ()), seed=request.seed, loop=loop, future=loop.create_future())
        self.batcher(request.model).submit(job)
        text, finish, usage = await job.future
        return ChatResult(text=text, finish_reason=finish, usage=usage, latency_s=time.perf_counter() - job.started,
                          model=request.model, provider=self.name, cost=self.cost(request.model, usage))

    async def chat(self, request: ChatRequest) -> ChatResult:
        if request.tools or request.response_format:
            raise InvalidInput("the local provider has no tools or response_format",
                               hint="describe the format in the prompt instead")
        return await self._submit(request, list(request.messages), None)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Generates the whole reply (batched with others), then streams it in word pieces."""
        result = await self.chat(request)
        for piece in split_pieces(result.text):
            yield ChatChunk(delta=piece, model=request.model, provider=self.name)
        yield ChatChunk(finish_reason=result.finish_reason, usage=result.usage, latency_s=result.latency_s,
                        cost=result.cost, model=request.model, provider=self.name)

    async def complete(self, request: CompletionRequest) -> ChatResult:
        return await self._submit(request, None, request.prompt)

    async def aclose(self) -> None:
        with self._lock:
            batchers, self._batchers = list(self._batchers.values()), {}
        for batcher in batchers:
            batcher.stop()
