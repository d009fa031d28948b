"""X's replies reader: a post's conversation from recent search, and the account's mentions.

GET /2/tweets/search/recent?query=conversation_id:<id> finds the replies in the post's conversation at
any depth (docs.x.com/x-api/posts/search; "conversation_id:" operator, max_results 10..100, next_token;
recent search covers the last 7 days, so a post's replies are heard while it is fresh and for a few
days after). GET /2/users/:id/mentions lists posts that mention the account (docs.x.com/x-api/posts/
timelines, max_results 5..100, start_time, pagination_token). A reply counts as answered once a post of
the account's sits below it (referenced_tweets replied_to). A mention counts as answered once one of the
account's own posts since (GET /2/users/:id/tweets, the same timelines page: start_time, exclude=retweets)
replies to it or sits in the conversation it started (its conversation_id). All need tweet.read and
users.read (OAuth 2.0) or an OAuth 1.0a user token, and an access tier that includes search (Basic or
above). Every post read counts against the app's monthly post reads (docs.x.com/x-api/fundamentals/
rate-limits), and each run reads the whole mention window again: a shorter `engagement.mention_days`
reads less.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from postwright.engagement.model import Conversation, Kind
from postwright.engagement.reading import answered, json_body, utc
from postwright.insights.model import Delivery
from postwright.platforms.contract import Connection, UnexpectedAnswer
from postwright.platforms.x.publisher import XPublisher

PAGE = 100  # max_results: at most 100 on both endpoints
MOST_PAGES = 5
FIELDS = {
    "tweet.fields": "author_id,created_at,conversation_id,referenced_tweets",
    "expansions": "author_id",
    "user.fields": "username",
    "max_results": str(PAGE),
}


class XReplies:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.x = XPublisher(connection)  # its auth (OAuth 1.0a or 2.0), base URL and error mapping

    def replies(self, deliveries: Sequence[Delivery], since: datetime) -> Iterator[Conversation]:
        me = self.x._me()
        for delivery in deliveries:
            query = {"query": f"conversation_id:{delivery.remote_ids[0]}", **FIELDS}
            posts = list(self._pages("/2/tweets/search/recent", query, "next_token"))
            parents = {post["id"]: _replied_to(post) for post in posts}
            done = answered(parents, [post["id"] for post in posts if post["author_id"] == me])
            for post in posts:
                if post["author_id"] != me:
                    yield self._conversation("reply", post, delivery.key, post["id"] in done)

    def mentions(self, since: datetime) -> Iterator[Conversation]:
        start = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        query = {**FIELDS, "start_time": start}
        for post in self._pages(f"/2/users/{self.x._me()}/mentions", query, "pagination_token"):
            yield self._conversation("mention", post, None, False)

    def replied_to(self, since: datetime) -> set[str]:
        """The posts the account's own posts since `since` reply to, and their conversations' roots."""
        me = self.x._me()
        query = {**FIELDS, "start_time": since.strftime("%Y-%m-%dT%H:%M:%SZ"), "exclude": "retweets"}
        found: set[str] = set()
        for post in self._pages(f"/2/users/{me}/tweets", query, "pagination_token"):
            parent = _replied_to(post)
            if parent:
                found.add(parent)
            if isinstance(post.get("conversation_id"), str):
                found.add(post["conversation_id"])
        return found

    def _pages(self, path: str, query: dict[str, str], cursor: str) -> Iterator[dict[str, Any]]:
        """The posts of each page, with `username` from the expanded authors; X leaves `data` out when
        nothing matched."""
        params = dict(query)
        for _ in range(MOST_PAGES):
            body = json_body(self.x._call("GET", path, params=params))
            users = (body.get("includes") or {}).get("users") or []
            names = {str(user.get("id")): user.get("username") for user in users if isinstance(user, dict)}
            for post in body.get("data") or []:
                yield _checked(post) | {"username": names.get(str(post.get("author_id")))}
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return
            params[cursor] = token

    def _conversation(
        self, kind: Kind, post: dict[str, Any], key: str | None, is_answered: bool
    ) -> Conversation:
        who = post.get("username") or post["author_id"]
        return Conversation(
            platform="x",
            account=self.connection.account,
            kind=kind,
            remote_id=post["id"],
            url=f"https://x.com/{who}/status/{post['id']}",
            author=f"@{who}",
            created=utc(post["created_at"], "created_at"),
            text=str(post.get("text") or ""),
            delivery_key=key,
            parent_id=_replied_to(post),
            answered=is_answered,
        )


def _checked(post: Any) -> dict[str, Any]:
    if not (
        isinstance(post, dict) and isinstance(post.get("id"), str) and isinstance(post.get("author_id"), str)
    ):
        raise UnexpectedAnswer("a post without id or author_id")
    utc(post.get("created_at"), "created_at")
    return post


def _replied_to(post: dict[str, Any]) -> str | None:
    for reference in post.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("type") == "replied_to":
            return str(reference.get("id"))
    return None
