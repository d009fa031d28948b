"""publish/index.html: the review site, static and self-contained (no server, no external request).

index.html is a small shell whatever the number of posts. preview/index.js holds what the list, the
filters and the calendars need of every post (data: site.js puts it on the page with textContent, never
as HTML); preview/posts/<day>.js holds the pages of that day's posts, rendered into escaped HTML by page.py
(post text is user content), loaded when one opens. Both are scripts that call
site.js, because Chromium forbids fetching local JSON from file://; a Content-Security-Policy forbids
every request the page did not ship with.
"""

from __future__ import annotations

import json
import os
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from importlib.resources import files
from itertools import accumulate
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import jinja2
from markupsafe import Markup, escape

from postwright import __version__, workers
from postwright.diagnostics import Diagnostic, Severity
from postwright.platforms import PLATFORMS
from postwright.preview.model import STATUS_LABELS, Entry, Overview, PostView
from postwright.preview.page import post_page
from postwright.status import PlanStatus


def platform_colours(name: str) -> tuple[str, str]:
    """(light mode, dark mode): the platform's own (`Platform.colours`), else one derived from its name."""
    declared = PLATFORMS[name].colours if name in PLATFORMS else None
    if declared is not None:
        return declared
    hue = sum(name.encode()) * 47 % 360  # stable across runs, unlike hash()
    return f"hsl({hue} 60% 28%)", f"hsl({hue} 70% 72%)"


POSTS_FOLDER = "preview/posts"
"""One `<local day>.js` per day that has posts: the pages of that day's posts, loaded when one opens."""


def render_site(
    overview: Overview,
    out_dir: Path,
    *,
    project_root: Path,
    preview_url: str | None = None,
    changed: Collection[str] | None = None,
    source_url: str | None = None,
    performance: bool = False,
    write: Callable[[str, bytes], object] | None = None,
) -> dict[str, bytes | None]:
    """index.html, its assets, its data and the posts' pages, by path relative to `out_dir`.

    index.html stays small whatever the number of posts: the list and the calendars are drawn by
    site.js from preview/index.js (data only, shown with textContent), and each post's page (HTML that
    page.py escaped) comes from its day's preview/posts/<day>.js when it is opened. `changed`: the
    ids of the only posts given a page (a pull request's); the others link to `source_url` + their file.
    `preview_url`: where index.html is served. `performance`: link to performance.html (there are metrics).
    `write(relative path, bytes)`: each day's file is handed to it as soon as it is made (by a worker
    process when there are many posts) and is None in what is returned, so that the ~90 MB of pages
    of 5,000 posts are never held at once."""
    zone = overview.zone
    entries = overview.entries
    today = overview.now.astimezone(zone).date()
    months = _months(overview, entries)
    weeks = _weeks(overview, entries)
    environment = _environment(overview)
    avatars = {
        name: f"brand/{name}/avatar.png"
        for name in PLATFORMS
        if (out_dir / "brand" / name / "avatar.png").is_file()
    }

    def live(url: str | None) -> str | None:
        return live_href(url, project_root, out_dir)

    def page(post: PostView) -> str:
        return post_page(post, overview, avatars, live, environment.filters)

    days = _days(overview, changed)
    made = _day_files(days, page, write)
    chunks = {day: ids for day, ids, _data in made}  # day -> the ids of its posts that have a page
    context = {
        "overview": overview,
        "version": __version__,
        "posts": overview.posts,
        "default_month": _nearest([key for key, _ in months], today.strftime("%Y-%m")),
        "default_week": _nearest(
            [key for key, _ in weeks], (today - timedelta(days=today.weekday())).isoformat()
        ),
        "platforms": [
            (name, PLATFORMS[name].title) for name in PLATFORMS if any(e.platform == name for e in entries)
        ],
        "accounts": [name for name in overview.accounts if any(e.account == name for e in entries)],
        "statuses": [s for s in PlanStatus if any(e.status == s for e in entries)],
        "dates": sorted(_local_day(e, overview) for e in entries),
        "problem_counts": _problem_counts(overview, entries),
        "calendar_href": urljoin(preview_url or "", "calendar.ics"),
        "changed": changed,
        "performance": performance,
        "shown_in_full": sum(1 for post in overview.posts if changed is None or post.post_id in changed),
    }
    index_page = environment.get_template("index.html.j2").render(context)
    data = _index_data(overview, entries, context, months, weeks, chunks, source_url)
    names = sorted(PLATFORMS)
    css = (
        _asset("site.css")
        + "".join(f".p-{name}{{--pc:{platform_colours(name)[0]}}}\n" for name in names)
        + "@media (prefers-color-scheme: dark) {\n"
        + "".join(f".p-{name}{{--pc:{platform_colours(name)[1]}}}\n" for name in names)
        + "}\n"
    )
    files: dict[str, bytes | None] = {
        "index.html": index_page.encode(),
        "preview/site.css": css.encode(),
        "preview/site.js": _asset("site.js").encode(),
        "preview/index.js": _script("index", data),
    }
    for day, _ids, day_file in made:
        files[_day_file(day)] = day_file
    return files


