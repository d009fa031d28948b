"""The Pillow engine: every format, alpha, 16-bit, palettes, animated GIFs and overlays.

Decodes JPEGs at a reduced scale where the renditions allow (`Image.draft`: libjpeg decodes at 1/2, 1/4
or 1/8 directly), applies EXIF orientation, converts to sRGB from an embedded profile, and encodes with no
metadata at all.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageCms, ImageOps, ImageSequence

from postwright.media.decode import Decoded, Probe
from postwright.media.encode import DOWNSCALE_TRIES, EXTENSIONS, Encoded, downscaled, fit_quality
from postwright.media.geometry import Box, draft_request
from postwright.media.model import ImageProblem
from postwright.media.overlay import overlay_or_problem
from postwright.platforms.base import ImageSpec


@dataclass(frozen=True, slots=True)
class _Frames:
    """An animated rendition before encoding: (RGBA frame, duration ms) pairs and the loop count."""

    frames: list[tuple[Image.Image, int]]
    loop: int


class PillowEngine:
    """Everything through Pillow (see the Engine protocol in postwright.media.engine)."""

    name = "pillow"

    def decode(self, probe: Probe, scale: float, src: str, problems: list[ImageProblem]) -> Decoded:
        """Upright sRGB pixels (all frames of an animation kept animated), at `scale` for a JPEG still."""
        image = probe.opened
        frames = None
        if probe.animate:
            frames = [
                (frame.convert("RGBA"), int(frame.info.get("duration", 100)))
                for frame in ImageSequence.Iterator(image)
            ]
            loop = int(image.info.get("loop", 0))
            image.seek(0)
        else:
            loop = 0
            if scale < 1 and image.format == "JPEG":
                image.draft(None, draft_request(image.size, scale))
        icc = image.info.get("icc_profile")
        image.load()  # raises for truncated data; caught by the caller's guard with a clear message
        if probe.orientation != 1:
            image = ImageOps.exif_transpose(image)
        image = _to_srgb(image, icc, src, problems)
        return Decoded(self, image, probe.full_size, frames, loop)

    def preview(self, image: Image.Image, size: tuple[int, int]) -> Image.Image:
        return image.convert("RGB").resize(size, Image.Resampling.BOX)

    def cut(
        self, decoded: Decoded, box: Box, out: tuple[int, int], spec: ImageSpec, problems: list[ImageProblem]
    ) -> Image.Image | _Frames:
        """The crop window at the output size, with the spec's overlay; every frame where it stays a GIF."""
        if decoded.frames is not None and "GIF" in spec.formats:
            frames = [
                (_resize(frame, out, _scale_box(box, decoded.image, frame)), duration)
                for frame, duration in decoded.frames
            ]
            if spec.overlay is not None:
                frames = [
                    (overlay_or_problem(frame, spec.overlay, problems), duration)
                    for frame, duration in frames
                ]
            return _Frames(frames, decoded.loop)
        image = _resize(decoded.image, out, box)
        if spec.overlay is not None:
            image = overlay_or_problem(image, spec.overlay, problems)
        return image

    def encode(
        self, image: Image.Image | _Frames, spec: ImageSpec, background: tuple[int, int, int]
    ) -> Encoded | None:
        if isinstance(image, _Frames):
            return _encode_animation(image.frames, image.loop, spec.max_bytes)
        return _encode_still(image, spec, background)


ENGINE = PillowEngine()


