"""The web analytics readers of `metrics conversions`: Plausible Stats API v2 and the GA4 Data API over
HTTP, each answer turned into conversions.Conversion rows. conversions.py reaches them lazily, so nothing
else imports an HTTP client."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import httpx

from postwright.config import Ga4, Plausible
from postwright.credentials import redact, remember
from postwright.insights.conversions import Conversion, ConversionsError, summed

# https://plausible.io/docs/stats-api ("pagination": default and largest limit 10000)
PLAUSIBLE_PAGE = 10_000
# https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport
# ("limit": at most 250,000 rows per request); 100,000 keeps one answer's memory modest
GA4_PAGE = 100_000
_NOT_SET = {"", "(not set)", "(none)", "(direct)", "(organic)", "(referral)"}  # GA4's and Plausible's fillers


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
    try:
        return _joined(visits, goals)
    except (ValueError, TypeError, AttributeError, IndexError):
        raise ConversionsError("Plausible: an answer is not shaped as its reference documents") from None


def _joined(
    visits: list[tuple[list[str], list[Any]]], goals: list[tuple[list[str], list[Any]]]
) -> list[Conversion]:
    """Visits and the goals' conversions and revenue, by day, campaign and content."""
    joined: dict[tuple[str, str, str], list[Any]] = {}
    for dims, metrics in visits:
        joined.setdefault((dims[0], dims[1], dims[2]), [0, 0, 0.0, ""])[0] = _whole(metrics[0])
    for dims, metrics in goals:
        held = joined.setdefault((dims[0], dims[1], dims[2]), [0, 0, 0.0, ""])
        held[1] = _whole(metrics[0])
        revenue = metrics[1]
        if isinstance(revenue, dict):  # {"value": 500.2, "currency": "EUR", "short": …, "long": …}
            held[2], held[3] = float(revenue.get("value") or 0), str(revenue.get("currency") or "")
    return summed(
        Conversion(
            date.fromisoformat(day[:10]),
            "plausible",
            campaign,
            "" if content in _NOT_SET else content,
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
    return summed(row for row in rows if row.campaign not in _NOT_SET)


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


def _whole(value: Any) -> int:
    """A count as an API gives it: 12, 12.0 or "12"."""
    number = float(value or 0)
    if number < 0 or number != int(number):
        raise ConversionsError(f"a count of {value!r} is not a whole number")
    return int(number)
