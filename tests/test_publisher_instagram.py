"""The Instagram publisher against a local Graph API that checks each request as Meta documents it.

`MetaFake` plays one Instagram (or Threads: test_publisher_threads.py uses it too) account on a
pytest-httpserver: containers, their processing status, publishing, the publishing quota, recent
posts, permalinks, debug_token, Meta's error shapes; and, under /pages/, the site media_base_url
points at, which Meta "cURLs" the images from. A request that breaks the documented shape is answered
with an error and recorded; each test ends by asserting there were none.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import urllib.parse
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from werkzeug import Request, Response

from postwright import pipeline
from postwright.credentials import CredentialsError, Secrets
from postwright.ledger import Ledger
from postwright.platforms import PLATFORMS
from postwright.platforms.instagram.publisher import InstagramGraph as GraphClient
from postwright.platforms.publishing import Connection, PermanentError, TransientError, Upload
from postwright.publish import Job, Runner
from tests.contract import CANARY, PublisherContract, SentPost, Sleeps, jpeg

TOKEN = "EAAGm0PX4ZCpsBA-long-lived-"  # the contract appends the canary


class Violation(Exception):
    """A request the platform's documentation does not allow."""


@dataclass
class Container:
    id: str
    fields: dict[str, str]
    statuses: list[str]  # reported by successive status reads, then `final`
    final: str = "FINISHED"
    published: bool = False


@dataclass
class Live:
    id: str
    text: str
    reply_to: str | None
    alts: tuple[str, ...]
    image_urls: tuple[str, ...]
    timestamp: datetime
    link_attachment: str | None = None


# What each platform's API looks like (Instagram: developers.facebook.com/docs/instagram-platform/
# content-publishing and reference/ig-user/*; Threads: developers.facebook.com/documentation/threads/).
DIALECTS: dict[str, dict[str, Any]] = {
    "instagram": {
        "prefix": "/v25.0",
        "user": "17841400000000001",
        "users": {"17841400000000001"},
        "create": "media",
        "publish": "media_publish",
        "limit": "content_publishing_limit",
        "status": "status_code",
        "text": "caption",
        "quota": 50,
        "permalink": "https://www.instagram.com/p/{code}/",
    },
    "threads": {
        "prefix": "/v1.0",
        "user": "24000000000000001",
        "users": {"24000000000000001", "me"},
        "create": "threads",
        "publish": "threads_publish",
        "limit": "threads_publishing_limit",
        "status": "status",
        "text": "text",
        "quota": 250,
        "permalink": "https://www.threads.net/@windwardkites/post/{code}",
    },
}


def meta_error(status: int, message: str, code: int, subcode: int | None = None, **extra: Any) -> Response:
    """Meta's error answer (graph-api/guides/error-handling): {"error": {message, type, code, …}}."""
    headers = extra.pop("headers", None)
    error = {"message": message, "type": extra.pop("type", "OAuthException"), "code": code, **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AbCdEfGhIjK"
    return Response(json.dumps({"error": error}), status, headers=headers, content_type="application/json")


def ok(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), 200, content_type="application/json")


