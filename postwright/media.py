"""Stage 3: MediaRef × ImageSpec → Rendition (orient, sRGB, crop at the focus, strip, fit the byte limit).

Every rendition is cached under a content-addressed recipe key (source bytes + spec + algorithm version)
and named after it, so an unchanged image is never rendered twice. A small index in the cache folder maps
(source path, size, mtime, spec, version) to the finished rendition, so an unchanged source is not even
read again: a no-op build only stats files.

Speed: each source is decoded once, at the reduced JPEG scale the largest of its renditions needs
(`Image.draft`: libjpeg decodes at 1/2, 1/4 or 1/8 directly), and every rendition of that source is cut
from that one decode; many sources are spread over a process pool (`make_all`). Results do not depend on
the number of processes: each source is rendered by the same code from the same bytes.

A bad image never raises: every failure becomes a `Problem` with a PW3xx rule code, which the caller turns
into a located diagnostic with `Problem.diagnostic(ref.span, platform)`.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import multiprocessing
import os
import re
import warnings
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageFilter, ImageOps, ImageSequence, UnidentifiedImageError

from postwright import platforms
from postwright.diagnostics import RULES, Diagnostic, Span, diag
from postwright.files import DISK_FULL
from postwright.platforms.base import ImageSpec, Overlay, Position

try:  # libvips decodes, resizes and encodes JPEG photos ~1.5× faster than Pillow here (bench/images.py)
    import pyvips

    pyvips.cache_set_max(0)  # every operation runs once per image: caching only holds memory
except (ImportError, OSError):  # OSError: the package is there but libvips is not
    pyvips = None

# "vips": JPEG photos go through libvips (shrink-on-load, Lanczos-3, libjpeg-turbo), everything else
# (PNG, GIF, alpha, 16-bit, palettes, overlays) through Pillow. "pillow": everything through Pillow.
# POSTWRIGHT_IMAGE_ENGINE=pillow forces Pillow. The engine is part of the recipe key.
ENGINE = "vips" if pyvips is not None and os.environ.get("POSTWRIGHT_IMAGE_ENGINE") != "pillow" else "pillow"

# Bump when the output of the same recipe changes (crop search, resampling, encoder settings): every
# cached rendition is then rebuilt, because the version is part of the recipe key (STYLE.md §2.7 habit 8).
ALGORITHM_VERSION = "1"

# Sources above this many pixels are refused before decoding (decompression bombs: a 30000×30000 PNG is a
# few hundred bytes on disk and 2.7 GB in memory). 100 MP admits every current camera (the largest
# medium-format sensors are ~102 MP: 11648×8736 still fits under 2 × 89 MP, Pillow's own error limit,
# which we keep as the hard stop) while keeping a full RGBA decode under ~400 MB.
MAX_PIXELS = 105_000_000
# Animated GIFs are re-encoded frame by frame only while width × height × frames stays under this
# (X's GIF recommendation: "≤300M pixels (w×h×frames)", PLATFORMS.md §1); larger ones keep frame 1.
MAX_ANIMATION_PIXELS = 300_000_000

QUALITY_MAX = 95  # highest JPEG/WebP quality tried; above 95 libjpeg's files grow with no visible gain
QUALITY_MIN = 40  # lowest; below it artefacts show, so we downscale instead
DOWNSCALE_STEP = 0.85  # per side, when even QUALITY_MIN does not fit the byte limit
DOWNSCALE_TRIES = 10  # 0.85**10 ≈ 0.2 of each side before giving up (PW310)

_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
_FORMAT_OF_SUFFIX = {
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
class Problem:
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
class Job:
    """Everything `make_all` needs for one source image: where it is and which renditions to make."""

    source: Path  # absolute or cwd-relative path of the file
    src: str  # MediaRef.src, carried into each Rendition
    focus: tuple[float, float] | None
    specs: tuple[ImageSpec, ...]
    background: tuple[int, int, int] = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one Job: renditions aligned with job.specs (None where it failed), and problems."""

    renditions: tuple[Rendition | None, ...]
    problems: tuple[Problem, ...] = ()  # de-duplicated, in the order found

    @property
    def reused(self) -> int:
        return sum(1 for item in self.renditions if item is not None and item.reused)


_OVERRIDE_FIELDS = {f.name for f in fields(ImageSpec)} - {"name"}


