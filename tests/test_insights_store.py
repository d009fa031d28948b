"""state/metrics/: rows read back as written, only changes stored, atomic rewrites, located errors,
compaction to settled points, and the size budget of a year."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postwright import files
from postwright.insights import store
from postwright.insights.best_time import SETTLED_AGE, settled
from postwright.insights.model import AccountObservation, Observation

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def reading(hours: float, metrics: dict[str, int], key: str = "2026-12-01-launch.en/mastodon_main"):
    post_id, rest = key.split(".", 1)
    lang, account = rest.split("/")
    return Observation(key, post_id, lang, account, "mastodon", T0, T0 + timedelta(hours=hours), metrics)


def test_readings_round_trip_with_fixed_columns_then_the_platforms_names(tmp_path: Path) -> None:
    written = store.store_observations(
        tmp_path,
        [reading(1, {"favourites_count": 2, "reblogs_count": 1}), reading(6, {"favourites_count": 5})],
    )
    path = tmp_path / "state/metrics/mastodon/2026-12.csv"
    assert written == 2
    assert path.read_text() == (
        "post_id,lang,account,published,observed,favourites_count,reblogs_count\n"
        "2026-12-01-launch,en,mastodon_main,2026-12-01T09:00:00Z,2026-12-01T10:00:00Z,2,1\n"
        "2026-12-01-launch,en,mastodon_main,2026-12-01T09:00:00Z,2026-12-01T15:00:00Z,5,\n"
    )
    back = list(store.read_observations(tmp_path))
    assert back == [
        reading(1, {"favourites_count": 2, "reblogs_count": 1}),
        reading(6, {"favourites_count": 5}),
    ]
    assert back[1].age_hours == 6


def test_an_unchanged_reading_moves_the_latest_row_forward_instead_of_adding_one(tmp_path: Path) -> None:
    store.store_observations(tmp_path, [reading(1, {"favourites_count": 2})])
    assert store.store_observations(tmp_path, [reading(24, {"favourites_count": 2})]) == 1
    assert [row.observed for row in store.read_observations(tmp_path)] == [T0 + timedelta(hours=24)]
    path = tmp_path / "state/metrics/mastodon/2026-12.csv"
    before = path.stat().st_mtime_ns
    assert store.store_observations(tmp_path, [reading(24, {"favourites_count": 2})]) == 0
    assert path.stat().st_mtime_ns == before  # nothing new: not rewritten


def test_same_inputs_give_the_same_bytes_whatever_the_order(tmp_path: Path) -> None:
    rows = [reading(h, {"favourites_count": h}, key) for h in (1, 6, 24) for key in ("b.en/m", "a.en/m")]
    store.store_observations(tmp_path / "one", rows)
    store.store_observations(tmp_path / "two", list(reversed(rows)))
    one = (tmp_path / "one/state/metrics/mastodon/2026-12.csv").read_bytes()
    assert one == (tmp_path / "two/state/metrics/mastodon/2026-12.csv").read_bytes()


def test_since_filters_by_publication_and_skips_earlier_months(tmp_path: Path) -> None:
    old = Observation("o.en/m", "o", "en", "m", "mastodon", T0 - timedelta(days=60), T0, {"x": 1})
    store.store_observations(tmp_path, [old, reading(1, {"x": 2})])
    (tmp_path / "state/metrics/mastodon/2026-10.csv").write_text("garbage\n")  # never opened
    assert [row.key for row in store.read_observations(tmp_path, since=T0)] == [reading(1, {}).key]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("post_id,lang\n", ":1: the header must start"),
        ("post_id,lang,account,published,observed,likes\na,en,m,2026-12-01T09:00:00Z,x,1\n", ":2: "),
        ("post_id,lang,account,published,observed,likes\na,en,m,2026-12-01T09:00:00Z\n", ":2: 4 cells"),
        (
            "post_id,lang,account,published,observed,likes\n"
            "a,en,m,2026-12-01T09:00:00Z,2026-12-01T10:00:00Z,1\n"
            "a,en,m,2026-12-01T09:00:00Z,2026-12-01T11:00:00Z,lots\n",
            ":3: likes is 'lots'",
        ),
        (
            "post_id,lang,account,published,observed\na,en,m,2026-12-01T09:00:00Z,2026-12-0",
            ":2: the last line",
        ),
        (
            "post_id,lang,account,published,observed\n,en,m,2026-12-01T09:00:00Z,2026-12-01T10:00:00Z\n",
            ":2: post_id",
        ),
        ('post_id,lang,account,published,observed\n"a,en,m,x,y\n', ":2: not valid CSV"),
    ],
)
def test_a_damaged_file_is_an_error_at_its_line_and_is_never_rewritten(tmp_path, text, where) -> None:
    path = tmp_path / "state/metrics/mastodon/2026-12.csv"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(store.StoreError, match=f"2026-12.csv{where}"):
        list(store.read_observations(tmp_path))
    with pytest.raises(store.StoreError, match=f"2026-12.csv{where}"):
        store.read_settled(tmp_path, SETTLED_AGE)
    with pytest.raises(store.StoreError):
        store.store_observations(tmp_path, [reading(1, {"likes": 3})])
    assert path.read_text() == text


def _aged_readings(seed: int) -> list[Observation]:
    """Deliveries on two platforms over three months, each read at a random set of ages around 7 d."""
    draw = random.Random(seed)
    rows = []
    for day in range(0, 80, 3):
        for account, platform in (("m", "mastodon"), ("x", "x")):
            published = T0 - timedelta(days=90 - day, hours=draw.randint(0, 12))
            post_id = f"{published:%Y-%m-%d-%H%M}-fix"
            for hours in sorted(
                draw.sample((1, 6, 24, 100, 167, 168, 169, 400, 720, 2136), draw.randint(1, 6))
            ):
                rows.append(
                    Observation(
                        f"{post_id}.en/{account}",
                        post_id,
                        "en",
                        account,
                        platform,
                        published,
                        published + timedelta(hours=hours),
                        {"likes": hours + draw.randint(0, 3), "views": draw.choice((0, 10 * hours))},
                    )
                )
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_read_settled_gives_what_settled_chooses_from_every_row(tmp_path: Path, seed: int) -> None:
    """The report's reader makes best_time.settled's choice while reading, with `since` and `until`."""
    store.store_observations(tmp_path, _aged_readings(seed))
    since, until = T0 - timedelta(days=60), T0 - timedelta(days=20)
    for first, last in ((None, None), (since, None), (None, until), (since, until)):
        every = [
            row for row in store.read_observations(tmp_path, first) if last is None or row.observed <= last
        ]
        assert store.read_settled(tmp_path, SETTLED_AGE, first, last) == list(settled(every).values())


def test_read_settled_does_not_rely_on_the_order_or_plain_cells_of_a_file(tmp_path: Path) -> None:
    """A file edited by hand, rows shuffled and a cell quoted (read with the csv module, not split at
    commas), gives the same choices."""
    store.store_observations(tmp_path, _aged_readings(4))
    expected = store.read_settled(tmp_path, SETTLED_AGE)
    for path in (tmp_path / "state/metrics").rglob("*.csv"):
        header, *rows = path.read_text().splitlines(keepends=True)
        random.Random(5).shuffle(rows)
        path.write_text(header + "".join(rows).replace(",en,", ',"en",', 1))
    assert sorted(store.read_settled(tmp_path, SETTLED_AGE), key=lambda row: row.key) == sorted(
        expected, key=lambda row: row.key
    )


def test_read_settled_parses_the_numbers_of_the_rows_it_keeps_only(tmp_path: Path) -> None:
    """Times and layout are checked in every row; numbers in the row chosen (the others when the file is
    next rewritten, which reads them all)."""
    path = tmp_path / "state/metrics/mastodon/2026-12.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "post_id,lang,account,published,observed,likes\n"
        "a,en,m,2026-12-01T09:00:00Z,2026-12-01T10:00:00Z,lots\n"
        "a,en,m,2026-12-01T09:00:00Z,2026-12-09T10:00:00Z,7\n"
    )
    (chosen,) = store.read_settled(tmp_path, SETTLED_AGE)
    assert (chosen.metrics, chosen.platform, chosen.key) == ({"likes": 7}, "mastodon", "a.en/m")
    with pytest.raises(store.StoreError, match=r"2026-12\.csv:2: likes is 'lots'"):
        store.read_settled(tmp_path, SETTLED_AGE, until=datetime(2026, 12, 2, tzinfo=UTC))


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch) -> None:
    store.store_observations(tmp_path, [reading(1, {"favourites_count": 1})])
    path = tmp_path / "state/metrics/mastodon/2026-12.csv"
    before = path.read_bytes()

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full_disk)  # the one durable replace all of state/ uses
    with pytest.raises(OSError):
        store.store_observations(tmp_path, [reading(6, {"favourites_count": 9})])
    assert path.read_bytes() == before
    assert [entry.name for entry in path.parent.iterdir()] == ["2026-12.csv"]  # no temp file left


def test_account_series_one_row_a_day_with_audience_as_json(tmp_path: Path) -> None:
    morning = AccountObservation(
        "m", "mastodon", T0, {"followers_count": 10}, {"country": {"ES": 3, "AR": 1}}
    )
    evening = AccountObservation("m", "mastodon", T0 + timedelta(hours=8), {"followers_count": 12})
    assert store.store_accounts(tmp_path, [morning]) == 1
    assert store.store_accounts(tmp_path, [evening]) == 1
    text = (tmp_path / "state/metrics/mastodon/accounts-2026.csv").read_text()
    assert text == "account,observed,followers_count,audience\nm,2026-12-01T17:00:00Z,12,\n"
    store.store_accounts(tmp_path, [morning])
    assert list(store.read_accounts(tmp_path)) == [morning]
    assert (
        '"{""country"":{""AR"":1,""ES"":3}}"'
        in (tmp_path / "state/metrics/mastodon/accounts-2026.csv").read_text()
    )
    assert list(store.read_accounts(tmp_path, since=T0 + timedelta(days=1))) == []


def test_compaction_keeps_the_settled_points_of_deliveries_past_their_30_day_reading(tmp_path) -> None:
    hours = (1, 6, 24, 72, 168, 720)
    store.store_observations(tmp_path, [reading(h, {"favourites_count": h}) for h in hours])
    assert store.compact(tmp_path, T0 + timedelta(days=30, hours=1)) == 0  # the 30-day reading just in
    assert store.compact(tmp_path, T0 + timedelta(days=31)) == 3
    assert [row.age_hours for row in store.read_observations(tmp_path)] == [24, 168, 720]
    store.store_observations(tmp_path, [reading(2136, {"favourites_count": 2136})])
    assert store.compact(tmp_path, datetime(2027, 4, 1, tzinfo=UTC)) == 0
    assert [row.age_hours for row in store.read_observations(tmp_path)] == [24, 168, 720, 2136]


def test_failures_are_kept_with_their_reason_until_cleared(tmp_path: Path) -> None:
    failure = store.StoredFailure("a.en/m", "mastodon", T0, "429 rate limited, try later")
    store.write_failures(tmp_path, {failure.key: failure})
    assert store.read_failures(tmp_path) == {"a.en/m": failure}
    store.write_failures(tmp_path, {})
    assert not store.failures_file(tmp_path).exists()


def _engagement(total: int, hours: float) -> int:
    """A post's count at an age: most of it in the first day, as engagement usually goes."""
    return round(total * (1 - math.exp(-hours / 8)))


