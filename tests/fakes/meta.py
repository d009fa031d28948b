"""Meta's Graph API played on a local pytest-httpserver, shared by the Instagram, Threads and doctor tests.

`MetaFake` plays one Instagram (or Threads) account: containers, their processing status, publishing,
the publishing quota, recent posts, permalinks, debug_token, Meta's error shapes; and, under /pages/, the
site media_base_url points at, which Meta "cURLs" the images from. A request that breaks the documented
shape is answered with an error and recorded; each test ends by asserting there were none. `MetaContract`
runs the shared publisher contract against it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import math
import re
import urllib.parse
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from werkzeug import Request, Response

from postwright.platforms.contract import Upload
from postwright.platforms.instagram.publisher import META_CRAWLER
from tests.contract import CANARY, PublisherContract, SentPost, jpeg

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
    fetched: dict[str, str] = field(default_factory=dict)  # URL -> sha256 of what Meta got from it
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
        if request.path.startswith("/pages/") or request.path == "/robots.txt":
            return self.pages(request)
        try:
            return self.route(request)
        except Violation as problem:
            self.violations.append(f"{request.method} {request.path}: {problem}")
            return meta_error(400, f"fake server: {problem}", 100, type="GraphMethodException")

    def pages(self, request: Request) -> Response:
        self.media_requests.append((request.method, request.path))
        if request.headers.get("User-Agent") != META_CRAWLER:
            self.violations.append(f"{request.path} was fetched as {request.headers.get('User-Agent')}")
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
        """Meta downloads the image: it must be on the public site, as an image; a URL elsewhere (a
        bucket) is really fetched, anonymously as Meta's crawler, and must be a whole JPEG."""
        if not url:
            return False
        if not url.startswith(self.media_base_url + "/"):
            return self.fetch(url)
        found = self.files.get(urllib.parse.urlsplit(url).path)
        return found is not None and found[1].startswith("image/")

    def fetch(self, url: str) -> bool:
        """GET `url` as Meta's crawler does; its bytes' sha256 is kept in `fetched` for the test."""
        answer = httpx.get(url, headers={"User-Agent": META_CRAWLER}, timeout=10)
        kind = answer.headers.get("content-type", "")
        if answer.status_code != 200 or kind != "image/jpeg":  # Instagram takes JPEG only
            return False
        try:
            with Image.open(io.BytesIO(answer.content)) as image:
                image.load()  # a truncated download fails here
        except OSError:
            return False
        self.fetched[url] = hashlib.sha256(answer.content).hexdigest()
        return True

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
