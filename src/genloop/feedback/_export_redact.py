"""PII redaction of exported rows with the gateway's guardrail checks, and exact dedup of rows.

By default the checks are the PII and credential checks the gateway's default policy uses (email,
phone, national ID, payment card, IBAN, IP address, API key). A custom policy may be given instead: its
``redact`` and ``mask`` rules apply, both as ``[REDACTED:<category>]`` (a dataset keeps no mask map to
restore values from); ``block`` and ``flag`` rules change nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from genloop.errors import InvalidInput
from genloop.guardrails import Action, Guard, Policy, apply_findings, load_policy

__all__ = ["PII_CHECKS", "Redactor", "canonical_digest", "pii_policy"]

PII_CHECKS: tuple[str, ...] = ("email", "phone", "national_id", "payment_card", "iban", "ip_address", "api_key")
_REWRITES = (Action.REDACT, Action.MASK)


def pii_policy() -> Policy:
    """The built-in export policy: every check of :data:`PII_CHECKS` redacts, everywhere."""
    return Policy.from_dict({"name": "feedback-export-pii",
                             "rules": [{"check": check, "action": "redact"} for check in PII_CHECKS]})


class Redactor:
    """Redacts the text of every message of a row; counts the redacted spans by category."""

    def __init__(self, policy: Policy | Mapping[str, Any] | str | Path | None = None) -> None:
        self.policy = pii_policy() if policy is None else load_policy(policy)
        guard = Guard(self.policy, stop_on_block=False)
        unique = {id(check): check for check in guard.checks("input") + guard.checks("output")}
        self._checks = [check for check in unique.values() if check.action in _REWRITES]
        if not self._checks:
            raise InvalidInput(f"guardrail policy {self.policy.name!r} has no redact or mask rule; nothing to redact",
                               hint="add e.g. {check: email, action: redact}, or leave the policy out")
        self._guard = guard

    def describe(self) -> dict[str, Any]:
        """The policy's name and digest, for the run's params."""
        return {"name": self.policy.name, "digest": self.policy.digest()}

    def row(self, row: dict[str, Any]) -> tuple[dict[str, Any], Counter[str]]:
        """``row`` with each message's content redacted (rows hold message lists only), and the spans by category."""
        counts: Counter[str] = Counter()
        out = {key: [{**m, "content": self._text(m["content"], counts)} for m in messages]
               for key, messages in row.items()}
        return out, counts

    def _text(self, text: str, counts: Counter[str]) -> str:
        findings = self._guard.scan(text, "input", checks=self._checks)
        if not findings:
            return text
        counts.update(f.category for f in findings)
        return apply_findings(text, sorted(findings, key=lambda f: (f.start, f.end)))


def canonical_digest(row: dict[str, Any]) -> bytes:
    """sha256 of the row's canonical JSON (sorted keys, no spaces): equal rows, equal digests."""
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).digest()
