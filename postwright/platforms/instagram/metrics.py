"""Instagram's metrics reader, and the Graph insights reading Threads and Facebook share with it.

Media: GET /{ig-media-id}/insights?metric=… (developers.facebook.com/documentation/instagram-platform/
reference/instagram-media/insights): views, reach, likes, comments, saved, shares, total_interactions
(impressions, plays and video_views were deprecated in v22.0, for all versions on 2025-04-21). Each metric
comes back as {"name", "period": "lifetime", "values": [{"value": N}]}. "If insights data you are
requesting does not exist or is currently unavailable, the API returns an empty data set instead of 0",
data "can be delayed up to 48 hours", and a post with too few viewers answers "(#10) Not enough viewers for
the media to show insights": both leave the post due, neither is a credentials problem.
Account: GET /{ig-user-id}?fields=followers_count,follows_count,media_count, and the audience from
GET /{ig-user-id}/insights?metric=follower_demographics&period=lifetime&metric_type=total_value&breakdown=
country|age|gender (reference/ig-user/insights: "not returned if the account has fewer than 100
followers"), one dimension a request, answered as total_value.breakdowns[].results[] {dimension_values,
value}. Permissions: instagram_manage_insights (Facebook Login) or instagram_business_manage_insights
(Instagram Login), plus pages_read_engagement with Facebook Login (instagram-platform/insights).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx

from postwright.insights.model import AccountReading, Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection, PermanentError
from postwright.platforms.graph import GraphClient, already_gone, graph_error
from postwright.platforms.instagram import API_URL
from postwright.platforms.instagram.publisher import InstagramGraph
from postwright.platforms.reading import Gone, Malformed, json_of, number, read_each, refusals_as_permanent

MEDIA_METRICS = ("views", "reach", "likes", "comments", "saved", "shares", "total_interactions")
DEMOGRAPHICS = ("country", "age", "gender")  # follower_demographics breakdowns, one per request


def graph_get(client: GraphClient, path: str, **params: str) -> dict[str, Any]:
    """GET a Graph object or edge: an object that no longer exists is Gone, "not enough viewers" an
    error for this post alone (Meta sends it as code 10, which otherwise means a missing permission),
    anything else as graph.py maps it."""
    response = client.request(
        "GET",
        path,
        params={**params, "access_token": client.connection.secrets["access_token"]},
        ok=(400, 403, 404),
    )
    if response.is_success:
        return json_of(response)
    if already_gone(response) or _unknown_object(response):
        raise Gone(f"{path} no longer exists ({client.describe(response)})")
    if "not enough viewers" in str(graph_error(response).get("message", "")).lower():
        raise PermanentError(f"not enough viewers yet to show insights ({client.describe(response)})")
    raise client.error_for(response)


def _unknown_object(response: httpx.Response) -> bool:
    """ "Unsupported get request. Object with ID '…' does not exist" is code 100 subcode 33, as on DELETE."""
    error = graph_error(response)
    return error.get("code") == 100 and "does not exist" in str(error.get("message", ""))


def insight_values(answer: Mapping[str, Any]) -> dict[str, int]:
    """{"data": [{"name", "values": [{"value"}]} or {"name", "total_value": {"value"}}]} as {name: value};
    a by-type value ({"like": 3, "love": 1}) counts as its sum."""
    found: dict[str, int] = {}
    for metric in answer.get("data") or []:
        if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
            raise Malformed("malformed answer: an insights entry without a name")
        values = metric.get("values")
        value = values[-1].get("value") if isinstance(values, list) and values else None
        if value is None:
            value = (metric.get("total_value") or {}).get("value")
        if isinstance(value, dict):
            value = sum(number(count) for count in value.values())
        found[metric["name"]] = number(value)
    return found


def breakdown(answer: Mapping[str, Any]) -> dict[str, int]:
    """follower_demographics' total_value.breakdowns[0].results as {bucket: count} (aggregates only)."""
    buckets: dict[str, int] = {}
    for metric in answer.get("data") or []:
        for part in ((metric.get("total_value") or {}).get("breakdowns")) or []:
            for result in part.get("results") or []:
                key = ",".join(str(value) for value in result.get("dimension_values") or [])
                buckets[key] = buckets.get(key, 0) + number(result.get("value"))
    return dict(sorted(buckets.items()))


def read_audience(client: GraphClient, path: str, dimensions: Sequence[str], **params: str) -> dict:
    """Each dimension's buckets; a dimension the platform refuses (too few followers, a metric it
    retired) is left out rather than failing the followers count read beside it."""
    audience: dict[str, dict[str, int]] = {}
    for dimension in dimensions:
        try:
            buckets = breakdown(graph_get(client, path, breakdown=dimension, **params))
        except (PermanentError, Gone):
            continue
        if buckets:
            audience[dimension] = buckets
    return audience


def no_numbers_yet(readings: Iterator[PostReading | ReadFailure]) -> Iterator[PostReading | ReadFailure]:
    """An empty reading is Meta's "not available yet" (an empty data set, not zeros): left due."""
    for reading in readings:
        if isinstance(reading, PostReading) and not reading.metrics:
            yield ReadFailure(reading.key, "no numbers yet (Meta's insights can be delayed up to 48 hours)")
        else:
            yield reading


class InstagramMetrics:
    """One request per post (Graph media insights take one media id)."""

    batch = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.user = str(connection.required("user_id"))
        api_url = str(connection.setting("api_url") or API_URL)
        self.client = InstagramGraph(connection, api_url, connection.secrets["access_token"])

    def posts(self, deliveries: Sequence[Delivery]) -> Iterator[PostReading | ReadFailure]:
        return no_numbers_yet(read_each(deliveries, self._media))

    def _media(self, delivery: Delivery, media_id: str) -> dict[str, int]:
        return insight_values(graph_get(self.client, f"{media_id}/insights", metric=",".join(MEDIA_METRICS)))

    @refusals_as_permanent
    def account(self) -> AccountReading:
        fields = ("followers_count", "follows_count", "media_count")
        profile = graph_get(self.client, self.user, fields=",".join(fields))
        metrics = {name: number(profile[name]) for name in fields if name in profile}
        audience = read_audience(
            self.client,
            f"{self.user}/insights",
            DEMOGRAPHICS,
            metric="follower_demographics",
            period="lifetime",
            metric_type="total_value",
        )
        return AccountReading(self.connection.account, metrics, audience)
