"""The Facebook, Instagram and Threads replies readers against a local Graph server that checks each
request as Meta documents it: the versioned path, the access_token parameter, the fields asked for, the
edge's own parameters (filter=stream on Facebook comments, reverse on a Threads conversation, since in
Unix seconds) and cursor paging (graph-api/results: `paging.cursors.after`, and `paging.next` only where
there is more); errors in Meta's shape ({"error": {message, type, code, error_subcode}})."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from werkzeug.wrappers import Response

from postwright.credentials import CredentialsError, Secrets
from postwright.engagement.model import PostGone
from postwright.insights.model import Delivery
from postwright.platforms.contract import Connection, UnexpectedAnswer
from postwright.platforms.facebook.replies import FacebookReplies
from postwright.platforms.instagram.replies import InstagramReplies
from postwright.platforms.threads.replies import EARLIEST_SINCE, ThreadsReplies
from tests.fakes.http_platform import Call, FakePlatform, json_response, local_server, serve

TOKEN = "EAAG-page-token"
SINCE = datetime(2026, 12, 1, tzinfo=UTC)


class Graph(FakePlatform):
    """Edges by path: each answer a list of objects, served `page` at a time with cursors."""

    edges: dict[str, object]
    expected: dict[str, dict[str, str]]  # path -> parameters that must be sent as given
    page = 2

    def __init__(self, httpserver) -> None:
        self.edges, self.expected = {}, {}
        super().__init__(httpserver)

    def routes(self):
        yield "GET", r"/v25\.0/.+", self._edge

    def _edge(self, call: Call, match) -> Response:
        path = call.path
        self.expect(call.arg("access_token") == TOKEN, f"{path}: access_token parameter missing")
        self.expect(call.headers.get("authorization") is None, f"{path}: the token goes as access_token")
        for name, value in self.expected.get(path, {}).items():
            self.expect(call.arg(name) == value, f"{path}: {name}={call.arg(name)!r}, documented {value!r}")
        limit = call.arg("limit")
        self.expect(limit is None or (limit.isdigit() and int(limit) <= 100), f"{path}: limit={limit}")
        found = self.edges.get(path)
        if found is None and path.count("/") == 2:  # a node, not an edge: the account's own username
            return json_response({"id": path.rsplit("/", 1)[-1], "username": "windward"})
        if found is None:
            self.problems.append(f"GET {path}: not an edge this test serves")
            return json_response(meta_error("Unknown path components", 2500)[1], 400)
        if isinstance(found, tuple):  # (status, body): an error as Meta answers it
            return json_response(found[1], found[0])
        if not isinstance(found, list):
            return json_response(found)
        start = int(call.arg("after") or 0)
        body: dict[str, object] = {"data": found[start : start + self.page]}
        if start + self.page < len(found):
            body["paging"] = {
                "cursors": {"before": str(start), "after": str(start + self.page)},
                "next": "https://x",
            }
        else:
            body["paging"] = {"cursors": {"before": str(start), "after": "end"}}  # no next: the last page
        return json_response(body)


def meta_error(message: str, code: int, subcode: int | None = None) -> tuple[int, dict[str, object]]:
    error: dict[str, object] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return 400, {"error": error}


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


@pytest.fixture
def graph(local_http):
    with serve(Graph(local_http)) as fake:
        yield fake


def connection(platform: str, settings: dict[str, object]) -> Connection:
    secrets = Secrets("acct", {"access_token": "T"}, environ={"T": TOKEN})
    return Connection("acct", platform, settings, secrets)


def delivery(platform: str, remote_id: str, url: str | None = None) -> Delivery:
    return Delivery(f"p.en/{platform}", "p", "en", "acct", platform, (remote_id,), (url,), SINCE)


# -- Facebook -----------------------------------------------------------------------------------------


def fb_comment(cid: str, who: str, parent: str | None = None, minute: int = 0) -> dict[str, object]:
    item: dict[str, object] = {
        "id": cid,
        "message": f"comment {cid}",
        "created_time": f"2026-12-01T10:{minute:02d}:00+0000",
        "from": {"id": who, "name": "Page" if who == "42" else "Ana"},
        "permalink_url": f"https://www.facebook.com/42/posts/1?comment_id={cid}",
    }
    return item | ({"parent": {"id": parent}} if parent else {})


def facebook(graph: Graph) -> FacebookReplies:
    return FacebookReplies(
        connection("facebook", {"page_id": "42", "api_url": graph.url, "graph_version": "v25.0"})
    )


def test_facebook_comments_across_pages_with_the_pages_answer(graph):
    graph.edges["/v25.0/42_1/comments"] = [
        fb_comment("c1", "7", minute=1),
        fb_comment("c2", "8", minute=2),
        fb_comment("c3", "42", parent="c1", minute=3),  # the Page answers c1
        fb_comment("c4", "9", parent="c2", minute=4),
    ]
    graph.expected["/v25.0/42_1/comments"] = {"filter": "stream", "order": "chronological"}
    found = list(facebook(graph).replies([delivery("facebook", "42_1")], SINCE))
    assert [(c.remote_id, c.answered, c.parent_id) for c in found] == [
        ("c1", True, None),
        ("c2", False, None),
        ("c4", False, "c2"),
    ]
    assert found[0].created == datetime(2026, 12, 1, 10, 1, tzinfo=UTC) and found[0].author == "Ana"
    assert len(graph.calls_to("GET", r"/v25\.0/42_1/comments")) == 2  # two pages, followed by the cursor


def test_facebook_deleted_post_is_gone_and_a_missing_permission_is_a_credentials_problem(graph):
    graph.edges["/v25.0/42_1/comments"] = meta_error(
        "Unsupported get request. Object with ID '42_1' does not exist", 100, 33
    )
    with pytest.raises(PostGone):
        list(facebook(graph).replies([delivery("facebook", "42_1")], SINCE))
    graph.edges["/v25.0/42_1/comments"] = meta_error("(#10) This endpoint requires pages_read_engagement", 10)
    with pytest.raises(CredentialsError, match="pages_read_engagement"):
        list(facebook(graph).replies([delivery("facebook", "42_1")], SINCE))


def test_facebook_tagged_posts_are_mentions_since_the_cursor(graph):
    graph.edges["/v25.0/42/tagged"] = [fb_comment("p9", "7", minute=9)]
    graph.expected["/v25.0/42/tagged"] = {"since": str(int(SINCE.timestamp()))}
    (mention,) = facebook(graph).mentions(SINCE)
    assert mention.kind == "mention" and mention.remote_id == "p9" and mention.delivery_key is None


def test_garbage_from_graph_is_an_unexpected_answer(graph):
    graph.edges["/v25.0/42_1/comments"] = {"data": "nope"}
    with pytest.raises(UnexpectedAnswer, match="no data list"):
        list(facebook(graph).replies([delivery("facebook", "42_1")], SINCE))
    graph.edges["/v25.0/42_1/comments"] = [{"id": "c1", "created_time": "yesterday"}]
    with pytest.raises(UnexpectedAnswer, match="created_time 'yesterday' is not a time"):
        list(facebook(graph).replies([delivery("facebook", "42_1")], SINCE))


# -- Instagram ----------------------------------------------------------------------------------------


def ig_comment(cid: str, username: str, minute: int, replies: list | None = None) -> dict[str, object]:
    item: dict[str, object] = {
        "id": cid,
        "text": f"comment {cid}",
        "timestamp": f"2026-12-01T11:{minute:02d}:00+0000",
        "username": username,
    }
    return item | ({"replies": {"data": replies}} if replies is not None else {})


def test_instagram_comments_with_replies_answered_by_the_brand(graph):
    graph.edges["/v25.0/1789/comments"] = [
        ig_comment("a", "ana", 1, [ig_comment("a1", "windward", 2)]),
        ig_comment("b", "bo", 3, [ig_comment("b1", "cy", 4)]),
    ]
    graph.expected["/v25.0/1789/comments"] = {
        "fields": "id,text,timestamp,username,replies{id,text,timestamp,username}"
    }
    reader = InstagramReplies(connection("instagram", {"user_id": "1784", "api_url": f"{graph.url}/v25.0"}))
    found = list(reader.replies([delivery("instagram", "1789", "https://www.instagram.com/p/Cx/")], SINCE))
    assert [(c.remote_id, c.answered, c.parent_id) for c in found] == [
        ("a", True, None),
        ("b", False, None),
        ("b1", False, "b"),
    ]
    assert {c.url for c in found} == {"https://www.instagram.com/p/Cx/"}
    assert graph.calls_to("GET", r"/v25\.0/1784")[0].arg("fields") == "username"


def test_instagram_tags_are_mentions_until_older_than_the_cursor(graph):
    graph.edges["/v25.0/1784/tags"] = [
        {
            "id": "m2",
            "caption": "with @windward",
            "timestamp": "2026-12-02T09:00:00+0000",
            "username": "ana",
            "permalink": "https://i/2",
        },
        {
            "id": "m1",
            "caption": "old",
            "timestamp": "2026-11-20T09:00:00+0000",
            "username": "bo",
            "permalink": "https://i/1",
        },
    ]
    reader = InstagramReplies(connection("instagram", {"user_id": "1784", "api_url": f"{graph.url}/v25.0"}))
    assert [(m.remote_id, m.url) for m in reader.mentions(SINCE)] == [("m2", "https://i/2")]


# -- Threads ------------------------------------------------------------------------------------------


def test_threads_conversation_nested_replies_and_mentions(graph):
    graph.edges["/v25.0/555/conversation"] = [
        {
            "id": "r1",
            "text": "nice",
            "username": "ana",
            "timestamp": "2026-12-01T12:00:00+0000",
            "permalink": "https://t/r1",
            "replied_to": {"id": "555"},
        },
        {
            "id": "r2",
            "text": "thanks!",
            "username": "windward",
            "timestamp": "2026-12-01T12:05:00+0000",
            "replied_to": {"id": "r1"},
            "is_reply_owned_by_me": True,
        },
        {
            "id": "r3",
            "text": "and?",
            "username": "bo",
            "timestamp": "2026-12-01T12:06:00+0000",
            "replied_to": {"id": "r2"},
            "is_reply_owned_by_me": False,
        },
    ]
    graph.expected["/v25.0/555/conversation"] = {"reverse": "false"}
    graph.edges["/v25.0/me/mentions"] = [
        {
            "id": "m1",
            "text": "@windward hola",
            "username": "cy",
            "timestamp": "2026-12-02T08:00:00+0000",
            "permalink": "https://t/m1",
        }
    ]
    graph.expected["/v25.0/me/mentions"] = {"since": str(max(int(SINCE.timestamp()), EARLIEST_SINCE))}
    reader = ThreadsReplies(connection("threads", {"api_url": f"{graph.url}/v25.0"}))
    found = list(reader.replies([delivery("threads", "555")], SINCE))
    assert [(c.remote_id, c.answered, c.parent_id) for c in found] == [
        ("r1", True, "555"),
        ("r3", False, "r2"),
    ]
    (mention,) = reader.mentions(SINCE)
    assert (mention.remote_id, mention.author, mention.url) == ("m1", "@cy", "https://t/m1")