def specs_for(
    platform: str, overrides: Mapping[str, Any] | None = None, *, base_dir: Path | None = None
) -> tuple[ImageSpec, ...]:
    """The platform's specs (`Platform.images`) with a brand's overrides from config.yml applied.

    Shape of `overrides` (every key optional; top-level keys apply to every spec of the platform, `specs`
    changes one spec by name, and its keys win):

        aspect: [1, 1]          # crop to this shape; null keeps the source's shape
        width: 1080             # target width in px
        max_side / max_pixels / max_bytes / min_width / max_ratio: numbers
        formats: [JPEG, PNG]
        allow_upscale: true
        overlay: {logo: brand/logo.png, position: bottom-right, size: 0.15, opacity: 0.8, margin: 0.03}
        specs: {"4x5": {width: 1200}}

    A spec whose aspect changes is renamed after it ("1x1"); specs that become identical are merged.
    An overlay's relative logo path is resolved against `base_dir` (the assets folder). Unknown keys
    raise ValueError naming them (config validation should have caught them first).
    """
    known = platforms.PLATFORMS.get(platform)  # read when asked: the workers never load the registry
    base = known.images if known is not None else ()
    if not overrides:
        return base
    unknown = set(overrides) - _OVERRIDE_FIELDS - {"specs"}
    if unknown:
        raise ValueError(f"unknown image override(s) for {platform}: {', '.join(sorted(unknown))}")
    per_spec = overrides.get("specs") or {}
    unknown_specs = set(per_spec) - {spec.name for spec in base}
    if unknown_specs:
        raise ValueError(f"{platform} has no image spec named {', '.join(sorted(unknown_specs))}")
    result: list[ImageSpec] = []
    for spec in base:
        changes = {key: value for key, value in overrides.items() if key != "specs"}
        changes.update(per_spec.get(spec.name) or {})
        updated = _override(spec, changes, base_dir)
        if updated not in result:
            result.append(updated)
    return tuple(result)


def _override(spec: ImageSpec, changes: Mapping[str, Any], base_dir: Path | None) -> ImageSpec:
    unknown = set(changes) - _OVERRIDE_FIELDS
    if unknown:
        raise ValueError(f"unknown image override(s) for spec {spec.name}: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = dict(changes)
    if "aspect" in values:
        aspect = values["aspect"]
        values["aspect"] = None if aspect is None else (int(aspect[0]), int(aspect[1]))
        if values["aspect"] != spec.aspect:
            values["name"] = "keep" if aspect is None else f"{values['aspect'][0]}x{values['aspect'][1]}"
    if "formats" in values:
        values["formats"] = tuple(str(name).upper().replace("JPG", "JPEG") for name in values["formats"])
    if values.get("overlay") is not None:
        overlay = dict(values["overlay"])
        logo = Path(overlay["logo"])
        if base_dir is not None and not logo.is_absolute():
            logo = base_dir / logo
        overlay["logo"] = str(logo)
        values["overlay"] = Overlay(**overlay)
    return replace(spec, **values)


# ---------------------------------------------------------------------------------------------------------
# Public entry points


def make_rendition(
    source: Path,
    ref_focus: tuple[float, float] | None,
    spec: ImageSpec,
    cache_dir: Path,
    *,
    src: str | None = None,
    background: tuple[int, int, int] = (255, 255, 255),
    version: str = ALGORITHM_VERSION,
) -> tuple[Rendition | None, list[Problem]]:
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
) -> Outcome:
    """Every rendition of one source from a single decode, reusing the cache where it can."""
    job = Job(Path(source), src if src is not None else Path(source).name, focus, tuple(specs), background)
    return make_all([job], cache_dir, processes=1, version=version)[0]


