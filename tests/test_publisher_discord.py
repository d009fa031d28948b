"""The Discord publisher against a local webhook endpoint that checks each request as
discord/discord-api-docs@c98d64b documents it (developers/resources/webhook.mdx "Execute Webhook",
reference.mdx "Uploading Files", message.mdx "Attachment Request Structure") and answers with
message objects and Discord's error and rate-limit bodies (topics/rate-limits.mdx)."""

from __future__ import annotations

import itertools
import logging
import re
import urllib.parse
import uuid
from typing import Any

import pytest
from werkzeug.wrappers import Response

from postwright.credentials import CredentialsError, Secrets, redact
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import CannotTell, Connection
from postwright.publish import Runner
from tests.contract import CANARY, PublisherContract, SentPost
from tests.fakes.http_platform import Call, FakePlatform, is_image, json_response, local_server, serve

WEBHOOK_ID = "1180000000000000001"
TOKEN = f"pw-webhook-token-{CANARY}"
GUILD, CHANNEL = "1170000000000000001", "1170000000000000002"
_EXECUTE_FIELDS = {  # "Execute Webhook" JSON/Form Params
    "content",
    "username",
    "avatar_url",
    "tts",
    "embeds",
    "allowed_mentions",
    "components",
    "attachments",
    "flags",
    "thread_name",
    "applied_tags",
    "poll",
}
_ATTACHMENT_FIELDS = {"id", "filename", "title", "description", "duration_secs", "waveform", "is_spoiler"}
_MENTION_FIELDS = {"parse", "roles", "users", "replied_user"}  # "Allowed Mentions Object"
# only v10: an unversioned route is served by the deprecated v6 (reference.mdx "API Versioning")
_WEBHOOK = r"/api/v10/webhooks/(?P<id>\d+)/(?P<token>[^/]+)"


