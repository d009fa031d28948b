"""The Telegram publisher against a local Bot API that checks each request as
https://core.telegram.org/bots/api documents it and answers with its JSON shapes."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from werkzeug.wrappers import Response

from postwright import pipeline
from postwright.credentials import Secrets
from postwright.dialects import to_dialect
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import CannotTell, Connection
from postwright.platforms.telegram.publisher import CAPTION_LIMIT
from postwright.publish import Runner
from postwright.text import telegram_length
from tests.contract import CANARY, PublisherContract, SentPost
from tests.fakes.http_platform import Call, FakePlatform, is_image, json_response, local_server, serve

TOKEN = f"7000000001:AAH-pw-test{CANARY}"  # what the contract's environ hands the publisher
CHAT = {"id": -1001234567890, "title": "Windward Kite Works", "username": "windwardkites", "type": "channel"}
BOT = {"id": 7000000001, "is_bot": True, "first_name": "Windward", "username": "windward_bot"}

# Bot API "Formatting options", HTML style: the tags and attributes Telegram accepts
_TAGS = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "tg-emoji": {"emoji-id"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
}
_BAD_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_FIELDS = {  # the parameters of each method this publisher may use (Bot API method tables)
    "sendMessage": {
        "chat_id",
        "text",
        "parse_mode",
        "link_preview_options",
        "reply_parameters",
        "disable_notification",
    },
    "sendPhoto": {"chat_id", "photo", "caption", "parse_mode", "reply_parameters", "disable_notification"},
    "sendMediaGroup": {"chat_id", "media", "reply_parameters", "disable_notification"},
    "deleteMessage": {"chat_id", "message_id"},
    "getMe": set(),
    "getChat": {"chat_id"},
}
_SENDS = ("/sendMessage", "/sendPhoto", "/sendMediaGroup")


class _Entities(HTMLParser):
    """Telegram's HTML rules: known tags and attributes only, every tag closed, visible text kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.errors: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            self.errors.append(f'Unsupported start tag "{tag}"')
        elif unknown := {name for name, _ in attrs} - _TAGS[tag]:
            self.errors.append(f"unsupported attributes {sorted(unknown)} of <{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.errors.append(f'Unexpected end tag "{tag}"')


def html_errors(html: str) -> list[str]:
    parser = _Entities()
    parser.feed(html)
    parser.close()
    errors = parser.errors + [f"unclosed <{tag}>" for tag in parser.open]
    if _BAD_AMPERSAND.search(html) or re.search(r"<(?![a-z/])", html):
        errors.append("a bare & or < that is not part of an entity or tag")
    return errors


class TelegramServer(FakePlatform):
    """A channel behind the Bot API: messages by id, albums by media_group_id."""

    def __init__(self, httpserver) -> None:
        super().__init__(httpserver)
        self.messages: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(100)
        self._groups = itertools.count(13000000000000)

    def routes(self):
        # "All queries to the Telegram Bot API must be served over HTTPS and need to be presented in this
        # form: https://api.telegram.org/bot<token>/METHOD_NAME"
        return [("POST", r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)", self._method)]

    def unknown(self, call: Call) -> Response:
        return _error(404, "Not Found")

    # -- the Server protocol of tests/contract.py ---------------------------------------------------

    def posts(self) -> list[SentPost]:
        """Live posts, oldest first: an album is one post, its caption the text."""
        found: list[SentPost] = []
        groups: set[str] = set()
        for _, message in sorted(self.messages.items()):
            group = message.get("media_group_id")
            if group in groups:
                continue
            members = [
                m for _, m in sorted(self.messages.items()) if group and m.get("media_group_id") == group
            ]
            if group:
                groups.add(group)
            members = members or [message]
            html = next((member["_html"] for member in members if member["_html"]), "")
            reply = message.get("reply_to_message", {}).get("message_id")
            ids = ",".join(str(member["message_id"]) for member in members)
            found.append(SentPost(ids, html, str(reply) if reply else None))
        return found

    def rate_limit_next(self, seconds: int) -> None:
        self.fail_next(
            lambda call: call.path.endswith(_SENDS),
            lambda call: json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {seconds}",
                    "parameters": {"retry_after": seconds},
                },
                429,
            ),
        )

    def reject_next(self) -> str:
        self.fail_next(
            lambda call: call.path.endswith(_SENDS), lambda call: _error(400, "Bad Request: chat not found")
        )
        return "chat not found"

    # -- the endpoints ------------------------------------------------------------------------------

    def _method(self, call: Call, match: re.Match[str]) -> Response:
        if match["token"] != TOKEN:
            return _error(401, "Unauthorized")
        method = match["method"]
        if method not in _FIELDS:
            self.problems.append(f"{method}: a method this publisher should not call")
            return _error(404, "Not Found")
        params = self._params(call, method)
        names = set(params) | (set(call.files) if method == "sendPhoto" else set())
        self.expect(
            names <= _FIELDS[method], f"{method}: undocumented fields {sorted(names - _FIELDS[method])}"
        )
        if "chat_id" in _FIELDS[method] and not self.expect(
            str(params.get("chat_id")) in ("@windwardkites", str(CHAT["id"])), f"{method}: chat_id {params}"
        ):
            return _error(400, "Bad Request: chat not found")
        return getattr(self, f"_{method}")(call, params)

    def _params(self, call: Call, method: str) -> dict[str, Any]:
        """JSON for text methods; multipart/form-data where files go ("Making requests")."""
        if method in ("sendPhoto", "sendMediaGroup"):
            self.expect(call.mimetype == "multipart/form-data", f"{method}: {call.mimetype}, not multipart")
            params: dict[str, Any] = {name: values[0] for name, values in call.form.items()}
            for name in ("reply_parameters", "media", "link_preview_options"):
                if name in params:
                    params[name] = json.loads(params[name])  # "JSON-serialized"
            return params
        if not call.body:
            return {}
        self.expect(call.mimetype == "application/json", f"{method}: {call.mimetype}, not JSON")
        return dict(call.json or {})

    def _sendMessage(self, call: Call, params: dict[str, Any]) -> Response:
        text = str(params.get("text", ""))
        failed = self._check_text("sendMessage", text, params.get("parse_mode"), 4096, "message is too long")
        failed = failed or self._check_reply(params)
        if failed or (failed := self.injected(call)):
            return failed
        preview = params.get("link_preview_options")
        self.expect(preview is None or isinstance(preview, dict), f"link_preview_options {preview!r}")
        return _ok(self._store({"text": _visible(text)}, text, params))

    def _sendPhoto(self, call: Call, params: dict[str, Any]) -> Response:
        self.expect(set(call.files) == {"photo"}, f"sendPhoto files {sorted(call.files)}")
        self.expect(is_image(call.files.get("photo")), "sendPhoto: photo is not an image file part")
        caption = params.get("caption")
        failed = None
        if caption is not None:
            failed = self._check_text(
                "sendPhoto", caption, params.get("parse_mode"), 1024, "message caption is too long"
            )
        failed = failed or self._check_reply(params)
        if failed or (failed := self.injected(call)):
            return failed
        message = {"photo": [_photo_size()]}
        if caption:
            message["caption"] = _visible(caption)
        return _ok(self._store(message, caption or "", params))

    def _sendMediaGroup(self, call: Call, params: dict[str, Any]) -> Response:
        media = params.get("media")
        if not self.expect(isinstance(media, list) and 2 <= len(media) <= 10, f"media {media!r}: 2-10 items"):
            return _error(400, "Bad Request: wrong number of media")
        attached = set()
        failed = None
        for item in media:
            self.expect(set(item) <= {"type", "media", "caption", "parse_mode"}, f"InputMediaPhoto {item}")
            self.expect(item.get("type") == "photo", f"InputMediaPhoto type {item.get('type')!r}")
            name = str(item.get("media", "")).removeprefix("attach://")
            self.expect(str(item.get("media")).startswith("attach://"), f"media {item.get('media')!r}")
            self.expect(is_image(call.files.get(name)), f"attach://{name}: no image file part of that name")
            attached.add(name)
            if "caption" in item:
                failed = failed or self._check_text(
                    "sendMediaGroup",
                    item["caption"],
                    item.get("parse_mode"),
                    1024,
                    "message caption is too long",
                )
        self.expect(
            attached == set(call.files), f"file parts {sorted(call.files)} vs attached {sorted(attached)}"
        )
        failed = failed or self._check_reply(params)
        if failed or (failed := self.injected(call)):
            return failed
        group = str(next(self._groups))
        sent = []
        for index, item in enumerate(media):
            message: dict[str, Any] = {"photo": [_photo_size()], "media_group_id": group}
            if item.get("caption"):
                message["caption"] = _visible(item["caption"])
            sent.append(self._store(message, item.get("caption", ""), params if index == 0 else {}))
        return _ok(sent)

    def _deleteMessage(self, call: Call, params: dict[str, Any]) -> Response:
        message_id = params.get("message_id")
        self.expect(isinstance(message_id, int), f"deleteMessage message_id {message_id!r} is not an Integer")
        if (failed := self.injected(call)) is not None:
            return failed
        if self.messages.pop(message_id, None) is None:
            return _error(400, "Bad Request: message to delete not found")
        return _ok(True)

    def _getMe(self, call: Call, params: dict[str, Any]) -> Response:
        return _ok(BOT)

    def _getChat(self, call: Call, params: dict[str, Any]) -> Response:
        return _ok({**CHAT, "accent_color_id": 0, "max_reaction_count": 11})

    # -- checks and state ---------------------------------------------------------------------------

    def _check_text(self, method: str, html: str, mode: Any, limit: int, too_long: str) -> Response | None:
        self.expect(mode == "HTML", f"{method}: parse_mode {mode!r}, not HTML")
        self.expect(bool(html.strip()), f"{method}: empty text")
        if errors := html_errors(html):
            self.problems.append(f"{method}: {errors} in {html!r}")
            return _error(400, f"Bad Request: can't parse entities: {errors[0]}")
        if visible_length(html) > limit:
            return _error(400, f"Bad Request: {too_long}")
        return None

    def _check_reply(self, params: dict[str, Any]) -> Response | None:
        reply = params.get("reply_parameters")
        if reply is None:
            return None
        self.expect(
            isinstance(reply, dict) and set(reply) <= {"message_id", "chat_id"}, f"reply_parameters {reply}"
        )
        if reply.get("message_id") not in self.messages:
            return _error(400, "Bad Request: message to be replied not found")
        return None

    def _store(self, message: dict[str, Any], html: str, params: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._ids)
        full = {"message_id": message_id, "sender_chat": CHAT, "chat": CHAT, "date": 1796115600, **message}
        reply = (params.get("reply_parameters") or {}).get("message_id")
        if reply:
            full["reply_to_message"] = {
                k: v for k, v in self.messages[reply].items() if not k.startswith("_")
            }
        self.messages[message_id] = {**full, "_html": html}
        return full


