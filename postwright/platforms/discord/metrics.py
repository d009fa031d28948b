"""Discord's metrics reader: the reactions on each message the webhook posted.

A webhook can read its own messages by id: GET /webhooks/{webhook.id}/{webhook.token}/messages/{message.id}
("Get Webhook Message", discord-api-docs developers/resources/webhook.mdx; `thread_id` when the message is
in a thread), answered with a message object whose `reactions` list holds {count, count_details: {burst,
normal}, me, emoji} (developers/resources/message.mdx "Reaction Object"). Stored as `reactions` (every
emoji's count added up) and `reactions_burst` (super reactions among them). Discord gives no views, and a
webhook no account numbers. Unknown Message (10008) is a message deleted in the channel: gone.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator, Sequence

from postwright.insights.model import Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection
from postwright.platforms.discord.publisher import DiscordPublisher, _code
from postwright.platforms.reading import Gone, Malformed, json_of, number, read_each

UNKNOWN_MESSAGE = 10008  # opcodes-and-status-codes.mdx JSON error codes


class DiscordMetrics:
    """One request per message, through the publisher's webhook client (its rate limits and redaction)."""

    batch = 1

    def __init__(self, connection: Connection) -> None:
        self.publisher = DiscordPublisher(connection)

    def posts(self, deliveries: Sequence[Delivery]) -> Iterator[PostReading | ReadFailure]:
        return read_each(deliveries, self._message)

    def _message(self, delivery: Delivery, message_id: str) -> dict[str, int]:
        publisher = self.publisher
        path = f"{publisher.path}/messages/{urllib.parse.quote(message_id, safe='')}"
        response = publisher.api.request("GET", path, params=publisher._params(), ok=(404,))
        if response.status_code == 404:
            if _code(response) == UNKNOWN_MESSAGE:
                raise Gone(f"message {message_id} was deleted")
            raise publisher.api.error_for(response)  # Unknown Webhook: a credentials problem
        reactions = json_of(response).get("reactions") or []
        if not isinstance(reactions, list):
            raise Malformed("malformed answer: reactions is not a list")
        burst = sum(number((reaction.get("count_details") or {}).get("burst", 0)) for reaction in reactions)
        return {
            "reactions": sum(number(reaction.get("count")) for reaction in reactions),
            "reactions_burst": burst,
        }

    def account(self) -> None:
        return None
