"""The publish workflow's schedule: written from config.yml and the posts, and checked against them.

The workflow runs when something is due, not every 15 minutes: a run at each posting slot (and
default_time) in both UTC offsets of the brand's zone, a line for each ready post at another time, a
daily run in the hour `postwright doctor` asks the platforms about the credentials, and, for a brand whose
numbers are read, runs for the readings under a day old that no other run takes in time. `workflow sync`
rewrites only the lines between its two markers; `check` says when a post, slot or reading has no run on
time. The bill is counted as GitHub counts it: every job of every run, each at least a minute.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from postwright import cron
from postwright.config import Config
from postwright.diagnostics import Diagnostic, Span, diag
from postwright.files import replace_file
from postwright.model import Post
from postwright.project import Project

WORKFLOW = Path(".github") / "workflows" / "publish.yml"
BEGIN = "# >>> postwright workflow sync:"
END = "# <<< postwright workflow sync"
DOCTOR_HOUR = 6  # publish.sh's default: the UTC hour whose runs ask the platforms about credentials
GITHUB_DELAY = timedelta(minutes=30)  # how late GitHub may well start a scheduled run

_CRON = re.compile(r"""^\s*-\s*cron:\s*(?P<quote>["']?)(?P<cron>[^"'#]*?)(?P=quote)\s*(?:#.*)?$""")
_DOCTOR_HOUR = re.compile(r"""^\s*DOCTOR_HOUR:\s*["']?(\d{1,2})["']?\s*(?:#.*)?$""", re.M)


class WorkflowError(Exception):
    """The workflow file cannot be read or has no place for the schedule."""


@dataclass(frozen=True, slots=True)
class Synced:
    path: Path
    before: str
    after: str
    lines: tuple[cron.Line, ...]
    job_minutes: int  # in the busiest month of this year and the next (job_minutes)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self, shown: str) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True), self.after.splitlines(keepends=True), shown, shown
            )
        )


def posting_times(config: Config) -> list[time]:
    """The times of day posts go out at unless they say otherwise: the slots and default_time."""
    return sorted({*config.schedule.slots, config.schedule.default_time})


def daily_schedule(
    zone: ZoneInfo,
    times: Iterable[time],
    year: int,
    doctor_hour: int = DOCTOR_HOUR,
    *,
    reads: bool = False,
) -> list[cron.Line]:
    """Every day at the posting times, from `year` on; a run in `doctor_hour` (UTC) unless a posting time
    already runs in it every day; with `reads`, a run for each reading under a day old (1 h and 6 h after
    each time, insights.due.READ_WITHIN) that no posting run takes in time. The runs added are UTC
    minutes, every day, in both offsets, as few as can hold them all, the doctor's among them."""
    times = sorted(set(times))
    daily = cron.daily_lines(zone, times, year)
    runs = {offset: {_utc_minute(local, offset) for local in times} for offset in _offsets(zone, year)}
    doctor = cron.Window(doctor_hour * 60, 59, DOCTOR)
    needed = [] if all(any(doctor.holds(m) for m in minutes) for minutes in runs.values()) else [doctor]
    for offset, minutes in runs.items():
        needed += [
            window
            for window in (_reading_windows(times, offset) if reads else [])
            if not any(window.holds(minute) for minute in minutes)
        ]
    clocks = {divmod(minute, 60): served for minute, served in cron.around(needed)}
    for minute_field, hour_field, group in cron.clock_fields(clocks):
        labels = {window.label for clock in group for window in clocks[clock]}
        line = f"{minute_field} {hour_field} * * *"
        daily.append(cron.Line(line, _reading_comment(labels)))
    return daily


DOCTOR = "in this UTC hour postwright doctor asks the platforms"


def _offsets(zone: ZoneInfo, year: int) -> list[timedelta]:
    """The UTC offsets the zone keeps for whole days in `year` and the next."""
    day, found = date(year, 1, 1), set()
    while day.year < year + 2:
        found.add(datetime.combine(day, time(12), zone).utcoffset() or timedelta())
        day += timedelta(days=1)
    return sorted(found)


