"""Making renditions: one decode per source for all its specs, the cache first, sources over processes.

Speed: each source is decoded once, at the reduced scale the largest of its renditions needs, and every
rendition of that source is cut from that one decode; many sources are spread over a process pool
(`make_all`). Results do not depend on the number of processes: each source is rendered by the same code
from the same bytes.

A bad image never raises: every failure becomes an `ImageProblem` with a PW3xx rule code, which the caller
turns into a located diagnostic with `ImageProblem.diagnostic(ref.span, platform)`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from postwright.files import DISK_FULL
from postwright.media import engine, pool, vips
from postwright.media.cache import (
    ALGORITHM_VERSION,
    RenditionIndex,
    atomic_write,
    read_meta,
    recipe_key,
    stat,
    write_meta,
)
from postwright.media.decode import Decoded, decode_problem, probe
from postwright.media.encode import EXTENSIONS
from postwright.media.geometry import crop_box, needed_scale, plan
from postwright.media.model import ImageProblem, Rendition, RenditionJob, RenditionOutcome
from postwright.platforms.base import ImageSpec

_Group = tuple[str, "tuple[float, float] | None", tuple[int, int, int]]  # (source path, focus, background)


@dataclass(frozen=True, slots=True)
class SourceJob:
    """What a worker needs to render every wanted spec of one source (picklable)."""

    source: Path
    src: str  # MediaRef.src, carried into each Rendition
    focus: tuple[float, float] | None
    specs: tuple[ImageSpec, ...]
    background: tuple[int, int, int]
    cache_dir: Path
    version: str
    engine: str  # the preferred engine's name (engine.PREFERRED)


@dataclass(slots=True)
class SourceResult:
    """One source's renditions by spec key, and the problems with the source itself."""

    by_spec: dict[str, tuple[Rendition | None, list[ImageProblem]]]
    problems: list[ImageProblem] = field(default_factory=list)  # about the source, not one rendition


def make_rendition(
    source: Path,
    ref_focus: tuple[float, float] | None,
    spec: ImageSpec,
    cache_dir: Path,
    *,
    src: str | None = None,
    background: tuple[int, int, int] = (255, 255, 255),
    version: str = ALGORITHM_VERSION,
) -> tuple[Rendition | None, list[ImageProblem]]:
    """One rendition of `source` for `spec` (cached), and the problems found; never raises for bad images."""
    outcome = make_renditions(
        source, ref_focus, (spec,), cache_dir, src=src, background=background, version=version
    )
    return outcome.renditions[0], list(outcome.problems)


def make_renditions(
    source: Path,
    focus: tuple[float, float] | None,
    specs: Sequence[ImageSpec],
    cache_dir: Path,
    *,
    src: str | None = None,
    background: tuple[int, int, int] = (255, 255, 255),
    version: str = ALGORITHM_VERSION,
) -> RenditionOutcome:
    """Every rendition of one source from a single decode, reusing the cache where it can."""
    job = RenditionJob(
        Path(source), src if src is not None else Path(source).name, focus, tuple(specs), background
    )
    return make_all([job], cache_dir, processes=1, version=version)[0]


