"""engagement.pull: age bands, what is new, the state kept (ids and counts, no words), failures as
reasons, and `replies pull` on the command line. The platform's reader is a scripted one here; the
readers themselves are tested against Takahē, the PDS and local servers (test_replies_<platform>.py)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from postwright import platforms
from postwright.cli import cli
from postwright.engagement import pull as pulling
from postwright.engagement.model import Conversation, PostGone
from postwright.engagement.state import path_for, seen_key
from postwright.insights.model import Delivery
from postwright.ledger import Ledger
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import PermanentError, UnexpectedAnswer
from tests.fakes.replies import api_project, published

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ACCOUNTS = """\
  masto:
    platform: mastodon
    deliver: api
    handle: "@brand@example.social"
    credentials: {access_token: MASTO_TOKEN}
    settings: {instance: "https://example.social"}
  other:
    platform: mastodon
    deliver: api
    credentials: {access_token: MASTO_TOKEN}
    settings: {instance: "https://example.social"}
  box:
    platform: mastodon
"""


def said(
    remote_id: str, minutes_ago: int, *, kind="reply", key=None, answered=False, text="hi", account="masto"
):
    return Conversation(
        platform="mastodon",
        account=account,
        kind=kind,
        remote_id=remote_id,
        url=f"https://example.social/@ana/{remote_id}",
        author="@ana@example.social",
        created=AT - timedelta(minutes=minutes_ago),
        text=text,
        delivery_key=key,
        answered=answered,
    )


class ScriptedReader:
    """Answers what the test put in `threads` (by the delivery's first remote id) and `mentioned`;
    an exception there is raised instead. Every question is kept in `asked`."""

    threads: dict[str, object] = {}
    mentioned: dict[str, object] = {}
    replied: dict[str, object] = {}  # per account: the ids its own posts answer
    asked: list[tuple[str, str]] = []

    def __init__(self, connection) -> None:
        self.account = connection.account

    def replies(self, deliveries: Sequence[Delivery], since: datetime):
        (delivery,) = deliveries
        ScriptedReader.asked.append((self.account, delivery.remote_ids[0]))
        found = self.threads.get(delivery.remote_ids[0], [])
        if isinstance(found, Exception):
            raise found
        return found

    def mentions(self, since: datetime):
        ScriptedReader.asked.append((self.account, f"mentions since {since.isoformat()}"))
        found = self.mentioned.get(self.account, [])
        if isinstance(found, Exception):
            raise found
        return found

    def replied_to(self, since: datetime):
        ScriptedReader.asked.append((self.account, f"own posts since {since.isoformat()}"))
        found = self.replied.get(self.account, set())
        if isinstance(found, Exception):
            raise found
        return found


@pytest.fixture
def reader(monkeypatch):
    monkeypatch.setitem(
        platforms._FOUND, "mastodon", dataclasses.replace(PLATFORMS["mastodon"], replies=ScriptedReader)
    )
    monkeypatch.setenv("MASTO_TOKEN", "token-value")
    ScriptedReader.threads, ScriptedReader.mentioned, ScriptedReader.asked = {}, {}, []
    ScriptedReader.replied = {}
    return ScriptedReader


@pytest.fixture
def brand(tmp_path):
    project, config = api_project(tmp_path, ACCOUNTS, "  watch_words: [recall]\n")
    return project, config, Ledger(project.state_dir)


def test_unanswered_replies_and_mentions_newest_first_answered_left_out(reader, brand):
    project, config, ledger = brand
    key = published(ledger, "launch", "masto", "mastodon", ("101", "102"), AT - timedelta(hours=3))
    reader.threads["101"] = [
        said("1", 90, key=key),
        said("2", 30, key=key),
        said("3", 60, key=key, answered=True),
    ]
    reader.mentioned["masto"] = [said("9", 10, kind="mention")]
    pulled = pulling.pull(config, project.state_dir, AT)
    masto = pulled.accounts[0]
    assert [item.remote_id for item in masto.unanswered] == ["9", "2", "1"]
    assert (masto.new, masto.mentions) == (4, 1)
    (count,) = masto.counts
    assert (count.key, count.replies, count.unanswered, count.url) == (key, 3, 2, "https://example.test/101")
    assert pulled.accounts[2].note.startswith("delivers to the outbox")


def test_a_second_pull_with_nothing_new_finds_nothing_new_and_leaves_the_state_file_alone(reader, brand):
    project, config, ledger = brand
    key = published(ledger, "launch", "masto", "mastodon", ("101",), AT - timedelta(hours=3))
    reader.threads["101"] = [said("1", 90, key=key)]
    pulling.pull(config, project.state_dir, AT)
    state = path_for(project.state_dir, "masto")
    before = (state.read_bytes(), state.stat().st_mtime_ns)
    again = pulling.pull(config, project.state_dir, AT)
    assert again.accounts[0].new == 0 and len(again.accounts[0].unanswered) == 1
    assert (state.read_bytes(), state.stat().st_mtime_ns) == before


def test_the_state_holds_ids_and_counts_never_words_or_handles(reader, brand):
    project, config, ledger = brand
    key = published(ledger, "launch", "masto", "mastodon", ("101",), AT - timedelta(hours=3))
    reader.threads["101"] = [said("1", 90, key=key, text="my secret complaint")]
    reader.mentioned["masto"] = [said("9", 10, kind="mention", text="another private word")]
    pulling.pull(config, project.state_dir, AT)
    stored = path_for(project.state_dir, "masto").read_text()
    for private in ("secret", "private", "ana", "example.social"):
        assert private not in stored
    document = json.loads(stored)
    assert set(document["seen"]) == {seen_key("1"), seen_key("9")}
    assert all(re.fullmatch("[0-9a-f]{8}", key) for key in document["seen"])  # 32 bits: no id recoverable
    assert document["deliveries"][key] == {"replies": 1, "unanswered": 1, "read": AT.isoformat()}


def test_age_bands_every_run_while_fresh_then_daily_then_never(reader, brand):
    project, config, ledger = brand
    published(ledger, "fresh", "masto", "mastodon", ("1",), AT - timedelta(hours=47))
    published(ledger, "week", "masto", "mastodon", ("2",), AT - timedelta(days=7))
    published(ledger, "old", "masto", "mastodon", ("3",), AT - timedelta(days=14, minutes=1))

    def read_at(at):
        reader.asked.clear()
        pulling.pull(config, project.state_dir, at, accounts=["masto"])
        return sorted(
            remote_id for account, remote_id in reader.asked if not remote_id.startswith("mentions")
        )

    assert read_at(AT) == ["1", "2"]
    assert read_at(AT + timedelta(minutes=30)) == ["1"]  # the week-old post was read half an hour ago
    assert read_at(AT + timedelta(hours=2)) == []  # the fresh one is 49 h old now: daily, read 2 h ago
    assert read_at(AT + timedelta(hours=24)) == ["1", "2"]  # a day since each was read


def test_mentions_are_asked_over_the_window_and_since_the_last_read_after_an_outage(reader, brand):
    project, config, _ = brand
    later, outage = AT + timedelta(hours=1), AT + timedelta(days=10)
    for at in (AT, later, outage, outage + timedelta(days=30)):
        pulling.pull(config, project.state_dir, at, accounts=["masto"])
    asked = [remote_id for _, remote_id in reader.asked]
    assert asked == [
        f"mentions since {(AT - timedelta(days=7)).isoformat()}",  # engagement.mention_days: 7
        f"mentions since {(later - timedelta(days=7)).isoformat()}",
        f"mentions since {(later - timedelta(minutes=5)).isoformat()}",  # the last read, 10 days back
        # never further back than the ids remembered (28 days, whole hours), or old ones would be news
        f"mentions since {(outage + timedelta(days=2, hours=1)).isoformat()}",
    ]


def test_an_unanswered_mention_stays_listed_until_the_brand_replies_then_its_window_ends(reader, brand):
    project, config, _ = brand
    reader.mentioned["masto"] = [said("9", 10, kind="mention"), said("8", 20, kind="mention")]
    first = pulling.pull(config, project.state_dir, AT, accounts=["masto"]).accounts[0]
    assert [item.remote_id for item in first.unanswered] == ["9", "8"] and first.new == 2

    reader.replied["masto"] = {"8"}  # the brand answered 8
    second = pulling.pull(config, project.state_dir, AT + timedelta(hours=1), accounts=["masto"])
    (masto,) = second.accounts
    assert [item.remote_id for item in masto.unanswered] == ["9"]
    assert masto.new == 0 and masto.mentions == 2 and second.crisis == []
    assert ("masto", f"own posts since {(AT - timedelta(days=6, hours=23)).isoformat()}") in reader.asked

    week = pulling.pull(config, project.state_dir, AT + timedelta(days=7), accounts=["masto"])
    assert week.accounts[0].unanswered == ()  # 9 is older than engagement.mention_days now


def test_own_posts_are_not_read_without_mentions_and_a_refusal_there_is_a_reason(reader, brand):
    project, config, _ = brand
    pulling.pull(config, project.state_dir, AT, accounts=["masto"])
    assert not [asked for _, asked in reader.asked if asked.startswith("own posts")]
    reader.mentioned["masto"] = [said("9", 10, kind="mention")]
    reader.replied["masto"] = PermanentError("GET /api/v1/accounts/1/statuses: 403 missing read:statuses")
    (masto,) = pulling.pull(config, project.state_dir, AT, accounts=["masto"]).accounts
    assert masto.failures == ("mentions: GET /api/v1/accounts/1/statuses: 403 missing read:statuses",)


def test_a_first_pull_lists_the_weeks_mentions_but_only_the_fresh_band_is_news(reader, brand):
    project, config, _ = brand
    old = said("5", 60 * 24 * 5, kind="mention", text="recall")  # five days ago, with a watch word
    reader.mentioned["masto"] = [said("9", 10, kind="mention"), old]
    pulled = pulling.pull(config, project.state_dir, AT, accounts=["masto"])
    (masto,) = pulled.accounts
    assert [item.remote_id for item in masto.unanswered] == ["9", "5"]
    assert masto.new == 1 and pulled.crisis == []
    stored = json.loads(path_for(project.state_dir, "masto").read_text())
    assert set(stored["seen"]) == {seen_key("9"), seen_key("5")}  # 5 is not news on the next pull either


def test_a_refusal_or_garbage_is_a_reason_and_the_rest_still_runs(reader, brand):
    project, config, ledger = brand
    refused = published(ledger, "a", "masto", "mastodon", ("1",), AT - timedelta(hours=2))
    garbage = published(ledger, "b", "masto", "mastodon", ("2",), AT - timedelta(hours=3))
    fine = published(ledger, "c", "masto", "mastodon", ("3",), AT - timedelta(hours=4))
    reader.threads["1"] = PermanentError("GET /api/v1/statuses/1/context: 403 This action is not allowed")
    reader.threads["2"] = UnexpectedAnswer("context has no list of descendants")
    reader.threads["3"] = [said("31", 5, key=fine)]
    reader.mentioned["masto"] = KeyError("status")  # a bug or an answer no check caught
    reader.mentioned["other"] = [said("77", 5, kind="mention", account="other")]
    pulled = pulling.pull(config, project.state_dir, AT)
    masto, other, _ = pulled.accounts
    assert masto.failures == (
        f"{refused}: GET /api/v1/statuses/1/context: 403 This action is not allowed",
        f"{garbage}: malformed answer: context has no list of descendants",
        "mentions: failed unexpectedly: KeyError: 'status'",
    )
    assert [item.remote_id for item in masto.unanswered] == ["31"]
    assert [item.remote_id for item in other.unanswered] == ["77"]
    assert json.loads(path_for(project.state_dir, "masto").read_text())["mentions_since"] is None


def test_a_deleted_post_is_not_asked_again(reader, brand):
    project, config, ledger = brand
    published(ledger, "gone", "masto", "mastodon", ("1",), AT - timedelta(hours=2))
    reader.threads["1"] = PostGone("gone.en/masto")
    first = pulling.pull(config, project.state_dir, AT, accounts=["masto"])
    assert first.accounts[0].failures == () and first.accounts[0].counts == ()
    reader.asked.clear()
    pulling.pull(config, project.state_dir, AT + timedelta(hours=1), accounts=["masto"])
    assert [asked for asked in reader.asked if asked[1] == "1"] == []


def test_a_mention_in_another_script_is_heard_and_its_watch_word_found(reader, brand):
    project, config, _ = brand
    reader.mentioned["masto"] = [said("5", 3, kind="mention", text="‏@brand ¡RECALL! пожалуйста ‏مرحبا")]
    pulled = pulling.pull(config, project.state_dir, AT, accounts=["masto"])
    (mention,) = pulled.accounts[0].unanswered
    assert "مرحبا" in mention.text
    (signal,) = pulled.crisis
    assert signal.reason == "watch word" and signal.evidence == (
        "recall: mention https://example.social/@ana/5",
    )


def test_an_unreadable_state_file_is_a_reason_not_a_traceback(reader, brand):
    project, config, _ = brand
    path = path_for(project.state_dir, "masto")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    pulled = pulling.pull(config, project.state_dir, AT, accounts=["masto"])
    (failure,) = pulled.accounts[0].failures
    assert "masto.json: cannot be read" in failure and "fix or delete it" in failure
    assert path.read_text() == "{not json"


def test_replies_pull_prints_the_inbox_as_markdown_and_json(reader, brand):
    project, _config, ledger = brand
    key = published(
        ledger,
        "launch",
        "masto",
        "mastodon",
        ("101",),
        AT - timedelta(hours=3),
        url="https://example.social/@brand/101",
    )
    reader.threads["101"] = [said("1", 90, key=key, text="When\nis it back?")]
    reader.mentioned["masto"] = [said("9", 10, kind="mention", text="@brand hello")]
    args = ["-C", str(project.root), "replies", "pull", "--at", AT.isoformat(), "--account", "masto"]
    shown = CliRunner().invoke(cli, [*args, "--dry-run"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[:8] == [
        "## Inbox: @brand@example.social on Mastodon (masto)",
        "",
        f"### Replies to {key} (https://example.social/@brand/101)",
        "- 2026-12-07 10:30 UTC @ana@example.social: When is it back? [answer](https://example.social/@ana/1)",
        "",
        "### Mentions",
        "- 2026-12-07 11:50 UTC @ana@example.social: @brand hello [answer](https://example.social/@ana/9)",
        "",
    ]
    assert "2 unanswered (2 new) on 1 account(s) read" in shown.stderr
    assert not path_for(project.state_dir, "masto").exists()  # --dry-run
    as_json = CliRunner().invoke(cli, [*args, "--format", "json"])
    document = json.loads(as_json.stdout)
    assert [item["remote_id"] for item in document["accounts"][0]["unanswered"]] == ["9", "1"]
    assert document["accounts"][0]["posts"] == [
        {"post": key, "url": "https://example.social/@brand/101", "replies": 1, "unanswered": 1}
    ]


def test_replies_pull_exits_3_when_an_account_could_not_be_read(reader, brand):
    project, _, _ = brand
    reader.mentioned["masto"] = PermanentError("GET /api/v1/notifications: 403 missing read:notifications")
    run = CliRunner().invoke(cli, ["-C", str(project.root), "replies", "pull", "--at", AT.isoformat()])
    assert run.exit_code == 3
    assert (
        "- could not read mentions: GET /api/v1/notifications: 403 missing read:notifications" in run.stdout
    )
    assert "token-value" not in run.output


def test_doctor_names_each_readers_scopes_or_why_nothing_is_heard(tmp_path, monkeypatch):
    accounts = ACCOUNTS + "  pins:\n    platform: pinterest\n    deliver: api\n"
    project, _ = api_project(tmp_path, accounts)
    monkeypatch.setenv("MASTO_TOKEN", "token-value")

    def doctor(*options: str) -> str:
        return CliRunner().invoke(cli, ["-C", str(project.root), "doctor", "--offline", *options]).stdout

    needs = "replies pull: the token also needs read:statuses, read:notifications, read:accounts"
    lines = doctor().splitlines()
    masto = next(index for index, line in enumerate(lines) if " masto " in line)
    assert needs in [line.strip() for line in lines[masto + 1 : masto + 3]]  # beside metrics pull's line
    assert f"masto (mastodon): {needs}" in doctor("--format", "github").splitlines()
    found = {item["account"]: item for item in json.loads(doctor("--format", "json"))}
    assert found["pins"]["replies"].startswith(
        "replies pull: nothing heard (Pinterest's API gives no comments"
    )
    assert found["box"]["replies"] == ""


def test_an_account_whose_token_is_not_set_says_so_and_the_others_still_run(reader, brand, monkeypatch):
    project, config, _ = brand
    monkeypatch.delenv("MASTO_TOKEN")
    monkeypatch.setitem(
        platforms._FOUND, "mastodon", dataclasses.replace(PLATFORMS["mastodon"], replies=_needs_token)
    )
    pulled = pulling.pull(config, project.state_dir, AT)
    assert [account.failures for account in pulled.accounts[:2]] == [
        ("account masto: environment variable MASTO_TOKEN is not set",),
        ("account other: environment variable MASTO_TOKEN is not set",),
    ]


def _needs_token(connection):
    connection.secrets["access_token"]
    return ScriptedReader(connection)


def test_a_post_in_the_daily_band_not_read_this_run_shows_its_last_count(reader, brand):
    project, config, ledger = brand
    key = published(ledger, "week", "masto", "mastodon", ("2",), AT - timedelta(days=3))
    reader.threads["2"] = [said("21", 60, key=key)]
    pulling.pull(config, project.state_dir, AT, accounts=["masto"])
    later = pulling.pull(config, project.state_dir, AT + timedelta(hours=2), accounts=["masto"])
    assert later.accounts[0].unanswered == ()
    shown = pulling.as_markdown(later)
    assert "### Not read this run (as last read)" in shown
    assert f"- {key} (https://example.test/2): 1 unanswered at 2026-12-07 12:00 UTC" in shown


def test_a_reader_that_cannot_tell_answers_keeps_its_mentions_listed(reader, brand, monkeypatch):
    project, config, _ = brand
    monkeypatch.delattr(ScriptedReader, "replied_to")  # as Threads, Facebook, Instagram, Telegram
    reader.mentioned["masto"] = [said("9", 10, kind="mention")]
    (masto,) = pulling.pull(config, project.state_dir, AT, accounts=["masto"]).accounts
    assert masto.failures == () and [item.remote_id for item in masto.unanswered] == ["9"]
