"""`metrics report`: the performance report's views, its determinism, and its surfaces (the command, the job
summary, the pull-request comment's history, the preview's page)."""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from postwright.cli import cli
from postwright.insights.best_time import MIN_N
from postwright.insights.model import AccountObservation, Observation
from postwright.insights.report import (
    PostFacts,
    ReportError,
    as_json,
    history_for,
    markdown,
    parse_since,
    performance,
    stats_json,
)
from postwright.insights.store import store_accounts, store_observations
from postwright.job_summary import metrics_summary
from postwright.ledger import Record, RecordStatus
from postwright.preview import write_preview
from postwright.preview.performance import performance_page
from postwright.project import Project
from postwright.report import as_json as pr_json
from postwright.report import build_report
from postwright.report import markdown as pr_markdown
from tests.conftest import write_files
from tests.test_report import Git

MADRID = ZoneInfo("Europe/Madrid")
START = datetime(2026, 9, 7, 7, tzinfo=UTC)  # a Monday, 09:00 in Madrid


def synthetic(days: int = 84, seed: int = 1) -> tuple[list[Observation], dict[str, PostFacts]]:
    """Two posts a day on X (impressions) and Mastodon (none) for `days`: the 17:00 post does better, and
    posts tagged `repair` do better on Mastodon. Readings at 24 h and 7 d."""
    draw = random.Random(seed)
    rows: list[Observation] = []
    facts: dict[str, PostFacts] = {}
    for day in range(days):
        for hour in (7, 15):  # 09:00 and 17:00 in Madrid until late October, then 08:00 and 16:00
            published = START + timedelta(days=day, hours=hour - 7)
            post_id = f"{published.astimezone(MADRID):%Y-%m-%d-%H%M}-fix"
            tag = "repair" if day % 2 else "event"
            for account, platform in (("x_main", "x"), ("masto", "mastodon")):
                key = f"{post_id}.en/{account}"
                for age in (24, 168):
                    good = 8 if hour == 15 else 0
                    if platform == "x":
                        metrics = {"like_count": draw.randint(0, 6) + good, "impression_count": 200}
                    else:
                        bonus = 4 if tag == "repair" else 0
                        metrics = {"favourites_count": draw.randint(0, 4) + good + bonus, "reblogs_count": 1}
                    observed = published + timedelta(hours=age)
                    rows.append(
                        Observation(key, post_id, "en", account, platform, published, observed, metrics)
                    )
                facts[key] = PostFacts(
                    source=f"content/posts/{post_id}.md",
                    title=f"Post {day} <b>{hour}</b>",
                    tags=(tag,),
                    campaign="autumn" if day < 30 else None,
                    images=day % 3 == 0,
                    thread=day % 5 == 0,
                    url=f"https://social.example/{account}/{post_id}",
                    scheduled=published,
                )
    return rows, facts


@pytest.fixture(scope="module")
def data():
    return synthetic()


def test_the_period_ends_at_the_newest_reading_and_since_counts_back(data):
    rows, facts = data
    report = performance(rows, facts, since="28d", zone=MADRID)
    newest = max(row.observed for row in rows)
    assert report.until == newest.astimezone(MADRID)
    assert report.since == (newest - timedelta(days=28)).astimezone(MADRID)
    assert all(report.since <= item.score.local_time <= report.until for item in report.posts)
    dated = performance(rows, facts, since="2026-11-01", zone=MADRID)
    assert dated.since == datetime(2026, 11, 1, tzinfo=MADRID)
    assert parse_since(" 7d ", newest, MADRID) == newest - timedelta(days=7)
    with pytest.raises(ReportError, match="28d"):
        parse_since("last month", newest, MADRID)


