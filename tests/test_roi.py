"""Return on investment: conversions joined to posts by the UTM tags postwright gave their links, minus the
posts' `cost:` and the campaigns' cost; Markdown and JSON renderings."""

from __future__ import annotations

import json
from datetime import date

from postwright import pipeline
from postwright.insights.conversions import Conversion, Pulled, store
from postwright.insights.roi import UNATTRIBUTED, as_json, as_markdown, roi, roi_section, tags_for

CONFIG = """\
-- config.yml --
brand:
  name: Kites
  timezone: Europe/Madrid
  utm: {domains: [kites.example]}
accounts:
  x_main: {platform: x, language: en}
  x_es: {platform: x, language: es}
  mastodon_main: {platform: mastodon, language: en}
campaigns:
  winter-sale: {cost: 300, title: Winter sale}
  unused: {cost: 1000}
"""

POSTS = """\
-- content/posts/2026-11-20-launch.md --
---
platforms: [x, mastodon]
link: https://kites.example/new
cost: 100
campaign: winter-sale
---
New kites.
-- content/posts/2026-11-20-launch.es.md --
---
platforms: [x]
link: https://kites.example/nuevo
cost: 40
campaign: winter-sale
---
Cometas nuevas.
-- content/posts/2026-11-25-tips.md --
---
platforms: [mastodon]
link: https://kites.example/tips
---
Tips.
-- content/posts/2026-10-01-old.md --
---
platforms: [x]
link: https://kites.example/old
cost: 10
---
Old.
"""


def _loaded(make_project, config: str = CONFIG):
    project = make_project(config + POSTS)
    config, loaded, _ = pipeline.load(project)
    assert config is not None and loaded.diagnostics == ()
    return project, config, loaded.posts


def _row(
    campaign: str, content: str, visits: int, conversions: int, revenue: float, day: int = 21
) -> Conversion:
    return Conversion(
        date(2026, 11, day), "plausible", campaign, content, visits, conversions, revenue, "EUR"
    )


ROWS = [
    _row("2026-11-20-launch", "x_main", 40, 4, 200.0),
    _row("2026-11-20-launch", "x_es", 10, 1, 30.0),
    _row("2026-11-20-launch", "mastodon_main", 20, 2, 100.0),
    _row("2026-11-20-launch", "x_main", 5, 1, 50.0, day=28),  # a later day of the same post and account
    _row("2026-11-25-tips", "mastodon_main", 8, 0, 0.0),
    _row("newsletter", "", 300, 9, 900.0),  # the site's own newsletter: not a post's tags
    _row("2026-10-01-old", "x_main", 2, 1, 5.0),
]


def test_the_tags_are_the_ones_render_gives_each_account(make_project):
    _, config, _ = _loaded(make_project)
    assert tags_for(config, "p1", "x_es", "x") == ("p1", "x_es")


def test_revenue_minus_cost_per_post_account_platform_and_campaign(make_project):
    _, config, posts = _loaded(make_project)
    result = roi(config, posts, ROWS, since=date(2026, 11, 1))
    by = {
        table: {row.name: row for row in getattr(result, table)}
        for table in ("posts", "accounts", "platforms")
    }
    launch = by["posts"]["2026-11-20-launch"]
    # both language files share the post id: 4 + 1 + 2 + 1 conversions; costs 100 + 40
    assert (launch.visits, launch.conversions, launch.revenue, launch.cost) == (75, 8, 380.0, 140.0)
    assert launch.net == 240.0 and round(launch.roi, 4) == round(240 / 140, 4)
    # the English launch's 100 is split over x_main and mastodon_main; the Spanish 40 is x_es's alone
    assert (by["accounts"]["x_main"].revenue, by["accounts"]["x_main"].cost) == (250.0, 50.0)
    assert (by["accounts"]["x_es"].revenue, by["accounts"]["x_es"].cost) == (30.0, 40.0)
    assert (by["platforms"]["x"].revenue, by["platforms"]["x"].cost) == (280.0, 90.0)
    assert (by["platforms"]["mastodon"].revenue, by["platforms"]["mastodon"].cost) == (100.0, 50.0)
    assert by["posts"]["2026-11-25-tips"].roi is None  # no cost: no ratio
    (campaign,) = result.campaigns  # 'unused' has no post in the period
    assert (campaign.name, campaign.title, campaign.revenue, campaign.cost) == (
        "winter-sale",
        "Winter sale",
        380.0,
        440.0,
    )
    # the newsletter, and the October post (published before --since): not attributed to the period's posts
    assert (result.unattributed.name, result.unattributed.conversions, result.unattributed.revenue) == (
        UNATTRIBUTED,
        10,
        905.0,
    )
    assert [row.name for row in result.posts] == ["2026-11-20-launch", "2026-11-25-tips"]  # best net first