def _day_file(day: str) -> str:
    return f"{POSTS_FOLDER}/{day}.js"


def _days(overview: Overview, changed: Collection[str] | None) -> list[tuple[str, list[PostView]]]:
    """The posts given a page, by local day, in time order (a day's posts come together)."""
    days: dict[str, list[PostView]] = {}
    for post in overview.posts:
        if changed is None or post.post_id in changed:
            days.setdefault(_chunk(post, overview.zone), []).append(post)
    return list(days.items())


def _day_files(
    days: list[tuple[str, list[PostView]]],
    page: Callable[[PostView], str],
    write: Callable[[str, bytes], object] | None,
) -> list[tuple[str, tuple[str, ...], bytes | None]]:
    """(day, its posts' ids, its file: None when handed to `write`) of every day, in order. Sliced by
    posts (a day goes with the slice holding its first post), on every core when there are many."""
    firsts = list(accumulate((len(posts) for _day, posts in days), initial=0))[:-1]

    def work(start: int, stop: int) -> list[tuple[str, tuple[str, ...], bytes | None]]:
        made = []
        for day, posts in days[bisect_left(firsts, start) : bisect_left(firsts, stop)]:
            data = _script("posts", {post.post_id: page(post) for post in posts})
            if write is not None:
                write(_day_file(day), data)
            made.append((day, tuple(post.post_id for post in posts), None if write else data))
        return made

    return workers.map_slices(work, firsts[-1] + len(days[-1][1]) if days else 0)


def _script(function: str, data: object) -> bytes:
    """A data file that `<script src>` loads from disk (Chromium forbids fetch() of file: URLs)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"postwright.{function}({text});\n".encode()


def _chunk(post: PostView, zone) -> str:
    return post.first_at.astimezone(zone).date().isoformat()


def _index_data(
    overview: Overview,
    entries: tuple[Entry, ...],
    context: dict,
    months: list[tuple[str, str]],
    weeks: list[tuple[str, str]],
    chunks: dict[str, tuple[str, ...]],
    source_url: str | None,
) -> dict:
    """What site.js needs to list, filter and draw every post without its page: a row per post and
    per delivery (field names once, in `fields`, not 20,000 times)."""
    zone = overview.zone
    posts, rows = [], []
    for index, post in enumerate(overview.posts):
        day = _chunk(post, zone)
        has_page = post.post_id in chunks.get(day, ())
        source = post.sources[0] if post.sources else ""
        posts.append(
            [
                post.post_id,
                post.title,
                day if has_page else None,
                _format(post.first_at.astimezone(zone)),
                post.first_at.isoformat(),
                (source_url or "") + source if source_url else source,
            ]
        )
        for e in post.entries:
            local = e.publish_at.astimezone(zone)
            rows.append(
                [
                    e.key,
                    index,
                    e.lang,
                    e.account,
                    e.platform,
                    STATUS_LABELS.get(e.status, e.status),
                    local.date().isoformat(),
                    local.strftime("%H:%M"),
                    int(e.publish_at.timestamp()),
                    _worst_class(e.all_problems),
                    len(e.all_problems),
                    e.title or e.post_id,
                ]
            )
    account_platforms = {e.account: e.platform for e in reversed(entries)}
    return {
        "fields": {
            "post": ["id", "title", "chunk", "when", "iso", "source"],
            "entry": [
                "key",
                "post",
                "lang",
                "account",
                "platform",
                "status",
                "date",
                "time",
                "t",
                "worst",
                "problems",
                "title",
            ],
        },
        "posts": posts,
        "entries": rows,
        "platforms": {
            name: (PLATFORMS[name].title if name in PLATFORMS else name)
            for name in sorted({e.platform for e in entries})
        },
        "accounts": [[name, account_platforms[name]] for name in context["accounts"]],
        "months": [list(month) for month in months],
        "weeks": [list(week) for week in weeks],
        "today": overview.now.astimezone(zone).date().isoformat(),
        "defaultPost": _default_post(overview, context["changed"]),
        "defaultMonth": context["default_month"],
        "defaultWeek": context["default_week"],
        "changedOnly": context["changed"] is not None,
    }


def _asset(name: str) -> str:
    return files("postwright.preview").joinpath(name).read_text("utf-8")


def templates() -> jinja2.Environment:
    """The preview's templates: autoescaped (post text is user content), strict about missing names."""
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_asset),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _environment(overview: Overview) -> jinja2.Environment:
    environment = templates()
    zone = overview.zone
    environment.filters.update(
        local=lambda when: _format(when.astimezone(zone)),
        utc=lambda when: when.astimezone(UTC).strftime("%H:%M UTC") + _day_shift(when, zone),
        hhmm=lambda when: when.astimezone(zone).strftime("%H:%M"),
        iso=lambda when: when.isoformat(),
        day=lambda entry: _local_day(entry, overview),
        label=lambda status: STATUS_LABELS.get(status, status),
        title=lambda platform: PLATFORMS[platform].title if platform in PLATFORMS else platform,
        dialect=lambda platform: PLATFORMS[platform].dialect if platform in PLATFORMS else "plain",
        kb=lambda size: f"{size / 1000:,.0f} kB" if size >= 1000 else f"{size} bytes",
        safe_href=_safe_href,
        utm=_utm,
        telegram=telegram_html,
        problems=problems_html,
        worst=_worst_class,
    )
    return environment


