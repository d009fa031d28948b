"""`postwright workflow sync` writes the publish workflow's schedule; `check` says when a post or a
posting slot has no run on time (issue 22)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from postwright import pipeline, workflow
from postwright.cli import cli
from postwright.scaffold import workflow_text
from tests.conftest import MINIMAL_CONFIG

SHA = "0123456789abcdef0123456789abcdef01234567"
CONFIG = MINIMAL_CONFIG + 'schedule:\n  default_time: "09:00"\n  slots: ["09:00", "17:30"]\n  grace: 3h\n'
NOW = datetime(2090, 1, 10, tzinfo=UTC)  # the posts below are still to come, whenever the tests run
OLD_SCHEDULE = """\
  schedule:
    # Every 15 minutes (UTC).
    - cron: "*/15 * * * *"
"""


def older_workflow() -> str:
    """publish.yml as `init` wrote it before `workflow sync`: every 15 minutes, no markers."""
    text = workflow_text("publish.yml", f"acme/postwright@{SHA}")
    return re.sub(r"(?ms)^  schedule:\n.*?# <<< postwright workflow sync\n", OLD_SCHEDULE, text)


@pytest.fixture
def brand(make_project):
    on_a_slot = "---\nplatforms: [mastodon]\n---\nAt 09:00, a slot.\n"
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- content/posts/2090-02-01-on-a-slot.md --\n{on_a_slot}"
    )
    path = project.root / workflow.WORKFLOW
    path.parent.mkdir(parents=True)
    path.write_text(older_workflow(), encoding="utf-8")
    return project


def sync(project, *args: str):
    return CliRunner().invoke(cli, ["-C", str(project.root), "workflow", "sync", *args])


def problems(project, now: datetime = NOW):
    config, loaded, _ = pipeline.load(project)
    return workflow.problems(project, config, loaded.posts, now)


def add_post(project, name: str, front: str) -> Path:
    path = project.root / "content" / "posts" / name
    path.write_text(f"---\nplatforms: [mastodon]\n{front}---\nText.\n", encoding="utf-8")
    return path


def test_sync_rewrites_only_the_schedule_and_keeps_the_rest_of_the_file(brand):
    path = brand.root / workflow.WORKFLOW
    before = path.read_text(encoding="utf-8")
    assert sync(brand, "--check").exit_code == 1  # every 15 minutes: out of date

    result = sync(brand)
    assert result.exit_code == 0, result.output
    assert "at most" in result.stderr and "job-minutes a month" in result.stderr
    after = path.read_text(encoding="utf-8")
    assert (
        after.replace(after[after.index("  schedule:") : after.index("  # Manual runs")], OLD_SCHEDULE)
        == before
    )
    crons = re.findall(r'- cron: "(.+?)" # (.+)', after)
    assert ("0 8 * 1-3,11-12 *", "09:00 at UTC+01:00") in crons  # Madrid in winter
    assert ("30 15 * 4-10 *", "17:30 at UTC+02:00") in crons  # and in summer
    assert ("5 6 * * *", "in this UTC hour postwright doctor asks the platforms") in crons
    assert "*/15" not in after

    again = sync(brand, "--check")
    assert again.exit_code == 0 and "up to date" in again.stderr
    # A person's comment outside the markers stays; a new slot is a new line, --check shows it first.
    path.write_text(after.replace("  workflow_dispatch:", "  # ours: keep this\n  workflow_dispatch:"))
    config = brand.root / "config.yml"
    config.write_text(config.read_text().replace('"17:30"]', '"17:30", "12:15"]'))
    kept = path.read_text()
    stale = sync(brand, "--check")
    assert stale.exit_code == 1 and '+    - cron: "15 11 * 1-3,11-12 *" # 12:15 at UTC+01:00' in stale.stdout
    assert path.read_text() == kept
    assert sync(brand).exit_code == 0
    assert "  # ours: keep this\n  workflow_dispatch:" in path.read_text()
    assert '"15 11 * 1-3,11-12 *"' in path.read_text()


def test_sync_adds_a_dated_line_for_a_post_off_the_slots_and_check_asks_for_it(brand):
    assert sync(brand).exit_code == 0
    assert problems(brand) == []
    post = add_post(brand, "2090-03-05-launch.md", "date: 2090-03-05 15:00\n")
    (late,) = problems(brand)
    assert late.code == "PW091" and (late.span.path, late.span.line) == (
        "content/posts/2090-03-05-launch.md",
        3,
    )
    assert late.message == (
        "post 2090-03-05-launch would go out 2h30m late: the first run of .github/workflows/publish.yml "
        "after 2090-03-05 15:00 (14:00 UTC) is at 16:30 UTC"
    )
    assert late.hint.startswith("run `postwright workflow sync` and commit .github/workflows/publish.yml")
    checked = CliRunner().invoke(cli, ["-C", str(brand.root), "check", str(post)])
    assert checked.exit_code == 1 and "PW091" in checked.output  # fails the pull request

    assert sync(brand, "--at", "2090-01-10T00:00").exit_code == 0
    assert (
        '- cron: "0 14 5 3 *" # 2090-03-05-launch at 2090-03-05 15:00'
        in (brand.root / workflow.WORKFLOW).read_text()
    )
    assert problems(brand) == []
    # Once the post's time has passed, the line is left out (and check never asks about the past).
    assert problems(brand, datetime(2090, 3, 6, tzinfo=UTC)) == []
    assert sync(brand, "--check", "--at", "2090-03-06T00:00").exit_code == 1


def test_a_post_no_run_reaches_within_the_grace_period_would_be_missed(brand):
    config = brand.root / "config.yml"
    config.write_text(config.read_text().replace("grace: 3h", "grace: 30m"))
    assert sync(brand).exit_code == 0
    add_post(brand, "2090-03-05-1300-lunch.md", "")
    add_post(brand, "2090-03-05-1400-draft.md", "draft: true\n")
    add_post(brand, "2090-01-01-1300-past.md", "")
    (missed,) = problems(brand)
    assert missed.code == "PW090" and missed.span.path == "content/posts/2090-03-05-1300-lunch.md"
    assert "would be missed: .github/workflows/publish.yml has no run from 2090-03-05 13:00 (12:00 UTC)" in (
        missed.message
    )
    assert "schedule.grace (30 minutes)" in missed.message


def test_an_account_s_own_time_is_checked_at_its_override(brand):
    assert sync(brand).exit_code == 0
    add_post(brand, "2090-03-05-0900-moved.md", "overrides:\n  mastodon:\n    date: 2090-03-06 15:00\n")
    (late,) = problems(brand)
    assert late.code == "PW091" and (late.span.path, late.span.line) == (
        "content/posts/2090-03-05-0900-moved.md",
        5,
    )


def test_a_slot_without_a_run_is_reported_at_its_line_in_config_yml(brand):
    assert sync(brand).exit_code == 0
    config = brand.root / "config.yml"
    config.write_text(config.read_text().replace('"17:30"]', '"17:30", "12:15"]'))
    (slot,) = problems(brand)
    assert slot.code == "PW092" and slot.span.path == "config.yml"
    assert config.read_text().splitlines()[slot.span.line - 1].startswith("  slots:")
    assert slot.message.startswith("posts at 12:15 would go out late or be missed")
    assert "no run from 11:15 UTC to 11:30 UTC on 2090-01-10" in slot.message


def test_an_unreadable_cron_line_is_said_and_the_schedule_not_checked(brand):
    path = brand.root / workflow.WORKFLOW
    path.write_text(older_workflow().replace("*/15 * * * *", "every quarter hour"))
    add_post(brand, "2090-03-05-1500-off.md", "")
    (unreadable,) = problems(brand)
    assert unreadable.code == "PW094" and unreadable.severity.name == "WARNING"
    assert path.read_text().splitlines()[unreadable.span.line - 1].strip().startswith("- cron:")
    assert "has 3 fields" in unreadable.message


def test_no_workflow_file_nothing_to_check_and_sync_says_what_to_do(make_project):
    project = make_project(
        "-- content/posts/2090-03-05-1500-off.md --\n---\nplatforms: [mastodon]\n---\nHi.\n"
    )
    assert problems(project) == []
    result = sync(project)
    assert result.exit_code == 1 and "no .github/workflows/publish.yml" in result.output


def test_sync_keeps_crlf_and_the_file_mode_and_never_leaves_half_a_file(brand, monkeypatch):
    path = brand.root / workflow.WORKFLOW
    path.write_bytes(older_workflow().replace("\n", "\r\n").encode())
    path.chmod(0o640)
    assert sync(brand).exit_code == 0
    data = path.read_bytes()
    assert b"# <<< postwright workflow sync\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert path.stat().st_mode & 0o777 == 0o640

    config = brand.root / "config.yml"
    config.write_text(config.read_text().replace('"17:30"]', '"17:30", "12:15"]'))

    def interrupted(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", interrupted)
    assert sync(brand).exit_code != 0
    assert path.read_bytes() == data
    assert [item.name for item in path.parent.iterdir()] == ["publish.yml"]  # no temporary file left


def test_a_workflow_without_a_schedule_gets_one_under_on(brand):
    path = brand.root / workflow.WORKFLOW
    path.write_text(older_workflow().replace(OLD_SCHEDULE, ""))
    assert sync(brand).exit_code == 0
    text = path.read_text()
    assert "on:\n  schedule:\n    # >>> postwright workflow sync:" in text
    assert sync(brand, "--check").exit_code == 0


def test_a_grace_period_shorter_than_github_s_delay_is_a_warning_at_its_line(brand):
    assert sync(brand).exit_code == 0
    config = brand.root / "config.yml"
    config.write_text(config.read_text().replace("grace: 3h", "grace: 10m"))
    (short,) = problems(brand)
    assert short.code == "PW093" and short.severity.name == "WARNING"
    assert config.read_text().splitlines()[short.span.line - 1] == "  grace: 10m"
    assert "GitHub often starts scheduled runs 5-20 minutes late" in short.message
    config.write_text(config.read_text().replace("grace: 10m", "grace: 30m"))
    assert problems(brand) == []


def test_the_daily_credentials_run_follows_doctor_hour_in_the_workflow(brand):
    path = brand.root / workflow.WORKFLOW
    path.write_text(
        older_workflow().replace('DOCTOR: "true"\n', 'DOCTOR: "true"\n          DOCTOR_HOUR: "9"\n')
    )
    assert sync(brand).exit_code == 0
    crons = re.findall(r'- cron: "(.+?)"', path.read_text())
    assert "5 9 * * *" in crons and "5 6 * * *" not in crons


def test_a_brand_whose_numbers_are_read_gets_runs_for_the_1_h_and_6_h_readings(brand):
    """Only when an account is read through its API: the outbox brand above gets none. A post off the
    slots gets a dated line for each reading no other run takes in time (insights.due.READ_WITHIN)."""
    config = brand.root / "config.yml"
    config.write_text(
        config.read_text().replace("platform: mastodon\n", "platform: mastodon\n    deliver: api\n")
    )
    assert sync(brand).exit_code == 0
    text = (brand.root / workflow.WORKFLOW).read_text()
    readings = re.findall(r'- cron: "(.+?)" # (reads the numbers .+)', text)
    assert readings == [  # 06:05 UTC reads nothing: its own line, as before
        ("15 9 * * *", "reads the numbers 1 h after 09:00"),  # in both offsets: 10:15 or 11:15
        ("45 17,22 * * *", "reads the numbers 1 h after 17:30, 6 h after 17:30"),
    ]
    up_to_date = sync(brand, "--check")
    # 2 slots, 3 readings and the credentials check: 6 runs a day, 200 in March (both offsets 7 days)
    assert "11 cron lines, at most 200 job-minutes a month" in up_to_date.stderr
    # 11:00 in Madrid on 5 March is 10:00 UTC: the 1 h reading has no run from 11:15 to 15:00 UTC, the
    # 6 h one is the 17:30 slot's (16:30 UTC)
    add_post(brand, "2090-03-05-1100-launch.md", "")
    assert sync(brand).exit_code == 0
    text = (brand.root / workflow.WORKFLOW).read_text()
    assert re.findall(r'- cron: "(.+?)" # (.*2090-03-05-1100-launch.*)', text) == [
        ("0 10 5 3 *", "2090-03-05-1100-launch at 2090-03-05 11:00"),
        ("15 11 5 3 *", "reads the numbers of 2090-03-05-1100-launch"),
    ]
    assert problems(brand) == []
    # an outbox account's post is not read: no line for its readings
    config.write_text(config.read_text().replace("    deliver: api\n", ""))
    assert sync(brand).exit_code == 0
    assert "reads the numbers" not in (brand.root / workflow.WORKFLOW).read_text()


def test_check_warns_when_an_account_read_through_its_api_has_no_runs_for_its_readings(brand):
    assert sync(brand).exit_code == 0  # outbox accounts: no runs for readings
    config = brand.root / "config.yml"
    config.write_text(
        config.read_text().replace("platform: mastodon\n", "platform: mastodon\n    deliver: api\n")
    )
    late = problems(brand)
    assert [(item.code, item.severity.name, item.span.path) for item in late] == [
        ("PW095", "WARNING", "config.yml")
    ] * 3
    assert [item.message.split(" would")[0] for item in late] == [
        "the 1 h reading of posts at 09:00",  # the 6 h one is the 17:30 slot's run
        "the 1 h reading of posts at 17:30",
        "the 6 h reading of posts at 17:30",
    ]
    assert "has no run from 1h15m to 5h00m after it on 2090-01-10" in late[0].message
    assert late[0].hint.startswith("run `postwright workflow sync`")
    assert sync(brand).exit_code == 0
    assert problems(brand) == []