@dataclass
class MetaFake:
    """One account on Instagram's or Threads' Graph API, plus the Pages site serving its images."""

    httpserver: Any
    platform: str
    token: str
    now: datetime = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    live: list[Live] = field(default_factory=list)
    containers: dict[str, Container] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # method, path, params
    media_requests: list[tuple[str, str]] = field(default_factory=list)
    quota_usage: int | None = None  # None: the published posts of the last 24 h
    reply_quota_usage: int | None = None  # Threads: None: the replies of the last 24 h
    token_expired: bool = False
    expires_at: int = 0  # debug_token's expires_at (0: never)
    data_access_expires_at: int = 0
    next_create: Response | None = None  # the next container creation is refused with this
    next_statuses: list[str] = field(default_factory=list)  # for the next container only
    next_final: str = "FINISHED"
    error_subcode: int = 2207004  # in an ERROR container's status: "The image size is too large."
    publish_answer: Response | None = None  # the next media_publish publishes, then answers this
    page_cap: int | None = None  # list edges return at most this many a page, whatever `limit` says

    def __post_init__(self) -> None:
        self.api = DIALECTS[self.platform]
        self.ids = itertools.count(17_900_000_000_000_001)
        self.httpserver.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    # -- what tests use --

    @property
    def api_url(self) -> str:
        return self.httpserver.url_for(self.api["prefix"])

    @property
    def media_base_url(self) -> str:
        return self.httpserver.url_for("/pages")

    def serve(self, name: str, data: bytes, content_type: str = "image/jpeg") -> str:
        self.files[f"/pages/{name}"] = (data, content_type)
        return f"{self.media_base_url}/{name}"

    def posts(self) -> list[SentPost]:
        return [SentPost(post.id, post.text, post.reply_to, post.alts) for post in self.live]

    def rate_limit_next(self, seconds: int) -> None:
        """Meta throttles with HTTP 400 and a code (4, or Instagram's business-use-case 80002), and says
        when to come back in minutes in X-Business-Use-Case-Usage (graph-api/overview/rate-limiting)."""
        minutes = max(1, math.ceil(seconds / 60))
        usage = {
            self.api["user"]: [
                {
                    "type": self.platform,
                    "call_count": 100,
                    "total_cputime": 12,
                    "total_time": 15,
                    "estimated_time_to_regain_access": minutes,
                }
            ]
        }
        headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
        if self.platform == "instagram":
            self.next_create = meta_error(
                400,
                "There have been too many calls to this Instagram account. Wait a bit and try again.",
                80002,
                headers=headers,
            )
        else:
            self.next_create = meta_error(
                400, "Application request limit reached", 4, is_transient=True, headers=headers
            )

    def reject_next(self) -> str:
        if self.platform == "instagram":
            self.next_create = meta_error(
                400,
                "Only photo or video can be accepted as media type.",
                9004,
                2207052,
                error_user_title="Media download has failed.",
                error_user_msg="The media could not be fetched from this uri: the file is not an image.",
            )
            return "Media download has failed."
        self.next_create = meta_error(
            400,
            "Invalid parameter",
            100,
            4279009,
            error_user_title="Too many links",
            error_user_msg="THREADS_API__LINK_LIMIT_EXCEEDED: a post may contain at most 5 links.",
        )
        return "THREADS_API__LINK_LIMIT_EXCEEDED"

    def created(self) -> list[Container]:
        return list(self.containers.values())

    # -- the HTTP side --

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/pages/"):
            return self.pages(request)
        try:
            return self.route(request)
        except Violation as problem:
            self.violations.append(f"{request.method} {request.path}: {problem}")
            return meta_error(400, f"fake server: {problem}", 100, type="GraphMethodException")

    def pages(self, request: Request) -> Response:
        self.media_requests.append((request.method, request.path))
        found = self.files.get(request.path)
        if found is None:
            return Response("<h1>404</h1>", 404, content_type="text/html")
        data, kind = found
        return Response(
            b"" if request.method == "HEAD" else data,
            200,
            content_type=kind,
            headers={"Content-Length": str(len(data))},
        )

    def route(self, request: Request) -> Response:
        prefix = self.api["prefix"] + "/"
        if not request.path.startswith(prefix):
            raise Violation(f"not under the API version {self.api['prefix']}")
        if "authorization" in request.headers:
            raise Violation("the token travels as access_token, not in an Authorization header")
        if request.method == "POST":
            if "access_token" in request.args:
                raise Violation("access_token belongs in the form body of a POST, not in its URL")
            if request.mimetype != "application/x-www-form-urlencoded":
                raise Violation(f"POST parameters are form fields, not {request.mimetype}")
            params = dict(request.form)
        else:
            params = dict(request.args)
        if params.pop("access_token", None) != self.token:
            return meta_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        if self.token_expired:
            return meta_error(
                400,
                "Error validating access token: Session has expired on Tuesday, 01-Dec-26 01:00:00 PST.",
                190,
                463,
            )
        path = request.path[len(prefix) :].strip("/").split("/")
        self.calls.append((request.method, "/".join(path), params))
        return self.dispatch_api(request.method, path, params)

    def dispatch_api(self, method: str, path: list[str], params: dict[str, str]) -> Response:
        api = self.api
        if path == ["debug_token"] and method == "GET":
            return self.debug_token(params)
        if len(path) == 2 and path[0] in api["users"]:
            edge = path[1]
            if edge == api["create"] and method == "POST":
                return self.create(params)
            if edge in (api["create"], "replies") and method == "GET":
                if edge == "replies" and self.platform != "threads":
                    raise Violation("Instagram has no replies edge")
                return self.listing(params, edge, replies=edge == "replies")
            if edge == api["publish"] and method == "POST":
                return self.publish(params)
            if edge == api["limit"] and method == "GET":
                return self.limit(params)
        if len(path) == 1 and path[0] in api["users"] and method == "GET":
            self.fields(params, {"id", "username"})
            return ok({"id": api["user"], "username": "windwardkites"})
        if len(path) == 1 and method == "GET" and path[0] in self.containers:
            return self.status(self.containers[path[0]], params)
        if len(path) == 1 and method == "GET" and self.find(path[0]):
            return self.media(self.find(path[0]), params)
        if len(path) == 1 and method == "DELETE":
            return self.delete(path[0], params)
        if len(path) == 1 and method == "GET":
            return meta_error(
                400,
                f"Unsupported get request. Object with ID '{path[0]}' does not exist",
                100,
                33,
                type="GraphMethodException",
            )
        raise Violation(f"no such endpoint: {method} /{'/'.join(path)}")

    @staticmethod
    def fields(params: dict[str, str], allowed: set[str], required: set[str] = frozenset()) -> set[str]:
        asked = set(filter(None, params.get("fields", "").split(",")))
        if not asked:
            raise Violation("no fields= given")
        if asked - allowed:
            raise Violation(f"unknown fields {sorted(asked - allowed)}")
        if required - asked:
            raise Violation(f"fields must include {sorted(required - asked)}")
        return asked

    def debug_token(self, params: dict[str, str]) -> Response:
        if params.get("input_token") != self.token:
            raise Violation("input_token is the token to inspect")
        return ok(
            {
                "data": {
                    "app_id": "1234567890",
                    "type": "USER",
                    "application": "Windward publisher",
                    "data_access_expires_at": self.data_access_expires_at,
                    "expires_at": self.expires_at,
                    "is_valid": True,
                    "issued_at": 1764000000,
                    "scopes": ["instagram_basic", "instagram_content_publish"]
                    if self.platform == "instagram"
                    else ["threads_basic", "threads_content_publish"],
                    "user_id": self.api["user"],
                }
            }
        )

    def fetchable(self, url: str | None) -> bool:
        """Meta downloads the image: it must be on the public site, as an image."""
        if not url or not url.startswith(self.media_base_url + "/"):
            return False
        found = self.files.get(urllib.parse.urlsplit(url).path)
        return found is not None and found[1].startswith("image/")

    def create(self, params: dict[str, str]) -> Response:
        if self.next_create is not None:
            refusal, self.next_create = self.next_create, None
            return refusal
        if self.platform == "instagram":
            self.check_instagram_container(params)
        else:
            self.check_threads_container(params)
        if params.get("image_url") and not self.fetchable(params["image_url"]):
            return meta_error(
                400,
                "Only photo or video can be accepted as media type.",
                9004,
                2207052,
                error_user_title="Media download has failed.",
                error_user_msg="The media could not be fetched from this uri.",
            )
        container = Container(str(next(self.ids)), params, self.next_statuses, self.next_final)
        self.next_statuses, self.next_final = [], "FINISHED"
        self.containers[container.id] = container
        return ok({"id": container.id})

    @staticmethod
    def only(params: dict[str, str], allowed: set[str]) -> None:
        if set(params) - allowed:
            raise Violation(f"unknown parameters {sorted(set(params) - allowed)}")

    def children(self, params: dict[str, str], most: int) -> list[Container]:
        ids = params.get("children", "").split(",")
        if not 2 <= len(ids) <= most:
            raise Violation(f"a carousel has 2–{most} children, not {len(ids)}")
        found = [self.containers.get(child) for child in ids]
        if any(child is None or child.fields.get("is_carousel_item") != "true" for child in found):
            raise Violation("children must be carousel item containers (is_carousel_item=true)")
        return found  # type: ignore[return-value]

    def check_instagram_container(self, params: dict[str, str]) -> None:
        # reference/ig-user/media: image posts omit media_type; CAROUSEL takes children; no text-only posts
        self.only(params, {"image_url", "caption", "alt_text", "is_carousel_item", "media_type", "children"})
        kind = params.get("media_type")
        if kind == "CAROUSEL":
            for name in ("image_url", "alt_text", "is_carousel_item"):
                if name in params:
                    raise Violation(f"a CAROUSEL container takes no {name}")
            self.children(params, 10)
        elif kind is None:
            if not params.get("image_url"):
                raise Violation("an image container needs image_url (Instagram has no text-only posts)")
            if params.get("is_carousel_item", "false") not in ("true", "false"):
                raise Violation("is_carousel_item is true or false")
            if params.get("is_carousel_item") == "true" and "caption" in params:
                raise Violation("carousel items take no caption; the CAROUSEL container does")
        else:
            raise Violation(f"media_type {kind!r}: images omit media_type")

    def check_threads_container(self, params: dict[str, str]) -> None:
        # threads/posts, threads/reference/publishing, threads/posts/accessibility
        self.only(
            params,
            {
                "media_type",
                "text",
                "image_url",
                "alt_text",
                "is_carousel_item",
                "children",
                "reply_to_id",
                "link_attachment",
            },
        )
        kind = params.get("media_type")
        item = params.get("is_carousel_item") == "true"
        if kind == "TEXT":
            if not params.get("text"):
                raise Violation("a TEXT container needs text")
            for name in ("image_url", "alt_text", "children", "is_carousel_item"):
                if name in params:
                    raise Violation(f"a TEXT container takes no {name}")
        elif kind == "IMAGE":
            if not params.get("image_url"):
                raise Violation("an IMAGE container needs image_url")
            if "link_attachment" in params or "children" in params:
                raise Violation("link_attachment is for text posts only; children for carousels")
            if item and ("text" in params or "reply_to_id" in params):
                raise Violation("a carousel item takes no text or reply_to_id; the CAROUSEL container does")
        elif kind == "CAROUSEL":
            for name in ("image_url", "alt_text", "link_attachment", "is_carousel_item"):
                if name in params:
                    raise Violation(f"a CAROUSEL container takes no {name}")
            self.children(params, 20)
        else:
            raise Violation(f"media_type must be TEXT, IMAGE or CAROUSEL, not {kind!r}")
        if "reply_to_id" in params and not self.find(params["reply_to_id"]):
            raise Violation(f"reply_to_id {params['reply_to_id']} is not a live post")

    def status(self, container: Container, params: dict[str, str]) -> Response:
        if self.platform == "instagram":
            self.fields(params, {"status_code", "status", "id"}, {"status_code"})
        else:
            self.fields(params, {"status", "error_message", "id"}, {"status"})
        status = container.statuses.pop(0) if container.statuses else container.final
        if container.published:
            status = "PUBLISHED"
        body: dict[str, Any] = {"id": container.id, self.api["status"]: status}
        if status == "ERROR":
            if self.platform == "instagram":
                body["status"] = f"Error: Media upload has failed with error code {self.error_subcode}"
            else:
                body["error_message"] = "INVALID_ASPEC_RATIO"  # sic: threads/troubleshooting
        return ok(body)

    def publish(self, params: dict[str, str]) -> Response:
        self.only(params, {"creation_id"})
        container = self.containers.get(params.get("creation_id", ""))
        if container is None or container.fields.get("is_carousel_item") == "true":
            raise Violation("creation_id must be a container made for a post (not a carousel item)")
        if container.published:
            raise Violation(f"container {container.id} was already published")
        if container.final != "FINISHED" or container.statuses:
            raise Violation(f"container {container.id} is not FINISHED yet")
        container.published = True
        fields = container.fields
        items = self.children(fields, 20) if fields.get("media_type") == "CAROUSEL" else [container]
        post = Live(
            id=str(next(self.ids)),
            text=fields.get(self.api["text"], ""),
            reply_to=fields.get("reply_to_id"),
            alts=tuple(item.fields["alt_text"] for item in items if item.fields.get("alt_text")),
            image_urls=tuple(item.fields["image_url"] for item in items if item.fields.get("image_url")),
            timestamp=self.now + timedelta(seconds=len(self.live) + 1),
            link_attachment=fields.get("link_attachment"),
        )
        self.live.append(post)
        if self.publish_answer is not None:
            answer, self.publish_answer = self.publish_answer, None
            return answer
        return ok({"id": post.id})

    def used(self, *, replies: bool) -> int:
        given = self.reply_quota_usage if replies else self.quota_usage
        if given is not None:
            return given
        recent = [post for post in self.live if self.now - post.timestamp < timedelta(days=1)]
        return sum(1 for post in recent if (post.reply_to is not None) == replies)

    def limit(self, params: dict[str, str]) -> Response:
        allowed = {"quota_usage", "config"}
        if self.platform == "threads":
            allowed |= {"reply_quota_usage", "reply_config"}
        asked = self.fields(params, allowed)
        row: dict[str, Any] = {}
        if "quota_usage" in asked:
            row["quota_usage"] = self.used(replies=False)
        if "config" in asked:
            row["config"] = {"quota_total": self.api["quota"], "quota_duration": 86400}
        if "reply_quota_usage" in asked:
            row["reply_quota_usage"] = self.used(replies=True)
        if "reply_config" in asked:
            row["reply_config"] = {"quota_total": 1000, "quota_duration": 86400}
        return ok({"data": [row]})

    def entry(self, post: Live, asked: set[str]) -> dict[str, Any]:
        full = {
            "id": post.id,
            self.api["text"]: post.text,
            "timestamp": post.timestamp.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink": self.api["permalink"].format(code=f"C{post.id[-6:]}"),
        }
        if post.reply_to is not None:  # Threads replies: the parent and the top of the reply tree
            full["replied_to"] = {"id": post.reply_to}
            full["root_post"] = {"id": self.root(post)}
            full["is_reply"] = True
        return {name: value for name, value in full.items() if name in asked}

    def root(self, post: Live) -> str:
        """The top-level post of a reply's tree (a parent that is not live here is taken as the top)."""
        while post.reply_to is not None and (parent := self.find(post.reply_to)) is not None:
            post = parent
        return post.reply_to or post.id

    def listing(self, params: dict[str, str], edge: str, *, replies: bool) -> Response:
        text = self.api["text"]
        allowed = {"id", text, "timestamp", "permalink"}
        if replies:  # threads/retrieve-and-manage-replies: the fields of a reply
            allowed |= {"replied_to", "root_post", "is_reply"}
        asked = self.fields(params, allowed, {"id", text, "timestamp"})
        posts = [post for post in reversed(self.live) if (post.reply_to is not None) == replies]
        if self.platform == "instagram":
            posts = list(reversed(self.live))
        start = self.cursor_position(params, posts)
        page = posts[start : start + self.page_limit(params)]
        return ok(
            {
                "data": [self.entry(post, asked) for post in page],
                "paging": self.paging(params, edge, posts, page),
            }
        )

    def page_limit(self, params: dict[str, str]) -> int:
        """`limit`: Threads "default is 25 and maximum is 100" (threads/reference/user); an edge may
        also return fewer than asked (graph-api/results), which `page_cap` plays."""
        limit = int(params.get("limit", "25"))
        if limit < 0 or (self.platform == "threads" and limit > 100):
            raise Violation(f"limit {limit}: 0–100")
        return min(limit, self.page_cap) if self.page_cap else limit

    def cursor_position(self, params: dict[str, str], posts: list[Live]) -> int:
        """Where `after` points: the post after the one its cursor marks (cursors are opaque strings)."""
        if "before" in params and "after" in params:
            raise Violation("before and after cannot be passed at the same time")
        if "after" not in params:
            return 0
        marked = base64.urlsafe_b64decode(params["after"].encode()).decode()
        ids = [post.id for post in posts]
        if marked not in ids:
            raise Violation(f"after={params['after']} is not a cursor this edge gave out")
        return ids.index(marked) + 1

    def paging(
        self, params: dict[str, str], edge: str, posts: list[Live], page: list[Live]
    ) -> dict[str, Any]:
        """graph-api/results: cursors before/after, and `next` only while there is more."""
        if not page:
            return {}
        cursor = {
            name: base64.urlsafe_b64encode(post.id.encode()).decode()
            for name, post in (("before", page[0]), ("after", page[-1]))
        }
        found: dict[str, Any] = {"cursors": cursor}
        if posts.index(page[-1]) + 1 < len(posts):
            query = {**params, "after": cursor["after"], "access_token": self.token}
            query.pop("before", None)
            found["next"] = f"{self.api_url}/{self.api['user']}/{edge}?{urllib.parse.urlencode(query)}"
        return found

    def find(self, remote_id: str) -> Live | None:
        return next((post for post in self.live if post.id == remote_id), None)

    def media(self, post: Live, params: dict[str, str]) -> Response:
        asked = self.fields(params, {"id", "permalink", "timestamp", self.api["text"]})
        return ok(self.entry(post, asked | {"id"}))

    def delete(self, remote_id: str, params: dict[str, str]) -> Response:
        if self.platform == "instagram":
            raise Violation("the Instagram Graph API documents no DELETE for media")
        self.only(params, set())
        post = self.find(remote_id)
        if post is None:
            return meta_error(
                400,
                f"Unsupported delete request. Object with ID '{remote_id}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this "
                "operation.",
                100,
                33,
                type="GraphMethodException",
            )
        self.live.remove(post)
        return ok({"success": True, "deleted_id": remote_id})


