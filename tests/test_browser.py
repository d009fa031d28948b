"""The preview in a real browser, used as a reviewer would: headless Chromium (Debian's package, installed
by .ci/setup.d/20-chromium.sh) driven by Playwright, on the site opened from disk (file://).

One browser for the module. Screenshots of the main views go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from postwright.ledger import Record
from postwright.preview import write_preview
from postwright.preview.model import Entry, Measured, Overview, Part, PostView
from postwright.preview.site import render_site
from postwright.project import Project
from tests.conftest import write_files
from tests.test_insights_report import metrics_brand

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Madrid"))

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing: run .ci/setup", pytrace=False)
    pytest.skip(
        f"{CHROMIUM} is missing (bash .ci/setup.d/20-chromium.sh installs it)", allow_module_level=True
    )

sync_api = pytest.importorskip("playwright.sync_api")


def shown(locator) -> None:
    """Visible, waiting for it: a click on an in-page link changes the view in a later event."""
    sync_api.expect(locator).to_be_visible(timeout=5000)


CONFIG = """\
brand:
  name: Windward Test
  timezone: Europe/Madrid
  platforms: [x, mastodon, bluesky]
accounts:
  x_main: {platform: x, handle: "@windward", language: en}
  masto: {platform: mastodon, handle: "@windward@masto.example", language: en}
  sky: {platform: bluesky, handle: "@windward.example"}
  tg_fa: {platform: telegram, language: fa, handle: "@windward_fa"}
"""

FILES = f"""
-- config.yml --
{CONFIG}
-- assets/sky.jpg --
1600x1000
-- assets/detail.jpg --
900x1200
-- content/posts/2026-11-20-sent.md --
---
title: Already out
platforms: [mastodon]
---
This one went out.
-- content/posts/2026-12-02-launch.md --
---
title: Launch day
link: https://windward.example/launch
images:
  - src: sky.jpg
    alt: A red kite high over the beach
  - src: detail.jpg
    alt: Close-up of the stitching
---
Our new kite is here. It flies in the lightest winds, folds into a bag the size of a book, and
comes with our repair promise.

{"Every kite is sewn by hand in our workshop, tested on the beach and packed with care. " * 5}
-- content/posts/2026-12-02-launch.fa.md --
---
title: روز رونمایی
platforms: [telegram]
---
بادبادک تازهٔ ما **رسید**. در سبک‌ترین بادها هم پرواز می‌کند.
-- content/posts/2026-12-05-script.md --
---
title: Careful <script>alert("title")</script>
platforms: [mastodon]
---
A post that talks about <script>alert("xss")</script> and <img src=x onerror=alert(1)> tags.
-- content/posts/2026-12-09-draft.md --
---
title: Winter plans
draft: true
---
Still writing this one.
-- content/posts/2026-12-10-long.md --
---
title: Far too long
thread: never
accounts: [masto]
---
{"A sentence that keeps going. " * 25}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("brand")
    write_files(root, FILES)
    record = Record(
        key="2026-11-20-sent.en/masto",
        part=1,
        parts=1,
        status="published",
        idempotency_key="k",
        post_id="2026-11-20-sent",
        account="masto",
        platform="mastodon",
        content_hash="sha256:0",
        time="2026-11-20T08:00:01+00:00",
        remote_id="1",
        url="https://masto.example/@windward/1",
    )
    (root / "state").mkdir()
    (root / "state" / "ledger.jsonl").write_text(json.dumps(asdict(record)) + "\n")
    write_preview(Project(root), NOW)
    return root / "publish" / "index.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


def open_isolated(browser, *, width: int = 1400, height: int = 1000, scheme: str = "light"):
    """A context and page that record every console error (a CSP violation is one), page error, dialog
    (no XSS) and request leaving the disk, in `problems`."""
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    context.set_default_timeout(5000)  # everything is on disk: a wait that long is a failure
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    opened.on(
        "request",
        lambda request: None if request.url.startswith(("file:", "data:")) else problems.append(request.url),
    )
    return context, opened, problems