def test_a_year_of_five_posts_a_day_on_six_platforms_fits_in_three_megabytes(tmp_path: Path) -> None:
    """The issue's budget, computed: every delivery read at every age band the way `metrics pull` does
    (the readings stored a month at a time, compacted after each), then the bytes on disk counted."""
    platforms = ("x", "bluesky", "mastodon", "linkedin", "instagram", "threads")
    ages = (1, 6, 24, 72, 168, 720, 2136)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=365)
    pending: dict[datetime, list[Observation]] = {}
    for day in range(365):
        for slot in range(5):
            published = start + timedelta(days=day, hours=8 + 2 * slot)
            post_id = f"{published:%Y-%m-%d}-repair-cafe-news-{slot}"  # 28 characters, as the example's
            for number, platform in enumerate(platforms):
                key = f"{post_id}.en/{platform}_main"
                size = 20 + (day * 7 + slot * 13 + number * 5) % 400
                for age in ages:
                    observed = published + timedelta(hours=age)
                    if observed < end:
                        counts = {
                            "likes": _engagement(size, age),
                            "reposts": _engagement(size // 5, age),
                            "replies": _engagement(size // 10, age),
                            "impressions": _engagement(size * 40, age),
                        }
                        month = observed.replace(day=1, hour=0, minute=0, second=0)
                        pending.setdefault(month, []).append(
                            Observation(
                                key, post_id, "en", f"{platform}_main", platform, published, observed, counts
                            )
                        )
    for month in sorted(pending):
        store.store_observations(tmp_path, pending[month])
        store.compact(tmp_path, min((month + timedelta(days=32)).replace(day=1), end))
    size = sum(path.stat().st_size for path in (tmp_path / "state/metrics").rglob("*.csv"))
    rows = sum(1 for _ in store.read_observations(tmp_path))
    print(f"a year: {size:,} bytes in {rows:,} rows")
    assert size <= 3_000_000
