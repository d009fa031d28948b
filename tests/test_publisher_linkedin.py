"""The LinkedIn publisher against a local fake of the versioned Posts and Images APIs.

The fake checks what learn.microsoft.com/linkedin documents: LinkedIn-Version (YYYYMM) and
X-Restli-Protocol-Version 2.0.0 on every /rest call, the post schema (author, commentary, visibility,
distribution, lifecycleState, content.media / multiImage / article), the image upload in two steps,
the Rest.li FINDER and DELETE methods with percent-encoded URNs, and answers with the documented
shapes (201 + x-restli-id, Rest.li error bodies, 429 without a wait).
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image
from werkzeug import Request, Response

from postwright.credentials import Secrets
from postwright.dialects import to_dialect
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import CannotTell, Connection, PermanentError
from tests.contract import CANARY, PublisherContract, SentPost
from tests.fakes.api import FakeApi, http_server, json_response  # noqa: F401

AUTHOR = "urn:li:organization:2414183"
CLIENT_SECRETS = {"client_id": f"86abcdefgh1234{CANARY}", "client_secret": f"WPL_AP1.abcdEFGH1234{CANARY}"}
POST_FIELDS = {
    "author",
    "commentary",
    "visibility",
    "distribution",
    "lifecycleState",
    "isReshareDisabledByAuthor",
    "content",
    "contentLandingPage",
    "contentCallToActionLabel",
    "reshareContext",
    "container",
}  # the Post schema's writable fields (posts-api "Post Schema")


def _error(status: int, code: str, message: str, service_code: int = 100) -> Response:
    """A Rest.li error body: status, serviceErrorCode, code, message."""
    body = {"status": status, "serviceErrorCode": service_code, "code": code, "message": message}
    return json_response(body, status)


class FakeLinkedIn(FakeApi):
    """Posts and Images APIs for one author, plus /v2/userinfo and token introspection."""

    def __init__(self, server, token: str, client: Mapping[str, str] | None = None) -> None:
        super().__init__(server)
        self.token = token
        self.client = dict(client or {})
        self.revoked = False
        self.list_forbidden = False  # a token without r_member_social / r_organization_social
        self.retry_after: int | None = None  # a Retry-After on the next 429 (not documented by LinkedIn)
        self.image_failed = False  # LinkedIn could not process the uploaded image
        self.unavailable_once = False  # the next create answers 503
        self.no_id_once = False  # the next create is taken but answered without x-restli-id
        self.posts_by_urn: dict[str, dict[str, Any]] = {}
        self.images: dict[str, dict[str, Any]] = {}  # urn -> {"uploaded": bool}
        self.bodies: list[dict[str, Any]] = []
        self._ids = itertools.count(7_012_345_678_901_234_567)
        self.route("POST", r"/rest/images", self._initialize_upload)
        self.route("PUT", r"/dms-uploads/(?P<key>\w+)", self._put_image)
        self.route("POST", r"/rest/posts", self._create)
        self.route("GET", r"/rest/posts", self._find_by_author)
        self.route("DELETE", r"/rest/posts/(?P<urn>.+)", self._delete)
        self.route("GET", r"/v2/userinfo", self._userinfo)
        self.route("POST", r"/oauth/v2/introspectToken", self._introspect)

    def posts(self) -> list[SentPost]:
        return [
            SentPost(urn, post["commentary"], None, post["alts"]) for urn, post in self.posts_by_urn.items()
        ]

    def reject_next(self) -> str:
        self.arm_reject()
        return "exceeds the maximum allowed"

    # -- checks ---------------------------------------------------------------------------------

    def _refused(self, request: Request, versioned: bool = True) -> Response | None:
        if versioned:
            assert re.fullmatch(r"20\d{4}", request.headers.get("LinkedIn-Version", "")), (
                "LinkedIn-Version: YYYYMM"
            )
            assert request.headers.get("X-Restli-Protocol-Version") == "2.0.0", (
                "X-Restli-Protocol-Version: 2.0.0"
            )
        if request.headers.get("Authorization") == f"Bearer {self.token}" and not self.revoked:
            return None
        return _error(
            401, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user", 65601
        )

    # -- images -------------------------------------------------------------------------------------

    def _initialize_upload(self, request: Request) -> Response:
        """POST /rest/images?action=initializeUpload {"initializeUploadRequest": {"owner"}}."""
        if refused := self._refused(request):
            return refused
        assert request.args.to_dict() == {"action": "initializeUpload"}
        assert json.loads(request.get_data()) == {"initializeUploadRequest": {"owner": AUTHOR}}
        key = str(next(self._ids))
        urn = f"urn:li:image:D4E10AQ{key}"
        self.images[urn] = {"uploaded": False, "key": key}
        value = {
            "uploadUrlExpiresAt": 1_800_000_000_000,
            "uploadUrl": f"{self.url}/dms-uploads/{key}",
            "image": urn,
        }
        return json_response({"value": value})

    def _put_image(self, request: Request, key: str) -> Response:
        """PUT the bytes to the uploadUrl."""
        if refused := self._refused(request, versioned=False):
            return refused
        (urn,) = [urn for urn, image in self.images.items() if image["key"] == key]
        assert Image.open(io.BytesIO(request.get_data())).format in {"JPEG", "PNG", "GIF"}
        self.images[urn]["uploaded"] = True
        return Response(status=201)

    # -- posts ------------------------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        """POST /rest/posts: 201 with the post URN in x-restli-id."""
        if refused := self._refused(request):
            return refused
        assert request.mimetype == "application/json"
        body = json.loads(request.get_data())
        self.bodies.append(body)
        assert set(body) <= POST_FIELDS, f"not Post fields: {set(body) - POST_FIELDS}"
        assert body["author"] == AUTHOR and isinstance(body["commentary"], str)
        assert body["visibility"] in {"PUBLIC", "CONNECTIONS", "LOGGED_IN"}
        assert body["distribution"]["feedDistribution"] == "MAIN_FEED"
        assert body["lifecycleState"] == "PUBLISHED"
        alts = self._check_content(body.get("content"))
        if self.image_failed and alts:
            return _error(
                422, "UNPROCESSABLE_ENTITY", "Image is in PROCESSING_FAILED state and cannot be used"
            )
        if (seconds := self.take_rate_limit()) is not None:
            headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
            return json_response(
                {
                    "status": 429,
                    "serviceErrorCode": 101,
                    "code": "TOO_MANY_REQUESTS",
                    "message": f"Resource level throttle APPLICATION DAY limit reached (fake: {seconds}s)",
                },
                429,
                headers,
            )
        if self.unavailable_once:
            self.unavailable_once = False
            return _error(503, "SERVICE_UNAVAILABLE", "Service Unavailable")
        if self.take_reject():
            return _error(422, "UNPROCESSABLE_ENTITY", "/commentary :: length exceeds the maximum allowed")
        for urn, post in self.posts_by_urn.items():
            if post["commentary"] == body["commentary"]:
                return _error(422, "DUPLICATE_POST", f"Content is a duplicate of {urn}")
        urn = f"urn:li:share:{next(self._ids)}"
        self.posts_by_urn[urn] = {**body, "alts": alts, "createdAt": len(self.posts_by_urn)}
        if self.no_id_once:
            self.no_id_once = False
            return Response(status=201)
        return Response(status=201, headers={"x-restli-id": urn})

    def _check_content(self, content: Mapping[str, Any] | None) -> tuple[str, ...]:
        """content.media {id, altText}, content.multiImage {images: 2–20} or content.article."""
        if content is None:
            return ()
        (kind,) = content
        if kind == "article":
            assert set(content["article"]) <= {"source", "title", "description", "thumbnail"}
            assert content["article"]["source"].startswith("https://") and content["article"]["title"]
            return ()
        images = [content["media"]] if kind == "media" else content["multiImage"]["images"]
        assert kind in {"media", "multiImage"} and (kind == "media" or 2 <= len(images) <= 20)
        for image in images:
            assert set(image) <= {"id", "altText", "title"}, f"not Media fields: {set(image)}"
            assert self.images.get(image["id"], {}).get("uploaded"), "an image that was never uploaded"
        return tuple(image.get("altText", "") for image in images)

    def _find_by_author(self, request: Request) -> Response:
        """GET /rest/posts?author={encoded URN}&q=author&count=…&sortBy=…, X-RestLi-Method: FINDER."""
        if refused := self._refused(request):
            return refused
        assert request.headers.get("X-RestLi-Method") == "FINDER"
        assert b"author=" + AUTHOR.replace(":", "%3A").encode() in request.query_string, "URN not encoded"
        args = request.args
        assert args["q"] == "author" and args["author"] == AUTHOR and 1 <= int(args.get("count", 10)) <= 100
        assert args.get("sortBy", "LAST_MODIFIED") in {"LAST_MODIFIED", "CREATED"}
        if self.list_forbidden:
            return _error(
                403,
                "ACCESS_DENIED",
                "Not enough permissions to access: partnerApiPostsExternal.FINDER-author",
            )
        elements = [
            {
                "id": urn,
                "author": post["author"],
                "commentary": post["commentary"],
                "visibility": post["visibility"],
                "lifecycleState": "PUBLISHED",
                "createdAt": 1_790_000_000_000 + post["createdAt"],
                "lastModifiedAt": 1_790_000_000_000 + post["createdAt"],
            }
            for urn, post in reversed(self.posts_by_urn.items())
        ]
        count = int(args.get("count", 10))
        paging = {"start": 0, "count": count, "links": [], "total": len(elements)}
        return json_response({"paging": paging, "elements": elements[:count]})

    def _delete(self, request: Request, urn: str) -> Response:
        """DELETE /rest/posts/{encoded URN}, X-RestLi-Method: DELETE → 204."""
        if refused := self._refused(request):
            return refused
        assert request.headers.get("X-RestLi-Method") == "DELETE"
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI", "")
        assert "urn%3Ali%3A" in raw, f"URN not percent-encoded in {raw}"
        if self.posts_by_urn.pop(urn, None) is None:
            return _error(404, "NOT_FOUND", f"Post {urn} not found")
        return Response(status=204)

    # -- tokens -------------------------------------------------------------------------------------

    def _userinfo(self, request: Request) -> Response:
        """GET /v2/userinfo (Sign In with LinkedIn using OpenID Connect)."""
        if refused := self._refused(request, versioned=False):
            return refused
        return json_response(
            {"sub": "782bbtaQ", "name": "Ana Windward", "given_name": "Ana", "locale": "en-US"}
        )

    def _introspect(self, request: Request) -> Response:
        """POST /oauth/v2/introspectToken, form-encoded client_id, client_secret, token."""
        assert request.mimetype == "application/x-www-form-urlencoded"
        form = request.form.to_dict()
        assert form == {**self.client, "token": self.token}, "client credentials and the token"
        if self.revoked:
            return json_response({"active": False, "status": "revoked"})
        return json_response(
            {
                "active": True,
                "client_id": self.client["client_id"],
                "authorized_at": 1_790_000_000,
                "created_at": 1_790_000_000,
                "status": "active",
                "expires_at": 1_795_184_000,
                "scope": "w_organization_social,r_organization_social",
                "auth_type": "3L",
            }
        )


class TestLinkedIn(PublisherContract):
    platform = "linkedin"

    def credentials(self) -> Mapping[str, str]:
        return {"access_token": "AQXdSP_W41_UPs5ioT_t8HESyODB4FqbkJ8LrV_5mff4gPODzOYR"}

    def settings(self, server: FakeLinkedIn) -> Mapping[str, Any]:
        return {"api_url": server.url, "oauth_url": server.url, "author": AUTHOR}

    def part_texts(self) -> tuple[str, str, str]:
        """What the linkedin dialect makes of the contract's texts (reserved characters escaped)."""
        texts = super().part_texts()
        return (
            to_dialect(texts[0], "linkedin"),
            to_dialect(texts[1], "linkedin"),
            to_dialect(texts[2], "linkedin"),
        )

    @pytest.fixture
    def server(self, http_server, environ):  # noqa: F811
        fake = FakeLinkedIn(http_server, environ["PW_TEST_ACCESS_TOKEN"], CLIENT_SECRETS)
        yield fake
        assert fake.problems == []

    # -- where the contract cannot apply as written ----------------------------------------------

    def test_rate_limit_waits_as_told_then_sends_once(self, server, connect, ledger, sleeps):
        """LinkedIn's 429 says nothing about when to come back: its limits "reset at midnight UTC
        every day" (shared/api-guide/concepts/rate-limits). So the run does not wait (15 hours from the
        contract's 09:00 UTC clock); the part is failed but not permanent, and the next run sends it
        once (after find_sent has found nothing)."""
        server.rate_limit_next(7)
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant, sleeps)
        assert outcome.status == "failed" and "will retry next run" in outcome.message
        assert "429" in outcome.message and sleeps.calls == [] and server.posts() == []
        assert not ledger.read()[variant.key].last(1).permanent
        outcome = self.run(ledger, connect, variant, sleeps)
        assert outcome.status == "published", outcome.message
        assert len(server.posts()) == 1

    def test_thread_parts_reply_to_the_part_before(self, server, connect, ledger):
        """LinkedIn has no threads (max_thread_parts 1: build joins the parts). A variant that still
        has several parts is refused before anything is sent, rather than posting part 1 alone."""
        variant = self.variant(self.part_texts())
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "failed" and "no threads" in outcome.message
        assert ledger.read()[variant.key].last(1).permanent and server.posts() == []

    # -- LinkedIn-specific behaviour --------------------------------------------------------------

    def test_a_retry_after_header_is_honoured_where_sent(self, server, connect, ledger, sleeps):
        server.retry_after = 7
        server.rate_limit_next(7)
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published" and sleeps.calls == [7.0]

    def test_a_server_error_is_retried_with_backoff_not_until_midnight(self, server, connect, ledger, sleeps):
        server.unavailable_once = True
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published" and len(sleeps.calls) == 1 and sleeps.calls[0] < 5

    def test_an_accepted_post_without_its_id_is_unconfirmed_then_found(self, server, connect, ledger):
        """201 without x-restli-id: the post is live, so it is not recorded as a permanent failure;
        the part stays `started` and the next run finds it by its text instead of posting again."""
        server.no_id_once = True
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "unconfirmed" and "x-restli-id" in outcome.message, outcome.message
        record = ledger.read()[variant.key].last(1)
        assert record.status == "started" and not record.permanent and len(server.posts()) == 1
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "already", outcome.message
        (post,) = server.posts()
        assert ledger.read()[variant.key].last(1).remote_id == post.remote_id

    def test_one_image_is_media_and_a_link_alone_is_an_article(self, server, connect, ledger):
        self.run(ledger, connect, self.variant(self.part_texts()[:1], images=1))
        self.run(ledger, connect, self.variant(self.part_texts()[1:2], post_id="2026-12-02-link"))
        with_image, with_link = server.bodies
        assert with_image["content"] == {
            "media": {"id": with_image["content"]["media"]["id"], "altText": self.alts[0]}
        }
        assert with_link["content"] == {
            "article": {
                "source": "https://example.com/gale?utm_source=linkedin",
                "title": "The Gale 9 is here",
            }
        }

    def test_revoked_token_is_a_credentials_problem(self, server, connect, ledger):
        server.revoked = True
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant)
        assert (
            outcome.status == "failed"
            and "401" in outcome.message
            and "will retry next run" in outcome.message
        )
        assert not ledger.read()[variant.key].last(1).permanent and CANARY not in outcome.message

    def test_an_image_linkedin_cannot_process_is_permanent(self, server, connect, ledger):
        server.image_failed = True
        variant = self.variant(self.part_texts()[:1], images=1)
        self.run(ledger, connect, variant)
        record = ledger.read()[variant.key].last(1)
        assert record.permanent and "PROCESSING_FAILED" in (record.error or "") and server.posts() == []

    def test_commentary_is_sent_exactly_as_the_dialect_escaped_it(self, server, connect, ledger):
        text = to_dialect("Ask us (anything) about [kites] *today* @ the beach", "linkedin")
        assert "\\(" in text
        self.run(ledger, connect, self.variant((text,)))
        assert server.bodies[0]["commentary"] == text

    def test_find_sent_that_may_not_list_posts_cannot_tell(self, server, connect, ledger):
        server.list_forbidden = True
        with pytest.raises(CannotTell, match="r_member_social"):
            connect().find_sent(self.variant(self.part_texts()[:1]), 1, "k-1")

    def test_a_crash_with_a_token_that_cannot_list_is_unconfirmed_never_resent(self, server, connect, ledger):
        variant = self.variant(self.part_texts()[:1])
        self.die_after_sending(ledger, connect, variant)
        server.list_forbidden = True
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "unconfirmed" and "r_member_social" in outcome.message
        assert len(server.posts()) == 1

    def test_delete_without_a_post_urn_deletes_nothing(self, server, connect):
        """An empty id would DELETE /rest/posts/, whose 404 reads as "already gone"."""
        with pytest.raises(PermanentError, match="no post URN"):
            connect().delete("")
        assert not [seen for seen in server.seen if seen[0] == "DELETE"]

    def test_delete_of_a_post_already_gone_is_fine(self, server, connect):
        connect().delete("urn:li:share:6999999999999999999")

    def test_verify_with_client_credentials_reads_the_expiry(self, server, environ):
        check = PLATFORMS["linkedin"].verify(self._connection(server, environ, with_client=True))
        assert check.ok and check.expires_at == datetime.fromtimestamp(1_795_184_000, UTC)
        server.revoked = True
        check = PLATFORMS["linkedin"].verify(self._connection(server, environ, with_client=True))
        assert not check.ok and "revoked" in check.detail

    def test_verify_without_client_credentials_asks_userinfo(self, server, environ):
        check = PLATFORMS["linkedin"].verify(self._connection(server, environ, with_client=False))
        assert check.ok and "Ana Windward" in check.detail and check.expires_at is None
        server.revoked = True
        check = PLATFORMS["linkedin"].verify(self._connection(server, environ, with_client=False))
        assert not check.ok and "401" in check.detail and CANARY not in check.detail

    def test_missing_author_setting_is_a_fixable_problem(self, server, connect, ledger):
        outcome = self.run(ledger, lambda: connect(settings={"api_url": server.url}), self.variant(("Hi",)))
        assert outcome.status == "failed" and "settings.author" in outcome.message

    def _connection(self, server: FakeLinkedIn, environ: Mapping[str, str], with_client: bool) -> Connection:
        values = dict(environ)
        names = {"access_token": "PW_TEST_ACCESS_TOKEN"}
        if with_client:
            for name, value in CLIENT_SECRETS.items():
                values[f"PW_TEST_{name.upper()}"] = value
                names[name] = f"PW_TEST_{name.upper()}"
        secrets = Secrets(self.account, names, environ=values)
        return Connection(self.account, "linkedin", self.settings(server), secrets)
