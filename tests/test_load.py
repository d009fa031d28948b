from datetime import datetime
from zoneinfo import ZoneInfo

from postwright.config import load_config
from postwright.load import load_posts

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