def _visible(html: str) -> str:
    parser = HTMLParser(convert_charrefs=True)
    parts: list[str] = []
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(html)
    parser.close()
    return "".join(parts)


def visible_length(html: str) -> int:
    """The fake's own count "after entities parsing", independent of postwright.text: UTF-16 units of
    what html.parser leaves of the HTML (it decodes only the entities Telegram does, in what we send)."""
    return len(_visible(html).encode("utf-16-le")) // 2


def _photo_size() -> dict[str, Any]:
    return {
        "file_id": "AgACAgQAAx0",
        "file_unique_id": "AQAD",
        "width": 800,
        "height": 600,
        "file_size": 4000,
    }


def _ok(result: Any) -> Response:
    return json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> Response:
    return json_response({"ok": False, "error_code": code, "description": description}, code)


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


class TestTelegram(PublisherContract):
    platform = "telegram"

    @pytest.fixture
    def server(self, local_http):
        with serve(TelegramServer(local_http)) as fake:
            yield fake

    def settings(self, server):
        return {"chat_id": "@windwardkites", "api_url": server.url}

    def credentials(self):
        return {"bot_token": TOKEN.removesuffix(CANARY)}

    def part_texts(self) -> tuple[str, str, str]:
        """Parts as the telegram_html dialect renders them (HTML, entities escaped)."""
        return (
            to_dialect(
                "Launch day at **Windward** & friends: the "
                "[Gale 9](https://example.com/gale?utm_source=telegram&a=1) is here. #kites",
                "telegram_html",
            ),
            to_dialect("It packs to 40 cm < 1 m and flies in 8 knots. _Ещё_: ветер!", "telegram_html"),
            to_dialect("Questions? Ask us — we answer every one. 🪁", "telegram_html"),
        )

    # -- contract tests that Telegram answers differently, as documented ------------------------------

    def test_images_carry_their_alt_text(self, server, connect, ledger):
        """Overridden: Telegram has no alt text (PLATFORM says so; the Bot API's InputMediaPhoto has no
        such field). What is documented instead: two images go as one album (sendMediaGroup), the text
        as the first item's caption, and the alt text is sent nowhere."""
        assert PLATFORMS["telegram"].limits.alt_text == "unsupported"
        variant = self.variant(self.part_texts()[:1], images=2)
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "published", outcome.message
        (album,) = server.calls_to("POST", r"/bot[^/]+/sendMediaGroup")
        media = album.json_field("media")
        assert [item["media"] for item in media] == ["attach://photo0", "attach://photo1"]
        assert media[0]["caption"] == self.part_texts()[0] and media[0]["parse_mode"] == "HTML"
        assert "caption" not in media[1]
        (post,) = server.posts()
        assert post.text == self.part_texts()[0] and post.alts == ()
        for call in server.calls:
            for alt in self.alts:
                assert alt.encode() not in call.body

    def test_a_crash_after_sending_never_sends_twice(self, server, connect, ledger):
        """Overridden: Telegram cannot be asked what a bot sent, so find_sent raises CannotTell and the
        runner reports the part "unconfirmed" on every later run; it is never sent a second time."""
        variant = self.variant(self.part_texts()[:1])

        self.die_after_sending(ledger, connect, variant)
        for _ in range(2):  # the next scheduled runs
            outcome = self.run(ledger, connect, variant)
            assert outcome.status == "unconfirmed" and "cannot list" in outcome.message, outcome.message
            assert ledger.read()[variant.key].last(1).status == "started"
        assert len(server.posts()) == 1

    # -- Telegram's own ways -------------------------------------------------------------------------

    def test_a_text_goes_as_html_with_the_token_in_the_path(self, server, connect, ledger):
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1]))
        assert outcome.status == "published" and outcome.url == "https://t.me/windwardkites/100"
        (call,) = server.calls_to("POST", r"/bot[^/]+/sendMessage")
        assert call.path == f"/bot{TOKEN}/sendMessage"
        assert call.json == {"chat_id": "@windwardkites", "text": self.part_texts()[0], "parse_mode": "HTML"}

    def test_one_image_takes_the_text_as_its_caption(self, server, connect, ledger):
        outcome = self.run(ledger, connect, self.variant(self.part_texts()[:1], images=1))
        assert outcome.status == "published", outcome.message
        (call,) = server.calls
        assert call.path.endswith("/sendPhoto") and call.field("caption") == self.part_texts()[0]
        assert call.field("parse_mode") == "HTML" and call.files["photo"].filename == "kite.jpg"
        assert call.files["photo"].content_type == "image/jpeg"

    def test_a_caption_is_counted_as_the_reader_sees_it(self, server, connect, ledger):
        """1024 is counted "after entities parsing": long link targets and tags do not count."""
        link = "https://example.com/" + "x" * 400
        html = f'<a href="{link}">Gale 9</a> ' + "a" * (CAPTION_LIMIT - 7)
        assert len(html) > CAPTION_LIMIT and visible_length(html) == CAPTION_LIMIT
        assert self.run(ledger, connect, self.variant((html,), images=1)).status == "published"
        (call,) = server.calls
        assert call.path.endswith("/sendPhoto") and call.field("caption") == html

    @pytest.mark.parametrize("count", [1, 2])
    def test_a_text_longer_than_a_caption_follows_the_images(self, server, connect, ledger, count):
        """Documented choice: the images first without a caption, then the text as a message; the
        remote id lists the text's message first, and a retract removes them all."""
        long_text = "<b>Gale 9</b> " + "wind " * 300  # 1510 visible characters: over 1024, under 4096
        variant = self.variant((long_text,), images=count)
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "published", outcome.message
        methods = [call.path.rsplit("/", 1)[1] for call in server.calls]
        assert methods == ["sendPhoto" if count == 1 else "sendMediaGroup", "sendMessage"]
        assert all(call.field("caption") is None for call in server.calls[:1])
        record = ledger.read()[variant.key].last(1)
        text_id = max(server.messages)
        assert (
            record.remote_id.split(",")[0] == str(text_id) and len(record.remote_id.split(",")) == count + 1
        )
        assert record.url == f"https://t.me/windwardkites/{text_id}"
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "retracted" and server.messages == {}

    def test_flood_control_between_images_and_text_removes_the_images_then_retries(
        self, server, connect, ledger, sleeps
    ):
        """The text's 429 comes after the album went out: the album is deleted again, so the retry
        sends the whole part once and the channel holds one copy."""
        server.fail_next(
            lambda call: call.path.endswith("/sendMessage"),
            lambda call: json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 3",
                    "parameters": {"retry_after": 3},
                },
                429,
            ),
        )
        variant = self.variant(("wind " * 300,), images=2)
        outcome = self.run(ledger, connect, variant, sleeps)
        assert outcome.status == "published", outcome.message
        assert sleeps.calls == [3.0]
        assert len(server.messages) == 3  # one album of two, one text
        assert [call.path.rsplit("/", 1)[1] for call in server.calls] == [
            "sendMediaGroup",
            "sendMessage",
            "deleteMessage",
            "deleteMessage",
            "sendMediaGroup",
            "sendMessage",
        ]

    def test_a_server_error_after_the_images_is_unconfirmed_not_resent(self, server, connect, ledger, sleeps):
        """A 502 may or may not have posted the text: nothing is deleted or sent again."""
        server.fail_next(
            lambda call: call.path.endswith("/sendMessage"),
            lambda call: json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502),
        )
        outcome = self.run(ledger, connect, self.variant(("wind " * 300,), images=1), sleeps)
        assert outcome.status == "unconfirmed", outcome.message
        assert [call.path.rsplit("/", 1)[1] for call in server.calls] == ["sendPhoto", "sendMessage"]

    @pytest.mark.parametrize(
        "answer",
        [
            json_response({"ok": False, "description": "Internal: try later"}, 200),
            json_response({"ok": True}, 200),  # no result
            Response("<html>proxy</html>", 200, mimetype="text/html"),
        ],
    )
    def test_a_2xx_that_is_not_ok_is_unconfirmed_not_failed(self, server, connect, ledger, sleeps, answer):
        """Telegram's errors come with a 4xx/5xx status: a 2xx that is not {"ok": true, "result"} may have
        posted the message, so it is not recorded as failed for good; it stays `started`, unconfirmed,
        and is never sent a second time."""
        server.fail_next(lambda call: call.path.endswith("/sendMessage"), lambda call: answer)
        variant = self.variant(self.part_texts()[:1])
        for _ in range(2):
            outcome = self.run(ledger, connect, variant, sleeps)
            assert outcome.status == "unconfirmed", outcome.message
            record = ledger.read()[variant.key].last(1)
            assert record.status == "started" and not record.permanent
        assert len(server.calls_to("POST", r"/bot[^/]+/sendMessage")) == 1 and sleeps.calls == []

    def test_later_parts_reply_to_the_part_before(self, server, connect, ledger):
        """Where an account allows more than one part (Telegram itself has no threads)."""
        parts = self.part_texts()[:2]
        outcome = self.run(ledger, connect, self.variant(parts))
        assert outcome.status == "published" and outcome.parts_sent == 2, outcome.message
        first, second = server.posts()
        assert second.reply_to == first.remote_id
        assert server.calls[1].json["reply_parameters"] == {"message_id": int(first.remote_id)}

    def test_settings_turn_off_link_previews_and_notifications(self, server, connect, ledger):
        settings = {**self.settings(server), "link_preview": False, "silent": True}
        outcome = self.run(ledger, lambda: connect(settings=settings), self.variant(self.part_texts()[:1]))
        assert outcome.status == "published", outcome.message
        body = server.calls[0].json
        assert body["link_preview_options"] == {"is_disabled": True} and body["disable_notification"] is True

    @pytest.mark.parametrize(("status", "description"), [(401, "Unauthorized"), (404, "Not Found")])
    def test_a_rejected_token_is_a_credentials_problem(self, server, connect, ledger, status, description):
        """401, and the 404 the Bot API gives for a token of the wrong shape: fixed by a person, so the
        job is tried again next run, not retried now and not failed for good."""
        server.fail_next(lambda call: True, lambda call: _error(status, description))
        variant = self.variant(self.part_texts()[:1])
        outcome = self.run(ledger, connect, variant)
        assert outcome.status == "failed" and "will retry next run" in outcome.message
        assert not ledger.read()[variant.key].last(1).permanent and server.posts() == []

    def test_retract_of_an_already_deleted_message_succeeds(self, server, connect, ledger):
        variant = self.variant(self.part_texts()[:1])
        assert self.run(ledger, connect, variant).status == "published"
        server.messages.clear()  # deleted by hand in the channel
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "retracted", outcome.message

    def test_a_message_telegram_will_not_delete_fails_the_retract(self, server, connect, ledger):
        variant = self.variant(self.part_texts()[:1])
        assert self.run(ledger, connect, variant).status == "published"
        server.fail_next(
            lambda call: call.path.endswith("/deleteMessage"),
            lambda call: _error(400, "Bad Request: message can't be deleted"),
        )
        (outcome,) = Runner(ledger, lambda account: connect()).retract([variant.key])
        assert outcome.status == "failed" and "message can't be deleted" in outcome.message
        assert len(server.posts()) == 1

    def test_find_sent_cannot_tell_without_having_seen_a_refusal(self, server, connect):
        with pytest.raises(CannotTell):
            connect().find_sent(self.variant(self.part_texts()[:1]), 1, "key-1")

    def test_verify_names_the_bot_and_the_channel(self, server, environ):
        connection = Connection(
            "brand",
            "telegram",
            self.settings(server),
            Secrets("brand", {"bot_token": "PW_TEST_BOT_TOKEN"}, environ),
        )
        check = PLATFORMS["telegram"].verify(connection)
        assert check.ok and check.detail == "valid (bot @windward_bot posting to Windward Kite Works)"
        missing = Connection("brand", "telegram", self.settings(server), Secrets("brand", {}, {}))
        assert not PLATFORMS["telegram"].verify(missing).ok


