"""Instagram's publisher and `verify`: media containers through the Graph API (graph.py), shared with
Threads as ContainerPublisher; how it behaves is in the package docstring (instagram/__init__.py).
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.robotparser import RobotFileParser

import httpx

from postwright.credentials import CredentialsError
from postwright.model import Variant
from postwright.platforms.contract import (
    CannotTell,
    Connection,
    CredentialCheck,
    PermanentError,
    Receipt,
    TransientError,
    UnexpectedAnswer,
    Upload,
)
from postwright.platforms.graph import TRANSIENT_CODES, GraphClient, parse_time
from postwright.platforms.instagram import API_URL, LOOKUP_DEPTH

# -- the Graph client's Instagram codes (Instagram, Threads) -----------------------------------------

# Instagram's business-use-case throttle (docs/graph-api/overview/rate-limiting), besides graph.py's codes.
_THROTTLE_CODES = frozenset({80002})
# Instagram "2207042: reached the maximum number of posts the Content Publishing API allows" (24 h).
_QUOTA_SUBCODES = frozenset({2207042})
# The Instagram error-codes reference (developers.facebook.com/documentation/instagram-platform/
# instagram-graph-api/reference/error-codes) answers "try again" with HTTP 400 and a negative code:
# -1 (2207001 server error, 2207032 create media failed, 2207053 unknown upload error) and -2 (2207003
# download timed out, 2207020 media expired: "generate a new container", as every send does). So a
# negative code is transient. Code 4 is throttling, except subcode 2207051: "We restrict certain
# activity to protect our community" (a spam restriction), which retrying every run will not lift.
_PERMANENT_SUBCODES = frozenset({2207051})
# The same "try again" subcodes where a container's status is ERROR ("… failed with error code N").
_RETRY_SUBCODES = frozenset({2207001, 2207003, 2207020, 2207032, 2207053})
_SUBCODE = re.compile(r"\b(2207\d{3})\b")

# Meta's crawler names itself so (developers.facebook.com/docs/sharing/webmasters/web-crawlers); a
# robots.txt or bot rule that refuses it is the usual cause of Instagram's error 2207052, "The media could
# not be fetched from this uri" (instagram-platform/instagram-graph-api/reference/error-codes).
META_CRAWLER = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
META_CRAWLER_TOKEN = "facebookexternalhit"  # its name in robots.txt User-agent lines
MEDIA_TIMEOUT = 30.0  # seconds for one image; Meta's own limit is unpublished (2207003: "takes too long")
MEDIA_WAIT = 300.0  # seconds: a Pages deploy usually lands within minutes; the next run tries again
# A list page's `limit`: Threads documents "default is 25 and maximum is 100" (threads/reference/user,
# GET /{threads-user-id}/threads); the IG User Media edge documents no maximum, and an edge may cap
# `limit` below what was asked (graph-api/results), so pages are followed by their links (graph.py).
PAGE_SIZE = 100
_POLLS = (1, 2, 4, 8, 15, 30, 60, 60, 60, 60)  # ≈5 minutes of container status checks, then give up


class InstagramGraph(GraphClient):
    """meta.GraphClient with the Instagram Platform's codes (used by Threads too): its business-use-case
    throttle and publishing-quota subcode are transient, a negative code is transient, a spam
    restriction permanent; codes in messages as [code N/subcode]."""

    transient_codes = TRANSIENT_CODES | _THROTTLE_CODES
    transient_subcodes = _QUOTA_SUBCODES
    permanent_subcodes = _PERMANENT_SUBCODES

    def transient(self, code: int, subcode: Any) -> bool:
        return code < 0 or super().transient(code, subcode)


# -- the container flow (Instagram, Threads) ----------------------------------------------------------


class ContainerPublisher:
    """Create a container (children first for a carousel), wait until it is processed, publish it.

    Subclasses name the platform's edges and fields. Not idempotent: Meta has no idempotency key, so
    a part whose answer was lost is looked up among the account's latest posts by its text.
    """

    idempotent = False
    title: ClassVar[str]
    default_api_url: ClassVar[str]
    default_user: ClassVar[str | None] = None  # None: settings.user_id is required
    container_edge: ClassVar[str]  # POST /{user}/<edge>: create a container; GET: recent posts
    publish_edge: ClassVar[str]
    limit_edge: ClassVar[str]
    status_field: ClassVar[str]
    text_field: ClassVar[str]

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.user = str(connection.setting("user_id") or self.default_user or connection.required("user_id"))
        token = connection.secrets["access_token"]
        self.client = InstagramGraph(
            connection, str(connection.setting("api_url") or self.default_api_url), token
        )
        # anonymous (no token, no cookies), as Meta's crawler fetches: checks what Meta will see
        self.media = httpx.Client(
            transport=connection.transport,
            timeout=MEDIA_TIMEOUT,
            follow_redirects=True,
            headers={"User-Agent": META_CRAWLER},
        )
        self.robots: dict[str, RobotFileParser | None] = {}  # robots.txt rules by site

    # -- the Publisher protocol --

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        uploads = self.connection.uploads(variant) if part == 1 else []
        self.check_quota(reply=reply_to is not None)
        self.check_media(uploads)
        creation_id = self.create(variant, part, reply_to, uploads)
        published = self.client.post(f"{self.user}/{self.publish_edge}", creation_id=creation_id)
        media_id = published.get("id")
        if not media_id:  # accepted, so probably live: the next run finds it by its text
            raise UnexpectedAnswer(f"{self.title} published container {creation_id} but sent no post id")
        return Receipt(str(media_id), self.permalink(str(media_id)))

    def find_sent(self, variant: Variant | None, part: int, key: str) -> Receipt | None:
        if variant is None:
            raise CannotTell(
                f"{self.title} posts can only be recognised by their text, which a retract does not "
                f"have: check the account by hand"
            )
        wanted = variant.parts[part - 1].strip()
        for item in self.latest(reply=part > 1):  # newest first: the newest holding the text
            if str(item.get(self.text_field) or "").strip() == wanted:
                return Receipt(str(item["id"]), str(item.get("permalink") or ""))
        return None

    def delete(self, remote_id: str) -> None:
        raise NotImplementedError

    # -- steps --

    def lookup_depth(self) -> int:
        """How many of the account's latest posts (or replies) find_sent reads: settings.lookup_depth."""
        return max(1, int(self.connection.setting("lookup_depth", LOOKUP_DEPTH)))

    def latest(self, *, reply: bool = False) -> list[dict[str, Any]]:
        """The account's latest `lookup_depth` posts (replies), newest first, read page by page."""
        return list(self.recent(reply=reply, depth=self.lookup_depth()))

    def recent(self, *, reply: bool = False, depth: int = LOOKUP_DEPTH) -> Iterator[dict[str, Any]]:
        """The account's latest `depth` posts, newest first (GET /{user}/<container edge>)."""
        fields = f"id,{self.text_field},timestamp,permalink"
        return self.client.listing(f"{self.user}/{self.container_edge}", depth, PAGE_SIZE, fields=fields)

    def check_quota(self, *, reply: bool = False) -> None:
        """Stop before creating anything when the rolling 24-hour publishing quota is used up."""
        usage_field, config_field = self.quota_fields(reply)
        answer = self.client.get(f"{self.user}/{self.limit_edge}", fields=f"{usage_field},{config_field}")
        rows = answer.get("data") or [{}]
        usage, config = rows[0].get(usage_field), rows[0].get(config_field) or {}
        total, duration = config.get("quota_total"), config.get("quota_duration") or 86400
        if not isinstance(usage, int) or not isinstance(total, int) or usage < total:
            return
        wait = self.quota_frees(total, float(duration), reply)
        when = (self.connection.clock() + timedelta(seconds=wait)).astimezone(UTC)
        kind = "replies" if reply else "posts"
        raise TransientError(
            f"{self.title}'s publishing limit is used up ({usage} of {total} {kind} in "
            f"{float(duration) / 3600:g} h); it frees at about {when:%Y-%m-%d %H:%M} UTC and the post is "
            f"sent on a run after that",
            wait,
        )

    def quota_fields(self, reply: bool) -> tuple[str, str]:
        return "quota_usage", "config"

    def quota_frees(self, total: int, duration: float, reply: bool) -> float:
        """Seconds until the oldest of the last `total` posts leaves the window: an estimate (at most
        one page of posts; posts made in the app are listed too), the whole window when they cannot
        be listed. The quota is asked again on every run, so an early estimate costs one request."""
        try:
            listed = self.recent(reply=reply, depth=min(total, PAGE_SIZE))
            stamps = [parse_time(item.get("timestamp")) for item in listed]
        except (TransientError, PermanentError, CredentialsError, UnexpectedAnswer):
            return duration
        now = self.connection.clock()
        inside = [when for when in stamps if when is not None and (now - when).total_seconds() < duration]
        if not inside:
            return duration
        return max(60.0, (min(inside) - now).total_seconds() + duration)

    def check_media(self, uploads: Sequence[Upload]) -> None:
        """Meta fetches each image from its URL: fetch each one first as Meta's crawler will, so that a
        URL it cannot read fails here, named, before any container exists (Meta would answer 2207052)."""
        for upload in uploads:
            if not upload.public_url:
                raise CredentialsError(
                    f"account {self.connection.account}: {self.title} fetches images from a public URL: "
                    f"set media.host in config.yml (a bucket the publish step uploads to) or "
                    f"settings.media_base_url (where publish/ is served, e.g. the repository's Pages site)"
                )
            problem = self.probe(upload)
            if problem:
                raise TransientError(
                    f"Meta cannot fetch image {_shown(upload.public_url)}: it {problem}; nothing was "
                    f"created on {self.title}, tried again on the next run",
                    MEDIA_WAIT,
                    refused=True,
                )

    def probe(self, upload: Upload) -> str | None:
        """None when an anonymous GET as Meta's crawler answers 200 with an image of exactly the
        rendition's bytes; else what is wrong, in words that say the fix."""
        url = str(upload.public_url)
        refusal = self.robots_refusal(url)
        if refusal:
            return refusal
        try:
            response = self.media.get(url)
        except httpx.TimeoutException:
            return f"timed out after {MEDIA_TIMEOUT:g} s (Meta gives up too: error 2207003)"
        except httpx.HTTPError as error:
            return f"does not answer ({type(error).__name__})"
        status = response.status_code
        if status in (401, 403):
            return (
                f"answers {status} to Meta's crawler: a bot rule, a firewall or a private bucket refuses it "
                "(the usual cause of Instagram's error 2207052)"
            )
        if status == 404:
            return "answers 404: it is not there yet (a Pages deploy may lag behind the commit)"
        if status != 200:
            return f"answers {status}"
        kind = response.headers.get("content-type", "")
        if not kind.lower().startswith("image/"):
            return f"is served as {kind or 'no content type'}, not as an image"
        if hashlib.sha256(response.content).hexdigest() != _sha256(upload.path):
            return (
                "serves other bytes than the post's image (an older deploy, or a CDN that recompresses "
                "images)"
            )
        return None

    def robots_refusal(self, url: str) -> str | None:
        """What the site's robots.txt says to Meta's crawler about `url` (read once per site a run);
        no robots.txt, or one that cannot be read, allows everything."""
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            rules: RobotFileParser | None = None
            try:
                answer = self.media.get(f"{origin}/robots.txt")
            except httpx.HTTPError:
                answer = None
            if (
                answer is not None
                and answer.status_code == 200
                and "text/plain" in answer.headers.get("content-type", "")
            ):
                rules = RobotFileParser()
                rules.parse(answer.text.splitlines())
            self.robots[origin] = rules
        rules = self.robots[origin]
        if rules is not None and not rules.can_fetch(META_CRAWLER_TOKEN, url):
            return f"is disallowed for {META_CRAWLER_TOKEN} by {origin}/robots.txt (Meta's error 2207052)"
        return None

    def create(self, variant: Variant, part: int, reply_to: Receipt | None, uploads: Sequence[Upload]) -> str:
        raise NotImplementedError

    def container(self, **fields: Any) -> str:
        """POST /{user}/<container edge>; returns the container id once it is ready to publish."""
        given = {name: value for name, value in fields.items() if value not in (None, "")}
        creation_id = str(self.client.post(f"{self.user}/{self.container_edge}", **given)["id"])
        self.wait_ready(creation_id)
        return creation_id

    def wait_ready(self, creation_id: str) -> None:
        """Poll GET /{container-id} until FINISHED: ERROR is permanent, EXPIRED and a timeout transient."""
        for pause in (*_POLLS, None):
            answer = self.client.get(creation_id, fields=self.status_fields())
            status = str(answer.get(self.status_field) or "")
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status == "ERROR":
                reason = str(answer.get("error_message") or answer.get("status") or "no reason given")
                problem = f"{self.title} could not process container {creation_id}: {reason}"
                if {int(code) for code in _SUBCODE.findall(reason)} & _RETRY_SUBCODES:
                    raise TransientError(f"{problem} (Meta says: try again with a new container)")
                raise PermanentError(problem)
            if status == "EXPIRED":
                raise TransientError(f"{self.title} container {creation_id} expired before it was published")
            if pause is None:
                break
            self.connection.sleep(pause)
        raise TransientError(f"{self.title} is still processing container {creation_id} after 5 minutes")

    def status_fields(self) -> str:
        return self.status_field

    def permalink(self, media_id: str) -> str:
        """The post's public URL; empty when it cannot be read (the post is out all the same)."""
        try:
            return str(self.client.get(media_id, fields="permalink").get("permalink") or "")
        except (TransientError, PermanentError, CredentialsError, UnexpectedAnswer):
            return ""

    # -- doctor --

    def check_credentials(self) -> CredentialCheck:
        """Who the token posts as, then when it expires (GET /debug_token on itself)."""
        try:
            me = self.client.get(self.user, fields="id,username")
        except (CredentialsError, PermanentError, UnexpectedAnswer) as error:
            return CredentialCheck(False, f"token rejected: {error}")
        name = me.get("username")
        who = f"valid (posting as @{name})" if name else f"valid (user {me.get('id', self.user)})"
        return self.expiry(who)

    def expiry(self, who: str) -> CredentialCheck:
        """debug_token's expires_at and data_access_expires_at (0: never); unknown when it cannot be
        asked (docs/graph-api/reference/debug_token, threads/troubleshooting/debug-access-token)."""
        token = self.connection.secrets["access_token"]
        try:
            data = self.client.get("debug_token", input_token=token).get("data") or {}
        except (CredentialsError, PermanentError, TransientError, UnexpectedAnswer) as error:
            return CredentialCheck(True, f"{who}; expiry unknown (debug_token: {error})")
        if data.get("is_valid") is False:
            return CredentialCheck(False, "token rejected: debug_token says it is not valid")
        moments = [
            datetime.fromtimestamp(value, UTC)
            for value in (data.get("expires_at"), data.get("data_access_expires_at"))
            if isinstance(value, int | float) and value > 0
        ]
        if not moments:
            return CredentialCheck(True, f"{who}; does not expire")
        return CredentialCheck(True, who, min(moments))


