"""Telegram counts its limits "after entities parsing": the text a reader sees, in UTF-16 units, not the
HTML postwright sends. Checked against an independent computation (html.parser + html.unescape), through
`check`, and through the thread splitter, which must never cut inside a tag or an entity."""

from __future__ import annotations

import html
import random
import re
from html.parser import HTMLParser

import pytest

from postwright import pipeline
from postwright.dialects import to_dialect
from postwright.platforms import PLATFORMS
from postwright.split import split_to_fit
from postwright.text import telegram_length, telegram_markup_spans, telegram_text, utf16_units


def independent_length(source: str) -> int:
    """UTF-16 units of what Python's own HTML parser leaves: tags dropped, character references decoded."""
    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=False)
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.handle_entityref = lambda name: parts.append(html.unescape(f"&{name};"))  # type: ignore[method-assign]
    parser.handle_charref = lambda ref: parts.append(html.unescape(f"&#{ref};"))  # type: ignore[method-assign]
    parser.feed(source)
    parser.close()
    return len("".join(parts).encode("utf-16-le")) // 2


def unbalanced(source: str) -> list[str]:
    """What Telegram would refuse to parse: an end tag without its start, a start tag never closed."""
    open_tags: list[str] = []
    problems: list[str] = []
    for match in re.finditer(r"<(/?)([a-z-]+)[^>]*>", source):
        closing, name = match.groups()
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            problems.append(f"</{name}> without <{name}>")
    if re.search(r"&(?!lt;|gt;|amp;|quot;|#\d+;|#x[0-9a-f]+;)", source) or re.search(r"<(?![a-z/])", source):
        problems.append("a cut entity or tag")
    return problems + [f"<{name}> never closed" for name in open_tags]


CASES = [
    ('<a href="https://windward.example/kites/gale-9?utm_source=telegram&amp;x=1">Gale 9</a>', "Gale 9"),
    (
        "<b>bold</b> and <i>italic</i> <u>u</u> <s>s</s> <tg-spoiler>hidden</tg-spoiler>",
        "bold and italic u s hidden",
    ),
    ("AT&amp;T &lt;3 &gt; &quot;q&quot;", 'AT&T <3 > "q"'),
    ("grin &#128512; &#x1F600;", "grin 😀 😀"),
    ("kite 🪁 thumbs 👍🏽 family 👨‍👩‍👧", "kite 🪁 thumbs 👍🏽 family 👨‍👩‍👧"),
    (
        '<pre><code class="language-python">if a &lt; b:\n    pass</code></pre> <code>x &amp; y</code>',
        "if a < b:\n    pass x & y",
    ),
    ("<blockquote>quoted <b>words</b></blockquote>", "quoted words"),
]


@pytest.mark.parametrize(("source", "seen"), CASES)
def test_telegram_counts_the_text_a_reader_sees(source, seen):
    assert telegram_text(source) == seen
    assert telegram_length(source) == utf16_units(seen) == independent_length(source)


def test_surrogate_pairs_count_two_units():
    assert telegram_length("<b>🪁</b>") == 2 and telegram_length("&#129665;") == 2


def test_only_the_entities_telegram_reads_are_decoded():
    """tdlib reads &lt; &gt; &amp; &quot; by name and numeric references of at most 9 characters with a
    lower-case x; anything else stays text (&nbsp; is six characters there, one in a browser)."""
    assert (
        telegram_text("&nbsp; &LT; &ltb; &#X41; &#0; &#00000000065;")
        == "&nbsp; &LT; &ltb; &#X41; &#0; &#00000000065;"
    )
    assert telegram_text("&lt &amp x") == "< & x"  # the ";" is optional
    assert telegram_text("&lt;b&gt;not a tag&lt;/b&gt;") == "<b>not a tag</b>"


# what random texts are made of: text the telegram_html dialect escapes, tags, references Python and
# Telegram read alike (no C1 controls or noncharacters, which html.unescape maps or drops)
_CHARACTERS = [
    *"abcxyz ABC 0189 .,!?\n\"'",
    "é",
    "ñ",
    "ß",
    "日本",
    "🪁",
    "😀",
    "👍🏽",
    "👨‍👩‍👧",
    "&",
    "<",
    ">",
]
_SAFE_CODE_POINTS = [(0x20, 0x7E), (0xA0, 0xD7FF), (0xE000, 0xFDCF), (0x10000, 0x10FFFD)]


def _random_reference(rng: random.Random) -> str:
    low, high = rng.choice(_SAFE_CODE_POINTS)
    code = rng.randint(low, high)
    while (code & 0xFFFE) == 0xFFFE:
        code = rng.randint(low, high)
    return rng.choice([f"&#{code};", f"&#x{code:x};", f"&#x{code:X};"])


def _random_text(rng: random.Random) -> str:
    return html.escape("".join(rng.choice(_CHARACTERS) for _ in range(rng.randint(0, 12))), quote=False)


