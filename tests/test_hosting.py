"""media.host against a real S3 protocol on 127.0.0.1 (moto's server, tests/fakes/s3.py): the S3 client
on its own, then Instagram (a carousel) and Threads (an image post) from content/ through `publish`,
with the images fetched from the S3 server by the Meta fakes; the failure cases, each with its one
message; and `media cleanup`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from click.testing import CliRunner
from werkzeug import Response

from postwright import pipeline
from postwright.cli import cli
from postwright.config import MediaHost
from postwright.credentials import Secrets
from postwright.hosting import HOST, Hosted, object_key
from postwright.hosting.cleanup import verdicts
from postwright.ledger import Ledger
from postwright.platforms.instagram.publisher import META_CRAWLER
from postwright.status import PlanStatus
from tests.contract import jpeg
from tests.fakes.api import http_server  # noqa: F401
from tests.fakes.meta import MetaFake, fake_for
from tests.fakes.s3 import BUCKET, S3Server, media_host_yaml, prepared, running

MADRID = ZoneInfo("Europe/Madrid")
POSTED = datetime(2026, 12, 1, 9, 5, tzinfo=MADRID)  # five minutes after the post's time


def host_settings(s3: S3Server, **extra) -> MediaHost:
    credentials = {"access_key_id": "PW_S3_KEY_ID", "secret_access_key": "PW_S3_SECRET"}
    return MediaHost(bucket=BUCKET, endpoint=s3.url, credentials=credentials, **extra)


def store(s3: S3Server, **extra):
    settings = host_settings(s3, **extra)
    return HOST(settings, Secrets("media.host", settings.credentials.model_dump()))


@pytest.fixture(scope="module")
def s3_server():
    with running() as server:
        yield server


@pytest.fixture
def s3(s3_server, monkeypatch) -> S3Server:
    return prepared(s3_server, monkeypatch)


# -- the S3 client ------------------------------------------------------------------------------------


def test_an_upload_is_presigned_and_meta_fetches_exactly_its_bytes(s3, tmp_path):
    image = jpeg(tmp_path / "kite.jpg")
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    key = object_key("postwright/", "2026-12-01-launch", digest, "media/abc.jpg")
    url, uploaded = store(s3).publish(image, key, "image/jpeg", digest)
    assert uploaded and key == f"postwright/2026-12-01-launch/{digest}.jpg"
    assert url.startswith(f"{s3.url}/{BUCKET}/{key}?") and "X-Amz-Signature=" in url
    assert "X-Amz-Expires=3600" in url  # media.host.url_life's default, 1 h
    fetched = httpx.get(url, headers={"User-Agent": META_CRAWLER})  # anonymous: no keys, no cookies
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(fetched.content).hexdigest() == digest
    assert ("GET", f"/{BUCKET}/{key}", META_CRAWLER) in s3.requests


def test_the_same_bytes_under_the_same_key_are_not_uploaded_again(s3, tmp_path):
    image = jpeg(tmp_path / "kite.jpg")
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    key = object_key("postwright/", "post", digest, "media/a.jpg")
    first, second = store(s3), store(s3)  # two runs
    assert first.publish(image, key, "image/jpeg", digest)[1]
    assert not second.publish(image, key, "image/jpeg", digest)[1]
    assert s3.puts() == [f"/{BUCKET}/{key}"]
    assert [method for method, path, _ in s3.requests if path.endswith(key)] == ["HEAD", "PUT", "HEAD"]


def test_an_object_without_the_bytes_hash_is_uploaded_again(s3, tmp_path):
    """A copy someone put by hand (or a torn one) is not trusted by its key alone."""
    image = jpeg(tmp_path / "kite.jpg")
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    key = object_key("postwright/", "post", digest, "media/a.jpg")
    s3.client().put_object(Bucket=BUCKET, Key=key, Body=b"partial")
    assert store(s3).publish(image, key, "image/jpeg", digest)[1]
    assert s3.client().get_object(Bucket=BUCKET, Key=key)["Body"].read() == image.read_bytes()


def test_a_public_base_url_is_used_instead_of_presigning(s3, tmp_path):
    image = jpeg(tmp_path / "kite.jpg")
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    host = store(s3, public_base_url="https://media.example.com/")
    url, _ = host.publish(image, f"postwright/p/{digest}.jpg", "image/jpeg", digest)
    assert url == f"https://media.example.com/postwright/p/{digest}.jpg"


# -- from content/ through publish -------------------------------------------------------------------


def brand(make_project, s3: S3Server, server: MetaFake, platform: str, images: int, **host: str):
    """A brand with one API account on `platform`, media.host on the S3 server, and one post."""
    settings = f'user_id: "{server.api["user"]}", api_url: "{server.api_url}"'
    pictures = ", ".join(f"{{src: photo{n}.jpg, alt: Photo {n}}}" for n in range(1, images + 1))
    assets = "".join(f"-- assets/photo{n}.jpg --\n1200x1200\n" for n in range(1, images + 1))
    config = f"""\
