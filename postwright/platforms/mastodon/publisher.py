"""Mastodon's publisher and `verify`: the statuses API over httpx, with Idempotency-Key; how it behaves is
in the package docstring (mastodon/__init__.py), which declares the platform.
"""

from __future__ import annotations

import html
import re
import unicodedata
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from postwright import text
from postwright.credentials import CredentialsError
from postwright.model import Variant
from postwright.platforms.contract import (
    CannotTell,
    Connection,
    CredentialCheck,
    PermanentError,
    Receipt,
    TransientError,
    Upload,
)
from postwright.platforms.http_client import ApiClient, retry_after_header
from postwright.platforms.mastodon import PAGE_SIZE

_MEDIA_POLLS = 12  # GET /api/v1/media/:id until processed: 1+2+4+8×9 s ≈ 80 s at most
_MEDIA_POLL_MAX = 8.0
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w+")
_STATUS_ID = re.compile(r"/(?:posts|statuses|@[^/]+)/(\d+)/?$")  # the id in a status's link
_REMOTE_MENTION = re.compile(r"@(\w+)@[\w.-]*\w")  # shown as @user (PLATFORMS.md: counted so too)


@dataclass(frozen=True, slots=True)
class InstanceLimits:
    """What the server says it accepts: GET /api/v2/instance configuration.statuses."""

    max_characters: int = 500
    max_media: int = 4
    url_length: int = 23


