"""Stage 7: send due jobs through each account's publisher, once and only once.

For each thread part: a `started` record, the request (with retries for transient failures), then a
`published` or `failed` record. A part left `started` by a crash is settled first: re-sent under the
same idempotency key where the publisher makes that safe, else looked up with `find_sent`; when
neither can tell, the job is reported as unconfirmed and nothing is sent.

`publishers` gives each account its publisher: the outbox, or its platform's (whose module, and the HTTP
client, are imported only then). What a publisher must do is platforms/contract.py's `Publisher`.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from postwright.account_settings import connection_for, connection_settings
from postwright.credentials import CredentialsError, Secrets, redact
from postwright.hosting import HOST, HostError, fetches_by_url, object_key
from postwright.ledger import Ledger, LedgerWriteError, Record, RecordStatus, Via, outbox_receipt
from postwright.model import Variant
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import (
    CannotTell,
    PermanentError,
    Publisher,
    Receipt,
    TransientError,
    Upload,
)
from postwright.platforms.outbox import OutboxPublisher

if TYPE_CHECKING:
    from postwright.config import Config
    from postwright.hosting.s3 import S3Host
    from postwright.media import Rendition
    from postwright.project import Project


class _Unknown(Exception):
    """A send or lookup ended in an unexpected error: whether the part went out is unknown."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 1.0
    max_total: float = 60.0  # seconds of waiting per part, all retries together

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Retry-After when given, else exponential backoff with ±25 % jitter."""
        if retry_after is not None:
            return retry_after
        return self.base_delay * 2 ** (attempt - 1) * rng.uniform(0.75, 1.25)


@dataclass(frozen=True, slots=True)
class Job:
    variant: Variant

    @property
    def key(self) -> str:
        return self.variant.key

    @property
    def idempotency_key(self) -> str:
        """Stable for the job whatever its text: an edited post must not look like a new one."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:32]


class SendStatus(StrEnum):
    """How a job ended in a run (or a retract): what `publish` and `retract` print and count."""

    PUBLISHED = "published"  # every part not yet out was sent in this run
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # maybe sent: neither the platform nor the ledger can tell
    ALREADY = "already"  # every part was out before this run
    RETRACTED = "retracted"
    SKIPPED = "skipped"  # not attempted: the run stopped sending (the ledger could not be written)


@dataclass(frozen=True, slots=True)
class Outcome:
    key: str
    account: str
    platform: str
    status: SendStatus
    url: str | None = None
    message: str = ""
    parts_sent: int = 0


