"""The Mastodon publisher against Takahē 0.11.0, a real server with Mastodon's client API.

Takahē (tests/takahe_server.py, set up by .ci/setup.d/40-takahe.sh) runs once for the session; before
each test the account's statuses are deleted, so a test sees only its own. The publisher talks to it
through the forwarding proxy of test_publisher_mastodon.py (which checks each request against the
Mastodon OpenAPI description where that file is present), and the proxy plays what Takahē has no way
to be asked for: a refusal shaped as Mastodon's (429 with X-RateLimit-Reset, 422 with its message). It
also swaps the contract's canary token for Takahē's real one, so the canary checks still hold.

What Takahē does differently from Mastodon (../shared/servers/README.md) is expected here, not fixed:
it ignores Idempotency-Key, returns `language: null`, and fills a list answer's `text` with the HTML
content. The last is why `find_sent` asks each candidate's source: a part that went out before a crash
is found again on a real server, not sent twice. mastodon-mock (test_publisher_mastodon.py) keeps what
Takahē cannot show: media processed later, rate limits, Mastodon's own refusals.

Without Takahē these tests skip with the reason; under CI=true they fail instead.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from werkzeug.wrappers import Response

from postwright.publish import Runner
from tests.contract import CANARY, PublisherContract, SentPost
from tests.fakes.http_platform import Call, json_response, local_server, serve
from tests.fakes.mastodon import SPEC, MastodonProxy, OpenApi
from tests.takahe_server import Takahe, TakaheUnavailable

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
TOKEN = "pw-takahe-"  # the contract's environ adds the canary; the proxy swaps it for Takahē's token
CLOCK = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the contract's injected clock
_CREATE = re.compile(r"/api/v1/statuses")


@pytest.fixture(scope="session")
def takahe() -> Iterator[Takahe]:
    try:
        server = Takahe.start()
    except TakaheUnavailable as error:
        problem = f"Takahē cannot run here: {error}"
    else:
        problem = ""
    if problem:
        if IN_CI:
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


class TakaheProxy(MastodonProxy):
    """MastodonProxy in front of Takahē: injected refusals first, the canary token swapped."""

    def __init__(self, httpserver, takahe: Takahe, openapi: OpenApi | None) -> None:
        super().__init__(httpserver, takahe, openapi)
        self.takahe = takahe

    def _forward(self, call: Call, match: re.Match[str]) -> Response:
        refused = self.injected(call)
        if refused is not None:
            return refused
        headers = dict(call.headers)
        if headers.get("authorization") == f"Bearer {TOKEN}{CANARY}":
            headers["authorization"] = f"Bearer {self.takahe.token}"
        return super()._forward(dataclasses.replace(call, headers=headers), match)


class TakaheServer:
    """The contract's Server: the proxy the publisher talks to, Takahē behind it for looking."""

    def __init__(self, proxy: TakaheProxy, takahe: Takahe) -> None:
        self.proxy = proxy
        self.url = proxy.url
        self.http = takahe.client()
        self.account_id = str(self.http.get("/api/v1/accounts/verify_credentials").json()["id"])

    def statuses(self) -> list[dict[str, Any]]:
        """The account's statuses, oldest first, straight from Takahē (not through the proxy)."""
        path = f"/api/v1/accounts/{self.account_id}/statuses"
        return list(reversed(self.http.get(path, params={"limit": 40}).json()))

    def delete_all(self) -> None:
        for status in self.statuses():
            self.http.delete(f"/api/v1/statuses/{status['id']}").raise_for_status()

    def posts(self) -> list[SentPost]:
        return [
            SentPost(
                str(status["id"]),
                self.http.get(f"/api/v1/statuses/{status['id']}/source").json()["text"],
                None if status["in_reply_to_id"] is None else str(status["in_reply_to_id"]),
                tuple(media.get("description") or "" for media in status["media_attachments"]),
                status["language"],
            )
            for status in self.statuses()
        ]

    def _refuse_next_create(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        def refusal(call: Call) -> Response:
            response = json_response(body, status)
            response.headers.update(headers)
            return response

        self.proxy.fail_next(lambda call: call.method == "POST" and _CREATE.fullmatch(call.path), refusal)

    def rate_limit_next(self, seconds: int) -> None:
        """As Mastodon's rack_attack.rb throttled_responder: X-RateLimit-Reset is when, ISO 8601."""
        reset = (CLOCK + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
        self._refuse_next_create(429, {"error": "Too many requests"}, headers)

    def reject_next(self) -> str:
        message = "Text character limit of 500 exceeded"
        self._refuse_next_create(422, {"error": f"Validation failed: {message}"}, {})
        return message


class TestMastodonOnTakahe(PublisherContract):
    platform = "mastodon"

    @pytest.fixture
    def server(self, takahe, local_http):
        openapi = OpenApi(SPEC) if SPEC.is_file() else None
        with serve(TakaheProxy(local_http, takahe, openapi)) as proxy:
            found = TakaheServer(proxy, takahe)
            found.delete_all()
            yield found
            found.http.close()

    def settings(self, server):
        return {"instance": server.url, "visibility": "public"}

    def credentials(self):
        return {"access_token": TOKEN}

    def test_takahe_fills_text_with_html(self, server, connect):
        """The difference that made find_sent miss (../shared/servers/README.md): Takahē's list answers
        carry `text`, and it is the HTML content, not the text that was sent."""
        text = self.part_texts()[0]
        connect().send(self.variant((text,)), 1, None, "key-1")
        (status,) = server.statuses()
        assert status["text"] == status["content"] and status["text"].startswith("<p>")
        assert [post.text for post in server.posts()] == [text]

    def test_a_crash_in_the_middle_of_a_thread_sends_no_part_twice(self, server, connect, ledger):
        """A three-part thread whose run dies once Takahē took part 2, before the ledger said so: the
        next run finds part 2 (by its source and its place in the thread) and sends only part 3.
        Takahē ignores Idempotency-Key, so nothing but find_sent stands between this and a 4th post."""
        parts = self.part_texts()
        variant = self.variant(parts)
        self.die_after_sending(ledger, connect, variant, part=2)
        assert len(server.posts()) == 2
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "published" and outcome.parts_sent == 1, outcome.message
        posts = server.posts()
        assert [post.text for post in posts] == list(parts)
        assert [post.reply_to for post in posts] == [None, posts[0].remote_id, posts[1].remote_id]
        records = ledger.read()[variant.key]
        assert [records.last(part).remote_id for part in (1, 2, 3)] == [post.remote_id for post in posts]

    def test_retract_of_a_thread_removes_it_from_the_server(self, server, connect, ledger):
        variant = self.variant(self.part_texts(), images=1)
        assert self.run(ledger, connect, variant).status == "published"
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "retracted" and outcome.parts_sent == 3, outcome.message
        assert server.statuses() == []
        for part in (1, 2, 3):
            remote_id = ledger.read()[variant.key].last(part).remote_id
            assert server.http.get(f"/api/v1/statuses/{remote_id}").status_code == 404

    def test_the_token_is_checked_by_the_server(self, server, connect, ledger, takahe):
        assert httpx.get(f"{takahe.base_url}/api/v1/accounts/verify_credentials").status_code == 401