def test_without_utm_content_a_post_s_accounts_share_its_numbers(make_project):
    config_text = CONFIG.replace(
        "utm: {domains: [kites.example]}", "utm: {domains: [kites.example], content: false}"
    )
    _, config, posts = _loaded(make_project, config_text)
    rows = [_row("2026-11-25-tips", "", 9, 3, 90.0), _row("2026-11-20-launch", "", 30, 3, 60.0)]
    result = roi(config, posts, rows)
    accounts = {row.name: row for row in result.accounts}
    # the English and Spanish launch went to x_main, mastodon_main and x_es: a third each
    assert (accounts["x_main"].revenue, accounts["x_es"].revenue, accounts["mastodon_main"].revenue) == (
        20.0,
        20.0,
        110.0,
    )


def test_a_fixed_utm_campaign_is_ambiguous_and_left_unattributed(make_project):
    config_text = CONFIG.replace(
        "utm: {domains: [kites.example]}", "utm: {domains: [kites.example], campaign: social}"
    )
    _, config, posts = _loaded(make_project, config_text)
    result = roi(config, posts, [_row("social", "x_main", 10, 1, 10.0)])
    assert result.unattributed.revenue == 10.0
    assert all(row.revenue == 0 for row in result.posts)


def test_markdown_and_json_are_deterministic_and_read_the_store(make_project):
    project, config, posts = _loaded(make_project)
    store(project.root, [Pulled("plausible", tuple(sorted(ROWS)), date(2026, 10, 1), date(2026, 11, 30))])
    text = roi_section(project.root, config, posts, since=date(2026, 11, 1))
    assert text == roi_section(project.root, config, list(reversed(posts)), since=date(2026, 11, 1))
    assert text.startswith("## Return on investment (posts published since 2026-11-01)\n")
    assert "| x | 55 | 6 | 280.00 EUR | 90.00 EUR | 190.00 EUR | +211% |" in text
    assert "| winter-sale (Winter sale) | 75 | 8 | 380.00 EUR | 440.00 EUR | -60.00 EUR | -14% |" in text
    assert "Not from a post's tags: 302 visits, 10 conversions, 905.00 EUR revenue." in text
    data = roi_section(project.root, config, posts, format="json")
    assert data["currencies"] == ["EUR"] and data["since"] is None
    assert data["posts"][0] == {
        "name": "2026-11-20-launch",
        "visits": 75,
        "conversions": 8,
        "revenue": 380.0,
        "cost": 140.0,
        "net": 240.0,
        "roi": 1.7143,
    }
    mixed = roi(
        config,
        posts,
        [*ROWS, Conversion(date(2026, 11, 22), "ga4", "2026-11-25-tips", "mastodon_main", 1, 1, 5.0, "USD")],
    )
    assert as_json(mixed)["notes"] == ["revenue is in EUR, USD: summed as if one currency"]
    assert "> revenue is in EUR, USD: summed as if one currency" in as_markdown(mixed)


