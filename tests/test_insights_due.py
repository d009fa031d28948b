"""Which deliveries `metrics pull` reads when: from the ledger (published through an API, not retracted,
not a rehearsal) and the store (the age bands already read)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postwright.insights import due
from postwright.insights.model import AccountObservation
from postwright.ledger import JobState, Record, RecordStatus

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def record(
    key: str, status: RecordStatus, *, part=1, parts=1, via="api", at=T0, remote="111", account="masto"
):
    post_id = key.split(".", 1)[0]
    return Record(
        key=key,
        part=part,
        parts=parts,
        status=status,
        idempotency_key=f"{key}-{part}",
        post_id=post_id,
        account=account,
        platform="mastodon",
        content_hash="sha256:0",
        time=at.isoformat(),
        remote_id=remote if status == RecordStatus.PUBLISHED else None,
        url=f"https://masto.example/@brand/{remote}" if status == RecordStatus.PUBLISHED else None,
        via=via,
    )


def job(key: str, *records: Record) -> dict[str, JobState]:
    return {key: JobState(key, records)}


KEY = "2026-12-01-launch.en/masto"
ACCOUNTS = {"masto": "mastodon"}


def test_a_published_thread_is_one_delivery_with_its_parts_in_order() -> None:
    jobs = job(
        KEY,
        record(KEY, RecordStatus.STARTED, parts=2),
        record(KEY, RecordStatus.PUBLISHED, parts=2, remote="1"),
        record(KEY, RecordStatus.STARTED, part=2, parts=2),
        record(KEY, RecordStatus.PUBLISHED, part=2, parts=2, remote="2", at=T0 + timedelta(seconds=5)),
    )
    [delivery] = due.deliveries(jobs, ACCOUNTS)
    assert (delivery.post_id, delivery.lang, delivery.account, delivery.platform) == (
        "2026-12-01-launch",
        "en",
        "masto",
        "mastodon",
    )
    assert delivery.remote_ids == ("1", "2") and delivery.published == T0
    assert delivery.urls == ("https://masto.example/@brand/1", "https://masto.example/@brand/2")


def test_rehearsals_retracted_unfinished_and_other_accounts_give_no_delivery() -> None:
    rehearsed = job(KEY, record(KEY, RecordStatus.PUBLISHED, via="outbox"))
    retracted = job(KEY, record(KEY, RecordStatus.PUBLISHED), record(KEY, RecordStatus.RETRACTED))
    unfinished = job(KEY, record(KEY, RecordStatus.STARTED))
    failed = job(KEY, record(KEY, RecordStatus.STARTED), record(KEY, RecordStatus.FAILED))
    for jobs in (rehearsed, retracted, unfinished, failed):
        assert due.deliveries(jobs, ACCOUNTS) == []
    assert due.deliveries(job(KEY, record(KEY, RecordStatus.PUBLISHED)), {"other": "mastodon"}) == []
    # the account moved to another platform: its old key is not this platform's post
    assert due.deliveries(job(KEY, record(KEY, RecordStatus.PUBLISHED)), {"masto": "bluesky"}) == []


def test_a_reading_is_due_once_per_age_band_crossed() -> None:
    [delivery] = due.deliveries(job(KEY, record(KEY, RecordStatus.PUBLISHED)), ACCOUNTS)

    def is_due(hours: float, read_at_hours: float | None = None) -> bool:
        read_at = {} if read_at_hours is None else {KEY: T0 + timedelta(hours=read_at_hours)}
        return due.due([delivery], read_at, T0 + timedelta(hours=hours)) == [delivery]

    assert not is_due(0.5)  # younger than the first age
    assert is_due(1) and is_due(5)  # 1 h band, never read
    assert not is_due(5, read_at_hours=1.2)  # the 1 h band is read
    assert is_due(6, read_at_hours=1.2)
    assert is_due(200, read_at_hours=1.2)  # several bands crossed since: one reading
    assert not is_due(200, read_at_hours=169)
    assert is_due(89 * 24, read_at_hours=30 * 24)
    assert not is_due(95 * 24, read_at_hours=89 * 24)  # the final reading is in
    assert not is_due(97 * 24, read_at_hours=30 * 24)  # too late for the final reading: read no more
    assert due.due([delivery], {}, T0 + timedelta(hours=7), gone=[KEY]) == []


def test_x_reads_its_30_day_band_before_its_private_numbers_close() -> None:
    assert due.ages_for("x")[-2:] == (timedelta(days=29), timedelta(days=89))
    assert due.ages_for("mastodon")[-2:] == (timedelta(days=30), timedelta(days=89))
    assert due.ages_for("pinterest") == due.AGES  # 89 d is inside its 90 days


def test_accounts_are_due_once_a_utc_day() -> None:
    read = [AccountObservation("masto", "mastodon", T0, {"followers_count": 3})]
    assert due.accounts_due(["masto", "sky"], read, T0 + timedelta(hours=10)) == ["sky"]
    assert due.accounts_due(["masto", "sky"], read, T0 + timedelta(hours=15)) == ["masto", "sky"]
