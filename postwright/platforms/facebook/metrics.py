"""Facebook's metrics reader: Page post insights and the Page's followers, through the Graph API.

Post: one request, GET /{version}/{post-id}?fields=shares,comments.limit(0).summary(true),insights.metric(
…) (field expansion, graph-api/guides/field-expansion): the post's shares.count and comments.summary.
total_count, and its lifetime insights (developers.facebook.com/docs/graph-api/reference/page-post/
insights): post_media_view and post_total_media_view_unique, the views that replaced post_impressions and
post_impressions_unique when Meta deprecated them for all versions (2025-06-15 and 2025-11-15:
documentation/pages-api/platforminsights/page/deprecated-metrics), post_clicks, and
post_reactions_by_type_total (stored as the sum of its types).
Page: GET /{version}/{page-id}?fields=followers_count,fan_count. No audience breakdown: Meta deprecated
page_fans_country on 2025-11-15, and page_follows_country, which that page names as its alternative, is on
the same page's list of metrics deprecated on 2024-03-14, so no country breakdown is documented as live.
Permissions: pages_read_engagement and read_insights, from a person who can do ANALYZE on the Page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from postwright.insights.model import AccountReading, Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection
from postwright.platforms.facebook import API_URL, GRAPH_VERSION
from postwright.platforms.facebook.publisher import FacebookGraph
from postwright.platforms.instagram.metrics import graph_get, insight_values, no_numbers_yet
from postwright.platforms.reading import Malformed, number, read_each, refusals_as_permanent

POST_INSIGHTS = (
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_reactions_by_type_total",
)
POST_FIELDS = f"shares,comments.limit(0).summary(true),insights.metric({','.join(POST_INSIGHTS)})"


class FacebookMetrics:
    """One request per post (a Page post has no thread parts)."""

    batch = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.page_id = str(connection.required("page_id"))
        self.version = str(connection.setting("graph_version", GRAPH_VERSION))
        api_url = str(connection.setting("api_url", API_URL))
        self.client = FacebookGraph(connection, api_url, connection.secrets["access_token"])

    def posts(self, deliveries: Sequence[Delivery]) -> Iterator[PostReading | ReadFailure]:
        return no_numbers_yet(read_each(deliveries, self._post))

    def _post(self, delivery: Delivery, post_id: str) -> dict[str, int]:
        post = graph_get(self.client, f"{self.version}/{post_id}", fields=POST_FIELDS)
        insights = post.get("insights") or {}
        if not isinstance(insights, dict):
            raise Malformed("malformed answer: insights is not an object")
        values = insight_values(insights)
        if isinstance(post.get("shares"), dict):  # absent until someone shares the post
            values["shares"] = number(post["shares"].get("count", 0))
        comments = (post.get("comments") or {}).get("summary")
        if isinstance(comments, dict):
            values["comments"] = number(comments.get("total_count", 0))
        return values

    @refusals_as_permanent
    def account(self) -> AccountReading:
        fields = ("followers_count", "fan_count")
        page = graph_get(self.client, f"{self.version}/{self.page_id}", fields=",".join(fields))
        return AccountReading(
            self.connection.account, {name: number(page[name]) for name in fields if name in page}
        )