def make_all(
    jobs: Sequence[RenditionJob],
    cache_dir: Path,
    processes: int | None = None,
    *,
    version: str = ALGORITHM_VERSION,
    progress: Callable[[int, int], None] | None = None,
) -> list[RenditionOutcome]:
    """Outcomes aligned with `jobs`. Index hits are answered without reading the source; the rest are
    rendered, one decode per distinct (source, focus, background), in a pool of `processes` (default: the
    CPU count; 1 renders in this process). The results do not depend on `processes`.

    `progress(done, total)` is called in this process after each rendered source (index hits are not
    counted), for a progress bar on a terminal or a line per N sources in CI.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    preferred = engine.PREFERRED
    index = RenditionIndex(cache_dir / "index.json", preferred)
    stamps: dict[Path, tuple[int, int] | None] = {}
    answers: dict[tuple[int, int], Rendition] = {}  # (job number, spec number) -> index hit
    pending: dict[_Group, list[ImageSpec]] = {}
    sources: dict[str, tuple[Path, str]] = {}
    for number, job in enumerate(jobs):
        if job.source not in stamps:
            stamps[job.source] = stat(job.source)
        stamp = stamps[job.source]
        for spec_number, spec in enumerate(job.specs):
            hit = index.get(job, stamp, spec, version, cache_dir) if stamp else None
            if hit is not None:
                answers[number, spec_number] = hit
                continue
            group = (os.fspath(job.source), job.focus, job.background)
            sources.setdefault(group[0], (job.source, job.src))
            wanted = pending.setdefault(group, [])
            if spec not in wanted:
                wanted.append(spec)

    work = [
        SourceJob(*sources[path], focus, tuple(specs), background, cache_dir, version, preferred)
        for (path, focus, background), specs in pending.items()
    ]
    results = pool.map_in_order(
        render_source,
        work,
        processes=processes,
        weight=lambda job: (stat(job.source) or (0, 0))[0],  # largest files first
        fork_safe=not vips.used(),
        setup=vips.one_thread,
        progress=progress,
    )
    rendered: dict[_Group, SourceResult] = {
        (os.fspath(item.source), item.focus, item.background): result
        for item, result in zip(work, results, strict=True)
    }

    outcomes: list[RenditionOutcome] = []
    for number, job in enumerate(jobs):
        renditions: list[Rendition | None] = []
        problems: list[ImageProblem] = []
        group = (os.fspath(job.source), job.focus, job.background)
        result = rendered.get(group)
        if result is not None:
            problems.extend(result.problems)
        for spec_number, spec in enumerate(job.specs):
            if (number, spec_number) in answers:
                hit = answers[number, spec_number]
                renditions.append(replace(hit, source=job.src))
                problems.extend(index.problems(job, stamps[job.source], spec, version))
                continue
            assert result is not None
            made, spec_problems = result.by_spec[spec.key()]
            renditions.append(replace(made, source=job.src) if made else None)
            problems.extend(spec_problems)
            if made is not None and stamps[job.source] is not None:
                index.put(job, stamps[job.source], spec, version, made, spec_problems)
        outcomes.append(RenditionOutcome(tuple(renditions), tuple(dict.fromkeys(problems))))
    index.save()
    return outcomes


def reused_count(outcomes: Iterable[RenditionOutcome]) -> int:
    """How many renditions were found in the cache, for the build summary."""
    return sum(outcome.reused for outcome in outcomes)


def render_source(job: SourceJob) -> SourceResult:
    """Every spec of one source. Catches everything: a bad image is a problem, never an exception."""
    result = SourceResult({spec.key(): (None, []) for spec in job.specs})
    try:
        _render_into(result, job)
    except OSError as error:
        if error.errno in DISK_FULL:  # the machine's problem, not the image's: the command says so
            raise
        result.problems.append(decode_problem(error, job.src))
    except Exception as error:  # the last line of defence: decoders raise many kinds of errors
        result.problems.append(decode_problem(error, job.src))
    return result


def _render_into(result: SourceResult, job: SourceJob) -> None:
    src = job.src
    try:
        data = job.source.read_bytes()
    except FileNotFoundError:
        result.problems.append(
            ImageProblem("PW300", f"image file not found: {src}", "check the path under assets/")
        )
        return
    except OSError as error:
        result.problems.append(
            ImageProblem("PW305", f"image {src} cannot be read: {error.strerror or error}")
        )
        return
    if not data:
        result.problems.append(
            ImageProblem("PW303", f"image file {src} is empty (0 bytes)", "replace it with the real image")
        )
        return

    # Content-addressed reuse: the same bytes with the same recipe were rendered before (another path,
    # a lost index, a checkout that changed mtimes).
    source_digest = hashlib.sha256(data).digest()
    chosen = engine.choose(data, job.specs, job.engine)
    version = f"{job.version}/{chosen.name}"
    keys = {
        spec.key(): recipe_key(source_digest, spec, job.background, version, job.focus) for spec in job.specs
    }
    missing = []
    for spec in job.specs:
        found = read_meta(job.cache_dir, keys[spec.key()], src)
        if found is None:
            missing.append(spec)
        else:
            result.by_spec[spec.key()] = found
    if not missing:
        return

    decoded = _decode(data, job, missing, chosen, result.problems)
    if decoded is None:
        return
    for spec in missing:
        # the source's warnings (a lying extension, a dropped animation) are kept with each rendition, so
        # a rebuild that reuses it from the cache reports them again
        problems = list(result.problems)
        made = _render_spec(decoded, job, spec, keys[spec.key()], problems)
        result.by_spec[spec.key()] = (made, problems)
        if made is not None:
            write_meta(job.cache_dir, made, problems)


def _decode(
    data: bytes, job: SourceJob, specs: list[ImageSpec], chosen: engine.Engine, problems: list[ImageProblem]
) -> Decoded | None:
    """The pixels every spec is cut from, at the scale the largest needs (None: see `problems`).

    The probe's own handle (a full-size decode for Pillow) is dropped on return: only `Decoded` stays.
    """
    opened = probe(data, job.source, job.src, specs, problems)
    if opened is None:
        return None
    scale = max(needed_scale(opened.full_size, spec) for spec in specs)
    return chosen.decode(opened, scale, job.src, problems)


def _render_spec(
    decoded: Decoded, job: SourceJob, spec: ImageSpec, key: str, problems: list[ImageProblem]
) -> Rendition | None:
    crop, out = plan(decoded.full_size, spec)
    if crop[0] < spec.min_width:
        problems.append(
            ImageProblem(
                "PW308",
                f"{job.src} gives a {spec.name} image only {round(crop[0])} px wide; the platform's minimum "
                f"is {spec.min_width} px",
                "use a larger image",
            )
        )
    box = crop_box(decoded, crop, job.focus)
    cut = decoded.engine.cut(decoded, box, out, spec, problems)
    encoded = decoded.engine.encode(cut, spec, job.background)
    if encoded is None:
        problems.append(
            ImageProblem(
                "PW310",
                f"no {spec.name} rendition of {job.src} fits in {spec.max_bytes:,} bytes",
                "use a simpler or smaller image",
            )
        )
        return None
    name = f"{key}.{EXTENSIONS[encoded.format]}"
    atomic_write(job.cache_dir / name, encoded.data)
    return Rendition(
        source=job.src,
        spec=spec.name,
        recipe_key=key,
        path=f"media/{name}",
        width=encoded.size[0],
        height=encoded.size[1],
        format=encoded.format,
        bytes=len(encoded.data),
        sha256=hashlib.sha256(encoded.data).hexdigest(),
        quality=encoded.quality,
        reused=False,
    )
