"""Cleaning: a declarative list of steps run on each row, in order, in one pass.

Steps (``{"op": NAME, ...params}``):

- ``normalize_unicode`` (``form``: NFKC by default) and ``normalize_whitespace`` (runs of spaces and tabs
  become one space, three or more newlines two, ends trimmed) change text;
- ``strip_html`` removes tags and unescapes entities;
- ``drop_empty`` removes rows with a blank text field or a blank (non-system) message; ``length`` removes rows outside ``min_chars`` /
  ``max_chars`` / ``min_tokens`` / ``max_tokens`` (tokens: regex words);
- ``keep_languages`` (``languages``: ISO codes) keeps rows in those languages (py3langid, ``quality`` extra);
- ``guardrail`` (``checks``: guardrail check names, e.g. ``prompt_injection``, ``email``) removes rows
  where any check finds something;
- ``fix_roles`` (chat) maps role aliases (``human`` -> ``user``, ``gpt``/``bot`` -> ``assistant``), drops
  blank messages, puts system messages first, merges consecutive messages of one role, and removes rows
  without a user and an assistant message.

A row the steps leave invalid for its kind (an empty completion) is removed as ``invalid``. The run
records, per step, how many rows it removed and changed, with examples; removed rows go to the run's
``removed.parquet`` with their index and the step that removed them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from genloop.datasets._kinds import describe_row, kind_spec
from genloop.errors import InvalidInput
from genloop.quality._job import Job
from genloop.quality._schemas import QualityResult
from genloop.quality._text import is_messages

__all__ = ["STEP_OPS", "clean"]

STEP_OPS = ("normalize_unicode", "normalize_whitespace", "strip_html", "drop_empty", "length", "keep_languages",
            "guardrail", "fix_roles")
ROLE_ALIASES = {"human": "user", "gpt": "assistant", "bot": "assistant", "model": "assistant", "ai": "assistant"}
_EXAMPLES = 3
_PREVIEW = 200
_TAG = re.compile(r"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>|<[^>]+>", re.S | re.I)
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_NEWLINES = re.compile(r"\n{3,}")
_WORDS = re.compile(r"\w+|[^\w\s]")

Step = Callable[[dict[str, Any]], dict[str, Any] | None]


class Steps:
    """The compiled steps and their counters."""

    def __init__(self, specs: list[dict[str, Any]], fields: list[str], message_fields: list[str]) -> None:
        if not isinstance(specs, list) or not specs:
            raise InvalidInput("clean needs at least one step",
                               hint=f'e.g. [{{"op": "normalize_whitespace"}}]; ops: {", ".join(STEP_OPS)}')
        self.fields, self.message_fields = fields, message_fields
        self.steps: list[tuple[str, Step]] = [(self._label(i, spec), self._build(i, spec))
                                              for i, spec in enumerate(specs)]
        self.stats: dict[str, dict[str, Any]] = {}
        self.reset()

    def reset(self) -> None:
        self.stats = {label: {"removed": 0, "changed": 0, "examples": []} for label, _ in self.steps}
        self.stats["invalid"] = {"removed": 0, "changed": 0, "examples": []}

    @staticmethod
    def _label(index: int, spec: Any) -> str:
        return f"{index + 1}:{spec.get('op') if isinstance(spec, dict) else spec}"

    def _build(self, index: int, spec: Any) -> Step:
        if not isinstance(spec, dict) or spec.get("op") not in STEP_OPS:
            raise InvalidInput(f"step {index + 1} ({spec!r}) is not a known step",
                               hint=f'each step is {{"op": NAME, ...}} with NAME one of: {", ".join(STEP_OPS)}')
        op = spec["op"]
        params = {k: v for k, v in spec.items() if k != "op"}
        builder = getattr(self, f"_{op}")
        try:
            return builder(**params)  # type: ignore[no-any-return]
        except TypeError as exc:
            raise InvalidInput(f"step {index + 1} ({op}): {exc}", hint="see the clean steps in the README") from exc

    # -- text steps ----------------------------------------------------------------------------

    def _map_text(self, fn: Callable[[str], str]) -> Step:
        def step(row: dict[str, Any]) -> dict[str, Any]:
            out = dict(row)
            for name in self.fields:
                value = row.get(name)
                if isinstance(value, str):
                    out[name] = fn(value)
                elif isinstance(value, list) and name in self.message_fields:
                    out[name] = [{**m, "content": fn(m["content"])} if isinstance(m.get("content"), str) else m
                                 for m in value]
            return out
        return step

    def _normalize_unicode(self, form: str = "NFKC") -> Step:
        if form not in ("NFC", "NFKC", "NFD", "NFKD"):
            raise InvalidInput(f"unknown Unicode form {form!r}", hint="use NFC, NFKC, NFD or NFKD")
        return self._map_text(lambda text: unicodedata.normalize(form, text))

    def _normalize_whitespace(self) -> Step:
        def fix(text: str) -> str:
            lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
            return _NEWLINES.sub("\n\n", "\n".join(lines)).strip()
        return self._map_text(fix)

    def _strip_html(self) -> Step:
        def fix(text: str) -> str:
            if "<" not in text and "&" not in text:
                return text
            return html.unescape(_TAG.sub(" ", text))
        return self._map_text(fix)

    # -- filters -------------------------------------------------------------------------------

    def document(self, row: dict[str, Any]) -> str:
        parts = []
        for name in self.fields:
            value = row.get(name)
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, list):
                parts.extend(m.get("content") or "" for m in value if isinstance(m, dict))
        return "\n".join(parts)

    def _drop_empty(self) -> Step:
        def blank(value: Any) -> bool:
            if isinstance(value, str):
                return not value.strip()
            if isinstance(value, list):
                turns = [m for m in value if isinstance(m, dict) and m.get("role") != "system"]
                return not turns or any(not str(m.get("content") or "").strip() for m in turns)
            return False

        return lambda row: None if any(blank(row.get(name)) for name in self.fields) else row

    def _length(self, min_chars: int | None = None, max_chars: int | None = None, min_tokens: int | None = None,
                max_tokens: int | None = None) -> Step:
        bounds = {"min_chars": min_chars, "max_chars": max_chars, "min_tokens": min_tokens, "max_tokens": max_tokens}
        for key, value in bounds.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise InvalidInput(f"length step: {key} must be a non-negative integer, got {value!r}")
        if all(v is None for v in bounds.values()):
            raise InvalidInput("length step needs min_chars, max_chars, min_tokens or max_tokens")

        def step(row: dict[str, Any]) -> dict[str, Any] | None:
            text = self.document(row)
            chars = len(text)
            if (min_chars is not None and chars < min_chars) or (max_chars is not None and chars > max_chars):
                return None
            if min_tokens is not None or max_tokens is not None:
                tokens = len(_WORDS.findall(text))
                if (min_tokens is not None and tokens < min_tokens) or (max_tokens is not None and tokens > max_tokens):
                    return None
            return row
        return step

    def _keep_languages(self, languages: list[str] | None = None) -> Step:
        from genloop.quality._langid import detect_languages

        if not languages or not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
            raise InvalidInput("keep_languages needs languages, a list of ISO 639-1 codes", hint='e.g. ["en", "fr"]')
        wanted = set(languages)
        detect_languages(["probe"])  # fail now, with the install hint, when the extra is missing
        return lambda row: row if detect_languages([self.document(row)])[0] in wanted else None

    def _guardrail(self, checks: list[str] | None = None) -> Step:
        from genloop.guardrails import Guard, Policy

        if not checks or not isinstance(checks, list):
            raise InvalidInput("guardrail step needs checks, a list of guardrail check names",
                               hint='e.g. ["prompt_injection", "email"]; see genloop.guardrails.available_checks()')
        policy = Policy.from_dict({"name": "clean", "rules": [{"check": c, "action": "flag"} for c in checks]})
        guard = Guard(policy, stop_on_block=False)
        return lambda row: None if guard.scan(self.document(row), "input") else row

    def _fix_roles(self, aliases: dict[str, str] | None = None) -> Step:
        if not self.message_fields:
            raise InvalidInput("fix_roles needs a message-list column", hint="it applies to chat data")
        mapping = {**ROLE_ALIASES, **(aliases or {})}

        def fix(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
            system, rest = [], []
            for message in messages:
                role = str(message.get("role") or "").strip().lower()
                role = mapping.get(role, role)
                content = message.get("content")
                if not isinstance(content, str) or not content.strip():
                    continue
                target = system if role == "system" else rest
                if target and target[-1]["role"] == role:
                    target[-1] = {**target[-1], "content": target[-1]["content"] + "\n\n" + content}
                else:
                    target.append({**message, "role": role, "content": content})
            merged = system[:1] if system else []
            if len(system) > 1:
                merged[0] = {**system[0], "content": "\n\n".join(m["content"] for m in system)}
            return merged + rest

        def step(row: dict[str, Any]) -> dict[str, Any] | None:
            out = dict(row)
            for name in self.message_fields:
                messages = fix(row.get(name) or [])
                roles = {m["role"] for m in messages}
                if "user" not in roles or "assistant" not in roles:
                    return None
                out[name] = messages
            return out
        return step

    # -- running -------------------------------------------------------------------------------

    def apply(self, index: int, row: dict[str, Any], spec: Any) -> tuple[dict[str, Any] | None, str | None]:
        """The cleaned row (None when removed) and the label of the step that removed it."""
        for label, step in self.steps:
            new = step(row)
            stats = self.stats[label]
            if new is None:
                stats["removed"] += 1
                self._example(stats, {"row": index, "text": self.document(row)[:_PREVIEW]})
                return None, label
            if new != row:
                stats["changed"] += 1
                self._example(stats, {"row": index, "before": self.document(row)[:_PREVIEW],
                                      "after": self.document(new)[:_PREVIEW]})
            row = new
        problem = describe_row(row, spec)
        if problem is not None:
            self.stats["invalid"]["removed"] += 1
            self._example(self.stats["invalid"], {"row": index, "problem": problem})
            return None, "invalid"
        return row, None

    @staticmethod
    def _example(stats: dict[str, Any], example: dict[str, Any]) -> None:
        if len(stats["examples"]) < _EXAMPLES:
            stats["examples"].append(example)


def clean(job: Job, ref: str, steps: list[dict[str, Any]], *, name: str | None = None,
          message: str = "") -> QualityResult:
    """Run ``steps`` on every row of ``ref`` and write the result as a new version."""
    version = job.version(ref)
    schema = job.schema(version)
    fields = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
              or is_messages(f.type)]
    compiled = Steps(steps, fields, [f.name for f in schema if is_messages(f.type)])
    spec = kind_spec(version.kind)
    removed: list[pa.RecordBatch] = []
    counts = {"in": 0, "out": 0}

    def cleaned() -> Iterator[pa.RecordBatch]:
        compiled.reset()
        removed.clear()
        counts.update({"in": 0, "out": 0})
        for batch in job.batches(version):
            kept, gone, gone_index, gone_step = [], [], [], []
            for offset, row in enumerate(batch.to_pylist()):
                index = counts["in"] + offset
                new, step = compiled.apply(index, row, spec)
                if new is None:
                    gone.append(row)
                    gone_index.append(index)
                    gone_step.append(step)
                else:
                    kept.append(new)
            counts["in"] += batch.num_rows
            counts["out"] += len(kept)
            if gone:
                part = pa.RecordBatch.from_pylist(gone, schema=batch.schema)
                removed.append(part.append_column("_row", pa.array(gone_index, pa.int64()))
                               .append_column("_step", pa.array(gone_step, pa.string())))
            if kept:
                yield pa.RecordBatch.from_pylist(kept, schema=batch.schema)

    with job.run("clean", version, {"steps": steps}) as run:
        try:
            output, created = job.write(run, version, cleaned, op="clean", name=name, message=message,
                                        transform={"steps": steps})
        except InvalidInput as exc:
            if counts["out"] == 0 and counts["in"]:
                raise InvalidInput(f"the steps removed all {counts['in']} rows of {version.ref}; nothing written",
                                   hint=f"removed per step: {_removed_summary(compiled.stats)}") from exc
            raise
        report = {"rows_in": counts["in"], "rows_out": counts["out"], "steps": compiled.stats}
        if removed:
            report["removed_artifact"] = "removed.parquet"
            job.artifact(run, "removed.parquet", removed)
        run.summary = {"report": report, "output": output.ref}
    return QualityResult(op="clean", run_id=run.id, source=version.ref, dataset=output, created=created,
                         rows_in=counts["in"], rows_out=counts["out"], report=report)


def _removed_summary(stats: dict[str, dict[str, Any]]) -> str:
    return ", ".join(f"{label}: {s['removed']}" for label, s in stats.items() if s["removed"]) or "none"
