"""The Bluesky metrics reader against a local AppView-shaped server that checks each request by the
lexicons (app.bsky.feed.getPosts: `uris`, at-uris, at most 25; app.bsky.actor.getProfile: `actor`), read
from the PDS's own @atproto lexicons in tests/pds/node_modules where installed, and answers postViews and
a profileViewDetailed as app.bsky.feed.defs and app.bsky.actor.defs describe them. The AppView is public:
no session is made and no credential is sent. The real PDS (tests/pds) runs with its AppView off, so it
cannot answer getPosts itself: the last test publishes to it and lets the AppView-shaped server index its
records, so the URIs the ledger keeps are checked against real records."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from werkzeug.wrappers import Response

from postwright.cli import cli
from postwright.ledger import Ledger
from tests.fakes.http_platform import Call, FakePlatform, Route, json_response, local_server, serve
from tests.pds_server import Pds, PdsUnavailable, create_account
from tests.test_insights_pull import publish_record

LEXICONS = Path(__file__).parent / "pds/node_modules/@atproto/pds/dist/lexicons/app/bsky"
DID = "did:plc:brandbrandbrandbrandbran"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_AT_URI = re.compile(r"at://did:[a-z]+:[A-Za-z0-9._:%-]+/app\.bsky\.feed\.post/[a-z2-7]{13}")


def max_uris() -> int:
    """getPosts' `uris` maxLength from the lexicon the PDS ships (25 in the published lexicon)."""
    source = LEXICONS / "feed/getPosts.defs.js"
    if not source.is_file():
        return 25  # lexicons/app/bsky/feed/getPosts.json: "maxLength": 25
    return int(re.search(r"uris:.*maxLength: (\d+)", source.read_text()).group(1))


def rkey(number: int) -> str:
    return f"3lbrand{'abcdefghijklmnopqrstuvwxyz234567'[number % 32]}aaaaa"[:13]


class AppView(FakePlatform):
    """The AppView's two reads. With `pds`, a post exists when the real PDS has its record (as an AppView
    indexes the PDS's repositories): its view carries the record and cid from there and the counts set
    in `counts`."""

    def __init__(self, httpserver, handle: str = "brand.example", pds: str | None = None) -> None:
        self.posts: dict[str, dict] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.handle = handle
        self.pds = pds
        self.limit = max_uris()
        super().__init__(httpserver)

    def _indexed(self, uri: str) -> dict | None:
        if self.pds is None:
            return self.posts.get(uri)
        did, collection, rkey = uri.removeprefix("at://").split("/")
        params = {"repo": did, "collection": collection, "rkey": rkey}
        found = httpx.get(f"{self.pds}/xrpc/com.atproto.repo.getRecord", params=params, timeout=30)
        if found.status_code != 200:
            return None
        body = found.json()
        author = {"did": did, "handle": self.handle}
        view = {"uri": uri, "cid": body["cid"], "author": author, "record": body["value"]}
        return {**view, "indexedAt": body["value"]["createdAt"], **self.counts.get(uri, {})}

    def add(self, uri: str, **counts: int) -> None:
        self.posts[uri] = {
            "uri": uri,
            "cid": "bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
            "author": {"did": DID, "handle": "brand.example"},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "hello",
                "createdAt": "2026-12-01T09:00:00.000Z",
            },
            "indexedAt": "2026-12-01T09:00:01.000Z",
            **counts,
        }

    def routes(self) -> Iterable[Route]:
        return [
            ("GET", r"/xrpc/app\.bsky\.feed\.getPosts", self._posts),
            ("GET", r"/xrpc/app\.bsky\.actor\.getProfile", self._profile),
        ]

    def _public(self, call: Call) -> Response | None:
        self.expect("authorization" not in call.headers, f"{call.path}: a credential was sent to the AppView")
        return self.injected(call)

    def _posts(self, call: Call, _match) -> Response:
        uris = call.query.get("uris", [])
        self.expect(set(call.query) == {"uris"}, f"getPosts: parameters {sorted(call.query)}; only uris")
        self.expect(0 < len(uris) <= self.limit, f"getPosts: {len(uris)} uris, at most {self.limit}")
        self.expect(all(_AT_URI.fullmatch(uri) for uri in uris), f"getPosts: not post at-uris: {uris}")
        refused = self._public(call)
        if refused is not None:
            return refused
        views = [self._indexed(uri) for uri in uris]
        return json_response({"posts": [view for view in views if view is not None]})

    def _profile(self, call: Call, _match) -> Response:
        self.expect(call.query == {"actor": [self.handle]}, f"getProfile: {dict(call.query)}")
        refused = self._public(call)
        if refused is not None:
            return refused
        profile = {
            "did": DID,
            "handle": "brand.example",
            "followersCount": 12,
            "followsCount": 4,
            "postsCount": 30,
        }
        return json_response(profile)


