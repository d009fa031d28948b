"""Bluesky's replies reader with the real PDS (tests/pds) and a local AppView-shaped server in front of it.

The PDS serves app.bsky.feed.getPostThread, app.bsky.feed.getAuthorFeed and
app.bsky.notification.listNotifications only by passing them to an AppView (@atproto/pds
api/app/bsky/feed/getPostThread.js returns early without `bskyAppView`), and the test PDS runs without
one. So `AppView` below forwards every com.atproto.* call to the real PDS (sessions, records) and answers
those three queries itself from the records on the PDS, after checking the bearer token with the PDS
(com.atproto.server.getSession) and the parameters against the lexicons (lexicons/app/bsky/feed/
getPostThread.json, getAuthorFeed.json, notification/listNotifications.json). The posts, replies and
mentions are real records that a second account writes on the PDS.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from werkzeug.wrappers import Response

from postwright.credentials import Secrets
from postwright.engagement import pull as pulling
from postwright.engagement.model import PostGone
from postwright.insights.model import Delivery
from postwright.ledger import Ledger
from postwright.platforms.bluesky.replies import BlueskyReplies
from postwright.platforms.contract import Connection, UnexpectedAnswer
from tests.fakes.http_platform import Call, FakePlatform, json_response, local_server, serve
from tests.fakes.replies import api_project, published
from tests.pds_server import Account, create_account
from tests.test_publisher_bluesky import pds  # noqa: F401 - the session's PDS, shared

POST = "app.bsky.feed.post"
FEED_FILTERS = {  # getAuthorFeed.json: filter's knownValues
    "posts_with_replies",
    "posts_no_replies",
    "posts_with_media",
    "posts_and_author_threads",
    "posts_with_video",
}
REASONS = {
    "like",
    "repost",
    "follow",
    "mention",
    "reply",
    "quote",
    "starterpack-joined",
    "verified",
    "unverified",
}


class AppView(FakePlatform):
    """com.atproto.* forwarded to the PDS; getPostThread and listNotifications built from its records."""

    def __init__(self, httpserver, pds_url: str, repos: Iterable[str]) -> None:
        self.pds = httpx.Client(base_url=pds_url, timeout=30)
        self.repos = list(repos)
        self.thread_override: Any = None
        self.feed_override: Any = None
        super().__init__(httpserver)

    def routes(self):
        yield "GET", r"/xrpc/app\.bsky\.feed\.getPostThread", self._thread
        yield "GET", r"/xrpc/app\.bsky\.notification\.listNotifications", self._notifications
        yield "GET", r"/xrpc/app\.bsky\.feed\.getAuthorFeed", self._author_feed
        yield "GET", r"/xrpc/com\.atproto\..+", self._forward
        yield "POST", r"/xrpc/com\.atproto\..+", self._forward

    def _forward(self, call: Call, match) -> Response:
        headers = {k: v for k, v in call.headers.items() if k in ("authorization", "content-type")}
        query = [(name, value) for name, values in call.query.items() for value in values]
        answer = self.pds.request(call.method, call.path, params=query, headers=headers, content=call.body)
        return Response(answer.content, answer.status_code, content_type=answer.headers.get("content-type"))

    def _viewer(self, call: Call) -> str | None:
        """The requester's DID, as the PDS says for the bearer token (None: not signed in)."""
        session = self.pds.get(
            "/xrpc/com.atproto.server.getSession",
            headers={"authorization": call.headers.get("authorization", "")},
        )
        self.expect(session.is_success, f"{call.path}: the bearer token is not a session the PDS knows")
        return session.json().get("did") if session.is_success else None

    def _int(self, call: Call, name: str, low: int, high: int) -> None:
        value = call.arg(name)
        if value is not None:
            self.expect(
                value.isdigit() and low <= int(value) <= high, f"{name}={value}: an integer {low}..{high}"
            )

    def _posts(self) -> dict[str, dict[str, Any]]:
        """Every post on the PDS in the known repos, as postViews keyed by at:// URI."""
        views = {}
        for did in self.repos:
            listed = self.pds.get(
                "/xrpc/com.atproto.repo.listRecords", params={"repo": did, "collection": POST, "limit": 100}
            ).json()
            handle = self.pds.get("/xrpc/com.atproto.repo.describeRepo", params={"repo": did}).json()[
                "handle"
            ]
            for item in listed["records"]:
                views[item["uri"]] = {
                    "uri": item["uri"],
                    "cid": item["cid"],
                    "author": {"did": did, "handle": handle},
                    "record": item["value"],
                    "indexedAt": item["value"]["createdAt"],
                }
        return views

    def _thread(self, call: Call, match) -> Response:
        self._viewer(call)
        uri = call.arg("uri") or ""
        self.expect(uri.startswith("at://"), f"uri={uri!r}: an at-uri is required")
        self._int(call, "depth", 0, 1000)
        self._int(call, "parentHeight", 0, 1000)
        if self.thread_override is not None:
            return json_response(self.thread_override)
        posts = self._posts()
        if uri not in posts:
            return json_response({"error": "NotFound", "message": f"Post not found: {uri}"}, 400)
        depth = int(call.arg("depth") or 6)
        return json_response({"thread": self._node(posts, uri, depth)})

    def _node(self, posts: dict[str, dict[str, Any]], uri: str, depth: int) -> dict[str, Any]:
        node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": posts[uri]}
        if depth > 0:
            children = [p for p in posts.values() if _parent(p) == uri]
            node["replies"] = [self._node(posts, child["uri"], depth - 1) for child in children]
        return node

    def _notifications(self, call: Call, match) -> Response:
        viewer = self._viewer(call)
        self._int(call, "limit", 1, 100)
        reasons = call.query.get("reasons", [])
        self.expect(set(reasons) <= REASONS, f"reasons={reasons}: not notification reasons")
        found = []
        for post in self._posts().values():
            if post["author"]["did"] == viewer:
                continue
            parent = _parent(post)
            mentioned = any(
                feature.get("did") == viewer
                for facet in post["record"].get("facets", [])
                for feature in facet.get("features", [])
            )
            reason = (
                "reply" if parent and parent.split("/")[2] == viewer else "mention" if mentioned else None
            )
            if reason and (not reasons or reason in reasons):
                found.append({**post, "reason": reason, "isRead": False})
        found.sort(key=lambda item: item["indexedAt"], reverse=True)
        return json_response({"notifications": found[: int(call.arg("limit") or 50)]})

    def _author_feed(self, call: Call, match) -> Response:
        """An actor's own posts (and their replies, by the default filter) as feedViewPosts, newest
        first, `limit` a page (the cursor is the index of the next post)."""
        self._viewer(call)
        actor = call.arg("actor") or ""
        self.expect(actor.startswith("did:") or "." in actor, f"actor={actor!r}: an at-identifier")
        self._int(call, "limit", 1, 100)
        flavour = call.arg("filter") or "posts_with_replies"
        self.expect(flavour in FEED_FILTERS, f"filter={flavour!r}: not one of getAuthorFeed's filters")
        if self.feed_override is not None:
            return json_response(self.feed_override)
        mine = [
            post
            for post in self._posts().values()
            if actor in (post["author"]["did"], post["author"]["handle"])
        ]
        if flavour == "posts_no_replies":
            mine = [post for post in mine if not _parent(post)]
        mine.sort(key=lambda post: post["indexedAt"], reverse=True)
        start, limit = int(call.arg("cursor") or 0), int(call.arg("limit") or 50)
        page = [{"post": post} for post in mine[start : start + limit]]
        body: dict[str, Any] = {"feed": page}
        if start + limit < len(mine):
            body["cursor"] = str(start + limit)
        return json_response(body)


