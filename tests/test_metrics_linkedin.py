"""LinkedIn's metrics reader against a local REST API that checks each request as LinkedIn documents it
(learn.microsoft.com/linkedin/marketing/community-management/organizations/share-statistics,
…/follower-statistics, …/organization-lookup-api).

Every request: Authorization: Bearer, LinkedIn-Version (YYYYMM), X-Restli-Protocol-Version: 2.0.0.
Share statistics: q=organizationalEntity, organizationalEntity the URN encoded, shares=List(…) and
ugcPosts=List(…) with each URN encoded inside the List (Rest.li 2.0), no timeIntervals (lifetime).
Follower statistics: the same finder, lifetime.
networkSizes/{encoded URN}?edgeType=COMPANY_FOLLOWED_BY_MEMBER.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator

import pytest
from werkzeug import Request, Response

from postwright.platforms import PLATFORMS
from tests.fakes.api import http_server  # noqa: F401
from tests.fakes.http_platform import Call, FakePlatform, json_response, serve
from tests.fakes.metrics import by_key, connect, delivery, failure_of, metrics_of

TOKEN = "AQV-linkedin-insights-token"
ORG = "urn:li:organization:2414183"
ENCODED_LIST = re.compile(r"^List\((urn%3Ali%3A(share|ugcPost)%3A\d+)(,urn%3Ali%3A(share|ugcPost)%3A\d+)*\)$")


class FakeLinkedIn(FakePlatform):
    def __init__(self, httpserver) -> None:
        self.statistics: dict[str, dict[str, float]] = {}
        self.raw: list[str] = []  # each request's path and query as sent, before decoding
        super().__init__(httpserver)

    def routes(self):
        return [
            ("GET", r"/rest/organizationalEntityShareStatistics", self.shares),
            ("GET", r"/rest/organizationalEntityFollowerStatistics", self.followers),
            ("GET", r"/rest/networkSizes/(?P<urn>.+)", self.network_size),
        ]

    def _dispatch(self, request: Request) -> Response:
        self.raw.append(request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or "")
        return super()._dispatch(request)

    def headers_ok(self, call: Call) -> None:
        self.expect(call.headers.get("authorization") == f"Bearer {TOKEN}", "Authorization: Bearer")
        self.expect(
            re.fullmatch(r"\d{6}", call.headers.get("linkedin-version", "")) is not None, "LinkedIn-Version"
        )
        self.expect(call.headers.get("x-restli-protocol-version") == "2.0.0", "X-Restli-Protocol-Version")

    def finder(self, call: Call) -> dict[str, str]:
        self.headers_ok(call)
        raw = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.raw[-1]).query, keep_blank_values=True))
        encoded = {
            name: value
            for name, value in re.findall(r"(?:^|&)([^=&]+)=([^&]*)", self.raw[-1].split("?", 1)[1])
        }
        self.expect(call.arg("q") == "organizationalEntity", "q=organizationalEntity")
        self.expect(call.arg("organizationalEntity") == ORG, "the organization's URN")
        self.expect(
            encoded.get("organizationalEntity") == urllib.parse.quote(ORG, safe=""), "the URN encoded"
        )
        self.expect(not any(name.startswith("timeIntervals") for name in raw), "lifetime: no timeIntervals")
        return encoded

    def shares(self, call: Call, match: re.Match[str]) -> Response:
        encoded = self.finder(call)
        if failure := self.injected(call):
            return failure
        asked: list[str] = []
        for name in ("shares", "ugcPosts"):
            if name in encoded:
                self.expect(ENCODED_LIST.match(encoded[name]) is not None, f"{name}=List(encoded URNs)")
                asked += [urllib.parse.unquote(urn) for urn in encoded[name][5:-1].split(",")]
        self.expect(0 < len(asked) <= 20, f"1–20 posts a request, got {len(asked)}")
        elements = []
        for urn in asked:
            if urn in self.statistics:
                kind = "share" if urn.startswith("urn:li:share:") else "ugcPost"
                elements.append(
                    {"organizationalEntity": ORG, kind: urn, "totalShareStatistics": self.statistics[urn]}
                )
        return json_response({"paging": {"count": 10, "start": 0, "links": []}, "elements": elements})

    def followers(self, call: Call, match: re.Match[str]) -> Response:
        self.finder(call)
        counts = lambda organic, paid: {"organicFollowerCount": organic, "paidFollowerCount": paid}  # noqa: E731
        element = {
            "organizationalEntity": ORG,
            "followerCountsByGeoCountry": [{"geo": "urn:li:geo:105646813", "followerCounts": counts(300, 5)}],
            "followerCountsByIndustry": [{"industry": "urn:li:industry:4", "followerCounts": counts(120, 0)}],
            "followerCountsBySeniority": [
                {"seniority": "urn:li:seniority:3", "followerCounts": counts(80, 2)}
            ],
            "followerCountsByFunction": [],
            "followerCountsByStaffCountRange": [],
            "followerCountsByAssociationType": [],
        }
        return json_response({"paging": {"count": 10, "start": 0, "links": []}, "elements": [element]})

    def network_size(self, call: Call, match: re.Match[str]) -> Response:
        self.headers_ok(call)
        self.expect(match["urn"] == ORG, "the organization's URN")
        self.expect(urllib.parse.quote(ORG, safe="") in self.raw[-1], "the URN encoded in the path")
        self.expect(
            call.arg("edgeType") == "COMPANY_FOLLOWED_BY_MEMBER", "edgeType=COMPANY_FOLLOWED_BY_MEMBER"
        )
        return json_response({"firstDegreeSize": 1234})


@pytest.fixture
def fake(http_server) -> Iterator[FakeLinkedIn]:  # noqa: F811
    with serve(FakeLinkedIn(http_server)) as fake:
        yield fake


def reader(fake: FakeLinkedIn, author: str = ORG):
    settings = {"author": author, "api_url": fake.url}
    return PLATFORMS["linkedin"].metrics(connect("linkedin", settings, {"access_token": TOKEN}))


def stats(impressions: int, clicks: int) -> dict[str, float]:
    return {
        "uniqueImpressionsCount": impressions - 10,
        "shareCount": 1,
        "engagement": 0.0571,
        "clickCount": clicks,
        "likeCount": 7,
        "impressionCount": impressions,
        "commentCount": 2,
    }


def test_share_and_ugc_post_statistics_in_one_request_without_the_rate(fake):
    fake.statistics.update({"urn:li:share:7001": stats(500, 20), "urn:li:ugcPost:7002": stats(300, 9)})
    share, ugc = (
        delivery("linkedin", "a", "urn:li:share:7001"),
        delivery("linkedin", "b", "urn:li:ugcPost:7002"),
    )
    found = by_key(reader(fake).posts([share, ugc]))
    assert metrics_of(found[share.key]) == {
        "clickCount": 20,
        "commentCount": 2,
        "impressionCount": 500,
        "likeCount": 7,
        "shareCount": 1,
        "uniqueImpressionsCount": 490,
    }
    assert metrics_of(found[ugc.key])["impressionCount"] == 300
    assert len(fake.calls) == 1
    assert "&shares=List(urn%3Ali%3Ashare%3A7001)&ugcPosts=List(urn%3Ali%3AugcPost%3A7002)" in fake.raw[0]


def test_twenty_posts_a_request(fake):
    posts = []
    for number in range(45):
        urn = f"urn:li:share:{8000 + number}"
        fake.statistics[urn] = stats(100, 1)
        posts.append(delivery("linkedin", f"p{number}", urn))
    found = by_key(reader(fake).posts(posts))
    assert len(found) == 45 and all(isinstance(metrics_of(result), dict) for result in found.values())
    assert len(fake.calls) == 3


def test_a_post_without_statistics_stays_due_with_the_reason(fake):
    [failure] = reader(fake).posts([delivery("linkedin", "a", "urn:li:share:9999")])
    assert "no statistics" in failure_of(failure).reason and not failure.gone


def test_429_and_403_are_reasons_for_the_whole_batch(fake):
    fake.statistics["urn:li:share:7101"] = stats(1, 1)
    posts = [delivery("linkedin", "a", "urn:li:share:7101"), delivery("linkedin", "b", "urn:li:share:7101")]
    limit = {
        "status": 429,
        "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
    }
    fake.fail_next(lambda call: True, lambda call: json_response(limit, 429))
    assert all("429" in failure_of(r).reason for r in reader(fake).posts(posts[:1]))
    denied = {
        "status": 403,
        "serviceErrorCode": 100,
        "code": "ACCESS_DENIED",
        "message": "Not enough permissions to access: rw_organization_admin",
    }
    fake.fail_next(lambda call: True, lambda call: json_response(denied, 403))
    [failure] = reader(fake).posts(posts[:1])
    assert "rw_organization_admin" in failure_of(failure).reason and TOKEN not in failure.reason


def test_malformed_answer_is_a_reason(fake):
    fake.fail_next(lambda call: True, lambda call: json_response({"elements": [{"share": "urn:li:share:1"}]}))
    [failure] = reader(fake).posts([delivery("linkedin", "a", "urn:li:share:1")])
    assert "malformed" in failure_of(failure).reason


def test_a_member_author_has_no_statistics(fake):
    member = reader(fake, author="urn:li:person:abc123")
    [failure] = member.posts([delivery("linkedin", "a", "urn:li:share:1")])
    assert "organizations only" in failure_of(failure).reason and failure.gone
    assert member.account() is None and fake.calls == []


def test_account_followers_and_their_breakdowns(fake):
    account = reader(fake).account()
    assert account.metrics == {"firstDegreeSize": 1234}
    assert account.audience == {
        "country": {"urn:li:geo:105646813": 305},
        "industry": {"urn:li:industry:4": 120},
        "seniority": {"urn:li:seniority:3": 82},
    }


def test_declared_with_its_scopes():
    assert PLATFORMS["linkedin"].metrics_scopes == ("rw_organization_admin", "r_organization_social")
