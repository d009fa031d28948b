"""Splitting a long text into thread parts that each fit a platform's count.

Splits at paragraph, then line, then sentence, then word boundaries; a word is only cut (at a
grapheme boundary) when it alone is too long and is not a URL, a mention or a hashtag, which are
never cut: such a part stays too long and validation reports it.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import regex

Fits = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Budget:
    """An additive estimate of a platform's counts, to guess where a part ends before asking `fits`.

    Counts are additive across whitespace in practice (no URL, emoji or grapheme spans a space), so a
    guess from summed piece costs is usually exact and `fits` confirms it with two calls, not a search.
    """

    cost: Callable[[str], tuple[int, ...]]  # each measure's count of a piece
    limits: tuple[int, ...]  # what a whole part may count, per measure


_LEVELS = (
    re.compile(r"(?<=\n\n)(?!\n)"),  # paragraphs
    re.compile(r"(?<=\n)(?!\n)"),  # lines (list items, verses)
    re.compile(r"(?<=[.!?…؟])(?=\s)|(?<=[。！？])"),  # sentences, Latin/Arabic-script and CJK
    re.compile(r"(?<=\s)(?=\S)"),  # words
)
# The words level's pieces, found instead of split at zero-width matches (twice as fast): leading space,
# then each run of non-space with the space after it. tests/test_split.py compares the two.
_WORDS = re.compile(r"^\s+|\S+\s*")
_UNCUTTABLE = re.compile(r"^(?:https?://|www\.|@|#|＃)", re.IGNORECASE)


def split_to_fit(text: str, fits: Fits, budget: Budget | None = None) -> list[str]:
    """Parts of `text`, each fitting where possible, in order; concatenated they hold every word.

    `fits` decides; `budget`, where given, only makes the search cheaper (the parts are the same).
    """
    text = text.strip()
    if not text:
        return []
    return _pack(text, fits, 0, budget)


def _pack(
    text: str, fits: Fits, level: int, budget: Budget | None = None, known_long: bool = False
) -> list[str]:
    """Greedy packing of this level's pieces; a piece too long alone is packed one level finer."""
    if not known_long and fits(text.strip()):
        return [text.strip()]
    if level == len(_LEVELS):
        return _cut(text.strip(), fits)
    pieces = _WORDS.findall(text) if level == len(_LEVELS) - 1 else _LEVELS[level].split(text)
    pieces = [piece for piece in pieces if piece]
    if len(pieces) == 1:  # one paragraph that is one line, one sentence: nothing to pack at this level
        return _pack(text, fits, level + 1, budget, known_long=True)
    sums = _Sums(pieces, budget) if budget is not None else None
    parts: list[str] = []
    carry = ""  # the start of the part being filled (the tail of a finer split)
    start = 0
    while start < len(pieces):
        taken = _longest_fitting(carry, pieces, start, fits, sums)
        if taken == 0 and carry.strip():
            parts.append(carry.strip())
            carry = ""
        elif taken == 0:
            smaller = _pack(pieces[start], fits, level + 1, budget)
            parts += smaller[:-1]
            carry = smaller[-1] + pieces[start][len(pieces[start].rstrip()) :]
            start += 1
        else:
            carry += "".join(pieces[start : start + taken])
            start += taken
            if start < len(pieces):
                parts.append(carry.strip())
                carry = ""
    if carry.strip():
        parts.append(carry.strip())
    return parts


def _longest_fitting(carry: str, pieces: list[str], start: int, fits: Fits, sums: _Sums | None = None) -> int:
    """How many pieces from `start` still fit after `carry`: the budget's guess confirmed by `fits`,
    else galloping then binary search.

    Counting is monotonic in practice (more text never counts less), so this asks `fits` about
    log2(n) times instead of once per piece: exact counters are the cost of splitting.
    """

    def ok(count: int) -> bool:
        return fits((carry + "".join(pieces[start : start + count])).strip())

    available = len(pieces) - start
    good, step = 0, 1
    if sums is not None:
        guess = sums.guess(carry, start)
        if guess and not ok(guess):
            return _bisect(ok, 0, guess)
        if guess == available or not ok(guess + 1):
            return guess
        good = guess + 1
    while good < available:
        trial = min(good + step, available)
        if not ok(trial):
            bad = trial
            break
        good, step = trial, step * 2
    else:
        return good
    return _bisect(ok, good, bad)


def _bisect(ok: Callable[[int], bool], good: int, bad: int) -> int:
    """The largest count in [good, bad) that is ok, given ok(good) (or good == 0) and not ok(bad)."""
    while bad - good > 1:
        middle = (good + bad) // 2
        if ok(middle):
            good = middle
        else:
            bad = middle
    return good


class _Sums:
    """Running totals of the pieces' costs per measure, so a guess is a binary search, not a loop."""

    def __init__(self, pieces: list[str], budget: Budget) -> None:
        self.budget = budget
        self.pieces = pieces
        columns = zip(*map(budget.cost, pieces), strict=True)  # each measure's costs (pieces is never empty)
        self.totals = [list(itertools.accumulate(column, initial=0)) for column in columns]

    def guess(self, carry: str, start: int) -> int:
        """How many pieces from `start` fit after `carry` by summed costs (a part's trailing space is
        stripped, so the last piece's is not counted)."""
        used = self.budget.cost(carry) if carry else (0,) * len(self.budget.limits)
        most = len(self.pieces) - start
        for totals, spent, limit in zip(self.totals, used, self.budget.limits, strict=True):
            room = limit - spent + totals[start]
            count = bisect.bisect_right(totals, room, lo=start) - 1 - start
            if count < most:  # the next piece may fit once its trailing whitespace is stripped
                following = self.pieces[start + count]
                if totals[start + count + 1] - (len(following) - len(following.rstrip())) <= room:
                    count += 1
            most = min(most, count)
        return max(most, 0)


def _cut(word: str, fits: Fits) -> list[str]:
    """A single over-long word: cut between graphemes, unless cutting would break a link or tag."""
    if _UNCUTTABLE.match(word):
        return [word]
    parts: list[str] = []
    current = ""
    for grapheme in regex.findall(r"\X", word):
        if current and not fits(current + grapheme):
            parts.append(current)
            current = ""
        current += grapheme
    return [*parts, current] if current else parts
