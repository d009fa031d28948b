"""publish/index.html: the review site, static and self-contained (no server, no external request).

Everything is rendered here into HTML with Jinja's autoescaping: post text is user content, so the
page's script never builds HTML from data, it only shows, hides and filters what is already there.
The data a filter needs travels in data- attributes. Works from file:// (Chromium forbids fetching
local JSON there), and a Content-Security-Policy forbids every request the page did not ship with.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import jinja2
from markupsafe import Markup, escape

from postwright import __version__
from postwright.diagnostics import Diagnostic, Severity
from postwright.platforms import PLATFORMS
from postwright.preview.model import STATUS_LABELS, Entry, Overview

ASSETS = ("site.css", "site.js")
"""Written to publish/preview/ next to index.html; fixed names, so a rebuild leaves nothing stale."""

PLATFORM_COLOURS = {
    "x": ("#111827", "#e5e7eb"),
    "bluesky": ("#0369a1", "#38bdf8"),
    "mastodon": ("#6d28d9", "#a78bfa"),
    "linkedin": ("#1e3a8a", "#93c5fd"),
    "facebook": ("#1d4ed8", "#60a5fa"),
    "threads": ("#4b5563", "#9ca3af"),
    "instagram": ("#be185d", "#f472b6"),
    "telegram": ("#0e7490", "#22d3ee"),
    "pinterest": ("#b91c1c", "#f87171"),
    "discord": ("#4f46e5", "#818cf8"),
}
"""One colour per platform in lists and calendars (each also carries its name: colour is never the only
cue), for light and for dark mode: dark enough for white text (4.5:1) on a light page, light enough
for dark text on a dark one, and 3:1 against the page either way, so no badge vanishes. Platforms
added later get a colour derived from their name."""

STATUS_ORDER = ("due", "upcoming", "blocked", "draft", "published", "missed", "expired", "failed")
STATUS_ORDER += ("unconfirmed", "paused", "retracted")


def platform_colours(name: str) -> tuple[str, str]:
    """(light mode, dark mode)."""
    if name in PLATFORM_COLOURS:
        return PLATFORM_COLOURS[name]
    hue = sum(name.encode()) * 47 % 360  # stable across runs, unlike hash()
    return f"hsl({hue} 60% 28%)", f"hsl({hue} 70% 72%)"


@dataclass(frozen=True, slots=True)
class Group:
    """Posts of one day at one time in the month view: one line, a chip per account."""

    time: str
    title: str
    post_id: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    in_month: bool
    today: bool
    groups: tuple[Group, ...]


@dataclass(frozen=True, slots=True)
class Month:
    key: str  # 2026-12
    label: str
    weeks: tuple[tuple[Day, ...], ...]
    previous: str | None
    next: str | None


@dataclass(frozen=True, slots=True)
class Week:
    key: str  # the Monday: 2026-11-30
    label: str
    days: tuple[date, ...]
    rows: tuple[tuple[str, str, tuple[tuple[Entry, ...], ...]], ...]  # account, platform, a cell a day
    previous: str | None
    next: str | None


def render_site(
    overview: Overview, out_dir: Path, *, project_root: Path, preview_url: str | None = None
) -> dict[str, bytes]:
    """index.html and its assets, by path relative to `out_dir`; `preview_url`: where index.html is served."""
    zone = overview.zone
    accounts = list(overview.accounts)
    today = overview.now.astimezone(zone).date()
    months = _months(overview, today)
    weeks = _weeks(overview, accounts)
    entries = overview.entries
    context = {
        "overview": overview,
        "today": today,
        "version": __version__,
        "posts": overview.posts,
        "months": months,
        "weeks": weeks,
        "default_post": _default_post(overview),
        "default_month": _nearest([m.key for m in months], today.strftime("%Y-%m")),
        "default_week": _nearest(
            [w.key for w in weeks], (today - timedelta(days=today.weekday())).isoformat()
        ),
        "platforms": [
            (name, PLATFORMS[name].title) for name in PLATFORMS if any(e.platform == name for e in entries)
        ],
        "accounts": [name for name in accounts if any(e.account == name for e in entries)],
        "statuses": [s for s in STATUS_ORDER if any(e.status == s for e in entries)],
        "dates": sorted(_local_day(e, overview) for e in entries),
        "problem_counts": _problem_counts(overview),
        "avatars": {
            name: f"brand/{name}/avatar.png"
            for name in PLATFORMS
            if (out_dir / "brand" / name / "avatar.png").is_file()
        },
        "live": lambda url: _live_href(url, project_root, out_dir),
        "calendar_href": urljoin(preview_url or "", "calendar.ics"),
    }
    environment = _environment(overview)
    page = environment.from_string(_asset("index.html.j2")).render(context)
    names = sorted({*PLATFORMS, *PLATFORM_COLOURS})
    css = (
        _asset("site.css")
        + "".join(f".p-{name}{{--pc:{platform_colours(name)[0]}}}\n" for name in names)
        + "@media (prefers-color-scheme: dark) {\n"
        + "".join(f".p-{name}{{--pc:{platform_colours(name)[1]}}}\n" for name in names)
        + "}\n"
    )
    return {
        "index.html": page.encode(),
        "preview/site.css": css.encode(),
        "preview/site.js": _asset("site.js").encode(),
    }


def _asset(name: str) -> str:
    return files("postwright.preview").joinpath(name).read_text("utf-8")


def _environment(overview: Overview) -> jinja2.Environment:
    environment = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    zone = overview.zone
    environment.filters.update(
        local=lambda when: _format(when.astimezone(zone)),
        utc=lambda when: when.astimezone(UTC).strftime("%H:%M UTC") + _day_shift(when, zone),
        hhmm=lambda when: when.astimezone(zone).strftime("%H:%M"),
        iso=lambda when: when.isoformat(),
        day=lambda entry: _local_day(entry, overview),
        label=lambda status: STATUS_LABELS.get(status, status),
        title=lambda platform: PLATFORMS[platform].title if platform in PLATFORMS else platform,
        kb=lambda size: f"{size / 1000:,.0f} kB" if size >= 1000 else f"{size} bytes",
        safe_href=_safe_href,
        utm=_utm,
        telegram=telegram_html,
        where=lambda item: f"{item.span.path}:{item.span.line}:{item.span.column}",
        worst=_worst_class,
    )
    return environment


def _format(when: datetime) -> str:
    return when.strftime("%a %-d %b %Y, %H:%M ") + (when.tzname() or "")


def _day_shift(when: datetime, zone) -> str:
    """'(30 Nov)' after a UTC time that falls on another day than the local one."""
    in_utc, local = when.astimezone(UTC), when.astimezone(zone)
    return "" if in_utc.date() == local.date() else in_utc.strftime(" (%-d %b)")


def _local_day(entry: Entry, overview: Overview) -> str:
    return entry.publish_at.astimezone(overview.zone).date().isoformat()


def _worst_class(items: Iterable[Diagnostic]) -> str:
    worst = max((item.severity for item in items), default=None)
    return "" if worst is None else f"has-{worst}"


def _problem_counts(overview: Overview) -> dict[str, int]:
    found = {item for entry in overview.entries for item in entry.all_problems} | set(overview.other_problems)
    return {
        "errors": sum(1 for item in found if item.severity == Severity.ERROR),
        "warnings": sum(1 for item in found if item.severity == Severity.WARNING),
    }


def _default_post(overview: Overview) -> str:
    """The next post to go out (what a reviewer most likely wants), else the last one."""
    upcoming = [post for post in overview.posts if any(e.publish_at >= overview.now for e in post.entries)]
    chosen = upcoming[0] if upcoming else (overview.posts[-1] if overview.posts else None)
    return chosen.post_id if chosen else ""


def _nearest(keys: list[str], wanted: str) -> str:
    """`wanted` if present, else the first key after it, else the last key."""
    return next((key for key in keys if key >= wanted), keys[-1] if keys else "")


_EMPTY_MONTHS_SHOWN = 12
"""The longest run of months without posts that the month calendar still shows (a longer one is skipped)."""


def _months(overview: Overview, today: date) -> list[Month]:
    """Every month from the first post's to the last post's, as weeks of days starting on Monday;
    a stretch of more than a year without posts is left out, so that one post dated centuries ahead
    does not make thousands of empty months."""
    zone = overview.zone
    by_day: dict[date, list[Entry]] = {}
    for entry in overview.entries:
        by_day.setdefault(entry.publish_at.astimezone(zone).date(), []).append(entry)
    if not by_day:
        return []
    numbers: list[int] = []  # months since January of year 0
    for number in sorted({day.year * 12 + day.month - 1 for day in by_day}):
        if numbers and number - numbers[-1] - 1 <= _EMPTY_MONTHS_SHOWN:
            numbers += range(numbers[-1] + 1, number)
        numbers.append(number)
    keys = [(number // 12, number % 12 + 1) for number in numbers]
    grid = calendar.Calendar(firstweekday=calendar.MONDAY)
    months = []
    for index, (year, month) in enumerate(keys):
        weeks = tuple(
            tuple(
                Day(day, day.month == month, day == today, _groups(by_day.get(day, []), overview))
                for day in week
            )
            for week in grid.monthdatescalendar(year, month)
        )
        months.append(
            Month(
                f"{year:04d}-{month:02d}",
                date(year, month, 1).strftime("%B %Y"),
                weeks,
                f"{keys[index - 1][0]:04d}-{keys[index - 1][1]:02d}" if index else None,
                f"{keys[index + 1][0]:04d}-{keys[index + 1][1]:02d}" if index + 1 < len(keys) else None,
            )
        )
    return months


def _groups(entries: list[Entry], overview: Overview) -> tuple[Group, ...]:
    grouped: dict[tuple[datetime, str, str], list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: (e.publish_at, e.post_id, e.lang)):
        grouped.setdefault((entry.publish_at, entry.post_id, entry.lang), []).append(entry)
    order = {entry.key: index for index, entry in enumerate(overview.entries)}
    return tuple(
        Group(
            when.astimezone(overview.zone).strftime("%H:%M"),
            found[0].title or post_id,
            post_id,
            tuple(sorted(found, key=lambda e: order[e.key])),
        )
        for (when, post_id, _lang), found in grouped.items()
    )


def _weeks(overview: Overview, accounts: list[str]) -> list[Week]:
    """Every week (Monday to Sunday) that has a post: a row per account, a column per day."""
    zone = overview.zone
    by_week: dict[date, list[Entry]] = {}
    for entry in overview.entries:
        day = entry.publish_at.astimezone(zone).date()
        by_week.setdefault(day - timedelta(days=day.weekday()), []).append(entry)
    starts = sorted(by_week)
    weeks = []
    for index, start in enumerate(starts):
        days = tuple(start + timedelta(days=offset) for offset in range(7))
        found = sorted(by_week[start], key=lambda e: (e.publish_at, e.key))
        rows = []
        for account in accounts:
            mine = [e for e in found if e.account == account]
            platform = next((e.platform for e in overview.entries if e.account == account), "")
            if not platform:
                continue
            cells = tuple(
                tuple(e for e in mine if e.publish_at.astimezone(zone).date() == day) for day in days
            )
            rows.append((account, platform, cells))
        end = days[-1]
        label = (
            f"{start:%-d %b} – {end:%-d %b %Y}"
            if start.year == end.year
            else f"{start:%-d %b %Y} – {end:%-d %b %Y}"
        )
        weeks.append(
            Week(
                start.isoformat(),
                f"Week {start.isocalendar()[1]}: {label}",
                days,
                tuple(rows),
                starts[index - 1].isoformat() if index else None,
                starts[index + 1].isoformat() if index + 1 < len(starts) else None,
            )
        )
    return weeks


def _safe_href(url: str | None) -> str | None:
    """Only web links become links: a javascript: or data: URL in a post stays text."""
    if not url:
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def _live_href(url: str | None, project_root: Path, out_dir: Path) -> str | None:
    """The published post: a web link, or an outbox file (a path in the repository) seen from out_dir."""
    if not url:
        return None
    if urlsplit(url).scheme:
        return _safe_href(url)
    target = (project_root / url).resolve()
    return Path(os.path.relpath(target, out_dir.resolve())).as_posix()


def _utm(url: str) -> list[tuple[str, str]]:
    return [(name, value) for name, value in parse_qsl(urlsplit(url).query) if name.startswith("utm_")]


class _TelegramHTML(HTMLParser):
    """Telegram's HTML subset (core.telegram.org/bots/api#html-style) as it will look; anything else is
    shown as text, so the preview cannot run markup a post smuggles in."""

    TAGS = {
        "b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u", "s": "s", "strike": "s",
        "del": "s", "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-spoiler": "span",
        "a": "a",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = self.TAGS.get(tag)
        if name is None:
            self.out.append(str(escape(self.get_starttag_text() or "")))
            return
        extra = ""
        if name == "a":
            href = _safe_href(dict(attrs).get("href"))
            extra = f' href="{escape(href)}" rel="noopener noreferrer" target="_blank"' if href else ""
        elif tag == "tg-spoiler":
            extra = ' class="spoiler"'
        self.out.append(f"<{name}{extra}>")
        self.open.append(name)

    def handle_endtag(self, tag: str) -> None:
        name = self.TAGS.get(tag)
        if name is None or name not in self.open:
            self.out.append(str(escape(f"</{tag}>")))
            return
        while self.open:  # close what is still open inside it, so the page's own markup stays whole
            closing = self.open.pop()
            self.out.append(f"</{closing}>")
            if closing == name:
                break

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(str(escape(self.get_starttag_text() or "")))

    def handle_comment(self, data: str) -> None:
        self.out.append(str(escape(f"<!--{data}-->")))

    def handle_data(self, data: str) -> None:
        self.out.append(str(escape(data)))

    def close(self) -> None:
        super().close()
        self.out += [f"</{name}>" for name in reversed(self.open)]
        self.open = []


def telegram_html(text: str) -> Markup:
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    return Markup("".join(parser.out))
