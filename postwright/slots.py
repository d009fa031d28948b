"""Posting slots (schedule.slots in config.yml): the next free one for `new`; `postwright schedule`, which
gives every `date: next` post its slot by rewriting only that date line (and places schedule.explore's
share of them in under-sampled candidate times); and `postwright slots suggest`, which proposes replacing a
slot with a candidate time only when the brand's own numbers show it better beyond doubt
(insights/best_time.py)."""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from postwright.config import Config
from postwright.console import json_text
from postwright.files import replace_file
from postwright.load import Waiting, waiting_posts
from postwright.model import Post
from postwright.project import Project

if TYPE_CHECKING:
    from postwright.engagement.github import GitHub, Proposal
    from postwright.insights.best_time import DeliveryScore, SlotScore


class NoFreeSlot(Exception):
    """Every slot of the next ten years is taken: a config with no usable slot, not a busy brand."""


def next_free_slot(config: Config, taken: Iterable[datetime], now: datetime) -> datetime:
    """The first posting slot from tomorrow (a post written now should not go out in minutes) that no
    post uses yet."""
    used = set(taken)
    tomorrow = now.astimezone(config.zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), config.zone) - timedelta(microseconds=1)
    return next(candidate for candidate in _slots(config, start) if candidate not in used)


Sampled = Mapping[tuple[str, int, int], int]  # (account, weekday, hour) -> deliveries scored there
EXPLORE_DAYS = 7  # an exploring post goes out within a week, like one at a slot


def schedule_waiting(
    project: Project,
    config: Config,
    posts: Iterable[Post],
    now: datetime,
    *,
    write: bool = True,
    sampled: Sampled | None = None,
) -> list[tuple[Path, datetime]]:
    """Give every `date: next` post the next posting slot none of its accounts uses; rewrite only
    the value on its date line (the file's other bytes, comments and line endings stay as they are).

    schedule.explore's share of them (chosen by post id) goes instead to the least-sampled free candidate
    time of the coming week (`sampled`: how many of each account's deliveries the statistics hold per
    weekday and hour; none means no history yet), while one has fewer than best_time.MIN_N."""
    taken = {(account, when) for post in posts for account, when in post.publish_at_by_account.items()}
    done = []
    for waiting in waiting_posts(project, config):
        when = None
        if explores(config, waiting.post_id):
            when = _explored_slot(config, waiting, taken, now, sampled or {})
        when = when or _free_slot(config, waiting.targets, taken, now)
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


def explores(config: Config, post_id: str) -> bool:
    """Whether this post is one of schedule.explore's share: the same answer on every run and machine."""
    digest = hashlib.sha256(f"explore\0{post_id}".encode()).digest()
    return int.from_bytes(digest[:8]) / 2**64 < config.schedule.explore


def _explored_slot(
    config: Config, waiting: Waiting, taken: set[tuple[str, datetime]], now: datetime, sampled: Sampled
) -> datetime | None:
    """The free candidate time of the coming week whose slot the post's accounts have tried least (ties
    broken by a hash of the post id and time, so exploring posts spread out); None when none is under
    best_time.MIN_N (every candidate is known well enough: explore no more)."""
    from postwright.insights.best_time import MIN_N

    regular = set(config.schedule.slots) or {config.schedule.default_time}
    times = [slot for slot in config.schedule.candidates if slot not in regular]
    if not times:
        return None
    end = now + timedelta(days=EXPLORE_DAYS)
    ranked = []
    for candidate in _slots(config, now, times):
        if candidate > end:
            break
        if any((account, candidate) in taken for account in waiting.targets):
            continue
        tried = max(
            (sampled.get((a, candidate.weekday(), candidate.hour), 0) for a in waiting.targets), default=0
        )
        if tried < MIN_N:
            tiebreak = hashlib.sha256(f"{waiting.post_id}\0{candidate.isoformat()}".encode()).digest()
            ranked.append((tried, tiebreak, candidate))
    return min(ranked)[2] if ranked else None


def _slots(config: Config, now: datetime, times: Iterable[time] | None = None) -> Iterable[datetime]:
    times = sorted(times if times is not None else config.schedule.slots) or [config.schedule.default_time]
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


