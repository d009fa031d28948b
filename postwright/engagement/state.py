"""What a pull remembers between runs, per account, in state/engagement/<account>.json: ids and counts only.

People's words and third parties' handles never enter git (its history cannot be erased), so this file
holds a digest of the platform's id of each thing heard (some ids name their author: a Bluesky reply's
at:// URI holds the author's DID) with the UTC hour it was written, for the 28-day crisis baseline and to
tell new mentions from those still listed; when mentions were last read; and per delivery the counts
and when it was last read. The file is rewritten atomically and only when it changes; keys are sorted,
so two equal states are equal bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from postwright.files import replace_file

KEEP = timedelta(days=28)  # the crisis baseline: older ids are dropped
_HOUR = "%Y-%m-%dT%H"


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """One delivery's replies as last read: how many, how many the brand has not answered, and when."""

    replies: int = 0
    unanswered: int = 0
    read: datetime | None = None  # UTC; None: never read
    gone: bool = False  # the post was deleted on the platform: not asked again


@dataclass(frozen=True, slots=True)
class AccountState:
    account: str
    mentions_since: datetime | None = None  # UTC: when mentions were last read (None: never)
    seen: Mapping[str, datetime] = field(default_factory=dict)  # seen_key(remote id) -> UTC hour written
    deliveries: Mapping[str, DeliveryCounts] = field(default_factory=dict)

    def hours(self) -> dict[datetime, int]:
        """Replies and mentions per UTC hour: the crisis baseline."""
        return dict(Counter(self.seen.values()))

    def pruned(self, now: datetime) -> AccountState:
        keep = {key: hour for key, hour in self.seen.items() if hour >= now - KEEP}
        return replace(self, seen=keep)


def remembered_since(now: datetime) -> datetime:
    """The oldest time whose ids a pull at `now` still remembers (`pruned` keeps whole hours of KEEP):
    anything written before could be heard again as new, so no read reaches further back."""
    return now.replace(minute=0, second=0, microsecond=0) - KEEP + timedelta(hours=1)


def seen_key(remote_id: str) -> str:
    """What the state keeps of a platform's id: enough to know it again, nothing that names anyone.

    32 bits, on purpose: ids are guessable (a Mastodon or X id is a timestamp and a counter, and the
    file holds the hour), so a long digest could be matched back to its reply by trying every id of that
    hour; 32 bits leave dozens of that hour's ids on each digest. The price: now and then a new reply is
    taken as heard (about 1 in 4 million per id remembered), which changes a count, never the inbox."""
    return hashlib.sha256(remote_id.encode("utf-8")).hexdigest()[:8]


class StateError(Exception):
    """The state file cannot be read: a person must look (it is never overwritten blindly)."""


def path_for(folder: Path, account: str) -> Path:
    return folder / "engagement" / f"{account}.json"


def load(folder: Path, account: str) -> AccountState:
    """The account's state; an absent file is a first pull."""
    path = path_for(folder, account)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AccountState(account)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise StateError(
            f"{path}: cannot be read ({error}): fix or delete it (the next pull starts afresh)"
        ) from None
    try:
        return _parsed(account, document)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise StateError(f"{path}: not a state file ({error}): fix or delete it") from None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _parsed(account: str, document: dict[str, Any]) -> AccountState:
    seen = {
        str(key): datetime.strptime(hour, _HOUR).replace(tzinfo=UTC)
        for key, hour in document.get("seen", {}).items()
    }
    deliveries = {
        str(key): DeliveryCounts(
            int(counts.get("replies", 0)),
            int(counts.get("unanswered", 0)),
            _time(counts.get("read")),
            bool(counts.get("gone", False)),
        )
        for key, counts in document.get("deliveries", {}).items()
    }
    return AccountState(account, _time(document.get("mentions_since")), seen, deliveries)


def _document(state: AccountState) -> dict[str, Any]:
    def counts(item: DeliveryCounts) -> dict[str, Any]:
        out: dict[str, Any] = {"replies": item.replies, "unanswered": item.unanswered}
        out["read"] = item.read.isoformat() if item.read else None
        return {**out, "gone": True} if item.gone else out

    return {
        "mentions_since": state.mentions_since.isoformat() if state.mentions_since else None,
        "seen": {key: hour.strftime(_HOUR) for key, hour in state.seen.items()},
        "deliveries": {key: counts(item) for key, item in state.deliveries.items()},
    }


def encode(state: AccountState) -> bytes:
    return (json.dumps(_document(state), sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode()


def save(folder: Path, state: AccountState) -> bool:
    """Write the state atomically (temp file, fsync, rename) unless it holds these bytes; True if written."""
    path = path_for(folder, state.account)
    data = encode(state)
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    replace_file(path, data)
    return True
