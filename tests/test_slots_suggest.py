"""Acting on best times: schedule.explore places a share of `date: next` posts in under-sampled candidate
times (deterministically, by post id), and `slots suggest` proposes a schedule.slots change only when a
candidate hour's interval clears the slot's, editing config.yml in place with --write, or, with --github,
as one pull request kept up to date (against tests/fakes/github.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.config import load_config
from postwright.insights.best_time import MIN_N, DeliveryScore
from postwright.slots import SLOTS_BRANCH, explores, schedule_waiting, suggest, write_slots
from tests.fakes.api import http_server  # noqa: F401  (the module's local server)
from tests.fakes.github import TOKEN, FakeGitHub, FakeRepo

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # a Tuesday evening

CONFIG = """\
-- config.yml --
brand: {name: B, timezone: Europe/Madrid}
accounts:
  mastodon_main: {platform: mastodon}
  bluesky_main: {platform: bluesky}
schedule:
  # our times
  slots: ['09:00', "17:30"]   # keep this comment
  candidates: ['08:00', '12:00', '20:00']
  explore: 0.5
"""


def _waiting(count: int) -> str:
    return "".join(
        f"-- content/posts/p{index:02d}.md --\n---\ndate: next\nplatforms: [mastodon]\n---\nPost {index}.\n"
        for index in range(count)
    )


def _schedule(project, sampled=None):
    config, loaded, _ = pipeline.load(project)
    return config, schedule_waiting(project, config, loaded.posts, NOW, write=False, sampled=sampled)


def test_explore_sends_its_share_of_posts_to_candidate_times_and_the_same_ones_every_run(make_project):
    project = make_project(CONFIG + _waiting(20))
    config, done = _schedule(project)
    exploring = {f"p{index:02d}" for index in range(20) if explores(config, f"p{index:02d}")}
    assert 5 <= len(exploring) <= 15  # about half, decided by the ids
    for path, when in done:
        local = when.astimezone(MADRID).time()
        expected = {time(8), time(12), time(20)} if path.stem in exploring else {time(9), time(17, 30)}
        assert local in expected, (path.stem, local)
        if path.stem in exploring:
            assert when <= NOW + timedelta(days=7)
    assert len({when for _, when in done}) == 20  # no two posts share a time on the account
    assert _schedule(project)[1] == done  # deterministic


def test_explore_goes_where_the_history_is_thinnest_and_stops_when_every_candidate_is_known(make_project):
    project = make_project(CONFIG.replace("explore: 0.5", "explore: 1") + _waiting(1))
    known = {("mastodon_main", day, hour): MIN_N for day in range(7) for hour in (8, 12, 20)}
    _, [(_, when)] = _schedule(project, {**known, ("mastodon_main", 3, 20): 1})  # Thursday 20:00: tried once
    assert when.astimezone(MADRID).strftime("%a %H:%M") == "Thu 20:00"
    _, [(_, when)] = _schedule(project, known)
    assert when.astimezone(MADRID).time() in (time(9), time(17, 30))  # nothing left to learn: a slot


def test_explore_zero_is_the_plain_schedule(make_project):
    project = make_project(CONFIG.replace("explore: 0.5", "explore: 0") + _waiting(6))
    _, done = _schedule(project)
    assert {when.astimezone(MADRID).time() for _, when in done} == {time(9), time(17, 30)}


def _scores(account: str, hour: int, values: list[float]) -> list[DeliveryScore]:
    start = datetime(2026, 9, 7, hour, 0, tzinfo=MADRID)
    return [
        DeliveryScore(
            key=f"p{hour}-{index}.en/{account}",
            post_id=f"p{hour}-{index}",
            lang="en",
            platform="mastodon",
            account=account,
            local_time=start + timedelta(days=index),
            engagements=int(value * 10),
            impressions=None,
            score=value,
            basis="relative",
        )
        for index, value in enumerate(values)
    ]


def test_suggest_only_when_the_candidate_interval_clears_the_slot(make_project):
    config, problems = load_config(make_project(CONFIG))
    assert problems == []
    low = [0.8, 0.9, 1.0, 0.85, 0.95, 0.9, 1.0, 0.9]
    high = [1.6, 1.8, 1.7, 1.9, 1.75, 1.65, 1.85, 1.7]
    scores = _scores("mastodon_main", 9, low) + _scores("mastodon_main", 17, high)
    assert suggest(config, scores) == []  # 20:00 untried: no evidence, no change
    assert suggest(config, scores + _scores("mastodon_main", 20, high[:4])) == []  # n=4 < MIN_N
    (proposal,) = suggest(config, scores + _scores("mastodon_main", 20, high))
    assert (proposal.current, proposal.candidate) == (time(9), time(20))
    ((candidate, current),) = proposal.evidence
    assert (candidate.account, candidate.n, current.n) == (
        "mastodon_main",
        8,
        8,
    ) and candidate.low > current.high
    # an overlapping interval is no proof
    assert (
        suggest(config, scores + _scores("mastodon_main", 20, [0.9, 1.7, 1.0, 1.8, 0.95, 1.6, 1.0, 1.9]))
        == []
    )
    # better for one account but clearly worse for another: no change
    other = _scores("bluesky_main", 9, high) + _scores("bluesky_main", 20, low)
    assert suggest(config, scores + _scores("mastodon_main", 20, high) + other) == []


def test_write_changes_only_that_time_in_config_yml(make_project):
    project = make_project(CONFIG)
    path = project.config_path
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    assert write_slots(path, {time(9): time(20)})
    assert path.read_bytes() == before.replace(b"['09:00',", b'["20:00",')
    assert write_slots(path, {time(17, 30): time(12)})
    assert path.read_bytes() == before.replace(b"['09:00', \"17:30\"]", b'["20:00", "12:00"]')
    assert not write_slots(path, {time(7): time(8)})
    block = make_project(
        "-- config.yml --\nbrand: {name: B, timezone: UTC}\naccounts: {}\n"
        "schedule:\n  slots:\n    - 09:00  # morning\n    - '13:00'\n"
    )
    assert write_slots(block.config_path, {time(9): time(8)})
    assert block.config_path.read_text().endswith("  slots:\n    - \"08:00\"  # morning\n    - '13:00'\n")
    config, problems = load_config(block)
    assert problems == [] and config.schedule.slots == [time(8), time(13)]


def _store_history(project, hours: dict[int, int], days: range = range(10)) -> None:
    """Ten days of mastodon_main deliveries at each local hour, with that many favourites each."""
    from postwright.insights.model import Observation
    from postwright.insights.store import store_observations

    rows = []
    for day in days:
        for hour, favourites in hours.items():
            published = datetime(2026, 10, 5 + day, hour, 5, tzinfo=MADRID).astimezone(UTC)
            post_id = f"2026-10-{5 + day:02d}-{hour}"
            rows.append(
                Observation(
                    key=f"{post_id}.en/mastodon_main",
                    post_id=post_id,
                    lang="en",
                    account="mastodon_main",
                    platform="mastodon",
                    published=published,
                    observed=published + timedelta(days=8),
                    metrics={"favourites_count": favourites, "reblogs_count": 0},
                )
            )
    store_observations(project.root, rows)


def test_the_command_reads_the_metrics_and_writes_config_yml(make_project):
    project = make_project(CONFIG)
    _store_history(project, {9: 1, 20: 20})
    before = project.config_path.read_text()
    base = ["-C", str(project.root), "slots", "suggest"]
    shown = CliRunner().invoke(cli, [*base, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    (proposal,) = json.loads(shown.output)
    assert (proposal["slot"], proposal["candidate"], proposal["written"]) == ("09:00", "20:00", False)
    assert project.config_path.read_text() == before
    written = CliRunner().invoke(cli, [*base, "--write", "--format", "markdown"])
    assert written.output.startswith(
        "## Posting slots\n\n- schedule.slots: 09:00 → 20:00\n  - mastodon_main: 20:00"
    )
    assert project.config_path.read_text() == before.replace("['09:00',", '["20:00",')
    again = CliRunner().invoke(cli, base)
    assert again.output == "No change: no candidate time clears a posting slot yet.\n"


# -- the pull request from the workflow (--github), against tests/fakes/github.py ----------------------


@pytest.fixture
def github(http_server, monkeypatch, tmp_path) -> Iterator[FakeGitHub]:  # noqa: F811
    fake = FakeGitHub(http_server, FakeRepo(refs={"main": "a" * 40}))
    for name, value in fake.env(GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md")).items():
        monkeypatch.setenv(name, value)
    yield fake
    assert fake.problems == []


def _suggest_on_github(project, *extra: str):
    return CliRunner().invoke(cli, ["-C", str(project.root), "slots", "suggest", "--github", *extra])


def _brand(make_project, github: FakeGitHub):
    project = make_project(CONFIG)
    github.repo.files[("main", "config.yml")] = project.config_path.read_bytes()
    return project


def test_github_opens_one_pull_request_changing_only_that_slot_with_the_evidence(make_project, github):
    project = _brand(make_project, github)
    _store_history(project, {9: 1, 20: 20})

    result = _suggest_on_github(project)

    assert result.exit_code == 0, result.output
    [pull] = github.repo.pulls
    assert pull["head"]["ref"] == SLOTS_BRANCH and pull["base"]["ref"] == "main"
    assert pull["title"] == "Posting slots: 09:00 → 20:00"
    assert pull["body"].startswith("<!-- postwright:slots 09:00>20:00 -->\n## Posting slots\n\n")
    assert "- mastodon_main: 20:00–20:59" in pull["body"] and "postwright workflow sync" in pull["body"]
    before = github.repo.files[("main", "config.yml")]
    assert github.repo.files[(SLOTS_BRANCH, "config.yml")] == before.replace(b"['09:00',", b'["20:00",')
    assert github.repo.files[("main", "config.yml")] == before  # the default branch is untouched
    assert project.config_path.read_bytes() == before  # and so is the checkout
    assert f"slots: pull request opened: {pull['html_url']}" in result.stderr
    summary = Path(os.environ["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## Posting slots") and pull["html_url"] in summary


def test_github_a_later_run_with_the_same_suggestion_changes_nothing(make_project, github):
    project = _brand(make_project, github)
    _store_history(project, {9: 1, 20: 20})
    _suggest_on_github(project)
    writes = github.count("PUT") + github.count("POST") + github.count("PATCH")

    again = _suggest_on_github(project)

    assert again.exit_code == 0 and "already open with this suggestion" in again.stderr
    assert github.count("PUT") + github.count("POST") + github.count("PATCH") == writes
    assert len(github.repo.pulls) == 1


def test_github_a_changed_suggestion_updates_the_open_pull_request_in_place(make_project, github):
    project = _brand(make_project, github)
    _store_history(project, {9: 1, 20: 20})
    _suggest_on_github(project)
    [pull] = github.repo.pulls
    # a person brings the workflow's schedule along on the branch, as the body asks
    github.repo.files[(SLOTS_BRANCH, ".github/workflows/publish.yml")] = b"synced\n"
    _store_history(project, {9: 1, 12: 60, 20: 20})  # 12:00 now clears 09:00 by more

    result = _suggest_on_github(project)

    assert result.exit_code == 0, result.output
    assert github.repo.pulls == [pull] and github.count("POST", "/pulls") == 1
    assert pull["title"] == "Posting slots: 09:00 → 12:00" and "09:00>12:00" in pull["body"]
    before = github.repo.files[("main", "config.yml")]
    assert github.repo.files[(SLOTS_BRANCH, "config.yml")] == before.replace(b"['09:00',", b'["12:00",')
    assert github.repo.files[(SLOTS_BRANCH, ".github/workflows/publish.yml")] == b"synced\n"  # no reset
    assert f"brought up to date: {pull['html_url']}" in result.stderr


def test_github_nothing_to_suggest_asks_github_nothing(make_project, github, monkeypatch):
    project = _brand(make_project, github)
    _store_history(project, {9: 5, 20: 5})
    monkeypatch.delenv("GITHUB_TOKEN")  # not even needed

    result = _suggest_on_github(project)

    assert result.exit_code == 0
    assert result.output == "No change: no candidate time clears a posting slot yet.\n"
    assert github.seen == [] and github.repo.pulls == []


def test_github_a_closed_pull_request_is_opened_again_from_the_default_branch(make_project, github):
    project = _brand(make_project, github)
    _store_history(project, {9: 1, 20: 20})
    _suggest_on_github(project)
    github.repo.pulls[0]["state"] = "closed"  # closed unmerged; its branch stays
    github.repo.files[("main", "config.yml")] += b"# edited since\n"
    github.repo.refs["main"] = "b" * 40

    _suggest_on_github(project)

    assert [pull["state"] for pull in github.repo.pulls] == ["closed", "open"]
    assert github.repo.files[(SLOTS_BRANCH, "config.yml")].endswith(b"# edited since\n")


def test_github_refusing_is_exit_3_with_github_s_words_and_the_fix(make_project, github):
    project = _brand(make_project, github)
    _store_history(project, {9: 1, 20: 20})
    github.repo.pulls_forbidden = True

    result = _suggest_on_github(project)

    assert result.exit_code == 3 and "Traceback" not in result.output
    assert "not permitted to create or approve pull requests" in result.stderr
    assert "Allow GitHub Actions to create and approve pull requests" in result.stderr
    assert TOKEN not in result.output


def test_github_a_default_branch_without_those_slots_opens_nothing(make_project, github):
    project = _brand(make_project, github)
    _store_history(project, {9: 1, 20: 20})
    github.repo.files[("main", "config.yml")] = (
        b"brand: {name: B, timezone: UTC}\nschedule:\n  slots: ['10:00']\n"
    )

    result = _suggest_on_github(project)

    assert result.exit_code == 0 and github.repo.pulls == [] and SLOTS_BRANCH not in github.repo.refs
    assert "no pull request: config.yml on main has none of these slots" in result.stderr


def test_write_and_github_together_are_a_usage_error(make_project, github):
    result = _suggest_on_github(make_project(CONFIG), "--write")
    assert result.exit_code == 2 and "choose one" in result.stderr and github.seen == []


def test_the_schedule_command_explores_where_the_metrics_are_thin(make_project):
    from postwright.insights.model import Observation
    from postwright.insights.store import store_observations

    config = CONFIG.replace("explore: 0.5", "explore: 1").replace(
        "'08:00', '12:00', '20:00'", "'12:00', '20:00'"
    )
    project = make_project(config + _waiting(1))
    rows = []
    for week in range(MIN_N):  # every weekday at 12:00 is known; 20:00 is known except on Thursdays
        for day in range(7):
            for hour in (12, 20):
                local = datetime(2026, 9, 7, hour, 0, tzinfo=MADRID) + timedelta(days=7 * week + day)
                published = local.astimezone(UTC)
                if hour == 20 and published.astimezone(MADRID).weekday() == 3:
                    continue
                post_id = f"{published:%Y-%m-%d-%H}"
                rows.append(
                    Observation(
                        key=f"{post_id}.en/mastodon_main",
                        post_id=post_id,
                        lang="en",
                        account="mastodon_main",
                        platform="mastodon",
                        published=published,
                        observed=published + timedelta(days=8),
                        metrics={"favourites_count": 3},
                    )
                )
    store_observations(project.root, rows)
    result = CliRunner().invoke(cli, ["-C", str(project.root), "schedule", "--at", "2026-12-01T21:00"])
    assert result.exit_code == 0, result.output
    assert "date: 2026-12-03 20:00\n" in (project.root / "content/posts/p00.md").read_text()  # Thursday


def test_a_damaged_metrics_file_turns_exploring_off_not_scheduling(make_project):
    """Exploring is optional, scheduling is not: the post gets its ordinary slot, with a warning."""
    from click.testing import CliRunner

    from postwright.cli import cli

    project = make_project(CONFIG.replace("explore: 0.5", "explore: 1") + _waiting(1))
    damaged = project.root / "state/metrics/mastodon/2026-11.csv"
    damaged.parent.mkdir(parents=True)
    damaged.write_text("post_id,lang\na,b,c\n")
    result = CliRunner().invoke(cli, ["-C", str(project.root), "schedule", "--at", "2026-12-01T21:00"])
    assert result.exit_code == 0, result.output
    assert "state/metrics/mastodon/2026-11.csv" in result.stderr
    assert "schedule.explore is off" in result.stderr
    assert "date: 2026-12-02 09:00\n" in (project.root / "content/posts/p00.md").read_text()  # a slot
