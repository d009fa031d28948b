"""The Instagram publisher against a local Graph API that checks each request as Meta documents it
(tests/fakes/meta.py: `MetaFake`, which test_publisher_threads.py and test_doctor.py use too).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from werkzeug import Response

from postwright import pipeline
from postwright.credentials import CredentialsError, Secrets
from postwright.ledger import Ledger
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import Connection, PermanentError, TransientError, Upload
from postwright.platforms.instagram.publisher import InstagramGraph as GraphClient
from postwright.publish import Job, Runner
from tests.contract import CANARY, PublisherContract, Sleeps
from tests.fakes.meta import TOKEN, MetaContract, MetaFake, fake_for, ok, public_images


class TestInstagramContract(MetaContract):
    platform = "instagram"

    def variant(self, parts, images: int = 0, post_id: str = "2026-12-01-launch"):
        # Instagram publishes images only (limits.requires_media; validation refuses a post without
        # one), so every contract post carries at least one image here.
        return super().variant(parts, max(images, 1), post_id)

    # The Graph API cannot delete Instagram media (the IG Media reference documents no deletion), so a
    # retract fails with a message that says to delete the post by hand, and the post stays.
    def test_retract_deletes_every_part(self, server, connect, ledger):
        variant = self.variant(self.part_texts()[:1])
        assert self.run(ledger, connect, variant).status == "published"
        publisher = connect()
        (outcome,) = Runner(ledger, lambda account: publisher).retract([variant.key])
        assert outcome.status == "failed" and "by hand" in outcome.message, outcome.message
        assert len(server.posts()) == 1
        assert not any(method == "DELETE" for method, _, _ in server.calls)
        assert ledger.read()[variant.key].last(1).status == "published"


# -- Instagram beyond the contract ------------------------------------------------------------------


class TestInstagram:
    """Each documented behaviour, with the requests it takes."""

    platform = "instagram"
    contract = TestInstagramContract()

    @pytest.fixture
    def server(self, httpserver):
        fake = fake_for(httpserver, self.platform)
        yield fake
        assert fake.violations == []

    @pytest.fixture
    def uploads(self, tmp_path: Path, server: MetaFake) -> list[Upload]:
        return public_images(tmp_path, server)

    def publisher(self, server: MetaFake, uploads: list[Upload], sleeps: Sleeps | None = None, **settings):
        connection = Connection(
            account="brand",
            platform=self.platform,
            settings={**self.contract.settings(server), **settings},
            secrets=Secrets("brand", {"access_token": "PW_IG_TOKEN"}, environ={"PW_IG_TOKEN": server.token}),
            uploads=lambda variant: uploads[: len(variant.media)],
            sleep=sleeps or Sleeps(),
            clock=lambda: server.now + timedelta(minutes=1),
        )
        return PLATFORMS[self.platform].publisher(connection)

    def send(
        self,
        server,
        uploads,
        images: int = 1,
        text: str = "Launch day: the Gale 9 is here. #kites",
        sleeps: Sleeps | None = None,
        ledger_dir: Path | None = None,
        **settings,
    ):
        variant = PublisherContract.variant(self.contract, (text,), images)
        publisher = self.publisher(server, uploads, sleeps, **settings)
        ledger = Ledger(ledger_dir) if ledger_dir else None
        if ledger is None:
            return variant, publisher.send(variant, 1, None, "key-1")
        (outcome,) = Runner(ledger, lambda account: publisher, sleep=sleeps or Sleeps()).run([Job(variant)])
        return variant, outcome

    def test_a_single_image_is_one_container_with_caption_and_alt_text(self, server, uploads):
        variant, receipt = self.send(server, uploads)
        creates = [
            params for method, path, params in server.calls if path.endswith("/media") and method == "POST"
        ]
        assert creates == [
            {"image_url": uploads[0].public_url, "caption": variant.parts[0], "alt_text": uploads[0].alt}
        ]
        (post,) = server.live
        assert receipt.remote_id == post.id and receipt.url.startswith("https://www.instagram.com/p/")
        # the quota, the media check (robots.txt, GET), the container, its status, the publish, the permalink
        (container,) = server.created()
        user = server.api["user"]
        assert [(method, path) for method, path, _ in server.calls] == [
            ("GET", f"{user}/content_publishing_limit"),
            ("POST", f"{user}/media"),
            ("GET", container.id),
            ("POST", f"{user}/media_publish"),
            ("GET", post.id),
        ]
        assert server.media_requests == [
            ("GET", "/robots.txt"),
            ("GET", f"/pages/media/{uploads[0].path.name}"),
        ]

    def test_a_carousel_is_children_then_a_carousel_container(self, server, uploads):
        variant, _ = self.send(server, uploads, images=2)
        creates = [
            params for method, path, params in server.calls if path.endswith("/media") and method == "POST"
        ]
        first, second, parent = creates
        assert first == {
            "image_url": uploads[0].public_url,
            "is_carousel_item": "true",
            "alt_text": uploads[0].alt,
        }
        assert second == {
            "image_url": uploads[1].public_url,
            "is_carousel_item": "true",
            "alt_text": uploads[1].alt,
        }
        children = [container.id for container in server.created()[:2]]
        assert parent == {
            "media_type": "CAROUSEL",
            "children": ",".join(children),
            "caption": variant.parts[0],
        }
        (post,) = server.posts()
        assert post.alts == (uploads[0].alt, uploads[1].alt)
        publish = [params for method, path, params in server.calls if path.endswith("media_publish")]
        assert publish == [{"creation_id": server.created()[2].id}]

    def test_a_post_without_an_image_is_refused_before_any_request(self, server, uploads):
        variant = PublisherContract.variant(self.contract, ("Text only",), 0)
        publisher = self.publisher(server, uploads)
        with pytest.raises(PermanentError, match="images only"):
            publisher.send(variant, 1, None, "key-1")
        assert not any(method == "POST" for method, _, _ in server.calls)

    def test_processing_is_polled_with_the_injected_sleep(self, server, uploads):
        server.next_statuses = ["IN_PROGRESS", "IN_PROGRESS"]
        sleeps = Sleeps()
        self.send(server, uploads, sleeps=sleeps)
        assert sleeps.calls == [1, 2]
        statuses = [params for method, path, params in server.calls if path == server.created()[0].id]
        assert statuses == [{"fields": "status_code,status"}] * 3
        assert len(server.live) == 1

    def test_a_container_in_error_is_a_permanent_failure_and_nothing_is_published(
        self, server, uploads, tmp_path
    ):
        server.next_final = "ERROR"
        variant, outcome = self.send(server, uploads, ledger_dir=tmp_path / "state")
        assert outcome.status == "failed" and "2207004" in outcome.message
        record = Ledger(tmp_path / "state").read()[variant.key].last(1)
        assert record.permanent and server.live == []
        assert not any(path.endswith("media_publish") for _, path, _ in server.calls)

    def test_a_container_meta_says_to_try_again_is_retried_with_a_new_one(self, server, uploads, tmp_path):
        """An ERROR container whose status names a "try again" subcode (2207003: the download timed
        out; error-codes reference) is transient: the runner tries again, and the send creates a new
        container."""
        server.next_final, server.error_subcode = "ERROR", 2207003
        sleeps = Sleeps()
        _, outcome = self.send(server, uploads, sleeps=sleeps, ledger_dir=tmp_path / "state")
        assert outcome.status == "published", outcome.message
        assert len(server.created()) == 2 and len(server.live) == 1 and len(sleeps.calls) == 1

    @pytest.mark.parametrize(
        "answer",
        [Response("<html>ok</html>", 200, content_type="text/html"), ok({"success": True})],
    )
    def test_a_publish_answered_without_an_id_is_unconfirmed_then_found(
        self, server, uploads, tmp_path, answer
    ):
        """media_publish took the container (the post is live) but the answer is not JSON or has no id:
        not a permanent failure. The part stays `started`; the next run finds it by its caption."""
        server.publish_answer = answer
        variant, outcome = self.send(server, uploads, ledger_dir=tmp_path / "state")
        assert outcome.status == "unconfirmed", outcome.message
        record = Ledger(tmp_path / "state").read()[variant.key].last(1)
        assert record.status == "started" and not record.permanent and len(server.live) == 1
        variant, outcome = self.send(server, uploads, ledger_dir=tmp_path / "state")
        assert outcome.status == "already", outcome.message
        (post,) = server.live
        assert Ledger(tmp_path / "state").read()[variant.key].last(1).remote_id == post.id

    def test_a_thread_is_refused_before_anything_is_sent(self, server, uploads, tmp_path):
        """Instagram has no threads: where a config allows more parts, the post is refused for good
        before any request (rather than part 1 going out and part 2 failing)."""
        variant = PublisherContract.variant(self.contract, ("One", "Two"), 1)
        publisher = self.publisher(server, uploads)
        (outcome,) = Runner(Ledger(tmp_path / "state"), lambda account: publisher).run([Job(variant)])
        assert outcome.status == "failed" and "no threads" in outcome.message
        assert Ledger(tmp_path / "state").read()[variant.key].last(1).permanent
        assert server.calls == [] and server.media_requests == [] and server.live == []

    def test_an_expired_token_is_a_credentials_problem_named_and_redacted(self, server, uploads, tmp_path):
        server.token_expired = True
        variant, outcome = self.send(server, uploads, ledger_dir=tmp_path / "state")
        assert outcome.status == "failed" and "Session has expired" in outcome.message
        assert "will retry next run" in outcome.message and "[code 190/463]" in outcome.message
        record = Ledger(tmp_path / "state").read()[variant.key].last(1)
        assert not record.permanent and CANARY not in (record.error or "") and server.live == []

    def test_an_image_that_is_not_on_the_site_yet_is_transient_and_nothing_is_created(self, server, uploads):
        missing = replace(uploads[0], public_url=f"{server.media_base_url}/not-deployed.jpg")
        with pytest.raises(TransientError, match="answers 404: it is not there yet") as raised:
            self.send(server, [missing])
        assert "nothing was created on Instagram" in str(raised.value) and raised.value.retry_after
        assert raised.value.refused  # certainly not posted: the next run sends without a lookup
        assert not any(method == "POST" for method, _, _ in server.calls)

    @pytest.mark.parametrize(
        ("setup", "expected"),
        [
            ("robots", "is disallowed for facebookexternalhit by http://"),
            ("forbidden", "answers 403 to Meta's crawler: a bot rule, a firewall or a private bucket"),
            ("bytes", "serves other bytes than the post's image"),
            ("type", "is served as text/html, not as an image"),
        ],
    )
    def test_each_reason_meta_could_not_fetch_is_named_before_anything_is_created(
        self, server, uploads, httpserver, setup, expected
    ):
        upload = uploads[0]
        if setup == "robots":
            server.files["/robots.txt"] = (
                b"User-agent: facebookexternalhit\nDisallow: /pages/\n",
                "text/plain",
            )
        elif setup == "forbidden":
            upload = replace(upload, public_url=httpserver.url_for("/blocked.jpg"))
            httpserver.expect_oneshot_request("/blocked.jpg").respond_with_data("no bots", 403)  # first
        elif setup == "bytes":
            upload = replace(upload, public_url=server.serve("media/other.jpg", uploads[1].path.read_bytes()))
        else:
            upload = replace(upload, public_url=server.serve("media/page.jpg", b"<html></html>", "text/html"))
        with pytest.raises(TransientError) as raised:
            self.send(server, [upload])
        message = str(raised.value)
        assert message.startswith(f"Meta cannot fetch image {upload.public_url.split('?')[0]}: it "), message
        assert expected in message and "nothing was created on Instagram" in message
        assert raised.value.refused and server.containers == {}

    def test_a_presigned_url_is_named_without_its_signature(self, server, uploads):
        url = f"{server.media_base_url}/gone.jpg?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=abc"
        with pytest.raises(TransientError) as raised:
            self.send(server, [replace(uploads[0], public_url=url)])
        assert f"{server.media_base_url}/gone.jpg?…:" in str(raised.value)
        assert "AKIDEXAMPLE" not in str(raised.value) and "abc" not in str(raised.value)

    def test_no_media_base_url_is_a_settings_problem(self, server, uploads):
        with pytest.raises(CredentialsError, match=r"set media\.host .* or settings\.media_base_url"):
            self.send(server, [replace(uploads[0], public_url=None)])

    def test_a_used_up_quota_waits_for_the_window_without_creating_anything(self, server, uploads, tmp_path):
        for _ in range(2):  # two posts an hour apart, then the quota says 50 of 50
            self.send(server, uploads)
            server.now += timedelta(hours=1)
        server.quota_usage = 50
        before = len(server.containers)
        with pytest.raises(TransientError, match="publishing limit is used up") as raised:
            self.send(server, uploads)
        # the older of the two left the 24-hour window at its timestamp + 24 h
        oldest = server.live[0].timestamp
        now = server.now + timedelta(minutes=1)
        assert raised.value.retry_after == pytest.approx((oldest + timedelta(days=1) - now).total_seconds())
        assert len(server.containers) == before

    def test_find_sent_matches_the_caption_among_the_latest_posts(self, server, uploads):
        variant, receipt = self.send(server, uploads)
        publisher = self.publisher(server, uploads)
        assert publisher.find_sent(variant, 1, "key-1") == receipt
        other = PublisherContract.variant(self.contract, ("Another caption",), 1)
        assert publisher.find_sent(other, 1, "key-2") is None
        listed = [
            params for method, path, params in server.calls if path.endswith("/media") and method == "GET"
        ]
        assert listed[-1] == {"fields": "id,caption,timestamp,permalink", "limit": "50"}  # lookup_depth 50

    def test_a_crash_settled_days_later_finds_the_post_and_sends_no_duplicate(
        self, server, uploads, tmp_path
    ):
        """The publish answer is lost; the next run comes five days later (a paused config, an outage)
        after other posts went out: the post is found among the latest posts, not sent again."""
        server.publish_answer = ok({"success": True})
        variant, outcome = self.send(server, uploads, ledger_dir=tmp_path / "state")
        assert outcome.status == "unconfirmed", outcome.message
        (ours,) = server.live
        server.now += timedelta(days=5)
        for n in range(3):
            self.send(server, uploads, text=f"Later post {n}")
        variant, outcome = self.send(server, uploads, ledger_dir=tmp_path / "state")
        assert outcome.status == "already", outcome.message
        assert [post.text for post in server.live].count(variant.parts[0]) == 1
        assert Ledger(tmp_path / "state").read()[variant.key].last(1).remote_id == ours.id

    def test_find_sent_follows_the_cursor_to_the_next_page(self, server, uploads):
        """An edge may return fewer than `limit` (graph-api/results): the next page is asked with the
        `after` cursor of the one before, while the answer has a `next` link."""
        variant, receipt = self.send(server, uploads)
        for n in range(3):
            self.send(server, uploads, text=f"Later post {n}")
        server.page_cap = 2
        assert self.publisher(server, uploads).find_sent(variant, 1, "key-1") == receipt
        listed = [
            params for method, path, params in server.calls if path.endswith("/media") and method == "GET"
        ]
        assert [params.get("limit") for params in listed] == ["50", "48"]
        assert "after" not in listed[0] and listed[1]["after"]

    def test_find_sent_reads_no_further_than_lookup_depth(self, server, uploads):
        """A crash settled after more newer posts than `lookup_depth` (the documented residual risk):
        the post is not found; pages of at most 100 (the largest `limit` Meta documents)."""
        variant, _ = self.send(server, uploads)
        for n in range(3):
            self.send(server, uploads, text=f"Later post {n}")
        assert self.publisher(server, uploads, lookup_depth=3).find_sent(variant, 1, "key-1") is None
        assert self.publisher(server, uploads, lookup_depth=4).find_sent(variant, 1, "key-1") is not None
        self.publisher(server, uploads, lookup_depth=150).find_sent(variant, 1, "key-1")
        listed = [
            params for method, path, params in server.calls if path.endswith("/media") and method == "GET"
        ]
        assert [params["limit"] for params in listed] == ["3", "4", "100"]  # 4 posts: one page is all

    def test_verify_reports_the_user_and_the_earliest_expiry(self, server, uploads):
        soon = datetime(2027, 1, 20, tzinfo=UTC)
        server.expires_at = int(soon.timestamp())
        server.data_access_expires_at = int((soon + timedelta(days=30)).timestamp())
        publisher = self.publisher(server, uploads)
        check = PLATFORMS[self.platform].verify(publisher.connection)
        assert check.ok and "@windwardkites" in check.detail and check.expires_at == soon
        assert CANARY not in check.detail

    def test_verify_says_when_the_token_is_rejected(self, server, uploads):
        server.token_expired = True
        publisher = self.publisher(server, uploads)
        check = PLATFORMS[self.platform].verify(publisher.connection)
        assert not check.ok and "Session has expired" in check.detail and CANARY not in check.detail


# -- through the pipeline: config.yml, build, the Pages site, publish ----------------------------------


def instagram_brand(make_project, server: MetaFake):
    config = f"""\
