"""Discord's publisher and `verify`: messages through the channel's webhook over httpx; how it behaves is
in the package docstring (discord/__init__.py), which declares the platform.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import httpx

import postwright
from postwright.credentials import CredentialsError, redact, remember
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
from postwright.platforms.discord import API_VERSION
from postwright.platforms.http_client import ApiClient, error_text, retry_after_header

# reference.mdx "User Agent": "DiscordBot ($url, $versionNumber)"; the project has no public URL yet
USER_AGENT = f"DiscordBot (postwright, {postwright.__version__})"
_WEBHOOK_PATH = re.compile(r"/api(?:/v\d+)?/webhooks/(?P<id>\d+)/(?P<token>[^/?#]+)/?")
_UNKNOWN_WEBHOOK = 10015  # opcodes-and-status-codes.mdx JSON error codes
DEFAULT_MENTIONS = {"parse": ["users"]}  # message.mdx "Allowed Mentions Object"


class DiscordPublisher:
    """Executes the account's webhook once per part; see the package docstring."""

    idempotent = False  # webhooks take no nonce

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        url = urllib.parse.urlsplit(connection.secrets["webhook_url"].strip())
        match = _WEBHOOK_PATH.fullmatch(url.path)
        if url.scheme not in ("https", "http") or not url.netloc or match is None:
            raise CredentialsError(
                f"account {connection.account}: credentials.webhook_url does not look like "
                "https://discord.com/api/webhooks/<id>/<token>"
            )
        # The whole URL is a registered secret, but requests, logs and errors show it in other forms
        # (no trailing slash, a query string, another host or API version): register the token itself,
        # so that redact() hides it wherever it appears.
        remember(match["token"])
        # the webhook's own path, token included, on the pinned version (unversioned would mean v6)
        self.path = f"/api/v{API_VERSION.version}/webhooks/{match['id']}/{match['token']}"
        # a URL given as <webhook>?thread_id=<id> (Execute Webhook's query) posts into that thread: keep it
        self.thread_id = _thread_of(connection, url.query)
        self.api = _WebhookApi(connection, f"{url.scheme}://{url.netloc}")
        self._webhook: dict[str, Any] | None = None
        self._refused: set[str] = set()  # keys whose last send Discord refused outright

    # -- sending -----------------------------------------------------------------------------------

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        self._refused.discard(key)
        uploads = self.connection.uploads(variant) if part == 1 else []  # images go with the first part
        try:
            guild_id = self.webhook().get("guild_id")  # read before posting: nothing may fail after it
        except (TransientError, PermanentError, CredentialsError):
            self._refused.add(key)  # nothing was posted yet
            raise
        payload = self._payload(variant.parts[part - 1])
        params = self._params(wait="true")
        try:
            if uploads:
                payload["attachments"] = _attachments(uploads)
                response = self.api.request("POST", self.path, params=params, files=_files(payload, uploads))
            else:
                response = self.api.request("POST", self.path, params=params, json=payload)
        except (TransientError, PermanentError, CredentialsError):
            if self.api.refused:
                self._refused.add(key)  # a 4xx answer: Discord did not post it
            raise
        message = response.json()
        return Receipt(str(message["id"]), message_link(message, guild_id))

    def _payload(self, content: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "content": content,
            "allowed_mentions": self.connection.setting("allowed_mentions") or DEFAULT_MENTIONS,
        }
        for name in ("username", "avatar_url"):
            if self.connection.setting(name):
                payload[name] = str(self.connection.setting(name))
        return payload

    def _params(self, **params: str) -> dict[str, str]:
        if self.thread_id:
            params["thread_id"] = self.thread_id
        return params

    def webhook(self) -> dict[str, Any]:
        """GET the webhook with its token ("Get Webhook with Token"): its guild and channel, read once;
        a deleted webhook or a wrong token shows here, before anything is posted."""
        if self._webhook is None:
            self._webhook = self.api.request("GET", self.path).json()
        return self._webhook

    # -- settling a crash --------------------------------------------------------------------------

    def find_sent(self, variant: Variant | None, part: int, key: str) -> Receipt | None:
        if key in self._refused:
            return None  # this run saw Discord refuse the last try
        raise CannotTell(
            "a Discord webhook can read a message only by its id and takes no nonce, so whether this "
            "part went out is unknown; look in the channel"
        )

    # -- retracting --------------------------------------------------------------------------------

    def delete(self, remote_id: str) -> None:
        """DELETE <webhook>/messages/<id> ("Delete Webhook Message", 204); Unknown Message (10008) is
        already gone, Unknown Webhook (10015) a credentials problem."""
        if not remote_id:
            raise PermanentError("no message id was recorded for this part; delete it by hand")
        path = f"{self.path}/messages/{urllib.parse.quote(remote_id, safe='')}"
        response = self.api.request("DELETE", path, params=self._params(), ok=(404,))
        if response.status_code == 404 and _code(response) == _UNKNOWN_WEBHOOK:
            raise self.api.error_for(response)


