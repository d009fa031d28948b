"""`postwright metrics report`: what worked, from state/metrics/ joined to the posts that produced it.

Offline and deterministic: it reads the store, the ledger (thread or single, each post's link) and content/
(tags, campaign, images, language, the post's own time), never the clock or the network; the period ends at
`--at` or else at the newest reading, so the same data gives the same bytes.

Each delivery is judged by `best_time`'s score (engagement rate where the platform counts impressions, else
relative to the account's rolling median). Scores of different accounts do not compare (a 2 % rate on X and
a Mastodon post at 3× its median), so everything that mixes accounts uses the *lift*: a delivery's score
over its account's median score in the period; 1.0 is an ordinary post for that account. The views:

- per platform and account, week by week: posts, engagements, impressions; followers at start and end;
- top and bottom posts by lift, with their source file and the platform's link;
- by tag, by campaign, by format (thread or single, with an image or not, language), by weekday × hour in
  the brand's time zone: median lift, its interval and n (`best_time.MIN_N` needed for an interval);
- best times per account, from the year before the period's end (a slot needs many weeks of posts).
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from postwright.insights.best_time import (
    MIN_N,
    SETTLED_AGE,
    WEEKDAYS,
    DeliveryScore,
    SlotScore,
    delivery_scores,
    settled,
    slot_summary,
    slots_of,
)
from postwright.insights.model import AccountObservation, Observation
from postwright.ledger import JobState, Ledger

if TYPE_CHECKING:
    from postwright.config import Config
    from postwright.insights.roi import Roi
    from postwright.model import Post
    from postwright.project import Project

BEST_TIME_HISTORY = timedelta(days=365)  # best times look back a year: a weekday × hour slot gets ≤ 52 posts
TOP = 5  # posts shown at the top and at the bottom
BEST_SLOTS = 3  # best times shown per account
_CONTEXT = timedelta(days=60)  # read before the history too, so its first posts have a rolling median


class ReportError(ValueError):
    """The report cannot be made: a --since that is neither days nor a date, an unusable config.yml."""


@dataclass(frozen=True, slots=True)
class PostFacts:
    """What the source and the ledger say about one delivery."""

    source: str | None  # content/… ; None when the post's file is gone
    title: str
    tags: tuple[str, ...]
    campaign: str | None
    images: bool
    thread: bool | None  # from the ledger's part count; None: the ledger does not know the job
    url: str | None  # the platform's link to the post (part 1)
    scheduled: datetime | None  # the post's own time for this account


@dataclass(frozen=True, slots=True)
class Scored:
    """A delivery in the period: its score, lift and facts."""

    score: DeliveryScore
    lift: float
    facts: PostFacts
    metrics: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Week:
    start: date  # the Monday, in the brand's zone
    posts: int
    engagements: int
    impressions: int | None  # None where the platform counts none


@dataclass(frozen=True, slots=True)
class AccountSeries:
    platform: str
    account: str
    weeks: tuple[Week, ...]
    followers: tuple[int, int] | None  # (first, last) in the period, from the daily account series

    @property
    def posts(self) -> int:
        return sum(week.posts for week in self.weeks)

    @property
    def engagements(self) -> int:
        return sum(week.engagements for week in self.weeks)


@dataclass(frozen=True, slots=True)
class Group:
    """A set of deliveries that share something (a tag, a format, a slot) and how they did."""

    kind: str  # "tag", "campaign", "format", "slot"
    label: str
    stats: SlotScore  # over lifts


@dataclass(frozen=True, slots=True)
class Performance:
    brand: str
    zone: str
    since: datetime
    until: datetime
    posts: tuple[Scored, ...]  # by lift, best first
    accounts: tuple[AccountSeries, ...]
    groups: tuple[Group, ...]
    best: tuple[SlotScore, ...]  # per account, its best slots with enough data
    roi: Roi | None = None  # revenue − cost, where the brand imports conversions or counts costs

    @property
    def top(self) -> tuple[Scored, ...]:
        return self.posts[:TOP]

    @property
    def bottom(self) -> tuple[Scored, ...]:
        return tuple(reversed(self.posts[TOP:][-TOP:]))

    def by(self, kind: str) -> tuple[Group, ...]:
        return tuple(group for group in self.groups if group.kind == kind)


def parse_since(text: str, until: datetime, zone: ZoneInfo) -> datetime:
    """'28d' (days before `until`) or a date '2026-11-01' (its start in the brand's zone)."""
    if match := re.fullmatch(r"\s*(\d+)\s*d\s*", text):
        return until - timedelta(days=int(match[1]))
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(f"--since {text!r}: give a number of days (28d) or a date (2026-11-01)") from None
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def performance(
    observations: Iterable[Observation],
    facts: Mapping[str, PostFacts],
    *,
    since: str | datetime,
    zone: ZoneInfo,
    until: datetime | None = None,
    accounts: Iterable[AccountObservation] = (),
    brand: str = "",
) -> Performance:
    """Every view of the report, from the readings (`observations`), the facts by delivery key and the
    account series. `until`: the period's end (default: the newest reading)."""
    if until is not None:  # as at `until`: later readings are not known yet
        observations = (row for row in observations if row.observed <= until)
    readings = settled(observations)
    end = until or max((row.observed for row in readings.values()), default=None)
    if end is None:
        end = datetime(1970, 1, 1, tzinfo=zone)
    start = parse_since(since, end, zone) if isinstance(since, str) else since
    times = {key: fact.scheduled for key, fact in facts.items() if fact.scheduled is not None}
    scores = delivery_scores(readings.values(), times, zone)
    in_period = [item for item in scores if start <= item.local_time <= end]
    history = [item for item in scores if end - BEST_TIME_HISTORY <= item.local_time <= end]
    scored = _lifted(in_period, facts, readings)
    return Performance(
        brand=brand,
        zone=zone.key,
        since=start.astimezone(zone),
        until=end.astimezone(zone),
        posts=tuple(sorted(scored, key=lambda item: (-item.lift, item.score.key))),
        accounts=_series(scored, accounts, start, end, zone),
        groups=_groups(scored),
        best=_best(history),
    )


def _lifted(
    scores: Sequence[DeliveryScore], facts: Mapping[str, PostFacts], readings: Mapping[str, Observation]
) -> list[Scored]:
    medians: dict[str, float] = {}
    by_account: dict[str, list[float]] = defaultdict(list)
    for item in scores:
        by_account[item.account].append(item.score)
    for account, values in by_account.items():
        medians[account] = statistics.median(values)
    return [
        Scored(item, lift(item.score, medians[item.account]), _facts(facts, item), readings[item.key].metrics)
        for item in scores
    ]


def lift(score: float, median: float) -> float:
    """A score over its account's median; where that median is 0 (most posts got nothing), 1 + the score."""
    return score / median if median > 0 else 1.0 + score


def _facts(facts: Mapping[str, PostFacts], item: DeliveryScore) -> PostFacts:
    found = facts.get(item.key)
    if found is not None:
        return found
    return PostFacts(None, item.post_id, (), None, False, None, None, None)


def _series(
    scored: Sequence[Scored],
    accounts: Iterable[AccountObservation],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> tuple[AccountSeries, ...]:
    weeks: dict[tuple[str, str], dict[date, list[Scored]]] = defaultdict(lambda: defaultdict(list))
    for item in scored:
        day = item.score.local_time.date()
        weeks[item.score.platform, item.score.account][day - timedelta(days=day.weekday())].append(item)
    followers = _followers(accounts, start, end)
    return tuple(
        AccountSeries(
            platform=platform,
            account=account,
            weeks=tuple(_week(monday, members) for monday, members in sorted(by_week.items())),
            followers=followers.get((platform, account)),
        )
        for (platform, account), by_week in sorted(weeks.items())
    )


def _week(monday: date, members: list[Scored]) -> Week:
    seen = [item.score.impressions for item in members if item.score.impressions is not None]
    return Week(
        start=monday,
        posts=len(members),
        engagements=sum(item.score.engagements for item in members),
        impressions=sum(seen) if seen else None,
    )


# each reader's follower count: Mastodon, X, Facebook, Instagram, Threads; Bluesky; Pinterest; LinkedIn's
# organization network size
_FOLLOWERS = ("followers_count", "followersCount", "follower_count", "firstDegreeSize")


def _followers(
    rows: Iterable[AccountObservation], start: datetime, end: datetime
) -> dict[tuple[str, str], tuple[int, int]]:
    """First and last follower count of each account in the period, under the platform's own name."""
    found: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
    for row in rows:
        if start <= row.observed <= end:
            count = next((row.metrics[name] for name in _FOLLOWERS if name in row.metrics), None)
            if count is not None:
                found[row.platform, row.account].append((row.observed, count))
    return {where: (min(points)[1], max(points)[1]) for where, points in found.items()}


def format_label(facts: PostFacts, lang: str) -> tuple[str, str, str]:
    """The three format groups a delivery belongs to: thread or single, image or not, its language."""
    shape = {True: "thread", False: "single", None: "single or thread (not in the ledger)"}[facts.thread]
    return shape, "with image" if facts.images else "no image", f"language {lang}"


def _groups(scored: Sequence[Scored]) -> tuple[Group, ...]:
    members: dict[tuple[str, str, str], list[DeliveryScore]] = defaultdict(list)  # kind, order, label
    for item in scored:
        as_lift = replace(item.score, score=item.lift, basis="relative")
        for tag in item.facts.tags:
            members["tag", tag.casefold(), "#" + tag].append(as_lift)
        if item.facts.campaign:
            members["campaign", item.facts.campaign, item.facts.campaign].append(as_lift)
        for order, label in enumerate(format_label(item.facts, item.score.lang)):
            members["format", f"{order}{label}", label].append(as_lift)
        weekday, hour = item.score.slot
        members["slot", f"{weekday}{hour:02d}", f"{WEEKDAYS[weekday]} {hour:02d}:00"].append(as_lift)
    groups = []
    for (kind, _, label), values in sorted(members.items()):
        stats = slot_summary(values)
        if kind == "slot":
            stats = replace(stats, weekday=values[0].slot[0], hour=values[0].slot[1])
        groups.append(Group(kind, label, stats))
    return tuple(groups)


def _best(history: Sequence[DeliveryScore]) -> tuple[SlotScore, ...]:
    by_account: dict[tuple[str, str], list[SlotScore]] = defaultdict(list)
    for slot in slots_of(history):
        if slot.enough:
            by_account[slot.platform, slot.account].append(slot)
    best: list[SlotScore] = []
    for _, slots in sorted(by_account.items()):
        slots.sort(key=lambda slot: (-(slot.median or 0.0), slot.weekday, slot.hour))
        best += slots[:BEST_SLOTS]
    return tuple(best)


def history_for(
    history: Sequence[Scored], platform: str, local_time: datetime, thread: bool, images: bool
) -> SlotScore:
    """How deliveries on `platform` at this weekday × hour, in this format (thread or single, image or not),
    have done before, by lift: for a new post in a pull request's comment."""
    slot = (local_time.weekday(), local_time.hour)
    alike = [
        replace(item.score, score=item.lift, basis="relative")
        for item in history
        if item.score.platform == platform
        and item.score.slot == slot
        and bool(item.facts.thread) == thread
        and item.facts.images == images
    ]
    summary = slot_summary(alike)
    return replace(summary, platform=platform, weekday=slot[0], hour=slot[1])


# from a brand repository --------------------------------------------------------------------------------


def post_facts(config: Config, posts: Iterable[Post], states: Mapping[str, JobState]) -> dict[str, PostFacts]:
    """Facts by delivery key: tags, campaign, images and time from the source (an account's or platform's
    override first), thread or single and the link from the ledger."""
    facts: dict[str, PostFacts] = {}
    for post in posts:
        for account in post.targets:
            key = f"{post.id}.{post.lang}/{account}"
            platform = config.accounts[account].platform if account in config.accounts else ""
            override = (
                {**post.overrides.get(platform, {}), **post.overrides.get(account, {})}
                if post.overrides
                else {}
            )
            state = states.get(key)
            facts[key] = PostFacts(
                source=post.source,
                title=post.title or post.id,
                tags=tuple(override.get("tags") or post.tags),  # type: ignore[arg-type]
                campaign=getattr(post, "campaign", None),  # a front-matter `campaign:` where there is one
                images=bool(override.get("images", post.media)),
                thread=state.parts > 1 if state else None,
                url=_url(state),
                scheduled=post.publish_at_by_account.get(account, post.publish_at),
            )
    for key, state in states.items():  # published, but its file is gone: the ledger still knows the rest
        if key not in facts and state.records:
            title = state.records[0].post_id
            facts[key] = PostFacts(None, title, (), None, False, state.parts > 1, _url(state), None)
    return facts


def _url(state: JobState | None) -> str | None:
    receipt = state.first_receipt if state else None
    return receipt.url if receipt else None


def from_project(project: Project, since: str, at: datetime | None = None) -> Performance:
    """The report of a brand repository: config.yml, content/, the ledger and state/metrics/. Raises
    ReportError (config.yml unusable, a bad --since), StoreError and LedgerError (a damaged file, located)."""
    from postwright.cache import memo  # the loader and the store: imported when a report is made
    from postwright.config import load_config

    config, _ = load_config(project)
    if config is None:
        raise ReportError("config.yml cannot be used: run `postwright check` to see why")
    with memo.collector_paused():  # many objects, no cycles: the collector's walks would cost a tenth
        return _from_project(project, config, since, at)


def _from_project(project: Project, config: Config, since: str, at: datetime | None) -> Performance:
    from postwright.cache import memo
    from postwright.insights.store import read_accounts, read_settled
    from postwright.load import is_loaded_file, load_posts

    loaded = load_posts(project, config, memo.posts_memo(project, is_loaded_file))  # a build's memo helps
    zone = ZoneInfo(config.brand.timezone)
    newest = at or _newest_month(project.root)
    first = None if newest is None else min(newest - BEST_TIME_HISTORY, parse_since(since, newest, zone))
    # only each delivery's settled reading is read, so neither time nor memory grows with its rows
    observations = read_settled(project.root, SETTLED_AGE, first and first - _CONTEXT, at) if newest else ()
    states = Ledger(project.state_dir).read()
    facts = post_facts(config, loaded.posts, states)
    if newest is None:  # no readings yet: the period ends at the newest thing the repository knows
        at = _newest_known(project, loaded.posts, states)
    report = performance(
        observations,
        facts,
        since=since,
        zone=zone,
        until=at,
        accounts=read_accounts(project.root, first),
        brand=config.brand.name,
    )
    return replace(report, roi=_roi(project, config, loaded.posts, report))


def _roi(project: Project, config: Config, posts: Sequence[Post], report: Performance) -> Roi | None:
    """Return on investment over the report's period; None where there is nothing to count (no
    conversions imported, no cost in a post or campaign). A damaged conversions file is a StoreError,
    located."""
    from postwright.insights import conversions, roi
    from postwright.insights.store import StoreError

    costs = any(post.cost for post in posts) or any(c.cost for c in config.campaigns.values())
    if not costs and not (project.root / conversions.FOLDER).is_dir():
        return None
    found = conversions.read_conversions(project.root, report.since.date())
    try:
        return roi.roi(config, posts, found, report.since.date(), report.until)
    except conversions.ConversionsError as error:  # a damaged stored file: named, like one of state/metrics/
        raise StoreError(str(error)) from error


def _newest_known(project: Project, posts: Sequence[Post], states: Mapping[str, JobState]) -> datetime | None:
    """Where a report without readings ends, the same for the same files: the newest ledger record or
    imported conversions day, else the newest post's time (never the epoch, never the clock)."""
    from postwright.insights import conversions
    from postwright.insights.store import StoreError

    known = [datetime.fromisoformat(record.time) for state in states.values() for record in state.records]
    try:
        days = [row.day for row in conversions.read_conversions(project.root)]
    except conversions.ConversionsError as error:  # a damaged stored file: named, like one of state/metrics/
        raise StoreError(str(error)) from error
    if days:  # the end of the newest day imported
        last = max(days)
        known.append(datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1))
    if not known:
        known = [when for post in posts for when in post.publish_at_by_account.values()]
    return max(known, default=None)


def _newest_month(root: Path) -> datetime | None:
    """The end of the newest month with post readings: reading starts a year and a period before it."""
    from postwright.insights.store import metrics_folder

    folder = metrics_folder(root)
    months = [
        path.stem
        for platform in (folder.iterdir() if folder.is_dir() else ())
        if platform.is_dir()
        for path in platform.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].csv")
    ]
    if not months:
        return None
    start = datetime.strptime(max(months), "%Y-%m").replace(tzinfo=UTC)
    return (start + timedelta(days=32)).replace(day=1)


