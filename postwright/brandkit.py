"""The brand kit: each platform's profile picture and header image, built from assets/brand/.

assets/brand/avatar.* (square) and assets/brand/header.* (wide) are cropped to each platform's size;
without them the logo (assets/brand/logo.*) is centred on brand.background. The result goes to
publish/brand/<platform>/, so a new account is set up from files that are already right.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageOps

from postwright.platforms import PLATFORMS


def brand_kit(
    brand_dir: Path, platforms: Iterable[str], background: tuple[int, int, int]
) -> dict[str, bytes]:
    """{"brand/<platform>/avatar.png": bytes, …} for the given platforms, at the sizes each declares
    (`Platform.profile_images`); {} without a brand folder."""
    avatar_source = _first(brand_dir, "avatar") or _first(brand_dir, "logo")
    if avatar_source is None:
        return {}
    header_source = _first(brand_dir, "header")
    logo = _first(brand_dir, "logo") or avatar_source
    files: dict[str, bytes] = {}
    for platform in sorted(set(platforms)):
        sizes = PLATFORMS[platform].profile_images if platform in PLATFORMS else None
        if sizes is None:
            continue
        files[f"brand/{platform}/avatar.png"] = _png(_fit(avatar_source, sizes.avatar, background))
        if sizes.header is not None:
            header = (
                _fit(header_source, sizes.header, background)
                if header_source
                else _centred(logo, sizes.header, background)
            )
            files[f"brand/{platform}/header.jpg"] = _jpeg(header)
    return files


def _first(folder: Path, stem: str) -> Path | None:
    found = sorted(
        path for path in folder.glob(f"{stem}.*") if path.suffix.lower() in (".png", ".jpg", ".jpeg")
    )
    return found[0] if found else None


def _open(path: Path, background: tuple[int, int, int]) -> Image.Image:
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image).convert("RGBA")
    canvas = Image.new("RGBA", image.size, (*background, 255))
    return Image.alpha_composite(canvas, image).convert("RGB")


def _fit(path: Path, size: tuple[int, int], background: tuple[int, int, int]) -> Image.Image:
    return ImageOps.fit(_open(path, background), size, Image.Resampling.LANCZOS)


def _centred(path: Path, size: tuple[int, int], background: tuple[int, int, int]) -> Image.Image:
    """The logo at 60 % of the header's height, centred on the brand colour."""
    logo = _open(path, background)
    logo.thumbnail((size[0], int(size[1] * 0.6)), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size, background)
    canvas.paste(logo, ((size[0] - logo.width) // 2, (size[1] - logo.height) // 2))
    return canvas


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)  # no text chunks, no metadata: deterministic
    return buffer.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, optimize=True)
    return buffer.getvalue()
