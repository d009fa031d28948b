import os
import signal
import sys

import pytest

from postwright import forked


def test_background_work_is_done_when_waited_for(tmp_path):
    done = tmp_path / "done"
    seen = []

    def work() -> None:
        seen.append(os.getpid())
        done.write_text(str(os.getpid()), encoding="utf-8")

    wait = forked.in_background(work)
    wait()
    assert done.read_text(encoding="utf-8")  # finished before wait() returned
    if sys.platform == "linux" and (os.cpu_count() or 1) > 1:
        assert done.read_text(encoding="utf-8") != str(os.getpid())  # in another process
        assert seen == []  # whose memory is its own


@pytest.mark.parametrize("where", ["forked", "one core", "no process to spare"])
def test_a_failing_background_job_does_not_reach_the_caller(where, monkeypatch):
    if where == "one core":
        monkeypatch.setattr(forked.os, "cpu_count", lambda: 1)
    if where == "no process to spare":

        def refuse() -> int:
            raise BlockingIOError(11, "Resource temporarily unavailable")

        monkeypatch.setattr(forked.os, "fork", refuse)

    def work() -> None:
        raise RuntimeError("a bug in saving a cache")

    forked.in_background(work)()  # a cache not written is never the build's failure


def test_waiting_for_a_child_already_reaped_is_fine(tmp_path):
    """With SIGCHLD ignored (inherited from a launcher), the kernel reaps the child itself."""
    if sys.platform != "linux" or (os.cpu_count() or 1) < 2:
        pytest.skip("background work is forked on Linux only")
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        done = tmp_path / "done"
        forked.in_background(lambda: done.write_text("yes", encoding="utf-8"))()
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert done.read_text(encoding="utf-8") == "yes"


def test_slices_come_back_in_order():
    items = list(range(50))
    assert forked.map_slices(lambda start, stop: items[start:stop], 50, at_least=1) == items
