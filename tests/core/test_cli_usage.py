"""Usage errors of every kind end the same way: exit 2 and a short message on stderr, never a traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CASES = [
    (("nope",), "No such command 'nope'"),
    (("datasets", "create"), "Missing argument 'name'"),
    (("datasets", "create", "d", "--file", "x.jsonl", "--bogus"), "No such option: --bogus"),
    (("runs", "list", "--limit", "abc"), "Invalid value for '--limit'"),
    (("prompts", "list", "--offset", "-1"), "Invalid value for '--offset'"),
    (("audit", "--until", "31/01/2025"), "Invalid value for '--until'"),
    (("datasets", "split", "d", "--seed", "-3"), "Invalid value for '--seed'"),
]


@pytest.mark.parametrize(("args", "problem"), CASES)
def test_usage_errors_exit_2_with_one_message(cli, args: tuple[str, ...], problem: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.code == 2, result.err
    assert problem in result.err and "Traceback" not in result.err, result.err
    assert result.out == ""


def test_a_genloop_error_is_one_line_and_exit_1(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("prompts", "show", "missing@2")
    assert result.code == 1
    assert result.err.count("\n") == 1 and result.err.startswith("error: prompt 'missing' does not exist"), result.err
