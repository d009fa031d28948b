"""The inbox issue per account, against a local server that checks each request as GitHub documents it:
created, updated in place, left alone when nothing changed, a person's edits kept, people's words only
where the repository is private or the brand allows it, and the token never in a message."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from postwright.cli import cli
from postwright.engagement.github import GitHub, GitHubError
from postwright.engagement.inbox import END, INBOX_LABEL, START, publish_inboxes, replace_block, to_github
from postwright.engagement.model import Conversation
from postwright.engagement.pull import AccountPull, Pulled
from postwright.platforms.contract import PermanentError
from tests.fakes.api import http_server  # noqa: F401  (the module's local server)
from tests.fakes.github import TOKEN, FakeGitHub, FakeRepo
from tests.fakes.replies import published
from tests.test_replies_pull import brand, reader, said  # noqa: F401  (fixtures)

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def conversation(
    remote_id: str, hour: int, kind: str = "reply", text: str = "Where is my order?"
) -> Conversation:
    return Conversation(
        platform="bluesky",
        account="bluesky_main",
        kind=kind,  # type: ignore[arg-type]
        remote_id=remote_id,
        url=f"https://bsky.app/profile/ana.example/post/{remote_id}",
        author="@ana.example",
        created=datetime(2026, 12, 7, hour, 0, tzinfo=UTC),
        text=text,
        delivery_key="2026-12-01-launch.en/bluesky_main" if kind == "reply" else None,
    )


def account(*items: Conversation) -> AccountPull:
    return AccountPull("bluesky_main", "bluesky", "@windward.example", tuple(items), len(items), 0, ())


@pytest.fixture
def github(http_server) -> Iterator[FakeGitHub]:  # noqa: F811
    fake = FakeGitHub(http_server, FakeRepo(private=False))
    yield fake
    assert fake.problems == []


@pytest.fixture
def on_github(github: FakeGitHub, monkeypatch) -> FakeGitHub:
    """The workflow's environment (token, repository, API URL) pointing at the local GitHub."""
    for name, value in github.env().items():
        monkeypatch.setenv(name, value)
    return github


def client(fake: FakeGitHub) -> GitHub:
    return GitHub.from_environment(fake.env())


def test_first_run_creates_one_issue_per_account_with_links_newest_first(github: FakeGitHub) -> None:
    inbox = account(conversation("3aa", 9), conversation("3bb", 11), conversation("3cc", 10, kind="mention"))

    [result] = publish_inboxes(client(github), [inbox])

    [issue] = github.with_label(INBOX_LABEL)
    assert issue.title == "Inbox: @windward.example on Bluesky"
    assert result.change == "created" and result.unanswered == 3
    body = issue.body
    assert body.startswith(START) and body.rstrip().endswith(END)
    assert "**3 unanswered**: 2 replies, 1 mention" in body
    assert (
        body.index("post/3bb") < body.index("post/3aa") < body.index("### Mentions") < body.index("post/3cc")
    )
    assert "`2026-12-01-launch.en/bluesky\\_main`" in body


def test_a_second_run_with_nothing_new_sends_no_patch(github: FakeGitHub) -> None:
    inbox = account(conversation("3aa", 9))
    publish_inboxes(client(github), [inbox])

    [result] = publish_inboxes(client(github), [inbox])

    assert result.change == "unchanged"
    assert github.count("PATCH") == 0 and github.count("PUT") == 0
    assert github.count("POST") == 2  # the label and the issue, on the first run


def test_news_update_the_same_issue_and_keep_a_persons_edits(github: FakeGitHub) -> None:
    publish_inboxes(client(github), [account(conversation("3aa", 9))])
    [issue] = github.with_label(INBOX_LABEL)
    issue.body = "Marta takes mornings.\r\n\r\n" + issue.body.replace("\n", "\r\n") + "\r\nDone: 3zz\r\n"

    publish_inboxes(client(github), [account(conversation("3aa", 9))])  # the browser's CRLF is no change
    assert github.count("PATCH", "/issues") == 0
    [result] = publish_inboxes(client(github), [account(conversation("3aa", 9), conversation("3bb", 11))])

    assert result.change == "updated" and github.count("PATCH", "/issues") == 1
    [issue] = github.with_label(INBOX_LABEL)
    assert issue.body.startswith("Marta takes mornings.\r\n\r\n" + START)
    assert issue.body.endswith(END + "\r\n\r\nDone: 3zz\r\n")
    assert "post/3bb" in issue.body and len(github.with_label(INBOX_LABEL)) == 1


