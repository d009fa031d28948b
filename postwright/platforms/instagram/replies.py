"""Instagram's replies reader: the comments on the brand's media with their replies, and the media the
account is tagged in.

GET /{ig-media-id}/comments with fields id, text, timestamp, username and replies{…} (developers.facebook
.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments; replies are one level deep
on Instagram, reference/ig-comment/replies); a reply whose username is the brand's answers the comment.
GET /{ig-user-id}/tags lists the media the account is tagged in (reference/ig-user/tags). An @mention in
someone's caption or comment reaches an app only by webhook (the Mentions API starts from the webhook's
media or comment id), which a scheduled pull cannot receive: those are not heard. Permissions:
instagram_basic, instagram_manage_comments and pages_read_engagement (Facebook Login), or
instagram_business_basic and instagram_business_manage_comments (Instagram Login).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import takewhile
from typing import Any

from postwright.engagement.model import Conversation
from postwright.insights.model import Delivery
from postwright.platforms.contract import Connection, UnexpectedAnswer
from postwright.platforms.graph_replies import Comment, conversations, edge, required, when
from postwright.platforms.instagram import API_URL
from postwright.platforms.instagram.publisher import InstagramGraph

COMMENT = "id,text,timestamp,username"
FIELDS = f"{COMMENT},replies{{{COMMENT}}}"


class InstagramReplies:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.user = str(connection.required("user_id"))
        self.token = connection.secrets["access_token"]
        self.client = InstagramGraph(connection, str(connection.setting("api_url") or API_URL), self.token)
        self._username: str | None = None

    def username(self) -> str:
        """The account's own username (GET /{ig-user-id}?fields=username), asked once."""
        if self._username is None:
            answer = self.client.get(self.user, fields="username")
            if not isinstance(answer.get("username"), str):
                raise UnexpectedAnswer("the account's username was not given")
            self._username = answer["username"]
        return self._username

    def replies(self, deliveries: Sequence[Delivery], since: datetime) -> Iterator[Conversation]:
        for delivery in deliveries:
            link = next((url for url in delivery.urls if url), "") or ""
            found = edge(
                self.client, self.token, f"{delivery.remote_ids[0]}/comments", delivery.key, fields=FIELDS
            )
            comments: list[Comment] = []
            for item in found:
                top = self._comment(item, None, link)
                replies = item.get("replies") if isinstance(item.get("replies"), dict) else {}
                comments += [
                    top,
                    *(self._comment(reply, top.id, link) for reply in replies.get("data") or []),
                ]
            yield from conversations("instagram", self.connection.account, "reply", delivery.key, comments)

    def mentions(self, since: datetime) -> Iterator[Conversation]:
        fields = "id,caption,timestamp,username,permalink"
        tagged = takewhile(
            lambda item: when(item, "timestamp") >= since,
            edge(self.client, self.token, f"{self.user}/tags", fields=fields),
        )
        posts = [
            Comment(
                id=required(item, "id"),
                parent=None,
                author=f"@{item.get('username') or 'someone'}",
                own=False,
                created=when(item, "timestamp"),
                text=str(item.get("caption") or ""),
                url=str(item.get("permalink") or ""),
            )
            for item in tagged
        ]
        yield from conversations("instagram", self.connection.account, "mention", None, posts)

    def _comment(self, item: Any, parent: str | None, link: str) -> Comment:
        if not isinstance(item, dict):
            raise UnexpectedAnswer("a comment that is not an object")
        username = str(item.get("username") or "")
        return Comment(
            id=required(item, "id"),
            parent=parent,
            author=f"@{username or 'someone'}",
            own=bool(username) and username == self.username(),
            created=when(item, "timestamp"),
            text=str(item.get("text") or ""),
            url=link,  # comments have no link of their own: the post's, where they are answered
        )
