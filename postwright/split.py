"""Splitting a long text into thread parts that each fit a platform's count.

Splits at paragraph, then line, then sentence, then word boundaries; a word is only cut (at a
grapheme boundary) when it alone is too long and is not a URL, a mention or a hashtag, which are
never cut: such a part stays too long and validation reports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import regex

Fits = Callable[[str], bool]

_LEVELS = (
    re.compile(r"(?<=\n\n)(?!\n)"),  # paragraphs
    re.compile(r"(?<=\n)(?!\n)"),  # lines (list items, verses)
    re.compile(r"(?<=[.!?…؟])(?=\s)|(?<=[。！？])"),  # sentences, Latin/Arabic-script and CJK
    re.compile(r"(?<=\s)(?=\S)"),  # words
)
_UNCUTTABLE = re.compile(r"^(?:https?://|www\.|@|#|＃)", re.IGNORECASE)


def split_to_fit(text: str, fits: Fits) -> list[str]:
    """Parts of `text`, each fitting where possible, in order; concatenated they hold every word."""
    text = text.strip()
    if not text:
        return []
    return _pack(text, fits, 0)


def _pack(text: str, fits: Fits, level: int) -> list[str]:
    """Greedy packing of this level's pieces; a piece too long alone is packed one level finer."""
    if fits(text.strip()):
        return [text.strip()]
    if level == len(_LEVELS):
        return _cut(text.strip(), fits)
    pieces = [piece for piece in _LEVELS[level].split(text) if piece]
    parts: list[str] = []
    carry = ""  # the start of the part being filled (the tail of a finer split)
    start = 0
    while start < len(pieces):
        taken = _longest_fitting(carry, pieces, start, fits)
        if taken == 0 and carry.strip():
            parts.append(carry.strip())
            carry = ""
        elif taken == 0:
            smaller = _pack(pieces[start], fits, level + 1)
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


def _longest_fitting(carry: str, pieces: list[str], start: int, fits: Fits) -> int:
    """How many pieces from `start` still fit after `carry`: galloping then binary search.

    Counting is monotonic in practice (more text never counts less), so this asks `fits` about
    log2(n) times instead of once per piece: exact counters are the cost of splitting.
    """

    def ok(count: int) -> bool:
        return fits((carry + "".join(pieces[start : start + count])).strip())

    available = len(pieces) - start
    good, step = 0, 1
    while good < available:
        trial = min(good + step, available)
        if not ok(trial):
            bad = trial
            break
        good, step = trial, step * 2
    else:
        return good
    while bad - good > 1:
        middle = (good + bad) // 2
        if ok(middle):
            good = middle
        else:
            bad = middle
    return good


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
