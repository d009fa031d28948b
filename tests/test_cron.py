"""Cron lines: read as GitHub reads them, and written to run at a brand's posting times in both UTC
offsets of its zone, few of them, for a bill within the free plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from postwright import cron
from postwright.workflow import daily_schedule

FIVE_SLOTS = [time(8, 0), time(10, 30), time(13, 0), time(16, 45), time(19, 30)]
ZONES = [
    "Europe/Madrid",
    "America/New_York",
    "Australia/Sydney",  # daylight saving in the southern summer
    "Australia/Lord_Howe",  # a 30-minute change
    "Europe/Dublin",  # "negative" daylight saving in the time zone database
    "America/Sao_Paulo",  # daylight saving abolished in 2019: one offset
    "Asia/Kolkata",
    "UTC",
]


def test_parse_reads_github_s_five_fields():
    line = cron.parse("*/20 8-10,17 1,15 jan-mar MON-fri")
    assert line.minutes == {0, 20, 40}
    assert line.hours == {8, 9, 10, 17}
    assert line.days == {1, 15} and line.months == {1, 2, 3} and line.weekdays == {1, 2, 3, 4, 5}
    assert cron.parse("0 0 * * 7").weekdays == {0}  # 7 is Sunday too
    assert cron.parse("5/15 * * * *").minutes == {5, 20, 35, 50}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("*/15 * * *", "has 4 fields"),
        ("60 * * * *", "outside 0-59"),
        ("0 24 * * *", "outside 0-23"),
        ("0 0 0 * *", "outside 1-31"),
        ("0 0 * 13 *", "outside 1-12"),
        ("0 0 * * moonday", "not a number"),
        ("*/0 * * * *", "outside 0-59"),
        ("5-1 * * * *", "outside 0-59"),
    ],
)
def test_parse_says_what_is_wrong(text, problem):
    with pytest.raises(cron.CronError, match=problem):
        cron.parse(text)


def test_day_of_month_and_weekday_both_restricted_match_either():
    runs = cron.Runs([cron.parse("0 9 1 * mon")])
    # 2026-12-01 is a Tuesday (the 1st), 2026-12-07 a Monday
    assert runs.first(datetime(2026, 11, 30, 10, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)) == datetime(
        2026, 12, 1, 9, tzinfo=UTC
    )
    assert runs.first(datetime(2026, 12, 1, 10, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)) == datetime(
        2026, 12, 7, 9, tzinfo=UTC
    )
    only_mondays = cron.Runs([cron.parse("0 9 * * mon")])
    assert only_mondays.first(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 6, tzinfo=UTC)) is None


def test_first_run_starts_on_a_whole_minute_and_stops_at_the_end():
    runs = cron.Runs([cron.parse("30 9 * * *")])
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert runs.first(at, at) == at
    assert runs.first(at + timedelta(seconds=1), at + timedelta(hours=23)) is None
    assert runs.first(at + timedelta(seconds=1), at + timedelta(days=1)) == at + timedelta(days=1)
    assert runs.on_time(at - cron.ON_TIME) and not runs.on_time(at - cron.ON_TIME - timedelta(minutes=1))


def every_day(zone: ZoneInfo, times: list[time], first: date, days: int):
    """Each posting time on each day, where it exists (a daylight-saving change may skip it)."""
    for offset in range(days):
        for clock in times:
            naive = datetime.combine(first + timedelta(days=offset), clock)
            when = naive.replace(tzinfo=zone)
            if when.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
                yield when


@pytest.mark.parametrize("name", ZONES)
def test_daily_lines_run_at_each_posting_time_on_every_day_in_both_offsets(name):
    zone = ZoneInfo(name)
    times = [*FIVE_SLOTS, time(0, 15), time(23, 50)]  # times whose UTC date is the day before or after
    runs = cron.Runs([cron.parse(line.cron) for line in cron.daily_lines(zone, times, 2026)])
    late = [
        when for when in every_day(zone, times, date(2026, 1, 1), 3 * 366) if runs.first(when, when) != when
    ]
    assert late == []


@pytest.mark.parametrize("name", ZONES)
def test_five_posts_a_day_cost_at_most_300_job_minutes_in_any_month(name):
    """Issue 22: every 15 minutes was 2,976 runs in a 31-day month; GitHub bills a run that finds
    nothing due as one minute, and the free plan for private repositories has 2,000 a month."""
    lines = [cron.parse(line.cron) for line in daily_schedule(ZoneInfo(name), FIVE_SLOTS, 2026)]
    months = [(year, month) for year in (2026, 2027, 2028) for month in range(1, 13)]
    busiest = max(cron.runs_in_month(lines, year, month) for year, month in months)
    assert busiest <= 300, busiest
    assert busiest >= 5 * 31  # every posting time, every day
    assert cron.runs_in_month([cron.parse("*/15 * * * *")], 2026, 12) == 2976
    # few lines: times grouped by minute and hour, days by month: at most 4 sets of days (2 per offset)
    assert len(lines) <= 4 * len({slot.minute for slot in FIVE_SLOTS}) + 1, [line.text for line in lines]


def test_a_zone_with_daylight_saving_has_one_set_of_lines_per_offset_in_its_months():
    lines = daily_schedule(ZoneInfo("Europe/Madrid"), [time(9, 30), time(13, 0), time(18, 30)], 2026)
    assert [(line.cron, line.comment) for line in lines] == [
        ("30 8,17 * 1-3,11-12 *", "09:30, 18:30 at UTC+01:00"),
        ("0 12 * 1-3,11-12 *", "13:00 at UTC+01:00"),
        ("30 8,17 25-31 10 *", "09:30, 18:30 at UTC+01:00"),  # winter time starts on October's last Sunday
        ("0 12 25-31 10 *", "13:00 at UTC+01:00"),
        ("30 7,16 25-31 3 *", "09:30, 18:30 at UTC+02:00"),  # summer time starts on March's last Sunday
        ("0 11 25-31 3 *", "13:00 at UTC+02:00"),
        ("30 7,16 * 4-10 *", "09:30, 18:30 at UTC+02:00"),
        ("0 11 * 4-10 *", "13:00 at UTC+02:00"),
        ("5 6 * * *", "in this UTC hour postwright doctor asks the platforms"),
    ]
    tokyo = daily_schedule(ZoneInfo("Asia/Tokyo"), [time(12, 0), time(9, 0)], 2026)
    assert [line.cron for line in tokyo] == ["0 0,3 * * *", "5 6 * * *"]
    assert [line.cron for line in daily_schedule(ZoneInfo("Asia/Tokyo"), [time(15, 0)], 2026)] == [
        "0 6 * * *"  # the credentials check already has a run in its hour every day
    ]


def test_dated_lines_run_once_at_each_post_s_minute():
    madrid = ZoneInfo("Europe/Madrid")
    posts = [
        (datetime(2027, 1, 1, 12, 0, tzinfo=madrid), "new-year"),
        (datetime(2027, 1, 3, 12, 0, tzinfo=madrid), "reyes"),
        (datetime(2027, 7, 3, 10, 15, 30, tzinfo=madrid), "summer"),  # seconds: the next minute
    ]
    lines = cron.dated_lines(posts)
    assert [(line.cron, line.comment) for line in lines] == [
        ("0 11 1,3 1 *", "new-year, reyes"),
        ("16 8 3 7 *", "summer"),
    ]
    runs = cron.Runs([cron.parse(line.cron) for line in lines])
    assert all(runs.on_time(when) for when, _ in posts)
    assert cron.runs_in_month([cron.parse(line.cron) for line in lines], 2027, 1) == 2
