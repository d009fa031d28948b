"""publish/performance.html (and `metrics report --format html`): the performance report as one page.

Self-contained: its style is inline and allowed by its hash in the Content-Security-Policy, its charts are
inline SVG drawn here, and it runs no script, so it opens from disk, from a CI artifact or a mail. Each chart
has a title and a description, every number it draws is written beside it (never colour alone), and its
figures are also a table under "Numbers".
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from importlib.resources import files

import jinja2
from markupsafe import Markup, escape

from postwright import __version__
from postwright.insights.best_time import MIN_N, WEEKDAYS
from postwright.insights.report import (
    GROUP_TITLES,
    SCORE_NOTE,
    AccountSeries,
    Group,
    Performance,
    interval_text,
)
from postwright.platforms import PLATFORMS
from postwright.preview.site import platform_colours

Href = Callable[[str | None], str | None]


def performance_page(report: Performance, *, live: Href, source: Href, back: str | None = None) -> bytes:
    """The page. `live`: a post's platform link → href (None: no link); `source`: its file → href;
    `back`: the preview's index.html, when the page is part of the site."""
    style = _style()
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(_asset),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(interval=interval_text, lift=lambda value: f"{value:.2f}")
    page = environment.get_template("performance.html.j2").render(
        report=report,
        version=__version__,
        style=Markup(style),
        style_hash=base64.b64encode(hashlib.sha256(style.encode()).digest()).decode(),
        note=SCORE_NOTE,
        min_n=MIN_N,
        live=live,
        source=source,
        back=back,
        title=lambda name: PLATFORMS[name].title if name in PLATFORMS else name,
        weekly=weekly_chart,
        heatmap=heatmap,
        bars=group_bars,
        group_titles=GROUP_TITLES,
    )
    return page.encode()


def _asset(name: str) -> str:
    return files("postwright.preview").joinpath(name).read_text("utf-8")


def _style() -> str:
    names = sorted(PLATFORMS)
    return (
        _asset("performance.css")
        + "".join(f".p-{name}{{--pc:{platform_colours(name)[0]}}}\n" for name in names)
        + "@media (prefers-color-scheme: dark) {\n"
        + "".join(f".p-{name}{{--pc:{platform_colours(name)[1]}}}\n" for name in names)
        + "}\n"
    )