brand:
  name: Test Brand
  timezone: Europe/Madrid
  platforms: [{platform}]
accounts:
  main:
    platform: {platform}
    deliver: api
    credentials: {{access_token: PW_META_TOKEN}}
    settings: {{{settings}}}
{media_host_yaml(s3, **host)}"""
    project = make_project(
        f"-- config.yml --\n{config}{assets}"
        "-- content/posts/2026-12-01-0900-kites.md --\n"
        f"---\nimages: [{pictures}]\n---\nNew kites are in. #kites\n"
    )
    for n, colour in zip(range(1, images + 1), ("darkorange", "teal"), strict=False):  # distinct images
        jpeg(project.root / f"assets/photo{n}.jpg", (1200, 1200), colour)
    return project


@pytest.fixture
def instagram(httpserver, monkeypatch):
    server = fake_for(httpserver, "instagram")
    monkeypatch.setenv("PW_META_TOKEN", server.token)
    return server


@pytest.fixture
def threads(httpserver, monkeypatch):
    server = fake_for(httpserver, "threads")
    monkeypatch.setenv("PW_META_TOKEN", server.token)
    return server


def sent_hashes(project) -> list[str]:
    """The sha256 of each rendition the pipeline made, as the store's keys name them."""
    return [Path(key).stem for key in sorted(project.root.glob(".postwright-cache/media/*.jpg"))]


def test_an_instagram_carousel_goes_out_with_images_fetched_from_the_store(make_project, s3, instagram):
    project = brand(make_project, s3, instagram, "instagram", 2)
    (outcome,) = pipeline.publish(project, POSTED).outcomes
    assert outcome.status == "published", outcome.message
    (post,) = instagram.live
    assert post.text == "New kites are in. #kites" and post.alts == ("Photo 1", "Photo 2")
    # the objects were read only by the probe and Meta's fake, both as Meta's crawler
    assert {agent for method, path, agent in s3.requests if method == "GET" and path.count("/") > 1} == {
        META_CRAWLER
    }
    keys = s3.stored_keys()
    assert len(keys) == 2 and all(key.startswith("postwright/2026-12-01-0900-kites/") for key in keys)
    # Meta's fake fetched each URL from the S3 server and got exactly the stored bytes
    stored = {
        hashlib.sha256(s3.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()).hexdigest()
        for key in keys
    }
    assert set(instagram.fetched.values()) == stored == {Path(key).stem for key in keys}
    assert all(url.startswith(f"{s3.url}/{BUCKET}/postwright/") for url in post.image_urls)
    heads = [s3.client().head_object(Bucket=BUCKET, Key=key)["ContentType"] for key in keys]
    assert heads == ["image/jpeg", "image/jpeg"]
    assert instagram.violations == []


def test_a_threads_image_post_goes_out_with_its_image_from_the_store(make_project, s3, threads):
    project = brand(make_project, s3, threads, "threads", 1)
    (outcome,) = pipeline.publish(project, POSTED).outcomes
    assert outcome.status == "published", outcome.message
    (post,) = threads.live
    (url,) = post.image_urls
    assert url.startswith(f"{s3.url}/{BUCKET}/postwright/2026-12-01-0900-kites/") and "X-Amz-Signature" in url
    assert list(threads.fetched.values()) == [Path(key).stem for key in s3.stored_keys()]
    (container,) = threads.created()
    assert container.fields["media_type"] == "IMAGE" and threads.violations == []


def test_a_run_after_a_failure_uploads_nothing_again(make_project, s3, instagram):
    project = brand(make_project, s3, instagram, "instagram", 2)
    instagram.rate_limit_next(600)  # the first run is throttled after the uploads
    (first,) = pipeline.publish(project, POSTED).outcomes
    assert first.status == "failed" and instagram.live == []
    assert len(s3.puts()) == 2
    (second,) = pipeline.publish(project, POSTED + timedelta(minutes=15)).outcomes
    assert second.status == "published", second.message
    assert len(s3.puts()) == 2  # HEAD found both: same key, same bytes


def test_a_dry_run_uploads_nothing(make_project, s3, instagram):
    project = brand(make_project, s3, instagram, "instagram", 1)
    published = pipeline.publish(project, POSTED, dry_run=True)
    assert len(published.jobs) == 1 and s3.requests == [] and instagram.calls == []


