"""Moving a model alias or a prompt label changes what a deployment serves within a second, with no restart
and no request failing while it changes."""

from __future__ import annotations

import threading
import time

from genloop.models import ModelService
from genloop.providers.mock_upstream import MockUpstreamServer
from genloop.tracing import TraceService


def test_alias_moves_under_load_without_failures(store, deploy, gateway_factory) -> None:
    with MockUpstreamServer(reply="old") as old, MockUpstreamServer(reply="new") as new, \
            gateway_factory(gateway_refresh_interval=0.1) as gw:
        models = ModelService(store)
        models.register("tiny", kind="provider", uri="openai:mock-model", base_url=old.url + "/v1")
        models.alias("tiny@1", "champion")
        deploy("assistant", variants=[{"model": "tiny@champion"}])
        gw.refresh()
        client = gw.openai()
        answers: list[str] = []
        failures: list[BaseException] = []
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                try:
                    result = client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": "x"}])
                    answers.append(result.choices[0].message.content)
                except BaseException as exc:  # noqa: BLE001 - every failure is a test failure
                    failures.append(exc)

        workers = [threading.Thread(target=hammer) for _ in range(3)]
        for worker in workers:
            worker.start()
        time.sleep(0.3)
        models.register("tiny", kind="provider", uri="openai:mock-model", base_url=new.url + "/v1")
        moved_at = time.monotonic()
        models.alias("tiny@2", "champion")
        while (not answers or answers[-1] != "new") and time.monotonic() - moved_at < 5:
            time.sleep(0.01)
        switched_after = time.monotonic() - moved_at
        time.sleep(0.2)
        stop.set()
        for worker in workers:
            worker.join(10)
        gw.flush()
    assert not failures
    assert switched_after < 1.0
    assert answers[0] == "old" and answers[-1] == "new"
    served = {t.model for t in TraceService(store).list(deployment="assistant", limit=1000).items}
    assert served == {"tiny@1", "tiny@2"}
