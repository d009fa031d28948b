"""The two image engines behind one interface, and which one renders a source.

"vips": JPEG photos go through libvips (shrink-on-load, Lanczos-3, libjpeg-turbo), everything else (PNG,
GIF, alpha, 16-bit, palettes, overlays) through Pillow. "pillow": everything through Pillow.
POSTWRIGHT_IMAGE_ENGINE=pillow forces Pillow. The engine is part of the recipe key.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from postwright.media import pillow, vips

if TYPE_CHECKING:
    from PIL import Image

    from postwright.media.decode import Decoded, Probe
    from postwright.media.encode import Encoded
    from postwright.media.geometry import Box
    from postwright.media.model import ImageProblem
    from postwright.platforms.base import ImageSpec

PREFERRED = "vips" if vips.AVAILABLE and os.environ.get("POSTWRIGHT_IMAGE_ENGINE") != "pillow" else "pillow"


class Engine(Protocol):
    """Decode once, then cut and encode each rendition; `name` goes into the recipe key."""

    name: str

    def decode(self, probe: Probe, scale: float, src: str, problems: list[ImageProblem]) -> Decoded:
        """Upright sRGB pixels of the probed source, decoded at no less than `scale` of full size."""
        ...

    def preview(self, image: Any, size: tuple[int, int]) -> Image.Image:
        """A small RGB Pillow copy of a decoded image, for the smart crop's energy map."""
        ...

    def cut(
        self, decoded: Decoded, box: Box, out: tuple[int, int], spec: ImageSpec, problems: list[ImageProblem]
    ) -> Any:
        """The `box` of the decoded image resized to `out`, with the spec's overlay."""
        ...

    def encode(self, image: Any, spec: ImageSpec, background: tuple[int, int, int]) -> Encoded | None:
        """The best encoding of a cut image under spec.max_bytes, or None if even the smallest is too big."""
        ...


def choose(data: bytes, specs: Sequence[ImageSpec], preferred: str) -> Engine:
    """vips for JPEG stills whose every rendition may be a JPEG and has no overlay; else Pillow."""
    if preferred != vips.ENGINE.name or not vips.AVAILABLE or data[:3] != b"\xff\xd8\xff":
        return pillow.ENGINE
    if any("JPEG" not in spec.formats or spec.overlay is not None for spec in specs):
        return pillow.ENGINE
    return vips.ENGINE