@pytest.fixture
def page(browser, site):
    """A fresh page; afterwards: no console error, no request leaving the disk, no dialog (no XSS)."""
    context, opened, problems = open_isolated(browser)
    yield opened
    context.close()
    assert problems == []


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def images_loaded(page, scope: str) -> list[dict]:
    page.wait_for_function(
        "scope => [...document.querySelectorAll(scope + ' img')].every(i => i.complete && i.naturalWidth)",
        arg=scope,
    )
    return page.eval_on_selector_all(
        f"{scope} img", "images => images.map(i => ({alt: i.alt, width: i.naturalWidth, src: i.src}))"
    )


def test_click_a_post_and_read_it_as_each_platform_shows_it(page, site):
    page.goto(site.as_uri())
    page.click(".post-list a[href='#2026-12-02-launch']")
    assert page.evaluate("location.hash") == "#2026-12-02-launch"
    post = page.locator("article[id='2026-12-02-launch']")
    shown(post)
    panel = page.locator("[id='2026-12-02-launch.en/x_main']")
    shown(panel)
    assert panel.locator(".status").inner_text() == "scheduled"
    assert "Wed 2 Dec 2026, 09:00 CET" in panel.locator("dl.facts").inner_text()
    assert "08:00 UTC" in panel.locator("dl.facts").inner_text()
    assert "utm_source=x" in panel.locator(".link").inner_text()
    counts = panel.locator(".count").first.inner_text()
    assert counts.endswith("/ 280 weighted") and int(counts.split("/")[0]) <= 280
    images = images_loaded(page, "[id='2026-12-02-launch.en/x_main']")
    assert [image["alt"] for image in images] == [
        "A red kite high over the beach",
        "Close-up of the stitching",
    ]
    assert all(image["width"] > 0 and "/media/" in image["src"] for image in images)
    shoot(page, "post")

    # Switch platform: Mastodon splits the same post into a thread, each part counted.
    page.click("[role=tab][data-key='2026-12-02-launch.en/masto']")
    assert page.evaluate("location.hash") == "#2026-12-02-launch.en/masto"
    masto = page.locator("[id='2026-12-02-launch.en/masto']")
    assert masto.is_visible() and not panel.is_visible()
    parts = masto.locator("li.part")
    assert parts.count() == 2
    assert parts.nth(1).locator(".partno").inner_text() == "part 2 of 2"
    assert masto.locator(".count").first.inner_text().endswith("/ 500 graphemes")
    images_loaded(page, "[id='2026-12-02-launch.en/masto']")
    shoot(page, "post-mastodon")


def test_stable_url_right_to_left_and_problems_next_to_the_text(page, site):
    page.goto(site.as_uri() + "#2026-12-02-launch.fa/tg_fa")
    text = page.locator("[id='2026-12-02-launch.fa/tg_fa'] .text").first
    shown(text)  # the post's page loads from its day's file
    assert text.evaluate("element => getComputedStyle(element).direction") == "rtl"
    assert text.locator("b").inner_text() == "رسید"  # Telegram's bold, as Telegram shows it
    shoot(page, "rtl")

    page.goto(site.as_uri() + "#2026-12-10-long")
    part = page.locator("[id='2026-12-10-long.en/masto'] li.part")
    shown(part.locator(".count.over"))
    problem = part.locator(".diag.sev-error")
    assert "PW401" in problem.inner_text() and "Mastodon allows 500" in problem.inner_text()
    assert "content/posts/2026-12-10-long.md:" in problem.inner_text()


def test_user_content_stays_text(page, site):
    page.goto(site.as_uri() + "#2026-12-05-script")
    text = page.locator("[id='2026-12-05-script.en/masto'] .text").inner_text()
    assert '<script>alert("xss")</script>' in text and "<img src=x onerror=alert(1)>" in text
    assert (
        page.locator("article[id='2026-12-05-script'] h2").inner_text()
        == 'Careful <script>alert("title")</script>'
    )


