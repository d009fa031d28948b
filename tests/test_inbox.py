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
from postwright.engagement.inbox import (
    BODY_MAX,
    END,
    INBOX_LABEL,
    START,
    InboxResult,
    managed_block,
    publish_inboxes,
    replace_block,
    to_github,
)
from postwright.engagement.model import Conversation
from postwright.engagement.pull import AccountPull, DeliveryCount, Pulled
from postwright.engagement.state import path_for
from postwright.platforms.contract import PermanentError, TransientError
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


def publish(fake: FakeGitHub, inboxes: list[AccountPull], **options) -> list[InboxResult]:
    return publish_inboxes(client(fake), inboxes, at=AT, **options)


def test_first_run_creates_one_issue_per_account_with_links_newest_first(github: FakeGitHub) -> None:
    inbox = account(conversation("3aa", 9), conversation("3bb", 11), conversation("3cc", 10, kind="mention"))

    [result] = publish(github, [inbox])

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
    publish(github, [inbox])

    [result] = publish(github, [inbox])

    assert result.change == "unchanged"
    assert github.count("PATCH") == 0 and github.count("PUT") == 0
    assert github.count("POST") == 2  # the label and the issue, on the first run


def test_news_update_the_same_issue_and_keep_a_persons_edits(github: FakeGitHub) -> None:
    publish(github, [account(conversation("3aa", 9))])
    [issue] = github.with_label(INBOX_LABEL)
    issue.body = "Marta takes mornings.\r\n\r\n" + issue.body.replace("\n", "\r\n") + "\r\nDone: 3zz\r\n"

    publish(github, [account(conversation("3aa", 9))])  # the browser's CRLF is no change
    assert github.count("PATCH", "/issues") == 0
    [result] = publish(github, [account(conversation("3aa", 9), conversation("3bb", 11))])

    assert result.change == "updated" and github.count("PATCH", "/issues") == 1
    [issue] = github.with_label(INBOX_LABEL)
    assert issue.body.startswith("Marta takes mornings.\r\n\r\n" + START)
    assert issue.body.endswith(END + "\r\n\r\nDone: 3zz\r\n")
    assert "post/3bb" in issue.body and len(github.with_label(INBOX_LABEL)) == 1


def test_a_removed_block_is_added_back_below_the_persons_text(github: FakeGitHub) -> None:
    publish(github, [account(conversation("3aa", 9))])
    [issue] = github.with_label(INBOX_LABEL)
    issue.body = "I cleared this."

    publish(github, [account(conversation("3aa", 9))])

    [issue] = github.with_label(INBOX_LABEL)  # found by its title, not opened again
    assert issue.body.startswith("I cleared this.\n\n" + START) and "post/3aa" in issue.body


def test_public_repository_gets_counts_and_links_only(github: FakeGitHub) -> None:
    publish(github, [account(conversation("3aa", 9, text="My order 4411 never came"))])

    [issue] = github.with_label(INBOX_LABEL)
    assert "never came" not in issue.body and "ana.example`" not in issue.body
    assert "post/3aa" in issue.body and "Counts and links only" in issue.body


@pytest.mark.parametrize(("private", "show_text"), [(True, False), (False, True)])
def test_words_shown_where_private_or_allowed_and_made_inert(
    github: FakeGitHub, private: bool, show_text: bool
) -> None:
    github.repo.private = private
    hostile = f"@octocat see #12 <b>x</b> {END} `code` [link](https://evil.example)"
    publish(github, [account(conversation("3aa", 9, text=hostile))], show_text=show_text)

    [issue] = github.with_label(INBOX_LABEL)
    assert issue.body.count(END) == 1 and "<b>" not in issue.body
    assert "&#64;octocat" in issue.body and "&#35;12" in issue.body and "@octocat" not in issue.body
    assert "\\[link\\]" in issue.body and "`@ana.example`" in issue.body


def test_replace_block_keeps_everything_outside() -> None:
    body = f"before\n{START}\nold\n{END}\nafter"
    assert replace_block(body, f"{START}\nnew\n{END}") == f"before\n{START}\nnew\n{END}\nafter"


