"""The cron parser of schedule triggers, against hand-checked dates."""

from __future__ import annotations

import datetime as dt

import pytest

from genloop.errors import InvalidInput
from genloop.pipelines._cron import CronSchedule

T = dt.datetime(2026, 3, 2, 10, 7, 30, tzinfo=dt.UTC)  # Monday 2 March 2026, 10:07:30


def _next(expr: str, after: dt.datetime = T) -> dt.datetime | None:
    return CronSchedule.parse(expr).next_after(after)


@pytest.mark.parametrize(("expr", "expected"), [
    ("* * * * *", dt.datetime(2026, 3, 2, 10, 8)),
    ("*/15 * * * *", dt.datetime(2026, 3, 2, 10, 15)),
    ("10-50/20 * * * *", dt.datetime(2026, 3, 2, 10, 10)),
    ("0 3 * * *", dt.datetime(2026, 3, 3, 3, 0)),
    ("@hourly", dt.datetime(2026, 3, 2, 11, 0)),
    ("@daily", dt.datetime(2026, 3, 3, 0, 0)),
    ("@weekly", dt.datetime(2026, 3, 8, 0, 0)),  # Sunday
    ("@monthly", dt.datetime(2026, 4, 1, 0, 0)),
    ("@yearly", dt.datetime(2027, 1, 1, 0, 0)),
    ("0 9 * * mon-fri", dt.datetime(2026, 3, 3, 9, 0)),
    ("0 0 * * 7", dt.datetime(2026, 3, 8, 0, 0)),  # 7 is Sunday too
    ("30 8 1,15 * *", dt.datetime(2026, 3, 15, 8, 30)),
    ("0 0 13 * fri", dt.datetime(2026, 3, 6, 0, 0)),  # both day fields: either matches (the 6th is a Friday)
    ("0 0 29 feb *", dt.datetime(2028, 2, 29, 0, 0)),
    ("0 12 * jun sat", dt.datetime(2026, 6, 6, 12, 0)),
    ("59 23 31 12 *", dt.datetime(2026, 12, 31, 23, 59)),
])
def test_next_firing(expr: str, expected: dt.datetime) -> None:
    assert _next(expr) == expected.replace(tzinfo=dt.UTC)


def test_naive_times_are_utc_and_results_strictly_later() -> None:
    exact = dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.UTC)
    assert _next("*/15 * * * *", exact) == exact + dt.timedelta(minutes=15)
    assert _next("*/15 * * * *", exact.replace(tzinfo=None)) == exact + dt.timedelta(minutes=15)


def test_last_due_counts_missed_firings() -> None:
    schedule = CronSchedule.parse("0 * * * *")
    assert schedule.last_due(T, T + dt.timedelta(minutes=30)) is None
    when, count = schedule.last_due(T, T + dt.timedelta(hours=5)) or (None, 0)
    assert when == dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC) and count == 5
    minutely = CronSchedule.parse("* * * * *")  # a month down: the newest one, counted up to 1000
    when, count = minutely.last_due(T, T + dt.timedelta(days=30)) or (None, 0)
    assert when == (T + dt.timedelta(days=30)).replace(second=0) and count == 1000


@pytest.mark.parametrize(("expr", "message"), [
    ("", "required"), ("* * * *", "4 field"), ("60 * * * *", "outside 0-59"), ("* 24 * * *", "outside 0-23"),
    ("* * 0 * *", "outside 1-31"), ("* * * 13 *", "outside 1-12"), ("* * * * 8", "outside 0-7"),
    ("*/0 * * * *", "at least 1"), ("a * * * *", "not a number"), ("5-1 * * * *", "outside"),
    ("0 0 31 feb *", "never fires"), ("0 0 31 apr,jun *", "never fires"), ("@often", "1 field"),
])
def test_bad_schedules_name_the_field(expr: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        CronSchedule.parse(expr)
