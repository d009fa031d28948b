"""split_to_fit against a plain definition of its packing.

The splitter guesses with a Budget, gallops and bisects; none of that may change a part. The reference
below packs one piece at a time with no shortcut: the greedy packing split_to_fit promises, where counts
grow with the text.
"""

from __future__ import annotations

import random

import pytest

from postwright.platforms import PLATFORMS
from postwright.split import _LEVELS, Budget, _cut, split_to_fit

WORDS = [
    "kite",
    "wind",
    "ветер",
    "باد",
    "風",
    "。",
    "🪁",
    "👩‍👩‍👧",
    "https://example.com/a/long/path?q=1",
    "example.org",
    "@jane@example.social",
    "#KiteLife",
    "x" * 90,
    "end.",
    "why?",
    "\n\n",
    "\n",
    "é",
]


def reference(text: str, fits) -> list[str]:
    """Greedy packing, one piece at a time, paragraph → line → sentence → word → grapheme."""

    def pack(text: str, level: int) -> list[str]:
        if fits(text.strip()):
            return [text.strip()]
        if level == len(_LEVELS):
            return _cut(text.strip(), fits)
        pieces = [piece for piece in _LEVELS[level].split(text) if piece]
        parts: list[str] = []
        carry = ""
        for piece in pieces:
            if fits((carry + piece).strip()):
                carry += piece
            elif carry.strip():
                parts.append(carry.strip())
                carry = piece
                if not fits(piece.strip()):
                    smaller = pack(piece, level + 1)
                    parts += smaller[:-1]
                    carry = smaller[-1] + piece[len(piece.rstrip()) :]
            else:
                smaller = pack(piece, level + 1)
                parts += smaller[:-1]
                carry = smaller[-1] + piece[len(piece.rstrip()) :]
        if carry.strip():
            parts.append(carry.strip())
        return parts

    text = text.strip()
    return pack(text, 0) if text else []


def texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 300))) for _ in range(count)]


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_split_to_fit_packs_like_the_plain_greedy_reference(name: str) -> None:
    measures = PLATFORMS[name].limits.measures

    def fits(part: str) -> bool:
        return all(measure.count(part + "\n9/9") <= measure.limit for measure in measures)

    budget = Budget(
        lambda piece: tuple(m.count(piece) for m in measures), tuple(m.limit - 4 for m in measures)
    )
    for text in texts(11, 25):
        expected = reference(text, fits)
        assert split_to_fit(text, fits) == expected, text
        assert split_to_fit(text, fits, budget) == expected, text


def test_word_pieces_are_the_word_level_split() -> None:
    from postwright.split import _WORDS

    samples = [*texts(13, 200), "", " ", "  a", "a  ", "\n\na b\u3000c\xa0d\u2003 e\n", "\t x\ty \n"]
    for text in samples:
        assert _WORDS.findall(text) == [piece for piece in _LEVELS[-1].split(text) if piece], repr(text)


def test_the_budget_only_speeds_splitting_up_the_parts_are_the_same():
    """split_to_fit with an additive Budget gives exactly the parts of the plain search, on every platform,
    for text mixing scripts, emoji, URLs, mentions and over-long words."""
    rng = random.Random(3)
    for name, platform in PLATFORMS.items():
        measures = platform.limits.measures
        for _ in range(12):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 400)))

            def fits(part, measures=measures):
                return all(measure.count(part) <= measure.limit for measure in measures)

            budget = Budget(
                lambda piece, m=measures: tuple(x.count(piece) for x in m), tuple(x.limit for x in measures)
            )
            assert split_to_fit(text, fits, budget) == split_to_fit(text, fits), (name, text)
