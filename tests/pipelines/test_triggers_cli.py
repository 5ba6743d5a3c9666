"""`genloop triggers ...` and `genloop scheduler --once` through the real entry point."""

from __future__ import annotations

import json

from tests.pipelines._helpers import add_dataset

from genloop.pipelines import Pipeline, PipelineService
from genloop.store import Store


def test_triggers_cli_create_fire_list_and_a_scheduler_tick(store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    add_dataset(store, "support", n=5)
    p = Pipeline()
    p.step("pin", "dataset", dataset="${trigger.ref}", cache=False)
    PipelineService(store).create("prep", p.spec())
    result = cli("triggers", "create", "new-data", "--pipeline", "prep", "--dataset", "support")
    assert result.code == 0, result.err
    assert "trigger new-data (dataset) starts pipeline prep" in result.out
    bad = cli("triggers", "create", "two", "--pipeline", "prep", "--dataset", "support", "--cron", "@daily")
    assert bad.code == 1 and "choose one of --cron, --dataset" in bad.err
    bad = cli("triggers", "create", "x", "--pipeline", "prep", "--cron", "0 0 31 2 *")
    assert bad.code == 1 and "never fires" in bad.err and len(bad.err.strip().splitlines()) == 1
    tick = cli("scheduler", "--once", "--no-monitoring")
    assert tick.code == 0 and "leads" in tick.out and "fired" not in tick.out  # nothing new yet
    add_dataset(store, "support", n=6, offset=30)
    tick = cli("scheduler", "--once", "--no-monitoring")
    assert "fired new-data (dataset support has a new version 2): run" in tick.out, tick.out + tick.err
    [run] = PipelineService(store).runs("prep").items
    assert run.status == "succeeded" and run.step("pin").outputs == {"dataset": "support@2"}
    listed = json.loads(cli("triggers", "list", "--json").out)
    assert listed[0]["firings"] == 1 and listed[0]["last_run_id"] == run.id
    assert cli("triggers", "fire", "missing").code == 1
    fired = cli("triggers", "fire", "new-data", "--reason", "ci", "--param", "x=1")
    assert fired.code == 1 and "no parameter" in fired.out + fired.err  # the pipeline declares no x
    assert cli("triggers", "disable", "new-data").code == 0
    assert json.loads(cli("triggers", "show", "new-data").out)["enabled"] is False
    assert cli("triggers", "delete", "new-data").code == 0
    assert json.loads(cli("triggers", "list", "--json").out) == []
