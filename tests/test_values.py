"""Values out of what date arithmetic can take: a located error for the one post or setting, never an
internal error, and the other posts still go out."""

import json

import pytest
from click.testing import CliRunner

from postwright.cli import cli
from tests.conftest import MINIMAL_CONFIG

AT = "2026-12-01T09:05"  # the good post is due

GOOD = """
-- content/posts/2026-12-01-0900-good.md --
---
title: Good
---
This one must go out.
"""


def run(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def no_internal_error(result):
    """CliRunner keeps an uncaught exception (exit 70 from the real entry point) in result.exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 70


BAD_POSTS = {
    "expires-9999": ("2026-12-01-0900-bad.md", "expires: 9999-12-31\n", 2),
    "date-year-1": ("bad.md", "date: 0001-01-01\n", 2),
    "date-9999-with-time": ("bad.md", "date: 9999-12-31T23:59\n", 2),
    "offset-past-9999": ("bad.md", "date: '9999-12-31 23:59 -05:00'\n", 2),
    "offset-before-year-1": ("bad.md", "date: '0001-01-01 00:00 +05:00'\n", 2),
    "expires-offset-past-9999": ("2026-12-01-0900-bad.md", "expires: '9999-12-31 23:59 -05:00'\n", 2),
    "override-date-9999": ("2026-12-01-0900-bad.md", "overrides:\n  masto: {date: '9999-12-31 23:00'}\n", 3),
    "file-name-9999": ("9999-12-31-bad.md", "", 1),
    "file-name-9999-with-time": ("9999-12-31-2359-bad.md", "", 1),
}


@pytest.mark.parametrize("case", BAD_POSTS, ids=list(BAD_POSTS))
def test_one_post_with_an_unusable_date_stops_no_other(make_project, case):
    name, front, line = BAD_POSTS[case]
    project = make_project(GOOD + f"-- content/posts/{name} --\n---\n{front}---\nBad one.\n")
    bad = f"content/posts/{name}"

    checked = run("-C", project.root, "check", "--format", "json")
    no_internal_error(checked)
    assert checked.exit_code == 1
    assert [(item["path"], item["line"], item["code"]) for item in json.loads(checked.stdout)] == [
        (bad, line, "PW201")
    ]
    assert "1900 to 8999" in checked.stdout

    published = run("-C", project.root, "publish", "--at", AT)
    no_internal_error(published)
    assert published.exit_code == 1  # invalid content, and the good post is sent all the same
    assert "published   2026-12-01-0900-good.en/masto" in published.stdout
    assert "published   2026-12-01-0900-good.en/sky" in published.stdout
    assert len(list((project.root / "outbox").rglob("*.json"))) == 2

    for command in (["plan"], ["plan", "--format", "json"], ["preview"], ["calendar", "-o", "-"]):
        result = run("-C", project.root, *command, "--at", AT)
        no_internal_error(result)
        assert "2026-12-01-0900-good" in (
            result.stdout if command[0] != "preview" else (project.root / "publish/index.html").read_text()
        )


MASTO = "    platform: mastodon\n"  # the masto account in MINIMAL_CONFIG, on line 7


@pytest.mark.parametrize(
    ("setting", "code"),
    [
        ("schedule: {grace: 99999999999d}", "PW104"),
        ("schedule: {duplicate_window: 99999999999d}", "PW104"),
        ("schedule: {grace: 1" + "0" * 5000 + "d}", "PW104"),
        ("schedule: {grace: 3651d}", "PW104"),
        ("platforms: {mastodon: {limits: {max_length: 1" + "0" * 40 + "}}}", "PW031"),
        ("platforms: {mastodon: {limits: {max_image_bytes: 1" + "0" * 100 + "}}}", "PW031"),
        ("    limits: {max_thread_parts: 1" + "0" * 20 + "}", "PW031"),  # the masto account's own
    ],
)
def test_huge_durations_and_numbers_in_config_are_located_errors(make_project, setting, code):
    if setting.startswith(" "):
        config, line = MINIMAL_CONFIG.replace(MASTO, MASTO + setting + "\n"), 8
    else:
        config, line = MINIMAL_CONFIG + setting + "\n", MINIMAL_CONFIG.count("\n") + 1
    project = make_project(f"-- config.yml --\n{config}" + GOOD)
    for command in (["check"], ["build"], ["preview", "--at", AT]):
        result = run("-C", project.root, *command)
        no_internal_error(result)
        assert result.exit_code == 1
        assert f"config.yml:{line}:" in result.output and f"error {code}" in result.output
        assert len(result.output) < 2000  # a value of thousands of digits is not echoed whole


def test_longest_duration_is_accepted(make_project):
    project = make_project(
        f"-- config.yml --\n{MINIMAL_CONFIG}schedule: {{grace: 3650d, duplicate_window: 3650d}}\n" + GOOD
    )
    assert run("-C", project.root, "check").exit_code == 0


@pytest.mark.parametrize("command", ["plan", "publish", "preview", "calendar", "schedule"])
@pytest.mark.parametrize("at", ["9999-12-31T23:59Z", "0001-01-01T00:00Z", "9999-12-31T23:59"])
def test_at_out_of_range_is_a_usage_error(make_project, command, at):
    project = make_project(GOOD)
    result = run("-C", project.root, command, "--at", at)
    no_internal_error(result)
    assert result.exit_code == 2
    assert "1900 to 8999" in result.output


def test_new_with_a_date_out_of_range_is_a_usage_error(make_project):
    project = make_project(GOOD)
    result = run("-C", project.root, "new", "Far", "--date", "9999-12-31")
    no_internal_error(result)
    assert result.exit_code == 2 and "1900 to 8999" in result.output


def test_edge_years_are_accepted(make_project):
    project = make_project(
        GOOD
        + "-- content/posts/early.md --\n---\ndate: 1900-01-01 00:00\n---\nOld.\n"
        + "-- content/posts/late.md --\n---\ndate: '8999-12-31 10:00 -12:00'\nexpires: 8999-12-31\n"
        "draft: true\n---\nLate.\n"
    )
    assert run("-C", project.root, "check").exit_code == 0
    for command in ("plan", "preview", "calendar"):
        no_internal_error(run("-C", project.root, command, "--at", AT))


def test_month_calendar_skips_centuries_without_posts(make_project):
    """One post dated far ahead used to make a month page for every month in between (thousands)."""
    project = make_project(
        GOOD
        + "-- content/posts/2027-03-01-spring.md --\n---\n---\nSpring.\n"
        + "-- content/posts/late.md --\n---\ndate: 8999-06-01 09:00\n---\nLate.\n"
    )
    result = run("-C", project.root, "preview", "--at", AT)
    no_internal_error(result)
    assert result.exit_code == 0
    page = (project.root / "publish/index.html").read_text()
    assert "December 2026" in page and "June 8999" in page
    assert "January 2027" in page and "February 2027" in page  # a short stretch without posts is shown
    assert "April 2027" not in page and "January 5000" not in page
    assert len(page) < 5_000_000