def test_visible_length_counts_utf16_units_of_the_text_only():
    html = '<b>a</b> &amp; <a href="https://x.example/long">🪁</a>'
    assert visible_length(html) == telegram_length(html) == len("a & ") + 2


def test_the_fake_flags_html_telegram_refuses():
    assert html_errors("<p>x</p>") and html_errors("a & b") and html_errors("<b>x")
    assert html_errors('<b>a</b> &amp; <a href="https://x">y</a> &lt;') == []


def photo_post(api_url: str, body: str) -> str:
    """A brand with one Telegram channel (sent through the fake at `api_url`) and a post with a photo."""
    return f"""\
-- config.yml --
brand:
  name: Test Brand
  timezone: Europe/Madrid
  platforms: [telegram]
accounts:
  channel:
    platform: telegram
    deliver: api
    credentials: {{bot_token: PW_TG_TOKEN}}
    settings: {{chat_id: "@windwardkites", api_url: "{api_url}"}}
-- assets/photo.jpg --
1600x1200
-- content/posts/2026-12-01-0900-pic.md --
---
images: [{{src: photo.jpg, alt: An orange rectangle}}]
---
{body}
"""


def test_the_pipeline_sends_a_rendered_post(make_project, local_http, monkeypatch):
    """config.yml → Markdown rendered as Telegram HTML → the publish step → the Bot API, with the
    image's rendition as the photo and the text as its caption."""
    with serve(TelegramServer(local_http)) as server:
        project = make_project(
            photo_post(server.url, "The **Gale 9** & its bag: <light> and [small](https://example.com/gale).")
        )
        monkeypatch.setenv("PW_TG_TOKEN", TOKEN)
        now = datetime(2026, 12, 1, 9, 5, tzinfo=ZoneInfo("Europe/Madrid"))
        (outcome,) = pipeline.publish(project, now).outcomes
        assert outcome.status == "published", outcome.message
        (call,) = server.calls
        assert call.path.endswith("/sendPhoto") and call.files["photo"].content_type == "image/jpeg"
        caption = call.field("caption")
        assert caption.startswith("The <b>Gale 9</b> &amp; its bag: &lt;light&gt; and <a href=")
        assert CANARY not in (project.root / "state" / "ledger.jsonl").read_text()


