"""The counters' fast paths give exactly what the plain computation gives.

postwright.text takes shortcuts where a count is provably the same (ASCII stretches in grapheme counting,
URL regexes only near the characters every URL contains). Each shortcut is compared here with the plain
computation on random text built from pieces that stress the rules: URLs with and without protocol,
mentions, hashtags, emoji sequences, flags, combining marks, Hangul, Indic conjuncts, CJK, RTL text, bidi
marks, Unicode spaces, CR LF and other controls.
"""

from __future__ import annotations

import random

import regex

from postwright import text

ATOMS = [
    # ASCII words, punctuation and spacing
    "kite",
    "Wind",
    "a",
    "wind.",
    "e.g.",
    "3.5",
    ",",
    "(",
    ")",
    "/",
    ":",
    "-",
    "_",
    "'",
    '"',
    "!",
    "?",
    " ",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\x00",
    "\x1c",
    "\x7f",
    # URLs, domains, mentions, tags
    "https://example.com",
    "https://example.com/path?q=1&utm_source=x",
    "http://t.co/abc123",
    "https://t.co/" + "a" * 45,
    "example.com",
    "www.example.org/a_(b)",
    "sub.domain.co.uk",
    "://",
    "https://",
    "gopher://old.example.net",
    "ipfs://bafy.example",
    "dat://x.example.com/y",
    "https://xn--fsq.com",
    "https://例子.测试/路径",
    "http://тест.рф",
    "https://example.com:8080/x",
    "a.b",
    "x.co",
    "foo@bar.com",
    "@jane",
    "@jane@mastodon.social",
    "@@x",
    "＠jane",
    "#tag",
    "#Kites",
    "＃タグ",
    "$TSLA",
    "www.",
    ".com",
    "https://example.com/" + "p" * 40,
    # emoji and grapheme-rule material
    "🪁",
    "👨‍👩‍👧‍👦",
    "🙋🏽",
    "🇮🇷",
    "🇩",
    "🇪",
    "1️⃣",
    "#️⃣",
    "©",
    "☺️",
    "\u200d",
    "\ufe0f",
    "\u0301",
    "e\u0301",
    "\u0903",
    "\u0600",
    "\u0d4e",
    "नमस्ते",
    "क्ष",
    "한국어",
    "\u1100\u1161\u11a8",
    "\u1100",
    "\u1161",
    # CJK, RTL, bidi marks and Unicode spaces
    "日本語",
    "。",
    "中文，",
    "سلام",
    "שלום",
    "؟",
    "\u200f",
    "\u202e",
    "\u2066",
    "\u00a0",
    "\u3000",
    "\u2003",
    "\u180e",
    "\u0085",
    "\u2028",
    "—",
    "é",
    "ß",
    "\ufeff",
    "\ufffe",
]


def random_texts(seed: int, count: int, longest: int = 40) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ATOMS) for _ in range(rng.randint(0, longest))) for _ in range(count)]


def test_graphemes_matches_plain_cluster_count() -> None:
    for sample in random_texts(1, 3000):
        assert text.graphemes.__wrapped__(sample) == len(regex.findall(r"\X", sample)), repr(sample)


def test_graphemes_around_ascii_edges() -> None:
    """Every pair and triple of a few edge characters: CR LF split across stretches, marks after ASCII."""
    edge = ["a", "\r", "\n", "\u0301", "\u200d", "\u0600", "🇮", "é", " ", "\x00"]
    for a in edge:
        for b in edge:
            for c in edge:
                for sample in (a + b, a + b + c, "x" + a + b + c + "y", a + "é" + b + "é" + c):
                    expected = len(regex.findall(r"\X", sample))
                    assert text.graphemes.__wrapped__(sample) == expected, repr(sample)
