"""GitHub Actions cron lines: read them, find their runs, and write the few that run at given times.

GitHub reads five fields (minute hour day-of-month month day-of-week) in UTC. A brand posts at
wall-clock times in its own zone, so one posting time is two UTC times in a zone with daylight saving;
the lines written here run at each in the months and days it applies, and on the days around a change
at both (the run at the other offset finds nothing due and ends within seconds).
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ON_TIME = timedelta(minutes=15)
"""A post is sent on time when a run is scheduled at most this long after it (GitHub adds its own delay)."""

YEARS = 28
"""Years whose daylight-saving dates the lines cover: weekdays fall on the same dates every 28 years."""

WHOLE_MONTH = 7
"""A time needed on all but at most this many days of a month runs on all of them: one line, not three."""

_NAMES = (
    {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name},
    {name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
)
_FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _NAMES[0]), (0, 7, _NAMES[1]))


class CronError(ValueError):
    """A cron line that is not five fields of numbers, names, `*`, ranges and steps."""


@dataclass(frozen=True, slots=True)
class Cron:
    """One parsed line. Day-of-month and day-of-week both restricted match either (as cron does)."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 is Sunday
    any_day: bool
    any_weekday: bool

    def runs_on(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day, by_weekday = day.day in self.days, day.isoweekday() % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def runs_per_day(self) -> int:
        return len(self.hours) * len(self.minutes)


def parse(text: str) -> Cron:
    """A cron line as GitHub reads it; CronError says what is wrong."""
    fields = text.split()
    if len(fields) != 5:
        raise CronError(
            f"'{text}' has {len(fields)} fields; a cron line has 5 (minute hour day month weekday)"
        )
    values = [_field(field, *spec) for field, spec in zip(fields, _FIELDS, strict=True)]
    weekdays = frozenset(day % 7 for day in values[4])
    return Cron(text, *values[:4], weekdays, fields[2].startswith("*"), fields[4].startswith("*"))


def _field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    found: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if span == "*":
                first, last = low, high
            else:
                start, dash, end = span.partition("-")
                first = _number(start, names)
                last = _number(end, names) if dash else (high if step_text else first)
        except ValueError:
            raise CronError(f"'{part}' in '{text}' is not a number, a name, * or a range") from None
        if step < 1 or not low <= first <= last <= high:
            raise CronError(f"'{part}' in '{text}' is outside {low}-{high}")
        found.update(range(first, last + 1, step))
    return frozenset(found)


def _number(text: str, names: dict[str, int]) -> int:
    return names[text.lower()] if text.lower() in names else int(text)


class Runs:
    """When a set of lines runs, day by day (each day worked out once)."""

    def __init__(self, lines: Sequence[Cron]) -> None:
        self.lines = lines
        self._days: dict[date, list[int]] = {}

    def minutes(self, day: date) -> list[int]:
        """The minutes of the UTC day at which a run starts, in order."""
        if day not in self._days:
            self._days[day] = sorted(
                {
                    hour * 60 + minute
                    for line in self.lines
                    if line.runs_on(day)
                    for hour in line.hours
                    for minute in line.minutes
                }
            )
        return self._days[day]

    def first(self, start: datetime, end: datetime) -> datetime | None:
        """The first run from `start` to `end` (both included)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if start.second or start.microsecond:  # a run starts on a whole minute
            start = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
        if not self.lines:
            return None
        day = start.date()
        while day <= end.date():
            minutes = self.minutes(day)
            after = bisect_left(minutes, start.hour * 60 + start.minute) if day == start.date() else 0
            if after < len(minutes):
                when = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes[after])
                return when if when <= end else None
            day += timedelta(days=1)
        return None

    def on_time(self, when: datetime) -> bool:
        utc = when.astimezone(UTC)  # ON_TIME of real time, not of a wall clock that may change
        return self.first(utc, utc + ON_TIME) is not None


def runs_in_month(lines: Sequence[Cron], year: int, month: int) -> int:
    """How many runs the lines start in a month (a minute two lines share counts twice, as it may)."""
    days = calendar.monthrange(year, month)[1]
    return sum(
        line.runs_per_day()
        for number in range(1, days + 1)
        for line in lines
        if line.runs_on(date(year, month, number))
    )


@dataclass(frozen=True, slots=True)
class Line:
    """A cron line to write, and the comment that says what it is for."""

    cron: str
    comment: str


def daily_lines(zone: ZoneInfo, times: Iterable[time], first_year: int) -> list[Line]:
    """Lines that run at each of `times` (wall clock in `zone`) every day: one set of lines per UTC offset,
    each limited to the months (and, around a daylight-saving change, the days) the offset applies."""
    local_times = sorted(set(times))
    days_of: defaultdict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)  # UTC (h, m) -> days
    serves: defaultdict[tuple[int, int], set[tuple[time, timedelta]]] = defaultdict(set)
    every_day: set[tuple[int, int]] = set()
    steady: defaultdict[timedelta, list[date]] = defaultdict(list)  # days with one offset all day
    day = date(first_year, 1, 1)
    while day.year < first_year + YEARS:
        every_day.add((day.month, day.day))
        offsets = {
            datetime.combine(day, clock, zone).replace(fold=fold).utcoffset() or timedelta()
            for clock in (time.min, time.max)
            for fold in (0, 1)
        }
        if len(offsets) == 1:
            steady[offsets.pop()].append(day)
        else:  # clocks change on this day: each time on its own
            for local in local_times:
                naive = datetime.combine(day, local)
                for fold in (0, 1):
                    aware = naive.replace(tzinfo=zone, fold=fold)
                    utc = aware.astimezone(UTC)
                    if utc.astimezone(zone).replace(tzinfo=None) != naive:
                        continue  # clocks skip this time on this day: no post can be at it
                    days_of[utc.hour, utc.minute].add((utc.month, utc.day))
                    serves[utc.hour, utc.minute].add((local, aware.utcoffset() or timedelta()))
        day += timedelta(days=1)
    for offset, days in steady.items():
        for local in local_times:
            utc = datetime.combine(date(2000, 1, 2), local) - offset
            shift = utc.date() - date(2000, 1, 2)
            days_of[utc.hour, utc.minute].update(((d := day + shift).month, d.day) for day in days)
            serves[utc.hour, utc.minute].add((local, offset))
    # Times needed in the same whole months share lines; their days in the other months are merged (a
    # time whose UTC date is the day before runs a day earlier around a change: one run more, not a line)
    groups: defaultdict[frozenset[int], set[tuple[int, int]]] = defaultdict(set)
    merged: defaultdict[frozenset[int], set[tuple[int, int]]] = defaultdict(set)
    for clock, days in days_of.items():
        filled = _whole_months(days, every_day)
        months = {month for month, _ in filled}
        whole = frozenset(m for m in months if {(m, d) for mm, d in every_day if mm == m} <= filled)
        groups[whole].add(clock)
        merged[whole] |= filled
    lines = []
    for key, clocks in sorted(groups.items(), key=lambda group: (min(merged[group[0]]), sorted(group[1]))):
        for day_field, month_field in _day_fields(frozenset(merged[key]), every_day):
            for minute_field, hour_field, group in clock_fields(clocks):
                served = sorted({pair for clock in group for pair in serves[clock]})
                lines.append(
                    Line(f"{minute_field} {hour_field} {day_field} {month_field} *", _served(served))
                )
    return lines


def _whole_months(days: set[tuple[int, int]], every_day: set[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    """`days`, with every month that lacks at most WHOLE_MONTH of its days filled up."""
    filled = set(days)
    for month in {month for month, _ in days}:
        month_days = {pair for pair in every_day if pair[0] == month}
        if len(month_days - days) <= WHOLE_MONTH:
            filled |= month_days
    return frozenset(filled)


def dated_lines(times: Iterable[tuple[datetime, str]]) -> list[Line]:
    """Lines for single posts' times (UTC minute, label). Cron has no year: a line runs again on that
    date every year, which costs one run that finds nothing due."""
    by_day: defaultdict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)
    labels: defaultdict[tuple[int, int], set[str]] = defaultdict(set)
    for when, label in times:
        utc = when.astimezone(UTC)
        if utc.second or utc.microsecond:
            utc = utc.replace(second=0, microsecond=0) + timedelta(minutes=1)
        by_day[utc.month, utc.day].add((utc.hour, utc.minute))
        labels[utc.month, utc.day].add(label)
    merged: defaultdict[tuple[int, str, str], list[int]] = defaultdict(list)
    named: defaultdict[tuple[int, str, str], set[str]] = defaultdict(set)
    for (month, day), clocks in sorted(by_day.items()):
        for minute_field, hour_field, _ in clock_fields(clocks):
            merged[month, minute_field, hour_field].append(day)
            named[month, minute_field, hour_field] |= labels[month, day]
    return [
        Line(f"{minutes} {hours} {_ranges(days)} {month} *", ", ".join(sorted(named[month, minutes, hours])))
        for (month, minutes, hours), days in sorted(merged.items(), key=lambda item: (item[0][0], item[1]))
    ]


def _day_fields(days: frozenset[tuple[int, int]], every_day: set[tuple[int, int]]) -> list[tuple[str, str]]:
    """(day-of-month, month) fields whose product holds `days`: whole months share one; months with some
    days share one when that adds at most WHOLE_MONTH days to each (a few runs that find nothing due)."""
    by_month: defaultdict[int, set[int]] = defaultdict(set)
    for month, day in days:
        by_month[month].add(day)
    whole: list[int] = []
    partial: list[tuple[set[int], list[int]]] = []
    for month, numbers in sorted(by_month.items()):
        if numbers == {day for other, day in every_day if other == month}:
            whole.append(month)
            continue
        for shared, months in partial:
            union = shared | numbers
            if len(union - shared) <= WHOLE_MONTH and len(union - numbers) <= WHOLE_MONTH:
                shared |= numbers
                months.append(month)
                break
        else:
            partial.append((set(numbers), [month]))
    fields = [("*", whole)] if whole else []
    fields += [(_ranges(numbers), months) for numbers, months in partial]
    return [
        (day_field, "*" if len(months) == 12 else _ranges(months))
        for day_field, months in sorted(fields, key=lambda item: item[1][0])
    ]


def clock_fields(clocks: Iterable[tuple[int, int]]) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """(minute, hour) fields for a set of (hour, minute): minutes that share their hours share a line."""
    hours_of: defaultdict[int, set[int]] = defaultdict(set)
    for hour, minute in clocks:
        hours_of[minute].add(hour)
    minutes_of: defaultdict[frozenset[int], list[int]] = defaultdict(list)
    for minute, hours in sorted(hours_of.items()):
        minutes_of[frozenset(hours)].append(minute)
    return sorted(
        (
            (_ranges(minutes), _ranges(hours), [(hour, minute) for hour in hours for minute in minutes])
            for hours, minutes in minutes_of.items()
        ),
        key=lambda fields: (min(fields[2]), fields[0]),
    )


def _ranges(numbers: Iterable[int]) -> str:
    """1,2,3,5 -> 1-3,5"""
    ordered = sorted(set(numbers))
    parts = []
    start = previous = ordered[0]
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ",".join(parts)


def _served(pairs: list[tuple[time, timedelta]]) -> str:
    """09:30, 18:30 at UTC+01:00"""
    offsets: defaultdict[timedelta, list[str]] = defaultdict(list)
    for local, offset in pairs:
        offsets[offset].append(f"{local:%H:%M}")
    return "; ".join(
        f"{', '.join(clocks)} at UTC{_offset(offset)}" for offset, clocks in sorted(offsets.items())
    )


def _offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


DAY = 24 * 60
OFF_THE_HOUR = 5
"""Minutes after the hour a run is moved to when it can be: GitHub is busiest at the top of the hour."""


@dataclass(frozen=True, slots=True)
class Window:
    """Minutes `start` to `start + length` (both included) in which some run must start; `label` says
    what for. In `around` on a circle of one day (UTC minutes, wrapping at midnight), else absolute."""

    start: int
    length: int
    label: str

    def holds(self, minute: int, circular: bool = True) -> bool:
        return (
            (minute - self.start) % DAY <= self.length
            if circular
            else 0 <= minute - self.start <= self.length
        )


def stab(windows: Sequence[Window], shift: int = 0) -> list[tuple[int, list[Window]]]:
    """The fewest minutes such that each window holds one, with the windows each serves: the classic
    greedy (the earliest-ending window not held yet gets a run at its end), then each run moved as early
    as all its windows allow, and off minute 0 (GitHub is busiest at the top of the hour; `shift` is
    what to add to a minute to know where the hour starts)."""
    points: list[tuple[int, list[Window]]] = []
    for window in sorted(windows, key=lambda item: (item.start + item.length, item.start, item.label)):
        if points and window.holds(points[-1][0], circular=False):
            points[-1][1].append(window)
        else:
            points.append((window.start + window.length, [window]))
    placed = []
    for _, served in points:
        minute = max(window.start for window in served)
        if (minute + shift) % 60 == 0 and all(
            window.holds(minute + OFF_THE_HOUR, circular=False) for window in served
        ):
            minute += OFF_THE_HOUR
        placed.append((minute, served))
    return placed


def around(windows: Sequence[Window]) -> list[tuple[int, list[Window]]]:
    """`stab` on the circle of a day: the best of cutting the circle at each window's start."""
    best: list[tuple[int, list[Window]]] | None = None
    for cut in sorted({window.start for window in windows}):
        unrolled = {
            Window((window.start - cut) % DAY, window.length, window.label): window for window in windows
        }
        found = [
            ((minute + cut) % DAY, [unrolled[item] for item in served])
            for minute, served in stab(list(unrolled), cut)
        ]
        if best is None or len(found) < len(best):
            best = found
    return sorted(best or [], key=lambda point: point[0])
