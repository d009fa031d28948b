"""What the Facebook, Instagram and Threads replies readers share: reading a Graph edge page by page
(cursor paging, graph-api/results), a post deleted on the platform told apart from a refusal, and a flat
list of comments turned into conversations with the brand's answers found (not a platform).

Each platform's replies.py says which edge and fields it reads, how it knows the brand's own comments,
and where its mentions come from.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postwright.engagement.model import Conversation, Kind, PostGone
from postwright.engagement.reading import answered, json_body, utc
from postwright.platforms.contract import UnexpectedAnswer
from postwright.platforms.graph import GraphClient, already_gone

PAGE = 100  # comments asked per page: Graph edges take `limit`; a smaller page is followed by its cursor
MOST_PAGES = 10  # 1,000 comments on one post a run; a thread beyond that is the platform's own inbox's


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment or reply as a Meta platform lists it, flattened: `parent` None for a top-level one."""

    id: str
    parent: str | None
    author: str
    own: bool  # written by the brand's account
    created: datetime
    text: str
    url: str


def edge(
    client: GraphClient, token: str, path: str, gone_key: str | None = None, **params: Any
) -> Iterator[dict[str, Any]]:
    """Every object of a list edge, following `paging.cursors.after` while `paging.next` says there is more.

    With `gone_key`, a first answer saying the object does not exist (404, or code 100 subcode 33) is
    PostGone(gone_key): the brand's post was deleted, so it is not asked again."""
    after = None
    for page in range(MOST_PAGES):
        query = {**params, "limit": PAGE, "access_token": token} | ({"after": after} if after else {})
        response = client.request("GET", path, params=query, ok=(400, 404))
        if not response.is_success:
            if page == 0 and gone_key is not None and already_gone(response):
                raise PostGone(gone_key)
            raise client.error_for(response)
        body = json_body(response)
        data = body.get("data")
        if not isinstance(data, list):
            raise UnexpectedAnswer(f"{path}: no data list")
        yield from (item for item in data if isinstance(item, dict))
        paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        after = cursors.get("after") if paging.get("next") else None
        if not after or not data:
            return


def required(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise UnexpectedAnswer(f"a comment without {name}")
    return str(value)


def conversations(
    platform: str, account: str, kind: Kind, delivery_key: str | None, comments: Sequence[Comment]
) -> list[Conversation]:
    """The comments not written by the brand, each answered once a comment of the brand's is below it."""
    done = answered({c.id: c.parent for c in comments}, [c.id for c in comments if c.own])
    return [
        Conversation(
            platform=platform,
            account=account,
            kind=kind,
            remote_id=comment.id,
            url=comment.url,
            author=comment.author,
            created=comment.created,
            text=comment.text,
            delivery_key=delivery_key,
            parent_id=comment.parent,
            answered=comment.id in done,
        )
        for comment in comments
        if not comment.own
    ]


def since_param(since: datetime) -> int:
    """Graph's time-based paging takes `since` as Unix seconds (graph-api/results, Time-based Pagination)."""
    return int(since.timestamp())


def when(item: dict[str, Any], name: str) -> datetime:
    return utc(item.get(name), name)
