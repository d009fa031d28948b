"""What the replies tests share: a project whose ledger holds published posts, and a pull through it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from postwright.config import Config, load_config
from postwright.ledger import Ledger, Record, RecordStatus
from postwright.project import Project
from tests.conftest import write_files


def published(
    ledger: Ledger,
    post_id: str,
    account: str,
    platform: str,
    remote_ids: tuple[str, ...],
    when: datetime,
    *,
    lang: str = "en",
    url: str | None = None,
) -> str:
    """Record a job as published part by part (as the publish step does); returns its key."""
    key = f"{post_id}.{lang}/{account}"
    for part, remote_id in enumerate(remote_ids, start=1):
        common = dict(key=key, part=part, parts=len(remote_ids), idempotency_key=f"{key}#{part}")
        common |= dict(post_id=post_id, account=account, platform=platform, content_hash="h", via="api")
        ledger.append(Record(**common, status=RecordStatus.STARTED, time=when.isoformat()))
        link = url if url and part == 1 else f"https://example.test/{remote_id}"
        ledger.append(
            Record(
                **common, status=RecordStatus.PUBLISHED, time=when.isoformat(), remote_id=remote_id, url=link
            )
        )
    return key


def api_project(root: Path, accounts: str, engagement: str = "") -> tuple[Project, Config]:
    """A project with these accounts (YAML under `accounts:`, indented two spaces) delivering by API."""
    config = f"brand:\n  name: Test Brand\n  timezone: UTC\n  platforms: [mastodon]\naccounts:\n{accounts}"
    config += f"engagement:\n{engagement}" if engagement else ""
    write_files(root, f"-- config.yml --\n{config}")
    project = Project(root)
    loaded, diagnostics = load_config(project)
    assert loaded is not None, diagnostics
    return project, loaded
