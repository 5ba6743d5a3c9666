"""PII scrubbing: every text field of every row through the guardrail checks, redacted or masked.

``redact`` replaces a found value with ``[REDACTED:<kind>]``; ``mask`` with a placeholder numbered per
row and kind (``<<EMAIL_1>>``), so a row still tells two people apart (no map back to the values is
kept). The report counts the values replaced by kind and the rows changed, with examples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from genloop.errors import InvalidInput
from genloop.guardrails import Guard, MaskMap, Policy, apply_findings
from genloop.quality._job import Job
from genloop.quality._schemas import QualityResult
from genloop.quality._text import is_messages, text_fields

__all__ = ["PII_CHECKS", "pii_guard", "scrub"]

PII_CHECKS: tuple[str, ...] = ("email", "phone", "national_id", "payment_card", "iban", "ip_address", "api_key")
MODES = ("redact", "mask")
_EXAMPLES = 5


def pii_guard(checks: list[str] | tuple[str, ...] | None, action: str = "redact") -> Guard:
    """A guard running ``checks`` (default the PII checks) with ``action`` on every text."""
    names = list(checks) if checks else list(PII_CHECKS)
    if not all(isinstance(c, str) and c for c in names):
        raise InvalidInput(f"checks must be guardrail check names, got {checks!r}", hint=f"e.g. {list(PII_CHECKS)}")
    policy = Policy.from_dict({"name": f"quality-{action}", "rules": [{"check": c, "action": action} for c in names]})
    return Guard(policy, stop_on_block=False)


def scrub(job: Job, ref: str, *, mode: str = "redact", checks: list[str] | None = None,
          columns: list[str] | None = None, name: str | None = None, message: str = "") -> QualityResult:
    """Redact or mask PII in every text field of ``ref`` into a new version."""
    if mode not in MODES:
        raise InvalidInput(f"unknown scrub mode {mode!r}", hint="use redact or mask")
    guard = pii_guard(checks, mode)
    version = job.version(ref)
    schema = job.schema(version)
    fields = text_fields(schema, columns, version=version)
    message_fields = {f for f in fields if is_messages(schema.field(f).type)}
    by_kind: Counter[str] = Counter()
    state: dict[str, Any] = {"rows": 0, "changed": 0, "examples": []}

    def text(value: str, masks: MaskMap) -> str:
        findings = guard.scan(value, "input")
        if not findings:
            return value
        by_kind.update(f.category for f in findings)
        return apply_findings(value, sorted(findings, key=lambda f: (f.start, f.end)), masks)

    def scrubbed() -> Iterator[pa.RecordBatch]:
        by_kind.clear()
        state.update({"rows": 0, "changed": 0, "examples": []})
        for batch in job.batches(version):
            rows = batch.to_pylist()
            for i, row in enumerate(rows):
                masks = MaskMap()
                new = dict(row)
                for field in fields:
                    value = row.get(field)
                    if isinstance(value, str):
                        new[field] = text(value, masks)
                    elif field in message_fields and isinstance(value, list):
                        new[field] = [{**m, "content": text(m["content"], masks)}
                                      if isinstance(m.get("content"), str) else m for m in value]
                if new != row:
                    state["changed"] += 1
                    if len(state["examples"]) < _EXAMPLES:
                        state["examples"].append({"row": state["rows"] + i, "after": _preview(new, fields)})
                rows[i] = new
            state["rows"] += len(rows)
            yield pa.RecordBatch.from_pylist(rows, schema=batch.schema)

    params = {"mode": mode, "checks": list(checks or PII_CHECKS), "columns": fields}
    with job.run("scrub", version, params) as run:
        output, created = job.write(run, version, scrubbed, op="scrub", name=name, message=message,
                                    transform={"mode": mode, "checks": params["checks"]})
        report = {"mode": mode, "checks": params["checks"], "rows_in": state["rows"], "rows_changed": state["changed"],
                  "replaced_by_kind": dict(by_kind.most_common()), "examples": state["examples"]}
        run.summary = {"report": report, "output": output.ref}
    return QualityResult(op="scrub", run_id=run.id, source=version.ref, dataset=output, created=created,
                         rows_in=state["rows"], rows_out=state["rows"], report=report)


def _preview(row: dict[str, Any], fields: list[str]) -> str:
    parts = []
    for field in fields:
        value = row.get(field)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(str(m.get("content") or "") for m in value if isinstance(m, dict))
    return "\n".join(parts)[:200]