def test_filters_by_platform_status_and_date(page, site):
    page.goto(site.as_uri())
    visible = lambda: page.eval_on_selector_all(  # noqa: E731
        ".post-list li[data-post]", "items => items.filter(i => !i.hidden).map(i => i.dataset.post)"
    )
    assert len(visible()) == 5
    page.select_option("select[name=platform]", "telegram")
    assert visible() == ["2026-12-02-launch"] and page.locator("#shown").inner_text() == "1 of 5 posts"
    # The open post shows the one account that passes the filter.
    page.click(".post-list a[href='#2026-12-02-launch']")
    shown(page.locator("[id='2026-12-02-launch.fa/tg_fa']"))  # after the hashchange, which is async
    assert page.locator("[role=tab][data-key='2026-12-02-launch.en/x_main']").is_hidden()
    page.select_option("select[name=platform]", "")
    page.select_option("select[name=status]", "draft")
    assert visible() == ["2026-12-09-draft"]
    page.select_option("select[name=status]", "published")
    assert visible() == ["2026-11-20-sent"]
    live = page.locator("[id='2026-11-20-sent.en/masto'] a.live")
    page.click(".post-list a[href='#2026-11-20-sent']")
    assert live.get_attribute("href") == "https://masto.example/@windward/1"
    page.click("button[type=reset]")
    page.fill("input[name=from]", "2026-12-03")
    page.fill("input[name=to]", "2026-12-09")
    assert visible() == ["2026-12-05-script", "2026-12-09-draft"]
    # The open post (published on 20 Nov) no longer passes: the first one that does is shown.
    shown(page.locator("article[id='2026-12-05-script']"))
    assert page.locator("article[id='2026-11-20-sent']").is_hidden()
    shoot(page, "filtered")


def test_calendar_month_and_week_views(page, site):
    page.goto(site.as_uri())
    page.click("[data-view-link=month]")
    shown(page.locator("#view-month"))
    assert page.locator("#view-posts").is_hidden()
    month = page.locator("#view-month .period:not([hidden])")
    assert month.locator("h2").inner_text() == "December 2026"
    day = month.locator("td[data-date='2026-12-02']")
    assert day.locator(".group .title").first.inner_text() == "09:00 Launch day"
    chips = day.locator(".chip").all_inner_texts()
    assert chips == ["x_main", "masto", "sky", "tg_fa"]
    colours = day.locator(".chip").evaluate_all(
        "chips => chips.map(c => getComputedStyle(c).backgroundColor)"
    )
    assert len(set(colours)) == 4  # a colour per platform
    draft = month.locator("td[data-date='2026-12-09'] .chip").first
    assert "s-draft" in draft.get_attribute("class")
    assert draft.evaluate("c => getComputedStyle(c).borderStyle") == "dashed"
    problem = month.locator("td[data-date='2026-12-10'] .chip").first
    assert "has-error" in problem.get_attribute("class") and problem.inner_text().endswith("!")
    assert month.locator("td.today").get_attribute("data-date") == "2026-12-01"
    shoot(page, "month")

    page.click("#view-month .period:not([hidden]) a[rel=prev]")
    sync_api.expect(page.locator("#view-month .period:not([hidden]) h2")).to_have_text("November 2026")
    page.click("[data-view-link=week]")
    week = page.locator("#view-week .period:not([hidden])")
    sync_api.expect(week.locator("h2")).to_have_text("Week 49: 30 Nov – 6 Dec 2026")
    row = week.locator("tr.p-mastodon")
    assert row.locator("th").inner_text() == "masto"
    assert row.locator("td").nth(2).inner_text() == "09:00 Launch day"
    assert row.locator("td").nth(5).inner_text() == '09:00 Careful <script>alert("title")</script>'
    shoot(page, "week")

    # A calendar entry opens the post as that account gets it.
    week.locator("tr.p-mastodon td").nth(2).locator("a").click()
    shown(page.locator("#view-posts"))
    shown(page.locator("[id='2026-12-02-launch.en/masto']"))


# Layout, at the sizes a reviewer reads it at, in light and dark -------------------------------------

SIZES = {"phone": (375, 812), "half-laptop": (800, 900), "desktop": (1440, 900)}
BADGES = ".chip, .status, .tab, .tab *, .utm, .alt b, nav.views a[aria-current], .week .item"
"""Text on its own background: every one needs WCAG AA contrast (4.5:1)."""
SHAPES = ".chip[class*='p-'], .tab[aria-selected='true'], .dot"
"""Shapes whose colour tells the platform (next to its name): they need 3:1 against what is behind them
(WCAG 1.4.11), or they vanish, as the X badges did in dark mode."""
EXAMPLE_AT = datetime(2026, 12, 1, 9, 40, tzinfo=ZoneInfo("Europe/Madrid"))
"""The example brand when its launch is due: published, due, upcoming, draft, missed and expired posts."""

