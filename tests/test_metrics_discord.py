"""Discord's metrics reader against a local webhook endpoint that checks each request as discord-api-docs
documents it (developers/resources/webhook.mdx "Get Webhook Message": GET /webhooks/{id}/{token}/messages/
{message.id}, optional thread_id; message.mdx "Reaction Object": count, count_details {burst, normal}, me,
emoji). Errors: {code, message}; 10008 Unknown Message, 10015 Unknown Webhook; 429 with retry_after.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from werkzeug import Response

from postwright.platforms import PLATFORMS
from tests.fakes.api import http_server  # noqa: F401
from tests.fakes.http_platform import Call, FakePlatform, json_response, serve
from tests.fakes.metrics import by_key, connect, delivery, failure_of, metrics_of

WEBHOOK_ID = "1180000000000000001"
TOKEN = "pw-webhook-token-metrics"


class FakeDiscord(FakePlatform):
    def __init__(self, httpserver) -> None:
        self.reactions: dict[str, list[dict]] = {}
        super().__init__(httpserver)

    def routes(self):
        return [
            ("GET", r"/api/v10/webhooks/(?P<id>\d+)/(?P<token>[^/]+)/messages/(?P<message>\d+)", self.message)
        ]

    def message(self, call: Call, match: re.Match[str]) -> Response:
        self.expect(
            call.headers.get("user-agent", "").startswith("DiscordBot ("), "User-Agent: DiscordBot (…)"
        )
        if match["id"] != WEBHOOK_ID or match["token"] != TOKEN:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        self.expect(set(call.query) <= {"thread_id"}, f"only thread_id, got {set(call.query)}")
        if failure := self.injected(call):
            return failure
        reactions = self.reactions.get(match["message"])
        if reactions is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        message = {
            "id": match["message"],
            "type": 0,
            "channel_id": "1180000000000000100",
            "content": "…",
            "webhook_id": WEBHOOK_ID,
            "timestamp": "2026-12-07T09:00:00.000000+00:00",
        }
        if reactions:  # absent when the message has none
            message["reactions"] = reactions
        return json_response(message)


def reaction(emoji: str, count: int, burst: int = 0) -> dict:
    return {
        "count": count,
        "count_details": {"burst": burst, "normal": count - burst},
        "me": False,
        "me_burst": False,
        "burst_colors": [],
        "emoji": {"id": None, "name": emoji},
    }


@pytest.fixture
def fake(http_server) -> Iterator[FakeDiscord]:  # noqa: F811
    with serve(FakeDiscord(http_server)) as fake:
        yield fake


def reader(fake: FakeDiscord, token: str = TOKEN, settings: dict | None = None):
    url = f"{fake.url}/api/webhooks/{WEBHOOK_ID}/{token}"
    return PLATFORMS["discord"].metrics(connect("discord", settings or {}, {"webhook_url": url}))


def test_reactions_are_counted(fake):
    fake.reactions["1300"] = [reaction("👍", 5), reaction("🎉", 3, burst=1)]
    fake.reactions["1301"] = []
    with_some, without = delivery("discord", "a", "1300"), delivery("discord", "b", "1301")
    found = by_key(reader(fake).posts([with_some, without]))
    assert metrics_of(found[with_some.key]) == {"reactions": 8, "reactions_burst": 1}
    assert metrics_of(found[without.key]) == {"reactions": 0, "reactions_burst": 0}


def test_in_a_thread_the_thread_is_named(fake):
    fake.reactions["1310"] = [reaction("👍", 1)]
    [reading] = reader(fake, settings={"thread_id": "1180000000000000200"}).posts(
        [delivery("discord", "a", "1310")]
    )
    assert metrics_of(reading)["reactions"] == 1
    assert fake.calls[0].arg("thread_id") == "1180000000000000200"


def test_a_deleted_message_is_gone(fake):
    [failure] = reader(fake).posts([delivery("discord", "a", "1399")])
    assert failure_of(failure).gone


def test_a_deleted_webhook_stops_the_run_with_the_reason(fake):
    fake.reactions["1320"] = []
    posts = [delivery("discord", "a", "1320"), delivery("discord", "b", "1320")]
    found = list(reader(fake, token="revoked-token").posts(posts))
    assert all("Unknown Webhook" in failure_of(result).reason for result in found)
    assert "revoked-token" not in found[0].reason and len(fake.calls) == 1


def test_rate_limited_and_malformed(fake):
    fake.reactions["1330"] = []
    limited = {"message": "You are being rate limited.", "retry_after": 1.5, "global": False}
    fake.fail_next(lambda call: True, lambda call: json_response(limited, 429))
    [failure] = reader(fake).posts([delivery("discord", "a", "1330")])
    assert "rate limited" in failure_of(failure).reason and not failure.gone
    fake.fail_next(lambda call: True, lambda call: json_response({"id": "1330", "reactions": {"count": 1}}))
    [malformed] = reader(fake).posts([delivery("discord", "a", "1330")])
    assert "malformed" in failure_of(malformed).reason


def test_no_account_numbers(fake):
    assert reader(fake).account() is None and fake.calls == []
