"""Facebook's publisher and `verify`: Page posts through the Graph API (graph.py); how it behaves is in
the package docstring (facebook/__init__.py), which declares the platform.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

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
from postwright.platforms.facebook import API_URL, GRAPH_VERSION
from postwright.platforms.graph import TRANSIENT_CODES, GraphClient, already_gone, graph_error

FEED_PAGE = 50  # posts read by find_sent
_DUPLICATE = 506  # graph-api/guides/error-handling: "Duplicate posts cannot be published consecutively"


class FacebookGraph(GraphClient):
    """meta.GraphClient with the Pages business-use-case throttle, 80001 (graph-api/overview/
    rate-limiting), transient too; codes in messages as (code N/subcode)."""

    transient_codes = TRANSIENT_CODES | {80001}
    code_brackets = "()"


class FacebookPublisher:
    """Posts to `settings.page_id` with a Page access token; not idempotent."""

    idempotent = False

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.page_id = str(connection.required("page_id"))
        self.token = connection.secrets["access_token"]
        self.version = str(connection.setting("graph_version", GRAPH_VERSION))
        self.client = FacebookGraph(connection, str(connection.setting("api_url", API_URL)), self.token)

    def _path(self, node: str) -> str:
        return f"/{self.version}/{node}"

    # -- send -----------------------------------------------------------------------------------

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        if (
            len(variant.parts) != 1
        ):  # build joins parts where max_thread_parts is 1; refuse before sending any
            raise PermanentError(f"Facebook Pages have no threads: this post has {len(variant.parts)} parts")
        message = variant.parts[0]
        uploads = self.connection.uploads(variant)
        if len(uploads) == 1:
            # POST /{page-id}/photos: caption is the post text; alt_text_custom is a documented parameter
            # of Page photos (facebook-business SDK 26.0.3, Page.create_photo param_types)
            answer = self._photo(uploads[0], caption=message, published=True)
            post_id = str(answer.get("post_id") or answer["id"])
        else:
            form: dict[str, str] = {"message": message}
            if uploads:  # unpublished photos attached to one feed post (pages-api/posts)
                for number, upload in enumerate(uploads):
                    photo_id = self._photo(upload, caption=None, published=False)["id"]
                    form[f"attached_media[{number}]"] = json.dumps({"media_fbid": str(photo_id)})
            elif variant.link:
                form["link"] = variant.link  # a link preview card (pages-api/posts: message, link)
            post_id = str(self._post_feed(form, message)["id"])
        return self._receipt(post_id)

    def _post_feed(self, form: dict[str, str], message: str) -> dict[str, Any]:
        response = self.client.request(
            "POST", self._path(f"{self.page_id}/feed"), data={**form, "access_token": self.token}, ok=(400,)
        )
        if response.status_code == 400:
            if graph_error(response).get("code") != _DUPLICATE:
                raise self.client.error_for(response)
            found = self._find(message)  # a duplicate: ours from a lost answer, or an older post
            if found is None:
                raise PermanentError(f"{self.client.error_for(response)} (no recent post matches it)")
            return {"id": found.remote_id}
        return response.json()

    def _photo(self, upload: Upload, caption: str | None, published: bool) -> dict[str, Any]:
        """POST /{page-id}/photos, multipart with the file as `source`."""
        form = {"published": "true" if published else "false", "access_token": self.token}
        if caption is not None:
            form["caption"] = caption
        if upload.alt:
            form["alt_text_custom"] = upload.alt
        with upload.path.open("rb") as file:
            return self.client.request(
                "POST",
                self._path(f"{self.page_id}/photos"),
                data=form,
                files={"source": (upload.path.name, file, upload.mime)},
            ).json()

    @staticmethod
    def _receipt(post_id: str) -> Receipt:
        return Receipt(post_id, f"https://www.facebook.com/{post_id}")

    # -- find_sent ------------------------------------------------------------------------------

    def find_sent(self, variant: Variant, part: int, key: str) -> Receipt | None:
        """The Page's recent feed (GET /{page-id}/feed?fields=id,message,created_time), matched by message."""
        if variant is None:
            raise CannotTell("Facebook cannot be searched without the post's text; check the Page by hand")
        return self._find(variant.parts[0])

    def _find(self, message: str) -> Receipt | None:
        fields = "id,message,created_time"
        feed = self.client.get(self._path(f"{self.page_id}/feed"), fields=fields, limit=str(FEED_PAGE))
        wanted = message.strip()
        for post in feed.get("data") or []:  # newest first
            if str(post.get("message", "")).strip() == wanted:
                return self._receipt(str(post["id"]))
        return None

    # -- delete ---------------------------------------------------------------------------------

    def delete(self, remote_id: str) -> None:
        """DELETE /{post-id} → {"success": true}; a post already gone answers code 100 subcode 33."""
        response = self.client.delete(self._path(remote_id), ok=(400, 404))
        if not response.is_success and not already_gone(response):
            raise self.client.error_for(response)


def verify(connection: Connection) -> CredentialCheck:
    """GET /debug_token?input_token=…: is_valid and expires_at (0: never; long-lived Page tokens made
    from a long-lived user token do not expire), asked with an app token when credentials app_id and
    app_secret are given, else with the Page token itself; if Graph refuses that, GET /me says only
    whether the token works. A credential not set raises CredentialsError, an unreachable Graph
    TransientError (doctor reports both)."""
    secrets = connection.secrets
    token = secrets["access_token"]
    app = "app_id" in secrets.names and "app_secret" in secrets.names
    caller = f"{secrets['app_id']}|{secrets['app_secret']}" if app else token
    client = FacebookGraph(connection, str(connection.setting("api_url", API_URL)), token)
    version = str(connection.setting("graph_version", GRAPH_VERSION))
    try:
        try:
            params = {"input_token": token, "access_token": caller}
            data = client.request("GET", f"/{version}/debug_token", params=params).json()["data"]
        except PermanentError:  # debug_token wants an app token or a developer's user token
            params = {"fields": "id,name", "access_token": token}
            page = client.request("GET", f"/{version}/me", params=params).json()
            hint = "add credentials app_id and app_secret to see when it expires"
            return CredentialCheck(True, redact(f"valid (posting as {page.get('name', '?')}); {hint}"))
    except CredentialsError as error:  # code 190: expired, revoked or invalid
        return CredentialCheck(False, f"token rejected: {error}")
    finally:
        client.close()
    return _token_check(data, str(connection.setting("page_id") or ""))


def _token_check(data: dict[str, Any], page_id: str) -> CredentialCheck:
    expires = int(data.get("expires_at") or 0)
    expires_at = datetime.fromtimestamp(expires, UTC) if expires > 0 else None
    if not data.get("is_valid"):
        reason = (data.get("error") or {}).get("message", "token not valid")
        return CredentialCheck(False, redact(f"token not valid: {reason}"), expires_at)
    profile = str(data.get("profile_id") or "")
    if page_id and profile and profile != page_id:
        return CredentialCheck(
            False, f"the token is for Page {profile}, settings.page_id is {page_id}", expires_at
        )
    kind = str(data.get("type", "")).lower() or "unknown"
    never = " (does not expire)" if expires == 0 else ""
    return CredentialCheck(True, f"valid {kind} token{never}", expires_at)
