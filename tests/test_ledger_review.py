"""Exactly-once findings of the second review: retract, config errors, account renames and check's
view of the ledger must agree with what publish would do, and never let a post go out twice."""

from __future__ import annotations

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
