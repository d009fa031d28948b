"""The only place that knows the order of the stages."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import postwright
from postwright import render, validate, write
from postwright.config import Config, apply_severity, load_config
from postwright.diagnostics import Diagnostic, Severity, Span
from postwright.load import Loaded, load_posts
from postwright.model import Variant
from postwright.project import Project

STAMP = Path(".postwright-cache") / "build.json"
"""In the project (git-ignored): the last build's output folder, input fingerprint and diagnostics.
Kept out of publish/ so that publish/ depends on the inputs' content only, not on their mtimes."""


@dataclass(frozen=True, slots=True)
class Checked:
    config: Config | None
    loaded: Loaded
    variants: tuple[Variant, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class Built:
    manifest: dict[str, Any] | None  # None when config.yml cannot be used
    diagnostics: tuple[Diagnostic, ...]
    post_count: int
    reused: bool  # nothing changed since the last build: publish/ was left as it was


def check(project: Project) -> Checked:
    """config → load → render → validate: every problem, nothing written."""
    config, config_diagnostics = load_config(project)
    loaded = load_posts(project, config)
    variants: list[Variant] = []
    found = [*config_diagnostics, *loaded.diagnostics]
    if config is not None:
        templates = render.load_templates(project)
        for post in loaded.posts:
            for account in post.targets:
                variant, problems = render.render(post, account, config, templates)
                found += problems
                if variant is not None:
                    variants.append(variant)
        found += validate.check_variants(variants, config)
    # a broken template fails every variant that uses it: report it once
    return Checked(config, loaded, tuple(variants), apply_severity(config, dict.fromkeys(found)))


def build(project: Project, out_dir: Path | None = None) -> Built:
    """check, then write publish/ (every rendered variant, with its problems next to it).

    When no input changed since the last build into the same folder, nothing is read or written.
    """
    target = out_dir or project.root / "publish"
    fingerprint = _fingerprint(project)
    reused = _reuse(project.root / STAMP, target, fingerprint)
    if reused is not None:
        return reused
    checked = check(project)
    if checked.config is None:
        return Built(None, checked.diagnostics, len(checked.loaded.posts), reused=False)
    manifest = write.write_publish(project, checked.config, checked.variants, checked.diagnostics, target)
    stamp = {
        "output": str(target.resolve()),
        "fingerprint": fingerprint,
        "posts": len(checked.loaded.posts),
        "diagnostics": [item.as_dict() for item in checked.diagnostics],
    }
    (project.root / STAMP).parent.mkdir(exist_ok=True)
    (project.root / STAMP).write_text(json.dumps(stamp, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    return Built(manifest, checked.diagnostics, len(checked.loaded.posts), reused=False)


def _reuse(stamp_path: Path, target: Path, fingerprint: str) -> Built | None:
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        if stamp["fingerprint"] != fingerprint or stamp["output"] != str(target.resolve()):
            return None
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        diagnostics = tuple(_diagnostic(item) for item in stamp["diagnostics"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Built(manifest, diagnostics, stamp["posts"], reused=True)


def _diagnostic(item: dict[str, Any]) -> Diagnostic:
    return Diagnostic(
        Span(item["path"], item["line"], item["column"]),
        Severity[item["severity"].upper()],
        item["code"],
        item["message"],
        item["platform"],
        item["hint"],
    )


def _fingerprint(project: Project) -> str:
    """Every input's path, size and modification time, and postwright's own code: like make, by stat."""
    digest = hashlib.sha256(_code_fingerprint().encode())
    for folder in (project.content_dir, project.templates_dir, project.assets_dir):
        for path in sorted(_files(folder)):
            digest.update(_stat_line(project.root, path))
    if project.config_path.exists():
        digest.update(_stat_line(project.root, project.config_path))
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    found = []
    for root, _dirs, names in os.walk(folder):
        found += [Path(root) / name for name in names]
    return found


def _stat_line(root: Path, path: Path) -> bytes:
    info = path.stat()
    return f"{path.relative_to(root).as_posix()}\0{info.st_size}\0{info.st_mtime_ns}\n".encode()


@cache
def _code_fingerprint() -> str:
    package = Path(postwright.__file__).parent
    return "".join(_stat_line(package, path).decode() for path in sorted(package.rglob("*.py")))