def test_weekly_totals_per_account(data):
    rows, facts = data
    report = performance(
        rows, facts, since="2026-10-01", zone=MADRID, until=datetime(2026, 11, 1, tzinfo=UTC)
    )
    (masto, x) = report.accounts
    assert (masto.platform, x.platform) == ("mastodon", "x")
    assert all(week.start.weekday() == 0 for week in x.weeks)
    assert x.posts == masto.posts == sum(1 for item in report.posts if item.score.account == "x_main")
    first = x.weeks[1]  # a whole week: 14 posts, impressions summed from the settled (7 d) readings
    assert (first.posts, first.impressions) == (14, 14 * 200)
    assert masto.weeks[1].impressions is None
    until = datetime(2026, 11, 1, tzinfo=UTC)  # as at then: the 7 d reading where it was taken, else the 24 h
    known = {row.key: row for row in sorted(rows, key=lambda row: row.observed) if row.observed <= until}
    week_keys = [item.score.key for item in report.posts if item.score.account == "x_main"]
    assert x.engagements == sum(known[key].metrics["like_count"] for key in week_keys)


def test_top_and_bottom_by_lift_and_the_afternoon_wins(data):
    rows, facts = data
    report = performance(rows, facts, since="28d", zone=MADRID)
    lifts = [item.lift for item in report.posts]
    assert lifts == sorted(lifts, reverse=True)
    assert report.top == report.posts[:5] and report.bottom[0] == report.posts[-1]
    slots = {group.label: group.stats for group in report.by("slot")}
    afternoon = [stats for label, stats in slots.items() if label.endswith("16:00")]
    morning = [stats for label, stats in slots.items() if label.endswith("08:00")]
    assert min(s.median for s in afternoon) > max(s.median for s in morning)
    best = [slot for slot in report.best if slot.account == "masto"]
    assert best and all(slot.hour in (16, 17) for slot in best)  # a year of history: both sides of DST


def test_tags_campaign_and_format_groups(data):
    rows, facts = data
    report = performance(rows, facts, since="2026-09-07", zone=MADRID)
    tags = {group.label: group.stats for group in report.by("tag")}
    assert set(tags) == {"#event", "#repair"}
    assert tags["#repair"].median > tags["#event"].median
    assert tags["#repair"].enough and tags["#repair"].low <= tags["#repair"].median <= tags["#repair"].high
    assert [group.label for group in report.by("campaign")] == ["autumn"]
    assert report.by("campaign")[0].stats.n == 2 * 2 * 30
    formats = [group.label for group in report.by("format")]
    assert formats == ["single", "thread", "no image", "with image", "language en"]


def test_a_slot_below_min_n_is_not_enough_data():
    rows, facts = synthetic(days=MIN_N - 1)
    report = performance(rows, facts, since="2026-09-01", zone=MADRID)
    assert report.best == ()
    assert all(not group.stats.enough and group.stats.low is None for group in report.by("slot"))
    assert "Not enough data yet: a slot needs 5 posts." in markdown(report)
    assert "| Mon 09:00 | not enough data (n=2) | 2 |" in markdown(report)  # one post on each account


def test_same_data_same_bytes_whatever_the_order(data):
    rows, facts = data
    shuffled = list(rows)
    random.Random(9).shuffle(shuffled)
    one = performance(rows, facts, since="28d", zone=MADRID, brand="Fix-it")
    two = performance(shuffled, dict(reversed(list(facts.items()))), since="28d", zone=MADRID, brand="Fix-it")
    assert as_json(one) == as_json(two)
    assert markdown(one) == markdown(two)

    def page(report):
        return performance_page(report, live=lambda url: url, source=lambda path: path)

    assert page(one) == page(two)


def test_json_names_every_view(data):
    rows, facts = data
    document = json.loads(as_json(performance(rows, facts, since="365d", zone=MADRID)))
    views = {
        "brand",
        "zone",
        "since",
        "until",
        "note",
        "accounts",
        "top",
        "bottom",
        "groups",
        "best_times",
        "roi",
    }
    assert set(document) == views and document["roi"] is None  # no conversions and no costs here
    top = document["top"][0]
    assert top["source"].startswith("content/posts/") and top["url"].startswith("https://social.example/")
    assert {"lift", "score", "basis", "engagements", "impressions", "metrics"} <= set(top)
    assert {group["kind"] for group in document["groups"]} == {"tag", "campaign", "format", "slot"}