# output ---------------------------------------------------------------------------------------------------

SCORE_NOTE = (
    "Lift: a post's score over its account's median in the period (1.0 = ordinary for that account). Score: "
    "engagements / impressions where the platform counts impressions, else engagements relative to the "
    "account's rolling median. Intervals: 95 % bootstrap of the median; fewer than "
    f"{MIN_N} posts is not enough data."
)


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def stats_json(stats: SlotScore) -> dict[str, object]:
    return {
        "n": stats.n,
        "median": _number(stats.median),
        "low": _number(stats.low),
        "high": _number(stats.high),
        "enough": stats.enough,
    }


def _post_json(item: Scored) -> dict[str, object]:
    score, facts = item.score, item.facts
    return {
        "key": score.key,
        "post_id": score.post_id,
        "lang": score.lang,
        "platform": score.platform,
        "account": score.account,
        "title": facts.title,
        "source": facts.source,
        "url": facts.url,
        "local_time": score.local_time.isoformat(),
        "lift": _number(item.lift),
        "score": _number(score.score),
        "basis": score.basis,
        "engagements": score.engagements,
        "impressions": score.impressions,
        "metrics": dict(sorted(item.metrics.items())),
    }


def as_data(report: Performance) -> dict[str, object]:
    """Everything the report shows, as plain data (the JSON format)."""
    return {
        "brand": report.brand,
        "zone": report.zone,
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "note": SCORE_NOTE,
        "accounts": [
            {
                "platform": series.platform,
                "account": series.account,
                "posts": series.posts,
                "engagements": series.engagements,
                "followers": list(series.followers) if series.followers else None,
                "weeks": [
                    {
                        "start": week.start.isoformat(),
                        "posts": week.posts,
                        "engagements": week.engagements,
                        "impressions": week.impressions,
                    }
                    for week in series.weeks
                ],
            }
            for series in report.accounts
        ],
        "top": [_post_json(item) for item in report.top],
        "bottom": [_post_json(item) for item in report.bottom],
        "groups": [
            {"kind": group.kind, "label": group.label, **stats_json(group.stats)} for group in report.groups
        ],
        "best_times": [
            {
                "platform": slot.platform,
                "account": slot.account,
                "slot": slot.label,
                "basis": slot.basis,
                **stats_json(slot),
            }
            for slot in report.best
        ],
        "roi": _roi_data(report),
    }


