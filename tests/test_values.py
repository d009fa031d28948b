"""Values out of what date arithmetic can take: a located error for the one post or setting, never an
internal error, and the other posts still go out."""

import json

import pytest
from click.testing import CliRunner

from postwright.cli import cli
from tests.conftest import MINIMAL_CONFIG

AT = "2026-12-01T09:05"  # the good post is due

GOOD = """
-- content/posts/2026-12-01-0900-good.md --
---
title: Good
---
This one must go out.
"""


def run(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def no_internal_error(result):
    """CliRunner keeps an uncaught exception (exit 70 from the real entry point) in result.exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 70


BAD_POSTS = {
    "expires-9999": ("2026-12-01-0900-bad.md", "expires: 9999-12-31\n", 2),
    "date-year-1": ("bad.md", "date: 0001-01-01\n", 2),
    "date-9999-with-time": ("bad.md", "date: 9999-12-31T23:59\n", 2),
    "offset-past-9999": ("bad.md", "date: '9999-12-31 23:59 -05:00'\n", 2),
    "offset-before-year-1": ("bad.md", "date: '0001-01-01 00:00 +05:00'\n", 2),
    "expires-offset-past-9999": ("2026-12-01-0900-bad.md", "expires: '9999-12-31 23:59 -05:00'\n", 2),
    "override-date-9999": ("2026-12-01-0900-bad.md", "overrides:\n  masto: {date: '9999-12-31 23:00'}\n", 3),
    "file-name-9999": ("9999-12-31-bad.md", "", 1),
    "file-name-9999-with-time": ("9999-12-31-2359-bad.md", "", 1),
}


@pytest.mark.parametrize("case", BAD_POSTS, ids=list(BAD_POSTS))
def test_one_post_with_an_unusable_date_stops_no_other(make_project, case):
    name, front, line = BAD_POSTS[case]
    project = make_project(GOOD + f"-- content/posts/{name} --\n---\n{front}---\nBad one.\n")
    bad = f"content/posts/{name}"

    checked = run("-C", project.root, "check", "--format", "json")
    no_internal_error(checked)
    assert checked.exit_code == 1
    assert [(item["path"], item["line"], item["code"]) for item in json.loads(checked.stdout)] == [
        (bad, line, "PW201")
    ]
    assert "1900 to 8999" in checked.stdout

    published = run("-C", project.root, "publish", "--at", AT)
    no_internal_error(published)
    assert published.exit_code == 1  # invalid content, and the good post is sent all the same
    assert "published   2026-12-01-0900-good.en/masto" in published.stdout
    assert "published   2026-12-01-0900-good.en/sky" in published.stdout
    assert len(list((project.root / "outbox").rglob("*.json"))) == 2

    for command in (["plan"], ["plan", "--format", "json"], ["preview"], ["calendar", "-o", "-"]):
        result = run("-C", project.root, *command, "--at", AT)
        no_internal_error(result)
        assert "2026-12-01-0900-good" in (
            result.stdout
            if command[0] != "preview"
            else (project.root / "publish/preview/index.js").read_text()
        )


MASTO = "    platform: mastodon\n"  # the masto account in MINIMAL_CONFIG, on line 7


@pytest.mark.parametrize(
    ("setting", "code"),
    [
        ("schedule: {grace: 99999999999d}", "PW104"),
        ("schedule: {duplicate_window: 99999999999d}", "PW104"),
        ("schedule: {grace: 1" + "0" * 5000 + "d}", "PW104"),
        ("schedule: {grace: 3651d}", "PW104"),
        ("platforms: {mastodon: {limits: {max_length: 1" + "0" * 40 + "}}}", "PW031"),
        ("platforms: {mastodon: {limits: {max_image_bytes: 1" + "0" * 100 + "}}}", "PW031"),
        ("    limits: {max_thread_parts: 1" + "0" * 20 + "}", "PW031"),  # the masto account's own
    ],
)
def test_huge_durations_and_numbers_in_config_are_located_errors(make_project, setting, code):
    if setting.startswith(" "):
        config, line = MINIMAL_CONFIG.replace(MASTO, MASTO + setting + "\n"), 8
    else:
        config, line = MINIMAL_CONFIG + setting + "\n", MINIMAL_CONFIG.count("\n") + 1
    project = make_project(f"-- config.yml --\n{config}" + GOOD)
    for command in (["check"], ["build"], ["preview", "--at", AT]):
        result = run("-C", project.root, *command)
        no_internal_error(result)
        assert result.exit_code == 1
        assert f"config.yml:{line}:" in result.output and f"error {code}" in result.output
        assert len(result.output) < 2000  # a value of thousands of digits is not echoed whole


def test_longest_duration_is_accepted(make_project):
    project = make_project(
        f"-- config.yml --\n{MINIMAL_CONFIG}schedule: {{grace: 3650d, duplicate_window: 3650d}}\n" + GOOD
    )
    assert run("-C", project.root, "check").exit_code == 0


@pytest.mark.parametrize("command", ["plan", "publish", "preview", "calendar", "schedule"])
@pytest.mark.parametrize("at", ["9999-12-31T23:59Z", "0001-01-01T00:00Z", "9999-12-31T23:59"])
def test_at_out_of_range_is_a_usage_error(make_project, command, at):
    project = make_project(GOOD)
    result = run("-C", project.root, command, "--at", at)
    no_internal_error(result)
    assert result.exit_code == 2
    assert "1900 to 8999" in result.output


def test_new_with_a_date_out_of_range_is_a_usage_error(make_project):
    project = make_project(GOOD)
    result = run("-C", project.root, "new", "Far", "--date", "9999-12-31")
    no_internal_error(result)
    assert result.exit_code == 2 and "1900 to 8999" in result.output


def test_edge_years_are_accepted(make_project):
    project = make_project(
        GOOD
        + "-- content/posts/early.md --\n---\ndate: 1900-01-01 00:00\n---\nOld.\n"
        + "-- content/posts/late.md --\n---\ndate: '8999-12-31 10:00 -12:00'\nexpires: 8999-12-31\n"
        "draft: true\n---\nLate.\n"
    )
    assert run("-C", project.root, "check").exit_code == 0
    for command in ("plan", "preview", "calendar"):
        no_internal_error(run("-C", project.root, command, "--at", AT))


def test_month_calendar_skips_centuries_without_posts(make_project):
    """One post dated far ahead used to make a month page for every month in between (thousands)."""
    project = make_project(
        GOOD
        + "-- content/posts/2027-03-01-spring.md --\n---\n---\nSpring.\n"
        + "-- content/posts/late.md --\n---\ndate: 8999-06-01 09:00\n---\nLate.\n"
    )
    result = run("-C", project.root, "preview", "--at", AT)
    no_internal_error(result)
    assert result.exit_code == 0
    page = (project.root / "publish/preview/index.js").read_text()  # the months site.js draws
    assert "December 2026" in page and "June 8999" in page
    assert "January 2027" in page and "February 2027" in page  # a short stretch without posts is shown
    assert "April 2027" not in page and "January 5000" not in page
    assert len(page) < 5_000_000


# --- image overrides in config.yml ---------------------------------------------------------------------

WITH_IMAGE = """
-- assets/photo.png --
60x40
-- assets/brand/logo.png --
8x4
-- content/posts/2026-12-01-0900-good.md --
---
title: Good
images: [{src: photo.png, alt: A photo}]
---
This one must go out.
"""

BAD_IMAGE_OVERRIDES = {
    "unknown-key": ("{bogus: 3}", "PW030", "bogus"),
    "unknown-spec": ("{specs: {kepp: {width: 10}}}", "PW031", "did you mean 'keep'"),
    "aspect-zero": ("{aspect: [0, 1]}", "PW031", "out of range"),
    "aspect-negative": ("{aspect: [-1, 2]}", "PW031", "out of range"),
    "aspect-one-number": ("{aspect: [1]}", "PW031", "not an aspect"),
    "aspect-word": ("{aspect: square}", "PW031", "not an aspect"),
    "aspect-fraction": ("{aspect: [1.91, 1]}", "PW031", "whole numbers"),
    "aspect-too-long": ("{aspect: [1, 101]}", "PW031", "longer than 100:1"),
    "aspect-huge": ("{aspect: [1, 100000000000000000000000]}", "PW031", "out of range"),
    "width-zero": ("{width: 0}", "PW031", "a whole number from 1 to 20000"),
    "width-huge": ("{width: 1000000000000000000000000000000}", "PW031", "a whole number from 1 to 20000"),
    "max-bytes-negative": ("{max_bytes: -5}", "PW031", "from 1 to 1000000000"),
    "max-pixels-huge": ("{max_pixels: 10000000000}", "PW031", "from 1 to 1000000000"),
    "max-bytes-null": ("{max_bytes: null}", "PW031", "whole number"),
    "max-ratio-nan": ("{max_ratio: .nan}", "PW031", "out of range"),
    "format-bmp": ("{formats: [BMP]}", "PW031", "not an image format"),
    "formats-empty": ("{formats: []}", "PW031", "at least 1"),
    "upscale-maybe": ("{allow_upscale: maybe}", "PW031", "true or false"),
    "overlay-position": ("{overlay: {logo: brand/logo.png, position: middle}}", "PW031", "center"),
    "overlay-size": ("{overlay: {logo: brand/logo.png, size: 5}}", "PW031", "out of range"),
    "overlay-opacity": ("{overlay: {logo: brand/logo.png, opacity: -1}}", "PW031", "out of range"),
    "overlay-size-string": ("{overlay: {logo: brand/logo.png, size: '0.2'}}", "PW031", "size"),
    "logo-outside-assets": ("{overlay: {logo: ../../etc/passwd}}", "PW031", "outside assets/"),
    "logo-absolute": ("{overlay: {logo: /etc/passwd}}", "PW031", "outside assets/"),
    "logo-missing": ("{overlay: {logo: brand/nope.png}}", "PW031", "not found"),
    "logo-forgotten": ("{overlay: {size: 0.2}}", "PW032", "logo"),
    "not-a-mapping": ("3", "PW031", "mapping"),
}


@pytest.mark.parametrize("case", BAD_IMAGE_OVERRIDES, ids=list(BAD_IMAGE_OVERRIDES))
def test_a_bad_image_override_is_a_located_error_and_the_brand_still_builds(make_project, case):
    value, code, words = BAD_IMAGE_OVERRIDES[case]
    line = MINIMAL_CONFIG.count("\n") + 3
    config = f"{MINIMAL_CONFIG}platforms:\n  mastodon:\n    images: {value}\n"
    project = make_project(f"-- config.yml --\n{config}" + WITH_IMAGE)

    checked = run("-C", project.root, "check", "--format", "json")
    no_internal_error(checked)
    assert checked.exit_code == 1
    found = json.loads(checked.stdout)
    assert {(item["path"], item["line"], item["code"]) for item in found} == {("config.yml", line, code)}
    assert words in checked.stdout and "mastodon uses its own image specs" in checked.stdout

    built = run("-C", project.root, "build")
    no_internal_error(built)
    assert built.exit_code == 1
    for account in ("masto", "sky"):  # mastodon falls back to its own spec: the whole image, kept
        post = json.loads((project.root / "publish/posts/2026-12-01-0900-good.en.json").read_text())[account]
        assert [(item["width"], item["height"]) for item in post["media"]] == [(60, 40)]


def test_a_valid_image_override_applies_next_to_a_dropped_one(make_project):
    config = (
        f"{MINIMAL_CONFIG}platforms:\n"
        "  mastodon:\n"
        "    limits: {max_length: 400}\n"
        "    images: {aspect: [1, 1], formats: [jpg, PNG], max_bytes: 500000,\n"
        "             overlay: {logo: brand/logo.png, size: 0.2, position: top-left}}\n"
        "  bluesky:\n"
        "    images: {specs: {keep: {max_side: 0}}}\n"
    )
    project = make_project(f"-- config.yml --\n{config}" + WITH_IMAGE)

    checked = run("-C", project.root, "check", "--format", "json")
    no_internal_error(checked)
    assert [(item["line"], item["code"]) for item in json.loads(checked.stdout)] == [
        (MINIMAL_CONFIG.count("\n") + 7, "PW031")
    ]
    built = run("-C", project.root, "build")
    no_internal_error(built)
    post = json.loads((project.root / "publish/posts/2026-12-01-0900-good.en.json").read_text())
    masto, sky = post["masto"], post["sky"]
    assert [(item["width"], item["height"]) for item in masto["media"]] == [(40, 40)]  # cropped square
    assert [(item["width"], item["height"]) for item in sky["media"]] == [(60, 40)]  # its own spec


def test_adding_a_missing_overlay_logo_is_seen_by_the_next_build(make_project):
    """The logo is under assets/, which the build stamp covers: its error is not reused once it is there."""
    config = f"{MINIMAL_CONFIG}platforms:\n  mastodon:\n    images: {{overlay: {{logo: brand/mark.png}}}}\n"
    project = make_project(f"-- config.yml --\n{config}" + WITH_IMAGE)
    first = run("-C", project.root, "build")
    no_internal_error(first)
    assert first.exit_code == 1 and "assets/brand/mark.png not found" in first.output

    (project.root / "assets/brand/logo.png").rename(project.root / "assets/brand/mark.png")
    second = run("-C", project.root, "build")
    assert second.exit_code == 0, second.output
    assert "not found" not in second.output
