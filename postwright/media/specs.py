"""What each platform wants from an image (ImageSpec), its sources, and a brand's overrides from config.yml.

Plain data, no imaging library: config, the registry and the preview read it without loading Pillow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

Position = Literal["top-left", "top-right", "bottom-left", "bottom-right", "center"]


@dataclass(frozen=True, slots=True)
class Overlay:
    """A brand watermark: the logo at a corner (or the centre), `size` × image width wide, `opacity` 0..1."""

    logo: str  # a path; specs_for resolves it against the folder it is given (the assets folder)
    position: Position = "bottom-right"
    size: float = 0.15
    opacity: float = 0.8
    margin: float = 0.03  # gap to the edges, as a fraction of the image width


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """One image a platform wants: shape, size, formats and byte limit. Plain data; see SPECS_BY_PLATFORM.

    With `aspect`, the source is cropped to that shape (around the focus, else the most detailed region)
    and scaled to `width` (or to fit `max_side`). Without it the whole image is kept and scaled to fit
    `width`, `max_side` and `max_pixels`, whichever is tightest. Nothing is upscaled unless allowed.
    """

    name: str  # "4x5", "1x1", "16x9", "keep": part of the rendition's identity, shown to people
    formats: tuple[str, ...]  # Pillow format names the platform accepts; JPEG is used unless alpha/animation
    max_bytes: int
    aspect: tuple[int, int] | None = None  # (w, h) to crop to; None keeps the source's shape
    width: int | None = None  # target width in px (an upper bound when aspect is None)
    max_side: int | None = None  # longest side, px
    max_pixels: int | None = None  # width × height, e.g. Mastodon downscales above 3840×2160
    max_ratio: float | None = None  # longest/shortest side; a longer panorama is cropped (Threads 10:1)
    min_width: int = 0  # a source region narrower than this is reported (PW308)
    allow_upscale: bool = False
    overlay: Overlay | None = None

    def key(self) -> str:
        """Canonical JSON of every field: what the recipe key hashes."""
        return _spec_key(self)


@lru_cache(maxsize=1024)
def _spec_key(spec: ImageSpec) -> str:
    return json.dumps(asdict(spec), sort_keys=True, separators=(",", ":"))


# Specs: plain data, cut-and-paste ready for each platform module. Sources are PLATFORMS.md sections
# ([P] platform docs, [S] secondary sources); numbers that are our choice say so.

_MB = 1024 * 1024
SPECS_BY_PLATFORM: dict[str, tuple[ImageSpec, ...]] = {
    # §5: "Images must be JPEG, ≤8 MB, aspect ratio 4:5 … 1.91:1, width 320–1440"; suggested 1080×1350 (4:5)
    # and 1080×1080 [S: contentstudio, sprinklr, ayrshare]. The first spec is the one a post uses.
    "instagram": (
        ImageSpec("4x5", ("JPEG",), 8 * _MB, aspect=(4, 5), width=1080, min_width=320),
        ImageSpec("1x1", ("JPEG",), 8 * _MB, aspect=(1, 1), width=1080, min_width=320),
    ),
    # §1: "Image: 5 MB"; JPG, PNG, GIF, WEBP [P: docs.x.com/x-api/media]. X documents no photo size:
    # 16:9 at 1600×900 is our choice (its timeline crops to 16:9). GIF ≤15 MB is handled by max_bytes
    # of the same spec only for stills; animated GIFs keep the 5 MB limit here (conservative).
    "x": (ImageSpec("16x9", ("JPEG", "PNG", "GIF", "WEBP"), 5 * _MB, aspect=(16, 9), width=1600),),
    # §4: recommended 1200×627 (≈1.91:1), 5 MB, JPG/PNG/GIF [S: ayrshare]; pixels < 36,152,320 [S: cdata].
    "linkedin": (ImageSpec("1.91x1", ("JPEG", "PNG", "GIF"), 5 * _MB, aspect=(1200, 627), width=1200),),
    # §2: blob maxSize 1,000,000 B (2,000,000 since 2026-04-08; 1,000,000 works against every PDS) [P:
    # lexicon]; JPEG/PNG/WEBP. The official app resizes to 2000 px on the long side before upload [our
    # reading of the app; the issue asks for "a 2000 px version under 1,000,000 bytes"].
    "bluesky": (ImageSpec("keep", ("JPEG", "PNG", "WEBP"), 1_000_000, max_side=2000),),
    # §3: image_size_limit 16,777,216 B; "images are downscaled to 8.3 MP (3840×2160)" [P: documentation
    # posting.md]; image_matrix_limit 33,177,600 [P: Instance.md]. PNG/JPG/WEBP (GIFs become MP4 there).
    "mastodon": (ImageSpec("keep", ("JPEG", "PNG", "GIF", "WEBP"), 16_777_216, max_pixels=3840 * 2160),),
    # §7: JPEG/PNG, ≤8 MB, aspect ≤10:1, width 320–1440 [S: ayrshare].
    "threads": (ImageSpec("keep", ("JPEG", "PNG"), 8 * _MB, width=1440, max_ratio=10.0, min_width=320),),
    # §8: photo "at most 10 MB", "width and height must not exceed 10000 in total", "ratio must be at most
    # 20" [P: Bot API]. Telegram shows photos at up to 2560 px: the 2560 cap is our choice (w+h ≤ 5120).
    "telegram": (ImageSpec("keep", ("JPEG", "PNG", "WEBP"), 10 * _MB, max_side=2560, max_ratio=20.0),),
    # §9: "The default limit is 10 MiB" per file [P: discord-api-docs reference.mdx]. No size rule: the
    # 2560 px cap is our choice (Discord shows attachments smaller than that).
    "discord": (ImageSpec("keep", ("JPEG", "PNG", "GIF", "WEBP"), 10 * _MB, max_side=2560),),
    # §10: ≤20 MB; BMP/JPEG/PNG/TIFF/GIF/WEBP; recommended 1000×1500 (2:3) [S: ayrshare]; base64 uploads
    # are JPEG/PNG only [P: openapi.json], so those two.
    "pinterest": (ImageSpec("2x3", ("JPEG", "PNG"), 20 * _MB, aspect=(2, 3), width=1000),),
    # §6: JPEG/BMP/PNG/GIF/TIFF, 10 MB, ≤2048 px sides; recommended 1200×630 [S: ayrshare]. Keep aspect.
    "facebook": (ImageSpec("keep", ("JPEG", "PNG", "GIF"), 10 * _MB, max_side=2048),),
}

_OVERRIDE_FIELDS = {f.name for f in fields(ImageSpec)} - {"name"}


def specs_for(
    platform: str, overrides: Mapping[str, Any] | None = None, *, base_dir: Path | None = None
) -> tuple[ImageSpec, ...]:
    """The platform's specs with a brand's overrides from config.yml applied.

    Shape of `overrides` (every key optional; top-level keys apply to every spec of the platform, `specs`
    changes one spec by name, and its keys win):

        aspect: [1, 1]          # crop to this shape; null keeps the source's shape
        width: 1080             # target width in px
        max_side / max_pixels / max_bytes / min_width / max_ratio: numbers
        formats: [JPEG, PNG]
        allow_upscale: true
        overlay: {logo: brand/logo.png, position: bottom-right, size: 0.15, opacity: 0.8, margin: 0.03}
        specs: {"4x5": {width: 1200}}

    A spec whose aspect changes is renamed after it ("1x1"); specs that become identical are merged.
    An overlay's relative logo path is resolved against `base_dir` (the assets folder). Unknown keys
    raise ValueError naming them (config validation should have caught them first).
    """
    base = SPECS_BY_PLATFORM.get(platform, ())
    if not overrides:
        return base
    unknown = set(overrides) - _OVERRIDE_FIELDS - {"specs"}
    if unknown:
        raise ValueError(f"unknown image override(s) for {platform}: {', '.join(sorted(unknown))}")
    per_spec = overrides.get("specs") or {}
    unknown_specs = set(per_spec) - {spec.name for spec in base}
    if unknown_specs:
        raise ValueError(f"{platform} has no image spec named {', '.join(sorted(unknown_specs))}")
    result: list[ImageSpec] = []
    for spec in base:
        changes = {key: value for key, value in overrides.items() if key != "specs"}
        changes.update(per_spec.get(spec.name) or {})
        updated = _override(spec, changes, base_dir)
        if updated not in result:
            result.append(updated)
    return tuple(result)


def _override(spec: ImageSpec, changes: Mapping[str, Any], base_dir: Path | None) -> ImageSpec:
    unknown = set(changes) - _OVERRIDE_FIELDS
    if unknown:
        raise ValueError(f"unknown image override(s) for spec {spec.name}: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = dict(changes)
    if "aspect" in values:
        aspect = values["aspect"]
        values["aspect"] = None if aspect is None else (int(aspect[0]), int(aspect[1]))
        if values["aspect"] != spec.aspect:
            values["name"] = "keep" if aspect is None else f"{values['aspect'][0]}x{values['aspect'][1]}"
    if "formats" in values:
        values["formats"] = tuple(str(name).upper().replace("JPG", "JPEG") for name in values["formats"])
    if values.get("overlay") is not None:
        overlay = dict(values["overlay"])
        logo = Path(overlay["logo"])
        if base_dir is not None and not logo.is_absolute():
            logo = base_dir / logo
        overlay["logo"] = str(logo)
        values["overlay"] = Overlay(**overlay)
    return replace(spec, **values)
