"""Threads' replies reader: a post's whole conversation, and the posts that mention the account.

GET /{threads-media-id}/conversation lists every reply, nested ones too, flat, with `replied_to` and
`is_reply_owned_by_me` (developers.facebook.com/documentation/threads/reference/reply-management;
reverse=false: oldest first). GET /{threads-user-id}/mentions lists public posts that tag the account
(documentation/threads/threads-mentions; `since` in Unix seconds, at least 1688540400). Permissions:
threads_basic, threads_read_replies and threads_manage_mentions (without advanced access to the last,
only mentions by the app's testers are returned).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from postwright.engagement.model import Conversation
from postwright.insights.model import Delivery
from postwright.platforms.contract import Connection
from postwright.platforms.graph_replies import Comment, conversations, edge, required, since_param, when
from postwright.platforms.instagram.publisher import InstagramGraph
from postwright.platforms.threads import API_URL

FIELDS = "id,text,username,timestamp,permalink,replied_to,is_reply_owned_by_me"
EARLIEST_SINCE = 1688540400  # threads-mentions: "since … must be greater than or equal to 1688540400"


class ThreadsReplies:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.user = str(connection.setting("user_id") or "me")
        self.token = connection.secrets["access_token"]
        self.client = InstagramGraph(connection, str(connection.setting("api_url") or API_URL), self.token)

    def replies(self, deliveries: Sequence[Delivery], since: datetime) -> Iterator[Conversation]:
        for delivery in deliveries:
            path = f"{delivery.remote_ids[0]}/conversation"
            found = edge(self.client, self.token, path, delivery.key, fields=FIELDS, reverse="false")
            comments = [self._post(item) for item in found]
            yield from conversations("threads", self.connection.account, "reply", delivery.key, comments)

    def mentions(self, since: datetime) -> Iterator[Conversation]:
        fields = "id,text,username,timestamp,permalink"
        found = edge(
            self.client,
            self.token,
            f"{self.user}/mentions",
            fields=fields,
            since=max(since_param(since), EARLIEST_SINCE),
        )
        yield from conversations(
            "threads", self.connection.account, "mention", None, [self._post(item) for item in found]
        )

    def _post(self, item: dict[str, Any]) -> Comment:
        replied_to = item.get("replied_to") if isinstance(item.get("replied_to"), dict) else {}
        return Comment(
            id=required(item, "id"),
            parent=str(replied_to["id"]) if replied_to.get("id") else None,
            author=f"@{item.get('username') or 'someone'}",
            own=item.get("is_reply_owned_by_me") is True,
            created=when(item, "timestamp"),
            text=str(item.get("text") or ""),
            url=str(item.get("permalink") or ""),
        )