CONFIG = """\
brand:
  name: Test Brand
  timezone: UTC
  platforms: [bluesky]
accounts:
  sky:
    platform: bluesky
    language: en
    deliver: api
    handle: brand.example
    settings: {{appview_url: "{url}"}}
    credentials: {{app_password: PW_SKY_PASSWORD}}
"""


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


@pytest.fixture
def appview(local_http):
    with serve(AppView(local_http)) as server:
        yield server


def uri(number: int) -> str:
    return f"at://{DID}/app.bsky.feed.post/{rkey(number)}"


def run(root: Path, at: datetime):
    return CliRunner(env={"PW_SKY_PASSWORD": "never-used"}).invoke(
        cli, ["-C", str(root), "metrics", "pull", "--at", at.isoformat()]
    )


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_posts_are_read_25_at_a_time_threads_summed_and_followers_once_a_day(tmp_path, appview) -> None:
    (tmp_path / "config.yml").write_text(CONFIG.format(url=appview.url))
    (tmp_path / "state").mkdir()
    ledger = Ledger(tmp_path / "state")
    for number in range(27):
        appview.add(uri(number), likeCount=number, repostCount=1, replyCount=0, quoteCount=0)
    publish_record(ledger, "2026-12-01-thread.en/sky", "sky", [uri(0), uri(1)], T0, platform="bluesky")
    for number in range(2, 27):
        publish_record(ledger, f"2026-12-01-p{number}.en/sky", "sky", [uri(number)], T0, platform="bluesky")
    result = run(tmp_path, T0 + timedelta(hours=1))
    assert result.exit_code == 0, result.output
    assert [
        len(call.query["uris"]) for call in appview.calls_to("GET", r"/xrpc/app\.bsky\.feed\.getPosts")
    ] == [
        25,
        2,
    ]
    stored = {row["post_id"]: row for row in rows(tmp_path / "state/metrics/bluesky/2026-12.csv")}
    assert (stored["2026-12-01-thread"]["likeCount"], stored["2026-12-01-thread"]["repostCount"]) == (
        "1",
        "2",
    )
    assert stored["2026-12-01-p26"]["likeCount"] == "26"
    assert "bookmarkCount" not in stored["2026-12-01-p26"]  # no part carried it: no column
    [account] = rows(tmp_path / "state/metrics/bluesky/accounts-2026.csv")
    assert (account["followersCount"], account["followsCount"], account["postsCount"]) == ("12", "4", "30")


def test_a_missing_post_waits_a_day_before_it_counts_as_deleted(tmp_path, appview) -> None:
    (tmp_path / "config.yml").write_text(CONFIG.format(url=appview.url))
    (tmp_path / "state").mkdir()
    publish_record(Ledger(tmp_path / "state"), "2026-12-01-p.en/sky", "sky", [uri(3)], T0, platform="bluesky")
    early = run(tmp_path, T0 + timedelta(hours=1))
    assert early.exit_code == 3 and "not indexed by the AppView yet" in early.stderr
    late = run(tmp_path, T0 + timedelta(hours=25))
    assert late.exit_code == 3 and "(deleted)" in late.stderr
    assert run(tmp_path, T0 + timedelta(days=4)).exit_code == 0  # gone: not asked again
    assert len(appview.calls_to("GET", r"/xrpc/app\.bsky\.feed\.getPosts")) == 2


