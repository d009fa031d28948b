"""Cron lines: read as GitHub reads them, and written to run at a brand's posting times in both UTC
offsets of its zone, few of them, for a bill within the free plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from postwright import cron
from postwright.insights.due import READ_AFTER, READ_WITHIN
from postwright.workflow import DOCTOR, WORKFLOW, daily_schedule, job_minutes, jobs

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


LAYOUTS = {
    "spread over the day": FIVE_SLOTS,
    "office hours": [time(9, 0), time(11, 0), time(13, 0), time(15, 0), time(17, 0)],
    "around the clock": [time(0, 0), time(4, 48), time(9, 36), time(14, 24), time(19, 12)],
}
REPOSITORY_WORKFLOW = Path(__file__).resolve().parent.parent / WORKFLOW


def bill(zone: ZoneInfo, times: list[time], jobs_per_run: int) -> int:
    """Job-minutes in the busiest month of 2026-2028: every job of every run, each at least a minute."""
    lines = [cron.parse(line.cron) for line in daily_schedule(zone, times, 2026, reads=True)]
    return max(job_minutes(lines, jobs_per_run, year) for year in (2026, 2027))


@pytest.mark.parametrize("name", ZONES)
def test_five_posts_a_day_and_their_readings_cost_at_most_300_job_minutes_in_any_month(name):
    """Issue 22: every 15 minutes was 2,976 runs in a 31-day month; GitHub bills each job of a run as at
    least one minute, and the free plan for private repositories has 2,000 a month. The bill counts the
    jobs of the repository's own publish.yml, with the runs for the 1 h and 6 h readings."""
    jobs_per_run = len(jobs(REPOSITORY_WORKFLOW.read_text(encoding="utf-8")))
    for layout, times in LAYOUTS.items():
        busiest = bill(ZoneInfo(name), times, jobs_per_run)
        assert 5 * 31 <= busiest <= 300, (layout, busiest)  # every posting time, every day
    # the three jobs publish, metrics and engagement, as publish.yml had them, would not fit
    assert bill(ZoneInfo(name), FIVE_SLOTS, 3) > 300
    assert cron.runs_in_month([cron.parse("*/15 * * * *")], 2026, 12) == 2976
    lines = [line.cron for line in daily_schedule(ZoneInfo(name), FIVE_SLOTS, 2026, reads=True)]
    # few lines: times grouped by minute and hour, days by month: at most 4 sets of days (2 per offset)
    assert len(lines) <= 4 * len({slot.minute for slot in FIVE_SLOTS}) + 3, lines


@pytest.mark.parametrize("name", ZONES)
def test_each_reading_under_a_day_old_is_taken_within_its_tolerance_on_every_day(name):
    """The 1 h reading from 1 h 15 min to 5 h after the post, the 6 h one from 6 h 15 min to 12 h
    (insights.due.READ_WITHIN), through both daylight-saving changes of three years."""
    zone = ZoneInfo(name)
    for times in LAYOUTS.values():
        runs = cron.Runs([cron.parse(line.cron) for line in daily_schedule(zone, times, 2026, reads=True)])
        late = [
            (when, age)
            for when in every_day(zone, times, date(2026, 1, 1), 3 * 366)
            for age, within in READ_WITHIN.items()
            if runs.first((utc := when.astimezone(UTC)) + age + READ_AFTER, utc + age + within) is None
        ]
        assert late == []


def test_reading_runs_reuse_posting_runs_and_the_doctor_s():
    """Madrid at five slots: two runs a day more than the slots, one of them the credentials check's;
    each as early as its readings allow, never on the hour."""
    lines = daily_schedule(ZoneInfo("Europe/Madrid"), FIVE_SLOTS, 2026, reads=True)
    added = [(line.cron, line.comment) for line in lines if line.cron.endswith("* * *")]
    assert added == [
        (
            "5 6,22 * * *",
            "reads the numbers 1 h after 19:30, 6 h after 16:45, 6 h after 19:30; " + DOCTOR,
        ),
        ("45 23 * * *", "reads the numbers 6 h after 19:30"),
    ]
    # without readings (no account is read through an API): the slots and the credentials check alone
    assert [line.cron for line in daily_schedule(ZoneInfo("Europe/Madrid"), FIVE_SLOTS, 2026)][-1] == (
        "5 6 * * *"
    )
    # a slot 1 h 15 min after another takes its 1 h reading; one run holds the credentials check, a 1 h
    # and a 6 h reading
    tokyo = daily_schedule(ZoneInfo("Asia/Tokyo"), [time(9, 0), time(10, 15)], 2026, reads=True)
    assert [(line.cron, line.comment) for line in tokyo] == [
        ("0 0 * * *", "09:00 at UTC+09:00"),
        ("15 1 * * *", "10:15 at UTC+09:00"),
        ("15 6 * * *", "reads the numbers 1 h after 10:15, 6 h after 09:00; " + DOCTOR),
        ("30 7 * * *", "reads the numbers 6 h after 10:15"),
    ]


def test_stab_finds_the_fewest_runs_on_a_circle_of_a_day():
    windows = [
        cron.Window(23 * 60, 120, "across midnight"),
        cron.Window(30, 60, "after midnight"),
        cron.Window(12 * 60, 30, "noon"),
        cron.Window(12 * 60 + 15, 30, "a bit later"),
    ]
    found = cron.around(windows)
    assert [(minute, sorted(w.label for w in served)) for minute, served in found] == [
        (30, ["across midnight", "after midnight"]),  # as early as both allow
        (12 * 60 + 15, ["a bit later", "noon"]),
    ]
    doctor = cron.Window(6 * 60, 59, "doctor")
    assert cron.around([doctor]) == [(6 * 60 + 5, [doctor])]  # off the top of the hour


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
