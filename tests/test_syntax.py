"""syntax.py: the body's own @[person], #tag and --- syntax, as every stage reads it."""

from postwright.dialects import to_dialect
from postwright.syntax import HASHTAG, MENTION, THREAD_BREAK, mentioned


def test_hashtags_are_tags_wherever_a_writer_means_one():
    text = "#OpenSource ＃タグ #1 #2026launch a#b &#38; https://x.example/#frag \\#not #_x"
    assert [match[0] for match in HASHTAG.finditer(text)] == ["#OpenSource", "＃タグ", "#2026launch", "#_x"]


def test_mentions_give_the_name_as_typed():
    matches = list(MENTION.finditer("Hi @[ jane ] and @[bob](urn:li:person:1), not @[broken\n]"))
    assert [mentioned(match) for match in matches] == [" jane ", "bob"]


def test_every_dialect_separates_thread_parts_with_the_break():
    for dialect in ("plain", "telegram_html", "discord", "linkedin"):
        assert to_dialect("One.\n\n---\n\nTwo.", dialect).split(THREAD_BREAK) == ["One.", "Two."]