def make_all(
    jobs: Sequence[Job],
    cache_dir: Path,
    processes: int | None = None,
    *,
    version: str = ALGORITHM_VERSION,
    progress: Callable[[int, int], None] | None = None,
) -> list[Outcome]:
    """Outcomes aligned with `jobs`. Index hits are answered without reading the source; the rest are
    rendered, one decode per distinct (source, focus, background), in a pool of `processes` (default: the
    CPU count; 1 renders in this process). The results do not depend on `processes`.

    `progress(done, total)` is called in this process after each rendered source (index hits are not
    counted), for a progress bar on a terminal or a line per N sources in CI.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    index = _Index(cache_dir / "index.json")
    stamps: dict[Path, tuple[int, int] | None] = {}
    answers: dict[tuple[int, int], Rendition] = {}  # (job number, spec number) -> index hit
    pending: dict[tuple[str, tuple[float, float] | None, tuple[int, int, int]], list[ImageSpec]] = {}
    sources: dict[str, tuple[Path, str]] = {}
    for number, job in enumerate(jobs):
        if job.source not in stamps:
            stamps[job.source] = _stat(job.source)
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
        (sources[path][0], sources[path][1], focus, tuple(specs), background, cache_dir, version, ENGINE)
        for (path, focus, background), specs in pending.items()
    ]
    results = _run(work, processes, progress)
    rendered: dict[tuple[str, tuple[float, float] | None, tuple[int, int, int]], _SourceResult] = {
        (os.fspath(item[0]), item[2], item[4]): result for item, result in zip(work, results, strict=True)
    }

    outcomes: list[Outcome] = []
    for number, job in enumerate(jobs):
        renditions: list[Rendition | None] = []
        problems: list[Problem] = []
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
        outcomes.append(Outcome(tuple(renditions), tuple(dict.fromkeys(problems))))
    index.save()
    return outcomes


def apply_overlay(
    image: Image.Image,
    logo_path: Path | str,
    position: Position = "bottom-right",
    size: float = 0.15,
    opacity: float = 0.8,
    margin: float = 0.03,
) -> Image.Image:
    """`image` with the logo composited on it: `size` × image width wide, alpha scaled by `opacity`."""
    logo = _load_logo(os.fspath(logo_path), *(_stat(Path(logo_path)) or (0, 0)))
    width = max(1, round(image.width * size))
    height = max(1, round(logo.height * width / logo.width))
    mark = logo.resize((width, height), Image.Resampling.LANCZOS)
    if opacity < 1:
        alpha = mark.getchannel("A").point(lambda value: round(value * max(0.0, opacity)))
        mark.putalpha(alpha)
    gap = round(image.width * margin)
    x = {"left": gap, "right": image.width - width - gap}
    y = {"top": gap, "bottom": image.height - height - gap}
    if position == "center":
        where = ((image.width - width) // 2, (image.height - height) // 2)
    else:
        vertical, horizontal = position.split("-")
        where = (x[horizontal], y[vertical])
    base = image.convert("RGBA")
    base.alpha_composite(mark, dest=(max(0, where[0]), max(0, where[1])))
    return base if image.mode == "RGBA" else base.convert(image.mode)


# ---------------------------------------------------------------------------------------------------------
# The index: (source path, size, mtime_ns, spec, background, version) → finished rendition


class _Index:
    """JSON in the cache folder, read once per build and written once if it changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        try:
            self.entries: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    @staticmethod
    def _key(job: Job, stamp: tuple[int, int], spec: ImageSpec, version: str) -> str:
        logo = ""
        if spec.overlay is not None:
            logo = repr(_stat(Path(spec.overlay.logo)))
        material = (
            f"{os.path.abspath(job.source)}\0{stamp[0]}\0{stamp[1]}\0{spec.key()}\0{job.background}\0"
            f"{logo}\0{version}\0{ENGINE}"
        )
        return hashlib.sha1(material.encode(), usedforsecurity=False).hexdigest()

    def get(
        self, job: Job, stamp: tuple[int, int], spec: ImageSpec, version: str, cache_dir: Path
    ) -> Rendition | None:
        entry = self.entries.get(self._key(job, stamp, spec, version))
        if entry is None:
            return None
        rendition = _rendition_from(entry["rendition"], job.src, reused=True)
        if not rendition.cache_file(cache_dir).is_file():
            return None
        return rendition

    def problems(
        self, job: Job, stamp: tuple[int, int] | None, spec: ImageSpec, version: str
    ) -> list[Problem]:
        if stamp is None:
            return []
        entry = self.entries.get(self._key(job, stamp, spec, version), {})
        return [Problem(*item) for item in entry.get("problems", [])]

    def put(
        self,
        job: Job,
        stamp: tuple[int, int],
        spec: ImageSpec,
        version: str,
        rendition: Rendition,
        problems: list[Problem],
    ) -> None:
        entry = {
            "rendition": _rendition_record(rendition),
            "problems": [[p.code, p.message, p.hint] for p in problems],
        }
        key = self._key(job, stamp, spec, version)
        if self.entries.get(key) != entry:
            self.entries[key] = entry
            self.changed = True

    def save(self) -> None:
        if self.changed:
            _atomic_write(self.path, json.dumps(self.entries, sort_keys=True).encode())
            self.changed = False


def _rendition_record(rendition: Rendition) -> dict[str, Any]:
    record = asdict(rendition)
    del record["source"], record["reused"]
    return record


def _rendition_from(record: Mapping[str, Any], src: str, *, reused: bool) -> Rendition:
    return Rendition(source=src, reused=reused, **record)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:  # a full disk: no half-written file is left to take space or be read later
        temporary.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------------------
# Running sources, in this process or a pool


@dataclass(slots=True)
class _SourceResult:
    by_spec: dict[str, tuple[Rendition | None, list[Problem]]]
    problems: list[Problem] = field(default_factory=list)  # about the source, not one rendition


_Work = tuple[
    Path, str, "tuple[float, float] | None", tuple[ImageSpec, ...], tuple[int, int, int], Path, str, str
]


def _run(
    work: list[_Work], processes: int | None, progress: Callable[[int, int], None] | None = None
) -> list[_SourceResult]:
    processes = processes or os.cpu_count() or 1
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(work))

    if processes <= 1 or len(work) <= 1:
        inline = []
        for item in work:
            inline.append(_render_source(*item))
            tick()
        return inline
    # Largest files first so one big source does not finish last alone; results keep the input order.
    order = sorted(range(len(work)), key=lambda i: -((_stat(work[i][0]) or (0, 0))[0]))
    results: list[_SourceResult | None] = [None] * len(work)
    context = multiprocessing.get_context(_start_method())
    with ProcessPoolExecutor(max_workers=min(processes, len(work)), mp_context=context) as pool:
        for position, result in zip(
            order, pool.map(_render_source_packed, [work[i] for i in order]), strict=True
        ):
            results[position] = result
            tick()
    return [result for result in results if result is not None]