def _svg(width: int, height: int, ident: str, title: str, description: str, body: Sequence[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d" class="chart">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, css: str = "", anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{escape(text)}</text>'


def weekly_chart(series: AccountSeries, ident: str) -> Markup:
    """Engagements week by week as bars, each labelled with its number."""
    width, height, left, bottom, top = 640, 170, 8, 34, 22
    weeks = series.weeks
    peak = max((week.engagements for week in weeks), default=0) or 1
    step = (width - 2 * left) / max(len(weeks), 1)
    body = [f'<g class="p-{escape(series.platform)}">']
    for index, week in enumerate(weeks):
        bar = (height - bottom - top) * week.engagements / peak
        x, y = left + index * step + step * 0.1, height - bottom - bar
        label = f"week of {week.start:%d %b}: {week.engagements} engagements, {week.posts} posts"
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" height="{bar:.1f}">'
            f"<title>{escape(label)}</title></rect>"
        )
        body.append(_text(x + step * 0.4, y - 4, str(week.engagements), "value", "middle"))
        body.append(_text(x + step * 0.4, height - bottom + 14, f"{week.start:%d %b}", "axis", "middle"))
        body.append(_text(x + step * 0.4, height - bottom + 27, f"{week.posts} posts", "axis", "middle"))
    body.append(
        f'<line class="base" x1="{left}" x2="{width - left}" y1="{height - bottom}" y2="{height - bottom}"/>'
    )
    body.append("</g>")
    total = sum(week.engagements for week in weeks)
    title = f"{series.account}: engagements per week"
    description = (
        f"{len(weeks)} weeks, {series.posts} posts, {total} engagements in all; the highest week {peak}."
    )
    return _svg(width, height, ident, title, description, body)


def heatmap(groups: Sequence[Group], ident: str) -> Markup:
    """Weekday × hour: each cell's median lift written in it, shaded by it; * marks fewer than MIN_N posts."""
    cells = {(group.stats.weekday, group.stats.hour): group.stats for group in groups}
    hours = sorted({hour for _, hour in cells})
    if not hours:
        return Markup("")
    size, left, top = 46, 40, 20
    width, height = left + size * len(hours) + 4, top + size * 7 + 4
    peak = max((stats.median or 0.0 for stats in cells.values()), default=1.0) or 1.0
    body = [
        _text(left + size * i + size / 2, 14, f"{hour:02d}h", "axis", "middle")
        for i, hour in enumerate(hours)
    ]
    for row, day in enumerate(WEEKDAYS):
        y = top + row * size
        body.append(_text(left - 6, y + size / 2 + 4, day, "axis", "end"))
        for column, hour in enumerate(hours):
            stats = cells.get((row, hour))
            x = left + column * size
            if stats is None:
                body.append(f'<rect class="empty" x="{x}" y="{y}" width="{size - 2}" height="{size - 2}"/>')
                continue
            shade = 0.15 + 0.85 * min((stats.median or 0.0) / peak, 1.0)
            mark = "" if stats.enough else "*"
            label = f"{day} {hour:02d}:00: median lift {interval_text(stats)}, {stats.n} posts"
            body.append(
                f'<rect class="cell" x="{x}" y="{y}" width="{size - 2}" height="{size - 2}" '
                f'fill-opacity="{shade:.2f}"><title>{escape(label)}</title></rect>'
            )
            text = f"{stats.median or 0.0:.2f}{mark}"
            body.append(_text(x + size / 2 - 1, y + size / 2 + 4, text, "cell-value", "middle"))
    shown = sum(1 for stats in cells.values() if stats.enough)
    description = (
        f"Median lift of the posts at each weekday and hour in the brand's time zone; "
        f"{len(cells)} slots used, "
        f"{shown} with at least {MIN_N} posts. Darker is better; the number is in each cell."
    )
    return _svg(width, height, ident, "Median lift by weekday and hour", description, body)


def group_bars(groups: Sequence[Group], ident: str, title: str) -> Markup:
    """One bar per group: its median lift, the interval as a whisker, a dashed line at 1 (ordinary)."""
    row, label_width, width = 26, 190, 640
    scale_end = max([1.5, *(group.stats.high or group.stats.median or 0.0 for group in groups)])
    plot = width - label_width - 150
    height = row * len(groups) + 24

    def at(value: float) -> float:
        return label_width + plot * value / scale_end

    body = [f'<line class="ordinary" x1="{at(1):.1f}" x2="{at(1):.1f}" y1="0" y2="{height - 16}"/>']
    body.append(_text(at(1), height - 4, "1 = ordinary", "axis", "middle"))
    for index, group in enumerate(groups):
        stats, y = group.stats, index * row + 4
        median = stats.median or 0.0
        body.append(_text(label_width - 8, y + 15, group.label, "axis", "end"))
        body.append(
            f'<rect class="bar{"" if stats.enough else " thin"}" x="{label_width}" y="{y + 4}" '
            f'width="{at(median) - label_width:.1f}" height="{row - 10}">'
            f"<title>{escape(f'{group.label}: {interval_text(stats)}, n={stats.n}')}</title></rect>"
        )
        if stats.low is not None and stats.high is not None:
            middle = y + 4 + (row - 10) / 2
            body.append(
                f'<line class="whisker" x1="{at(stats.low):.1f}" x2="{at(stats.high):.1f}" '
                f'y1="{middle:.1f}" y2="{middle:.1f}"/>'
            )
        body.append(_text(width - 146, y + 15, f"{interval_text(stats)} n={stats.n}", "value"))
    description = (
        f"Median lift per group with its 95 % interval; groups with fewer than {MIN_N} posts are drawn "
        "pale and say 'not enough data'."
    )
    return _svg(width, height, ident, title, description, body)
