import math
import multiprocessing
import time

import pytest

from postwright.ledger import Ledger, LedgerError, Record


def record(status="started", part=1, key="p.en/masto"):
    return Record(
        key=key,
        part=part,
        parts=2,
        status=status,
        idempotency_key=f"k-{part}",
        post_id="p",
        account="masto",
        platform="mastodon",
        content_hash="sha256:x",
        time="2026-12-01T09:00:00+00:00",
    )


def test_records_round_trip_and_job_state(tmp_path):
    ledger = Ledger(tmp_path)
    for item in (record(), record("published"), record(part=2), record("published", part=2)):
        ledger.append(item)
    (state,) = ledger.read().values()
    assert state.published and state.parts == 2 and state.last(2).status == "published"


def test_torn_last_line_is_an_error_with_its_line_number(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append(record())
    with ledger.path.open("ab") as handle:
        handle.write(b'{"key": "p.en/masto", "part": 1, "sta')
    with pytest.raises(LedgerError, match=r"ledger.jsonl:2: the last record is incomplete"):
        ledger.read()


def test_corrupt_line_is_an_error_never_skipped(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append(record())
    with ledger.path.open("a") as handle:
        handle.write("not json\n")
    ledger.append(record("published"))
    with pytest.raises(LedgerError, match=r"ledger.jsonl:2: not a valid ledger record"):
        ledger.read()


def _hold(folder, seconds, out):
    with Ledger(folder).locked():
        out.put(("in", time.monotonic()))
        time.sleep(seconds)
        out.put(("out", time.monotonic()))


def test_the_lock_serialises_two_processes(tmp_path):
    queue = multiprocessing.get_context("fork").Queue()
    workers = [
        multiprocessing.get_context("fork").Process(target=_hold, args=(tmp_path, 0.3, queue))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    events = sorted(queue.get(timeout=5) for _ in range(4))
    times = sorted((moment, kind) for kind, moment in events)
    assert [kind for _, kind in times] == ["in", "out", "in", "out"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *(("part", "1"), ("status", "Published"), ("parts", 0), ("time", "yesterday")),
        *(("part", True), ("attempt", 1.0), ("parts", float("nan")), ("permanent", 0), ("post_id", ["p"])),
    ],
)
def test_a_hand_edited_record_with_wrong_values_is_an_error(tmp_path, field, value):
    import json

    ledger = Ledger(tmp_path)
    ledger.append(record())
    raw = json.loads(ledger.path.read_text())
    raw[field] = value
    ledger.path.write_text(json.dumps(raw) + "\n")
    with pytest.raises(LedgerError, match=r"ledger.jsonl:1: not a valid ledger record"):
        ledger.read()


def test_a_line_only_the_standard_json_reader_accepts_reads_as_it_always_did(tmp_path):
    """orjson reads the ledger; a line it refuses (a lone surrogate escape, NaN) goes to json as before."""
    ledger = Ledger(tmp_path)
    ledger.append(record("failed"))
    text = ledger.path.read_text()
    ledger.path.write_text(text.replace('"error": null', '"error": "cut \\ud800 here"'), encoding="utf-8")
    (state,) = ledger.read().values()
    assert state.records[0].error == "cut \ud800 here"
    ledger.path.write_text(text.replace('"error": null', '"error": NaN'), encoding="utf-8")
    (state,) = ledger.read().values()
    assert math.isnan(state.records[0].error)  # json's NaN, kept as before (the error is only shown)


class _DiskFullOs:
    """The os module as the ledger sees it, with a write that a full disk cuts short or refuses."""

    def __init__(self, keep: int | None) -> None:
        import os

        self._os = os
        self.keep = keep  # bytes written before the disk is full; None: ENOSPC at once

    def __getattr__(self, name):
        return getattr(self._os, name)

    def write(self, descriptor, data):
        import errno

        if not self.keep:  # full: the first write keeps `keep` bytes, the next one fails
            raise OSError(errno.ENOSPC, "No space left on device")
        kept, self.keep = self.keep, 0
        return self._os.write(descriptor, data[:kept])


@pytest.mark.parametrize("keep", [None, 1, 40])
def test_a_short_or_refused_write_is_cut_back_and_reported(tmp_path, monkeypatch, keep):
    from postwright import ledger as ledger_module
    from postwright.ledger import LedgerWriteError

    ledger = Ledger(tmp_path)
    ledger.append(record())
    before = ledger.path.read_bytes()
    monkeypatch.setattr(ledger_module, "os", _DiskFullOs(keep))
    with pytest.raises(LedgerWriteError, match=r"the disk is full.*p.en/masto part 1 \(published\) was not"):
        ledger.append(record("published"))
    assert ledger.path.read_bytes() == before  # no torn line: every later run can still read it
    monkeypatch.undo()
    ledger.append(record("published"))  # space again: the record goes in whole
    assert ledger.read()["p.en/masto"].last(1).status == "published"


def test_a_file_size_limit_is_a_full_disk(tmp_path):
    """The kernel's own short write: RLIMIT_FSIZE in a child process, SIGXFSZ ignored."""
    import subprocess
    import sys

    script = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from tests.test_ledger import record
from postwright.ledger import Ledger, LedgerWriteError
ledger = Ledger(__import__("pathlib").Path(sys.argv[1]))
ledger.append(record())
resource.setrlimit(resource.RLIMIT_FSIZE, (ledger.path.stat().st_size + 50, resource.RLIM_INFINITY))
try:
    ledger.append(record("published"))
except LedgerWriteError as error:
    print(error)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert "file size limit" in done.stdout, done.stderr
    (state,) = Ledger(tmp_path).read().values()  # the short line was cut back
    assert [item.status for item in state.records] == ["started"]
