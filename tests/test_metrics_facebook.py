"""Facebook's metrics reader against a local Graph API that checks each request as Meta documents it.

GET /v25.0/{post-id}?fields=shares,comments.limit(0).summary(true),insights.metric(…) (field expansion,
graph-api/guides/field-expansion) with post metrics that are not deprecated (pages-api/platforminsights/
page/deprecated-metrics: post_impressions*, page_fans* are refused); GET /v25.0/{page-id}?fields=
followers_count,fan_count. The token in access_token only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from werkzeug import Response

from postwright.platforms import PLATFORMS
from tests.fakes.api import http_server  # noqa: F401
from tests.fakes.graph_insights import missing_permission, no_such_object, token_problem
from tests.fakes.http_platform import Call, FakePlatform, json_response, serve
from tests.fakes.meta import meta_error
from tests.fakes.metrics import by_key, connect, delivery, failure_of, metrics_of

TOKEN = "EAAG-page-token-insights"
PAGE = "104000000000001"
DEPRECATED = re.compile(r"^(post_impressions|page_fans|page_impressions)")
POST_METRICS = {  # page-post/insights, post metrics live after the 2025 deprecations
    *("post_media_view", "post_total_media_view_unique", "post_clicks", "post_clicks_by_type"),
    *("post_reactions_by_type_total", "post_reactions_like_total", "post_video_views"),
}
EXPANSION = re.compile(
    r"^shares,comments\.limit\(0\)\.summary\(true\),insights\.metric\((?P<metrics>[a-z_,]+)\)$"
)


class FakeFacebook(FakePlatform):
    def __init__(self, httpserver) -> None:
        self.posts: dict[str, dict] = {}
        super().__init__(httpserver)

    def routes(self):
        return [("GET", r"/v25\.0/(?P<node>[0-9_]+)", self.node)]

    def node(self, call: Call, match: re.Match[str]) -> Response:
        if refused := token_problem(self, call, TOKEN):
            return refused
        if failure := self.injected(call):
            return failure
        if match["node"] == PAGE:
            self.expect(call.arg("fields") == "followers_count,fan_count", "the Page's follower counts")
            return json_response({"id": PAGE, "followers_count": 2300, "fan_count": 2100})
        expansion = EXPANSION.match(call.arg("fields") or "")
        if not self.expect(expansion is not None, f"fields {call.arg('fields')}"):
            return meta_error(400, "(#100) Unknown fields", 100)
        asked = expansion["metrics"].split(",")
        if any(DEPRECATED.match(name) for name in asked) or not set(asked) <= POST_METRICS:
            self.expect(False, f"deprecated or unknown post metrics {asked}")
            return meta_error(400, "(#100) The value must be a valid insights metric", 100)
        post = self.posts.get(match["node"])
        if post is None:
            return no_such_object(match["node"])
        data = [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": post[name]}],
                "id": f"{match['node']}/{name}",
            }
            for name in asked
            if name in post
        ]
        answer = {
            "id": match["node"],
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": post["comments"]}},
            "insights": {"data": data},
        }
        if post.get("shares"):
            answer["shares"] = {"count": post["shares"]}
        return json_response(answer)


@pytest.fixture
def fake(http_server) -> Iterator[FakeFacebook]:  # noqa: F811
    with serve(FakeFacebook(http_server)) as fake:
        yield fake


def reader(fake: FakeFacebook):
    settings = {"page_id": PAGE, "api_url": fake.url}
    return PLATFORMS["facebook"].metrics(connect("facebook", settings, {"access_token": TOKEN}))


POST = {
    "post_media_view": 800,
    "post_total_media_view_unique": 640,
    "post_clicks": 25,
    "post_reactions_by_type_total": {"like": 30, "love": 4},
    "comments": 6,
    "shares": 3,
}


def test_post_insights_comments_and_shares_in_one_request(fake):
    fake.posts[f"{PAGE}_901"] = POST
    [reading] = reader(fake).posts([delivery("facebook", "launch", f"{PAGE}_901")])
    assert metrics_of(reading) == {
        "comments": 6,
        "post_clicks": 25,
        "post_media_view": 800,
        "post_reactions_by_type_total": 34,
        "post_total_media_view_unique": 640,
        "shares": 3,
    }
    assert len(fake.calls) == 1


def test_a_post_never_shared_has_no_shares_field(fake):
    fake.posts[f"{PAGE}_902"] = {**POST, "shares": 0}
    [reading] = reader(fake).posts([delivery("facebook", "quiet", f"{PAGE}_902")])
    assert "shares" not in metrics_of(reading) and metrics_of(reading)["comments"] == 6


def test_a_deleted_post_is_gone(fake):
    [failure] = reader(fake).posts([delivery("facebook", "gone", f"{PAGE}_999")])
    assert failure_of(failure).gone


def test_page_throttling_and_missing_permission_are_reasons(fake):
    fake.posts[f"{PAGE}_903"] = POST
    fake.fail_next(lambda call: True, lambda call: meta_error(400, "(#32) Page request limit reached", 32))
    [throttled] = reader(fake).posts([delivery("facebook", "a", f"{PAGE}_903")])
    assert "limit reached" in failure_of(throttled).reason and not throttled.gone
    fake.fail_next(lambda call: True, lambda call: missing_permission("read_insights"))
    [refused] = reader(fake).posts([delivery("facebook", "a", f"{PAGE}_903")])
    assert "read_insights" in failure_of(refused).reason


def test_malformed_answer_is_a_reason(fake):
    fake.posts[f"{PAGE}_904"] = POST
    fake.fail_next(
        lambda call: True, lambda call: json_response({"id": "x", "insights": ["not", "an", "object"]})
    )
    [failure] = reader(fake).posts([delivery("facebook", "a", f"{PAGE}_904")])
    assert "malformed" in failure_of(failure).reason


def test_account_followers_without_the_retired_country_breakdown(fake):
    account = reader(fake).account()
    assert account.metrics == {"followers_count": 2300, "fan_count": 2100} and account.audience == {}


def test_results_cover_every_delivery(fake):
    fake.posts[f"{PAGE}_905"] = POST
    posts = [delivery("facebook", "a", f"{PAGE}_905"), delivery("facebook", "b", f"{PAGE}_998")]
    assert set(by_key(reader(fake).posts(posts))) == {post.key for post in posts}


def test_declared_with_its_scopes():
    assert PLATFORMS["facebook"].metrics_scopes == ("pages_read_engagement", "read_insights")
