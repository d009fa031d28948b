"""The brand's own best times to post, from its history: a score per delivery, then per weekday × hour slot
the median score, an interval and n, honestly "not enough data" below `MIN_N`.

Public functions (the report, `slots suggest` and `schedule.explore` build on them):

- `settled(observations) -> dict[str, Observation]`: each delivery's reading to judge it by.
- `delivery_scores(observations, posts_local_times=None, zone=UTC) -> list[DeliveryScore]`: one score per
  delivery, with its local weekday and hour.
- `slot_scores(observations, posts_local_times=None, zone=UTC) -> list[SlotScore]`: per platform, account and
  weekday × hour slot, sorted.
- `slot_summary(scores) -> SlotScore`: the same statistics over any group of `DeliveryScore`s (the report
  groups by tag, format, …).
- `clears(candidate: SlotScore, current: SlotScore) -> bool`: the candidate's interval is wholly above the
  current slot's (both with enough data, same account and basis).

`posts_local_times` maps a delivery key ("<post-id>.<lang>/<account>") or a post id to the time the post was
scheduled for; where it has neither, the time the ledger recorded it as published is used. Slots are in the
brand's time zone (`zone`), weekday 0 = Monday.

Scores. Where a platform reports impressions (`ENGAGEMENT` below says which of its metrics are which, and
why), a delivery's score is its engagement rate, engagements / impressions. Elsewhere (Mastodon, Bluesky,
Discord give no impressions) it is the engagement relative to the account's rolling median: (engagements + 1)
/ (median of the account's last `ROLLING` deliveries up to this one + 1); 1.0 is an ordinary post for that
account, the + 1 keeps an account whose median is 0 from dividing by zero. An account is scored by rate only
when every one of its settled readings has impressions, so one account's slots are never mixed.

The reading a delivery is judged by is its first at or after `SETTLED_AGE` (7 days): readings at one age
compare fairly (later ones keep growing, and X drops its non-public impressions after 30 days); a delivery
not yet 7 days old is judged by its latest reading.

The interval is the bootstrap percentile interval (95 %) of the median, computed exactly rather than by
resampling: the chance that the median of n draws with replacement is at most the k-th smallest value is the
binomial tail P(Binomial(n, k/n) ≥ ⌈n/2⌉) (the median of a resample is taken as its lower median). That is the
limit of infinitely many resamples, so the same data gives the same interval without a random seed, and it
costs O(n log n) per group instead of thousands of resamples.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from postwright.insights.model import Observation

MIN_N = 5  # below this many deliveries a slot says "not enough data": a median of 4 posts is an anecdote
ROLLING = 20  # deliveries in the account's rolling median (about a month at five posts a week)
SETTLED_AGE = timedelta(days=7)
CONFIDENCE = 0.95
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Basis = Literal["rate", "relative"]


@dataclass(frozen=True, slots=True)
class Engagement:
    """Which of a platform's own metric names count as engagements and which as impressions."""

    parts: tuple[str, ...]  # summed into engagements
    impressions: tuple[str, ...] = ()  # the first one present (and > 0) is the denominator
    total: str | None = None  # the platform's own engagement total: used alone when a reading has it
    why: str = ""


# Names as each platform's API spells them, as its reader (platforms/<name>/metrics.py) stores them; a column
# with a prefix ("public_metrics.like_count") is matched on its last dotted segment.
ENGAGEMENT: Mapping[str, Engagement] = {
    # https://docs.x.com/x-api/fundamentals/metrics: public_metrics and, within 30 days, non_public_metrics
    "x": Engagement(
        parts=(
            "like_count",
            "retweet_count",
            "reply_count",
            "quote_count",
            "bookmark_count",
            "url_link_clicks",
        ),
        impressions=("impression_count",),
        why="X counts impressions per post (impression_count); likes, reposts, replies, quotes, "
        "bookmarks and link clicks are what a reader did",
    ),
    # https://docs.bsky.app/docs/api/app-bsky-feed-get-posts (app.bsky.feed.defs#postView)
    "bluesky": Engagement(
        parts=("likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount"),
        why="Bluesky's AppView gives no impressions: relative to the account's rolling median",
    ),
    # https://docs.joinmastodon.org/entities/Status/
    "mastodon": Engagement(
        parts=("favourites_count", "reblogs_count", "replies_count", "quotes_count"),
        why="Mastodon gives no impressions: relative to the account's rolling median",
    ),
    # https://learn.microsoft.com/linkedin/marketing/community-management/organizations/share-statistics
    "linkedin": Engagement(
        parts=("clickCount", "likeCount", "commentCount", "shareCount"),
        impressions=("impressionCount",),
        why="LinkedIn's own engagement is (clicks + likes + comments + shares) / impressions",
    ),
    # https://developers.facebook.com/docs/graph-api/reference/insights#page-posts: post_media_view ("views")
    # replaced post_impressions in 2025; reactions by type are stored summed
    "facebook": Engagement(
        parts=("post_clicks", "post_reactions_by_type_total", "comments", "shares"),
        impressions=("post_media_view", "post_impressions", "post_total_media_view_unique"),
        why="Page post insights count views; clicks, reactions, comments and shares are engagements",
    ),
    # https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
    "instagram": Engagement(
        parts=("likes", "comments", "shares", "saved"),
        impressions=("views", "impressions", "reach"),
        total="total_interactions",
        why="Instagram's total_interactions over views (impressions before 2025, reach where neither)",
    ),
    # https://developers.facebook.com/docs/threads/insights
    "threads": Engagement(
        parts=("likes", "replies", "reposts", "quotes", "shares"),
        impressions=("views",),
        why="Threads counts views per post; likes, replies, reposts, quotes and shares are engagements",
    ),
    # https://developers.pinterest.com/docs/api/v5/pins-analytics
    "pinterest": Engagement(
        parts=("SAVE", "PIN_CLICK", "OUTBOUND_CLICK"),
        impressions=("IMPRESSION",),
        total="ENGAGEMENT",
        why="Pinterest's own ENGAGEMENT (saves and clicks) over IMPRESSION",
    ),
    # https://discord.com/developers/docs/resources/message#reaction-object: a webhook sees reactions only
    "discord": Engagement(
        parts=("reactions",),
        why="Discord shows reactions only, no views: relative to the account's rolling median",
    ),
}
_NO_ENGAGEMENT = Engagement(parts=(), why="no metrics to score by")  # Telegram's bot API has no numbers


