"""Stage 5: the reviewable publish/ tree, written atomically and byte-identically for the same inputs.

publish/<post-id>.<lang>/<account>/post.json   what will be sent: parts, link, media, time, content hash
publish/<post-id>.<lang>/<account>/part-N.txt  each text part, as a reviewer reads it
publish/media/<sha256[:16]>.<ext>              the images the variants use (content-addressed)
publish/manifest.json                          every variant, sorted
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from postwright import __version__, text
from postwright.config import Config
from postwright.diagnostics import Diagnostic
from postwright.model import MediaRef, Variant
from postwright.project import Project
from postwright.render import limits_for
from postwright.report import ordered


def write_publish(
    project: Project,
    config: Config,
    variants: Iterable[Variant],
    diagnostics: Iterable[Diagnostic],
    out_dir: Path,
) -> dict[str, Any]:
    """Replace `out_dir` with the tree for `variants`; returns the manifest. Nothing is half-written."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".publish-", dir=out_dir.parent))
    try:
        manifest = _write_tree(
            project, config, sorted(variants, key=lambda v: v.key), list(diagnostics), staging
        )
        _swap(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _write_tree(
    project: Project, config: Config, variants: list[Variant], diagnostics: list[Diagnostic], root: Path
) -> dict[str, Any]:
    media_cache: dict[str, dict[str, Any]] = {}
    entries = []
    for variant in variants:
        folder = root / variant.key
        folder.mkdir(parents=True)
        media = [_media_entry(project, ref, root, media_cache) for ref in variant.media]
        problems = [
            item.as_dict()
            for item in ordered(diagnostics)
            if item.span.path == variant.source and item.platform in (None, variant.platform)
        ]
        document = _post_json(config, variant, media, problems)
        _write(folder / "post.json", _dumps(document))
        for index, part in enumerate(variant.parts, 1):
            _write(folder / f"part-{index}.txt", part + "\n")
        entries.append(
            {
                "key": variant.key,
                "post_id": variant.post_id,
                "lang": variant.lang,
                "account": variant.account,
                "platform": variant.platform,
                "publish_at": variant.publish_at.isoformat(),
                "draft": variant.draft,
                "source": variant.source,
                "path": f"{variant.key}/post.json",
                "content_hash": document["content_hash"],
            }
        )
    manifest = {"generator": f"postwright {__version__}", "variants": entries}
    _write(root / "manifest.json", _dumps(manifest))
    return manifest


def _post_json(
    config: Config, variant: Variant, media: list[dict[str, Any]], problems: list[dict[str, Any]]
) -> dict[str, Any]:
    limits = limits_for(config, config.accounts[variant.account])
    sent = {
        "platform": variant.platform,
        "account": variant.account,
        "lang": variant.lang,
        "parts": list(variant.parts),
        "link": variant.link,
        "media": [{key: item[key] for key in ("sha256", "alt")} for item in media],
    }
    document: dict[str, Any] = {
        "post_id": variant.post_id,
        "account": variant.account,
        "platform": variant.platform,
        "lang": variant.lang,
        "publish_at": variant.publish_at.isoformat(),
        "expires": variant.expires.isoformat() if variant.expires else None,
        "draft": variant.draft,
        "source": variant.source,
        "parts": list(variant.parts),
        "counts": [
            {
                measure.unit: {"count": measure.count(part), "limit": measure.limit}
                for measure in limits.measures
            }
            for part in variant.parts
        ],
        "link": variant.link,
        "media": media,
        # what is sent, not when: a moved date is not an edit, a changed word is
        "content_hash": "sha256:" + hashlib.sha256(_dumps(sent).encode()).hexdigest(),
        "problems": problems,
    }
    if variant.platform == "bluesky":
        document["facets"] = [
            [
                {"byteStart": f.byte_start, "byteEnd": f.byte_end, "type": f.kind, "value": f.value}
                for f in text.bluesky_facets(part)
            ]
            for part in variant.parts
        ]
    return document


def _media_entry(
    project: Project, ref: MediaRef, root: Path, cache: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The source image, content-addressed under media/. Per-platform renditions replace this (issue 4)."""
    source = project.assets_dir / ref.src
    if ref.src not in cache:
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        try:
            with Image.open(source) as image:
                width, height, kind = image.width, image.height, image.format or "unknown"
        except (UnidentifiedImageError, OSError):
            width, height, kind = 0, 0, "unknown"
        name = f"media/{digest[:16]}{source.suffix.lower()}"
        target = root / name
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            _write_bytes(target, data)
        cache[ref.src] = {
            "path": name,
            "width": width,
            "height": height,
            "format": kind,
            "bytes": len(data),
            "sha256": digest,
        }
    return {**cache[ref.src], "alt": ref.alt, "src": ref.src}


def _dumps(document: object) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _write(path: Path, content: str) -> None:
    _write_bytes(path, content.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.utime(path, (0, 0))  # stable mtimes, so archives of publish/ are byte-identical too


def _swap(staging: Path, out_dir: Path) -> None:
    """Replace out_dir by staging with renames only, so a crash leaves the old or the new tree."""
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)
