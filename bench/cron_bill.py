"""The scheduled workflow's bill (issue 22: at most 300 job-minutes a month for a brand posting 5 times a
day, nothing published late, the 1 h and 6 h readings taken): the schedule `postwright workflow sync`
writes, counted the way GitHub bills it, side by side with what it replaced.

GitHub rounds every job of every run up to a whole minute, so a month's bill is at least the sum over its
runs of the jobs that run. Each row is the busiest month of 2026-2027 for five slots in one time zone; the
figures are counts of the cron lines (postwright.cron), not timings, and the same on every machine.

    python bench/cron_bill.py

Columns:
- every 15 min: the schedule before issue 22, one job a run.
- slots, 3 jobs: runs at the slots and the credentials check, with the jobs publish, metrics and
  engagement that publish.yml had (every run paid 3 minutes), and no run for the 1 h and 6 h readings.
- slots + readings, 3 jobs: the same jobs with the runs for the readings.
- slots + readings, 1 job: what publish.yml has now (its jobs are counted from the file).
- runs a day: how many the last column starts on an ordinary day; worst 1 h / 6 h: the latest age, over
  every post of a year, at which its 1 h and 6 h readings are taken.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from postwright import cron  # noqa: E402
from postwright.insights.due import READ_AFTER, READ_WITHIN  # noqa: E402
from postwright.workflow import WORKFLOW, daily_schedule, job_minutes, jobs  # noqa: E402

LAYOUTS = {
    "spread": [time(8, 0), time(10, 30), time(13, 0), time(16, 45), time(19, 30)],
    "office": [time(9, 0), time(11, 0), time(13, 0), time(15, 0), time(17, 0)],
    "24 h": [time(0, 0), time(4, 48), time(9, 36), time(14, 24), time(19, 12)],
}
ZONES = ("Europe/Madrid", "America/New_York", "Australia/Sydney", "Asia/Kolkata")


def busiest(lines: list[cron.Line], jobs_per_run: int) -> int:
    parsed = [cron.parse(line.cron) for line in lines]
    return max(job_minutes(parsed, jobs_per_run, year) for year in (2026, 2027))


def worst_reading(lines: list[cron.Line], zone: ZoneInfo, times: list[time]) -> list[str]:
    """The latest age at which each reading under a day old is taken, over the posts of 2026."""
    runs = cron.Runs([cron.parse(line.cron) for line in lines])
    worst = dict.fromkeys(READ_WITHIN, timedelta())
    for offset in range(365):
        for clock in times:
            sent = datetime.combine(date(2026, 1, 1) + timedelta(days=offset), clock, zone).astimezone(UTC)
            for age, within in READ_WITHIN.items():
                taken = runs.first(sent + age + READ_AFTER, sent + age + within)
                worst[age] = max(worst[age], (taken - sent) if taken else timedelta(days=1))
    return [
        f"{int(value.total_seconds() // 3600)}h{int(value.total_seconds() // 60 % 60):02d}"
        for value in worst.values()
    ]


def main() -> None:
    ours = len(jobs((HERE.parent / WORKFLOW).read_text(encoding="utf-8")))
    every = cron.runs_in_month([cron.parse("*/15 * * * *")], 2026, 12)
    print(f"publish.yml has {ours} job(s); job-minutes in the busiest month (budget 300)")
    header = ("zone", "slots", "every 15 min", "slots, 3 jobs", "+ readings, 3 jobs", "+ readings, 1 job")
    print(f"{header[0]:<18} {header[1]:<7} " + " ".join(f"{title:>19}" for title in header[2:]), end="")
    print(f" {'runs a day':>10} {'worst 1 h / 6 h':>16}")
    for name in ZONES:
        zone = ZoneInfo(name)
        for layout, times in LAYOUTS.items():
            plain = daily_schedule(zone, times, 2026)
            reading = daily_schedule(zone, times, 2026, reads=True)
            figures = (every, busiest(plain, 3), busiest(reading, 3), busiest(reading, ours))
            per_day = len(cron.Runs([cron.parse(line.cron) for line in reading]).minutes(date(2026, 6, 10)))
            worst = " / ".join(worst_reading(reading, zone, times))
            print(f"{name:<18} {layout:<7} " + " ".join(f"{figure:>19}" for figure in figures), end="")
            print(f" {per_day:>10} {worst:>16}")


if __name__ == "__main__":
    main()
