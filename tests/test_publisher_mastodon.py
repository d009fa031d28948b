"""The Mastodon publisher against mastodon-mock (a stateful Mastodon API that honours Idempotency-Key
and answers 422 as Mastodon does), behind a forwarding proxy that checks every request the publisher
makes against the Mastodon OpenAPI description (../shared/platform-specs/mastodon/openapi.json, read
in place; SOURCES.md there lists its quirks) and plays what the mock cannot: media processed later
(202, then 206 until done). Rate limits and refusals come from the mock's own fault injection,
shaped as Mastodon answers them (config/initializers/rack_attack.rb: 429 with X-RateLimit-Reset as
an ISO 8601 time and no Retry-After).

Without the OpenAPI file the requests are not checked against it and its test skips (under CI=true
it fails instead, as the conformance tests do). The same contract also runs against Takahē, a real
server (test_publisher_takahe.py); this module keeps what Takahē cannot show or does differently.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from mastodon_mock.config import SeedAccount, SeedConfig
from mastodon_mock.testing import MockServer

from postwright.credentials import Secrets
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import CannotTell, Connection, PermanentError
from postwright.platforms.mastodon.publisher import _may_hold, mastodon_focus
from postwright.publish import Runner
from tests.contract import CANARY, PublisherContract, SentPost
from tests.fakes.http_platform import json_response, local_server, serve
from tests.fakes.mastodon import SPEC, MastodonProxy, OpenApi

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
TOKEN = f"pw-mastodon-{CANARY}"  # what the contract's environ hands the publisher
OTHER_TOKEN = "pw-mastodon-someone-else"
CLOCK = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the contract's injected clock


class MastodonServer:
    """The contract's Server: the proxy the publisher talks to, the mock behind it for looking."""

    def __init__(self, proxy: MastodonProxy, mock: MockServer) -> None:
        self.proxy = proxy
        self.mock = mock
        self.url = proxy.url
        self.http = httpx.Client(base_url=mock.base_url, headers={"Authorization": f"Bearer {TOKEN}"})

    def statuses(self) -> list[dict[str, Any]]:
        """The account's statuses, oldest first, straight from the mock (not through the proxy)."""
        account = self.http.get("/api/v1/accounts/verify_credentials").json()
        return list(
            reversed(self.http.get(f"/api/v1/accounts/{account['id']}/statuses", params={"limit": 40}).json())
        )

    def posts(self) -> list[SentPost]:
        return [
            SentPost(
                status["id"],
                self.http.get(f"/api/v1/statuses/{status['id']}/source").json()["text"],
                status["in_reply_to_id"],
                tuple(media.get("description") or "" for media in status["media_attachments"]),
                status["language"],
            )
            for status in self.statuses()
        ]

    def fault(
        self,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        path: str = "/api/v1/statuses",
    ) -> None:
        """The mock's fault injection (spec/fault_injection.md): the next POST to `path` answers so."""
        rule = {
            "match": {"methods": ["POST"], "path": path},
            "effect": {"type": "status", "status": status, "body": body, "headers": headers or {}},
            "count": 1,
        }
        self.http.post("/api/v1/_mock/faults", json=rule).raise_for_status()

    def rate_limit_next(self, seconds: int) -> None:
        """As rack_attack.rb's throttled_responder: X-RateLimit-Reset is when to come back, ISO 8601."""
        reset = (CLOCK + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
        self.fault(429, {"error": "Too many requests"}, headers)

    def reject_next(self) -> str:
        self.fault(422, {"error": "Validation failed: Text character limit of 500 exceeded"})
        return "Text character limit of 500 exceeded"


@pytest.fixture(scope="module")
def mock():
    """One mock for the module (it takes about a second to start), reset before each test."""
    seed = SeedConfig(
        accounts=[
            SeedAccount(username="windward", display_name="Windward Kite Works", access_token=TOKEN),
            SeedAccount(username="jane", display_name="Jane", access_token=OTHER_TOKEN),
        ]
    )
    with MockServer(seed=seed) as server:
        yield server


@pytest.fixture(scope="module")
def openapi() -> OpenApi | None:
    return OpenApi(SPEC) if SPEC.is_file() else None


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


class TestMastodon(PublisherContract):
    platform = "mastodon"

    @pytest.fixture
    def server(self, local_http, mock, openapi):
        httpx.post(f"{mock.base_url}/api/v1/_mock/reset").raise_for_status()
        httpx.delete(f"{mock.base_url}/api/v1/_mock/faults").raise_for_status()
        with serve(MastodonProxy(local_http, mock, openapi)) as proxy:
            yield MastodonServer(proxy, mock)

    def settings(self, server):
        return {"instance": server.url, "visibility": "public"}

    def credentials(self):
        return {"access_token": TOKEN.removesuffix(CANARY)}

    # -- what Mastodon is sent -----------------------------------------------------------------------

    def test_every_request_matches_the_openapi_description(self, server, connect, ledger, openapi):
        if openapi is None:
            message = f"the Mastodon OpenAPI description is not at {SPEC}"
            if IN_CI:
                pytest.fail(f"{message}; CI must have it", pytrace=False)
            pytest.skip(message)
        variant = self.variant(self.part_texts(), images=2)
        assert self.run(ledger, connect, variant).status == "published"
        operations = [
            openapi.operation(call.method, call.path)[1]["operationId"] for call in server.proxy.calls
        ]
        assert operations == [
            "createMediaV2",
            "createMediaV2",
            "createStatus",
            "createStatus",
            "createStatus",
        ]
        assert server.proxy.problems == []  # what serve() asserts after every test of this module

    def test_statuses_carry_key_language_visibility_and_reply(self, server, connect, ledger):
        variant = self.variant(self.part_texts(), images=1)
        assert self.run(ledger, connect, variant).status == "published"
        creates = server.proxy.calls_to("POST", "/api/v1/statuses")
        records = ledger.read()[variant.key]
        assert [call.headers["idempotency-key"] for call in creates] == [
            records.last(part).idempotency_key for part in (1, 2, 3)
        ]
        first, second, third = (call.json for call in creates)
        assert first["language"] == "en" and first["visibility"] == "public" and "in_reply_to_id" not in first
        assert len(first["media_ids"]) == 1 and "media_ids" not in second
        assert second["in_reply_to_id"] == records.last(1).remote_id
        assert third["in_reply_to_id"] == records.last(2).remote_id

    def test_alt_text_and_focus_go_with_the_upload(self, server, connect, ledger):
        """Upload.focus (0.5, 0.4) from the top left is Mastodon's (0, 0.2): -1..1, y up."""
        assert self.run(ledger, connect, self.variant(self.part_texts()[:1], images=2)).status == "published"
        first, second = server.proxy.calls_to("POST", "/api/v2/media")
        assert first.field("description") == self.alts[0] and first.field("focus") == "0.00,0.20"
        assert second.field("description") == self.alts[1] and second.field("focus") is None
        assert first.files["file"].content_type == "image/jpeg" and first.files["file"].filename == "kite.jpg"

    def test_visibility_follows_the_account_setting(self, server, connect, ledger):
        settings = {**self.settings(server), "visibility": "unlisted"}
        assert (
            self.run(ledger, lambda: connect(settings=settings), self.variant(self.part_texts()[:1])).status
            == "published"
        )
        (status,) = server.statuses()
        assert status["visibility"] == "unlisted"

    def test_media_processed_later_is_waited_for(self, server, connect, ledger, sleeps):
        """202 with url null, then GET /api/v1/media/:id answers 206 until processed (injected sleep)."""
        server.proxy.processing_polls = 2
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1], images=1), sleeps)
        assert outcome.status == "published", outcome.message
        assert sleeps.calls == [1.0, 2.0, 4.0]  # 206, 206, then 200
        assert len(server.proxy.calls_to("GET", r"/api/v1/media/\w+")) == 3

    # -- the server's own limits --------------------------------------------------------------------

    def test_instance_limits_refuse_an_overlong_part_before_sending(self, server, connect, ledger, sleeps):
        settings = {**self.settings(server), "check_instance_limits": True}
        variant = self.variant(("Kites! " * 80,), images=1)  # 560 graphemes; the mock allows 500
        outcome = self.run(ledger, lambda: connect(settings=settings), variant, sleeps)
        assert outcome.status == "failed"
        assert outcome.message == f"part 1: 560 characters where {server.url} allows 500"
        record = ledger.read()[variant.key].last(1)
        assert record.permanent and sleeps.calls == []
        paths = [call.path for call in server.proxy.calls]
        assert paths == ["/api/v2/instance"]  # nothing uploaded, nothing posted

    def test_instance_limits_count_urls_as_the_server_does(self, server, connect):
        """A URL counts characters_reserved_per_url (23), whatever its length (the mock itself counts
        every character, so this checks the publisher's own test only)."""
        publisher = connect(settings={**self.settings(server), "check_instance_limits": True})
        text = "x" * 476 + " https://example.com/" + "a" * 100  # 476 + 1 + 23 = 500 as Mastodon counts
        publisher._check_limits(text, 0)
        with pytest.raises(PermanentError, match="501 characters where"):
            publisher._check_limits("x" + text, 0)

    def test_without_the_check_the_server_refuses_with_its_own_words(self, server, connect, ledger):
        variant = self.variant(("Kites! " * 80,))
        outcome = self.run(ledger, connect, variant)
        assert (
            outcome.status == "failed" and "Text is too long (maximum is 500 characters)" in outcome.message
        )
        assert ledger.read()[variant.key].last(1).permanent

    def test_a_retry_after_header_from_a_proxy_is_honoured(self, server, connect, ledger, sleeps):
        server.fault(429, {"error": "Too many requests"}, {"Retry-After": "5"})
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published" and sleeps.calls == [5.0]

    def test_a_rejected_token_is_a_credentials_problem(self, server, connect, ledger):
        secrets = Secrets(self.account, {"access_token": "T"}, environ={"T": "not-a-token"})
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, lambda: connect(secrets=secrets), variant)
        assert (
            outcome.status == "failed"
            and "401" in outcome.message
            and "will retry next run" in outcome.message
        )
        assert not ledger.read()[variant.key].last(1).permanent and server.posts() == []

    # -- settling a crash ---------------------------------------------------------------------------

    def test_a_crash_in_a_thread_is_settled_by_the_text_and_the_reply(self, server, connect, ledger):
        """Part 2 went out, the process died before the ledger said so: find_sent finds the status
        that holds part 2 and replies to part 1, and the run goes on with part 3."""
        variant = self.variant(self.part_texts())
        self.die_after_sending(ledger, connect, variant, part=2)
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "published" and outcome.parts_sent == 1, outcome.message
        posts = server.posts()
        assert [post.text for post in posts] == list(self.part_texts())
        assert [ledger.read()[variant.key].last(part).remote_id for part in (1, 2, 3)] == [
            p.remote_id for p in posts
        ]

    def test_find_sent_ignores_the_same_text_in_another_place(self, server, connect):
        """The text of part 2 posted on its own (not as a reply) is not part 2."""
        publisher = connect()
        alone = self.variant(self.part_texts()[1:2], post_id="2026-11-30-other")
        publisher.send(alone, 1, None, "other-key")
        variant = self.variant(self.part_texts())
        assert publisher.find_sent(variant, 2, "key-2") is None
        assert publisher.find_sent(alone, 1, "other-key") is not None

    def test_find_sent_cannot_tell_on_a_server_without_status_source(self, server, connect):
        """Mastodon before 3.5 (and some forks) answer 404 to /source: the part may well be the status
        whose HTML matches, so it is reported unknown, never taken as "not sent" and sent again."""
        publisher = connect()
        variant = self.variant(self.part_texts()[:1])
        publisher.send(variant, 1, None, "key-1")
        server.proxy.fail_next(
            lambda call: call.path.endswith("/source"),
            lambda call: json_response({"error": "Record not found"}, 404),
        )
        with pytest.raises(CannotTell, match=r"404 .*/source"):
            connect().find_sent(variant, 1, "key-1")

    def test_find_sent_reads_only_the_latest_statuses(self, server, connect):
        publisher = connect()
        variant = self.variant(self.part_texts()[:1])
        publisher.send(variant, 1, None, "key-1")
        for number in range(3):
            publisher.send(
                self.variant((f"Newer post {number}",), post_id=f"2026-12-0{number + 2}-x"),
                1,
                None,
                f"k{number}",
            )
        settings = {**self.settings(server), "lookup_depth": 3}
        assert connect(settings=settings).find_sent(variant, 1, "key-1") is None
        before = len(server.proxy.calls)
        assert connect().find_sent(variant, 1, "key-1") is not None
        sources = [call for call in server.proxy.calls[before:] if call.path.endswith("/source")]
        assert len(sources) == 1  # the other statuses' HTML already differs: no source fetched

    def test_find_sent_finds_a_status_whose_remote_mention_was_not_resolved(self, server, connect):
        """A server that cannot resolve @user@domain keeps it as plain text in the content (as the mock
        does): the status is still found, not sent a second time."""
        publisher = connect()
        variant = self.variant(("Thanks @jane@example.social and @kai@kites.example for the photos!",))
        sent = publisher.send(variant, 1, None, "key-1")
        assert (
            "@jane@example.social" in server.http.get(f"/api/v1/statuses/{sent.remote_id}").json()["content"]
        )
        assert connect().find_sent(variant, 1, "key-1") == sent

    def test_find_sent_cannot_tell_without_the_text(self, server, connect):
        with pytest.raises(CannotTell):
            connect().find_sent(None, 1, "key-1")

    def test_the_same_idempotency_key_never_posts_twice(self, server, connect):
        publisher = connect()
        variant = self.variant(self.part_texts()[:1])
        first = publisher.send(variant, 1, None, "same-key")
        assert publisher.send(variant, 1, None, "same-key") == first
        assert len(server.posts()) == 1

    # -- retracting and doctor ----------------------------------------------------------------------

    def test_retract_of_an_already_deleted_status_succeeds(self, server, connect, ledger):
        variant = self.variant(self.part_texts()[:1])
        assert self.run(ledger, connect, variant).status == "published"
        (post,) = server.posts()
        server.http.delete(f"/api/v1/statuses/{post.remote_id}").raise_for_status()
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "retracted", outcome.message

    def test_verify_names_the_account(self, server, environ):
        secrets = Secrets("brand", {"access_token": "PW_TEST_ACCESS_TOKEN"}, environ)
        check = PLATFORMS["mastodon"].verify(Connection("brand", "mastodon", self.settings(server), secrets))
        assert check.ok and check.detail.startswith("valid (posting as @windward on 127.0.0.1:")
        wrong = Secrets("brand", {"access_token": "T"}, {"T": "nope"})
        assert (
            not PLATFORMS["mastodon"].verify(Connection("brand", "mastodon", self.settings(server), wrong)).ok
        )


