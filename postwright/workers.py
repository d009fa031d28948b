"""postwright's one pool of worker processes, for the stages that are CPU-bound: load and render (slices
of their work) and media (one image source each).

Forked workers share what the parent holds (parsed posts, config, templates) without pickling it: only
their results travel back, in order, so the output is the same as one process's. Elsewhere than Linux,
with one core or for little work (under PARALLEL_FROM items), everything runs in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 1000
"""Items of pure-Python work (post files to read, variants to render; about a millisecond each): below
this, starting worker processes costs more than it saves."""

_WORK: Callable[[Any], Any] | None = None  # what a forked worker runs, by index


def map_slices(work: Callable[[int, int], list[T]], count: int, *, at_least: int | None = None) -> list[T]:
    """work(start, stop) over [0, count) in slices, in order; in forked workers from `at_least` items
    (default PARALLEL_FROM)."""
    workers = min(os.cpu_count() or 1, 8)
    if count < (PARALLEL_FROM if at_least is None else at_least) or workers < 2 or sys.platform != "linux":
        return work(0, count)
    chunks = workers * 4  # several per worker, so one slow slice does not leave a core idle
    bounds = [count * n // chunks for n in range(chunks + 1)]
    slices = _forked(lambda n: work(bounds[n], bounds[n + 1]), chunks, workers)
    return [item for chunk in slices for item in chunk]


def map_each(
    work: Callable[[T], R],
    items: Sequence[T],
    *,
    at_least: int = 2,
    processes: int | None = None,
    start: str = "fork",
    setup: Callable[[], None] | None = None,
    done: Callable[[], None] | None = None,
) -> list[R]:
    """[work(item) for item in items] in a pool of `processes` (default: every core) from `at_least`
    items, in order. Forked workers (`start="fork"`) take `items` from this process's memory; with
    another start method (where forking is unsafe) `work` and the items are pickled. `setup` runs once
    in each worker; `done` in this process after each result, for a progress bar."""
    workers = min(processes or os.cpu_count() or 1, len(items))
    if len(items) < at_least or workers < 2:
        results = []
        for item in items:
            results.append(work(item))
            if done is not None:
                done()
        return results
    if start == "fork":
        return _forked(lambda n: work(items[n]), len(items), workers, setup, done)
    context = multiprocessing.get_context(start)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=setup) as pool:
        return _collected(pool.map(work, items), done)


def _forked(
    work: Callable[[int], R],
    count: int,
    workers: int,
    setup: Callable[[], None] | None = None,
    done: Callable[[], None] | None = None,
) -> list[R]:
    """work(n) for n in range(count) in forked workers, which find `work` in the memory they share."""
    global _WORK
    _WORK = work
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=setup) as pool:
            return _collected(pool.map(_run, range(count)), done)
    finally:
        _WORK = None


def _collected(results: Any, done: Callable[[], None] | None) -> list[Any]:
    collected = []
    for result in results:
        collected.append(result)
        if done is not None:
            done()
    return collected


def _run(index: int) -> Any:
    assert _WORK is not None, "runs in a forked worker only"
    return _WORK(index)


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
