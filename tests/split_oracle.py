# A frozen copy of postwright/split.py at b175b82 (main before issue 22's splitter work): the oracle that
# tests/test_split_oracle.py compares the splitter with. Never import it from postwright; never edit it.
# ruff: noqa
"""Splitting a long text into thread parts that each fit a platform's count.

Splits at paragraph, then line, then sentence (in every script), then word boundaries; a word is only
cut (at a grapheme boundary) when it alone is too long and is not a URL, a mention or a hashtag, which
are never cut: such a part stays too long and validation reports it.

The text is cut into tokens once (a word with the whitespace before it; a CJK sentence ends one too);
each level's pieces are runs of tokens, so no level splits a string again and one table of running counts
serves them all. A level's boundary within whitespace moves to the whitespace's end: a part is stripped,
so that changes no part.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex

from postwright.syntax import HASH_SIGNS

Fits = Callable[[str], bool]
# (start, end) spans of a text that no part boundary may fall inside: markup, such as Telegram's HTML tags
Unbreakable = Callable[[str], Sequence[tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class Budget:
    """An additive estimate of a platform's counts, to guess where a part ends before asking `fits`.

    Counts are additive across whitespace in practice (no URL, emoji or grapheme spans a space), so a
    guess from summed token counts is usually exact and `fits` confirms it with two calls, not a search.
    """

    counts: tuple[Callable[[str], int], ...]  # each measure's count of a word: asked for each, so cached
    limits: tuple[int, ...]  # what a whole part may count, per measure


class PieceCounts(dict[str, int]):
    """A count remembered per piece, for Budget.counts: a dict's own lookup is the cheapest cache to map()."""

    def __init__(self, count: Callable[[str], int], most: int = 65536) -> None:
        super().__init__()
        self.count, self.most = count, most

    def __missing__(self, piece: str) -> int:
        if len(self) >= self.most:  # a bound, not an eviction policy: words repeat, so it rarely fills
            self.clear()
        value = self[piece] = self.count(piece)
        return value


# A word and the whitespace before it; a CJK full stop ends its token even with no space after it (the
# second pattern, a third slower, is only needed where there is one). Whitespace leads, so a word is
# counted as it stands in a part: the counters remember what they found around a URL by its text, the
# separator before it included.
_TOKENS = re.compile(r"\s*\S+"), re.compile(r"\s*(?:[^\s。！？]+[。！？]?|[。！？])")
_CJK_STOPS = "。！？"
# Where a paragraph, line and sentence begin: each match ends in the token that starts one.
_PARAGRAPHS = re.compile(r"\n\n")  # after a blank line
_LINES = re.compile(r"\n")  # list items, verses
# A sentence ends at a Sentence_Terminal (Unicode's list for every script: . ! ? ؟ ۔ । ॥ ։ ። ။ ។ …) or an
# ellipsis before whitespace; at a Greek question mark (";", U+037E before NFC) after a Greek letter; at
# a CJK stop even with no space after it; and Thai, which writes no space between words, puts one between
# sentences. ASCII text, most posts, needs only the first pattern (its terminals are . ! ?).
_ASCII_SENTENCES = re.compile(r"[.!?](?=\s)")
_SENTENCES = tuple(
    regex.compile(
        r"[…\p{Sentence_Terminal}](?=\s)|(?<=\p{Greek}\p{M}*)[;\u037e](?=\s)|(?<=\p{Thai})(?=\s)" + cjk
    )
    for cjk in ("", "|[。！？]")
)
_UNCUTTABLE = re.compile(rf"^(?:https?://|www\.|@|[{HASH_SIGNS}])", re.IGNORECASE)  # links, mentions, tags


def split_to_fit(
    text: str, fits: Fits, budget: Budget | None = None, unbreakable: Unbreakable | None = None
) -> list[str]:
    """Parts of `text`, each fitting where possible, in order; concatenated they hold every word.

    `fits` decides; `budget`, where given, only makes the search cheaper (the parts are the same).
    `unbreakable` gives the spans of the (stripped) text that stay whole in one part, like a word.
    """
    text = text.strip()
    if not text:
        return []
    if fits(text):
        return [text]
    return _Packer(text, fits, budget, unbreakable(text) if unbreakable else ()).balanced()


