"""The publish workflow's schedule: written from config.yml and the posts, and checked against them.

The workflow runs when something is due, not every 15 minutes: a run at each posting slot (and
default_time) in both UTC offsets of the brand's zone, a line for each ready post at another time, and a
daily run in the hour `postwright doctor` asks the platforms about the credentials. `workflow sync`
rewrites only the lines between its two markers; `check` says when a post or slot has no run on time.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
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
DOCTOR_MINUTE = 5  # not on the hour, when GitHub is busiest
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
    runs_per_month: int  # in the busiest month of the next year: about the job-minutes GitHub bills

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
    zone: ZoneInfo, times: Iterable[time], year: int, doctor_hour: int = DOCTOR_HOUR
) -> list[cron.Line]:
    """Every day at the posting times, from `year` on; and a run in `doctor_hour` (UTC) unless a posting
    time already runs in it every day."""
    daily = cron.daily_lines(zone, times, year)
    if not any(_every_day_in(cron.parse(line.cron), doctor_hour) for line in daily):
        daily.append(
            cron.Line(
                f"{DOCTOR_MINUTE} {doctor_hour} * * *",
                "in this UTC hour postwright doctor asks the platforms",
            )
        )
    return daily


def schedule_lines(
    config: Config, posts: Iterable[Post], now: datetime, *, doctor_hour: int = DOCTOR_HOUR
) -> list[cron.Line]:
    """The daily schedule, and a line for each ready post still to come that it does not run on time for."""
    daily = daily_schedule(config.zone, posting_times(config), now.astimezone(config.zone).year, doctor_hour)
    runs = cron.Runs([cron.parse(line.cron) for line in daily])
    pending = [
        (when, f"{post.id} at {when.astimezone(config.zone):%Y-%m-%d %H:%M}")
        for post in posts
        if not post.draft
        for when in sorted(set(post.publish_at_by_account.values()) or {post.publish_at})
        if when > now and not runs.on_time(when)
    ]
    return daily + cron.dated_lines(pending)


def _every_day_in(line: cron.Cron, hour: int) -> bool:
    return hour in line.hours and line.any_day and line.any_weekday and len(line.months) == 12


def block(lines: Iterable[cron.Line], zone: str, indent: str) -> list[str]:
    """The marked lines of the `schedule:` list."""
    head = [
        f"{BEGIN} written from config.yml (brand.timezone, schedule.slots,",
        "# default_time) and the posts: after changing those, run `postwright workflow sync`.",
        f"# UTC, for {zone}: a line per UTC offset, in the months and days it applies. Around a",
        "# daylight-saving change both run; the one at the other offset finds nothing due and ends at once.",
        "# A line for one post's date runs again on that date every year, finding nothing due.",
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
    year = now.astimezone(UTC).year
    busiest = max(cron.runs_in_month(parsed, y, m) for y in (year, year + 1) for m in range(1, 13))
    return Synced(path, before, after, tuple(lines), busiest)


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
