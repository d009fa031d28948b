"""TikTok's Content Posting API played on a local pytest-httpserver, and the site it pulls photos from.

`FakeTikTok` plays one creator's account as developers.tiktok.com documents it: the photo init
(content-posting-api-reference-photo-post: its body fields, their types, the 90/4,000 UTF-16 limits,
1–35 photo URLs on a verified prefix, privacy_level among the creator's options for a direct post), the
status fetch (content-posting-api-reference-get-video-status: PROCESSING_DOWNLOAD, then
SEND_TO_USER_INBOX for a draft or PUBLISH_COMPLETE, or FAILED with a fail_reason), the creator-info query
(content-posting-api-reference-query-creator-info), the Display API's user info, and the error struct
{code, message, log_id} with its HTTP statuses (tiktok-api-v2-error-handling). Like TikTok it pulls every
photo with a GET from its public URL on `ImageSite`, a second local server, and fails the post
(photo_pull_failed) when one is not there as a JPEG or WebP image. A request that breaks the documented
shape is answered 400 and recorded in `problems`, which each test asserts empty.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.contract import SentPost
from tests.fakes.api import FakeApi

PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
POST_INFO = {  # photo post reference: Post Info Object
    "title",
    "description",
    "disable_comment",
    "privacy_level",
    "auto_add_music",
    "brand_content_toggle",
    "brand_organic_toggle",
}
SOURCE_INFO = {"source", "photo_cover_index", "photo_images"}  # photo post reference: Source Info Object
PHOTO_TYPES = {"image/jpeg": "JPEG", "image/webp": "WEBP"}  # media transfer guide: WebP, JPEG
MAX_PHOTO_BYTES = 20 * 1024 * 1024


def units(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def answer(data: Mapping[str, Any] | None, status: int = 200, code: str = "ok", message: str = "", **headers):
    """TikTok's envelope: {data, error: {code, message, log_id}}."""
    body = {
        "data": dict(data or {}),
        "error": {"code": code, "message": message, "log_id": "202612010900ABCDEF"},
    }
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


class ImageSite:
    """The public site media_base_url names: files by path, served with their content type."""

    def __init__(self, server: HTTPServer) -> None:
        server.clear()
        self.server = server
        self.files: dict[str, tuple[bytes, str]] = {}
        self.fetched: list[tuple[str, str]] = []  # (path, user agent) of each GET
        server.expect_request(re.compile(".*")).respond_with_handler(self._get)

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def serve(self, path: str, data: bytes, content_type: str = "image/jpeg") -> str:
        self.files[path.lstrip("/")] = (data, content_type)
        return f"{self.url}/{path.lstrip('/')}"

    def _get(self, request: Request) -> Response:
        self.fetched.append((request.path, request.headers.get("User-Agent", "")))
        found = self.files.get(request.path.lstrip("/"))
        if request.method != "GET" or found is None:
            return Response("not found", status=404)
        return Response(found[0], content_type=found[1])


@dataclass
class Publish:
    """One init request and what became of it."""

    publish_id: str
    mode: str
    description: str
    title: str | None
    privacy_level: str | None
    photos: list[str]
    statuses: list[str]  # reported by successive status fetches, then `final`
    final: str
    fail_reason: str = ""
    post_id: int | None = None
    fetches: int = 0
    pulled: list[bytes] = field(default_factory=list)


