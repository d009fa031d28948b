"""The ledger: what has been sent, one JSON record per line in state/ledger.jsonl, append-only.

A `started` record is written (and fsynced) before each request and a `published` or `failed` record
after it, so a crash in between leaves evidence the next run resolves without sending twice. Records
are only ever appended, under an exclusive lock that also keeps two publish runs from overlapping.
A line that does not parse is an error naming its line number: it is never skipped, because a
skipped `started` record could turn into a duplicate post.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal

import orjson


class RecordStatus(StrEnum):
    """What a ledger record says of one part: about to be sent, sent, failed, or deleted by retract."""

    STARTED = "started"
    PUBLISHED = "published"
    FAILED = "failed"
    RETRACTED = "retracted"


Via = Literal["outbox", "api"]  # how a record's part was delivered: a rehearsal in the outbox, or for real


class LedgerError(Exception):
    """The ledger cannot be trusted as it is (a torn or corrupt line): a person must look."""


class LedgerWriteError(Exception):
    """A record could not be written (the disk is full, a file size limit, an I/O error): an operational
    problem, not a bug. The ledger is left as it was before the write, so it stays readable; `record` is
    what was not recorded."""

    def __init__(self, path: Path, record: Record | None, error: OSError) -> None:
        self.path = path
        self.record = record
        self.error = error
        what = f"{record.key} part {record.part} ({record.status}) was not recorded" if record else "locked"
        super().__init__(f"{path}: {why_not_written(error)}: {what}")


def why_not_written(error: OSError) -> str:
    """A full disk in words a person acts on; other write errors as the system says them."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full ({error.strerror})"
    if error.errno == errno.EFBIG:
        return f"the disk is full for this process: the file size limit was reached ({error.strerror})"
    return f"cannot write ({error.strerror or error})"


@dataclass(frozen=True, slots=True)
class Record:
    key: str  # <post-id>.<lang>/<account>: one job
    part: int  # 1-based thread part
    parts: int
    status: RecordStatus
    idempotency_key: str
    post_id: str
    account: str
    platform: str
    content_hash: str
    time: str  # ISO 8601, UTC
    attempt: int = 1
    remote_id: str | None = None
    url: str | None = None
    error: str | None = None
    permanent: bool = False  # a failure that retrying will not fix (4xx other than 429)
    refused: bool = False  # the platform said no (or was never reached): this attempt posted nothing
    extra: dict[str, str] = field(default_factory=dict)
    via: Via | None = None  # None: written before records said; see JobState.rehearsals


def outbox_receipt(record: Record) -> bool:
    """The receipt the outbox gives (its file, named by the idempotency key): no platform's post has it."""
    key = record.idempotency_key
    return record.remote_id == key and (record.url or "").endswith(f"/{key}.json")


@dataclass(frozen=True, slots=True)
class JobState:
    """What the ledger says about one job, part by part."""

    key: str
    records: tuple[Record, ...]

    def last(self, part: int) -> Record | None:
        found = [record for record in self.records if record.part == part]
        return found[-1] if found else None

    @property
    def parts(self) -> int:
        return max((record.parts for record in self.records), default=0)

    @property
    def published(self) -> bool:
        statuses = [getattr(self.last(part), "status", None) for part in range(1, self.parts + 1)]
        return bool(statuses) and all(status == RecordStatus.PUBLISHED for status in statuses)

    @property
    def retracted(self) -> bool:
        """Deleted from the platform by `postwright retract`: never published again."""
        return any(record.status == RecordStatus.RETRACTED for record in self.records)

    @property
    def sent_twice(self) -> dict[int, tuple[str, ...]]:
        """Parts recorded as published under more than one remote id: posted twice (say, by two runs
        that each held an old ledger), so one copy is to be deleted on the platform by a person."""
        ids: dict[int, dict[str, None]] = {}
        for record in self.records:
            if record.status == RecordStatus.PUBLISHED and record.remote_id:
                ids.setdefault(record.part, {})[record.remote_id] = None
        return {part: tuple(found) for part, found in ids.items() if len(found) > 1}

    @property
    def first_receipt(self) -> Record | None:
        first = self.last(1)
        return first if first and first.status == RecordStatus.PUBLISHED else None

    @property
    def content_hash(self) -> str | None:
        return self.records[-1].content_hash if self.records else None

    def rehearsals(self) -> tuple[Record, ...]:
        """The records made through the outbox. A record from before records said how (no `via`) is one
        when every receipt of its part is an outbox file; a part with no receipt at all (a crash) or a
        platform's receipt counts as real, so a real post is never taken for a rehearsal and sent again."""
        receipts: dict[int, list[bool]] = {}
        for record in self.records:
            if record.via is None and (record.remote_id is not None or record.url is not None):
                receipts.setdefault(record.part, []).append(outbox_receipt(record))
        rehearsed_parts = {part for part, outbox in receipts.items() if all(outbox)}
        return tuple(
            record
            for record in self.records
            if record.via == "outbox" or (record.via is None and record.part in rehearsed_parts)
        )

    def without_rehearsals(self) -> JobState:
        """The job as an account that now delivers through its API sees it: a rehearsal in the outbox
        posted nothing, so it does not count. A retracted job stays whole: retracted is final."""
        rehearsed = self.rehearsals()
        if self.retracted or not rehearsed:
            return self
        left_out = {id(record) for record in rehearsed}
        return JobState(self.key, tuple(record for record in self.records if id(record) not in left_out))


