"""A Bluesky tag is at most 64 graphemes AND 640 UTF-8 bytes (lexicons/app/bsky/richtext/facet.json #tag:
maxGraphemes 64, maxLength 640): `check` reports a longer one where it is, and no facet is made of it."""

from postwright import pipeline, text

ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # 7 code points, 28 bytes
CONFIG = """\
brand:
  name: Kites
  timezone: Europe/Madrid
accounts:
  sky: {platform: bluesky}
  masto: {platform: mastodon}
"""


def problems(make_project, body: str) -> list[tuple[str, int, str | None, str]]:
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- content/posts/2026-12-01-p.md --\n---\n"
        f"platforms: [bluesky, mastodon]\n---\n{body}\n"
    )
    return sorted((d.code, d.span.line, d.platform, d.message) for d in pipeline.check(project).diagnostics)


def test_24_flags_are_over_640_bytes_and_tags_at_the_limits_pass(make_project):
    tag = ENGLAND * 24
    assert (text.graphemes(tag), text.utf8_bytes(tag)) == (24, 672)
    assert problems(make_project, f"Go team #{tag}") == [
        ("PW407", 4, "bluesky", f"hashtag #{tag[:39]}… is 672 bytes; Bluesky allows 640 per tag")
    ]
    assert problems(make_project, f"#{'a' * 64} and #{ENGLAND * 22}") == []  # 64 graphemes; 616 bytes


def test_65_graphemes_are_too_many(make_project):
    [(code, line, platform, message)] = problems(make_project, "Tagged #" + "a" * 65)
    assert (code, line, platform) == ("PW407", 4, "bluesky")
    assert message.endswith("is 65 graphemes; Bluesky allows 64 per tag")


def test_an_over_long_tag_is_no_facet():
    over = "#" + ENGLAND * 24
    assert text.bluesky_tags(over) == [ENGLAND * 24]
    assert text.bluesky_facets(over) == []
    [facet] = text.bluesky_facets("#" + ENGLAND * 22)
    assert (facet.kind, facet.byte_end - facet.byte_start) == ("tag", 1 + 22 * 28)
