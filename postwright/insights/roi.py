"""Return on investment: the conversions state/conversions/ holds, joined to the posts that brought them,
minus what the posts and campaigns cost (`metrics roi`, and a section of `metrics report`).

The join is by the tags postwright itself put on each link: for every post and account, config.yml's
brand.utm templates give the utm_campaign and utm_content the link carried, so a conversion row with those
values belongs to that post on that account. A row no post's tags explain (another campaign of the site, or
tags that name no post, e.g. `campaign: social`) is counted as unattributed, never guessed.

Costs: a post's `cost:` is split evenly over the accounts it went to (so the platforms add up to the post);
a campaign's own cost (config.yml `campaigns:`) counts for the campaign only. With `since`, the posts
published from that day on are counted, with all their conversions (a post's return is the post's, however
late it came), and the campaigns among them; drafts and posts due after `until` (the command's --at,
default now) are not counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from postwright.config import Config
from postwright.insights.conversions import Conversion, read_conversions
from postwright.model import Post

UNATTRIBUTED = "(unattributed)"


@dataclass(frozen=True, slots=True)
class RoiRow:
    """What one post, account, platform or campaign brought and cost."""

    name: str
    visits: int = 0
    conversions: int = 0
    revenue: float = 0.0
    cost: float = 0.0
    title: str = ""

    @property
    def net(self) -> float:
        return self.revenue - self.cost

    @property
    def roi(self) -> float | None:
        """(revenue − cost) / cost; None without a cost (a free post has no ratio, only its revenue)."""
        return self.net / self.cost if self.cost else None

    def plus(self, visits: int = 0, conversions: int = 0, revenue: float = 0.0, cost: float = 0.0) -> RoiRow:
        return RoiRow(
            self.name,
            self.visits + visits,
            self.conversions + conversions,
            self.revenue + revenue,
            self.cost + cost,
            self.title,
        )


@dataclass(frozen=True, slots=True)
class Roi:
    """The tables, each sorted by net return (best first), then name."""

    posts: tuple[RoiRow, ...]
    accounts: tuple[RoiRow, ...]
    platforms: tuple[RoiRow, ...]
    campaigns: tuple[RoiRow, ...]
    unattributed: RoiRow
    currencies: tuple[str, ...]  # more than one: revenue is summed across them, and the report says so
    since: date | None = None
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class _Target:
    post: Post
    account: str
    platform: str
    share: float  # the post's cost over its accounts


def tags_for(config: Config, post_id: str, account: str, platform: str) -> tuple[str, str | None]:
    """The utm_campaign and utm_content render.add_utm gives this post's links on this account."""
    utm = config.brand.utm
    values = {"platform": platform, "account": account, "post_id": post_id}
    return utm.campaign.format(**values), (utm.content.format(**values) if utm.content else None)


def roi(
    config: Config,
    posts: Iterable[Post],
    conversions: Iterable[Conversion],
    since: date | None = None,
    until: datetime | None = None,
) -> Roi:
    """Revenue − cost per post, account, platform and campaign (see the module docstring); drafts and
    posts due after `until` are left out."""
    chosen = sorted(
        (
            post
            for post in posts
            if not post.draft
            and (since is None or post.publish_at.astimezone(config.zone).date() >= since)
            and (until is None or post.publish_at <= until)
        ),
        key=lambda post: (post.lang != config.brand.language, post.id, post.lang),  # its title first
    )
    targets = _targets(config, chosen)
    by_campaign_tag: dict[str, set[str]] = {}
    by_tags: dict[tuple[str, str], list[_Target]] = {}
    for target in targets:
        campaign, content = tags_for(config, target.post.id, target.account, target.platform)
        by_campaign_tag.setdefault(campaign, set()).add(target.post.id)
        by_tags.setdefault((campaign, content or ""), []).append(target)
    tables: dict[str, dict[str, RoiRow]] = {"post": {}, "account": {}, "platform": {}, "campaign": {}}
    for target in targets:  # costs, and a row for every post even before any conversion came
        _add(tables, target, target.post.campaign, cost=target.share)
    for name, held in tables["campaign"].items():
        if (campaign := config.campaigns.get(name)) is not None:
            tables["campaign"][name] = replace(held.plus(cost=campaign.cost), title=campaign.title)
    unattributed = RoiRow(UNATTRIBUTED)
    currencies: set[str] = set()
    notes = []
    for row in conversions:
        if row.currency:
            currencies.add(row.currency)
        matched = _match(row, by_tags, by_campaign_tag, config.brand.utm.content is False)
        if matched is None:
            unattributed = unattributed.plus(row.visits, row.conversions, row.revenue)
            continue
        share = 1 / len(matched)  # a post's link without utm_content: its accounts share the numbers
        for target in matched:
            _add(
                tables,
                target,
                target.post.campaign,
                visits=row.visits * share,
                conversions=row.conversions * share,
                revenue=row.revenue * share,
            )
    if len(currencies) > 1:
        notes.append(f"revenue is in {', '.join(sorted(currencies))}: summed as if one currency")
    return Roi(
        posts=_ranked(tables["post"]),
        accounts=_ranked(tables["account"]),
        platforms=_ranked(tables["platform"]),
        campaigns=_ranked(tables["campaign"]),
        unattributed=unattributed,
        currencies=tuple(sorted(currencies)),
        since=since,
        notes=tuple(notes),
    )


