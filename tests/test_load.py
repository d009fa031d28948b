from datetime import datetime
from zoneinfo import ZoneInfo

from postwright.config import load_config
from postwright.load import load_posts
from tests.conftest import MINIMAL_CONFIG

MADRID = ZoneInfo("Europe/Madrid")


def load(project):
    config, problems = load_config(project)
    assert problems == []
    return load_posts(project, config)


def found(loaded):
    return sorted((d.span.path.rsplit("/", 1)[-1], d.code, d.span.line) for d in loaded.diagnostics)


def test_id_date_and_language_come_from_the_file_name(make_project):
    loaded = load(
        make_project(
            """
            -- content/posts/2026/2026-12-01-launch.md --
            ---
            title: Launch
            ---
            We launched.
            -- content/posts/2026/2026-12-01-launch.es.md --
            ---
            title: Lanzamiento
            ---
            Lanzamos.
            -- content/posts/2026/2026-12-02-1730-evening.md --
            ---
            ---
            Evening post.
            """
        )
    )
    assert found(loaded) == []
    posts = {(post.id, post.lang): post for post in loaded.posts}
    assert set(posts) == {
        ("2026-12-01-launch", "en"),
        ("2026-12-01-launch", "es"),
        ("2026-12-02-1730-evening", "en"),
    }
    assert posts["2026-12-01-launch", "en"].publish_at == datetime(2026, 12, 1, 9, 0, tzinfo=MADRID)
    assert posts["2026-12-02-1730-evening", "en"].publish_at == datetime(2026, 12, 2, 17, 30, tzinfo=MADRID)
    assert posts["2026-12-01-launch", "en"].targets == ("masto", "sky")
    # by default the Spanish variant goes only where Spanish is taken: bluesky's account is English-only
    assert posts["2026-12-01-launch", "es"].targets == ("masto",)
    assert loaded.diagnostics == ()


def test_spanish_variant_without_a_bluesky_account_is_reported(make_project):
    loaded = load(
        make_project(
            """
            -- content/posts/2026-12-01-launch.es.md --
            ---
            platforms: [mastodon, bluesky]
            ---
            Lanzamos.
            """
        )
    )
    assert found(loaded) == [("2026-12-01-launch.es.md", "PW207", 2)]
    assert loaded.diagnostics[0].platform == "bluesky"


def test_date_in_front_matter_with_offset_and_variant_inheriting_date(make_project):
    loaded = load(
        make_project(
            """
            -- content/posts/launch.md --
            ---
            date: 2026-12-01T10:15:00+00:00
            ---
            Text.
            -- content/posts/2026-12-05-note.md --
            ---
            ---
            Text.
            -- content/posts/2026-12-05-note.fa.md --
            ---
            platforms: [mastodon]
            ---
            متن.
            """
        )
    )
    assert found(loaded) == []
    posts = {(post.id, post.lang): post for post in loaded.posts}
    assert posts["launch", "en"].publish_at == datetime(2026, 12, 1, 11, 15, tzinfo=MADRID)
    assert posts["2026-12-05-note", "fa"].publish_at == posts["2026-12-05-note", "en"].publish_at


def test_daylight_saving_gap_and_fold(make_project):
    loaded = load(
        make_project(
            """
            -- content/posts/gap.md --
            ---
            date: 2026-03-29 02:30
            ---
            Text.
            -- content/posts/fold.md --
            ---
            date: 2026-10-25 02:30
            ---
            Text.
            """
        )
    )
    assert found(loaded) == [("fold.md", "PW203", 2), ("gap.md", "PW202", 2)]
    (fold,) = loaded.posts
    assert fold.publish_at.utcoffset().total_seconds() == 7200  # the first 02:30, still summer time