class FakeTikTok(FakeApi):
    """One creator's account on the Content Posting API."""

    def __init__(self, server: HTTPServer, token: str, site: ImageSite) -> None:
        super().__init__(server)
        self.token = token
        self.site = site
        self.revoked = False
        self.scopes = {"video.upload", "video.publish", "user.info.basic"}
        self.verified_prefixes = [f"{site.url}/"]  # the URL prefixes verified in the developer app
        self.privacy_level_options = list(PRIVACY_LEVELS)
        self.processing = ["PROCESSING_DOWNLOAD"]  # what each new post reports before its final status
        self.fail_next: str | None = None  # a fail_reason for the next post
        self.status_errors: list[Response] = []  # answers of the next status fetches, before the real ones
        self.published: dict[str, Publish] = {}
        self.bodies: list[dict[str, Any]] = []
        self._ids = itertools.count(7_300_000_000_000_000_001)
        self.route("POST", r"/v2/post/publish/content/init/", self._init)
        self.route("POST", r"/v2/post/publish/status/fetch/", self._status)
        self.route("POST", r"/v2/post/publish/creator_info/query/", self._creator_info)
        self.route("GET", r"/v2/user/info/", self._user_info)

    # -- what the contract asks ---------------------------------------------------------------------

    def posts(self) -> list[SentPost]:
        """Drafts in the inbox and posts on the profile (alt text: none, TikTok takes no alt text)."""
        return [
            SentPost(str(item.post_id or item.publish_id), item.description)
            for item in self.published.values()
            if item.final != "FAILED" and item.fetches > len(item.statuses)
        ]

    def reject_next(self) -> str:
        self.arm_reject()
        return "photo_images is invalid"

    # -- checks -------------------------------------------------------------------------------------

    def _refused(self, request: Request, scope: str) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}" or self.revoked:
            return answer(None, 401, "access_token_invalid", "The access token is invalid or not found.")
        if scope not in self.scopes:
            return answer(None, 401, "scope_not_authorized", f"The user did not authorize the scope {scope}.")
        return None

    @staticmethod
    def _json(request: Request) -> dict[str, Any]:
        assert request.headers.get("Content-Type") == "application/json; charset=UTF-8", "Content-Type"
        body = json.loads(request.get_data() or b"{}")
        assert isinstance(body, dict), "the body is a JSON object"
        return body

    def _init(self, request: Request) -> Response:
        body = self._json(request)
        self.bodies.append(body)
        mode = body.get("post_mode")
        assert mode in ("DIRECT_POST", "MEDIA_UPLOAD"), f"post_mode {mode!r}"
        scope = "video.publish" if mode == "DIRECT_POST" else "video.upload"
        if refused := self._refused(request, scope):
            return refused
        assert set(body) == {"media_type", "post_mode", "post_info", "source_info"}, sorted(body)
        assert body["media_type"] == "PHOTO", "media_type: currently only PHOTO"
        info, source = body["post_info"], body["source_info"]
        assert isinstance(info, dict) and set(info) <= POST_INFO, f"post_info fields {sorted(info)}"
        for name in ("title", "description", "privacy_level"):
            assert isinstance(info.get(name, ""), str), f"post_info.{name} is a string"
        assert units(info.get("title", "")) <= 90, "title: at most 90 UTF-16 runes"
        assert units(info.get("description", "")) <= 4000, "description: at most 4000 UTF-16 runes"
        assert isinstance(source, dict) and set(source) == SOURCE_INFO, f"source_info fields {sorted(source)}"
        assert source["source"] == "PULL_FROM_URL", "photos come only from PULL_FROM_URL"
        photos = source["photo_images"]
        assert isinstance(photos, list) and 1 <= len(photos) <= 35, "photo_images: 1 to 35 URLs"
        assert all(isinstance(url, str) and url.startswith(("http://", "https://")) for url in photos)
        cover = source["photo_cover_index"]
        assert isinstance(cover, int) and not isinstance(cover, bool) and 0 <= cover < len(photos)
        if mode == "DIRECT_POST":
            assert info.get("privacy_level") in PRIVACY_LEVELS, "a direct post needs privacy_level"
            if info["privacy_level"] not in self.privacy_level_options:
                return answer(None, 403, "privacy_level_option_mismatch", "privacy_level is not an option.")
        if (seconds := self.take_rate_limit()) is not None:
            headers = {"Retry-After": str(seconds)} if seconds else {}
            return answer(None, 429, "rate_limit_exceeded", "The API rate limit was exceeded.", **headers)
        if self.take_reject():
            return answer(None, 400, "invalid_params", "photo_images is invalid.")
        if not all(any(url.startswith(prefix) for prefix in self.verified_prefixes) for url in photos):
            return answer(
                None, 403, "url_ownership_unverified", "The URL's domain or prefix is not verified."
            )
        publish_id = f"p_pub_url~v2.{next(self._ids)}"
        item = Publish(
            publish_id,
            mode,
            info.get("description", ""),
            info.get("title"),
            info.get("privacy_level"),
            photos,
            list(self.processing),
            "SEND_TO_USER_INBOX" if mode == "MEDIA_UPLOAD" else "PUBLISH_COMPLETE",
        )
        self._pull(item)
        if self.fail_next:
            item.final, item.fail_reason, self.fail_next = "FAILED", self.fail_next, None
        if item.final == "PUBLISH_COMPLETE" and item.privacy_level == "PUBLIC_TO_EVERYONE":
            item.post_id = next(self._ids)
        self.published[publish_id] = item
        return answer({"publish_id": publish_id})

    def _pull(self, item: Publish) -> None:
        """TikTok downloads each photo from its URL: a JPEG or WebP of at most 20 MB and 1080p."""
        for url in item.photos:
            response = httpx.get(url, timeout=5.0)
            kind = response.headers.get("content-type", "").split(";")[0]
            if (
                response.status_code != 200
                or kind not in PHOTO_TYPES
                or len(response.content) > MAX_PHOTO_BYTES
            ):
                item.final, item.fail_reason = "FAILED", "photo_pull_failed"
                return
            image = Image.open(io.BytesIO(response.content))
            if image.format != PHOTO_TYPES[kind] or min(image.size) > 1080 or max(image.size) > 1920:
                item.final, item.fail_reason = "FAILED", "picture_size_check_failed"
                return
            item.pulled.append(response.content)

    def _status(self, request: Request) -> Response:
        if refused := self._refused(request, "video.upload"):
            return refused
        body = self._json(request)
        assert set(body) == {"publish_id"} and isinstance(body["publish_id"], str), "body: {publish_id}"
        if self.status_errors:
            return self.status_errors.pop(0)
        item = self.published.get(body["publish_id"])
        if item is None:
            return answer(None, 400, "invalid_params", "publish_id not found.")
        item.fetches += 1
        status = item.statuses[item.fetches - 1] if item.fetches <= len(item.statuses) else item.final
        data: dict[str, Any] = {"status": status, "uploaded_bytes": 0, "downloaded_bytes": 0}
        if status == "FAILED":
            data["fail_reason"] = item.fail_reason
        if status == "PUBLISH_COMPLETE":
            data["publicaly_available_post_id"] = [item.post_id] if item.post_id else []
        return answer(data)

    def _creator_info(self, request: Request) -> Response:
        if refused := self._refused(request, "video.publish"):
            return refused
        assert self._json(request) == {}, "creator_info/query takes no body fields"
        return answer(
            {
                "creator_avatar_url": "https://p16.tiktokcdn.example/avatar.jpeg",
                "creator_username": "windwardkites",
                "creator_nickname": "Windward Kites",
                "privacy_level_options": self.privacy_level_options,
                "comment_disabled": False,
                "duet_disabled": False,
                "stitch_disabled": True,
                "max_video_post_duration_sec": 300,
            }
        )

    def _user_info(self, request: Request) -> Response:
        if refused := self._refused(request, "user.info.basic"):
            return refused
        fields = set(request.args.get("fields", "").split(","))
        assert fields <= {"open_id", "union_id", "avatar_url", "display_name"}, (
            f"user.info.basic fields {fields}"
        )
        user = {"open_id": "723f24d7-e717-40f8-a2b6-cb8464cd23b4", "display_name": "Windward Kites"}
        return answer({"user": {name: value for name, value in user.items() if name in fields}})
