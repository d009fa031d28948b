"""Conversions from the brand's web analytics, in state/conversions/<YYYY-MM>.csv (`metrics conversions`).

Three sources, each giving per day, utm_campaign and utm_content the visits, conversions and revenue:
Plausible Stats API v2, the GA4 Data API, and CSV files the brand drops into conversions/ (any other
analytics or shop). Only aggregates are stored: no visitor, order or person is ever in these files.

A pull replaces a source's rows for the days it asked about (the days the API answered for; for the CSV
files, the days from their first date to their last) and rewrites only the month files that changed,
atomically, sorted, so the same data gives the same bytes and a diff shows what a day's numbers became.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from postwright.config import Config
from postwright.credentials import redact
from postwright.files import replace_file
from postwright.platforms.base import Lazy

FOLDER = Path("state") / "conversions"
COLUMNS = ("date", "source", "utm_campaign", "utm_content", "visits", "conversions", "revenue", "currency")
DROP_IN_COLUMNS = ("date", "utm_campaign", "utm_content", "visits", "conversions", "revenue", "currency")
_REQUIRED_DROP_IN = ("date", "utm_campaign")
_ANALYTICS = "postwright.insights.analytics"  # the readers that ask Plausible and GA4 over HTTP


class ConversionsError(Exception):
    """A source or a stored file cannot be read: the message says where and how to fix it."""


@dataclass(frozen=True, slots=True, order=True)
class Conversion:
    """One day's aggregate for one utm_campaign and utm_content from one source."""

    day: date
    source: str  # plausible | ga4 | csv
    campaign: str  # utm_campaign as the analytics recorded it
    content: str  # utm_content ("" where the link had none)
    visits: int
    conversions: int
    revenue: float
    currency: str  # ISO 4217 as the source reported it; "" where it reported no revenue


@dataclass(frozen=True, slots=True)
class Pulled:
    """What one source gave: its rows for days first..last (inclusive), or why it gave nothing."""

    source: str
    rows: tuple[Conversion, ...]
    first: date | None  # the days whose stored rows of this source it replaces; None: none (no CSV rows)
    last: date | None
    error: str | None = None


# reading and writing the store


def read_conversions(root: Path, since: date | None = None) -> Iterator[Conversion]:
    """Every stored row (from `since` on), month by month; a damaged row is a ConversionsError naming it."""
    folder = root / FOLDER
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].csv")):
        if since is not None and path.stem < f"{since:%Y-%m}":
            continue
        for row in _read_month(path, root):
            if since is None or row.day >= since:
                yield row


def _read_month(path: Path, root: Path) -> list[Conversion]:
    shown = path.relative_to(root).as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConversionsError(f"{shown}: cannot be read ({error})") from None
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ConversionsError(
            f"{shown}:1: the header should be {','.join(COLUMNS)}; restore the file from git "
            "(`git checkout -- state/conversions`) or delete it and pull again"
        )
    rows = []
    for record in reader:
        try:
            rows.append(_stored(record))
        except (ValueError, TypeError) as error:
            raise ConversionsError(
                f"{shown}:{reader.line_num}: {error}; restore the file from git or delete it and pull again"
            ) from None
    return rows


def _stored(record: Mapping[str, str | None]) -> Conversion:
    if None in record.values() or None in record:
        raise ValueError("the row has a different number of cells than the header")
    return Conversion(
        day=date.fromisoformat(record["date"] or ""),
        source=record["source"] or "",
        campaign=record["utm_campaign"] or "",
        content=record["utm_content"] or "",
        visits=_count(record["visits"], "visits"),
        conversions=_count(record["conversions"], "conversions"),
        revenue=_amount(record["revenue"]),
        currency=record["currency"] or "",
    )


def store(root: Path, pulled: Iterable[Pulled]) -> list[Path]:
    """Replace each answered source's rows for its days; rewrite the months that changed. Returns them."""
    answered = [item for item in pulled if item.error is None]
    if not answered:
        return []
    kept = [row for row in read_conversions(root) if not any(_replaced(row, item) for item in answered)]
    rows = sorted({*kept, *(row for item in answered for row in item.rows)})
    by_month: dict[str, list[Conversion]] = {}
    for row in rows:
        by_month.setdefault(f"{row.day:%Y-%m}", []).append(row)
    folder = root / FOLDER
    existing = (
        {path.stem for path in folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].csv")}
        if folder.is_dir()
        else set()
    )
    written = []
    for month in sorted(existing | by_month.keys()):
        path = folder / f"{month}.csv"
        if month not in by_month:
            path.unlink()
            written.append(path)
            continue
        data = _month_bytes(by_month[month])
        if not path.is_file() or path.read_bytes() != data:
            replace_file(path, data)
            written.append(path)
    return written


def _replaced(row: Conversion, item: Pulled) -> bool:
    if row.source != item.source or item.first is None or item.last is None:
        return False
    return item.first <= row.day <= item.last


def _month_bytes(rows: list[Conversion]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.day.isoformat(),
                row.source,
                row.campaign,
                row.content,
                row.visits,
                row.conversions,
                f"{row.revenue:.2f}",
                row.currency,
            ]
        )
    return out.getvalue().encode("utf-8")


