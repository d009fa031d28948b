"""Bluesky's replies reader: a post's thread (app.bsky.feed.getPostThread) and the account's mention and
reply notifications (app.bsky.notification.listNotifications), through the account's PDS, which passes
app.bsky.* queries on to its AppView. Both need a session (the app password the publisher logs in with);
the lexicons are atproto's lexicons/app/bsky/feed/getPostThread.json (uri, depth 0..1000 default 6,
parentHeight 0..1000 default 80; error NotFound) and notification/listNotifications.json (reasons,
limit 1..100 default 50, cursor). A reply counts as answered once a post of the brand's account sits
below it in the thread; a deleted reply is a notFoundPost there (its own replies are not shown). A
mention (or a reply heard only as a notification) counts as answered once one of the brand's own posts
replies to it or sits in the thread it started: the brand's posts come from app.bsky.feed.getAuthorFeed
(lexicon: actor, limit 1..100 default 50, cursor; feedViewPost items), whose records name their reply's
parent and root.

Everything goes through the PDS, not `appview_url` (which `metrics pull` reads, without a session):
notifications are the account's own, and only its PDS, holding the session, can ask the AppView for them,
so the reader signs in anyway; threads and the author feed go the same way, so one host answers the whole
pull, as the signed-in brand sees it in the app (the public AppView answers as a logged-out viewer).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from postwright.engagement.model import Conversation, Kind, PostGone
from postwright.engagement.reading import json_body, utc
from postwright.insights.model import Delivery
from postwright.platforms.bluesky.publisher import BlueskyPublisher, _error_name
from postwright.platforms.contract import Connection, UnexpectedAnswer

DEPTH = 20  # replies below the post to read (getPostThread depth, at most 1000)
NOTIFICATIONS_PAGE = 100  # listNotifications limit: 1..100, default 50
FEED_PAGE = 100  # getAuthorFeed limit: 1..100, default 50
MOST_PAGES = 10  # over 1,000 notifications in the mention window: the oldest are left to the app
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"


class BlueskyReplies:
    """The RepliesReader for one Bluesky account (engagement.model); signs in as the publisher does."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.client = BlueskyPublisher(connection)  # its session, refresh and XRPC error mapping

    def replies(self, deliveries: Sequence[Delivery], since: datetime) -> Iterator[Conversation]:
        for delivery in deliveries:
            yield from self._thread(delivery)

    def _thread(self, delivery: Delivery) -> list[Conversation]:
        params = {"uri": delivery.remote_ids[0], "depth": DEPTH, "parentHeight": 0}
        response = self.client._xrpc("GET", "app.bsky.feed.getPostThread", params=params, ok=(400,))
        if response.status_code == 400:
            if _error_name(response) == "NotFound":
                raise PostGone(delivery.key)
            raise self.client._error(response)
        thread = json_body(response).get("thread")
        if not isinstance(thread, dict) or thread.get("$type") != THREAD_VIEW:
            if isinstance(thread, dict) and thread.get("notFound"):
                raise PostGone(delivery.key)
            raise UnexpectedAnswer("getPostThread gave no threadViewPost")
        me = self.client.login().did
        found: list[Conversation] = []
        self._walk(thread, me, delivery.key, found)
        return found

    def _walk(self, node: dict[str, Any], me: str, key: str, found: list[Conversation]) -> bool:
        """Add the conversations below `node`; True when a post of the brand's sits anywhere below it."""
        answered_below = False
        for child in node.get("replies") or []:
            if not isinstance(child, dict) or child.get("$type") != THREAD_VIEW:
                continue  # a notFoundPost (deleted) or blockedPost: nothing to answer
            post = _post(child.get("post"))
            mine = post["author"]["did"] == me
            answered = self._walk(child, me, key, found)
            if not mine:
                found.append(self._conversation("reply", post, key, answered))
            answered_below = answered_below or mine or answered
        return answered_below

    def mentions(self, since: datetime) -> Iterator[Conversation]:
        params = {"reasons": ["mention", "reply"], "limit": NOTIFICATIONS_PAGE}
        for notification in self._pages("app.bsky.notification.listNotifications", params, "notifications"):
            if not isinstance(notification, dict) or notification.get("reason") not in ("mention", "reply"):
                continue
            post = _post(notification)
            if utc(post["indexedAt"], "indexedAt") < since:
                return
            kind: Kind = "mention" if notification["reason"] == "mention" else "reply"
            yield self._conversation(kind, post, None, False)

    def replied_to(self, since: datetime) -> set[str]:
        """The posts the brand's own posts since `since` reply to, and the roots of their threads."""
        me = self.client.login().did
        params = {"actor": me, "limit": FEED_PAGE, "filter": "posts_with_replies"}
        found: set[str] = set()
        for item in self._pages("app.bsky.feed.getAuthorFeed", params, "feed"):
            if not isinstance(item, dict) or item.get("reason") is not None:
                continue  # a repost (or a pin) of the brand's: not an answer, and out of date order
            post = _post(item.get("post"))
            if post["author"]["did"] != me:
                continue
            if utc(post["indexedAt"], "indexedAt") < since:
                break
            reply = post["record"].get("reply")
            for end in ("parent", "root"):
                ref = reply.get(end) if isinstance(reply, dict) else None
                if isinstance(ref, dict) and isinstance(ref.get("uri"), str):
                    found.add(ref["uri"])
        return found

    def _pages(self, method: str, params: dict[str, Any], key: str) -> Iterator[Any]:
        """The items under `key` of each page of an XRPC list query, following its cursor."""
        params = dict(params)
        for _ in range(MOST_PAGES):
            body = json_body(self.client._xrpc("GET", method, params=params))
            items = body.get(key)
            if not isinstance(items, list):
                raise UnexpectedAnswer(f"{method.rsplit('.', 1)[-1]} gave no list of {key}")
            yield from items
            cursor = body.get("cursor")
            if not items or not isinstance(cursor, str) or not cursor:
                return
            params["cursor"] = cursor

    def _conversation(
        self, kind: Kind, post: dict[str, Any], key: str | None, answered: bool
    ) -> Conversation:
        author = post["author"]
        record = post["record"]
        rkey = post["uri"].rsplit("/", 1)[-1]
        web = str(self.connection.setting("web_url", "https://bsky.app")).rstrip("/")
        parent = (record.get("reply") or {}).get("parent") or {}
        return Conversation(
            platform="bluesky",
            account=self.connection.account,
            kind=kind,
            remote_id=post["uri"],
            url=f"{web}/profile/{author.get('handle') or author['did']}/post/{rkey}",
            author=f"@{author.get('handle') or author['did']}",
            created=utc(post["indexedAt"], "indexedAt"),
            text=str(record.get("text") or ""),
            delivery_key=key,
            parent_id=parent.get("uri") if isinstance(parent, dict) else None,
            answered=answered,
        )


def _post(post: Any) -> dict[str, Any]:
    """A postView (or notification) with uri, author.did, record and indexedAt, or UnexpectedAnswer."""
    ok = (
        isinstance(post, dict)
        and isinstance(post.get("uri"), str)
        and post["uri"].startswith("at://")
        and isinstance(post.get("author"), dict)
        and isinstance(post["author"].get("did"), str)
        and isinstance(post.get("record"), dict)
        and isinstance(post.get("indexedAt"), str)
    )
    if not ok:
        raise UnexpectedAnswer("a post without uri, author, record or indexedAt")
    utc(post["indexedAt"], "indexedAt")
    return post
