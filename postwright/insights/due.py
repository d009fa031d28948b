"""Which published deliveries are due for a reading now, and which accounts for their daily numbers.

A delivery is read when it crosses an age in AGES it has no reading for yet (one reading, however many
ages it crossed since the last run), until FINAL_AGE + LATE: after that its last reading stands. Only
the ledger (what was published, where, when) and the store (when each delivery was last read) decide;
nothing here asks a platform.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from postwright.insights.model import AccountObservation, Delivery, Observation
from postwright.ledger import JobState, RecordStatus

AGES = (
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
    timedelta(days=3),
    timedelta(days=7),
    timedelta(days=30),
    timedelta(days=89),
)
"""Where a post's numbers still change: steeply in the first day, then slowly; 89 d is inside the 90
days Pinterest keeps pin analytics."""

READ_AFTER = timedelta(minutes=15)
"""The scheduled workflow reads an age at least this long after it (`postwright workflow sync`): GitHub
starts the run that sent a post 5-20 minutes late, so a run right at the age could find it too young."""

READ_WITHIN = {timedelta(hours=1): timedelta(hours=4), timedelta(hours=6): timedelta(hours=6)}
"""How late the scheduled workflow may take the readings at ages under a day (older ones are whole days
and fall on a posting run): the 1 h reading by 5 h, before the 6 h age it would merge into, the 6 h one
by 12 h. Tighter bounds would cost runs: with the 1 h reading by 4 h, five posts a day at even gaps need
372 job-minutes in a month with a daylight-saving change; with these, at most 287 (tests/test_cron.py)."""

LATE = timedelta(days=7)
"""A delivery whose final reading was not taken within this long after FINAL_AGE is read no more."""

PRIVATE_WINDOW = {
    # "Non-public, organic, and promoted metrics are only available for posts created within the last
    # 30 days" (https://docs.x.com/x-api/fundamentals/metrics)
    "x": timedelta(days=30),
    # "90 day look back on organic reporting for user accounts and Pins"
    # (https://developers.pinterest.com/docs/analytics-and-reports/organic-reporting/)
    "pinterest": timedelta(days=90),
}
"""Platforms whose private numbers can be read only so long after posting: the first age at or past the
window is read a day before it closes instead, so the last private reading is not lost (later ages still
read the public numbers)."""


def ages_for(platform: str) -> tuple[timedelta, ...]:
    window = PRIVATE_WINDOW.get(platform)
    late = [age for age in AGES if window is not None and age >= window]
    if not late:
        return AGES
    return tuple(sorted(age if age != late[0] else window - timedelta(days=1) for age in AGES))


FINAL_AGE = AGES[-1]
OLDEST = FINAL_AGE + LATE
"""Deliveries published longer ago than this are never due: their month files need not be opened."""


def deliveries(
    jobs: Mapping[str, JobState], accounts: Mapping[str, str], since: datetime | None = None
) -> list[Delivery]:
    """The ledger's jobs that are live on a platform through an account in `accounts` (name ->
    platform): published through the API (outbox rehearsals posted nothing), not retracted; with
    `since`, only jobs whose first record is not older (a job is published after its first record)."""
    found: list[Delivery] = []
    for key, state in jobs.items():
        first = state.records[0] if state.records else None
        if first is None or accounts.get(first.account) != first.platform or state.retracted:
            continue
        if since is not None and datetime.fromisoformat(first.time) < since:
            continue
        delivery = _delivery(key, state.without_rehearsals())
        if delivery is not None:
            found.append(delivery)
    return found


def _delivery(key: str, state: JobState) -> Delivery | None:
    if not state.published:
        return None
    parts = [state.last(part) for part in range(1, state.parts + 1)]
    if any(
        record is None or record.status != RecordStatus.PUBLISHED or not record.remote_id for record in parts
    ):
        return None
    first = parts[0]
    lang = key.rsplit("/", 1)[0].removeprefix(f"{first.post_id}.")
    return Delivery(
        key=key,
        post_id=first.post_id,
        lang=lang,
        account=first.account,
        platform=first.platform,
        remote_ids=tuple(record.remote_id for record in parts),
        urls=tuple(record.url for record in parts),
        published=datetime.fromisoformat(first.time).astimezone(UTC),
    )


def last_read(observations: Iterable[Observation]) -> dict[str, datetime]:
    """Each delivery key's latest reading time."""
    latest: dict[str, datetime] = {}
    for observation in observations:
        if observation.key not in latest or latest[observation.key] < observation.observed:
            latest[observation.key] = observation.observed
    return latest


def band(ages: tuple[timedelta, ...], age: timedelta) -> int:
    """How many of `ages` a delivery of this age has reached (0: younger than the first)."""
    return bisect.bisect_right(ages, age)


def due(
    candidates: Iterable[Delivery],
    read_at: Mapping[str, datetime],
    now: datetime,
    gone: Iterable[str] = (),
) -> list[Delivery]:
    """Deliveries that crossed an age not read yet, oldest publication first; `gone`: keys the platform
    said no longer exist."""
    never = set(gone)
    found = []
    for delivery in candidates:
        age = now - delivery.published
        if delivery.key in never or age > OLDEST:
            continue
        ages = ages_for(delivery.platform)
        reached = band(ages, age)
        last = read_at.get(delivery.key)
        if reached and (last is None or band(ages, last - delivery.published) < reached):
            found.append(delivery)
    return sorted(found, key=lambda item: (item.published, item.key))


def accounts_due(accounts: Iterable[str], readings: Iterable[AccountObservation], now: datetime) -> list[str]:
    """Accounts with no reading yet on now's UTC day (account numbers are read once a day)."""
    today = now.astimezone(UTC).date()
    read_today = {reading.account for reading in readings if reading.observed.date() == today}
    return [account for account in accounts if account not in read_today]