def _targets(config: Config, posts: Sequence[Post]) -> list[_Target]:
    targets = []
    for post in posts:
        accounts = [name for name in post.targets if name in config.accounts]
        for account in accounts:
            share = (post.cost or 0.0) / len(accounts)
            targets.append(_Target(post, account, config.accounts[account].platform, share))
    return targets


def _match(
    row: Conversion,
    by_tags: Mapping[tuple[str, str], list[_Target]],
    by_campaign_tag: Mapping[str, set[str]],
    no_content: bool,
) -> list[_Target] | None:
    """The targets a row belongs to: exactly one post's, else None (unknown or ambiguous tags)."""
    if len(by_campaign_tag.get(row.campaign, ())) != 1:
        return None  # the campaign tag names no post of the window, or several (a fixed utm_campaign)
    if no_content:
        return [
            target for (campaign, _), found in by_tags.items() if campaign == row.campaign for target in found
        ]
    found = by_tags.get((row.campaign, row.content))
    return found if found and len({target.account for target in found}) == 1 else None


def _add(tables: dict[str, dict[str, RoiRow]], target: _Target, campaign: str | None, **numbers: Any) -> None:
    visits = numbers.get("visits", 0)
    conversions = numbers.get("conversions", 0)
    revenue = numbers.get("revenue", 0.0)
    cost = numbers.get("cost", 0.0)
    keys = {
        "post": (target.post.id, target.post.title),
        "account": (target.account, ""),
        "platform": (target.platform, ""),
    }
    if campaign:
        keys["campaign"] = (campaign, "")
    for table, (name, title) in keys.items():
        held = tables[table].get(name, RoiRow(name, title=title))
        tables[table][name] = held.plus(visits, conversions, revenue, cost)


def _ranked(rows: Mapping[str, RoiRow]) -> tuple[RoiRow, ...]:
    return tuple(sorted((_rounded(row) for row in rows.values()), key=lambda row: (-row.net, row.name)))


def _rounded(row: RoiRow) -> RoiRow:
    """Counts shared between accounts are whole again in the totals; money to the cent."""
    return RoiRow(
        row.name,
        round(row.visits),
        round(row.conversions),
        round(row.revenue, 2),
        round(row.cost, 2),
        row.title,
    )


# renderings


def roi_section(
    root: Path,
    config: Config,
    posts: Iterable[Post],
    *,
    since: date | None = None,
    until: datetime | None = None,
    format: Literal["markdown", "json"] = "markdown",
) -> str | dict[str, Any]:
    """The return-on-investment part of a report: Markdown text, or a JSON-ready dict. Reads
    state/conversions/ under `root` (a damaged file raises conversions.ConversionsError, located)."""
    result = roi(config, posts, read_conversions(root), since, until)
    return as_markdown(result) if format == "markdown" else as_json(result)


def as_json(result: Roi) -> dict[str, Any]:
    def rows(items: Iterable[RoiRow]) -> list[dict[str, Any]]:
        return [
            {
                "name": row.name,
                **({"title": row.title} if row.title and row.title != row.name else {}),
                "visits": row.visits,
                "conversions": row.conversions,
                "revenue": row.revenue,
                "cost": row.cost,
                "net": round(row.net, 2),
                "roi": None if row.roi is None else round(row.roi, 4),
            }
            for row in items
        ]

    return {
        "since": result.since.isoformat() if result.since else None,
        "currencies": list(result.currencies),
        "notes": list(result.notes),
        "posts": rows(result.posts),
        "accounts": rows(result.accounts),
        "platforms": rows(result.platforms),
        "campaigns": rows(result.campaigns),
        "unattributed": rows([result.unattributed])[0],
    }


def as_markdown(result: Roi, top: int = 10) -> str:
    """Platforms, campaigns and accounts in full; the `top` best and worst posts."""
    currency = result.currencies[0] if len(result.currencies) == 1 else ""
    since = f" (posts published since {result.since.isoformat()})" if result.since else ""
    lines = [f"## Return on investment{since}", ""]
    if not any((result.posts, result.unattributed.visits, result.unattributed.conversions)):
        return "\n".join(
            [*lines, "No posts and no conversions yet: see `postwright metrics conversions`.", ""]
        )
    lines += [f"> {note}" for note in result.notes] + ([""] if result.notes else [])
    lines += _table("Platform", result.platforms, currency)
    if result.campaigns:
        lines += _table("Campaign", result.campaigns, currency)
    lines += _table("Account", result.accounts, currency)
    posts = result.posts if len(result.posts) <= 2 * top else (*result.posts[:top], *result.posts[-top:])
    lines += _table("Post" if posts == result.posts else f"Post (best and worst {top})", posts, currency)
    lost = result.unattributed
    if lost.visits or lost.conversions or lost.revenue:
        lines += [
            f"Not from a post's tags: {lost.visits} visits, {lost.conversions} conversions, "
            f"{_money(lost.revenue, currency)} revenue.",
            "",
        ]
    return "\n".join(lines)


def _table(heading: str, rows: Sequence[RoiRow], currency: str) -> list[str]:
    lines = [
        f"| {heading} | visits | conversions | revenue | cost | net | ROI |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        name = f"{row.name} ({row.title})" if row.title and row.title != row.name else row.name
        ratio = "–" if row.roi is None else f"{row.roi:+.0%}"
        lines.append(
            f"| {_cell(name)} | {row.visits} | {row.conversions} | {_money(row.revenue, currency)} | "
            f"{_money(row.cost, currency)} | {_money(row.net, currency)} | {ratio} |"
        )
    return [*lines, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _money(value: float, currency: str) -> str:
    text = f"{value:,.2f}"
    return f"{text} {currency}" if currency else text
