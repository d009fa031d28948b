"""A publisher and the platform state it writes to, for the publish runner's tests: crashes, retries and
lookups without a network."""

from __future__ import annotations

import json
from pathlib import Path

from postwright.platforms.contract import Receipt


class Crash(BaseException):
    """Stands for the process dying (like KeyboardInterrupt, nothing catches it): nothing after it runs."""


class FakeServer:
    """A platform's server state, shared by its publisher objects: what it has received, by key."""

    def __init__(self, store: Path) -> None:
        self.store = store

    def received(self) -> list[dict]:
        if not self.store.exists():
            return []
        return [json.loads(line) for line in self.store.read_text().splitlines()]


class FakePublisher:
    """A non-idempotent platform (like X): a repeated send makes a second post; find_sent looks."""

    idempotent = False

    def __init__(self, platform: FakeServer, *, fail: callable = lambda *_: None) -> None:
        self.platform = platform
        self.fail = fail  # called at "before" and "after" the platform stores the post

    def send(self, variant, part, reply_to, key):
        self.fail("before", part)
        with self.platform.store.open("a") as handle:
            handle.write(
                json.dumps({"key": key, "part": part, "reply_to": reply_to and reply_to.remote_id}) + "\n"
            )
        self.fail("after", part)
        return Receipt(remote_id=key, url=f"https://fake.example/{key}")

    def find_sent(self, variant, part, key):
        for item in self.platform.received():
            if item["key"] == key:
                return Receipt(remote_id=key, url=f"https://fake.example/{key}")
        return None
