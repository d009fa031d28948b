"""TikTok's publisher and `verify`: photo posts through the Content Posting API over httpx; how it behaves
is in the package docstring (tiktok/__init__.py), which declares the platform.

References (developers.tiktok.com/doc/…): content-posting-api-reference-photo-post (init),
content-posting-api-reference-get-video-status (status), content-posting-api-reference-query-creator-info,
tiktok-api-v2-error-handling (the error struct {code, message, log_id} and its HTTP statuses).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from postwright.credentials import CredentialsError, redact
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

# TikTok's answers carry their error struct as {"error": {code, message, log_id}}, the envelope Meta's
# graph_error reads
from postwright.platforms.graph import graph_error as _error
from postwright.platforms.http_client import ApiClient, retry_after_header

INIT = "/v2/post/publish/content/init/"
STATUS = "/v2/post/publish/status/fetch/"
CREATOR_INFO = "/v2/post/publish/creator_info/query/"
USER_INFO = "/v2/user/info/"  # Display API, scope user.info.basic: who a video.upload-only token is
# photo post reference: "Each user access_token is limited to six requests per minute" (init)
INITS_PER_MINUTE = 6
# A 429 says nothing of when to come back (error-handling: rate_limit_exceeded, no header documented):
# the limits are per minute, so a minute.
RATE_WINDOW = 60.0
# Status fetch allows 30 requests a minute: these pauses stay under it and give up after ≈5 minutes
# (moderation "usually finishes within one minute", get-video-status).
_POLLS = (2, 3, 5, 10, 15, 30, 60, 60, 60, 60)
_DONE = {"MEDIA_UPLOAD": "SEND_TO_USER_INBOX", "DIRECT_POST": "PUBLISH_COMPLETE"}
# get-video-status fail_reason values worth another try on a later run: nothing was created
_RETRY_REASONS = frozenset({"internal", "photo_pull_failed", "spam_risk_too_many_posts"})
# error codes (error-handling and the photo post reference's error table) that a later run may not meet
_TRANSIENT_CODES = frozenset({"rate_limit_exceeded", "spam_risk_too_many_posts", "reached_active_user_cap"})
# codes that no retry and no setting fixes for this post (a 403, which would otherwise read as setup)
_PERMANENT_CODES = frozenset({"privacy_level_option_mismatch", "spam_risk_user_banned_from_posting"})
# codes fixed in the app's or the account's setup, not in the post
_SETUP_CODES = frozenset(
    {
        "access_token_invalid",
        "scope_not_authorized",
        "scope_permission_missed",
        "url_ownership_unverified",
        "unaudited_client_can_only_post_to_private_accounts",
    }
)


def _message(response: httpx.Response) -> str:
    """The error as TikTok words it ("code: message"), else the body's start."""
    error = _error(response)
    if not error:
        return response.text[:300].strip() or response.reason_phrase
    return f"{error.get('code', '?')}: {error.get('message') or 'no message'}"


def _retry_after(response: httpx.Response) -> float | None:
    return retry_after_header(response) or RATE_WINDOW


