"""The SDK both ways (in-process and over REST): create, start, read runs; errors keep their class."""

from __future__ import annotations

from typing import Any

import pytest
from tests.pipelines._helpers import rows

from genloop.errors import InvalidInput, NotFound
from genloop.pipelines import Pipeline


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """SQLite only: the SDK twins are thin over PipelineService, which test_run.py runs on PostgreSQL."""
    return f"sqlite:///{tmp_path / 'genloop.db'}"


def test_pipelines_both_ways(client: Any) -> None:
    client.datasets.create("support", rows(20), kind="chat")
    p = Pipeline(description="prep")
    pin = p.step("pin", "dataset", dataset="support")
    p.step("split", "split", dataset=pin["dataset"], test_size=0.25)
    info = client.pipelines.create("prep", p.spec(), message="first")
    assert info.ref == "prep@1" and client.pipelines.create("prep", p.to_yaml()).version == 1  # same content
    assert [i.name for i in client.pipelines.list().items] == ["prep"]
    run = client.pipelines.start("prep", trigger={"source": "test"})
    assert run.status == "succeeded" and run.trigger == {"source": "test"}
    assert [s.status for s in run.steps] == ["succeeded", "succeeded"]
    again = client.pipelines.start("prep@1")
    assert again.step("split").status == "cached" and again.step("split").cached_from == run.id
    assert client.pipelines.get_run(run.id).step("split").outputs["train"] == "support-train@1"
    assert [r.id for r in client.pipelines.runs("prep").items] == [again.id, run.id]
    assert client.pipelines.versions("prep").total == 1


def test_errors_are_the_same_both_ways(client: Any) -> None:
    with pytest.raises(NotFound):
        client.pipelines.get("nope")
    with pytest.raises(InvalidInput, match="unknown step kind 'splt'; did you mean 'split'"):
        client.pipelines.create("bad", {"steps": [{"name": "a", "kind": "splt", "params": {}}]})
    client.pipelines.create("p", {"steps": [{"name": "a", "kind": "split", "params": {"dataset": "missing"}}]})
    with pytest.raises(InvalidInput, match="step 'a': parameter 'dataset': dataset 'missing' does not exist"):
        client.pipelines.start("p")
    assert client.pipelines.runs("p").total == 0  # refused before anything ran


def test_rest_checks_project_and_scope(store: Any, tmp_path: Any) -> None:
    """Starting a run needs the write scope of the pipeline's project; reading needs read."""
    from genloop import Client
    from genloop.auth import KeyService
    from genloop.errors import Forbidden
    from genloop.server import BackgroundServer, create_app
    from genloop.store import Store

    secured = Store(store.settings.model_copy(update={"auth": True}))
    try:
        local = Client(store=secured)
        local.datasets.create("support", rows(8), kind="chat")
        local.pipelines.create("prep", {"steps": [{"name": "pin", "kind": "dataset", "params": {"dataset": "support"}}]})
        reader = KeyService(secured, "default").create("reader", scopes=["read"]).key
        writer = KeyService(secured, "default").create("writer", scopes=["write", "read"]).key
        stranger = KeyService(secured, "other").create("stranger", scopes=["write", "read"]).key
        from genloop.auth import install_auth

        app = create_app(secured)
        install_auth(app, secured)
        with BackgroundServer(app) as srv:
            with Client(srv.url, api_key=reader) as c:
                assert c.pipelines.get("prep").version == 1
                with pytest.raises(Forbidden, match="write"):
                    c.pipelines.start("prep")
                assert c.pipelines.runs("prep").total == 0
            with Client(srv.url, api_key=stranger) as c, pytest.raises(Forbidden):
                c.pipelines.get("prep")
            with Client(srv.url, api_key=writer) as c:
                run = c.pipelines.start("prep")
                assert run.status == "succeeded" and run.created_by == "key:writer"
    finally:
        secured.close()


def test_start_without_waiting(client: Any) -> None:
    import time

    client.datasets.create("support", rows(8), kind="chat")
    client.pipelines.create("prep", {"steps": [{"name": "pin", "kind": "dataset", "params": {"dataset": "support"}},
                                               {"name": "split", "kind": "split",
                                                "params": {"dataset": "${steps.pin.dataset}"}}]})
    run = client.pipelines.start("prep", wait=False)
    assert run.status in ("running", "succeeded")
    deadline = time.monotonic() + 30
    while (current := client.pipelines.get_run(run.id)).status == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert current.status == "succeeded" and [s.status for s in current.steps] == ["succeeded", "succeeded"]
    import threading

    for thread in threading.enumerate():  # the runner's thread ends right after the run does: let it, before teardown
        if thread.name.startswith("pipeline-"):
            thread.join(timeout=10)
