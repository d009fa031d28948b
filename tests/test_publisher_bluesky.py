"""The Bluesky publisher against a real PDS (@atproto/pds from npm, started once for the session).

Every test gets a fresh account, so the repo holds only that test's posts. Records are read back from
the PDS and checked field by field; the PDS does not check facet offsets, so the tests slice the UTF-8
bytes of the text themselves. A forwarding proxy in front of the PDS counts calls and, when asked,
answers a create with the PDS's own 429 or 400, or hands out an already expired access token.
"""

from __future__ import annotations

import io
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from postwright.credentials import CredentialsError, Secrets
from postwright.platforms import PLATFORMS
from postwright.platforms.bluesky.publisher import record_key
from postwright.platforms.contract import Connection, PermanentError, Receipt, TransientError, Upload
from tests.contract import CANARY, PublisherContract, SentPost
from tests.pds_server import Account, Pds, PdsUnavailable, Proxy, create_account

POST = "app.bsky.feed.post"
REJECTED = "Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) at $.record.text"


@pytest.fixture(scope="session")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pds]:
    try:
        server = Pds.start(tmp_path_factory.mktemp("pds"))
    except PdsUnavailable as error:
        problem = str(error)  # failed, never skipped: the Bluesky tests must run wherever the suite runs
    else:
        problem = ""
    if problem:
        pytest.fail(f"the local Bluesky PDS cannot run: {problem}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def proxy(pds: Pds) -> Iterator[Proxy]:
    forwarding = Proxy(pds)
    yield forwarding
    forwarding.close()


@dataclass
class BlueskyServer:
    """The contract's Server for one fresh account, plus what the Bluesky tests read back."""

    pds: Pds
    proxy: Proxy
    account: Account

    def records(self) -> list[dict[str, Any]]:
        """The account's posts straight from the PDS (com.atproto.repo.listRecords), oldest first:
        rkeys are hashes, not times, so the order is the order the proxy saw them created."""
        response = httpx.get(
            f"{self.pds.url}/xrpc/com.atproto.repo.listRecords",
            params={"repo": self.account.did, "collection": POST, "limit": 100},
        )
        response.raise_for_status()
        found = response.json()["records"]
        order = {uri: n for n, uri in enumerate(self.proxy.created)}
        return sorted(found, key=lambda record: order.get(record["uri"], len(order)))

    def posts(self) -> list[SentPost]:
        return [self._sent(record) for record in self.records()]

    @staticmethod
    def _sent(record: dict[str, Any]) -> SentPost:
        value = record["value"]
        embed = value.get("embed") or {}
        return SentPost(
            remote_id=record["uri"],
            text=value["text"],
            reply_to=(value.get("reply") or {}).get("parent", {}).get("uri"),
            alts=tuple(image["alt"] for image in embed.get("images", ())),
            lang=(value.get("langs") or [None])[0],
        )

    def rate_limit_next(self, seconds: int) -> None:
        self.proxy.rate_limit_next(seconds)

    def reject_next(self) -> str:
        self.proxy.reject_next(REJECTED)
        return "grapheme too big (maximum 300"


@pytest.fixture
def server(pds: Pds, proxy: Proxy) -> BlueskyServer:
    proxy.reset()
    # the contract appends a canary to every secret it hands the publisher; the PDS gets the real one
    proxy.rewrite_password = lambda password: password.replace(CANARY, "")
    return BlueskyServer(pds, proxy, create_account(pds.url))


def utf8_slice(text: str, facet: dict[str, Any]) -> str:
    index = facet["index"]
    return text.encode()[index["byteStart"] : index["byteEnd"]].decode()


def noisy_jpeg(path: Path, size: tuple[int, int]) -> Path:
    """A JPEG that does not compress: about 1.1 bytes per pixel at quality 95."""
    buffer = io.BytesIO()
    Image.effect_noise(size, 120).convert("RGB").save(buffer, "JPEG", quality=95)
    path.write_bytes(buffer.getvalue())
    return path


class TestBlueskyPublisher(PublisherContract):
    platform = "bluesky"

    def settings(self, server: BlueskyServer) -> dict[str, Any]:
        return {"service": server.proxy.url, "handle": server.account.handle}

    def credentials(self) -> dict[str, str]:
        return {"app_password": "app-password"}

    @pytest.fixture
    def environ(self, server: BlueskyServer) -> dict[str, str]:
        """The account's real app password, with the contract's canary (the proxy strips it)."""
        return {"PW_TEST_APP_PASSWORD": server.account.app_password + CANARY}

    # -- what the PDS holds, field by field ---------------------------------------------------------

    def test_thread_records_carry_facets_images_langs_and_reply_refs(self, server, connect, ledger, pds):
        friend = create_account(pds.url, "friend")
        parts = (
            f"Ещё 🪁 ветер! Meet @{friend.handle} at https://example.com/gale?utm_source=x #kites",
            "Part two: (see example.com/specs). Not a user: @nobody-here.test #Gale9 $KITE",
            "Three: ＃全角 tag and the end.",
        )
        variant = self.variant(parts, images=2)
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "published" and outcome.parts_sent == 3, outcome.message

        first, second, third = server.records()
        assert [record["value"]["text"] for record in (first, second, third)] == list(parts)
        for record in (first, second, third):
            assert record["value"]["langs"] == ["en"]
            assert record["value"]["createdAt"] == "2026-12-01T09:00:00.000Z"

        slices = [(utf8_slice(parts[0], f), f["features"][0]) for f in first["value"]["facets"]]
        assert slices == [
            (f"@{friend.handle}", {"$type": "app.bsky.richtext.facet#mention", "did": friend.did}),
            (
                "https://example.com/gale?utm_source=x",
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/gale?utm_source=x"},
            ),
            ("#kites", {"$type": "app.bsky.richtext.facet#tag", "tag": "kites"}),
        ]
        # the unknown handle resolves to nothing, so it stays plain text; a bare domain gets https://
        slices = [(utf8_slice(parts[1], f), f["features"][0]) for f in second["value"]["facets"]]
        assert slices == [
            (
                "example.com/specs",
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/specs"},
            ),
            ("#Gale9", {"$type": "app.bsky.richtext.facet#tag", "tag": "Gale9"}),
            ("$KITE", {"$type": "app.bsky.richtext.facet#tag", "tag": "$KITE"}),
        ]
        assert [utf8_slice(parts[2], f) for f in third["value"]["facets"]] == ["＃全角"]

        embed = first["value"]["embed"]
        assert embed["$type"] == "app.bsky.embed.images"
        assert [image["alt"] for image in embed["images"]] == list(self.alts)
        assert [image["aspectRatio"] for image in embed["images"]] == [
            {"width": 800, "height": 600},
            {"width": 600, "height": 800},
        ]
        assert all(image["image"]["mimeType"] == "image/jpeg" for image in embed["images"])
        assert "embed" not in second["value"] and "embed" not in third["value"]

        root = {"uri": first["uri"], "cid": first["cid"]}
        assert "reply" not in first["value"]
        assert second["value"]["reply"] == {"root": root, "parent": root}
        assert third["value"]["reply"] == {
            "root": root,
            "parent": {"uri": second["uri"], "cid": second["cid"]},
        }

        records = ledger.read()[variant.key]
        for part, record in enumerate((first, second, third), start=1):
            rkey = record["uri"].rsplit("/", 1)[1]
            assert rkey == record_key(records.last(part).idempotency_key)
            assert records.last(part).remote_id == record["uri"]
            assert records.last(part).url == f"https://bsky.app/profile/{server.account.did}/post/{rkey}"

    def test_a_text_only_post_with_a_link_gets_a_card_built_from_the_post(self, server, connect, ledger):
        text = "Launch day: the Gale 9 is here. https://example.com/gale?utm_source=bluesky\n\nMore soon."
        variant = self.variant((text,))
        assert self.run(ledger, connect, variant).status == "published"
        (record,) = server.records()
        assert record["value"]["embed"] == {
            "$type": "app.bsky.embed.external",
            "external": {
                "uri": variant.link,
                "title": "The Gale 9 is here",
                "description": "Launch day: the Gale 9 is here.",
            },
        }

    def test_link_card_thumbnail_uses_the_first_image(self, server, connect, ledger, tmp_path):
        variant = self.variant(("New kites: https://example.com/gale",), images=2)
        settings = {**self.settings(server), "link_card": "thumbnail"}
        assert self.run(ledger, lambda: connect(settings=settings), variant).status == "published"
        (record,) = server.records()
        external = record["value"]["embed"]["external"]
        assert external["uri"] == variant.link and external["description"] == "New kites:"
        assert external["thumb"]["mimeType"] == "image/jpeg"
        assert external["thumb"]["size"] == (tmp_path / "kite.jpg").stat().st_size

    def test_link_card_off(self, server, connect, ledger):
        settings = {**self.settings(server), "link_card": "off"}
        assert (
            self.run(ledger, lambda: connect(settings=settings), self.variant(("No card",))).status
            == "published"
        )
        (record,) = server.records()
        assert "embed" not in record["value"]

    # -- sessions ---------------------------------------------------------------------------------

    def test_one_session_serves_every_send(self, server, connect, ledger):
        publisher = connect()
        for post_id in ("2026-12-01-one", "2026-12-02-two"):
            outcome = self.run(ledger, lambda: publisher, self.variant(self.part_texts(), post_id=post_id))
            assert outcome.status == "published", outcome.message
        assert len(server.records()) == 6
        assert server.proxy.calls["com.atproto.server.createSession"] == 1
        assert server.proxy.calls["com.atproto.server.refreshSession"] == 0

    def test_an_expired_access_token_is_refreshed_not_logged_in_again(self, server, connect, ledger):
        server.proxy.expire_next_session()
        outcome = self.run(ledger, connect, self.variant(self.part_texts()))
        assert outcome.status == "published" and outcome.parts_sent == 3, outcome.message
        calls = server.proxy.calls
        assert calls["com.atproto.server.createSession"] == 1
        assert calls["com.atproto.server.refreshSession"] == 1
        # the first create was refused by the PDS itself (400 ExpiredToken), then sent again
        assert calls["com.atproto.repo.createRecord"] == 4
        assert len(server.records()) == 3

    def test_a_wrong_app_password_is_a_credentials_problem(self, server, connect):
        wrong = Secrets("brand", {"app_password": "PW_WRONG"}, environ={"PW_WRONG": f"nope-{CANARY}"})
        publisher = connect(secrets=wrong)
        with pytest.raises(CredentialsError) as raised:
            publisher.send(self.variant(("Hello",)), 1, None, "k" * 32 + "-1")
        assert "Invalid identifier or password" in str(raised.value) and CANARY not in str(raised.value)
        assert server.records() == []

    # -- idempotency ------------------------------------------------------------------------------

    def test_sending_a_part_again_returns_the_post_already_there(self, server, connect):
        variant = self.variant(("Only once",))
        key = "0123456789abcdef0123456789abcdef-1"
        first = connect().send(variant, 1, None, key)
        again = connect().send(variant, 1, None, key)  # a retry whose first answer was lost
        assert again == first
        assert len(server.records()) == 1
        assert connect().find_sent(None, 1, key) == first
        assert connect().find_sent(None, 1, key.replace("-1", "-2")) is None

    def test_delete_by_uri_or_by_key_and_already_gone_is_fine(self, server, connect):
        publisher = connect()
        one = publisher.send(self.variant(("One",)), 1, None, "a" * 32 + "-1")
        publisher.send(self.variant(("Two",)), 1, None, "b" * 32 + "-1")
        publisher.delete(one.remote_id)
        publisher.delete("b" * 32 + "-1")  # the Runner passes the key where it has no remote id
        assert server.records() == []
        publisher.delete(one.remote_id)

    def test_record_keys_are_tids_from_the_key_alone(self):
        keys = [f"{n:032x}-{part}" for n in range(200) for part in (1, 2, 3)]
        rkeys = [record_key(key) for key in keys]
        assert all(re.fullmatch(r"[2-7a-j][2-7a-z]{12}", rkey) for rkey in rkeys)
        assert len(set(rkeys)) == len(keys)
        assert rkeys == [record_key(key) for key in keys]

    def test_an_image_over_the_blob_limit_is_refused_permanently(self, server, connect, tmp_path):
        big = noisy_jpeg(tmp_path / "big.jpg", (1300, 1300))
        assert big.stat().st_size > 1_000_000
        publisher = connect(uploads=lambda variant: [Upload(big, "Noise", 1300, 1300, "image/jpeg", None)])
        with pytest.raises(PermanentError, match="blob too big"):
            publisher.send(self.variant(("Too big",), images=1), 1, None, "c" * 32 + "-1")
        assert server.records() == []

    def test_a_reply_to_a_deleted_part_fails_permanently(self, server, connect):
        publisher = connect()
        parent = publisher.send(self.variant(("Parent",)), 1, None, "d" * 32 + "-1")
        publisher.delete(parent.remote_id)
        with pytest.raises(PermanentError, match="gone"):
            publisher.send(
                self.variant(("Parent", "Child")), 2, Receipt(parent.remote_id, parent.url), "d" * 32 + "-2"
            )

    # -- doctor -----------------------------------------------------------------------------------

    def test_verify_logs_in_and_names_the_account(self, server, environ):
        verify = PLATFORMS["bluesky"].verify
        connection = Connection(
            "brand",
            "bluesky",
            self.settings(server),
            Secrets("brand", {"app_password": "PW_TEST_APP_PASSWORD"}, environ=environ),
        )
        check = verify(connection)
        assert check.ok and check.detail == f"valid (posting as @{server.account.handle})"
        wrong = Secrets("brand", {"app_password": "PW_WRONG"}, environ={"PW_WRONG": f"nope-{CANARY}"})
        check = verify(Connection("brand", "bluesky", self.settings(server), wrong))
        assert not check.ok and "Invalid identifier or password" in check.detail
        assert CANARY not in check.detail

    def test_verify_says_when_the_pds_cannot_be_reached(self, environ, server):
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings = {"service": f"http://127.0.0.1:{port}", "handle": server.account.handle}
        secrets = Secrets("brand", {"app_password": "PW_TEST_APP_PASSWORD"}, environ=environ)
        with pytest.raises(TransientError):  # doctor reports it as a warning, not as bad credentials
            PLATFORMS["bluesky"].verify(Connection("brand", "bluesky", settings, secrets))

    def test_the_platform_declares_its_credentials_and_settings(self):
        assert [credential.name for credential in PLATFORMS["bluesky"].credentials] == ["app_password"]
        no_handle = Connection("brand", "bluesky", {}, Secrets("brand", {}))
        with pytest.raises(CredentialsError, match=r"settings\.handle"):
            PLATFORMS["bluesky"].publisher(no_handle)