def _to_srgb(image: Image.Image, icc: bytes | None, src: str, problems: list[ImageProblem]) -> Image.Image:
    """RGB or RGBA in sRGB: embedded profiles applied (CMYK, Adobe RGB, grey), 16-bit and palettes reduced."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit PNG/TIFF greys: Pillow's convert("L") clips at 255 instead of scaling
        top = 65535 if image.mode.startswith("I;16") or (image.getextrema()[1] or 0) > 255 else 255
        image = image.convert("I").point(lambda value: value * (255 / top)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA")
    elif image.mode in ("1", "YCbCr"):
        image = image.convert("RGB")
    alpha = None
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        image = image.convert("RGBA" if image.mode in ("RGBA", "RGBa") else "LA")
        alpha = image.getchannel("A")
        if alpha.getextrema() == (255, 255):
            alpha = None  # opaque: JPEG-able without flattening
        image = image.convert("RGB" if image.mode == "RGBA" else "L")
    if icc:
        try:
            transform = _transform(icc, image.mode)
            image = ImageCms.applyTransform(image, transform)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as error:
            problems.append(
                ImageProblem(
                    "PW311",
                    f"{src}: its embedded colour profile cannot be applied ({error}); colours may be off",
                    "re-export the image as sRGB",
                )
            )
    if image.mode != "RGB":
        image = image.convert("RGB")  # CMYK without a profile, L, LAB: Pillow's own conversion
    if alpha is not None:
        image.putalpha(alpha)
    return image


@lru_cache(maxsize=16)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(profile, _SRGB, mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL)


_SRGB = ImageCms.createProfile("sRGB")


def _scale_box(box: Box, reference: Image.Image, image: Image.Image) -> Box:
    factor_x, factor_y = image.width / reference.width, image.height / reference.height
    return (box[0] * factor_x, box[1] * factor_y, box[2] * factor_x, box[3] * factor_y)


def _resize(image: Image.Image, size: tuple[int, int], box: Box) -> Image.Image:
    if size == image.size and box == (0.0, 0.0, float(image.width), float(image.height)):
        return image.copy()
    # reducing_gap: box-reduce by an integer factor first when shrinking a lot, then Lanczos the rest
    # (Pillow docs: indistinguishable from plain Lanczos at a gap of 3, several times faster)
    return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def _output_format(image: Image.Image, spec: ImageSpec) -> str:
    if image.mode == "RGBA" and "PNG" in spec.formats:
        return "PNG"
    if "JPEG" in spec.formats:
        return "JPEG"
    return next((name for name in spec.formats if name in EXTENSIONS), "JPEG")


def _encode_still(image: Image.Image, spec: ImageSpec, background: tuple[int, int, int]) -> Encoded | None:
    """The best encoding under spec.max_bytes: highest quality first, then smaller sizes."""
    kind = _output_format(image, spec)
    for _step in range(DOWNSCALE_TRIES + 1):
        if kind == "PNG":
            data = _save(image, "PNG")
            if len(data) <= spec.max_bytes:
                return Encoded(data, "PNG", None, image.size)
            if "JPEG" in spec.formats:
                kind = "JPEG"  # a PNG too large for the limit: lose the alpha, keep the size
                continue
        else:
            flat = _flatten(image, background) if kind == "JPEG" else image
            found = fit_quality(
                lambda quality, flat=flat, kind=kind: _save(flat, kind, quality), spec.max_bytes
            )
            if found is not None:
                return Encoded(found[0], kind, found[1], flat.size)
        image = image.resize(downscaled(image.size), Image.Resampling.LANCZOS)
    return None


def _flatten(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    if image.mode != "RGBA":
        return image if image.mode == "RGB" else image.convert("RGB")
    flat = Image.new("RGB", image.size, tuple(background))
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def _save(image: Image.Image, kind: str, quality: int | None = None) -> bytes:
    """Encode with no metadata at all: no EXIF, XMP, IPTC, comments or ICC (untagged means sRGB)."""
    image.info = {}  # Pillow carries the source's comment and ICC profile in .info into some encoders
    buffer = io.BytesIO()
    if kind == "JPEG":
        image.save(buffer, "JPEG", quality=quality, optimize=False, progressive=False)
    elif kind == "WEBP":
        image.save(buffer, "WEBP", quality=quality, method=4)
    else:
        image.save(buffer, kind, optimize=False, compress_level=6)
    return buffer.getvalue()


def _encode_animation(frames: list[tuple[Image.Image, int]], loop: int, limit: int) -> Encoded | None:
    for _step in range(DOWNSCALE_TRIES + 1):
        first = frames[0][0]
        buffer = io.BytesIO()
        for frame, _duration in frames:
            frame.info = {}
        first.save(
            buffer,
            "GIF",
            save_all=True,
            append_images=[frame for frame, _duration in frames[1:]],
            duration=[duration for _frame, duration in frames],
            loop=loop,
            disposal=2,
            optimize=False,
        )
        data = buffer.getvalue()
        if len(data) <= limit:
            return Encoded(data, "GIF", None, first.size)
        size = downscaled(first.size)
        frames = [(frame.resize(size, Image.Resampling.LANCZOS), duration) for frame, duration in frames]
    return None
