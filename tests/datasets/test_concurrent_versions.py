"""Writers racing on one dataset (threads sharing a store, so the database does the arbitration) get
consecutive version numbers, each with its own Parquet artifact: none duplicated, none lost, no orphan file."""

from __future__ import annotations

import threading
from pathlib import Path

from genloop.datasets import DatasetService
from genloop.store import Store

WRITERS, EACH = 4, 5


def test_racing_writers_get_consecutive_versions_and_one_file_each(store: Store, files_under) -> None:  # type: ignore[no-untyped-def]
    start, errors = threading.Barrier(WRITERS), []

    def write(worker: int) -> None:
        service = DatasetService(store, project="race", actor=f"w{worker}")
        start.wait()
        for i in range(EACH):
            try:
                service.create("shared", [{"text": f"writer {worker} row {i}"}], message=f"{worker}-{i}")
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                errors.append(repr(exc))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    versions = DatasetService(store, project="race").versions("shared", limit=100).items
    assert sorted(v.version for v in versions) == list(range(1, WRITERS * EACH + 1))
    assert {v.message for v in versions} == {f"{w}-{i}" for w in range(WRITERS) for i in range(EACH)}
    artifacts = files_under(Path(store.settings.resolved_artifacts_uri))
    assert sorted(p.name for p in artifacts) == sorted(f"{v.version}-{v.content_hash[7:19]}.parquet" for v in versions)
    assert files_under(store.settings.resolved_home / "tmp") == []