# For each element, the colours that paint a pixel of its text and of its background, from the root
# down: (color, background, border, opacity, border style) of the element and each ancestor, as the
# browser computes them. Elements painted alike are reported once.
_LAYERS = """(elements) => {
  const styles = new Map();
  const layer = (e) => {
    if (!styles.has(e)) {
      const s = getComputedStyle(e);
      styles.set(e, [s.color, s.backgroundColor, s.borderTopColor, Number(s.opacity), s.borderTopStyle]);
    }
    return styles.get(e);
  };
  const seen = new Map();
  for (const element of elements.filter((e) => e.getClientRects().length)) {
    const chain = [];
    for (let e = element; e; e = e.parentElement) chain.unshift(layer(e));
    const text = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const key = JSON.stringify([text, chain]);
    if (!seen.has(key)) seen.set(key, {name: element.outerHTML.slice(0, 90), text, chain});
  }
  return [...seen.values()];
}"""


def _rgba(css: str) -> tuple[float, float, float, float]:
    """A computed colour: rgb(), rgba() or, from color-mix(), color(srgb r g b / a)."""
    if css.startswith("color(srgb "):
        numbers = css.removeprefix("color(srgb ").rstrip(")").replace("/", " ").split()
        red, green, blue = (float(n) for n in numbers[:3])
        return red, green, blue, float(numbers[3]) if len(numbers) > 3 else 1.0
    assert css.startswith("rgb"), f"unexpected computed colour {css}"
    numbers = [float(n) for n in css[css.index("(") + 1 : -1].replace(",", " ").replace("/", " ").split()]
    return numbers[0] / 255, numbers[1] / 255, numbers[2] / 255, numbers[3] if len(numbers) > 3 else 1.0


def _over(top: tuple, below: tuple) -> tuple:
    """Source-over compositing of two straight-alpha colours."""
    alpha = top[3] + below[3] * (1 - top[3])
    if alpha == 0:
        return (0.0, 0.0, 0.0, 0.0)
    mixed = [
        (t * top[3] + b * below[3] * (1 - top[3])) / alpha for t, b in zip(top[:3], below[:3], strict=True)
    ]
    return (*mixed, alpha)


def _painted(chain: list, top: str | None, canvas: tuple) -> tuple:
    """The colour on screen where the innermost element paints `top` (its text colour, its border) or
    only its background: each element's group is flattened, then faded by its opacity."""
    group = _rgba(top) if top else (0.0, 0.0, 0.0, 0.0)
    for _color, background, _border, opacity, _style in reversed(chain):
        flattened = _over(group, _rgba(background))
        group = (*flattened[:3], flattened[3] * opacity)
    return _over(group, canvas)


def _luminance(colour: tuple) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in colour[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: tuple, other: tuple) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def low_contrast(page, scheme: str) -> list[str]:
    """Every visible badge text under 4.5:1 on its background, every platform shape under 3:1 on what
    is behind it (alpha and opacity composited as the browser paints them)."""
    canvas = (1.0, 1.0, 1.0, 1.0) if scheme == "light" else (0.0, 0.0, 0.0, 1.0)
    found = []
    for item in page.eval_on_selector_all(BADGES, _LAYERS):
        if not item["text"]:
            continue
        chain = item["chain"]
        ratio = contrast(_painted(chain, chain[-1][0], canvas), _painted(chain, None, canvas))
        if ratio < 4.5:
            found.append(f"text {ratio:.2f}:1 {item['name']}")
    for item in page.eval_on_selector_all(SHAPES, _LAYERS):
        chain = item["chain"]
        behind = _painted(chain[:-1], None, canvas)
        fill = _painted(chain, None, canvas)
        border = chain[-1][2] if chain[-1][4] != "none" else None
        edge = _painted(chain, border, canvas) if border else fill
        ratio = max(contrast(fill, behind), contrast(edge, behind))
        if ratio < 3:
            found.append(f"shape {ratio:.2f}:1 {item['name']}")
    return found


