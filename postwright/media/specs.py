"""A platform's image specs (declared in its module as `Platform.images`) with a brand's overrides from
config.yml applied. Plain data, no imaging library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from postwright import platforms
from postwright.platforms.base import ImageSpec, Overlay

_OVERRIDE_FIELDS = {f.name for f in fields(ImageSpec)} - {"name"}


def specs_for(
    platform: str, overrides: Mapping[str, Any] | None = None, *, base_dir: Path | None = None
) -> tuple[ImageSpec, ...]:
    """The platform's specs (`Platform.images`) with a brand's overrides from config.yml applied.

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
    known = platforms.PLATFORMS.get(platform)  # read when asked: the workers never load the registry
    base = known.images if known is not None else ()
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