def fake_for(httpserver, platform: str) -> MetaFake:
    return MetaFake(httpserver, platform, f"{TOKEN}{CANARY}")


def public_images(tmp_path: Path, server: MetaFake) -> list[Upload]:
    """The contract's two images as the pipeline hands them over: each with its URL on the Pages site
    (media_base_url + its path under publish/), and served there."""
    alts = PublisherContract.alts
    made = [
        Upload(jpeg(tmp_path / "kite.jpg"), alts[0], 800, 600, "image/jpeg", (0.5, 0.4)),
        Upload(
            jpeg(tmp_path / "riders.jpg", (600, 800), "darkorange"), alts[1], 600, 800, "image/jpeg", None
        ),
    ]
    return [
        replace(upload, public_url=server.serve(f"media/{upload.path.name}", upload.path.read_bytes()))
        for upload in made
    ]


class MetaContract(PublisherContract):
    """The contract with a MetaFake, shared by the Instagram and Threads test modules."""

    def settings(self, server: MetaFake) -> dict[str, Any]:
        return {
            "user_id": server.api["user"],
            "api_url": server.api_url,
            "media_base_url": server.media_base_url,
        }

    def credentials(self) -> dict[str, str]:
        return {"access_token": TOKEN}

    @pytest.fixture
    def server(self, httpserver):
        fake = fake_for(httpserver, self.platform)
        yield fake
        assert fake.violations == []

    @pytest.fixture
    def images(self, tmp_path: Path, server: MetaFake) -> list[Upload]:
        return public_images(tmp_path, server)

    # Meta says when to come back in whole minutes (estimated_time_to_regain_access), not seconds, so
    # the contract's "told 7 s, waits 7 s" becomes: told 1 minute, waits 60 s, then sends once.
    def test_rate_limit_waits_as_told_then_sends_once(self, server, connect, ledger, sleeps):
        server.rate_limit_next(60)
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published", outcome.message
        assert len(server.posts()) == 1
        assert sleeps.calls == [60]

    def test_a_longer_throttle_is_left_to_the_next_run(self, server, connect, ledger, sleeps):
        server.rate_limit_next(600)  # 10 minutes: more than a run waits for one part
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant, sleeps)
        assert outcome.status == "failed" and "will retry next run" in outcome.message
        record = ledger.read()[variant.key].last(1)
        assert not record.permanent and "[code " in (record.error or "")
        assert server.posts() == [] and sleeps.calls == []


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
        # the quota, the media check (HEAD), the container, its status, the publish, the permalink
        (container,) = server.created()
        user = server.api["user"]
        assert [(method, path) for method, path, _ in server.calls] == [
            ("GET", f"{user}/content_publishing_limit"),
            ("POST", f"{user}/media"),
            ("GET", container.id),
            ("POST", f"{user}/media_publish"),
            ("GET", post.id),
        ]
        assert server.media_requests == [("HEAD", f"/pages/media/{uploads[0].path.name}")]

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
        with pytest.raises(TransientError, match="not published at media_base_url yet") as raised:
            self.send(server, [missing])
        assert "answers 404" in str(raised.value) and raised.value.retry_after
        assert not any(method == "POST" for method, _, _ in server.calls)

    def test_a_url_that_serves_no_image_is_refused_before_asking_meta(self, server, uploads):
        page = replace(uploads[0], public_url=server.serve("index.html", b"<html></html>", "text/html"))
        with pytest.raises(TransientError, match="not an image"):
            self.send(server, [page])
        assert server.containers == {}

    def test_no_media_base_url_is_a_settings_problem(self, server, uploads):
        with pytest.raises(CredentialsError, match=r"settings\.media_base_url is required"):
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
    assert outcome.status == "failed" and "not published at media_base_url yet" in outcome.message
    assert "answers 404" in outcome.message and "will retry next run" in outcome.message
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