class _WebhookApi(ApiClient):
    """ApiClient with Discord's ways: retry_after from the body, the form errors in the message, 404
    Unknown Webhook as a credentials problem, and whether the last failed request was refused
    outright. The token in the path is redacted like every secret (DiscordPublisher remembers it)."""

    def __init__(self, connection: Connection, base_url: str) -> None:
        super().__init__(
            connection,
            base_url,
            headers={"User-Agent": USER_AGENT},
            retry_after=_retry_after,
            error_message=_error_message,
        )
        self.last_status: int | None = None

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        self.last_status = None  # None after a timeout or a lost connection: the outcome is unknown
        return super().request(method, url, **options)

    def error_for(self, response: httpx.Response) -> Exception:
        self.last_status = response.status_code
        if response.status_code == 404 and _code(response) == _UNKNOWN_WEBHOOK:
            where = response.request.url.path
            return CredentialsError(
                redact(f"webhook {where}: 404 {_error_message(response)} (deleted? set a new webhook_url)")
            )
        return super().error_for(response)

    @property
    def refused(self) -> bool:
        """The last request was answered with a 4xx: Discord did not take it (a 5xx may have)."""
        return self.last_status is not None and 400 <= self.last_status < 500


def _thread_of(connection: Connection, query: str) -> str | None:
    """The thread to post into: the `thread_id` setting or the webhook URL's ?thread_id= (they must
    agree). Other query parameters are refused rather than silently dropped: `wait` is always set,
    and anything else would change where or how the message is posted."""
    from_url = urllib.parse.parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(from_url) - {"thread_id", "wait"})
    if unknown or len(from_url.get("thread_id", [])) > 1:
        raise CredentialsError(
            f"account {connection.account}: credentials.webhook_url has query parameters postwright does "
            f"not use ({', '.join(unknown) or 'thread_id twice'}); keep only ?thread_id=<id>, or remove "
            "the query and set settings.thread_id"
        )
    in_url = from_url.get("thread_id", [""])[0].strip()
    setting = str(connection.setting("thread_id") or "").strip()
    if in_url and setting and in_url != setting:
        raise CredentialsError(
            f"account {connection.account}: credentials.webhook_url names thread {in_url} but "
            f"settings.thread_id is {setting}; keep one of them"
        )
    return setting or in_url or None


def _attachments(uploads: list[Upload]) -> list[dict[str, Any]]:
    """Attachment request objects: id n matches files[n], description is the alt text."""
    found = []
    for number, upload in enumerate(uploads):
        attachment: dict[str, Any] = {"id": number, "filename": _filename(number, upload)}
        if upload.alt:
            attachment["description"] = upload.alt
        found.append(attachment)
    return found


def _files(payload: dict[str, Any], uploads: list[Upload]) -> list[tuple[str, tuple[Any, ...]]]:
    """payload_json (Content-Type application/json, as reference.mdx shows it) and files[n]."""
    parts: list[tuple[str, tuple[Any, ...]]] = [
        ("payload_json", (None, json.dumps(payload, ensure_ascii=False), "application/json"))
    ]
    for number, upload in enumerate(uploads):
        parts.append((f"files[{number}]", (_filename(number, upload), upload.path.read_bytes(), upload.mime)))
    return parts


def _filename(number: int, upload: Upload) -> str:
    """Unique within the message: renditions of two images may share a name."""
    return f"{number + 1}-{upload.path.name}"


def _retry_after(response: httpx.Response) -> float | None:
    """The body's retry_after (seconds, float), else X-RateLimit-Reset-After, else Retry-After."""
    try:
        value = response.json().get("retry_after")
    except (ValueError, AttributeError):
        value = None
    if isinstance(value, int | float):
        return float(value)
    reset_after = response.headers.get("x-ratelimit-reset-after")
    try:
        return float(reset_after) if reset_after else retry_after_header(response)
    except ValueError:
        return retry_after_header(response)


def _error_message(response: httpx.Response) -> str:
    """ "Invalid Form Body (50035): content: Must be 2000 or fewer in length." — the message, its code
    and the first field error (reference.mdx "Error Messages")."""
    try:
        body = response.json()
    except ValueError:
        return error_text(response)
    if not isinstance(body, dict):
        return error_text(response)
    message = str(body.get("message") or error_text(response))
    if body.get("code"):
        message += f" ({body['code']})"
    detail = _first_error(body.get("errors"), [])
    return f"{message}: {detail}" if detail else message


def _first_error(errors: Any, where: list[str]) -> str | None:
    if not isinstance(errors, dict):
        return None
    for item in errors.get("_errors") or []:
        if isinstance(item, dict) and item.get("message"):
            return f"{'.'.join(where)}: {item['message']}" if where else str(item["message"])
    for name, nested in errors.items():
        if name != "_errors":
            found = _first_error(nested, [*where, str(name)])
            if found:
                return found
    return None


def _code(response: httpx.Response) -> int | None:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def message_link(message: dict[str, Any], guild_id: Any) -> str:
    """https://discord.com/channels/<guild>/<channel>/<message>, the link Discord's "Copy Message
    Link" gives; webhook messages carry no guild_id, so it comes from the webhook object."""
    guild = message.get("guild_id") or guild_id or "@me"
    return f"https://discord.com/channels/{guild}/{message.get('channel_id')}/{message['id']}"


def verify(connection: Connection) -> CredentialCheck:
    """GET the webhook with its token: no post, no authentication beyond the URL itself."""
    try:
        webhook = DiscordPublisher(connection).webhook()
    except CredentialsError as error:
        return CredentialCheck(False, f"webhook rejected or missing: {error}")
    except (PermanentError, TransientError) as error:
        return CredentialCheck(False, str(error))
    return CredentialCheck(
        True, f"valid (webhook {webhook.get('name', '?')!r} posting to channel {webhook.get('channel_id')})"
    )
