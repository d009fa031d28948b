"""Exactly-once findings of the second review: retract, config errors, account renames and check's
view of the ledger must agree with what publish would do, and never let a post go out twice."""

from __future__ import annotations

from datetime import timedelta

from postwright import pipeline
from postwright.platforms.contract import TransientError
from tests.fakes.publisher import FakeServer
from tests.test_publish import NOW, POSTS
from tests.test_rehearsal import (
    SINGLE,
    SINGLE_KEY,
    THREAD_KEY,
    Platform,
    records,
    rewrite_ledger,
    send_through,
    statuses,
    to_api,
)


def test_retract_through_the_outbox_refuses_a_post_sent_through_the_api(make_project):
    """Back on the outbox, retract cannot delete the real post: it fails and records nothing."""
    project = make_project(POSTS)
    to_api(project)
    platform = Platform(FakeServer(project.root / "platform.jsonl"))
    send_through(project, platform, only=SINGLE)
    config = project.root / "config.yml"
    config.write_text(config.read_text().replace("    deliver: api\n", ""))  # back to the outbox
    before = records(project)
    keys, outcomes = pipeline.retract(project, SINGLE)
    assert keys == [SINGLE_KEY] and [o.status for o in outcomes] == ["failed"]
    assert "set `deliver: api` for account masto to delete it" in outcomes[0].message
    assert records(project) == before
    assert statuses(project)[SINGLE_KEY][0] == "published"


def test_retracting_a_rehearsal_needs_no_api_credentials(make_project, monkeypatch):
    """Only rehearsed, now on an API account whose secret is not set: nothing to delete, so it is
    recorded retracted and never sent, without the credentials."""
    monkeypatch.delenv("PW_FAKE", raising=False)
    project = make_project(POSTS)
    pipeline.publish(project, NOW)
    to_api(project)
    assert statuses(project)[SINGLE_KEY][0] == "due"
    _, outcomes = pipeline.retract(project, SINGLE)
    assert [(o.status, o.message) for o in outcomes] == [("retracted", "")]
    assert statuses(project)[SINGLE_KEY][0] == "retracted"


def test_retracting_a_real_post_without_credentials_still_fails(make_project, monkeypatch):
    monkeypatch.delenv("PW_FAKE", raising=False)
    project = make_project(POSTS)
    to_api(project)
    send_through(project, Platform(FakeServer(project.root / "platform.jsonl")), only=SINGLE)
    before = records(project)
    _, outcomes = pipeline.retract(project, SINGLE)
    assert [o.status for o in outcomes] == ["failed"] and "PW_FAKE" in outcomes[0].message
    assert records(project) == before


class Refusing(Platform):
    def send(self, variant, part, reply_to, key):
        raise TransientError("429 rate limited", refused=True)


def test_retracting_a_post_whose_every_try_was_refused_makes_it_final(make_project):
    """Nothing went out, yet retract must be recorded: otherwise the next run sends the post."""
    project = make_project(POSTS)
    to_api(project)
    platform = FakeServer(project.root / "platform.jsonl")
    first = send_through(project, Refusing(platform), only=SINGLE)
    assert [o.status for o in first.outcomes] == ["failed"]
    deleting = Platform(platform)
    _, outcomes = pipeline.retract(project, SINGLE, publisher_for=lambda account: deleting)
    assert [o.status for o in outcomes] == ["retracted"] and deleting.deleted == []
    last = records(project)[-1]
    assert (last["status"], last["remote_id"]) == ("retracted", None)
    assert statuses(project)[SINGLE_KEY][0] == "retracted"
    assert send_through(project, Platform(platform), only=SINGLE).outcomes == ()
    assert platform.received() == []


def _renamed_to_api(project) -> None:
    """masto renamed to mastodon_real, which now posts through its API."""
    config = project.root / "config.yml"
    to_api(project)
    config.write_text(config.read_text().replace("  masto:\n", "  mastodon_real:\n", 1))


def test_an_account_renamed_as_it_switches_to_the_api_sends_what_was_only_rehearsed_once(make_project):
    project = make_project(POSTS)
    pipeline.publish(project, NOW)  # rehearsed through masto
    _renamed_to_api(project)
    key = f"{SINGLE}.en/mastodon_real"
    assert statuses(project)[key][0] == "due"
    assert not [d for d in pipeline.check(project, now=NOW).diagnostics if d.code == "PW215"]
    platform = FakeServer(project.root / "platform.jsonl")
    first = send_through(project, Platform(platform))
    assert [(o.key, o.status) for o in first.outcomes] == [(key, "published")]
    assert send_through(project, Platform(platform)).outcomes == ()
    assert len(platform.received()) == 1


def test_an_account_renamed_after_a_real_send_is_still_held(make_project):
    project = make_project(POSTS)
    to_api(project)
    platform = FakeServer(project.root / "platform.jsonl")
    send_through(project, Platform(platform), only=SINGLE)
    config = project.root / "config.yml"
    config.write_text(config.read_text().replace("  masto:\n", "  mastodon_real:\n", 1))
    assert statuses(project)[f"{SINGLE}.en/mastodon_real"][0] == "blocked"
    assert send_through(project, Platform(platform), only=SINGLE).outcomes == ()
    assert len(platform.received()) == 1


