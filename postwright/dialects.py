"""Post bodies (Markdown) → each platform's text dialect.

Python-Markdown parses the body into an ElementTree, with a few syntax changes for social posts
(`_PostSyntax`). A tree processor that runs after all of Markdown's own keeps that tree, and one small
renderer per dialect walks it. No regex rewrites the Markdown source.

    Dialect        Platforms
    plain          X, Bluesky, Mastodon, Threads, Instagram, Facebook, Pinterest
    telegram_html  Telegram Bot API, parse_mode=HTML
    discord        Discord webhook `content` (Discord's own Markdown)
    linkedin       LinkedIn Posts API `commentary` ("little" text format)

All dialects: blocks are separated by one blank line (a list typed directly under a line of text stays
directly under it); a line break inside a paragraph stays a line break; no trailing whitespace, no
trailing newline. `@[name]` mentions and `#Tag` hashtags are copied verbatim for the template layer,
even in telegram_html and linkedin, so whoever substitutes them must escape what they insert. Text is
never normalised (RTL, CJK and emoji come through as typed); only Markdown's own whitespace handling
applies. A thematic break (`---`, `***`, `___`) becomes a line `---` between blank lines: it separates
thread parts, and callers split on `syntax.THREAD_BREAK`.

    Markdown           plain / linkedin     telegram_html                    discord
    **strong**         text                 <b>…</b>                         **…**
    *em*               text                 <i>…</i>                         *…*
    ~~strike~~         text                 <s>…</s>                         ~~…~~
    `code`             text                 <code>…</code>                   `…`
    ``` block ```      text as is           <pre>…</pre>, <pre><code class>  ```lang … ```
    [text](url)        text (url)           <a href="url">text</a>           [text](url)
    same text and url  url                  url                              url
    <url>, bare URL    as written           as written                       as written
    ![alt](src)        alt                  alt                              alt
    # Heading          its text             <b>…</b>                         # / ## / ### (h4–h6: ###)
    - item, 1. item    • item, 1. item      • item, 1. item                  - item, 1. item
    nested list        +2 spaces per level  +2 spaces per level              under the parent's text
    > quote            "> " on each line    <blockquote>…</blockquote>       "> " on each line
    --- (break)        ---                  ---                              ---

Escaping: plain none. linkedin: a backslash before each of \\ | { } @ [ ] ( ) < > # * _ ~ (in URLs and
code too), except in mentions and hashtags; render then runs `little_text` over the whole commentary, so
the template's text, the link, the tags and the signature are escaped too. telegram_html: & < > (and "
in href). discord: a backslash before \\ * _ ~ ` | [ ] in text (not in URLs), and before what would
start a quote, heading, subtext or list at the beginning of a line (>, #, -#, -, +, 1.).

"Same" for links: the text equals the URL, or the URL without its scheme (`https://`, `mailto:`),
ignoring a trailing slash. Telegram and Discord only link http(s) URLs (Telegram also tg://); other
links fall back to `text (url)`. Telegram entities do not nest the way HTML does: a nested quote is
flattened, and code inside bold, italic or a link is plain text. Discord quotes cannot hold blank
lines, so blocks inside a quote are separated by a line break.
"""

from __future__ import annotations

import functools
import html
import re
import string
import threading
from typing import ClassVar, get_args
from xml.etree.ElementTree import Element, SubElement

import markdown
from markdown.blockparser import BlockParser
from markdown.blockprocessors import (
    BlockProcessor,
    HashHeaderProcessor,
    OListProcessor,
    ParagraphProcessor,
    SetextHeaderProcessor,
    UListProcessor,
)
from markdown.extensions import Extension
from markdown.inlinepatterns import ENTITY_RE, DelimiterProcessor, InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, STX, AtomicString, code_escape

from postwright.platforms.base import Dialect
from postwright.syntax import HASHTAG, MENTION

DIALECTS: tuple[Dialect, ...] = get_args(Dialect)

# A mention (syntax.MENTION); a LinkedIn-native one (`@[Name](urn:li:person:123)`) is kept whole.
MENTION_RE = MENTION.pattern + r"(?:\(urn:li:[A-Za-z]+:[^()\s]+\))?"

_MENTION, _HASHTAG, _URL = "x-mention", "x-hashtag", "x-url"  # leaf elements our inline patterns add
_JOINED = "data-joined"  # on a list typed directly under a line of text: no blank line above it
_LISTS = ("ul", "ol")
_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre", "hr"})


