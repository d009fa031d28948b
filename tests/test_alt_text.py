"""Alt text: the platforms' own rules (lengths in the unit each server counts) apart from the brand's rule
that every image has alt text (brand.rules.alt_text, required by default)."""

from postwright import pipeline
from postwright.platforms import PLATFORMS

ACCOUNTS = """\
accounts:
  x_main: {platform: x}
  sky: {platform: bluesky}
  masto: {platform: mastodon}
"""


def problems(make_project, front: str, rules: str = "") -> list[tuple[str, int, str | None, str]]:
    config = f"brand:\n  name: Kites\n  timezone: Europe/Madrid\n{rules}{ACCOUNTS}"
    project = make_project(
        f"-- config.yml --\n{config}-- assets/a.jpg --\n20x20\n"
        f"-- content/posts/2026-12-01-p.md --\n---\n{front}\n---\nHello.\n"
    )
    return sorted((d.code, d.span.line, d.platform, d.message) for d in pipeline.check(project).diagnostics)


def test_alt_text_is_the_brands_rule_not_the_platforms(make_project):
    front = "platforms: [bluesky, mastodon]\nimages:\n  - src: a.jpg"
    message = "alt text missing for image 1 (brand.rules.alt_text: required)"
    assert problems(make_project, front) == [("PW412", 4, None, message)]  # once: the brand's rule
    optional = "  rules: {alt_text: optional}\n"
    assert problems(make_project, front, optional) == [("PW302", 4, None, "alt text missing for image 1")]
    assert PLATFORMS["bluesky"].limits.alt_text == "optional"  # the field is required, "" is valid


def test_alt_text_length_in_the_unit_each_server_counts(make_project):
    emoji = "😀" * 600  # 600 code points, 1200 UTF-16 units
    assert problems(make_project, f"platforms: [x, mastodon]\nimages: [{{src: a.jpg, alt: {emoji}}}]") == [
        ("PW413", 3, "x", "alt text of image 1 is 1200 utf16; X allows 1000")
    ]
    decomposed = "e\u0301" * 800  # 800 graphemes, 1600 code points: Rails counts code points
    assert problems(make_project, f"platforms: [mastodon]\nimages: [{{src: a.jpg, alt: {decomposed}}}]") == [
        ("PW413", 3, "mastodon", "alt text of image 1 is 1600 characters; Mastodon allows 1500")
    ]
    long_alt = "a" * 2500  # Bluesky's lexicon sets no length; 2000 is the app's editor
    assert problems(make_project, f"platforms: [bluesky]\nimages: [{{src: a.jpg, alt: {long_alt}}}]") == []


def test_each_alt_limit_names_its_unit():
    limits = {name: platform.limits for name, platform in PLATFORMS.items()}
    assert (limits["x"].max_alt_length, limits["x"].alt_unit) == (1000, "utf16")
    assert (limits["mastodon"].max_alt_length, limits["mastodon"].alt_unit) == (1500, "characters")
    assert limits["bluesky"].max_alt_length is None
    assert limits["x"].alt_count("😀") == 2 and limits["mastodon"].alt_count("😀") == 1
