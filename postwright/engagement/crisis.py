"""Crisis detection: replies and mentions running well above an account's usual rate, or a watch word.

Signals only: the GitHub side (engagement.inbox) opens the crisis issue and the pause pull request. The
usual rate is the median of the account's hourly counts over the last 28 days (hours without any count as
0), kept in state/engagement/ as counts per hour, never as text.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from postwright.engagement.model import Conversation

BASELINE = timedelta(days=28)
Reason = Literal["spike", "watch word"]


@dataclass(frozen=True, slots=True)
class CrisisSignal:
    """Why an account may be in a crisis, with the evidence a person checks before pausing."""

    account: str
    reason: Reason
    evidence: tuple[str, ...]  # lines for people: counts and links, never a person's words
    window: tuple[datetime, datetime]  # UTC: the hours looked at


@dataclass(frozen=True, slots=True)
class CrisisRules:
    """config.yml's engagement settings that decide a crisis."""

    spike_factor: float = 4.0
    window_hours: int = 3
    watch_words: tuple[str, ...] = ()


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def hourly_median(hours: Mapping[datetime, int], now: datetime) -> float:
    """The median count per hour over the 28 days before `now`'s window (absent hours count 0)."""
    start = hour_of(now) - BASELINE
    total = int(BASELINE.total_seconds() // 3600)
    counts = [count for hour, count in hours.items() if start <= hour < hour_of(now)]
    counts += [0] * (total - len(counts))
    return float(statistics.median(counts))


def spike(
    account: str, hours: Mapping[datetime, int], now: datetime, rules: CrisisRules
) -> CrisisSignal | None:
    """A signal when the last `window_hours` ran over factor × the hourly median. A median under 1 counts
    as 1, so a quiet account is not in a crisis over a handful of replies."""
    window_start = hour_of(now) - timedelta(hours=rules.window_hours - 1)
    recent = sum(count for hour, count in hours.items() if window_start <= hour <= now)
    usual = hourly_median(hours, window_start)
    threshold = max(usual, 1.0) * rules.spike_factor * rules.window_hours
    if recent <= threshold:
        return None
    evidence = (
        f"{recent} replies and mentions in the last {rules.window_hours} h",
        f"usual: a median of {usual:g} an hour over 28 days; the alarm is over {threshold:g} "
        f"({rules.spike_factor:g} × {max(usual, 1.0):g} × {rules.window_hours} h)",
    )
    return CrisisSignal(account, "spike", evidence, (window_start, now))


# Letters written two ways in one script that readers take as one: Arabic and Persian kaf and yeh
_SAME_LETTER = str.maketrans({"\u0643": "\u06a9", "\u064a": "\u06cc", "\u0649": "\u06cc"})


def fold(text: str) -> str:
    """Case- and accent-insensitive form: casefolded, compatibility-decomposed, combining marks dropped,
    Arabic and Persian kaf and yeh made one."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SAME_LETTER))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


# Scripts written without spaces between words: a watch word there is matched anywhere in the text.
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=256)
def _pattern(word: str) -> re.Pattern[str]:
    folded = r"\s+".join(re.escape(part) for part in fold(word).split())  # any spacing in a phrase
    if _UNSPACED.search(word):
        return re.compile(folded)
    return re.compile(rf"(?<!\w){folded}(?!\w)")


def matches(words: Iterable[str], text: str) -> list[str]:
    """The watch words found in `text` on word boundaries, in any script, ignoring case and accents."""
    folded = fold(text)
    return [word for word in words if word.strip() and _pattern(word).search(folded)]


def watch_words(
    account: str, heard: Sequence[Conversation], now: datetime, rules: CrisisRules
) -> CrisisSignal | None:
    """A signal when new replies or mentions hold a watch word: the words and links, not the text."""
    found = [(conversation, matches(rules.watch_words, conversation.text)) for conversation in heard]
    hits = [(conversation, words) for conversation, words in found if words]
    if not hits:
        return None
    evidence = tuple(
        f"{', '.join(words)}: {conversation.kind} {conversation.url}"
        for conversation, words in sorted(hits, key=lambda hit: (hit[0].created, hit[0].remote_id))
    )
    oldest = min(conversation.created for conversation, _ in hits)
    return CrisisSignal(account, "watch word", evidence, (oldest, now))


def detect(
    account: str,
    hours: Mapping[datetime, int],
    heard: Sequence[Conversation],
    now: datetime,
    rules: CrisisRules,
) -> list[CrisisSignal]:
    """Every signal for one account: `hours` counts replies and mentions per UTC hour (this pull's
    included), `heard` is what this pull found new."""
    found = (spike(account, hours, now, rules), watch_words(account, heard, now, rules))
    return [signal for signal in found if signal is not None]
