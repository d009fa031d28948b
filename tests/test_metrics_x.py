"""X's metrics reader against a local API v2 that checks each request as docs.x.com documents it.

GET /2/tweets (x-api/posts/lookup): ids comma-separated, 1–100 of them, digits; tweet.fields from the
documented list; non_public_metrics only with user-context authentication and only for posts created
within the last 30 days (x-api/fundamentals/metrics). Answers {"data": [Post], "errors": [Problem]} with a
resource-not-found problem for each id it cannot find; 429 with x-rate-limit-reset. GET /2/users/me with
user.fields=public_metrics.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint
from werkzeug import Response

from postwright.cli import cli
from postwright.ledger import Ledger, Record, RecordStatus
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import PermanentError
from tests.fakes.api import http_server  # noqa: F401
from tests.fakes.http_platform import Call, FakePlatform, json_response, serve
from tests.fakes.metrics import NOW, by_key, connect, delivery, failure_of, metrics_of

TOKEN = "x-user-token-metrics-0001"
TWEET_FIELDS = {  # the tweet.fields values docs.x.com lists for GET /2/tweets
    *("article", "attachments", "author_id", "card_uri", "context_annotations", "conversation_id"),
    *("created_at", "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id"),
    *("in_reply_to_user_id", "lang", "non_public_metrics", "note_tweet", "organic_metrics"),
    *("possibly_sensitive", "promoted_metrics", "public_metrics", "referenced_tweets", "reply_settings"),
    *("scopes", "source", "text", "withheld"),
}
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"


OAUTH1 = {
    "consumer_key": "ck-metrics",
    "consumer_secret": "cs-metrics",
    "access_token": "1551234567890123456-at",
    "access_token_secret": "ats-metrics",
}


class _Keys(RequestValidator):
    """The server side of OAuth 1.0a (RFC 5849) for the one consumer and token above."""

    enforce_ssl = False  # the fake listens on http://127.0.0.1
    dummy_client = dummy_access_token = "dummy"

    def check_client_key(self, client_key: str) -> bool:
        return True

    def check_access_token(self, token: str) -> bool:
        return True

    def check_nonce(self, nonce: str) -> bool:
        return bool(nonce)

    def validate_client_key(self, client_key: str, request) -> bool:
        return client_key == OAUTH1["consumer_key"]

    def get_client_secret(self, client_key: str, request) -> str:
        return OAUTH1["consumer_secret"]

    def get_access_token_secret(self, client_key: str, token: str, request) -> str:
        return OAUTH1["access_token_secret"]

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, **tokens) -> bool:
        return abs(int(timestamp) - time.time()) < 600


class FakeX(FakePlatform):
    def __init__(self, httpserver) -> None:
        self.tweets: dict[str, dict] = {}
        self.lookups: list[list[str]] = []
        self.oauth1 = SignatureOnlyEndpoint(_Keys())
        self.urls: list[str] = []
        super().__init__(httpserver)

    def _dispatch(self, request):
        self.urls.append(request.url)  # what OAuth 1.0a signs: the URL with its query string
        return super()._dispatch(request)

    def routes(self):
        return [("GET", r"/2/tweets", self.lookup), ("GET", r"/2/users/me", self.me)]

    def add(self, tweet_id: str, age: timedelta, likes: int, impressions: int, clicks: int = 0) -> None:
        self.tweets[tweet_id] = {
            "created": NOW - age,
            "public_metrics": {
                "retweet_count": 1,
                "reply_count": 2,
                "like_count": likes,
                "quote_count": 0,
                "bookmark_count": 1,
                "impression_count": impressions,
            },
            "non_public_metrics": {
                "impression_count": impressions,
                "url_link_clicks": clicks,
                "user_profile_clicks": 1,
            },
        }

    def authorised(self, call: Call) -> bool:
        header = call.headers.get("authorization", "")
        if header.startswith("OAuth "):
            valid, signed = self.oauth1.validate_request(
                self.urls[-1], call.method, None, {"Authorization": header}
            )
            return self.expect(
                valid and signed.resource_owner_key == OAUTH1["access_token"], "OAuth 1.0a signature"
            )
        return self.expect(header == f"Bearer {TOKEN}", "Bearer user token")

    def lookup(self, call: Call, match: re.Match[str]) -> Response:
        self.authorised(call)
        ids = (call.arg("ids") or "").split(",")
        fields = set((call.arg("tweet.fields") or "").split(","))
        self.expect(1 <= len(ids) <= 100, f"ids: 1 to 100 per request, got {len(ids)}")
        self.expect(all(i.isdigit() for i in ids), f"ids are numeric: {ids}")
        self.expect(len(set(ids)) == len(ids), "an id asked twice")
        self.expect(fields <= TWEET_FIELDS, f"unknown tweet.fields {fields - TWEET_FIELDS}")
        self.lookups.append(ids)
        if failure := self.injected(call):
            return failure
        data, errors = [], []
        for tweet_id in ids:
            tweet = self.tweets.get(tweet_id)
            if tweet is None:
                errors.append(_not_found(tweet_id))
                continue
            post = {"id": tweet_id, "text": "…", "edit_history_tweet_ids": [tweet_id]}
            post["public_metrics"] = tweet["public_metrics"]
            if "non_public_metrics" in fields:
                within = NOW - tweet["created"] < timedelta(days=30)
                self.expect(within, f"non_public_metrics asked for {tweet_id}, older than 30 days")
                post["non_public_metrics"] = tweet["non_public_metrics"]
            data.append(post)
        body: dict = {"data": data} if data else {}
        if errors:
            body["errors"] = errors
        return json_response(body)

    def me(self, call: Call, match: re.Match[str]) -> Response:
        self.authorised(call)
        self.expect(call.arg("user.fields") == "public_metrics", "user.fields=public_metrics")
        if failure := self.injected(call):
            return failure
        public = {"followers_count": 1520, "following_count": 80, "tweet_count": 310, "listed_count": 12}
        user = {"id": "1551234567890123456", "name": "Windward", "username": "windwardkites"}
        return json_response({"data": {**user, "public_metrics": public}})


def _not_found(tweet_id: str) -> dict:
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with ids: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "ids",
        "resource_id": tweet_id,
        "type": NOT_FOUND,
    }


@pytest.fixture
def fake(http_server) -> Iterator[FakeX]:  # noqa: F811
    with serve(FakeX(http_server)) as fake:
        yield fake


def reader(fake: FakeX, secrets: dict[str, str] | None = None):
    connection = connect("x", {"api_url": fake.url}, secrets or {"access_token": TOKEN})
    return PLATFORMS["x"].metrics(connection)


def test_oauth1_signs_the_query_string_too(fake):
    fake.add("801", timedelta(hours=2), likes=4, impressions=40, clicks=2)
    [reading] = reader(fake, OAUTH1).posts([delivery("x", "p", "801", published=NOW - timedelta(hours=2))])
    assert metrics_of(reading)["url_link_clicks"] == 2
    assert reader(fake, OAUTH1).account().metrics["followers_count"] == 1520


def test_a_thread_is_summed_and_fresh_posts_get_their_private_metrics(fake):
    fake.add("101", timedelta(hours=6), likes=5, impressions=300, clicks=4)
    fake.add("102", timedelta(hours=6), likes=2, impressions=100, clicks=1)
    thread = delivery("x", "launch", "101", "102", published=NOW - timedelta(hours=6))
    [reading] = reader(fake).posts([thread])
    assert metrics_of(reading) == {
        "bookmark_count": 2,
        "impression_count": 400,
        "like_count": 7,
        "quote_count": 0,
        "reply_count": 4,
        "retweet_count": 2,
        "url_link_clicks": 5,
        "user_profile_clicks": 2,
    }
    assert fake.calls_to("GET", "/2/tweets")[0].arg("tweet.fields") == "public_metrics,non_public_metrics"


def test_after_30_days_only_public_metrics_are_asked_for(fake):
    fake.add("201", timedelta(days=31), likes=9, impressions=900)
    fake.add("202", timedelta(days=2), likes=1, impressions=50, clicks=3)
    old = delivery("x", "old", "201", published=NOW - timedelta(days=31))
    new = delivery("x", "new", "202", published=NOW - timedelta(days=2))
    found = by_key(reader(fake).posts([old, new]))
    assert "url_link_clicks" not in metrics_of(found[old.key])
    assert metrics_of(found[old.key])["like_count"] == 9
    assert metrics_of(found[new.key])["url_link_clicks"] == 3
    asked = {call.arg("ids"): call.arg("tweet.fields") for call in fake.calls_to("GET", "/2/tweets")}
    assert asked == {"202": "public_metrics,non_public_metrics", "201": "public_metrics"}


def test_100_ids_a_request_and_a_thread_never_split(fake):
    posts = []
    for number in range(60):  # 60 two-part threads: 120 ids
        first, second = str(10_000 + 2 * number), str(10_001 + 2 * number)
        fake.add(first, timedelta(hours=1), likes=1, impressions=10)
        fake.add(second, timedelta(hours=1), likes=1, impressions=10)
        posts.append(delivery("x", f"p{number}", first, second, published=NOW - timedelta(hours=1)))
    found = by_key(reader(fake).posts(posts))
    assert [len(ids) for ids in fake.lookups] == [100, 20]
    assert all(metrics_of(found[post.key])["like_count"] == 2 for post in posts)


def test_a_deleted_post_is_gone_and_the_rest_of_the_batch_is_read(fake):
    fake.add("301", timedelta(hours=1), likes=3, impressions=30)
    kept = delivery("x", "kept", "301", published=NOW - timedelta(hours=1))
    deleted = delivery("x", "deleted", "399", published=NOW - timedelta(hours=1))
    found = by_key(reader(fake).posts([kept, deleted]))
    assert failure_of(found[deleted.key]).gone
    assert metrics_of(found[kept.key])["like_count"] == 3


def test_a_deleted_reply_leaves_the_thread_counted(fake):
    fake.add("401", timedelta(hours=1), likes=3, impressions=30)
    thread = delivery("x", "thread", "401", "402", published=NOW - timedelta(hours=1))
    assert metrics_of(next(iter(reader(fake).posts([thread]))))["like_count"] == 3


def test_rate_limited_leaves_every_delivery_due_with_the_reason(fake):
    fake.add("501", timedelta(hours=1), likes=3, impressions=30)
    reset = {"x-rate-limit-reset": str(int(time.time()) + 900), "x-rate-limit-remaining": "0"}
    problem = {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    fake.fail_next(lambda call: True, lambda call: json_response(problem, 429, reset))
    [failure] = reader(fake).posts([delivery("x", "p", "501", published=NOW - timedelta(hours=1))])
    assert not failure_of(failure).gone and "429" in failure.reason


def test_a_token_without_the_scope_is_a_reason_not_a_traceback(fake):
    fake.add("601", timedelta(hours=1), likes=3, impressions=30)
    problem = {
        "title": "Forbidden",
        "detail": "Missing scope tweet.read",
        "type": "about:blank",
        "status": 403,
    }
    fake.fail_next(lambda call: True, lambda call: json_response(problem, 403))
    [failure] = reader(fake).posts([delivery("x", "p", "601", published=NOW - timedelta(hours=1))])
    assert "403" in failure_of(failure).reason and "tweet.read" in failure.reason
    assert "doctor" in failure.reason and TOKEN not in failure.reason


def test_malformed_json_is_a_reason(fake):
    fake.add("701", timedelta(hours=1), likes=3, impressions=30)
    fake.fail_next(lambda call: True, lambda call: Response("<html>oops</html>", 200, mimetype="text/html"))
    [failure] = reader(fake).posts([delivery("x", "p", "701", published=NOW - timedelta(hours=1))])
    assert "malformed" in failure_of(failure).reason


def test_account_followers(fake):
    account = reader(fake).account()
    assert account.account == "brand_x"
    assert account.metrics == {
        "followers_count": 1520,
        "following_count": 80,
        "tweet_count": 310,
        "listed_count": 12,
    }


def test_account_refused_raises_for_the_puller(fake):
    fake.fail_next(
        lambda call: True, lambda call: json_response({"title": "Unauthorized", "status": 401}, 401)
    )
    with pytest.raises(PermanentError, match="401"):
        reader(fake).account()


def test_declared_with_its_scopes():
    assert PLATFORMS["x"].metrics_scopes == ("tweet.read", "users.read")
    assert PLATFORMS["x"].metrics.module == "postwright.platforms.x.metrics"


X_BRAND = """\
brand:
  name: Test Brand
  timezone: UTC
  platforms: [x]