@dataclass
class Runner:
    """Sends jobs; the clock, the sleep and the randomness are injected so tests control them."""

    ledger: Ledger
    publisher_for: Callable[[str], Publisher]  # account name -> publisher
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    stopped: str | None = field(default=None, init=False)  # why the last run stopped sending early

    def run(self, jobs: Iterable[Job]) -> list[Outcome]:
        """Every job under the run lock, each account independent of the others.

        Two jobs with one key (two files with one post id) are both refused: one ledger entry cannot
        record two posts. A record that cannot be written (a full disk) stops the run: every later
        record would fail too, and a request is never made without its `started` record. `stopped`
        then says why, and the jobs not reached are reported as skipped.
        """
        self.stopped = None
        pending = list(jobs)
        keys = Counter(job.key for job in pending)
        outcomes: list[Outcome] = []
        with self.ledger.locked():
            states = self.ledger.read()
            for index, job in enumerate(pending):
                if keys[job.key] > 1:
                    twice = "another job has the same key: neither is sent"
                    outcomes.append(self._outcome(job, SendStatus.FAILED, twice, 0, None))
                    continue
                try:
                    outcomes.append(self._job(job, states.get(job.key)))
                except LedgerWriteError as error:
                    self.stopped = str(error)
                    outcomes.append(self._outcome(job, SendStatus.FAILED, _unwritten(error), 0, None))
                    skipped = "not attempted: the ledger cannot be written"
                    later = pending[index + 1 :]
                    outcomes += [
                        self._outcome(other, SendStatus.SKIPPED, skipped, 0, None) for other in later
                    ]
                    break
        return outcomes

    def retract(self, keys: Iterable[str]) -> list[Outcome]:
        """Delete every published part of these jobs (last part first) and record it; idempotent."""
        with self.ledger.locked():
            states = self.ledger.read()
            return [self._retract(states[key]) for key in keys if key in states]

    def _retract(self, state) -> Outcome:
        """Every part that is, or may be, out: published ones by their remote id; a `started` or
        retryable `failed` part is looked up first (idempotent publishers delete by its key). Every part
        settled gets a `retracted` record, also one that never went out, so the job is final."""
        first = state.records[0]
        done = {record.part for record in state.records if record.status == RecordStatus.RETRACTED}
        lasts = [(part, state.last(part)) for part in range(state.parts, 0, -1) if part not in done]
        open_parts = [(part, last) for part, last in lasts if last is not None]
        rehearsed = {id(record) for record in state.rehearsals()}
        # a publisher only for what may be on a platform: a rehearsal or a refused try needs no credentials
        needed = any(id(last) not in rehearsed and not _posted_nothing(last) for _, last in open_parts)
        publisher: Publisher | None = None
        try:
            publisher = self.publisher_for(first.account)
        except KeyError:
            if needed:
                message = f"account {first.account} is no longer in config.yml; delete it by hand"
                return Outcome(state.key, first.account, first.platform, SendStatus.FAILED, None, message)
        except Exception as error:  # credentials or settings unusable: nothing can be deleted now
            if needed:
                message = redact(f"{error} (nothing deleted)")
                return Outcome(state.key, first.account, first.platform, SendStatus.FAILED, None, message)
        outbox = publisher is not None and _rehearses(publisher)
        real = [part for part, last in open_parts if not _posted_nothing(last) and _through_platform(last)]
        if outbox and real:  # the outbox cannot delete a platform's post: nothing is touched or recorded
            parts = ", ".join(map(str, sorted(real)))
            message = (
                f"part {parts}: sent through the platform's API; set `deliver: api` for account "
                f"{first.account} to delete it"
            )
            return Outcome(state.key, first.account, first.platform, SendStatus.FAILED, None, message)
        removed, problems, status = 0, [], SendStatus.RETRACTED
        for part, last in open_parts:  # a part that cannot be settled does not stop the others
            try:
                if _posted_nothing(last):
                    remote_id = None
                elif publisher is None or (id(last) in rehearsed and not outbox):
                    # only rehearsed in the outbox of an account that now posts through its API (or whose
                    # publisher cannot be made): that API has nothing to delete, recorded all the same
                    remote_id = last.remote_id
                else:
                    remote_id = self._remote_id(publisher, last)
                    if remote_id is not None:  # None: never went out, recorded so it is never sent
                        publisher.delete(remote_id)
            except Exception as error:
                unknown = isinstance(error, CannotTell) and status != SendStatus.FAILED
                status = SendStatus.UNCONFIRMED if unknown else SendStatus.FAILED
                problems.append(redact(f"part {part}: {error}"))
                continue
            self.ledger.append(
                replace(last, status=RecordStatus.RETRACTED, remote_id=remote_id, time=self._now())
            )
            removed += 1
        message = "; ".join(problems)
        return Outcome(state.key, first.account, first.platform, status, None, message, removed)

    @staticmethod
    def _remote_id(publisher: Publisher, last: Record) -> str | None:
        if last.status == RecordStatus.PUBLISHED:
            return last.remote_id or ""
        if publisher.idempotent:  # its remote id is the key (the outbox), deleting a missing one is fine
            return last.idempotency_key
        found = publisher.find_sent(None, last.part, last.idempotency_key)  # type: ignore[arg-type]
        return found.remote_id if found else None

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    def _job(self, job: Job, state) -> Outcome:
        variant = job.variant
        if state is not None and state.retracted:  # a retract between planning and this lock
            return self._outcome(job, SendStatus.RETRACTED, "retracted: not sent again", 0, None)
        try:
            publisher = self.publisher_for(variant.account)
        except Exception as error:  # credentials or settings unusable: nothing sent, tried again next run
            return self._outcome(job, SendStatus.FAILED, f"{error} (nothing sent)", 0, None)
        if state is not None and not _rehearses(publisher):  # a rehearsal in the outbox posted nothing
            state = state.without_rehearsals()
        published = state is not None and any(
            record.status == RecordStatus.PUBLISHED for record in state.records
        )
        if published and state.parts != len(variant.parts):
            return self._outcome(
                job,
                SendStatus.FAILED,
                "edited after part of its thread was published; not sent (see plan)",
                0,
                None,
            )
        total = len(variant.parts)
        reply_to: Receipt | None = None
        sent = 0
        first_url: str | None = None
        for part in range(1, total + 1):
            key = f"{job.idempotency_key}-{part}"
            last = state.last(part) if state else None
            if last is not None and last.status == RecordStatus.PUBLISHED:
                reply_to = Receipt(last.remote_id or "", last.url or "")
                first_url = first_url or last.url
                continue
            unsettled = (
                last is not None
                and last.status != RecordStatus.PUBLISHED
                and not last.permanent
                and not last.refused
            )
            if unsettled and not publisher.idempotent and last.content_hash != variant.content_hash:
                message = (
                    f"part {part}: edited since it was started and maybe sent; its new text cannot tell "
                    "(check the account, then see docs/publishing.md, unconfirmed)"
                )
                return self._outcome(job, SendStatus.UNCONFIRMED, message, sent, first_url)
            if unsettled and not publisher.idempotent:  # a crash or a timeout: maybe it went out
                try:
                    found = publisher.find_sent(variant, part, key)
                except Exception as error:  # CannotTell, or the lookup itself failed: do not guess
                    if (
                        last.status == RecordStatus.FAILED
                    ):  # a failure that may have posted: now maybe sent, so the
                        self._maybe_sent(last)  # grace clock of plan's `unconfirmed` starts here
                    return self._outcome(
                        job, SendStatus.UNCONFIRMED, f"part {part}: {error}", sent, first_url
                    )
                if found is not None:
                    self._record(job, part, RecordStatus.PUBLISHED, key, receipt=found)
                    reply_to, first_url = found, first_url or found.url
                    continue
            if part == 1 and variant.in_reply_to:  # a post written as an answer: what it answers, first
                try:
                    reply_to = reply_target(publisher, variant)
                except Exception as error:  # nothing was sent: recorded nowhere, asked again next run
                    message = f"in_reply_to {variant.in_reply_to}: {error} (nothing sent)"
                    return self._outcome(job, SendStatus.FAILED, message, 0, None)
            attempt = (last.attempt + 1) if last is not None else 1
            try:
                receipt = self._send(job, part, reply_to, key, attempt)
            except PermanentError as error:
                self._record(
                    job, part, RecordStatus.FAILED, key, attempt=attempt, error=str(error), permanent=True
                )
                return self._outcome(job, SendStatus.FAILED, f"part {part}: {error}", sent, first_url)
            except (TransientError, CredentialsError) as error:
                refused = isinstance(error, CredentialsError) or error.refused
                self._record(
                    job, part, RecordStatus.FAILED, key, attempt=attempt, error=str(error), refused=refused
                )
                return self._outcome(
                    job, SendStatus.FAILED, f"part {part}: {error} (will retry next run)", sent, first_url
                )
            except _Unknown as unknown:  # the part may or may not be out: leave it `started`
                return self._outcome(
                    job, SendStatus.UNCONFIRMED, f"part {part}: {unknown.__cause__!r}", sent, first_url
                )
            sent += 1
            reply_to, first_url = receipt, first_url or receipt.url
        status = SendStatus.PUBLISHED if sent else SendStatus.ALREADY
        return self._outcome(job, status, "", sent, first_url)

    def _maybe_sent(self, failed: Record) -> None:
        """A `started` record for a part whose failure (a timeout, a 5xx) may have posted it and that the
        platform cannot look up: such a part is asked about for one grace period, then left to a person,
        instead of failing every run for good."""
        note = {**failed.extra, "maybe_sent": "the send failed in a way that may have posted it"}
        self.ledger.append(
            replace(failed, status=RecordStatus.STARTED, time=self._now(), error=None, extra=note)
        )

    def _send(self, job: Job, part: int, reply_to: Receipt | None, key: str, attempt: int) -> Receipt:
        publisher = self.publisher_for(job.variant.account)
        waited = 0.0
        refused = False  # the last try was answered with a no: it certainly did not post
        for tries in range(1, self.policy.attempts + 1):
            if tries > 1 and not publisher.idempotent and not refused:  # it may have arrived after all
                try:
                    found = publisher.find_sent(job.variant, part, key)
                except Exception as error:
                    raise _Unknown from error
                if found is not None:
                    self._record(
                        job, part, RecordStatus.PUBLISHED, key, attempt=attempt + tries - 2, receipt=found
                    )
                    return found
            self._record(job, part, RecordStatus.STARTED, key, attempt=attempt + tries - 1)
            try:
                receipt = publisher.send(job.variant, part, reply_to, key)
            except TransientError as error:
                refused = error.refused
                pause = self.policy.delay(tries, error.retry_after, self.rng)
                if tries == self.policy.attempts or waited + pause > self.policy.max_total:
                    raise
                self.sleep(pause)
                waited += pause
                continue
            except (PermanentError, CredentialsError):
                raise
            except Exception as error:  # a bug or an unexpected answer (a ledger failure is not caught here)
                raise _Unknown from error
            self._record(job, part, RecordStatus.PUBLISHED, key, attempt=attempt + tries - 1, receipt=receipt)
            return receipt
        raise AssertionError("unreachable: the last attempt raises or returns")

    def _record(
        self,
        job: Job,
        part: int,
        status: RecordStatus,
        key: str,
        *,
        attempt: int = 1,
        receipt: Receipt | None = None,
        error: str | None = None,
        permanent: bool = False,
        refused: bool = False,
    ) -> None:
        variant = job.variant
        via: Via = "outbox" if _rehearses(self.publisher_for(variant.account)) else "api"
        self.ledger.append(
            Record(
                key=job.key,
                part=part,
                parts=len(variant.parts),
                status=status,
                idempotency_key=key,
                post_id=variant.post_id,
                account=variant.account,
                platform=variant.platform,
                content_hash=variant.content_hash,
                time=self._now(),
                attempt=attempt,
                remote_id=receipt.remote_id if receipt else None,
                url=receipt.url if receipt else None,
                error=redact(error) if error else None,
                permanent=permanent,
                refused=refused,
                via=via,
            )
        )

    @staticmethod
    def _outcome(job: Job, status: SendStatus, message: str, sent: int, url: str | None) -> Outcome:
        variant = job.variant
        return Outcome(job.key, variant.account, variant.platform, status, url, redact(message), sent)


