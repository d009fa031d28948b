"""Work split over forked worker processes, for the stages that are pure Python and CPU-bound.

Workers are forked, so they share what the parent holds (parsed posts, config, templates) without
pickling it; each runs `work` over a slice of `count` items and returns its results, which come back in
slice order: the output is the same as one process's. Elsewhere than Linux, with one core or for little
work, everything runs in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_WORK: Callable[[int, int], Any] | None = None  # what a forked worker runs


def map_slices(work: Callable[[int, int], list[T]], count: int, *, at_least: int) -> list[T]:
    """work(start, stop) over [0, count) in slices, in order; in workers from `at_least` items."""
    global _WORK
    workers = min(os.cpu_count() or 1, 8)
    if count < at_least or workers < 2 or sys.platform != "linux":
        return work(0, count)
    _WORK = work
    chunks = workers * 4  # several per worker, so one slow slice does not leave a core idle
    bounds = [count * n // chunks for n in range(chunks + 1)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            slices = list(pool.map(_run, bounds[:-1], bounds[1:]))
    finally:
        _WORK = None
    return [item for chunk in slices for item in chunk]


def _run(start: int, stop: int) -> Any:
    assert _WORK is not None, "runs in a forked worker only"
    return _WORK(start, stop)


def in_background(work: Callable[[], None]) -> Callable[[], None]:
    """Start `work` in a forked process (it sees this one's memory as it is now); returns the wait for
    it. For side work that must not hold up what follows, such as writing a cache on a second core:
    its failure is never the caller's, wherever it runs. Elsewhere than Linux, with one core, or when
    the system refuses another process, `work` runs here and now."""
    if (os.cpu_count() or 1) < 2 or sys.platform != "linux":
        return _here(work)
    try:
        # Python 3.12+ warns when other threads exist (libvips keeps a pool after the media stage): the
        # child runs only `work`, which takes no lock those threads use
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
    except OSError:  # no process to spare (a limit, no memory to commit): do it here instead
        return _here(work)
    if child == 0:  # the child: do the work, then leave without running the parent's exit handlers
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)

    def wait() -> None:
        with contextlib.suppress(ChildProcessError):  # already reaped: SIGCHLD ignored or handled
            os.waitpid(child, 0)

    return wait


def _here(work: Callable[[], None]) -> Callable[[], None]:
    with contextlib.suppress(Exception):
        work()
    return lambda: None