def _start_method() -> str:
    """fork where it is safe: fast, and a script without a __main__ guard (build.py) is not re-run.

    Once this process has run libvips itself, its worker threads may hold locks that a forked child
    inherits locked, so the child would hang: then workers come from a forkserver instead.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and not _vips_used:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


_vips_used = False  # set once this process runs a libvips operation


def _render_source_packed(item: _Work) -> _SourceResult:
    if pyvips is not None:
        pyvips.concurrency_set(1)  # one thread per worker: the pool already keeps every core busy
    return _render_source(*item)


def _render_source(
    source: Path,
    src: str,
    focus: tuple[float, float] | None,
    specs: tuple[ImageSpec, ...],
    background: tuple[int, int, int],
    cache_dir: Path,
    version: str,
    engine: str,
) -> _SourceResult:
    """Every spec of one source. Catches everything: a bad image is a Problem, never an exception."""
    result = _SourceResult({spec.key(): (None, []) for spec in specs})
    try:
        _render_into(result, source, src, focus, specs, background, cache_dir, version, engine)
    except OSError as error:
        if error.errno in DISK_FULL:  # the machine's problem, not the image's: the command says so
            raise
        result.problems.append(_decode_problem(error, src))
    except Exception as error:  # the last line of defence: decoders raise many kinds of errors
        result.problems.append(_decode_problem(error, src))
    return result


def _render_into(
    result: _SourceResult,
    source: Path,
    src: str,
    focus: tuple[float, float] | None,
    specs: tuple[ImageSpec, ...],
    background: tuple[int, int, int],
    cache_dir: Path,
    version: str,
    preferred: str,
) -> None:
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        result.problems.append(
            Problem("PW300", f"image file not found: {src}", "check the path under assets/")
        )
        return
    except OSError as error:
        result.problems.append(Problem("PW305", f"image {src} cannot be read: {error.strerror or error}"))
        return
    if not data:
        result.problems.append(
            Problem("PW303", f"image file {src} is empty (0 bytes)", "replace it with the real image")
        )
        return

    # Content-addressed reuse: the same bytes with the same recipe were rendered before (another path,
    # a lost index, a checkout that changed mtimes).
    source_digest = hashlib.sha256(data).digest()
    engine = _engine_for(data, specs, preferred)
    keys = {spec.key(): _recipe_key(source_digest, spec, background, f"{version}/{engine}") for spec in specs}
    missing = []
    for spec in specs:
        found = _read_meta(cache_dir, keys[spec.key()], src)
        if found is None:
            missing.append(spec)
        else:
            result.by_spec[spec.key()] = found
    if not missing:
        return

    decoded = _decode(data, source, src, missing, result.problems, engine)
    if decoded is None:
        return
    for spec in missing:
        # the source's warnings (a lying extension, a dropped animation) are kept with each rendition, so
        # a rebuild that reuses it from the cache reports them again
        problems = list(result.problems)
        made = _render_spec(decoded, src, focus, spec, background, cache_dir, keys[spec.key()], problems)
        result.by_spec[spec.key()] = (made, problems)
        if made is not None:
            meta = {
                "rendition": _rendition_record(made),
                "problems": [[p.code, p.message, p.hint] for p in problems],
            }
            _atomic_write(cache_dir / f"{made.recipe_key}.json", json.dumps(meta, sort_keys=True).encode())


def _engine_for(data: bytes, specs: Sequence[ImageSpec], preferred: str) -> str:
    """vips for JPEG stills whose every rendition may be a JPEG and has no overlay; else Pillow."""
    if preferred != "vips" or pyvips is None or data[:3] != b"\xff\xd8\xff":
        return "pillow"
    if any("JPEG" not in spec.formats or spec.overlay is not None for spec in specs):
        return "pillow"
    return "vips"


def _recipe_key(source_digest: bytes, spec: ImageSpec, background: tuple[int, int, int], version: str) -> str:
    logo = spec.overlay.logo if spec.overlay is not None else ""
    digest = hashlib.sha256(source_digest)
    if spec.overlay is not None:  # the logo counts by its bytes, not by where the checkout is on disk
        spec = replace(spec, overlay=replace(spec.overlay, logo=""))
    digest.update(spec.key().encode())
    digest.update(repr(tuple(background)).encode())
    if spec.overlay is not None:
        digest.update(_logo_digest(logo))
    digest.update(version.encode())
    return digest.hexdigest()[:20]


def _read_meta(cache_dir: Path, key: str, src: str) -> tuple[Rendition, list[Problem]] | None:
    try:
        meta = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
        rendition = _rendition_from(meta["rendition"], src, reused=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not rendition.cache_file(cache_dir).is_file():
        return None
    return rendition, [Problem(*item) for item in meta.get("problems", [])]


# ---------------------------------------------------------------------------------------------------------
# Decoding: once per source, at the scale the largest rendition needs


@dataclass(slots=True)
class _Decoded:
    image: Any  # oriented sRGB RGB/RGBA PIL image, or a pyvips image in memory; maybe at a reduced scale
    full_size: tuple[int, int]  # oriented size of the source at full scale
    frames: list[tuple[Image.Image, int]] | None  # animated GIF: (RGBA frame, duration ms); else None
    loop: int
    thumbnail: Image.Image | None = None  # edge energy for the smart crop, made when first needed

    @property
    def size(self) -> tuple[int, int]:
        return (self.image.width, self.image.height)

    def preview(self, size: tuple[int, int]) -> Image.Image:
        """A small RGB PIL copy, for the smart crop's energy map."""
        if isinstance(self.image, Image.Image):
            return self.image.convert("RGB").resize(size, Image.Resampling.BOX)
        small = self.image.resize(
            size[0] / self.image.width, vscale=size[1] / self.image.height, kernel="linear"
        )
        small = _vips_exact(small, size)
        return Image.frombytes("RGB", size, small.write_to_memory())