def _random_html(rng: random.Random, depth: int = 0) -> str:
    pieces = []
    for _ in range(rng.randint(1, 6)):
        kind = rng.random()
        if kind < 0.4 or depth > 2:
            pieces.append(_random_text(rng))
        elif kind < 0.55:
            pieces.append(
                rng.choice(["&amp;", "&lt;", "&gt;", "&quot;"])
                if rng.random() < 0.5
                else _random_reference(rng)
            )
        elif kind < 0.7:
            href = html.escape(f'https://windward.example/{_random_text(rng)}?a=1&b="2"', quote=True)
            pieces.append(f'<a href="{href}">{_random_html(rng, depth + 1)}</a>')
        elif kind < 0.8:
            pieces.append(f'<pre><code class="language-py">{_random_text(rng)}</code></pre>')
        else:
            tag = rng.choice(["b", "i", "u", "s", "tg-spoiler", "blockquote", "code"])
            pieces.append(f"<{tag}>{_random_html(rng, depth + 1)}</{tag}>")
    return "".join(pieces)


def test_random_telegram_html_counts_as_an_html_parser_reads_it():
    rng = random.Random(17)
    for _ in range(3000):
        source = _random_html(rng)
        assert telegram_length(source) == independent_length(source), source


def test_the_telegram_measure_is_the_visible_count():
    (measure,) = PLATFORMS["telegram"].limits.measures
    source = '<a href="https://windward.example/a-very-long-path">x</a>'
    assert measure.count(source) == 1 and measure.limit == 4096


TELEGRAM_CONFIG = """\
brand:
  name: Kites
  timezone: Europe/Madrid
  platforms: [telegram]
accounts:
  channel: {platform: telegram}
"""


def _check(make_project, body: str, front: str = "", config: str = TELEGRAM_CONFIG):
    """The post's one (Telegram) variant and what `check` finds, as (code, message)."""
    project = make_project(
        f"-- config.yml --\n{config}-- assets/a.jpg --\n20x20\n"
        f"-- content/posts/2026-12-01-p.md --\n---\n{front}\n---\n{body}\n"
    )
    result = pipeline.check(project)
    (variant,) = result.variants
    return variant, [(d.code, d.message) for d in result.diagnostics]


def test_ninety_formatted_links_fit_as_telegram_counts_them(make_project):
    """The issue's post: 90 formatted links, short words linking long tagged URLs."""
    body = "\n".join(
        f"- [Gale {n} kite](https://windward.example/kites/gale-{n}?utm_source=telegram&utm_medium=social)"
        for n in range(90)
    )
    variant, found = _check(make_project, body)
    (sent,) = variant.parts
    assert utf16_units(sent) > 4096  # what was counted before: the HTML with its link targets
    assert telegram_length(sent) == independent_length(sent) < 4096
    assert found == []


def test_a_message_over_4096_visible_units_is_still_flagged(make_project):
    body = "wind & rain. " * 330  # 4,289 visible characters once trimmed ("&" is "&amp;" in the HTML)
    _, found = _check(make_project, body)
    assert found == [("PW401", "text is 4289 utf16 for channel; Telegram allows 4096")]


def test_a_long_text_with_a_photo_is_held_to_the_message_limit(make_project):
    """The publisher sends a text too long for a caption as its own message after the photo, so the
    caption limit (1024) does not apply to it; only the message limit (4096) does."""
    body = "Gale 9 in the wind. " * 100  # 2,000 visible characters
    variant, found = _check(make_project, body, front="images: [{src: a.jpg, alt: A kite}]")
    assert found == [] and len(variant.media) == 1


THREADED_CONFIG = (
    TELEGRAM_CONFIG + "platforms:\n  telegram: {limits: {max_thread_parts: 5, max_length: 300}}\n"
)


def test_thread_parts_are_split_by_the_visible_count_and_never_inside_a_tag(make_project):
    body = " ".join(
        f"Read **about the Gale {n} kite and its bag** at [the long page on kite number {n}]"
        f"(https://windward.example/kites/gale-{n}?utm_source=telegram&utm_medium=social) & more."
        for n in range(12)
    )
    variant, found = _check(make_project, body, front="thread: auto", config=THREADED_CONFIG)
    assert found == [] and len(variant.parts) > 1
    for part in variant.parts:
        assert unbalanced(part) == [], part
        assert telegram_length(part) <= 300
    words = telegram_text(to_dialect(body, "telegram_html")).split()
    assert " ".join(telegram_text(part) for part in variant.parts).split() == words


def test_the_splitter_keeps_an_element_whole():
    """Even one longer than a part: like a URL it stays whole, and validation reports the part."""
    source = '<a href="https://windward.example/x">one two three four five six</a> seven eight'

    def fits(part: str) -> bool:
        return telegram_length(part) <= 20

    parts = split_to_fit(source, fits, None, telegram_markup_spans)
    assert parts == ['<a href="https://windward.example/x">one two three four five six</a>', "seven eight"]


def test_the_splitter_never_cuts_an_entity_in_a_long_word():
    source = "x" * 7 + "&amp;" * 5 + "y" * 7

    def fits(part: str) -> bool:
        return telegram_length(part) <= 5

    parts = split_to_fit(source, fits, None, telegram_markup_spans)
    assert "".join(parts) == source and all(unbalanced(part) == [] for part in parts), parts
    assert all(telegram_length(part) <= 5 for part in parts)