def overflow(page) -> list[str]:
    """The page scrolls sideways, or an element reaches past the window's right edge (and is not inside
    a box that clips or scrolls it)."""
    width, scroll = page.evaluate("[innerWidth, document.scrollingElement.scrollWidth]")
    found = [f"the page is {scroll}px wide in a {width}px window"] if scroll > width else []
    return found + page.evaluate(
        """() => {
          const clipped = (e) => {
            for (let up = e.parentElement; up && up !== document.body; up = up.parentElement)
              if (getComputedStyle(up).overflowX !== "visible") return true;
            return false;
          };
          return [...document.querySelectorAll("body *")]
            .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 0.5)
            .filter((e) => !clipped(e))
            .map((e) => e.outerHTML.slice(0, 80));
        }"""
    )


def spilling(page) -> list[str]:
    """Table cells and badges whose content runs out of them over their neighbours (not clipped)."""
    return page.evaluate(
        """() => [...document.querySelectorAll("th, td, .chip, .tab, .status, .item, .group")]
          .filter((e) => e.getClientRects().length && getComputedStyle(e).overflowX === "visible")
          .filter((e) => e.scrollWidth > e.clientWidth + 1)
          .map((e) => `${e.scrollWidth}px in ${e.clientWidth}px: ${e.outerHTML.slice(0, 70)}`)"""
    )


def overlapping(page, selectors: list[str]) -> list[str]:
    """Pairs of these (visible) blocks whose boxes overlap on screen."""
    boxes = {
        selector: box
        for selector in selectors
        if (box := page.locator(selector).first.bounding_box()) and box["width"] and box["height"]
    }
    found = []
    names = list(boxes)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            a, b = boxes[first], boxes[second]
            across = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
            down = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
            if across > 0.5 and down > 0.5:
                found.append(f"{first} and {second}")
    return found


