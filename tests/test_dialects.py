"""to_dialect: case files, black-style, plus every post body of the example brand in every dialect.

A case is `tests/data/cases/dialects/<dialect>/<case>.md`: the Markdown input, a line `# output`, then
the exact expected output (the file's final newline is not part of it). Adding a case = adding a file.
"""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import cast
from xml.etree.ElementTree import Element

import pytest
import yaml

from postwright.dialects import DIALECTS, MENTION_RE, to_dialect
from postwright.platforms.base import Dialect
from postwright.syntax import HASHTAG, THREAD_BREAK

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "tests" / "data" / "cases" / "dialects"
POSTS = REPO / "content" / "posts"
SEPARATOR = "# output"


def read_case(path: Path) -> tuple[Dialect, str, str]:
    """(dialect, markdown, expected) from a case file; bytes are decoded as is, no newline translation."""
    dialect = cast(Dialect, path.parent.name)
    assert dialect in DIALECTS, f"{path}: folder must be one of {DIALECTS}"
    lines = path.read_bytes().decode("utf-8").split("\n")
    assert SEPARATOR in lines, f"{path}: no '{SEPARATOR}' line"
    at = lines.index(SEPARATOR)
    expected = "\n".join(lines[at + 1 :]).removesuffix("\n")
    return dialect, "\n".join(lines[:at]) + "\n", expected


CASE_FILES = sorted(CASES.glob("*/*.md"))


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case(path: Path) -> None:
    dialect, markdown_text, expected = read_case(path)
    assert to_dialect(markdown_text, dialect) == expected


def test_every_dialect_has_cases() -> None:
    counts = {dialect: len(list((CASES / dialect).glob("*.md"))) for dialect in DIALECTS}
    assert all(count >= 10 for count in counts.values()), counts
    assert sum(counts.values()) >= 40


def post_bodies() -> list[tuple[str, str]]:
    """(id, Markdown) for every post body and every override body under content/posts."""
    found = []
    for path in sorted(POSTS.rglob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        marks = [i for i, line in enumerate(lines) if line.rstrip() == "---"]
        name = path.relative_to(POSTS).as_posix()
        found.append((name, "\n".join(lines[marks[1] + 1 :])))
        front = yaml.safe_load("\n".join(lines[marks[0] + 1 : marks[1]])) or {}
        for key, override in sorted((front.get("overrides") or {}).items()):
            if isinstance(override, dict) and isinstance(override.get("body"), str):
                found.append((f"{name}:overrides.{key}", override["body"]))
    return found


POST_BODIES = post_bodies()


def hashtags(text: str) -> list[str]:
    return [tag for tag in HASHTAG.findall(text) if not tag[1:].isdigit()]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("name", "body"), POST_BODIES, ids=[name for name, _ in POST_BODIES])
def test_real_posts(name: str, body: str, dialect: Dialect) -> None:
    out = to_dialect(body, dialect)
    assert out.strip(), "a post body rendered to nothing"
    assert out == to_dialect(body, dialect), "not deterministic"
    assert not out.endswith("\n")
    assert all(line == line.rstrip() for line in out.split("\n")), "trailing whitespace"
    for mention in set(re.findall(MENTION_RE, body)):
        assert out.count(mention) == body.count(mention), mention
    for tag in hashtags(body):
        assert re.search(rf"(?<![\\\w]){re.escape(tag)}(?!\w)", out), f"{tag} lost or escaped"


def test_example_brand_has_posts_to_check() -> None:
    assert len(POST_BODIES) >= 20
    assert any("@[" in body for _, body in POST_BODIES)
    assert any(hashtags(body) for _, body in POST_BODIES)