def history(project: Project, config: Config, posts: Iterable[Post]) -> list[DeliveryScore]:
    """The brand's scored deliveries from state/metrics/, at the times they were scheduled for (a damaged
    metrics file raises the store's located error)."""
    from postwright.insights.best_time import delivery_scores
    from postwright.insights.store import read_observations

    times = {
        f"{post.id}.{post.lang}/{account}": when
        for post in posts
        for account, when in post.publish_at_by_account.items()
    }
    return delivery_scores(read_observations(project.root), times, config.zone)


def sampled(scores: Iterable[DeliveryScore]) -> Sampled:
    """How many scored deliveries each account has per weekday and hour (schedule.explore's measure)."""
    counts: dict[tuple[str, int, int], int] = defaultdict(int)
    for score in scores:
        counts[score.account, *score.slot] += 1
    return counts


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Replace the slot `current` with `candidate`: on `evidence`'s accounts the candidate hour's interval
    lies wholly above the slot hour's (best_time.clears), and on no account is it the other way round."""

    current: time
    candidate: time
    evidence: tuple[tuple[SlotScore, SlotScore], ...]  # (candidate hour, slot hour) per account it clears


def suggest(config: Config, scores: Sequence[DeliveryScore]) -> list[Suggestion]:
    """For each schedule.slots time, the candidate time (schedule.candidates) that clears it best, if any.

    Slots are daily times and statistics are per hour, so each account's deliveries are grouped by their
    local hour over every weekday (a slot at 09:30 is judged by what went out from 09:00 to 09:59)."""
    from postwright.insights.best_time import clears, slot_summary

    groups: dict[tuple[str, int], list[DeliveryScore]] = defaultdict(list)
    for score in scores:
        groups[score.account, score.local_time.hour].append(score)
    by_hour = {key: slot_summary(members) for key, members in groups.items()}
    accounts = sorted({account for account, _ in groups})
    slot_hours = {slot.hour for slot in config.schedule.slots}
    proposals = []
    used: set[int] = set()
    for current in sorted(config.schedule.slots):
        best: tuple[float, time, tuple[tuple[SlotScore, SlotScore], ...]] | None = None
        for candidate in sorted(config.schedule.candidates):
            if candidate.hour in slot_hours or candidate.hour in used:
                continue
            pairs = [(by_hour.get((a, candidate.hour)), by_hour.get((a, current.hour))) for a in accounts]
            known = [(new, old) for new, old in pairs if new is not None and old is not None]
            better = tuple((new, old) for new, old in known if clears(new, old))
            if not better or any(clears(old, new) for new, old in known):
                continue
            margin = min(new.low - old.high for new, old in better)  # type: ignore[operator]
            if best is None or margin > best[0]:
                best = (margin, candidate, better)
        if best is not None:
            used.add(best[1].hour)
            proposals.append(Suggestion(current, best[1], best[2]))
    return proposals


def suggestions_text(proposals: Sequence[Suggestion], output_format: str, *, written: bool) -> str:
    """Each proposal with its evidence per account (human, markdown or json); the Markdown is also the
    body of the workflow's pull request."""
    if output_format == "json":
        data = [
            {
                "slot": f"{item.current:%H:%M}",
                "candidate": f"{item.candidate:%H:%M}",
                "written": written,
                "evidence": [
                    {"account": new.account, "candidate": new.describe(), "slot": old.describe()}
                    for new, old in item.evidence
                ],
            }
            for item in proposals
        ]
        return json_text(data) + "\n"
    if not proposals:
        return "No change: no candidate time clears a posting slot yet.\n"
    lines = ["## Posting slots", ""] if output_format == "markdown" else []
    for item in proposals:
        lines.append(f"- schedule.slots: {item.current:%H:%M} → {item.candidate:%H:%M}")
        lines += [
            f"  - {new.account}: {item.candidate:%H}:00–{item.candidate:%H}:59 {new.describe()}; "
            f"{item.current:%H}:00–{item.current:%H}:59 {old.describe()}"
            for new, old in item.evidence
        ]
    if written:
        lines += ["", "config.yml: schedule.slots changed"]
    return "\n".join(lines) + "\n"


