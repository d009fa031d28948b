"""The `postwright` command line (also `python build.py`): parse → call a stage → report → exit.

Each command imports the stages it uses when it runs: loading them all costs ~0.3 s, more than a build
with nothing to do takes (that answers from postwright.cache.stamp alone).
"""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
import traceback
from collections import Counter
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import click

from postwright import __version__
from postwright.cache import stamp
from postwright.console import FORMATTERS, ExitStatus, count_line, format_human, json_text
from postwright.credentials import CredentialsError, redact
from postwright.diagnostics import Severity, has_errors, printable
from postwright.files import DISK_FULL
from postwright.options import (
    at_option,
    base_url_option,
    dry_run_option,
    format_option,
    only_account_option,
    publish_folder_option,
    strict_option,
)
from postwright.project import Project

if TYPE_CHECKING:
    from postwright.config import Preview
    from postwright.engagement.pull import Pulled
    from postwright.preview import PreviewError
    from postwright.status import PlanItem


def _platform_list(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    from postwright.platforms import PLATFORMS

    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in PLATFORMS]
    if unknown:
        raise click.BadParameter(f"unknown platform(s) {', '.join(unknown)}; known: {', '.join(PLATFORMS)}")
    return names


def _time_zone(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """An IANA name, checked before anything is written: a typo would put every post at the wrong time."""
    from postwright.schema import did_you_mean, time_zones

    if value not in time_zones():
        raise click.BadParameter(
            f"unknown time zone '{value}'{did_you_mean(value, time_zones())}; "
            "use an IANA name such as Europe/Madrid or America/New_York"
        )
    return value


def _action(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from postwright.scaffold import action_problem

    if value is not None and (problem := action_problem(value)):
        raise click.BadParameter(problem)
    return value


class _PlatformChoice(click.Choice):
    """click.Choice over the platforms' names, looked up when help is shown or a value checked: the
    platform modules (~0.1 s to import) are for the commands that use them."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from postwright.platforms import PLATFORMS

        return tuple(PLATFORMS)

    @choices.setter
    def choices(self, _names: object) -> None:  # click.Choice.__init__ sets it; the names are looked up
        pass


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "-C",
    "--project",
    "project_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The brand repository to work on.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(__version__, prog_name="postwright")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path, debug: bool) -> None:
    """Run a brand's social media from a git repository.

    \b
    Example:
      postwright check                     # check config.yml and every post
      postwright -C ../other-brand check   # the same for another repository
    """
    ctx.obj = Project(project_dir.resolve())
    ctx.meta["debug"] = debug
    if os.environ.get("NO_COLOR"):  # https://no-color.org: set and not empty; click colours only terminals
        ctx.color = False


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@format_option(*FORMATTERS)
@strict_option
@at_option()
@click.pass_obj
def check(
    project: Project, paths: tuple[Path, ...], output_format: str, strict: bool, at_text: str | None
) -> None:
    """Check config.yml and posts; report every problem with its file and line.

    PATHS limit the report to those files or folders (config.yml problems are always shown).
    Nothing is written. Exit 0 when there are no errors (no warnings with --strict), else 1.

    \b
    Example:
      postwright check content/posts/2026 --format github
    """
    from postwright import pipeline

    checked = pipeline.check(project, now=_at(project, at_text))
    diagnostics = list(checked.diagnostics)
    selected = [project.shown(path) for path in paths]
    config_path = project.shown(project.config_path)
    if paths:
        diagnostics = [
            item
            for item in diagnostics
            if item.span.path == config_path or any(_within(item.span.path, chosen) for chosen in selected)
        ]
    text = FORMATTERS[output_format](diagnostics)
    if text or output_format == "json":
        click.echo(text)
    if paths:  # what was asked about, not the whole brand (which was checked, for duplicates and such)
        named = [
            path for path in (config_path, *checked.loaded.files) if any(_within(path, c) for c in selected)
        ]
        checked_what = f"{len(named)} file{'s' * (len(named) != 1)}"
    else:
        checked_what = f"{len(checked.loaded.files)} post file{'s' * (len(checked.loaded.files) != 1)}"
    click.echo(f"checked {checked_what}: {count_line(diagnostics)}", err=True)
    if checked.config is None:
        click.echo("posts were checked only for syntax because config.yml cannot be used", err=True)
    sys.exit(ExitStatus.CONTENT_ERRORS if has_errors(diagnostics, strict=strict) else ExitStatus.OK)


def require_config(project: Project) -> None:
    """No config.yml at all: the command ran in the wrong folder, a usage error (exit 2), not content's."""
    if not project.config_path.is_file():
        raise click.UsageError(
            f"no config.yml in {project.root}: run this in a brand repository, pass -C DIR, "
            "or create one with `postwright init DIR`"
        )


def usable_config(project: Project):
    """config.yml, or a clear stop: missing is a usage error (exit 2), unusable a content error (exit 1)."""
    from postwright.config import load_config

    require_config(project)
    config, diagnostics = load_config(project)
    if config is None:
        click.echo(format_human(diagnostics), err=True)
        raise click.ClickException("fix config.yml first (see above)")
    return config


def _loaded(project: Project):
    """The config and the posts, or a clear stop when config.yml cannot be used."""
    from postwright import pipeline

    require_config(project)
    config, loaded, diagnostics = pipeline.load(project)
    if config is None:
        click.echo(format_human(diagnostics), err=True)
        raise click.ClickException("fix config.yml first (see above)")
    return config, loaded


def _within(path: str, chosen: str) -> bool:
    return chosen in (".", "") or path == chosen or path.startswith(chosen.rstrip("/") + "/")


@cli.command()
@publish_folder_option
@strict_option
@click.pass_obj
def build(project: Project, output: Path | None, strict: bool) -> None:
    """Render every post for every account and write the reviewable result to publish/.

    Each post gets publish/posts/<post-id>.<lang>.json: for each account, its text parts, counts,
    link, images, time, content hash and problems; publish/manifest.json lists every post and account.
    The same inputs always give byte-identical output. Exit 1 when there are errors.

    \b
    Example:
      postwright build && cat publish/manifest.json
    """
    read = stamp.read(project, output or project.root / "publish")  # nothing to load when unchanged
    built = read.unchanged
    if built is None:
        from postwright import pipeline

        with _ImageProgress() as progress:
            built = pipeline.build(project, output, progress=progress, stamp=read)
    if built.diagnostics:
        click.echo(format_human(built.diagnostics), err=True)
    if built.manifest is None:
        click.echo("nothing built: config.yml cannot be used", err=True)
    else:
        accounts = {entry["account"] for entry in built.manifest["variants"]}
        target = project.shown(output or project.root / "publish")
        done = "up to date (no input changed)" if built.reused else "built"
        for rendition in built.fitted:  # the byte-limit search, made visible
            click.echo(
                f"image {rendition.source} ({rendition.spec}): quality {rendition.quality} to fit, "
                f"{rendition.bytes:,} bytes, {rendition.width}×{rendition.height}",
                err=True,
            )
        images = f", {built.images} images ({built.images_reused} reused)" if built.images else ""
        click.echo(
            f"{done}: {len(built.manifest['variants'])} variants of {built.post_count} posts for "
            f"{len(accounts)} accounts{images} in {target}/: {count_line(built.diagnostics)}",
            err=True,
        )
    failed = built.manifest is None or has_errors(built.diagnostics, strict=strict)
    sys.exit(ExitStatus.CONTENT_ERRORS if failed else ExitStatus.OK)


def _at(project: Project, text: str | None) -> datetime:
    """--at: an ISO time; without an offset it is in the brand's time zone. Default: now."""
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(
            f"'{text}' is not an ISO time such as 2026-12-01T09:00", param_hint="--at"
        ) from error
    from postwright.schema import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise click.BadParameter(
            f"'{text}' is outside the years postwright schedules ({FIRST_YEAR} to {LAST_YEAR})",
            param_hint="--at",
        )
    if when.tzinfo is None:
        from postwright.config import load_config

        config, _ = load_config(project)
        when = when.replace(tzinfo=config.zone if config else UTC)
    return when


@cli.command()
@at_option()
@format_option("human", "json")
@click.pass_obj
def plan(project: Project, at_text: str | None, output_format: str) -> None:
    """Show what would be published when, per account, without sending anything.

    Statuses: due, upcoming, blocked (an error keeps it from being sent: `check` says which), draft,
    expired, missed (later than the grace period), published (with its URL), failed, paused, retracted,
    and unconfirmed (maybe sent after a crash and no platform answer within the grace period: check
    the account, then `postwright settle`).

    \b
    Example:
      postwright plan --at 2026-12-01T09:00
    """
    from postwright import pipeline
    from postwright.status import SUMMARY_ORDER

    now = _at(project, at_text)
    planned = pipeline.plan(project, now)
    if planned.ledger_error:
        raise click.ClickException(planned.ledger_error)
    if planned.diagnostics and has_errors(planned.diagnostics):
        click.echo(format_human(planned.diagnostics), err=True)
    if output_format == "json":
        click.echo(json_text([item.as_dict() for item in planned.items]))
    else:
        zone = planned.config.zone if planned.config else UTC
        lines = [_plan_line(item, zone) for item in planned.items]
        if lines:  # one write: 20,000 echoes cost more than working out the plan
            click.echo("\n".join(lines))
    counted = Counter(item.status for item in planned.items)
    counts = {status: counted[status] for status in SUMMARY_ORDER}
    click.echo(
        ", ".join(f"{count} {status}" for status, count in counts.items() if count) or "nothing planned",
        err=True,
    )
    sys.exit(ExitStatus.CONTENT_ERRORS if has_errors(planned.diagnostics) else ExitStatus.OK)


def _plan_line(item: PlanItem, zone: tzinfo) -> str:
    """One job as `plan` prints it: local time, status, account, post, then its link and detail."""
    when = item.publish_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    extra = (f"  {item.url}" if item.url else "") + (f"  ({item.detail})" if item.detail else "")
    return printable(f"{when}  {item.status:<11} {item.account:<18} {item.post_id}.{item.lang}{extra}")


_PREVIEW_AT = "preview.at in config.yml, else now"
"""Where preview and calendar take the time without --at: a review site shows one moment."""


@cli.command()
@at_option(default=_PREVIEW_AT)
@publish_folder_option
@base_url_option
@click.option(
    "--changed-since",
    "ref",
    metavar="REF",
    help="Only the posts changed since this git ref (as `report` finds them) get a page; the others "
    "are listed and in the calendars, linking to their file. For a pull request's preview.",
)
@click.option(
    "--source-url",
    metavar="URL",
    help="With --changed-since: where the unchanged posts' files are read, e.g. "
    "https://github.com/acme/social/blob/<sha>/ (default: their path in the repository).",
)
@strict_option
@click.pass_obj
def preview(
    project: Project,
    at_text: str | None,
    output: Path | None,
    base_url: str | None,
    ref: str | None,
    source_url: str | None,
    strict: bool,
) -> None:
    """Build, then write a static review site into publish/: open publish/index.html in a browser.

    Every post as each account will get it (text with the platform's count against its limit,
    thread parts, cropped images with alt text, link, time in the brand's zone and UTC, status,
    problems), filters, month and week calendars, and publish/calendar.ics to subscribe to. No
    server and no external request; the same inputs and --at give the same bytes. Exit 1 on errors.

    \b
    Example:
      postwright preview --at 2026-12-01T09:00 && xdg-open publish/index.html
      postwright preview --changed-since origin/main
    """
    from postwright.preview import PreviewError, write_preview
    from postwright.report import ReportError

    settings = _preview_settings(project)
    now = _at(project, at_text or settings.at)
    url = _index_url(base_url or settings.base_url)
    with _ImageProgress() as progress:
        try:
            done = write_preview(
                project,
                now,
                output,
                preview_url=url,
                progress=progress,
                changed_since=ref,
                source_url=source_url,
            )
        except PreviewError as error:
            _preview_failed(error)
        except ReportError as error:  # like `report`: git cannot answer
            raise _nothing_done(str(error)) from error
    if done.diagnostics:
        click.echo(format_human(done.diagnostics), err=True)
    target = project.shown(output or project.root / "publish")
    click.echo(
        f"preview: {len(done.overview.posts)} posts, {len(done.overview.entries)} deliveries in "
        f"{target}/index.html and {target}/calendar.ics: {count_line(done.diagnostics)}",
        err=True,
    )
    if at_text is None and settings.at:
        click.echo(
            f"preview: statuses as of {settings.at}, preview.at in config.yml (--at to change)", err=True
        )
    sys.exit(ExitStatus.CONTENT_ERRORS if has_errors(done.diagnostics, strict=strict) else ExitStatus.OK)


def _preview_settings(project: Project) -> Preview:
    """config.yml's preview: section; its defaults when config.yml is unusable (the command says why)."""
    from postwright.config import Preview, load_config

    config, _ = load_config(project)
    return config.preview if config else Preview()


def _index_url(base_url: str | None) -> str | None:
    if base_url is None:
        return None
    return base_url if base_url.endswith(".html") else base_url.rstrip("/") + "/index.html"


def _preview_failed(error: PreviewError) -> None:
    message, *rest = error.args
    if rest and rest[0]:
        click.echo(format_human(rest[0]), err=True)
    raise click.ClickException(message)


@cli.command("calendar")
@at_option(default=_PREVIEW_AT)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write, - for standard output (default: publish/calendar.ics).",
)
@base_url_option
@click.pass_obj
def calendar_command(
    project: Project, at_text: str | None, output: Path | None, base_url: str | None
) -> None:
    """Write calendar.ics: one event per post and account, in the brand's time zone, to subscribe to.

    Event UIDs are stable (<post-id>.<lang>.<account>@postwright), so moved posts move. Drafts are
    tentative, missed and expired ones cancelled; problems are marked. `preview` writes it too.

    \b
    Example:
      postwright calendar --base-url https://acme.github.io/social/ -o site/calendar.ics
    """
    from postwright.preview import PreviewError, write_calendar

    settings = _preview_settings(project)
    now = _at(project, at_text or settings.at)
    to_stdout = output is not None and str(output) == "-"
    target = project.root / "publish" / "calendar.ics" if output is None or to_stdout else output
    url = _index_url(base_url or settings.base_url) or (None if to_stdout else "index.html")
    try:
        done, data = write_calendar(project, now, None if to_stdout else target, preview_url=url)
    except PreviewError as error:
        _preview_failed(error)
    if to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    click.echo(f"calendar: {len(done.overview.entries)} events in {project.shown(target)}", err=True)


@cli.command()
@click.option("--changed-since", "ref", metavar="REF", required=True, help="A git ref, e.g. origin/main.")
@format_option("markdown", "json")
@at_option()
@click.option(
    "--max-chars",
    type=click.IntRange(min=200),
    help="Shorten the Markdown to fit (a GitHub comment holds 65536 characters).",
)
@click.pass_obj
def report(
    project: Project, ref: str, output_format: str, at_text: str | None, max_chars: int | None
) -> None:
    """Report the posts added or changed since a git ref, as each account gets them.

    For each post: per-account texts with counts against the limits, images with alt text, link,
    time, status and problems. Posts are those whose file changed since REF's merge base (and
    uncommitted ones), those using a changed image, and, when config.yml or templates/ changed,
    those whose rendered output changed. Exit 1 when a reported post has errors, 2 when git cannot
    answer (unknown ref, not a repository).

    \b
    Example:
      postwright report --changed-since origin/main >> "$GITHUB_STEP_SUMMARY"
    """
    from postwright.preview import PreviewError
    from postwright.report import ReportError, as_json, build_report, markdown

    now = _at(project, at_text)
    try:
        changes = build_report(project, ref, now)
    except ReportError as error:  # the question cannot be answered
        raise _nothing_done(str(error)) from error
    except PreviewError as error:
        _preview_failed(error)
    if output_format == "json":
        click.echo(as_json(changes))
    else:
        click.echo(markdown(changes, max_chars=max_chars), nl=False)
    click.echo(f"report: {len(changes.posts)} changed post(s): {count_line(changes.problems)}", err=True)
    sys.exit(ExitStatus.CONTENT_ERRORS if has_errors(list(changes.problems)) else ExitStatus.OK)


@cli.command()
@at_option()
@dry_run_option("Show what would be sent; send nothing, record nothing.")
@click.option("--only", metavar="POST-ID", help="Only this post (also sends it when it was missed).")
@only_account_option
@click.pass_obj
def publish(
    project: Project, at_text: str | None, dry_run: bool, only: str | None, account: str | None
) -> None:
    """Send every post whose time has come, once, and record it in state/ledger.jsonl.

    Exit 0 when everything due was published, 3 when some sends failed or could not be confirmed (or
    the disk is full), 1 on invalid content (invalid posts are never sent; the rest still are). Jobs
    left unconfirmed past the grace period are listed for a person (`postwright settle`) and no longer
    change the exit code. Writes a Markdown summary to $GITHUB_STEP_SUMMARY.

    \b
    Example:
      postwright publish --dry-run
    """
    from postwright import job_summary, pipeline
    from postwright.publish import SendStatus
    from postwright.status import PlanStatus

    now = _at(project, at_text)
    result = pipeline.publish(project, now, dry_run=dry_run, only=only, account=account)
    planned = result.planned
    if planned.ledger_error:
        raise click.ClickException(planned.ledger_error)
    if result.refused:  # not the publishing branch: nothing was sent
        click.echo(f"error: {result.refused}", err=True)
        _step_summary(f"## postwright publish: refused\n\n{result.refused}")
        sys.exit(ExitStatus.USAGE)
    problems = [*planned.diagnostics, *result.invalid]
    if problems and has_errors(problems):
        click.echo(format_human([p for p in problems if p.severity >= Severity.ERROR]), err=True)
    if planned.config is not None and planned.config.paused:
        click.echo("publishing is paused (paused: true in config.yml): nothing sent", err=True)
    for item in planned.items:
        if item.edited:
            click.echo(
                printable(f"edited after publishing, not re-sent: {item.key} ({item.source})"), err=True
            )
        if item.sent_twice:
            click.echo(printable(f"{item.key}: {item.detail}"), err=True)
    for item in job_summary.needs_a_person(result):
        click.echo(printable(f"unconfirmed, needs a person: {item.key} ({item.detail})"), err=True)
    for job in result.jobs if dry_run else ():
        click.echo(printable(f"would send {job.key} ({len(job.variant.parts)} part(s))"))
    for item in planned.items:
        if item.status == PlanStatus.BLOCKED:
            click.echo(printable(f"blocked, not sent: {item.key} ({item.detail})"), err=True)
    for outcome in result.outcomes:
        where = f"  {outcome.url}" if outcome.url else ""
        message = f"  {outcome.message}" if outcome.message else ""
        click.echo(printable(f"{outcome.status:<11} {outcome.key}{where}{message}"))
    rehearsal = job_summary.rehearsal_note(result) if job_summary.in_ci() else None
    summary = job_summary.publish_summary(result, dry_run=dry_run, rehearsal=rehearsal)
    click.echo(summary.splitlines()[0].removeprefix("## "), err=True)
    if rehearsal:
        click.echo(rehearsal)
    if result.stopped:
        click.echo(f"postwright: {result.stopped}; nothing else was sent; free space and run again", err=True)
    summary_written = _step_summary(summary)
    unsent = (SendStatus.FAILED, SendStatus.UNCONFIRMED, SendStatus.SKIPPED)
    failed = any(outcome.status in unsent for outcome in result.outcomes)
    if failed or result.stopped or not summary_written:
        sys.exit(ExitStatus.SEND_FAILED)
    sys.exit(ExitStatus.CONTENT_ERRORS if has_errors(problems) else ExitStatus.OK)


def _step_summary(summary: str) -> bool:
    """Append to $GITHUB_STEP_SUMMARY; False (and why, on standard error) when it cannot be written."""
    from postwright.job_summary import write_step_summary

    if why := write_step_summary(summary):
        click.echo(why, err=True)
        return False
    return True


@cli.command("schedule")
@at_option()
@dry_run_option("Show the dates; change no file.")
@click.pass_obj
def schedule_posts(project: Project, at_text: str | None, dry_run: bool) -> None:
    """Give every post marked `date: next` the next free posting slot of its accounts.

    Slots come from schedule.slots in config.yml (brand time zone); a slot any of the post's accounts
    already uses is skipped. Only the date line of those files changes; every other byte stays. With
    schedule.explore (e.g. 0.2), that share of the posts (chosen by their ids) goes to the candidate time
    of the coming week the brand's metrics have seen least, while one is under-sampled.

    \b
    Example:
      postwright schedule --dry-run
    """
    from postwright.slots import schedule_waiting

    now = _at(project, at_text)
    config, loaded = _loaded(project)
    tried = _sampled(project, config, loaded.posts) if config.schedule.explore else None
    if config.schedule.explore and tried is None:  # the history cannot be read: ordinary slots only
        config = config.model_copy(update={"schedule": config.schedule.model_copy(update={"explore": 0})})
    done = schedule_waiting(project, config, loaded.posts, now, write=not dry_run, sampled=tried)
    zone = config.zone
    for path, when in done:
        click.echo(printable(f"{project.shown(path)}: {when.astimezone(zone):%Y-%m-%d %H:%M}"))
    click.echo(f"{'would schedule' if dry_run else 'scheduled'} {len(done)} post(s)", err=True)


def _sampled(project: Project, config, posts) -> dict | None:
    """schedule.explore's measure: how often each account was scored at each weekday and hour. A damaged
    metrics file turns exploring off for this run, with a warning: exploring is optional, scheduling not."""
    from postwright.insights.store import StoreError
    from postwright.slots import history, sampled

    try:
        return dict(sampled(history(project, config, posts)))
    except StoreError as error:
        click.echo(printable(f"warning: {error}: schedule.explore is off this run"), err=True)
        return None


@cli.group("slots")
def slots_group() -> None:
    """The posting slots (schedule.slots in config.yml), judged by the brand's own numbers.

    \b
    Example:
      postwright slots suggest --write
    """


@slots_group.command("suggest")
@click.option("--write", is_flag=True, help="Edit schedule.slots in config.yml (only those times change).")
@click.option(
    "--github",
    "on_github",
    is_flag=True,
    help="In a workflow: open one pull request with the change and its evidence, or bring the open one up "
    "to date (GITHUB_TOKEN, GITHUB_REPOSITORY); nothing when there is nothing to propose.",
)
@format_option("human", "markdown", "json")
@click.pass_obj
def slots_suggest(project: Project, write: bool, on_github: bool, output_format: str) -> None:
    """Propose replacing a posting slot with a candidate time that did better beyond doubt.

    Each account's scored deliveries (state/metrics/, insights/best_time.py) are grouped by local hour; a
    candidate of schedule.candidates replaces a slot only where its interval lies wholly above the slot's
    (both with enough data) on some account and below it on none. Nothing to propose: exit 0, no change.
    --github (the metrics job in publish.yml) proposes it as one pull request on branch postwright/slots,
    updated when the suggestion changes; exit 3 when GitHub refuses.

    \b
    Example:
      postwright slots suggest --format markdown
      postwright slots suggest --github      (the metrics job in publish.yml)
    """
    from postwright.insights.store import StoreError
    from postwright.slots import history, suggest, suggestions_text, write_slots

    if write and on_github:
        raise click.UsageError("--write edits this checkout's config.yml; --github proposes it: choose one")
    config, loaded = _loaded(project)
    try:
        proposals = suggest(config, history(project, config, loaded.posts))
    except StoreError as error:
        raise click.ClickException(str(error)) from error
    if write and proposals:
        write_slots(project.config_path, {item.current: item.candidate for item in proposals})
    click.echo(suggestions_text(proposals, output_format, written=write), nl=False)
    if on_github:
        _slots_to_github(proposals)


def _slots_to_github(proposals) -> None:
    """The slots pull request, said on stderr and in the job summary."""
    from postwright.engagement.github import GitHub, GitHubError
    from postwright.job_summary import write_step_summary
    from postwright.slots import propose_on_github, suggestions_text

    if not proposals:  # nothing to propose: GitHub is not asked (nor its token needed)
        return
    try:
        proposal = propose_on_github(GitHub.from_environment(), proposals)
    except GitHubError as error:
        click.echo(f"postwright: GitHub: {error}", err=True)
        sys.exit(ExitStatus.SEND_FAILED)
    if proposal is None:
        return
    left = f" (the open pull request {proposal.url} is left for a person to close)" if proposal.url else ""
    said = {
        "opened": f"pull request opened: {proposal.url}",
        "updated": f"pull request brought up to date: {proposal.url}",
        "open": f"pull request already open with this suggestion: {proposal.url}",
        "unneeded": f"no pull request: config.yml on {proposal.base} has none of these slots{left}",
    }[proposal.outcome]
    click.echo(f"slots: {said}", err=True)
    problem = write_step_summary(f"{suggestions_text(proposals, 'markdown', written=False)}\n{said}\n")
    if problem:
        click.echo(problem, err=True)


@cli.group()
def workflow() -> None:
    """The GitHub Actions workflow that publishes (.github/workflows/publish.yml).

    \b
    Example:
      postwright workflow sync --check
    """


@workflow.command("sync")
@click.option(
    "--check", "check_only", is_flag=True, help="Change nothing; exit 1 and show the diff if out of date."
)
@at_option()
@click.pass_obj
def workflow_sync(project: Project, check_only: bool, at_text: str | None) -> None:
    """Write the publish workflow's schedule from config.yml and the posts.

    A run at each of schedule.slots and default_time, in UTC for both offsets of the brand's time zone
    when it has daylight saving; a line for each ready post still to come at another time; a daily run
    for `postwright doctor`; when an account is read through its API, runs for the 1 h and 6 h readings
    that no other run takes in time (docs/insights.md). Only the lines between the `postwright workflow
    sync` markers change (the `schedule:` list the first time); the file is replaced in one step. It
    prints the bill: job-minutes in the busiest month. `check` says when to run this.

    \b
    Example:
      postwright workflow sync && git add .github/workflows/publish.yml
    """
    from postwright import workflow as publish_workflow

    now = _at(project, at_text)
    config, loaded = _loaded(project)
    try:
        synced = publish_workflow.sync(project, config, loaded.posts, now)
    except publish_workflow.WorkflowError as error:
        raise click.ClickException(str(error)) from error
    shown = project.shown(synced.path)
    bill = f"{len(synced.lines)} cron lines, at most {synced.job_minutes} job-minutes a month"
    if not synced.changed:
        click.echo(f"{shown} is up to date: {bill}", err=True)
        return
    if check_only:
        click.echo(printable(synced.diff(shown), keep="\n"), nl=False)
        click.echo(f"{shown} is out of date: run `postwright workflow sync`", err=True)
        sys.exit(ExitStatus.CONTENT_ERRORS)
    publish_workflow.write(synced)
    click.echo(f"wrote the schedule of {shown}: {bill}", err=True)


@cli.group()
def media() -> None:
    """Images hosted on media.host (S3-compatible storage) for the platforms that fetch them by URL.

    \b
    Example:
      postwright media cleanup --older-than 30d
    """


@media.command("cleanup")
@click.option(
    "--older-than",
    "older_than",
    default="30d",
    show_default=True,
    help="Remove images of posts whose every job went out longer ago than this (e.g. 30d, 12h).",
)
@click.option("--apply", is_flag=True, help="Delete them; without it, only list what would be deleted.")
@at_option()
@click.pass_obj
def media_cleanup(project: Project, older_than: str, apply: bool, at_text: str | None) -> None:
    """List (dry run) or, with --apply, delete hosted images of posts published long ago.

    An image is removed only when every job of its post is over (published, retracted, missed or
    expired) and the last went out more than --older-than ago; a post still due, upcoming, blocked,
    failed or unconfirmed keeps its images. Reads the ledger and the posts, so it works on a fresh
    checkout; needs media.host's credentials in the environment. Exit 3 when the store cannot be used.

    \b
    Example:
      postwright media cleanup --older-than 30d --apply
    """
    from pydantic import TypeAdapter, ValidationError

    from postwright.hosting import HostError
    from postwright.hosting.cleanup import CleanupError, NothingHosted, cleanup
    from postwright.schema import Duration

    try:
        age = TypeAdapter(Duration).validate_python(older_than)
    except ValidationError as error:
        message = error.errors()[0]["msg"]
        raise click.BadParameter(f"{message}: write e.g. 30d or 12h", param_hint="--older-than") from error
    require_config(project)
    try:
        cleaned = cleanup(project, _at(project, at_text), age, apply=apply)
    except NothingHosted as error:
        raise _nothing_done(str(error)) from error
    except CleanupError as error:
        raise click.ClickException(str(error)) from error
    except (HostError, CredentialsError) as error:  # the store or its keys: operational, exit 3
        click.echo(f"Error: {redact(str(error))}", err=True)
        sys.exit(ExitStatus.SEND_FAILED)
    for verdict in cleaned.verdicts:
        mark = ("deleted " if apply else "would delete ") if verdict.remove else ""
        click.echo(f"{mark}{verdict.key} ({verdict.size:,} bytes): {verdict.reason}")
    removed = cleaned.removed
    total = sum(verdict.size for verdict in removed)
    counted = f"{len(removed)} of {len(cleaned.verdicts)} hosted images ({total:,} bytes)"
    click.echo(
        f"deleted {counted}" if apply else f"would delete {counted}: run with --apply to delete", err=True
    )


@cli.command()
@click.argument("post_id")
@only_account_option
@dry_run_option("Show what would be deleted; delete nothing.")
@click.option(
    "--yes", "-y", is_flag=True, help="Delete without asking (needed where no one can be asked, e.g. CI)."
)
@click.pass_obj
def retract(project: Project, post_id: str, account: str | None, dry_run: bool, yes: bool) -> None:
    """Crisis control: delete a published post (every thread part) from its platforms.

    Lists what it will delete (accounts, parts, links), then asks on a terminal; elsewhere it needs
    --yes. The deletion is recorded in the ledger, so the post is never published again. Exit 3 when
    a deletion failed, 2 when it was not confirmed.

    \b
    Example:
      postwright retract 2026-12-01-launch --account x_main --dry-run
      postwright retract 2026-12-01-launch --yes
    """
    from postwright import pipeline
    from postwright.ledger import Ledger, LedgerError
    from postwright.publish import SendStatus

    try:
        keys, _ = pipeline.retract(project, post_id, account=account, dry_run=True)
        states = Ledger(project.state_dir).read() if keys else {}
    except LedgerError as error:
        raise click.ClickException(str(error)) from error
    if not keys:
        raise click.ClickException(f"nothing published for {post_id}" + (f" on {account}" if account else ""))
    for key in keys:
        state = states[key]
        first = state.records[0]
        click.echo(printable(f"{'would delete' if dry_run else 'to delete:'} {key} ({first.platform})"))
        for record in filter(None, (state.last(part) for part in range(1, state.parts + 1))):
            link = f"  {record.url}" if record.url else ""
            click.echo(printable(f"    part {record.part} of {record.parts}: {record.status}{link}"))
    if dry_run:
        return
    if not yes:
        if not _can_ask():
            raise _nothing_done(
                "retract deletes posts from the platforms: pass --yes to confirm (or --dry-run to only list)"
            )
        accounts = len({states[key].records[0].account for key in keys})
        if not click.confirm(f"Delete {post_id} from {accounts} account(s)?", default=False):
            raise _nothing_done("not confirmed: nothing deleted")
    try:
        keys, outcomes = pipeline.retract(project, post_id, account=account)
    except LedgerError as error:
        raise click.ClickException(str(error)) from error
    for outcome in outcomes:
        click.echo(
            printable(
                f"{outcome.status:<10} {outcome.key}" + (f"  {outcome.message}" if outcome.message else "")
            )
        )
    if any(outcome.status == SendStatus.FAILED for outcome in outcomes):
        sys.exit(ExitStatus.SEND_FAILED)


def _nothing_done(message: str) -> click.ClickException:
    """A stop with exit 2, like a bad option: the command was refused or cannot be answered, and
    changed nothing."""
    stop = click.ClickException(message)
    stop.exit_code = ExitStatus.USAGE
    return stop


def _can_ask() -> bool:
    """Someone at a terminal who can answer a question (not CI, not a pipe)."""
    return sys.stdin.isatty()


@cli.group()
def replies() -> None:
    """Replies to the brand's posts and mentions of its accounts (docs/engagement.md).

    \b
    Example:
      postwright replies pull --format json
    """


@replies.command("pull")
@at_option()
@format_option("markdown", "json")
@only_account_option
@dry_run_option(
    "Read and print, but leave state/engagement/ as it was; with --github, print the issue and pull "
    "request bodies it would send (people's words too, where the inbox shows them) and send nothing."
)
@click.option(
    "--github",
    "on_github",
    is_flag=True,
    help="In a workflow: update each account's inbox issue, open the crisis issue and pause pull request "
    "(GITHUB_TOKEN, GITHUB_REPOSITORY), write the job summary; prints counts and links only. The state "
    "is saved only for the accounts whose inbox GitHub took.",
)
@click.pass_obj
def replies_pull(
    project: Project,
    at_text: str | None,
    output_format: str,
    account: str | None,
    dry_run: bool,
    on_github: bool,
) -> None:
    """Hear the replies and mentions of every API account and print the unanswered ones.

    Posts are read every run while fresh (engagement.fresh_hours), then once a day until
    engagement.follow_days; mentions every run over the last engagement.mention_days, listed until
    the account replies to them. Prints the inbox
    (unanswered, newest first, grouped by post, each with its link) and any crisis signal; ids and
    counts (never anyone's words) go to state/engagement/<account>.json. Exit 3 when an account could
    not be read in full (the rest is still printed), or, with --github, GitHub refused something.

    \b
    Example:
      postwright replies pull
      postwright replies pull --format json --account mastodon_main
      postwright replies pull --github      (the engagement job in publish.yml)
    """
    from postwright.engagement.pull import as_json, as_markdown, count_line, pull
    from postwright.engagement.state import StateError
    from postwright.ledger import LedgerError

    config = usable_config(project)
    if account is not None and account not in config.accounts:
        raise click.BadParameter(f"no account {account!r} in config.yml", param_hint="--account")
    try:
        pulled = pull(
            config,
            project.state_dir,
            _at(project, at_text),
            accounts=[account] if account else None,
            save=not (dry_run or on_github),  # with --github: once GitHub has taken the inbox
        )
    except (LedgerError, StateError) as error:
        raise click.ClickException(str(error)) from error
    github_failed = False
    if on_github:  # the job log may be public: people's words go to the inbox issue only
        github_failed = not _replies_to_github(project, pulled, config.engagement.show_text, dry_run)
    else:
        click.echo(json_text(as_json(pulled)) if output_format == "json" else as_markdown(pulled))
    click.echo(count_line(pulled), err=True)
    failed = github_failed or any(heard.failures for heard in pulled.accounts)
    sys.exit(ExitStatus.SEND_FAILED if failed else ExitStatus.OK)


def _replies_to_github(project: Project, pulled: Pulled, show_text: bool, dry_run: bool) -> bool:
    """The crisis issue and pause pull request, then the inbox issues; then the state of each account
    GitHub took (so nothing heard is lost when GitHub fails); the summary to stdout and the job summary.
    A dry run prints what it would send instead. False when GitHub refused something."""
    from postwright.engagement.github import GitHub, GitHubError
    from postwright.engagement.inbox import DryRunGitHub, to_github
    from postwright.engagement.pull import save_learnt
    from postwright.job_summary import write_step_summary

    try:
        github = (DryRunGitHub if dry_run else GitHub).from_environment()
        run = to_github(github, pulled, show_text=show_text)
    except GitHubError as error:
        click.echo(f"postwright: GitHub: {error}", err=True)
        return False
    if isinstance(github, DryRunGitHub):
        click.echo("\n\n".join(github.would) or "Nothing to send.")
        click.echo()
    else:
        save_learnt(project.state_dir, pulled, run.shown)
    click.echo(run.summary)
    for account in pulled.accounts:  # why exit 3: the platforms' refusals, never anyone's words
        for reason in account.failures:
            click.echo(f"{account.account}: {reason}", err=True)
    for error in run.errors:
        click.echo(f"postwright: GitHub: {error}", err=True)
    problem = None if dry_run else write_step_summary(run.summary)
    if problem:
        click.echo(problem, err=True)
    return not run.errors


@cli.command()
@click.argument("key")
@click.option(
    "--part", type=click.IntRange(min=1), help="Only this thread part (default: every unsettled one)."
)
@click.option("--sent", "sent_url", metavar="URL", help="It is on the account, at this link.")
@click.option(
    "--remote-id", metavar="ID", help="With --sent: the platform's id of the post, for replies and retract."
)
@click.option("--not-sent", is_flag=True, help="It is not on the account: record it as not sent.")
@click.option("--note", metavar="TEXT", help="Why, for the ledger (e.g. who checked).")
@click.pass_obj
def settle(
    project: Project,
    key: str,
    part: int | None,
    sent_url: str | None,
    remote_id: str | None,
    not_sent: bool,
    note: str | None,
) -> None:
    """Record whether an unconfirmed job went out, after checking the account by hand.

    KEY is the job's key as `plan` shows it (<post-id>.<lang>/<account>). --sent URL records each
    maybe-sent part as published (a thread then continues with the next part, replying to it);
    --not-sent records it as failed, not sent (`publish --only POST-ID` then sends it). The record is
    appended to state/ledger.jsonl, marked as settled by hand. Exit 2 when there is nothing to settle.

    \b
    Example:
      postwright settle 2026-12-01-launch.en/x_main --sent https://x.com/acme/status/1864
      postwright settle 2026-12-01-launch.en/tg_channel --not-sent --note "checked by Jane"
    """
    from postwright.ledger import Ledger, LedgerError, RecordStatus
    from postwright.settle import SettleError
    from postwright.settle import settle as settle_job

    if (sent_url is None) == (not not_sent):
        raise click.UsageError("say what you found: --sent URL or --not-sent")
    if remote_id is not None and sent_url is None:
        raise click.UsageError("--remote-id goes with --sent")
    try:
        settled = settle_job(
            Ledger(project.state_dir),
            key,
            sent_url=sent_url,
            remote_id=remote_id,
            part=part,
            note=note,
            root=project.root,
        )
    except LedgerError as error:
        raise click.ClickException(str(error)) from error
    except SettleError as error:  # nothing was recorded
        raise _nothing_done(str(error)) from error
    for item in settled:
        record = item.record
        where = f"part {record.part} of {record.parts}"
        if record.status == RecordStatus.PUBLISHED:
            click.echo(f"settled {key} {where}: published {record.url}")
            if not item.remote_id_known:
                click.echo(
                    f"no remote id for {where}: `postwright retract` cannot delete it (delete it by hand)",
                    err=True,
                )
        else:
            click.echo(f"settled {key} {where}: not sent")
    last = settled[-1].record
    if last.status == RecordStatus.FAILED:
        click.echo(f"next: postwright publish --only {last.post_id} sends it", err=True)
    elif last.part < last.parts:
        click.echo(f"next: the next publish run sends part {last.part + 1}, replying to it", err=True)
    click.echo(f"commit {project.shown(Ledger(project.state_dir).path)} where the ledger lives", err=True)


@cli.command()
@format_option("human", "github", "json")  # doctor.FORMATS, named here: doctor.py loads only when it runs
@click.option("--offline", is_flag=True, help="Only check that credentials are set; ask no platform.")
@click.pass_obj
def doctor(project: Project, output_format: str, offline: bool) -> None:
    """Check every account's credentials: set, accepted by the platform, and when they expire.

    Outbox accounts need none. For API accounts, the environment variables named in config.yml must
    be set; then each platform is asked (without posting) whether they work. A token expiring within
    14 days is a warning. media.host, when set: its keys set, and one key listed under its prefix.
    Secrets are never printed. Exit 1 when an API account's credentials or media.host's keys are
    missing or rejected, else 0 (also with warnings).

    \b
    Example:
      postwright doctor
      postwright doctor --offline --format github
    """
    from postwright.doctor import FORMATS, examine, summary

    found = examine(usable_config(project), offline=offline)
    text = FORMATS[output_format](found)
    if text or output_format == "json":
        click.echo(text)
    click.echo(summary(found), err=True)
    sys.exit(ExitStatus.CONTENT_ERRORS if any(item.status == "error" for item in found) else ExitStatus.OK)


@cli.group()
def metrics() -> None:
    """What each published post achieved, read back from the platforms into state/metrics/.

    \b
    Example:
      postwright metrics pull --dry-run
    """


@metrics.command("pull")
@at_option()
@dry_run_option("Show which posts and accounts are due; ask no platform, write nothing.")
@click.pass_obj
def metrics_pull(project: Project, at_text: str | None, dry_run: bool) -> None:
    """Read the numbers of published posts from each API account's platform into state/metrics/.

    A post is read as it passes 1 h, 6 h, 24 h, 3 d, 7 d, 30 d and 89 d after publishing; each
    account's followers once a day. Outbox accounts have nothing to read. A refused, rate-limited or
    malformed read is listed in state/metrics/failures.csv and read again on the next run. The ledger
    is only read. Exit 3 when some read failed, else 0. See docs/insights.md.

    \b
    Example:
      postwright metrics pull
      postwright metrics pull --dry-run --at 2026-12-02T09:00
    """
    from postwright.insights.pull import PullError, pull

    now = _at(project, at_text)
    config = usable_config(project)
    try:
        report = pull(project.root, config, now, dry_run=dry_run)
    except PullError as error:
        click.echo(redact(f"postwright: {error}"), err=True)
        sys.exit(ExitStatus.SEND_FAILED)
    for pulled in report.accounts:
        verb = "due" if dry_run else "read"
        count = len(pulled.due) if dry_run else pulled.read
        followers = ", account numbers" if pulled.account_read else ""
        click.echo(printable(f"{pulled.account} ({pulled.platform}): {verb} {count} post(s){followers}"))
        for delivery in pulled.due if dry_run else ():
            click.echo(printable(f"  due {delivery.key} (published {delivery.published:%Y-%m-%d %H:%M} UTC)"))
        for failure in pulled.failures:
            click.echo(printable(f"  failed {failure.key}: {failure.reason}"), err=True)
    for name in report.without_reader:
        click.echo(printable(f"{name}: no numbers to read ({_metrics_note(config, name)})"), err=True)
    if not report.accounts:
        click.echo("metrics: no account delivers through a platform's API with numbers to read", err=True)
    elif not dry_run:
        failed = sum(len(pulled.failures) for pulled in report.accounts)
        click.echo(f"metrics: {report.stored} row(s) stored, {failed} read(s) failed", err=True)
    if not dry_run and os.environ.get(
        "GITHUB_STEP_SUMMARY"
    ):  # the scheduled job: what worked, in its summary
        from postwright.job_summary import metrics_summary

        _step_summary(metrics_summary(project, at=now))
    sys.exit(ExitStatus.SEND_FAILED if report.failed else ExitStatus.OK)


@metrics.command("conversions")
@click.option("--since", default="28d", show_default=True, help="The first day: 28d (days back) or a date.")
@at_option("today")
@click.pass_obj
def metrics_conversions(project: Project, since: str, at_text: str | None) -> None:
    """Import visits, conversions and revenue by utm_campaign and utm_content into state/conversions/.

    From the sources under conversions: in config.yml (Plausible Stats API v2, the GA4 Data API) for the
    days since --since, and every CSV file in conversions/ (columns date, utm_campaign, utm_content,
    visits, conversions, revenue, currency). A source that fails is reported and changes nothing; the
    others are stored. Exit 3 when a source could not be read, 1 when a CSV file has a bad row.

    \b
    Example:
      PLAUSIBLE_API_KEY=… postwright metrics conversions --since 2026-11-01
    """
    from postwright.insights import conversions

    config, _ = _loaded(project)
    if not conversions.has_source(project.root, config):  # the scheduled job runs it for every brand
        where = f"{config.conversions.csv.rstrip('/')}/"
        click.echo(
            f"metrics conversions: no source (conversions: in config.yml, CSV files in {where})", err=True
        )
        return
    until = _at(project, at_text).astimezone(config.zone).date()
    first = _since_day(since, until)
    pulled = conversions.pull(project.root, config, first, until)
    try:
        written = conversions.store(project.root, pulled)
    except conversions.ConversionsError as error:
        raise click.ClickException(str(error)) from error
    for item in pulled:
        told = item.error or f"{len(item.rows)} row(s)"
        click.echo(printable(f"{item.source}: {told}"), err=item.error is not None)
    click.echo(f"wrote {len(written)} file(s) in state/conversions/", err=True)
    failed = [item for item in pulled if item.error]
    if any(item.source != "csv" for item in failed):
        sys.exit(ExitStatus.SEND_FAILED)
    sys.exit(ExitStatus.CONTENT_ERRORS if failed else ExitStatus.OK)


@metrics.command("roi")
@click.option("--since", default=None, help="Only posts published since: 28d (days back) or a date.")
@at_option("now; posts due later are not counted")
@format_option("markdown", "json")
@click.pass_obj
def metrics_roi(project: Project, since: str | None, at_text: str | None, output_format: str) -> None:
    """Revenue − cost per post, account, platform and campaign, offline, from state/conversions/.

    Conversions are joined to posts by the utm_campaign and utm_content postwright put on their links;
    costs are the posts' `cost:` (split over their accounts) and config.yml's campaigns: cost.

    \b
    Example:
      postwright metrics roi --since 90d
    """
    from postwright.insights.conversions import ConversionsError
    from postwright.insights.roi import roi_section

    config, loaded = _loaded(project)
    now = _at(project, at_text)
    first = None if since is None else _since_day(since, now.astimezone(config.zone).date())
    try:
        section = roi_section(
            project.root, config, loaded.posts, since=first, until=now, format=output_format
        )
    except ConversionsError as error:
        raise click.ClickException(str(error)) from error
    click.echo(json_text(section) + "\n" if isinstance(section, dict) else section, nl=False)


def _since_day(text: str, until: date) -> date:
    """--since: '28d' (days before `until`) or an ISO date."""
    from datetime import timedelta

    stripped = text.strip()
    if stripped.endswith("d") and stripped[:-1].isdigit():
        return until - timedelta(days=int(stripped[:-1]))
    try:
        return date.fromisoformat(stripped)
    except ValueError:
        raise click.BadParameter(
            f"'{text}': give days (28d) or a date (2026-11-01)", param_hint="--since"
        ) from None


def _metrics_note(config, account: str) -> str:
    from postwright.platforms import PLATFORMS

    return PLATFORMS[config.accounts[account].platform].metrics_note or "postwright has no reader for it yet"


# metrics report ------------------------------------------------------------------------------------------


@metrics.command("report")
@click.option(
    "--since",
    default="28d",
    show_default=True,
    metavar="DAYS|DATE",
    help="The period: 28d (days before its end) or a date, e.g. 2026-11-01 (in the brand's time zone).",
)
@format_option("markdown", "html", "json")
@at_option(default="the newest reading")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (replaced whole, atomically) instead of standard output.",
)
@click.pass_obj
def metrics_report(
    project: Project, since: str, output_format: str, at_text: str | None, output: Path | None
) -> None:
    """Report what worked, offline, from state/metrics/ joined to the posts.

    Per account week by week, top and bottom posts, by tag, campaign, format and weekday × hour in the
    brand's time zone, and the best times to post: median, 95 % interval and n, "not enough data" below
    5 posts. The same data gives the same bytes (the period ends at --at, else at the newest reading).
    Exit 1 when a file under state/metrics/ or the ledger is damaged (named with its line).

    \b
    Example:
      postwright metrics report --since 28d --format html -o performance.html
    """
    from postwright.files import replace_file
    from postwright.insights.report import ReportError, from_project, rendered
    from postwright.insights.store import StoreError
    from postwright.ledger import LedgerError

    try:
        made = from_project(project, since, _at(project, at_text) if at_text else None)
    except ReportError as error:
        raise _nothing_done(str(error)) from error
    except (StoreError, LedgerError) as error:
        click.echo(printable(f"postwright: {error}"), err=True)
        sys.exit(ExitStatus.CONTENT_ERRORS)
    data = rendered(made, output_format, root=project.root, folder=output.parent if output else None)
    if output is None:
        click.echo(data.decode(), nl=False)
    else:
        replace_file(output, data)
        click.echo(f"metrics report: {len(made.posts)} posts in {output}", err=True)