def problems_html(items: Collection[Diagnostic], cls: str = "") -> Markup:
    """The list of `items`, each with its code, place and hint; nothing when there are none. A filter
    rather than a template macro: a 5,000-post preview calls it 120,000 times, mostly for nothing."""
    if not items:
        return Markup("")
    rows = [f'<ul class="problems {escape(cls)}">\n']
    for item in items:
        scope = f' <span class="scope">[{escape(item.platform)}]</span>' if item.platform else ""
        where = escape(f"{item.span.path}:{item.span.line}:{item.span.column}")
        hint = f'<span class="hint">hint: {escape(item.hint)}</span>' if item.hint else ""
        severity = escape(item.severity)
        rows.append(
            f'  <li class="diag sev-{severity}"><span class="sev">{severity}</span> '
            f'<b class="code">{escape(item.code)}</b>{scope} {escape(item.message)} '
            f'<code class="where">{where}</code>{hint}</li>\n'
        )
    return Markup("".join([*rows, "</ul>\n"]))


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


def _problem_counts(overview: Overview, entries: tuple[Entry, ...]) -> dict[str, int]:
    found = {item for entry in entries for item in entry.all_problems} | set(overview.other_problems)
    return {
        "errors": sum(1 for item in found if item.severity == Severity.ERROR),
        "warnings": sum(1 for item in found if item.severity == Severity.WARNING),
    }


def _default_post(overview: Overview, changed: Collection[str] | None) -> str:
    """The next post to go out (what a reviewer most likely wants), else the last one; of the changed
    ones when only they are shown."""
    posts = [post for post in overview.posts if changed is None or post.post_id in changed]
    upcoming = [post for post in posts if any(e.publish_at >= overview.now for e in post.entries)]
    chosen = upcoming[0] if upcoming else (posts[-1] if posts else None)
    return chosen.post_id if chosen else ""


def _nearest(keys: list[str], wanted: str) -> str:
    """`wanted` if present, else the first key after it, else the last key."""
    return next((key for key in keys if key >= wanted), keys[-1] if keys else "")


_EMPTY_MONTHS_SHOWN = 12
"""The longest run of months without posts that the month calendar still shows (a longer one is skipped)."""


def _months(overview: Overview, entries: tuple[Entry, ...]) -> list[tuple[str, str]]:
    """(key, label) of every month from the first post's to the last post's (site.js draws the one
    shown); a stretch of more than a year without posts is left out, so that one post dated centuries
    ahead does not make thousands of empty months."""
    zone = overview.zone
    found = {(day := entry.publish_at.astimezone(zone)).year * 12 + day.month - 1 for entry in entries}
    numbers: list[int] = []  # months since January of year 0
    for number in sorted(found):
        if numbers and number - numbers[-1] - 1 <= _EMPTY_MONTHS_SHOWN:
            numbers += range(numbers[-1] + 1, number)
        numbers.append(number)
    return [
        (
            f"{number // 12:04d}-{number % 12 + 1:02d}",
            date(number // 12, number % 12 + 1, 1).strftime("%B %Y"),
        )
        for number in numbers
    ]


def _weeks(overview: Overview, entries: tuple[Entry, ...]) -> list[tuple[str, str]]:
    """(key: the Monday, label) of every week that has a post."""
    zone = overview.zone
    starts = sorted(
        {(day := e.publish_at.astimezone(zone).date()) - timedelta(days=day.weekday()) for e in entries}
    )
    weeks = []
    for start in starts:
        end = start + timedelta(days=6)
        label = (
            f"{start:%-d %b} – {end:%-d %b %Y}"
            if start.year == end.year
            else f"{start:%-d %b %Y} – {end:%-d %b %Y}"
        )
        weeks.append((start.isoformat(), f"Week {start.isocalendar()[1]}: {label}"))
    return weeks


def _safe_href(url: str | None) -> str | None:
    """Only web links become links: a javascript: or data: URL in a post stays text."""
    if not url:
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def live_href(url: str | None, project_root: Path, out_dir: Path) -> str | None:
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