SLOTS_BRANCH = "postwright/slots"


def _pull_note() -> str:
    """The rest of the pull request's body; a paragraph per line (GitHub shows a body's newlines)."""
    from postwright.insights.best_time import MIN_N

    return "\n\n".join(
        (
            "",
            "Each line compares, per account, the deliveries that went out in the candidate's hour with "
            "those in the slot's hour: the candidate's interval lies wholly above the slot's (at least "
            f"{MIN_N} deliveries each), and on no account the other way round "
            '(docs/insights.md, "Acting on best times"). Posts already dated keep their times; '
            "`postwright schedule` gives `date: next` posts the new slots.",
            "**Before merging**, bring the publish workflow's schedule along: a workflow's token may not "
            "change files under .github/workflows/, so this pull request changes config.yml only, and "
            "`postwright check` fails it with PW092 until the schedule has a run at the new times:",
            f"```sh\ngit fetch origin {SLOTS_BRANCH} && git switch {SLOTS_BRANCH}\npostwright workflow sync "
            '&& git commit -m "workflow sync" .github/workflows/publish.yml && git push\n```',
            "A pull request opened by a workflow's token starts no checks; that push starts them. "
            "postwright updates this pull request when its suggestion changes, and opens a new one after it "
            "is closed.\n",
        )
    )


def propose_on_github(github: GitHub, proposals: Sequence[Suggestion]) -> Proposal | None:
    """The one pull request changing schedule.slots in config.yml as `proposals` say, with their
    evidence as its body; brought up to date when they change. None: nothing proposed, nothing asked."""
    from postwright.engagement.github import ChangeRequest, propose_change

    if not proposals:
        return None
    replacements = {item.current: item.candidate for item in proposals}
    changes = ", ".join(f"{old:%H:%M} → {new:%H:%M}" for old, new in sorted(replacements.items()))
    named = " ".join(f"{old:%H:%M}>{new:%H:%M}" for old, new in sorted(replacements.items()))
    change = ChangeRequest(
        branch=SLOTS_BRANCH,
        path="config.yml",
        edit=lambda config: _with_slots_or_none(config, replacements),
        title=f"Posting slots: {changes}",
        body=suggestions_text(proposals, "markdown", written=False) + _pull_note(),
        message=f"schedule.slots: {changes} (postwright slots suggest)",
        marker=f"<!-- postwright:slots {named} -->",
    )
    return propose_change(github, change, refresh=True)


def _with_slots_or_none(config: bytes, replacements: Mapping[time, time]) -> bytes | None:
    """The default branch's config.yml changed; None where it cannot be read as YAML (then it has no
    slot to change: `check` on that branch says why)."""
    try:
        return with_slots(config, replacements)
    except (UnicodeDecodeError, yaml.YAMLError):
        return None


def write_slots(path: Path, replacements: Mapping[time, time]) -> bool:
    """Replace those times in config.yml's schedule.slots, each item where it stands: comments, quoting
    style, flow or block list and every other byte stay. False when the file has no such list items."""
    changed = with_slots(path.read_bytes(), replacements)
    if changed is not None:
        replace_file(path, changed)
    return changed is not None


def with_slots(config: bytes, replacements: Mapping[time, time]) -> bytes | None:
    """config.yml's bytes with those schedule.slots items replaced; None when it has none of them."""
    text = config.decode("utf-8")
    node = yaml.compose(text, Loader=yaml.SafeLoader)  # the pure loader: marks index characters
    slots = _child(_child(node, "schedule"), "slots")
    if not isinstance(slots, yaml.SequenceNode):
        return None
    edits = []
    for item in slots.value:
        old = _time(item)
        if old in replacements:
            edits.append((item.start_mark.index, item.end_mark.index, f'"{replacements[old]:%H:%M}"'))
    for start, end, value in sorted(edits, reverse=True):
        text = text[:start] + value + text[end:]
    return text.encode("utf-8") if edits else None


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((value for name, value in node.value if getattr(name, "value", None) == key), None)


def _time(node: yaml.Node) -> time | None:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(getattr(node, "value", "")).strip())
    return time(int(match[1]), int(match[2])) if match and int(match[1]) < 24 and int(match[2]) < 60 else None
