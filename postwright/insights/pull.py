"""`postwright metrics pull`: ask each API account's platform for the numbers of its due deliveries.

For every account with `deliver: api` whose platform declares a reader (Platform.metrics): the due
deliveries (insights.due) in batches of reader.batch, then once a UTC day the account's own numbers.
Readings go to state/metrics/ (insights.store). A read that is refused, rate limited, malformed or that
raises leaves its deliveries due and is written to state/metrics/failures.csv with the reason; it never
stops the other accounts. The ledger is only read.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postwright.account_settings import connection_for
from postwright.credentials import CredentialsError, redact
from postwright.insights import due, store
from postwright.insights.model import (
    AccountObservation,
    AccountReading,
    Delivery,
    Observation,
    PostReading,
    ReadFailure,
)
from postwright.ledger import Ledger, LedgerError
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import Connection, PermanentError, TransientError

if TYPE_CHECKING:
    import httpx

    from postwright.config import Config


class PullError(Exception):
    """The run cannot start (the ledger or a metrics file is damaged, another pull is running)."""


@dataclass(frozen=True, slots=True)
class AccountPull:
    """What one account's run did."""

    account: str
    platform: str
    due: tuple[Delivery, ...]
    read: int = 0  # deliveries whose numbers came back
    account_read: bool = False
    failures: tuple[store.StoredFailure, ...] = ()


