"""Bluesky's numbers, from the AppView (public data, no session needed): a post's likes, reposts, replies,
quotes (and bookmarks where the AppView counts them), the account's followers.

`GET {appview_url}/xrpc/app.bsky.feed.getPosts?uris=…` takes up to 25 at:// URIs (lexicon
app.bsky.feed.getPosts: `uris` array, maxLength 25) and answers `posts`, postViews whose counts are
`likeCount`, `repostCount`, `replyCount`, `quoteCount`, `bookmarkCount` (app.bsky.feed.defs#postView, all
optional). A post missing from the answer is deleted, or not indexed yet: gone once it is a day old.
`GET {appview_url}/xrpc/app.bsky.actor.getProfile?actor=<handle>` gives `followersCount`, `followsCount`,
`postsCount` (app.bsky.actor.defs#profileViewDetailed). `appview_url` defaults to Bluesky's public
AppView, https://public.api.bsky.app (docs.bsky.app: "API Hosts and Auth").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from postwright.insights.counts import is_count, summed
from postwright.insights.model import AccountReading, Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection, PermanentError
from postwright.platforms.http_client import ApiClient

BATCH = 25  # app.bsky.feed.getPosts: uris maxLength 25
COUNTS = ("likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount")
ACCOUNT_COUNTS = ("followersCount", "followsCount", "postsCount")
GONE_AFTER = timedelta(days=1)  # younger and missing: the AppView may not have indexed it yet


class BlueskyMetrics:
    """The metrics reader of one Bluesky account (insights.model.MetricsReader)."""

    batch = BATCH

    def __init__(self, connection: Connection) -> None:
        self.account_name = connection.account
        self.actor = str(connection.required("handle")).lstrip("@")
        self.clock = connection.clock
        appview = str(connection.setting("appview_url", "https://public.api.bsky.app")).rstrip("/")
        self.api = ApiClient(connection, appview)

    def posts(self, deliveries: Sequence[Delivery]) -> Iterator[PostReading | ReadFailure]:
        uris = [uri for delivery in deliveries for uri in delivery.remote_ids]
        found: dict[str, Mapping[str, Any]] = {}
        for start in range(0, len(uris), BATCH):
            chunk = uris[start : start + BATCH]
            body = self.api.request("GET", "/xrpc/app.bsky.feed.getPosts", params={"uris": chunk}).json()
            posts = body.get("posts") if isinstance(body, dict) else None
            if not isinstance(posts, list) or not all(isinstance(post, dict) for post in posts):
                raise PermanentError("malformed answer: getPosts has no list of posts")
            found.update((str(post.get("uri")), post) for post in posts)
        now = self.clock()
        for delivery in deliveries:
            views = [found.get(uri) for uri in delivery.remote_ids]
            if any(view is None for view in views):
                gone = now - delivery.published >= GONE_AFTER
                said = "deleted" if gone else "deleted, or not indexed by the AppView yet"
                yield ReadFailure(delivery.key, f"not in the AppView's answer ({said})", gone=gone)
                continue
            try:
                yield PostReading(delivery.key, summed(views, COUNTS))
            except ValueError as error:
                yield ReadFailure(delivery.key, f"malformed answer: {error}")

    def account(self) -> AccountReading | None:
        body = self.api.request("GET", "/xrpc/app.bsky.actor.getProfile", params={"actor": self.actor}).json()
        if not isinstance(body, dict) or not is_count(body.get("followersCount")):
            raise PermanentError("malformed answer: getProfile has no followersCount")
        return AccountReading(
            self.account_name, {name: body[name] for name in ACCOUNT_COUNTS if is_count(body.get(name))}
        )
