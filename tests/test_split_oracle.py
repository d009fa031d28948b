"""The splitter against a frozen copy of itself from before its speed work (tests/split_oracle.py).

A faster splitter must decide exactly as the old one did. The strongest form of that is checked here: on
thousands of random texts it asks `fits` the same questions in the same order (so its parts are the same
whatever `fits` answers), for the limits of X, Bluesky, Mastodon and Threads, scaled down too so that the
line, sentence, word and grapheme levels are reached, with and without a Budget, and with spans that may
not be broken. A `fits` that answers at random shows the same holds where counts are not monotonic.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from postwright import split
from postwright.platforms import PLATFORMS
from tests import split_oracle

WORDS = [
    *["kite", "wind", "flies", "over", "the", "bay", "weekend.", "why?", "wow!", "so…", "3.14", "a.b"],
    *["end.", "ветер.", "שלום", "עולם.", "مرحبا", "لماذا؟", "کیوں۔", "风筝", "風。風", "。", "！"],
    *["テスト？", "한국어"],
    *["नमस्ते।", "दुनिया॥", "τι;", "καλά", "สวัสดี", "ครับ", "Ի՞նչ։", "ሰላም።", "é", "e\u0301", "٣.١٤"],
    *["🪁", "👩‍👩‍👧", "🏳️‍🌈", "👍🏽", "🇫🇷", "🪁🪁🪁", "…", ".", "- item", "1."],
    *["https://example.com/a/long/path?q=1&utm_source=x", "example.org", "www.example.com/x", "t.co/abc"],
    *["@jane@example.social", "@bob", "@bob.bsky.social", "#KiteLife", "＃タグ", "#風", "$KITE"],
    *["x" * 90, "y" * 400, "長" * 200, "🪁" * 120, "https://example.com/" + "p" * 300],
]
SPACES = [" ", " ", " ", " ", " ", "\n", "\n\n", "\n\n\n", "  ", " \n\n ", " \n ", "\t", "\u3000", "\xa0"]
SPACES += ["\r\n", "", "\x1c", "\x85", "\u2028"]  # re and regex disagree on \x1c being a space
MARKUP = re.compile(r"<b>[^<]*</b>|&\w+;")


def random_texts(seed: int, count: int, most: int = 80) -> list[str]:
    """Prose-like texts of random words and separators, some with markup that may not be broken."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, most))]
        if rng.random() < 0.2:
            words = [f"<b>{word} {word}</b>" if rng.random() < 0.1 else word for word in words]
        made.append("".join(word + rng.choice(SPACES) for word in words))
    return made


def asked(module, text: str, fits: Callable[[str], bool], budget, unbreakable) -> tuple[list[str], list]:
    """The parts and every question put to `fits`, in order."""
    questions: list[str] = []

    def recording(part: str) -> bool:
        questions.append(part)
        return fits(part)

    made_budget = budget and module.Budget(budget.counts, budget.limits)
    return module.split_to_fit(text, recording, made_budget, unbreakable), questions


def judge(name: str, scale: float) -> tuple[Callable[[str], bool], split.Budget]:
    """A platform's fits with room for a part number, like render's, and its Budget."""
    measures = PLATFORMS[name].limits.measures
    limits = [max(8, int(measure.limit * scale)) for measure in measures]
    label = "\n99/99"

    def fits(part: str) -> bool:
        return all(m.count(part + label) <= limit for m, limit in zip(measures, limits, strict=True))

    counts = tuple(split.PieceCounts(m.count).__getitem__ for m in measures)
    rooms = tuple(limit - m.count(label) for m, limit in zip(measures, limits, strict=True))
    return fits, split.Budget(counts, rooms)


def spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in MARKUP.finditer(text)]


@pytest.mark.parametrize(("seed", "name"), list(enumerate(["x", "bluesky", "mastodon", "threads"])))
@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_the_splitter_asks_what_the_old_one_asked(seed: int, name: str, scale: float) -> None:
    fits, budget = judge(name, scale)
    for index, text in enumerate(random_texts(seed, 300)):
        with_budget = budget if index % 4 else None
        unbreakable = spans if "<b>" in text else None
        expected = asked(split_oracle, text, fits, with_budget, unbreakable)
        assert asked(split, text, fits, with_budget, unbreakable) == expected, text


def test_the_splitter_asks_what_the_old_one_asked_of_an_erratic_fits() -> None:
    """Same questions even where `fits` is not monotonic: the decisions depend on its answers alone."""
    _, budget = judge("x", 0.3)
    for seed, text in enumerate(random_texts(7, 300)):

        def erratic(part: str, seed: int = seed) -> bool:
            return random.Random(f"{seed}:{part}").random() < 0.6

        expected = asked(split_oracle, text, erratic, budget, None)
        assert asked(split, text, erratic, budget, None) == expected, text
