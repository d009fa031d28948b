"""Stage 5: the reviewable publish/ tree, written atomically and byte-identically for the same inputs.

publish/posts/<post-id>.<lang>.json  by account, what will be sent: parts, counts, link, media, time,
                                     content hash, problems
publish/media/<sha256[:16]>.<ext>    the images the variants use (content-addressed)
publish/manifest.json                every variant, sorted, each with the path of its post's .json

One file per post, in one folder: creating files and folders is what a build into an empty publish/
spends its time on, so each post's accounts and their text parts share a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from postwright import __version__
from postwright.cache.memo import Memo
from postwright.config import Config, limits_for
from postwright.console import ordered
from postwright.diagnostics import Diagnostic
from postwright.media import Rendition
from postwright.model import MediaRef, Variant
from postwright.platforms import PLATFORMS


def write_publish(
    config: Config,
    variants: Iterable[Variant],
    diagnostics: Iterable[Diagnostic],
    out_dir: Path,
    *,
    index: Path | None = None,
    renditions: Mapping[tuple[str, str], Rendition | None] | None = None,
    cache_dir: Path | None = None,
    extra: Mapping[str, bytes] | None = None,
    facts: Mapping[str, dict[str, Any]] | None = None,
    sources: Mapping[str, str] | None = None,
    documents: Memo[tuple[str, bytes]] | None = None,
) -> dict[str, Any]:
    """Make `out_dir` hold exactly the tree for `variants`; returns the manifest.

    Only files whose bytes changed are written (atomically), stale ones are removed, the manifest
    last. `index` (outside out_dir) remembers each file's hash and stat from the last write, so a
    rebuild lists the tree's names and stats but reads no file it left untouched; without it every
    file is compared on disk. An empty or missing `out_dir` (a fresh checkout) has nothing to compare
    or remove: its files are just created.
    `facts` holds `text_facts` by variant key where they were computed already (in render workers);
    `sources` what each variant was rendered from, by variant key (see document_key): a post document
    whose sources are unchanged and whose file is as the last build left it is not even made again,
    and `documents` (a memo by document key) gives the bytes of one whose file is gone (a fresh checkout).
    """
    images = _Images(renditions or {}, cache_dir)
    empty = _is_empty(out_dir)
    on_disk, folders = ({}, []) if empty else _listing(out_dir)
    known = _read_index(index, out_dir)
    unchanged = {  # the files as the last build left them: their hash and document key
        relative: (entry[0], entry[4] if len(entry) > 4 else "")
        for relative, now in on_disk.items()
        if isinstance(entry := known.get(relative), list)
        and len(entry) >= 4
        and isinstance(entry[0], str)
        and entry[1:4] == list(now)
    }
    made, hashes, keys = _tree(
        config,
        sorted(variants, key=lambda v: v.key),
        list(diagnostics),
        images,
        facts or {},
        sources or {},
        unchanged,
        documents,
    )
    manifest = made.pop("manifest.json")
    del hashes["manifest.json"]
    for relative, data in (extra or {}).items():  # e.g. the brand kit under brand/
        made[relative] = data
        hashes[relative] = hashlib.sha256(data).hexdigest()
    if empty:
        seen = _create_all(out_dir, made)
        _replace(out_dir / "manifest.json", manifest)
    else:
        seen = _update(out_dir, made, hashes, unchanged, on_disk, folders)
        if not _holds(out_dir / "manifest.json", manifest):
            _replace(out_dir / "manifest.json", manifest)
    if index is not None:
        index.parent.mkdir(parents=True, exist_ok=True)
        remembered = {
            relative: [hashes[relative], *now, *([keys[relative]] if relative in keys else [])]
            for relative, now in seen.items()
        }
        index.write_bytes(
            orjson.dumps({"format": _INDEX_FORMAT, "output": str(out_dir.resolve()), "files": remembered})
        )
    return orjson.loads(manifest)


_INDEX_FORMAT = 2
Seen = tuple[int, int, int]
"""A file's size, inode and change time: what a build wrote, unless something else touched it since."""


