"""LinkedIn's publisher and `verify`: the Posts API over httpx; how it behaves is in the package docstring
(linkedin/__init__.py), which declares the platform.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import UTC, datetime, timedelta
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
    UnexpectedAnswer,
    Upload,
)
from postwright.platforms.http_client import ApiClient, retry_after_header
from postwright.platforms.linkedin import API_URL, OAUTH_URL, VERSION

LIST_COUNT = 50  # posts looked at by find_sent (the author finder pages with count/start)
_RESERVED = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")  # little-text-format reserved characters


def _headers(connection: Connection) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {connection.secrets['access_token']}",
        "LinkedIn-Version": str(connection.setting("linkedin_version", VERSION)),
        "X-Restli-Protocol-Version": "2.0.0",
    }


def _urn(value: str) -> str:
    """A URN in a URL: Rest.li 2.0 wants it percent-encoded (urn%3Ali%3Ashare%3A…)."""
    return urllib.parse.quote(value, safe="")


class LinkedInPublisher:
    """Posts as `settings.author`; not idempotent (the Posts API has no idempotency key)."""

    idempotent = False

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.author = str(connection.required("author"))
        self.client = ApiClient(
            connection,
            str(connection.setting("api_url", API_URL)),
            headers=_headers(connection),
            retry_after=self._retry_after,
        )

    def _retry_after(self, response: httpx.Response) -> float | None:
        """LinkedIn documents no per-request wait: "limits reset at midnight UTC every day"
        (shared/api-guide/concepts/rate-limits). A Retry-After, where sent, still wins."""
        given = retry_after_header(response)
        if given is not None or response.status_code != 429:  # a 5xx without Retry-After: backoff
            return given
        now = self.connection.clock().astimezone(UTC)
        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
        return (midnight - now).total_seconds()

    # -- send -----------------------------------------------------------------------------------

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        if len(variant.parts) != 1:  # build joins parts where max_thread_parts is 1; refuse before sending
            raise PermanentError(f"LinkedIn has no threads: this post has {len(variant.parts)} parts")
        body: dict[str, Any] = {
            "author": self.author,
            "commentary": variant.parts[0],
            "visibility": str(self.connection.setting("visibility", "PUBLIC")),
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        content = self._content(variant)
        if content:
            body["content"] = content
        response = self.client.request("POST", "/rest/posts", json=body)
        urn = response.headers.get("x-restli-id")  # "The post id comes back in the x-restli-id header"
        if not urn:  # accepted, so probably live: not a failure; the next run finds it by its text
            raise UnexpectedAnswer(
                f"LinkedIn accepted the post ({response.status_code}) but sent no x-restli-id header"
            )
        return self._receipt(urn)

    def _content(self, variant: Variant) -> dict[str, Any] | None:
        """One image: content.media; 2–20: content.multiImage (multiimage-post-api); a link alone:
        content.article, so the post shows a link card (the API does not make one from the text)."""
        images = [
            {"id": self._upload(upload), "altText": upload.alt} for upload in self.connection.uploads(variant)
        ]
        if len(images) == 1:
            return {"media": images[0]}
        if images:
            return {"multiImage": {"images": images}}
        if variant.link:
            return {"article": {"source": variant.link, "title": variant.title or variant.link}}
        return None

    def _upload(self, upload: Upload) -> str:
        """POST /rest/images?action=initializeUpload, then PUT the bytes to the uploadUrl (images-api)."""
        started = self.client.request(
            "POST",
            "/rest/images?action=initializeUpload",
            json={"initializeUploadRequest": {"owner": self.author}},
        ).json()["value"]
        self.client.request(
            "PUT",
            started["uploadUrl"],
            content=upload.path.read_bytes(),
            headers={"Content-Type": upload.mime},
        )
        return str(started["image"])

    @staticmethod
    def _receipt(urn: str) -> Receipt:
        return Receipt(urn, f"https://www.linkedin.com/feed/update/{urn}/")

    # -- find_sent ------------------------------------------------------------------------------

    def find_sent(self, variant: Variant, part: int, key: str) -> Receipt | None:
        """The author's most recent posts (GET /rest/posts?author=…&q=author, a Rest.li FINDER)
        matched by commentary. Listing needs r_member_social (restricted) or r_organization_social:
        without it LinkedIn answers 403 and we cannot tell."""
        if variant is None:
            raise CannotTell("LinkedIn cannot be searched without the post's text; check the account by hand")
        query = f"/rest/posts?author={_urn(self.author)}&q=author&count={LIST_COUNT}&sortBy=LAST_MODIFIED"
        response = self.client.request("GET", query, headers={"X-RestLi-Method": "FINDER"}, ok=(403,))
        if response.status_code == 403:
            raise CannotTell(
                redact(
                    f"LinkedIn refused to list the author's posts ({self.client.error_message(response)}); "
                    "the token needs r_member_social or r_organization_social"
                )
            )
        wanted = _plain(variant.parts[part - 1])
        for post in response.json().get("elements") or []:
            if (
                post.get("lifecycleState", "PUBLISHED") == "PUBLISHED"
                and _plain(post.get("commentary", "")) == wanted
            ):
                return self._receipt(str(post["id"]))
        return None

    # -- delete ---------------------------------------------------------------------------------

    def delete(self, remote_id: str) -> None:
        """DELETE /rest/posts/{encoded URN} (X-RestLi-Method: DELETE); already gone is fine."""
        if not remote_id:  # DELETE /rest/posts/ would answer 404, which reads as "already gone"
            raise PermanentError("no post URN was recorded for this part; delete it by hand")
        self.client.request(
            "DELETE", f"/rest/posts/{_urn(remote_id)}", headers={"X-RestLi-Method": "DELETE"}, ok=(404, 410)
        )


def _plain(commentary: str) -> str:
    """Commentary compared without little-text escapes (whether LinkedIn returns them is not documented)."""
    return _RESERVED.sub(r"\1", commentary).strip()


def verify(connection: Connection) -> CredentialCheck:
    """With credentials client_id and client_secret: token introspection, which says when the token
    expires (member tokens last about 60 days). Without them: GET /v2/userinfo (OpenID Connect),
    which says only whether the token is accepted. A credential not set raises CredentialsError,
    an unreachable LinkedIn TransientError (doctor reports both)."""
    if "client_id" in connection.secrets.names and "client_secret" in connection.secrets.names:
        return _introspect(connection)
    headers = _headers(connection)
    try:
        return _userinfo(connection, headers)
    except CredentialsError as error:  # 401
        return CredentialCheck(False, f"token rejected: {error}")


def _introspect(connection: Connection) -> CredentialCheck:
    """POST /oauth/v2/introspectToken, form client_id, client_secret, token → active, status, expires_at."""
    client = ApiClient(connection, str(connection.setting("oauth_url", OAUTH_URL)))
    try:
        form = {
            "client_id": connection.secrets["client_id"],
            "client_secret": connection.secrets["client_secret"],
            "token": connection.secrets["access_token"],
        }
        answer = client.request("POST", "/oauth/v2/introspectToken", data=form).json()
    finally:
        client.close()
    expires = answer.get("expires_at")
    expires_at = datetime.fromtimestamp(int(expires), UTC) if expires else None
    if not answer.get("active"):
        return CredentialCheck(
            False, f"token not active ({answer.get('status', 'unknown status')})", expires_at
        )
    return CredentialCheck(True, f"active (scopes: {answer.get('scope', '?')})", expires_at)


def _userinfo(connection: Connection, headers: dict[str, str]) -> CredentialCheck:
    client = ApiClient(connection, str(connection.setting("api_url", API_URL)), headers=headers)
    try:
        response = client.request("GET", "/v2/userinfo", ok=(403,))
    finally:
        client.close()
    hint = "add credentials client_id and client_secret to see when it expires"
    if response.status_code == 403:  # a token without the openid scope (e.g. organization-only)
        return CredentialCheck(True, f"token accepted (no openid scope to read the member); {hint}")
    name = response.json().get("name", "?")
    return CredentialCheck(True, redact(f"valid (member {name}); {hint}"))