@functools.lru_cache(maxsize=4096)  # every account on a platform renders the same body the same way
def to_dialect(markdown_text: str, dialect: Dialect) -> str:
    """Render a post body as `dialect` text, ready for templates (mentions and hashtags untouched)."""
    renderer = _RENDERERS.get(dialect)
    if renderer is None:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of: {', '.join(DIALECTS)}")
    return renderer().render(_tree(markdown_text))


@functools.lru_cache(maxsize=64)  # the accounts of one post follow each other: one parse for all dialects
def _tree(markdown_text: str) -> Element:
    """The parsed body, shared by every dialect's renderer: rendering only reads the tree."""
    prose = _prose_tree(markdown_text)
    return parse(markdown_text) if prose is None else prose


# What makes a body more than paragraphs of text for Markdown, or for our syntax: a character any block or
# inline pattern starts from (or a control, a tab, a space other than " "), a line that starts with
# anything but a letter (lists, headings, quotes, breaks, indentation), a space ending a line (a hard break).
# The characters are one class (`re` finds a class's first hit in C; Python's whitespace, `\s`, is spelled
# out without " " and "\n"); the lines are read in Python. tests/test_dialects.py compares this with the
# one regex that says the same, 4× slower: r"[...]|[^\S \n]|^(?![^\W\d_]|$)| $" (re.MULTILINE).
_NOT_PROSE_CHARACTER = re.compile(
    r"""[\x00-\x09\x0b-\x1f\x7f-\x9f#$&*+/<=>@\[\\\]^_`{|}~＃"""
    "\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def _not_prose(markdown_text: str) -> bool:
    """Whether the body holds anything but plain prose (see _NOT_PROSE_CHARACTER)."""
    if _NOT_PROSE_CHARACTER.search(markdown_text) or " \n" in markdown_text or markdown_text.endswith(" "):
        return True  # a character that means more, or a hard line break
    # a line starting with anything but a letter ([^\W\d_]: alphanumeric, not a decimal digit)
    return any(
        line and not (line[0].isalnum() and not line[0].isdecimal()) for line in markdown_text.split("\n")
    )


def _prose_tree(markdown_text: str) -> Element | None:
    """The tree Python-Markdown builds for plain prose, without running it: a `p` per block of lines
    (blocks are separated by blank lines; Markdown drops a block's leading newlines), or None where the
    text is not plain prose. tests/test_dialects.py compares it with parse() on random and real bodies."""
    if not markdown_text.strip() or _not_prose(markdown_text):
        return None
    root = Element("div")
    for block in (markdown_text + "\n\n").split("\n\n"):
        block = block.lstrip("\n")
        if block:
            SubElement(root, "p").text = block
    return root


_PARSERS = threading.local()


def parse(markdown_text: str) -> Element:
    """The body's tree (a `div`) after all of Python-Markdown's processing, with our syntax changes."""
    md = getattr(_PARSERS, "md", None)
    if md is None:  # building one registers ~50 processors (half of a parse's cost): one per thread
        md = _PARSERS.md = markdown.Markdown(extensions=[_PostSyntax()], tab_length=2)
    keeper = md.treeprocessors["postwright_keep"]
    assert isinstance(keeper, _KeepTree)
    keeper.root = Element("div")  # what a blank text gives: convert() returns before the tree stage
    md.reset()
    md.convert(markdown_text)
    return keeper.root


# --- Parsing: Python-Markdown, adjusted for how people write posts ----------------------------------


class _PostSyntax(Extension):
    """Markdown as social posts are written.

    - `# Heading` needs the space, so `#OpenSource #launch` at the start of a line stays hashtags;
      `Title` over `---` is not a heading either (`---` is always a thread break; `===` still works).
    - Lists nest by 2, 3 or 4 spaces or a tab, and may start directly under a line of text.
    - ``` fences are code blocks that stay in the tree; indented text is not code (posts get indented
      by accident, and a monospace surprise is worse than lost indentation).
    - Raw HTML is text: `<3` and `<b>` are shown as typed.
    - A paragraph's leading ideographic or no-break spaces (a CJK indent) are kept.
    - `@[name]`, `#Tag` and bare http(s) URLs are leaf tokens nothing else may change.
    - `~~strike~~`; a backslash escapes any ASCII punctuation (as in CommonMark), other backslashes stay.
    """

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.ESCAPED_CHARS = list(string.punctuation)
        md.preprocessors.deregister("html_block")

        blocks = md.parser.blockprocessors
        blocks.deregister("code")
        blocks.register(_OutdentedItem(md.parser), "postwright_outdented_item", 95)
        blocks.register(_FencedCode(md.parser), "postwright_fence", 85)
        blocks.register(_AtxHeading(md.parser), "hashheader", 70)
        blocks.register(_SetextHeading(md.parser), "setextheader", 60)
        blocks.register(_ListUnderLine(md.parser), "postwright_list_under_line", 45)
        blocks.register(_OrderedList(md.parser), "olist", 40)
        blocks.register(_BulletList(md.parser), "ulist", 30)
        blocks.register(_Paragraph(md.parser), "paragraph", 10)

        inline = md.inlinePatterns
        inline.deregister("html")
        inline.register(_Token(MENTION_RE, _MENTION), "postwright_mention", 175)
        inline.register(_BareUrl(), "postwright_url", 115)
        inline.register(_Automail(), "automail", 110)
        inline.register(_Hashtag(HASHTAG.pattern, _HASHTAG), "postwright_hashtag", 105)
        inline.register(_Entity(ENTITY_RE), "entity", 80)
        emphasis = inline["em_strong"]
        if isinstance(emphasis, DelimiterProcessor):
            emphasis.add("~", "del", double=True)

        md.treeprocessors.deregister("prettify")  # it adds newlines around <br> and blocks
        md.treeprocessors.register(_KeepTree(md), "postwright_keep", -100)


class _KeepTree(Treeprocessor):
    """Runs last and keeps the finished tree, so rendering never sees serialised HTML."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.root = Element("div")

    def run(self, root: Element) -> None:
        for code in root.iter("code"):  # Markdown stores code HTML-escaped; we want the characters
            text = code.text or ""
            code.text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        self.root = root


class _AtxHeading(HashHeaderProcessor):
    """`# Heading` with a space; Python-Markdown would also take `#launch` at a line start as one."""

    RE = re.compile(r"(?:^|\n)[ ]{0,3}(?P<level>#{1,6})[ ]+(?P<header>[^\n]*?)(?:[ ]+#+)?[ ]*(?:\n|$)")


class _SetextHeading(SetextHeaderProcessor):
    """Only `===` underlines: a `---` line under text is a thread break, the way writers mean it."""

    RE = re.compile(r"^.*?\n=+[ ]*(\n|$)", re.MULTILINE)


_MARKER = re.compile(r"^([ ]*)(?:[*+-]|\d+\.)[ ]+")


def _reindent_list(block: str, unit: int) -> str:
    """Re-indent a list block so each nesting level is exactly `unit` spaces deeper.

    Writers nest by 2, 3 or 4 spaces (or a tab); Python-Markdown nests by exactly one tab length.
    A marker at least 2 columns deeper than its parent's opens a level; continuation lines follow
    the item above them.
    """
    stack: list[int] = []
    level = 0
    lines = []
    for line in block.split("\n"):
        marker = _MARKER.match(line)
        if marker:
            indent = len(marker.group(1))
            while len(stack) > 1 and indent + 1 < stack[-1]:
                stack.pop()
            if not stack or indent >= stack[-1] + 2:
                stack.append(indent)
            level = len(stack) - 1
            lines.append(" " * (unit * level) + line.lstrip(" "))
        else:
            lines.append(" " * (unit * (level + 1)) + line.lstrip(" "))
    return "\n".join(lines)


class _OrderedList(OListProcessor):
    """`1.` lists: may be indented up to 3 spaces; nesting by relative indentation."""

    LAZY_OL = False  # "3." starts at 3
    SIBLING_TAGS: ClassVar[list[str]] = ["ol"]  # after a blank line, a bullet list is a new list

    def __init__(self, parser: BlockParser) -> None:
        super().__init__(parser)
        self.RE = re.compile(r"^[ ]{0,3}\d+\.[ ]+(.*)")

    def get_items(self, block: str) -> list[str]:
        return super().get_items(_reindent_list(block, self.tab_length))


class _BulletList(UListProcessor):
    """`-`, `*`, `+` lists: may be indented up to 3 spaces; nesting by relative indentation."""

    TAG = "ul"
    SIBLING_TAGS: ClassVar[list[str]] = ["ul"]

    def __init__(self, parser: BlockParser) -> None:
        super().__init__(parser)
        self.RE = re.compile(r"^[ ]{0,3}[*+-][ ]+(.*)")

    def get_items(self, block: str) -> list[str]:
        return super().get_items(_reindent_list(block, self.tab_length))


class _ListUnderLine(BlockProcessor):
    """A list typed directly under a line of text starts there, and is marked to stay there.

    Python-Markdown would keep `- item` lines inside the paragraph. As in CommonMark, a bullet, or a
    numbered item starting at 1, interrupts a paragraph.
    """

    START = re.compile(r"^[ ]{0,3}(?:[*+-]|1\.)[ ]+\S", re.MULTILINE)

    def test(self, parent: Element, block: str) -> bool:
        first, _, rest = block.partition("\n")
        return not _MARKER.match(first) and bool(self.START.search(rest))

    def run(self, parent: Element, blocks: list[str]) -> None:
        first, _, rest = blocks.pop(0).partition("\n")
        start = self.START.search(rest)
        assert start is not None
        self.parser.parseBlocks(parent, [f"{first}\n{rest[: start.start()]}".rstrip("\n")])
        count = len(parent)
        self.parser.parseBlocks(parent, [rest[start.start() :]])
        if len(parent) > count and parent[count].tag in _LISTS:
            parent[count].set(_JOINED, "1")


class _OutdentedItem(BlockProcessor):
    """An unindented list item ends the indented block above it (a later paragraph of the last item).

    Python-Markdown would make `- next` part of that paragraph; it is the next item of the list.
    """

    ITEM = re.compile(r"^[ ]?(?:[*+-]|\d+\.)[ ]+\S", re.MULTILINE)

    def test(self, parent: Element, block: str) -> bool:
        return (
            block.startswith(" " * self.tab_length)
            and len(parent) > 0
            and parent[-1].tag in _LISTS
            and self.ITEM.search(block) is not None
        )

    def run(self, parent: Element, blocks: list[str]) -> None:
        block = blocks.pop(0)
        item = self.ITEM.search(block)
        assert item is not None
        blocks[0:0] = [block[: item.start()].rstrip("\n"), block[item.start() :]]


class _Paragraph(ParagraphProcessor):
    """Keeps a paragraph's leading ideographic or no-break spaces (a CJK paragraph indent).

    Python-Markdown strips all leading whitespace; only ASCII indentation is Markdown's to drop. The
    kept characters travel as Markdown's own escape placeholders, which it turns back into them.
    """

    def run(self, parent: Element, blocks: list[str]) -> None:
        block = blocks[0].lstrip(" \t")
        kept = len(block) - len(block.lstrip())
        blocks[0] = "".join(f"{STX}{ord(char)}{ETX}" for char in block[:kept]) + block[kept:]
        super().run(parent, blocks)


_FENCE = re.compile(r"(?P<indent>[ ]{0,3})(?P<fence>`{3,}|~{3,})[ ]*(?P<info>[^\n]*)")


def _opening_fence(line: str) -> re.Match[str] | None:
    """The line's ``` or ~~~ fence with its info string, if the line opens a code block."""
    match = _FENCE.fullmatch(line)
    if match and match["fence"][0] == "`" and "`" in match["info"]:
        return None  # ```code``` on one line is inline code
    return match


class _FencedCode(BlockProcessor):
    """``` / ~~~ fences as `pre > code` in the tree, even directly under a line of text.

    Python-Markdown's fenced_code extension stashes finished HTML instead, which we could not render.
    An unclosed fence runs to the end of the body.
    """

    def test(self, parent: Element, block: str) -> bool:
        return any(_opening_fence(line) for line in block.split("\n"))

    def run(self, parent: Element, blocks: list[str]) -> None:
        lines = blocks.pop(0).split("\n")
        at = next(i for i, line in enumerate(lines) if _opening_fence(line))
        if at:
            self.parser.parseBlocks(parent, ["\n".join(lines[:at])])
        opening = _opening_fence(lines[at])
        assert opening is not None
        closing = re.compile(rf"[ ]{{0,3}}{re.escape(opening['fence'][0])}{{{len(opening['fence'])},}}[ ]*")
        body, rest = [], lines[at + 1 :]
        while (end := next((i for i, line in enumerate(rest) if closing.fullmatch(line)), None)) is None:
            body += rest
            if not blocks:
                rest = []
                break
            body.append("")  # the blank line the blocks were split on
            rest = blocks.pop(0).split("\n")
        else:
            body += rest[:end]
            rest = rest[end + 1 :]
        indent = len(opening["indent"])
        code = SubElement(SubElement(parent, "pre"), "code")
        code.text = AtomicString(code_escape("\n".join(_dedent(line, indent) for line in body)))
        language = opening["info"].split()
        if language:
            code.set("class", f"language-{language[0]}")
        if any(line.strip() for line in rest):
            blocks.insert(0, "\n".join(rest))


def _dedent(line: str, indent: int) -> str:
    """Remove up to `indent` leading spaces: code inside an indented fence keeps its own indentation."""
    return line[min(indent, len(line) - len(line.lstrip(" "))) :]


class _Token(InlineProcessor):
    """A leaf element holding the matched text verbatim (no later pattern can touch it)."""

    def __init__(self, pattern: str, tag: str) -> None:
        super().__init__(pattern)
        self.tag = tag

    def accept(self, text: str) -> str | None:
        """The part of the match that is the token, or None if it is not one."""
        return text

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Element | None, int | None, int | None]:
        text = self.accept(m.group(0))
        if not text:
            return None, None, None
        element = Element(self.tag)
        element.text = AtomicString(text)
        return element, m.start(0), m.start(0) + len(text)


