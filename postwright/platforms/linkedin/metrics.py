"""LinkedIn's metrics reader: organization share and follower statistics (learn.microsoft.com/linkedin/
marketing/community-management/organizations/share-statistics and …/follower-statistics).

Posts: GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={org URN}
&shares=List(…)&ugcPosts=List(…), lifetime statistics (no timeIntervals) of the posts named, one element
each with `share` or `ugcPost` and totalShareStatistics {impressionCount, uniqueImpressionsCount,
clickCount, likeCount, commentCount, shareCount, engagement}; `engagement` is a rate, not a count, and is
left out (the report computes rates). "Returns share data only within the past 12 months", organic only.
LinkedIn documents no largest number of posts a request: 20 is our choice, keeping the URL short.
Permission rw_organization_admin (an ADMINISTRATOR of the page). Only organizations have these numbers:
for a member author (urn:li:person:…) each post is recorded once with the reason and not asked for again
(gone: never readable), and there is no account series.
Account: GET /rest/networkSizes/{org URN}?edgeType=COMPANY_FOLLOWED_BY_MEMBER (firstDegreeSize: the
followers; …/organizations/organization-lookup-api), and GET /rest/organizationalEntityFollowerStatistics
?q=organizationalEntity&organizationalEntity={org URN} (lifetime): followerCountsByGeoCountry, …ByIndustry,
…BySeniority, …ByFunction, each bucket's organicFollowerCount + paidFollowerCount, keyed by the bucket's URN
(aggregates only: no member is named).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from postwright.insights.model import AccountReading, Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection
from postwright.platforms.linkedin.publisher import LinkedInPublisher, _urn
from postwright.platforms.reading import (
    ITEM_ERRORS,
    STOP_ERRORS,
    Malformed,
    chunks_by_parts,
    failed_batch,
    from_batch,
    json_of,
    number,
    refusals_as_permanent,
)

POSTS_PER_REQUEST = 20  # not documented by LinkedIn (module docstring)
SHARE_COUNTS = (
    "impressionCount",
    "uniqueImpressionsCount",
    "clickCount",
    "likeCount",
    "commentCount",
    "shareCount",
)
# follower statistics facet -> (audience dimension, the bucket's field)
FOLLOWER_FACETS = {
    "followerCountsByGeoCountry": ("country", "geo"),
    "followerCountsByIndustry": ("industry", "industry"),
    "followerCountsBySeniority": ("seniority", "seniority"),
    "followerCountsByFunction": ("function", "function"),
}


class LinkedInMetrics:
    """Reads as the publisher's client (LinkedIn-Version, Rest.li 2.0, the bearer token)."""

    batch = POSTS_PER_REQUEST

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        publisher = LinkedInPublisher(connection)
        self.author, self.client = publisher.author, publisher.client
        self.organization = self.author.startswith("urn:li:organization:")

    def posts(self, deliveries: Sequence[Delivery]) -> Iterator[PostReading | ReadFailure]:
        if not self.organization:
            member = f"{self.author} is a member"
            why = f"LinkedIn gives share statistics for organizations only, {member}: not asked again"
            yield from (ReadFailure(delivery.key, why, gone=True) for delivery in deliveries)
            return
        for chunk in chunks_by_parts(deliveries, POSTS_PER_REQUEST):
            yield from self._statistics(chunk)

    def _statistics(self, deliveries: list[Delivery]) -> list[PostReading | ReadFailure]:
        ids = [remote_id for delivery in deliveries for remote_id in delivery.remote_ids]
        query = f"{self._of_organization('organizationalEntityShareStatistics')}{_lists(ids)}"
        try:
            answer = json_of(self.client.request("GET", query))
            found = _by_post(answer)
        except (*STOP_ERRORS, *ITEM_ERRORS) as error:
            return failed_batch(deliveries, error)
        missing = "LinkedIn sent no statistics for this post (older than 12 months, or not this page's)"
        return [from_batch(delivery, found, set(), missing) for delivery in deliveries]

    def _of_organization(self, finder: str) -> str:
        return f"/rest/{finder}?q=organizationalEntity&organizationalEntity={_urn(self.author)}"

    @refusals_as_permanent
    def account(self) -> AccountReading | None:
        if not self.organization:
            return None
        size = json_of(
            self.client.request(
                "GET", f"/rest/networkSizes/{_urn(self.author)}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
            )
        )
        metrics = {"firstDegreeSize": number(size.get("firstDegreeSize"))}
        followers = self._of_organization("organizationalEntityFollowerStatistics")
        elements = json_of(self.client.request("GET", followers)).get("elements") or []
        audience = _audience(elements[0]) if elements else {}
        return AccountReading(self.connection.account, metrics, audience)


def _lists(ids: Sequence[str]) -> str:
    """shares=List(…) for urn:li:share ids, ugcPosts=List(…) for urn:li:ugcPost ids, URNs encoded inside
    (Rest.li 2.0: the List's parentheses and commas are syntax, the URNs' colons are not)."""
    shares = [_urn(i) for i in ids if i.startswith("urn:li:share:")]
    ugc_posts = [_urn(i) for i in ids if not i.startswith("urn:li:share:")]
    query = f"&shares=List({','.join(shares)})" if shares else ""
    return query + (f"&ugcPosts=List({','.join(ugc_posts)})" if ugc_posts else "")


def _by_post(answer: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for element in answer.get("elements") or []:
        post = element.get("share") or element.get("ugcPost")
        totals = element.get("totalShareStatistics")
        if not post or not isinstance(totals, dict):
            raise Malformed("malformed answer: an element without its post or totalShareStatistics")
        found[str(post)] = {name: number(totals[name]) for name in SHARE_COUNTS if name in totals}
    return found


def _audience(element: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    audience: dict[str, dict[str, int]] = {}
    for facet, (dimension, field) in FOLLOWER_FACETS.items():
        buckets: dict[str, int] = {}
        for bucket in element.get(facet) or []:
            counts = bucket.get("followerCounts") or {}
            total = number(counts.get("organicFollowerCount", 0)) + number(counts.get("paidFollowerCount", 0))
            buckets[str(bucket.get(field))] = total
        if buckets:
            audience[dimension] = dict(sorted(buckets.items()))
    return audience