class _ImageProgress:
    """Images being made: a bar on a terminal; in CI (no terminal) a plain line at each quarter."""

    def __init__(self) -> None:
        self.bar = None
        self.shown = 0
        self.terminal = sys.stderr.isatty() and not os.environ.get("CI")

    def __enter__(self) -> _ImageProgress:
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.terminal:
            if self.bar is None:
                self.bar = click.progressbar(length=total, label="images", file=sys.stderr)
                self.bar.__enter__()
            self.bar.update(done - self.shown)
        elif total >= 20 and done * 4 // total > self.shown * 4 // total:
            click.echo(f"images: {done}/{total}", err=True)
        self.shown = done

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


@cli.command()
@click.argument("text")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    type=_PlatformChoice(),
    help="Only this platform (repeatable). Default: all.",
)
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="NAME",
    help="Against this account's limits in config.yml, e.g. an X Premium account's 25,000 (repeatable).",
)
@format_option("human", "json")
@click.pass_obj
def count(
    project: Project, text: str, platforms: tuple[str, ...], accounts: tuple[str, ...], output_format: str
) -> None:
    """Count TEXT (or - for standard input) the way each platform counts it, against its limit.

    Exit 1 when the text is too long for any platform or account asked about.

    \b
    Example:
      postwright count "Our new kite flies in 8 km/h winds 🪁 https://windward.example"
      echo "…" | postwright count --platform x --platform bluesky --format json -
      postwright count --account x_main "$(cat draft.txt)"
    """
    from postwright.count import UnknownAccount
    from postwright.count import count as count_text

    if text == "-":
        with click.open_file("-", encoding="utf-8") as stream:
            text = stream.read().rstrip("\n")
    try:
        counted = count_text(text, platforms, accounts, usable_config(project) if accounts else None)
    except UnknownAccount as error:
        raise click.BadParameter(str(error), param_hint="--account") from error
    if output_format == "json":
        click.echo(json.dumps({row.name: row.as_dict() for row in counted}, indent=2, ensure_ascii=False))
    else:
        width = max(10, *(len(row.name) for row in counted))
        for row in counted:
            first = row.measures[0]
            extra = "".join(f", {number} {unit}" for unit, number in row.others)
            mark = click.style(" too long", fg="red", bold=True) if row.too_long else ""
            click.echo(f"{row.name:<{width}} {row.counts[0]:>6} / {first.limit:<6} {first.unit}{extra}{mark}")
    sys.exit(ExitStatus.CONTENT_ERRORS if any(row.too_long for row in counted) else ExitStatus.OK)


