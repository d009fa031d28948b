"""Best times from the brand's own history: scores, settled readings, slot statistics and `clears`."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from postwright.insights.best_time import (
    MIN_N,
    SlotScore,
    clears,
    delivery_scores,
    engagements,
    impressions,
    median_interval,
    settled,
    slot_scores,
)
from postwright.insights.model import Observation

MADRID = ZoneInfo("Europe/Madrid")


def _row(post_id: str, account: str, platform: str, published: datetime, age_h: float, **metrics: int):
    return Observation(
        key=f"{post_id}.en/{account}",
        post_id=post_id,
        lang="en",
        account=account,
        platform=platform,
        published=published,
        observed=published + timedelta(hours=age_h),
        metrics=metrics,
    )


def test_engagements_and_impressions_use_each_platforms_own_names():
    assert engagements("mastodon", {"favourites_count": 3, "reblogs_count": 2, "replies_count": 1}) == 6
    assert impressions("mastodon", {"favourites_count": 3}) is None
    x = {
        "public_metrics.like_count": 4,
        "public_metrics.retweet_count": 1,
        "public_metrics.impression_count": 50,
    }
    assert engagements("x", x) == 5
    assert impressions("x", x) == 50
    # a platform's own total wins over the parts it is made of
    assert engagements("pinterest", {"ENGAGEMENT": 9, "SAVE": 2, "PIN_CLICK": 3}) == 9
    assert engagements("telegram", {"anything": 5}) == 0


def test_settled_reading_is_the_first_at_or_after_seven_days_else_the_latest():
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    rows = [
        _row("a", "m", "mastodon", start, hours, favourites_count=hours) for hours in (1, 24, 168, 720, 2136)
    ]
    assert settled(rows)["a.en/m"].metrics["favourites_count"] == 168
    young = [_row("b", "m", "mastodon", start, hours, favourites_count=hours) for hours in (1, 24, 72)]
    assert settled(reversed(young))["b.en/m"].metrics["favourites_count"] == 72


def test_rate_where_impressions_exist_relative_median_elsewhere():
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    x_rows = [_row("a", "x_main", "x", start, 200, like_count=5, impression_count=100)]
    scored = delivery_scores(x_rows)
    assert (scored[0].basis, scored[0].score) == ("rate", 0.05)
    counts = [0, 4, 4, 10]
    m_rows = [
        _row(f"p{i}", "m", "mastodon", start + timedelta(days=i), 200, favourites_count=count)
        for i, count in enumerate(counts)
    ]
    by_key = {item.post_id: item for item in delivery_scores(m_rows)}
    assert by_key["p0"].score == 1.0  # the first post is the account's median
    assert by_key["p3"].score == pytest.approx((10 + 1) / (statistics.median(counts) + 1))
    assert {item.basis for item in by_key.values()} == {"relative"}


def test_slots_are_in_the_brands_zone_from_the_scheduled_time():
    published = datetime(2026, 11, 3, 8, 2, tzinfo=UTC)  # Tuesday 09:02 in Madrid
    rows = [_row("a", "m", "mastodon", published, 200, favourites_count=1)]
    (slot,) = slot_scores(rows, zone=MADRID)
    assert (slot.weekday, slot.hour, slot.label) == (1, 9, "Tue 09:00")
    scheduled = {"a": datetime(2026, 11, 3, 7, 59, tzinfo=UTC)}  # the post's own time: 08:59 in Madrid
    (slot,) = slot_scores(rows, scheduled, MADRID)
    assert slot.hour == 8


def test_not_enough_data_below_min_n_and_an_interval_from_it():
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)  # Mondays at 09:00
    rows = [
        _row(
            f"p{week}",
            "x_main",
            "x",
            start + timedelta(weeks=week),
            200,
            like_count=week,
            impression_count=100,
        )
        for week in range(MIN_N - 1)
    ]
    (slot,) = slot_scores(rows)
    assert (slot.n, slot.enough, slot.low, slot.high) == (MIN_N - 1, False, None, None)
    assert slot.describe() == f"not enough data (n={MIN_N - 1}, needs {MIN_N})"
    rows.append(
        _row("last", "x_main", "x", start + timedelta(weeks=9), 200, like_count=9, impression_count=100)
    )
    (slot,) = slot_scores(rows)
    assert slot.enough and slot.low <= slot.median <= slot.high
    assert slot.describe().startswith("median 0.02 [")


def test_the_exact_interval_is_what_many_resamples_find():
    """The exact bootstrap interval agrees with a brute-force resampling bootstrap of the lower median."""
    draw = random.Random(7)
    values = sorted(draw.lognormvariate(0, 1) for _ in range(31))
    medians = sorted(statistics.median_low(draw.choices(values, k=31)) for _ in range(20_000))
    low, high = median_interval(values)
    assert values.index(low) == pytest.approx(values.index(medians[500]), abs=1)
    assert values.index(high) == pytest.approx(values.index(medians[19_499]), abs=1)
    assert median_interval(values) == median_interval(list(reversed(values)))  # deterministic, order-free


def _slot(low: float | None, high: float | None, n: int = MIN_N, **changes) -> SlotScore:
    fields = dict(platform="x", account="x_main", weekday=0, hour=9, n=n, median=0.0, low=low, high=high)
    fields["basis"] = "rate"
    fields.update(changes)
    return SlotScore(**fields)


def test_clears_only_when_the_candidates_interval_is_wholly_above():
    current = _slot(0.01, 0.03)
    assert clears(_slot(0.031, 0.05), current)
    assert not clears(_slot(0.03, 0.05), current)  # touching is not clearing
    assert not clears(_slot(0.02, 0.05), current)
    assert not clears(_slot(None, None, n=MIN_N - 1), current)
    assert not clears(_slot(0.05, 0.06, basis="relative"), current)
    assert not clears(_slot(0.05, 0.06, account="x_es"), current)
