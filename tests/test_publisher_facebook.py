"""The Facebook Pages publisher against a local fake of the Graph API.

The fake checks the documented calls (pages-api/posts, graph-api/reference/page/photos, debug_token):
the version prefix, the Page access token (in the form body of POSTs, never their URL), the photo
parameters (their names as the facebook-business SDK 26.0.3 declares them for Page.create_photo and
Page.create_feed), multipart `source` files, attached_media, and answers with Graph's shapes: {"id"},
{"id", "post_id"}, {"data": [...], "paging"}, and {"error": {message, type, code, error_subcode,
fbtrace_id}} with HTTP 400 for token, parameter and throttling errors.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image
from werkzeug import Request, Response

from postwright.credentials import CredentialsError, Secrets
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import CannotTell, Connection, PermanentError
from tests.contract import CANARY, PublisherContract, SentPost
from tests.fakes.api import FakeApi, http_server, json_response  # noqa: F401

PAGE = "104893158234567"
APP = {"app_id": "1234567890123", "app_secret": "9f2c1e0d8b7a6f5e4d3c2b1a09f8e7d6"}
# Page.create_photo / Page.create_feed param_types in facebook-business 26.0.3 (the ones we may send)
PHOTO_PARAMS = {"access_token", "caption", "published", "alt_text_custom", "temporary", "message", "no_story"}
FEED_PARAMS = {"access_token", "message", "link", "published", "scheduled_publish_time"}


def graph_error(code: int, message: str, kind: str = "OAuthException", subcode: int | None = None, **more):
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGhIjK", **more}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


class FakeGraph(FakeApi):
    """One Page: its feed, its photos, and the token endpoints."""

    def __init__(self, server, token: str, app: Mapping[str, str]) -> None:
        super().__init__(server)
        self.token = token
        self.app = dict(app)
        self.expired = False
        self.debug_refused = False  # debug_token wants an app token, and none was given
        self.token_expires_at = 0  # 0: never (debug_token)
        self.next_error: dict[str, Any] | None = None  # the next create answers this Graph error
        self.bad_image = False  # Graph cannot read the uploaded file
        self.photos: dict[str, dict[str, Any]] = {}
        self.feed: dict[str, dict[str, Any]] = {}  # post id -> {"message", "alts"}
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, form) of every POST
        self._ids = itertools.count(122_100_000_000_000_001)
        version = r"/v\d+\.\d+"
        self.route("POST", rf"{version}/{PAGE}/photos", self._photo)
        self.route("POST", rf"{version}/{PAGE}/feed", self._post)
        self.route("GET", rf"{version}/{PAGE}/feed", self._read_feed)
        self.route("GET", rf"{version}/debug_token", self._debug_token)
        self.route("GET", rf"{version}/me", self._me)
        self.route("DELETE", rf"{version}/(?P<post_id>\d+_\d+)", self._delete)

    def posts(self) -> list[SentPost]:
        return [SentPost(pid, post["message"], None, post["alts"]) for pid, post in self.feed.items()]

    def reject_next(self) -> str:
        self.arm_reject()
        return "Invalid parameter"

    # -- checks ---------------------------------------------------------------------------------

    def _token_error(self, request: Request, form: Mapping[str, str]) -> Response | None:
        if request.method == "POST":
            assert "access_token" not in request.args, "a POST carries the token in its body, not its URL"
            token = form.get("access_token")
        else:
            token = request.args.get("access_token")
        if token != self.token:
            return json_response(
                graph_error(190, "Invalid OAuth access token - Cannot parse access token"), 400
            )
        if self.expired:
            message = "Error validating access token: Session has expired on Sunday, 22-Nov-26 12:00:00 PST."
            return json_response(graph_error(190, message, subcode=463), 400)
        return None

    def _create_refused(self) -> Response | None:
        """The contract's rate limit and rejection, and any error a test queued, on a create call."""
        if (seconds := self.take_rate_limit()) is not None:
            minutes = -(-seconds // 60)  # Graph says minutes: estimated_time_to_regain_access
            usage = {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 12, "total_time": 15}]}
            usage[PAGE][0]["estimated_time_to_regain_access"] = minutes
            message = (
                "(#80001) There have been too many calls to this Page account. Wait a bit and try again."
            )
            headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
            return json_response(graph_error(80001, message), 400, headers)
        if self.take_reject():
            return json_response(
                graph_error(100, "(#100) Invalid parameter", kind="GraphMethodException"), 400
            )
        if self.next_error is not None:
            error, self.next_error = self.next_error, None
            return json_response(error, 400)
        return None

    # -- posting ----------------------------------------------------------------------------------

    def _photo(self, request: Request) -> Response:
        """POST /{page-id}/photos, multipart: the image as `source`, caption, published, alt_text_custom."""
        assert request.mimetype == "multipart/form-data"
        form = request.form.to_dict()
        self.requests.append((request.path, form))
        if refused := self._token_error(request, form):
            return refused
        assert set(form) <= PHOTO_PARAMS, f"not Page photo parameters: {set(form) - PHOTO_PARAMS}"
        assert set(request.files) == {"source"}, "the file goes in `source`"
        assert form.get("published", "true") in {"true", "false"}
        image = Image.open(io.BytesIO(request.files["source"].read()))
        assert image.format in {"JPEG", "PNG", "GIF", "BMP", "TIFF"}
        if self.bad_image:
            return json_response(graph_error(324, "(#324) Missing or invalid image file"), 400)
        published = form.get("published", "true") == "true"
        if published and (refused := self._create_refused()):
            return refused
        photo_id = str(next(self._ids))
        self.photos[photo_id] = {"alt": form.get("alt_text_custom", ""), "published": published}
        if not published:
            return json_response({"id": photo_id})
        post_id = f"{PAGE}_{next(self._ids)}"
        self.feed[post_id] = {"message": form.get("caption", ""), "alts": (form.get("alt_text_custom", ""),)}
        return json_response({"id": photo_id, "post_id": post_id})

    def _post(self, request: Request) -> Response:
        """POST /{page-id}/feed, form-encoded: message, link, attached_media[n]={"media_fbid": …}."""
        assert request.mimetype == "application/x-www-form-urlencoded"
        form = request.form.to_dict()
        self.requests.append((request.path, form))
        if refused := self._token_error(request, form):
            return refused
        attached = sorted(key for key in form if key.startswith("attached_media["))
        assert set(form) - set(attached) <= FEED_PARAMS, f"not feed parameters: {set(form) - FEED_PARAMS}"
        assert attached == [f"attached_media[{n}]" for n in range(len(attached))], "attached_media[0..n-1]"
        media = [json.loads(form[key]) for key in attached]
        assert all(set(item) == {"media_fbid"} for item in media)
        assert all(self.photos[item["media_fbid"]]["published"] is False for item in media), (
            "unpublished photos"
        )
        assert "link" not in form or form["link"].startswith("https://")
        if refused := self._create_refused():
            return refused
        if self.feed and list(self.feed.values())[-1]["message"] == form.get("message"):
            return json_response(graph_error(506, "(#506) Duplicate status message"), 400)
        post_id = f"{PAGE}_{next(self._ids)}"
        alts = tuple(self.photos[item["media_fbid"]]["alt"] for item in media)
        self.feed[post_id] = {"message": form.get("message", ""), "alts": alts}
        return json_response({"id": post_id})

    def _read_feed(self, request: Request) -> Response:
        """GET /{page-id}/feed?fields=…&limit=…: newest first, with cursor paging."""
        if refused := self._token_error(request, {}):
            return refused
        assert "message" in request.args.get("fields", "").split(","), "fields=message to match"
        assert 1 <= int(request.args.get("limit", "25")) <= 100
        data = [
            {"id": pid, "message": post["message"], "created_time": "2026-12-01T09:00:00+0000"}
            for pid, post in reversed(self.feed.items())
        ]
        return json_response({"data": data, "paging": {"cursors": {"before": "QVFIU", "after": "QVFIUm"}}})

    def _delete(self, request: Request, post_id: str) -> Response:
        """DELETE /{post-id} → {"success": true}."""
        if refused := self._token_error(request, {}):
            return refused
        if self.feed.pop(post_id, None) is None:
            message = (
                f"(#100) Unsupported delete request. Object with ID '{post_id}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation."
            )
            return json_response(graph_error(100, message, kind="GraphMethodException", subcode=33), 400)
        return json_response({"success": True})

    # -- tokens -------------------------------------------------------------------------------------

    def _debug_token(self, request: Request) -> Response:
        """GET /debug_token?input_token=…&access_token=<app token or a developer's token>."""
        assert request.args.get("input_token") == self.token, "the Page token is the one inspected"
        app_token = f"{self.app['app_id']}|{self.app['app_secret']}"
        if self.debug_refused and request.args.get("access_token") != app_token:
            message = "(#100) You must provide an app access token, or a user access token that is an owner"
            return json_response(graph_error(100, message, kind="GraphMethodException"), 400)
        assert request.args.get("access_token") in {self.token, app_token}
        data: dict[str, Any] = {
            "app_id": self.app["app_id"],
            "type": "PAGE",
            "application": "Windward Publisher",
            "data_access_expires_at": 1_800_000_000,
            "expires_at": self.token_expires_at,
            "is_valid": not self.expired,
            "issued_at": 1_790_000_000,
            "profile_id": PAGE,
            "scopes": ["pages_manage_posts", "pages_read_engagement"],
            "user_id": "10223344556677",
        }
        if self.expired:
            data["error"] = {
                "code": 190,
                "message": "Error validating access token: Session has expired",
                "subcode": 463,
            }
        return json_response({"data": data})

    def _me(self, request: Request) -> Response:
        if refused := self._token_error(request, {}):
            return refused
        return json_response({"id": PAGE, "name": "Windward Kite Works"})


