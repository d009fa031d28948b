"""Posting slots (schedule.slots in config.yml): the next free one for `new`, and `postwright schedule`,
which gives every `date: next` post its slot by rewriting only that date line."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from postwright.config import Config
from postwright.load import waiting_posts
from postwright.model import Post
from postwright.project import Project


class NoFreeSlot(Exception):
    """Every slot of the next ten years is taken: a config with no usable slot, not a busy brand."""


def next_free_slot(config: Config, taken: Iterable[datetime], now: datetime) -> datetime:
    """The first posting slot from tomorrow (a post written now should not go out in minutes) that no
    post uses yet."""
    used = set(taken)
    tomorrow = now.astimezone(config.zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), config.zone) - timedelta(microseconds=1)
    return next(candidate for candidate in _slots(config, start) if candidate not in used)


def schedule_waiting(
    project: Project, config: Config, posts: Iterable[Post], now: datetime, *, write: bool = True
) -> list[tuple[Path, datetime]]:
    """Give every `date: next` post the next posting slot none of its accounts uses; rewrite only
    the value on its date line (the file's other bytes, comments and line endings stay as they are)."""
    taken = {(account, when) for post in posts for account, when in post.publish_at_by_account.items()}
    done = []
    for waiting in waiting_posts(project, config):
        when = _free_slot(config, waiting.targets, taken, now)
        if write:
            _rewrite_date_line(waiting.path, waiting.date_line, when)
        taken |= {(account, when) for account in waiting.targets}
        done.append((waiting.path, when))
    return done


def _free_slot(
    config: Config, accounts: Iterable[str], taken: set[tuple[str, datetime]], now: datetime
) -> datetime:
    accounts = list(accounts)
    candidates = (
        candidate for candidate in _slots(config, now) if not any((a, candidate) in taken for a in accounts)
    )
    return next(candidates)


def _slots(config: Config, now: datetime) -> Iterable[datetime]:
    times = sorted(config.schedule.slots) or [config.schedule.default_time]
    today = now.astimezone(config.zone).date()
    for offset in range(0, 3660):
        day = today + timedelta(days=offset)
        for slot in times:
            candidate = datetime.combine(day, slot, config.zone)
            if candidate > now and candidate.astimezone(UTC).astimezone(config.zone).time() == slot:
                yield candidate  # skipped: a slot that does not exist on a daylight-saving day
    raise NoFreeSlot("no free posting slot in the next ten years")


def _rewrite_date_line(path: Path, line: int, when: datetime) -> None:
    """Replace `next` on line `line` with the date, byte for byte preserving everything else."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    lines[line - 1] = re.sub(rb"(?i)\bnext\b", f"{when:%Y-%m-%d %H:%M}".encode(), lines[line - 1], count=1)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(b"\n".join(lines))
    os.replace(temporary, path)
