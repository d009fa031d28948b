"""`metrics pull` against Takahē 0.11.0, a real server with Mastodon's client API (tests/takahe_server.py):
`postwright publish` posts through the real Mastodon publisher, a second local user favourites and boosts
the status, and `postwright metrics pull` reads the counts back into state/metrics/. Takahē has no
`GET /api/v1/statuses?id[]=` (Mastodon 4.3's getStatuses), so this also runs the reader's one-by-one
path on a real server. Without Takahē the test skips with the reason; under CI=true it fails instead."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from postwright.cli import cli
from tests.takahe_server import SERVERS, Takahe, TakaheUnavailable

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

CONFIG = """\
brand:
  name: Test Brand
  timezone: UTC
  platforms: [mastodon]
accounts:
  masto:
    platform: mastodon
    deliver: api
    settings: {{instance: "{url}"}}
    credentials: {{access_token: PW_TAKAHE_TOKEN}}
"""
POST = """\
---
title: Metrics
platforms: [mastodon]
date: 2026-12-01T09:00
---
Numbers, read back from a real server.
"""


@pytest.fixture(scope="module")
def takahe() -> Iterator[Takahe]:
    try:
        server = Takahe.start()
    except TakaheUnavailable as error:
        if IN_CI:
            pytest.fail(f"Takahē cannot run here: {error}", pytrace=False)
        pytest.skip(f"Takahē cannot run here: {error}")
    yield server
    server.stop()


def second_user(takahe: Takahe, name: str) -> httpx.Client:
    """Another local identity with a token of its own (takahe_add_user.sh, takahe_token.py)."""
    environ = {**takahe._environ(), "TAKAHE_SRC": str(SERVERS / "takahe")}
    subprocess.run(
        ["bash", str(SERVERS / "takahe_add_user.sh"), name],
        env=environ,
        check=True,
        capture_output=True,
        timeout=120,
    )
    login = f"{name}@example.test:{name}-pass-12345"
    token = subprocess.run(
        [sys.executable, str(SERVERS / "takahe_token.py"), takahe.base_url, login, "read write"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    return httpx.Client(base_url=takahe.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_a_favourite_and_a_boost_from_another_user_are_read_back(tmp_path: Path, takahe: Takahe) -> None:
    (tmp_path / "config.yml").write_text(CONFIG.format(url=takahe.base_url))
    (tmp_path / "content/posts/2026").mkdir(parents=True)
    (tmp_path / "content/posts/2026/2026-12-01-metrics.md").write_text(POST)
    runner = CliRunner(env={"PW_TAKAHE_TOKEN": takahe.token})
    sent = runner.invoke(cli, ["-C", str(tmp_path), "publish", "--at", "2026-12-01T09:05"])
    assert sent.exit_code == 0, sent.output
    published = [json.loads(line) for line in (tmp_path / "state/ledger.jsonl").read_text().splitlines()][-1]
    assert published["status"] == "published" and published["via"] == "api"
    status_id = published["remote_id"]

    bob = second_user(takahe, "bob")
    bob.post(f"/api/v1/statuses/{status_id}/favourite").raise_for_status()
    bob.post(f"/api/v1/statuses/{status_id}/reblog").raise_for_status()

    at = datetime.fromisoformat(published["time"]) + timedelta(hours=1, minutes=1)
    pulled = runner.invoke(cli, ["-C", str(tmp_path), "metrics", "pull", "--at", at.isoformat()])
    assert pulled.exit_code == 0, pulled.output
    month = f"{datetime.fromisoformat(published['time']):%Y-%m}"
    with (tmp_path / f"state/metrics/mastodon/{month}.csv").open(newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["post_id"], row["account"], row["lang"]) == ("2026-12-01-metrics", "masto", "en")
    assert (row["favourites_count"], row["reblogs_count"], row["replies_count"]) == ("1", "1", "0")
    with (tmp_path / f"state/metrics/mastodon/accounts-{at:%Y}.csv").open(newline="") as handle:
        [account] = list(csv.DictReader(handle))
    assert account["account"] == "masto" and int(account["statuses_count"]) >= 1
    assert account["followers_count"].isdigit()

    bob.post(f"/api/v1/statuses/{status_id}/unfavourite").raise_for_status()
    later = runner.invoke(
        cli, ["-C", str(tmp_path), "metrics", "pull", "--at", (at + timedelta(hours=6)).isoformat()]
    )
    assert later.exit_code == 0, later.output
    with (tmp_path / f"state/metrics/mastodon/{month}.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["favourites_count"], r["reblogs_count"]) for r in rows] == [("1", "1"), ("0", "1")]