def test_markdown_escapes_titles_and_links_the_post(data):
    rows, facts = data
    text = markdown(performance(rows, facts, since="28d", zone=MADRID))
    assert "<b>" not in text and "\\<b\\>" in text
    assert re.search(r"\| \[Post \d+ \\<b\\>15\\</b\\>\]\(https://social\.example/", text)
    assert "`content/posts/2026-" in text
    for heading in ("### Accounts", "### Week by week", "### Top posts", "### Bottom posts", "### By tag"):
        assert heading in text


def test_empty_store_says_what_to_do():
    report = performance([], {}, since="28d", zone=MADRID)
    assert report.posts == () and "postwright metrics pull" in markdown(report)
    assert b"metrics pull" in performance_page(report, live=lambda url: url, source=lambda path: path)


def test_history_of_a_new_posts_slot_and_format():
    rows, facts = synthetic(days=200)  # September to March: 16:00 in Madrid from late October on
    year = performance(rows, facts, since="365d", zone=MADRID).posts
    afternoon = datetime(2027, 3, 9, 16, tzinfo=MADRID)  # a Tuesday
    single = history_for(year, "mastodon", afternoon, thread=False, images=False)
    assert (single.platform, single.label) == ("mastodon", "Tue 16:00")
    expected = [
        item
        for item in year
        if item.score.platform == "mastodon"
        and item.score.slot == (1, 16)
        and not item.facts.thread
        and not item.facts.images
    ]
    assert single.n == len(expected) >= MIN_N and single.median > 1
    never = history_for(year, "mastodon", afternoon.replace(hour=3), thread=False, images=False)
    assert (never.n, never.enough, never.median) == (0, False, None)


# a brand repository with metrics ------------------------------------------------------------------------

BRAND_CONFIG = """\
brand:
  name: Fix-it Café
  timezone: Europe/Madrid
  platforms: [x, mastodon]
accounts:
  x_main: {platform: x}
  masto: {platform: mastodon}
"""


def metrics_brand(root: Path, days: int = 42) -> None:
    """config.yml, `synthetic`'s posts as files (named by their local time), the ledger's published records
    (threads in two parts), and state/metrics/ written by the store."""
    write_files(root, f"-- config.yml --\n{BRAND_CONFIG}-- assets/lamp.jpg --\n64x48\n")
    rows, facts = synthetic(days=days)
    ledger = []
    for row in rows:
        if row.observed - row.published != timedelta(hours=24):
            continue
        fact = facts[row.key]
        path = root / "content" / "posts" / f"{row.post_id}.md"
        if not path.exists():
            image = "images:\n  - src: lamp.jpg\n    alt: A lamp\n" if fact.images else ""
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                f"---\ntitle: {row.post_id}\ntags: [{fact.tags[0]}]\n{image}---\nFixed today.\n",
                encoding="utf-8",
            )
        parts = 2 if fact.thread else 1
        for part in range(1, parts + 1):
            record = Record(
                key=row.key,
                part=part,
                parts=parts,
                status=RecordStatus.PUBLISHED,
                idempotency_key=f"{row.key}#{part}",
                post_id=row.post_id,
                account=row.account,
                platform=row.platform,
                content_hash="sha256:0",
                time=row.published.isoformat(),
                remote_id=f"{row.post_id}-{part}",
                url=f"https://{row.platform}.example/{row.account}/{row.post_id}",
                via="api",
            )
            ledger.append(json.dumps(asdict(record), sort_keys=True) + "\n")
    (root / "state").mkdir(exist_ok=True)
    (root / "state" / "ledger.jsonl").write_text("".join(ledger), encoding="utf-8")
    store_observations(root, rows)
    first = rows[0].published
    followers = [
        AccountObservation(
            "masto", "mastodon", first + timedelta(days=day), {"followers_count": 100 + 3 * day}
        )
        for day in range(days + 7)
    ]
    store_accounts(root, followers)


@pytest.fixture
def brand(tmp_path) -> Project:
    metrics_brand(tmp_path)
    return Project(tmp_path)


def run(project: Project, *args: str):
    return CliRunner().invoke(cli, ["-C", str(project.root), "metrics", "report", *args])


