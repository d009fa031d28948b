"""Encoding within a byte limit, shared by both engines: the quality search and the downscale steps.

An engine gives `fit_quality` a function from quality to encoded bytes; when even QUALITY_MIN does not
fit, it shrinks the image by DOWNSCALE_STEP (`downscaled`) and searches again, at most DOWNSCALE_TRIES times.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

QUALITY_MAX = 95  # highest JPEG/WebP quality tried; above 95 libjpeg's files grow with no visible gain
QUALITY_MIN = 40  # lowest; below it artefacts show, so we downscale instead
DOWNSCALE_STEP = 0.85  # per side, when even QUALITY_MIN does not fit the byte limit
DOWNSCALE_TRIES = 10  # 0.85**10 ≈ 0.2 of each side before giving up (PW310)

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}  # the formats renditions are in


class Encoded(NamedTuple):
    """One rendition's file: its bytes, format, the quality chosen (None for PNG/GIF) and pixel size."""

    data: bytes
    format: str
    quality: int | None
    size: tuple[int, int]


def downscaled(size: tuple[int, int]) -> tuple[int, int]:
    """The next smaller size to try when no quality fits."""
    return (max(1, round(size[0] * DOWNSCALE_STEP)), max(1, round(size[1] * DOWNSCALE_STEP)))


def fit_quality(encode: Callable[[int], bytes], limit: int) -> tuple[bytes, int] | None:
    """(bytes, quality) at the highest quality in QUALITY_MIN..QUALITY_MAX whose file fits `limit`.

    A bracketing search: QUALITY_MAX first (usually fits: one encode), then guesses interpolated on
    log(size) between the nearest fitting and non-fitting qualities, bisection after three guesses. It
    ends when the bracket is one apart, so the answer is exact (file size is monotone in quality for
    libjpeg at a fixed image, which is what a binary search also assumes); typically 3–4 encodes.
    """
    sizes: dict[int, bytes] = {QUALITY_MAX: encode(QUALITY_MAX)}
    if len(sizes[QUALITY_MAX]) <= limit:
        return sizes[QUALITY_MAX], QUALITY_MAX
    fits: int | None = None
    too_big = QUALITY_MAX
    guesses = 0
    while True:
        floor = fits if fits is not None else QUALITY_MIN - 1
        if too_big - floor <= 1:
            break
        guess = _interpolate(sizes, fits, too_big, limit) if guesses < 3 else (floor + too_big) // 2
        guess = min(max(guess, floor + 1), too_big - 1)
        guesses += 1
        sizes[guess] = encode(guess)
        if len(sizes[guess]) <= limit:
            fits = guess
        else:
            too_big = guess
    return (sizes[fits], fits) if fits is not None else None


def _interpolate(sizes: dict[int, bytes], fits: int | None, too_big: int, limit: int) -> int:
    target = math.log(limit * 0.98)
    high = math.log(len(sizes[too_big]))
    if fits is not None:
        low = math.log(len(sizes[fits]))
        if high == low:
            return (fits + too_big) // 2
        return math.floor(fits + (target - low) * (too_big - fits) / (high - low))
    # only sizes above the limit so far: assume size halves every 12 quality steps (libjpeg near q90),
    # or use the slope between the two lowest qualities tried
    tried = sorted(sizes)
    slope = math.log(2) / 12
    if len(tried) >= 2:
        low_q, high_q = tried[0], tried[1]
        rise = math.log(len(sizes[high_q])) - math.log(len(sizes[low_q]))
        if rise > 0:
            slope = rise / (high_q - low_q)
    lowest = tried[0]
    return math.floor(lowest - (math.log(len(sizes[lowest])) - target) / slope)