def _utc_minute(local: time, offset: timedelta) -> int:
    return int((local.hour * 60 + local.minute) - offset.total_seconds() // 60) % cron.DAY


def _reading_windows(times: Iterable[time], offset: timedelta) -> list[cron.Window]:
    """When, in UTC minutes of the day, each reading under a day old may be taken at this offset."""
    from postwright.insights.due import READ_AFTER, READ_WITHIN

    return [
        cron.Window(
            (_utc_minute(local, offset) + _minutes(age + READ_AFTER)) % cron.DAY,
            _minutes(within - READ_AFTER),
            f"{_minutes(age) // 60} h after {local:%H:%M}",
        )
        for local in times
        for age, within in READ_WITHIN.items()
    ]


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _reading_comment(labels: set[str]) -> str:
    """reads the numbers 1 h after 09:30, 6 h after 13:00; in this UTC hour postwright doctor asks …"""
    readings = sorted(labels - {DOCTOR}, key=lambda label: (int(label.split()[0]), label))
    said = [f"reads the numbers {', '.join(readings)}"] if readings else []
    return "; ".join(said + ([DOCTOR] if DOCTOR in labels else []))


def schedule_lines(
    config: Config, posts: Iterable[Post], now: datetime, *, doctor_hour: int = DOCTOR_HOUR
) -> list[cron.Line]:
    """The daily schedule; a line for each ready post still to come that it does not run on time for,
    and, when the brand's numbers are read, for each of such a post's readings under a day old."""
    readers = reading_accounts(config)
    times = posting_times(config)
    year = now.astimezone(config.zone).year
    daily = daily_schedule(config.zone, times, year, doctor_hour, reads=bool(readers))
    runs = cron.Runs([cron.parse(line.cron) for line in daily])
    pending = [
        (when, post)
        for post in posts
        if not post.draft
        for when in sorted(set(post.publish_at_by_account.values()) or {post.publish_at})
        if when > now
    ]
    dated = cron.dated_lines(
        (when, f"{post.id} at {when.astimezone(config.zone):%Y-%m-%d %H:%M}")
        for when, post in pending
        if not runs.on_time(when)
    )
    runs = cron.Runs([cron.parse(line.cron) for line in [*daily, *dated]])
    read = [(when, post) for when, post in pending if readers & set(post.publish_at_by_account)]
    return daily + dated + _dated_readings(runs, read)


def reading_accounts(config: Config) -> set[str]:
    """The accounts whose numbers `metrics pull` reads: through the API, on a platform with a reader."""
    from postwright.platforms import PLATFORMS

    return {
        name
        for name, account in config.accounts.items()
        if account.deliver == "api" and PLATFORMS[account.platform].metrics is not None
    }


def _dated_readings(runs: cron.Runs, posts: Iterable[tuple[datetime, Post]]) -> list[cron.Line]:
    """Lines for the readings under a day old of posts off the slots that no other run takes in time."""
    from postwright.insights.due import READ_AFTER, READ_WITHIN

    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    windows = [
        cron.Window(_minutes(start - epoch), _minutes(within - READ_AFTER), post.id)
        for when, post in posts
        for age, within in READ_WITHIN.items()
        if runs.first(start := when.astimezone(UTC) + age + READ_AFTER, when.astimezone(UTC) + age + within)
        is None
    ]
    return cron.dated_lines(
        (
            epoch + timedelta(minutes=minute),
            "reads the numbers of " + ", ".join(sorted({w.label for w in served})),
        )
        for minute, served in cron.stab(windows)
    )


def block(lines: Iterable[cron.Line], zone: str, indent: str) -> list[str]:
    """The marked lines of the `schedule:` list."""
    head = [
        f"{BEGIN} written from config.yml (brand.timezone, schedule.slots,",
        "# default_time, accounts) and the posts: after changing those, run `postwright workflow sync`.",
        f"# UTC, for {zone}: a line per UTC offset, in the months and days it applies. Around a",
        "# daylight-saving change both run; the one at the other offset finds nothing due and ends at once.",
        "# A line for one post's date runs again on that date every year, finding nothing due. The runs",
        "# that read the numbers (accounts read through an API) are the same UTC minutes all year.",
    ]
    body = [f'- cron: "{line.cron}" # {line.comment}' for line in lines]
    return [indent + text for text in [*head, *body, END]]


def sync(project: Project, config: Config, posts: Iterable[Post], now: datetime) -> Synced:
    """The workflow file with its schedule block rewritten (nothing is written: see `write`)."""
    path = project.root / WORKFLOW
    try:
        before = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise WorkflowError(
            f"no {WORKFLOW.as_posix()}: copy it from a brand made with `postwright init` (docs/publishing.md)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise WorkflowError(f"cannot read {WORKFLOW.as_posix()}: {error}") from None
    found = _DOCTOR_HOUR.search(before)
    doctor_hour = int(found[1]) if found and int(found[1]) < 24 else DOCTOR_HOUR
    lines = schedule_lines(config, posts, now, doctor_hour=doctor_hour)
    after = replace_schedule(before, lines, config.brand.timezone)
    parsed = [cron.parse(line.cron) for line in lines]
    return Synced(path, before, after, tuple(lines), job_minutes(parsed, len(jobs(after)), now.year))


def jobs(text: str) -> list[str]:
    """The names of a workflow file's jobs: the keys one level in under `jobs:`."""
    rows = text.replace("\r\n", "\n").split("\n")
    start = next((n + 1 for n, row in enumerate(rows) if re.fullmatch(r"jobs:\s*(#.*)?", row)), len(rows))
    found, indent = [], None
    for row in rows[start:]:
        if not row.strip() or row.lstrip().startswith("#"):
            continue
        if not row.startswith(" "):
            break
        depth = _indent(row)
        indent = depth if indent is None else indent
        if depth == indent and (key := re.match(r"\s*([\w-]+):", row)):
            found.append(key[1])
    return found


def job_minutes(lines: Sequence[cron.Cron], jobs_per_run: int, year: int) -> int:
    """The bill of the busiest month of `year` and the next: every job of every run counts (a job skipped
    by its `if:` would not, so this is an upper bound), each as one minute, what GitHub bills a job that
    ends within a minute (it rounds each job up to a whole minute)."""
    return jobs_per_run * max(cron.runs_in_month(lines, y, m) for y in (year, year + 1) for m in range(1, 13))


def replace_schedule(text: str, lines: list[cron.Line], zone: str) -> str:
    """`text` with the marked block (else the `schedule:` under `on:`, else a new one) holding `lines`."""
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = text.replace("\r\n", "\n").split("\n")
    begin = next((n for n, row in enumerate(rows) if row.strip().startswith(BEGIN)), None)
    end = next((n for n, row in enumerate(rows) if row.strip() == END), None)
    if begin is not None and end is not None and begin < end:
        indent = rows[begin][: len(rows[begin]) - len(rows[begin].lstrip())]
        rows[begin : end + 1] = block(lines, zone, indent)
        return newline.join(rows)
    on = next((n for n, row in enumerate(rows) if re.fullmatch(r"""(on|"on"|'on'):\s*(#.*)?""", row)), None)
    if on is None:
        raise WorkflowError(
            f"{WORKFLOW.as_posix()} has no `on:` line at the start of a line to put the schedule under"
        )
    children = [
        n for n in range(on + 1, len(rows)) if rows[n].strip() and not rows[n].lstrip().startswith("#")
    ]
    child_indent = _indent(rows[children[0]]) if children and _indent(rows[children[0]]) else 2
    key = next(
        (
            n
            for n in children
            if _indent(rows[n]) == child_indent and re.fullmatch(r"schedule:\s*(#.*)?", rows[n].strip())
        ),
        None,
    )
    if key is None:  # no schedule yet: the first trigger under `on:`
        rows[on + 1 : on + 1] = [
            " " * child_indent + "schedule:",
            *block(lines, zone, " " * (child_indent + 2)),
        ]
        return newline.join(rows)
    last = key
    for n in range(key + 1, len(rows)):
        row = rows[n]
        if not row.strip():
            continue
        if _indent(row) > child_indent or (_indent(row) == child_indent and row.lstrip().startswith("- ")):
            last = n
            continue
        break
    rows[key + 1 : last + 1] = block(lines, zone, " " * (child_indent + 2))
    return newline.join(rows)


def _indent(row: str) -> int:
    return len(row) - len(row.lstrip(" "))


def write(synced: Synced) -> None:
    """Replace the file in one step, with its mode: a crash leaves the old file or the new, never half."""
    replace_file(synced.path, synced.after.encode("utf-8"))


# check ---------------------------------------------------------------------------------------------

HINT = "run `postwright workflow sync` and commit .github/workflows/publish.yml"


def problems(project: Project, config: Config, posts: Iterable[Post], now: datetime) -> list[Diagnostic]:
    """Ready posts still to come, and posting times, that the workflow's schedule does not run on time
    for. No workflow file: nothing to say (the brand publishes some other way)."""
    path = project.root / WORKFLOW
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    shown = project.shown(path)
    lines, unreadable = [], []
    for number, row in enumerate(text.splitlines(), start=1):
        if match := _CRON.match(row):
            try:
                lines.append(cron.parse(match["cron"]))
            except cron.CronError as error:
                unreadable.append(
                    diag(
                        "PW094",
                        Span(shown, number, row.index("cron") + 1),
                        f"cannot read this cron line: {error}; the schedule was not checked against posts",
                        hint="write five fields: minute hour day-of-month month day-of-week (UTC), or "
                        + HINT,
                    )
                )
    if unreadable:
        return unreadable
    runs = cron.Runs(lines)
    return [
        *_grace_too_short(project, config),
        *_posts_late(runs, config, posts, now),
        *_slots_late(project, runs, config, now),
        *_readings_late(project, runs, config, now),
    ]


def _posts_late(runs: cron.Runs, config: Config, posts: Iterable[Post], now: datetime) -> list[Diagnostic]:
    grace = config.schedule.grace
    found = []
    for post in posts:
        if post.draft:
            continue
        for when, key in sorted(
            {(when, _date_key(config, post, account)) for account, when in post.publish_at_by_account.items()}
        ):
            if when <= now or runs.on_time(when):
                continue
            span = post.spans.get(key) or post.spans.get(("date",)) or Span(post.source)
            local = when.astimezone(config.zone)
            utc = when.astimezone(UTC)
            first = runs.first(when, when + min(grace, timedelta(days=366)))
            said = f"{local:%Y-%m-%d %H:%M} ({utc:%H:%M} UTC)"
            if first is None:
                found.append(
                    diag(
                        "PW090",
                        span,
                        f"post {post.id} would be missed: .github/workflows/publish.yml has no run from "
                        f"{said} to the end of schedule.grace ({_duration(grace)})",
                        hint=HINT + f" (it adds a run at {utc:%H:%M} UTC on {utc:%d %B})",
                    )
                )
            else:
                found.append(
                    diag(
                        "PW091",
                        span,
                        f"post {post.id} would go out {_duration(first - when)} late: the first run of "
                        f".github/workflows/publish.yml after {said} is at {first:%H:%M} UTC",
                        hint=HINT + f" (it adds a run at {utc:%H:%M} UTC on {utc:%d %B})",
                    )
                )
    return found


def _date_key(config: Config, post: Post, account: str) -> tuple[str, ...]:
    """Where the account's time comes from: its override's date, its platform's, or date:."""
    for key in (account, config.accounts[account].platform):
        if "date" in post.overrides.get(key, {}):
            return ("overrides", key, "date")
    return ("date",)


def _slots_late(project: Project, runs: cron.Runs, config: Config, now: datetime) -> list[Diagnostic]:
    """Each posting time, on every day of the coming year, needs a run on time."""
    zone = config.zone
    today = now.astimezone(zone).date()
    found = []
    for local in posting_times(config):
        for offset in range(367):
            naive = datetime.combine(today + timedelta(days=offset), local)
            when = naive.replace(tzinfo=zone)
            if when <= now or when.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
                continue  # past, or skipped by a daylight-saving change
            if runs.on_time(when):
                continue
            utc = when.astimezone(UTC)
            found.append(
                diag(
                    "PW092",
                    _slot_span(project, config, local),
                    f"posts at {local:%H:%M} would go out late or be missed: .github/workflows/publish.yml "
                    f"has no run from {utc:%H:%M} UTC to {utc + cron.ON_TIME:%H:%M} UTC on {naive:%Y-%m-%d}",
                    hint=HINT,
                )
            )
            break
    return found


def _readings_late(project: Project, runs: cron.Runs, config: Config, now: datetime) -> list[Diagnostic]:
    """When an account's numbers are read: each reading under a day old of a posting time, on every day
    of the coming year, needs a run within its tolerance (insights.due.READ_WITHIN)."""
    if not reading_accounts(config):
        return []
    from postwright.insights.due import READ_AFTER, READ_WITHIN  # only for brands whose numbers are read

    found = []
    for local in posting_times(config):
        for age, within in READ_WITHIN.items():
            day = _first_late_reading(runs, config.zone, local, age, within, now)
            if day is None:
                continue
            message = (
                f"the {_minutes(age) // 60} h reading of posts at {local:%H:%M} would be late or lost: "
                f".github/workflows/publish.yml has no run from {_duration(age + READ_AFTER)} to "
                f"{_duration(age + within)} after it on {day:%Y-%m-%d} (`metrics pull`)"
            )
            found.append(diag("PW095", _slot_span(project, config, local), message, hint=HINT))
    return found


def _first_late_reading(
    runs: cron.Runs, zone: ZoneInfo, local: time, age: timedelta, within: timedelta, now: datetime
) -> date | None:
    """The first day of the coming year whose post at `local` would have no run for its reading."""
    from postwright.insights.due import READ_AFTER

    today = now.astimezone(zone).date()
    for offset in range(367):
        naive = datetime.combine(today + timedelta(days=offset), local)
        when = naive.replace(tzinfo=zone).astimezone(UTC)
        if when <= now or when.astimezone(zone).replace(tzinfo=None) != naive:
            continue  # past, or skipped by a daylight-saving change
        if runs.first(when + age + READ_AFTER, when + age + within) is None:
            return naive.date()
    return None


def _slot_span(project: Project, config: Config, local: time) -> Span:
    """The line of config.yml that names the posting time."""
    if local in config.schedule.slots:
        return _config_span(project, ("schedule", "slots", config.schedule.slots.index(local)))
    return _config_span(project, ("schedule", "default_time"))


def _config_span(project: Project, key: tuple[str | int, ...]) -> Span:
    """Where a key of config.yml is: read again only when there is something to say about it."""
    from postwright.yamlpos import load_yaml

    shown = project.shown(project.config_path)
    try:
        document, _ = load_yaml(project.config_path.read_text(encoding="utf-8"), shown)
    except (OSError, UnicodeDecodeError):
        return Span(shown)
    return Span(shown) if document is None else document.span(key)


def _grace_too_short(project: Project, config: Config) -> list[Diagnostic]:
    grace = config.schedule.grace
    if grace >= GITHUB_DELAY:
        return []
    return [
        diag(
            "PW093",
            _config_span(project, ("schedule", "grace")),
            f"schedule.grace is {_duration(grace)}, but GitHub often starts scheduled runs 5-20 minutes late "
            "and more at busy times: posts would be missed",
            hint=f"allow at least {_duration(GITHUB_DELAY)} (e.g. grace: 1h)",
        )
    ]


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 48 * 60:
        return f"{minutes // (24 * 60)} days"
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes} minutes"
