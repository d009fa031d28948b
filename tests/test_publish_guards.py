"""What may never be sent, whatever config.yml says: a post with an error, a key twice, a target twice."""

from __future__ import annotations

import json
from datetime import datetime
from textwrap import dedent
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.config import load_config
from postwright.diagnostics import RULES
from postwright.ledger import Ledger
from postwright.publish import Job, Runner
from tests.conftest import ALT_TEXT_OPTIONAL_CONFIG, MINIMAL_CONFIG
from tests.fakes.publisher import FakePublisher, FakeServer

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Madrid"))
TWIN = """
---
platforms: [mastodon]
---
{text}
"""


def sent(project) -> list[str]:
    return sorted(path.stem for path in (project.root / "outbox").rglob("*.json"))


def codes(problems) -> list[str]:
    return sorted(item.code for item in problems)


def test_two_files_with_one_post_id_are_neither_sent(make_project):
    """Two pull requests, each green alone, merged the same day: same id, same key."""
    project = make_project(
        "-- content/posts/2026-12-01-0900-news.md --"
        + TWIN.format(text="From the first pull request.")
        + "-- content/posts/team/2026-12-01-0900-news.md --"
        + TWIN.format(text="From the second pull request.")
    )
    result = pipeline.publish(project, NOW)
    assert codes(e for e in result.planned.diagnostics if e.code == "PW208") == ["PW208", "PW208"]
    assert result.jobs == () and result.outcomes == () and sent(project) == []
    cli_run = CliRunner().invoke(cli, ["-C", str(project.root), "publish", "--at", NOW.isoformat()])
    assert cli_run.exit_code == 1, cli_run.output
    assert "PW208" in cli_run.output and sent(project) == []


def test_the_runner_never_sends_two_jobs_with_one_key(make_project, tmp_path):
    project = make_project("-- content/posts/2026-12-01-0900-news.md --" + TWIN.format(text="News."))
    (variant,) = pipeline.publish(project, NOW, dry_run=True).jobs
    platform = FakeServer(tmp_path / "received.jsonl")
    runner = Runner(Ledger(project.state_dir), lambda account: FakePublisher(platform))
    outcomes = runner.run([variant, Job(variant.variant)])
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "same key" in outcomes[0].message
    assert platform.received() == [] and Ledger(project.state_dir).read() == {}


def test_severity_cannot_relax_the_rules_that_decide_what_is_sent(make_project):
    config = MINIMAL_CONFIG + "severity:\n  PW208: off\n  PW414: warning\n  PW302: off\n  PW201: info\n"
    project = make_project(
        "-- config.yml --\n"
        + config
        + "-- content/posts/2026-12-01-0900-news.md --"
        + TWIN.format(text="Once.")
        + "-- content/posts/team/2026-12-01-0900-news.md --"
        + TWIN.format(text="Twice.")
    )
    loaded, problems = load_config(project)
    fixed = [item for item in problems if item.code == "PW031"]
    assert [(item.span.line, item.message.split(" (")[0]) for item in fixed] == [
        (14, "PW208"),
        (15, "PW414"),
        (17, "PW201"),
    ]
    assert loaded is not None and loaded.severity == {"PW302": "off"}  # the content rule may be relaxed
    result = pipeline.publish(project, NOW)
    assert "PW208" in codes(result.planned.diagnostics) and sent(project) == []
    checked = CliRunner().invoke(cli, ["-C", str(project.root), "check"])
    assert checked.exit_code == 1 and "config.yml:14" in checked.output
    assert "PW208 (two posts share the same id and language) cannot be set to off" in checked.output