def _decode(
    data: bytes, source: Path, src: str, specs: list[ImageSpec], problems: list[Problem], engine: str
) -> _Decoded | None:
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
        problems.append(_decode_problem(error, src))
        return None

    kind = image.format or "unknown"
    claimed = _FORMAT_OF_SUFFIX.get(source.suffix.lower())
    if claimed is not None and claimed != kind and not (claimed == "JPEG" and kind == "MPO"):
        problems.append(
            Problem(
                "PW306",
                f"{src} is named {source.suffix} but is a {kind} image",
                f"rename it to .{_EXTENSIONS.get(kind, kind.lower())}",
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
            Problem("PW309", f"{src} has too many frames to re-encode; only the first frame is used")
        )
    elif animated and not all("GIF" in spec.formats for spec in specs):
        names = ", ".join(spec.name for spec in specs if "GIF" not in spec.formats)
        problems.append(
            Problem(
                "PW309",
                f"{src} is animated, but the {names} rendition cannot be a GIF: only the first frame is used",
            )
        )

    if engine == "vips" and kind == "JPEG":
        scale = max(_needed_scale(full, spec) for spec in specs)
        return _Decoded(_decode_vips(data, image.size, scale, src, problems), full, None, 0)
    frames = None
    if wants_animation:
        frames = [
            (frame.convert("RGBA"), int(frame.info.get("duration", 100)))
            for frame in ImageSequence.Iterator(image)
        ]
        loop = int(image.info.get("loop", 0))
        image.seek(0)
    else:
        loop = 0
        scale = max(_needed_scale(full, spec) for spec in specs)
        if scale < 1 and image.format == "JPEG":
            image.draft(None, _draft_request(image.size, scale))
    icc = image.info.get("icc_profile")
    image.load()  # raises for truncated data; caught by the caller's guard with a clear message
    if orientation != 1:
        image = ImageOps.exif_transpose(image)
    image = _to_srgb(image, icc, src, problems)
    return _Decoded(image, full, frames, loop)


def _draft_request(stored: tuple[int, int], scale: float) -> tuple[int, int]:
    return (max(1, math.ceil(stored[0] * scale)), max(1, math.ceil(stored[1] * scale)))


def _shrink_factor(stored: tuple[int, int], scale: float) -> int:
    """The JPEG scale-on-load factor Pillow's draft picks for `scale`: 8, 4, 2 or 1."""
    request = _draft_request(stored, scale)
    ratio = min(stored[0] // request[0], stored[1] // request[1])
    return next(factor for factor in (8, 4, 2, 1) if ratio >= factor)


def _decode_vips(
    data: bytes, stored: tuple[int, int], scale: float, src: str, problems: list[Problem]
) -> Any:
    """A JPEG decoded by libvips at 1/2, 1/4 or 1/8 scale as needed: upright, sRGB, 3-band uchar."""
    assert pyvips is not None
    global _vips_used
    _vips_used = True
    shrink = _shrink_factor(stored, scale) if scale < 1 else 1
    image = pyvips.Image.new_from_buffer(data, "", shrink=shrink, fail_on="truncated")
    image = image.autorot()
    if image.get_typeof("icc-profile-data"):
        try:
            image = image.icc_transform("srgb", embedded=True, intent="perceptual")
        except pyvips.Error as error:
            problems.append(
                Problem(
                    "PW311",
                    f"{src}: its embedded colour profile cannot be applied ({_vips_reason(error)}); "
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


def _vips_reason(error: Exception) -> str:
    return str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__


def _vips_exact(image: Any, size: tuple[int, int]) -> Any:
    """libvips rounds output sizes its own way: trim or extend the last pixel to exactly `size`."""
    if (image.width, image.height) == size:
        return image
    if image.width < size[0] or image.height < size[1]:
        image = image.embed(0, 0, max(size[0], image.width), max(size[1], image.height), extend="copy")
    return image.crop(0, 0, size[0], size[1])


def _to_srgb(image: Image.Image, icc: bytes | None, src: str, problems: list[Problem]) -> Image.Image:
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
                Problem(
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


def _bomb_problem(src: str, size: tuple[int, int] | None, reason: str = "") -> Problem:
    if size is not None:
        shown = f"{size[0]}×{size[1]} = {size[0] * size[1] / 1e6:.0f} MP"
    else:  # Pillow's own check: "Image size (900000000 pixels) exceeds limit of …"
        counted = re.search(r"\((\d+) pixels\)", reason)
        shown = f"{int(counted.group(1)) / 1e6:.0f} MP" if counted else "more pixels than Pillow allows"

    return Problem(
        "PW307",
        f"{src} is too large to decode safely ({shown}; the limit is {MAX_PIXELS / 1e6:.0f} MP)",
        "scale the image down before adding it (4000 px on the long side is plenty for social media)",
    )


def _unsupported_problem(src: str, data: bytes) -> Problem:
    if data[4:8] == b"ftyp":
        brand = data[8:12].decode("ascii", "replace").strip()
        return Problem(
            "PW304",
            f"{src} is a HEIF/ISO-media image (brand '{brand}') that no installed decoder reads",
            "export it as JPEG or PNG (or install pillow-heif)",
        )
    return Problem("PW304", f"{src} is not an image format postwright can read", "use JPEG, PNG, GIF or WebP")


def _decode_problem(error: BaseException, src: str) -> Problem:
    reason = str(error) or type(error).__name__
    if "truncated" in reason.lower() or "premature end" in reason.lower():
        reason = "the file is truncated (an interrupted copy or download?)"
    return Problem("PW305", f"{src} cannot be decoded: {reason}", "re-export or re-download the image")


# ---------------------------------------------------------------------------------------------------------
# Geometry: what region of the source becomes how many pixels


def _plan(full: tuple[int, int], spec: ImageSpec) -> tuple[tuple[float, float], tuple[int, int]]:
    """(crop size in full-scale source pixels, output size) for `spec`; pure arithmetic."""
    width, height = full
    if spec.aspect is not None:
        ratio = spec.aspect[0] / spec.aspect[1]
    elif spec.max_ratio is not None and max(width / height, height / width) > spec.max_ratio:
        ratio = spec.max_ratio if width > height else 1 / spec.max_ratio
    else:
        ratio = width / height
    crop = (height * ratio, float(height)) if width / height > ratio else (float(width), width / ratio)
    out_w = crop[0]
    if spec.width is not None and (spec.aspect is not None or out_w > spec.width):
        out_w = float(spec.width)
    scale = out_w / crop[0]
    if spec.max_side is not None:
        scale = min(scale, spec.max_side / max(crop))
    if spec.max_pixels is not None:
        scale = min(scale, math.sqrt(spec.max_pixels / (crop[0] * crop[1])))
    if not spec.allow_upscale:
        scale = min(scale, 1.0)
    out = (max(1, round(crop[0] * scale)), max(1, round(crop[1] * scale)))
    if spec.max_pixels is not None and out[0] * out[1] > spec.max_pixels:
        out = (max(1, math.floor(crop[0] * scale)), max(1, math.floor(crop[1] * scale)))
    return crop, out


def _needed_scale(full: tuple[int, int], spec: ImageSpec) -> float:
    crop, out = _plan(full, spec)
    return out[0] / crop[0]


def _crop_box(
    decoded: _Decoded,
    crop: tuple[float, float],
    focus: tuple[float, float] | None,
) -> tuple[float, float, float, float]:
    """The crop window in decoded coordinates: centred on the focus, else on the most detailed region."""
    image = decoded.image
    factor = image.width / decoded.full_size[0]
    crop_w = min(image.width, crop[0] * factor)
    crop_h = min(image.height, crop[1] * image.height / decoded.full_size[1])
    if crop_w >= image.width - 0.5 and crop_h >= image.height - 0.5:
        return (0.0, 0.0, float(image.width), float(image.height))
    if focus is not None:
        centre_x, centre_y = focus[0] * image.width, focus[1] * image.height
        left = min(max(centre_x - crop_w / 2, 0.0), image.width - crop_w)
        top = min(max(centre_y - crop_h / 2, 0.0), image.height - crop_h)
    else:
        left, top = _smart_offset(decoded, crop_w, crop_h)
    return (left, top, left + crop_w, top + crop_h)


_THUMB = 160  # longest side of the smart-crop energy map; windows are searched at this resolution
_CENTRE_BIAS = 0.15  # a window at the border scores 15 % less than the same detail in the centre


def _smart_offset(decoded: _Decoded, crop_w: float, crop_h: float) -> tuple[float, float]:
    """Top-left of the window with the most edge energy, searched along the axis the crop leaves free.

    Deterministic: an edge map (3×3 FIND_EDGES on a ~160 px grey thumbnail) is averaged per column or row
    (a BOX resize to one line), then every window position is scored by its sum with a mild centre bias;
    the best wins, ties going to the position nearest the centre.
    """
    image = decoded.image
    if decoded.thumbnail is None:
        scale = _THUMB / max(decoded.size)
        size = (max(3, round(image.width * scale)), max(3, round(image.height * scale)))
        grey = decoded.preview(size).convert("L")
        edges = grey.filter(ImageFilter.FIND_EDGES)
        # the filter's border pixels are artefacts: zero them
        inner = edges.crop((1, 1, size[0] - 1, size[1] - 1))
        edges = Image.new("L", size, 0)
        edges.paste(inner, (1, 1))
        decoded.thumbnail = edges.convert("F")
    energy = decoded.thumbnail
    horizontal = crop_w < image.width - 0.5
    length = energy.width if horizontal else energy.height
    line = energy.resize((length, 1) if horizontal else (1, length), Image.Resampling.BOX)
    values = array("f", line.tobytes())  # mode F: native float32, one per column (or row)
    window = max(
        1, min(length, round((crop_w / image.width if horizontal else crop_h / image.height) * length))
    )
    prefix = [0.0]
    for value in values:
        prefix.append(prefix[-1] + value)
    last = length - window
    centre = last / 2
    best, best_key = 0, None
    for offset in range(last + 1):
        distance = abs(offset - centre) / max(centre, 1)
        score = (prefix[offset + window] - prefix[offset]) * (1 - _CENTRE_BIAS * distance)
        key = (round(score, 6), -abs(offset - centre))
        if best_key is None or key > best_key:
            best, best_key = offset, key
    # the windows either side of the centre are as good (a flat image): centre exactly
    near = {math.floor(centre), math.ceil(centre)}
    fraction = 0.5 if best in near or last == 0 else best / last
    if horizontal:
        return fraction * (image.width - crop_w), (image.height - crop_h) / 2
    return (image.width - crop_w) / 2, fraction * (image.height - crop_h)


# ---------------------------------------------------------------------------------------------------------
# One rendition: crop, resize, overlay, flatten, encode within the byte limit


def _render_spec(
    decoded: _Decoded,
    src: str,
    focus: tuple[float, float] | None,
    spec: ImageSpec,
    background: tuple[int, int, int],
    cache_dir: Path,
    recipe_key: str,
    problems: list[Problem],
) -> Rendition | None:
    crop, out = _plan(decoded.full_size, spec)
    if crop[0] < spec.min_width:
        problems.append(
            Problem(
                "PW308",
                f"{src} gives a {spec.name} image only {round(crop[0])} px wide; the platform's minimum is "
                f"{spec.min_width} px",
                "use a larger image",
            )
        )
    animated = decoded.frames is not None and "GIF" in spec.formats
    box = _crop_box(decoded, crop, focus)
    if not isinstance(decoded.image, Image.Image):
        encoded = _encode_vips(_cut_vips(decoded.image, box, out), spec)
    elif animated:
        assert decoded.frames is not None
        frames = [
            (_resize(frame, out, _scale_box(box, decoded.image, frame)), duration)
            for frame, duration in decoded.frames
        ]
        if spec.overlay is not None:
            frames = [(_overlay(frame, spec.overlay, problems), duration) for frame, duration in frames]
        encoded = _encode_animation(frames, decoded.loop, spec.max_bytes)
    else:
        image = _resize(decoded.image, out, box)
        if spec.overlay is not None:
            image = _overlay(image, spec.overlay, problems)
        encoded = _encode_still(image, spec, background)
    if encoded is None:
        problems.append(
            Problem(
                "PW310",
                f"no {spec.name} rendition of {src} fits in {spec.max_bytes:,} bytes",
                "use a simpler or smaller image",
            )
        )
        return None
    data, kind, quality, size = encoded
    name = f"{recipe_key}.{_EXTENSIONS[kind]}"
    _atomic_write(cache_dir / name, data)
    return Rendition(
        source=src,
        spec=spec.name,
        recipe_key=recipe_key,
        path=f"media/{name}",
        width=size[0],
        height=size[1],
        format=kind,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        quality=quality,
        reused=False,
    )


def _cut_vips(image: Any, box: tuple[float, float, float, float], out: tuple[int, int]) -> Any:
    left, top = round(box[0]), round(box[1])
    width = max(1, min(image.width - left, round(box[2] - box[0])))
    height = max(1, min(image.height - top, round(box[3] - box[1])))
    if (left, top, width, height) != (0, 0, image.width, image.height):
        image = image.crop(left, top, width, height)
    if (width, height) != out:
        image = image.resize(out[0] / width, vscale=out[1] / height, kernel="lanczos3")
    return _vips_exact(image, out)


def _encode_vips(image: Any, spec: ImageSpec) -> tuple[bytes, str, int | None, tuple[int, int]] | None:
    """JPEG under spec.max_bytes from a libvips image: same quality search and downscale steps as Pillow."""
    for _step in range(DOWNSCALE_TRIES + 1):
        # libvips is lazy: without this, every encode of the search would crop and resize again
        image = image.copy_memory()
        found = _fit_quality(
            lambda quality, image=image: image.jpegsave_buffer(
                Q=quality, keep="none", subsample_mode="on", optimize_coding=False, interlace=False
            ),
            spec.max_bytes,
        )
        if found is not None:
            return found[0], "JPEG", found[1], (image.width, image.height)
        size = (max(1, round(image.width * DOWNSCALE_STEP)), max(1, round(image.height * DOWNSCALE_STEP)))
        image = _vips_exact(image.resize(DOWNSCALE_STEP, kernel="lanczos3"), size)
    return None


def _scale_box(box: tuple[float, float, float, float], reference: Image.Image, image: Image.Image):
    factor_x, factor_y = image.width / reference.width, image.height / reference.height
    return (box[0] * factor_x, box[1] * factor_y, box[2] * factor_x, box[3] * factor_y)


def _resize(image: Image.Image, size: tuple[int, int], box: tuple[float, float, float, float]) -> Image.Image:
    if size == image.size and box == (0.0, 0.0, float(image.width), float(image.height)):
        return image.copy()
    # reducing_gap: box-reduce by an integer factor first when shrinking a lot, then Lanczos the rest
    # (Pillow docs: indistinguishable from plain Lanczos at a gap of 3, several times faster)
    return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def _overlay(image: Image.Image, overlay: Overlay, problems: list[Problem]) -> Image.Image:
    try:
        return apply_overlay(
            image, overlay.logo, overlay.position, overlay.size, overlay.opacity, overlay.margin
        )
    except Exception as error:
        problems.append(
            Problem(
                "PW312",
                f"overlay logo {overlay.logo} cannot be used: {error}",
                "check the overlay's logo path",
            )
        )
        return image


def _output_format(image: Image.Image, spec: ImageSpec) -> str:
    if image.mode == "RGBA" and "PNG" in spec.formats:
        return "PNG"
    if "JPEG" in spec.formats:
        return "JPEG"
    return next((name for name in spec.formats if name in _EXTENSIONS), "JPEG")


def _encode_still(
    image: Image.Image, spec: ImageSpec, background: tuple[int, int, int]
) -> tuple[bytes, str, int | None, tuple[int, int]] | None:
    """The best encoding under spec.max_bytes: highest quality first, then smaller sizes."""
    kind = _output_format(image, spec)
    for _step in range(DOWNSCALE_TRIES + 1):
        if kind == "PNG":
            data = _save(image, "PNG")
            if len(data) <= spec.max_bytes:
                return data, "PNG", None, image.size
            if "JPEG" in spec.formats:
                kind = "JPEG"  # a PNG too large for the limit: lose the alpha, keep the size
                continue
        else:
            flat = _flatten(image, background) if kind == "JPEG" else image
            found = _fit_quality(
                lambda quality, flat=flat, kind=kind: _save(flat, kind, quality), spec.max_bytes
            )
            if found is not None:
                return found[0], kind, found[1], flat.size
        image = image.resize(
            (max(1, round(image.width * DOWNSCALE_STEP)), max(1, round(image.height * DOWNSCALE_STEP))),
            Image.Resampling.LANCZOS,
        )
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


def _fit_quality(encode: Callable[[int], bytes], limit: int) -> tuple[bytes, int] | None:
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


def _encode_animation(
    frames: list[tuple[Image.Image, int]], loop: int, limit: int
) -> tuple[bytes, str, int | None, tuple[int, int]] | None:
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
            return data, "GIF", None, first.size
        size = (max(1, round(first.width * DOWNSCALE_STEP)), max(1, round(first.height * DOWNSCALE_STEP)))
        frames = [(frame.resize(size, Image.Resampling.LANCZOS), duration) for frame, duration in frames]
    return None


# ---------------------------------------------------------------------------------------------------------
# Overlay logos, loaded once per process


@lru_cache(maxsize=8)
def _load_logo(path: str, size: int, mtime_ns: int) -> Image.Image:
    with Image.open(path) as logo:
        logo.load()
        return logo.convert("RGBA")


def _logo_digest(path: str) -> bytes:
    try:
        return hashlib.sha256(Path(path).read_bytes()).digest()
    except OSError:
        return b"missing"


def reused_count(outcomes: Iterable[Outcome]) -> int:
    """How many renditions were found in the cache, for the build summary."""
    return sum(outcome.reused for outcome in outcomes)