accounts:
  x_main:
    platform: x
    deliver: api
    settings: {{api_url: "{url}"}}
    credentials: {{access_token: PW_X_TOKEN}}
"""


def published(ledger: Ledger, key: str, remote_ids: list[str], at: datetime) -> None:
    """What publish appends for a job sent through the API: started, then published, part by part."""
    for part, remote_id in enumerate(remote_ids, 1):
        common = dict(
            key=key,
            part=part,
            parts=len(remote_ids),
            idempotency_key=f"{key}-{part}",
            post_id=key.split(".", 1)[0],
            account="x_main",
            platform="x",
            content_hash="sha256:0",
            time=at.isoformat(),
            via="api",
        )
        ledger.append(Record(status=RecordStatus.STARTED, **common))
        url = f"https://x.com/i/web/status/{remote_id}"
        ledger.append(Record(status=RecordStatus.PUBLISHED, remote_id=remote_id, url=url, **common))


def test_metrics_pull_stores_an_x_thread_summed_and_the_followers(tmp_path, fake):
    fake.add("901", timedelta(hours=6), likes=5, impressions=300, clicks=4)
    fake.add("902", timedelta(hours=6), likes=2, impressions=100, clicks=1)
    (tmp_path / "config.yml").write_text(X_BRAND.format(url=fake.url))
    (tmp_path / "state").mkdir()
    published(
        Ledger(tmp_path / "state"), "2026-12-07-launch.en/x_main", ["901", "902"], NOW - timedelta(hours=6)
    )
    result = CliRunner(env={"PW_X_TOKEN": TOKEN}).invoke(
        cli, ["-C", str(tmp_path), "metrics", "pull", "--at", NOW.isoformat()]
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "state/metrics/x/2026-12.csv").open(newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["post_id"], row["account"], row["like_count"], row["impression_count"]) == (
        "2026-12-07-launch",
        "x_main",
        "7",
        "400",
    )
    assert row["url_link_clicks"] == "5" and row["observed"] == "2026-12-07T12:00:00Z"
    with (tmp_path / "state/metrics/x/accounts-2026.csv").open(newline="") as handle:
        [account] = list(csv.DictReader(handle))
    assert (account["account"], account["followers_count"]) == ("x_main", "1520")
    assert [call.arg("ids") for call in fake.calls_to("GET", "/2/tweets")] == ["901,902"]