class _Hashtag(_Token):
    """A hashtag token, which the template layer turns into the platform's hashtag syntax."""

    def accept(self, text: str) -> str | None:
        return None if text[1:].isdigit() else text  # "#1" is a rank, not a tag


class _BareUrl(_Token):
    """http(s) URLs typed as text; trailing punctuation and unbalanced brackets are not part of them."""

    def __init__(self) -> None:
        super().__init__(r"(?<![\w/])https?://[^\s<>\"`\x02\x03]+", _URL)

    def accept(self, text: str) -> str | None:
        while text and text[-1] in ".,;:!?'\"*_~)]}":
            closer = text[-1]
            opener = {")": "(", "]": "[", "}": "{"}.get(closer)
            if opener and text.count(opener) >= text.count(closer):
                break
            text = text[:-1]
        return text if "://" in text and not text.endswith("://") else None


class _Automail(InlineProcessor):
    """`<me@example.com>` as a mailto link with readable text (Markdown's own obfuscates it)."""

    def __init__(self) -> None:
        super().__init__(r"<(?:mailto:)?([^<> !:]+@[^@<> ]+)>")

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Element, int, int]:
        link = Element("a", href=f"mailto:{m.group(1)}")
        link.text = AtomicString(m.group(1))
        return link, m.start(0), m.end(0)


