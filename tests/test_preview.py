"""`postwright preview`: the review site in publish/, its model, escaping and determinism (no browser;
tests/test_browser.py opens it in Chromium)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from postwright import pipeline, workers
from postwright.cli import cli
from postwright.ledger import Record
from postwright.preview import gather, write_preview
from postwright.preview.model import direction, overview
from postwright.preview.site import render_site, telegram_html
from postwright.project import Project

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=MADRID)


def _data(path: Path, function: str):
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"postwright.{function}(") and text.endswith(");\n"), path
    return json.loads(text.removeprefix(f"postwright.{function}(").removesuffix(");\n"))


def post_pages(publish: Path) -> dict[str, str]:
    """Every post's page (its HTML, as site.js puts it into index.html), by post id."""
    found: dict[str, str] = {}
    for path in sorted((publish / "preview" / "posts").glob("*.js")):
        found.update(_data(path, "posts"))
    return found


def index_data(publish: Path) -> dict:
    """preview/index.js: what the list and the calendars show, rows as dictionaries."""
    data = _data(publish / "preview" / "index.js", "index")
    posts = [dict(zip(data["fields"]["post"], row, strict=True)) for row in data["posts"]]
    entries = [dict(zip(data["fields"]["entry"], row, strict=True)) for row in data["entries"]]
    return {**data, "posts": posts, "entries": entries}


CONFIG = """\
brand:
  name: Test <Brand>
  timezone: Europe/Madrid
  platforms: [mastodon, bluesky]
accounts:
  masto:
    platform: mastodon
    handle: "@brand@masto.example"
  sky:
    platform: bluesky
  tg:
    platform: telegram
    language: fa
people:
  jane: {name: Jane Doe, mastodon: "@jane@example.social", bluesky: jane.example.social}
"""

LONG = "word " * 130  # 650 characters: over Mastodon's 500 without a thread

# A small brand with every case the preview shows: a thread, an image with and without alt text, a
# right-to-left post, a draft, a published post, a missed one, an error, and markup in user content.
FILES = f"""
-- config.yml --
{CONFIG}
-- assets/photo.jpg --
1200x800
-- content/posts/2026-11-20-old.md --
---
title: Old news
---
Sent already.
-- content/posts/2026-11-30-late.md --
---
title: Missed one
---
Nobody sent this.
-- content/posts/2026-12-02-launch.md --
---
title: Launch <script>alert("title")</script>
link: https://example.com/launch
images:
  - src: photo.jpg
    alt: A kite over the sea
  - src: photo.jpg
---
Our launch <script>alert("body")</script> is here, with @[jane].

{"A long paragraph about the launch that goes on and on. " * 8}
-- content/posts/2026-12-02-launch.fa.md --
---
title: معرفی
platforms: [telegram]
---
سلام **دنیا** <b>x</b>
-- content/posts/2026-12-03-too-long.md --
---
title: Too long
thread: never
platforms: [mastodon]
---
{LONG}
-- content/posts/2026-12-04-draft.md --
---
title: Not yet
draft: true
---
Draft text.
"""


def published(post: str, account: str, platform: str, url: str) -> str:
    record = Record(
        key=f"{post}.en/{account}",
        part=1,
        parts=1,
        status="published",
        idempotency_key=f"key-{post}",
        post_id=post,
        account=account,
        platform=platform,
        content_hash="sha256:0",
        time="2026-11-20T08:31:00+00:00",
        remote_id="1",
        url=url,
    )
    return json.dumps(asdict(record), sort_keys=True) + "\n"


@pytest.fixture
def brand(make_project) -> Project:
    project = make_project(FILES)
    (project.root / "state").mkdir()
    (project.root / "state" / "ledger.jsonl").write_text(
        published("2026-11-20-old", "masto", "mastodon", "https://masto.example/@brand/1")
        + published("2026-11-20-old", "sky", "bluesky", "javascript:alert(1)"),
        encoding="utf-8",
    )
    return project


