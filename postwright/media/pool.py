"""Spreading image sources over postwright's one pool of workers (postwright.workers), results in input
order. What is particular to images: the heaviest sources start first, so one big photo does not finish
last alone, and a process that has run libvips itself is not forked.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import TypeVar

from postwright import workers

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_in_order(
    work: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    processes: int | None,
    weight: Callable[[Item], int],
    fork_safe: bool = True,
    setup: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """`[work(item) for item in items]`, over `processes` workers (default: every core; 1, or a single
    item, runs here). `setup` runs once in each worker; `progress(done, total)` runs here
    after each item."""
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(items))

    order = sorted(range(len(items)), key=lambda i: -weight(items[i]))  # stable: ties keep input order
    results = workers.map_each(
        work,
        [items[i] for i in order],
        processes=processes,
        start=_start_method(fork_safe),
        setup=setup,
        done=tick,
    )
    placed: list[Result | None] = [None] * len(items)
    for position, result in zip(order, results, strict=True):
        placed[position] = result
    return placed  # type: ignore[return-value]  # every position is filled


def _start_method(fork_safe: bool) -> str:
    """fork where it is safe: fast, and a script without a __main__ guard (build.py) is not re-run.

    A process that has run libvips itself may hold locks in its worker threads that a forked child
    inherits locked, so the child would hang (the caller says so with fork_safe=False): then workers come
    from a forkserver instead.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and fork_safe:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"
