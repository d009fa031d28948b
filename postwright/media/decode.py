"""Decoding, the part both engines share: what a source is, whether it is safe to decode, and the result.

`probe` reads only the header (Pillow opens lazily): the real format, a lying extension, the pixel count
against MAX_PIXELS, the EXIF orientation, animation. An engine then decodes the pixels once, at the scale
the largest rendition needs, into a `Decoded` that every rendition of the source is cut from.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

from postwright.media.encode import EXTENSIONS
from postwright.media.model import ImageProblem
from postwright.platforms.base import ImageSpec

if TYPE_CHECKING:
    from postwright.media.engine import Engine

# Sources above this many pixels are refused before decoding (decompression bombs: a 30000×30000 PNG is a
# few hundred bytes on disk and 2.7 GB in memory). 100 MP admits every current camera (the largest
# medium-format sensors are ~102 MP: 11648×8736 still fits under 2 × 89 MP, Pillow's own error limit,
# which we keep as the hard stop) while keeping a full RGBA decode under ~400 MB.
MAX_PIXELS = 105_000_000
# Animated GIFs are re-encoded frame by frame only while width × height × frames stays under this
# (X's GIF recommendation: "≤300M pixels (w×h×frames)", PLATFORMS.md §1); larger ones keep frame 1.
MAX_ANIMATION_PIXELS = 300_000_000

FORMAT_OF_SUFFIX = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".png": "PNG",
    ".gif": "GIF",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".avif": "AVIF",
    ".heic": "HEIF",
    ".heif": "HEIF",
}


@dataclass(slots=True)
class Probe:
    """A source opened but not decoded, with what its header says."""

    data: bytes
    opened: Image.Image  # Pillow's lazy handle: header read, pixels not
    kind: str  # the real format: "JPEG", "PNG", "GIF", "MPO", …
    full_size: tuple[int, int]  # oriented size at full scale
    orientation: int  # EXIF orientation, 1 = upright
    animate: bool  # an animated GIF that some rendition keeps animated


@dataclass(slots=True)
class Decoded:
    """One source's pixels, decoded once, that every rendition of it is cut from."""

    engine: Engine  # the engine that decoded it: it also cuts and encodes it
    image: Any  # oriented sRGB RGB/RGBA PIL image, or a pyvips image in memory; maybe at a reduced scale
    full_size: tuple[int, int]  # oriented size of the source at full scale
    frames: list[tuple[Image.Image, int]] | None = None  # animated GIF: (RGBA frame, duration ms)
    loop: int = 0
    thumbnail: Image.Image | None = None  # edge energy for the smart crop, made when first needed

    @property
    def size(self) -> tuple[int, int]:
        return (self.image.width, self.image.height)

    def preview(self, size: tuple[int, int]) -> Image.Image:
        """A small RGB PIL copy, for the smart crop's energy map."""
        return self.engine.preview(self.image, size)


def probe(
    data: bytes, source: Path, src: str, specs: Sequence[ImageSpec], problems: list[ImageProblem]
) -> Probe | None:
    """The opened source, or None with the reason in `problems` (not an image, a bomb, …)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        problems.append(_bomb_problem(src, None, str(error)))
        return None
    except UnidentifiedImageError:
        problems.append(_unsupported_problem(src, data))
        return None
    except Exception as error:
        problems.append(decode_problem(error, src))
        return None

    kind = image.format or "unknown"
    claimed = FORMAT_OF_SUFFIX.get(source.suffix.lower())
    if claimed is not None and claimed != kind and not (claimed == "JPEG" and kind == "MPO"):
        problems.append(
            ImageProblem(
                "PW306",
                f"{src} is named {source.suffix} but is a {kind} image",
                f"rename it to .{EXTENSIONS.get(kind, kind.lower())}",
            )
        )
    if image.width * image.height > MAX_PIXELS:
        problems.append(_bomb_problem(src, image.size))
        return None

    exif = image.getexif()
    orientation = exif.get(0x0112, 1)
    swapped = orientation in (5, 6, 7, 8)
    full = (image.height, image.width) if swapped else (image.width, image.height)

    animated = getattr(image, "is_animated", False) and kind == "GIF"
    wants_animation = animated and any("GIF" in spec.formats for spec in specs)
    if animated and image.width * image.height * getattr(image, "n_frames", 1) > MAX_ANIMATION_PIXELS:
        wants_animation = False
        problems.append(
            ImageProblem("PW309", f"{src} has too many frames to re-encode; only the first frame is used")
        )
    elif animated and not all("GIF" in spec.formats for spec in specs):
        names = ", ".join(spec.name for spec in specs if "GIF" not in spec.formats)
        problems.append(
            ImageProblem(
                "PW309",
                f"{src} is animated, but the {names} rendition cannot be a GIF: only the first frame is used",
            )
        )

    return Probe(data, image, kind, full, orientation, wants_animation)


def _bomb_problem(src: str, size: tuple[int, int] | None, reason: str = "") -> ImageProblem:
    if size is not None:
        shown = f"{size[0]}×{size[1]} = {size[0] * size[1] / 1e6:.0f} MP"
    else:  # Pillow's own check: "Image size (900000000 pixels) exceeds limit of …"
        counted = re.search(r"\((\d+) pixels\)", reason)
        shown = f"{int(counted.group(1)) / 1e6:.0f} MP" if counted else "more pixels than Pillow allows"

    return ImageProblem(
        "PW307",
        f"{src} is too large to decode safely ({shown}; the limit is {MAX_PIXELS / 1e6:.0f} MP)",
        "scale the image down before adding it (4000 px on the long side is plenty for social media)",
    )


def _unsupported_problem(src: str, data: bytes) -> ImageProblem:
    if data[4:8] == b"ftyp":
        brand = data[8:12].decode("ascii", "replace").strip()
        return ImageProblem(
            "PW304",
            f"{src} is a HEIF/ISO-media image (brand '{brand}') that no installed decoder reads",
            "export it as JPEG or PNG (or install pillow-heif)",
        )
    return ImageProblem(
        "PW304", f"{src} is not an image format postwright can read", "use JPEG, PNG, GIF or WebP"
    )


def decode_problem(error: BaseException, src: str) -> ImageProblem:
    reason = str(error) or type(error).__name__
    if "truncated" in reason.lower() or "premature end" in reason.lower():
        reason = "the file is truncated (an interrupted copy or download?)"
    return ImageProblem("PW305", f"{src} cannot be decoded: {reason}", "re-export or re-download the image")
