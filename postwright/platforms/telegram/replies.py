"""Telegram's replies reader: the comments on the channel's posts, in the channel's linked discussion group,
read from the bot's updates (getUpdates).

A channel with a discussion group forwards each post into the group automatically (Message
is_automatic_forward, forward_origin of type "channel" with the post's message_id); comments are group
messages in that post's thread (message_thread_id is the forward's id in the group; reply_to_message the
forward, or the comment answered). A message the channel itself sends in the group (sender_chat is the
channel) answers what it replies to. Mentions are messages with a "mention" entity of the channel's
@username. Bot API (core.telegram.org/bots/api#getupdates): allowed_updates, limit 1..100, timeout.

Limits, from the Bot API: the bot must be a member of the discussion group and see its messages
(privacy mode off, or an admin), or no update arrives; updates are kept at most 24 hours, and only while
no webhook is set (getUpdates then answers 409 Conflict, a reason in the pull). The pull confirms no
update (it never sends `offset`), so a pull changes nothing on Telegram and the next run sees the same
ones; at most the 100 oldest updates of the last day are seen.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from postwright.engagement.model import Conversation, Kind
from postwright.engagement.reading import answered, json_body, utc
from postwright.insights.model import Delivery
from postwright.platforms.contract import Connection, UnexpectedAnswer
from postwright.platforms.telegram.publisher import TelegramPublisher, message_link

UPDATES = 100  # getUpdates limit: "Values between 1-100 are accepted. Defaults to 100."


class TelegramReplies:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        publisher = TelegramPublisher(connection)  # its channel and Bot API client (the token in its URL)
        self.channel, self.api = publisher.chat_id, publisher.api
        self._messages: list[dict[str, Any]] | None = None

    def messages(self) -> list[dict[str, Any]]:
        """The messages in the bot's pending updates, asked once per pull."""
        if self._messages is None:
            params = {"allowed_updates": json.dumps(["message"]), "limit": UPDATES, "timeout": 0}
            body = json_body(self.api.request("GET", "getUpdates", params=params))
            updates = body.get("result")
            if body.get("ok") is not True or not isinstance(updates, list):
                raise UnexpectedAnswer("getUpdates gave no result list")
            found = [update.get("message") for update in updates if isinstance(update, dict)]
            self._messages = [_checked(message) for message in found if message is not None]
        return self._messages

    def is_channel(self, chat: Any) -> bool:
        if not isinstance(chat, dict):
            return False
        named = self.channel.lstrip("@").lower()
        return str(chat.get("id")) == self.channel or str(chat.get("username") or "").lower() == named

    def _channel_post(self, message: dict[str, Any]) -> int | None:
        """The channel post a group message is the automatic forward of, else None."""
        if not message.get("is_automatic_forward"):
            return None
        origin = message.get("forward_origin") or {}
        if origin.get("type") == "channel" and self.is_channel(origin.get("chat")):
            return origin.get("message_id")
        return (
            message.get("forward_from_message_id")
            if self.is_channel(message.get("forward_from_chat"))
            else None
        )

    def replies(self, deliveries: Sequence[Delivery], since: datetime) -> Iterator[Conversation]:
        wanted = {
            int(i): d.key for d in deliveries for i in d.remote_ids[0].split(",") if i.strip().isdigit()
        }
        messages = self.messages()
        forwards: dict[int, int] = {}  # the forward's id in the group -> the channel post
        for message in messages:
            for seen in (message, message.get("reply_to_message") or {}):
                post = self._channel_post(seen) if seen else None
                if post is not None:
                    forwards[seen["message_id"]] = post
        comments = []
        for message in messages:
            reply_to = message.get("reply_to_message") or {}
            thread = message.get("message_thread_id") or reply_to.get("message_id")
            key = wanted.get(forwards.get(thread, -1))
            if key is not None and message["message_id"] not in forwards:
                comments.append((message, key))
        parents = {m["message_id"]: (m.get("reply_to_message") or {}).get("message_id") for m, _ in comments}
        own = [m["message_id"] for m, _ in comments if self.is_channel(m.get("sender_chat"))]
        done = answered(parents, own)
        for message, key in comments:
            if not self.is_channel(message.get("sender_chat")):
                yield self._conversation("reply", message, key, message["message_id"] in done)

    def mentions(self, since: datetime) -> Iterator[Conversation]:
        handle = f"@{self.channel.lstrip('@')}".lower()
        for message in self.messages():
            text = message.get("text") or message.get("caption") or ""
            entities = message.get("entities") or message.get("caption_entities") or []
            named = {
                _utf16_slice(text, entity.get("offset", 0), entity.get("length", 0)).lower()
                for entity in entities
                if isinstance(entity, dict) and entity.get("type") == "mention"
            }
            if handle in named and not self.is_channel(message.get("sender_chat")):
                yield self._conversation("mention", message, None, False)

    def _conversation(
        self, kind: Kind, message: dict[str, Any], key: str | None, is_answered: bool
    ) -> Conversation:
        sender = message.get("from") or message.get("sender_chat") or {}
        who = sender.get("username") or " ".join(
            filter(None, (sender.get("first_name"), sender.get("last_name")))
        )
        return Conversation(
            platform="telegram",
            account=self.connection.account,
            kind=kind,
            remote_id=f"{message['chat']['id']}:{message['message_id']}",
            url=message_link(message),
            author=f"@{who}" if sender.get("username") else (who or "someone"),
            created=utc(message["date"], "date"),
            text=str(message.get("text") or message.get("caption") or ""),
            delivery_key=key,
            parent_id=str((message.get("reply_to_message") or {}).get("message_id") or "") or None,
            answered=is_answered,
        )


def _checked(message: Any) -> dict[str, Any]:
    ok = (
        isinstance(message, dict)
        and isinstance(message.get("message_id"), int)
        and isinstance(message.get("chat"), dict)
        and isinstance(message.get("date"), int)
    )
    if not ok:
        raise UnexpectedAnswer("a message without message_id, chat or date")
    return message


def _utf16_slice(text: str, offset: int, length: int) -> str:
    """Entities count UTF-16 code units (Bot API MessageEntity), not code points."""
    units = text.encode("utf-16-le")
    return units[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")