def test_an_appview_refusal_is_recorded_with_the_xrpc_error(tmp_path, appview) -> None:
    (tmp_path / "config.yml").write_text(CONFIG.format(url=appview.url))
    (tmp_path / "state").mkdir()
    appview.add(uri(4), likeCount=1)
    publish_record(Ledger(tmp_path / "state"), "2026-12-01-p.en/sky", "sky", [uri(4)], T0, platform="bluesky")

    def refuse(call: Call) -> Response:
        response = json_response({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, 429)
        response.headers["ratelimit-reset"] = str(int((T0 + timedelta(minutes=5)).timestamp()))
        return response

    appview.fail_next(lambda call: "getPosts" in call.path, refuse)
    result = run(tmp_path, T0 + timedelta(hours=1))
    assert result.exit_code == 3 and "429 Rate Limit Exceeded" in result.stderr
    assert run(tmp_path, T0 + timedelta(hours=2)).exit_code == 0  # read on the next run
    assert rows(tmp_path / "state/metrics/bluesky/2026-12.csv")[0]["likeCount"] == "1"


@pytest.fixture(scope="module")
def pds(tmp_path_factory) -> Iterator[Pds]:
    try:
        server = Pds.start(tmp_path_factory.mktemp("pds"))
    except PdsUnavailable as error:  # failed, never skipped, as in test_publisher_bluesky.py
        pytest.fail(f"the local Bluesky PDS cannot run: {error}", pytrace=False)
    yield server
    server.stop()


def test_what_publish_sent_to_the_real_pds_is_what_metrics_pull_asks_the_appview_for(
    tmp_path, pds, local_http
):
    """`publish` creates the record on the real PDS; the ledger's at:// URI is what getPosts is asked
    for, and the AppView (which here indexes that PDS) answers its counts."""
    account = create_account(pds.url)
    with serve(AppView(local_http, handle=account.handle, pds=pds.url)) as appview:
        config = CONFIG.format(url=appview.url).replace("handle: brand.example", f"handle: {account.handle}")
        config = config.replace("{appview_url:", f'{{service: "{pds.url}", appview_url:')
        (tmp_path / "config.yml").write_text(config)
        (tmp_path / "content/posts/2026").mkdir(parents=True)
        (tmp_path / "content/posts/2026/2026-12-01-sky.md").write_text(
            "---\ntitle: Sky\nplatforms: [bluesky]\ndate: 2026-12-01T09:00\n---\nRead back by the AppView.\n"
        )
        runner = CliRunner(env={"PW_SKY_PASSWORD": account.app_password})
        sent = runner.invoke(cli, ["-C", str(tmp_path), "publish", "--at", "2026-12-01T09:05"])
        assert sent.exit_code == 0, sent.output
        record = json.loads((tmp_path / "state/ledger.jsonl").read_text().splitlines()[-1])
        assert record["status"] == "published" and record["remote_id"].startswith(f"at://{account.did}/")
        appview.counts[record["remote_id"]] = {
            "likeCount": 2,
            "repostCount": 1,
            "replyCount": 0,
            "quoteCount": 0,
        }
        at = datetime.fromisoformat(record["time"]) + timedelta(hours=1)
        pulled = runner.invoke(cli, ["-C", str(tmp_path), "metrics", "pull", "--at", at.isoformat()])
        assert pulled.exit_code == 0, pulled.output
        [row] = rows(tmp_path / f"state/metrics/bluesky/{at:%Y-%m}.csv")
        assert (row["post_id"], row["likeCount"], row["repostCount"]) == ("2026-12-01-sky", "2", "1")