# -- Instagram ----------------------------------------------------------------------------------------


class InstagramPublisher(ContainerPublisher):
    """Instagram Graph API with Facebook Login (graph.facebook.com; graph.instagram.com for Instagram
    Login via settings.api_url). An image post: one container with image_url, caption and alt_text; a
    carousel: children with is_carousel_item=true, then a CAROUSEL container listing them."""

    title = "Instagram"
    default_api_url = API_URL
    container_edge = "media"  # docs: reference/ig-user/media (POST creates, GET lists)
    publish_edge = "media_publish"  # docs: reference/ig-user/media_publish
    limit_edge = "content_publishing_limit"  # docs: reference/ig-user/content_publishing_limit
    status_field = "status_code"  # docs: reference/ig-container: EXPIRED ERROR FINISHED IN_PROGRESS PUBLISHED
    text_field = "caption"

    def status_fields(self) -> str:
        return "status_code,status"  # `status` carries the error subcode when status_code is ERROR

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        # Instagram has no threads (max_thread_parts 1: build joins the parts). A config that allows
        # more would post part 1 and fail part 2 (a caption needs an image), so refuse before any.
        if len(variant.parts) != 1:
            raise PermanentError(f"Instagram has no threads: this post has {len(variant.parts)} parts")
        return super().send(variant, part, reply_to, key)

    def create(self, variant: Variant, part: int, reply_to: Receipt | None, uploads: Sequence[Upload]) -> str:
        caption = variant.parts[part - 1]
        if not uploads:
            raise PermanentError("Instagram publishes images only and this post has none: add an image")
        if len(uploads) == 1:
            (upload,) = uploads
            return self.container(image_url=upload.public_url, caption=caption, alt_text=upload.alt)
        children = [
            # alt_text: "for image posts" since 2025-03-24 (content-publishing); a carousel item is one
            self.container(image_url=upload.public_url, is_carousel_item="true", alt_text=upload.alt)
            for upload in uploads
        ]
        return self.container(media_type="CAROUSEL", children=",".join(children), caption=caption)

    def delete(self, remote_id: str) -> None:
        # The IG Media reference (docs/instagram-platform/reference/instagram-media, v21.0) documents
        # reading and updating (comment_enabled) only: the API cannot delete a published post.
        raise PermanentError(
            f"Instagram's API cannot delete posts: delete post {remote_id} by hand in the Instagram app "
            f"(its link is in the ledger and in `postwright plan`)"
        )


def _shown(url: str) -> str:
    """A URL for messages and the ledger: without a presigned URL's query (its signature and key id)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((*parts[:3], "…" if parts.query else "", ""))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(connection: Connection) -> CredentialCheck:
    # where images are fetched from (media.host or settings.media_base_url) is `check`'s PW041
    return InstagramPublisher(connection).check_credentials()