class _Entity(InlineProcessor):
    """`&amp;`, `&#x1F600;` → the character itself, as text no other pattern reads."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:
        return AtomicString(html.unescape(m.group(1))), m.start(0), m.end(0)


# --- Rendering ----------------------------------------------------------------------------------------


def _parts(container: Element) -> list[Element]:
    """A container's children as blocks; loose inline content (tight list items) becomes a `p`."""
    parts: list[Element] = []
    run = Element("p")
    run.text = container.text
    for child in container:
        if child.tag in _BLOCKS:
            if (run.text or "").strip() or len(run):
                parts.append(run)
            parts.append(child)
            run = Element("p")
            run.text = child.tail
        else:
            run.append(child)
    if (run.text or "").strip() or len(run):
        parts.append(run)
    return parts


def _same_target(label: str, href: str) -> bool:
    """Whether link text just repeats its URL (maybe without the scheme), so the URL alone is enough."""

    def bare(url: str) -> str:
        return re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?://)?", "", url.strip()).rstrip("/")

    return not label.strip() or label.strip() == href or bare(label) == bare(href)


def _shown_url(href: str) -> str:
    """How a link target reads as text: an address without its `mailto:`."""
    return href.removeprefix("mailto:")


def _is_web(href: str) -> bool:
    """Only absolute http(s) links are safe as Telegram/Discord links (others are rejected or dead)."""
    return bool(re.match(r"https?://\S", href, re.IGNORECASE))


