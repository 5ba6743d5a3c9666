"""`genloop quality ...` and `genloop datasets profile` through the real entry point on the test store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from genloop.cli.quality import parse_step
from genloop.errors import InvalidInput


def test_parse_step_forms() -> None:
    assert parse_step("drop_empty") == {"op": "drop_empty"}
    assert parse_step("length:min_chars=10,max_chars=4000") == {"op": "length", "min_chars": 10, "max_chars": 4000}
    assert parse_step("keep_languages:languages=en|fr") == {"op": "keep_languages", "languages": ["en", "fr"]}
    assert parse_step('{"op": "guardrail", "checks": ["email"]}') == {"op": "guardrail", "checks": ["email"]}
    with pytest.raises(InvalidInput, match="is not key=value"):
        parse_step("length:min_chars")


@pytest.mark.slow
def test_quality_cli_end_to_end(cli: Any, tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join([
        '{"prompt": "Contact me at ann@example.com about the <b>refund</b>", "completion": "Sure."}',
        '{"prompt": "Contact me at ann@example.com about the <b>refund</b>", "completion": "Sure."}',
        '{"prompt": "What is the weather like in Paris in spring time", "completion": "Mild."}']) + "\n")
    assert cli("datasets", "create", "d", "--file", rows, "--kind", "completion").code == 0

    profile = cli("datasets", "profile", "d", "--json")
    assert profile.code == 0, profile.err
    assert profile.json()["rows"] == 3 and profile.json()["duplicates"]["exact_duplicate_rows"] == 1
    table = cli("quality", "profile", "d", "--stored")
    assert table.code == 0 and "d@1 (completion): 3 rows" in table.out

    dedup = cli("quality", "dedup", "d", "--method", "exact", "--json")
    assert dedup.code == 0 and dedup.json()["rows_out"] == 2 and dedup.json()["dataset"]["version"] == 2
    clean = cli("quality", "clean", "d", "--step", "strip_html", "--step", "length:min_chars=5")
    assert clean.code == 0 and "clean d@2 -> d@3" in clean.out and "1:strip_html" in clean.out
    scrub = cli("quality", "scrub", "d", "--json")
    assert scrub.code == 0 and scrub.json()["report"]["replaced_by_kind"] == {"email": 1}
    flagged = cli("quality", "decontaminate", "d", "--eval", "d@1", "--flag", "--json")
    assert flagged.code == 0 and flagged.json()["dataset"] is None
    overlap = cli("quality", "overlap", "d@1", "--eval", "d@1", "--n", "3")
    assert overlap.code == 0 and "3 of 3 rows of d@1 share a 3-gram" in overlap.out

    bad = cli("quality", "dedup", "d", "--threshold", "2")
    assert bad.code == 1 and bad.err.startswith("error: threshold must be in (0, 1]") and "\n" == bad.err[-1]
    missing = cli("quality", "dedup", "d", "--column", "nope")
    assert missing.code == 1 and "has no column 'nope'" in missing.err
    unknown = cli("quality", "clean", "d", "--step", "sparkle")
    assert unknown.code == 1 and "is not a known step" in unknown.err