def test_an_embargoed_post_is_not_uploaded_before_its_time(make_project, s3, instagram):
    project = brand(make_project, s3, instagram, "instagram", 1)
    assert pipeline.publish(project, POSTED - timedelta(hours=1)).outcomes == ()
    assert s3.requests == []


# -- each hosting failure: nothing created on the platform, the job due next run, one clear message ---


def failed_run(project, server: MetaFake):
    (outcome,) = pipeline.publish(project, POSTED, runner_options={"sleep": lambda seconds: None}).outcomes
    assert outcome.status == "failed"
    assert server.containers == {} and server.live == []
    record = Ledger(project.state_dir).read()[outcome.key].last(1)
    assert record.refused and not record.permanent  # nothing went out: no lookup before the next try
    items = pipeline.plan(project, POSTED).items
    assert [item.status for item in items] == [PlanStatus.DUE]
    return outcome.message


def test_a_missing_bucket_fails_before_anything_is_created(make_project, s3, instagram):
    s3.client().delete_bucket(Bucket=BUCKET)
    project = brand(make_project, s3, instagram, "instagram", 1)
    message = failed_run(project, instagram)
    assert instagram.calls == []  # not even the quota: the upload comes first
    key = s3.requests[-1][1].removeprefix(f"/{BUCKET}/")
    assert message == (
        f"part 1: media.host: upload of {key} failed: the bucket does not exist "
        f"(NoSuchBucket, bucket '{BUCKET}' at {s3.url}) (nothing sent) (will retry next run)"
    )


def test_a_store_that_is_down_fails_before_anything_is_created(make_project, s3, instagram):
    down = S3Server()  # never started: its port refuses connections
    down.server.server_close()
    project = brand(make_project, down, instagram, "instagram", 1)
    message = failed_run(project, instagram)
    assert message.startswith("part 1: media.host: check of postwright/2026-12-01-0900-kites/")
    assert message.endswith(
        f"failed: the store cannot be reached (bucket '{BUCKET}' at {down.url}) (nothing sent) "
        "(will retry next run)"
    )


def test_keys_that_may_not_write_are_a_settings_problem(make_project, s3, instagram):
    def read_only(request):  # S3's answer to a PUT the keys are not allowed (ErrorResponses: AccessDenied)
        if request.method == "PUT":
            body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
            return Response(body, 403, content_type="application/xml")
        return None

    s3.refuse = read_only
    project = brand(make_project, s3, instagram, "instagram", 1)
    message = failed_run(project, instagram)
    key = s3.requests[-1][1].removeprefix(f"/{BUCKET}/")
    assert message == (
        f"part 1: media.host: upload of {key} failed: the keys may not write to this bucket "
        f"(AccessDenied, bucket '{BUCKET}' at {s3.url}) (nothing sent) (will retry next run)"
    )
    assert len(s3.puts()) == 1  # a settings problem is not retried within the run


def test_keys_that_may_not_read_are_a_settings_problem(make_project, s3, instagram):
    def no_list(request):  # AWS answers a bare 403 to a HEAD of a key the keys may not list or read
        return Response(status=403) if request.method == "HEAD" else None

    s3.refuse = no_list
    project = brand(make_project, s3, instagram, "instagram", 1)
    message = failed_run(project, instagram)
    assert message.startswith("part 1: media.host: check of postwright/2026-12-01-0900-kites/")
    assert message.endswith(
        "failed: the keys may not read this bucket: they need s3:GetObject and s3:ListBucket there, besides "
        f"s3:PutObject (403, bucket '{BUCKET}' at {s3.url}) (nothing sent) (will retry next run)"
    )
    assert s3.puts() == []  # nothing uploaded, nothing sent


def test_missing_keys_name_the_variable(make_project, s3, instagram, monkeypatch):
    monkeypatch.delenv("PW_S3_SECRET")
    project = brand(make_project, s3, instagram, "instagram", 1)
    message = failed_run(project, instagram)
    assert message == (
        "part 1: account media.host: environment variable PW_S3_SECRET is not set (will retry next run)"
    )
    assert s3.requests == []