def test_the_command_prints_markdown_or_json(make_project):
    import json

    from click.testing import CliRunner

    from postwright.cli import cli

    project, _, _ = _loaded(make_project)
    store(project.root, [Pulled("plausible", tuple(sorted(ROWS)), date(2026, 10, 1), date(2026, 11, 30))])
    base = ["-C", str(project.root), "metrics", "roi", "--at", "2026-12-01T10:00"]
    result = CliRunner().invoke(cli, [*base, "--since", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("## Return on investment (posts published since 2026-11-01)\n")
    data = json.loads(CliRunner().invoke(cli, [*base, "--since", "45d", "--format", "json"]).output)
    assert data["since"] == "2026-10-17" and data["posts"][0]["name"] == "2026-11-20-launch"
    (project.root / "state/conversions/2026-11.csv").write_text("nonsense\n")
    broken = CliRunner().invoke(cli, base)
    assert broken.exit_code == 1 and "state/conversions/2026-11.csv:1: the header should be" in broken.output


def test_the_example_brand_imports_its_shop_csv_and_reports_it(tmp_path):
    """A fresh clone shows the whole path: conversions/shop.csv → state/conversions/ → metrics roi."""
    import shutil

    from click.testing import CliRunner

    from postwright.cli import cli
    from tests.conftest import REPO

    for name in ("config.yml", "content", "templates", "assets", "conversions"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    at = ["--at", "2026-11-23T10:00"]
    pulled = CliRunner().invoke(cli, ["-C", str(tmp_path), "metrics", "conversions", *at])
    assert pulled.exit_code == 0 and "csv: 7 row(s)" in pulled.output, pulled.output
    assert sorted(path.name for path in (tmp_path / "state/conversions").iterdir()) == [
        "2026-10.csv",
        "2026-11.csv",
    ]
    report = CliRunner().invoke(cli, ["-C", str(tmp_path), "metrics", "roi", *at])
    assert report.exit_code == 0, report.output
    assert (
        "| repairs (Repair service launch) | 110 | 6 | 354.00 EUR | 210.00 EUR | 144.00 EUR | +69% |"
        in report.output
    )
    assert "| 2026-12-01-launch" not in report.output  # not yet due at --at
    # `metrics report` carries the same tables, in each format, over its own period
    performance = ["-C", str(tmp_path), "metrics", "report", "--since", "60d", *at]
    markdown = CliRunner().invoke(cli, performance)
    assert markdown.exit_code == 0, markdown.output
    assert "### Return on investment" in markdown.output
    assert "| repairs (Repair service launch) | 110 | 6 | 354.00 EUR |" in markdown.output
    data = CliRunner().invoke(cli, [*performance, "--format", "json"])
    campaigns = json.loads(data.output)["roi"]["campaigns"]
    assert [(row["name"], row["visits"], row["revenue"]) for row in campaigns] == [("repairs", 110, 354.0)]
    page = CliRunner().invoke(cli, [*performance, "--format", "html", "-o", str(tmp_path / "p.html")])
    assert (
        page.exit_code == 0
        and '<h2 id="roi-h">Return on investment</h2>' in (tmp_path / "p.html").read_text()
    )
    short = CliRunner().invoke(cli, ["-C", str(tmp_path), "metrics", "report", "--since", "7d", *at])
    assert "Return on investment" in short.output  # costs counted: the tables stay for the period


def test_a_damaged_conversions_file_is_named_by_every_report(tmp_path):
    """metrics report, its job summary and the preview's performance page name the line, never exit 70."""
    import shutil

    from click.testing import CliRunner

    from postwright.cli import cli
    from postwright.job_summary import metrics_summary
    from postwright.project import Project
    from tests.conftest import REPO

    for name in ("config.yml", "content", "templates", "assets", "conversions"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    at = ["--at", "2026-11-23T10:00"]
    assert CliRunner().invoke(cli, ["-C", str(tmp_path), "metrics", "conversions", *at]).exit_code == 0
    with (tmp_path / "state/conversions/2026-11.csv").open("a") as damaged:
        damaged.write("2026-11-19,csv,x,y,1,2\n")
    where = "state/conversions/2026-11.csv:"
    report = CliRunner().invoke(cli, ["-C", str(tmp_path), "metrics", "report", "--since", "60d", *at])
    assert report.exit_code == 1 and where in report.output, report.output
    assert where in metrics_summary(Project(tmp_path), since="60d") and "No report" in metrics_summary(
        Project(tmp_path), since="60d"
    )
    (tmp_path / "state/metrics").mkdir(parents=True)  # the preview makes the page where readings exist
    preview = CliRunner().invoke(cli, ["-C", str(tmp_path), "preview", *at])
    assert preview.exit_code not in (0, 70) and where in preview.output, preview.output


def test_a_report_without_readings_ends_at_the_newest_data_not_the_epoch(tmp_path):
    """No metrics yet, conversions imported: the period ends at the newest day imported, and the
    unattributed visits are only those of no post (the newsletter's), as `metrics roi` says."""
    import shutil

    from click.testing import CliRunner

    from postwright.cli import cli
    from tests.conftest import REPO

    for name in ("config.yml", "content", "templates", "assets", "conversions"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    assert CliRunner().invoke(cli, ["-C", str(tmp_path), "metrics", "conversions"]).exit_code == 0
    report = CliRunner().invoke(cli, ["-C", str(tmp_path), "metrics", "report", "--since", "60d"])
    assert report.exit_code == 0, report.output
    assert "1970" not in report.output and "1969" not in report.output
    assert "– 2026-11-19 (Europe/Madrid)" in report.output.splitlines()[0]  # shop.csv ends on the 18th
    again = CliRunner().invoke(cli, ["-C", str(tmp_path), "metrics", "report", "--since", "60d"])
    assert again.output == report.output  # the same files, the same bytes, whatever the clock
