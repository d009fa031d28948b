"""Stage 3: MediaRef × ImageSpec → Rendition (orient, sRGB, crop at the focus, strip, fit the byte limit).

The package's interface is the names below. Modules, one concern each:

    specs      a platform's image specs (Platform.images) with config.yml's overrides
    model      the values handed out and taken in: Rendition, ImageProblem, RenditionJob, RenditionOutcome
    variants   for_variants: the renditions every variant's platform gets (what the pipeline calls)
    make       make_all: the cache first, one decode per source, sources over processes
    cache      recipe keys, per-rendition records and the index in .postwright-cache/media/
    pool       spreading sources over processes, results in input order
    decode     probing a source (format, size, orientation, animation) and the decoded result
    geometry   crop and output sizes, the focus and the smart crop
    encode     the quality search within a byte limit and the downscale steps
    engine     the engine interface and which engine renders a source
    pillow     the Pillow engine (every format);  vips: the libvips engine (JPEG photos, faster)
    overlay    brand watermarks

Importing this package loads no imaging library: the data types and specs are here at once (config and
the preview read them), the functions that render are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from postwright.media.cache import ALGORITHM_VERSION
from postwright.media.encode import QUALITY_MAX, QUALITY_MIN
from postwright.media.model import ImageProblem, Rendition, RenditionJob, RenditionOutcome
from postwright.media.specs import specs_for

if TYPE_CHECKING:
    from postwright.media.make import make_all, make_rendition, make_renditions, reused_count
    from postwright.media.overlay import apply_overlay
    from postwright.media.variants import VariantImages, background, for_variants

_LOADED_ON_USE = {
    "make_all": "make",
    "make_rendition": "make",
    "make_renditions": "make",
    "reused_count": "make",
    "apply_overlay": "overlay",
    "for_variants": "variants",
    "background": "variants",
    "VariantImages": "variants",
}

__all__ = [
    "ALGORITHM_VERSION",
    "QUALITY_MAX",
    "QUALITY_MIN",
    "ImageProblem",
    "Rendition",
    "RenditionJob",
    "RenditionOutcome",
    "VariantImages",
    "apply_overlay",
    "background",
    "for_variants",
    "make_all",
    "make_rendition",
    "make_renditions",
    "reused_count",
    "specs_for",
]


def __getattr__(name: str) -> Any:
    """The rendering functions, imported when first asked for (they bring Pillow, libvips, a pool)."""
    module = _LOADED_ON_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"postwright.media.{module}"), name)
    globals()[name] = value
    return value
