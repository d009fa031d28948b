"""Mastodon's read side as the metrics reader uses it, on a local server that checks each request as
docs.joinmastodon.org documents it: GET /api/v1/statuses?id[]= (getStatuses, 4.3.0+: "id[]: Array of
String", at most DEFAULT_STATUSES_LIMIT = 20), GET /api/v1/statuses/:id (getStatus) and GET
/api/v1/accounts/verify_credentials, each with the account's Bearer token; answers shaped as the
Status and Account entities (docs.joinmastodon.org/entities/Status, /entities/Account)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Response

from tests.fakes.http_platform import Call, FakePlatform, Route, json_response

MAX_IDS = 20


class MastodonStatuses(FakePlatform):
    def __init__(
        self, httpserver, tokens: Iterable[str] = ("metrics-token",), *, batched: bool = True
    ) -> None:
        self.tokens = set(tokens)
        self.batched = batched  # False: a server without getStatuses (older Mastodon, Takahē)
        self.statuses: dict[str, dict[str, Any]] = {}
        self.followers = 42
        super().__init__(httpserver)

    def add(
        self, status_id: str, favourites: int = 0, reblogs: int = 0, replies: int = 0, quotes=None
    ) -> None:
        status = {
            "id": status_id,
            "uri": f"https://masto.example/users/brand/statuses/{status_id}",
            "url": f"https://masto.example/@brand/{status_id}",
            "created_at": "2026-12-01T09:00:00.000Z",
            "content": "<p>hello</p>",
            "visibility": "public",
            "replies_count": replies,
            "reblogs_count": reblogs,
            "favourites_count": favourites,
        }
        if quotes is not None:
            status["quotes_count"] = quotes  # Mastodon 4.5's quotes
        self.statuses[status_id] = status

    def routes(self) -> Iterable[Route]:
        return [
            ("GET", r"/api/v1/statuses", self._many),
            ("GET", r"/api/v1/statuses/(\d+)", self._one),
            ("GET", r"/api/v1/accounts/verify_credentials", self._me),
        ]

    def _authorised(self, call: Call) -> Response | None:
        token = call.headers.get("authorization", "")
        if not self.expect(token.removeprefix("Bearer ") in self.tokens, f"{call.path}: no Bearer token"):
            return json_response({"error": "The access token is invalid"}, 401)
        return self.injected(call)

    def _many(self, call: Call, _match: re.Match[str]) -> Response:
        if not self.batched:
            return json_response({"error": "Record not found"}, 404)
        ids = call.query.get("id[]", [])
        self.expect(set(call.query) == {"id[]"}, f"getStatuses: parameters {sorted(call.query)}, only id[]")
        self.expect(0 < len(ids) <= MAX_IDS, f"getStatuses: {len(ids)} ids, at most {MAX_IDS}")
        self.expect(all(found.isdigit() for found in ids), f"getStatuses: ids {ids} are not status ids")
        refused = self._authorised(call)
        if refused is not None:
            return refused
        return json_response([self.statuses[found] for found in ids if found in self.statuses])

    def _one(self, call: Call, match: re.Match[str]) -> Response:
        self.expect(not call.query, f"getStatus takes no parameters: {dict(call.query)}")
        refused = self._authorised(call)
        if refused is not None:
            return refused
        status = self.statuses.get(match.group(1))
        return json_response(status) if status else json_response({"error": "Record not found"}, 404)

    def _me(self, call: Call, _match: re.Match[str]) -> Response:
        refused = self._authorised(call)
        if refused is not None:
            return refused
        return json_response(
            {
                "id": "1",
                "username": "brand",
                "acct": "brand",
                "followers_count": self.followers,
                "following_count": 3,
                "statuses_count": len(self.statuses),
            }
        )


def rate_limited(call: Call) -> Response:
    """Mastodon's 429: an Error entity and X-RateLimit-Reset (docs.joinmastodon.org/api/rate-limits)."""
    response = json_response({"error": "Too many requests"}, 429)
    response.headers["X-RateLimit-Reset"] = "2026-12-01T12:00:00.000Z"
    return response
