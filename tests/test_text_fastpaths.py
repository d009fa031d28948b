"""The counters' fast paths give exactly what the plain computation gives.

postwright.text takes shortcuts where a count is provably the same (ASCII stretches in grapheme counting,
URL regexes only near the characters every URL contains). Each shortcut is compared here with the plain
computation on random text built from pieces that stress the rules: URLs with and without protocol,
mentions, hashtags, emoji sequences, flags, combining marks, Hangul, Indic conjuncts, CJK, RTL text, bidi
marks, Unicode spaces, CR LF and other controls.
"""

from __future__ import annotations

import random
import re
import re._constants as C
import re._parser as P
from collections.abc import Iterator
from typing import Any

import pytest
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
    # dots before no TLD of the lists, TLDs in other cases, characters `re` folds onto ASCII letters
    "bench.example/3391",
    "https://bench.example/x?utm_source=x",
    "e.g.",
    "v1.2",
    "EXAMPLE.COM",
    "Example.Co.Uk/A",
    "https://A.INFO/x",
    "a.XN--p1ai",
    "x.community",
    "\u212a",  # KELVIN SIGN, k to `re` ignoring case
    "\u017f",  # LONG S, s to `re`
    "\u0131",  # DOTLESS I, i to `re`
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


# --- URL windows: the premises, checked on the compiled patterns -------------------------------------

_SEPARATORS = " \t\n\r\x0b\x0c"


def _url_patterns() -> dict[str, tuple[re.Pattern[str], int | str]]:
    """Each URL regex postwright.text scans in windows, with the group that holds the URL."""
    extract_url = text._tt_import("regexp.extract_url").extract_url  # as postwright.text imports it

    return {"x": (extract_url, 3), "mastodon": (text._mastodon_regexes().url, "url")}


def _class_accepts(items: list[tuple[Any, Any]], char: str, ignore_case: bool) -> bool:
    """Whether a parsed character class ([...]) accepts `char`."""
    variants = {char, char.lower(), char.upper()} if ignore_case else {char}
    negate = bool(items) and items[0][0] is C.NEGATE
    hit = False
    for op, value in items[1:] if negate else items:
        if op is C.LITERAL:
            hit = chr(value) in variants
        elif op is C.RANGE:
            hit = any(value[0] <= ord(v) <= value[1] for v in variants)
        elif op is C.CATEGORY:
            escape = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s"}
            escape |= {C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}
            hit = re.fullmatch(escape[value], char) is not None
        else:
            raise AssertionError(f"unexpected class item {op}")
        if hit:
            break
    return hit != negate


def _consumers(tree: Any, in_assert: bool = False) -> Iterator[tuple[Any, Any, bool]]:
    """(opcode, argument, inside a look-around) of every node of a parsed pattern, depth first."""
    for op, value in tree:
        yield op, value, in_assert
        if op is C.SUBPATTERN:
            yield from _consumers(value[3], in_assert)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            yield from _consumers(value[2], in_assert)
        elif op is C.BRANCH:
            for branch in value[1]:
                yield from _consumers(branch, in_assert)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            yield from _consumers(value[1], True)
        elif op is C.ATOMIC_GROUP:
            yield from _consumers(value, in_assert)


def _group(tree: Any, group: int) -> Any:
    for op, value, _ in _consumers(tree):
        if op is C.SUBPATTERN and value[0] == group:
            return value[3]
    raise AssertionError(f"group {group} not found")