@pytest.mark.parametrize(
    ("focus", "expected"),
    [
        ((0.5, 0.5), "0.00,0.00"),
        ((0.0, 0.0), "-1.00,1.00"),
        ((1.0, 1.0), "1.00,-1.00"),
        ((0.75, 0.1), "0.50,0.80"),
    ],
)
def test_focus_points_are_turned_into_mastodons_frame(focus, expected):
    assert mastodon_focus(focus) == expected


def test_the_cheap_check_reads_mastodons_html_as_the_same_text():
    """Status HTML as Mastodon renders it (app/lib/text_formatter.rb: links split over invisible and
    ellipsis spans, a remote mention shown as @user, tags linked, paragraphs and line breaks)."""
    text = (
        "Launch day!\nThe Gale 9: https://example.com/gale?utm_source=x #kites\n\nThanks @jane@example.social"
    )
    content = (
        '<p>Launch day!<br />The Gale 9: <a href="https://example.com/gale?utm_source=x" target="_blank" '
        'rel="nofollow noopener" translate="no"><span class="invisible">https://</span>'
        '<span class="ellipsis">example.com/gale?utm_sour</span><span class="invisible">ce=x</span></a> '
        '<a href="https://m.example/tags/kites" class="mention hashtag" rel="tag">#<span>kites</span></a></p>'
        '<p>Thanks <span class="h-card" '
        'translate="no"><a href="https://example.social/@jane" class="u-url mention">@<span>jane</span></a>'
        "</span></p>"
    )
    assert _may_hold({"content": content}, text)
    assert not _may_hold({"content": content}, text.replace("Gale 9", "Gale 8"))


def test_the_cheap_check_takes_a_remote_mention_in_either_form():
    """Where the server could not resolve the account, @user@domain stays plain text in the content;
    where it could, it shows @user; a status may hold both."""
    text = "Thanks @jane@example.social and @kai@kites.example!"
    unresolved = "<p>Thanks @jane@example.social and @kai@kites.example!</p>"
    mixed = (
        '<p>Thanks <span class="h-card"><a href="https://example.social/@jane" class="u-url mention">'
        "@<span>jane</span></a></span> and @kai@kites.example!</p>"
    )
    assert _may_hold({"content": unresolved}, text)
    assert _may_hold({"content": mixed}, text)
    assert not _may_hold({"content": unresolved}, text.replace("Thanks", "Thank"))
