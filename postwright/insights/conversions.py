"""Conversions from the brand's web analytics, in state/conversions/<YYYY-MM>.csv (`metrics conversions`).

Three sources, each giving per day, utm_campaign and utm_content the visits, conversions and revenue:
Plausible Stats API v2, the GA4 Data API, and CSV files the brand drops into conversions/ (any other
analytics or shop). Only aggregates are stored: no visitor, order or person is ever in these files.

A pull replaces a source's rows for the days it asked about (the days the API answered for; every row of
the CSV files, which are the whole truth of their source) and rewrites only the month files that changed,
atomically, sorted, so the same data gives the same bytes and a diff shows what a day's numbers became.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from postwright.config import Config, Ga4, Plausible
from postwright.credentials import redact, remember

FOLDER = Path("state") / "conversions"
COLUMNS = ("date", "source", "utm_campaign", "utm_content", "visits", "conversions", "revenue", "currency")
DROP_IN_COLUMNS = ("date", "utm_campaign", "utm_content", "visits", "conversions", "revenue", "currency")
_REQUIRED_DROP_IN = ("date", "utm_campaign")
# https://plausible.io/docs/stats-api ("pagination": default and largest limit 10000)
PLAUSIBLE_PAGE = 10_000
# https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport
# ("limit": at most 250,000 rows per request); 100,000 keeps one answer's memory modest
GA4_PAGE = 100_000
_NOT_SET = {"", "(not set)", "(none)", "(direct)", "(organic)", "(referral)"}  # GA4's and Plausible's fillers


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
    first: date | None  # None: every day (the CSV files)
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
            _replace(path, data)
            written.append(path)
    return written


def _replaced(row: Conversion, item: Pulled) -> bool:
    if row.source != item.source:
        return False
    return (item.first is None or row.day >= item.first) and (item.last is None or row.day <= item.last)


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


def _replace(path: Path, data: bytes) -> None:
    """Write beside, fsync, rename: a crash leaves the old month or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# the sources


def pull(
    root: Path,
    config: Config,
    first: date,
    last: date,
    environ: Mapping[str, str] = os.environ,
) -> list[Pulled]:
    """Read every configured source; a source that fails is reported in its Pulled and changes nothing."""
    results = [read_drop_in(root, config.conversions.csv)]
    if config.conversions.plausible is not None:
        results.append(
            _guarded(
                "plausible",
                first,
                last,
                lambda: plausible(config.conversions.plausible, first, last, environ),
            )
        )
    if config.conversions.ga4 is not None:
        results.append(
            _guarded("ga4", first, last, lambda: ga4(config.conversions.ga4, first, last, environ))
        )
    return results


def _guarded(source: str, first: date, last: date, read: Any) -> Pulled:
    try:
        return Pulled(source, tuple(read()), first, last)
    except ConversionsError as error:
        return Pulled(source, (), first, last, error=redact(str(error)))


def read_drop_in(root: Path, folder_name: str) -> Pulled:
    """conversions/*.csv: every file, every row; a bad cell is reported with its file and line, and then
    nothing of the CSV source changes (half a file's numbers would be worse than last run's)."""
    folder = root / folder_name
    rows: list[Conversion] = []
    try:
        for path in sorted(folder.glob("*.csv")) if folder.is_dir() else ():
            rows.extend(_drop_in_file(path, root))
    except ConversionsError as error:
        return Pulled("csv", (), None, None, error=str(error))
    return Pulled("csv", tuple(_summed(rows)), None, None)


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


def plausible(settings: Plausible, first: date, last: date, environ: Mapping[str, str]) -> list[Conversion]:
    """Two queries (https://plausible.io/docs/stats-api): visits by day × utm_campaign × utm_content, then
    the goals' conversions (`events` under an event:goal filter are the dashboard's "total conversions")
    and `total_revenue` (null unless they are revenue goals) by the same dimensions."""
    key = _secret(environ, settings.key, "a Plausible Stats API key")
    dimensions = ["time:day", "visit:utm_campaign", "visit:utm_content"]
    base = {
        "site_id": settings.site_id,
        "date_range": [first.isoformat(), last.isoformat()],
        "dimensions": dimensions,
    }
    tagged = ["is_not", "visit:utm_campaign", [""]]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=settings.url, headers=headers, timeout=60) as client:
        visits = _plausible_rows(client, {**base, "metrics": ["visits"], "filters": [tagged]})
        goals = _plausible_rows(
            client,
            {
                **base,
                "metrics": ["events", "total_revenue"],
                "filters": [tagged, ["is", "event:goal", list(settings.goals)]],
            },
        )
    joined: dict[tuple[str, str, str], list[Any]] = {}
    for dims, metrics in visits:
        joined.setdefault(tuple(dims), [0, 0, 0.0, ""])[0] = _whole(metrics[0])
    for dims, metrics in goals:
        held = joined.setdefault(tuple(dims), [0, 0, 0.0, ""])
        held[1] = _whole(metrics[0])
        revenue = metrics[1]
        if isinstance(revenue, dict):  # {"value": 500.2, "currency": "EUR", "short": …, "long": …}
            held[2], held[3] = float(revenue.get("value") or 0), str(revenue.get("currency") or "")
    return _summed(
        Conversion(
            date.fromisoformat(day[:10]),
            "plausible",
            campaign,
            content or "",
            visits,
            conversions,
            revenue,
            currency,
        )
        for (day, campaign, content), (visits, conversions, revenue, currency) in joined.items()
        if campaign not in _NOT_SET
    )