@pytest.mark.parametrize("name", ["x", "mastodon"])
def test_url_regexes_never_cross_a_separator(name: str) -> None:
    """_url_windows' premises: (1) nothing the URL group consumes is a separator; (2) `^` only in the
    preceding-character part, `$` only in a one-character look-ahead whose other branch takes every
    separator; (3) no back-references or look-behinds, which would see past a window."""
    pattern, group = _url_patterns()[name]
    ignore_case = bool(pattern.flags & re.IGNORECASE)
    tree = P.parse(pattern.pattern, pattern.flags)
    number = pattern.groupindex[group] if isinstance(group, str) else group
    url = _group(tree, number)
    for op, value, in_assert in _consumers(url):
        if in_assert:
            continue
        for separator in _SEPARATORS:
            if op is C.LITERAL:
                assert chr(value) != separator
            elif op is C.IN:
                assert not _class_accepts(value, separator, ignore_case), (op, value[:5])
            else:
                assert op not in (C.ANY, C.NOT_LITERAL), op
    for op, value, _ in _consumers(tree):
        assert op not in (C.GROUPREF, C.GROUPREF_EXISTS, C.ASSERT_NOT), op
        if op is C.ASSERT:
            direction, inner = value
            assert direction == 1, "a look-behind"
            [(branch_op, (_, branches))] = list(inner)
            assert branch_op is C.BRANCH
            [[(class_op, items)], [(at_op, at)]] = branches
            assert (class_op, at_op, at) == (C.IN, C.AT, C.AT_END)
            assert all(_class_accepts(items, s, ignore_case) for s in _SEPARATORS)
    ends = [value for op, value, _ in _consumers(url) if op is C.AT]
    assert set(ends) == {C.AT_END}
    starts = [value for op, value, _ in _consumers(tree) if op is C.AT and value is not C.AT_END]
    assert starts == [C.AT_BEGINNING]


def test_x_urls_in_windows_match_the_library() -> None:
    urls = text._tt().urls
    for sample in random_texts(2, 3000):
        sample = text.normalize(sample)
        expected = [(u["indices"][0], u["indices"][1]) for u in urls(sample)]
        assert text._x_urls(sample) == expected, repr(sample)


def test_tld_prefilter_premises() -> None:
    """_may_hold_domain compares lower-cased ASCII with the lists' ASCII TLDs: `re` matches an ASCII letter
    ignoring case only to its two ASCII cases and to no character of a non-ASCII TLD, and every TLD of
    the lists is a plain name (no regex syntax), so the set holds what the alternation matches."""
    names, lengths = text._ascii_tlds()
    assert {"com", "info", "co", "uk", "xn--"} <= names and "example" not in names and lengths
    ascii_chars = [chr(code) for code in range(128)]
    for char in ascii_chars:
        folded = re.compile(re.escape(char), re.IGNORECASE)
        assert {c for c in ascii_chars if folded.fullmatch(c)} == {char.lower(), char.upper()}
    for module in ("valid_gtld", "valid_cctld"):
        source = getattr(text._tt_import(f"regexp.{module}"), module).pattern
        found = text._TLD_ALTERNATION.fullmatch(source)
        assert found is not None
        listed = found.group("names").split("|")
        assert all(re.escape(name) == name or not name.isascii() for name in listed)
        foreign = "".join(sorted({char for name in listed for char in name if not char.isascii()}))
        assert not re.search(f"[{re.escape(foreign)}]", "".join(ascii_chars), re.IGNORECASE)


def test_tld_prefilter_rules_out_only_windows_without_urls() -> None:
    urls = text._tt().urls
    for sample in random_texts(6, 3000):
        if not text._may_hold_domain(sample):
            assert urls(sample) == [], repr(sample)
            assert not [m for m in text._mastodon_regexes().url.finditer(sample) if m.group("protocol")]


def test_mastodon_urls_in_windows_match_a_whole_text_scan() -> None:
    rx = text._mastodon_regexes()
    for sample in random_texts(3, 3000):
        whole = [m.span("url") for m in rx.url.finditer(sample) if m.group("protocol")]
        windowed = [
            m.span("url")
            for start, end in text._url_windows(sample, text._PROTOCOL)
            for m in rx.url.finditer(sample, start, end)
            if m.group("protocol")
        ]
        assert windowed == whole, repr(sample)


def test_x_weighted_length_matches_x_parse_on_random_text() -> None:
    for sample in random_texts(4, 2000):
        expected = text.x_parse(sample).weighted_length
        assert text.x_weighted_length.__wrapped__(sample) == expected, repr(sample)


