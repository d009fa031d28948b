"""Threads' metrics reader against a local Threads API that checks each request as Meta documents it
(developers.facebook.com/documentation/threads/insights).

GET /v1.0/{threads-media-id}/insights?metric=views,likes,replies,reposts,quotes,shares (a root post's
replies count every reply under it, nested ones too; a reply's only its direct replies);
GET /v1.0/me/threads_insights?metric=followers_count (total_value) and metric=follower_demographics&
breakdown=country|age|gender|city, one breakdown a request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from werkzeug import Response

from postwright.platforms import PLATFORMS
from tests.fakes.api import http_server  # noqa: F401
from tests.fakes.graph_insights import (
    demographics,
    insights,
    metric_list,
    missing_permission,
    no_such_object,
    token_problem,
    total_value,
)
from tests.fakes.http_platform import Call, FakePlatform, json_response, serve
from tests.fakes.meta import meta_error
from tests.fakes.metrics import by_key, connect, delivery, failure_of, metrics_of

TOKEN = "THAAG-threads-insights-token"
MEDIA_METRICS = {"views", "likes", "replies", "reposts", "quotes", "shares"}
USER_METRICS = {
    "views",
    "likes",
    "replies",
    "reposts",
    "quotes",
    "clicks",
    "followers_count",
    "follower_demographics",
}


class FakeThreads(FakePlatform):
    def __init__(self, httpserver) -> None:
        self.media: dict[str, dict[str, int]] = {}
        super().__init__(httpserver)

    def routes(self):
        return [
            ("GET", r"/v1\.0/(?P<node>\d+)/insights", self.media_insights),
            ("GET", r"/v1\.0/(?P<node>me|\d+)/threads_insights", self.user_insights),
        ]

    def media_insights(self, call: Call, match: re.Match[str]) -> Response:
        if refused := token_problem(self, call, TOKEN):
            return refused
        if failure := self.injected(call):
            return failure
        asked = metric_list(self, call, MEDIA_METRICS)
        if asked is None:
            return meta_error(400, "(#100) The value must be a valid insights metric", 100)
        if match["node"] not in self.media:
            return no_such_object(match["node"])
        return insights(match["node"], {name: self.media[match["node"]][name] for name in asked})

    def user_insights(self, call: Call, match: re.Match[str]) -> Response:
        if refused := token_problem(self, call, TOKEN):
            return refused
        if failure := self.injected(call):
            return failure
        asked = metric_list(self, call, USER_METRICS)
        if asked == ["followers_count"]:
            return json_response({"data": [total_value(match["node"], "followers_count", 845)]})
        self.expect(asked == ["follower_demographics"], "follower_demographics alone, with a breakdown")
        dimension = call.arg("breakdown") or ""
        self.expect(dimension in ("country", "city", "age", "gender"), f"breakdown {dimension}")
        buckets = {"country": {"US": 400, "ES": 200}, "age": {"18-24": 100}, "gender": {"F": 300}}
        return demographics(match["node"], dimension, buckets.get(dimension, {}))


@pytest.fixture
def fake(http_server) -> Iterator[FakeThreads]:  # noqa: F811
    with serve(FakeThreads(http_server)) as fake:
        yield fake


def reader(fake: FakeThreads):
    return PLATFORMS["threads"].metrics(
        connect("threads", {"api_url": f"{fake.url}/v1.0"}, {"access_token": TOKEN})
    )


def numbers(views: int, likes: int, replies: int) -> dict[str, int]:
    return {"views": views, "likes": likes, "replies": replies, "reposts": 1, "quotes": 0, "shares": 2}


def test_a_thread_is_summed_with_its_replies_counted_once(fake):
    # the root's replies (6) count every reply in the tree, our own two parts among them; part 2's (2)
    # are its direct replies, part 3 among them
    fake.media.update({"301": numbers(900, 30, 6), "302": numbers(400, 10, 2), "303": numbers(200, 5, 0)})
    [reading] = reader(fake).posts([delivery("threads", "thread", "301", "302", "303")])
    assert metrics_of(reading) == {
        "likes": 45,
        "quotes": 0,
        "replies": 4,
        "reposts": 3,
        "shares": 6,
        "views": 1500,
    }
    asked = [call.arg("metric") for call in fake.calls_to("GET", r"/v1\.0/\d+/insights")]
    assert asked == ["views,likes,replies,reposts,quotes,shares"] * 3


def test_a_single_post_keeps_its_replies(fake):
    fake.media["311"] = numbers(50, 4, 3)
    [reading] = reader(fake).posts([delivery("threads", "single", "311")])
    assert metrics_of(reading)["replies"] == 3


def test_a_deleted_root_is_gone_a_deleted_reply_is_not(fake):
    fake.media["321"] = numbers(50, 4, 1)
    no_root, no_reply = delivery("threads", "a", "399", "321"), delivery("threads", "b", "321", "398")
    found = by_key(reader(fake).posts([no_root, no_reply]))
    assert failure_of(found[no_root.key]).gone
    assert metrics_of(found[no_reply.key])["likes"] == 4


def test_rate_limit_and_missing_scope_are_reasons(fake):
    fake.media.update({"331": numbers(1, 1, 0), "332": numbers(1, 1, 0)})
    fake.fail_next(lambda call: True, lambda call: meta_error(400, "Application request limit reached", 4))
    first = by_key(reader(fake).posts([delivery("threads", "a", "331"), delivery("threads", "b", "332")]))
    assert all("limit reached" in failure_of(result).reason for result in first.values())
    fake.fail_next(lambda call: True, lambda call: missing_permission("threads_manage_insights"))
    [second] = reader(fake).posts([delivery("threads", "a", "331")])
    assert "threads_manage_insights" in failure_of(second).reason


def test_malformed_answer_is_a_reason(fake):
    fake.media["341"] = numbers(1, 1, 0)
    fake.fail_next(lambda call: True, lambda call: json_response({"data": [{"values": [{"value": 1}]}]}))
    [failure] = reader(fake).posts([delivery("threads", "a", "341")])
    assert "malformed" in failure_of(failure).reason


def test_account_followers_and_demographics(fake):
    account = reader(fake).account()
    assert account.metrics == {"followers_count": 845}
    assert account.audience == {
        "age": {"18-24": 100},
        "country": {"ES": 200, "US": 400},
        "gender": {"F": 300},
    }
    assert {call.path for call in fake.calls} == {"/v1.0/me/threads_insights"}


def test_declared_with_its_scope():
    assert PLATFORMS["threads"].metrics_scopes == ("threads_manage_insights",)
