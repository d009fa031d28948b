"""Renditions for variants: every image each platform's posts get, from one decode per source."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from postwright.config import limits_for
from postwright.diagnostics import Diagnostic, Span
from postwright.media.make import make_all, reused_count
from postwright.media.model import Rendition, RenditionJob
from postwright.media.specs import specs_for
from postwright.platforms.base import ImageSpec

if TYPE_CHECKING:
    from postwright.config import Config
    from postwright.model import Variant
    from postwright.project import Project


class VariantImages(NamedTuple):
    """What `for_variants` made: renditions by (src, platform), the images' diagnostics, cache hits."""

    renditions: dict[tuple[str, str], Rendition | None]
    diagnostics: list[Diagnostic]
    reused: int


def for_variants(
    project: Project,
    config: Config,
    variants: Sequence[Variant],
    cache: Path,
    progress: Callable[[int, int], None] | None = None,
) -> VariantImages:
    """Every image each platform gets (the first spec of the platform, with config.yml's overrides), one
    decode per source for all its platforms' specs; a problem is located on the first post using it."""
    specs: dict[str, ImageSpec] = {}  # platform -> the spec its posts use (the first)
    wanted: dict[tuple[str, tuple[float, float] | None], dict[str, ImageSpec]] = {}
    spans: dict[tuple[str, tuple[float, float] | None], list[tuple[Span, str]]] = {}
    for variant in variants:
        if variant.platform not in specs:
            settings = config.platforms.get(variant.platform)
            overrides = settings.images.changes() if settings else None
            spec = specs_for(variant.platform, overrides or None, base_dir=project.assets_dir)[0]
            specs[variant.platform] = _within_byte_limit(spec, config, variant.platform)
        for ref in variant.media:
            key = (ref.src, ref.focus)
            wanted.setdefault(key, {})[variant.platform] = specs[variant.platform]
            spans.setdefault(key, []).append((ref.span, variant.platform))
    colour = background(config)
    jobs = []
    for (src, focus), by_platform in sorted(wanted.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        unique = tuple(dict.fromkeys(by_platform.values()))
        jobs.append(RenditionJob(project.assets_dir / src, src, focus, unique, colour))
    outcomes = make_all(jobs, cache, progress=progress) if jobs else []
    renditions: dict[tuple[str, str], Rendition | None] = {}
    found: list[Diagnostic] = []
    for job, outcome in zip(jobs, outcomes, strict=True):
        for platform, spec in wanted[job.src, job.focus].items():
            renditions[job.src, platform] = outcome.renditions[job.specs.index(spec)]
        first_span = spans[job.src, job.focus][0][0]
        found += [problem.diagnostic(first_span) for problem in outcome.problems]
    return VariantImages(renditions, found, reused_count(outcomes))


def _within_byte_limit(spec: ImageSpec, config: Config, platform: str) -> ImageSpec:
    """The spec made no larger than config.yml's `limits.max_image_bytes` for the platform or any of its
    accounts: one rendition serves them all, so it fits the smallest."""
    on_platform = (account for account in config.accounts.values() if account.platform == platform)
    limit = min([spec.max_bytes, *(limits_for(config, account).max_image_bytes for account in on_platform)])
    return spec if limit >= spec.max_bytes else replace(spec, max_bytes=limit)


def background(config: Config) -> tuple[int, int, int]:
    """brand.background as RGB: what transparency is flattened onto, and the brand kit's backdrop."""
    colour = config.brand.background
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
