"""client.triggers, in-process and against a real server: the same methods, results and errors."""

from __future__ import annotations

import pytest
from tests.pipelines._helpers import add_dataset

from genloop.errors import InvalidInput, NotFound
from genloop.pipelines import Pipeline, PipelineService
from genloop.store import Store


def test_triggers_through_the_client(client, store: Store) -> None:  # type: ignore[no-untyped-def]
    add_dataset(store, "support", n=5)
    p = Pipeline()
    p.step("pin", "dataset", dataset="support", cache=False)
    PipelineService(store).create("prep", p.spec())
    PipelineService(store).create("other", p.spec())
    info = client.triggers.create({"name": "new-data", "pipeline": "prep", "kind": "dataset", "dataset": "support"})
    assert info.name == "new-data" and info.cursor == {"version": 1} and info.firings == 0
    client.triggers.create({"name": "by-hand", "pipeline": "other", "kind": "manual"})
    assert [t.name for t in client.triggers.list()] == ["by-hand", "new-data"]
    assert [t.name for t in client.triggers.list(pipeline="prep")] == ["new-data"]
    with pytest.raises(InvalidInput, match="needs cron"):
        client.triggers.create({"name": "x", "pipeline": "prep", "kind": "cron"})
    with pytest.raises(NotFound, match="no trigger 'missing'"):
        client.triggers.get("missing")
    firing = client.triggers.fire("by-hand", reason="ci: release 1.2")
    assert firing.status == "succeeded" and firing.trigger["reason"] == "ci: release 1.2"
    run = PipelineService(store).get_run(firing.run_id)
    assert run.trigger is not None and run.trigger["manual"] is True and run.trigger["trigger"] == "by-hand"
    assert client.triggers.set_enabled("new-data", False).enabled is False
    client.triggers.delete("new-data")
    assert [t.name for t in client.triggers.list()] == ["by-hand"]
