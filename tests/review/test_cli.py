"""`genloop review ...` through the real entry point: a schema from YAML, a queue, rating, refusals, export."""

from __future__ import annotations

from .conftest import record_traces


def test_review_cli(cli, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    questions = tmp_path / "q.yaml"
    questions.write_text("- {name: helpfulness, type: likert, points: [bad, poor, ok, good, great]}\n"
                         "- {name: fix, type: edit}\n")
    assert cli("review", "schema-create", "quality", "-f", questions).out.strip() == "rating schema quality@1 (2 questions)"
    assert cli("review", "queue-create", "q", "--schema", "quality").code == 0
    record_traces(store, 2)
    assert cli("review", "add", "q", "--traces", "-d", "bot", "--sample-rate", "1").out.strip() == \
        "2 item(s) added to queue q"
    shown = cli("review", "next", "q")
    assert "[user] question 1" in shown.out and "[answer] answer 1" in shown.out
    bad = cli("review", "rate", "q", "1", "-a", "helpfulness=9")
    assert bad.code == 1 and bad.err.count("\n") == 1 and "allowed: 1 (bad)" in bad.err
    rated = cli("review", "rate", "q", "1", "-a", "helpfulness=2", "-a", "fix=a much better answer")
    assert rated.code == 0 and "item done" in rated.out and "[user] question 2" in rated.out
    assert cli("review", "progress", "q", "--json").json()["done"] == 1
    exported = cli("review", "export", "q", "-k", "golden", "-n", "gold")
    assert exported.code == 0 and exported.out.startswith("gold@1 (new version): 1 golden rows")
    assert "not NAME=VALUE" in cli("review", "rate", "q", "2", "-a", "oops").err
    assert cli("review", "add", "q").code == 1
    assert [q["name"] for q in cli("review", "queues", "--json").json()] == ["q"]