def test_expires_and_per_account_dates(make_project):
    loaded = load(
        make_project(
            """
            -- content/posts/2026-12-01-sale.md --
            ---
            expires: 2026-12-03
            overrides:
              bluesky: {date: 2026-12-01 12:00}
              masto: {date: 2026-12-02 08:00, body: Shorter.}
            ---
            Sale!
            -- content/posts/2026-12-01-late.md --
            ---
            expires: 2026-11-30
            ---
            Too late.
            """
        )
    )
    assert found(loaded) == [("2026-12-01-late.md", "PW205", 2)]
    late, sale = loaded.posts  # the late one stays a post with its error: shown blocked, never sent
    assert late.id == "2026-12-01-late"
    assert sale.expires == datetime(2026, 12, 4, 0, 0, tzinfo=MADRID)  # a date alone: end of that day
    assert sale.publish_at_by_account == {
        "masto": datetime(2026, 12, 2, 8, 0, tzinfo=MADRID),
        "sky": datetime(2026, 12, 1, 12, 0, tzinfo=MADRID),
    }
    assert sale.overrides["masto"]["body"] == "Shorter."


def test_targets_by_account_and_unknown_names(make_project):
    loaded = load(
        make_project(
            """
            -- content/posts/2026-12-01-a.md --
            ---
            accounts: [sky]
            ---
            Only Bluesky.
            -- content/posts/2026-12-01-b.md --
            ---
            accounts: [skye]
            overrides:
              mastadon: {body: x}
            ---
            Text.
            """
        )
    )
    assert found(loaded) == [("2026-12-01-b.md", "PW206", 2), ("2026-12-01-b.md", "PW206", 4)]
    messages = [d.message for d in loaded.diagnostics]
    assert "did you mean 'sky'" in messages[0] and "did you mean 'mastodon'" in messages[1]
    only, unknown = loaded.posts  # b stays a post with its errors, going nowhere: never sent
    assert only.targets == ("sky",) and only.platforms == ("bluesky",)
    assert unknown.id == "2026-12-01-b" and unknown.targets == ()


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


def test_hidden_and_underscore_files_are_skipped(make_project):
    loaded = load(
        make_project(
            """
            -- content/_partials/x.md --
            not a post
            -- content/.trash/y.md --
            not a post
            """
        )
    )
    assert loaded.files == () and loaded.diagnostics == ()


def test_date_formats_writers_type(make_project):
    from postwright.diagnostics import Span
    from postwright.when import parse_when

    config, _ = load_config(make_project())
    expected = {
        "2026-12-01": datetime(2026, 12, 1, 9, 0, tzinfo=MADRID),
        "2026-12-01 9:30": datetime(2026, 12, 1, 9, 30, tzinfo=MADRID),
        "2026-12-01T09:30:15": datetime(2026, 12, 1, 9, 30, 15, tzinfo=MADRID),
        "2026-12-01 09:30Z": datetime(2026, 12, 1, 10, 30, tzinfo=MADRID),
        "2026-12-01 09:30 +01:00": datetime(2026, 12, 1, 9, 30, tzinfo=MADRID),
        "2026-12-01 04:30-0400": datetime(2026, 12, 1, 9, 30, tzinfo=MADRID),
    }
    for text, when in expected.items():
        parsed, problems = parse_when(config, text, Span("x"))
        assert (parsed, problems) == (when, []), text
    for bad in ("2026-02-30", "2026-12-01 24:00", "next tuesday", "2026-12-01 09:61", "01.12.2026"):
        parsed, problems = parse_when(config, bad, Span("x"))
        assert parsed is None and [p.code for p in problems] == ["PW201"], bad


def test_variant_without_date_takes_a_front_matter_date_from_its_sibling(make_project):
    loaded = load(
        make_project(
            """
            -- content/posts/launch2.md --
            ---
            date: 2026-12-20 10:00
            ---
            Launch.
            -- content/posts/launch2.es.md --
            ---
            platforms: [mastodon]
            ---
            Lanzamiento.
            """
        )
    )
    assert found(loaded) == []
    assert len({post.publish_at for post in loaded.posts}) == 1


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
