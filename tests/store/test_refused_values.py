"""A value the database cannot hold is the caller's mistake (InvalidInput, nothing written), on both backends.

The REST layer refuses such text before any route runs; this is the same guarantee for the SDK in-process
and for any field a request schema does not bound.
"""

from __future__ import annotations

import pytest

from genloop import Client
from genloop.errors import InvalidInput
from genloop.store import Store


@pytest.mark.parametrize("name", ["nul \x00 inside", "lone \ud800 surrogate"])
def test_text_the_store_cannot_hold_is_invalid_input(store: Store, name: str) -> None:
    client = Client(store=store)
    if "\x00" in name and not store.db.is_postgres:  # SQLite keeps NUL: it must then read back whole
        assert client.runs.get(client.runs.start("training", name=name).id).name == name
        return
    with pytest.raises(InvalidInput, match="the store cannot hold a value"):
        client.runs.start("training", name=name)
    assert client.runs.list().items == []


def test_an_integer_past_64_bits_is_invalid_input(store: Store) -> None:
    from genloop.runs._tables import RunRow
    from genloop.store._db import utcnow

    def write(session) -> None:  # type: ignore[no-untyped-def]
        session.add(RunRow(id="r" * 32, project_id=2**70, kind="training", name="x", status="running",
                           started_at=utcnow()))

    with pytest.raises(InvalidInput, match="the store cannot hold a value"):
        store.db.write(write)