_STYLES = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "del": "del", "s": "del"}


def _tidy(text: str) -> str:
    """No trailing spaces or tabs (other Unicode spaces are the writer's), no blank lines around."""
    return "\n".join(line.rstrip(" \t") for line in text.split("\n")).strip("\n")


_LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")


class _Plain:
    """Plain text. Subclasses change markup and escaping through the small hooks below."""

    bullet: ClassVar[str] = "• "
    nest_by_marker: ClassVar[bool] = False  # False: +2 spaces per level; True: to the parent's text
    quote_separator: ClassVar[str] = "\n\n"

    def __init__(self) -> None:
        self.open: list[str] = []  # inline styles being rendered, innermost last
        self.quotes = 0  # blockquote depth

    def render(self, root: Element) -> str:
        return _tidy(self.blocks(root, "\n\n"))

    # Hooks: escaping and markup ----------------------------------------------------------------------

    def text(self, text: str) -> str:
        """User text, escaped for the dialect."""
        return text

    def url(self, url: str) -> str:
        """A URL shown as text."""
        return self.text(url)

    def wrap(self, style: str, inner: str) -> str:
        """Apply `strong`, `em` or `del` markup."""
        return inner

    def code(self, text: str) -> str:
        """Inline code."""
        return self.text(text)

    def code_block(self, text: str, language: str) -> str:
        """A fenced block's text (without a final newline) and its language, if any."""
        return self.text(text)

    def heading(self, level: int, element: Element) -> str:
        """Headings are a line of their own text where the dialect has no heading markup."""
        return self.paragraph(element)

    def named_link(self, inner: str, href: str) -> str:
        """A link whose text differs from its URL: `text (url)` where there are no links in the text."""
        return f"{inner}{self.text(' (')}{self.url(_shown_url(href))}{self.text(')')}"

    def line_starts(self, text: str) -> str:
        """Escape what would start a block at the beginning of a line (Discord)."""
        return text

    # Blocks --------------------------------------------------------------------------------------------

    def blocks(self, container: Element, separator: str) -> str:
        """Render and join blocks; thread breaks only between two non-empty parts."""
        out: list[str] = []
        broken = True  # a break here would start an empty thread part
        for part in _parts(container):
            if part.tag == "hr":
                if not broken:
                    out += [separator, "---"]
                broken = True
                continue
            rendered = self.block(part)
            if rendered.strip():
                if out:
                    out.append("\n" if part.get(_JOINED) and not broken else separator)
                out.append(rendered)
                broken = False
        if broken and out:
            del out[-2:]
        return "".join(out)

    def block(self, element: Element) -> str:
        """One block element (not a thematic break: `blocks` handles those)."""
        tag = element.tag
        if tag in _LISTS:
            return self.list(element)
        if tag == "blockquote":
            return self.quote(element)
        if tag == "pre":
            code = element.find("code")
            source = element if code is None else code
            language = (source.get("class") or "").removeprefix("language-")
            return self.code_block((source.text or "").rstrip("\n"), language)
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            return self.heading(int(tag[1]), element)
        return self.paragraph(element)

    def paragraph(self, element: Element) -> str:
        """Inline content; line breaks kept, the indentation of continuation lines dropped."""
        text = self.inline(element)
        if "\n" in text:  # _LINE_BREAK holds one: no need to scan a line for it
            text = _LINE_BREAK.sub("\n", text)
        text = text.strip(" \t")
        return self.line_starts(text)

    def list(self, element: Element) -> str:
        """Items one per line; a blank line between them only if the writer left one (a loose list)."""
        loose = any(child.tag == "p" for item in element for child in item)
        try:
            number = int(element.get("start", "1"))
        except ValueError:
            number = 1
        items = []
        for item in element:
            marker = f"{number}. " if element.tag == "ol" else self.bullet
            items.append(self.item(item, marker, loose))
            number += 1
        return ("\n\n" if loose else "\n").join(items)

    def item(self, element: Element, marker: str, loose: bool) -> str:
        """One list item: marker on its first line, later lines indented under it."""
        lines: list[str] = []
        for part in _parts(element):
            rendered = self.block(part)
            if not rendered.strip():
                continue
            nested = part.tag in _LISTS
            indent = " " * len(marker) if self.nest_by_marker or not nested else "  "
            if lines and loose and not nested:
                lines.append("")
            head, *tail = rendered.split("\n")
            lines.append(indent + head if lines else marker + head)
            lines.extend(indent + line if line else "" for line in tail)
        return "\n".join(lines) or marker

    def quote(self, element: Element) -> str:
        """`> ` before every line, `>` alone on empty ones, so nested quotes read `> > `."""
        self.quotes += 1
        inner = self.blocks(element, self.quote_separator)
        self.quotes -= 1
        mark = self.text(">")
        return "\n".join(f"{mark} {line}" if line else mark for line in inner.split("\n"))

    # Inline ---------------------------------------------------------------------------------------------

    def inline(self, element: Element) -> str:
        """An element's text, inline children and their tails."""
        out = [self.text(element.text or "")]
        for child in element:
            out.append(self.inline_element(child))
            out.append(self.text(child.tail or ""))
        return "".join(out)

    def inline_element(self, element: Element) -> str:
        """One inline child (without its tail); unknown elements render as their content."""
        tag = element.tag
        if tag in (_MENTION, _HASHTAG):
            return element.text or ""  # verbatim: the template layer resolves them
        if tag == _URL:
            return self.url(element.text or "")
        if tag == "br":
            return "\n"
        if tag == "code":
            return self.code(element.text or "")
        if tag == "img":
            return self.text(element.get("alt", ""))
        if tag == "a":
            return self.link(element)
        style = _STYLES.get(tag)
        return self.styled(style, element) if style else self.inline(element)

    def styled(self, style: str, element: Element) -> str:
        """Bold, italic or struck content; empty or whitespace-only content gets no markup."""
        if style in self.open:  # **bold inside bold** needs no second tag
            return self.inline(element)
        self.open.append(style)
        inner = self.inline(element)
        self.open.pop()
        return self.wrap(style, inner) if inner.strip() else inner

    def link(self, element: Element) -> str:
        """The URL alone when the text just repeats it, else the dialect's named link."""
        href = element.get("href", "")
        if _same_target(_Plain().inline(element), href):  # an image's alt text counts as link text
            return self.url(_shown_url(href))
        self.open.append("a")
        inner = self.inline(element)
        self.open.pop()
        return self.named_link(inner, href)


