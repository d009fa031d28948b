"""Platform rules over rendered variants, each with its code, line and platform."""

from postwright import pipeline

CONFIG = """\
brand:
  name: Kites
  timezone: Europe/Madrid
accounts:
  x_main: {platform: x}
  sky: {platform: bluesky}
  masto: {platform: mastodon}
  insta: {platform: instagram}
  threads: {platform: threads}
  li: {platform: linkedin}
  pin: {platform: pinterest}
platforms:
  bluesky: {limits: {max_thread_parts: 2}}
"""


def problems(make_project, front: str, body: str = "Hello.", extra: str = ""):
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- assets/a.jpg --\n20x20\n-- content/posts/2026-12-01-p.md --\n---\n"
        f"{front}\n---\n{body}\n{extra}"
    )
    return sorted((d.code, d.span.line, d.platform) for d in pipeline.check(project).diagnostics)


def test_alt_text_required_by_the_brand_on_every_platform(make_project):
    """brand.rules.alt_text defaults to required; tests/test_alt_text.py has the optional case."""
    assert problems(make_project, "platforms: [bluesky, mastodon]\nimages:\n  - src: a.jpg") == [
        ("PW412", 4, None)
    ]
    assert problems(make_project, "platforms: [mastodon]\nimages:\n  - src: a.jpg") == [("PW412", 4, None)]


def test_image_required(make_project):
    assert problems(make_project, "platforms: [instagram, mastodon]") == [("PW410", 4, "instagram")]


def test_too_many_images(make_project):
    five = "\n".join("  - {src: a.jpg, alt: A square}" for _ in range(5))
    assert problems(make_project, f"platforms: [mastodon]\nimages:\n{five}") == [
        ("PW411", 8, "mastodon")
    ]  # the fifth image


def test_hashtags_links_and_alt_length(make_project):
    assert problems(make_project, "platforms: [threads]", "One #a and #b.") == [("PW403", 4, "threads")]
    links = " ".join(f"https://site{n}.com" for n in range(6))
    assert problems(make_project, "platforms: [threads]", links) == [("PW405", 4, "threads")]
    long_alt = "a" * 501
    assert problems(make_project, f"platforms: [pinterest]\nimages: [{{src: a.jpg, alt: {long_alt}}}]") == [
        ("PW413", 3, "pinterest")
    ]


def test_threads_counts_links_and_tags_per_part_not_on_the_joined_thread(make_project):
    """The issue's case: 3 parts, each with 2 links and 1 tag, are 6 links and 3 tags joined but within
    Threads' per-post limits (5 links, 1 tag) in every part."""
    parts = [f"Part {n}: https://a{n}.example.com and https://b{n}.example.com #Kites{n}" for n in range(3)]
    assert problems(make_project, "platforms: [threads]", "\n---\n".join(parts)) == []


def test_one_part_over_a_per_post_limit_is_reported(make_project):
    six = " ".join(f"https://site{n}.com" for n in range(6))
    body = f"First part #one #two.\n---\nSecond part, fine #three.\n---\n{six}"
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- content/posts/2026-12-01-p.md --\n"
        f"---\nplatforms: [threads]\n---\n{body}\n"
    )
    found = sorted((d.code, d.message) for d in pipeline.check(project).diagnostics)
    assert found == [
        ("PW403", "2 hashtags in part 1 of 3; Threads allows 1 per post"),
        ("PW405", "6 links in part 3 of 3; Threads allows 5 per post"),
    ]


def test_thread_limits(make_project):
    long_text = "\n\n".join(f"Paragraph {n} " + "word " * 50 for n in range(4))
    assert problems(make_project, "platforms: [bluesky]", long_text) == [("PW402", 4, "bluesky")]
    assert problems(make_project, "platforms: [linkedin]\nthread: always") == [("PW406", 5, "linkedin")]


def test_same_text_twice_on_one_account_within_the_window(make_project):
    extra = "-- content/posts/2026-12-03-q.md --\n---\nplatforms: [x]\n---\nHello.\n"
    assert problems(make_project, "platforms: [x]", "Hello.", extra) == [("PW414", 4, "x")]


def test_same_text_later_than_the_window_is_fine(make_project):
    later = "-- content/posts/2026-12-20-q.md --\n---\nplatforms: [x]\n---\nHello.\n"
    assert problems(make_project, "platforms: [x]", "Hello.", later) == []


def test_a_link_that_takes_in_the_cjk_or_thai_after_it_is_a_warning_at_the_post(make_project):
    """Mastodon and Bluesky link up to the next space, so the Japanese after the link became part of it;
    X's twitter-text stops before CJK, so it has nothing to say. With a space, no one warns."""
    body = "詳しくは https://example.com/kites東京で見てください。"
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- content/posts/2026-12-01-p.md --\n"
        f"---\nplatforms: [x, mastodon, bluesky]\n---\n{body}\n"
    )
    found = pipeline.check(project).diagnostics
    assert sorted((d.code, d.span.line, d.platform, str(d.severity)) for d in found) == [
        ("PW408", 4, "bluesky", "warning"),
        ("PW408", 4, "mastodon", "warning"),
    ]
    by_platform = {d.platform: d for d in found}
    assert by_platform["mastodon"].message == (
        "the link https://example.com/kites東京で見てください。 takes in the text after it: "
        "東京で見てください。"
    )
    assert by_platform["bluesky"].hint == "put a space after the link"
    spaced = body.replace("kites東京", "kites 東京")
    assert problems(make_project, "platforms: [x, mastodon, bluesky]", spaced) == []


def test_a_bare_domain_that_takes_in_thai_is_a_warning_and_a_path_in_any_script_is_not(make_project):
    assert problems(make_project, "platforms: [bluesky]", "ดูที่ example.comสวัสดี ครับ") == [
        ("PW408", 4, "bluesky")
    ]
    wiki = "https://ja.wikipedia.org/wiki/東京 と https://пример.рф/путь?q=東京 です"
    assert problems(make_project, "platforms: [mastodon, bluesky, x]", wiki) == []


def test_an_ascii_link_swallows_nothing() -> None:
    """PW408 skips ASCII links: _SWALLOWED needs a letter of another script than Latin, and every ASCII
    letter is Latin."""
    import regex

    from postwright.validate import _SWALLOWED

    ascii_chars = "".join(map(chr, range(128)))
    assert not _SWALLOWED.search(ascii_chars) and not _SWALLOWED.search(ascii_chars[::-1])
    assert regex.findall(r"(?!\p{Latin})\p{L}", ascii_chars) == []
