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
    if fits(text.strip()):
        return [text.strip()]
    if level == len(_LEVELS):
        return _cut(text.strip(), fits)
    parts: list[str] = []
    current = ""
    for piece in (p for p in _LEVELS[level].split(text) if p):
        if fits((current + piece).strip()):
            current += piece
            continue
        if current.strip():
            parts.append(current.strip())
        if fits(piece.strip()):
            current = piece
            continue
        smaller = _pack(piece, fits, level + 1)
        parts += smaller[:-1]
        current = smaller[-1] + piece[len(piece.rstrip()) :]
    if current.strip():
        parts.append(current.strip())
    return parts


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