class DiscordServer(FakePlatform):
    """One webhook of one channel; messages by id."""

    def __init__(self, httpserver, thread_id: str | None = None) -> None:
        super().__init__(httpserver)
        self.thread_id = thread_id
        self.token = TOKEN
        self.messages: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1190000000000000001)

    def routes(self):
        return [
            ("POST", _WEBHOOK, self._execute),
            ("GET", _WEBHOOK, self._get_webhook),
            ("DELETE", _WEBHOOK + r"/messages/(?P<message>\d+)", self._delete),
        ]

    def unknown(self, call: Call) -> Response:
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/api/webhooks/{WEBHOOK_ID}/{TOKEN}"

    # -- the Server protocol of tests/contract.py ---------------------------------------------------

    def posts(self) -> list[SentPost]:
        return [
            SentPost(
                message_id,
                message["content"],
                None,
                tuple(attachment.get("description", "") for attachment in message["attachments"]),
            )
            for message_id, message in sorted(self.messages.items())
        ]

    def rate_limit_next(self, seconds: int) -> None:
        """topics/rate-limits.mdx "Example Exceeded User Rate Limit Response"."""
        headers = {
            "Retry-After": str(seconds),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{seconds:.2f}",
            "X-RateLimit-Bucket": "abcd1234",
            "X-RateLimit-Scope": "user",
        }
        body = {"message": "You are being rate limited.", "retry_after": float(seconds), "global": False}
        self.fail_next(self._is_execute, lambda call: json_response(body, 429, headers))

    def reject_next(self) -> str:
        """reference.mdx "Error Messages": an Object Error of code 50035."""
        body = {
            "code": 50035,
            "errors": {
                "content": {
                    "_errors": [
                        {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
                    ]
                }
            },
            "message": "Invalid Form Body",
        }
        self.fail_next(self._is_execute, lambda call: json_response(body, 400))
        return "Invalid Form Body (50035): content: Must be 2000 or fewer in length."

    @staticmethod
    def _is_execute(call: Call) -> bool:
        return call.method == "POST" and re.fullmatch(_WEBHOOK, call.path) is not None

    # -- the endpoints ------------------------------------------------------------------------------

    def _authorised(self, call: Call, match: re.Match[str], *, thread: bool = True) -> Response | None:
        """The webhook's id and token, Discord's User-Agent, and the thread_id query of the account
        (GET webhook takes none)."""
        self.expect(
            re.fullmatch(r"DiscordBot \([^,]+, [^)]+\)", call.headers.get("user-agent", "")) is not None,
            f"User-Agent {call.headers.get('user-agent')!r} is not 'DiscordBot ($url, $versionNumber)'",
        )
        if match["id"] != WEBHOOK_ID:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        if match["token"] != self.token:
            return json_response({"message": "Invalid Webhook Token", "code": 50027}, 401)
        expected = self.thread_id if thread else None
        self.expect(call.arg("thread_id") == expected, f"{call.method} thread_id {call.arg('thread_id')!r}")
        return None

    def _execute(self, call: Call, match: re.Match[str]) -> Response:
        if (refused := self._authorised(call, match)) is not None:
            return refused
        self.expect(call.arg("wait") == "true", "execute without ?wait=true: no message comes back")
        payload, files = self._payload(call)
        if payload is None:
            return json_response({"message": "Cannot send an empty message", "code": 50006}, 400)
        unknown = set(payload) - _EXECUTE_FIELDS
        self.expect(not unknown, f"undocumented execute fields {sorted(unknown)}")
        self._check_mentions(payload.get("allowed_mentions"))
        content = payload.get("content", "")
        attachments = self._check_attachments(payload.get("attachments") or [], files)
        if len(content) > 2000:
            return json_response({"message": "Invalid Form Body", "code": 50035}, 400)
        if (failed := self.injected(call)) is not None:
            return failed
        message_id = str(next(self._ids))
        message = {
            "id": message_id,
            "type": 0,
            "content": content,
            "channel_id": self.thread_id or CHANNEL,
            "author": {"id": WEBHOOK_ID, "username": payload.get("username", "Windward"), "bot": True},
            "attachments": attachments,
            "embeds": [],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
            "timestamp": "2026-12-01T09:00:00.000000+00:00",
            "edited_timestamp": None,
            "flags": 0,
            "components": [],
            "webhook_id": WEBHOOK_ID,
        }
        self.messages[message_id] = message
        return json_response(message)

    def _payload(self, call: Call) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """JSON without files; multipart/form-data with payload_json and files[n] with them."""
        if call.mimetype == "application/json":
            self.expect(not call.files, "files in a JSON body")
            return dict(call.json or {}) or None, {}
        self.expect(call.mimetype == "multipart/form-data", f"execute body is {call.mimetype}")
        self.expect(set(call.form) == {"payload_json"}, f"form fields {sorted(call.form)}: only payload_json")
        for name in call.files:
            self.expect(
                re.fullmatch(r"files\[\d+\]", name) is not None, f"file part {name!r} is not files[n]"
            )
            self.expect(is_image(call.files[name]), f"{name} is not an image with a filename")
        return call.json_field("payload_json"), dict(call.files)

    def _check_mentions(self, mentions: Any) -> None:
        if mentions is None:
            return
        self.expect(
            isinstance(mentions, dict) and set(mentions) <= _MENTION_FIELDS, f"allowed_mentions {mentions}"
        )
        parse = mentions.get("parse", [])
        self.expect(set(parse) <= {"roles", "users", "everyone"}, f"allowed_mentions.parse {parse}")

    def _check_attachments(
        self, attachments: list[dict[str, Any]], files: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Each attachment's id n names files[n] and repeats its filename; every file is listed."""
        stored = []
        self.expect(len(attachments) == len(files), f"{len(attachments)} attachments for {len(files)} files")
        for attachment in attachments:
            self.expect(set(attachment) <= _ATTACHMENT_FIELDS, f"attachment fields {sorted(attachment)}")
            part = files.get(f"files[{attachment.get('id')}]")
            if not self.expect(
                part is not None, f"attachment id {attachment.get('id')} has no files[n] part"
            ):
                continue
            self.expect(
                attachment.get("filename") == part.filename, f"filename {attachment} vs {part.filename}"
            )
            self.expect(len(attachment.get("description", "")) <= 1024, "description over 1024 characters")
            stored.append(
                {
                    "id": str(next(self._ids)),
                    "filename": part.filename,
                    "size": len(part.data),
                    "url": f"{self.url}/attachments/{part.filename}",
                    "proxy_url": f"{self.url}/attachments/{part.filename}",
                    "content_type": part.content_type,
                    "width": 800,
                    "height": 600,
                    **({"description": attachment["description"]} if "description" in attachment else {}),
                }
            )
        return stored

    def _get_webhook(self, call: Call, match: re.Match[str]) -> Response:
        """ "Get Webhook with Token": no user in the webhook object."""
        if (refused := self._authorised(call, match, thread=False)) is not None:
            return refused
        return json_response(
            {
                "type": 1,
                "id": WEBHOOK_ID,
                "name": "Windward news",
                "avatar": None,
                "channel_id": CHANNEL,
                "guild_id": GUILD,
                "application_id": None,
                "token": self.token,
            }
        )

    def _delete(self, call: Call, match: re.Match[str]) -> Response:
        if (refused := self._authorised(call, match)) is not None:
            return refused
        if (failed := self.injected(call)) is not None:
            return failed
        if self.messages.pop(match["message"], None) is None:
            return json_response({"message": "Unknown Message", "code": 10008}, 404)
        return Response(status=204)


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


class TestDiscord(PublisherContract):
    platform = "discord"

    @pytest.fixture
    def server(self, local_http):
        with serve(DiscordServer(local_http)) as fake:
            yield fake

    @pytest.fixture
    def environ(self, server) -> dict[str, str]:
        """Overridden: the webhook URL names the local server, which exists only once it runs."""
        return {"PW_TEST_WEBHOOK_URL": server.webhook_url}

    def settings(self, server):
        return {}

    def credentials(self):
        return {"webhook_url": "https://discord.com/api/webhooks/<id>/<token>"}  # the names; see environ

    # -- contract tests that Discord answers differently, as documented -------------------------------

    def test_a_crash_after_sending_never_sends_twice(self, server, connect, ledger):
        """Overridden: a webhook takes no nonce and can read a message only by its id, so find_sent raises
        CannotTell and the runner reports the part "unconfirmed" on every later run; never sent twice."""
        variant = self.variant(self.part_texts()[:1])

        self.die_after_sending(ledger, connect, variant)
        for _ in range(2):
            outcome = self.run(ledger, connect, variant)
            assert outcome.status == "unconfirmed" and "no nonce" in outcome.message, outcome.message
        assert len(server.posts()) == 1

    # -- Discord's own ways --------------------------------------------------------------------------

    def test_text_goes_as_json_with_wait_and_safe_mentions(self, server, connect, ledger):
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]))
        assert outcome.status == "published", outcome.message
        (message_id,) = server.messages
        assert outcome.url == f"https://discord.com/channels/{GUILD}/{CHANNEL}/{message_id}"
        execute = server.calls_to("POST", _WEBHOOK)[0]
        assert execute.mimetype == "application/json" and execute.arg("wait") == "true"
        assert execute.json == {"content": self.part_texts()[0], "allowed_mentions": {"parse": ["users"]}}

    def test_images_go_as_files_with_payload_json(self, server, connect, ledger):
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1], images=2))
        assert outcome.status == "published", outcome.message
        execute = server.calls_to("POST", _WEBHOOK)[0]
        assert execute.mimetype == "multipart/form-data" and sorted(execute.files) == ["files[0]", "files[1]"]
        payload = execute.json_field("payload_json")
        assert payload["attachments"] == [
            {"id": 0, "filename": "1-kite.jpg", "description": self.alts[0]},
            {"id": 1, "filename": "2-riders.jpg", "description": self.alts[1]},
        ]
        assert payload["content"] == self.part_texts()[0]

    def test_the_body_retry_after_wins_over_the_rounded_header(self, server, connect, ledger, sleeps):
        body = {"message": "You are being rate limited.", "retry_after": 6.57, "global": False}
        server.fail_next(server._is_execute, lambda call: json_response(body, 429, {"Retry-After": "7"}))
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "published" and sleeps.calls == [6.57], (outcome.message, sleeps.calls)

    def test_settings_post_into_a_thread_under_another_name(self, server, connect, ledger):
        server.thread_id = "1170000000000000099"  # the fake now expects ?thread_id= on every call
        settings = {"thread_id": server.thread_id, "username": "Windward Kite Works"}
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, lambda: connect(settings=settings), variant)
        assert outcome.status == "published", outcome.message
        assert server.calls_to("POST", _WEBHOOK)[0].json["username"] == "Windward Kite Works"
        assert f"/{server.thread_id}/" in outcome.url
        publisher = connect(settings=settings)
        (outcome,) = Runner(ledger, lambda account: publisher).retract([variant.key])
        assert outcome.status == "retracted" and server.messages == {}

    def test_a_thread_id_in_the_webhook_url_is_kept(self, server, connect, ledger, environ):
        server.thread_id = "1170000000000000099"
        environ["PW_TEST_WEBHOOK_URL"] = f"{server.webhook_url}?thread_id={server.thread_id}"
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "published", outcome.message
        assert f"/{server.thread_id}/" in outcome.url
        publisher = connect()
        (outcome,) = Runner(ledger, lambda account: publisher).retract([variant.key])
        assert outcome.status == "retracted" and server.messages == {}

    @pytest.mark.parametrize(
        ("query", "settings", "message"),
        [
            ("?thread_id=1&thread_id=2", {}, "(thread_id twice)"),
            ("?with_components=true", {}, "(with_components)"),
            ("?thread_id=1", {"thread_id": "2"}, "names thread 1 but settings.thread_id is 2"),
        ],
    )
    def test_a_webhook_url_query_it_cannot_honour_is_refused(
        self, server, connect, environ, query, settings, message
    ):
        environ["PW_TEST_WEBHOOK_URL"] = server.webhook_url + query
        with pytest.raises(CredentialsError, match=re.escape(message)):
            connect(settings=settings)
        assert server.calls == []

    @pytest.mark.parametrize(
        ("status", "body"),
        [
            (401, {"message": "Invalid Webhook Token", "code": 50027}),
            (404, {"message": "Unknown Webhook", "code": 10015}),
        ],
    )
    def test_a_rejected_or_deleted_webhook_is_a_credentials_problem(
        self, server, connect, ledger, status, body
    ):
        server.fail_next(lambda call: True, lambda call: json_response(body, status))
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "failed" and "will retry next run" in outcome.message, outcome.message
        assert body["message"] in outcome.message and "/webhooks/" in outcome.message
        assert TOKEN not in outcome.message and "[secret]" in outcome.message
        assert server.posts() == []

    def test_a_webhook_url_of_the_wrong_shape_is_refused_before_sending(self, server, connect, ledger):
        secrets = Secrets(
            self.account, {"webhook_url": "URL"}, environ={"URL": f"{server.url}/hooks/x{CANARY}"}
        )
        outcome = self.run(ledger, lambda: connect(secrets=secrets), self.variant(self.part_texts()[:1]))
        assert outcome.status == "failed" and "does not look like" in outcome.message
        assert server.calls == []

    @pytest.mark.parametrize(
        "form",
        [
            "https://discord.com/api/webhooks/{id}/{token}/",
            "https://discord.com/api/v10/webhooks/{id}/{token}",
            "https://discordapp.com/api/webhooks/{id}/{token}",
        ],
    )
    def test_the_webhook_token_is_redacted_in_any_form_of_the_url(self, connect, form):
        """The token is registered when the URL is read: whatever form of the URL the config holds, the
        token is redacted wherever it shows (a path, another form of the URL, URL-encoded)."""
        token = f"pw-{uuid.uuid4().hex}-{CANARY}"  # new to this process: no other test registered it
        url = form.format(id=WEBHOOK_ID, token=token)
        connect(secrets=Secrets(self.account, {"webhook_url": "URL"}, environ={"URL": url}))
        for shown in (
            f"POST /api/webhooks/{WEBHOOK_ID}/{token}?wait=true",
            f"https://discord.com/api/v10/webhooks/{WEBHOOK_ID}/{token}/messages/1",
            "url=" + urllib.parse.quote(f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{token}", safe=""),
        ):
            assert token not in redact(shown), shown

    def test_a_webhook_url_with_a_version_and_a_trailing_slash_leaks_nowhere(
        self, server, connect, ledger, caplog
    ):
        """httpx logs every request URL (without the config's trailing slash): with the token itself
        registered, the log, the outcome and the ledger show no token."""
        caplog.set_level(logging.INFO, logger="httpx")
        server.token = f"pw-{uuid.uuid4().hex}-{CANARY}"
        url = f"{server.url}/api/v10/webhooks/{WEBHOOK_ID}/{server.token}/"
        secrets = Secrets(self.account, {"webhook_url": "URL"}, environ={"URL": url})
        variant = self.variant(self.part_texts()[:1])
        fragment = server.reject_next()
        outcome = self.run(ledger, lambda: connect(secrets=secrets), variant)
        assert outcome.status == "failed" and fragment in outcome.message, outcome.message
        outcome = self.run(ledger, lambda: connect(secrets=secrets), self.variant(self.part_texts()[1:2]))
        assert outcome.status == "published", outcome.message
        logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "httpx")
        assert "HTTP Request: POST" in logged and server.token not in logged  # (the fake's own log has it)
        assert server.token not in ledger.path.read_text()

    def test_every_request_goes_to_api_v10(self, server, connect, ledger):
        """Discord hands webhook URLs out unversioned, and an unversioned route is served by v6
        (Deprecated); the publisher sends to v10 whatever form the URL has."""
        assert "/api/webhooks/" in server.webhook_url
        variant = self.variant(self.part_texts()[:1], images=1)
        assert self.run(ledger, connect, variant).status == "published"
        (post,) = server.posts()
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "retracted", outcome.message
        webhook = f"/api/v10/webhooks/{WEBHOOK_ID}/{server.token}"
        assert [(call.method, call.path) for call in server.calls] == [
            ("GET", webhook),
            ("POST", webhook),
            ("DELETE", f"{webhook}/messages/{post.remote_id}"),
        ]

    def test_a_server_error_is_unconfirmed_not_resent(self, server, connect, ledger, sleeps):
        server.fail_next(server._is_execute, lambda call: json_response({"message": "500: Internal"}, 500))
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]), sleeps)
        assert outcome.status == "unconfirmed", outcome.message
        assert len(server.calls_to("POST", _WEBHOOK)) == 1

    def test_retract_of_an_already_deleted_message_succeeds(self, server, connect, ledger):
        variant = self.variant(self.part_texts()[:1])
        assert self.run(ledger, connect, variant).status == "published"
        server.messages.clear()
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "retracted", outcome.message

    def test_find_sent_cannot_tell_without_having_seen_a_refusal(self, server, connect):
        with pytest.raises(CannotTell):
            connect().find_sent(self.variant(self.part_texts()[:1]), 1, "key-1")

    def test_verify_names_the_webhook(self, server, environ):
        secrets = Secrets("brand", {"webhook_url": "PW_TEST_WEBHOOK_URL"}, environ)
        check = PLATFORMS["discord"].verify(Connection("brand", "discord", {}, secrets))
        assert check.ok and check.detail == f"valid (webhook 'Windward news' posting to channel {CHANNEL})"
        wrong = Secrets(
            "brand", {"webhook_url": "URL"}, {"URL": f"{server.url}/api/webhooks/{WEBHOOK_ID}/nope"}
        )
        check = PLATFORMS["discord"].verify(Connection("brand", "discord", {}, wrong))
        assert not check.ok and "Invalid Webhook Token" in check.detail and "nope" not in check.detail
