"""Cron schedules for pipeline triggers: the five standard fields, in UTC, with no dependency.

``minute hour day-of-month month day-of-week``; each field is ``*``, a number, a range ``a-b``, a step
(``*/5``, ``10-50/10``) or a comma list of those; months and weekdays also by name (``jan``, ``mon``); weekday
0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted a day matches either of them.
Shortcuts: ``@yearly`` (``@annually``), ``@monthly``, ``@weekly``, ``@daily`` (``@midnight``), ``@hourly``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from genloop.errors import InvalidInput

__all__ = ["CronSchedule"]

_SHORTCUTS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
              "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS))
_HINT = "write five fields: minute hour day-of-month month day-of-week, e.g. '*/15 * * * *' or '0 3 * * mon'"
_HORIZON_YEARS = 8  # every valid schedule fires within 8 years (Feb 29 on a given weekday recurs within 28,
# but without a weekday restriction within 4); a schedule that cannot fire is refused when parsed


def _number(text: str, names: dict[str, int], field: str, expr: str) -> int:
    value = names.get(text.lower())
    if value is not None:
        return value
    if not text.isdigit():
        raise InvalidInput(f"cron field {field} of {expr!r}: {text!r} is not a number", hint=_HINT)
    return int(text)


def _field(text: str, field: str, low: int, high: int, names: dict[str, int], expr: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, {}, field, expr) if step_text else 1
        if step < 1:
            raise InvalidInput(f"cron field {field} of {expr!r}: the step must be at least 1", hint=_HINT)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, names, field, expr), _number(last, names, field, expr)
        else:
            start = _number(base, names, field, expr)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise InvalidInput(f"cron field {field} of {expr!r}: {part!r} is outside {low}-{high}", hint=_HINT)
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression; :meth:`next_after` gives the next minute it fires (UTC)."""

    expr: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expr: str) -> CronSchedule:
        """Parse ``expr``; :class:`InvalidInput` names the field at fault, or says that it never fires."""
        if not isinstance(expr, str) or not expr.strip():
            raise InvalidInput("a cron schedule is required", hint=_HINT)
        text = _SHORTCUTS.get(expr.strip().lower(), expr.strip())
        parts = text.split()
        if len(parts) != 5:
            raise InvalidInput(f"cron schedule {expr!r} has {len(parts)} field(s), not 5", hint=_HINT)
        sets = [_field(p, name, lo, hi, names, expr) for p, (name, lo, hi, names) in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        schedule = cls(expr.strip(), sets[0], sets[1], sets[2], sets[3], weekdays,
                       any_day=parts[2] == "*", any_weekday=parts[4] == "*")
        if schedule.next_after(dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) is None:
            raise InvalidInput(f"cron schedule {expr!r} never fires (no such date)", hint=_HINT)
        return schedule

    def _day_matches(self, day: dt.date) -> bool:
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, when: dt.datetime) -> dt.datetime | None:
        """The first firing strictly after ``when`` (naive times are taken as UTC), or None within 8 years."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        t = when.astimezone(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        limit = t.year + _HORIZON_YEARS
        while t.year <= limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + dt.timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(t.date()):
                t = t.replace(hour=0, minute=0) + dt.timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0) + dt.timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t += dt.timedelta(minutes=1)
                continue
            return t
        return None

    def last_due(self, after: dt.datetime, now: dt.datetime) -> tuple[dt.datetime, int] | None:
        """The latest firing in ``(after, now]`` and how many there were (at most 1000 counted), or None."""
        nxt = self.next_after(after)
        if nxt is None or nxt > now:
            return None
        count, last = 1, nxt
        while count < 1000 and (nxt := self.next_after(last)) is not None and nxt <= now:
            count, last = count + 1, nxt
        if count == 1000:  # many missed: jump to the newest one due
            last = self._latest_before(now, last)
        return last, count

    def _latest_before(self, now: dt.datetime, floor: dt.datetime) -> dt.datetime:
        probe = now - dt.timedelta(days=1)
        while probe > floor:
            nxt = self.next_after(probe)
            if nxt is not None and nxt <= now:
                last = nxt
                while (step := self.next_after(last)) is not None and step <= now:
                    last = step
                return last
            probe -= dt.timedelta(days=30)
        last = floor
        while (step := self.next_after(last)) is not None and step <= now:
            last = step
        return last