brand:
  name: Test Brand
  timezone: Europe/Madrid
  platforms: [instagram]
accounts:
  insta:
    platform: instagram
    deliver: api
    credentials: {{access_token: PW_IG_TOKEN}}
    settings: {{user_id: "{server.api["user"]}", api_url: "{server.api_url}"}}
platforms:
  instagram:
    settings: {{media_base_url: "{server.media_base_url}"}}
"""
    return make_project(
        f"-- config.yml --\n{config}"
        "-- assets/photo.jpg --\n1600x1200\n"
        "-- content/posts/2026-12-01-0900-pic.md --\n"
        "---\nimages: [{src: photo.jpg, alt: An orange rectangle}]\n---\nLook at this kite. #kites\n"
    )


def test_the_pipeline_publishes_what_the_site_serves(make_project, httpserver, monkeypatch):
    server = fake_for(httpserver, "instagram")
    project = instagram_brand(make_project, server)
    monkeypatch.setenv("PW_IG_TOKEN", server.token)
    now = datetime(2026, 12, 1, 9, 5, tzinfo=ZoneInfo("Europe/Madrid"))
    pipeline.publish(project, now)  # the site does not serve publish/ yet: nothing is created
    assert server.containers == {}
    pipeline.build(project)  # …then publish/ is built and deployed (here: served by the fake)
    for path in (project.root / "publish" / "media").iterdir():
        server.serve(f"media/{path.name}", path.read_bytes())
    (outcome,) = pipeline.publish(project, now).outcomes
    assert outcome.status == "published", outcome.message
    (post,) = server.live
    assert post.text == "Look at this kite. #kites" and post.alts == ("An orange rectangle",)
    (url,) = post.image_urls
    assert url.startswith(f"{server.media_base_url}/media/") and url.endswith(".jpg")
    assert outcome.url == server.entry(post, {"permalink"})["permalink"]
    assert CANARY not in (project.root / "state" / "ledger.jsonl").read_text()


def test_the_pipeline_reports_images_missing_from_the_site(make_project, httpserver, monkeypatch):
    server = fake_for(httpserver, "instagram")
    project = instagram_brand(make_project, server)
    monkeypatch.setenv("PW_IG_TOKEN", server.token)
    (outcome,) = pipeline.publish(
        project, datetime(2026, 12, 1, 9, 5, tzinfo=ZoneInfo("Europe/Madrid"))
    ).outcomes
    assert outcome.status == "failed" and "answers 404: it is not there yet" in outcome.message
    assert "will retry next run" in outcome.message
    assert server.containers == {} and server.violations == []


# -- Meta's error answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "subcode", "extra", "expected"),
    [
        (400, 4, None, {}, TransientError),  # application throttling
        (400, 17, None, {}, TransientError),  # user throttling
        (403, 32, None, {}, TransientError),  # page throttling
        (400, 613, None, {}, TransientError),  # custom throttling
        (400, 9, 2207042, {}, TransientError),  # Instagram: content publishing limit reached
        (400, 1, None, {}, TransientError),  # unknown, temporary
        (400, 100, None, {"is_transient": True}, TransientError),
        (500, 2, None, {}, TransientError),
        (400, 190, 463, {}, CredentialsError),  # token expired
        (403, 10, None, {}, CredentialsError),  # permission missing
        (403, 200, None, {}, CredentialsError),
        (400, 100, 33, {}, PermanentError),  # invalid parameter
        # Instagram error-codes reference: "try again" comes as HTTP 400 with a negative code
        (400, -1, 2207001, {}, TransientError),  # Instagram server error
        (400, -2, 2207003, {}, TransientError),  # the media download timed out
        (400, -1, 2207032, {}, TransientError),  # create media failed: re-create it
        (400, 4, 2207051, {}, PermanentError),  # restricted as spam: code 4 but not throttling
    ],
)
def test_meta_codes_map_to_the_publish_steps_errors(status, code, subcode, extra, expected):
    error = {"message": "Something", "type": "OAuthException", "code": code, **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    usage = json.dumps({"1": [{"type": "instagram", "estimated_time_to_regain_access": 3}]})

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["access_token"] == TOKEN
        return httpx.Response(status, json={"error": error}, headers={"X-Business-Use-Case-Usage": usage})

    secrets = Secrets("brand", {"access_token": "PW_T"}, environ={"PW_T": TOKEN})
    connection = Connection("brand", "instagram", {}, secrets, transport=httpx.MockTransport(answer))
    with pytest.raises(expected) as raised:
        GraphClient(connection, "https://graph.example/v21.0", TOKEN).get("17841400000000001", fields="id")
    assert f"[code {code}" in str(raised.value) and TOKEN not in str(raised.value)
    if expected is TransientError:
        assert raised.value.retry_after == 180  # 3 minutes, from X-Business-Use-Case-Usage


@pytest.mark.parametrize(
    ("platform", "root"), [("instagram", "graph.facebook.com/v25.0/"), ("threads", "graph.threads.net/v1.0/")]
)
def test_requests_go_to_the_pinned_api_version_by_default(platform, root):
    """Without settings.api_url: Instagram on Graph v25.0 (meta.GRAPH_API; v21.0, used before, ends on
    2027-01-21), Threads on its own v1.0."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}{request.url.path}")
        return httpx.Response(400, json={"error": {"message": "stop", "type": "OAuthException", "code": 190}})

    secrets = Secrets("brand", {"access_token": "PW_T"}, environ={"PW_T": TOKEN})
    settings = {"user_id": "17841400000000001", "media_base_url": "https://example.com/publish"}
    connection = Connection("brand", platform, settings, secrets, transport=httpx.MockTransport(answer))
    check = PLATFORMS[platform].verify(connection)
    assert not check.ok and seen and all(path.startswith(root) for path in seen), seen