def test_check_reads_the_ledger_as_plan_does_a_rehearsal_is_no_send(make_project):
    """Rehearsed, switched to the API, file renamed: plan sends it under its new id, and check agrees
    (no PW215 that plan does not have)."""
    project = make_project(POSTS)
    pipeline.publish(project, NOW)
    to_api(project)
    posts = project.root / "content/posts"
    (posts / f"{SINGLE}.md").rename(posts / f"{SINGLE}-renamed.md")
    assert statuses(project)[f"{SINGLE}-renamed.en/masto"][0] == "due"
    codes = [d.code for d in pipeline.check(project, now=NOW).diagnostics]
    assert "PW215" not in codes


def test_check_says_too_late_for_a_post_only_rehearsed_before_the_switch(make_project):
    """PW251 from the ledger as the API account sees it: the rehearsal is no send, so the post is missed."""
    project = make_project(POSTS)
    pipeline.publish(project, NOW)
    to_api(project)
    later = NOW + timedelta(days=30)
    assert statuses(project, later)[SINGLE_KEY][0] == "missed"
    found = [d for d in pipeline.check(project, now=later).diagnostics if d.code == "PW251"]
    assert [d.span.path for d in found] == [f"content/posts/{SINGLE}.md"]


def _with_settings(project, settings: str) -> None:
    config = project.root / "config.yml"
    text = config.read_text().replace("{instance: https://fake.example}", settings, 1)
    config.write_text(text)


def test_an_accounts_settings_error_blocks_its_jobs_and_only_theirs(make_project):
    """A misspelt `visibility` (PW040) fails check: plan blocks that account's job and publish sends
    nothing of it (it would go out public), while the other account's post goes out."""
    project = make_project(POSTS)
    to_api(project)
    _with_settings(project, "{instance: https://fake.example, visiblity: direct}")
    assert "PW040" in [d.code for d in pipeline.check(project, now=NOW).diagnostics]
    status, detail = statuses(project)[SINGLE_KEY]
    assert status == "blocked" and "PW040" in detail
    assert statuses(project)[THREAD_KEY][0] == "due"
    platform = FakeServer(project.root / "platform.jsonl")
    result = send_through(project, Platform(platform))
    assert [o.key for o in result.outcomes] == [THREAD_KEY]
    assert platform.received() == []


def test_a_platforms_shared_settings_error_blocks_every_account_on_that_platform(make_project):
    project = make_project(POSTS)
    to_api(project)
    config = project.root / "config.yml"
    config.write_text(config.read_text() + "platforms:\n  mastodon:\n    settings: {visiblity: direct}\n")
    assert "PW040" in [d.code for d in pipeline.check(project, now=NOW).diagnostics]
    assert statuses(project)[SINGLE_KEY][0] == "blocked"
    assert statuses(project)[THREAD_KEY][0] == "due"
    assert pipeline.publish(project, NOW, dry_run=True, only=SINGLE).jobs == ()


def test_two_files_with_one_id_each_show_their_own_error(make_project):
    project = make_project(
        POSTS + "-- content/posts/zz-other.md --\n---\nid: 2026-12-01-0900-single\ndate: 2026-12-01 09:00\n"
        "platforms: [mastodon]\n---\nText from file B.\n"
    )
    items = [item for item in pipeline.plan(project, NOW).items if item.key == SINGLE_KEY]
    assert sorted(item.source for item in items) == [
        f"content/posts/{SINGLE}.md",
        "content/posts/zz-other.md",
    ]
    for item in items:
        other = next(other.source for other in items if other is not item)
        assert item.status == "blocked" and f"is also used by {other}" in item.detail


def test_retract_through_the_outbox_touches_nothing_of_a_thread_partly_sent_through_the_api(make_project):
    """Part 1 real, the rest rehearsed: the job is not half-retracted (plan would say `retracted` while
    part 1 is still on the platform); it fails whole, records nothing and keeps the outbox files."""
    project = make_project(POSTS)
    pipeline.publish(project, NOW)

    def first_part_real(record):
        if record["key"] == THREAD_KEY and record["part"] == 1 and record["status"] == "published":
            return {**record, "via": "api", "remote_id": "at://real/1", "url": "https://bsky.app/post/1"}
        if record["key"] == THREAD_KEY and record["part"] == 1:
            return {**record, "via": "api"}
        return record

    rewrite_ledger(project, first_part_real)
    before = records(project)
    outbox_files = sorted((project.root / "outbox/sky").iterdir())
    _, outcomes = pipeline.retract(project, "2026-12-01-0930-thread")
    assert [o.status for o in outcomes] == ["failed"] and "part 1: sent through the platform" in outcomes[
        0
    ].message
    assert records(project) == before
    assert sorted((project.root / "outbox/sky").iterdir()) == outbox_files
    assert statuses(project)[THREAD_KEY][0] == "published"
