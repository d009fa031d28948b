"""The values media hands out and takes in: a rendition, a problem with an image, a job and its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from postwright.diagnostics import RULES, Diagnostic, Span, diag
from postwright.platforms.base import ImageSpec


@dataclass(frozen=True, slots=True)
class Rendition:
    """One finished image in the cache, ready to be copied to publish/<path>."""

    source: str  # MediaRef.src (relative to assets/)
    spec: str  # ImageSpec.name
    recipe_key: str  # sha256(source bytes, spec, background, overlay logo, version)[:20]
    path: str  # relative to the output folder: media/<recipe_key>.<ext>; the cache file has the same name
    width: int
    height: int
    format: str  # "JPEG", "PNG", "GIF", "WEBP"
    bytes: int
    sha256: str
    quality: int | None  # the JPEG/WebP quality chosen to fit max_bytes; None for PNG/GIF
    reused: bool  # found in the cache, not rendered in this run

    def cache_file(self, cache_dir: Path) -> Path:
        """Where the bytes are: copy or hard-link this to publish/<path>."""
        return cache_dir / Path(self.path).name


@dataclass(frozen=True, slots=True)
class ImageProblem:
    """Something wrong with one source image (or one rendition of it), before it has a location."""

    code: str  # a PW3xx rule code from postwright.diagnostics
    message: str
    hint: str = ""

    def diagnostic(self, span: Span, platform: str | None = None) -> Diagnostic:
        """The located diagnostic, e.g. on the post's `images:` line (MediaRef.span)."""
        return diag(self.code, span, self.message, hint=self.hint, platform=platform)

    @property
    def severity(self) -> int:
        return RULES[self.code].severity


@dataclass(frozen=True, slots=True)
class RenditionJob:
    """Everything `make_all` needs for one source image: where it is and which renditions to make."""

    source: Path  # absolute or cwd-relative path of the file
    src: str  # MediaRef.src, carried into each Rendition
    focus: tuple[float, float] | None
    specs: tuple[ImageSpec, ...]
    background: tuple[int, int, int] = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class RenditionOutcome:
    """The result of one RenditionJob: renditions aligned with its specs (None where one failed), problems."""

    renditions: tuple[Rendition | None, ...]
    problems: tuple[ImageProblem, ...] = ()  # de-duplicated, in the order found

    @property
    def reused(self) -> int:
        return sum(1 for item in self.renditions if item is not None and item.reused)
