"""`genloop runs ...` through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.parametrize(("database_url", "client"), [("sqlite", "local")], indirect=True)


def test_runs_commands(cli, client, seed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed.dataset("golden")
    with client.runs.run(kind="tune", name="sft", params={"lr": 0.1}, inputs=["dataset:golden"]) as run:
        for step, loss in enumerate([3.0, 2.0, 2.5]):
            run.log_metrics({"loss": loss}, step=step)
        (tmp_path / "log.txt").write_text("hello")
        run.log_artifact("log.txt", tmp_path / "log.txt")
        run.add_output("dataset:golden@1")
    failed = client.runs.start("eval")
    client.runs.finish(failed.id, status="failed", error="judge timed out")

    listing = cli("runs", "list", "--json")
    assert listing.code == 0, listing.err
    assert [r["id"] for r in listing.json()["items"]] == [failed.id, run.id]
    assert [r["id"] for r in cli("runs", "list", "--kind", "tune", "--json").json()["items"]] == [run.id]
    assert [r["id"] for r in cli("runs", "list", "--status", "failed", "--json").json()["items"]] == [failed.id]
    assert "sft" in cli("runs", "list").out

    shown = cli("runs", "show", run.id, "--json").json()
    assert shown["series"] == [{"key": "loss", "count": 3, "last_step": 2, "last": 2.5, "min": 2.0, "max": 3.0}]
    out = cli("runs", "show", run.id).out
    for text in ("succeeded", "lr", "loss", "2.5", "log.txt", "dataset:golden@1", "input", "output"):
        assert text in out, out
    assert "judge timed out" in cli("runs", "show", failed.id).out

    bad = cli("runs", "list", "--status", "done")
    assert bad.code == 1 and "invalid run status 'done'" in bad.err
    missing = cli("runs", "show", "nope")
    assert missing.code == 1 and "run 'nope' does not exist" in missing.err