def covered(page, selector: str) -> list[str]:
    """Points of this element that another element, not inside it, paints over."""
    return page.eval_on_selector(
        selector,
        """(element) => {
          const box = element.getBoundingClientRect();
          const points = [[box.left + 4, box.top + 4], [box.right - 4, box.top + 4],
                          [box.left + box.width / 2, box.top + box.height / 2]];
          return points.map(([x, y]) => [x, y, document.elementFromPoint(x, y)])
            .filter(([x, y, hit]) => y < innerHeight && hit && !element.contains(hit))
            .map(([x, y, hit]) => `(${Math.round(x)}, ${Math.round(y)}) under ${hit.outerHTML.slice(0, 60)}`);
        }""",
    )


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    """The example brand (every platform, long titles, right-to-left posts, images) as of its launch."""
    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("example")
    for name in ("config.yml", "content", "templates", "assets", "state"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("*.lock"))
        else:
            shutil.copy2(source, root / name)
    write_preview(Project(root), EXAMPLE_AT)
    return root / "publish" / "index.html"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_size_and_colour_scheme_is_readable(browser, example_site, size, scheme):
    """One page load per size and scheme: the posts view with a post opened from the list, then the
    month and week calendars. Nothing overlaps, nothing overflows sideways, every badge is legible."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    context.set_default_timeout(5000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(example_site.as_uri())
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        problems = [f"start: {found}" for found in overflow(page) + low_contrast(page, scheme)]

        page.click(".post-list a[href='#2026-12-01-launch']")
        post = page.locator("article[id='2026-12-01-launch']")
        shown(post)
        page.wait_for_function("() => location.hash === '#2026-12-01-launch'")
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        shoot(page, f"layout-{size}-{scheme}-post")
        problems += [f"post: {found}" for found in overlapping(page, [".post-list", "article.post"])]
        problems += [f"post title: {found}" for found in covered(page, "article.post:not([hidden]) > header")]
        problems += [f"post tabs: {found}" for found in covered(page, "article.post:not([hidden]) .tabs")]
        problems += [
            f"post: {found}" for found in overflow(page) + spilling(page) + low_contrast(page, scheme)
        ]

        for view, period in (("month", "2026-11"), ("week", "2026-11-23")):
            page.evaluate(f"location.hash = '#calendar/{view}/{period}'")
            shown(page.locator(f"#view-{view} .period[data-period='{period}']"))
            page.evaluate("window.scrollTo(0, 0)")
            shoot(page, f"layout-{size}-{scheme}-{view}")
            problems += [
                f"{view}: {found}" for found in overflow(page) + spilling(page) + low_contrast(page, scheme)
            ]
    finally:
        context.close()
    assert problems == [] and errors == []


# At scale: 5,000 posts to 4 accounts --------------------------------------------------------------

SCALE_POSTS = 5000
SCALE_ACCOUNTS = (("x_main", "x"), ("sky", "bluesky"), ("masto", "mastodon"), ("li", "linkedin"))


def scale_overview() -> Overview:
    """5,000 posts, 8 a day from January 2027, each to 4 accounts: the model straight away (building and
    checking 5,000 posts takes minutes here; bench/text_build.py times that), so the test is the site's."""
    zone = ZoneInfo("Europe/Madrid")
    start = datetime(2027, 1, 1, tzinfo=zone)
    statuses = ("published", "missed", "due", "upcoming", "upcoming", "draft", "upcoming", "upcoming")
    posts = []
    for index in range(SCALE_POSTS):
        when = start + timedelta(days=index // 8, hours=(6, 7, 8, 9, 12, 15, 18, 21)[index % 8])
        post_id = f"{when:%Y-%m-%d-%H%M}-{index:05d}-post"
        text = f"Post {index}: the kite of the day, and why it flies in the lightest winds."
        entries = tuple(
            Entry(
                key=f"{post_id}.en/{account}",
                post_id=post_id,
                lang="en",
                account=account,
                platform=platform,
                handle=f"@{account}",
                title=f"Post {index}",
                source=f"content/posts/{post_id}.md",
                publish_at=when,
                status=statuses[index % 8],
                detail="",
                url=None,
                rendered=True,
                parts=(Part(text, (Measured("graphemes", len(text), 500),), ()),),
                images=(),
                link=f"https://bench.example/{index}",
                content_hash=None,
                problems=(),
                text_problems=(),
                image_problems=(),
            )
            for account, platform in SCALE_ACCOUNTS
        )
        posts.append(PostView(post_id, f"Post {index}", (f"content/posts/{post_id}.md",), entries))
    now = datetime(2027, 3, 1, 9, 5, tzinfo=zone)
    return Overview("Scale Kites", zone, now, tuple(posts), (), tuple(name for name, _ in SCALE_ACCOUNTS))


@pytest.fixture(scope="module")
def scale_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scale")
    for relative, data in render_site(scale_overview(), out, project_root=out).items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_bytes(data)
    return out / "index.html"


ELEMENTS = "document.getElementsByTagName('*').length"


def test_five_thousand_posts_open_from_a_small_page(browser, scale_site):
    """index.html stays small and the page holds only what is on screen; a post far down the list,
    the month view and the filters work on every post."""
    assert scale_site.stat().st_size < 2_000_000
    assert scale_site.stat().st_size < 20_000  # the same few kB whatever the number of posts
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        page.goto(scale_site.as_uri())
        shown(page.locator("article.post"))
        assert page.locator(".post-list li[data-post]").count() == 200
        assert page.locator("#shown").inner_text() == "5000 of 5000 posts"
        assert page.evaluate(ELEMENTS) < 5_000
        page.click(".post-list .more")
        sync_api.expect(page.locator(".post-list li[data-post]")).to_have_count(400)

        # the last post, by its address: its page comes from its day's file
        last = scale_overview().posts[-1]
        page.evaluate(f"location.hash = '#{last.entries[2].key}'")
        panel = page.locator(f"[id='{last.entries[2].key}']")
        shown(panel)
        assert panel.locator(".status").inner_text() == "scheduled"
        assert page.locator("article.post").count() == 1

        # a filter over all 5,000: 625 drafts (every eighth post), the first one opened
        page.select_option("select[name=status]", "draft")
        sync_api.expect(page.locator("#shown")).to_have_text("625 of 5000 posts")
        shown(page.locator("article[id='2027-01-01-1500-00005-post']"))

        page.select_option("select[name=status]", "")
        page.evaluate("location.hash = '#calendar/month/2028-06'")
        month = page.locator("#view-month .period[data-period='2028-06']")
        shown(month)
        assert month.locator("h2").inner_text() == "June 2028"
        day = month.locator("td[data-date='2028-06-14'] .group")
        assert day.count() == 8 and day.first.locator(".chip").count() == 4
        assert page.evaluate(ELEMENTS) < 10_000
        day.nth(3).locator(".chip").nth(1).click()
        shown(page.locator("#view-posts"))
        shown(page.locator("article.post [role=tabpanel]:not([hidden])"))
        assert "2028-06-14" in page.evaluate("location.hash")
    finally:
        context.close()
    assert errors == []


def test_a_pull_requests_preview_links_the_posts_it_does_not_change(browser, tmp_path):
    view = scale_overview()
    changed = view.posts[10].post_id
    files = render_site(
        view, tmp_path, project_root=tmp_path, changed={changed}, source_url="https://gh.example/"
    )
    assert sorted(name for name in files if name.startswith("preview/posts/")) == [
        "preview/posts/2027-01-02.js"
    ]
    for relative, data in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(data)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10000)
    page = context.new_page()
    try:
        page.goto((tmp_path / "index.html").as_uri())
        shown(page.locator(f"article[id='{changed}'] [role=tabpanel]").first)  # the changed post opens first
        assert "1 changed post shown in full" in page.locator(".asof").inner_text()
        other = view.posts[11]
        page.click(f".post-list a[href='#{other.post_id}']")
        article = page.locator(f"article[id='{other.post_id}']")
        shown(article)
        assert "Not changed by this pull request" in article.inner_text()
        link = article.locator("a")
        assert link.get_attribute("href") == f"https://gh.example/{other.sources[0]}"
    finally:
        context.close()