@cli.command()
@click.argument("kind", type=click.Choice(["config", "post"]), required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write config.schema.json and post.schema.json into this folder instead of printing.",
)
def schema(kind: str | None, output: Path | None) -> None:
    """Print the JSON Schema of config.yml or of post front matter, for editors and validators.

    \b
    Example:
      postwright schema config > config.schema.json
      postwright schema -o .postwright
    """
    from postwright.schema_export import schema_files

    files = schema_files()
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            if kind in (None, name.split(".")[0]):
                (output / name).write_text(text, encoding="utf-8")
                click.echo(f"wrote {output / name}", err=True)
        return
    if kind is None:
        raise click.UsageError("name the schema to print: `schema config` or `schema post` (or use -o DIR)")
    click.echo(files[f"{kind}.schema.json"], nl=False)


@cli.command()
@click.argument("title", required=False)
@click.option(
    "--date", "when_text", metavar="'YYYY-MM-DD HH:MM'", help="Publish time; default: the next free slot."
)
@click.option("--platforms", callback=_platform_list, metavar="x,bluesky,…", help="Default: brand.platforms.")
@click.option("--lang", help="Language tag for a post not in the brand's language (adds .LANG to the name).")
@click.option(
    "--variant-of",
    metavar="POST-ID",
    help="Make the --lang variant of this post: same id and date, beside it; TITLE defaults to its title.",
)
@click.option(
    "--draft/--ready", default=True, show_default=True, help="New posts are drafts until you say so."
)
@click.pass_obj
def new(
    project: Project,
    title: str | None,
    when_text: str | None,
    platforms: list[str] | None,
    lang: str | None,
    variant_of: str | None,
    draft: bool,
) -> None:
    """Create a post file with commented front matter, named after its date and title.

    \b
    Example:
      postwright new "Spring sale" --date "2026-03-20 10:00" --platforms x,mastodon
      postwright new "Rebajas de primavera" --variant-of 2026-03-20-spring-sale --lang es
    """
    from postwright.scaffold import NewPostError, ScaffoldError, new_post, write_new

    config, loaded = _loaded(project)
    try:
        path, text = new_post(
            project,
            config,
            loaded.posts,
            title=title,
            when_text=when_text,
            platforms=platforms,
            lang=lang,
            variant_of=variant_of,
            draft=draft,
            now=datetime.now(UTC),
        )
    except NewPostError as error:
        if error.option is None:
            raise click.UsageError(str(error)) from error
        raise click.BadParameter(str(error), param_hint=error.option) from error
    try:
        write_new(path, text)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from error
    click.echo(project.shown(path))


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="My Brand", show_default=True, help="The brand's name.")
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    callback=_time_zone,
    help="IANA time zone, e.g. Europe/Madrid.",
)
@click.option("--language", default="en", show_default=True, help="Default language of posts.")
@click.option(
    "--platforms",
    callback=_platform_list,
    default="mastodon,bluesky",
    show_default=True,
    help="Platforms to create an outbox account for.",
)
@click.option(
    "--action",
    metavar="OWNER/REPO@SHA",
    callback=_action,
    help="The postwright action the workflows run, at a full commit SHA "
    "(default: the commit this postwright was released from; docs/install.md).",
)
def init(
    directory: Path, name: str, timezone: str, language: str, platforms: list[str], action: str | None
) -> None:
    """Create a new brand repository: config.yml, content/, templates/, assets/, a sample post, and
    the GitHub workflows that check pull requests and publish.

    Refuses to overwrite any existing file. The result passes `postwright check`. A folder that is
    not inside a git repository yet becomes one (`git init`).

    \b
    Example:
      postwright init ../acme-social --name "Acme" --timezone Europe/Madrid --platforms x,mastodon
    """
    from postwright import pipeline
    from postwright.scaffold import ScaffoldError, init_brand, make_repository

    try:
        written = init_brand(
            directory,
            name=name,
            timezone=timezone,
            language=language,
            platforms=platforms,
            today=date.today(),
            action=action,
        )
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from error
    made = make_repository(directory)
    if made:
        click.echo(made, err=True)
    if action is None:
        from postwright.scaffold import default_action

        click.echo(
            f"workflows run {default_action()} (the default); pass --action OWNER/REPO@SHA to pin the commit "
            "you tested (docs/install.md)",
            err=True,
        )
    project = Project(directory.resolve())
    config_diagnostics = pipeline.check(project).diagnostics
    if config_diagnostics:
        click.echo(format_human(config_diagnostics), err=True)
    for path in written:
        click.echo(path.as_posix())
    click.echo(f"next: cd {directory} && postwright check", err=True)


