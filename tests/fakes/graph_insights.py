"""Meta's insights answers, for the Instagram, Threads and Facebook metrics tests (each plays its API with a
FakePlatform and these shapes).

Shapes from developers.facebook.com: an insights edge answers {"data": [{"name", "period", "values":
[{"value"}], "title", "description", "id"}]} (instagram-platform/reference/instagram-media/insights,
threads/insights, graph-api/reference/page-post/insights); user-level metrics and demographics carry
"total_value" instead of "values" (threads/insights "User Insights", instagram-platform/reference/ig-user/
insights: total_value.breakdowns[].results[] {dimension_values, value}). Errors are Meta's error object
(graph-api/guides/error-handling), played by tests.fakes.meta.meta_error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug import Response

from tests.fakes.http_platform import Call, FakePlatform, json_response
from tests.fakes.meta import meta_error


def token_problem(fake: FakePlatform, call: Call, token: str) -> Response | None:
    """Meta's token rules for a GET: `access_token` in the query, never an Authorization header."""
    fake.expect("authorization" not in call.headers, "the token travels as access_token, not a header")
    if call.arg("access_token") != token:
        return meta_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
    return None


def insights(node: str, values: Mapping[str, Any], period: str = "lifetime") -> Response:
    """An insights edge's answer, one entry per metric in the order asked."""
    data = [
        {
            "name": name,
            "period": period,
            "values": [{"value": value}],
            "title": name.replace("_", " ").title(),
            "description": f"The {name} of this object.",
            "id": f"{node}/insights/{name}/{period}",
        }
        for name, value in values.items()
    ]
    return json_response({"data": data})


def total_value(node: str, name: str, value: int) -> dict[str, Any]:
    return {
        "name": name,
        "period": "day",
        "title": name.replace("_", " ").title(),
        "description": f"The {name} of this profile.",
        "total_value": {"value": value},
        "id": f"{node}/insights/{name}/day",
    }


def demographics(node: str, dimension: str, buckets: Mapping[str, int]) -> Response:
    """follower_demographics with one breakdown."""
    results = [{"dimension_values": [key], "value": value} for key, value in buckets.items()]
    entry = {
        "name": "follower_demographics",
        "period": "lifetime",
        "title": "Follower demographics",
        "description": "The demographic characteristics of followers.",
        "total_value": {"breakdowns": [{"dimension_keys": [dimension], "results": results}]},
        "id": f"{node}/insights/follower_demographics/lifetime",
    }
    return json_response({"data": [entry]})


def no_such_object(node: str) -> Response:
    """What Graph answers for an id that does not exist (or was deleted)."""
    message = (
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation."
    )
    return meta_error(400, message, 100, 33, type="GraphMethodException")


def missing_permission(permission: str) -> Response:
    return meta_error(403, f"(#10) Application does not have permission for this action: {permission}", 10)


def throttled() -> Response:
    """Instagram's business-use-case throttle: HTTP 400, code 80002, minutes in the usage header."""
    usage = '{"17841400000000001": [{"type": "instagram", "estimated_time_to_regain_access": 5}]}'
    return meta_error(
        400,
        "There have been too many calls to this Instagram account. Wait a bit and try again.",
        80002,
        headers={"X-Business-Use-Case-Usage": usage},
    )


def metric_list(fake: FakePlatform, call: Call, allowed: set[str]) -> list[str] | None:
    """The `metric` parameter, checked against the platform's documented metrics."""
    asked = [name for name in (call.arg("metric") or "").split(",") if name]
    if not fake.expect(bool(asked), "metric= is required"):
        return None
    if not fake.expect(
        set(asked) <= allowed, f"metrics not documented for this node: {set(asked) - allowed}"
    ):
        return None
    return asked
