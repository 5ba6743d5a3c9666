"""The guard engine: runs a policy's checks on a request's input and on the model's output.

A :class:`Guard` is built once per policy and shared by every request (checks are stateless); each call
returns a :class:`GuardResult` with the transformed text or messages, the findings, whether the request is
blocked and why, the mask map for restoring masked values, and the time each rule took.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloop.guardrails._base import Action, Check, Finding
from genloop.guardrails._masking import MaskMap, apply_findings
from genloop.guardrails._policy import Policy, Stage, load_policy

if TYPE_CHECKING:
    from genloop.guardrails._stream import StreamGuard

__all__ = ["Guard", "GuardResult"]

Messages = Sequence[Mapping[str, Any]]


@dataclass(slots=True)
class GuardResult:
    """What a guard did to one input or output.

    ``text`` is set when a string was checked, ``messages`` when a chat was (unchanged messages are the
    caller's own objects; changed ones are shallow copies). ``block`` is the finding that blocked,
    ``block_reason`` its one-line explanation (what the gateway puts in its error). ``timings_us`` holds
    microseconds per rule label.
    """

    text: str | None
    messages: list[dict[str, Any]] | None
    findings: list[Finding]
    blocked: bool = False
    block_reason: str | None = None
    block: Finding | None = None
    masks: MaskMap = field(default_factory=MaskMap)
    timings_us: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether any finding rewrote the text (masked or redacted)."""
        return any(f.action in (Action.MASK, Action.REDACT) for f in self.findings)

    def unmask(self, text: str) -> str:
        """Restore the originals of this result's placeholders in ``text`` (the model's answer)."""
        return self.masks.unmask(text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for traces: findings, block, timings (never the masked originals)."""
        return {
            "blocked": self.blocked,
            "block_reason": self.block_reason,
            "findings": [f.to_dict() for f in self.findings],
            "timings_us": {k: round(v, 2) for k, v in self.timings_us.items()},
        }


def block_reason(finding: Finding, where: str) -> str:
    """The one-line reason a finding blocked: rule, category, kind and score, and where it was found."""
    detail = finding.category + (f"/{finding.kind}" if finding.kind else "")
    score = f", score {finding.score:.2f}" if finding.score is not None else ""
    return f"blocked by guardrail {finding.check!r} ({detail}{score}) in {where}"


class Guard:
    """Runs a :class:`Policy` on inputs and outputs.

    ``stop_on_block`` (default True) skips the remaining rules once one blocks, which is what the gateway
    wants; evaluation turns it off to count every check.
    """

    def __init__(self, policy: Policy | Mapping[str, Any] | str | Path, *, stop_on_block: bool = True) -> None:
        self.policy = load_policy(policy)
        self.stop_on_block = stop_on_block
        self._rules: dict[Stage, list[Check]] = {
            stage: [rule.build() for rule in self.policy.rules_for(stage)] for stage in ("input", "output")
        }
        self._input_roles = frozenset(self.policy.input_roles)

    def checks(self, stage: Stage) -> list[Check]:
        """The configured checks that run on ``input`` or ``output``, in policy order."""
        return list(self._rules[stage])

    def scan(
        self, text: str, stage: Stage, timings: dict[str, float] | None = None, checks: Sequence[Check] | None = None
    ) -> list[Finding]:
        """Every finding of the ``stage`` rules (or of ``checks``) in ``text``, without applying actions."""
        findings: list[Finding] = []
        clock = time.perf_counter_ns
        for check in self._rules[stage] if checks is None else checks:
            started = clock()
            found = check.scan(text)
            if timings is not None:
                timings[check.label] = timings.get(check.label, 0.0) + (clock() - started) / 1000
            if found:
                findings.extend(found)
                if self.stop_on_block and check.action is Action.BLOCK:
                    break
        return findings

    def check_input(self, data: str | Messages, *, masks: MaskMap | None = None) -> GuardResult:
        """Check a prompt (a string) or chat messages (OpenAI shape) against the input rules.

        Only messages whose role is in the policy's ``input_roles`` are scanned; text parts of
        multi-part content are scanned one by one. Pass the conversation's ``masks`` to keep
        placeholders stable across turns.
        """
        masks = masks if masks is not None else MaskMap()
        timings: dict[str, float] = {}
        if isinstance(data, str):
            text, found = self._process(data, "input", masks, timings)
            return self._result(text, None, found, masks, timings, "the input")
        out: list[dict[str, Any]] = []
        findings: list[Finding] = []
        for i, message in enumerate(data):
            content = message.get("content")
            if message.get("role") not in self._input_roles or content is None or self._stop(findings):
                out.append(message)  # type: ignore[arg-type]
                continue
            if isinstance(content, str):
                new, found = self._process(content, "input", masks, timings)
                findings.extend(dataclasses.replace(f, message=i) for f in found)
                out.append(message if new == content else {**message, "content": new})  # type: ignore[arg-type]
                continue
            parts: list[Any] = []
            for j, part in enumerate(content):
                if isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str):
                    new, found = self._process(part["text"], "input", masks, timings)
                    findings.extend(dataclasses.replace(f, message=i, part=j) for f in found)
                    part = part if new == part["text"] else {**part, "text": new}
                parts.append(part)
            changed = any(a is not b for a, b in zip(parts, content, strict=True))
            out.append({**message, "content": parts} if changed else message)  # type: ignore[arg-type]
        blocking = next((f for f in findings if f.action is Action.BLOCK), None)
        where = f"input message {blocking.message}" if blocking is not None else "the input"
        return self._result(None, out, findings, masks, timings, where)

    def check_output(self, text: str, *, masks: MaskMap | None = None) -> GuardResult:
        """Check the model's answer against the output rules.

        With the ``masks`` of the input result, the returned text has the input's placeholders replaced by
        their originals (after the checks ran, so the user sees their own values again).
        """
        known = masks.placeholders() if masks is not None else frozenset()
        masks = masks if masks is not None else MaskMap()
        timings: dict[str, float] = {}
        new, findings = self._process(text, "output", masks, timings)
        if known:
            new = masks.unmask(new, only=known)
        return self._result(new, None, findings, masks, timings, "the output")

    def stream(self, *, masks: MaskMap | None = None, window: int | None = None) -> StreamGuard:
        """A :class:`StreamGuard` that checks a streamed answer delta by delta."""
        from genloop.guardrails._stream import StreamGuard

        return StreamGuard(self, masks=masks, window=window)

    def _process(self, text: str, stage: Stage, masks: MaskMap, timings: dict[str, float]) -> tuple[str, list[Finding]]:
        findings = self.scan(text, stage, timings)
        if not findings:
            return text, findings
        findings.sort(key=lambda f: (f.start, f.end))
        return apply_findings(text, findings, masks), findings

    def _stop(self, findings: list[Finding]) -> bool:
        return self.stop_on_block and any(f.action is Action.BLOCK for f in findings)

    def _result(
        self,
        text: str | None,
        messages: list[dict[str, Any]] | None,
        findings: list[Finding],
        masks: MaskMap,
        timings: dict[str, float],
        where: str,
    ) -> GuardResult:
        blocking = next((f for f in findings if f.action is Action.BLOCK), None)
        return GuardResult(
            text=text,
            messages=messages,
            findings=findings,
            blocked=blocking is not None,
            block_reason=block_reason(blocking, where) if blocking is not None else None,
            block=blocking,
            masks=masks,
            timings_us=timings,
        )
