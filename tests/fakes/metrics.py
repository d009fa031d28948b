"""What the metrics reader tests (tests/test_metrics_*.py) share: a Connection to a fake platform, the
deliveries the ledger would give, and the readings by key.

Each test module plays its platform with tests/fakes/http_platform.FakePlatform, which checks every
request the way the platform documents it and fails the test on any problem (`serve`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from postwright.credentials import Secrets
from postwright.insights.model import Delivery, PostReading, ReadFailure
from postwright.platforms.contract import Connection

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def connect(
    platform: str, settings: Mapping[str, Any], secrets: Mapping[str, str], *, now: datetime = NOW
) -> Connection:
    """The account `brand_<platform>` with `secrets` in a private environment, its clock at `now`."""
    environ = {f"SECRET_{name.upper()}": value for name, value in secrets.items()}
    names = {name: f"SECRET_{name.upper()}" for name in secrets}
    account = f"brand_{platform}"
    return Connection(
        account=account,
        platform=platform,
        settings=dict(settings),
        secrets=Secrets(account, names, environ),
        sleep=lambda seconds: None,
        clock=lambda: now,
    )


def delivery(platform: str, post_id: str, *remote_ids: str, published: datetime = NOW) -> Delivery:
    key = f"{post_id}.en/brand_{platform}"
    urls = tuple(f"https://example.test/{remote_id}" for remote_id in remote_ids)
    return Delivery(key, post_id, "en", f"brand_{platform}", platform, tuple(remote_ids), urls, published)


def by_key(results: Iterable[PostReading | ReadFailure]) -> dict[str, PostReading | ReadFailure]:
    found: dict[str, PostReading | ReadFailure] = {}
    for result in results:
        assert result.key not in found, f"{result.key} answered twice"
        found[result.key] = result
    return found


def metrics_of(result: PostReading | ReadFailure) -> Mapping[str, int]:
    assert isinstance(result, PostReading), result
    return result.metrics


def failure_of(result: PostReading | ReadFailure) -> ReadFailure:
    assert isinstance(result, ReadFailure), result
    return result