class _Packer:
    """One text's tokens, where each level's pieces start, and running counts: made once per text.

    A part runs from a character where a word (or a cut word's piece) starts to the end of a token, so
    it needs no stripping: whitespace between tokens always leads the later one.
    """

    def __init__(
        self, text: str, fits: Fits, budget: Budget | None, unbreakable: Sequence[tuple[int, int]] = ()
    ) -> None:
        self.text, self.fits, self.budget = text, fits, budget
        cjk = any(stop in text for stop in _CJK_STOPS)
        tokens = _TOKENS[cjk].findall(text)
        self.starts = list(itertools.accumulate(map(len, tokens), initial=0))  # and the text's end
        self.unbreakable = sorted(unbreakable)
        if self.unbreakable:  # a token holding part of a span takes the rest of it: tokens join
            self.starts = [at for at in self.starts if not self.inside(at)]
            tokens = [text[start:end] for start, end in itertools.pairwise(self.starts)]
        self.bounds = _bounds(text, self.starts, cjk)
        self.sums = _sums(tokens, budget) if budget is not None else []
        self.done: list[str] = []

    def parts(self) -> list[str]:
        """The whole text packed greedily (its caller knows it does not fit as one part)."""
        self.done.append(self.text[self.pack(0, len(self.starts) - 1, 0) :])
        return self.done

    def balanced(self) -> list[str]:
        """The greedy parts, except that a tail (a last part under a quarter of the one before it: greedy
        packing fills every other part, so that part stands for the limit in the text's own units) takes
        more of the text before it. The break moves to the coarsest level (paragraph, line, sentence, word)
        that leaves neither part a tail, as evenly as that level allows and only where both still fit. A
        tail that is its own paragraph or line (a sign-off, a list's last item) is the writer's: it stays.
        """
        parts = self.parts()
        if len(parts) < 2 or not _tail(parts[-1], parts[-2]):
            return parts
        text, starts = self.text, self.starts
        tail_start = len(text) - len(parts[-1])
        before_start = len(text[:tail_start].rstrip()) - len(parts[-2])
        tail_token = bisect.bisect_right(starts, tail_start) - 1
        if self.word(tail_token) != tail_start or _holds(self.bounds[1], tail_token):
            return parts  # the tail is a cut word's end, or starts its own line or paragraph
        first_token = bisect.bisect_right(starts, before_start)  # the first that can start the tail
        for bounds in self.bounds:
            candidates = bounds[
                bisect.bisect_left(bounds, first_token) : bisect.bisect_left(bounds, tail_token)
            ]
            moved = self.even_break(candidates, before_start)
            if moved is not None:
                return [*parts[:-2], *moved]
        return parts

    def even_break(self, candidates: Sequence[int], before_start: int) -> tuple[str, str] | None:
        """The last two parts broken at the candidate token that makes them most even, where the later
        still fits and neither is a tail; None where no candidate does."""
        text, starts, fits = self.text, self.starts, self.fits
        # the tail grows as its start moves back: find the earliest candidate at which it still fits
        good, bad = len(candidates), -1  # fits (the greedy tail does), and does not fit
        while good - bad > 1:
            middle = (good + bad) // 2
            if fits(text[self.word(candidates[middle]) :]):
                good = middle
            else:
                bad = middle
        if good == len(candidates):
            return None
        end = len(text)
        best = min(
            candidates[good:],
            key=lambda token: max(starts[token] - before_start, end - self.word(token)),
        )
        before, tail = text[before_start : starts[best]], text[self.word(best) :]
        if _tail(tail, before) or _tail(before, tail) or not fits(before):
            return None
        return before, tail

    def word(self, token: int) -> int:
        """Where the word of `token` starts, after its whitespace."""
        end = self.starts[token + 1]
        return end - len(self.text[self.starts[token] : end].lstrip())

    def pack(self, low: int, high: int, level: int) -> int:
        """Greedy packing of this level's pieces in tokens low..high, which together do not fit; a piece
        too long alone is packed one level finer. Emits every part but the last, and returns where that
        one starts: the caller's carry, which the following pieces may join."""
        if level == len(self.bounds):
            return self.cut(low)
        bounds, starts = self.bounds[level], self.starts
        piece, last = bisect.bisect_left(bounds, low), bisect.bisect_left(bounds, high)
        if last - piece == 1:  # one paragraph that is one line, one sentence: nothing to pack at this level
            return self.pack(low, high, level + 1)
        carry: int | None = None  # where the part being filled starts (the tail of a finer split)
        while piece < last:
            start = self.word(bounds[piece]) if carry is None else carry
            taken = self.longest_fitting(start, bounds, piece, last)
            if taken == 0 and carry is not None:
                self.done.append(self.text[carry : starts[bounds[piece]]])
                carry = None
            elif taken == 0:
                carry = self.pack(bounds[piece], bounds[piece + 1], level + 1)
                piece += 1
            else:
                carry = start
                piece += taken
                if piece < last:
                    self.done.append(self.text[carry : starts[bounds[piece]]])
                    carry = None
        assert carry is not None  # the last piece always leaves one
        return carry

    def longest_fitting(self, start: int, bounds: Sequence[int], piece: int, last: int) -> int:
        """How many pieces from `piece` still fit after the part's `start`: the budget's guess confirmed
        by `fits`, else galloping then binary search.

        Counting is monotonic in practice (more text never counts less), so this asks `fits` about
        log2(n) times instead of once per piece: exact counters are the cost of splitting.
        """
        text, starts, fits = self.text, self.starts, self.fits

        def ok(count: int) -> bool:
            return fits(text[start : starts[bounds[piece + count]]])

        available = last - piece
        good, step = 0, 1
        if self.budget is not None:
            guess = self.guess(self.budget, start, bounds, piece, last)
            if guess and not ok(guess):
                return _bisect(ok, 0, guess)
            if guess == available or not ok(guess + 1):
                return guess
            good = guess + 1
        while good < available:
            trial = min(good + step, available)
            if not ok(trial):
                return _bisect(ok, good, trial)
            good, step = trial, step * 2
        return good

    def guess(self, budget: Budget, start: int, bounds: Sequence[int], piece: int, last: int) -> int:
        """How many pieces from `piece` fit in a part from `start` by summed token counts: those of the
        rest of the token `start` is in, then whole tokens."""
        token = bisect.bisect_right(self.starts, start)  # the first whole token
        first = self.text[start : self.starts[token]]
        end = last + 1  # the measures' least
        for totals, count, limit in zip(self.sums, budget.counts, budget.limits, strict=True):
            room = limit - count(first) + totals[token]
            end = bisect.bisect_right(bounds, room, piece + 1, end, key=totals.__getitem__)
        return end - piece - 1

    def inside(self, at: int) -> bool:
        """Whether a boundary at `at` would fall inside an unbreakable span."""
        index = bisect.bisect_right(self.unbreakable, (at, at)) - 1  # the last span starting before `at`
        return index >= 0 and self.unbreakable[index][0] < at < self.unbreakable[index][1]

    def cut(self, token: int) -> int:
        """A single over-long word: cut between graphemes, unless cutting would break a link or tag;
        an unbreakable span is never cut. Returns where its last piece starts."""
        start, text = self.word(token), self.text
        word = text[start : self.starts[token + 1]]
        if _UNCUTTABLE.match(word):
            return start
        units: list[list[int]] = []  # [start, end] of each grapheme, or of a span with those it holds
        for grapheme in regex.finditer(r"\X", word):
            at, end = start + grapheme.start(), start + grapheme.end()
            if units and self.inside(at):
                units[-1][1] = end
            else:
                units.append([at, end])
        chunk = start  # where the current piece starts
        for at, end in units:
            if at > chunk and not self.fits(text[chunk:end]):
                self.done.append(text[chunk:at])
                chunk = at
        return chunk


