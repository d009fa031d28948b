"""Stage 6: what is due, upcoming, published, missed… for every post and account at a given time.

Pure: posts, the config, the ledger's job states and `now` in; a status per (post, account) out.
Times are compared as aware datetimes, so a brand in Europe/Madrid and an account time in
America/New_York agree across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from postwright.config import Config
from postwright.diagnostics import Diagnostic, Severity
from postwright.ledger import JobState, RecordStatus
from postwright.model import Post


class PlanStatus(StrEnum):
    """A job's status at a given time: what `plan`, `publish`, the preview and calendar.ics show. In the
    order the preview lists them."""

    DUE = "due"
    UPCOMING = "upcoming"
    BLOCKED = "blocked"  # an error keeps it from being sent
    DRAFT = "draft"
    PUBLISHED = "published"
    MISSED = "missed"  # later than the grace period
    EXPIRED = "expired"
    FAILED = "failed"  # a permanent failure
    UNCONFIRMED = "unconfirmed"  # maybe sent: a person settles it
    PAUSED = "paused"
    RETRACTED = "retracted"


@dataclass(frozen=True, slots=True)
class PlanItem:
    key: str  # <post-id>.<lang>/<account>, the job's key in the ledger
    post_id: str
    lang: str
    account: str
    platform: str
    publish_at: datetime
    status: PlanStatus
    source: str
    url: str | None = None
    detail: str = ""
    problems: tuple[Diagnostic, ...] = ()  # the errors that block it (status "blocked")
    edited: bool = False  # published, then its text changed: reported, never re-sent
    sent_twice: bool = False  # published more than once: a person deletes the extra copy

    def as_dict(self) -> dict[str, object]:
        """What `plan --format json` prints of it."""
        return {
            "key": self.key,
            "post_id": self.post_id,
            "lang": self.lang,
            "account": self.account,
            "platform": self.platform,
            "publish_at": self.publish_at.isoformat(),
            "status": self.status,
            "url": self.url,
            "detail": self.detail,
            "source": self.source,
            "problems": [problem.as_dict() for problem in self.problems],
        }


SUMMARY_ORDER = (
    *(PlanStatus.DUE, PlanStatus.UPCOMING, PlanStatus.BLOCKED, PlanStatus.PUBLISHED, PlanStatus.MISSED),
    *(PlanStatus.FAILED, PlanStatus.UNCONFIRMED, PlanStatus.EXPIRED, PlanStatus.DRAFT, PlanStatus.PAUSED),
    PlanStatus.RETRACTED,
)
"""The order `plan` counts them in: what needs doing first (the preview lists them in PlanStatus's order)."""

BLOCKABLE = (PlanStatus.DUE, PlanStatus.UPCOMING, PlanStatus.PAUSED)
"""The statuses an error turns into `blocked`: the job would go out, but a post with an error never does."""


def job_key(post: Post, account: str) -> str:
    return f"{post.id}.{post.lang}/{account}"


def plan(
    posts: Iterable[Post],
    config: Config,
    states: Mapping[str, JobState],
    now: datetime,
    *,
    only: str | None = None,
    errors: Mapping[tuple[str, str], Sequence[Diagnostic]] | None = None,
) -> list[PlanItem]:
    """The status of every (post, account), sorted by time then key. `only` may send a missed post.

    `errors` (by job key and post file) are the problems that keep a job from going out: such a job is
    `blocked` where it would otherwise be due, upcoming or paused, so no view shows as scheduled what is
    never sent.
    """
    items = []
    for post in posts:
        for account in post.targets:
            key = job_key(post, account)
            at = post.publish_at_by_account.get(account, post.publish_at)
            state = states.get(key)
            status, detail, url = _status(post, at, state, config, now, forced=only == post.id)
            items.append(
                PlanItem(
                    key,
                    post.id,
                    post.lang,
                    account,
                    config.accounts[account].platform,
                    at,
                    status,
                    post.source,
                    url,
                    detail,
                    sent_twice=status == PlanStatus.PUBLISHED and bool(state.sent_twice),
                )
            )
    return blocked(sorted(items, key=lambda item: (item.publish_at, item.key)), errors or {})


def blocked(
    items: Iterable[PlanItem], errors: Mapping[tuple[str, str], Sequence[Diagnostic]]
) -> list[PlanItem]:
    """`items` (plan's) with each job that `errors` (by job key and post file) keep from going out
    `blocked`: pipeline.plan finds the errors of the jobs plan gave, then blocks them without working
    out every status again."""
    return [
        replace(item, status=PlanStatus.BLOCKED, detail=blocked_detail(problems), problems=tuple(problems))
        if item.status in BLOCKABLE and (problems := errors.get((item.key, item.source)))
        else item
        for item in items
    ]


def blocked_detail(problems: Sequence[Diagnostic]) -> str:
    """What blocks a job, in one line: the first problems' codes and messages, and how many more."""
    errors = [item for item in problems if item.severity >= Severity.ERROR] or list(problems)
    shown = "; ".join(f"{item.code} {item.message}" for item in errors[:2])
    more = f"; and {len(errors) - 2} more" if len(errors) > 2 else ""
    return f"not sent until fixed: {shown}{more}"


def _status(
    post: Post, at: datetime, state: JobState | None, config: Config, now: datetime, *, forced: bool
) -> tuple[PlanStatus, str, str | None]:
    if state is not None and state.retracted:
        return PlanStatus.RETRACTED, "deleted with postwright retract; never published again", None
    if state is not None and state.published:
        receipt = state.first_receipt
        return PlanStatus.PUBLISHED, _twice(state), receipt.url if receipt else None
    if post.draft:
        return PlanStatus.DRAFT, "", None
    if state is not None and state.records:
        last = state.records[-1]
        if last.status == RecordStatus.FAILED and last.permanent and not forced:
            return PlanStatus.FAILED, last.error or "", None
        unconfirmed = _unconfirmed(state, at, config, now)
        if unconfirmed and not forced:  # `--only` asks once more; a maybe-sent part is never re-sent blindly
            return PlanStatus.UNCONFIRMED, unconfirmed, None
        # begun (a crash, a transient failure, a half-sent thread): due until settled, whatever the
        # grace or expiry, so that it is finished or reported, never dropped as missed
        if not config.paused:
            return PlanStatus.DUE, "begun: to be settled", None
    if post.expires is not None and now >= post.expires:
        return PlanStatus.EXPIRED, f"expired {post.expires.isoformat()}", None
    if at > now:
        return PlanStatus.UPCOMING, "", None
    late = now - at
    if late > config.schedule.grace and not forced:
        return PlanStatus.MISSED, f"{_hours(late)} late; grace is {_hours(config.schedule.grace)}", None
    if config.paused:
        return PlanStatus.PAUSED, "publishing is paused in config.yml", None
    return PlanStatus.DUE, "", None


def _unconfirmed(state: JobState, at: datetime, config: Config, now: datetime) -> str:
    """Why a person must settle this job, or "" while runs still ask the platform about it.

    A part whose last record is `started` may have gone out. Every run asks about it for one grace
    period, counted from the later of the publish time and that record; after that nobody will learn
    more by asking again every 15 minutes, so the job waits for `postwright settle`.
    """
    lasts = (state.last(part) for part in range(1, state.parts + 1))
    maybe_sent = [record for record in lasts if record is not None and record.status == RecordStatus.STARTED]
    if not maybe_sent:
        return ""
    since = max([at, *(_aware(record.time) for record in maybe_sent)])
    if now - since <= config.schedule.grace:
        return ""
    parts = ", ".join(str(record.part) for record in maybe_sent)
    which = f"part {parts} of {state.parts} " if state.parts > 1 else ""
    return f"{which}maybe sent: check the account, then postwright settle {state.key} --sent URL | --not-sent"


def _aware(text: str) -> datetime:
    """A record's time; one edited by hand without an offset is read as UTC."""
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _twice(state: JobState) -> str:
    """Said wherever the job is shown: a person must delete the extra copy on the platform."""
    return "; ".join(
        f"sent twice: part {part} is out as {' and '.join(ids)}; delete the extra copy on the platform"
        for part, ids in sorted(state.sent_twice.items())
    )


def _hours(delta) -> str:
    """3h05m, or whole days past two days: 32 days reads better than 781h37m."""
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 48 * 60:
        return f"{minutes // (24 * 60)} days"
    return f"{minutes // 60}h{minutes % 60:02d}m"
