"""Due computation: statuses, grace, expiry, drafts, pause, per-account times, time zones and DST."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from postwright import pipeline
from tests.conftest import MINIMAL_CONFIG

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")

POSTS = """
-- content/posts/2026-12-01-0900-due.md --
---
platforms: [mastodon]
---
Due.
-- content/posts/2026-12-01-1200-later.md --
---
platforms: [mastodon]
---
Later.
-- content/posts/2026-11-30-missed.md --
---
platforms: [mastodon]
---
Missed.
-- content/posts/2026-12-01-0800-draft.md --
---
platforms: [mastodon]
draft: true
---
Draft.
-- content/posts/2026-12-01-0700-expired.md --
---
platforms: [mastodon]
expires: 2026-12-01 08:30
---
Expired.
"""


def statuses(project, now, **options):
    planned = pipeline.plan(project, now, **options)
    return {item.post_id: item.status for item in planned.items}


def test_statuses_at_a_given_time(make_project):
    project = make_project(POSTS)
    now = datetime(2026, 12, 1, 9, 30, tzinfo=MADRID)
    assert statuses(project, now) == {
        "2026-11-30-missed": "missed",
        "2026-12-01-0700-expired": "expired",
        "2026-12-01-0800-draft": "draft",
        "2026-12-01-0900-due": "due",
        "2026-12-01-1200-later": "upcoming",
    }
    assert statuses(project, now, only="2026-11-30-missed")["2026-11-30-missed"] == "due"  # --only sends it
    assert statuses(project, now + timedelta(hours=3))["2026-12-01-0900-due"] == "missed"  # grace 3h


def test_pause_stops_everything_due(make_project):
    project = make_project(f"-- config.yml --\n{MINIMAL_CONFIG}paused: true\n{POSTS}")
    now = datetime(2026, 12, 1, 9, 30, tzinfo=MADRID)
    assert statuses(project, now)["2026-12-01-0900-due"] == "paused"
    result = pipeline.publish(project, now)
    assert result.outcomes == () and not (project.root / "state").exists()


def test_account_time_in_another_zone_across_dst(make_project):
    # Madrid leaves summer time on 2026-10-25 (02:00–03:00 repeats); New York on 2026-11-01.
    project = make_project(
        "-- content/posts/2026-10-24-dst.md --\n---\nplatforms: [mastodon, bluesky]\n"
        "date: 2026-10-25 02:30\noverrides:\n  sky: {date: 2026-10-31 22:30-04:00}\n---\nText.\n"
    )
    planned = pipeline.plan(project, datetime(2026, 10, 25, 0, 31, tzinfo=UTC))
    by_account = {item.account: item for item in planned.items}
    assert by_account["masto"].status == "due"  # 02:30 CEST (the first one) = 00:30 UTC
    assert by_account["masto"].publish_at.utcoffset() == timedelta(hours=2)
    assert by_account["sky"].status == "upcoming"
    later = datetime(2026, 11, 1, 2, 31, tzinfo=UTC)  # 22:31 EDT on Oct 31
    assert {i.account: i.status for i in pipeline.plan(project, later).items}["sky"] == "due"
    assert {i.account: i.status for i in pipeline.plan(project, later.astimezone(NEW_YORK)).items}[
        "sky"
    ] == "due"


def test_a_local_time_that_does_not_exist_is_never_planned(make_project):
    # 2026-03-29 02:30 does not exist in Madrid (clocks jump from 02:00 to 03:00)
    project = make_project(
        "-- content/posts/2026-03-28-gap.md --\n---\nplatforms: [mastodon]\ndate: 2026-03-29 02:30\n---\nX.\n"
    )
    planned = pipeline.plan(project, datetime(2026, 3, 29, 3, 0, tzinfo=MADRID))
    assert planned.items == ()
    assert [(d.code, d.span.line) for d in planned.diagnostics] == [("PW202", 3)]


def _started(project, key, when, status="started", **fields):
    """A ledger record for part 1 of `key` (as a run that crashed after it would leave it)."""
    from postwright.ledger import Ledger, Record

    Ledger(project.state_dir).append(
        Record(
            key=key,
            part=1,
            parts=1,
            status=status,
            idempotency_key="k-1",
            post_id=key.split(".")[0],
            account="masto",
            platform="mastodon",
            content_hash="sha256:x",
            time=when.astimezone(UTC).isoformat(),
            **fields,
        )
    )


def test_a_maybe_sent_job_is_asked_about_for_one_grace_period_then_unconfirmed(make_project):
    project = make_project(POSTS)
    published = datetime(2026, 12, 1, 9, 0, tzinfo=MADRID)
    crashed = published + timedelta(hours=1)  # the grace counts from the later of the two
    _started(project, "2026-12-01-0900-due.en/masto", crashed)
    within = crashed + timedelta(hours=2, minutes=59)
    assert statuses(project, within)["2026-12-01-0900-due"] == "due"
    after = crashed + timedelta(hours=3, minutes=1)
    (item,) = [i for i in pipeline.plan(project, after).items if i.post_id == "2026-12-01-0900-due"]
    assert item.status == "unconfirmed"
    assert item.detail == (
        "maybe sent: check the account, then postwright settle 2026-12-01-0900-due.en/masto "
        "--sent URL | --not-sent"
    )
    assert statuses(project, after, only="2026-12-01-0900-due")["2026-12-01-0900-due"] == "due"  # asked again


def test_a_transient_failure_stays_due_after_the_grace_period(make_project):
    project = make_project(POSTS)
    failed = datetime(2026, 12, 1, 9, 0, tzinfo=MADRID)
    _started(project, "2026-12-01-0900-due.en/masto", failed, status="failed", error="503")
    assert statuses(project, failed + timedelta(days=2))["2026-12-01-0900-due"] == "due"
