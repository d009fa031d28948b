"""The TikTok publisher against a local Content Posting API that checks each request as TikTok documents it
(tests/fakes/tiktok.py), pulling the photos with GETs from a second local server, the public site.

The contract runs with post_mode DIRECT_POST and a post that says privacy_level PUBLIC_TO_EVERYONE (the one
mode that makes a post with a link); drafts (MEDIA_UPLOAD, the default), the creator's options, status
polling, the rate limits and the end-to-end pipeline are tested after it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from postwright import pipeline
from postwright.credentials import CredentialsError, Secrets
from postwright.model import Variant
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import (
    CannotTell,
    Connection,
    PermanentError,
    TransientError,
    UnexpectedAnswer,
    Upload,
)
from postwright.platforms.tiktok import API_URL
from postwright.publish import Job, Runner
from tests.contract import CANARY, PublisherContract, Sleeps, jpeg
from tests.fakes.api import http_server  # noqa: F401
from tests.fakes.tiktok import FakeTikTok, ImageSite, answer

TOKEN = "act.1a2b3c4d5e6f7g8h9i0jKLMNOPQRSTUVWXYZ"  # the contract appends the canary


def public(tmp_path: Path, site: ImageSite, count: int = 2) -> list[Upload]:
    """JPEGs as the pipeline hands them over: each with its URL on the public site, and served there."""
    alts = PublisherContract.alts
    made = []
    for number in range(count):
        path = jpeg(tmp_path / f"photo-{number}.jpg", (270, 480), ("steelblue", "darkorange")[number % 2])
        upload = Upload(path, alts[number % 2], 270, 480, "image/jpeg", None)
        made.append(replace(upload, public_url=site.serve(f"media/{path.name}", path.read_bytes())))
    return made


class TestTikTokContract(PublisherContract):
    platform = "tiktok"

    def credentials(self) -> dict[str, str]:
        return {"access_token": TOKEN}

    def settings(self, server: FakeTikTok) -> dict[str, Any]:
        return {"api_url": server.url, "media_base_url": server.site.url, "post_mode": "DIRECT_POST"}

    @pytest.fixture
    def server(self, http_server, httpserver, environ):  # noqa: F811
        fake = FakeTikTok(http_server, environ["PW_TEST_ACCESS_TOKEN"], ImageSite(httpserver))
        yield fake
        assert fake.problems == []

    @pytest.fixture
    def images(self, tmp_path: Path, server: FakeTikTok) -> list[Upload]:
        return public(tmp_path, server.site)

    def variant(self, parts, images: int = 0, post_id: str = "2026-12-01-launch") -> Variant:
        # a photo post is its photos (limits.requires_media), and a direct post names its audience
        made = super().variant(parts, max(images, 1), post_id)
        return replace(made, privacy_level="PUBLIC_TO_EVERYONE")

    # -- where the contract cannot apply as written ----------------------------------------------

    def test_thread_parts_reply_to_the_part_before(self, server, connect, ledger):
        """TikTok has no threads (max_thread_parts 1: build joins the parts); a variant that still has
        several is refused before anything is sent."""
        variant = self.variant(self.part_texts())
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "failed" and "no threads" in outcome.message
        assert ledger.read()[variant.key].last(1).permanent and server.bodies == []

    def test_images_carry_their_alt_text(self, server, connect, ledger):
        """The photo post API has no alt text (limits.alt_text unsupported): the photos go, pulled from
        their public URLs in order, the first the cover."""
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1], images=2))
        assert outcome.status == "published", outcome.message
        (post,) = server.posts()
        assert post.alts == ()
        (item,) = server.published.values()
        assert [url.rsplit("/", 1)[1] for url in item.photos] == ["photo-0.jpg", "photo-1.jpg"]
        assert len(item.pulled) == 2 and server.bodies[0]["source_info"]["photo_cover_index"] == 0

    def test_retract_deletes_every_part(self, server, connect, ledger):
        """The Content Posting API deletes nothing: retract fails, saying to delete it in the app."""
        variant = self.variant(self.part_texts()[:1])
        assert self.run(ledger, connect, variant).status == "published"
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "failed" and "in the TikTok app" in outcome.message, outcome.message
        assert len(server.posts()) == 1 and ledger.read()[variant.key].last(1).status == "published"

    def test_a_crash_after_sending_never_sends_twice(self, server, connect, ledger):
        """Nothing in the API finds a post by its text, and the publish_id died with the process: the job
        is unconfirmed, never sent again, until a person settles it."""
        variant = self.variant(self.part_texts()[:1])
        self.die_after_sending(ledger, connect, variant)
        assert ledger.read()[variant.key].last(1).status == "started"
        for _ in range(2):  # the next runs
            outcome = self.run(ledger, connect, variant)
            assert outcome.status == "unconfirmed" and "settle" in outcome.message, outcome.message
        assert len(server.posts()) == 1 and len(server.bodies) == 1

    def test_rate_limit_waits_as_told_then_sends_once(self, server, connect, ledger, sleeps):
        """TikTok documents no header saying when to come back from rate_limit_exceeded; its limits are
        per minute, so the publisher waits a minute (a Retry-After, where sent, is honoured)."""
        server.rate_limit_next(0)  # 0: no Retry-After header
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published", outcome.message
        assert len(server.posts()) == 1 and sleeps.calls[0] == 60

    def test_a_retry_after_is_honoured(self, server, connect, ledger, sleeps):
        server.rate_limit_next(7)
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published" and 6 <= sleeps.calls[0] <= 8, sleeps.calls


# -- TikTok beyond the contract ---------------------------------------------------------------------


@pytest.fixture
def fake(http_server, httpserver):  # noqa: F811
    """The local TikTok and the site it pulls photos from (pytest-httpserver's own server)."""
    made = FakeTikTok(http_server, f"{TOKEN}{CANARY}", ImageSite(httpserver))
    yield made
    assert made.problems == []


class TestTikTok:
    @pytest.fixture
    def server(self, fake):
        return fake

    @pytest.fixture
    def sleeps(self) -> Sleeps:
        return Sleeps()

    @pytest.fixture
    def connect(self, server, sleeps, tmp_path):
        uploads = public(tmp_path, server.site, 3)

        def build(images: list[Upload] | None = None, clock=None, **settings: Any):
            connection = Connection(
                "brand",
                "tiktok",
                {"api_url": server.url, "media_base_url": server.site.url, **settings},
                Secrets("brand", {"access_token": "PW_TT"}, environ={"PW_TT": f"{TOKEN}{CANARY}"}),
                uploads=lambda variant: (uploads if images is None else images)[: len(variant.media)],
                sleep=sleeps,
                clock=clock or (lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
            )
            return PLATFORMS["tiktok"].publisher(connection)

        return build

    def variant(self, images: int = 1, **changes: Any) -> Variant:
        made = TestTikTokContract().variant(("Winter kites are here. #kites",), 1)
        return replace(made, media=made.media * images, **{"privacy_level": None, **changes})

    # -- drafts (MEDIA_UPLOAD, the default) --

    def test_a_draft_goes_to_the_inbox_with_its_text_as_the_description(self, server, connect):
        receipt = connect().send(self.variant(3), 1, None, "k-1")
        (body,) = server.bodies
        assert body["post_mode"] == "MEDIA_UPLOAD" and body["media_type"] == "PHOTO"
        # no title: front matter's title is the post's working name, not text anyone reviewed for TikTok
        assert body["post_info"] == {"description": "Winter kites are here. #kites"}
        assert len(body["source_info"]["photo_images"]) == 3
        (item,) = server.published.values()
        assert receipt.remote_id == item.publish_id and receipt.url == ""  # a draft has no link yet
        assert len(item.pulled) == 3
        assert ("POST", "/v2/post/publish/creator_info/query/") not in server.seen  # a draft needs none

    def test_a_draft_needs_only_video_upload(self, server, connect):
        server.scopes = {"video.upload", "user.info.basic"}
        connect().send(self.variant(), 1, None, "k-1")
        assert len(server.posts()) == 1

    def test_status_is_polled_until_the_draft_is_in_the_inbox(self, server, connect, sleeps):
        server.processing = ["PROCESSING_DOWNLOAD", "PROCESSING_DOWNLOAD", "PROCESSING_UPLOAD"]
        connect().send(self.variant(), 1, None, "k-1")
        assert [path for _, path in server.seen].count("/v2/post/publish/status/fetch/") == 4
        assert sleeps.calls == [2, 3, 5]

    def test_a_post_still_processing_after_five_minutes_is_unconfirmed(self, server, connect):
        server.processing = ["PROCESSING_DOWNLOAD"] * 20
        with pytest.raises(UnexpectedAnswer, match="still processing publish_id p_pub_url"):
            connect().send(self.variant(), 1, None, "k-1")

    def test_a_throttled_status_fetch_is_polled_again_not_taken_for_a_refusal(self, server, connect, sleeps):
        server.status_errors = [answer(None, 429, "rate_limit_exceeded", "slow down")]
        receipt = connect().send(self.variant(), 1, None, "k-1")
        assert receipt.remote_id.startswith("p_pub_url") and sleeps.calls[0] == 60

    def test_an_unreadable_status_after_the_init_is_unconfirmed(self, server, connect):
        server.status_errors = [answer(None, 400, "invalid_params", "publish_id is invalid")]
        with pytest.raises(UnexpectedAnswer, match="accepted publish_id"):
            connect().send(self.variant(), 1, None, "k-1")

    @pytest.mark.parametrize(
        ("reason", "error", "refused"),
        [
            ("photo_pull_failed", TransientError, True),
            ("internal", TransientError, True),
            ("spam_risk_too_many_posts", TransientError, True),
            ("picture_size_check_failed", PermanentError, None),
            ("spam_risk_text", PermanentError, None),
            ("auth_removed", CredentialsError, None),
        ],
    )
    def test_a_failed_status_maps_to_the_send_errors(self, server, connect, reason, error, refused):
        server.fail_next = reason
        with pytest.raises(error, match=reason) as raised:
            connect().send(self.variant(), 1, None, "k-1")
        if refused is not None:
            assert raised.value.refused is refused  # nothing is on TikTok: the next run sends again

    def test_35_photos_go_in_one_post_and_36_are_refused_before_any_request(self, server, connect, tmp_path):
        photos = public(tmp_path, server.site, 36)
        connect(images=photos).send(self.variant(35), 1, None, "k-1")
        (item,) = server.published.values()
        assert len(item.photos) == len(item.pulled) == 35
        seen = len(server.seen)
        with pytest.raises(PermanentError, match="up to 35 images, not 36"):
            connect(images=photos).send(self.variant(36), 1, None, "k-2")
        assert len(server.seen) == seen

    def test_an_image_missing_from_the_site_fails_the_post_as_retryable(self, server, connect, tmp_path):
        missing = [
            Upload(jpeg(tmp_path / "x.jpg"), "", 800, 600, "image/jpeg", None, f"{server.site.url}/no.jpg")
        ]
        with pytest.raises(TransientError, match="photo_pull_failed"):
            connect(images=missing).send(self.variant(), 1, None, "k-1")

    def test_an_unverified_url_prefix_is_a_settings_problem(self, server, connect):
        server.verified_prefixes = ["https://media.windward.example/"]
        with pytest.raises(CredentialsError, match=r"url_ownership_unverified.*verify the domain"):
            connect().send(self.variant(), 1, None, "k-1")
        assert server.published == {}

    def test_no_public_url_is_a_settings_problem_before_any_request(self, server, connect, tmp_path):
        local = [Upload(jpeg(tmp_path / "x.jpg"), "", 800, 600, "image/jpeg", None)]
        with pytest.raises(CredentialsError, match=r"set media\.host with public_base_url"):
            connect(images=local).send(self.variant(), 1, None, "k-1")
        assert server.seen == []

    def test_an_expired_token_is_a_credentials_problem_and_redacted(self, server, connect):
        server.revoked = True
        with pytest.raises(CredentialsError, match="access_token_invalid") as raised:
            connect().send(self.variant(), 1, None, "k-1")
        assert CANARY not in str(raised.value)

    # -- direct posts --

    def test_a_direct_post_checks_the_creators_options_then_posts_publicly(self, server, connect):
        receipt = connect(post_mode="DIRECT_POST").send(
            self.variant(privacy_level="PUBLIC_TO_EVERYONE"), 1, None, "k-1"
        )
        (item,) = server.published.values()
        assert server.bodies[0]["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
        assert receipt.remote_id == str(item.post_id)
        assert receipt.url == f"https://www.tiktok.com/@windwardkites/photo/{item.post_id}"
        assert server.seen.index(("POST", "/v2/post/publish/creator_info/query/")) < server.seen.index(
            ("POST", "/v2/post/publish/content/init/")
        )

    def test_a_private_direct_post_links_to_the_profile(self, server, connect):
        receipt = connect(post_mode="DIRECT_POST").send(self.variant(privacy_level="SELF_ONLY"), 1, None, "k")
        assert receipt.url == "https://www.tiktok.com/@windwardkites" and receipt.remote_id.startswith(
            "p_pub"
        )

    def test_a_direct_post_without_privacy_level_is_refused_before_any_request(self, server, connect):
        with pytest.raises(PermanentError, match="add privacy_level"):
            connect(post_mode="DIRECT_POST").send(self.variant(), 1, None, "k-1")
        assert server.seen == []

    def test_a_privacy_level_the_creator_may_not_use_is_refused_before_the_init(self, server, connect):
        server.privacy_level_options = ["FOLLOWER_OF_CREATOR", "SELF_ONLY"]  # e.g. a private account
        with pytest.raises(PermanentError, match=r"PUBLIC_TO_EVERYONE is not one .*FOLLOWER_OF_CREATOR"):
            connect(post_mode="DIRECT_POST").send(
                self.variant(privacy_level="PUBLIC_TO_EVERYONE"), 1, None, "k"
            )
        assert server.bodies == []

    def test_an_unknown_post_mode_is_a_settings_problem(self, server, connect):
        with pytest.raises(CredentialsError, match="post_mode 'PUBLISH'"):
            connect(post_mode="PUBLISH")

    # -- the rate limit --

    def test_the_seventh_init_in_a_minute_waits_for_the_first_to_age(self, server, connect, sleeps):
        moments = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]

        def sleep(seconds: float) -> None:
            sleeps(seconds)
            moments.append(moments[-1] + timedelta(seconds=seconds))

        publisher = connect(clock=lambda: moments[-1])
        publisher.connection = replace(publisher.connection, sleep=sleep)
        for number in range(7):
            publisher.send(self.variant(post_id=f"2026-12-01-p{number}"), 1, None, f"k-{number}")
        polled = sum([2] * 6)  # each post's one status pause, which the clock counts too
        assert len(server.published) == 7
        assert sleeps.calls[-2] == pytest.approx(60 - polled) and sum(sleeps.calls[:-1]) >= 60

    # -- find_sent, delete, verify --

    def test_find_sent_cannot_tell(self, server, connect):
        with pytest.raises(CannotTell, match="settle"):
            connect().find_sent(self.variant(), 1, "k-1")

    def test_delete_says_to_delete_in_the_app(self, server, connect):
        with pytest.raises(PermanentError, match="in the TikTok app"):
            connect().delete("7300000000000000001")
        assert server.seen == []

    def test_verify_names_the_creator_and_the_verified_prefix(self, server):
        connection = Connection(
            "brand",
            "tiktok",
            {"api_url": server.url, "media_base_url": server.site.url},
            Secrets("brand", {"access_token": "PW_TT"}, environ={"PW_TT": f"{TOKEN}{CANARY}"}),
        )
        check = PLATFORMS["tiktok"].verify(connection)
        assert check.ok and "@windwardkites" in check.detail and "verified" in check.detail
        server.scopes = {"video.upload", "user.info.basic"}  # a drafts-only token: asked who it is
        check = PLATFORMS["tiktok"].verify(connection)
        assert check.ok and "Windward Kites's inbox" in check.detail
        server.revoked = True
        check = PLATFORMS["tiktok"].verify(connection)
        assert not check.ok and "access_token_invalid" in check.detail and CANARY not in check.detail
        server.revoked = False  # no media_base_url (media.host may serve the images): PW041 judges that
        check = PLATFORMS["tiktok"].verify(replace(connection, settings={"api_url": server.url}))
        assert check.ok and "verified" in check.detail


# -- end to end: content/ → publish → the local TikTok, photos pulled from the site -------------------


def tiktok_brand(make_project, server: FakeTikTok, mode: str = "MEDIA_UPLOAD", front: str = ""):
    config = f"""\
brand:
  name: Windward
  timezone: Europe/Madrid
  platforms: [tiktok]
accounts:
  tt:
    platform: tiktok
    deliver: api
    credentials: {{access_token: PW_TT_TOKEN}}
    settings: {{api_url: "{server.url}", post_mode: {mode}}}
platforms:
  tiktok:
    settings: {{media_base_url: "{server.site.url}"}}
"""
    return make_project(
        f"-- config.yml --\n{config}"
        "-- assets/photo.jpg --\n1600x1200\n"
        "-- assets/second.jpg --\n1200x1600\n"
        "-- content/posts/2026-12-01-0900-pic.md --\n"
        "---\ntitle: Winter kites\nimages: [{src: photo.jpg, alt: A kite}, {src: second.jpg, alt: Two}]\n"
        f"{front}---\nLook at this kite. #kites\n"
    )


def serve_publish(project, site: ImageSite) -> None:
    """The site media_base_url names serves publish/ (a Pages deploy, a bucket)."""
    for path in (project.root / "publish").rglob("*"):
        if path.is_file() and path.suffix in (".jpg", ".webp"):
            site.serve(path.relative_to(project.root / "publish").as_posix(), path.read_bytes())


NOW = datetime(2026, 12, 1, 9, 5, tzinfo=ZoneInfo("Europe/Madrid"))


def test_the_pipeline_sends_a_draft_whose_photos_tiktok_pulls(make_project, fake, monkeypatch):
    server = fake
    project = tiktok_brand(make_project, server)
    monkeypatch.setenv("PW_TT_TOKEN", server.token)
    pipeline.build(project)
    serve_publish(project, server.site)
    (outcome,) = pipeline.publish(project, NOW).outcomes
    assert outcome.status == "published", outcome.message
    (item,) = server.published.values()
    assert item.mode == "MEDIA_UPLOAD" and item.description == "Look at this kite. #kites"
    assert item.title is None and len(item.pulled) == 2  # the working title stays in the repository
    assert all(url.startswith(f"{server.site.url}/media/") and url.endswith(".jpg") for url in item.photos)
    assert all(
        item.pulled[n] == (project.root / "publish" / item.photos[n][len(server.site.url) + 1 :]).read_bytes()
        for n in range(2)
    )
    assert (pipeline.publish(project, NOW).outcomes or [None])[0] is None  # sent once: nothing is due now
    assert len(server.bodies) == 1 and server.problems == []
    assert CANARY not in (project.root / "state" / "ledger.jsonl").read_text()


def test_the_pipeline_sends_a_direct_post_with_its_front_matter_privacy_level(
    make_project, fake, monkeypatch
):
    server = fake
    front = "overrides: {tiktok: {privacy_level: FOLLOWER_OF_CREATOR}}\n"
    project = tiktok_brand(make_project, server, "DIRECT_POST", front)
    monkeypatch.setenv("PW_TT_TOKEN", server.token)
    pipeline.build(project)
    serve_publish(project, server.site)
    (outcome,) = pipeline.publish(project, NOW).outcomes
    assert outcome.status == "published", outcome.message
    assert server.bodies[0]["post_info"]["privacy_level"] == "FOLLOWER_OF_CREATOR"
    assert server.problems == []


def test_the_pipeline_refuses_a_direct_post_that_names_no_audience(make_project, fake, monkeypatch):
    server = fake
    project = tiktok_brand(make_project, server, "DIRECT_POST")
    monkeypatch.setenv("PW_TT_TOKEN", server.token)
    (problem,) = [item for item in pipeline.check(project).diagnostics if item.code == "PW415"]
    assert problem.span.path.endswith("2026-12-01-0900-pic.md") and problem.span.line == 5  # the body
    assert "privacy_level: PUBLIC_TO_EVERYONE" in (problem.hint or "")
    result = pipeline.publish(project, NOW)  # an error: the post is blocked, never due
    assert [outcome.status for outcome in result.outcomes] in ([], ["blocked"]), result.outcomes
    assert server.seen == []


def test_a_job_runner_never_sends_a_started_draft_again(tmp_path, fake):
    """A draft whose init answer was lost (a timeout): the next try cannot look it up, so it is
    unconfirmed and TikTok gets one init only."""
    server = fake
    from postwright.ledger import Ledger

    uploads = public(tmp_path, server.site, 1)
    connection = Connection(
        "brand",
        "tiktok",
        {"api_url": server.url, "media_base_url": server.site.url},
        Secrets("brand", {"access_token": "PW_TT"}, environ={"PW_TT": server.token}),
        uploads=lambda variant: uploads,
        sleep=Sleeps(),
    )
    publisher = PLATFORMS["tiktok"].publisher(connection)
    real_send = publisher.send

    def lost(*args):
        real_send(*args)
        raise TransientError("POST /v2/post/publish/content/init/: timed out (ReadTimeout)")

    publisher.send = lost
    variant = TestTikTok().variant()
    ledger = Ledger(tmp_path / "state")
    (first,) = Runner(ledger, lambda account: publisher, sleep=Sleeps()).run([Job(variant)])
    assert first.status in ("failed", "unconfirmed") and len(server.bodies) == 1
    (second,) = Runner(ledger, lambda account: publisher, sleep=Sleeps()).run([Job(variant)])
    assert second.status == "unconfirmed" and len(server.bodies) == 1


def test_the_preview_shows_tiktok_as_it_shows_the_others(make_project):
    """A TikTok account's posts in the review site: its badge colour, the description with its count
    against 4,000 UTF-16 units, the 9:16 photos, the calendar."""
    from postwright.preview import write_preview
    from tests.test_preview import index_data, post_pages

    server = type("Offline", (), {"url": API_URL, "site": type("Site", (), {"url": "https://media.example"})})
    project = tiktok_brand(make_project, server)
    write_preview(project, NOW - timedelta(days=1))
    publish = project.root / "publish"
    (entry,) = index_data(publish)["entries"]
    assert entry["platform"] == "tiktok" and entry["status"] == "scheduled"
    page = "".join(post_pages(publish).values())
    assert "Look at this kite. #kites" in page and re.search(r"<b>\d+</b> / 4000 utf16", page)
    assert page.count('src="media/') == 2
    css = "".join(path.read_text() for path in publish.rglob("*") if path.suffix in (".css", ".html"))
    assert ".p-tiktok{--pc:#0f766e}" in css and ".p-tiktok{--pc:#2dd4bf}" in css
    assert "TikTok" in (publish / "calendar.ics").read_text()


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, "rate_limit_exceeded", TransientError),
        (403, "spam_risk_too_many_posts", TransientError),  # the daily cap: a later run
        (403, "reached_active_user_cap", TransientError),
        (500, "internal_error", TransientError),
        (401, "access_token_invalid", CredentialsError),
        (401, "scope_not_authorized", CredentialsError),
        (403, "url_ownership_unverified", CredentialsError),
        (403, "unaudited_client_can_only_post_to_private_accounts", CredentialsError),
        (403, "privacy_level_option_mismatch", PermanentError),
        (403, "spam_risk_user_banned_from_posting", PermanentError),
        (400, "invalid_params", PermanentError),
    ],
)
def test_tiktok_error_codes_map_to_the_publish_steps_errors(status, code, expected):
    """tiktok-api-v2-error-handling and the photo post reference's error table, by code first."""
    from postwright.platforms.tiktok.publisher import TikTokClient

    connection = Connection("brand", "tiktok", {}, Secrets("brand", {}, environ={}))
    client = TikTokClient(connection, API_URL)
    request = httpx.Request("POST", f"{API_URL}/v2/post/publish/content/init/")
    body = {"data": {}, "error": {"code": code, "message": "TikTok says no", "log_id": "1"}}
    error = client.error_for(httpx.Response(status, json=body, request=request))
    assert type(error) is expected and f"{code}: TikTok says no" in str(error)
    if expected is TransientError and status != 500:
        assert error.refused and error.retry_after == 60  # no Retry-After documented: the minute window