def test_a_relaxed_content_rule_keeps_its_post_instead_of_hiding_it(make_project):
    """A banned word set to warning: check is green, so the post must be planned and sent, not vanish."""
    config = MINIMAL_CONFIG + "severity:\n  PW240: warning\n"
    config = config.replace(
        "  platforms: [mastodon, bluesky]\n",
        "  platforms: [mastodon, bluesky]\n  rules: {banned_words: [cheap]}\n",
    )
    project = make_project(
        "-- config.yml --\n"
        + config
        + "-- content/posts/2026-12-01-0900-sale.md --"
        + TWIN.format(text="Cheap kites today.")
    )
    checked = CliRunner().invoke(cli, ["-C", str(project.root), "check"])
    assert checked.exit_code == 0, checked.output
    assert "warning PW240" in checked.output
    (item,) = pipeline.plan(project, NOW).items
    assert item.status == "due"
    assert [o.status for o in pipeline.publish(project, NOW).outcomes] == ["published"]


def test_a_rule_made_stricter_stops_the_post(make_project):
    """PW302 (no alt text) raised to error: check fails, and publish must not send what check refuses."""
    project = make_project(
        "-- config.yml --\n"
        + ALT_TEXT_OPTIONAL_CONFIG
        + "severity:\n  PW302: error\n"
        + dedent(
            """\
        -- assets/kite.png --
        40x30
        -- content/posts/2026-12-01-0900-photo.md --
        ---
        platforms: [mastodon]
        images: [{src: kite.png}]
        ---
        A photo.
        -- content/posts/2026-12-01-0900-words.md --
        ---
        platforms: [mastodon]
        ---
        Just words.
        """
        )
    )
    result = pipeline.publish(project, NOW)
    problems = (*result.planned.diagnostics, *result.invalid)
    assert "PW302" in codes(e for e in problems if e.severity.name == "ERROR")
    assert [o.key for o in result.outcomes] == ["2026-12-01-0900-words.en/masto"]


def test_a_target_listed_twice_is_an_error_not_a_second_send(make_project):
    config = MINIMAL_CONFIG + "severity:\n  PW414: off\n"
    project = make_project(
        "-- config.yml --\n"
        + config
        + dedent(
            """\
        -- content/posts/2026-12-01-0900-twice.md --
        ---
        platforms: [mastodon, bluesky, mastodon]
        ---
        Twice?
        -- content/posts/2026-12-01-0900-accounts.md --
        ---
        accounts: [sky, sky]
        ---
        Twice again?
        """
        )
    )
    result = pipeline.publish(project, NOW)
    twice = [(e.span.path.rsplit("/", 1)[-1], e.span.line, e.message) for e in result.planned.diagnostics]
    assert ("2026-12-01-0900-twice.md", 2, "mastodon is listed twice in platforms:") in twice
    assert ("2026-12-01-0900-accounts.md", 2, "sky is listed twice in accounts:") in twice
    assert sent(project) == []
    assert not RULES["PW414"].relaxable and not RULES["PW208"].relaxable and RULES["PW302"].relaxable


def test_rules_doc_says_which_rules_are_fixed():
    from tests.conftest import REPO

    rules = (REPO / "docs/rules.md").read_text()
    assert "| PW208 | error | fixed |" in rules and "| PW302 | warning | yes |" in rules


LAUNCH = """---
platforms: [mastodon]
link: https://shop.example/launch
---
The new kite is here.
"""


def test_a_renamed_file_is_not_sent_again_and_id_keeps_it_once(make_project):
    project = make_project("-- content/posts/2026-12-01-0900-launch.md --\n" + LAUNCH)
    assert [o.status for o in pipeline.publish(project, NOW).outcomes] == ["published"]
    old = project.root / "content/posts/2026-12-01-0900-launch.md"
    new = old.with_name("2026-12-01-0900-kite-launch.md")
    old.rename(new)

    later = NOW.replace(minute=30)
    result = pipeline.publish(project, later)
    (problem,) = [item for item in result.planned.diagnostics if item.code == "PW215"]
    assert problem.span.path == "content/posts/2026-12-01-0900-kite-launch.md"
    assert "went out to masto as 2026-12-01-0900-launch" in problem.message
    assert (
        problem.hint
        == "add `id: 2026-12-01-0900-launch` to the front matter to keep the id it was published under"
    )
    assert result.outcomes == () and len(sent(project)) == 1

    new.write_text(LAUNCH.replace("---\n", "---\nid: 2026-12-01-0900-launch\n", 1))
    result = pipeline.publish(project, later)
    assert [item.code for item in result.planned.diagnostics] == [] and result.outcomes == ()
    (item,) = result.planned.items
    assert (item.key, item.status) == ("2026-12-01-0900-launch.en/masto", "published")


