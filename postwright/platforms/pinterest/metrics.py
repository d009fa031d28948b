"""Pinterest's metrics reader: pin analytics and the account's followers, API v5 (pinterest/api-description
@c05b189 v5/openapi.json, API 5.23.0).

Pins: GET /v5/pins/analytics?pin_ids=…&start_date=…&end_date=…&metric_types=IMPRESSION,SAVE,PIN_CLICK,
OUTBOUND_CLICK ("multi_pins/analytics": "the maximum number of pins supported in a single request is 100";
pin_ids an exploded array, metric_types a comma-separated one), answered {pin_id: {"all": {summary_metrics:
{IMPRESSION: N, …}, daily_metrics, lifetime_metrics}}} (BulkPinAnalyticsResponse). That endpoint "is
currently in beta and not available to all apps": when it refuses (401/403), each pin is read from
GET /v5/pins/{pin_id}/analytics (PinAnalyticsResponse, {"all": {…}}) for the rest of the run. The
summary over start_date..end_date is the pin's total since publication: start_date "cannot be more than
90 days back from today", so a pin older than that cannot be totalled any more and is not asked again.
Scopes: pins:read and boards:read (pins), user_accounts:read (account).
Account: GET /v5/user_account: follower_count, following_count, pin_count, board_count, monthly_views.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from postwright.credentials import CredentialsError
from postwright.insights.model import AccountReading, Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection
from postwright.platforms.pinterest.publisher import PinterestPublisher
from postwright.platforms.reading import (
    ITEM_ERRORS,
    STOP_ERRORS,
    Gone,
    Malformed,
    chunks_by_parts,
    failed_batch,
    from_batch,
    json_of,
    number,
    read_each,
    refusals_as_permanent,
)

PINS_PER_REQUEST = 100  # multi_pins/analytics: "the maximum number of pins … in a single request is 100"
WINDOW_DAYS = 90  # query_start_date: "Cannot be more than 90 days back from today"
METRIC_TYPES = ("IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK")
ACCOUNT_COUNTS = ("follower_count", "following_count", "pin_count", "board_count", "monthly_views")


class PinterestMetrics:
    """Reads with the publisher's client (bearer token, Pinterest's rate-limit hints)."""

    batch = PINS_PER_REQUEST

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.client = PinterestPublisher(connection).client
        self.bulk = True  # until the beta bulk endpoint refuses this app

    def posts(self, deliveries: Sequence[Delivery]) -> Iterator[PostReading | ReadFailure]:
        today = self.connection.clock().date()
        oldest = today - timedelta(days=WINDOW_DAYS)
        current = [d for d in deliveries if d.published.date() >= oldest]
        for delivery in deliveries:
            if delivery.published.date() < oldest:
                why = f"Pinterest keeps pin analytics for {WINDOW_DAYS} days; this pin is older"
                yield ReadFailure(delivery.key, why, gone=True)
        for chunk in chunks_by_parts(current, PINS_PER_REQUEST):
            if self.bulk:
                yield from self._bulk(chunk, today)
            else:
                yield from read_each(chunk, lambda delivery, pin: self._one(delivery, pin, today))

    def _window(self, deliveries: Sequence[Delivery], today: date) -> dict[str, str]:
        start = min(delivery.published.date() for delivery in deliveries)
        return {
            "start_date": start.isoformat(),
            "end_date": today.isoformat(),
            "metric_types": ",".join(METRIC_TYPES),
        }

    def _bulk(self, deliveries: list[Delivery], today: date) -> list[PostReading | ReadFailure]:
        pins = [pin for delivery in deliveries for pin in delivery.remote_ids]
        params: list[tuple[str, str]] = [("pin_ids", pin) for pin in pins]
        params += list(self._window(deliveries, today).items())

        def one_by_one() -> list[PostReading | ReadFailure]:
            return list(read_each(deliveries, lambda delivery, pin: self._one(delivery, pin, today)))

        try:
            response = self.client.request("GET", "/v5/pins/analytics", params=params, ok=(404,))
            if response.status_code == 404:  # "Pin not found.": which one, each pin's own read says
                return one_by_one()
            answer = json_of(response)
            found = {pin: _summary(answer[pin]) for pin in pins if pin in answer}
        except CredentialsError:  # the beta endpoint is not open to this app: one pin at a time
            self.bulk = False
            return one_by_one()
        except (*STOP_ERRORS, *ITEM_ERRORS) as error:
            return failed_batch(deliveries, error)
        return [from_batch(d, found, set(), "Pinterest sent no analytics for this pin") for d in deliveries]

    def _one(self, delivery: Delivery, pin: str, today: date) -> dict[str, int]:
        params = self._window([delivery], today)
        response = self.client.request("GET", f"/v5/pins/{pin}/analytics", params=params, ok=(404,))
        if response.status_code == 404:  # "Pin not found."
            raise Gone(f"pin {pin} no longer exists")
        return _summary(json_of(response))

    @refusals_as_permanent
    def account(self) -> AccountReading:
        answer = json_of(self.client.request("GET", "/v5/user_account"))
        counts = {name: number(answer[name]) for name in ACCOUNT_COUNTS if answer.get(name) is not None}
        return AccountReading(self.connection.account, counts)


def _summary(analytics: Any) -> dict[str, int]:
    """PinAnalyticsResponse: {"all": PinAnalyticsMetricsResponse} without a split; its summary_metrics."""
    if not isinstance(analytics, Mapping) or not analytics:
        raise Malformed("malformed answer: no analytics object for the pin")
    metrics = analytics.get("all") or next(iter(analytics.values()))
    summary = metrics.get("summary_metrics") if isinstance(metrics, Mapping) else None
    if not isinstance(summary, Mapping):
        raise Malformed("malformed answer: no summary_metrics")
    return {name: number(summary[name]) for name in METRIC_TYPES if name in summary}
