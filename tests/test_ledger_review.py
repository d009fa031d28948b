"""Exactly-once findings of the second review: retract, config errors, account renames and check's
view of the ledger must agree with what publish would do, and never let a post go out twice."""

from __future__ import annotations

from datetime import timedelta

from postwright import pipeline
from postwright.publish import TransientError
from tests.test_publish import NOW, POSTS, FakePlatform
from tests.test_rehearsal import SINGLE, SINGLE_KEY, Platform, records, send_through, statuses, to_api


def test_retract_through_the_outbox_refuses_a_post_sent_through_the_api(make_project):
    """Back on the outbox, retract cannot delete the real post: it fails and records nothing."""
    project = make_project(POSTS)
    to_api(project)
    platform = Platform(FakePlatform(project.root / "platform.jsonl"))
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
    send_through(project, Platform(FakePlatform(project.root / "platform.jsonl")), only=SINGLE)
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
    platform = FakePlatform(project.root / "platform.jsonl")
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
    platform = FakePlatform(project.root / "platform.jsonl")
    first = send_through(project, Platform(platform))
    assert [(o.key, o.status) for o in first.outcomes] == [(key, "published")]
    assert send_through(project, Platform(platform)).outcomes == ()
    assert len(platform.received()) == 1


def test_an_account_renamed_after_a_real_send_is_still_held(make_project):
    project = make_project(POSTS)
    to_api(project)
    platform = FakePlatform(project.root / "platform.jsonl")
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
