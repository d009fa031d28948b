"""Telegram's publisher and `verify`: the Bot API over httpx; how it behaves is in the package docstring
(telegram/__init__.py), which declares the platform.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from postwright import text
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
from postwright.platforms.http_client import ApiClient, error_text, retry_after_header
from postwright.platforms.telegram import DEFAULT_API

CAPTION_LIMIT = 1024  # sendPhoto/sendMediaGroup caption: "0-1024 characters after entities parsing"
ALBUM_LIMIT = 10  # sendMediaGroup: "an array … describing messages to be sent, must include 2-10 items"


class TelegramPublisher:
    """Sends one channel post per part through the Bot API; see the package docstring."""

    idempotent = False  # no idempotency key, no way to ask what was sent

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.chat_id = str(connection.required("chat_id"))
        token = connection.secrets["bot_token"]
        base = str(connection.setting("api_url") or DEFAULT_API).rstrip("/")
        # "https://api.telegram.org/bot<token>/METHOD_NAME" (Bot API "Making requests"); the token is a
        # registered secret, so every message that shows the URL is redacted
        self.api = _BotApi(connection, f"{base}/bot{token}/")
        self._refused: set[str] = set()  # keys whose last send Telegram refused, nothing left out

    # -- sending -----------------------------------------------------------------------------------

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        self._refused.discard(key)
        body = variant.parts[part - 1]
        uploads = self.connection.uploads(variant) if part == 1 else []  # images go with the first part
        # the first id of a part is the message carrying its text (see `send`'s receipt)
        reply = (
            {"message_id": int(reply_to.remote_id.split(",")[0])} if reply_to and reply_to.remote_id else None
        )
        sent: list[dict[str, Any]] = []  # every message of this part that went out, in order
        try:
            carrier = self._post(body, uploads, reply, sent)
        except (TransientError, PermanentError, CredentialsError):
            refused = self.api.refused  # read before deleting makes other requests
            if refused and self._remove(sent):
                self._refused.add(key)  # Telegram said no and nothing of this part is out
            raise
        others = [message for message in sent if message is not carrier]
        ids = ",".join(str(message["message_id"]) for message in [carrier, *others])
        return Receipt(ids, message_link(carrier))

    def _post(
        self, body: str, uploads: list[Upload], reply: dict[str, int] | None, sent: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Send the part's messages, appending each to `sent`; returns the one carrying the text."""
        if not uploads:
            sent.append(self.call("sendMessage", json=self._text_message(body, reply)))
            return sent[0]
        if len(uploads) > ALBUM_LIMIT:
            raise PermanentError(
                f"Telegram albums hold at most {ALBUM_LIMIT} images; this part has {len(uploads)}"
            )
        caption = as_caption(body)
        if len(uploads) == 1:
            sent.append(self.call("sendPhoto", **self._photo(uploads[0], caption, reply)))
        else:
            sent.extend(self.call("sendMediaGroup", **self._album(uploads, caption, reply)))
        if caption is not None:
            return sent[0]  # the caption is on the first message (the album's caption)
        sent.append(self.call("sendMessage", json=self._text_message(body, None)))
        return sent[-1]

    def _text_message(self, body: str, reply: dict[str, int] | None) -> dict[str, Any]:
        """sendMessage: chat_id, text, parse_mode, link_preview_options, reply_parameters."""
        message: dict[str, Any] = {"chat_id": self.chat_id, "text": body, "parse_mode": "HTML"}
        if not self.connection.setting("link_preview", True):
            message["link_preview_options"] = {"is_disabled": True}
        return self._common(message, reply)

    def _photo(self, upload: Upload, caption: str | None, reply: dict[str, int] | None) -> dict[str, Any]:
        """sendPhoto as multipart/form-data: the file in the `photo` field; object-valued fields as
        JSON text ("Making requests": files must be posted using multipart/form-data)."""
        fields: dict[str, Any] = {"chat_id": self.chat_id}
        if caption:
            fields.update(caption=caption, parse_mode="HTML")
        return {"data": _form(self._common(fields, reply)), "files": {"photo": _file(upload)}}

    def _album(
        self, uploads: list[Upload], caption: str | None, reply: dict[str, int] | None
    ) -> dict[str, Any]:
        """sendMediaGroup: `media` is a JSON array of InputMediaPhoto whose `media` is
        "attach://<file_attach_name>" naming a multipart file field; the caption of the first item is
        shown as the album's caption."""
        media: list[dict[str, Any]] = []
        files: dict[str, Any] = {}
        for number, upload in enumerate(uploads):
            name = f"photo{number}"
            item: dict[str, Any] = {"type": "photo", "media": f"attach://{name}"}
            if number == 0 and caption:
                item.update(caption=caption, parse_mode="HTML")
            media.append(item)
            files[name] = _file(upload)
        fields = self._common({"chat_id": self.chat_id, "media": media}, reply)
        return {"data": _form(fields), "files": files}

    def _common(self, fields: dict[str, Any], reply: dict[str, int] | None) -> dict[str, Any]:
        if reply:
            fields["reply_parameters"] = reply  # ReplyParameters (Bot API 7.0+)
        if self.connection.setting("silent", False):
            fields["disable_notification"] = True
        return fields

    def call(self, method: str, **options: Any) -> Any:
        """POST one Bot API method; the `result` of {"ok": true, "result": …}.

        Errors come with a 4xx/5xx status ("Making requests"), so a 2xx that is not JSON, says ok
        false or has no result is malformed: not a refusal, since the message may be out. It is an
        UnexpectedAnswer, which the runner leaves `started` (unconfirmed) rather than failed."""
        response = self.api.request("POST", method, **options)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or answer.get("ok") is not True or "result" not in answer:
            shown = answer.get("description", answer) if isinstance(answer, dict) else response.text[:200]
            raise UnexpectedAnswer(redact(f"{method}: {response.status_code} but not ok: {shown}"))
        return answer["result"]

    # -- settling a crash --------------------------------------------------------------------------

    def find_sent(self, variant: Variant | None, part: int, key: str) -> Receipt | None:
        if key in self._refused:
            return None  # this run saw Telegram refuse the last try, and removed anything of it
        raise CannotTell(
            "the Telegram Bot API cannot list the messages a bot sent, so whether this part went out "
            "is unknown; look in the channel"
        )

    # -- retracting --------------------------------------------------------------------------------

    def delete(self, remote_id: str) -> None:
        """deleteMessage for every message of the part; "message to delete not found" is already gone.
        Bots may delete their channel posts for 48 hours (Bot API deleteMessage)."""
        if not remote_id:
            raise PermanentError("no message id was recorded for this part; delete it by hand")
        for message_id in remote_id.split(","):
            self._delete_one(int(message_id))

    def _delete_one(self, message_id: int) -> None:
        response = self.api.request(
            "POST", "deleteMessage", json={"chat_id": self.chat_id, "message_id": message_id}, ok=(400,)
        )
        if response.status_code == 400:
            description = _description(response)
            if "not found" not in description.lower():
                raise PermanentError(redact(f"deleteMessage {message_id}: 400 {description}"))

    def _remove(self, sent: list[dict[str, Any]]) -> bool:
        """Delete what went out of a part that then failed; True when nothing of it is left."""
        try:
            for message in sent:
                self._delete_one(int(message["message_id"]))
        except (TransientError, PermanentError, CredentialsError):
            return False
        return True


