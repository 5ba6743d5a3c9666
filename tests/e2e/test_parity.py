"""One scenario, run in-process and remotely through a real server: identical results and identical errors.

This is the proof that `genloop.Client` behaves the same on a database URL and on a server URL.
"""

from __future__ import annotations

from typing import Any

import pytest

from genloop import Client, GenLoopError
from genloop.settings import Settings
from genloop.store import Store

VOLATILE = {"created_at", "updated_at", "started_at", "ended_at", "id", "run_id", "source_run_id", "produced_by",
            "time"}


def _normalise(value: Any) -> Any:
    """Drop what legitimately differs between two stores (times, generated ids)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def scenario(client: Client, tmp_path) -> list[Any]:  # type: ignore[no-untyped-def]
    out: list[Any] = []

    def record(fn):  # type: ignore[no-untyped-def]
        try:
            out.append(("ok", _normalise(fn())))
        except GenLoopError as exc:
            out.append(("error", type(exc).__name__, str(exc)))

    rows = [{"input": f"q{i}", "reference": f"a{i}"} for i in range(20)]
    record(lambda: client.datasets.create("golden", data=rows, kind="eval", message="first", tags=["golden"]))
    record(lambda: client.datasets.create("golden", data=rows, kind="eval"))  # identical: same version
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": [{"role": "bot", "content": "x"}]}\n')
    record(lambda: client.datasets.create("chat", data=str(bad), kind="chat"))
    record(lambda: client.datasets.split("golden@1", test_size=0.25, seed=3))
    record(lambda: client.datasets.head("golden-test@1", n=3))
    record(lambda: client.datasets.get("golden@9"))

    record(lambda: client.prompts.create("support", messages=[{"role": "user", "content": "Q: {{ question }}"}]))
    record(lambda: client.prompts.create("support", template="Question: {{ question }}", message="text"))
    record(lambda: client.prompts.label("support@1", "production"))
    record(lambda: client.prompts.render("support@production", {"question": "where?"}))
    record(lambda: client.prompts.render("support@production", {}))
    record(lambda: client.prompts.diff("support@1", "support@2"))
    record(lambda: client.prompts.get("support@nolabel"))

    record(lambda: client.models.register("base", kind="provider", uri="openai:gpt-4o-mini"))
    record(lambda: client.models.register("base", kind="bogus", uri="x"))
    record(lambda: client.models.alias("base@1", "champion"))
    record(lambda: client.models.set_status("base@champion", "approved", reason="looks good"))
    record(lambda: client.models.set_status("base@1", "draft"))

    with client.runs.run(kind="data", name="prep", inputs=["dataset:golden@1"]) as run:
        run.log_metrics({"rows": 20})
        run.log_metrics({"loss": 1.0}, step=1)
        run.log_metrics({"loss": 0.5}, step=2)
        run.add_output("dataset:golden-train@1")
        run_id = run.id
    record(lambda: client.runs.get(run_id))
    record(lambda: client.runs.series(run_id, "loss"))
    record(lambda: client.lineage("dataset:golden-train@1"))
    record(lambda: client.lineage("golden"))  # untyped, unambiguous
    record(lambda: [(e.action, e.entity_type, "<run id>" if e.entity_type == "run" else e.entity_name, e.entity_version,
                     e.actor) for e in client.audit.list(limit=200).items])
    return out


@pytest.mark.slow
def test_local_and_remote_clients_give_identical_results(tmp_path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import ServerThread

    from genloop.server import create_app

    local_store = Store(Settings(home=tmp_path / "a", database_url=f"sqlite:///{tmp_path / 'a.db'}",
                                 artifacts_uri=str(tmp_path / "a-art"), actor="tester"))
    remote_store = Store(Settings(home=tmp_path / "b", database_url=database_url,
                                  artifacts_uri=str(tmp_path / "b-art"), actor="tester"))
    try:
        with Client(store=local_store) as local:
            expected = scenario(local, tmp_path)
        with ServerThread(create_app(remote_store)) as server, Client(server.url) as remote:
            actual = scenario(remote, tmp_path)
    finally:
        local_store.close()
        remote_store.close()
    assert [e[0] for e in expected].count("error") >= 6, "the scenario must exercise error paths too"
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        assert got == want, f"step {index} differs between in-process and remote"
