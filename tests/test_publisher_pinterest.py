"""The Pinterest publisher against a local fake of API v5.

The fake checks requests against the schemas of pinterest/api-description@c05b189 v5/openapi.json
(API 5.23.0): PinCreate's fields and lengths, PinMediaSourceImageBase64 and
PinMediaSourceImagesBase64 (2–5 items; content_type image/jpeg or image/png; data matching
^[a-zA-Z0-9+/=]+$ and decoding to that image), board_id digits, page_size ≤ 250; and answers with Pin,
Paginated {items, bookmark}, 204 on delete and Pinterest.Lib.Error {code, message}.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import httpx
import pytest
from PIL import Image
from werkzeug import Request, Response

from postwright.credentials import Secrets
from postwright.model import Variant
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import CannotTell, Connection, PermanentError, Receipt
from postwright.platforms.pinterest.publisher import _retry_after
from postwright.publish import Runner
from tests.contract import CANARY, PublisherContract, SentPost
from tests.fakes.api import FakeApi, http_server, json_response  # noqa: F401

BOARD = "549755885175"
PIN_CREATE = {  # PinCreate properties
    "alt_text",
    "board_id",
    "board_section_id",
    "description",
    "dominant_color",
    "link",
    "media_source",
    "parent_pin_id",
    "sponsor_id",
    "title",
}
BASE64 = re.compile(r"^[a-zA-Z0-9+/=]+$")
PIL_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}


def lib_error(status: int, code: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """Pinterest.Lib.Error: {code, message}."""
    return json_response({"code": code, "message": message}, status, headers)


class FakePinterest(FakeApi):
    """One board's pins and the token's user account."""

    def __init__(self, server, token: str) -> None:
        super().__init__(server)
        self.token = token
        self.revoked = False
        self.pins: dict[str, dict[str, Any]] = {}
        self.bodies: list[dict[str, Any]] = []
        self._ids = itertools.count(1_125_899_906_842_624_001)
        self.route("POST", r"/v5/pins", self._create)
        self.route("GET", r"/v5/boards/(?P<board_id>\d+)/pins", self._board_pins)
        self.route("DELETE", r"/v5/pins/(?P<pin_id>\d+)", self._delete)
        self.route("GET", r"/v5/user_account", self._user_account)

    def posts(self) -> list[SentPost]:
        return [
            SentPost(pid, pin["description"], None, (pin["alt_text"],) if pin.get("alt_text") else ())
            for pid, pin in self.pins.items()
        ]

    def reject_next(self) -> str:
        self.arm_reject()
        return "could not process this image"

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") == f"Bearer {self.token}" and not self.revoked:
            return None
        return lib_error(401, 2, "Authentication failed.")

    def _create(self, request: Request) -> Response:
        """POST /v5/pins with a PinCreate body → 201 Pin."""
        if refused := self._refused(request):
            return refused
        assert request.mimetype == "application/json"
        body = json.loads(request.get_data())
        self.bodies.append(body)
        assert set(body) <= PIN_CREATE, f"not PinCreate fields: {set(body) - PIN_CREATE}"
        assert body["board_id"] == BOARD
        assert len(body.get("title") or "") <= 100 and len(body.get("description") or "") <= 800
        assert len(body.get("alt_text") or "") <= 500 and len(body.get("link") or "") <= 2048
        media_type = self._check_media(body["media_source"])
        if (seconds := self.take_rate_limit()) is not None:
            return lib_error(
                429, 8, "You have exceeded your rate limit. Try again later.", {"Retry-After": str(seconds)}
            )
        if self.take_reject():
            return lib_error(400, 1, "Sorry, we could not process this image.")
        pin_id = str(next(self._ids))
        pin = {
            "id": pin_id,
            "created_at": "2026-12-01T09:00:00",
            "board_id": BOARD,
            "board_section_id": None,
            "board_owner": {"username": "windwardkites"},
            "title": body.get("title"),
            "description": body.get("description"),
            "link": body.get("link"),
            "alt_text": body.get("alt_text"),
            "media": {"media_type": media_type},
        }
        self.pins[pin_id] = pin
        return json_response(pin, 201)

    @staticmethod
    def _check_media(source: Mapping[str, Any]) -> str:
        if source["source_type"] == "image_base64":
            assert set(source) <= {"source_type", "content_type", "data", "is_standard"}
            items = [source]
        else:
            assert source["source_type"] == "multiple_image_base64", f"unexpected {source['source_type']}"
            assert set(source) <= {"source_type", "items", "index"} and 2 <= len(source["items"]) <= 5
            items = source["items"]
            assert all(
                set(item) <= {"content_type", "data", "title", "description", "link"} for item in items
            )
        for item in items:
            assert item["content_type"] in PIL_TYPES and BASE64.match(item["data"])
            image = Image.open(io.BytesIO(base64.b64decode(item["data"], validate=True)))
            assert image.format == PIL_TYPES[item["content_type"]], "content_type says what the data is"
        return "image" if len(items) == 1 else "multiple_images"

    def _board_pins(self, request: Request, board_id: str) -> Response:
        """GET /v5/boards/{board_id}/pins?page_size=…&bookmark=… → Paginated {items, bookmark}."""
        if refused := self._refused(request):
            return refused
        assert board_id == BOARD and 1 <= int(request.args.get("page_size", "25")) <= 250
        return json_response({"items": list(reversed(self.pins.values())), "bookmark": None})

    def _delete(self, request: Request, pin_id: str) -> Response:
        """DELETE /v5/pins/{pin_id} → 204."""
        if refused := self._refused(request):
            return refused
        if self.pins.pop(pin_id, None) is None:
            return lib_error(404, 50, "Pin not found.")
        return Response(status=204)

    def _user_account(self, request: Request) -> Response:
        """GET /v5/user_account → Account."""
        if refused := self._refused(request):
            return refused
        account = {"account_type": "BUSINESS", "id": "2783136121146311751", "username": "windwardkites"}
        return json_response(account)


class TestPinterest(PublisherContract):
    platform = "pinterest"

    def credentials(self) -> Mapping[str, str]:
        return {"access_token": "pina_AMAXXXXWABCDEFGHIJKLMNOPQRSTUVWXYZ"}

    def settings(self, server: FakePinterest) -> Mapping[str, Any]:
        return {"api_url": server.url, "board_id": BOARD}

    @pytest.fixture
    def server(self, http_server, environ):  # noqa: F811
        fake = FakePinterest(http_server, environ["PW_TEST_ACCESS_TOKEN"])
        yield fake
        assert fake.problems == []

    def variant(self, parts: tuple[str, ...], images: int = 0, post_id: str = "2026-12-01-launch") -> Variant:
        """Every pin is an image (limits.requires_media; check stops an imageless post with PW410), so
        the contract's text-only posts become one-image pins here."""
        return super().variant(parts, max(images, 1), post_id)

    # -- where the contract cannot apply as written ----------------------------------------------

    def test_images_carry_their_alt_text(self, server, connect, ledger):
        """A carousel pin has one alt_text: its items have none in API v5 (PinMediaSourceImagesBase64Item:
        content_type, data, title, description, link). The images' alt texts go there one per line."""
        variant = self.variant(self.part_texts()[:1], images=2)
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "published", outcome.message
        (post,) = server.posts()
        assert post.alts == ("\n".join(self.alts),)
        assert server.bodies[0]["media_source"]["source_type"] == "multiple_image_base64"

    def test_thread_parts_reply_to_the_part_before(self, server, connect, ledger):
        """Pinterest has no threads (max_thread_parts 1: build joins the parts). A variant that still has
        several parts is refused before anything is sent."""
        variant = self.variant(self.part_texts())
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "failed" and "no threads" in outcome.message
        assert ledger.read()[variant.key].last(1).permanent and server.posts() == []

    # -- Pinterest-specific behaviour ------------------------------------------------------------

    def test_a_pin_carries_title_description_link_and_alt_text(self, server, connect, ledger):
        self.run(ledger, connect, self.variant(self.part_texts()[:1]))
        (body,) = server.bodies
        assert body["title"] == "The Gale 9 is here" and body["description"] == self.part_texts()[0]
        assert body["link"] == "https://example.com/gale?utm_source=pinterest"
        assert body["alt_text"] == self.alts[0] and body["media_source"]["content_type"] == "image/jpeg"

    def test_long_alt_texts_of_a_carousel_keep_the_first(self, server, connect, ledger, images):
        images[0] = replace(images[0], alt="a" * 300)
        images[1] = replace(images[1], alt="b" * 300)
        self.run(ledger, connect, self.variant(self.part_texts()[:1], images=2))
        assert server.bodies[0]["alt_text"] == "a" * 300

    def test_a_post_without_an_image_is_refused_before_sending(self, server, connect):
        publisher = connect(uploads=lambda variant: [])
        with pytest.raises(PermanentError, match="needs an image"):
            publisher.send(self.variant(self.part_texts()[:1]), 1, None, "k-1")
        assert server.bodies == []

    def test_expired_token_is_a_credentials_problem(self, server, connect, ledger):
        server.revoked = True
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "failed" and "Authentication failed" in outcome.message
        assert not ledger.read()[variant.key].last(1).permanent

    def test_find_sent_without_the_variant_cannot_tell(self, server, connect):
        with pytest.raises(CannotTell):
            connect().find_sent(None, 1, "k-1")

    def test_delete_of_a_pin_already_gone_is_fine(self, server, connect):
        connect().delete("1125899906842624999")

    def test_retract_of_a_pin_without_an_id_deletes_nothing(self, server, connect, ledger):
        """A published pin whose id was never recorded: DELETE /v5/pins/ would answer 404, read as
        "already gone", and the pin would be recorded retracted while it stays. It fails instead."""
        variant = self.variant(self.part_texts()[:1])
        real = connect()

        class NoId:  # a publisher whose receipt lost the pin id
            idempotent = real.idempotent

            def send(self, *args):
                return Receipt("", real.send(*args).url)

        assert self.run(ledger, lambda: NoId(), variant).status == "published"
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "failed" and "no pin id" in outcome.message, outcome.message
        assert len(server.posts()) == 1 and ledger.read()[variant.key].last(1).status == "published"
        assert not [seen for seen in server.seen if seen[0] == "DELETE"]

    def test_verify_names_the_account(self, server, environ):
        names = {"access_token": "PW_TEST_ACCESS_TOKEN"}
        connection = Connection(
            self.account, "pinterest", self.settings(server), Secrets(self.account, names, environ=environ)
        )
        check = PLATFORMS["pinterest"].verify(connection)
        assert check.ok and "windwardkites" in check.detail and check.expires_at is None
        server.revoked = True
        check = PLATFORMS["pinterest"].verify(connection)
        assert not check.ok and "401" in check.detail and CANARY not in check.detail


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"Retry-After": "7"}, 7.0), ({"x-ratelimit-reset": "12"}, 12.0), ({}, None)],  # seconds to wait
)
def test_when_to_come_back_after_a_429(headers, expected):
    assert _retry_after(httpx.Response(429, headers=headers)) == expected


def test_a_large_reset_is_an_epoch_time():
    waited = _retry_after(httpx.Response(429, headers={"x-ratelimit-reset": str(int(time.time()) + 3600)}))
    assert waited is not None and 3000 < waited <= 3600