def test_summary_counts_per_account_and_links_the_inbox(github: FakeGitHub) -> None:
    pulled = Pulled(AT, (account(conversation("3aa", 9), conversation("3bb", 10)),), [])

    summary = to_github(client(github), pulled).summary

    assert "2 unanswered across 1 account." in summary
    assert "| bluesky_main | 2 | [created](https://github.com/windward/social/issues/1) |" in summary
    assert "Where is my order" not in summary


def test_a_refused_token_is_reported_without_the_token(github: FakeGitHub) -> None:
    bad = GitHub.from_environment(github.env(GITHUB_TOKEN=TOKEN + "-revoked"))
    with pytest.raises(GitHubError) as raised:
        publish_inboxes(bad, [account(conversation("3aa", 9))], at=AT)
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
    publish(github, [account(conversation("3aa", 9))])
    failed = dataclasses.replace(account(), failures=("GET notifications: 403 missing scope",))

    [result] = publish(github, [failed])

    assert result.change == "kept: could not read" and github.count("PATCH") == 0
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
    assert "| masto | 0 | kept: could not read |" in run.stdout


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

    publish_inboxes(client(github), [account(conversation("3aa", 9), notified)], at=AT)

    [issue] = github.with_label(INBOX_LABEL)
    assert "### Replies to the account's other posts (1)" in issue.body and "`?`" not in issue.body
    assert issue.body.index("### Replies to the account's other posts") < issue.body.index("post/3dd")


# -- the issue as the inbox's memory, the state saved after GitHub, the size bound, the dry run ------------


def pull_args(project, at: datetime, *extra: str) -> list[str]:
    return ["-C", str(project.root), "replies", "pull", "--github", "--at", at.isoformat(), *extra]


def use_env(monkeypatch, fake: FakeGitHub, **extra: str) -> None:
    for name, value in fake.env(**extra).items():
        monkeypatch.setenv(name, value)


def inbox_of(fake: FakeGitHub, handle: str = "@brand@example.social") -> str:
    [issue] = [issue for issue in fake.with_label(INBOX_LABEL) if handle in issue.title]
    return issue.body


def writes(fake: FakeGitHub) -> int:
    return sum(fake.count(method) for method in ("POST", "PATCH", "PUT", "DELETE"))


def with_config_on_main(fake: FakeGitHub, project) -> None:
    """The default branch the pause pull request starts from."""
    fake.repo.refs["main"] = "a" * 40
    fake.repo.files[("main", "config.yml")] = (project.root / "config.yml").read_bytes()


def first_run_with_a_reply(project, ledger, reader, fake: FakeGitHub, monkeypatch) -> str:  # noqa: F811
    """A post 3 h old with one unanswered reply, heard and shown once; its key."""
    key = published(ledger, "launch", "masto", "mastodon", ("101",), AT - timedelta(hours=3))
    reader.threads["101"] = [said("1", 30, key=key)]
    use_env(monkeypatch, fake)
    assert CliRunner().invoke(cli, pull_args(project, AT)).exit_code == 0
    return key


def test_a_post_read_once_a_day_keeps_its_replies_in_the_issue_until_read_again_or_no_longer_followed(
    reader,  # noqa: F811
    brand,  # noqa: F811
    github: FakeGitHub,
    monkeypatch,
) -> None:
    project, _, ledger = brand
    github.repo.private = True
    old = published(ledger, "old", "masto", "mastodon", ("201",), AT - timedelta(days=3))  # daily band
    reader.threads["201"] = [said("7", 120, key=old, text="Do you ship to Lisbon?")]
    use_env(monkeypatch, github)
    assert CliRunner().invoke(cli, pull_args(project, AT)).exit_code == 0
    first = inbox_of(github)
    assert "Do you ship to Lisbon?" in first and "**1 unanswered**" in first

    later = AT + timedelta(hours=2)  # the old post is not read again today; a new one is read every run
    new = published(ledger, "new", "masto", "mastodon", ("202",), AT + timedelta(hours=1))
    reader.threads["202"] = [said("8", -90, key=new, text="Nice kites")]
    run = CliRunner().invoke(cli, pull_args(project, later))

    assert run.exit_code == 0, run.output
    assert ("masto", "201") not in reader.asked[-3:]
    second = inbox_of(github)
    assert "**2 unanswered**: 2 replies" in second and "Nice kites" in second
    old_section = first[first.index("<!-- postwright:post key=old") : first.index(END)]
    assert old_section in second  # carried as it was shown, words and all

    reader.threads["201"] = [said("7", 120, key=old, answered=True)]  # answered since; read next day
    assert CliRunner().invoke(cli, pull_args(project, AT + timedelta(hours=24))).exit_code == 0
    third = inbox_of(github)
    assert "Lisbon" not in third and "key=old" not in third and "**1 unanswered**" in third

    reader.threads["202"] = [said("8", -90, key=new), said("9", -600, key=new)]  # never read again
    assert CliRunner().invoke(cli, pull_args(project, AT + timedelta(days=15))).exit_code == 0
    assert "Nothing unanswered." in inbox_of(github) and "key=new" not in inbox_of(github)


