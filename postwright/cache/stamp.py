"""The build stamp: what the last build read, by stat, so a build of an unchanged project does nothing.

Kept apart from the pipeline and light to import: `postwright build` with nothing to do answers from
here without loading the stages (their imports cost more than the check itself). A command reads the
stamp once (`read`) and hands the answer on to the build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import unicodedata
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path
from typing import Any

import orjson

import postwright
from postwright.cache import STAMP
from postwright.diagnostics import Diagnostic, Severity, Span
from postwright.model import Built
from postwright.project import Project


@dataclass(frozen=True, slots=True)
class Stamp:
    """The stamp as read for a build into `target`: the inputs' fingerprint now, and the last build
    into `target` when no input changed since and its output is still there (else None)."""

    target: Path
    fingerprint: str
    unchanged: Built | None


def read(project: Project, target: Path) -> Stamp:
    """Every input stat'ed and the stamp read: once per command, however many stages want the answer."""
    fingerprint = fingerprint_of(project)
    return Stamp(target, fingerprint, _last_build(project, target, fingerprint))


def _last_build(project: Project, target: Path, fingerprint: str) -> Built | None:
    try:
        stamp = json.loads((project.root / STAMP).read_text(encoding="utf-8"))
        if stamp["fingerprint"] != fingerprint or stamp["output"] != str(target.resolve()):
            return None
        manifest = orjson.loads((target / "manifest.json").read_bytes())
        diagnostics = tuple(_diagnostic(item) for item in stamp["diagnostics"])
        built = Built(manifest, diagnostics, int(stamp["posts"]), reused=True)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # damaged: build again
        return None
    return built if isinstance(manifest, dict) and isinstance(manifest.get("variants"), list) else None


def record(project: Project, stamp: Stamp, posts: int, diagnostics: Iterable[Diagnostic]) -> None:
    """Remember a finished build (written last: a build that failed midway leaves the old stamp)."""
    written = {
        "output": str(stamp.target.resolve()),
        "fingerprint": stamp.fingerprint,
        "posts": posts,
        "diagnostics": [item.as_dict() for item in diagnostics],
    }
    (project.root / STAMP).parent.mkdir(exist_ok=True)
    (project.root / STAMP).write_text(
        json.dumps(written, sort_keys=True, ensure_ascii=False), encoding="utf-8"
    )


def _diagnostic(item: dict[str, Any]) -> Diagnostic:
    return Diagnostic(
        Span(item["path"], item["line"], item["column"]),
        Severity[item["severity"].upper()],
        item["code"],
        item["message"],
        item["platform"],
        item["hint"],
    )


def fingerprint_of(project: Project) -> str:
    """Every input's path, size and modification time, and postwright's own code: like make, by stat.
    On path strings, not Paths: making 5,000 Paths costs more than stat'ing the files."""
    digest = hashlib.sha256(code_fingerprint().encode())
    root = str(project.root)
    for folder in (project.content_dir, project.templates_dir, project.assets_dir):
        for path in sorted(names(folder)):
            digest.update(_stat_line(root, path))
    if project.config_path.exists():
        digest.update(_stat_line(root, str(project.config_path)))
    return digest.hexdigest()


def files(folder: Path) -> list[Path]:
    """Every file under `folder`, through symlinked folders too (Jinja and the assets checks follow
    them), each real folder once."""
    return [Path(path) for path in names(folder)]


def names(folder: Path) -> list[str]:
    """`files`, as path strings."""
    found: list[str] = []
    seen: set[str] = set()
    for root, dirs, here in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link loop, or a folder linked twice
            dirs.clear()
            continue
        seen.add(real)
        found += [os.path.join(root, name) for name in here]
    return found


def _stat_line(root: str, path: str) -> bytes:
    """Like make, by stat; with the inode and change time too, so an edit that kept size and mtime
    (cp -p, rsync -t, tar) still counts, and so does a retargeted symlink (stat follows it)."""
    try:
        info = os.stat(path)
        state = f"{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}"
    except OSError as error:  # a dangling link: its problem is reported where the file is used
        state = f"unreadable {error.errno}"
    return f"{_relative(root, path)}\0{state}\n".encode()


def _relative(root: str, path: str) -> str:
    """The path of `path` (found under `root`) relative to it, with /, without pathlib's parsing."""
    if os.sep == "/" and path.startswith(root + "/"):
        return path[len(root) + 1 :]
    return Path(path).relative_to(root).as_posix()


@cache
def code_fingerprint() -> str:
    """postwright's code by content, and what else decides its output: Python (with its Unicode version),
    the installed version of every package postwright requires, and the time zone data.

    By content, not by stat: CI installs postwright afresh on every run, so a restored .postwright-cache/
    would never match by mtime; reading the package's own files costs a few milliseconds."""
    lines = [package_digest(Path(postwright.__file__).parent), sys.version, unicodedata.unidata_version]
    lines += [*_requirement_versions(), _zone_data_version()]
    return "\n".join(lines)


def package_digest(package: Path) -> str:
    """The digest of every file's path (relative to `package`) and bytes, except compiled caches."""
    digest = hashlib.sha256()
    for path in sorted(files(package), key=str):
        if "__pycache__" in path.parts:
            continue
        data = path.read_bytes()
        digest.update(f"{_relative(str(package), str(path))}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _requirement_versions() -> list[str]:
    names = {
        re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0] for requirement in requires("postwright") or []
    }
    versions = []
    for name in sorted(names | {"tzdata"}):
        try:
            versions.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name} absent")
    return versions


def _zone_data_version() -> str:
    """The system's zone files (used where the tzdata package is absent) change with the OS package."""
    for folder in zoneinfo.TZPATH:
        try:
            return f"{folder} {os.stat(folder).st_mtime_ns}"
        except OSError:
            continue
    return "no system zone data"