def test_the_command_joins_the_store_to_the_posts_and_the_ledger(brand):
    result = run(brand, "--format", "json", "--since", "365d")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["brand"] == "Fix-it Café" and document["zone"] == "Europe/Madrid"
    followers = {series["account"]: series["followers"] for series in document["accounts"]}
    assert followers == {"masto": [100, 100 + 3 * 48], "x_main": None}  # the period's first and last day
    top = document["top"][0]
    assert top["source"] == f"content/posts/{top['post_id']}.md"
    assert top["url"] == f"https://{top['platform']}.example/{top['account']}/{top['post_id']}"
    groups = {(group["kind"], group["label"]): group for group in document["groups"]}
    wanted = {("tag", "#repair"), ("tag", "#event"), ("format", "thread"), ("format", "with image")}
    assert wanted <= set(groups)
    threads = (
        2 * 2 * len(range(0, 42, 5))
    )  # two-part jobs in the ledger: every fifth day, 2 posts, 2 accounts
    assert groups["format", "thread"]["n"] == threads
    # the post's own time (its file name, in Madrid) names the slot: 07:00 and 15:00 UTC in summer time
    slots = {group["label"][-5:] for (kind, _), group in groups.items() if kind == "slot"}
    assert slots == {"09:00", "17:00"}


def test_same_repository_same_bytes_in_every_format(brand, tmp_path):
    for output_format in ("json", "markdown", "html"):
        first, second = run(brand, "--format", output_format), run(brand, "--format", output_format)
        assert first.exit_code == 0 and first.stdout == second.stdout and first.stdout


def test_output_file_is_written_whole_with_links_relative_to_it(brand):
    target = brand.root / "reports" / "performance.html"
    result = run(brand, "--format", "html", "-o", str(target))
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert 'href="../content/posts/2026-' in page and "<svg" in page and "<script" not in page
    assert not [path for path in target.parent.iterdir() if path.name != "performance.html"]  # no temp left


def test_a_bad_since_is_a_usage_error_and_a_damaged_file_is_named(brand):
    result = run(brand, "--since", "last week")
    assert result.exit_code == 2 and "28d" in result.output
    month = sorted((brand.root / "state" / "metrics" / "x").glob("*.csv"))[0]
    lines = month.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(",", ";", 2)
    month.write_text("".join(lines), encoding="utf-8")
    result = run(brand)
    assert result.exit_code == 1
    assert f"{month}:4:" in result.output and "Traceback" not in result.output


def test_no_metrics_yet(make_project):
    project = make_project()
    result = run(project)
    assert result.exit_code == 0 and "postwright metrics pull" in result.stdout


def test_the_job_summary_is_the_report_in_markdown(brand):
    summary = metrics_summary(brand)
    assert summary.startswith("## postwright metrics: Fix-it Café") and "### Best times" in summary
    (brand.root / "state" / "ledger.jsonl").write_text("{torn", encoding="utf-8")
    assert metrics_summary(brand).startswith("## postwright metrics\n\nNo report: ")


def test_the_preview_has_a_performance_page_where_there_are_metrics(brand, make_project):
    write_preview(brand, datetime(2026, 10, 20, 12, tzinfo=UTC))
    index = (brand.root / "publish" / "index.html").read_text(encoding="utf-8")
    page = (brand.root / "publish" / "performance.html").read_text(encoding="utf-8")
    assert '<a href="performance.html">Performance</a>' in index
    assert 'href="index.html"' in page and 'href="../content/posts/' in page
    shutil.rmtree(brand.root / "state" / "metrics")
    write_preview(brand, datetime(2026, 10, 20, 12, tzinfo=UTC))
    assert not (brand.root / "publish" / "performance.html").exists()
    assert "performance.html" not in (brand.root / "publish" / "index.html").read_text(encoding="utf-8")


