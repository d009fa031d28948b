"""Bluesky's publisher and `verify`: XRPC to the account's PDS over httpx; how it behaves is in the
package docstring (bluesky/__init__.py), which declares the platform.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import httpx

from postwright import text
from postwright.credentials import CredentialsError, redact
from postwright.model import Variant
from postwright.platforms.contract import (
    Connection,
    CredentialCheck,
    PermanentError,
    Receipt,
    TransientError,
    Upload,
)
from postwright.platforms.http_client import ApiClient, retry_after_header

POST = "app.bsky.feed.post"
# XRPC error names that mean "log in again or fix the credentials", whatever the status (the PDS answers
# 400 ExpiredToken/InvalidToken: atproto packages/pds/src/auth-verifier.ts verifyBearerJwt)
_AUTH_ERRORS = frozenset(
    {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing", "AccountTakedown"}
)
_B32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable (atproto.com/specs/tid)
_TID_BASE = 1_672_531_200_000_000  # 2023-01-01T00:00Z in microseconds
_TID_SPAN = 1 << 45  # about 407 days after it: a TID time in the past, never in the future


def record_key(key: str) -> str:
    """The post's rkey: a valid TID (app.bsky.feed.post declares `"key": "tid"`, and the PDS refuses
    other keys) computed from the idempotency key alone, so `delete` can find it from the key.

    Its time part is arbitrary (it is not when the post was made; atproto.com/specs/record-key: keys are
    chosen by the client and not to be trusted as times). 55 bits of the key's hash make it unique.
    """
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    micros = _TID_BASE + (digest >> 10) % _TID_SPAN
    value = (micros << 10) | (digest & 0x3FF)  # 1 zero bit, 53 bits of time, 10 bits of clock id
    return "".join(_B32[(value >> shift) & 31] for shift in range(60, -1, -5))


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After, else RateLimit-Reset (epoch seconds, rounded down by the PDS: atproto
    packages/xrpc-server/src/rate-limiter.ts setStatusHeaders), so wait whole seconds plus one."""
    seconds = retry_after_header(response)
    if seconds is None or response.headers.get("retry-after"):
        return seconds
    return float(math.ceil(seconds) + 1)