class TestFacebook(PublisherContract):
    platform = "facebook"

    def credentials(self) -> Mapping[str, str]:
        return {"access_token": "EAAGm0PX4ZCpsBAKZCZAvZAxyzPageToken"}

    def settings(self, server: FakeGraph) -> Mapping[str, Any]:
        return {"api_url": server.url, "page_id": PAGE, "graph_version": "v25.0"}

    @pytest.fixture
    def server(self, http_server, environ):  # noqa: F811
        app = {name: f"{value}{CANARY}" for name, value in APP.items()}
        fake = FakeGraph(http_server, environ["PW_TEST_ACCESS_TOKEN"], app)
        yield fake
        assert fake.problems == []

    # -- where the contract cannot apply as written ----------------------------------------------

    def test_rate_limit_waits_as_told_then_sends_once(self, server, connect, ledger, sleeps):
        """Graph says when to come back in whole minutes (X-Business-Use-Case-Usage
        estimated_time_to_regain_access), so the contract's 7 seconds arrive as 1 minute: the
        runner waits 60 s (its per-part budget), asks find_sent, then sends once."""
        server.rate_limit_next(7)
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published", outcome.message
        assert sleeps.calls == [60.0] and len(server.posts()) == 1

    def test_thread_parts_reply_to_the_part_before(self, server, connect, ledger):
        """Pages have no threads (max_thread_parts 1: build joins the parts). A variant that still has
        several parts is refused before anything is sent."""
        variant = self.variant(self.part_texts())
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "failed" and "no threads" in outcome.message
        assert ledger.read()[variant.key].last(1).permanent and server.posts() == []

    # -- Facebook-specific behaviour --------------------------------------------------------------

    def test_text_with_a_link_goes_to_the_feed_with_the_link(self, server, connect, ledger):
        self.run(ledger, connect, self.variant(self.part_texts()[:1]))
        ((path, form),) = server.requests
        assert path == f"/v25.0/{PAGE}/feed"
        assert form["message"] == self.part_texts()[0]
        assert form["link"] == "https://example.com/gale?utm_source=facebook"

    def test_one_image_is_a_photo_post_with_caption_and_alt_text(self, server, connect, ledger):
        self.run(ledger, connect, self.variant(self.part_texts()[:1], images=1))
        ((path, form),) = server.requests
        assert path.endswith("/photos") and form["caption"] == self.part_texts()[0]
        assert form["published"] == "true" and form["alt_text_custom"] == self.alts[0]
        (post,) = server.posts()
        assert post.alts == (self.alts[0],)

    def test_several_images_are_unpublished_photos_attached_to_one_post(self, server, connect, ledger):
        self.run(ledger, connect, self.variant(self.part_texts()[:1], images=2))
        first, second, feed = server.requests
        assert [first[1]["published"], second[1]["published"]] == ["false", "false"]
        assert feed[0].endswith("/feed") and "attached_media[1]" in feed[1] and "link" not in feed[1]

    def test_invalid_image_is_permanent_with_graph_words(self, server, connect, ledger):
        server.bad_image = True
        variant = self.variant(self.part_texts()[:1], images=1)
        self.run(ledger, connect, variant)
        record = ledger.read()[variant.key].last(1)
        assert record.permanent and "Missing or invalid image file (code 324)" in (record.error or "")

    def test_expired_token_is_a_credentials_problem(self, server, connect, ledger):
        server.expired = True
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "failed" and "code 190/463" in outcome.message
        assert "will retry next run" in outcome.message and not ledger.read()[variant.key].last(1).permanent

    def test_missing_permission_is_a_credentials_problem(self, server, connect):
        server.next_error = graph_error(200, "(#200) Requires pages_manage_posts permission")
        with pytest.raises(CredentialsError, match="pages_manage_posts"):
            connect().send(self.variant(self.part_texts()[:1]), 1, None, "k-1")

    def test_temporary_service_error_is_retried(self, server, connect, ledger, sleeps):
        server.next_error = graph_error(
            2, "An unexpected error has occurred. Please retry your request later."
        )
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published" and len(sleeps.calls) == 1 and len(server.posts()) == 1

    def test_duplicate_status_resolves_to_the_post_already_there(self, server, connect):
        publisher = connect()
        variant = self.variant(self.part_texts()[:1])
        first = publisher.send(variant, 1, None, "k-1")
        assert connect().send(variant, 1, None, "k-1") == first and len(server.posts()) == 1

    def test_duplicate_without_a_match_is_permanent(self, server, connect):
        server.next_error = graph_error(506, "(#506) Duplicate status message")
        with pytest.raises(PermanentError, match="Duplicate status message"):
            connect().send(self.variant(self.part_texts()[:1]), 1, None, "k-1")

    def test_find_sent_without_the_variant_cannot_tell(self, server, connect):
        with pytest.raises(CannotTell):
            connect().find_sent(None, 1, "k-1")

    def test_delete_of_a_post_already_gone_is_fine(self, server, connect):
        connect().delete(f"{PAGE}_122000000000000999")

    def test_verify_reads_debug_token(self, server, environ):
        check = PLATFORMS["facebook"].verify(self._connection(server, environ, app=False))
        assert check.ok and "does not expire" in check.detail and check.expires_at is None
        server.token_expires_at = 1_795_000_000
        check = PLATFORMS["facebook"].verify(self._connection(server, environ, app=True))
        assert check.ok and check.expires_at == datetime.fromtimestamp(1_795_000_000, UTC)
        server.expired = True
        check = PLATFORMS["facebook"].verify(self._connection(server, environ, app=True))
        assert not check.ok and "expired" in check.detail and CANARY not in check.detail

    def test_verify_falls_back_to_me_when_debug_token_is_refused(self, server, environ):
        server.debug_refused = True
        check = PLATFORMS["facebook"].verify(self._connection(server, environ, app=False))
        assert check.ok and "Windward Kite Works" in check.detail and check.expires_at is None

    def test_verify_says_when_the_token_is_for_another_page(self, server, environ):
        connection = self._connection(server, environ, app=False)
        other = Connection(
            self.account, "facebook", {**self.settings(server), "page_id": "999"}, connection.secrets
        )
        check = PLATFORMS["facebook"].verify(other)
        assert not check.ok and f"the token is for Page {PAGE}" in check.detail

    def _connection(self, server: FakeGraph, environ: Mapping[str, str], app: bool) -> Connection:
        values, names = dict(environ), {"access_token": "PW_TEST_ACCESS_TOKEN"}
        if app:
            for name, value in server.app.items():
                values[f"PW_TEST_{name.upper()}"] = value
                names[name] = f"PW_TEST_{name.upper()}"
        secrets = Secrets(self.account, names, environ=values)
        return Connection(self.account, "facebook", self.settings(server), secrets)