class _TelegramTags(HTMLParser):
    """Collects problems: tags outside Telegram's subset, unbalanced or nested-in-themselves tags."""

    ALLOWED = frozenset({"b", "i", "u", "s", "a", "code", "pre", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            self.problems.append(f"<{tag}> is not in Telegram's subset")
        if tag in self.stack:
            self.problems.append(f"<{tag}> inside <{tag}>")
        if tag == "a" and [name for name, _ in attrs] != ["href"]:
            self.problems.append(f"<a> attributes {attrs}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")


def telegram_problems(text: str) -> list[str]:
    parser = _TelegramTags()
    parser.feed(text)
    parser.close()
    if re.search(r"&(?!(?:amp|lt|gt|quot);)", text):
        parser.problems.append("bare & (Telegram takes only &amp; &lt; &gt; &quot;)")
    return parser.problems + [f"unclosed <{tag}>" for tag in parser.stack]


ALL_INPUTS = [(f"{p.parent.name}/{p.stem}", read_case(p)[1]) for p in CASE_FILES] + POST_BODIES


@pytest.mark.parametrize(("name", "markdown_text"), ALL_INPUTS, ids=[name for name, _ in ALL_INPUTS])
def test_telegram_output_is_valid_html_subset(name: str, markdown_text: str) -> None:
    assert telegram_problems(to_dialect(markdown_text, "telegram_html")) == []


@pytest.mark.parametrize(("name", "markdown_text"), ALL_INPUTS, ids=[name for name, _ in ALL_INPUTS])
def test_linkedin_escapes_every_reserved_character(name: str, markdown_text: str) -> None:
    """Outside mentions and hashtags, each reserved character follows a backslash (LinkedIn would cut
    the post at the first one that does not)."""
    reserved = "\\|{}@[]()<>#*_~"
    text = re.sub(MENTION_RE, "", to_dialect(markdown_text, "linkedin"))
    text = re.sub(rf"\\[{re.escape(reserved)}]", "", text)
    text = HASHTAG.sub("", text)
    assert [char for char in text if char in reserved] == []


def test_thread_breaks_split_parts() -> None:
    out = to_dialect("One.\n\n---\n\nTwo,\nstill two.\n***\n\n- three", "plain")
    assert out.split(THREAD_BREAK) == ["One.", "Two,\nstill two.", "• three"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_hard_breaks_and_crlf_are_line_breaks(dialect: Dialect) -> None:
    """Two trailing spaces (a Markdown hard break) and Windows line ends give plain line breaks."""
    assert to_dialect("one  \r\ntwo\r\n\r\nthree \t\n", dialect) == "one\ntwo\n\nthree"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("blank", ["", "\n", "  \n\t\n"])
def test_blank_body_renders_empty(dialect: Dialect, blank: str) -> None:
    assert to_dialect(blank, dialect) == ""


def test_backslashes_the_writer_typed_survive() -> None:
    text = r"C:\kites\new and a \d regex"
    assert to_dialect(text, "plain") == text
    assert to_dialect(text, "telegram_html") == text
    assert to_dialect(text, "linkedin") == r"C:\\kites\\new and a \\d regex"


def test_unknown_dialect_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown dialect 'html'"):
        to_dialect("hi", "html")  # type: ignore[arg-type]


def test_the_reused_parser_gives_a_blank_text_an_empty_tree():
    """One Markdown instance per thread is reused; a blank text must not return the previous tree."""
    from postwright.dialects import parse

    assert len(parse("**Bold** words")) == 1
    assert len(parse("   \n")) == 0
    assert len(parse("Again")) == 1


def test_every_dialect_renders_from_one_shared_tree():
    """to_dialect parses a body once for all dialects (dialects._tree): rendering must only read the tree,
    so each dialect from one shared tree, in any order, equals that dialect from a fresh parse."""
    from xml.etree.ElementTree import tostring

    from postwright.dialects import _RENDERERS, parse

    bodies = [read_case(path)[1] for path in CASE_FILES] + [body for _, body in POST_BODIES]
    for body in bodies:
        tree = parse(body)
        before = tostring(tree)
        for order in (DIALECTS, DIALECTS[::-1]):
            for dialect in order:
                assert _RENDERERS[dialect]().render(tree) == _RENDERERS[dialect]().render(parse(body)), body
        assert tostring(tree) == before, body


def _shape(element: Element) -> tuple[object, ...]:
    return (
        element.tag,
        sorted(element.attrib.items()),
        element.text,
        element.tail,
        [_shape(child) for child in element],
    )


def _prose_samples(seed: int, count: int) -> list[str]:
    """Random bodies, mostly plain prose, some with one character or line start that makes them Markdown."""
    rng = random.Random(seed)
    words = ["Kite", "wind", "sail.", "Ветер", "باد", "風。", "kite🪁", "día,", "ok?", "so (yes)", "x2"]
    breaks = [" ", " ", " ", "\n", "\n\n", "\n\n\n", "\n\n\n\n\n"]
    odd = ["*", "_", "#", "＃", "`", "~", "[", "\\", "&", "<", ">", "=", "-", "1.", "@[a]", "/", "  ", "\t"]
    odd += ["\r\n", "\u3000", "\xa0", "\x02", " \n", "\n ", "\n- ", "\n1. ", "\n> ", "\n---\n", "\n#", "2"]
    samples = []
    for _ in range(count):
        atoms = [rng.choice(words) + rng.choice(breaks) for _ in range(rng.randint(1, 30))]
        if rng.random() < 0.4:
            atoms.insert(rng.randrange(len(atoms) + 1), rng.choice(odd))
        if rng.random() < 0.2:
            atoms.insert(0, rng.choice(["\n", "\n\n", " ", "1 "]))
        samples.append("".join(atoms).rstrip(" ") if rng.random() < 0.8 else "".join(atoms))
    return samples


def test_plain_prose_skips_markdown_and_gets_its_tree():
    """_prose_tree (no Markdown run) gives exactly parse()'s tree wherever it answers, on random prose with
    and without Markdown syntax, the case files and the example posts; it answers for most plain prose."""
    from postwright.dialects import _prose_tree, parse

    bodies = [read_case(path)[1] for path in CASE_FILES] + [body for _, body in POST_BODIES]
    bodies += _prose_samples(5, 3000)
    answered = 0
    for body in bodies:
        prose = _prose_tree(body)
        if prose is not None:
            answered += 1
            assert _shape(prose) == _shape(parse(body)), repr(body)
    assert answered > 1200


def test_little_text_look_ahead_finds_what_the_alternatives_find() -> None:
    """_LITTLE_TOKEN starts with a look-ahead of every alternative's first characters, only to skip the
    rest quickly: on random text of everything little_text treats, the same matches as without it."""
    from postwright import dialects

    pattern = dialects._LITTLE_TOKEN.pattern
    look_ahead = r"(?=[\\|{}@\[\]()<>#*_~＃])(?:"
    assert pattern.startswith(look_ahead) and pattern.endswith(")")
    plain = re.compile(pattern[len(look_ahead) : -1])
    atoms = [
        *"\\|{}@[]()<>#*_~＃&/ \n",
        "a",
        "7",
        "é",
        "_x",
        "#tag",
        "＃タグ",
        "#12",
        "&#38;",
        "@[Ann](urn:li:person:1)",
    ]
    atoms += [
        "@[A\\]b](urn:li:organization:2)",
        "{hashtag|\\#|Kites}",
        "\\#",
        "\\_",
        "x#y",
        "/#z",
        "https://a.b/#c",
    ]
    rng = random.Random(11)
    for _ in range(3000):
        sample = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 30)))
        assert [m.groupdict() | {"at": m.span()} for m in dialects._LITTLE_TOKEN.finditer(sample)] == [
            m.groupdict() | {"at": m.span()} for m in plain.finditer(sample)
        ], repr(sample)


def test_not_prose_says_what_one_regex_says() -> None:
    """dialects._not_prose against the single regex it replaces, on random text of its edge cases: every
    character of Python's whitespace, controls, Markdown's and our syntax characters, digits that are
    and are not decimal, letters of other scripts, line starts and ends."""
    from postwright import dialects

    oracle = re.compile(
        r"""[\x00-\x09\x0b-\x1f\x7f-\x9f#$&*+/<=>@\[\\\]^_`{|}~＃]|[^\S \n]|^(?![^\W\d_]|$)| $""",
        re.MULTILINE,
    )
    spaces = [chr(code) for code in range(0x110000) if chr(code).isspace()]
    atoms = [
        *spaces,
        *"\n\n\n  a Z é ß ж 日 ا 7 ٣ ² ½ Ⅻ _ - . , ! ? ' \" : ; % ＃ # @ * ` ~ \x00 \x7f \x9f \xa0",
    ]
    atoms += ["word", "Kites", "\n- item", "\n1. one", "\n> quote", "  \n", " \n", "\n\n"]
    rng = random.Random(12)
    for _ in range(20000):
        sample = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 12)))
        assert dialects._not_prose(sample) == bool(oracle.search(sample)), repr(sample)