def test_a_renamed_and_rewritten_file_is_a_new_post(make_project):
    project = make_project("-- content/posts/2026-12-01-0900-launch.md --\n" + LAUNCH)
    pipeline.publish(project, NOW)
    old = project.root / "content/posts/2026-12-01-0900-launch.md"
    old.with_name("2026-12-01-0900-more.md").write_text(LAUNCH.replace("is here", "is here, in red"))
    old.unlink()
    result = pipeline.publish(project, NOW.replace(minute=30))
    assert [o.status for o in result.outcomes] == ["published"] and len(sent(project)) == 2


def test_a_renamed_account_is_not_sent_again(make_project):
    project = make_project("-- content/posts/2026-12-01-0900-launch.md --\n" + LAUNCH)
    pipeline.publish(project, NOW)
    config = project.root / "config.yml"
    config.write_text(config.read_text().replace("  masto:\n", "  mastodon_main:\n"))
    result = pipeline.publish(project, NOW.replace(minute=30))
    (problem,) = [item for item in result.planned.diagnostics if item.code == "PW215"]
    assert "went out through account masto" in problem.message and problem.platform == "mastodon"
    assert result.outcomes == () and len(sent(project)) == 1
    # past the grace period it is missed, not sent, and nothing is reported any more
    result = pipeline.publish(project, NOW.replace(hour=23))
    assert [i.status for i in result.planned.items] == ["missed"]
    assert not any(item.code == "PW215" for item in result.planned.diagnostics)


def test_check_reports_a_rename_within_the_grace_period(make_project):
    from datetime import UTC, timedelta

    at = (datetime.now(UTC) - timedelta(minutes=20)).astimezone(ZoneInfo("Europe/Madrid"))
    project = make_project(f"-- content/posts/{at:%Y-%m-%d-%H%M}-launch.md --\n" + LAUNCH)
    pipeline.publish(project, at + timedelta(minutes=1))
    old = next((project.root / "content/posts").glob("*.md"))
    old.rename(old.with_name(old.name.replace("launch", "kite-launch")))
    checked = CliRunner().invoke(cli, ["-C", str(project.root), "check"])
    assert checked.exit_code == 1 and "error PW215" in checked.output, checked.output


def test_a_part_published_twice_is_said_wherever_the_job_is_shown(make_project):
    """Two runs that each held an old ledger both sent, and the ledger merge kept both records: the team
    must hear of it to delete one copy, instead of the job reading as plainly published."""
    project = make_project("-- content/posts/2026-12-01-0900-news.md --" + TWIN.format(text="News."))
    pipeline.publish(project, NOW)
    ledger = project.state_dir / "ledger.jsonl"
    first = ledger.read_text().splitlines()[-1]
    second = json.loads(first) | {"remote_id": "109", "url": "https://mastodon.example/@brand/109"}
    ledger.write_text(ledger.read_text() + json.dumps(second) + "\n")
    (item,) = pipeline.plan(project, NOW).items
    assert item.status == "published"
    assert item.detail.startswith("sent twice: part 1 is out as ") and " and 109;" in item.detail
    assert item.sent_twice and not item.edited
    planned = CliRunner().invoke(cli, ["-C", str(project.root), "plan", "--at", NOW.isoformat()])
    assert "sent twice: part 1" in planned.output
    published = CliRunner().invoke(cli, ["-C", str(project.root), "publish", "--at", NOW.isoformat()])
    assert published.exit_code == 0 and "news.en/masto: sent twice" in published.output


