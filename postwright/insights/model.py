"""The shapes insights share: what is read (Delivery), what a platform answers (PostReading,
AccountReading), what the store keeps (Observation, AccountObservation), and the reader contract.

A platform declares `metrics=Lazy("postwright.platforms.<name>.metrics", "<Reader>")`: called with the
account's `Connection`, it gives a `MetricsReader`. Metric names are the platform's own ("favourites_count",
"like_count", "impressions"), so a person reading state/metrics/ can look each up in the platform's reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Delivery:
    """One published job the ledger knows (a post in one language on one account), its parts in order."""

    key: str  # the ledger's job key: "<post-id>.<lang>/<account>"
    post_id: str
    lang: str
    account: str
    platform: str
    remote_ids: tuple[str, ...]  # part 1 first, as the publisher's receipts gave them
    urls: tuple[str | None, ...]
    published: datetime  # UTC: when part 1 was recorded as published


@dataclass(frozen=True, slots=True)
class PostReading:
    """The numbers one delivery has now, thread parts summed into it."""

    key: str  # Delivery.key
    metrics: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A delivery the platform would not give numbers for this time; it stays due for the next run."""

    key: str  # Delivery.key
    reason: str  # for people: "429 rate limited", "403 missing scope read:statuses", "malformed answer"
    gone: bool = False  # the post no longer exists on the platform: stop asking for it


@dataclass(frozen=True, slots=True)
class AccountReading:
    """Account-level numbers once a day: followers and, where the API gives it, the audience breakdown."""

    account: str
    metrics: Mapping[str, int]  # "followers_count", …
    # dimension -> bucket -> count, aggregates only: {"country": {"ES": 120}, "age": {"25-34": 40}}
    audience: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


class MetricsReader(Protocol):
    """What `metrics pull` asks a platform's reader; raising TransientError/PermanentError
    (platforms.contract) from `account` or for a whole batch leaves those deliveries due."""

    batch: int  # how many deliveries one request may ask for (X 100, Bluesky 25, Pinterest 100, …)

    def posts(self, deliveries: Sequence[Delivery]) -> Iterable[PostReading | ReadFailure]: ...

    def account(self) -> AccountReading | None: ...  # None: the platform has no account numbers


@dataclass(frozen=True, slots=True)
class Observation:
    """One stored row of state/metrics/: a delivery's numbers at one moment."""

    key: str
    post_id: str
    lang: str
    account: str
    platform: str
    published: datetime  # UTC
    observed: datetime  # UTC: when the numbers were read
    metrics: Mapping[str, int]

    @property
    def age_hours(self) -> float:
        return (self.observed - self.published).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class AccountObservation:
    """One stored row of an account's daily series."""

    account: str
    platform: str
    observed: datetime  # UTC
    metrics: Mapping[str, int]
    audience: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
