"""`postwright init` (issue 15): the time zone is checked before anything is written, the folder becomes
a git repository, and the scaffold's templates keep a post's link wherever the platform would drop it."""

from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.diagnostics import Severity
from postwright.platforms import PLATFORMS
from postwright.project import Project
from postwright.scaffold import default_action
from tests.conftest import write_files

LINK = "https://acme.example/spring"
CARD_WITHOUT_IMAGES = {"bluesky", "facebook", "linkedin", "threads"}  # the publisher makes a link card
SHOWN_APART = {"pinterest", "instagram", "tiktok"}  # the pin's destination; captions cannot link


def init(*args: str):
    return CliRunner().invoke(cli, ["init", *args])


def test_a_misspelt_time_zone_is_a_usage_error_with_a_suggestion_and_writes_nothing(tmp_path):
    target = tmp_path / "brand"
    result = init(str(target), "--timezone", "Europe/Madird")
    assert result.exit_code == 2
    assert "unknown time zone 'Europe/Madird' (did you mean 'Europe/Madrid'?)" in result.output
    assert not target.exists()


def test_a_folder_outside_git_becomes_a_repository(tmp_path):
    target = tmp_path / "brand"
    result = init(str(target), "--timezone", "Europe/Madrid")
    assert result.exit_code == 0, result.output
    top = subprocess.run(
        ["git", "-C", str(target), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True
    )
    assert top.stdout.strip() == str(target.resolve())
    branch = subprocess.run(
        ["git", "-C", str(target), "symbolic-ref", "--short", "HEAD"], capture_output=True, text=True
    )
    assert branch.stdout.strip() == "main"  # the branch GitHub publishes from by default
    assert "git init" in result.stderr


def test_a_folder_inside_a_repository_is_left_to_it(tmp_path):
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    target = tmp_path / "social"
    result = init(str(target))
    assert result.exit_code == 0, result.output
    assert not (target / ".git").exists() and "git init" not in result.stderr


def test_a_brand_with_image_only_platforms_passes_check(tmp_path):
    """Instagram and Pinterest take no post without an image: brand.platforms leaves them out, so the
    sample post passes; they stay accounts, for posts with images to name."""
    target = tmp_path / "brand"
    assert init(str(target), "--platforms", "x,instagram,pinterest").exit_code == 0
    checked = CliRunner().invoke(cli, ["-C", str(target), "check", "--strict"])
    assert checked.exit_code == 0, checked.output
    config = (target / "config.yml").read_text(encoding="utf-8")
    assert "  platforms: [x]\n" in config and "  instagram_main:\n" in config


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_brand_on_any_single_platform_passes_check(tmp_path, platform):
    """Instagram or Pinterest alone cannot leave the sample post without an image (PW410): it gets the
    placeholder image init writes into assets/."""
    target = tmp_path / "brand"
    assert init(str(target), "--platforms", platform, "--name", "Acme: R&D #1").exit_code == 0
    checked = CliRunner().invoke(cli, ["-C", str(target), "check", "--strict"])
    assert checked.exit_code == 0, checked.output
    has_image = (target / "assets" / "hello.jpg").is_file()
    assert has_image == PLATFORMS[platform].limits.requires_media


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A post with a link, once without and once with an image, rendered for every platform through the
    templates `init` writes."""
    target = tmp_path_factory.mktemp("scaffold") / "brand"
    without_images = [name for name, platform in PLATFORMS.items() if not platform.limits.requires_media]
    result = init(str(target), "--platforms", ",".join(PLATFORMS), "--timezone", "Europe/Madrid")
    assert result.exit_code == 0, result.output
    write_files(
        target,
        f"""\
-- assets/kite.png --
1200x1200
-- content/posts/2027/2027-03-01-plain.md --
---
platforms: [{", ".join(without_images)}]
link: {LINK}
---
Spring kites are here.
-- content/posts/2027/2027-03-02-photo.md --
---
platforms: [{", ".join(PLATFORMS)}]
link: {LINK}
images:
  - src: kite.png
    alt: A red kite over the beach
---
A spring kite, in red.
""",
    )
    checked = pipeline.check(Project(target))
    mine = [item for item in checked.diagnostics if "2027-03-0" in item.span.path]
    assert [item.code for item in mine if item.severity >= Severity.ERROR] == []
    return {(variant.post_id, variant.platform): "\n".join(variant.parts) for variant in checked.variants}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_the_scaffold_s_templates_carry_the_link_where_the_platform_would_not_show_it(rendered, platform):
    for post, images in (("2027-03-01-plain", False), ("2027-03-02-photo", True)):
        key = (post, platform)
        if not images and PLATFORMS[platform].limits.requires_media:
            continue  # Instagram and Pinterest take no post without an image
        shown_apart = platform in SHOWN_APART or (platform in CARD_WITHOUT_IMAGES and not images)
        assert (LINK in rendered[key]) != shown_apart, (key, rendered[key])


def test_init_says_which_action_commit_its_workflows_run(tmp_path):
    """The default ref is a commit the release workflow writes; a brand should know which one it got."""
    default = init(str(tmp_path / "a"), "--timezone", "Europe/Madrid")
    assert default.exit_code == 0, default.output
    assert f"workflows run {default_action()} (the default); pass --action" in default.stderr
    chosen = init(str(tmp_path / "b"), "--timezone", "Europe/Madrid", "--action", f"acme/pw@{'a' * 40}")
    assert chosen.exit_code == 0, chosen.output
    assert "(the default)" not in chosen.stderr
    assert f"uses: acme/pw@{'a' * 40}" in (tmp_path / "b/.github/workflows/publish.yml").read_text()