class MastodonPublisher:
    """Posts statuses (and thread replies) with the account's token; see the package docstring."""

    idempotent = False  # Idempotency-Key lives one hour; a crash may be settled later (package docstring)

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.instance = str(connection.required("instance")).rstrip("/")
        token = connection.secrets["access_token"]
        self.api = ApiClient(
            connection,
            self.instance,
            headers={"Authorization": f"Bearer {token}"},
            retry_after=self._retry_after,
        )
        self._account: dict[str, Any] | None = None
        self._limits: InstanceLimits | None = None

    # -- sending -----------------------------------------------------------------------------------

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        status_text = variant.parts[part - 1]
        uploads = self.connection.uploads(variant) if part == 1 else []  # images go with the first part
        if self.connection.setting("check_instance_limits", False):
            self._check_limits(status_text, len(uploads))
        media_ids = [self._upload(upload) for upload in uploads]
        body: dict[str, Any] = {"status": status_text, "language": variant.lang}
        if media_ids:
            body["media_ids"] = media_ids
        if reply_to is not None:
            body["in_reply_to_id"] = reply_to.remote_id
        visibility = self.connection.setting("visibility")
        if visibility:
            body["visibility"] = str(visibility)
        # content/en/methods/statuses.md: POST /api/v1/statuses, header Idempotency-Key
        response = self.api.request("POST", "/api/v1/statuses", json=body, headers={"Idempotency-Key": key})
        return _receipt(response.json())

    def _upload(self, upload: Upload) -> str:
        """POST /api/v2/media: 200 when processed, 202 (url null) when the server processes it later
        (content/en/methods/media.md; OpenAPI createMediaV2 "4.0.0 - … video, gifv, audio … 202")."""
        fields: dict[str, str] = {}
        if upload.alt:
            fields["description"] = upload.alt
        if upload.focus is not None:
            fields["focus"] = mastodon_focus(upload.focus)
        files = {"file": (upload.path.name, upload.path.read_bytes(), upload.mime)}
        response = self.api.request("POST", "/api/v2/media", data=fields, files=files)
        media = response.json()
        if response.status_code == 202:
            self._wait_until_processed(str(media["id"]))
        return str(media["id"])

    def _wait_until_processed(self, media_id: str) -> None:
        """GET /api/v1/media/:id answers 206 Partial Content while processing, 200 when done
        (OpenAPI getMedia); waits with the injected sleep, doubling up to 8 s."""
        delay, waited = 1.0, 0.0
        for _ in range(_MEDIA_POLLS):
            self.connection.sleep(delay)
            waited += delay
            response = self.api.request("GET", f"/api/v1/media/{_quote(media_id)}")
            if response.status_code == 200 and response.json().get("url"):
                return
            delay = min(delay * 2, _MEDIA_POLL_MAX)
        raise TransientError(f"{self.instance}: media {media_id} still processing after {waited:.0f} s")

    def _check_limits(self, status_text: str, media: int) -> None:
        """The account asked for it (`check_instance_limits`): refuse before uploading anything (the
        runner names the part)."""
        limits = self.instance_limits()
        count = text.mastodon_length(status_text, url_length=limits.url_length)
        if count > limits.max_characters:
            raise PermanentError(f"{count} characters where {self.instance} allows {limits.max_characters}")
        if media > limits.max_media:
            raise PermanentError(f"{media} images where {self.instance} allows {limits.max_media}")

    def instance_limits(self) -> InstanceLimits:
        """configuration.statuses from GET /api/v2/instance (Mastodon 4.0+), read once per run
        (documentation content/en/entities/Instance.md @2903485)."""
        if self._limits is None:
            statuses = self.api.request("GET", "/api/v2/instance").json().get("configuration", {})
            statuses = statuses.get("statuses", {})
            default = InstanceLimits()
            self._limits = InstanceLimits(
                int(statuses.get("max_characters", default.max_characters)),
                int(statuses.get("max_media_attachments", default.max_media)),
                int(statuses.get("characters_reserved_per_url", default.url_length)),
            )
        return self._limits

    def reply_target(self, url: str) -> Receipt:
        """The status at `url` as this server knows it: GET /api/v2/search with resolve=true and
        type=statuses, which fetches a remote one from its server (content/en/methods/search.md; the
        read:search scope); where that finds nothing, the id in the link, when this server's status with
        that id has exactly that link (a server that resolves links only by fetching them, as Takahē
        does, and cannot fetch its own)."""
        params = {"q": url, "type": "statuses", "resolve": "true", "limit": "1"}
        statuses = self.api.request("GET", "/api/v2/search", params=params).json().get("statuses") or []
        found = statuses[0] if statuses and isinstance(statuses[0], dict) and "id" in statuses[0] else None
        local_id = _STATUS_ID.search(url)
        if found is None and local_id is not None:
            path = f"/api/v1/statuses/{_quote(local_id.group(1))}"
            status = self.api.request("GET", path, ok=(404,))
            if status.is_success and status.json().get("url") == url:
                found = status.json()
        if found is None:
            raise PermanentError(f"{self.instance} cannot find the status {url} (deleted, or not public)")
        return Receipt(str(found["id"]), str(found.get("url") or url))

    # -- settling a crash --------------------------------------------------------------------------

    def find_sent(self, variant: Variant | None, part: int, key: str) -> Receipt | None:
        """The status this part became, if it is among the account's latest statuses: the same text,
        and the same place in the thread (part 1 replies to nothing, or to some status where the post has
        `in_reply_to:`; part k replies to a status whose text is part k-1). Mastodon cannot be asked by
        Idempotency-Key, so text is all there is."""
        if variant is None:
            raise CannotTell("a Mastodon status is found by its text, and the ledger keeps no text")
        wanted = _normal(variant.parts[part - 1])
        before = _normal(variant.parts[part - 2]) if part > 1 else None
        sources: dict[str, str] = {}
        for status in self._latest_statuses():
            replies_to = status.get("in_reply_to_id")
            answers = before is not None or (part == 1 and bool(variant.in_reply_to))
            if (replies_to is not None) != answers or not _may_hold(status, wanted):
                continue
            if self._text_of(status, sources) != wanted:
                continue
            if before is not None and self._text_of({"id": replies_to}, sources) != before:
                continue
            return _receipt(status)
        return None

    def _latest_statuses(self) -> Iterator[dict[str, Any]]:
        """The account's statuses, newest first, at most `lookup_depth` (boosts left out)."""
        depth = max(1, int(self.connection.setting("lookup_depth", 2 * PAGE_SIZE)))
        path = f"/api/v1/accounts/{_quote(str(self.account()['id']))}/statuses"
        max_id: str | None = None
        seen = 0
        while seen < depth:
            params: dict[str, Any] = {"limit": min(PAGE_SIZE, depth - seen), "exclude_reblogs": "true"}
            if max_id:
                params["max_id"] = max_id
            page = self.api.request("GET", path, params=params).json()
            if not page:
                return
            yield from page
            seen += len(page)
            max_id = str(page[-1]["id"])

    def _text_of(self, status: dict[str, Any], sources: dict[str, str]) -> str | None:
        """The plain text a status was created with: GET /api/v1/statuses/:id/source (Mastodon 3.5+;
        StatusSource.text), once per status. Never a list answer's `text`: Mastodon sends it only for a
        deleted status (entities/Status.md), and Takahē fills it with the HTML content, which is not the
        text that was sent (so a part that went out would not be found, and would go out again).
        A 404 is a server without /source (Mastodon before 3.5, some forks) or a status deleted
        meanwhile: either way the text is unknown, and taking it for "not this status" would send the
        part again, so the runner is told it cannot tell."""
        status_id = str(status["id"])
        if status_id not in sources:
            response = self.api.request("GET", f"/api/v1/statuses/{_quote(status_id)}/source", ok=(404,))
            if not response.is_success:
                raise CannotTell(
                    f"the server answered 404 to GET /api/v1/statuses/{status_id}/source (a server without "
                    "it: Mastodon before 3.5 or a fork), so whether this part went out cannot be told; "
                    "look at the account's latest posts"
                )
            sources[status_id] = _normal(response.json().get("text", ""))
        return sources[status_id]

    def account(self) -> dict[str, Any]:
        """GET /api/v1/accounts/verify_credentials: whose token this is (read once)."""
        if self._account is None:
            self._account = self.api.request("GET", "/api/v1/accounts/verify_credentials").json()
        return self._account

    # -- retracting --------------------------------------------------------------------------------

    def delete(self, remote_id: str) -> None:
        """DELETE /api/v1/statuses/:id; 404 means it is already gone (content/en/methods/statuses.md)."""
        if not remote_id:
            raise PermanentError("no status id was recorded for this part; delete it by hand")
        self.api.request("DELETE", f"/api/v1/statuses/{_quote(remote_id)}", ok=(404,))

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Retry-After where a proxy sends one; Mastodon itself sends X-RateLimit-Reset as an ISO 8601
        time (mastodon config/initializers/rack_attack.rb throttled_responder; documentation
        content/en/api/rate-limits.md), measured here against the injected clock."""
        if response.headers.get("retry-after"):
            return retry_after_header(response)
        reset = response.headers.get("x-ratelimit-reset", "")
        try:
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return retry_after_header(response)  # absent, or epoch seconds as other servers send
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - self.connection.clock()).total_seconds())


def mastodon_focus(focus: tuple[float, float]) -> str:
    """Front matter's focus (x, y in 0..1 from the top left) as Mastodon's "x,y" in -1..1 from the
    centre with y pointing up (documentation content/en/api/guidelines.md "Focal points")."""

    def clamp(value: float) -> float:
        return min(1.0, max(-1.0, value)) + 0.0  # + 0.0 turns -0.0 into 0.0

    x, y = focus
    return f"{clamp(2 * x - 1):.2f},{clamp(1 - 2 * y):.2f}"


def verify(connection: Connection) -> CredentialCheck:
    """Whose token this is, without posting (GET /api/v1/accounts/verify_credentials)."""
    try:
        publisher = MastodonPublisher(connection)
        account = publisher.account()
    except CredentialsError as error:
        return CredentialCheck(False, f"token rejected or missing: {error}")
    except (PermanentError, TransientError) as error:
        return CredentialCheck(False, str(error))
    host = urllib.parse.urlsplit(publisher.instance).netloc or publisher.instance
    return CredentialCheck(True, f"valid (posting as @{account.get('acct', '?')} on {host})")


def _receipt(status: dict[str, Any]) -> Receipt:
    """Status.url is the HTML page; uri (always present) where a server leaves url null."""
    return Receipt(str(status["id"]), str(status.get("url") or status.get("uri") or ""))


def _may_hold(status: dict[str, Any], wanted: str) -> bool:
    """Whether a status's HTML `content` can be `wanted`, compared by its letters only, so the source of
    a status is fetched just for likely matches (not 80 requests after a 429). Loose on purpose: the
    server links URLs and tags, may normalise Unicode, and shows a remote mention @user@domain as @user
    where it resolved the account but keeps @user@domain as plain text where it could not, so both
    sides are compared with remote mentions shortened (either form, or a mix, matches); the exact test
    is the source text."""
    content = status.get("content")
    if not isinstance(content, str):
        return True
    shown = html.unescape(_TAG.sub("", content))  # a link's text is split over spans: join, not space
    return _letters(_short_mentions(shown)) == _letters(_short_mentions(wanted))


def _short_mentions(value: str) -> str:
    return _REMOTE_MENTION.sub(r"@\1", value)


def _letters(value: str) -> str:
    """The word characters alone: markup, spacing and line breaks are the server's to change."""
    return "".join(_WORD.findall(unicodedata.normalize("NFKC", value).casefold()))


def _normal(value: str) -> str:
    return value.replace("\r\n", "\n").strip()


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")