def _plausible_rows(client: httpx.Client, query: dict[str, Any]) -> list[tuple[list[str], list[Any]]]:
    rows: list[tuple[list[str], list[Any]]] = []
    while True:
        page = {**query, "pagination": {"limit": PLAUSIBLE_PAGE, "offset": len(rows)}}
        body = _post(client, "/api/v2/query", page, "Plausible")
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise ConversionsError(
                "Plausible: the answer has no results list (is the url a Plausible server?)"
            )
        for result in results:
            dims, metrics = result.get("dimensions"), result.get("metrics")
            if not (isinstance(dims, list) and len(dims) == 3 and isinstance(metrics, list) and metrics):
                raise ConversionsError(f"Plausible: a result is not shaped as asked: {str(result)[:200]}")
            rows.append(([str(value) for value in dims], metrics))
        if len(results) < PLAUSIBLE_PAGE:
            return rows


def ga4(settings: Ga4, first: date, last: date, environ: Mapping[str, str]) -> list[Conversion]:
    """properties/{id}:runReport (https://developers.google.com/analytics/devguides/reporting/data/v1/rest/
    v1beta/properties/runReport) with date, sessionCampaignName (utm_campaign) and sessionManualAdContent
    (utm_content); sessions, keyEvents and totalRevenue (names from
    https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema), paged by offset."""
    token = _secret(environ, settings.token, "a Google OAuth access token (analytics.readonly)")
    request = {
        "dateRanges": [{"startDate": first.isoformat(), "endDate": last.isoformat()}],
        "dimensions": [{"name": "date"}, {"name": "sessionCampaignName"}, {"name": "sessionManualAdContent"}],
        "metrics": [{"name": "sessions"}, {"name": "keyEvents"}, {"name": "totalRevenue"}],
        "limit": GA4_PAGE,
    }
    rows: list[Conversion] = []
    seen = 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=settings.url, headers=headers, timeout=60) as client:
        while True:
            body = _post(
                client,
                f"/v1beta/properties/{settings.property}:runReport",
                {**request, "offset": seen},
                "GA4",
            )
            page = body.get("rows", []) if isinstance(body, dict) else None  # no rows: the key is absent
            currency = (
                str(((body.get("metadata") or {}).get("currencyCode")) or "")
                if isinstance(body, dict)
                else ""
            )
            if not isinstance(page, list):
                raise ConversionsError("GA4: the answer has no rows list (is the url the Data API?)")
            rows.extend(_ga4_row(row, currency) for row in page)
            seen += len(page)
            total = body.get("rowCount", 0)
            if not page or not isinstance(total, int) or seen >= total:
                break
    return _summed(row for row in rows if row.campaign not in _NOT_SET)


def _ga4_row(row: Any, currency: str) -> Conversion:
    try:
        day, campaign, content = (item["value"] for item in row["dimensionValues"])
        sessions, key_events, revenue = (item["value"] for item in row["metricValues"])
        return Conversion(
            datetime.strptime(day, "%Y%m%d").date(),
            "ga4",
            campaign,
            "" if content in _NOT_SET else content,
            _whole(sessions),
            _whole(key_events),
            float(revenue),
            currency if float(revenue) else "",
        )
    except (KeyError, TypeError, ValueError):
        raise ConversionsError(f"GA4: a row is not shaped as asked: {str(row)[:200]}") from None


def _post(client: httpx.Client, path: str, body: dict[str, Any], name: str) -> Any:
    try:
        response = client.post(path, json=body)
    except httpx.HTTPError as error:
        raise ConversionsError(
            f"{name}: {path} could not be reached ({type(error).__name__}); try again later"
        ) from None
    if response.status_code in (401, 403):
        raise ConversionsError(
            f"{name}: {response.status_code} {_said(response)}: check the key or token and its access "
            "to the site"
        )
    if response.status_code == 429 or response.status_code >= 500:
        raise ConversionsError(f"{name}: {response.status_code} {_said(response)}: try again later")
    if not response.is_success:
        raise ConversionsError(
            f"{name}: {response.status_code} {_said(response)}: check conversions: in config.yml"
        )
    try:
        return response.json()
    except ValueError:
        raise ConversionsError(f"{name}: the answer is not JSON") from None


def _said(response: httpx.Response) -> str:
    """The service's own words: Plausible's {"error": "…"}, Google's {"error": {"message": "…"}}."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return response.reason_phrase
    if isinstance(error, dict):
        error = error.get("message")
    return redact(str(error)[:300]) if error else response.reason_phrase


def _secret(environ: Mapping[str, str], variable: str, what: str) -> str:
    value = environ.get(variable, "").strip()
    if not value:
        raise ConversionsError(f"environment variable {variable} is not set: it should hold {what}")
    remember(value)
    return value


def _summed(rows: Iterable[Conversion]) -> list[Conversion]:
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


def _whole(value: Any) -> int:
    """A count as an API gives it: 12, 12.0 or "12"."""
    number = float(value or 0)
    if number < 0 or number != int(number):
        raise ConversionsError(f"a count of {value!r} is not a whole number")
    return int(number)


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
