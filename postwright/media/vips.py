"""The libvips engine: JPEG photos only, ~1.5× faster than Pillow here (bench/images.py).

Shrink-on-load at 1/2, 1/4 or 1/8 scale, Lanczos-3 and libjpeg-turbo; everything else (PNG, GIF, alpha,
16-bit, palettes, overlays) goes through Pillow (engine.choose). Usable only where the pyvips package and
libvips are installed (AVAILABLE).
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from postwright.media import pillow
from postwright.media.decode import Decoded, Probe
from postwright.media.encode import DOWNSCALE_STEP, DOWNSCALE_TRIES, Encoded, downscaled, fit_quality
from postwright.media.geometry import Box, shrink_factor
from postwright.media.model import ImageProblem
from postwright.platforms.base import ImageSpec

try:
    import pyvips

    pyvips.cache_set_max(0)  # every operation runs once per image: caching only holds memory
except (ImportError, OSError):  # OSError: the package is there but libvips is not
    pyvips = None

AVAILABLE = pyvips is not None

_used = False  # set once this process runs a libvips operation


def used() -> bool:
    """Whether this process has run libvips: then forking it is not safe (see pool._start_method)."""
    return _used


def one_thread() -> None:
    """In a pool worker: one libvips thread, as the pool already keeps every core busy."""
    if pyvips is not None:
        pyvips.concurrency_set(1)


class VipsEngine:
    """JPEG stills through libvips (see the Engine protocol in postwright.media.engine)."""

    name = "vips"

    def decode(self, probe: Probe, scale: float, src: str, problems: list[ImageProblem]) -> Decoded:
        """A JPEG through libvips; anything else that starts like one (an MPO) through Pillow."""
        if probe.kind != "JPEG":
            return pillow.ENGINE.decode(probe, scale, src, problems)
        image = _decode(probe.data, probe.opened.size, scale, src, problems)
        return Decoded(self, image, probe.full_size)

    def preview(self, image: Any, size: tuple[int, int]) -> Image.Image:
        small = image.resize(size[0] / image.width, vscale=size[1] / image.height, kernel="linear")
        small = _exact(small, size)
        return Image.frombytes("RGB", size, small.write_to_memory())

    def cut(
        self, decoded: Decoded, box: Box, out: tuple[int, int], spec: ImageSpec, problems: list[ImageProblem]
    ) -> Any:
        return _cut(decoded.image, box, out)

    def encode(self, image: Any, spec: ImageSpec, background: tuple[int, int, int]) -> Encoded | None:
        return _encode(image, spec)


ENGINE = VipsEngine()


def _decode(
    data: bytes, stored: tuple[int, int], scale: float, src: str, problems: list[ImageProblem]
) -> Any:
    """A JPEG decoded by libvips at 1/2, 1/4 or 1/8 scale as needed: upright, sRGB, 3-band uchar."""
    assert pyvips is not None
    global _used
    _used = True
    shrink = shrink_factor(stored, scale) if scale < 1 else 1
    image = pyvips.Image.new_from_buffer(data, "", shrink=shrink, fail_on="truncated")
    image = image.autorot()
    if image.get_typeof("icc-profile-data"):
        try:
            image = image.icc_transform("srgb", embedded=True, intent="perceptual")
        except pyvips.Error as error:
            problems.append(
                ImageProblem(
                    "PW311",
                    f"{src}: its embedded colour profile cannot be applied ({_reason(error)}); "
                    "colours may be off",
                    "re-export the image as sRGB",
                )
            )
    if image.interpretation != "srgb" or image.bands != 3:
        image = image.colourspace("srgb")
    if image.bands > 3:
        image = image.extract_band(0, n=3)
    if image.format != "uchar":
        image = image.cast("uchar")
    return image.copy_memory()  # decode once here; every rendition crops this


def _reason(error: Exception) -> str:
    return str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__


def _exact(image: Any, size: tuple[int, int]) -> Any:
    """libvips rounds output sizes its own way: trim or extend the last pixel to exactly `size`."""
    if (image.width, image.height) == size:
        return image
    if image.width < size[0] or image.height < size[1]:
        image = image.embed(0, 0, max(size[0], image.width), max(size[1], image.height), extend="copy")
    return image.crop(0, 0, size[0], size[1])


def _cut(image: Any, box: Box, out: tuple[int, int]) -> Any:
    left, top = round(box[0]), round(box[1])
    width = max(1, min(image.width - left, round(box[2] - box[0])))
    height = max(1, min(image.height - top, round(box[3] - box[1])))
    if (left, top, width, height) != (0, 0, image.width, image.height):
        image = image.crop(left, top, width, height)
    if (width, height) != out:
        image = image.resize(out[0] / width, vscale=out[1] / height, kernel="lanczos3")
    return _exact(image, out)


def _encode(image: Any, spec: ImageSpec) -> Encoded | None:
    """JPEG under spec.max_bytes from a libvips image: same quality search and downscale steps as Pillow."""
    for _step in range(DOWNSCALE_TRIES + 1):
        # libvips is lazy: without this, every encode of the search would crop and resize again
        image = image.copy_memory()
        found = fit_quality(
            lambda quality, image=image: image.jpegsave_buffer(
                Q=quality, keep="none", subsample_mode="on", optimize_coding=False, interlace=False
            ),
            spec.max_bytes,
        )
        if found is not None:
            return Encoded(found[0], "JPEG", found[1], (image.width, image.height))
        size = downscaled((image.width, image.height))
        image = _exact(image.resize(DOWNSCALE_STEP, kernel="lanczos3"), size)
    return None