_LITTLE_RESERVED = str.maketrans({char: f"\\{char}" for char in "\\|{}@[]()<>#*_~"})


class _LinkedIn(_Plain):
    """Plain text with every reserved character of LinkedIn's little format backslash-escaped."""

    def text(self, text: str) -> str:
        return text.translate(_LITTLE_RESERVED)


# little-text-format (learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format):
# the elements render writes on purpose, a MentionElement @[Name](urn:li:person:…) and the HashtagTemplate
# {hashtag|\#|tag}; a character already escaped; a bare #tag the template wrote (`#{{ tag }}`), which
# becomes a HashtagTemplate as the body's do (syntax.HASHTAG); or a reserved character, which is plain
# text once escaped.
# Every alternative starts with a character of the look-ahead's class, which `re` tries at each position far
# faster than the alternatives (the same matches; ~4× faster on a 1,000-character post).
_LITTLE_TOKEN = re.compile(
    r"(?=[\\|{}@\[\]()<>#*_~＃])(?:"
    r"@\[(?P<name>(?:[^\\\[\]\n]|\\.)*)\]\((?P<urn>urn:li:[A-Za-z]+:[^\s()\\]+)\)"
    r"|\{hashtag\|\\#\|(?P<tag>(?:[^\s{}|\\]|\\.)+)\}"
    r"|(?P<escaped>\\[\\|{}@\[\]()<>#*_~])"
    rf"|(?P<bare>{HASHTAG.pattern})"
    r"|(?P<reserved>[\\|{}@\[\]()<>#*_~]))"
)


