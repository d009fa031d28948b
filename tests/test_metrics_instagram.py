"""Instagram's metrics reader against a local Graph API that checks each request as Meta documents it.

GET /v25.0/{ig-media-id}/insights?metric=… with the metrics instagram-media/insights lists for v22.0+
(impressions, plays and video_views are refused as deprecated); GET /v25.0/{ig-user-id}?fields=…;
GET /v25.0/{ig-user-id}/insights?metric=follower_demographics&period=lifetime&metric_type=total_value&
breakdown=country|age|gender, one breakdown a request. The token in access_token only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from werkzeug import Response

from postwright.platforms import PLATFORMS
from postwright.platforms.contract import PermanentError
from tests.fakes.api import http_server  # noqa: F401
from tests.fakes.graph_insights import (
    demographics,
    insights,
    metric_list,
    missing_permission,
    no_such_object,
    throttled,
    token_problem,
)
from tests.fakes.http_platform import Call, FakePlatform, json_response, serve
from tests.fakes.meta import meta_error
from tests.fakes.metrics import by_key, connect, delivery, failure_of, metrics_of

TOKEN = "EAAG-instagram-insights-token"
USER = "17841400000000001"
MEDIA_METRICS = {  # instagram-media/insights, v22.0 and later (FEED and REELS)
    *("comments", "follows", "likes", "profile_activity", "profile_visits", "reach", "saved", "shares"),
    *("total_interactions", "views", "ig_reels_avg_watch_time", "ig_reels_video_view_total_time"),
}
PROFILE_FIELDS = {"id", "username", "name", "followers_count", "follows_count", "media_count", "biography"}


class FakeInstagram(FakePlatform):
    def __init__(self, httpserver) -> None:
        self.media: dict[str, dict[str, int]] = {}
        self.few_viewers: set[str] = set()
        super().__init__(httpserver)

    def routes(self):
        return [
            ("GET", r"/v25\.0/(?P<node>\d+)/insights", self.insights),
            ("GET", r"/v25\.0/(?P<node>\d+)", self.profile),
        ]

    def insights(self, call: Call, match: re.Match[str]) -> Response:
        if refused := token_problem(self, call, TOKEN):
            return refused
        if failure := self.injected(call):
            return failure
        node = match["node"]
        if node == USER:
            return self.demographics(call)
        asked = metric_list(self, call, MEDIA_METRICS)
        if asked is None:
            return meta_error(400, "(#100) metric[0] must be one of the following values: …", 100)
        if node not in self.media:
            return no_such_object(node)
        if node in self.few_viewers:
            return meta_error(400, "(#10) Not enough viewers for the media to show insights", 10)
        return insights(node, {name: self.media[node][name] for name in asked if name in self.media[node]})

    def demographics(self, call: Call) -> Response:
        self.expect(call.arg("metric") == "follower_demographics", "user insights: follower_demographics")
        self.expect(call.arg("period") == "lifetime", "follower_demographics: period=lifetime")
        self.expect(
            call.arg("metric_type") == "total_value", "follower_demographics: metric_type=total_value"
        )
        dimension = call.arg("breakdown")
        self.expect(dimension in ("age", "city", "country", "gender"), f"breakdown {dimension}")
        buckets = {"country": {"ES": 120, "MX": 40}, "age": {"25-34": 90}, "gender": {"F": 70, "M": 80}}
        return demographics(USER, dimension or "", buckets.get(dimension or "", {}))

    def profile(self, call: Call, match: re.Match[str]) -> Response:
        if refused := token_problem(self, call, TOKEN):
            return refused
        if failure := self.injected(call):
            return failure
        fields = set((call.arg("fields") or "").split(","))
        self.expect(match["node"] == USER, "the account's own profile")
        self.expect(fields <= PROFILE_FIELDS, f"unknown fields {fields - PROFILE_FIELDS}")
        profile = {"id": USER, "followers_count": 150, "follows_count": 12, "media_count": 33}
        return json_response({name: profile[name] for name in fields if name in profile})


@pytest.fixture
def fake(http_server) -> Iterator[FakeInstagram]:  # noqa: F811
    with serve(FakeInstagram(http_server)) as fake:
        yield fake


def reader(fake: FakeInstagram):
    settings = {"user_id": USER, "api_url": f"{fake.url}/v25.0", "media_base_url": "https://example.test"}
    return PLATFORMS["instagram"].metrics(connect("instagram", settings, {"access_token": TOKEN}))


NUMBERS = {
    "views": 500,
    "reach": 320,
    "likes": 40,
    "comments": 3,
    "saved": 7,
    "shares": 2,
    "total_interactions": 52,
}


def test_media_insights_with_the_documented_metrics(fake):
    fake.media["18000000000000001"] = NUMBERS
    [reading] = reader(fake).posts([delivery("instagram", "launch", "18000000000000001")])
    assert metrics_of(reading) == dict(sorted(NUMBERS.items()))
    [call] = fake.calls_to("GET", r"/v25\.0/18000000000000001/insights")
    assert call.arg("metric") == "views,reach,likes,comments,saved,shares,total_interactions"


def test_a_deleted_post_is_gone_and_the_next_one_still_read(fake):
    fake.media["18000000000000002"] = NUMBERS
    gone, kept = (
        delivery("instagram", "gone", "18000000000000099"),
        delivery("instagram", "kept", "18000000000000002"),
    )
    found = by_key(reader(fake).posts([gone, kept]))
    assert failure_of(found[gone.key]).gone and "does not exist" in found[gone.key].reason
    assert metrics_of(found[kept.key])["likes"] == 40


def test_not_enough_viewers_and_an_empty_answer_leave_the_post_due(fake):
    fake.media["18000000000000003"] = NUMBERS
    fake.few_viewers.add("18000000000000003")
    fake.media["18000000000000004"] = {}  # "an empty data set instead of 0"
    few, empty = (
        delivery("instagram", "few", "18000000000000003"),
        delivery("instagram", "empty", "18000000000000004"),
    )
    found = by_key(reader(fake).posts([few, empty]))
    assert "not enough viewers" in failure_of(found[few.key]).reason and not found[few.key].gone
    assert "no numbers yet" in failure_of(found[empty.key]).reason and not found[empty.key].gone


def test_throttled_stops_asking_and_keeps_everything_due(fake):
    for media in ("18000000000000005", "18000000000000006"):
        fake.media[media] = NUMBERS
    fake.fail_next(lambda call: True, lambda call: throttled())
    posts = [delivery("instagram", "a", "18000000000000005"), delivery("instagram", "b", "18000000000000006")]
    found = by_key(reader(fake).posts(posts))
    assert all("too many calls" in failure_of(result).reason for result in found.values())
    assert len(fake.calls_to("GET", r"/v25\.0/\d+/insights")) == 1  # the second was not asked


def test_missing_permission_names_the_fix(fake):
    fake.media["18000000000000007"] = NUMBERS
    fake.fail_next(lambda call: True, lambda call: missing_permission("instagram_manage_insights"))
    [failure] = reader(fake).posts([delivery("instagram", "a", "18000000000000007")])
    assert "instagram_manage_insights" in failure_of(failure).reason and "doctor" in failure.reason
    assert TOKEN not in failure.reason


def test_malformed_answer_is_a_reason(fake):
    fake.media["18000000000000008"] = NUMBERS
    fake.fail_next(lambda call: True, lambda call: Response("{not json", 200, mimetype="application/json"))
    [failure] = reader(fake).posts([delivery("instagram", "a", "18000000000000008")])
    assert "malformed" in failure_of(failure).reason


def test_account_followers_and_demographics(fake):
    account = reader(fake).account()
    assert account.metrics == {"followers_count": 150, "follows_count": 12, "media_count": 33}
    assert account.audience == {
        "age": {"25-34": 90},
        "country": {"ES": 120, "MX": 40},
        "gender": {"F": 70, "M": 80},
    }
    asked = [call.arg("breakdown") for call in fake.calls_to("GET", rf"/v25\.0/{USER}/insights")]
    assert asked == ["country", "age", "gender"]


def test_demographics_refused_keeps_the_followers(fake):
    fake.fail_next(
        lambda call: call.arg("breakdown") == "age",
        lambda call: meta_error(400, "(#100) Not enough followers for follower_demographics", 100),
    )
    account = reader(fake).account()
    assert account.metrics["followers_count"] == 150 and set(account.audience) == {"country", "gender"}


def test_account_without_permission_raises_permanent(fake):
    fake.fail_next(lambda call: True, lambda call: missing_permission("instagram_basic"))
    with pytest.raises(PermanentError, match="permission"):
        reader(fake).account()


def test_declared_with_its_scopes():
    assert PLATFORMS["instagram"].metrics_scopes == ("instagram_manage_insights", "pages_read_engagement")
