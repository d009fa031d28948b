"""The rendition cache in .postwright-cache/media/: recipe keys, the per-rendition records and the index.

Every rendition is named after its recipe key, sha256(source bytes, spec, background, overlay logo,
algorithm version, engine), so the same recipe is never rendered twice (STYLE.md §2.7 habit 8). Beside
each file a `<key>.json` record keeps its facts and problems, so a hit needs no decode. The index maps
(source path, size, mtime, spec, ...) to the finished rendition, so an unchanged source is not even read:
a no-op build only stats files.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from postwright.media.model import ImageProblem, Rendition, RenditionJob
from postwright.platforms.base import ImageSpec

# Bump when the output of the same recipe changes (crop search, resampling, encoder settings): every
# cached rendition is then rebuilt, because the version is part of the recipe key (STYLE.md §2.7 habit 8).
ALGORITHM_VERSION = "1"


class RenditionIndex:
    """JSON in the cache folder, read once per build and written once if it changed.

    `engine` is the preferred engine's name (engine.PREFERRED): switching engines misses the index.
    """

    def __init__(self, path: Path, engine: str) -> None:
        self.path = path
        self.engine = engine
        self.changed = False
        try:
            self.entries: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    def _key(self, job: RenditionJob, stamp: tuple[int, int], spec: ImageSpec, version: str) -> str:
        logo = ""
        if spec.overlay is not None:
            logo = repr(stat(Path(spec.overlay.logo)))
        material = (
            f"{os.path.abspath(job.source)}\0{stamp[0]}\0{stamp[1]}\0{spec.key()}\0{job.background}\0"
            f"{logo}\0{version}\0{self.engine}\0{job.focus}"
        )
        return hashlib.sha1(material.encode(), usedforsecurity=False).hexdigest()

    def get(
        self, job: RenditionJob, stamp: tuple[int, int], spec: ImageSpec, version: str, cache_dir: Path
    ) -> Rendition | None:
        entry = self.entries.get(self._key(job, stamp, spec, version))
        if entry is None:
            return None
        rendition = _rendition_from(entry["rendition"], job.src, reused=True)
        if not rendition.cache_file(cache_dir).is_file():
            return None
        return rendition

    def problems(
        self, job: RenditionJob, stamp: tuple[int, int] | None, spec: ImageSpec, version: str
    ) -> list[ImageProblem]:
        if stamp is None:
            return []
        entry = self.entries.get(self._key(job, stamp, spec, version), {})
        return [ImageProblem(*item) for item in entry.get("problems", [])]

    def put(
        self,
        job: RenditionJob,
        stamp: tuple[int, int],
        spec: ImageSpec,
        version: str,
        rendition: Rendition,
        problems: list[ImageProblem],
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
            atomic_write(self.path, json.dumps(self.entries, sort_keys=True).encode())
            self.changed = False


def _rendition_record(rendition: Rendition) -> dict[str, Any]:
    record = asdict(rendition)
    del record["source"], record["reused"]
    return record


def _rendition_from(record: Mapping[str, Any], src: str, *, reused: bool) -> Rendition:
    return Rendition(source=src, reused=reused, **record)


def stat(path: Path) -> tuple[int, int] | None:
    """(size, mtime_ns), or None for a file that is not there: what the index trusts instead of bytes."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def atomic_write(path: Path, data: bytes) -> None:
    """Write beside and rename, so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:  # a full disk: no half-written file is left to take space or be read later
        temporary.unlink(missing_ok=True)
        raise


def recipe_key(
    source_digest: bytes,
    spec: ImageSpec,
    background: tuple[int, int, int],
    version: str,
    focus: tuple[float, float] | None = None,
) -> str:
    """The name of one rendition: what it is made from and how (the focus decides the crop), never where
    the source is."""
    logo = spec.overlay.logo if spec.overlay is not None else ""
    digest = hashlib.sha256(source_digest)
    if spec.overlay is not None:  # the logo counts by its bytes, not by where the checkout is on disk
        spec = replace(spec, overlay=replace(spec.overlay, logo=""))
    digest.update(spec.key().encode())
    digest.update(repr(tuple(background)).encode())
    if spec.overlay is not None:
        digest.update(_logo_digest(logo))
    digest.update(version.encode())
    if focus is not None:  # the same bytes cropped at another point are another rendition
        digest.update(repr(tuple(focus)).encode())
    return digest.hexdigest()[:20]


def read_meta(cache_dir: Path, key: str, src: str) -> tuple[Rendition, list[ImageProblem]] | None:
    """The rendition made before under `key` and its problems, if its file is still there."""
    try:
        meta = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
        rendition = _rendition_from(meta["rendition"], src, reused=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not rendition.cache_file(cache_dir).is_file():
        return None
    return rendition, [ImageProblem(*item) for item in meta.get("problems", [])]


def write_meta(cache_dir: Path, rendition: Rendition, problems: list[ImageProblem]) -> None:
    """The record beside a new rendition, so the next run that wants the same recipe needs no decode."""
    meta = {
        "rendition": _rendition_record(rendition),
        "problems": [[p.code, p.message, p.hint] for p in problems],
    }
    atomic_write(cache_dir / f"{rendition.recipe_key}.json", json.dumps(meta, sort_keys=True).encode())


def _logo_digest(path: str) -> bytes:
    try:
        return hashlib.sha256(Path(path).read_bytes()).digest()
    except OSError:
        return b"missing"
