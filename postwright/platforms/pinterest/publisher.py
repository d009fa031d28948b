"""Pinterest's publisher and `verify`: pins through the v5 API over httpx; how it behaves is in the
package docstring (pinterest/__init__.py), which declares the platform.
"""

from __future__ import annotations

import base64
import time
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
    Upload,
)
from postwright.platforms.http_client import ApiClient, retry_after_header
from postwright.platforms.pinterest import API_URL

BOARD_PAGE = 100  # GET /v5/boards/{board_id}/pins page_size: default 25, maximum 250
_BASE64_TYPES = {"image/jpeg", "image/png"}  # ContentType enum of the base64 media sources
_MAX_ALT = 500  # PinCreate.alt_text maxLength
_MAX_TITLE = 100  # PinCreate.title maxLength


def _retry_after(response: httpx.Response) -> float | None:
    """Pinterest documents its limits per category (docs/reference/rate-limits) but no header saying
    when to come back: Retry-After where sent, else x-ratelimit-reset read as seconds to wait (small
    numbers) or an epoch time (large ones)."""
    if response.headers.get("retry-after"):  # seconds or an HTTP date
        return retry_after_header(response)
    reset = response.headers.get("x-ratelimit-reset")
    if reset and reset.replace(".", "", 1).isdigit():
        seconds = float(reset)
        return seconds if seconds < 1e9 else max(0.0, seconds - time.time())
    return None


class PinterestPublisher:
    """Pins to `settings.board_id`; not idempotent."""

    idempotent = False

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.board_id = str(connection.required("board_id"))
        self.client = ApiClient(
            connection,
            str(connection.setting("api_url", API_URL)),
            headers={"Authorization": f"Bearer {connection.secrets['access_token']}"},
            retry_after=_retry_after,
        )

    # -- send -----------------------------------------------------------------------------------

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        if len(variant.parts) != 1:  # build joins parts where max_thread_parts is 1; refuse before sending
            raise PermanentError(f"Pinterest has no threads: this post has {len(variant.parts)} parts")
        uploads = self.connection.uploads(variant)
        if not uploads:  # limits.requires_media: check reports PW410 before this
            raise PermanentError("a pin needs an image: this post has none for Pinterest")
        body: dict[str, Any] = {
            "board_id": self.board_id,
            "description": variant.parts[0],
            "media_source": _media_source(uploads),
        }
        if variant.title:  # PinCreate.title maxLength 100; the post's title is not checked against it
            body["title"] = variant.title[:_MAX_TITLE]
        if variant.link:
            body["link"] = variant.link
        alt = _alt_text(uploads)
        if alt:
            body["alt_text"] = alt
        pin = self.client.request("POST", "/v5/pins", json=body).json()
        return self._receipt(str(pin["id"]))

    @staticmethod
    def _receipt(pin_id: str) -> Receipt:
        return Receipt(pin_id, f"https://www.pinterest.com/pin/{pin_id}/")

    # -- find_sent ------------------------------------------------------------------------------

    def find_sent(self, variant: Variant, part: int, key: str) -> Receipt | None:
        """The board's pins (GET /v5/boards/{board_id}/pins), matched by description and link."""
        if variant is None:
            raise CannotTell("Pinterest cannot be searched without the pin's text; check the board by hand")
        answer = self.client.request(
            "GET", f"/v5/boards/{self.board_id}/pins", params={"page_size": str(BOARD_PAGE)}
        ).json()
        wanted = variant.parts[0].strip()
        for pin in answer.get("items") or []:
            same_link = not variant.link or pin.get("link") in (None, variant.link)
            if str(pin.get("description") or "").strip() == wanted and same_link:
                return self._receipt(str(pin["id"]))
        return None

    # -- delete ---------------------------------------------------------------------------------

    def delete(self, remote_id: str) -> None:
        """DELETE /v5/pins/{pin_id} → 204; a pin already gone answers 404."""
        if not remote_id:  # DELETE /v5/pins/ would answer 404, which reads as "already gone"
            raise PermanentError("no pin id was recorded for this part; delete it by hand")
        self.client.request("DELETE", f"/v5/pins/{remote_id}", ok=(404,))


def _media_source(uploads: list[Upload]) -> dict[str, Any]:
    """PinMediaSourceImageBase64 {source_type, content_type, data}; 2–5 images:
    PinMediaSourceImagesBase64 {source_type: multiple_image_base64, items: [{content_type, data}]}."""
    items = [_base64_item(upload) for upload in uploads]
    if len(items) == 1:
        return {"source_type": "image_base64", **items[0]}
    return {"source_type": "multiple_image_base64", "items": items}


def _base64_item(upload: Upload) -> dict[str, str]:
    if upload.mime not in _BASE64_TYPES:
        raise PermanentError(f"Pinterest takes inline images as JPEG or PNG only, not {upload.mime}")
    return {"content_type": upload.mime, "data": base64.b64encode(upload.path.read_bytes()).decode("ascii")}


def _alt_text(uploads: list[Upload]) -> str:
    """A pin has one alt_text (carousel items have none in API v5): a single image's own, or a
    carousel's alt texts one per line when they fit in 500 characters, else the first image's."""
    alts = [upload.alt.strip() for upload in uploads if upload.alt.strip()]
    joined = "\n".join(alts)
    if len(joined) <= _MAX_ALT:
        return joined
    return alts[0][:_MAX_ALT]


def verify(connection: Connection) -> CredentialCheck:
    """GET /v5/user_account: the account the token acts for. Pinterest access tokens last 30 days
    (refresh tokens longer), but the API does not say when one expires (no expires_at). A credential
    not set raises CredentialsError, an unreachable Pinterest TransientError (doctor reports both)."""
    headers = {"Authorization": f"Bearer {connection.secrets['access_token']}"}
    client = ApiClient(connection, str(connection.setting("api_url", API_URL)), headers=headers)
    try:
        account = client.request("GET", "/v5/user_account").json()
    except CredentialsError as error:  # 401
        return CredentialCheck(False, f"token rejected: {error}")
    finally:
        client.close()
    kind = str(account.get("account_type", "")).lower() or "unknown"
    return CredentialCheck(True, redact(f"valid (posting as {account.get('username', '?')}, {kind} account)"))
