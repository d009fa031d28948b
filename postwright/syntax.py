"""The post body's own syntax, beyond Markdown: @[person] mentions, #tags and --- thread breaks.

One definition each, for every stage that reads them: load checks mentions against the people directory,
dialects keeps mentions and tags whole through Markdown, render turns them into each platform's syntax
and splits thread parts, validate counts tags. A platform's own rules for finding tags, mentions or
links in the text it receives (Bluesky's facets, twitter-text, Mastodon) are platform facts, in text.py.
"""

from __future__ import annotations

import re

MENTION = re.compile(r"@\[[^\]\n]*\]")
"""`@[jane]`: a person from config.yml's people directory, written in each platform's mention syntax."""


def mentioned(match: re.Match[str]) -> str:
    """The name between a MENTION's brackets, as typed (the people directory is looked up stripped)."""
    return match[0][2:-1]


HASH_SIGNS = "#＃"
"""What starts a tag: '#', or the fullwidth '＃' that CJK keyboards type (platforms take both)."""

HASHTAG = re.compile(rf"(?<![\w&{HASH_SIGNS}/\\])[{HASH_SIGNS}]\w*[^\W\d]\w*")
"""`#OpenSource`: not inside a word, an entity (&#38;) or a URL path, not after a backslash (an escaped
'#'), and not all digits ('#1' is a rank). The tag is the match without its sign: match[0][1:]."""

THREAD_BREAK = "\n\n---\n\n"
"""A `---` line between blank lines (what every dialect makes of a thematic break): it ends a thread part."""
