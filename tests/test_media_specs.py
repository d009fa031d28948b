"""The platforms' image specs and a brand's overrides (postwright/media/specs.py)."""

from __future__ import annotations

import pytest

from postwright.media import specs_for
from postwright.platforms import PLATFORMS
from postwright.platforms.base import Overlay


def test_every_platform_has_specs_within_its_limits():
    assert all(platform.images for platform in PLATFORMS.values())
    for name, specs in ((name, platform.images) for name, platform in PLATFORMS.items()):
        limits = PLATFORMS[name].limits
        assert specs, name
        for spec in specs:
            assert spec.max_bytes <= limits.max_image_bytes, (name, spec.name)
            assert set(spec.formats) <= set(limits.image_formats), (name, spec.name)
            assert "JPEG" in spec.formats


def test_instagram_is_4x5_and_1x1_at_1080_jpeg_only():
    four_five, square = PLATFORMS["instagram"].images
    assert (four_five.aspect, four_five.width, four_five.formats) == ((4, 5), 1080, ("JPEG",))
    assert (square.aspect, square.width) == ((1, 1), 1080)
    assert PLATFORMS["bluesky"].images[0].max_bytes == 1_000_000


def test_overrides_prefer_1x1_everywhere_and_merge_duplicates(tmp_path):
    (square,) = specs_for("instagram", {"aspect": [1, 1]})
    assert (square.name, square.aspect, square.width) == ("1x1", (1, 1), 1080)
    (sky,) = specs_for("bluesky", {"aspect": [1, 1]})
    assert (sky.name, sky.aspect, sky.max_side) == ("1x1", (1, 1), 2000)
    assert specs_for("x", None) == PLATFORMS["x"].images


def test_overrides_per_spec_overlay_and_unknown_keys(tmp_path):
    four_five, square = specs_for(
        "instagram",
        {"specs": {"4x5": {"width": 1200}}, "overlay": {"logo": "brand/logo.png", "size": 0.2}},
        base_dir=tmp_path,
    )
    assert (four_five.width, square.width) == (1200, 1080)
    assert square.overlay == Overlay(logo=str(tmp_path / "brand/logo.png"), size=0.2)
    with pytest.raises(ValueError, match="aspekt"):
        specs_for("x", {"aspekt": [1, 1]})
    with pytest.raises(ValueError, match="9x9"):
        specs_for("x", {"specs": {"9x9": {}}})
