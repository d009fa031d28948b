"""A crisis signal opens one issue labelled `crisis` and one pull request whose only change is `paused:
true` in config.yml, once: a second run with the same signal opens neither again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from postwright.engagement.act import CRISIS_LABEL, PAUSE_BRANCH, act_on_crisis, paused_config
from postwright.engagement.crisis import CrisisSignal
from postwright.engagement.github import GitHub
from postwright.engagement.inbox import to_github
from postwright.engagement.pull import Pulled
from tests.fakes.api import http_server  # noqa: F401  (the module's local server)
from tests.fakes.github import FakeGitHub, FakeRepo

ROOT = Path(__file__).resolve().parents[1]
CONFIG = (ROOT / "config.yml").read_bytes()
START, END = datetime(2026, 12, 7, 9, tzinfo=UTC), datetime(2026, 12, 7, 12, tzinfo=UTC)
SPIKE = CrisisSignal(
    "bluesky_main", "spike", ("41 replies and mentions in the last 3 h", "usual: 1 an hour"), (START, END)
)
WATCH = CrisisSignal(
    "mastodon_main", "watch word", ("'recall' in https://social.example/@a/1",), (START, END)
)


@pytest.fixture
def github(http_server) -> Iterator[FakeGitHub]:  # noqa: F811
    repo = FakeRepo(refs={"main": "a" * 40}, files={("main", "config.yml"): CONFIG})
    fake = FakeGitHub(http_server, repo)
    yield fake
    assert fake.problems == []


def client(fake: FakeGitHub) -> GitHub:
    return GitHub.from_environment(fake.env())


@pytest.mark.parametrize("signal", [SPIKE, WATCH], ids=["spike", "watch word"])
def test_a_signal_opens_one_issue_and_one_pause_pull_request_never_two(github: FakeGitHub, signal) -> None:
    [first] = act_on_crisis(client(github), [signal])
    [again] = act_on_crisis(client(github), [signal])

    [issue] = github.with_label(CRISIS_LABEL)
    assert first.opened and not again.opened and again.issue_url == first.issue_url
    assert signal.evidence[0] in issue.body and "2026-12-07 09:00 to 2026-12-07 12:00 UTC" in issue.body
    assert [pull["head"]["ref"] for pull in github.repo.pulls] == [PAUSE_BRANCH]
    assert first.pause == again.pause == github.repo.pulls[0]["html_url"] and first.pause in issue.body
    assert github.count("POST", "/issues") == 1 and github.count("POST", "/pulls") == 1


def test_the_pull_request_changes_only_the_paused_line(github: FakeGitHub) -> None:
    act_on_crisis(client(github), [SPIKE])

    paused = github.repo.files[(PAUSE_BRANCH, "config.yml")]
    before, after = CONFIG.splitlines(keepends=True), paused.splitlines(keepends=True)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [(b"paused: false\n", b"paused: true\n")]
    assert github.repo.files[("main", "config.yml")] == CONFIG  # the default branch is untouched
    assert yaml.safe_load(paused)["paused"] is True


def test_two_signals_share_one_pause_pull_request(github: FakeGitHub) -> None:
    actions = act_on_crisis(client(github), [SPIKE, WATCH])

    assert len(github.with_label(CRISIS_LABEL)) == 2 and len(github.repo.pulls) == 1
    assert actions[0].pause == actions[1].pause


def test_a_closed_pause_request_is_made_again_from_the_default_branch(github: FakeGitHub) -> None:
    act_on_crisis(client(github), [SPIKE])
    github.repo.pulls.clear()  # closed unmerged; its branch stays
    github.repo.issues.clear()
    github.repo.files[("main", "config.yml")] = CONFIG + b"# edited since\n"
    github.repo.refs["main"] = "b" * 40

    act_on_crisis(client(github), [SPIKE])

    assert github.repo.files[(PAUSE_BRANCH, "config.yml")].endswith(b"# edited since\n")
    assert len(github.repo.pulls) == 1


def test_already_paused_needs_no_pull_request(github: FakeGitHub) -> None:
    github.repo.files[("main", "config.yml")] = CONFIG.replace(b"paused: false", b"paused: true")

    [action] = act_on_crisis(client(github), [WATCH])

    assert github.repo.pulls == [] and "already says paused: true" in action.pause


def test_when_actions_may_not_open_pull_requests_the_issue_says_how_to_allow_it(github: FakeGitHub) -> None:
    github.repo.pulls_forbidden = True

    [action] = act_on_crisis(client(github), [SPIKE])

    [issue] = github.with_label(CRISIS_LABEL)
    assert action.pause.startswith("not opened:") and "Allow GitHub Actions to create" in issue.body
    github.problems.clear()


def test_a_pause_request_not_opened_is_asked_again_on_the_next_run(github: FakeGitHub) -> None:
    """The account's state is not saved, so the next run hears the signal again: the issue is found, not
    opened twice, and the pull request is asked for again."""
    github.repo.pulls_forbidden = True
    first = to_github(client(github), Pulled(END, (), [SPIKE]))
    # an error of the crisis: to_github leaves the account out of `shown`, so its state is not saved
    assert [e for e in first.errors if "pause pull request not opened" in e]
    github.repo.pulls_forbidden = False
    second = to_github(client(github), Pulled(END, (), [SPIKE]))
    assert second.errors == () and len(github.with_label(CRISIS_LABEL)) == 1
    assert github.count("POST", "/pulls") >= 1 and "/pull/" in second.summary
    github.problems.clear()


def test_the_job_summary_says_the_crisis_first(github: FakeGitHub) -> None:
    summary = to_github(client(github), Pulled(END, (), [SPIKE])).summary

    first = summary.splitlines()[2]
    assert first.startswith("- :rotating_light: **Crisis: spike on bluesky_main**")
    assert "/issues/2) opened" in first and "/pull/1)" in first


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b"brand: {}\npaused: false # the switch\n", b"brand: {}\npaused: true # the switch\n"),
        (b"brand: {}\r\npaused: 'no'\r\nx: 1\r\n", b"brand: {}\r\npaused: true\r\nx: 1\r\n"),
    ],
)
def test_paused_config_replaces_only_the_value(before: bytes, after: bytes) -> None:
    assert paused_config(before) == after


@pytest.mark.parametrize("before", [b"brand:\n  paused: false\n", b"brand: {}"])
def test_paused_config_adds_the_line_where_there_is_none_at_the_top(before: bytes) -> None:
    result = paused_config(before)
    assert result.startswith(before) and result.endswith(b"\npaused: true\n")
    assert yaml.safe_load(result)["paused"] is True
