"""The contract every API publisher passes against its platform's local server.

A platform's test module subclasses `PublisherContract` and provides a `server` fixture: an object
with the `Server` methods below, backed by a real local server (the AT Protocol PDS, mastodon-mock)
or a pytest-httpserver that checks each request the way the platform documents it. The tests here
drive the publisher through the real Runner and ledger, as `postwright publish` does, and check what
the server ended up with. Every secret is a canary: after each test it must appear nowhere we write.
The contract itself (`Publisher`, `Receipt`, the send errors) is postwright/platforms/contract.py;
this module is its shared test suite.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest
from PIL import Image

from postwright.credentials import Secrets
from postwright.diagnostics import Span
from postwright.ledger import Ledger
from postwright.model import MediaRef, Variant
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import Connection, Publisher, Upload
from postwright.publish import Job, Runner

CANARY = f"CANARY-{uuid.uuid4().hex}"  # part of every secret the contract hands a publisher


@dataclass(frozen=True)
class SentPost:
    """One post (or thread part) as the server holds it."""

    remote_id: str
    text: str  # what the platform received as the post's text (HTML where the dialect is HTML)
    reply_to: str | None = None  # the remote id of the part it replies to
    alts: tuple[str, ...] = ()  # alt text of its images, in order
    lang: str | None = None


class Server(Protocol):
    def posts(self) -> list[SentPost]:
        """The live posts of the test account, oldest first (deleted ones are gone)."""

    def rate_limit_next(self, seconds: int) -> None:
        """The next request that would create a post is refused as the platform refuses over its rate
        limit (429 and its documented way of saying when to come back), then service resumes."""

    def reject_next(self) -> str:
        """The next create request is refused permanently the way the platform documents (e.g. 422,
        400 invalid media): returns a fragment of the platform's message the ledger must keep."""


@dataclass
class Sleeps:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def jpeg(path: Path, size: tuple[int, int] = (800, 600), colour: str = "steelblue") -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


