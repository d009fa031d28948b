"""`postwright media cleanup`: remove hosted images of posts published long ago.

An object's key names its post (hosting/__init__.py), so the decision needs only the listing, the
ledger and the plan, all of which a fresh CI checkout has. An object is removed only when every job of
its post is over (published, retracted, missed or expired: nothing of it can be sent again), at least
one went out, and the last went out more than `older_than` ago. A post still due, upcoming, blocked,
failed, unconfirmed, paused or a draft keeps its images; so does an object whose post the ledger never
saw, and any key postwright did not make.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from postwright import pipeline
from postwright.credentials import Secrets
from postwright.hosting import HOST, Hosted
from postwright.ledger import JobState, Ledger, RecordStatus
from postwright.status import PlanItem, PlanStatus

if TYPE_CHECKING:
    from postwright.project import Project

OVER = frozenset({PlanStatus.PUBLISHED, PlanStatus.RETRACTED, PlanStatus.MISSED, PlanStatus.EXPIRED})
_WENT_OUT = (RecordStatus.PUBLISHED, RecordStatus.RETRACTED)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What cleanup does with one object, and why (printed for each)."""

    key: str
    size: int
    remove: bool
    reason: str


def verdicts(
    objects: Iterable[Hosted],
    items: Iterable[PlanItem],
    states: Mapping[str, JobState],
    cutoff: datetime,
) -> list[Verdict]:
    """Each object's verdict, in key order (pure: the tests give it any listing and ledger)."""
    waiting = {item.post_id: item.status for item in items if item.status not in OVER}
    last_out = _last_out(states)
    found = []
    for hosted in sorted(objects, key=lambda hosted: hosted.key):
        post = hosted.post_id
        if post is None:
            verdict = Verdict(hosted.key, hosted.size, False, "kept: not a key postwright made")
        elif post in waiting:
            verdict = Verdict(hosted.key, hosted.size, False, f"kept: post {post} is {waiting[post]}")
        elif post not in last_out:
            verdict = Verdict(hosted.key, hosted.size, False, f"kept: post {post} was never published")
        elif last_out[post] >= cutoff:
            when = f"{last_out[post]:%Y-%m-%d %H:%M} UTC"
            verdict = Verdict(hosted.key, hosted.size, False, f"kept: post {post} went out {when}")
        else:
            when = f"{last_out[post]:%Y-%m-%d %H:%M} UTC"
            verdict = Verdict(hosted.key, hosted.size, True, f"post {post} went out {when}")
        found.append(verdict)
    return found


def _last_out(states: Mapping[str, JobState]) -> dict[str, datetime]:
    """Each post's latest publish (or retract) time among its jobs in the ledger."""
    latest: dict[str, datetime] = {}
    for state in states.values():
        for record in state.records:
            if record.status in _WENT_OUT:
                when = datetime.fromisoformat(record.time)
                latest[record.post_id] = max(when, latest.get(record.post_id, when))
    return latest


@dataclass(frozen=True, slots=True)
class Cleaned:
    verdicts: tuple[Verdict, ...]
    applied: bool

    @property
    def removed(self) -> tuple[Verdict, ...]:
        return tuple(verdict for verdict in self.verdicts if verdict.remove)


class CleanupError(Exception):
    """Cleanup cannot decide safely (a broken ledger, an unusable config)."""


class NothingHosted(CleanupError):
    """config.yml sets no media.host: there is nothing to clean (a setting missing, not bad content)."""


def cleanup(project: Project, now: datetime, older_than: timedelta, *, apply: bool) -> Cleaned:
    """plan (every job's status) and ledger → list the store → decide → with `apply`, delete."""
    planned = pipeline.plan(project, now)
    config = planned.config
    if config is None:
        raise CleanupError("config.yml has errors: run `postwright check` first")
    if planned.ledger_error:
        raise CleanupError(planned.ledger_error)
    host = config.media.host
    if host is None:
        raise NothingHosted("media.host is not set in config.yml: nothing is hosted (docs/publishing.md)")
    states = Ledger(project.state_dir).read()
    store = HOST(host, Secrets("media.host", host.credentials.model_dump()))
    found = tuple(verdicts(store.listing(), planned.items, states, now - older_than))
    if apply:
        store.delete(verdict.key for verdict in found if verdict.remove)
    return Cleaned(found, apply)