def _error_name(response: httpx.Response) -> str:
    """XRPC errors are JSON {"error": Name, "message": text} (atproto.com/specs/xrpc#error-responses)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


@dataclass
class _Session:
    did: str
    handle: str
    access: str
    refresh: str


_APP_LINK = re.compile(r"/profile/([^/?#\s]+)/post/([A-Za-z0-9._~:-]{1,512})/?$")  # a post's app link


@dataclass(frozen=True)
class _AtUri:
    repo: str
    collection: str
    rkey: str

    @classmethod
    def parse(cls, uri: str) -> _AtUri:
        match = re.fullmatch(r"at://([^/]+)/([^/]+)/([^/]+)", uri)
        if not match:
            raise PermanentError(f"not an at:// record URI: {uri!r}")
        return cls(*match.groups())


class BlueskyPublisher:
    """Posts, threads, images and link cards through one account's PDS; see the package docstring."""

    idempotent = True  # the rkey comes from the key: a second create of the same part cannot succeed

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.identifier = str(connection.required("handle")).lstrip("@")
        service = str(connection.setting("service", "https://bsky.social")).rstrip("/")
        self.web_url = str(connection.setting("web_url", "https://bsky.app")).rstrip("/")
        self.link_card = str(connection.setting("link_card", "auto"))
        if self.link_card not in ("auto", "thumbnail", "off"):
            raise CredentialsError(
                f"account {connection.account}: settings.link_card must be auto, thumbnail or off"
            )
        self.api = ApiClient(connection, service, retry_after=_retry_after)
        self._session: _Session | None = None
        self._dids: dict[str, str | None] = {}  # handle -> DID, None where it does not resolve

    # -- the Publisher protocol ---------------------------------------------------------------------

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        rkey = record_key(key)
        session = self.login()
        record = self._record(variant, part, reply_to)
        body = {"repo": session.did, "collection": POST, "rkey": rkey, "record": record}
        try:
            # lexicons/com/atproto/repo/createRecord.json: rkey optional, answers {uri, cid}
            response = self._xrpc("POST", "com.atproto.repo.createRecord", json=body)
        except (TransientError, PermanentError) as error:
            # a record with this rkey may be there already (a retry after a lost answer or a crash): this
            # PDS answers 500 for an existing rkey, others may say it otherwise, so ask rather than guess
            try:
                found = self._lookup(rkey)
            except (TransientError, PermanentError):
                raise error from None
            if found is None:
                raise
            return found
        return self._receipt(response.json()["uri"])

    def find_sent(self, variant: Variant | None, part: int, key: str) -> Receipt | None:
        return self._lookup(record_key(key))

    def delete(self, remote_id: str) -> None:
        """`remote_id` is the at:// URI, or the idempotency key where the Runner has no remote id yet."""
        if remote_id.startswith("at://"):
            uri = _AtUri.parse(remote_id)
        else:
            uri = _AtUri(self.login().did, POST, record_key(remote_id))
        self._delete(uri)

    def _delete(self, uri: _AtUri) -> None:
        """lexicons/com/atproto/repo/deleteRecord.json; a missing record is fine (the PDS answers 200)."""
        response = self._xrpc(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": uri.repo, "collection": uri.collection, "rkey": uri.rkey},
            ok=(400,),
        )
        if response.status_code == 400 and _error_name(response) != "RecordNotFound":
            raise self._error(response)

    # -- the session ------------------------------------------------------------------------------

    def login(self) -> _Session:
        """The cached session, else a new one from the app password (com.atproto.server.createSession)."""
        if self._session is None:
            password = self.connection.secrets["app_password"]
            response = self._xrpc(
                "POST",
                "com.atproto.server.createSession",
                json={"identifier": self.identifier, "password": password},
                auth=False,
            )
            self._session = self._session_from(response.json())
        return self._session

    def _refresh(self) -> None:
        """A new access token from the refresh token (com.atproto.server.refreshSession); when that is
        rejected too, the next call logs in again."""
        session = self._session
        if session is None:
            return
        response = self._xrpc(
            "POST", "com.atproto.server.refreshSession", auth=session.refresh, ok=(400, 401)
        )
        if response.is_success:
            self._session = self._session_from(response.json())
        elif _error_name(response) in _AUTH_ERRORS:
            self._session = None
        else:
            raise self._error(response)

    @staticmethod
    def _session_from(body: dict[str, Any]) -> _Session:
        return _Session(body["did"], body.get("handle", ""), body["accessJwt"], body["refreshJwt"])

    def _xrpc(
        self,
        method: str,
        nsid: str,
        *,
        auth: bool | str = True,
        ok: tuple[int, ...] = (),
        **options: Any,
    ) -> httpx.Response:
        """One XRPC call. `auth`: True sends the session's access token and, when the PDS says it has
        expired or is no longer valid, refreshes (or logs in again) and tries once more; a string is
        sent as the token itself (the refresh token); False sends none."""
        extra = dict(options.pop("headers", None) or {})
        for attempt in (1, 2):
            headers = dict(extra)
            token = self.login().access if auth is True else auth or None
            if token:
                headers["authorization"] = f"Bearer {token}"
            response = self.api.request(
                method, f"/xrpc/{nsid}", ok=(400, 401, *ok), headers=headers, **options
            )
            name = _error_name(response) if not response.is_success else ""
            if auth is True and attempt == 1 and name in ("ExpiredToken", "InvalidToken"):
                if name == "ExpiredToken":
                    self._refresh()
                else:  # revoked or from another server: log in again
                    self._session = None
                continue
            if response.is_success or response.status_code in ok:
                return response
            raise self._error(response)
        raise self._error(response)

    def _error(self, response: httpx.Response) -> Exception:
        if _error_name(response) in _AUTH_ERRORS:
            where = f"{response.request.method} {response.request.url.path}"
            return CredentialsError(
                redact(f"{where}: {response.status_code} {self.api.error_message(response)}")
            )
        return self.api.error_for(response)

    # -- records ------------------------------------------------------------------------------------

    def _lookup(self, rkey: str) -> Receipt | None:
        """The post with this rkey in the account's repo (com.atproto.repo.getRecord), or None."""
        response = self._get_record(_AtUri(self.login().did, POST, rkey))
        return None if response is None else self._receipt(response["uri"])

    def _get_record(self, uri: _AtUri) -> dict[str, Any] | None:
        response = self._xrpc(
            "GET",
            "com.atproto.repo.getRecord",
            params={"repo": uri.repo, "collection": uri.collection, "rkey": uri.rkey},
            ok=(400,),
        )
        if response.status_code == 400:
            if _error_name(response) == "RecordNotFound":
                return None
            raise self._error(response)
        return response.json()

    def _receipt(self, uri: str) -> Receipt:
        parsed = _AtUri.parse(uri)
        return Receipt(uri, f"{self.web_url}/profile/{parsed.repo}/post/{parsed.rkey}")

    def _record(self, variant: Variant, part: int, reply_to: Receipt | None) -> dict[str, Any]:
        """The app.bsky.feed.post record (lexicons/app/bsky/feed/post.json)."""
        body = variant.parts[part - 1]
        now = self.connection.clock().astimezone(UTC)
        record: dict[str, Any] = {
            "$type": POST,
            "text": body,
            "createdAt": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if variant.lang:
            record["langs"] = [variant.lang]
        facets = self._facets(body)
        if facets:
            record["facets"] = facets
        if reply_to is not None:
            record["reply"] = self._reply(reply_to)
        if part == 1:
            embed = self._embed(variant, body)
            if embed:
                record["embed"] = embed
        return record

    def _facets(self, body: str) -> list[dict[str, Any]]:
        """Links, mentions (resolved to DIDs; an unknown handle stays plain text) and tags, at UTF-8 byte
        offsets (lexicons/app/bsky/richtext/facet.json)."""
        found = []
        for facet in text.bluesky_facets(body):
            if facet.kind == "link":
                feature = {"$type": "app.bsky.richtext.facet#link", "uri": facet.value}
            elif facet.kind == "mention":
                did = self._resolve(facet.value)
                if did is None:
                    continue
                feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
            else:
                feature = {"$type": "app.bsky.richtext.facet#tag", "tag": facet.value}
            index = {"byteStart": facet.byte_start, "byteEnd": facet.byte_end}
            found.append({"index": index, "features": [feature]})
        return found

    def _resolve(self, handle: str) -> str | None:
        """A handle's DID (com.atproto.identity.resolveHandle), None where it resolves to nothing."""
        if handle not in self._dids:
            response = self._xrpc(
                "GET", "com.atproto.identity.resolveHandle", params={"handle": handle}, ok=(400,)
            )
            self._dids[handle] = response.json().get("did") if response.is_success else None
        return self._dids[handle]

    def reply_target(self, url: str) -> Receipt:
        """A post's app link (…/profile/<handle or DID>/post/<rkey>) as its at:// URI, the handle resolved
        to a DID (com.atproto.identity.resolveHandle) and the record read back so that a missing one
        fails before anything is sent (com.atproto.repo.getRecord); `_reply` takes its cid."""
        found = _APP_LINK.search(url)
        if found is None:
            raise PermanentError(f"{url} is not a link to a Bluesky post (…/profile/<handle>/post/<key>)")
        actor, rkey = found.groups()
        did = actor if actor.startswith("did:") else self._resolve(actor)
        if did is None:
            raise PermanentError(f"the handle {actor} in {url} resolves to no account")
        record = self._get_record(_AtUri(did, POST, rkey))
        if record is None:
            raise PermanentError(f"{url} is not there (deleted?)")
        return Receipt(str(record["uri"]), url)

    def _reply(self, reply_to: Receipt) -> dict[str, Any]:
        """reply.root and reply.parent strong refs {uri, cid}: the parent is read back for its cid and
        its own root (lexicons/app/bsky/feed/post.json#replyRef)."""
        parent = self._get_record(_AtUri.parse(reply_to.remote_id))
        if parent is None:
            raise PermanentError(f"the part this replies to is gone: {reply_to.remote_id}")
        ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root = (parent.get("value") or {}).get("reply", {}).get("root") or ref
        return {"root": root, "parent": ref}

    def _embed(self, variant: Variant, body: str) -> dict[str, Any] | None:
        """Images with alt text and aspect ratio (app.bsky.embed.images, at most 4), else a link card
        built from the post itself (app.bsky.embed.external: clients build cards, nothing is fetched)."""
        uploads = self.connection.uploads(variant)[:4]
        card = variant.link and (self.link_card == "thumbnail" or (self.link_card == "auto" and not uploads))
        if card:
            external: dict[str, Any] = {
                "uri": variant.link,
                "title": variant.title,
                "description": _description(body),
            }
            if uploads:
                external["thumb"] = self._blob(uploads[0])
            return {"$type": "app.bsky.embed.external", "external": external}
        if not uploads:
            return None
        images = [
            {
                "image": self._blob(upload),
                "alt": upload.alt,
                "aspectRatio": {"width": upload.width, "height": upload.height},
            }
            for upload in uploads
        ]
        return {"$type": "app.bsky.embed.images", "images": images}

    def _blob(self, upload: Upload) -> dict[str, Any]:
        """lexicons/com/atproto/repo/uploadBlob.json: the raw bytes, answered with a blob ref; its size
        limit (1,000,000 B for images) is checked when a record refers to it."""
        response = self._xrpc(
            "POST",
            "com.atproto.repo.uploadBlob",
            content=upload.path.read_bytes(),
            headers={"content-type": upload.mime},
        )
        return response.json()["blob"]


def _description(body: str) -> str:
    """A card's description: the first paragraph of the part without its links, on one line."""
    data = body.encode()
    for facet in reversed(text.bluesky_facets(body)):
        if facet.kind == "link":
            data = data[: facet.byte_start] + data[facet.byte_end :]
    paragraphs = [part for part in re.split(r"\n\s*\n", data.decode()) if part.strip()]
    return " ".join(paragraphs[0].split()) if paragraphs else ""


def verify(connection: Connection) -> CredentialCheck:
    """Logs in with the app password and reads the session back (com.atproto.server.getSession)."""
    publisher = BlueskyPublisher(connection)
    try:
        publisher.login()
        session = publisher._xrpc("GET", "com.atproto.server.getSession").json()
    except CredentialsError as error:  # rejected; an unreachable PDS raises TransientError for doctor
        return CredentialCheck(False, str(error))
    finally:
        publisher.api.close()
    handle = session.get("handle") or session.get("did", "")
    if session.get("active") is False:
        return CredentialCheck(False, f"account @{handle} is {session.get('status', 'not active')}")
    return CredentialCheck(True, f"valid (posting as @{handle})")