def _needing_config(command: click.Command) -> None:
    """`command` stops before it runs where there is no config.yml (require_config); --help still works."""
    callback = command.callback
    assert callback is not None

    @functools.wraps(callback)
    def checked(*args: object, **kwargs: object) -> object:
        require_config(click.get_current_context().find_object(Project))
        return callback(*args, **kwargs)

    command.callback = checked


for _name in ("build", "calendar", "check", "plan", "preview", "publish", "report", "retract"):
    _needing_config(cli.commands[_name])  # new and schedule load posts (_loaded); doctor and count check too
_needing_config(metrics.commands["report"])


_CANNOT_WRITE = DISK_FULL | {errno.EIO, errno.EROFS}


def _operational(error: Exception) -> None:
    """A full disk (or a file that cannot be written) is the machine's problem, not a bug: exit 3."""
    from postwright.ledger import LedgerWriteError, why_not_written

    if isinstance(error, LedgerWriteError):
        message = str(error)
    elif isinstance(error, OSError) and error.errno in _CANNOT_WRITE:
        message = f"{error.filename or 'a file'}: {why_not_written(error)}"
    else:
        return
    click.echo(redact(f"postwright: {message}; free space and run again"), err=True)
    sys.exit(ExitStatus.SEND_FAILED)


def main() -> None:
    """Console entry point: internal errors become one line unless --debug asks for the traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(ExitStatus.INTERRUPTED)
    except KeyboardInterrupt:
        sys.exit(ExitStatus.INTERRUPTED)
    except Exception as error:
        _operational(error)
        # a bug, not bad input: say so plainly
        if "--debug" in sys.argv:
            click.echo(redact(traceback.format_exc()), err=True, nl=False)
        else:
            message = (
                f"postwright: internal error: {error!r}. This is a bug; rerun with --debug and report it."
            )
            click.echo(redact(message), err=True)
        sys.exit(ExitStatus.INTERNAL)
