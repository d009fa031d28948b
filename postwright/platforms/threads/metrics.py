"""Threads' metrics reader: the Threads Insights API (developers.facebook.com/documentation/threads/insights).

Media: GET /{threads-media-id}/insights?metric=views,likes,replies,reposts,quotes,shares, answered like
Instagram's ({"name", "period": "lifetime", "values": [{"value"}]}). "Returned metrics do not capture nested
replies' metrics", so a thread's parts are read one by one and summed, except `replies`: "when the
requested media is a root post, this number includes total replies", nested ones too, so the thread's
replies are part 1's count less the thread's own parts (each a reply under it), and the later parts' own
counts (direct replies, among them the next part) are not added again.
Account: GET /{threads-user-id}/threads_insights?metric=followers_count ({"total_value": {"value"}}), and
metric=follower_demographics&breakdown=country|age|gender (one breakdown a request; "not available for
profiles with fewer than 100 followers"). Permission: threads_manage_insights ("required for making GET
calls to insights endpoints"), besides threads_basic.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from postwright.insights.model import AccountReading, Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection
from postwright.platforms.instagram.metrics import (
    DEMOGRAPHICS,
    graph_get,
    insight_values,
    no_numbers_yet,
    read_audience,
)
from postwright.platforms.instagram.publisher import InstagramGraph
from postwright.platforms.reading import read_each, refusals_as_permanent
from postwright.platforms.threads import API_URL

MEDIA_METRICS = ("views", "likes", "replies", "reposts", "quotes", "shares")


class ThreadsMetrics:
    """One request per thread part (media insights take one media id)."""

    batch = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.user = str(connection.setting("user_id") or "me")
        api_url = str(connection.setting("api_url") or API_URL)
        self.client = InstagramGraph(connection, api_url, connection.secrets["access_token"])

    def posts(self, deliveries: Sequence[Delivery]) -> Iterator[PostReading | ReadFailure]:
        return no_numbers_yet(read_each(deliveries, self._media))

    def _media(self, delivery: Delivery, media_id: str) -> dict[str, int]:
        """One part's numbers; `replies` counted once for the thread, at its root (module docstring)."""
        answer = graph_get(self.client, f"{media_id}/insights", metric=",".join(MEDIA_METRICS))
        values = insight_values(answer)
        if "replies" in values:
            own_parts = len(delivery.remote_ids) - 1
            root = media_id == delivery.remote_ids[0]
            values["replies"] = max(0, values["replies"] - own_parts) if root else 0
        return values

    @refusals_as_permanent
    def account(self) -> AccountReading:
        edge = f"{self.user}/threads_insights"
        metrics = insight_values(graph_get(self.client, edge, metric="followers_count"))
        audience = read_audience(self.client, edge, DEMOGRAPHICS, metric="follower_demographics")
        return AccountReading(self.connection.account, metrics, audience)