def test_a_long_text_with_a_photo_passes_check_and_goes_as_photo_then_message(
    make_project, local_http, monkeypatch
):
    """`check` holds a first part with images to what the publisher sends: a text over the caption
    limit follows the photo as its own message, so only the message limit applies, counted as
    Telegram counts (visible text). The fake checks each request against its own limit."""
    links = "\n".join(
        f"- [Gale {n} kite](https://windward.example/kites/gale-{n}?utm_source=telegram&utm_medium=social)"
        for n in range(90)
    )
    with serve(TelegramServer(local_http)) as server:
        project = make_project(photo_post(server.url, f"Every kite we make:\n\n{links}"))
        assert pipeline.check(project).diagnostics == ()
        monkeypatch.setenv("PW_TG_TOKEN", TOKEN)
        now = datetime(2026, 12, 1, 9, 5, tzinfo=ZoneInfo("Europe/Madrid"))
        (outcome,) = pipeline.publish(project, now).outcomes
        assert outcome.status == "published", outcome.message
        photo, message = server.calls
        assert photo.path.endswith("/sendPhoto") and photo.field("caption") is None
        assert message.path.endswith("/sendMessage")
        sent = message.json["text"]
        assert len(sent) > 4096 and CAPTION_LIMIT < visible_length(sent) <= 4096
        assert server.problems == []
