"""Pinterest's metrics reader against a local API v5 that checks each request as pinterest/api-description
@c05b189 v5/openapi.json (API 5.23.0) documents it.

GET /v5/pins/analytics ("multi_pins/analytics", beta): pin_ids an exploded array of 1–100 numeric ids,
start_date and end_date (YYYY-MM-DD; start "cannot be more than 90 days back from today", end "cannot be
more than 90 days past start_date"), metric_types comma-separated from the Pin metric enum; answers
BulkPinAnalyticsResponse {pin_id: {"all": {daily_metrics, lifetime_metrics, summary_metrics}}}.
GET /v5/pins/{pin_id}/analytics: the same for one pin (PinAnalyticsResponse); 404 {code, message} "Pin not
found.". GET /v5/user_account: Account. Authorization: Bearer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from werkzeug import Response

from postwright.platforms import PLATFORMS
from tests.fakes.api import http_server  # noqa: F401
from tests.fakes.http_platform import Call, FakePlatform, json_response, serve
from tests.fakes.metrics import NOW, by_key, connect, delivery, failure_of, metrics_of

TOKEN = "pina_pinterest_insights_token"
METRIC_TYPES = {
    *("IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "TOTAL_COMMENTS", "TOTAL_REACTIONS"),
    *("USER_FOLLOW", "PROFILE_VISIT", "VIDEO_MRC_VIEW", "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW"),
    *("VIDEO_V50_WATCH_TIME", "VIDEO_START", "VIDEO_AVG_WATCH_TIME"),
}


def lib_error(status: int, code: int, message: str) -> Response:
    return json_response({"code": code, "message": message}, status)


class FakePinterest(FakePlatform):
    def __init__(self, httpserver) -> None:
        self.pins: dict[str, dict[str, float]] = {}
        self.bulk_open = True  # the beta endpoint is open to this app
        super().__init__(httpserver)

    def routes(self):
        return [
            ("GET", r"/v5/pins/analytics", self.bulk),
            ("GET", r"/v5/pins/(?P<pin>\d+)/analytics", self.one),
            ("GET", r"/v5/user_account", self.account),
        ]

    def common(self, call: Call) -> list[str]:
        self.expect(call.headers.get("authorization") == f"Bearer {TOKEN}", "Authorization: Bearer")
        start, end = (
            date.fromisoformat(call.arg("start_date") or ""),
            date.fromisoformat(call.arg("end_date") or ""),
        )
        today = NOW.date()
        self.expect(today - timedelta(days=90) <= start <= end <= today, f"dates {start}..{end}")
        self.expect(end - start <= timedelta(days=90), "end_date at most 90 days past start_date")
        asked = (call.arg("metric_types") or "").split(",")
        self.expect(
            len(call.query.get("metric_types", [])) == 1, "metric_types comma-separated (explode: false)"
        )
        self.expect(set(asked) <= METRIC_TYPES, f"unknown metric types {set(asked) - METRIC_TYPES}")
        return asked

    def analytics(self, pin: str, asked: list[str]) -> dict:
        summary = {name: self.pins[pin][name] for name in asked}
        daily = [{"date": NOW.date().isoformat(), "data_status": "READY", "metrics": summary}]
        return {"all": {"daily_metrics": daily, "lifetime_metrics": {}, "summary_metrics": summary}}

    def bulk(self, call: Call, match: re.Match[str]) -> Response:
        asked = self.common(call)
        pins = call.query.get("pin_ids", [])
        self.expect(
            1 <= len(pins) <= 100 and all(pin.isdigit() for pin in pins), f"pin_ids: 1–100 ids, {pins}"
        )
        if not self.bulk_open:
            return lib_error(403, 3, "Your application consumer type is not supported.")
        if failure := self.injected(call):
            return failure
        if any(pin not in self.pins for pin in pins):
            return lib_error(404, 50, "Pin not found.")
        return json_response({pin: self.analytics(pin, asked) for pin in pins})

    def one(self, call: Call, match: re.Match[str]) -> Response:
        asked = self.common(call)
        if failure := self.injected(call):
            return failure
        if match["pin"] not in self.pins:
            return lib_error(404, 50, "Pin not found.")
        return json_response(self.analytics(match["pin"], asked))

    def account(self, call: Call, match: re.Match[str]) -> Response:
        self.expect(call.headers.get("authorization") == f"Bearer {TOKEN}", "Authorization: Bearer")
        return json_response(
            {
                "account_type": "BUSINESS",
                "id": "2783136121146311751",
                "username": "windwardkites",
                "follower_count": 410,
                "following_count": 20,
                "pin_count": 96,
                "board_count": 7,
                "monthly_views": 15000,
                "business_name": None,
            }
        )


@pytest.fixture
def fake(http_server) -> Iterator[FakePinterest]:  # noqa: F811
    with serve(FakePinterest(http_server)) as fake:
        yield fake


def reader(fake: FakePinterest):
    settings = {"board_id": "549755885175", "api_url": fake.url}
    return PLATFORMS["pinterest"].metrics(connect("pinterest", settings, {"access_token": TOKEN}))


def pin_numbers(impressions: int) -> dict[str, float]:
    return {"IMPRESSION": impressions, "SAVE": 4, "PIN_CLICK": 9, "OUTBOUND_CLICK": 3, "SAVE_RATE": 0.02}


def test_up_to_100_pins_a_request_from_their_publication(fake):
    posts = []
    for number in range(130):
        pin = str(900_000 + number)
        fake.pins[pin] = pin_numbers(100 + number)
        posts.append(delivery("pinterest", f"p{number}", pin, published=NOW - timedelta(days=3)))
    found = by_key(reader(fake).posts(posts))
    assert metrics_of(found[posts[0].key]) == {
        "IMPRESSION": 100,
        "OUTBOUND_CLICK": 3,
        "PIN_CLICK": 9,
        "SAVE": 4,
    }
    calls = fake.calls_to("GET", "/v5/pins/analytics")
    assert [len(call.query["pin_ids"]) for call in calls] == [100, 30]
    assert calls[0].arg("start_date") == (NOW - timedelta(days=3)).date().isoformat()
    assert calls[0].arg("metric_types") == "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK"


def test_a_deleted_pin_is_found_one_by_one_and_the_others_read(fake):
    fake.pins["910001"] = pin_numbers(50)
    kept, deleted = delivery("pinterest", "kept", "910001"), delivery("pinterest", "deleted", "910099")
    found = by_key(reader(fake).posts([kept, deleted]))
    assert failure_of(found[deleted.key]).gone
    assert metrics_of(found[kept.key])["IMPRESSION"] == 50


def test_without_the_beta_bulk_endpoint_each_pin_is_read_alone(fake):
    fake.bulk_open = False
    fake.pins.update({"920001": pin_numbers(10), "920002": pin_numbers(20)})
    metrics = reader(fake)
    posts = [delivery("pinterest", "a", "920001"), delivery("pinterest", "b", "920002")]
    assert [metrics_of(r)["IMPRESSION"] for r in metrics.posts(posts)] == [10, 20]
    assert [metrics_of(r)["IMPRESSION"] for r in metrics.posts(posts)] == [10, 20]
    assert len(fake.calls_to("GET", "/v5/pins/analytics")) == 1  # not asked again by this reader
    assert len(fake.calls_to("GET", r"/v5/pins/\d+/analytics")) == 4


def test_a_pin_older_than_90_days_is_not_asked_for(fake):
    old = delivery("pinterest", "old", "930001", published=NOW - timedelta(days=91))
    [failure] = reader(fake).posts([old])
    assert failure_of(failure).gone and "90 days" in failure.reason and fake.calls == []


def test_429_and_malformed_answers_are_reasons(fake):
    fake.pins["940001"] = pin_numbers(5)
    post = delivery("pinterest", "a", "940001")
    fake.fail_next(lambda call: True, lambda call: lib_error(429, 8, "This request exceeded a rate limit."))
    [limited] = reader(fake).posts([post])
    assert "rate limit" in failure_of(limited).reason and not limited.gone
    fake.fail_next(lambda call: True, lambda call: json_response({"940001": {"all": {"daily_metrics": []}}}))
    [malformed] = reader(fake).posts([post])
    assert "malformed" in failure_of(malformed).reason


def test_account_counts(fake):
    account = reader(fake).account()
    expected = {"follower_count": 410, "following_count": 20, "pin_count": 96, "board_count": 7}
    assert account.metrics == {**expected, "monthly_views": 15000}


def test_declared_with_its_scopes():
    assert PLATFORMS["pinterest"].metrics_scopes == ("pins:read", "boards:read", "user_accounts:read")
