"""X's publisher and `verify`: the v2 API over httpx, signed with OAuth 1.0a or 2.0 (oauthlib); how it
behaves is in the package docstring (x/__init__.py), which declares the platform.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Generator, Iterable, Mapping
from typing import Any

import httpx
import oauthlib.oauth1

from postwright import text
from postwright.credentials import CredentialsError, redact
from postwright.model import Variant
from postwright.platforms.base import (
    ambiguous_credentials,
    auth_mode,
)
from postwright.platforms.contract import (
    CannotTell,
    Connection,
    CredentialCheck,
    PermanentError,
    Receipt,
    Upload,
)
from postwright.platforms.http_client import ApiClient, error_text
from postwright.platforms.x import API_URL, OAUTH1, OAUTH2, PLATFORM

TIMELINE_PAGE = 100  # GET /2/users/:id/tweets max_results: 5–100 (x-api/posts/timelines)
_MEDIA_LINK = re.compile(r"/status/\d+/(photo|video)/\d+$")  # the t.co link X appends for attached media


class _Bearer(httpx.Auth):
    """OAuth 2.0 user context: the access token as a bearer token (docs.x.com fundamentals/authentication)."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class _OAuth1(httpx.Auth):
    """OAuth 1.0a user context, HMAC-SHA1 signed by oauthlib over the exact URL httpx sends.

    The X endpoints used here take JSON or multipart bodies, which OAuth 1.0a leaves out of the
    signature base string (RFC 5849 §3.4.1.3.1: only form-encoded bodies are signed)."""

    def __init__(self, consumer_key: str, consumer_secret: str, token: str, token_secret: str) -> None:
        self._client = oauthlib.oauth1.Client(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=token,
            resource_owner_secret=token_secret,
            signature_method=oauthlib.oauth1.SIGNATURE_HMAC_SHA1,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        _, headers, _ = self._client.sign(str(request.url), request.method)
        request.headers["Authorization"] = headers["Authorization"]
        yield request


def _auth(connection: Connection) -> httpx.Auth:
    """The mode the account's credential names choose (PLATFORM.auth_modes); any other set is refused,
    so an OAuth 1.0a access token never goes out as a bearer token."""
    secrets = connection.secrets
    mode = auth_mode(PLATFORM, secrets.names)
    if mode is OAUTH1:
        return _OAuth1(*(secrets[name] for name in OAUTH1.credentials))
    if mode is OAUTH2:
        return _Bearer(secrets["access_token"])
    raise CredentialsError(f"account {connection.account}: {ambiguous_credentials(PLATFORM, secrets.names)}")


def _x_error(response: httpx.Response) -> str:
    """X's problem `detail`, plus each `errors[].message` (which say which parameter was wrong)."""
    try:
        body = response.json()
    except ValueError:
        return error_text(response)
    if not isinstance(body, dict):
        return error_text(response)
    words = [body["detail"]] if isinstance(body.get("detail"), str) else []
    for item in body.get("errors") or []:
        if isinstance(item, dict) and isinstance(item.get("message"), str) and item["message"] not in words:
            words.append(item["message"])
    return " ".join(words) or error_text(response)


class XPublisher:
    """Posts through API v2 as the account's user; not idempotent (X has no idempotency key)."""

    idempotent = False

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.auth = _auth(connection)
        self.client = ApiClient(
            connection, str(connection.setting("api_url", API_URL)), error_message=_x_error
        )
        self._user_id: str | None = None

    def _call(self, method: str, path: str, **options: Any) -> httpx.Response:
        return self.client.request(method, path, auth=self.auth, **options)

    # -- send -----------------------------------------------------------------------------------

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        body: dict[str, Any] = {"text": variant.parts[part - 1]}
        if reply_to is not None:  # POST /2/tweets: reply.in_reply_to_tweet_id (x-api/posts/create-post)
            body["reply"] = {"in_reply_to_tweet_id": reply_to.remote_id}
        if part == 1:  # a thread's images go on its first post
            media_ids = [self._upload(upload) for upload in self.connection.uploads(variant)]
            if media_ids:
                body["media"] = {"media_ids": media_ids}
        response = self._call("POST", "/2/tweets", json=body, ok=(403,))
        if response.status_code == 403:
            return self._duplicate(response, body["text"], reply_to)
        return self._receipt(response.json()["data"]["id"])

    def reply_target(self, url: str) -> Receipt:
        """The post id in its link (x.com/<user>/status/<id>): what reply.in_reply_to_tweet_id takes."""
        found = PLATFORM.reply_url.match(url) if PLATFORM.reply_url else None
        if found is None:
            raise PermanentError(f"{url} is not a link to a post on X")
        return Receipt(found.group(1), url)

    def _duplicate(self, response: httpx.Response, part_text: str, reply_to: Receipt | None) -> Receipt:
        """403 "duplicate content" means a post with this text exists: ours from a lost answer, or an
        older one of the account's. Only a match replying to the same post counts as ours."""
        error = self.client.error_for(response)
        if "duplicate" not in _x_error(response).lower():
            raise error
        found = self._find(
            [part_text], self._timeline(), first_reply_to=reply_to.remote_id if reply_to else None
        )
        if found is None:
            raise PermanentError(f"{error} (no recent post of this account matches it)")
        return found

    def _upload(self, upload: Upload) -> str:
        """Simple upload (POST /2/media/upload, multipart: the raw bytes in `media`, `media_category`
        tweet_image — x-api/media/upload-media), then the alt text (POST /2/media/metadata)."""
        with upload.path.open("rb") as file:
            response = self._call(
                "POST",
                "/2/media/upload",
                files={"media": (upload.path.name, file, upload.mime)},
                data={"media_category": "tweet_image"},
            )
        media_id = str(response.json()["data"]["id"])
        if upload.alt:  # alt_text.text "Must be <= 1000 chars" (x-api/media/create-media-metadata)
            metadata = {"id": media_id, "metadata": {"alt_text": {"text": upload.alt}}}
            self._call("POST", "/2/media/metadata", json=metadata)
        return media_id

    @staticmethod
    def _receipt(post_id: str) -> Receipt:
        return Receipt(str(post_id), f"https://x.com/i/web/status/{post_id}")

    # -- find_sent ------------------------------------------------------------------------------

    def find_sent(self, variant: Variant, part: int, key: str) -> Receipt | None:
        """The part among the account's recent posts: parts 1..`part` matched in order, each
        replying to the one before (part 1 to nothing, or to the post `in_reply_to:` names)."""
        if variant is None:
            raise CannotTell("X cannot be searched without the post's text; check the account by hand")
        first_reply_to = self.reply_target(variant.in_reply_to).remote_id if variant.in_reply_to else None
        return self._find(variant.parts[:part], self._timeline(), first_reply_to=first_reply_to)

    def _find(
        self, parts: Iterable[str], timeline: list[Mapping[str, Any]], first_reply_to: str | None
    ) -> Receipt | None:
        reply_to = first_reply_to
        found: Mapping[str, Any] | None = None
        for part_text in parts:
            wanted = _canonical(part_text)
            found = next(
                (
                    post
                    for post in timeline  # newest first: a repeat of an old text matches the newest
                    if _replied_to(post) == reply_to and _canonical(_full_text(post)) == wanted
                ),
                None,
            )
            if found is None:
                return None
            reply_to = str(found["id"])
        return self._receipt(str(found["id"])) if found is not None else None

    def _timeline(self) -> list[Mapping[str, Any]]:
        """The account's most recent posts, replies included (GET /2/users/:id/tweets)."""
        params = {
            "max_results": str(TIMELINE_PAGE),
            "exclude": "retweets",
            "tweet.fields": "created_at,entities,referenced_tweets,note_tweet",
        }
        response = self._call("GET", f"/2/users/{self._me()}/tweets", params=params)
        return list(response.json().get("data") or [])  # "data" is absent when there are no posts

    def _me(self) -> str:
        if self._user_id is None:  # GET /2/users/me (x-api/users/lookup)
            self._user_id = str(self._call("GET", "/2/users/me").json()["data"]["id"])
        return self._user_id

    # -- delete ---------------------------------------------------------------------------------

    def delete(self, remote_id: str) -> None:
        """DELETE /2/tweets/:id; a post already gone is not an error."""
        if not remote_id:  # DELETE /2/tweets/ answers 404, which would read as "already gone"
            raise PermanentError("no post id was recorded for this part; delete it by hand")
        self._call("DELETE", f"/2/tweets/{remote_id}", ok=(404,))


def _full_text(post: Mapping[str, Any]) -> str:
    """The post's text with t.co links expanded and the attached-media link dropped; long posts
    (X Premium) carry their whole text in note_tweet (the SDK calls it note_post)."""
    note = post.get("note_tweet") or post.get("note_post") or {}
    body = html.unescape(str(note.get("text") or post.get("text") or ""))  # X escapes & < > as entities
    entities = note.get("entities") or post.get("entities") or {}
    for link in entities.get("urls") or []:
        short, expanded = link.get("url"), str(link.get("expanded_url") or "")
        if not short:
            continue
        media = link.get("media_key") or _MEDIA_LINK.search(expanded)
        body = body.replace(short, "" if media else expanded or short)
    return body


def _replied_to(post: Mapping[str, Any]) -> str | None:
    references = post.get("referenced_tweets") or post.get("referenced_posts") or []
    return next((str(ref["id"]) for ref in references if ref.get("type") == "replied_to"), None)


def _canonical(value: str) -> str:
    """Text compared the way X may have changed it: NFC, outer space trimmed, URLs without scheme,
    `www.` or a trailing slash (X expands t.co links to what it saw, bare domains as http://)."""
    value = unicodedata.normalize("NFC", value).strip()
    pieces, last = [], 0
    for start, end in text.url_spans(value):
        pieces += [value[last:start], _canonical_url(value[start:end])]
        last = end
    pieces.append(value[last:])
    return re.sub(r"[ \t]+\n", "\n", "".join(pieces)).strip()


def _canonical_url(url: str) -> str:
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", url)
    host, slash, rest = bare.partition("/")
    host = host.lower().removeprefix("www.")
    return f"{host}{slash}{rest}".rstrip("/")


def verify(connection: Connection) -> CredentialCheck:
    """GET /2/users/me: the user the credentials post as. OAuth 1.0a tokens do not expire; OAuth 2.0
    user tokens last two hours unless refreshed, which postwright does not do, and X's API does not
    report when one expires (expires_at stays unknown): the detail says to use OAuth 1.0a for
    scheduled runs. A credential not set raises CredentialsError, an unreachable X TransientError
    (doctor reports both)."""
    publisher = XPublisher(connection)
    try:
        user = publisher._call("GET", "/2/users/me").json()["data"]
    except CredentialsError as error:  # 401
        return CredentialCheck(False, f"token rejected: {error}")
    finally:
        publisher.client.close()
    who = f"posting as @{user.get('username', '?')}"
    if isinstance(publisher.auth, _OAuth1):
        return CredentialCheck(True, redact(f"valid ({who}; OAuth 1.0a: does not expire)"))
    return CredentialCheck(
        True,
        redact(
            f"valid ({who}; OAuth 2.0 user token: expires after 2 hours unless refreshed; "
            "use OAuth 1.0a for scheduled runs)"
        ),
    )