class PublisherContract:
    """Subclass with `platform = "<name>"`, a `server` fixture and `settings`/`credentials` below."""

    platform: str
    account = "brand"
    alts = ("A red kite over a grey sea, seen from the beach", "Two riders carrying a board: “ready”")

    # -- what a platform's test module provides --------------------------------------------------

    def settings(self, server: Any) -> Mapping[str, Any]:
        """The account's settings pointing at the local server (instance URL, chat id, …)."""
        raise NotImplementedError

    def credentials(self) -> Mapping[str, str]:
        """Credential name -> value; each value is made to contain the canary."""
        raise NotImplementedError

    def part_texts(self) -> tuple[str, str, str]:
        """Three thread parts in the platform's dialect (override where plain text will not do)."""
        return (
            "Launch day at Windward: the Gale 9 is here. https://example.com/gale?utm_source=x #kites",
            "It packs to 40 cm and flies in 8 knots. Ещё: ветер!",
            "Questions? Ask us — we answer every one. 🪁",
        )

    # -- the fixtures the tests share -----------------------------------------------------------

    @pytest.fixture
    def sleeps(self) -> Sleeps:
        return Sleeps()

    @pytest.fixture
    def images(self, tmp_path: Path) -> list[Upload]:
        first = jpeg(tmp_path / "kite.jpg")
        second = jpeg(tmp_path / "riders.jpg", (600, 800), "darkorange")
        return [
            Upload(first, self.alts[0], 800, 600, "image/jpeg", (0.5, 0.4)),
            Upload(second, self.alts[1], 600, 800, "image/jpeg", None),
        ]

    @pytest.fixture
    def environ(self) -> dict[str, str]:
        return {f"PW_TEST_{name.upper()}": f"{value}{CANARY}" for name, value in self.credentials().items()}

    @pytest.fixture
    def connect(self, server, sleeps, images, environ):
        """A function that builds a fresh publisher, as each `postwright publish` run does."""
        names = {name: f"PW_TEST_{name.upper()}" for name in self.credentials()}

        def uploads(variant: Variant) -> list[Upload]:
            return images[: len(variant.media)]

        def build(**changes: Any) -> Publisher:
            connection = Connection(
                account=self.account,
                platform=self.platform,
                settings=dict(self.settings(server)),
                secrets=Secrets(self.account, names, environ=environ),
                uploads=uploads,
                sleep=sleeps,
                clock=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            )
            for name, value in changes.items():
                object.__setattr__(connection, name, value)
            factory = PLATFORMS[self.platform].publisher
            assert factory is not None, f"{self.platform} declares no publisher"
            return factory(connection)

        return build

    @pytest.fixture
    def ledger(self, tmp_path: Path) -> Ledger:
        return Ledger(tmp_path / "state")

    @pytest.fixture(autouse=True)
    def canary_stays_secret(self, tmp_path: Path, capsys, caplog):
        """After each test: the canary is in no file we wrote, no output and no log record."""
        caplog.set_level(logging.DEBUG)  # httpx logs every request URL at INFO
        yield
        captured = capsys.readouterr()
        for text in (captured.out, captured.err):
            assert CANARY not in text
        for when in ("setup", "call"):  # ours and the HTTP libraries'; the fake server's own log is not ours
            for record in caplog.get_records(when):
                if not record.name.startswith(("werkzeug", "oauthlib.oauth1.rfc5849.endpoints")):
                    assert CANARY not in record.getMessage(), record.name
        for path in tmp_path.rglob("*"):
            if path.is_file() and path.suffix in {".jsonl", ".json", ".txt", ".log"}:
                assert CANARY not in path.read_text("utf-8", "replace"), path

    def variant(self, parts: tuple[str, ...], images: int = 0, post_id: str = "2026-12-01-launch") -> Variant:
        limits = PLATFORMS[self.platform].limits
        count = min(images, limits.max_media)
        media = tuple(
            MediaRef(f"kite-{n}.jpg", self.alts[n], None, Span("content/posts/launch.md", 5, 1))
            for n in range(count)
        )
        return Variant(
            post_id=post_id,
            lang="en",
            account=self.account,
            platform=self.platform,
            source="content/posts/launch.md",
            parts=parts,
            link="https://example.com/gale?utm_source=" + self.platform,
            media=media,
            publish_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            draft=False,
            expires=None,
            body_line=5,
            thread="auto",
            title="The Gale 9 is here",
        )

    def run(self, ledger: Ledger, connect, variant: Variant, sleeps: Sleeps | None = None, **options):
        built: list[Publisher] = []

        def publisher_for(account: str) -> Publisher:  # built on first use, as the pipeline does
            if not built:
                built.append(connect())
            return built[0]

        runner = Runner(ledger, publisher_for, sleep=sleeps or Sleeps(), **options)
        (outcome,) = runner.run([Job(variant)])
        assert CANARY not in outcome.message  # printed by `publish` and written to the job summary
        return outcome

    def die_after_sending(self, ledger: Ledger, connect, variant: Variant, part: int = 1) -> None:
        """A run whose process dies (nothing catches it) once the platform accepted `part`, before the
        ledger says so: the state the next run has to settle without sending twice."""

        class Died(BaseException):
            pass

        real = connect()

        class Dying:
            idempotent = real.idempotent

            def send(self, variant, number, reply_to, key):
                receipt = real.send(variant, number, reply_to, key)
                if number == part:
                    raise Died
                return receipt

            def find_sent(self, *args):
                return real.find_sent(*args)

            def delete(self, remote_id):
                return real.delete(remote_id)

        with pytest.raises(Died):
            Runner(ledger, lambda account: Dying()).run([Job(variant)])

    def supports_threads(self) -> bool:
        return PLATFORMS[self.platform].limits.max_thread_parts > 1

    # -- the contract -------------------------------------------------------------------------------

    def test_send_one_post(self, server, connect, ledger):
        text = self.part_texts()[0]
        outcome = self.run(ledger, connect, self.variant((text,)))
        assert outcome.status == "published", outcome.message
        (post,) = server.posts()
        assert post.text == text
        record = ledger.read()[self.variant((text,)).key].last(1)
        assert record.status == "published" and record.remote_id == post.remote_id and record.url

    def test_thread_parts_reply_to_the_part_before(self, server, connect, ledger):
        if not self.supports_threads():
            pytest.skip(f"{self.platform} has no threads: parts are joined into one post")
        parts = self.part_texts()
        outcome = self.run(ledger, connect, self.variant(parts))
        assert outcome.status == "published" and outcome.parts_sent == 3, outcome.message
        posts = server.posts()
        assert [post.text for post in posts] == list(parts)
        assert posts[0].reply_to is None
        assert [post.reply_to for post in posts[1:]] == [posts[0].remote_id, posts[1].remote_id]

    def test_images_carry_their_alt_text(self, server, connect, ledger):
        variant = self.variant(self.part_texts()[:1], images=2)
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "published", outcome.message
        (post,) = server.posts()
        assert post.alts == tuple(ref.alt for ref in variant.media)

    def test_retract_deletes_every_part(self, server, connect, ledger):
        parts = self.part_texts() if self.supports_threads() else self.part_texts()[:1]
        variant = self.variant(parts)
        assert self.run(ledger, connect, variant).status == "published"
        assert len(server.posts()) == len(parts)
        publisher = connect()
        (outcome,) = Runner(ledger, lambda account: publisher).retract([variant.key])
        assert outcome.status == "retracted" and outcome.parts_sent == len(parts), outcome.message
        assert server.posts() == []

    def test_a_crash_after_sending_never_sends_twice(self, server, connect, ledger):
        """The process dies after the platform accepted the post but before the ledger says so."""
        variant = self.variant(self.part_texts()[:1])
        self.die_after_sending(ledger, connect, variant)
        assert ledger.read()[variant.key].last(1).status == "started"
        outcome = self.run(ledger, connect, variant)  # the next scheduled run, a new process
        assert outcome.status in {"published", "already"}, outcome.message
        (post,) = server.posts()
        assert ledger.read()[variant.key].last(1).remote_id == post.remote_id

    def test_rate_limit_waits_as_told_then_sends_once(self, server, connect, ledger, sleeps):
        server.rate_limit_next(7)
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published", outcome.message
        assert len(server.posts()) == 1
        assert sleeps.calls and 6 <= sleeps.calls[0] <= 8, sleeps.calls

    def test_permanent_error_is_recorded_and_not_retried(self, server, connect, ledger, sleeps):
        fragment = server.reject_next()
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant, sleeps)
        assert outcome.status == "failed"
        record = ledger.read()[variant.key].last(1)
        assert record.status == "failed" and record.permanent and fragment in (record.error or "")
        assert server.posts() == [] and sleeps.calls == []

    def test_missing_credentials_name_the_variable_and_send_nothing(self, server, connect, ledger):
        unset = Secrets(self.account, dict.fromkeys(self.credentials(), "PW_TEST_UNSET"), environ={})
        outcome = self.run(ledger, lambda: connect(secrets=unset), self.variant(self.part_texts()[:1]))
        assert outcome.status == "failed" and "PW_TEST_UNSET" in outcome.message
        assert server.posts() == []
