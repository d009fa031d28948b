"""X's metrics reader: post numbers through GET /2/tweets, the account's through GET /2/users/me.

docs.x.com/x-api/fundamentals/metrics: public_metrics (retweet_count, reply_count, like_count,
quote_count, bookmark_count, impression_count) with any authentication; non_public_metrics
(impression_count, url_link_clicks, user_profile_clicks) only with user-context authentication (the
publisher's OAuth 1.0a or OAuth 2.0 user token) and "only available for posts created within the last 30
days". So a post younger than 30 days is asked for both, an older one for public_metrics only (asking an
old post for non-public fields earns an authorization error instead of its numbers). Posts lookup takes
"up to 100" ids a request (docs.x.com/x-api/posts/lookup/introduction: GET /2/tweets?ids=).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from postwright.insights.model import AccountReading, Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection
from postwright.platforms.reading import (
    ITEM_ERRORS,
    STOP_ERRORS,
    Malformed,
    chunks_by_parts,
    failed_batch,
    from_batch,
    json_of,
    number,
    refusals_as_permanent,
)
from postwright.platforms.x.publisher import XPublisher

IDS_PER_REQUEST = 100  # GET /2/tweets ids: "up to 100 are allowed in a single request"
PRIVATE_WINDOW = timedelta(days=30)  # non-public metrics: "posts created within the last 30 days"
_NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"  # an errors[] entry's type


class XMetrics:
    """Reads with the publisher's client and signing (x/publisher.py): same credentials, same errors."""

    batch = IDS_PER_REQUEST

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.publisher = XPublisher(connection)

    def posts(self, deliveries: Sequence[Delivery]) -> Iterator[PostReading | ReadFailure]:
        now = self.connection.clock()
        fresh = [d for d in deliveries if now - d.published < PRIVATE_WINDOW]
        settled = [d for d in deliveries if now - d.published >= PRIVATE_WINDOW]
        for group, private in ((fresh, True), (settled, False)):
            for chunk in chunks_by_parts(group, IDS_PER_REQUEST):
                yield from self._lookup(chunk, private)

    def _lookup(self, deliveries: list[Delivery], private: bool) -> list[PostReading | ReadFailure]:
        ids = [remote_id for delivery in deliveries for remote_id in delivery.remote_ids]
        fields = "public_metrics,non_public_metrics" if private else "public_metrics"
        try:
            params = {"ids": ",".join(ids), "tweet.fields": fields}
            answer = json_of(self.publisher._call("GET", "/2/tweets", params=params))
            found, gone = _metrics_by_id(answer)
        except (*STOP_ERRORS, *ITEM_ERRORS) as error:
            return list(failed_batch(deliveries, error))
        return [from_batch(delivery, found, gone, "X did not return this post") for delivery in deliveries]

    @refusals_as_permanent
    def account(self) -> AccountReading:
        """GET /2/users/me?user.fields=public_metrics: followers_count, following_count, tweet_count,
        listed_count (docs.x.com/x-api/users/lookup, the User object's public_metrics)."""
        answer = json_of(self.publisher._call("GET", "/2/users/me", params={"user.fields": "public_metrics"}))
        public = _object(_object(answer, "data"), "public_metrics")
        return AccountReading(
            self.connection.account, {name: number(value) for name, value in public.items()}
        )


def _metrics_by_id(answer: Any) -> tuple[dict[str, dict[str, int]], set[str]]:
    """Each returned post's public and non-public numbers in one mapping (the non-public impression_count
    is the same count as the public one), and the ids X says it could not find."""
    if not isinstance(answer, dict):
        raise Malformed("malformed answer: not a JSON object")
    found: dict[str, dict[str, int]] = {}
    for post in answer.get("data") or []:  # "data" is absent when none was found
        metrics = {**_object(post, "public_metrics"), **(post.get("non_public_metrics") or {})}
        found[str(post["id"])] = {name: number(value) for name, value in sorted(metrics.items())}
    gone = {
        str(error.get("resource_id") or error.get("value"))
        for error in answer.get("errors") or []
        if isinstance(error, dict) and error.get("type") == _NOT_FOUND
    }
    return found, gone


def _object(parent: Any, name: str) -> Mapping[str, Any]:
    value = parent.get(name) if isinstance(parent, dict) else None
    if not isinstance(value, dict):
        raise Malformed(f"malformed answer: no {name} object")
    return value