@dataclass(frozen=True, slots=True)
class DeliveryScore:
    """One delivery judged by its settled reading."""

    key: str
    post_id: str
    lang: str
    platform: str
    account: str
    local_time: datetime  # scheduled (else published) time in the brand's zone
    engagements: int
    impressions: int | None
    score: float
    basis: Basis

    @property
    def slot(self) -> tuple[int, int]:
        return self.local_time.weekday(), self.local_time.hour


@dataclass(frozen=True, slots=True)
class SlotScore:
    """The statistics of one group of deliveries: a weekday × hour slot of an account, or any other group."""

    platform: str
    account: str
    weekday: int | None  # 0 = Monday; None for a group that is not a slot
    hour: int | None
    n: int
    median: float | None  # None when n == 0
    low: float | None  # the interval; None below MIN_N
    high: float | None
    basis: Basis

    @property
    def enough(self) -> bool:
        return self.n >= MIN_N

    @property
    def label(self) -> str:
        """'Tue 09:00', or '' for a group that is not a slot."""
        if self.weekday is None or self.hour is None:
            return ""
        return f"{WEEKDAYS[self.weekday]} {self.hour:02d}:00"

    def describe(self) -> str:
        """For people: 'median 0.041 [0.030, 0.052], n=12' or 'not enough data (n=3, needs 5)'."""
        if not self.enough or self.median is None:
            return f"not enough data (n={self.n}, needs {MIN_N})"
        return f"median {_number(self.median)} [{_number(self.low)}, {_number(self.high)}], n={self.n}"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def _metric(metrics: Mapping[str, int], name: str) -> int | None:
    if name in metrics:
        return metrics[name]
    dotted = "." + name  # the names in ENGAGEMENT have no dot: a column matches on its last segment
    return next((value for column, value in metrics.items() if column.endswith(dotted)), None)


def engagements(platform: str, metrics: Mapping[str, int]) -> int:
    """What readers did with a post, from the platform's own metric names (ENGAGEMENT)."""
    rule = ENGAGEMENT.get(platform, _NO_ENGAGEMENT)
    if rule.total is not None and (total := _metric(metrics, rule.total)) is not None:
        return total
    return sum(_metric(metrics, name) or 0 for name in rule.parts)


def impressions(platform: str, metrics: Mapping[str, int]) -> int | None:
    """How often the post was seen, where the platform says so; None where it does not."""
    for name in ENGAGEMENT.get(platform, _NO_ENGAGEMENT).impressions:
        value = _metric(metrics, name)
        if value:
            return value
    return None


def settled(observations: Iterable[Observation]) -> dict[str, Observation]:
    """Each delivery's reading to judge it by: the first at or after SETTLED_AGE, else the latest."""
    chosen: dict[str, Observation] = {}
    for row in observations:
        held = chosen.get(row.key)
        if held is None or _better(row, held):
            chosen[row.key] = row
    return chosen


def _better(row: Observation, held: Observation) -> bool:
    row_settled = row.observed - row.published >= SETTLED_AGE
    held_settled = held.observed - held.published >= SETTLED_AGE
    if row_settled != held_settled:
        return row_settled
    return row.observed < held.observed if row_settled else row.observed > held.observed


def delivery_scores(
    observations: Iterable[Observation],
    posts_local_times: Mapping[str, datetime] | None = None,
    zone: tzinfo = UTC,
) -> list[DeliveryScore]:
    """One score per delivery (see the module docstring), sorted by account and time."""
    times = posts_local_times or {}
    by_account: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for row in settled(observations).values():
        by_account[row.platform, row.account].append(row)
    scores: list[DeliveryScore] = []
    for (platform, account), rows in sorted(by_account.items()):
        rows.sort(key=lambda row: (row.published, row.key))
        scores.extend(_account_scores(platform, account, rows, times, zone))
    return scores