def test_a_changed_language_is_not_sent_again_but_a_language_variant_is(make_project):
    """The job key holds the language: brand.language or lang: changed after the post went out gives
    it a new key; a real language variant (its own file) is a post of its own and goes out."""
    project = make_project("-- content/posts/2026-12-01-0900-launch.md --\n" + LAUNCH)
    pipeline.publish(project, NOW)
    config = project.root / "config.yml"
    config.write_text(
        config.read_text().replace(
            "  timezone: Europe/Madrid\n", "  timezone: Europe/Madrid\n  language: en-GB\n"
        )
    )
    result = pipeline.publish(project, NOW.replace(minute=30))
    (problem,) = [item for item in result.planned.diagnostics if item.code == "PW215"]
    assert "went out to masto in language en" in problem.message and "as en-GB" in problem.message
    assert result.outcomes == () and len(sent(project)) == 1

    config.write_text(config.read_text().replace("  language: en-GB\n", ""))
    spanish = project.root / "content/posts/2026-12-01-0900-launch.es.md"
    spanish.write_text(LAUNCH.replace("The new kite is here.", "La nueva cometa ya está aquí."))
    result = pipeline.publish(project, NOW.replace(minute=30))
    assert [(o.key, o.status) for o in result.outcomes] == [("2026-12-01-0900-launch.es/masto", "published")]


def test_only_does_not_resend_a_renamed_post_past_the_grace_period(make_project):
    project = make_project("-- content/posts/2026-12-01-0900-launch.md --\n" + LAUNCH)
    pipeline.publish(project, NOW)
    old = project.root / "content/posts/2026-12-01-0900-launch.md"
    old.rename(old.with_name("2026-12-01-0900-kite.md"))
    evening = NOW.replace(hour=16)
    (item,) = pipeline.plan(project, evening).items
    assert item.status == "missed"  # which invites --only
    result = pipeline.publish(project, evening, only="2026-12-01-0900-kite")
    assert "PW215" in codes(result.planned.diagnostics)
    assert result.outcomes == () and len(sent(project)) == 1


def test_a_renamed_job_is_held_for_its_account_only(make_project):
    """masto is renamed masto_main; masto2, an account that has posted before, still gets the post."""
    config = MINIMAL_CONFIG.replace("  sky:\n", "  masto2:\n    platform: mastodon\n  sky:\n")
    earlier = "-- content/posts/2026-11-30-0900-earlier.md --\n" + LAUNCH.replace("new kite", "old kite")
    launch = "-- content/posts/2026-12-01-0900-launch.md --\n" + LAUNCH
    project = make_project("-- config.yml --\n" + config + earlier + launch)
    pipeline.publish(project, NOW.replace(day=30, month=11), only="2026-11-30-0900-earlier")
    pipeline.publish(project, NOW, account="masto")
    renamed = config.replace("  masto:\n", "  masto_main:\n")
    (project.root / "config.yml").write_text(renamed)
    result = pipeline.publish(project, NOW.replace(minute=30))
    (problem,) = [item for item in result.planned.diagnostics if item.code == "PW215"]
    assert "went out through account masto (" in problem.message and "through masto_main" in problem.message
    assert [o.key for o in result.outcomes] == ["2026-12-01-0900-launch.en/masto2"]  # not the platform


def test_a_ledger_time_without_an_offset_is_read_as_utc(make_project):
    project = make_project("-- content/posts/2026-12-01-0900-launch.md --\n" + LAUNCH)
    pipeline.publish(project, NOW)
    ledger = project.state_dir / "ledger.jsonl"
    ledger.write_text(ledger.read_text().replace("+00:00", ""))  # fixed by hand, without the offset
    old = project.root / "content/posts/2026-12-01-0900-launch.md"
    old.rename(old.with_name("2026-12-01-0900-kite.md"))
    checked = CliRunner().invoke(
        cli, ["-C", str(project.root), "plan", "--at", NOW.replace(minute=30).isoformat()]
    )
    assert checked.exit_code != 70, checked.output
    assert "PW215" in checked.output


def test_nul_cannot_be_relaxed(make_project):
    assert not RULES["PW007"].relaxable