class _BotApi(ApiClient):
    """ApiClient with the Bot API's ways: the description as the message, retry_after from the JSON
    body, 404 for a malformed token; and whether the last failed request was refused outright."""

    def __init__(self, connection: Connection, base_url: str) -> None:
        super().__init__(connection, base_url, retry_after=_retry_after, error_message=_description)
        self.last_status: int | None = None

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        self.last_status = None  # None after a timeout or a lost connection: the outcome is unknown
        return super().request(method, url, **options)

    def error_for(self, response: httpx.Response) -> Exception:
        self.last_status = response.status_code
        if response.status_code == 404:  # "Not Found" is the Bot API's answer to a wrong token path
            return CredentialsError(redact(f"bot token rejected: 404 {_description(response)}"))
        return super().error_for(response)

    @property
    def refused(self) -> bool:
        """The last request was answered with a 4xx: Telegram did not take it (5xx may have)."""
        return self.last_status is not None and 400 <= self.last_status < 500


def _retry_after(response: httpx.Response) -> float | None:
    """Flood control: {"ok": false, "error_code": 429, "parameters": {"retry_after": N}}
    (Bot API ResponseParameters: "the number of seconds left to wait")."""
    try:
        parameters = response.json().get("parameters") or {}
    except (ValueError, AttributeError):
        parameters = {}
    value = parameters.get("retry_after")
    if isinstance(value, int | float):
        return float(value)
    return retry_after_header(response)


def _description(response: httpx.Response) -> str:
    """{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}."""
    return error_text(response)


def _form(fields: dict[str, Any]) -> dict[str, str]:
    """Multipart fields: objects and arrays as JSON text ("JSON-serialized"), the rest as text."""
    return {name: _form_value(value) for name, value in fields.items()}


def _form_value(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _file(upload: Upload) -> tuple[str, bytes, str]:
    return (upload.path.name, upload.path.read_bytes(), upload.mime)


def message_link(message: dict[str, Any]) -> str:
    """t.me/<username>/<id> for public channels, t.me/c/<id>/<id> for private ones (members only);
    "" for chats that have no message links."""
    chat = message.get("chat") or {}
    message_id = message.get("message_id")
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return ""


def as_caption(body: str) -> str | None:
    """The part's text as the images' caption when it fits one, else None: it then follows them as its own
    message. The publisher sends by this and validation measures by it (PLATFORM's limits)."""
    return body if text.telegram_length(body) <= CAPTION_LIMIT else None


def verify(connection: Connection) -> CredentialCheck:
    """getMe (is the token valid) and getChat (can the bot see the channel), without posting."""
    try:
        publisher = TelegramPublisher(connection)
        bot = publisher.call("getMe")
        chat = publisher.call("getChat", json={"chat_id": publisher.chat_id})
    except CredentialsError as error:
        return CredentialCheck(False, f"bot token rejected or missing: {error}")
    except (PermanentError, TransientError, UnexpectedAnswer) as error:
        return CredentialCheck(False, str(error))
    where = chat.get("title") or chat.get("username") or publisher.chat_id
    return CredentialCheck(True, f"valid (bot @{bot.get('username', '?')} posting to {where})")