_STATUS_OF = {status.value: status for status in RecordStatus}


def _parsed(line: bytes) -> object:
    """One line's JSON: orjson, ~5× sooner (a year of records is read on every run); where it refuses
    a line (NaN, a lone surrogate, a huge number) the standard library decides, as it always did."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def _check(record: Record) -> None:
    """A hand-edited line must not quietly mean "not published": wrong types or values are errors."""
    numbers = (record.part, record.parts, record.attempt)
    if not all(type(number) is int and number >= 1 for number in numbers):  # JSON's whole numbers, no bool
        raise ValueError("part, parts and attempt must be whole numbers from 1")
    if record.part > record.parts:
        raise ValueError(f"part {record.part} of {record.parts}")
    if record.status not in _STATUS_OF:
        raise ValueError(f"status must be one of {', '.join(RecordStatus)}, not {record.status!r}")
    texts = (record.key, record.idempotency_key, record.post_id, record.account, record.platform, record.time)
    if not all(type(text) is str and text for text in texts):
        raise ValueError("key, idempotency_key, post_id, account, platform and time must be text")
    if type(record.permanent) is not bool or type(record.refused) is not bool:
        raise ValueError("permanent and refused must be true or false")
    if record.via not in (None, "outbox", "api"):
        raise ValueError(f"via must be outbox or api, not {record.via!r}")
    datetime.fromisoformat(record.time)


class Ledger:
    """state/ledger.jsonl with its lock file beside it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "ledger.jsonl"
        self.lock_path = folder / "ledger.lock"

    def read(self) -> dict[str, JobState]:
        """Every job's records, by key; raises LedgerError on the first line that does not parse."""
        by_key: dict[str, list[Record]] = {}
        for record in self._records():
            by_key.setdefault(record.key, []).append(record)
        return {key: JobState(key, tuple(records)) for key, records in by_key.items()}

    def _records(self) -> Iterator[Record]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        elif lines:
            raise LedgerError(
                f"{self.path}:{len(lines)}: the last record is incomplete (a write was cut off); "
                "check whether that send happened, then complete or remove the line"
            )
        for number, line in enumerate(lines, 1):
            try:
                fields = _parsed(line)
                if isinstance(fields, dict) and isinstance(status := fields.get("status"), str):
                    fields["status"] = _STATUS_OF.get(status, status)  # the enum, as records are made
                record = Record(**fields)
                _check(record)
            except (ValueError, TypeError) as error:
                raise LedgerError(f"{self.path}:{number}: not a valid ledger record ({error})") from None
            yield record

    def append(self, record: Record) -> None:
        """Append one record durably: the line and its newline in one write, then fsync.

        A write that fails part-way (a full disk writes part of the line) is cut back to the size
        before it, so no torn line is left, and raises LedgerWriteError.
        """
        line = (json.dumps(asdict(record), sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as error:
            raise LedgerWriteError(self.path, record, error) from error
        try:
            size = os.fstat(descriptor).st_size
            try:
                _write_all(descriptor, line)
                os.fsync(descriptor)
                if created:  # the new file's name must survive a power loss too
                    _fsync_folder(self.path.parent)
            except OSError as error:
                _cut_back(descriptor, size)
                raise LedgerWriteError(self.path, record, error) from error
        finally:
            os.close(descriptor)

    @contextmanager
    def locked(self) -> Iterator[Ledger]:
        """Hold the run lock: a second publish run waits here until the first has finished."""
        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.lock_path.open("a")
        except OSError as error:
            raise LedgerWriteError(self.lock_path, None, error) from error
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield self
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _write_all(descriptor: int, data: bytes) -> None:
    """Write every byte: a full disk first writes part of the line, then fails with its reason."""
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, "nothing could be written")
        view = view[written:]


def _cut_back(descriptor: int, size: int) -> None:
    """Remove what a failed write left after `size` bytes: a torn line would stop every later run."""
    try:
        os.ftruncate(descriptor, size)
        os.fsync(descriptor)
    except OSError:
        pass  # the caller reports the write's own error; a torn line, if any, is reported on reading


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