def _roi_data(report: Performance) -> dict[str, object] | None:
    from postwright.insights import roi

    return roi.as_json(report.roi) if report.roi else None


def as_json(report: Performance) -> str:
    from postwright.console import json_text

    return json_text(as_data(report)) + "\n"


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def interval_text(stats: SlotScore) -> str:
    """'1.20 [0.90, 1.50]' or 'not enough data (n=3)'."""
    if not stats.enough:
        return f"not enough data (n={stats.n})"
    return f"{_cell(stats.median)} [{_cell(stats.low)}, {_cell(stats.high)}]"


def _code(text: str) -> str:
    return f"`{text.replace('`', '')}`"


def markdown(report: Performance) -> str:
    """The report for a job summary or a file: tables, each post's file and its link on the platform."""
    from postwright.console import escape_markdown  # the pull request report's escaping: one rule for both

    period = f"{report.since:%Y-%m-%d} – {report.until:%Y-%m-%d} ({report.zone})"
    lines = [
        f"## postwright metrics: {escape_markdown(report.brand or 'all accounts')}, {period}",
        "",
        f"{len(report.posts)} posts measured on {len(report.accounts)} accounts. {SCORE_NOTE}",
    ]
    if not report.posts:
        lines += ["", "No readings in this period: `postwright metrics pull` reads them after publishing."]
        return "\n".join(lines + _roi_markdown(report)) + "\n"
    lines += _accounts_markdown(report)
    for title, posts in (("Top posts", report.top), ("Bottom posts", report.bottom)):
        lines += ["", f"### {title}", "", "| lift | post | account | time | engagements | impressions |"]
        lines += [
            "| ---: | --- | --- | --- | ---: | ---: |",
            *(_post_row(item, escape_markdown) for item in posts),
        ]
    for kind, title in GROUP_TITLES.items():
        if groups := report.by(kind):
            lines += ["", f"### {title}", "", "| | median lift [interval] | n |", "| --- | --- | ---: |"]
            lines += [
                f"| {escape_markdown(g.label)} | {interval_text(g.stats)} | {g.stats.n} |" for g in groups
            ]
    lines += ["", f"### Best times (the year to {report.until:%Y-%m-%d}, by score)", ""]
    if report.best:
        lines += ["| account | slot | median score [interval] | n |", "| --- | --- | --- | ---: |"]
        lines += [f"| {_code(s.account)} | {s.label} | {interval_text(s)} | {s.n} |" for s in report.best]
    else:
        lines.append(f"Not enough data yet: a slot needs {MIN_N} posts.")
    return "\n".join(lines + _roi_markdown(report)) + "\n"


