"""postwright.text against the platforms' own conformance data, read in place, plus our own cases.

The data lives in ../shared/platform-conformance (see its SOURCES.md). twitter-text's README asks that its
YAML be run as-is rather than turned into static tests, so every case is parametrized straight from the files.
Without the folder these tests skip with the reason; under CI (CI=true) they fail instead, because CI always
has it. A case we do not run says so by name, with the reason, in its skip message.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml

from postwright import text as text_module
from postwright.text import (
    _WHITE_SPACE,
    _X_EMOJI_START,
    Count,
    _x_emoji_spans,
    bluesky_facets,
    graphemes,
    mastodon_countable_text,
    mastodon_length,
    mastodon_mentions,
    normalize,
    threads_length,
    url_spans,
    utf8_bytes,
    utf16_units,
    x_config,
    x_parse,
    x_weighted_length,
)

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "platform-conformance"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class Missing:
    path: Path


def _load(rel: str) -> Any:
    path = CONFORMANCE / rel
    if not path.is_file():
        return Missing(path)
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text) if path.suffix == ".yml" else json.loads(text)


def _params(rel: str, pick: Any, ident: Any) -> list[Any]:
    """One pytest.param per case that `pick(data)` yields, or a single Missing placeholder."""
    data = _load(rel)
    if isinstance(data, Missing):
        return [pytest.param(data, id=f"missing-{rel}")]
    return [pytest.param(case, id=ident(case)) for case in pick(data)]


def _short(text: str, n: int = 50) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@pytest.fixture
def case(request: pytest.FixtureRequest) -> Any:
    """The parametrized case, or a skip (a failure under CI) when the conformance data is not there."""
    value = request.param
    if isinstance(value, Missing):
        message = f"conformance data not found: {value.path} (shared/ next to the repository)"
        if IN_CI:
            pytest.fail(f"{message}; CI must have it", pytrace=False)
        pytest.skip(message)
    return value


def _sections(wanted: dict[str, Any]) -> Any:
    def pick(data: Any) -> list[Any]:
        return [(name, option, c) for name, option in wanted.items() for c in data["tests"][name]]

    return pick


# ------------------------------------------------------------------------------------------------------------
# X: twitter-text validate.yml + extract.yml + config-v1/v2/v3.json

VALIDATE = "twitter-text/validate.yml"
EXTRACT = "twitter-text/extract.yml"
# Which config each section runs with: upstream rb/test/conformance_test.rb (SOURCES.md).
WEIGHTED = {
    "WeightedTweetsCounterTest": 2,
    "WeightedTweetsWithDiscountedEmojiCounterTest": 3,
    "UnicodeDirectionalMarkerCounterTest": 3,  # the default config
}
PARSE_FIELDS = {
    "weightedLength": "weighted_length",
    "valid": "valid",
    "permillage": "permillage",
    "validRangeStart": "valid_range_start",
    "validRangeEnd": "valid_range_end",
    "displayRangeStart": "display_range_start",
    "displayRangeEnd": "display_range_end",
}
URL_SECTIONS = ("urls_with_indices", "urls_with_directional_markers", "tco_urls_with_params")
# Sections about single entities (usernames, hashtags, cashtags, replies, strict URL validation), which
# postwright.text does not implement: counting and never splitting a URL need only the URL extraction.
OUT_OF_SCOPE_REASON = (
    "validates or extracts usernames/lists/hashtags/cashtags/replies or checks a single string is a valid "
    "URL (twitter-text isValid*/extractMentions…); postwright.text only counts text and finds URL spans"
)


@pytest.mark.parametrize(
    "case",
    _params(VALIDATE, _sections(WEIGHTED), lambda c: f"{c[0]}:{c[2]['description']}"),
    indirect=True,
)
def test_x_weighted_length(case: Any) -> None:
    _, version, c = case
    result = x_parse(c["text"], version=version)
    got = {key: getattr(result, PARSE_FIELDS[key]) for key in c["expected"]}
    assert got == c["expected"]
    assert x_weighted_length(c["text"], version=version) == c["expected"]["weightedLength"]


@pytest.mark.parametrize(
    "case", _params(VALIDATE, lambda d: d["tests"]["tweets"], lambda c: c["description"]), indirect=True
)
def test_x_legacy_v1_validity(case: Any) -> None:
    assert x_parse(case["text"], version=1).valid is case["expected"]


CONFIGS = [
    param
    for version in (1, 2, 3)
    for param in _params(
        f"twitter-text/config-v{version}.json", lambda d, v=version: [(v, d)], lambda c: f"v{c[0]}"
    )
]


@pytest.mark.parametrize("case", CONFIGS, indirect=True)
def test_x_config_matches_upstream_config(case: Any) -> None:
    version, upstream = case
    ours = x_config(version)
    assert {
        "version": ours.version,
        "maxWeightedTweetLength": ours.max_weighted_tweet_length,
        "scale": ours.scale,
        "defaultWeight": ours.default_weight,
        "transformedURLLength": ours.transformed_url_length,
        "emojiParsingEnabled": ours.emoji_parsing_enabled,
        "ranges": [{"start": s, "end": e, "weight": w} for s, e, w in ours.ranges],
    } == {"emojiParsingEnabled": False, **upstream}  # v1/v2.json predate the key: off


@pytest.mark.parametrize(
    "case", _params(EXTRACT, lambda d: d["tests"]["urls"], lambda c: c["description"]), indirect=True
)
def test_x_url_spans_extract_urls(case: Any) -> None:
    text = case["text"]
    assert [text[s:e] for s, e in url_spans(text)] == case["expected"]


@pytest.mark.parametrize(
    "case",
    _params(
        EXTRACT,
        lambda d: [(name, c) for name in URL_SECTIONS for c in d["tests"][name]],
        lambda c: f"{c[0]}:{c[1]['description']}",
    ),
    indirect=True,
)
def test_x_url_spans_with_indices(case: Any) -> None:
    _, c = case
    text = c["text"]
    spans = url_spans(text)
    expected = c["expected"]
    if expected and isinstance(expected[0], str):  # tco_urls_with_params lists URLs only
        assert [text[s:e] for s, e in spans] == expected
    else:
        assert [{"url": text[s:e], "indices": [s, e]} for s, e in spans] == expected
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(spans))  # never overlapping


def _other_sections(data: Any, used: set[str]) -> list[tuple[str, int]]:
    return [(name, len(cases)) for name, cases in data["tests"].items() if name not in used]


@pytest.mark.parametrize(
    "case",
    _params(VALIDATE, lambda d: _other_sections(d, {*WEIGHTED, "tweets"}), lambda c: f"validate.yml:{c[0]}")
    + _params(
        EXTRACT, lambda d: _other_sections(d, {"urls", *URL_SECTIONS}), lambda c: f"extract.yml:{c[0]}"
    ),
    indirect=True,
)
def test_x_sections_out_of_scope(case: Any) -> None:
    name, count = case
    pytest.skip(f"twitter-text section {name!r} ({count} cases) is out of scope: it {OUT_OF_SCOPE_REASON}")


# ------------------------------------------------------------------------------------------------------------
# Bluesky: grapheme-length.json + richtext-detection.json (atproto)

GRAPHEMES = "bluesky-atproto/grapheme-length.json"
DETECTION = "bluesky-atproto/richtext-detection.json"


@pytest.mark.parametrize(
    "case",
    _params(
        GRAPHEMES,
        lambda d: [(name, c) for name in ("grapheme_length", "richtext_length") for c in d[name]],
        lambda c: f"{c[0]}:{c[1]['input']}",
    ),
    indirect=True,
)
def test_bluesky_graphemes_and_bytes(case: Any) -> None:
    _, c = case
    assert graphemes(c["input"]) == c["graphemes"]
    if "utf8_bytes" in c:
        assert utf8_bytes(c["input"]) == c["utf8_bytes"]


def _segments(text: str) -> list[list[str]]:
    """RichText.segments() as the upstream test prints them: [text] or [text, DID-or-URI-or-'']."""
    data = text.encode("utf-8")
    out: list[list[str]] = []
    pos = 0
    for f in bluesky_facets(text):
        if f.byte_start > pos:
            out.append([data[pos : f.byte_start].decode("utf-8")])
        # The upstream test resolves every handle to "did:fake:<handle>"; resolving handles to DIDs is the
        # publisher's job (com.atproto.identity.resolveHandle), so our facets carry the handle and we map it.
        value = {"mention": f"did:fake:{f.value}", "link": f.value}.get(f.kind, "")
        out.append([data[f.byte_start : f.byte_end].decode("utf-8"), value])
        pos = f.byte_end
    if pos < len(data):
        out.append([data[pos:].decode("utf-8")])
    return out


@pytest.mark.parametrize(
    "case", _params(DETECTION, lambda d: d["detect_facets"], lambda c: _short(c["input"])), indirect=True
)
def test_bluesky_detect_facets(case: Any) -> None:
    assert _segments(case["input"]) == case["segments"]


def _check_tag_case(text: str, tags: list[str], indices: list[dict[str, int]], *, cashtags: bool) -> None:
    """As upstream: tag values in order, and the byte ranges of all facets (only "$" tags for cashtags)."""
    facets = bluesky_facets(text)
    if cashtags:
        facets = [f for f in facets if f.kind == "tag" and f.value.startswith("$")]
    assert [f.value for f in facets if f.kind == "tag"] == tags
    assert [{"byteStart": f.byte_start, "byteEnd": f.byte_end} for f in facets] == indices
    data = text.encode("utf-8")
    for f in facets:
        covered = data[f.byte_start : f.byte_end].decode("utf-8")  # exact UTF-8 byte slicing
        if f.kind != "tag":
            continue
        if cashtags:
            assert covered.upper() == f.value
        else:
            assert covered[0] in "#＃" and covered[1:] == f.value


@pytest.mark.parametrize(
    "case", _params(DETECTION, lambda d: d["tags"], lambda c: _short(c["input"])), indirect=True
)
def test_bluesky_tags_exact_byte_ranges(case: Any) -> None:
    _check_tag_case(case["input"], case["tags"], case["indices"], cashtags=False)


@pytest.mark.parametrize(
    "case", _params(DETECTION, lambda d: d["cashtags"], lambda c: _short(c["input"])), indirect=True
)
def test_bluesky_cashtags(case: Any) -> None:
    _check_tag_case(case["input"], case["tags"], case["indices"], cashtags=True)


# ------------------------------------------------------------------------------------------------------------
# Mastodon: status-length.json (server, authoritative) + countable-text.json (web composer)

STATUS = "mastodon/status-length.json"
COMPOSER = "mastodon/countable-text.json"
SCHEMALESS = (
    "a URL without protocol: the server's StatusLengthValidator extracts URLs with "
    "extract_url_without_protocol: false, so only URLs with a protocol get the 23-character concession"
)
IMPLAUSIBLE_HOST = (
    "the composer checks that the host is plausible; the server's Account::MENTION_RE takes any "
    "@user@host and counts it as @user"
)


def _composer_only(c: dict[str, Any]) -> str | None:
    """Why a web-composer case is out of scope for the server rule, or None when both rules must agree."""
    name = c["test"]
    if name.startswith("collapses a bare ") or name.startswith("collapses a schemaless "):
        return SCHEMALESS
    if name in ("leaves a mention with an implausible host alone", "rejects an implausible host"):
        return IMPLAUSIBLE_HOST
    if name.startswith("strips the host of a remote mention @"):
        host = name.split("@")[-1]
        odd = regex.findall(r"[^\p{L}\p{M}\p{Nd}\p{Pc}.\-]", host)
        if odd:
            chars = ", ".join(sorted({f"U+{ord(ch):04X}" for ch in odd}))
            return (
                f"the server's mention host is [[:word:].-] and {chars} is not a word character there, so "
                "the server stops the host at it and counts the rest of the domain"
            )
    return None


@pytest.mark.parametrize(
    "case",
    _params(STATUS, lambda d: [(d["max_chars"], c) for c in d["cases"]], lambda c: c[1]["test"]),
    indirect=True,
)
def test_mastodon_server_status_length(case: Any) -> None:
    max_chars, c = case
    assert (mastodon_length(c["text"], c["spoiler_text"]) <= max_chars) is c["expected_valid"]


@pytest.mark.parametrize(
    "case", _params(COMPOSER, lambda d: d["cases"], lambda c: f"{c['fn']}:{c['test']}"), indirect=True
)
def test_mastodon_web_composer(case: Any) -> None:
    text = case["input"]
    if case["fn"] == "countableText":
        got: Any = mastodon_countable_text(text)
    else:  # extractMentionsWithIndices: remote mentions only, UTF-16 indices
        got = [
            {
                "indices": [utf16_units(text[:s]), utf16_units(text[:e])],
                "username": name.split("@")[0],
                "host": name.split("@")[1],
            }
            for s, e, name in mastodon_mentions(text)
            if "@" in name
        ]
    reason = _composer_only(case)
    if reason is None:
        assert got == case["expected"]
    else:
        assert got != case["expected"], f"declared out of scope but now agrees with the composer: {reason}"
        pytest.skip(f"web composer only ({case['test']!r}): {reason}")


# ------------------------------------------------------------------------------------------------------------
# Our own cases: Telegram, Threads, RTL, CJK and the API's edges


@pytest.mark.parametrize(
    ("text", "units"),
    [("😀", 2), ("Привет", 6), ("سلام دنیا", 9), ("日本語", 3), ("👨‍👩‍👧‍👧", 11), ("𓋓", 2), ("", 0)],
)
def test_telegram_utf16_units(text: str, units: int) -> None:
    assert utf16_units(text) == units


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hi 👋", 2 + 1 + 4),
        ("👨‍👩‍👧‍👧", 25),  # one ZWJ sequence: all its bytes
        ("🇮🇷", 8),  # flag: two regional indicators
        ("1️⃣", 7),  # keycap: 1 + U+FE0F (3) + U+20E3 (3)
        ("2026", 4),  # digits have the Emoji property but are no emoji
        ("سلام", 4),
        ("می‌خواهم", 8),  # Persian with ZWNJ: 8 code points
        ("日本語", 3),
        ("𓋓", 1),  # astral, no emoji: one code point
    ],
)
def test_threads_length(text: str, length: int) -> None:
    assert threads_length(text) == length


def test_persian_rtl_counts() -> None:
    text = "سلام دنیا"  # Arabic script is below U+10FF: weight 1 on X
    assert x_weighted_length(text) == 9
    assert graphemes(text) == 9
    assert utf8_bytes(text) == 17
    assert mastodon_length(text) == 9
    zwnj = "می‌خواهم"  # U+200C weighs 1 on X (U+2000–U+200D) and joins the previous grapheme
    assert x_weighted_length(zwnj) == 8
    assert graphemes(zwnj) == 7
    link = "سلام https://example.com"
    [facet] = bluesky_facets(link)
    assert (facet.byte_start, facet.byte_end, facet.value) == (9, 28, "https://example.com")


def test_cjk_counts() -> None:
    text = "故人西辞黄鹤楼"
    assert x_weighted_length(text) == 14  # CJK weighs 2
    assert graphemes(text) == 7
    assert utf8_bytes(text) == 21
    assert mastodon_length(text) == 7
    assert threads_length(text) == 7


def test_x_rules() -> None:
    assert x_weighted_length("see example.com") == 4 + 23  # protocol-less URL on a known TLD
    assert x_weighted_length("👍🏽", version=3) == 2
    assert x_weighted_length("👍🏽", version=2) == 4
    assert x_weighted_length("e\u0301") == 1  # counted after NFC: é
    assert normalize("e\u0301") == "é"
    assert x_weighted_length("a\r\nb") == 4  # CRLF is two characters, as in the reference JavaScript
    with pytest.raises(ValueError, match="unknown twitter-text config"):
        x_config(4)


def test_url_spans_protect_links_from_splitting() -> None:
    text = "read https://example.com/a_(b) and docs.python.org/3/ now"
    assert [text[s:e] for s, e in url_spans(text)] == ["https://example.com/a_(b)", "docs.python.org/3/"]


def test_mastodon_server_rules() -> None:
    assert mastodon_length("@alice@example.social hi") == len("@alice hi")
    assert mastodon_length("https://example.com/" + "a" * 100) == 23
    assert mastodon_length("example.com/" + "a" * 10) == 22  # no protocol, no concession
    assert mastodon_length("gemini://example.com/x") == 23  # Mastodon's extra protocols
    assert mastodon_length("see https://example.com", url_length=30) == 4 + 30
    assert mastodon_length("text", "CW") == 6
    assert mastodon_length(" \n\u3000 ") == 0  # blank text counts nothing (Ruby's blank?)
    assert mastodon_countable_text("mail arnt@example.org") == "mail arnt@example.org"


def test_bluesky_deviation_and_case_sensitive_tld() -> None:
    # The reference would emit the scheme-less URI "httpbin.org"; we treat it as a bare domain.
    [facet] = bluesky_facets("try httpbin.org now")
    assert (facet.kind, facet.value) == ("link", "https://httpbin.org")
    assert bluesky_facets("Example.COM") == []  # TLDs are matched lower case, as upstream
    assert bluesky_facets("see example.xn--p1ai") == []  # the reference's TLD list has only Unicode IDN TLDs


def test_count() -> None:
    assert Count(280, 280).fits and Count(281, 280).over == 1
    assert Count(10).fits and Count(10).over == 0


def test_x_emoji_prefilter_matches_library() -> None:
    """_x_emoji_spans tries the library's emoji regex only where an emoji can start; check that premise on
    the library's own table, and that the result equals its full scan on mixed text."""
    sample = "H🐱☺👨‍👩‍👧‍👦 1⃣ #️⃣ 🇮🇷🇩🇪 © 12 #tag سلام 🙋🏽👨‍🎤 x"
    ours = _x_emoji_spans(sample)  # imports the library's emoji table the way postwright.text does
    table = text_module._tt_import("regexp.emoji")
    extract_emojis_with_indices = text_module._tt_import("extract_emojis").extract_emojis_with_indices

    assert all(_X_EMOJI_START.match(entry.emoji) for entry in table.emoji_list)
    assert ours == [tuple(e["indices"]) for e in extract_emojis_with_indices(sample)]


def test_white_space_class_is_unicode_white_space() -> None:
    everything = "".join(map(chr, range(0x110000)))
    assert re.findall(f"[{_WHITE_SPACE}]", everything) == regex.findall(r"\p{White_Space}", everything)


def test_twitter_text_import_leaves_no_stand_in() -> None:
    x_weighted_length("🪁 at example.com")  # imports twitter-text-parser's parts
    module = sys.modules.get("pkg_resources")
    assert module is None or "postwright.text stand-in" not in (module.__doc__ or "")
    package = sys.modules.get("twitter_text")
    assert package is None or hasattr(package, "parse_tweet")  # the real package, never the bare stand-in


def test_x_weighted_length_fast_paths_agree_with_the_full_parse():
    """The ASCII shortcut (no URL-like dot) and the general path give x_parse's number on mixed text."""
    import random

    rng = random.Random(7)
    atoms = [
        "kite",
        "wind.",
        "Wind",
        "a.b",
        "example.com",
        "https://x.co/a",
        "://",
        ".",
        " ",
        "\n",
        "é",
        "🪁",
        "#tag",
    ]
    for _ in range(400):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 30)))
        assert x_weighted_length(text) == x_parse(text).weighted_length, text
