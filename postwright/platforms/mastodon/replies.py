"""Mastodon's replies reader: a post's thread from its context, mentions from the notifications.

GET /api/v1/statuses/:id/context gives every descendant of the brand's status (its thread parts and
everyone's replies); a reply counts as answered once a status of the brand's account descends from it.
GET /api/v1/notifications?types[]=mention gives mentions, newest first, paged with max_id (Link header)
until they are older than the mention window. A mention counts as answered once one of the brand's own
statuses (GET /api/v1/accounts/:id/statuses, newest first, same paging) replies to it: Mastodon gives a
status's parent (in_reply_to_id) but not its thread's root, so an answer further down the mention's
thread is not seen without a context request per mention, which this reader does not make. All are in
Mastodon's documentation (content/en/methods/statuses.md "View statuses above and below this status",
notifications.md "Get all notifications", accounts.md "Get account's statuses") and need read:statuses,
read:notifications and read:accounts (verify_credentials: who the brand is).
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from postwright.engagement.model import Conversation, Kind, PostGone
from postwright.engagement.reading import answered, json_body, utc
from postwright.insights.model import Delivery
from postwright.platforms.contract import Connection, UnexpectedAnswer
from postwright.platforms.http_client import ApiClient

NOTIFICATIONS_PAGE = 80  # GET /api/v1/notifications limit: "Max 80 notifications. Defaults to 40."
STATUSES_PAGE = (
    40  # GET /api/v1/accounts/:id/statuses limit: "Max 40 statuses. Defaults to 20." (accounts.md)
)
MOST_PAGES = 10  # over 800 mentions in the window: the oldest are left to the platform's own inbox
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


class MastodonReplies:
    """The RepliesReader for one Mastodon account (engagement.model)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        token = connection.secrets["access_token"]
        instance = str(connection.required("instance")).rstrip("/")
        self.api = ApiClient(connection, instance, headers={"Authorization": f"Bearer {token}"})
        self._me: str | None = None

    def me(self) -> str:
        """The brand's account id (GET /api/v1/accounts/verify_credentials), asked once."""
        if self._me is None:
            answer = self.api.request("GET", "/api/v1/accounts/verify_credentials").json()
            if not isinstance(answer, dict) or not isinstance(answer.get("id"), str | int):
                raise UnexpectedAnswer("verify_credentials gave no account id")
            self._me = str(answer["id"])
        return self._me

    def replies(self, deliveries: Sequence[Delivery], since: datetime) -> Iterator[Conversation]:
        for delivery in deliveries:
            yield from self._thread(delivery)

    def _thread(self, delivery: Delivery) -> list[Conversation]:
        first = urllib.parse.quote(delivery.remote_ids[0], safe="")
        response = self.api.request("GET", f"/api/v1/statuses/{first}/context", ok=(404,))
        if response.status_code == 404:  # the brand's status was deleted on the server
            raise PostGone(delivery.key)
        descendants = json_body(response).get("descendants")
        if not isinstance(descendants, list):
            raise UnexpectedAnswer("context has no list of descendants")
        statuses = [_checked(status) for status in descendants]
        me = self.me()
        own = [status["id"] for status in statuses if str(status["account"]["id"]) == me]
        answered_ids = answered({status["id"]: status.get("in_reply_to_id") for status in statuses}, own)
        return [
            _conversation(
                self.connection.account, "reply", status, delivery.key, status["id"] in answered_ids
            )
            for status in statuses
            if str(status["account"]["id"]) != me
        ]

    def mentions(self, since: datetime) -> Iterator[Conversation]:
        params = {"types[]": "mention", "limit": NOTIFICATIONS_PAGE}
        for notification in self._newest_first("/api/v1/notifications", params):
            status = _mention_status(notification)
            if status is None:
                continue
            if utc(status["created_at"], "created_at") < since:
                return
            yield _conversation(self.connection.account, "mention", status, None, False)

    def replied_to(self, since: datetime) -> set[str]:
        """The statuses the brand's own statuses since `since` reply to (their in_reply_to_id)."""
        params = {"limit": STATUSES_PAGE, "exclude_reblogs": "true"}
        path = f"/api/v1/accounts/{urllib.parse.quote(self.me(), safe='')}/statuses"
        found: set[str] = set()
        for status in self._newest_first(path, params):
            checked = _checked(status)
            if utc(checked["created_at"], "created_at") < since:
                break
            if checked.get("in_reply_to_id"):
                found.add(str(checked["in_reply_to_id"]))
        return found

    def _newest_first(self, path: str, params: dict[str, Any]) -> Iterator[Any]:
        """A list endpoint's items page by page, older pages through the Link header's max_id."""
        params = dict(params)
        for _ in range(MOST_PAGES):
            response = self.api.request("GET", path, params=params)
            page = json_body(response, list)
            yield from page
            older = response.links.get("next", {}).get("url")
            max_id = (
                urllib.parse.parse_qs(urllib.parse.urlsplit(older).query).get("max_id") if older else None
            )
            if not page or not max_id:
                return
            params["max_id"] = max_id[0]


def _checked(status: Any) -> dict[str, Any]:
    """A status with what a conversation needs, or UnexpectedAnswer naming what is missing."""
    ok = (
        isinstance(status, dict)
        and isinstance(status.get("id"), str)
        and isinstance(status.get("account"), dict)
        and isinstance(status["account"].get("id"), str | int)
        and isinstance(status.get("created_at"), str)
    )
    if not ok:
        raise UnexpectedAnswer("a status without id, account or created_at")
    utc(status["created_at"], "created_at")
    return status


def _mention_status(notification: Any) -> dict[str, Any] | None:
    if not isinstance(notification, dict) or notification.get("type") != "mention":
        return None  # a server that ignores types[] sends the others too
    status = notification.get("status")
    return _checked(status) if status is not None else None


def plain(content: str) -> str:
    """A status's HTML as text: line breaks kept as spaces, tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", _BREAK.sub(" ", content))).strip()


def _conversation(
    account: str, kind: Kind, status: Mapping[str, Any], delivery_key: str | None, is_answered: bool
) -> Conversation:
    author = status["account"].get("acct") or status["account"].get("username") or "?"
    return Conversation(
        platform="mastodon",
        account=account,
        kind=kind,
        remote_id=status["id"],
        url=str(status.get("url") or status.get("uri") or ""),
        author=f"@{author}",
        created=utc(status["created_at"], "created_at"),
        text=plain(str(status.get("content") or "")),
        delivery_key=delivery_key,
        parent_id=status.get("in_reply_to_id"),
        answered=is_answered,
    )