def test_a_bucket_that_refuses_meta_s_crawler_is_named(make_project, s3, instagram):
    def bot_rule(request):
        if request.method == "GET" and "facebookexternalhit" in request.headers.get("User-Agent", ""):
            return Response("<Error><Code>AccessDenied</Code></Error>", 403, content_type="application/xml")
        return None

    s3.refuse = bot_rule
    project = brand(make_project, s3, instagram, "instagram", 1)
    message = failed_run(project, instagram)
    (key,) = s3.stored_keys()
    assert message == (
        f"part 1: Meta cannot fetch image {s3.url}/{BUCKET}/{key}?…: it answers 403 to Meta's crawler: a "
        "bot rule, a firewall or a private bucket refuses it (the usual cause of Instagram's error 2207052); "
        "nothing was created on Instagram, tried again on the next run (will retry next run)"
    )
    assert "X-Amz-Signature" not in message and "AKIA" not in message


def test_a_tiktok_draft_pulls_its_photos_from_the_store(
    make_project,
    s3,
    http_server,  # noqa: F811
    httpserver,
    monkeypatch,
):
    """TikTok pulls each photo from a verified URL prefix: here the bucket's, with presigned URLs."""
    from tests.fakes.tiktok import FakeTikTok, ImageSite

    token = "act.tiktok-token-for-the-store-test"
    tiktok = FakeTikTok(http_server, token, ImageSite(httpserver))
    tiktok.verified_prefixes = [f"{s3.url}/{BUCKET}/postwright/"]
    config = (
        "brand:\n  name: Windward\n  timezone: Europe/Madrid\n  platforms: [tiktok]\n"
        "accounts:\n  tt:\n    platform: tiktok\n    deliver: api\n"
        f'    credentials: {{access_token: PW_TT_TOKEN}}\n    settings: {{api_url: "{tiktok.url}"}}\n'
        + media_host_yaml(s3)
    )
    project = make_project(
        f"-- config.yml --\n{config}-- assets/photo.jpg --\n1600x1200\n"
        "-- content/posts/2026-12-01-0900-pic.md --\n"
        "---\nimages: [{src: photo.jpg, alt: A kite}]\n---\nLook at this kite. #kites\n"
    )
    monkeypatch.setenv("PW_TT_TOKEN", token)
    pipeline.build(project)
    (outcome,) = pipeline.publish(project, POSTED).outcomes
    assert outcome.status == "published", outcome.message
    (item,) = tiktok.published.values()
    assert item.mode == "MEDIA_UPLOAD" and item.photos[0].startswith(
        f"{s3.url}/{BUCKET}/postwright/2026-12-01"
    )
    (key,) = s3.stored_keys()
    assert item.pulled == [s3.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()]
    assert tiktok.problems == []


# -- media cleanup -----------------------------------------------------------------------------------


def test_cleanup_decides_by_the_ledger_and_the_plan():
    """Pure: what a listing and a ledger make of each object."""
    from postwright.ledger import JobState, Record, RecordStatus
    from postwright.status import PlanItem

    def record(post: str, status: RecordStatus, when: str) -> Record:
        return Record(
            key=f"{post}.en/main", part=1, parts=1, status=status, idempotency_key="k", post_id=post,
            account="main", platform="instagram", content_hash="h", time=when,
        )  # fmt: skip

    def item(post: str, status: PlanStatus) -> PlanItem:
        return PlanItem(
            f"{post}.en/main", post, "en", "main", "instagram", datetime(2026, 1, 1), status, "x.md"
        )

    digest = "a" * 64
    objects = [Hosted(f"p/{post}/{digest}.jpg", 10, post) for post in ("old", "recent", "due", "never")]
    objects.append(Hosted("p/notes.txt", 3, None))
    states = {
        "old.en/main": JobState(
            "old.en/main", (record("old", RecordStatus.PUBLISHED, "2026-10-01T09:00:00+00:00"),)
        ),
        "recent.en/main": JobState(
            "recent.en/main", (record("recent", RecordStatus.PUBLISHED, "2026-11-25T09:00:00+00:00"),)
        ),
        "due.en/main": JobState(
            "due.en/main", (record("due", RecordStatus.PUBLISHED, "2026-01-01T09:00:00+00:00"),)
        ),
    }
    items = [
        item("old", PlanStatus.PUBLISHED),
        item("recent", PlanStatus.PUBLISHED),
        item("due", PlanStatus.FAILED),
    ]
    cutoff = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    found = {
        verdict.key: (verdict.remove, verdict.reason) for verdict in verdicts(objects, items, states, cutoff)
    }
    assert found == {
        f"p/old/{digest}.jpg": (True, "post old went out 2026-10-01 09:00 UTC"),
        f"p/recent/{digest}.jpg": (False, "kept: post recent went out 2026-11-25 09:00 UTC"),
        f"p/due/{digest}.jpg": (False, "kept: post due is failed"),
        f"p/never/{digest}.jpg": (False, "kept: post never was never published"),
        "p/notes.txt": (False, "kept: not a key postwright made"),
    }


