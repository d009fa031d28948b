import os
import signal
import sys

import pytest

from postwright import workers


def test_background_work_is_done_when_waited_for(tmp_path):
    done = tmp_path / "done"
    seen = []

    def work() -> None:
        seen.append(os.getpid())
        done.write_text(str(os.getpid()), encoding="utf-8")

    wait = workers.in_background(work)
    wait()
    assert done.read_text(encoding="utf-8")  # finished before wait() returned
    if sys.platform == "linux" and (os.cpu_count() or 1) > 1:
        assert done.read_text(encoding="utf-8") != str(os.getpid())  # in another process
        assert seen == []  # whose memory is its own


@pytest.mark.parametrize("where", ["forked", "one core", "no process to spare"])
def test_a_failing_background_job_does_not_reach_the_caller(where, monkeypatch):
    if where == "one core":
        monkeypatch.setattr(workers.os, "cpu_count", lambda: 1)
    if where == "no process to spare":

        def refuse() -> int:
            raise BlockingIOError(11, "Resource temporarily unavailable")

        monkeypatch.setattr(workers.os, "fork", refuse)

    def work() -> None:
        raise RuntimeError("a bug in saving a cache")

    workers.in_background(work)()  # a cache not written is never the build's failure


def test_waiting_for_a_child_already_reaped_is_fine(tmp_path):
    """With SIGCHLD ignored (inherited from a launcher), the kernel reaps the child itself."""
    if sys.platform != "linux" or (os.cpu_count() or 1) < 2:
        pytest.skip("background work is forked on Linux only")
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        done = tmp_path / "done"
        workers.in_background(lambda: done.write_text("yes", encoding="utf-8"))()
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert done.read_text(encoding="utf-8") == "yes"


def test_slices_come_back_in_order():
    items = list(range(50))
    assert workers.map_slices(lambda start, stop: items[start:stop], 50, at_least=1) == items


def _square(number: int) -> tuple[int, int]:
    return number, number * number  # picklable, for the start methods that pickle the work


@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_each_item_comes_back_in_order_whatever_the_start_method(start, monkeypatch):
    if start not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip(f"no {start} here")
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    ticks = []
    found = workers.map_each(_square, list(range(20)), start=start, done=lambda: ticks.append(1))
    assert found == [(n, n * n) for n in range(20)] and len(ticks) == 20


def test_little_work_runs_in_this_process(monkeypatch):
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    assert workers.map_each(lambda item: os.getpid(), ["one"]) == [os.getpid()]  # under at_least
    assert workers.map_each(lambda item: os.getpid(), [1, 2, 3], at_least=4) == [os.getpid()] * 3
    assert workers.map_slices(lambda start, stop: [os.getpid()] * (stop - start), 5) == [os.getpid()] * 5
