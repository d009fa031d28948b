"""The X, LinkedIn and Telegram replies readers against local servers that check each request as the
platform documents it and answer in its shapes:
- X (docs.x.com/x-api/posts/search, posts/timelines): GET /2/tweets/search/recent with
  query=conversation_id:<id>, GET /2/users/:id/mentions with start_time, GET /2/users/:id/tweets with
  start_time and exclude=retweets|replies; tweet.fields, expansions=author_id, max_results 10..100 (the
  timelines 5..100), next_token paging (pagination_token on the timelines); a bearer token (OAuth 2.0).
- LinkedIn (community-management/shares/comments-api): GET /rest/socialActions/{urn}/comments with the
  URN percent-encoded, LinkedIn-Version and X-Restli-Protocol-Version 2.0.0 headers, start/count paging.
- Telegram (core.telegram.org/bots/api#getupdates): GET /bot<token>/getUpdates with allowed_updates as
  a JSON list, no offset (nothing is confirmed), Update and Message objects as documented.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from postwright.credentials import Secrets
from postwright.engagement.model import PostGone
from postwright.insights.model import Delivery
from postwright.platforms.contract import Connection, PermanentError, UnexpectedAnswer
from postwright.platforms.linkedin.replies import LinkedInReplies
from postwright.platforms.telegram.replies import TelegramReplies
from postwright.platforms.x.replies import XReplies
from tests.fakes.http_platform import Call, FakePlatform, json_response, local_server, serve

SINCE = datetime(2026, 12, 1, tzinfo=UTC)


def connection(platform: str, settings: dict[str, object], credentials: dict[str, str]) -> Connection:
    names = {name: f"V_{name}" for name in credentials}
    environ = {f"V_{name}": value for name, value in credentials.items()}
    return Connection("acct", platform, settings, Secrets("acct", names, environ=environ))


def delivery(platform: str, remote_id: str, url: str | None = None) -> Delivery:
    return Delivery(f"p.en/{platform}", "p", "en", "acct", platform, (remote_id,), (url,), SINCE)


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


# -- X ------------------------------------------------------------------------------------------------


def tweet(tid: str, author: str, parent: str | None, minute: int) -> dict[str, object]:
    post: dict[str, object] = {
        "id": tid,
        "text": f"post {tid}",
        "author_id": author,
        "created_at": f"2026-12-01T10:{minute:02d}:00.000Z",
        "conversation_id": "100",
    }
    return post | ({"referenced_tweets": [{"type": "replied_to", "id": parent}]} if parent else {})


class FakeX(FakePlatform):
    search: list[list[dict[str, object]]]
    mentioned: list[dict[str, object]]
    own: list[list[dict[str, object]]] = [[]]  # the account's own posts, page by page

    def routes(self):
        yield (
            "GET",
            r"/2/users/me",
            lambda call, m: (
                self._authorised(call) or json_response({"data": {"id": "1", "username": "brand"}})
            ),
        )
        yield "GET", r"/2/tweets/search/recent", self._search
        yield "GET", r"/2/users/1/mentions", self._mentions
        yield "GET", r"/2/users/1/tweets", self._own

    def _authorised(self, call: Call) -> None:
        self.expect(call.headers.get("authorization") == "Bearer x-token", f"{call.path}: no bearer token")

    def _common(self, call: Call) -> None:
        self._authorised(call)
        self.expect(call.arg("expansions") == "author_id", "expansions=author_id is how usernames come")
        self.expect("created_at" in (call.arg("tweet.fields") or ""), "tweet.fields must ask created_at")
        self.expect(10 <= int(call.arg("max_results") or 0) <= 100, "max_results is 10..100")

    def _page(self, data: list[dict[str, object]], token: str | None) -> object:
        users = [{"id": "1", "username": "brand"}, {"id": "7", "username": "ana"}]
        body: dict[str, object] = {
            "data": data,
            "includes": {"users": users},
            "meta": {"result_count": len(data)},
        }
        if token:
            body["meta"] = {**body["meta"], "next_token": token}
        return json_response(body if data else {"meta": {"result_count": 0}})

    def _search(self, call: Call, match):
        self._common(call)
        self.expect(call.arg("query") == "conversation_id:100", f"query={call.arg('query')}")
        page = int(call.arg("next_token") or 0)
        return self._page(self.search[page], str(page + 1) if page + 1 < len(self.search) else None)

    def _mentions(self, call: Call, match):
        self._common(call)
        self.expect(call.arg("start_time") == "2026-12-01T00:00:00Z", f"start_time={call.arg('start_time')}")
        return self._page(self.mentioned, None)

    def _own(self, call: Call, match):
        self._common(call)
        self.expect(call.arg("start_time") == "2026-12-01T00:00:00Z", f"start_time={call.arg('start_time')}")
        excluded = set((call.arg("exclude") or "").split(","))
        self.expect(excluded <= {"retweets", "replies"}, f"exclude={call.arg('exclude')}: retweets, replies")
        self.expect("replies" not in excluded, "the account's replies are what answers a mention")
        self.expect("conversation_id" in (call.arg("tweet.fields") or ""), "conversation_id is asked")
        page = int(call.arg("pagination_token") or 0)
        return self._page(self.own[page], str(page + 1) if page + 1 < len(self.own) else None)


def test_x_conversation_across_pages_answered_by_the_account_and_mentions(local_http):
    with serve(FakeX(local_http)) as fake:
        fake.search = [
            [tweet("101", "7", "100", 1), tweet("102", "1", "101", 2)],
            [tweet("103", "7", "100", 3)],
        ]
        fake.mentioned = [tweet("200", "7", None, 9)]
        reader = XReplies(connection("x", {"api_url": fake.url}, {"access_token": "x-token"}))
        found = list(reader.replies([delivery("x", "100")], SINCE))
        assert [(p.remote_id, p.answered, p.url) for p in found] == [
            ("101", True, "https://x.com/ana/status/101"),
            ("103", False, "https://x.com/ana/status/103"),
        ]
        (mention,) = reader.mentions(SINCE)
        assert (mention.kind, mention.author, mention.parent_id) == ("mention", "@ana", None)


def test_x_mentions_the_account_answered_directly_or_in_their_conversation(local_http):
    with serve(FakeX(local_http)) as fake:
        answer = tweet("301", "1", "200", 20)  # replies to mention 200
        down_the_thread = tweet("302", "1", "251", 21) | {"conversation_id": "250"}  # below mention 250
        fake.own = [[answer, down_the_thread], [tweet("303", "1", None, 22) | {"conversation_id": "303"}]]
        reader = XReplies(connection("x", {"api_url": fake.url}, {"access_token": "x-token"}))
        replied = reader.replied_to(SINCE)
        assert {"200", "250"} <= replied and "260" not in replied


def test_x_no_replies_and_a_malformed_post(local_http):
    with serve(FakeX(local_http)) as fake:
        fake.search = [[]]
        reader = XReplies(connection("x", {"api_url": fake.url}, {"access_token": "x-token"}))
        assert list(reader.replies([delivery("x", "100")], SINCE)) == []
        fake.search = [[{"id": 5, "text": "no author"}]]
        with pytest.raises(UnexpectedAnswer, match="without id or author_id"):
            list(reader.replies([delivery("x", "100")], SINCE))


# -- LinkedIn -----------------------------------------------------------------------------------------

POST = "urn:li:share:700"
ORG = "urn:li:organization:5"


def li_comment(cid: str, actor: str, minute: int, nested: int = 0) -> dict[str, object]:
    return {
        "actor": actor,
        "commentUrn": f"urn:li:comment:(urn:li:activity:700,{cid})",
        "id": cid,
        "created": {"time": int(datetime(2026, 12, 1, 10, minute, tzinfo=UTC).timestamp() * 1000)},
        "message": {"text": f"comment {cid}"},
        "commentsSummary": {"totalFirstLevelComments": nested, "aggregatedTotalComments": nested},
    }


class FakeLinkedIn(FakePlatform):
    comments: dict[str, object]

    def routes(self):
        yield "GET", r"/rest/socialActions/([^/]+)/comments", self._comments

    def _comments(self, call: Call, match):
        self.expect(call.headers.get("authorization") == "Bearer li-token", "no bearer token")
        self.expect(
            call.headers.get("linkedin-version", "").isdigit(), "LinkedIn-Version: YYYYMM is required"
        )
        self.expect(call.headers.get("x-restli-protocol-version") == "2.0.0", "Rest.li 2.0.0")
        target = match[1]
        self.expect(call.arg("start") is not None and call.arg("count") is not None, "start/count paging")
        found = self.comments.get(target)
        if found is None:
            return json_response({"status": 404, "message": "Not Found", "serviceErrorCode": 0}, 404)
        start, count = int(call.arg("start") or 0), int(call.arg("count") or 10)
        elements = found[start : start + count]  # type: ignore[index]
        return json_response(
            {"elements": elements, "paging": {"start": start, "count": count, "total": len(found)}}
        )  # type: ignore[arg-type]


def test_linkedin_comments_and_the_authors_answer_in_a_nested_comment(local_http):
    with serve(FakeLinkedIn(local_http)) as fake:
        first, second = (
            li_comment("1", "urn:li:person:ana", 1, nested=1),
            li_comment("2", "urn:li:person:bo", 2),
        )
        fake.comments = {
            POST: [first, second],
            str(first["commentUrn"]): [li_comment("3", ORG, 3)],
        }
        settings = {"author": ORG, "api_url": fake.url}
        reader = LinkedInReplies(connection("linkedin", settings, {"access_token": "li-token"}))
        link = "https://www.linkedin.com/feed/update/urn:li:share:700/"
        found = list(reader.replies([delivery("linkedin", POST, link)], SINCE))
        assert [(c.remote_id.rsplit(",", 1)[1], c.answered, c.url) for c in found] == [
            ("1)", True, link),
            ("2)", False, link),
        ]
        assert found[0].created == datetime(2026, 12, 1, 10, 1, tzinfo=UTC)
        assert list(reader.mentions(SINCE)) == []
        with pytest.raises(PostGone):
            list(reader.replies([delivery("linkedin", "urn:li:share:404")], SINCE))


# -- Telegram -----------------------------------------------------------------------------------------

CHANNEL = {"id": -1001, "type": "channel", "username": "windward", "title": "Windward"}
GROUP = {"id": -1002, "type": "supergroup", "username": "windward_chat", "title": "Windward chat"}


def forward(group_id: int, post_id: int) -> dict[str, object]:
    return {
        "message_id": group_id,
        "chat": GROUP,
        "date": 1764583200,
        "sender_chat": CHANNEL,
        "is_automatic_forward": True,
        "forward_origin": {"type": "channel", "chat": CHANNEL, "message_id": post_id, "date": 1764583200},
        "text": "our post",
    }


def group_message(
    mid: int, text: str, *, reply_to=None, thread=None, by_channel=False, entities=None
) -> dict[str, object]:
    message: dict[str, object] = {"message_id": mid, "chat": GROUP, "date": 1764583200 + mid, "text": text}
    message |= (
        {"sender_chat": CHANNEL}
        if by_channel
        else {"from": {"id": 9, "is_bot": False, "first_name": "Ana", "username": "ana"}}
    )
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if thread is not None:
        message["message_thread_id"] = thread
    if entities:
        message["entities"] = entities
    return message


class FakeBotApi(FakePlatform):
    updates: object

    def routes(self):
        yield "GET", r"/botTOKEN-1/getUpdates", self._updates

    def _updates(self, call: Call, match):
        self.expect(
            json.loads(call.arg("allowed_updates") or "null") == ["message"], "allowed_updates: a JSON list"
        )
        self.expect(call.arg("offset") is None, "an offset would confirm (delete) the updates")
        self.expect(1 <= int(call.arg("limit") or 100) <= 100, "limit is 1..100")
        if isinstance(self.updates, tuple):
            return json_response(self.updates[1], self.updates[0])
        return json_response({"ok": True, "result": self.updates})


def test_telegram_comments_in_the_discussion_group_answered_by_the_channel_and_mentions(local_http):
    with serve(FakeBotApi(local_http)) as fake:
        fwd = forward(50, 7)
        comment = group_message(51, "when?", reply_to=fwd, thread=50)
        answer = group_message(52, "tomorrow", reply_to=comment, thread=50, by_channel=True)
        orphan = group_message(
            53, "and the other one?", thread=50
        )  # its parent was deleted: still in the thread
        mention = group_message(60, "ask @windward", entities=[{"type": "mention", "offset": 4, "length": 9}])
        other = group_message(61, "@someone else", entities=[{"type": "mention", "offset": 0, "length": 8}])
        fake.updates = [
            {"update_id": n, "message": m}
            for n, m in enumerate([fwd, comment, answer, orphan, mention, other])
        ]
        settings = {"chat_id": "@windward", "api_url": fake.url}
        reader = TelegramReplies(connection("telegram", settings, {"bot_token": "TOKEN-1"}))
        found = list(reader.replies([delivery("telegram", "7")], SINCE))
        assert [(c.remote_id, c.answered, c.url) for c in found] == [
            ("-1002:51", True, "https://t.me/windward_chat/51"),
            ("-1002:53", False, "https://t.me/windward_chat/53"),
        ]
        (heard,) = reader.mentions(SINCE)
        assert (heard.remote_id, heard.author) == ("-1002:60", "@ana")
        assert len(fake.calls) == 1  # the updates are asked once per pull


def test_telegram_with_a_webhook_set_is_a_refusal_and_garbage_is_unexpected(local_http):
    with serve(FakeBotApi(local_http)) as fake:
        fake.updates = (
            409,
            {
                "ok": False,
                "error_code": 409,
                "description": "Conflict: can't use getUpdates method while webhook is active",
            },
        )
        reader = TelegramReplies(
            connection("telegram", {"chat_id": "@windward", "api_url": fake.url}, {"bot_token": "TOKEN-1"})
        )
        with pytest.raises(PermanentError, match="webhook is active"):
            list(reader.mentions(SINCE))
        fake.updates = [{"update_id": 1, "message": {"message_id": "x"}}]
        reader = TelegramReplies(
            connection("telegram", {"chat_id": "@windward", "api_url": fake.url}, {"bot_token": "TOKEN-1"})
        )
        with pytest.raises(UnexpectedAnswer, match="without message_id"):
            list(reader.mentions(SINCE))