class TikTokClient(ApiClient):
    """ApiClient with TikTok's error codes: a daily cap and a rate limit are transient whatever their HTTP
    status, a setup problem (token, scope, unverified URL prefix, unaudited app) is fixed in settings."""

    def __init__(self, connection: Connection, base_url: str, token: str = "") -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        super().__init__(
            connection, base_url, headers=headers, retry_after=_retry_after, error_message=_message
        )

    def error_for(self, response: httpx.Response) -> Exception:
        code = str(_error(response).get("code", ""))
        where = f"{response.request.method} {response.request.url.path}"
        message = redact(f"{where}: {response.status_code} {_message(response)}")
        if code in _TRANSIENT_CODES:
            return TransientError(message, _retry_after(response), refused=True)
        if code in _SETUP_CODES:
            return CredentialsError(f"{message}{_SETUP_HINTS.get(code, '')}")
        if code in _PERMANENT_CODES:
            return PermanentError(message)
        return super().error_for(response)

    def call(self, path: str, body: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
        """POST a JSON body; the answer's `data`, once its error code says ok."""
        headers = {"Content-Type": "application/json; charset=UTF-8"}
        response = self.request("POST", path, json=body or {}, headers=headers, **options)
        return _data(response)


_SETUP_HINTS = {
    "url_ownership_unverified": " (verify the domain or URL prefix of media_base_url in the TikTok developer "
    "app: TikTok pulls images only from verified ones)",
    "unaudited_client_can_only_post_to_private_accounts": " (an app TikTok has not audited posts privately "
    "to private accounts only: have the brand's own app audited, or use post_mode MEDIA_UPLOAD)",
}


def _data(response: httpx.Response) -> dict[str, Any]:
    """`data` of a 2xx answer whose error.code is ok; an answer without it is unexpected."""
    error = _error(response)
    if error and error.get("code") not in (None, "", "ok"):
        raise PermanentError(redact(f"TikTok answered {response.status_code} with {_message(response)}"))
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        data = None
    if not isinstance(data, dict):
        raise UnexpectedAnswer(f"TikTok answered {response.status_code} without data")
    return data


class TikTokPublisher:
    """Photo posts: a draft in the creator's inbox (MEDIA_UPLOAD) or a direct post (DIRECT_POST).
    Not idempotent, and a lost answer cannot be looked up: see the package docstring."""

    idempotent = False

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.mode = str(connection.setting("post_mode"))
        if self.mode not in _DONE:
            raise CredentialsError(
                f"account {connection.account}: settings.post_mode {self.mode!r} is not MEDIA_UPLOAD or "
                f"DIRECT_POST"
            )
        self.client = TikTokClient(
            connection, str(connection.setting("api_url")), connection.secrets["access_token"]
        )
        self.inits: deque[datetime] = deque(maxlen=INITS_PER_MINUTE)  # when this run sent each init

    # -- send -----------------------------------------------------------------------------------

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        if len(variant.parts) != 1:  # build joins parts where max_thread_parts is 1; refuse before sending
            raise PermanentError(f"TikTok has no threads: this post has {len(variant.parts)} parts")
        urls = self.image_urls(self.connection.uploads(variant))
        creator = self.creator_for(variant)
        body = {
            "media_type": "PHOTO",
            "post_mode": self.mode,
            "post_info": self.post_info(variant),
            "source_info": {
                "source": "PULL_FROM_URL",
                "photo_cover_index": 0,  # the post's first image is its cover
                "photo_images": urls,
            },
        }
        self.wait_for_init_slot()
        publish_id = str(self.client.call(INIT, body).get("publish_id") or "")
        if not publish_id:
            raise UnexpectedAnswer("TikTok accepted the post but sent no publish_id: check the account")
        return self.wait_done(publish_id, str(creator.get("creator_username") or ""))

    def image_urls(self, uploads: Sequence[Upload]) -> list[str]:
        """The images' public URLs: TikTok pulls each one itself."""
        if not uploads:  # limits.requires_media: check reports PW410 before this
            raise PermanentError("a TikTok photo post needs an image: this post has none for TikTok")
        if len(uploads) > 35:  # limits.max_media: check reports it before this
            raise PermanentError(f"a TikTok photo post takes up to 35 images, not {len(uploads)}")
        if any(not upload.public_url for upload in uploads):
            raise CredentialsError(
                f"account {self.connection.account}: TikTok pulls images from a public URL on a domain or "
                f"URL prefix verified in the TikTok app: set media.host with public_base_url on that domain, "
                f"or settings.media_base_url (docs/platforms.md, TikTok)"
            )
        return [str(upload.public_url) for upload in uploads]

    def creator_for(self, variant: Variant) -> dict[str, Any]:
        """A direct post's creator info, its privacy_level checked against the creator's options; a draft
        needs none (and its token may lack video.publish, which the query needs)."""
        if self.mode != "DIRECT_POST":
            return {}
        if not variant.privacy_level:
            raise PermanentError(
                "post_mode DIRECT_POST posts only what says who may see it: add privacy_level to the post's "
                "front matter (overrides: {tiktok: {privacy_level: PUBLIC_TO_EVERYONE}}), or use MEDIA_UPLOAD"
            )
        creator = self.client.call(CREATOR_INFO)
        options = [str(option) for option in creator.get("privacy_level_options") or []]
        if variant.privacy_level not in options:
            raise PermanentError(
                f"privacy_level {variant.privacy_level} is not one this TikTok creator may use now "
                f"({', '.join(options) or 'none'}): change the post's privacy_level"
            )
        return creator

    def post_info(self, variant: Variant) -> dict[str, Any]:
        # no `title`: front matter's title is the post's working name, which no one reviewed as TikTok text
        info: dict[str, Any] = {"description": variant.parts[0]}
        if self.mode == "DIRECT_POST":
            info["privacy_level"] = variant.privacy_level
        return info

    def wait_for_init_slot(self) -> None:
        """At most six init requests a minute per token: the seventh of a run waits for the first to age."""
        now = self.connection.clock()
        if len(self.inits) == INITS_PER_MINUTE:
            waited = (now - self.inits[0]).total_seconds()
            if waited < RATE_WINDOW:
                self.connection.sleep(RATE_WINDOW - waited)
                now = self.connection.clock()
        self.inits.append(now)

    def wait_done(self, publish_id: str, username: str) -> Receipt:
        """Poll the status until the post is in the inbox (a draft) or published, or it failed."""
        for pause in (*_POLLS, None):
            data = self.status(publish_id)
            status = str(data.get("status") or "")
            if status == _DONE[self.mode]:
                return _receipt(publish_id, username, data.get("publicaly_available_post_id"))
            if status == "FAILED":
                raise _failure(publish_id, str(data.get("fail_reason") or "no reason given"))
            if pause is None:
                break
            self.connection.sleep(max(pause, float(data.get("retry_after") or 0)))
        # accepted and still processing: it may still go out, so the next run must not send it again
        raise UnexpectedAnswer(
            f"TikTok is still processing publish_id {publish_id} after 5 minutes: check the account, then "
            f"`postwright settle`"
        )

    def status(self, publish_id: str) -> dict[str, Any]:
        """The status fetch's data. Once the init is accepted nothing may read as "not sent": a refused or
        failed fetch is polled again (with the wait TikTok asks for), any other failure is unexpected."""
        try:
            return self.client.call(STATUS, {"publish_id": publish_id})
        except TransientError as error:
            return {"status": "UNKNOWN", "retry_after": error.retry_after}
        except (PermanentError, CredentialsError, UnexpectedAnswer) as error:
            raise UnexpectedAnswer(
                f"TikTok accepted publish_id {publish_id} but its status cannot be read ({error}): check the "
                f"account, then `postwright settle`"
            ) from None

    # -- find_sent, delete ----------------------------------------------------------------------

    def find_sent(self, variant: Variant | None, part: int, key: str) -> Receipt | None:
        raise CannotTell(
            "TikTok's API cannot list what was sent through it, and the publish_id was lost with the answer: "
            "check the creator's TikTok inbox (drafts) or profile, then `postwright settle`"
        )

    def delete(self, remote_id: str) -> None:
        raise PermanentError(
            f"TikTok's API cannot delete posts or drafts: delete {remote_id or 'it'} in the TikTok app "
            f"(a draft in the creator's inbox, a post on the profile)"
        )

    # -- doctor ---------------------------------------------------------------------------------

    def check_credentials(self) -> CredentialCheck:
        """The creator-info query (video.publish); a MEDIA_UPLOAD token without that scope is asked who
        it is instead (user info, user.info.basic)."""
        try:
            creator = self.client.call(CREATOR_INFO)
        except CredentialsError as error:
            if self.mode == "DIRECT_POST" or "scope_not_authorized" not in str(error):
                return CredentialCheck(False, f"token rejected: {error}")
            return self.who_uploads()
        options = ", ".join(creator.get("privacy_level_options") or []) or "none"
        name = creator.get("creator_username") or creator.get("creator_nickname") or "?"
        return CredentialCheck(
            True, redact(f"valid (posting as @{name}; privacy levels: {options}){_PREFIX_NOTE}")
        )

    def who_uploads(self) -> CredentialCheck:
        try:
            response = self.client.request("GET", USER_INFO, params={"fields": "open_id,display_name"})
            user = _data(response).get("user") or {}
        except CredentialsError as error:
            return CredentialCheck(False, f"token rejected: {error}")
        name = user.get("display_name") or user.get("open_id") or "?"
        return CredentialCheck(True, redact(f"valid (drafts to {name}'s inbox){_PREFIX_NOTE}"))


# TikTok's API cannot say whether media_base_url's prefix is verified: doctor says where to look
_PREFIX_NOTE = "; TikTok pulls images only from a domain or URL prefix verified in the developer app"


def _receipt(publish_id: str, username: str, post_ids: Any) -> Receipt:
    """The public post's id and link where TikTok gives them (after moderation, public posts only),
    else the publish_id and the creator's profile (a draft has no link until a person posts it)."""
    ids = [str(item) for item in post_ids or [] if str(item)]
    profile = f"https://www.tiktok.com/@{username}" if username else ""
    if ids and username:
        return Receipt(ids[0], f"{profile}/photo/{ids[0]}")
    return Receipt(ids[0] if ids else publish_id, profile)


def _failure(publish_id: str, reason: str) -> Exception:
    """A FAILED status: nothing is on TikTok, so a retryable reason is a refused try (sent again later)."""
    message = f"TikTok could not post publish_id {publish_id}: {reason}"
    if reason in _RETRY_REASONS:
        return TransientError(message, RATE_WINDOW, refused=True)
    if reason == "auth_removed":
        return CredentialsError(f"{message} (the creator removed the app's access: authorise it again)")
    return PermanentError(message)


def verify(connection: Connection) -> CredentialCheck:
    # where images are fetched from (media.host or settings.media_base_url) is `check`'s PW041
    publisher = TikTokPublisher(connection)
    try:
        return publisher.check_credentials()
    finally:
        publisher.client.close()
