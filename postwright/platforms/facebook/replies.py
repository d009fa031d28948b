"""Facebook's replies reader: the comments on the Page's post, and the posts the Page is tagged in.

GET /{post-id}/comments with filter=stream lists every comment and reply flat, each with its `parent`
(developers.facebook.com/docs/graph-api/reference/object/comments: "set the filter parameter to stream"
to get all comments; order chronological); the Page's own replies (`from.id` is the Page) mark what they
answer. GET /{page-id}/tagged lists the posts that tag the Page (graph-api/reference/page/tagged).
The Page access token needs pages_read_engagement and pages_read_user_content (comments and posts by
people), from someone who can MODERATE the Page (comment ids are given only to them).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from postwright.engagement.model import Conversation
from postwright.insights.model import Delivery
from postwright.platforms.contract import Connection
from postwright.platforms.facebook.publisher import FacebookPublisher
from postwright.platforms.graph_replies import Comment, conversations, edge, required, since_param, when

FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url"


class FacebookReplies:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        publisher = FacebookPublisher(connection)  # its Page, token, Graph version and client
        self.page_id, self.token, self.version = publisher.page_id, publisher.token, publisher.version
        self.client = publisher.client

    def replies(self, deliveries: Sequence[Delivery], since: datetime) -> Iterator[Conversation]:
        for delivery in deliveries:
            path = f"/{self.version}/{delivery.remote_ids[0]}/comments"
            found = edge(
                self.client,
                self.token,
                path,
                delivery.key,
                filter="stream",
                order="chronological",
                fields=FIELDS,
            )
            comments = [self._comment(item) for item in found]
            yield from conversations("facebook", self.connection.account, "reply", delivery.key, comments)

    def mentions(self, since: datetime) -> Iterator[Conversation]:
        path = f"/{self.version}/{self.page_id}/tagged"
        fields = "id,message,created_time,from{id,name},permalink_url"
        found = edge(self.client, self.token, path, since=since_param(since), fields=fields)
        posts = [self._comment(item) for item in found]
        yield from conversations("facebook", self.connection.account, "mention", None, posts)

    def _comment(self, item: dict[str, Any]) -> Comment:
        author = item.get("from") if isinstance(item.get("from"), dict) else {}
        parent = item.get("parent") if isinstance(item.get("parent"), dict) else {}
        return Comment(
            id=required(item, "id"),
            parent=str(parent["id"]) if parent.get("id") else None,
            author=str(
                author.get("name") or "someone"
            ),  # Graph leaves `from` out for people who did not allow it
            own=str(author.get("id")) == self.page_id,
            created=when(item, "created_time"),
            text=str(item.get("message") or ""),
            url=str(item.get("permalink_url") or f"https://www.facebook.com/{required(item, 'id')}"),
        )