def test_a_post_not_read_this_run_without_a_section_yet_shows_its_count_as_last_read() -> None:
    read = datetime(2026, 12, 7, 8, tzinfo=UTC)
    count = DeliveryCount(
        "2026-11-20-launch.en/bluesky_main", "2026-11-20-launch", "https://x.example/1", 4, 3, read
    )
    inbox = dataclasses.replace(account(), counts=(count,))

    block = managed_block(inbox, with_text=False, at=AT)

    assert "**3 unanswered**: 3 replies" in block and "(3, as last read 2026-12-07 08:00 UTC)" in block
    assert "- … 3 unanswered: [open the post](https://x.example/1)" in block
    assert managed_block(inbox, with_text=False, at=AT, previous=block) == block


def test_when_github_fails_the_state_is_not_saved_so_the_next_run_raises_the_crisis_and_lists_the_mention(
    reader,  # noqa: F811
    brand,  # noqa: F811
    github: FakeGitHub,
    monkeypatch,
) -> None:
    project, _, _ = brand
    reader.mentioned["masto"] = [said("5", 3, kind="mention", text="product RECALL now")]
    with_config_on_main(github, project)
    state = path_for(project.state_dir, "masto")
    use_env(monkeypatch, github, GITHUB_TOKEN=TOKEN + "-revoked")

    failed = CliRunner().invoke(cli, pull_args(project, AT))

    assert failed.exit_code == 3 and "401 Bad credentials" in failed.stderr
    assert not state.exists() and github.repo.issues == {}
    use_env(monkeypatch, github)
    again = CliRunner().invoke(cli, pull_args(project, AT + timedelta(minutes=1)))
    assert again.exit_code == 0, again.output
    assert [issue.title for issue in github.with_label("crisis")] == ["Crisis: watch word on masto"]
    assert "### Mentions (1)" in inbox_of(github) and state.exists()


def test_one_inbox_refused_by_github_leaves_the_others_written_and_its_own_state_unsaved(
    reader,  # noqa: F811
    brand,  # noqa: F811
    github: FakeGitHub,
    monkeypatch,
) -> None:
    project, _, ledger = brand
    mine = published(ledger, "launch", "masto", "mastodon", ("101",), AT - timedelta(hours=3))
    theirs = published(ledger, "launch", "other", "mastodon", ("301",), AT - timedelta(hours=3))
    use_env(monkeypatch, github)
    assert CliRunner().invoke(cli, pull_args(project, AT)).exit_code == 0
    masto, other = path_for(project.state_dir, "masto"), path_for(project.state_dir, "other")
    before = masto.read_bytes(), other.read_bytes()
    [masto_issue] = [issue for issue in github.with_label(INBOX_LABEL) if "@brand" in issue.title]
    github.repo.outage.add(masto_issue.number)
    reader.threads["101"] = [said("1", 30, key=mine)]
    reader.threads["301"] = [said("2", 30, key=theirs, account="other")]

    run = CliRunner().invoke(cli, pull_args(project, AT + timedelta(minutes=10)))

    assert run.exit_code == 3
    assert f"masto: failed: PATCH /repos/windward/social/issues/{masto_issue.number}: 502" in run.stderr
    assert "/2)" in inbox_of(github, "other on") and other.read_bytes() != before[1]
    assert masto.read_bytes() == before[0]  # heard again next run, and shown then
    github.repo.outage.clear()
    assert CliRunner().invoke(cli, pull_args(project, AT + timedelta(minutes=20))).exit_code == 0
    assert "@ana/1)" in inbox_of(github) and masto.read_bytes() != before[0]


