import pytest

from postwright.config import load_config
from tests.conftest import ALT_TEXT_OPTIONAL_CONFIG, MINIMAL_CONFIG


def codes(problems):
    return [(p.code, p.span.line) for p in problems]


def test_minimal_config_loads_with_defaults(make_project):
    config, problems = load_config(make_project())
    assert problems == []
    assert config.brand.timezone == "Europe/Madrid"
    assert config.accounts["masto"].deliver == "outbox"
    assert config.schedule.grace.total_seconds() == 3 * 3600
    assert config.accounts_for("bluesky", "en") == ["sky"]
    assert config.accounts_for("bluesky", "es") == []
    assert config.accounts_for("mastodon", "es") == ["masto"]  # no language: takes every language


def test_missing_config_is_reported(tmp_path):
    from postwright.project import Project

    config, problems = load_config(Project(tmp_path))
    assert config is None and codes(problems) == [("PW100", 1)]


def test_unknown_time_zone_suggests_the_right_one(make_project):
    text = MINIMAL_CONFIG.replace("Europe/Madrid", "Europe/Madird")
    config, problems = load_config(make_project(f"-- config.yml --\n{text}"))
    assert config is None
    assert codes(problems) == [("PW101", 3)]
    assert "did you mean 'Europe/Madrid'" in problems[0].message


def test_unknown_key_points_at_the_key_with_suggestion(make_project):
    text = MINIMAL_CONFIG.replace("  platforms: [mastodon, bluesky]", "  platfroms: [mastodon]")
    _, problems = load_config(make_project(f"-- config.yml --\n{text}"))
    assert codes(problems) == [("PW030", 4)]
    assert problems[0].span.column == 3
    assert "did you mean 'platforms'" in problems[0].message


def test_secret_pasted_as_credential_is_refused_without_echoing_it(make_project):
    secret = "ghp_R3allyS3cretTok3nValue"
    text = MINIMAL_CONFIG.replace(
        "    platform: mastodon\n", f"    platform: mastodon\n    credentials: {{token: {secret}}}\n"
    )
    _, problems = load_config(make_project(f"-- config.yml --\n{text}"))
    assert codes(problems) == [("PW103", 8)]
    assert all(secret not in (p.message + p.hint) for p in problems)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("schedule: {grace: soon}", "PW104"),
        ("schedule: {default_time: '25:00'}", "PW105"),
        ("schedule: {slots: ['9:30', '14:65']}", "PW105"),
        ("paused: yes", "PW031"),
        ("platforms: {myspace: {}}", "PW102"),
        ("preview: {base_url: /home/me/site}", "PW211"),
        ("preview: {at: next tuesday}", "PW201"),
        ("preview: {at: '0001-01-01T00:00'}", "PW201"),
    ],
)
def test_typed_values_are_checked(make_project, line, code):
    config, problems = load_config(make_project(f"-- config.yml --\n{MINIMAL_CONFIG}{line}\n"))
    assert config is None
    assert [p.code for p in problems] == [code]
    assert problems[0].span.line == MINIMAL_CONFIG.count("\n") + 1


def test_account_on_unknown_platform(make_project):
    text = MINIMAL_CONFIG.replace("platform: mastodon", "platform: mastadon")
    _, problems = load_config(make_project(f"-- config.yml --\n{text}"))
    assert codes(problems) == [("PW102", 7)]
    assert "did you mean 'mastodon'" in problems[0].message


def test_limits_and_people_are_typed(make_project):
    extra = "  xprem:\n    platform: x\n    limits: {max_length: 25000}\n"
    text = MINIMAL_CONFIG.replace("people:", extra + "people:")
    config, problems = load_config(make_project(f"-- config.yml --\n{text}"))
    assert problems == []
    assert config.accounts["xprem"].limits.max_length == 25000
    assert config.people["jane"].mastodon == "@jane@example.social"


def test_rule_severities_can_be_changed_per_brand(make_project):
    from postwright import pipeline

    post = (
        "-- assets/a.png --\n4x4\n"
        "-- content/posts/2026-12-01-a.md --\n---\nplatforms: [mastodon]\nimages: [{src: a.png}]\n---\nHi.\n"
    )
    stricter = make_project(f"-- config.yml --\n{ALT_TEXT_OPTIONAL_CONFIG}severity: {{PW302: error}}\n{post}")
    assert [(d.code, d.severity.name) for d in pipeline.check(stricter).diagnostics] == [("PW302", "ERROR")]
    quiet = make_project(f"-- config.yml --\n{ALT_TEXT_OPTIONAL_CONFIG}severity: {{PW302: 'off'}}\n")
    assert pipeline.check(quiet).diagnostics == ()


def test_unknown_rule_code_in_severity_table(make_project):
    config, problems = load_config(
        make_project(f"-- config.yml --\n{MINIMAL_CONFIG}severity: {{PW320: error}}\n")
    )
    assert config is None and [(p.code, p.span.line) for p in problems] == [("PW031", 13)]
    assert "unknown rule code 'PW320'" in problems[0].message


def test_a_bad_image_override_drops_only_that_platforms_images(make_project):
    text = (
        f"{MINIMAL_CONFIG}platforms:\n"
        "  mastodon: {limits: {max_length: 400}, images: {width: 0}}\n"
        "  bluesky: {images: {max_side: 1500, formats: [jpg]}}\n"
    )
    config, problems = load_config(make_project(f"-- config.yml --\n{text}"))
    assert codes(problems) == [("PW031", 14)]
    assert config.platforms["mastodon"].limits.max_length == 400
    assert config.platforms["mastodon"].images.changes() == {}
    assert config.platforms["bluesky"].images.changes() == {"max_side": 1500, "formats": ["JPEG"]}


def test_limits_follow_each_configs_overrides(make_project):
    """limits_for remembers its answers: other configs, or accounts, with other overrides still get theirs."""
    from postwright.config import limits_for
    from postwright.platforms import PLATFORMS

    extra = "  long:\n    platform: mastodon\n    limits: {max_length: 25000}\n"
    plain, _ = load_config(make_project(f"-- config.yml --\n{MINIMAL_CONFIG}"))
    with_long = MINIMAL_CONFIG.replace("people:", extra + "people:")
    own, _ = load_config(make_project(f"-- config.yml --\n{with_long}"))
    shared = "platforms:\n  mastodon: {limits: {max_length: 1000}}\n"
    shared = MINIMAL_CONFIG.replace("people:", shared + "people:")
    raised, _ = load_config(make_project(f"-- config.yml --\n{shared}"))
    default = PLATFORMS["mastodon"].limits.measures[0].limit
    for _ in range(2):  # the second time from what limits_for remembers
        assert limits_for(own, own.accounts["long"]).measures[0].limit == 25000
        assert limits_for(own, own.accounts["masto"]).measures[0].limit == default
        assert limits_for(plain, plain.accounts["masto"]).measures[0].limit == default
        assert limits_for(raised, raised.accounts["masto"]).measures[0].limit == 1000
