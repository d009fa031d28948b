"""A platform declared in one place is a whole platform: "plurk" exists only in this file, registered the
way a platform module is picked up (postwright.platforms.register), and every stage serves it from its
declaration: check enforces its limits, build renders its text and cuts its images at its spec and its
brand kit at its sizes, preview shows its colour and account, count counts for it, and config.yml (and
its JSON Schema) takes it, with no other module edited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from postwright.cli import cli
from postwright.platforms import PLATFORMS, register
from postwright.platforms.base import ImageSpec, Limits, Measure, Platform, ProfileImages, Setting

from .conftest import write_files

PLURK = Platform(
    name="plurk",
    title="Plurk",
    handle_hint="nick name, e.g. janedoe",
    colours=("#7c2d12", "#fdba74"),
    profile_images=ProfileImages((300, 300), (1200, 400)),
    images=(ImageSpec("3x2", ("JPEG",), 2_000_000, aspect=(3, 2), width=600),),
    limits=Limits(
        measures=(Measure("characters", len, 360),),
        max_media=2,
        max_thread_parts=1,
        alt_text="optional",
        max_alt_length=None,
        max_image_bytes=2_000_000,
        image_formats=("JPEG",),
    ),
    settings=(Setting("qualifier", doc="the verb shown before the text", choices=("says", "shares")),),
)

CONFIG = """\
brand:
  name: Plurk Brand
  timezone: Europe/Madrid
  platforms: [plurk]
accounts:
  plurker:
    platform: plurk
    handle: "@brand_on_plurk"
    settings: {qualifier: shares}
platforms:
  plurk:
    images: {specs: {3x2: {min_width: 100}}}
people:
  jane: {name: Jane Doe, plurk: janep}
"""

FILES = f"""
-- config.yml --
{CONFIG}
-- assets/photo.jpg --
1500x1500
-- assets/brand/logo.png --
200x200
-- content/posts/2026-12-01-hello.md --
---
title: Hello
images:
  - src: photo.jpg
    alt: A kite
---
Hello from @[jane] on Plurk.
"""

TOO_LONG = """
-- content/posts/2026-12-02-long.md --
---
title: Long
---
{}
""".format("word " * 80)  # 400 characters: over plurk's 360


@pytest.fixture
def plurk() -> Iterator[Platform]:
    with register(PLURK) as platform:
        yield platform
    assert "plurk" not in PLATFORMS  # gone again: other tests see the platforms of the package only


@pytest.fixture
def project(tmp_path: Path, plurk: Platform) -> Path:
    write_files(tmp_path, FILES)
    return tmp_path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_a_registered_platform_is_in_the_registry_and_a_name_is_taken_once(plurk):
    assert PLATFORMS["plurk"] is PLURK
    with pytest.raises(RuntimeError, match="declared twice"), register(PLURK):
        pass
    assert PLATFORMS["plurk"] is PLURK  # the refused one took nothing away


def test_check_accepts_its_config_and_enforces_its_limits(project):
    code, out = _run("-C", str(project), "check", "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    write_files(project, TOO_LONG)
    code, out = _run("-C", str(project), "check", "--format", "json")
    problems = json.loads(out)
    assert code == 1
    assert [(p["platform"], p["severity"]) for p in problems] == [("plurk", "error")]
    assert "360" in problems[0]["message"]


def test_check_knows_its_settings(project):
    config = project / "config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("shares", "yells"), encoding="utf-8")
    code, out = _run("-C", str(project), "check", "--format", "json")
    assert code == 1
    assert ["qualifier" in problem["message"] for problem in json.loads(out)] == [True]


def test_build_renders_its_text_and_its_images_at_its_spec_and_its_brand_kit(project):
    code, _ = _run("-C", str(project), "build")
    assert code == 0
    document = json.loads((project / "publish/posts/2026-12-01-hello.en.json").read_text(encoding="utf-8"))
    variant = document["plurker"]
    assert variant["parts"] == ["Hello from @janep on Plurk."]
    assert variant["counts"] == [{"characters": {"count": 27, "limit": 360}}]
    (image,) = variant["media"]
    assert (image["spec"], image["width"], image["height"]) == ("3x2", 600, 400)
    with Image.open(project / "publish" / image["path"]) as rendition:
        assert (rendition.format, rendition.size) == ("JPEG", (600, 400))  # 3:2 at 600 px
    with (
        Image.open(project / "publish/brand/plurk/avatar.png") as avatar,
        Image.open(project / "publish/brand/plurk/header.jpg") as header,
    ):
        assert (avatar.size, header.size) == ((300, 300), (1200, 400))


def test_preview_shows_its_colour_and_its_account(project):
    code, _ = _run("-C", str(project), "preview", "--at", "2026-11-30T09:00")
    assert code == 0
    site = "".join(
        path.read_text(encoding="utf-8")
        for path in sorted((project / "publish").rglob("*"))
        if path.suffix in (".html", ".js", ".css")
    )
    assert ".p-plurk{--pc:#7c2d12}" in site and ".p-plurk{--pc:#fdba74}" in site
    assert "plurker" in site and "@brand_on_plurk" in site
    assert "brand/plurk/avatar.png" in site


def test_count_counts_the_way_it_declares(plurk):
    code, out = _run("count", "--platform", "plurk", "--format", "json", "x" * 361)
    assert code == 1
    assert json.loads(out) == {"plurk": {"count": 361, "limit": 360, "unit": "characters"}}


def test_config_schema_lists_it(plurk):
    code, out = _run("schema", "config")
    schema = json.loads(out)
    assert code == 0
    assert "plurk" in schema["$defs"]["Account"]["properties"]["platform"]["enum"]
    handle = schema["$defs"]["Person"]["properties"]["plurk"]
    assert handle["description"] == "Handle on Plurk: nick name, e.g. janedoe."