def _parent(post: dict[str, Any]) -> str | None:
    return ((post["record"].get("reply") or {}).get("parent") or {}).get("uri")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Writer:
    """One account writing records on the PDS directly (as another app would)."""

    def __init__(self, pds_url: str, account: Account) -> None:
        self.account = account
        self.http = httpx.Client(base_url=pds_url, timeout=30)
        session = self.http.post(
            "/xrpc/com.atproto.server.createSession",
            json={"identifier": account.handle, "password": account.password},
        ).json()
        self.http.headers["authorization"] = f"Bearer {session['accessJwt']}"

    def post(self, text: str, *, reply_to: dict[str, str] | None = None, mention: Account | None = None):
        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": _now()}
        if reply_to:
            record["reply"] = {"root": reply_to.get("root", reply_to), "parent": reply_to}
        if mention:
            at = f"@{mention.handle}"
            start = text.encode().index(at.encode())
            record["facets"] = [
                {
                    "index": {"byteStart": start, "byteEnd": start + len(at.encode())},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": mention.did}],
                }
            ]
        created = self.http.post(
            "/xrpc/com.atproto.repo.createRecord",
            json={"repo": self.account.did, "collection": POST, "record": record},
        )
        created.raise_for_status()
        return {"uri": created.json()["uri"], "cid": created.json()["cid"]}

    def delete(self, uri: str) -> None:
        self.http.post(
            "/xrpc/com.atproto.repo.deleteRecord",
            json={"repo": self.account.did, "collection": POST, "rkey": uri.rsplit("/", 1)[-1]},
        ).raise_for_status()


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


