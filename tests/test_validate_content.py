"""validate.py's content rules, as loading applies them: located at the line that causes each."""

from tests.conftest import MINIMAL_CONFIG
from tests.test_load import found, load


def test_images_are_resolved_inside_assets(make_project):
    loaded = load(
        make_project(
            """
            -- assets/photos/cat.jpg --
            40x30
            -- content/posts/2026-12-01-cats.md --
            ---
            images:
              - src: photos/cat.jpg
                alt: A ginger cat asleep on a keyboard
                focus: [0.5, 0.25]
              - src: photos/cta.jpg
                alt: typo
              - src: ../config.yml
                alt: escape
              - src: photos/cat.jpg
            ---
            Cats.
            """
        )
    )
    assert found(loaded) == [
        ("2026-12-01-cats.md", "PW300", 6),
        ("2026-12-01-cats.md", "PW301", 8),
    ]  # missing alt text is judged per platform in validate
    assert "did you mean 'photos/cat.jpg'" in loaded.diagnostics[0].message


def test_mentions_and_brand_rules_are_located_in_the_body(make_project):
    rules = "  rules:\n    banned_words: [cheap]\n    disclosures: [{tags: [sponsored], text: '#ad'}]\n"
    config = MINIMAL_CONFIG.replace("accounts:\n", rules + "accounts:\n") + "  bob: {name: Bob}\n"
    project = make_project(f"-- config.yml --\n{config}")
    (project.root / "content").mkdir()
    (project.root / "content" / "2026-12-01-m.md").write_text(
        "---\ntags: [sponsored]\n---\nThanks @[jane]!\nMeet @[bob] and @[jnae].\nNot CHEAP at all.\n"
    )
    loaded = load(project)
    assert found(loaded) == [
        ("2026-12-01-m.md", "PW230", 5),
        ("2026-12-01-m.md", "PW231", 5),
        ("2026-12-01-m.md", "PW231", 5),
        ("2026-12-01-m.md", "PW240", 6),
        ("2026-12-01-m.md", "PW241", 4),
    ]
    unknown = next(d for d in loaded.diagnostics if d.code == "PW230")
    assert unknown.span.column == 17 and "did you mean 'jane'" in unknown.message


def test_duplicate_ids_are_reported(make_project):
    loaded = load(
        make_project(
            """
            -- content/posts/a/2026-12-01-x.md --
            ---
            ---
            One.
            -- content/posts/b/2026-12-01-x.md --
            ---
            ---
            Two.
            """
        )
    )
    assert found(loaded) == [("2026-12-01-x.md", "PW208", 1), ("2026-12-01-x.md", "PW208", 1)]  # both files
    assert len(loaded.posts) == 2


def test_override_checks_follow_where_the_override_goes(make_project):
    rules = "  rules:\n    disclosures: [{tags: [sponsored], text: '#ad'}]\n"
    config = (
        MINIMAL_CONFIG.replace("accounts:\n", rules + "accounts:\n").replace(
            "  sky:\n", "  masto_es:\n    platform: mastodon\n    language: es\n  sky:\n"
        )
        + "  reza: {name: Reza, bluesky: reza.example.social}\n"
    )
    project = make_project(f"-- config.yml --\n{config}")
    posts = project.root / "content"
    posts.mkdir()
    (posts / "2026-12-01-a.md").write_text(
        "---\ntags: [sponsored]\nexpires: 2026-12-02\noverrides:\n"
        "  bluesky: {body: 'With @[reza] #ad'}\n"  # reza has a bluesky handle: no PW231 for mastodon
        "  x: {body: unused}\n"  # the post does not go to X
        "  masto: {date: 2026-12-03 10:00}\n"  # after expires
        "---\nPaid post. #adventure\n"  # '#ad' inside '#adventure' is not a disclosure
    )
    (posts / "2026-12-01-b.md").write_text("---\naccounts: [masto_es]\n---\nEnglish text.\n")
    assert found(load(project)) == [
        ("2026-12-01-a.md", "PW205", 7),
        ("2026-12-01-a.md", "PW212", 6),
        ("2026-12-01-a.md", "PW241", 6),  # every text that may be posted needs the disclosure
        ("2026-12-01-a.md", "PW241", 9),
        ("2026-12-01-b.md", "PW213", 2),
    ]
