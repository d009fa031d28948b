"""Mastodon's numbers: a status's replies, boosts, favourites (and quotes where the server counts them),
the account's followers.

Statuses are read 20 at a time with `GET /api/v1/statuses?id[]=…` (getStatuses, Mastodon 4.3.0+; the
server's DEFAULT_STATUSES_LIMIT is 20: https://docs.joinmastodon.org/methods/statuses/#index). A server
without it (older Mastodon, Takahē) answers 404 or 405: then each status is read with
`GET /api/v1/statuses/:id`. An id missing from the batch answer is asked alone, and a 404 there means the
status is gone. The account's numbers come from `GET /api/v1/accounts/verify_credentials`. Both need the
token's `read:statuses` and `read:accounts` scopes (OpenAPI `security` of getStatuses, getStatus and
getAccountsVerifyCredentials).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from postwright.insights.counts import is_count, summed
from postwright.insights.model import AccountReading, Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection, PermanentError
from postwright.platforms.http_client import ApiClient

BATCH = 20  # Api::V1::StatusesController DEFAULT_STATUSES_LIMIT: more ids than this are refused
COUNTS = ("replies_count", "reblogs_count", "favourites_count", "quotes_count")  # Status entity
ACCOUNT_COUNTS = ("followers_count", "following_count", "statuses_count")  # Account entity


class MastodonMetrics:
    """The metrics reader of one Mastodon account (insights.model.MetricsReader)."""

    batch = BATCH

    def __init__(self, connection: Connection) -> None:
        instance = str(connection.required("instance")).rstrip("/")
        token = connection.secrets["access_token"]
        self.account_name = connection.account
        self.api = ApiClient(connection, instance, headers={"Authorization": f"Bearer {token}"})
        self.batched = True  # until the server says it has no getStatuses

    def posts(self, deliveries: Sequence[Delivery]) -> Iterator[PostReading | ReadFailure]:
        ids = [remote_id for delivery in deliveries for remote_id in delivery.remote_ids]
        found = self._statuses(ids)
        for delivery in deliveries:
            statuses = [found.get(remote_id) for remote_id in delivery.remote_ids]
            if any(status is None for status in statuses):
                yield ReadFailure(delivery.key, "the status is gone (404 from the server)", gone=True)
                continue
            try:
                yield PostReading(delivery.key, summed(statuses, COUNTS))
            except ValueError as error:
                yield ReadFailure(delivery.key, f"malformed answer: {error}")

    def account(self) -> AccountReading | None:
        body = self.api.request("GET", "/api/v1/accounts/verify_credentials").json()
        if not isinstance(body, dict):
            raise PermanentError("malformed answer: verify_credentials is not an Account")
        counts = {name: body[name] for name in ACCOUNT_COUNTS if is_count(body.get(name))}
        if "followers_count" not in counts:
            raise PermanentError("malformed answer: verify_credentials has no followers_count")
        return AccountReading(self.account_name, counts)

    def _statuses(self, ids: Sequence[str]) -> dict[str, Mapping[str, Any] | None]:
        """Each id's Status, None where the server has none (gone)."""
        found: dict[str, Mapping[str, Any] | None] = {}
        if self.batched:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                response = self.api.request("GET", "/api/v1/statuses", params={"id[]": chunk}, ok=(404, 405))
                if response.status_code in (404, 405):  # no getStatuses here: one at a time
                    self.batched = False
                    break
                found.update(_by_id(response.json()))
        for remote_id in ids:
            if remote_id not in found:
                found[remote_id] = self._status(remote_id)
        return found

    def _status(self, remote_id: str) -> Mapping[str, Any] | None:
        response = self.api.request("GET", f"/api/v1/statuses/{remote_id}", ok=(404,))
        if response.status_code == 404:
            return None
        body = response.json()
        if not isinstance(body, dict):
            raise PermanentError(f"malformed answer: GET /api/v1/statuses/{remote_id} is not a Status")
        return body


def _by_id(body: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(item, dict) and "id" in item for item in body):
        raise PermanentError("malformed answer: getStatuses did not return a list of Statuses")
    return {str(item["id"]): item for item in body}
