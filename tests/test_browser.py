"""The preview in a real browser, used as a reviewer would: headless Chromium (Debian's package, installed
by .ci/setup.d/20-chromium.sh) driven by Playwright, on the site opened from disk (file://).

One browser for the module. Screenshots of the main views go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from postwright.ledger import Record
from postwright.preview import write_preview
from postwright.project import Project
from tests.conftest import write_files

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


@pytest.fixture
def page(browser, site):
    """A fresh page; afterwards: no console error, no request leaving the disk, no dialog (no XSS)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
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
    assert text.is_visible()
    assert text.evaluate("element => getComputedStyle(element).direction") == "rtl"
    assert text.locator("b").inner_text() == "رسید"  # Telegram's bold, as Telegram shows it
    shoot(page, "rtl")

    page.goto(site.as_uri() + "#2026-12-10-long")
    part = page.locator("[id='2026-12-10-long.en/masto'] li.part")
    assert part.locator(".count.over").is_visible()
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
    assert page.locator("article[id='2026-12-05-script']").is_visible()
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