def test_a_removed_block_is_added_back_below_the_persons_text(github: FakeGitHub) -> None:
    publish_inboxes(client(github), [account(conversation("3aa", 9))])
    [issue] = github.with_label(INBOX_LABEL)
    issue.body = "I cleared this."

    publish_inboxes(client(github), [account(conversation("3aa", 9))])

    [issue] = github.with_label(INBOX_LABEL)  # found by its title, not opened again
    assert issue.body.startswith("I cleared this.\n\n" + START) and "post/3aa" in issue.body


def test_public_repository_gets_counts_and_links_only(github: FakeGitHub) -> None:
    publish_inboxes(client(github), [account(conversation("3aa", 9, text="My order 4411 never came"))])

    [issue] = github.with_label(INBOX_LABEL)
    assert "never came" not in issue.body and "ana.example`" not in issue.body
    assert "post/3aa" in issue.body and "Counts and links only" in issue.body


@pytest.mark.parametrize(("private", "show_text"), [(True, False), (False, True)])
def test_words_shown_where_private_or_allowed_and_made_inert(
    github: FakeGitHub, private: bool, show_text: bool
) -> None:
    github.repo.private = private
    hostile = f"@octocat see #12 <b>x</b> {END} `code` [link](https://evil.example)"
    publish_inboxes(client(github), [account(conversation("3aa", 9, text=hostile))], show_text=show_text)

    [issue] = github.with_label(INBOX_LABEL)
    assert issue.body.count(END) == 1 and "<b>" not in issue.body
    assert "&#64;octocat" in issue.body and "&#35;12" in issue.body and "@octocat" not in issue.body
    assert "\\[link\\]" in issue.body and "`@ana.example`" in issue.body


def test_replace_block_keeps_everything_outside() -> None:
    body = f"before\n{START}\nold\n{END}\nafter"
    assert replace_block(body, f"{START}\nnew\n{END}") == f"before\n{START}\nnew\n{END}\nafter"


def test_summary_counts_per_account_and_links_the_inbox(github: FakeGitHub) -> None:
    pulled = Pulled(AT, (account(conversation("3aa", 9), conversation("3bb", 10)),), [])

    summary = to_github(client(github), pulled)

    assert "2 unanswered across 1 account." in summary
    assert "| bluesky_main | 2 | [created](https://github.com/windward/social/issues/1) |" in summary
    assert "Where is my order" not in summary


def test_a_refused_token_is_reported_without_the_token(github: FakeGitHub) -> None:
    bad = GitHub.from_environment(github.env(GITHUB_TOKEN=TOKEN + "-revoked"))
    with pytest.raises(GitHubError) as raised:
        publish_inboxes(bad, [account(conversation("3aa", 9))])
    assert "GET /repos/windward/social: 401 Bad credentials" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_outside_github_the_missing_variables_are_named() -> None:
    with pytest.raises(GitHubError, match="GITHUB_TOKEN and GITHUB_REPOSITORY not set"):
        GitHub.from_environment({})


