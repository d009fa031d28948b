"""LinkedIn's replies reader: the comments on the brand's post and the comments on those comments.

GET /rest/socialActions/{post-urn}/comments and, for a comment that has some, GET /rest/socialActions/
{comment-urn}/comments (learn.microsoft.com/linkedin/marketing/community-management/shares/comments-api:
"Get Comments on Shares", "Get Comments on Comments"; start/count paging; each element has actor,
created.time in epoch milliseconds, message.text, commentUrn, commentsSummary). A comment of the post's
author (settings.author) below another answers it. Permissions: r_organization_social (an organization,
with the ADMINISTRATOR or DIRECT_SPONSORED_CONTENT_POSTER role) or r_member_social (a member; granted to
select developers only). Mentions are not heard: LinkedIn gives organization mentions only through its
notifications API for approved Community Management apps, and a member's not at all.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from postwright.engagement.model import Conversation, PostGone
from postwright.engagement.reading import json_body, utc
from postwright.insights.model import Delivery
from postwright.platforms.contract import Connection, UnexpectedAnswer
from postwright.platforms.graph_replies import Comment, conversations
from postwright.platforms.http_client import ApiClient
from postwright.platforms.linkedin import API_URL
from postwright.platforms.linkedin.publisher import _headers

PAGE = 100
MOST_PAGES = 10


class LinkedInReplies:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.author = str(connection.required("author"))
        self.client = ApiClient(
            connection, str(connection.setting("api_url", API_URL)), headers=_headers(connection)
        )

    def replies(self, deliveries: Sequence[Delivery], since: datetime) -> Iterator[Conversation]:
        for delivery in deliveries:
            link = next((url for url in delivery.urls if url), "") or ""
            comments: list[Comment] = []
            for item in self._comments(delivery.remote_ids[0], delivery.key):
                comments.append(self._comment(item, None, link))
                summary = item.get("commentsSummary") if isinstance(item.get("commentsSummary"), dict) else {}
                if summary.get("totalFirstLevelComments") or summary.get("aggregatedTotalComments"):
                    parent = comments[-1]
                    comments += [self._comment(reply, parent.id, link) for reply in self._comments(parent.id)]
            yield from conversations("linkedin", self.connection.account, "reply", delivery.key, comments)

    def mentions(self, since: datetime) -> Iterator[Conversation]:
        return iter(())  # not offered to this kind of app: see the module's docstring

    def _comments(self, urn: str, gone_key: str | None = None) -> Iterator[dict[str, Any]]:
        start = 0
        for _ in range(MOST_PAGES):
            path = f"/rest/socialActions/{urllib.parse.quote(urn, safe='')}/comments"
            response = self.client.request("GET", path, params={"start": start, "count": PAGE}, ok=(404,))
            if response.status_code == 404:  # the post (or the comment asked about) was deleted
                if gone_key is not None:
                    raise PostGone(gone_key)
                return
            body = json_body(response)
            elements = body.get("elements")
            if not isinstance(elements, list):
                raise UnexpectedAnswer(f"{path}: no elements list")
            yield from (item for item in elements if isinstance(item, dict))
            start += len(elements)
            total = (body.get("paging") or {}).get("total")
            if not elements or not isinstance(total, int) or start >= total:
                return

    def _comment(self, item: dict[str, Any], parent: str | None, link: str) -> Comment:
        urn = item.get("commentUrn") or item.get("$URN")
        created = item.get("created") if isinstance(item.get("created"), dict) else {}
        message = item.get("message") if isinstance(item.get("message"), dict) else {}
        if not isinstance(urn, str) or not isinstance(created.get("time"), int):
            raise UnexpectedAnswer("a comment without commentUrn or created.time")
        actor = str(item.get("actor") or "")
        return Comment(
            id=urn,
            parent=parent,
            author=actor or "someone",  # a URN: LinkedIn gives names only through the profile APIs
            own=actor == self.author,
            created=utc(created["time"] / 1000, "created.time"),
            text=str(message.get("text") or ""),
            url=link,  # a comment has no link of its own: the post's, where it is answered
        )