def committed(project: Project, monkeypatch) -> Git:
    """The brand as the main branch of a new repository."""
    git = Git(project.root)
    for name in ("HOME", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(name, git.env[name])
    git("init", "--quiet", "--initial-branch=main")
    git.commit("brand")
    return git


def test_a_pull_requests_new_post_says_how_its_slot_and_format_did(brand, monkeypatch):
    committed(brand, monkeypatch)("checkout", "--quiet", "-b", "new-post")
    write_files(brand.root, "-- content/posts/2026-10-20-1700-next.md --\n---\ntitle: Next\n---\nSoon.\n")
    report = build_report(brand, "main", datetime(2026, 10, 19, tzinfo=UTC))
    afternoon = report.history["2026-10-20-1700-next.en/masto"]  # a Tuesday at 17:00, single, no image
    assert (afternoon.platform, afternoon.label) == ("mastodon", "Tue 17:00")
    _, facts = synthetic(days=42)
    alike = [
        fact
        for key, fact in facts.items()
        if key.endswith("/masto") and fact.scheduled.astimezone(MADRID).strftime("%a %H") == "Tue 17"
    ]
    assert afternoon.n == sum(1 for fact in alike if not fact.thread and not fact.images) == 4
    assert afternoon.median > 1 and not afternoon.enough  # the afternoon did better, but 4 posts say little
    text = pr_markdown(report)
    assert "How posts like these did in the last year" in text
    assert "- mastodon Tue 17:00, single no image (`masto`): not enough data (n=4)" in text
    document = json.loads(pr_json(report))
    entries = {entry["account"]: entry for entry in document["posts"][0]["entries"]}
    assert entries["masto"]["history"] == {"platform": "mastodon", "slot": "Tue 17:00"} | stats_json(
        afternoon
    )


def test_a_damaged_metrics_file_is_a_note_in_the_pull_request_report(brand, monkeypatch):
    committed(brand, monkeypatch)
    write_files(brand.root, "-- content/posts/2026-10-20-1700-next.md --\n---\ntitle: Next\n---\nSoon.\n")
    month = sorted((brand.root / "state" / "metrics" / "mastodon").glob("*.csv"))[0]
    month.write_text(month.read_text(encoding="utf-8") + "torn,row\n", encoding="utf-8")
    report = build_report(brand, "main", datetime(2026, 10, 19, tzinfo=UTC))
    assert report.history == {} and report.posts
    assert any(note.startswith("No history of past posts: ") and str(month) in note for note in report.notes)


def test_as_at_a_time_later_readings_are_not_known(data):
    rows, facts = data
    at = datetime(2026, 10, 1, 12, tzinfo=UTC)
    report = performance(rows, facts, since="28d", zone=MADRID, until=at)
    assert report.posts and all(item.score.local_time <= at for item in report.posts)
    young = [item for item in report.posts if at - item.score.local_time < timedelta(days=7)]
    assert young  # judged by their 24 h reading, the only one taken by then
    assert all(item.metrics == _reading(rows, item.score.key, hours=24).metrics for item in young)
    assert as_json(report) == as_json(performance([*rows], facts, since="28d", zone=MADRID, until=at))


def _reading(rows: list[Observation], key: str, *, hours: int) -> Observation:
    return next(
        row for row in rows if row.key == key and row.observed - row.published == timedelta(hours=hours)
    )


def test_the_metrics_job_writes_the_report_to_its_summary(brand, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(cli, ["-C", str(brand.root), "metrics", "pull", "--at", "2026-10-20T12:00"])
    assert result.exit_code == 0, result.output
    assert summary.read_text(encoding="utf-8").startswith(
        "## postwright metrics: Fix-it Café, 2026-09-22 – 2026-10-20"
    )


@pytest.mark.parametrize("at", [None, datetime(2026, 10, 1, 12, tzinfo=UTC)])
def test_the_report_reads_only_each_deliverys_settled_row_and_says_the_same(brand, monkeypatch, at):
    """from_project reads one row per delivery (store.read_settled), never every Observation, and every
    format is byte for byte what all the rows give."""
    from postwright.insights import store
    from postwright.insights.report import from_project, rendered

    def every_row(root, _age, since=None, until=None):
        return [row for row in store.read_observations(root, since) if until is None or row.observed <= until]

    def formats(report) -> list[bytes]:
        return [rendered(report, name, root=brand.root, folder=None) for name in ("json", "markdown", "html")]

    with monkeypatch.context() as patched:
        patched.setattr(store, "read_month", lambda path: pytest.fail(f"{path} read row by row"))
        settled_only = formats(from_project(brand, "28d", at))
    monkeypatch.setattr(store, "read_settled", every_row)
    assert settled_only == formats(from_project(brand, "28d", at))