def little_text(commentary: str) -> str:
    """The whole commentary as LinkedIn reads it: every reserved character escaped, wherever it came from
    (the template's own text, the UTM-tagged link's `_`, a tag, the signature), except the syntax of the
    mentions and hashtags render writes, whose name and tag are escaped as text, and a bare #tag, which
    becomes a hashtag as in the body (escaped, it would be the text "#tag"). What is already escaped
    (the body, by this dialect) stays as it is, so this can run on any text more than once. LinkedIn
    cuts a post off at the first reserved character left unescaped, and says nothing."""

    def escaped(match: re.Match[str]) -> str:
        if match["reserved"]:
            return "\\" + match["reserved"]
        if match["urn"]:
            return f"@[{little_text(match['name'])}]({match['urn']})"
        if match["tag"] or match["bare"]:
            return f"{{hashtag|\\#|{little_text(match['tag'] or match['bare'][1:])}}}"
        return match[0]

    return _LITTLE_TOKEN.sub(escaped, commentary)


_HTML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_HTML_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_TELEGRAM_TAGS = {"strong": "b", "em": "i", "del": "s"}


class _Telegram(_Plain):
    """Telegram's HTML subset: <b> <i> <s> <a href> <code> <pre> <blockquote>, everything else text."""

    def text(self, text: str) -> str:
        return text.translate(_HTML_TEXT)

    def wrap(self, style: str, inner: str) -> str:
        tag = _TELEGRAM_TAGS[style]
        return f"<{tag}>{inner}</{tag}>"

    def code(self, text: str) -> str:
        if self.open:  # Telegram: code cannot be part of another entity
            return self.text(text)
        return f"<code>{self.text(text)}</code>"

    def code_block(self, text: str, language: str) -> str:
        if not language:
            return f"<pre>{self.text(text)}</pre>"
        language = language.translate(_HTML_ATTRIBUTE)
        return f'<pre><code class="language-{language}">{self.text(text)}</code></pre>'

    def heading(self, level: int, element: Element) -> str:
        self.open.append("strong")
        inner = self.paragraph(element)
        self.open.pop()
        return f"<b>{inner}</b>" if inner.strip() else ""

    def named_link(self, inner: str, href: str) -> str:
        if _is_web(href) or href.lower().startswith("tg://"):
            return f'<a href="{href.translate(_HTML_ATTRIBUTE)}">{inner}</a>'
        return super().named_link(inner, href)

    def quote(self, element: Element) -> str:
        if self.quotes:  # Telegram: blockquotes cannot be nested
            return self.blocks(element, "\n\n")
        self.quotes += 1
        inner = self.blocks(element, "\n\n")
        self.quotes -= 1
        return f"<blockquote>{inner}</blockquote>"