def _roi_markdown(report: Performance) -> list[str]:
    """The return-on-investment tables as a section of this report (roi.py writes them)."""
    if not report.roi:
        return []
    from postwright.insights import roi

    return ["", roi.as_markdown(report.roi).rstrip("\n").replace("## Return", "### Return", 1)]


GROUP_TITLES = {
    "tag": "By tag",
    "campaign": "By campaign",
    "format": "By format",
    "slot": "By weekday and hour",
}


def _post_row(item: Scored, escape) -> str:
    score, facts = item.score, item.facts
    name = escape(facts.title)
    if facts.url and facts.url.startswith(("https://", "http://")):
        name = f"[{name}]({facts.url})"
    where = f" {_code(facts.source)}" if facts.source else ""
    seen = "–" if score.impressions is None else str(score.impressions)
    when = f"{score.local_time:%a %Y-%m-%d %H:%M}"
    account = _code(score.account)
    return f"| {_cell(item.lift)} | {name}{where} | {account} | {when} | {score.engagements} | {seen} |"


def _accounts_markdown(report: Performance) -> list[str]:
    lines = ["", "### Accounts", "", "| platform | account | posts | engagements | followers |"]
    lines.append("| --- | --- | ---: | ---: | --- |")
    for series in report.accounts:
        followers = f"{series.followers[0]} → {series.followers[1]}" if series.followers else "–"
        account = _code(series.account)
        lines.append(
            f"| {series.platform} | {account} | {series.posts} | {series.engagements} | {followers} |"
        )
    mondays = sorted({week.start for series in report.accounts for week in series.weeks})
    lines += ["", "### Week by week (engagements, posts)", ""]
    lines.append("| week | " + " | ".join(_code(series.account) for series in report.accounts) + " |")
    lines.append("| --- |" + " ---: |" * len(report.accounts))
    for monday in mondays:
        cells = []
        for series in report.accounts:
            week = next((week for week in series.weeks if week.start == monday), None)
            cells.append(f"{week.engagements} ({week.posts})" if week else "–")
        lines.append(f"| {monday:%Y-%m-%d} | " + " | ".join(cells) + " |")
    return lines


def rendered(report: Performance, output_format: str, *, root: Path, folder: Path | None) -> bytes:
    """The report as `metrics report` writes it; `folder`: where an HTML page goes (its links to the posts'
    files and outbox receipts are relative to it; default: the project's root)."""
    if output_format == "json":
        return as_json(report).encode()
    if output_format == "markdown":
        return markdown(report).encode()
    from postwright.preview.performance import performance_page
    from postwright.preview.site import live_href

    where = folder or root
    return performance_page(
        report, live=lambda url: live_href(url, root, where), source=lambda path: live_href(path, root, where)
    )
