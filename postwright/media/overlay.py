"""Brand watermarks: the logo composited on a rendition (Pillow only: such a spec never goes to libvips)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PIL import Image

from postwright.media.cache import stat
from postwright.media.model import ImageProblem
from postwright.platforms.base import Overlay, Position


def apply_overlay(
    image: Image.Image,
    logo_path: Path | str,
    position: Position = "bottom-right",
    size: float = 0.15,
    opacity: float = 0.8,
    margin: float = 0.03,
) -> Image.Image:
    """`image` with the logo composited on it: `size` × image width wide, alpha scaled by `opacity`."""
    logo = _load_logo(os.fspath(logo_path), *(stat(Path(logo_path)) or (0, 0)))
    width = max(1, round(image.width * size))
    height = max(1, round(logo.height * width / logo.width))
    mark = logo.resize((width, height), Image.Resampling.LANCZOS)
    if opacity < 1:
        alpha = mark.getchannel("A").point(lambda value: round(value * max(0.0, opacity)))
        mark.putalpha(alpha)
    gap = round(image.width * margin)
    x = {"left": gap, "right": image.width - width - gap}
    y = {"top": gap, "bottom": image.height - height - gap}
    if position == "center":
        where = ((image.width - width) // 2, (image.height - height) // 2)
    else:
        vertical, horizontal = position.split("-")
        where = (x[horizontal], y[vertical])
    base = image.convert("RGBA")
    base.alpha_composite(mark, dest=(max(0, where[0]), max(0, where[1])))
    return base if image.mode == "RGBA" else base.convert(image.mode)


def overlay_or_problem(image: Image.Image, overlay: Overlay, problems: list[ImageProblem]) -> Image.Image:
    """`image` with the overlay, or unchanged with a PW312 when the logo cannot be used."""
    try:
        return apply_overlay(
            image, overlay.logo, overlay.position, overlay.size, overlay.opacity, overlay.margin
        )
    except Exception as error:
        problems.append(
            ImageProblem(
                "PW312",
                f"overlay logo {overlay.logo} cannot be used: {error}",
                "check the overlay's logo path",
            )
        )
        return image


@lru_cache(maxsize=8)
def _load_logo(path: str, size: int, mtime_ns: int) -> Image.Image:
    """Once per process; size and mtime are in the cache key so an edited logo is read again."""
    with Image.open(path) as logo:
        logo.load()
        return logo.convert("RGBA")
