"""Diff two prompt versions: field-level changes plus a unified diff of their prompt.yaml form."""

from __future__ import annotations

import difflib
from typing import Any

from genloop.prompts._schemas import FieldChange, PromptDiff, PromptVersion
from genloop.prompts._yaml import dump_prompt_yaml

__all__ = ["diff_versions", "version_content", "version_yaml"]

_MISSING = object()


def version_content(version: PromptVersion) -> dict[str, Any]:
    """The content fields of a version, as plain JSON-able data."""
    return {
        "template_type": version.template_type,
        "messages": [m.model_dump() for m in version.messages] if version.messages is not None else None,
        "template": version.template,
        "variables": list(version.variables),
        "model": version.model,
        "params": dict(version.params),
        "response_schema": version.response_schema,
    }


def version_yaml(version: PromptVersion) -> str:
    """The version as prompt.yaml text (what ``genloop prompts show`` prints and ``create`` reads back)."""
    return dump_prompt_yaml(version_content(version))


def diff_versions(a: PromptVersion, b: PromptVersion) -> PromptDiff:
    """What changed from ``a`` to ``b``."""
    before, after = _flatten(version_content(a)), _flatten(version_content(b))
    changes = []
    for key in _ordered_keys(before, after):
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old == new:
            continue
        if old is _MISSING:
            changes.append(FieldChange(field=key, change="added", after=new))
        elif new is _MISSING:
            changes.append(FieldChange(field=key, change="removed", before=old))
        else:
            changes.append(FieldChange(field=key, change="changed", before=old, after=new))
    unified = "".join(
        difflib.unified_diff(
            version_yaml(a).splitlines(keepends=True),
            version_yaml(b).splitlines(keepends=True),
            fromfile=a.ref,
            tofile=b.ref,
        )
    )
    return PromptDiff(a=a.ref, b=b.ref, identical=a.content_hash == b.content_hash, changes=changes, unified=unified)


def _flatten(content: dict[str, Any]) -> dict[str, Any]:
    """``messages[1].content``, ``params.temperature``... one entry per comparable field; None left out."""
    flat: dict[str, Any] = {"template_type": content["template_type"]}
    for i, message in enumerate(content["messages"] or []):
        flat[f"messages[{i}].role"] = message["role"]
        flat[f"messages[{i}].content"] = message["content"]
    for key in ("template", "model", "response_schema"):
        if content[key] is not None:
            flat[key] = content[key]
    flat["variables"] = content["variables"]
    for key, value in content["params"].items():
        flat[f"params.{key}"] = value
    return flat


def _ordered_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    keys = list(before)
    keys += [k for k in after if k not in before]
    return keys
