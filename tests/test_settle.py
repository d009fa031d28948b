"""Unconfirmed jobs: asked about for one grace period, then left for a person, who settles them."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.ledger import Ledger
from postwright.platforms.contract import CannotTell
from postwright.publish import Runner
from tests.fakes.publisher import FakePublisher, FakeServer
from tests.test_publish import NOW, POSTS

SINGLE = "2026-12-01-0900-single"
THREAD = "2026-12-01-0930-thread"
SINGLE_KEY = f"{SINGLE}.en/masto"
THREAD_KEY = f"{THREAD}.en/sky"


class Blind(FakePublisher):
    """Not idempotent, and it cannot be asked what it received (like Telegram)."""

    def find_sent(self, variant, part, key):
        raise CannotTell("this platform cannot list recent posts")


@pytest.fixture
def blind(make_project, monkeypatch):
    """A project whose accounts all publish through one Blind platform, also from the command line;
    records carry NOW as their time, whatever the wall clock says."""
    project = make_project(POSTS)
    platform = FakeServer(project.root / "platform.jsonl")
    current = {"publisher": Blind(platform)}
    monkeypatch.setattr(pipeline, "publishers", lambda *args: lambda account: current["publisher"])
    monkeypatch.setattr(
        pipeline, "Runner", functools.partial(Runner, clock=lambda: NOW, sleep=lambda s: None)
    )
    return project, platform, current


def run(project, *args):
    return CliRunner().invoke(cli, ["-C", str(project.root), *args])


def crash(moment):
    def fail(when, part):
        if when == moment and part == 1:
            raise RuntimeError(f"connection reset {moment} sending")

    return fail


def plan_json(project, at):
    planned = run(project, "plan", "--format", "json", "--at", at)
    assert planned.exit_code == 0, planned.output
    return {item["key"]: item for item in json.loads(planned.stdout)}


def test_unconfirmed_after_the_grace_period_then_settled_by_hand(blind, tmp_path, monkeypatch):
    project, platform, current = blind
    current["publisher"] = Blind(platform, fail=crash("after"))  # the single post went out, unrecorded
    first = pipeline.publish(project, NOW, only=SINGLE)
    current["publisher"] = Blind(platform, fail=crash("before"))  # the thread's first part did not
    second = pipeline.publish(project, NOW, only=THREAD)
    assert [o.status for o in (*first.outcomes, *second.outcomes)] == ["unconfirmed", "unconfirmed"]
    assert len(platform.received()) == 1
    current["publisher"] = Blind(platform)

    within = run(project, "publish", "--at", "2026-12-01T12:59")  # 2h59 after the crash at 10:00
    assert within.exit_code == 3, within.output
    assert within.stdout.count("unconfirmed") == 2 and len(platform.received()) == 1

    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    after = run(project, "publish", "--at", "2026-12-01T13:01")  # the grace period (3h) is over
    assert after.exit_code == 0, after.output
    assert len(platform.received()) == 1  # nothing asked, nothing sent
    assert f"unconfirmed, needs a person: {SINGLE_KEY} (maybe sent" in after.stderr
    assert "2 unconfirmed (a person must settle them)" in summary.read_text()
    assert f"| unconfirmed | `{THREAD_KEY}` |" in summary.read_text()
    items = plan_json(project, "2026-12-01T13:01")
    assert items[SINGLE_KEY]["status"] == items[THREAD_KEY]["status"] == "unconfirmed"
    assert f"postwright settle {SINGLE_KEY} --sent URL | --not-sent" in items[SINGLE_KEY]["detail"]
    human = run(project, "plan", "--at", "2026-12-01T13:01")
    assert f"unconfirmed {'masto':<18} {SINGLE}.en  (maybe sent: check the account" in human.stdout

    sent = run(
        project, "settle", SINGLE_KEY, "--sent", "https://mastodon.social/@acme/1134", "--note", "Jane"
    )
    assert sent.exit_code == 0, sent.output
    assert f"settled {SINGLE_KEY} part 1 of 1: published https://mastodon.social/@acme/1134" in sent.stdout
    last = Ledger(project.state_dir).read()[SINGLE_KEY].last(1)
    assert (last.status, last.remote_id, last.extra) == (
        "published",
        "1134",
        {"settled": "by hand", "note": "Jane"},
    )
    items = plan_json(project, "2026-12-01T13:01")
    assert items[SINGLE_KEY]["status"] == "published"
    assert items[SINGLE_KEY]["url"] == "https://mastodon.social/@acme/1134"

    not_sent = run(project, "settle", THREAD_KEY, "--not-sent")
    assert not_sent.exit_code == 0, not_sent.output
    assert f"postwright publish --only {THREAD}" in not_sent.stderr
    item = plan_json(project, "2026-12-01T13:01")[THREAD_KEY]
    assert (item["status"], item["detail"]) == ("failed", "settled by hand: not sent")

    again = run(project, "publish", "--at", "2026-12-01T13:01", "--only", THREAD)
    assert again.exit_code == 0, again.output
    assert run(project, "publish", "--at", "2026-12-01T13:01", "--only", THREAD).exit_code == 0
    received = platform.received()
    keys = [item["key"] for item in received]
    assert len(keys) == len(set(keys))  # nothing twice
    thread = [item for item in received if item["key"] != received[0]["key"]]
    assert [item["part"] for item in thread] == list(range(1, len(thread) + 1)) and len(thread) > 1
    assert plan_json(project, "2026-12-01T13:01")[THREAD_KEY]["status"] == "published"


def test_a_thread_settled_as_sent_at_part_1_continues_with_part_2_replying_to_it(blind):
    project, platform, current = blind
    current["publisher"] = Blind(platform, fail=crash("after"))
    pipeline.publish(project, NOW, only=THREAD)
    current["publisher"] = Blind(platform)
    link = "https://bsky.app/profile/acme.example/post/3kabc"
    unknown_id = run(project, "settle", THREAD_KEY, "--sent", link)
    assert unknown_id.exit_code == 2 and "add --remote-id ID" in unknown_id.stderr  # part 2 replies to it
    settled = run(project, "settle", THREAD_KEY, "--sent", link, "--remote-id", "at://acme/post/3kabc")
    assert settled.exit_code == 0, settled.output
    assert "sends part 2, replying to it" in settled.stderr
    assert plan_json(project, "2026-12-01T10:00")[THREAD_KEY]["status"] == "due"  # begun: to be finished
    result = run(project, "publish", "--at", "2026-12-01T10:00", "--only", THREAD)
    assert result.exit_code == 0, result.output
    first, second, *rest = platform.received()
    assert (first["part"], second["part"], second["reply_to"]) == (1, 2, "at://acme/post/3kabc")
    assert [item["part"] for item in rest] == list(range(3, len(rest) + 3))


def test_after_the_grace_period_publish_only_asks_once_more_and_never_resends(blind):
    project, platform, current = blind
    current["publisher"] = Blind(platform, fail=crash("after"))
    pipeline.publish(project, NOW, only=SINGLE)
    current["publisher"] = Blind(platform)
    forced = run(project, "publish", "--at", "2026-12-02T10:00", "--only", SINGLE)  # long after the grace
    assert forced.exit_code == 3 and "cannot list recent posts" in forced.stdout
    assert len(platform.received()) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["no-such-post.en/masto", "--not-sent"], "no job no-such-post.en/masto in the ledger"),
        ([SINGLE_KEY.replace("single", "singel"), "--not-sent"], f"did you mean {SINGLE_KEY}?"),
        ([SINGLE, "--not-sent"], f"did you mean {SINGLE_KEY}?"),
        ([SINGLE_KEY], "--sent URL or --not-sent"),
        ([SINGLE_KEY, "--not-sent", "--sent", "https://x.example/1"], "--sent URL or --not-sent"),
        ([SINGLE_KEY, "--not-sent", "--remote-id", "1"], "--remote-id goes with --sent"),
        ([SINGLE_KEY, "--sent", "mastodon.social/@acme/1"], "is not a link to the post"),
        ([SINGLE_KEY, "--sent", "javascript:alert(1)"], "is not a link to the post"),
        ([SINGLE_KEY, "--part", "2", "--not-sent"], "has 1 part(s), not a part 2"),
        ([THREAD_KEY, "--not-sent"], "nothing to settle (part 1: published"),
    ],
)
def test_settle_refuses_what_it_cannot_do_with_exit_2(blind, arguments, message):
    project, platform, current = blind
    current["publisher"] = Blind(platform, fail=crash("after"))
    pipeline.publish(project, NOW, only=SINGLE)
    current["publisher"] = Blind(platform)
    pipeline.publish(project, NOW, only=THREAD)  # published: nothing to settle
    before = Ledger(project.state_dir).path.read_bytes()
    result = run(project, "settle", *arguments)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert Ledger(project.state_dir).path.read_bytes() == before


def test_remote_ids_are_read_from_links_where_the_link_holds_them():
    from postwright.settle import remote_id_from_url

    assert remote_id_from_url("mastodon", "https://mastodon.social/@acme/113402") == "113402"
    assert remote_id_from_url("x", "https://x.com/acme/status/1864000000000000000") == "1864000000000000000"
    assert remote_id_from_url("telegram", "https://t.me/c/1234567/89") == "89"
    assert remote_id_from_url("telegram", "https://t.me/acme_news/89") == "89"
    assert remote_id_from_url("mastodon", "outbox/masto/abc-1.json") == "abc-1"
    assert remote_id_from_url("bluesky", "https://bsky.app/profile/acme/post/3kabc") is None


def test_settling_as_sent_without_a_remote_id_says_retract_cannot_delete_it(blind):
    project, platform, current = blind
    current["publisher"] = Blind(platform, fail=crash("after"))
    pipeline.publish(project, NOW, only=SINGLE)
    settled = run(project, "settle", SINGLE_KEY, "--sent", "https://example.social/posts/abc")
    assert settled.exit_code == 0 and "`postwright retract` cannot delete it" in settled.stderr
    assert Ledger(project.state_dir).read()[SINGLE_KEY].last(1).remote_id is None


def test_settle_times_are_utc_and_the_record_is_marked(blind):
    project, platform, current = blind
    current["publisher"] = Blind(platform, fail=crash("after"))
    pipeline.publish(project, NOW, only=SINGLE)
    assert run(project, "settle", SINGLE_KEY, "--not-sent").exit_code == 0
    last = Ledger(project.state_dir).read()[SINGLE_KEY].last(1)
    assert (last.status, last.permanent, last.refused, last.error) == (
        "failed",
        True,
        True,
        "settled by hand: not sent",
    )
    assert last.extra == {"settled": "by hand"} and datetime.fromisoformat(
        last.time
    ).utcoffset() == UTC.utcoffset(None)
