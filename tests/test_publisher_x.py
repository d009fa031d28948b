"""The X publisher against a local fake of API v2 that checks each request as docs.x.com documents it.

Request bodies are validated with the official SDK's models (xdk, X Developer Platform, a test
dependency): CreatePostsRequest, MediaUploadRequest, CreateMediaMetadataRequest, and the fake's own
answers with the matching response models. OAuth 1.0a signatures are verified with oauthlib's
server-side SignatureOnlyEndpoint; OAuth 2.0 with the bearer token.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint
from PIL import Image
from werkzeug import Request, Response
from xdk import schemas as xdk

from postwright.credentials import CredentialsError, Secrets
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import CannotTell, Connection, PermanentError, Receipt, TransientError
from postwright.platforms.x.publisher import XPublisher
from postwright.publish import Runner
from tests.contract import CANARY, PublisherContract, SentPost
from tests.fakes.api import FakeApi, http_server, json_response, strict_model  # noqa: F401

USER = {"id": "1551234567890123456", "name": "Windward Kite Works", "username": "windwardkites"}
URL = re.compile(r"https?://[^\s]+")


class _Keys(RequestValidator):
    """The server side of OAuth 1.0a for one consumer and one access token."""

    enforce_ssl = False  # the fake listens on http://127.0.0.1
    dummy_client = "dummy-client"
    dummy_access_token = "dummy-token"

    def __init__(self, keys: Mapping[str, str]) -> None:
        super().__init__()
        self.keys = keys
        self.nonces: set[tuple[str, str]] = set()

    def check_client_key(self, client_key: str) -> bool:  # our test keys carry "-" (the canary)
        return True

    def check_access_token(self, token: str) -> bool:
        return True

    def check_nonce(self, nonce: str) -> bool:
        return bool(nonce)

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == self.keys["consumer_key"]

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self.keys["consumer_secret"]

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self.keys["access_token_secret"]

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, **tokens) -> bool:
        if abs(int(timestamp) - time.time()) > 600 or (timestamp, nonce) in self.nonces:
            return False  # RFC 5849 §3.3: a nonce is used once per timestamp
        self.nonces.add((timestamp, nonce))
        return True


class FakeX(FakeApi):
    """The X API v2 endpoints the publisher calls, with an account's posts and media."""

    def __init__(self, server, keys: Mapping[str, str]) -> None:
        super().__init__(server)
        self.keys = dict(keys)
        self.oauth1 = SignatureOnlyEndpoint(_Keys(self.keys)) if "consumer_key" in keys else None
        self.revoked = False  # the token was revoked or expired: every call answers 401
        self.unauthorized = 0
        self.tweets: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.bodies: list[dict[str, Any]] = []  # every POST /2/tweets body
        self.reject_media = False
        self._ids = itertools.count(1_790_000_000_000_000_001)
        self._reject_message = ""
        self.fail_forbidden = False
        self.route("POST", r"/2/media/upload", self._upload)
        self.route("POST", r"/2/media/metadata", self._metadata)
        self.route("POST", r"/2/tweets", self._create)
        self.route("DELETE", r"/2/tweets/(?P<tweet_id>\d+)", self._delete)
        self.route("GET", r"/2/users/me", self._me)
        self.route("GET", r"/2/users/(?P<user_id>\d+)/tweets", self._timeline)

    # -- the contract's Server ------------------------------------------------------------------------

    def posts(self) -> list[SentPost]:
        return [
            SentPost(
                tid, tweet["text"], tweet["reply_to"], tuple(self.media[m]["alt"] for m in tweet["media"])
            )
            for tid, tweet in self.tweets.items()
        ]

    def reject_next(self) -> str:
        """A post X refuses for good: 400 invalid-request naming the parameter (a 403 other than
        "duplicate content" is a setup problem: the app's permissions or access level)."""
        self.arm_reject()
        self._reject_message = "The text of your post is too long."
        return "text of your post is too long"

    def forbid_next(self) -> None:
        """403 "You are not permitted to perform this action.": an app without write permission."""
        self.fail_forbidden = True

    # -- checks shared by every endpoint ----------------------------------------------------------

    def _unauthorized(self, request: Request) -> Response | None:
        """None when the request carries valid credentials, else X's 401 problem."""
        header = request.headers.get("Authorization", "")
        if self.oauth1 is not None:
            valid, signed = self.oauth1.validate_request(
                request.url, request.method, None, dict(request.headers)
            )
            valid = valid and signed.resource_owner_key == self.keys["access_token"]
            assert header.startswith("OAuth "), "OAuth 1.0a user context: Authorization: OAuth …"
        else:
            valid = header == f"Bearer {self.keys['access_token']}"
        if valid and not self.revoked:
            return None
        self.unauthorized += 1
        problem = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
        return json_response(problem, 401)

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        assert request.mimetype == "application/json", f"JSON body expected, got {request.mimetype}"
        return json.loads(request.get_data())

    # -- media ---------------------------------------------------------------------------------------

    def _upload(self, request: Request) -> Response:
        """POST /2/media/upload, multipart: `media` (raw bytes) and `media_category`."""
        if refused := self._unauthorized(request):
            return refused
        assert request.mimetype == "multipart/form-data", f"multipart expected, got {request.mimetype}"
        assert set(request.files) == {"media"}, f"one file part named media, got {list(request.files)}"
        fields = dict(request.form)
        strict_model(xdk.MediaUploadRequest, {"media": "(raw bytes)", **fields}, "upload form")
        assert fields["media_category"] == "tweet_image"
        data = request.files["media"].read()
        assert len(data) <= 5 * 1024 * 1024, "Image: 5 MB"
        if self.reject_media:
            problem = {
                "errors": [{"message": "media type unrecognized."}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            }
            return json_response(problem, 400)
        image = Image.open(io.BytesIO(data))
        assert image.format in {"JPEG", "PNG", "GIF", "WEBP"}
        media_id = str(next(self._ids))
        self.media[media_id] = {"alt": "", "used": False}
        answer = {
            "data": {
                "id": media_id,
                "media_key": f"3_{media_id}",
                "size": len(data),
                "expires_after_secs": 86400,
                "image": {"image_type": Image.MIME[image.format], "w": image.width, "h": image.height},
            }
        }
        xdk.MediaUploadResponse.model_validate(answer)  # the fake answers in the documented shape
        return json_response(answer)

    def _metadata(self, request: Request) -> Response:
        """POST /2/media/metadata {"id", "metadata": {"alt_text": {"text"}}}."""
        if refused := self._unauthorized(request):
            return refused
        body = self._json_body(request)
        strict_model(xdk.CreateMediaMetadataRequest, body)
        assert body["id"] in self.media, "metadata for an unknown media id"
        alt = body["metadata"]["alt_text"]["text"]
        assert 0 < len(alt) <= 1000, "alt_text.text must be <= 1000 chars"
        self.media[body["id"]]["alt"] = alt
        return json_response({"data": {"id": body["id"], "associated_metadata": body["metadata"]}})

    # -- posts ---------------------------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        """POST /2/tweets."""
        if refused := self._unauthorized(request):
            return refused
        body = self._json_body(request)
        strict_model(xdk.CreatePostsRequest, body)
        self.bodies.append(body)
        if (seconds := self.take_rate_limit()) is not None:
            reset = {  # x-rate-limit-reset: epoch seconds (docs.x.com fundamentals/rate-limits)
                "x-rate-limit-limit": "100",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(time.time()) + seconds),
            }
            problem = {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            }
            return json_response(problem, 429, reset)
        if self.take_reject():
            problem = {
                "errors": [{"parameters": {"text": [body["text"]]}, "message": self._reject_message}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            }
            return json_response(problem, 400)
        if self.fail_forbidden:
            self.fail_forbidden = False
            problem = {
                "detail": "You are not permitted to perform this action.",
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
            }
            return json_response(problem, 403)
        if any(tweet["text"] == body["text"] for tweet in self.tweets.values()):
            duplicate = "You are not allowed to create a Tweet with duplicate content."
            return json_response(
                {"detail": duplicate, "type": "about:blank", "title": "Forbidden", "status": 403}, 403
            )
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        assert reply_to is None or reply_to in self.tweets, "reply to a post that does not exist"
        media = list((body.get("media") or {}).get("media_ids", []))
        assert len(media) <= 4 and all(m in self.media for m in media), "unknown media ids"
        tweet_id = str(next(self._ids))
        self.tweets[tweet_id] = {"text": body["text"], "reply_to": reply_to, "media": media}
        rendered = self._render(tweet_id)
        answer = {"data": {"id": tweet_id, "text": rendered["text"], "edit_history_tweet_ids": [tweet_id]}}
        xdk.CreatePostsResponse.model_validate(answer)  # (docs: edit_history_tweet_ids; xdk: …_post_ids)
        return json_response(answer, 201)

    def _render(self, tweet_id: str) -> dict[str, Any]:
        """A post as X returns it: links wrapped in t.co, an appended link for its media, & < > escaped."""
        tweet = self.tweets[tweet_id]
        urls: list[dict[str, Any]] = []

        def wrap(match: re.Match[str]) -> str:
            short = f"https://t.co/l{len(urls)}{tweet_id[-6:]}"
            urls.append({"url": short, "expanded_url": match.group(0), "display_url": match.group(0)[8:30]})
            return short

        shown = URL.sub(wrap, tweet["text"])
        if tweet["media"]:
            short = f"https://t.co/m{tweet_id[-8:]}"
            expanded = f"https://x.com/{USER['username']}/status/{tweet_id}/photo/1"
            urls.append({"url": short, "expanded_url": expanded, "media_key": f"3_{tweet['media'][0]}"})
            shown = f"{shown} {short}"
        for link in urls:
            link["start"] = shown.index(link["url"])
            link["end"] = link["start"] + len(link["url"])
        rendered: dict[str, Any] = {
            "id": tweet_id,
            "text": html.escape(shown, quote=False),
            "edit_history_tweet_ids": [tweet_id],
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if urls:
            rendered["entities"] = {"urls": urls}
        if tweet["reply_to"]:
            rendered["referenced_tweets"] = [{"type": "replied_to", "id": tweet["reply_to"]}]
        return rendered

    def _delete(self, request: Request, tweet_id: str) -> Response:
        """DELETE /2/tweets/:id."""
        if refused := self._unauthorized(request):
            return refused
        if self.tweets.pop(tweet_id, None) is None:  # not documented; the publisher takes it as gone
            return json_response({"title": "Not Found Error", "status": 404, "detail": "Not Found"}, 404)
        return json_response({"data": {"deleted": True}})

    def _me(self, request: Request) -> Response:
        """GET /2/users/me."""
        return self._unauthorized(request) or json_response({"data": USER})

    def _timeline(self, request: Request, user_id: str) -> Response:
        """GET /2/users/:id/tweets: newest first, replies included, `data` absent when empty."""
        if refused := self._unauthorized(request):
            return refused
        assert user_id == USER["id"], "the timeline of another user"
        known = {"max_results", "exclude", "tweet.fields", "pagination_token", "since_id", "start_time"}
        assert set(request.args) <= known, f"unknown parameters {set(request.args) - known}"
        assert 5 <= int(request.args.get("max_results", "10")) <= 100, "max_results: 5..100"
        fields = set(request.args.get("tweet.fields", "").split(","))
        assert {"entities", "referenced_tweets"} <= fields, "t.co expansion and reply targets need these"
        data = [self._render(tid) for tid in reversed(self.tweets)]
        answer: dict[str, Any] = {"meta": {"result_count": len(data)}}
        if data:
            answer["data"] = data
            answer["meta"].update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
        xdk.GetUsersPostsResponse.model_validate({"meta": answer["meta"]})
        return json_response(answer)


OAUTH1 = {
    "consumer_key": "xvz1evFS4wEEPTGEFPHBog",
    "consumer_secret": "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    "access_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    "access_token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
}
OAUTH2 = {"access_token": "bWRjQ3RrVnBsTnp0eW9ZclFwY0l3"}


class _XContract(PublisherContract):
    platform = "x"
    keys: Mapping[str, str] = {}

    def credentials(self) -> Mapping[str, str]:
        return self.keys

    def settings(self, server: FakeX) -> Mapping[str, Any]:
        return {"api_url": server.url}

    @pytest.fixture
    def server(self, http_server, environ):  # noqa: F811
        fake = FakeX(http_server, {name: environ[f"PW_TEST_{name.upper()}"] for name in self.keys})
        yield fake
        assert fake.problems == []
        assert fake.unauthorized == 0 or fake.revoked

    def _connection(self, server: FakeX, environ: Mapping[str, str]) -> Connection:
        names = {name: f"PW_TEST_{name.upper()}" for name in self.keys}
        return Connection(
            self.account, "x", {"api_url": server.url}, Secrets(self.account, names, environ=environ)
        )


class TestXOAuth1(_XContract):
    """OAuth 1.0a user context: every request is signed and the fake checks the signature."""

    keys = OAUTH1

    def test_verify_says_the_tokens_do_not_expire(self, server, environ):
        check = PLATFORMS["x"].verify(self._connection(server, environ))
        assert check.ok and check.expires_at is None
        assert check.detail == "valid (posting as @windwardkites; OAuth 1.0a: does not expire)"


class TestXOAuth2(_XContract):
    """OAuth 2.0 user token."""

    keys = OAUTH2

    # -- X-specific behaviour --------------------------------------------------------------------

    def test_thread_reply_and_media_bodies_follow_the_sdk_model(self, server, connect, ledger):
        self.run(ledger, connect, self.variant(self.part_texts(), images=2))
        first, second, _ = server.bodies
        assert set(first) == {"text", "media"} and len(first["media"]["media_ids"]) == 2
        assert second == {
            "text": self.part_texts()[1],
            "reply": {"in_reply_to_tweet_id": server.posts()[0].remote_id},
        }
        for body in server.bodies:
            strict_model(xdk.CreatePostsRequest, body)

    def test_duplicate_content_means_it_is_already_there(self, server, connect):
        """A 403 duplicate after a lost answer resolves to the post that is already there."""
        publisher = connect()
        variant = self.variant(self.part_texts())
        first = publisher.send(variant, 1, None, "k-1")
        second = publisher.send(variant, 2, first, "k-2")
        again = connect().send(variant, 2, first, "k-2")  # the answer was lost; sent once more
        assert again == second and len(server.posts()) == 2

    def test_duplicate_of_an_older_post_is_a_permanent_failure(self, server, connect):
        publisher = connect()
        variant = self.variant(self.part_texts())
        first = publisher.send(variant, 1, None, "k-1")
        publisher.send(variant, 2, first, "k-2")
        other_thread = publisher.send(self.variant(("Another thread starts here",)), 1, None, "o-1")
        with pytest.raises(PermanentError, match="duplicate content"):
            publisher.send(variant, 2, other_thread, "o-2")  # same text, replying elsewhere: not ours

    def test_find_sent_follows_the_reply_chain_and_expands_links(self, server, connect):
        parts = ("Read this & that <here>: https://example.com/Gale/?utm_source=x", "Part two", "Part three")
        variant = self.variant(parts, images=1)
        publisher = connect()
        receipts: list[Receipt] = []
        for part in (1, 2, 3):
            receipts.append(publisher.send(variant, part, receipts[-1] if receipts else None, f"k-{part}"))
        fresh = connect()
        assert [fresh.find_sent(variant, part, f"k-{part}") for part in (1, 2, 3)] == receipts
        assert fresh.find_sent(self.variant(("Part two",)), 1, "k") is None  # a reply is not a part 1

    def test_find_sent_without_the_variant_cannot_tell(self, server, connect):
        with pytest.raises(CannotTell):
            connect().find_sent(None, 1, "k-1")

    def test_delete_of_a_post_already_gone_is_fine(self, server, connect):
        connect().delete("1790000000000000999")

    def test_retract_of_a_part_without_a_post_id_deletes_nothing(self, server, connect, ledger):
        """A published part whose post id was never recorded: DELETE /2/tweets/ would answer 404, read as
        "already gone", and the part would be recorded retracted while the post stays. It fails instead."""
        variant = self.variant(self.part_texts()[:1])
        real = connect()

        class NoId:  # a publisher whose receipt lost the post id
            idempotent = real.idempotent

            def send(self, *args):
                return Receipt("", real.send(*args).url)

        assert self.run(ledger, lambda: NoId(), variant).status == "published"
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "failed" and "no post id" in outcome.message, outcome.message
        assert len(server.posts()) == 1 and ledger.read()[variant.key].last(1).status == "published"
        assert not [seen for seen in server.seen if seen[0] == "DELETE"]

    def test_revoked_token_is_a_credentials_problem(self, server, connect, ledger):
        server.revoked = True
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant)
        assert (
            outcome.status == "failed"
            and "401" in outcome.message
            and "will retry next run" in outcome.message
        )
        assert not ledger.read()[variant.key].last(1).permanent
        with pytest.raises(CredentialsError):
            connect().send(variant, 1, None, "k-1")

    def test_a_forbidden_post_is_a_setup_problem_tried_again_next_run(self, server, connect, ledger):
        """403 other than "duplicate content" (an app without write permission): fixed in the app's
        settings, so the post is tried again on the next run, not failed for good."""
        server.forbid_next()
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "failed" and "will retry next run" in outcome.message, outcome.message
        assert "not permitted" in outcome.message and not ledger.read()[variant.key].last(1).permanent
        assert self.run(ledger, connect, variant).status == "published" and len(server.posts()) == 1

    def test_invalid_media_is_permanent_with_x_words(self, server, connect, ledger):
        server.reject_media = True
        variant = self.variant(self.part_texts()[:1], images=1)
        outcome = self.run(ledger, connect, variant)
        record = ledger.read()[variant.key].last(1)
        assert outcome.status == "failed" and record.permanent
        assert "media type unrecognized" in (record.error or "") and server.posts() == []

    def test_verify_names_the_account(self, server, environ):
        check = PLATFORMS["x"].verify(self._connection(server, environ))
        assert check.ok and "@windwardkites" in check.detail and check.expires_at is None
        # OAuth 2.0 user tokens last two hours and are not refreshed: doctor says to use OAuth 1.0a
        assert "OAuth 2.0 user token: expires after 2 hours unless refreshed" in check.detail
        assert "use OAuth 1.0a for scheduled runs" in check.detail
        server.revoked = True
        check = PLATFORMS["x"].verify(self._connection(server, environ))
        assert not check.ok and "401" in check.detail and CANARY not in check.detail

    def test_verify_leaves_a_missing_variable_to_doctor(self, server):
        secrets = Secrets(self.account, {"access_token": "PW_TEST_NOT_SET"}, environ={})
        connection = Connection(self.account, "x", {"api_url": server.url}, secrets)
        with pytest.raises(CredentialsError, match="PW_TEST_NOT_SET"):
            PLATFORMS["x"].verify(connection)

    def test_verify_leaves_an_unreachable_x_to_doctor(self, server, environ):
        server.server.clear()  # nothing answers: every request is a 500 from the bare server
        with pytest.raises(TransientError):
            PLATFORMS["x"].verify(self._connection(server, environ))


class TestXOAuth1Signature:
    """A wrong consumer secret produces a signature X rejects: a credentials problem, nothing sent."""

    def test_wrong_secret_is_rejected_by_the_signature_check(self, http_server):  # noqa: F811
        keys = {name: f"{value}{CANARY}" for name, value in OAUTH1.items()}
        fake = FakeX(http_server, keys)
        environ = {f"PW_{name.upper()}": value for name, value in keys.items()}
        environ["PW_CONSUMER_SECRET"] = "not-the-secret" + CANARY
        secrets = Secrets("brand", {name: f"PW_{name.upper()}" for name in keys}, environ=environ)
        publisher = XPublisher(Connection("brand", "x", {"api_url": fake.url}, secrets))
        with pytest.raises(CredentialsError) as raised:
            publisher.send(_variant(), 1, None, "k-1")
        assert fake.unauthorized == 1 and fake.posts() == [] and CANARY not in str(raised.value)


def _variant():
    return TestXOAuth2().variant(("Hello from the signature test",))