@dataclass(frozen=True, slots=True)
class PullReport:
    accounts: tuple[AccountPull, ...]
    stored: int = 0  # rows written (an unchanged reading moves its row: counted too)
    compacted: int = 0
    dry_run: bool = False
    without_reader: tuple[str, ...] = field(default=())  # API accounts whose platform gives no numbers

    @property
    def failed(self) -> bool:
        return any(pulled.failures for pulled in self.accounts)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What is due at `now`, by account, and the failures standing from earlier runs."""

    waiting: Mapping[str, Sequence[Delivery]]  # account -> its due deliveries, oldest first
    accounts_due: frozenset[str]
    failures: Mapping[str, store.StoredFailure]


def pull(
    root: Path,
    config: Config,
    now: datetime,
    *,
    dry_run: bool = False,
    environ: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> PullReport:
    """Read what is due at `now` and store it; with `dry_run`, only say what is due."""
    readers = {name: account.platform for name, account in config.accounts.items() if _reads(account)}
    without = tuple(
        name
        for name, account in config.accounts.items()
        if account.deliver == "api" and PLATFORMS[account.platform].metrics is None
    )
    if not readers:  # outbox accounts (and platforms without a reader): nothing to ask, nothing written
        return PullReport((), dry_run=dry_run, without_reader=without)
    with _locked(root, dry_run):
        plan = _plan(root, readers, now)
        if dry_run:
            planned = tuple(
                AccountPull(name, platform, tuple(plan.waiting[name]), account_read=name in plan.accounts_due)
                for name, platform in readers.items()
            )
            return PullReport(planned, dry_run=True, without_reader=without)
        found_environ = os.environ if environ is None else environ
        observations: list[Observation] = []
        account_rows: list[AccountObservation] = []
        pulled = []
        for name, platform in readers.items():
            if not plan.waiting[name] and name not in plan.accounts_due:  # nothing to ask: no client made
                pulled.append(AccountPull(name, platform, ()))
                continue
            connection = connection_for(
                config,
                name,
                found_environ,
                clock=lambda: now,  # a reader judging age sees the run's time (--at), not the wall clock
                transport=transport,
            )
            result, readings, account_reading = _pull_account(
                name, platform, connection, plan.waiting[name], name in plan.accounts_due, now
            )
            pulled.append(result)
            observations += readings
            if account_reading is not None:
                metrics, audience = dict(account_reading.metrics), _audience(account_reading)
                account_rows.append(AccountObservation(name, platform, now, metrics, audience))
        stored = store.store_observations(root, observations) + store.store_accounts(root, account_rows)
        store.write_failures(root, _failures_after(plan.failures, pulled, observations, account_rows))
        compacted = store.compact(root, now) if stored else 0
    return PullReport(tuple(pulled), stored, compacted, without_reader=without)


def _plan(root: Path, readers: Mapping[str, str], now: datetime) -> _Plan:
    """The ledger and state/metrics/ read, and what is due found; a damaged file is a PullError."""
    try:
        jobs = Ledger(root / "state").read()
        read_at = store.last_observed(root, since=now - due.OLDEST)
        failures = store.read_failures(root)
        accounts_read = list(store.read_accounts(root, since=_start_of_day(now)))
    except (store.StoreError, LedgerError) as error:
        raise PullError(str(error)) from None
    gone = [key for key, failure in failures.items() if failure.gone]
    waiting: dict[str, list[Delivery]] = {name: [] for name in readers}
    for delivery in due.due(due.deliveries(jobs, readers, since=now - due.OLDEST), read_at, now, gone):
        waiting[delivery.account].append(delivery)
    return _Plan(waiting, frozenset(due.accounts_due(readers, accounts_read, now)), failures)


def _reads(account: Any) -> bool:
    return account.deliver == "api" and PLATFORMS[account.platform].metrics is not None


def _audience(reading: AccountReading) -> dict[str, dict[str, int]]:
    return {dimension: dict(buckets) for dimension, buckets in reading.audience.items()}


def _pull_account(
    name: str,
    platform: str,
    connection: Connection,
    waiting: Sequence[Delivery],
    account_due: bool,
    now: datetime,
) -> tuple[AccountPull, list[Observation], AccountReading | None]:
    """One account: its reader built, each batch asked, then its own numbers; every failure caught here
    becomes a recorded reason, so the next account is read whatever this one did."""
    failed: list[store.StoredFailure] = []
    readings: list[Observation] = []
    account_reading = None

    def fail(keys: Sequence[str], reason: str, gone: bool = False) -> None:
        failed.extend(store.StoredFailure(key, platform, now, redact(reason), gone) for key in keys)

    try:
        reader = PLATFORMS[platform].metrics(connection)
    except Exception as error:  # credentials missing, a setting wrong, or a bug: say which, go on
        fail([delivery.key for delivery in waiting] + ([name] * account_due), _why(error))
        return AccountPull(name, platform, tuple(waiting), failures=tuple(failed)), [], None
    size = max(1, int(getattr(reader, "batch", 1)))
    for start in range(0, len(waiting), size):
        batch = waiting[start : start + size]
        try:
            answers = list(reader.posts(batch))
        except Exception as error:
            fail([delivery.key for delivery in batch], _why(error))
            continue
        readings += _answered(batch, answers, now, fail)
    if account_due:
        try:
            account_reading = reader.account()
        except Exception as error:
            fail([name], _why(error))
    result = AccountPull(
        name,
        platform,
        tuple(waiting),
        read=len({reading.key for reading in readings}),
        account_read=account_reading is not None,
        failures=tuple(failed),
    )
    return result, readings, account_reading


def _answered(
    batch: Sequence[Delivery],
    answers: Sequence[PostReading | ReadFailure],
    now: datetime,
    fail: Callable[..., None],
) -> list[Observation]:
    """The batch's readings as rows; a delivery the reader said nothing about, or gave a malformed
    number for, is a failure (it stays due)."""
    by_key = {delivery.key: delivery for delivery in batch}
    rows: list[Observation] = []
    answered: set[str] = set()
    for answer in answers:
        delivery = by_key.get(answer.key)
        if delivery is None or answer.key in answered:
            continue
        answered.add(answer.key)
        if isinstance(answer, ReadFailure):
            fail([answer.key], answer.reason, answer.gone)
            continue
        metrics = dict(answer.metrics)
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in metrics.values()):
            fail([answer.key], "malformed answer: a metric is not a whole number")
            continue
        rows.append(
            Observation(
                delivery.key,
                delivery.post_id,
                delivery.lang,
                delivery.account,
                delivery.platform,
                delivery.published,
                now,
                metrics,
            )
        )
    fail([key for key in by_key if key not in answered], "no answer for this post in the platform's reply")
    return rows


def _why(error: Exception) -> str:
    """A reason a person acts on, the platform's own words where it gave some."""
    if isinstance(error, TransientError):
        later = f" (retry after {error.retry_after:.0f} s)" if error.retry_after else ""
        return f"temporarily refused: {error}{later}; read again on the next run"
    if isinstance(error, PermanentError):
        return f"refused: {error}"
    if isinstance(error, CredentialsError):
        return f"credentials: {error}"
    return f"unexpected error in the reader: {type(error).__name__}: {error}"


def _failures_after(
    before: Mapping[str, store.StoredFailure],
    pulled: Sequence[AccountPull],
    observations: Sequence[Observation],
    accounts: Sequence[AccountObservation],
) -> dict[str, store.StoredFailure]:
    """Failures still standing: read successfully now clears one; a new failure replaces the old."""
    kept = dict(before)
    for key in {row.key for row in observations} | {row.account for row in accounts}:
        kept.pop(key, None)
    for result in pulled:
        for failure in result.failures:
            earlier = kept.get(failure.key)
            kept[failure.key] = replace(failure, gone=failure.gone or bool(earlier and earlier.gone))
    return kept


@contextmanager
def _locked(root: Path, dry_run: bool) -> Iterator[None]:
    """One pull at a time writes state/metrics/ (a dry run writes nothing and needs no lock)."""
    if dry_run:
        yield
        return
    folder = store.metrics_folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder / "pull.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PullError(f"{folder}: another `metrics pull` is running; try again when it ends") from None
        yield
    finally:
        os.close(descriptor)


def _start_of_day(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