_DISCORD_SPECIAL = str.maketrans({char: f"\\{char}" for char in "\\*_~`|[]"})
_DISCORD_LINE_START = re.compile(r"^(?:(>+|#{1,3}|-#|[-+])(?=[ \t])|(\d+)(\.)(?=[ \t]))", re.MULTILINE)
_DISCORD_STYLES = {"strong": "**", "em": "*", "del": "~~"}
_URL_UNSAFE = str.maketrans({"(": "%28", ")": "%29", " ": "%20", "<": "%3C", ">": "%3E"})


class _Discord(_Plain):
    """Discord Markdown, with literal formatting characters in text backslash-escaped."""

    bullet = "- "
    nest_by_marker = True
    quote_separator = "\n"

    def text(self, text: str) -> str:
        return text.translate(_DISCORD_SPECIAL)

    def url(self, url: str) -> str:
        return url if _is_web(url) else self.text(url)  # Discord links URLs before any formatting

    def wrap(self, style: str, inner: str) -> str:
        mark = _DISCORD_STYLES[style]
        return f"{mark}{inner}{mark}"

    def code(self, text: str) -> str:
        if not text:
            return ""
        ticks = "``" if "`" in text else "`"
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        return f"{ticks}{pad}{text}{pad}{ticks}"

    def code_block(self, text: str, language: str) -> str:
        return f"```{language}\n{text}\n```"

    def heading(self, level: int, element: Element) -> str:
        inner = self.paragraph(element)
        return f"{'#' * min(level, 3)} {inner}" if inner.strip() else ""

    def named_link(self, inner: str, href: str) -> str:
        if _is_web(href):
            return f"[{inner}]({href.translate(_URL_UNSAFE)})"
        return super().named_link(inner, href)

    def line_starts(self, text: str) -> str:
        def escape(match: re.Match[str]) -> str:
            if match.group(2):
                return f"{match.group(2)}\\."
            return f"\\{match.group(1)}"

        return _DISCORD_LINE_START.sub(escape, text)

    def quote(self, element: Element) -> str:
        if self.quotes:  # Discord has one quote level
            return self.blocks(element, "\n")
        return super().quote(element)


_RENDERERS: dict[str, type[_Plain]] = {
    "plain": _Plain,
    "telegram_html": _Telegram,
    "discord": _Discord,
    "linkedin": _LinkedIn,
}


def escape_text(text: str, dialect: Dialect) -> str:
    """Plain text escaped for `dialect`, for values inserted after rendering (a person's name)."""
    return _RENDERERS[dialect]().text(text)