def _account_scores(
    platform: str, account: str, rows: list[Observation], times: Mapping[str, datetime], zone: tzinfo
) -> list[DeliveryScore]:
    counts = [engagements(platform, row.metrics) for row in rows]
    seen = [impressions(platform, row.metrics) for row in rows]
    by_rate = all(value is not None for value in seen)
    scores = []
    for index, row in enumerate(rows):
        if by_rate:
            score, basis = counts[index] / seen[index], "rate"  # type: ignore[operator]
        else:
            window = counts[max(0, index - ROLLING + 1) : index + 1]
            score, basis = (counts[index] + 1) / (statistics.median(window) + 1), "relative"
        when = times.get(row.key) or times.get(row.post_id) or row.published
        scores.append(
            DeliveryScore(
                key=row.key,
                post_id=row.post_id,
                lang=row.lang,
                platform=platform,
                account=account,
                local_time=when.astimezone(zone),
                engagements=counts[index],
                impressions=seen[index],
                score=score,
                basis=basis,
            )
        )
    return scores


def slot_scores(
    observations: Iterable[Observation],
    posts_local_times: Mapping[str, datetime] | None = None,
    zone: tzinfo = UTC,
) -> list[SlotScore]:
    """Per platform, account and weekday × hour slot (sorted so): median, interval, n."""
    return slots_of(delivery_scores(observations, posts_local_times, zone))


def slots_of(scores: Iterable[DeliveryScore]) -> list[SlotScore]:
    """`slot_scores` from scores already made (the report makes them once for every view)."""
    groups: dict[tuple[str, str, int, int], list[DeliveryScore]] = defaultdict(list)
    for item in scores:
        groups[(item.platform, item.account, *item.slot)].append(item)
    return [
        _summary(platform, account, weekday, hour, members)
        for (platform, account, weekday, hour), members in sorted(groups.items())
    ]


def slot_summary(scores: Sequence[DeliveryScore]) -> SlotScore:
    """The statistics of any group of scores; platform and account are '' where the group mixes them."""
    platforms = {item.platform for item in scores}
    accounts = {item.account for item in scores}
    return _summary(
        platforms.pop() if len(platforms) == 1 else "",
        accounts.pop() if len(accounts) == 1 else "",
        None,
        None,
        scores,
    )


def _summary(
    platform: str, account: str, weekday: int | None, hour: int | None, members: Sequence[DeliveryScore]
) -> SlotScore:
    values = sorted(item.score for item in members)
    bases = {item.basis for item in members}
    low, high = median_interval(values) if len(values) >= MIN_N else (None, None)
    return SlotScore(
        platform=platform,
        account=account,
        weekday=weekday,
        hour=hour,
        n=len(values),
        median=statistics.median(values) if values else None,
        low=low,
        high=high,
        basis="rate" if bases == {"rate"} else "relative",
    )


def median_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact bootstrap percentile interval of the median of `values` (sorted, non-empty)."""
    ordered = sorted(values)
    low, high = _interval_ranks(len(ordered), confidence)
    return ordered[low - 1], ordered[high - 1]


@functools.cache
def _interval_ranks(n: int, confidence: float) -> tuple[int, int]:
    """The ranks (from 1) of the interval's ends among n sorted values: they depend on n alone, and a
    report asks for the same n hundreds of times (every slot with a year of weekly posts)."""
    needed = (n + 1) // 2  # the lower median of n draws is at most x_k when at least this many are ≤ x_k
    tail = (1 - confidence) / 2
    return _first_k(needed, n, tail), _first_k(needed, n, 1 - tail)


def _first_k(needed: int, n: int, target: float) -> int:
    """The smallest k with P(lower median of a resample ≤ x_k) ≥ target: a binary search, the chance grows
    with k, so a group of thousands (a tag over a year) costs milliseconds."""
    low, high = 1, n
    while low < high:
        middle = (low + high) // 2
        if _at_least(needed, n, middle / n) >= target:
            high = middle
        else:
            low = middle + 1
    return low


def _at_least(m: int, n: int, p: float) -> float:
    """P(Binomial(n, p) ≥ m), summed in log space so large n does not overflow."""
    if p >= 1:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for j in range(m, n + 1):
        total += math.exp(
            math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) + j * log_p + (n - j) * log_q
        )
    return min(total, 1.0)


def clears(candidate: SlotScore, current: SlotScore) -> bool:
    """Whether the candidate slot is better beyond doubt: its interval lies wholly above the current one's."""
    if not (candidate.enough and current.enough) or candidate.basis != current.basis:
        return False
    if (candidate.platform, candidate.account) != (current.platform, current.account):
        return False
    assert candidate.low is not None and current.high is not None  # enough data means an interval
    return candidate.low > current.high