def test_model_places_every_problem_next_to_what_it_concerns(brand):
    view, _ = gather(brand)(NOW)
    entries = {entry.key: entry for entry in view.entries}
    launch = entries["2026-12-02-launch.en/masto"]
    assert len(launch.parts) == 2  # a thread on Mastodon
    assert [part.counts[0].unit for part in launch.parts] == ["graphemes", "graphemes"]
    assert all(0 < part.counts[0].count <= part.counts[0].limit == 500 for part in launch.parts)
    first, second = launch.images
    assert [item.code for item in second.problems] == ["PW412"]  # the brand rule: alt text everywhere
    assert first.alt == "A kite over the sea" and first.rendition is not None and not first.problems
    sky_first, sky_second = entries["2026-12-02-launch.en/sky"].images
    assert not sky_first.problems
    assert [item.code for item in sky_second.problems] == ["PW412"]  # and on Bluesky: on image 2
    too_long = entries["2026-12-03-too-long.en/masto"]
    (part,) = too_long.parts
    assert part.counts[0].over and [item.code for item in part.problems] == ["PW401"]
    assert not too_long.problems and not too_long.text_problems
    assert entries["2026-12-02-launch.fa/tg"].direction == "rtl"


def test_problems_of_files_without_a_delivery_are_shown_on_their_own(brand):
    bad = brand.root / "content" / "posts" / "2026-12-05-nowhere.md"
    bad.write_text("---\nplatforms: [pinterest]\n---\nNo account.\n", encoding="utf-8")
    broken = brand.root / "content" / "posts" / "2026-12-06-broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\nHi.\n", encoding="utf-8")
    view, _ = gather(brand)(NOW)
    assert {item.span.path for item in view.other_problems} == {
        "content/posts/2026-12-05-nowhere.md",
        "content/posts/2026-12-06-broken.md",
    }
    assert not any(post.post_id.endswith(("nowhere", "broken")) for post in view.posts)


def test_statuses_and_the_live_link_come_from_the_plan_and_ledger(brand):
    view, _ = gather(brand)(NOW)
    status = {entry.key: (entry.status_label, entry.url) for entry in view.entries}
    assert status["2026-11-20-old.en/masto"] == ("published", "https://masto.example/@brand/1")
    assert status["2026-11-30-late.en/masto"][0] == "missed"
    assert status["2026-12-02-launch.fa/tg"][0] == "scheduled"
    assert status["2026-12-02-launch.en/sky"][0] == "blocked"  # an image without alt text (PW412)
    assert status["2026-12-04-draft.en/sky"][0] == "draft"