def test_a_read_that_failed_keeps_its_posts_section_and_shows_the_rest(
    reader,  # noqa: F811
    brand,  # noqa: F811
    github: FakeGitHub,
    monkeypatch,
) -> None:
    project, _, ledger = brand
    first_run_with_a_reply(project, ledger, reader, github, monkeypatch)
    reader.threads["101"] = TransientError("GET /api/v1/statuses/101/context: 503 Service Unavailable")
    reader.mentioned["masto"] = [said("9", -5, kind="mention")]

    run = CliRunner().invoke(cli, pull_args(project, AT + timedelta(minutes=10)))

    assert run.exit_code == 3
    body = inbox_of(github)
    assert "@ana/1)" in body and "### Mentions (1)" in body and "@ana/9)" in body
    assert "Could not read this run" in body and "503 Service Unavailable" in body
    assert "**2 unanswered**" in body


def private_inbox(posts: int, replies: int, text: str) -> AccountPull:
    counts, heard = [], []
    for post in range(posts):
        key = f"2026-12-0{1 + post % 5}-post{post:03}.en/bluesky_main"
        counts.append(DeliveryCount(key, f"post{post}", f"https://bsky.app/p/{post}", replies, replies, AT))
        heard += [
            dataclasses.replace(conversation(f"{post}x{n}", n % 12, text=text), delivery_key=key)
            for n in range(replies)
        ]
    return AccountPull("bluesky_main", "bluesky", "@windward.example", tuple(heard), 0, 0, tuple(counts))


@pytest.mark.parametrize(("posts", "replies"), [(1, 400), (60, 40), (400, 2)])
def test_however_many_replies_pile_up_the_body_stays_within_githubs_limit_and_keeps_the_persons_notes(
    github: FakeGitHub, posts: int, replies: int
) -> None:
    github.repo.private = True
    notes = "Rota: " + "Marta mornings, Leo evenings. " * 600  # ~18,000 characters of a person's notes
    publish(github, [account(conversation("3aa", 9))])
    [issue] = github.with_label(INBOX_LABEL)
    issue.body = notes + "\n\n" + issue.body

    [result] = publish(github, [private_inbox(posts, replies, "W" * 600)])

    assert result.change == "updated" and result.unanswered == posts * replies
    [issue] = github.with_label(INBOX_LABEL)
    assert len(issue.body) <= BODY_MAX and issue.body.startswith(notes + "\n\n" + START)
    assert f"**{posts * replies} unanswered**" in issue.body and "… and" in issue.body
    [again] = publish(github, [private_inbox(posts, replies, "W" * 600)])
    assert again.change == "unchanged"


def test_notes_too_long_for_any_block_are_never_cut_and_the_reason_is_given(github: FakeGitHub) -> None:
    publish(github, [account(conversation("3aa", 9))])
    [issue] = github.with_label(INBOX_LABEL)
    issue.body = "x" * (BODY_MAX - 100) + "\n" + issue.body[: issue.body.index(END) + len(END)]

    [result] = publish(github, [account(conversation("3aa", 9), conversation("3bb", 10))])

    assert result.change.startswith("not sent: the issue's own text is too long") and not result.shown
    assert github.count("PATCH") == 0


def test_dry_run_on_github_prints_what_it_would_send_and_sends_nothing(
    reader,  # noqa: F811
    brand,  # noqa: F811
    github: FakeGitHub,
    monkeypatch,
) -> None:
    project, _, ledger = brand
    with_config_on_main(github, project)
    first_run_with_a_reply(project, ledger, reader, github, monkeypatch)
    made, state = writes(github), path_for(project.state_dir, "masto").read_bytes()
    reader.mentioned["masto"] = [said("5", -3, kind="mention", text="a RECALL?")]

    run = CliRunner().invoke(cli, pull_args(project, AT + timedelta(minutes=10), "--dry-run"))

    assert run.exit_code == 0, run.output
    assert writes(github) == made and len(github.repo.issues) == 2
    assert "Would open issue 'Crisis: watch word on masto' labelled crisis" in run.stdout
    assert "Would open pull request 'Pause publishing (crisis check)'" in run.stdout
    assert "Would commit config.yml on postwright/pause" in run.stdout
    assert "Would update issue #1 to:" in run.stdout and "@ana/5)" in run.stdout
    assert path_for(project.state_dir, "masto").read_bytes() == state