def _rehearses(publisher: Publisher) -> bool:
    """The outbox: what it receives reaches no platform (no other publisher has `rehearsal`)."""
    return getattr(publisher, "rehearsal", False)


def _posted_nothing(record: Record) -> bool:
    """A failed try the platform refused, or that no retry can fix: nothing of it is out."""
    return record.status == RecordStatus.FAILED and (record.permanent or record.refused)


def _through_platform(record: Record) -> bool:
    """Made through a platform's API (or, from before records said how, with a platform's receipt)."""
    legacy = record.via is None and (record.remote_id or record.url) and not outbox_receipt(record)
    return record.via == "api" or bool(legacy)


def _unwritten(error: LedgerWriteError) -> str:
    """What a failed ledger write means for its job: a `started` record that failed stopped the request;
    a later one leaves the `started` record, which the next run settles."""
    record = error.record
    if record is None:
        return str(error)
    if record.status == RecordStatus.STARTED:
        return f"part {record.part}: not sent: {error}"
    if record.status == RecordStatus.PUBLISHED:
        return f"part {record.part}: sent, but {error}; the next run settles it"
    return f"part {record.part}: {record.error or 'not sent'}, and {error}; the next run settles it"


# -- each account's publisher ---------------------------------------------------------------------------


def publishers(
    project: Project,
    config: Config,
    renditions: Mapping[tuple[str, str], Rendition | None],
    media_cache: Path,
) -> Callable[[str], Publisher]:
    """Each account's publisher, made when first asked for: outbox accounts write to the outbox folder;
    API accounts get their platform's publisher, with the renditions in `media_cache` as uploads."""
    cache: dict[str, Publisher] = {}
    hosted = _HostedUrls(config)

    def images(variant: Variant) -> list[tuple[Path, str]]:
        """The files the outbox gets for this variant, with their alt text (a rehearsal uploads nothing)."""
        return [(upload.path, upload.alt) for upload in uploads(variant, host=False)]

    def uploads(variant: Variant, *, host: bool = True) -> list[Upload]:
        base = connection_settings(config, variant.account).get("media_base_url")
        by_host = host and config.media.host is not None and fetches_by_url(PLATFORMS[variant.platform])
        found = [(renditions.get((ref.src, variant.platform)), ref) for ref in variant.media]
        return [
            Upload(
                path=rendition.cache_file(media_cache),
                alt=ref.alt,
                width=rendition.width,
                height=rendition.height,
                mime=_mime(rendition),
                focus=(float(ref.focus[0]), float(ref.focus[1])) if ref.focus else None,
                public_url=public_url(variant, rendition, by_host, base),
            )
            for rendition, ref in found
            if rendition
        ]

    def public_url(variant: Variant, rendition: Rendition, by_host: bool, base: object) -> str | None:
        """On media.host (uploaded now), else under media_base_url (publish/ served), else none."""
        if by_host:
            return hosted.url(variant.post_id, rendition, media_cache)
        return f"{str(base).rstrip('/')}/{rendition.path}" if base else None

    def publisher_for(account: str) -> Publisher:
        if account not in cache:
            settings = config.accounts[account]
            platform = PLATFORMS[settings.platform]
            if settings.deliver == "outbox":
                cache[account] = OutboxPublisher(
                    project.root / config.outbox, account, root=project.root, images=images
                )
            elif platform.publisher is None:
                cache[account] = _NoApiPublisher(settings.platform)
            else:
                cache[account] = platform.publisher(connection_for(config, account, uploads=uploads))
        return cache[account]

    return publisher_for


