"""A post's page in the preview: every account of it, the HTML site.js shows when the post is opened.

Python rather than a Jinja template: a 5,000-post preview writes 20,000 of these panels, and Jinja's
attribute lookups and Markup objects were most of the preview's own time (2.5x this). Everything that
comes from a post or config.yml goes through `_e`, which escapes exactly as Jinja's autoescaping
(markupsafe) does; the filters are the index template's (site.py), so both pages say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from postwright.preview.model import Entry, Image, Overview, Part, PostView

Filters = Mapping[str, Callable[..., Any]]


def _e(value: object) -> str:
    """markupsafe.escape's output as a str, for text (Markup, such as the problems' lists, is never
    passed here): four times faster, as it makes no Markup object."""
    text = str(value)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def post_page(
    post: PostView,
    overview: Overview,
    avatars: Mapping[str, str],
    live: Callable[[str | None], str | None],
    filters: Filters,
) -> str:
    """The <article> of `post`: a tab and a panel per account."""
    sources = ", ".join(f"<code>{_e(source)}</code>" for source in post.sources)
    html = [
        f'    <article class="post" id="{_e(post.post_id)}">\n'
        "      <header>\n"
        f'        <h2 dir="auto">{_e(post.title)}</h2>\n'
        f'        <p class="meta"><code>#{_e(post.post_id)}</code> · {sources}</p>\n'
        "      </header>\n"
        '      <div class="tabs" role="tablist" aria-label="Accounts">\n'
    ]
    html += [_tab(e, index == 0, filters) for index, e in enumerate(post.entries)]
    html.append("      </div>\n")
    html += [_panel(e, index == 0, overview, avatars, live, filters) for index, e in enumerate(post.entries)]
    html.append("    </article>")
    return "".join(html)


def _tab(e: Entry, first: bool, f: Filters) -> str:
    key, platform = _e(e.key), _e(e.platform)
    mark = ' <span class="mark">!</span>' if e.all_problems else ""
    return (
        f'        <button type="button" role="tab" class="tab p-{platform} {_e(f["worst"](e.all_problems))}"'
        f' id="tab-{key}" aria-controls="{key}" aria-selected="{"true" if first else "false"}"'
        f' data-key="{key}" data-entry data-platform="{platform}" data-account="{_e(e.account)}"'
        f' data-status="{_e(f["label"](e.status))}" data-date="{_e(f["day"](e))}"><span class="dot"></span>'
        f'{_e(f["title"](e.platform))} <span class="acct">{_e(e.account)}</span>'
        f' <span class="lang">{_e(e.lang)}</span>{mark}</button>\n'
    )


def _panel(
    e: Entry,
    first: bool,
    overview: Overview,
    avatars: Mapping[str, str],
    live: Callable[[str | None], str | None],
    f: Filters,
) -> str:
    key, label = _e(e.key), _e(f["label"](e.status))
    status = f'<span class="status s-{label}">{label}</span>'
    if e.detail:
        status += f' <span class="detail">{_e(e.detail)}</span>'
    if href := live(e.url):
        link = f'href="{_e(href)}" rel="noopener noreferrer" target="_blank"'
        status += f' <a class="live" {link}>published post ↗</a>'
    elif e.url:
        status += f" <code>{_e(e.url)}</code>"
    handle = f" ({_e(e.handle)})" if e.handle else ""
    rtl = " · right to left" if e.direction == "rtl" else ""
    html = [
        f'      <section class="variant p-{_e(e.platform)}" id="{key}" role="tabpanel"'
        f' aria-labelledby="tab-{key}"{"" if first else " hidden"}>\n'
        '        <dl class="facts">\n'
        f"          <div><dt>Status</dt><dd>{status}</dd></div>\n"
        f'          <div><dt>Publish</dt><dd><time datetime="{_e(f["iso"](e.publish_at))}">'
        f'{_e(f["local"](e.publish_at))}</time> <span class="tz">{_e(overview.zone.key)}</span> · '
        f'<span class="utc">{_e(f["utc"](e.publish_at))}</span></dd></div>\n'
        f"          <div><dt>Account</dt><dd>{_e(f['title'](e.platform))} · <b>{_e(e.account)}</b>{handle}"
        "</dd></div>\n"
        f'          <div><dt>Language</dt><dd><span class="langtag">{_e(e.lang)}</span>{rtl}</dd></div>\n'
    ]
    if e.link:
        utm = "".join(f' <span class="utm">{_e(name)}={_e(value)}</span>' for name, value in f["utm"](e.link))
        html.append(f'          <div><dt>Link</dt><dd class="link">{_link(e.link, f)}{utm}</dd></div>\n')
    if e.in_reply_to:
        html.append(
            f'          <div><dt>Replying to</dt><dd class="link">{_link(e.in_reply_to, f)}</dd></div>\n'
        )
    avatar = avatars.get(e.platform)
    picture = (
        f'<img class="avatar" src="{_e(avatar)}" alt="" width="40" height="40">'
        if avatar
        else '<span class="avatar blank"></span>'
    )
    html.append(
        f"          <div><dt>Source</dt><dd><code>{_e(e.source)}</code></dd></div>\n"
        "        </dl>\n"
        f"        {f['problems'](e.problems, 'post-problems')}\n"
        '        <div class="card">\n'
        f'          <div class="account-head">{picture}<span><b>{_e(overview.brand)}</b>'
        f' <span class="handle">{_e(e.handle or e.account)}</span></span></div>\n'
    )
    if not e.rendered:
        html.append('          <p class="unrendered">Not rendered: see the problems above.</p>\n')
    html.append(
        f'          {f["problems"](e.text_problems, "text-problems")}\n          <ol class="thread">\n'
    )
    text_attributes = f'lang="{_e(e.lang)}" dir="{_e(e.direction)}"'
    html += [_part(e, part, number, text_attributes, f) for number, part in enumerate(e.parts, 1)]
    html.append("          </ol>\n        </div>\n      </section>\n")
    return "".join(html)


def _link(url: str, f: Filters) -> str:
    href = f["safe_href"](url)
    if href:
        return f'<a href="{_e(href)}" rel="noopener noreferrer" target="_blank">{_e(url)}</a>'
    return f"<code>{_e(url)}</code>"


def _part(e: Entry, part: Part, number: int, text_attributes: str, f: Filters) -> str:
    # Telegram's HTML as Telegram shows it (the filter makes it safe), any other text as text
    text = f["telegram"](part.text) if f["dialect"](e.platform) == "telegram_html" else _e(part.text)
    html = [
        f'            <li class="part {_e(f["worst"](part.problems))}" data-part="{number}">\n'
        f'              <div class="text" {text_attributes}>{text}</div>\n'
    ]
    if number == 1 and (e.images or e.image_problems):
        html.append('              <div class="images">\n')
        html += [_image(image, text_attributes, f) for image in e.images]
        html.append(
            f"                {f['problems'](e.image_problems, 'image-problems')}\n              </div>\n"
        )
    counts = "".join(_count(count.unit, count.count, count.limit) for count in part.counts)
    if len(e.parts) > 1:
        counts += f' <span class="partno">part {number} of {len(e.parts)}</span>'
    html.append(
        f'              <p class="counts">{counts}</p>\n'
        f"              {f['problems'](part.problems, 'part-problems')}\n"
        "            </li>\n"
    )
    return "".join(html)


def _count(unit: str, count: int, limit: int) -> str:
    unit = _e(unit)
    over = " over" if count > limit else ""
    return f'<span class="count{over}" data-unit="{unit}"><b>{count:d}</b> / {limit:d} {unit}</span>'


def _image(image: Image, text_attributes: str, f: Filters) -> str:
    alt = _e(image.alt or "(none)")
    made = image.rendition
    if made is not None:
        body = (
            f'                  <img src="{_e(made.path)}" alt="{_e(image.alt)}" width="{_e(made.width)}"'
            f' height="{_e(made.height)}" loading="lazy">\n'
            f'                  <figcaption><span class="alt" {text_attributes}>'
            f'<b>ALT</b> {alt}</span><span class="spec">{_e(made.width)}×{_e(made.height)}'
            f" {_e(made.format)}, {_e(f['kb'](made.bytes))}, crop {_e(made.spec)} · {_e(image.src)}"
            "</span></figcaption>\n"
        )
    else:
        body = (
            '                  <div class="missing">image not made</div>\n'
            f'                  <figcaption><span class="alt"><b>ALT</b> {alt}</span>'
            f'<span class="spec">{_e(image.src)}</span></figcaption>\n'
        )
    return (
        f'                <figure class="image {_e(f["worst"](image.problems))}">\n'
        f"{body}"
        f"                  {f['problems'](image.problems)}\n"
        "                </figure>\n"
    )