@pytest.fixture
def people(pds):  # noqa: F811 - the fixture imported above
    return create_account(pds.url, "brand"), create_account(pds.url, "ana")


@pytest.fixture
def appview(local_http, pds, people):  # noqa: F811
    with serve(AppView(local_http, pds.url, [account.did for account in people])) as view:
        yield view


ACCOUNT = """\
  sky:
    platform: bluesky
    deliver: api
    credentials: {app_password: SKY_APP_PASSWORD}
    settings: {handle: "%s", service: "%s"}
"""


def test_a_reply_and_a_mention_are_heard_then_the_answer_counts(pds, people, appview, tmp_path, monkeypatch):  # noqa: F811
    brand, ana = people
    monkeypatch.setenv("SKY_APP_PASSWORD", brand.app_password)
    project, config = api_project(tmp_path, ACCOUNT % (brand.handle, appview.url))
    ours_by, theirs = Writer(pds.url, brand), Writer(pds.url, ana)
    ours = ours_by.post("Our new kite is out")
    key = published(Ledger(project.state_dir), "launch", "sky", "bluesky", (ours["uri"],), datetime.now(UTC))
    reply = theirs.post("when does it ship?", reply_to=ours)
    mention = theirs.post(f"Flying with @{brand.handle} — ветер!", mention=brand)
    at = datetime.now(UTC) + timedelta(minutes=1)

    (heard,) = pulling.pull(config, project.state_dir, at).accounts
    assert heard.failures == ()
    found = {item.remote_id: item for item in heard.unanswered}
    assert set(found) == {reply["uri"], mention["uri"]}
    assert found[reply["uri"]].kind == "reply" and found[reply["uri"]].delivery_key == key
    assert found[reply["uri"]].author == f"@{ana.handle}" and found[reply["uri"]].parent_id == ours["uri"]
    assert found[mention["uri"]].kind == "mention" and "ветер" in found[mention["uri"]].text
    assert (
        found[reply["uri"]].url
        == f"https://bsky.app/profile/{ana.handle}/post/{reply['uri'].rsplit('/', 1)[1]}"
    )

    ours_by.post("next week!", reply_to={**reply, "root": ours})
    (heard,) = pulling.pull(config, project.state_dir, at + timedelta(minutes=5)).accounts
    assert heard.failures == () and heard.new == 0
    assert [item.remote_id for item in heard.unanswered] == [mention["uri"]]  # still unanswered: listed
    assert (heard.counts[0].replies, heard.counts[0].unanswered) == (1, 0)

    below = theirs.post("same here", reply_to={**mention, "root": mention})
    ours_by.post("see you there", reply_to={**below, "root": mention})  # answered down its thread
    (heard,) = pulling.pull(config, project.state_dir, at + timedelta(minutes=10)).accounts
    assert heard.failures == () and heard.unanswered == ()

    ours_by.delete(ours["uri"])
    reader = BlueskyReplies(_connection(brand, appview.url))
    with pytest.raises(PostGone):
        list(reader.replies([_delivery(ours["uri"])], at))