def _mime(rendition: Rendition) -> str:
    return f"image/{rendition.format.lower()}"


class _HostedUrls:
    """The due renditions on `media.host`, uploaded when a publisher first asks for their URL (so an
    embargoed image goes up only with its post) and once a run. A failure raises before the platform is
    asked for anything, as a refusal: nothing was sent, and the job is due again on the next run."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.host: S3Host | None = None  # made on the first upload: its keys are read only then
        self.urls: dict[str, str] = {}

    def url(self, post_id: str, rendition: Rendition, media_cache: Path) -> str:
        settings = self.config.media.host
        assert settings is not None  # only asked for when media.host is set
        key = object_key(settings.prefix, post_id, rendition.sha256, rendition.path)
        if key not in self.urls:
            try:
                if self.host is None:
                    self.host = HOST(settings, Secrets("media.host", settings.credentials.model_dump()))
                self.urls[key], _ = self.host.publish(
                    rendition.cache_file(media_cache), key, _mime(rendition), rendition.sha256
                )
            except HostError as error:
                if error.settings:
                    raise CredentialsError(f"{error} (nothing sent)") from error
                raise TransientError(f"{error} (nothing sent)", refused=True) from error
        return self.urls[key]


def reply_target(publisher: Publisher, variant: Variant) -> Receipt:
    """What the variant's `in_reply_to:` link is on its platform (a status id, an at:// URI), through the
    publisher's `reply_target`; a publisher without one cannot reply (check reports it as PW216)."""
    resolve = getattr(publisher, "reply_target", None)
    if resolve is None:
        raise PermanentError(f"postwright cannot publish a reply on {variant.platform}")
    return resolve(str(variant.in_reply_to))


class _NoApiPublisher:
    """Stands for a platform whose API publisher is not written yet: every send fails permanently."""

    idempotent = True

    def __init__(self, platform: str) -> None:
        self.platform = platform

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        raise PermanentError(f"postwright cannot send to the {self.platform} API yet; use deliver: outbox")

    def find_sent(self, variant: Variant, part: int, key: str) -> Receipt | None:
        return None

    def delete(self, remote_id: str) -> None:
        raise PermanentError(f"postwright cannot delete from the {self.platform} API yet")