def test_media_cleanup_lists_then_applies_and_never_removes_a_due_post_s_image(make_project, s3, instagram):
    project = brand(make_project, s3, instagram, "instagram", 1)
    (outcome,) = pipeline.publish(project, POSTED).outcomes
    assert outcome.status == "published", outcome.message
    (published_key,) = s3.stored_keys()
    # a later post, due at cleanup time, whose image is already up (its run was interrupted)
    later = project.root / "content/posts/2027-01-10-0900-later.md"
    later.write_text("---\nimages: [{src: photo1.jpg, alt: Photo 1}]\n---\nMore kites.\n")
    due_key = f"postwright/2027-01-10-0900-later/{'b' * 64}.jpg"
    s3.client().put_object(Bucket=BUCKET, Key=due_key, Body=b"jpeg")
    at = "2027-01-10T09:05"  # 40 days on: the first post's image is old, the second post is due
    runner = CliRunner()
    listed = runner.invoke(
        cli, ["-C", str(project.root), "media", "cleanup", "--older-than", "30d", "--at", at]
    )
    assert listed.exit_code == 0, listed.output
    assert f"would delete {published_key} (" in listed.stdout
    assert f"{due_key} (4 bytes): kept: post 2027-01-10-0900-later is due" in listed.stdout
    assert "would delete 1 of 2 hosted images (" in listed.stderr and "run with --apply" in listed.stderr
    assert s3.stored_keys() == sorted([published_key, due_key])  # a dry run deletes nothing
    applied = runner.invoke(
        cli, ["-C", str(project.root), "media", "cleanup", "--older-than", "30d", "--at", at, "--apply"]
    )
    assert applied.exit_code == 0, applied.output
    assert f"deleted {published_key} (" in applied.stdout and "deleted 1 of 2 hosted images" in applied.stderr
    assert s3.stored_keys() == [due_key]


def test_media_cleanup_without_a_host_says_so(make_project):
    project = make_project()
    result = CliRunner().invoke(cli, ["-C", str(project.root), "media", "cleanup"])
    assert result.exit_code == 2  # a setting missing, like a bad option: not content errors (1)
    assert "media.host is not set in config.yml: nothing is hosted (docs/publishing.md)" in result.output


# -- config.yml's media section ---------------------------------------------------------------------


def config_problems(make_project, media: str) -> list[tuple[str, int, str]]:
    from postwright.config import load_config

    config = (
        "brand:\n  name: Test Brand\n  timezone: Europe/Madrid\n  platforms: [instagram]\n"
        "accounts:\n  main:\n    platform: instagram\n    deliver: api\n"
        '    credentials: {access_token: PW_META_TOKEN}\n    settings: {user_id: "1"}\n' + media
    )
    _, found = load_config(make_project(f"-- config.yml --\n{config}"))
    return [(item.code, item.span.line, item.message) for item in found]


def test_media_host_stands_in_for_media_base_url(make_project):
    hosted = (
        "media:\n  host:\n    bucket: windward-media\n"
        "    credentials: {access_key_id: K, secret_access_key: S}\n"
    )
    assert config_problems(make_project, hosted) == []
    (problem,) = config_problems(make_project, "")
    assert problem[0] == "PW041" and "settings.media_base_url" in problem[2]


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        ("    url_life: 8d\n", "PW104", "a presigned URL lives from 5 minutes to 7 days"),
        ("    url_life: 1m\n", "PW104", "a presigned URL lives from 5 minutes to 7 days"),
        (
            "    prefix: posts\n",
            None,
            "media.host.prefix should be text written like the example, e.g. `prefix: postwright/`",
        ),
        ("    endpoint: r2.example.com\n", "PW211", "'r2.example.com' is not an http(s) link"),
    ],
)
def test_media_host_values_are_checked_at_their_line(make_project, line, code, message):
    media = (
        "media:\n  host:\n    bucket: windward-media\n"
        "    credentials: {access_key_id: K, secret_access_key: S}\n" + line
    )
    (problem,) = config_problems(make_project, media)
    assert problem[1] == 15 and message in problem[2]
    if code:
        assert problem[0] == code


def test_media_cleanup_when_the_store_cannot_be_reached_exits_3(make_project, s3, instagram):
    down = S3Server()  # never started: its port refuses connections
    down.server.server_close()
    project = brand(make_project, down, instagram, "instagram", 1)
    result = CliRunner().invoke(cli, ["-C", str(project.root), "media", "cleanup"])
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: media.host: list of postwright/ failed: the store cannot be reached "
        f"(bucket '{BUCKET}' at {down.url})\n"
    )