def test_mastodon_length_matches_the_unwindowed_count() -> None:
    """mastodon_length against a count built from a whole-text scan of the same regexes."""
    rx = text._mastodon_regexes()

    def plain_urls(sample: str) -> list[tuple[int, int]]:
        spans = []
        for m in rx.url.finditer(sample):
            if m.group("protocol") is None:
                continue
            start, end = m.span("url")
            url = m.group("url")
            tco = rx.tco.match(url)
            if tco:
                if tco.group(1) and len(tco.group(1)) > 40:
                    continue
                end = start + len(tco.group(0))
            ascii_domain = text._tt().idna_to_ascii(m.group("domain"))
            if ascii_domain and len(url) + max(0, len(ascii_domain) - len(m.group("domain"))) <= 4096:
                spans.append((start, end))
        return spans

    for sample in random_texts(5, 3000):
        assert text._mastodon_urls(sample) == plain_urls(sample), repr(sample)


def test_bluesky_facets_prefilters_drop_no_facet(monkeypatch: pytest.MonkeyPatch) -> None:
    """bluesky_facets skips a pattern where the text lacks what each of its matches holds; with every
    prefilter answering "maybe" the facets are the same."""
    samples = [*random_texts(6, 3000), "$TSLA and @jane.bsky.social at HTTPS://x", "see bsky.app", "#a"]
    fast = [text.bluesky_facets(sample) for sample in samples]
    always = re.compile("")
    for name in ("_BSKY_MAY_MENTION", "_BSKY_MAY_LINK", "_BSKY_MAY_TAG", "_BSKY_MAY_CASHTAG"):
        monkeypatch.setattr(text, name, always)
    assert [text.bluesky_facets(sample) for sample in samples] == fast
    assert sum(1 for facets in fast if facets) > 1000


def test_no_ascii_text_holds_an_x_emoji() -> None:
    """x_weighted_length looks for emoji only in non-ASCII text: no emoji of twitter-text's table is ASCII
    alone, and the prefilter that finds where one can start finds nothing in ASCII."""
    table = text._tt_import("regexp.emoji")  # as postwright.text imports it

    assert not [entry.emoji for entry in table.emoji_list if entry.emoji.isascii()]
    ascii_chars = "".join(map(chr, range(128)))
    assert not text._X_EMOJI_START.search(ascii_chars + ascii_chars[::-1])
    assert not text._tt().emoji.search(ascii_chars)


def test_x_url_precheck_is_the_pattern_it_replaced() -> None:
    """_x_may_hold_url answers as re.search(r"[A-Za-z0-9]\\.[A-Za-z]|://") does, on ASCII text."""
    pattern = re.compile(r"[A-Za-z0-9]\.[A-Za-z]|://")
    rng = random.Random(7)
    alphabet = "aZ09.:/ -_\n"
    for _ in range(20000):
        sample = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert text._x_may_hold_url(sample) == bool(pattern.search(sample)), repr(sample)


LOADED_PARTS = """
import sys
from postwright import text
text.x_weighted_length(sys.argv[1])
print(sorted({m.split(".")[-1] for m in sys.modules if m.startswith("twitter_text.")} & {"config",
      "extract_urls", "emoji"}), "twitter_text" in sys.modules)
"""


@pytest.mark.parametrize(
    ("sample", "loaded"),
    [
        ("Kites — all day, all weekend.", ["config"]),  # no URL, no emoji: the weights alone
        ("Kites at example.com — all day.", ["config", "extract_urls"]),
        ("Kites 🪁 at example.com", ["config", "emoji", "extract_urls"]),
    ],
)
def test_x_counting_loads_only_the_library_parts_a_text_needs(sample: str, loaded: list[str]) -> None:
    """twitter-text's full import compiles its TLD and emoji regexes (~0.45 s): a command counting prose
    for X pays for none of it, and the package's own __init__ never runs (nor is left half-made)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", LOADED_PARTS, sample], capture_output=True, text=True, check=True
    )
    assert result.stdout.split("\n")[0] == f"{loaded} False"
    assert text.x_weighted_length(sample) == text.x_parse(sample).weighted_length


def test_the_library_parts_load_in_any_order() -> None:
    """Parts loaded one by one are the library's own modules, whatever loaded first."""
    import subprocess
    import sys

    code = (
        "import sys; from postwright import text; text.x_weighted_length('at example.com'); tt = text._tt(); "
        "assert sys.modules['twitter_text.extract_urls'].extract_urls_with_indices is tt.urls; "
        "s = '🪁 at example.com'; print(text.x_weighted_length(s), text.x_parse(s).weighted_length)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["29", "29"]  # 2 + 4 + 23