def test_site_escapes_user_content_and_links_only_to_the_web(brand):
    write_preview(brand, NOW)
    index = (brand.root / "publish" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in index and "Test &lt;Brand&gt;" in index
    assert re.findall(r"<script\b[^>]*>", index) == [
        '<script src="preview/site.js" defer>',
        '<script src="preview/index.js" defer>',
    ]
    assert "default-src 'none'" in index  # the Content-Security-Policy forbids any other request
    page = "".join(post_pages(brand.root / "publish").values())
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#34;body&#34;)&lt;/script&gt;" in page
    assert "Test &lt;Brand&gt;" in page
    assert 'href="https://masto.example/@brand/1"' in page
    assert "javascript:" not in page.replace("<code>javascript:alert(1)</code>", "")
    assert not re.search(r"""(?:src|href)="(?:https?:)?//""", page.replace('href="https://', ""))


def test_site_shows_counts_times_and_every_variant(brand):
    result = write_preview(brand, NOW)
    page = "".join(post_pages(brand.root / "publish").values())
    for entry in result.overview.entries:
        assert f'id="{entry.key}"' in page
    assert 'id="2026-12-02-launch"' in page  # the stable #post-id
    assert "Wed 2 Dec 2026, 09:00 CET" in page and "08:00 UTC" in page
    too_long = next(e for e in result.overview.entries if e.post_id == "2026-12-03-too-long")
    count = too_long.parts[0].counts[0]
    assert f'<span class="count over" data-unit="graphemes"><b>{count.count}</b> / 500 graphemes' in page
    # Telegram gets HTML: shown as Telegram shows it (bold), and the HTML written in the post as text
    assert 'dir="rtl">سلام <b>دنیا</b> &lt;b&gt;x&lt;/b&gt;</div>' in page
    assert 'lang="fa"' in page
    assert 'alt="A kite over the sea"' in page and 'src="media/' in page


def test_preview_is_byte_identical_for_the_same_inputs_and_time(brand):
    write_preview(brand, NOW, preview_url="https://example.com/index.html")
    publish = brand.root / "publish"
    first = {path: path.read_bytes() for path in sorted(publish.rglob("*")) if path.is_file()}
    write_preview(brand, NOW, preview_url="https://example.com/index.html")
    second = {path: path.read_bytes() for path in sorted(publish.rglob("*")) if path.is_file()}
    assert first == second
    later = write_preview(
        brand, datetime(2026, 12, 5, tzinfo=UTC), preview_url="https://example.com/index.html"
    )
    assert later.files and (publish / "index.html").read_bytes() != first[publish / "index.html"]


def test_build_after_preview_keeps_working_and_preview_after_build_too(brand):
    write_preview(brand, NOW)
    publish = brand.root / "publish"
    post = brand.root / "content" / "posts" / "2026-12-04-draft.md"
    post.write_text(post.read_text(encoding="utf-8").replace("Draft text.", "New draft text."), "utf-8")
    built = pipeline.build(brand)
    assert built.manifest is not None and not built.reused
    assert (publish / "manifest.json").is_file()
    result = write_preview(brand, NOW)
    assert "New draft text." in post_pages(publish)["2026-12-04-draft"]
    site = {"index.html", "site.css", "site.js", "index.js", "calendar.ics"}
    assert {p.name for p in result.files if p.parent.name != "posts"} == site


def test_cli_preview(brand):
    runner = CliRunner()
    result = runner.invoke(cli, ["-C", str(brand.root), "preview", "--at", "2026-12-01T09:00"])
    assert result.exit_code == 1  # the too-long post is an error; the site is still written
    assert "preview: 5 posts, 10 deliveries" in result.stderr and "publish/index.html" in result.stderr
    assert (brand.root / "publish" / "index.html").is_file()
    assert (brand.root / "publish" / "calendar.ics").is_file()
    bad = runner.invoke(cli, ["-C", str(brand.root), "preview", "--at", "yesterday"])
    assert bad.exit_code == 2 and "--at" in bad.stderr


def test_cli_preview_without_a_usable_config(make_project):
    project = make_project("-- config.yml --\nbrand: {}\n")
    result = CliRunner().invoke(cli, ["-C", str(project.root), "preview"])
    assert result.exit_code == 1
    assert "config.yml cannot be used" in result.stderr and "Traceback" not in result.output


def test_telegram_html_keeps_telegram_formatting_and_nothing_else():
    html = telegram_html(
        '<b>bold</b> <a href="https://t.me/x">ok</a> <a href="javascript:alert(1)">bad</a> '
        "<script>alert(1)</script> <img src=x onerror=alert(1)> <i>open &amp; <tg-spoiler>s</tg-spoiler>"
    )
    assert html == (
        '<b>bold</b> <a href="https://t.me/x" rel="noopener noreferrer" target="_blank">ok</a> <a>bad</a> '
        "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; "
        '<i>open &amp; <span class="spoiler">s</span></i>'
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fa", "rtl"), ("ar-EG", "rtl"), ("he", "rtl"), ("az-Arab", "rtl"), ("fa-Latn", "ltr"), ("en", "ltr")],
)
def test_direction(lang, expected):
    assert direction(lang) == expected


def test_a_pull_requests_preview_gives_pages_to_the_changed_posts_only(brand, monkeypatch):
    from tests.test_report import Git

    git = Git(brand.root)
    for name in ("HOME", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(name, git.env[name])
    git("init", "--quiet", "--initial-branch=main")
    (brand.root / ".gitignore").write_text("/publish/\n/.postwright-cache/\n")
    git.commit("brand")
    publish = brand.root / "publish"
    write_preview(brand, NOW)  # every post has a page: a later preview of the changes drops the rest
    assert len(post_pages(publish)) == 5
    git("checkout", "--quiet", "-b", "change")
    post = brand.root / "content" / "posts" / "2026-12-04-draft.md"
    post.write_text(post.read_text(encoding="utf-8").replace("Draft text.", "New draft text."), "utf-8")
    source_url = "https://github.com/acme/social/blob/0123abc/"
    arguments = ["-C", str(brand.root), "preview", "--at", "2026-12-01T09:00", "--changed-since", "main"]
    result = CliRunner().invoke(cli, [*arguments, "--source-url", source_url])
    # only the changed post's problems count: the unchanged too-long post does not fail the check
    assert result.exit_code == 0, result.stderr
    assert [path.name for path in (publish / "preview" / "posts").iterdir()] == ["2026-12-04.js"]
    assert list(post_pages(publish)) == ["2026-12-04-draft"]
    assert "New draft text." in post_pages(publish)["2026-12-04-draft"]
    data = index_data(publish)
    listed = {post["id"]: (post["chunk"], post["source"]) for post in data["posts"]}
    assert len(listed) == 5 and data["changedOnly"]  # every post is listed and in the calendars
    assert listed["2026-12-04-draft"][0] == "2026-12-04"
    assert listed["2026-12-03-too-long"] == (None, f"{source_url}content/posts/2026-12-03-too-long.md")
    assert "1 changed post shown in full" in (publish / "index.html").read_text(encoding="utf-8")
    unknown = CliRunner().invoke(cli, [*arguments[:-1], "no-such-ref"])
    assert unknown.exit_code == 2 and "no-such-ref" in unknown.stderr


def test_a_preview_that_builds_checks_once_and_reads_the_counts_of_the_text_facts(brand, monkeypatch):
    """The build's check (render, images, validate) is the preview's: not made a second time."""
    checks = []
    check = pipeline.check
    monkeypatch.setattr(pipeline, "check", lambda *a, **k: checks.append(k) or check(*a, **k))
    write_preview(brand, NOW)
    assert len(checks) == 1 and checks[0]["facts"]
    # the parts' counts taken from the text facts are the ones counting again gives
    checked = check(brand, facts=True)
    planned = pipeline.plan(brand, NOW, checked=checked)
    joined = (checked.config, checked.loaded.posts, planned.items, checked.variants, checked.renditions)
    assert checked.facts
    from_facts = overview(*joined, checked.diagnostics, NOW, checked.facts)
    assert from_facts == overview(*joined, checked.diagnostics, NOW)
    assert any(len(entry.parts) > 1 for entry in from_facts.entries)


def test_day_pages_made_by_workers_are_written_as_made_and_equal_one_process_pages(brand, monkeypatch):
    view, _ = gather(brand)(NOW)
    publish = brand.root / "publish"
    in_one = render_site(view, publish, project_root=brand.root)
    days = sorted(name for name in in_one if name.startswith("preview/posts/"))
    assert len(days) == 5
    monkeypatch.setattr(workers, "PARALLEL_FROM", 2)  # 6 posts: in worker processes (on Linux)
    out = brand.root / "elsewhere"

    def write(relative: str, data: bytes) -> None:  # runs in the workers: only the files tell
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_bytes(data)

    by_workers = render_site(view, publish, project_root=brand.root, write=write)
    assert [name for name, data in by_workers.items() if data is None] == days  # written, not held
    assert {name: (out / name).read_bytes() for name in days} == {name: in_one[name] for name in days}
    assert {name: data for name, data in by_workers.items() if data is not None} == {
        name: data for name, data in in_one.items() if name not in days
    }


def test_the_pages_escape_exactly_as_markupsafe_does():
    from markupsafe import escape

    from postwright.preview.page import _e

    for text in ("<a href=\"x\">'&amp;'</a>", "plain", "", "&&<<>>\"\"''", 500, None):
        assert _e(text) == str(escape(text))
