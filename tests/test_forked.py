import os
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


def test_a_failing_background_job_does_not_reach_the_caller(tmp_path):
    if sys.platform != "linux" or (os.cpu_count() or 1) < 2:
        pytest.skip("background work is forked on Linux only")

    def work() -> None:
        raise OSError("disk full")

    forked.in_background(work)()  # the child exits; nothing is raised or printed here


def test_slices_come_back_in_order():
    items = list(range(50))
    assert forked.map_slices(lambda start, stop: items[start:stop], 50, at_least=1) == items