def _tail(part: str, before: str) -> bool:
    """Whether `part` is a tail next to `before`: under a quarter of its length."""
    return 4 * len(part) < len(before)


def _holds(bounds: Sequence[int], token: int) -> bool:
    """Whether a sorted level's bounds include `token`."""
    at = bisect.bisect_left(bounds, token)
    return at < len(bounds) and bounds[at] == token


def _bisect(ok: Callable[[int], bool], good: int, bad: int) -> int:
    """The largest count in [good, bad) that is ok, given ok(good) (or good == 0) and not ok(bad)."""
    while bad - good > 1:
        middle = (good + bad) // 2
        if ok(middle):
            good = middle
        else:
            bad = middle
    return good


def _bounds(text: str, starts: list[int], cjk: bool) -> list[Sequence[int]]:
    """Per level, the tokens where its pieces start, and the end: each level's include the coarser ones'."""
    tokens = len(starts) - 1
    found: set[int] = {0, tokens}
    levels: list[Sequence[int]] = []
    sentences = _ASCII_SENTENCES if text.isascii() else _SENTENCES[cjk]
    for breaks in (_PARAGRAPHS, _LINES, sentences):
        found.update(bisect.bisect_right(starts, match.end()) - 1 for match in breaks.finditer(text))
        levels.append(sorted(found))
    return [*levels, range(tokens + 1)]  # every token starts a word


def _sums(tokens: list[str], budget: Budget) -> list[list[int]]:
    """Running totals of the tokens' counts per measure, so a guess is a binary search, not a loop."""
    return [list(itertools.accumulate(map(count, tokens), initial=0)) for count in budget.counts]
