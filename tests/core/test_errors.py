import pytest

from genloop import errors
from genloop.errors import GenLoopError, NotFound, ProviderError, error_from_payload


def test_every_error_round_trips_through_the_envelope() -> None:
    for cls in [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, GenLoopError)]:
        exc = cls("something broke", hint="do this")
        rebuilt = error_from_payload(exc.to_payload(), exc.status_code)
        assert type(rebuilt) is cls
        assert str(rebuilt) == str(exc) == "something broke; do this"


def test_statuses_are_distinct_per_class() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, GenLoopError)]
    statuses = [c.status_code for c in classes]
    assert len(set(statuses)) == len(statuses)


def test_unknown_payload_becomes_a_generic_error() -> None:
    exc = error_from_payload("<html>bad gateway</html>", 502)
    assert type(exc) is GenLoopError and "502" in str(exc)


def test_provider_error_carries_upstream_status() -> None:
    exc = ProviderError("upstream failed", upstream_status=429, retryable=True)
    assert exc.upstream_status == 429 and exc.retryable
    with pytest.raises(NotFound):
        raise NotFound("x")