def _is_empty(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except FileNotFoundError:
        return True


def _update(
    out_dir: Path,
    made: Mapping[str, bytes],
    hashes: Mapping[str, str],
    unchanged: Mapping[str, tuple[str, str]],
    on_disk: Mapping[str, Seen],
    folders: list[str],
) -> dict[str, Seen]:
    """Make the existing `out_dir` (`on_disk`, `folders`: its listing) hold the files of `hashes`;
    returns how each is seen now.

    A file still as the last build left it (`unchanged`: the same size, inode and change time) holds
    the bytes it wrote, and is not read; any other is compared, rewritten where it differs, and names
    no build made are removed, so a stray or damaged file is found however the folder came to be
    (restored, copied, edited). Only `made` files can be written: the others are unchanged ones."""
    seen: dict[str, Seen] = {}
    for relative, digest in hashes.items():
        now = on_disk.get(relative)
        kept = unchanged.get(relative)
        if now is not None and (
            (kept is not None and kept[0] == digest) or _holds(out_dir / relative, made[relative])
        ):
            seen[relative] = now
            continue
        _replace(out_dir / relative, made[relative])
        seen[relative] = _seen(os.stat(out_dir / relative))
    for relative in on_disk.keys() - hashes.keys() - {"manifest.json"}:
        (out_dir / relative).unlink()
    for folder in folders:  # deepest first
        with contextlib.suppress(OSError):  # not empty: it holds this build's files
            os.rmdir(folder)
    return seen


def _listing(out_dir: Path) -> tuple[dict[str, Seen], list[str]]:
    """Every file under `out_dir` by relative path, with how it is seen; and every folder, deepest first."""
    found: dict[str, Seen] = {}
    folders: list[str] = []
    for folder, _subfolders, names in os.walk(out_dir, topdown=False):
        prefix = os.path.relpath(folder, out_dir).replace(os.sep, "/")
        for name in names:
            path = os.path.join(folder, name)
            found[name if prefix == "." else f"{prefix}/{name}"] = _seen(os.lstat(path))
        if prefix != ".":
            folders.append(folder)
    return found, folders


def _seen(info: os.stat_result) -> Seen:
    return (info.st_size, info.st_ino, info.st_ctime_ns)


def _create_all(out_dir: Path, files: Mapping[str, bytes]) -> dict[str, Seen]:
    """Write every file into a folder that had none: no comparing, no temporary names, each folder made
    once; returns how each is seen. A build cut short here leaves no manifest.json, so the next one
    compares every file."""
    made: set[str] = set()
    seen: dict[str, Seen] = {}
    base = str(out_dir)
    os.makedirs(base, exist_ok=True)
    for relative, data in files.items():
        folder, _, _name = relative.rpartition("/")
        if folder and folder not in made:
            os.makedirs(f"{base}/{folder}", exist_ok=True)
            made.add(folder)
        seen[relative] = _create(f"{base}/{relative}", data)
    return seen


def _create(path: str, data: bytes) -> Seen:
    """Write `data` to `path` with a stable mtime, so archives of publish/ are byte-identical too;
    returns how the file is seen."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.utime(descriptor, (0, 0))
        return _seen(os.fstat(descriptor))
    finally:
        os.close(descriptor)


def _read_index(index: Path | None, out_dir: Path) -> dict[str, list[Any]]:
    """What the last write into this folder left, by file: its hash and how it was seen. Empty when
    there is none of this format for this folder (every file is then compared)."""
    if index is None:
        return {}
    try:
        data = orjson.loads(index.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _INDEX_FORMAT:
        return {}
    files = data.get("files")
    return files if data.get("output") == str(out_dir.resolve()) and isinstance(files, dict) else {}


class Tree(NamedTuple):
    """The files of publish/ by relative path: the bytes of those made now, the hash of each (also of
    those left as they are) and what decided each post's document (its `document_key`)."""

    made: dict[str, bytes]
    hashes: dict[str, str]
    keys: dict[str, str]


def _tree(
    config: Config,
    variants: list[Variant],
    diagnostics: list[Diagnostic],
    images: _Images,
    facts: Mapping[str, dict[str, Any]],
    sources: Mapping[str, str],
    unchanged: Mapping[str, tuple[str, str]],
    remembered: Memo[tuple[str, bytes]] | None,
) -> Tree:
    """Every file of publish/, except the post documents `unchanged` (path: hash and document key, of
    files on disk as the last build left them) says are still there for the same document key."""
    files: dict[str, bytes] = {}
    posts: dict[str, list[tuple[Variant, list[dict[str, Any]], list[dict[str, Any]]]]] = {}  # by path
    entries = []
    by_source: dict[str, list[Diagnostic]] = {}
    for item in ordered(diagnostics):
        by_source.setdefault(item.span.path, []).append(item)
    for variant in variants:
        media = [entry for ref in variant.media if (entry := images.entry(ref, variant.platform, files))]
        problems = [
            item.as_dict()
            for item in by_source.get(variant.source, ())
            if item.platform in (None, variant.platform)
        ]
        path = f"posts/{variant.post_id}.{variant.lang}.json"
        posts.setdefault(path, []).append((variant, media, problems))
    hashes: dict[str, str] = {}
    keys: dict[str, str] = {}
    for path, documents in posts.items():
        key = document_key(sources, documents)
        if key is not None:
            keys[path] = key
        hashes[path], data = _document(config, facts, documents, key, unchanged.get(path), remembered)
        if data is not None:
            files[path] = data
        entries += [_entry(path, variant, facts.get(variant.key)) for variant, _media, _problems in documents]
    entries.sort(key=lambda entry: entry["key"])
    files["manifest.json"] = _json({"generator": f"postwright {__version__}", "variants": entries})
    hashes.update(
        (path, hashlib.sha256(data).hexdigest()) for path, data in files.items() if path not in hashes
    )
    return Tree(files, hashes, keys)


def _document(
    config: Config,
    facts: Mapping[str, dict[str, Any]],
    documents: list[tuple[Variant, list[dict[str, Any]], list[dict[str, Any]]]],
    key: str | None,
    kept: tuple[str, str] | None,
    remembered: Memo[tuple[str, bytes]] | None,
) -> tuple[str, bytes | None]:
    """A post's document: its hash, and its bytes unless its file is as the last build left it for the
    same `key` (`kept`); the bytes from `remembered` (the documents memo) when it has them."""
    cached = remembered.get(key) if key is not None and remembered is not None else None
    if key is not None and kept is not None and kept[1] == key:
        return kept[0], None
    if cached is not None:
        return cached
    by_account = {
        variant.account: _post_json(variant, media, problems, _facts(config, facts, variant))
        for variant, media, problems in documents
    }
    data = _json(by_account)
    digest = hashlib.sha256(data).hexdigest()
    if key is not None and remembered is not None:
        remembered.put(key, (digest, data))
    return digest, data


def is_document(entry: object) -> bool:
    """The shape of a documents memo entry: a post document's hash and its bytes, which it must be."""
    return (
        isinstance(entry, tuple)
        and len(entry) == 2
        and isinstance(entry[1], bytes)
        and entry[0] == hashlib.sha256(entry[1]).hexdigest()
    )


def _entry(path: str, variant: Variant, known: dict[str, Any] | None) -> dict[str, Any]:
    """A variant's line in manifest.json."""
    return {
        "key": variant.key,
        "post_id": variant.post_id,
        "lang": variant.lang,
        "account": variant.account,
        "platform": variant.platform,
        "publish_at": variant.publish_at.isoformat(),
        "draft": variant.draft,
        "source": variant.source,
        "path": path,
        "content_hash": known["content_hash"] if known else variant.content_hash,
    }


def _facts(config: Config, facts: Mapping[str, dict[str, Any]], variant: Variant) -> dict[str, Any]:
    known = facts.get(variant.key)
    return known if known is not None else text_facts(config, variant)


def document_key(
    sources: Mapping[str, str], documents: list[tuple[Variant, list[dict[str, Any]], list[dict[str, Any]]]]
) -> str | None:
    """What decides a post's document: each variant's source (the render memo's key and inputs digest:
    the variant and its text facts), images and problems; None where a variant's source is unknown."""
    parts = []
    for variant, media, problems in documents:
        source = sources.get(variant.key)
        if source is None:
            return None
        parts.append([source, media, problems])
    return hashlib.sha256(orjson.dumps(parts)).hexdigest()


def _post_json(
    variant: Variant, media: list[dict[str, Any]], problems: list[dict[str, Any]], facts: dict[str, Any]
) -> dict[str, Any]:
    return {
        "post_id": variant.post_id,
        "account": variant.account,
        "platform": variant.platform,
        "lang": variant.lang,
        "publish_at": variant.publish_at.isoformat(),
        "expires": variant.expires.isoformat() if variant.expires else None,
        "draft": variant.draft,
        "source": variant.source,
        "parts": list(variant.parts),
        "link": variant.link,
        **({"privacy_level": variant.privacy_level} if variant.privacy_level else {}),
        **({"in_reply_to": variant.in_reply_to} if variant.in_reply_to else {}),
        "media": media,
        "problems": problems,
        **facts,
    }


def text_facts(config: Config, variant: Variant) -> dict[str, Any]:
    """What a variant's document says about the text: its content hash, each part's count per measure and,
    where the platform sends them (Bluesky), its facets.

    The costly part of a variant's document, so the render workers compute it (pipeline passes it back)."""
    limits = limits_for(config, config.accounts[variant.account])
    facts: dict[str, Any] = {
        "content_hash": variant.content_hash,
        "counts": [
            {
                measure.unit: {"count": measure.count(part), "limit": measure.limit}
                for measure in limits.measures
            }
            for part in variant.parts
        ],
    }
    facets = PLATFORMS[variant.platform].facets
    if facets is not None:
        facts["facets"] = [facets(part) for part in variant.parts]
    return facts


class _Images:
    """The renditions of the media stage, copied from its cache into publish/media/ once each."""

    def __init__(
        self, renditions: Mapping[tuple[str, str], Rendition | None], cache_dir: Path | None
    ) -> None:
        self.renditions = renditions
        self.cache_dir = cache_dir

    def entry(self, ref: MediaRef, platform: str, files: dict[str, bytes]) -> dict[str, Any] | None:
        """The variant document's description of the image `platform` gets; None when it could not be made
        (the reason is a diagnostic on the post's images: line)."""
        rendition = self.renditions.get((ref.src, platform))
        if rendition is None or self.cache_dir is None:
            return None
        if rendition.path not in files:
            files[rendition.path] = rendition.cache_file(self.cache_dir).read_bytes()
        return {
            "path": rendition.path,
            "width": rendition.width,
            "height": rendition.height,
            "format": rendition.format,
            "bytes": rendition.bytes,
            "sha256": rendition.sha256,
            "quality": rendition.quality,
            "spec": rendition.spec,
            "recipe_key": rendition.recipe_key,
            "alt": ref.alt,
            "src": ref.src,
        }


def _json(document: object) -> bytes:
    """Indented, sorted, UTF-8 JSON: orjson writes it ~15× faster than json's pure-Python indenting."""
    return orjson.dumps(document, option=_JSON_OPTIONS)


_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except (FileNotFoundError, NotADirectoryError):
        return False


def _replace(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (a reader sees the old file or the new one), with a stable mtime."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    _create(str(temporary), data)
    os.replace(temporary, path)
