"""Spreading independent pieces of work (one per image source) over processes; results in input order.

The whole interface is `map_in_order`: the caller gives a picklable function, the items, how heavy each
is, and whether forking this process is safe. Nothing here knows about images.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

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
    """`[work(item) for item in items]`, in a pool of `processes` (default: the CPU count; 1, or a single
    item, runs here). `setup` runs once in each worker process; `progress(done, total)` runs here after
    each item. The heaviest items start first, so one big item does not finish last alone.
    """
    processes = processes or os.cpu_count() or 1
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(items))

    if processes <= 1 or len(items) <= 1:
        inline = []
        for item in items:
            inline.append(work(item))
            tick()
        return inline
    order = sorted(range(len(items)), key=lambda i: -weight(items[i]))
    results: list[Result | None] = [None] * len(items)
    context = multiprocessing.get_context(_start_method(fork_safe))
    with ProcessPoolExecutor(
        max_workers=min(processes, len(items)), mp_context=context, initializer=setup
    ) as pool:
        for position, result in zip(order, pool.map(work, [items[i] for i in order]), strict=True):
            results[position] = result
            tick()
    return [result for result in results if result is not None]


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
