import json

import pytest
from click.testing import CliRunner

from postwright.cli import cli
from postwright.platforms import PLATFORMS
from tests.conftest import REPO


def count(*args, stdin=None):
    return CliRunner().invoke(cli, ["count", *args], input=stdin)


def test_json_has_every_platform_with_count_limit_and_unit():
    result = count("--format", "json", "Hello 👋 https://example.com/kites")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == list(PLATFORMS)
    assert data["x"] == {"count": 32, "limit": 280, "unit": "weighted"}  # 6 + emoji 2 + space + URL 23
    assert data["bluesky"] == {"count": 33, "limit": 300, "unit": "graphemes", "bytes": 36}
    assert data["mastodon"] == {"count": 31, "limit": 500, "unit": "graphemes"}  # URL counts 23
    assert data["telegram"]["unit"] == "utf16" and data["telegram"]["count"] == 34
    assert data["threads"]["count"] == 36  # emoji as its 4 UTF-8 bytes
    assert all(set(entry) >= {"count", "limit", "unit"} for entry in data.values())


@pytest.mark.parametrize(("text", "x_count"), [("日本語のテキスト", 16), ("سلام دنیا", 9)])
def test_cjk_weighs_two_on_x_and_rtl_one(text, x_count):
    data = json.loads(count("--platform", "x", "--format", "json", text).stdout)
    assert data == {"x": {"count": x_count, "limit": 280, "unit": "weighted"}}


def test_stdin_and_exit_code_when_too_long():
    result = count("--platform", "bluesky", "-", stdin="a" * 301 + "\n")
    assert result.exit_code == 1
    assert "301 / 300" in result.stdout and "too long" in result.stdout


def test_account_counts_against_that_accounts_limits():
    text = "Wind " * 60  # 300 characters: over X's 280
    premium = CliRunner().invoke(
        cli, ["-C", str(REPO), "count", "--account", "x_main", "--format", "json", text]
    )
    assert premium.exit_code == 0, premium.output
    assert json.loads(premium.stdout) == {
        "x_main": {"count": 300, "limit": 25000, "unit": "weighted", "platform": "x"}
    }
    both = CliRunner().invoke(
        cli, ["-C", str(REPO), "count", "--account", "x_main", "--account", "x_es", text]
    )
    assert both.exit_code == 1
    assert [line.split()[:4] for line in both.stdout.splitlines()] == [
        ["x_main", "300", "/", "25000"],
        ["x_es", "300", "/", "280"],
    ]
    assert "too long" in both.stdout.splitlines()[1] and "too long" not in both.stdout.splitlines()[0]


def test_account_limits_come_from_the_platform_then_the_account(make_project):
    project = make_project(
        "-- config.yml --\nbrand: {name: B, timezone: UTC}\n"
        "accounts:\n  a: {platform: mastodon}\n  b: {platform: mastodon, limits: {max_length: 20}}\n"
        "platforms: {mastodon: {limits: {max_length: 1000}}}\n"
    )
    result = CliRunner().invoke(
        cli, ["-C", str(project.root), "count", "--account", "a", "--account", "b", "x" * 600]
    )
    assert result.exit_code == 1
    assert "600 / 1000" in result.stdout.splitlines()[0] and "600 / 20" in result.stdout.splitlines()[1]
    unknown = CliRunner().invoke(cli, ["-C", str(project.root), "count", "--account", "c", "hi"])
    assert unknown.exit_code == 2 and "no account 'c' in config.yml" in unknown.stderr