# the performance page (publish/performance.html) --------------------------------------------------------


@pytest.fixture(scope="module")
def metrics_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("brand")
    metrics_brand(root, days=120)  # to early January: both sides of the DST change
    write_preview(Project(root), datetime(2026, 12, 20, 12, tzinfo=UTC))
    return root / "publish" / "index.html"


def test_from_the_preview_to_charts_with_names_and_numbers(browser, metrics_site):
    context, page, problems = open_isolated(browser, width=1300, height=900)
    page.goto(metrics_site.as_uri())
    page.get_by_role("link", name="Performance").click()
    page.wait_for_url("**/performance.html")
    assert page.title() == "Fix-it Café · performance"
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 5  # two accounts' weeks, tags, campaign, format, weekday × hour
    for index in range(charts.count()):
        chart = charts.nth(index)
        label = page.evaluate(
            "svg => svg.getAttribute('aria-labelledby').split(' ').map(id => document.getElementById(id)"
            ".textContent).join(' | ')",
            chart.element_handle(),
        )
        assert label.count(" | ") == 1 and len(label) > 30, label  # a title and a description
        assert chart.locator("text").count() > 0  # numbers written, not colour alone
    heat = page.get_by_role("img", name="Median lift by weekday and hour")
    cells = heat.locator("rect.cell")
    assert cells.count() >= 14
    assert heat.locator("rect.cell title").first.text_content().count("posts") == 1
    # the heat map's shades grow with the number written in the cell
    shades = page.evaluate(
        "svg => [...svg.querySelectorAll('rect.cell')].map(r => [Number(r.getAttribute('fill-opacity')),"
        " Number(r.nextElementSibling.textContent.replace('*', ''))])",
        heat.element_handle(),
    )
    ordered = sorted(shades, key=lambda pair: pair[1])
    assert [pair[0] for pair in ordered] == sorted(pair[0] for pair in ordered)
    page.get_by_text("Numbers").first.click()  # the first account's weeks, as a table
    assert (
        page.locator("details[open] table tbody tr").count() == charts.first.locator("rect.bar").count() >= 4
    )
    link = page.get_by_role("link", name="on X").first
    assert link.get_attribute("href").startswith("https://x.example/x_main/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "performance-light.png"), full_page=True)
    page.get_by_role("link", name="back to the posts").click()
    page.wait_for_url("**/index.html")
    context.close()
    assert problems == []


@pytest.mark.parametrize(("width", "scheme"), [(375, "dark"), (1440, "dark")])
def test_readable_on_a_phone_and_in_dark_mode(browser, metrics_site, width, scheme):
    context, page, problems = open_isolated(browser, width=width, height=900, scheme=scheme)
    page.goto((metrics_site.parent / "performance.html").as_uri())
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # charts shrink to the screen, tables scroll inside their section
    ink, ground = page.evaluate(
        "() => [getComputedStyle(document.querySelector('svg text')).fill,"
        " getComputedStyle(document.body).backgroundColor]"
    )
    assert ink != ground
    page.screenshot(path=str(ARTIFACTS / f"performance-{width}-{scheme}.png"), full_page=True)
    context.close()
    assert problems == []