def test_replies_pull_github_updates_the_issues_and_the_job_summary_without_words_in_the_log(
    reader,  # noqa: F811
    brand,  # noqa: F811
    github: FakeGitHub,
    monkeypatch,
    tmp_path,
) -> None:
    project, _, ledger = brand
    key = published(ledger, "launch", "masto", "mastodon", ("101",), AT - timedelta(hours=3))
    reader.threads["101"] = [said("1", 90, key=key, text="Is there a recall?")]
    github.repo.refs["main"] = "a" * 40
    github.repo.files[("main", "config.yml")] = (project.root / "config.yml").read_bytes()
    summary_file = tmp_path / "summary.md"
    for name, value in github.env(GITHUB_STEP_SUMMARY=str(summary_file)).items():
        monkeypatch.setenv(name, value)
    args = ["-C", str(project.root), "replies", "pull", "--github", "--at", AT.isoformat()]

    run = CliRunner().invoke(cli, args)
    again = CliRunner().invoke(cli, args)

    assert run.exit_code == 0 and again.exit_code == 0, run.output + again.output
    assert "recall" not in run.output and TOKEN not in run.output
    summary = summary_file.read_text()
    assert summary.splitlines()[2].startswith("- :rotating_light: **Crisis: watch word on masto**")
    assert "| masto | 1 | [created](" in summary and "| masto | 1 | [unchanged](" in summary
    titles = sorted(issue.title for issue in github.repo.issues.values())
    assert titles == [
        "Crisis: watch word on masto",
        "Inbox: @brand@example.social on Mastodon",
        "Inbox: other on Mastodon",
        "Pause publishing (crisis check)",
    ]
    assert github.count("PATCH") == 0


def test_an_account_that_could_not_be_read_keeps_its_inbox_as_it_was(github: FakeGitHub) -> None:
    publish_inboxes(client(github), [account(conversation("3aa", 9))])
    failed = dataclasses.replace(account(), failures=("GET notifications: 403 missing scope",))

    [result] = publish_inboxes(client(github), [failed])

    assert result.change == "kept: could not read all" and github.count("PATCH") == 0
    assert "post/3aa" in github.with_label(INBOX_LABEL)[0].body


def test_replies_pull_github_names_what_could_not_be_read_and_exits_3(
    reader,  # noqa: F811
    brand,  # noqa: F811
    on_github: FakeGitHub,
) -> None:
    project, _, _ = brand
    reader.mentioned["masto"] = PermanentError("GET /api/v1/notifications: 403 missing read:notifications")

    run = CliRunner().invoke(
        cli, ["-C", str(project.root), "replies", "pull", "--github", "--at", AT.isoformat()]
    )

    assert run.exit_code == 3
    assert "masto: " in run.stderr and "403 missing read:notifications" in run.stderr
    assert "| masto | 0 | kept: could not read all |" in run.stdout


def test_a_mention_stays_in_the_inbox_on_the_next_run_without_a_patch_until_the_brand_replies(
    reader,  # noqa: F811
    brand,  # noqa: F811
    on_github: FakeGitHub,
) -> None:
    project, _, _ = brand
    github = on_github
    reader.mentioned["masto"] = [said("9", 30, kind="mention", text="@brand hello")]

    def run(at: datetime) -> str:
        result = CliRunner().invoke(
            cli,
            [
                "-C",
                str(project.root),
                "replies",
                "pull",
                "--github",
                "--account",
                "masto",
                "--at",
                at.isoformat(),
            ],
        )
        assert result.exit_code == 0, result.output
        [issue] = [issue for issue in github.with_label(INBOX_LABEL) if "masto" in issue.body]
        return issue.body

    first = run(AT)
    assert "https://example.social/@ana/9" in first and "1 mention" in first
    assert run(AT + timedelta(hours=1)) == first and github.count("PATCH") == 0  # still there, unchanged

    reader.replied["masto"] = {"9"}  # the brand replied to it on the platform
    answered = run(AT + timedelta(hours=2))
    assert github.count("PATCH", "/issues") == 1
    assert "@ana/9" not in answered and "Nothing unanswered." in answered


def test_a_reply_heard_only_as_a_notification_is_under_the_accounts_other_posts(github: FakeGitHub) -> None:
    notified = dataclasses.replace(conversation("3dd", 8), delivery_key=None)  # Bluesky's reason "reply"

    publish_inboxes(client(github), [account(conversation("3aa", 9), notified)])

    [issue] = github.with_label(INBOX_LABEL)
    assert "### Replies to the account's other posts (1)" in issue.body and "`?`" not in issue.body
    assert issue.body.index("### Replies to the account's other posts") < issue.body.index("post/3dd")