def _connection(account: Account, service: str) -> Connection:
    return Connection(
        "sky",
        "bluesky",
        {"handle": account.handle, "service": service},
        Secrets("sky", {"app_password": "P"}, environ={"P": account.app_password}),
    )


def _delivery(uri: str) -> Delivery:
    return Delivery(
        "p.en/sky", "p", "en", "sky", "bluesky", (uri,), (None,), datetime(2026, 12, 1, tzinfo=UTC)
    )


def test_a_deleted_reply_in_the_thread_is_passed_over_and_garbage_is_an_unexpected_answer(people, appview):
    brand, _ = people
    reader = BlueskyReplies(_connection(brand, appview.url))
    uri = f"at://{brand.did}/{POST}/3kabc"
    view = {
        "uri": uri,
        "cid": "c",
        "author": {"did": "did:plc:ana"},
        "record": {"text": "hi"},
        "indexedAt": _now(),
    }
    appview.thread_override = {
        "thread": {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": {**view, "author": {"did": brand.did}},
            "replies": [{"$type": "app.bsky.feed.defs#notFoundPost", "uri": f"{uri}x", "notFound": True}],
        }
    }
    assert list(reader.replies([_delivery(uri)], datetime(2026, 12, 1, tzinfo=UTC))) == []
    garbage = {"$type": "app.bsky.feed.defs#threadViewPost", "post": {"uri": 5}}
    appview.thread_override = {"thread": {**appview.thread_override["thread"], "replies": [garbage]}}
    with pytest.raises(UnexpectedAnswer, match="a post without uri"):
        list(reader.replies([_delivery(uri)], datetime(2026, 12, 1, tzinfo=UTC)))


def test_the_brands_feed_skips_reposts_stops_at_the_time_asked_and_garbage_is_an_unexpected_answer(
    people, appview
):
    brand, _ = people
    reader = BlueskyReplies(_connection(brand, appview.url))
    me = {"did": brand.did, "handle": brand.handle}

    def view(rkey: str, when: str, reply_to: str | None = None, author=me) -> dict[str, Any]:
        record: dict[str, Any] = {"text": rkey, "createdAt": when}
        if reply_to:
            record["reply"] = {"root": {"uri": f"{reply_to}-root"}, "parent": {"uri": reply_to}}
        return {
            "uri": f"at://{author['did']}/{POST}/{rkey}",
            "cid": "c",
            "author": author,
            "record": record,
            "indexedAt": when,
        }

    ana = {"did": "did:plc:ana", "handle": "ana.test"}
    appview.feed_override = {
        "feed": [
            {"post": view("3a", "2026-12-02T10:00:00Z", "at://ana/1")},
            {
                "post": view("3r", "2026-11-01T10:00:00Z", "at://ana/old", ana),  # a repost of ana's
                "reason": {
                    "$type": "app.bsky.feed.defs#reasonRepost",
                    "by": me,
                    "indexedAt": "2026-12-02T09:00:00Z",
                },
            },
            {"post": view("3b", "2026-11-30T10:00:00Z", "at://ana/2")},  # before the time asked
        ]
    }
    assert reader.replied_to(datetime(2026, 12, 1, tzinfo=UTC)) == {"at://ana/1", "at://ana/1-root"}
    appview.feed_override = {"feed": [{"post": {"uri": "nope"}}]}
    with pytest.raises(UnexpectedAnswer, match="a post without uri"):
        reader.replied_to(datetime(2026, 12, 1, tzinfo=UTC))
    appview.feed_override = {"cursor": "x"}
    with pytest.raises(UnexpectedAnswer, match="getAuthorFeed gave no list of feed"):
        reader.replied_to(datetime(2026, 12, 1, tzinfo=UTC))