# the sources


def has_source(root: Path, config: Config) -> bool:
    """Whether there is anything to import: Plausible or GA4 in config.yml, or a CSV file dropped in."""
    if config.conversions.plausible is not None or config.conversions.ga4 is not None:
        return True
    folder = root / config.conversions.csv
    return folder.is_dir() and any(folder.glob("*.csv"))


def pull(
    root: Path,
    config: Config,
    first: date,
    last: date,
    environ: Mapping[str, str] = os.environ,
) -> list[Pulled]:
    """Read every configured source; a source that fails is reported in its Pulled and changes nothing."""
    results = [read_drop_in(root, config.conversions.csv)]
    for source, settings in (("plausible", config.conversions.plausible), ("ga4", config.conversions.ga4)):
        if settings is not None:
            results.append(_asked(source, settings, first, last, environ))
    return results


def _asked(source: str, settings: object, first: date, last: date, environ: Mapping[str, str]) -> Pulled:
    """analytics.plausible or analytics.ga4, imported only now: HTTP is for the command that asks."""
    try:
        rows = Lazy(_ANALYTICS, source)(settings, first, last, environ)
    except ConversionsError as error:
        return Pulled(source, (), first, last, error=redact(str(error)))
    return Pulled(source, tuple(rows), first, last)


def read_drop_in(root: Path, folder_name: str) -> Pulled:
    """conversions/*.csv: every file, every row; a bad cell is reported with its file and line, and then
    nothing of the CSV source changes (half a file's numbers would be worse than last run's). The files
    replace the stored CSV rows of the days they cover, first to last, and no others: a brand that keeps
    only this month's export, or moves the folder, keeps the history already imported."""
    folder = root / folder_name
    rows: list[Conversion] = []
    try:
        for path in sorted(folder.glob("*.csv")) if folder.is_dir() else ():
            rows.extend(_drop_in_file(path, root))
    except ConversionsError as error:
        return Pulled("csv", (), None, None, error=str(error))
    days = [row.day for row in rows]
    return Pulled("csv", tuple(summed(rows)), min(days, default=None), max(days, default=None))


def _drop_in_file(path: Path, root: Path) -> list[Conversion]:
    shown = path.relative_to(root).as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's export often starts with a BOM
    except (OSError, UnicodeDecodeError) as error:
        raise ConversionsError(f"{shown}: cannot be read ({error}); save it as UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or ()]
    unknown = [name for name in header if name not in DROP_IN_COLUMNS]
    missing = [name for name in _REQUIRED_DROP_IN if name not in header]
    if unknown or missing:
        problem = f"unknown column '{unknown[0]}'" if unknown else f"no '{missing[0]}' column"
        raise ConversionsError(f"{shown}:1: {problem}; the columns are {', '.join(DROP_IN_COLUMNS)}")
    reader.fieldnames = header
    rows = []
    for record in reader:
        try:
            rows.append(_drop_in_row(record))
        except (ValueError, TypeError) as error:
            raise ConversionsError(f"{shown}:{reader.line_num}: {error}") from None
    return rows


def _drop_in_row(record: Mapping[str, str | None]) -> Conversion:
    if None in record:
        raise ValueError("the row has more cells than the header")
    cell = {name: (value or "").strip() for name, value in record.items()}
    try:
        day = date.fromisoformat(cell["date"])
    except ValueError:
        raise ValueError(f"date '{cell['date']}' is not a date such as 2026-12-01") from None
    if not cell["utm_campaign"]:
        raise ValueError("utm_campaign is empty: the row cannot be joined to a post")
    return Conversion(
        day=day,
        source="csv",
        campaign=cell["utm_campaign"],
        content=cell.get("utm_content", ""),
        visits=_count(cell.get("visits", ""), "visits"),
        conversions=_count(cell.get("conversions", ""), "conversions"),
        revenue=_amount(cell.get("revenue", "")),
        currency=cell.get("currency", "").upper(),
    )


def summed(rows: Iterable[Conversion]) -> list[Conversion]:
    """One row per day, source, campaign and content (a CSV may list a day twice, GA4 may split content)."""
    totals: dict[tuple[date, str, str, str], Conversion] = {}
    for row in rows:
        key = (row.day, row.source, row.campaign, row.content)
        held = totals.get(key)
        if held is not None:
            row = Conversion(
                row.day,
                row.source,
                row.campaign,
                row.content,
                held.visits + row.visits,
                held.conversions + row.conversions,
                held.revenue + row.revenue,
                held.currency or row.currency,
            )
        totals[key] = row
    return sorted(totals.values())


def _count(text: str | None, name: str) -> int:
    text = (text or "").strip()
    if not text:
        return 0
    if not text.isdigit():
        raise ValueError(f"{name} '{text}' is not a whole number")
    return int(text)


def _amount(text: str | None) -> float:
    text = (text or "").strip()
    if not text:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"revenue '{text}' is not a number such as 49.90") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"revenue '{text}' is not a number such as 49.90")
    return value
