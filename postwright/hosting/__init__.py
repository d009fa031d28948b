"""Hosted media: the renditions that platforms fetch by URL (Instagram, Threads, TikTok), put on
S3-compatible storage (config.yml's `media.host`) by the publish step, just in time.

Why just in time: an embargoed launch image must not be reachable before its post, so only the images
of due posts are uploaded, in the run that sends them. Why keys name the post (`<prefix><post-id>/
<sha256>.<ext>`): the key itself says which post an object belongs to, so `media cleanup` can tell
from a listing and the ledger alone, on a fresh CI checkout, whether every job of that post was
published long enough ago; no side file has to be committed, and no tags (which not every
S3-compatible store keeps) have to be read. The sha256 makes a key content-addressed: same key, same
bytes, so a re-run uploads nothing again. One image used by two posts is stored twice, once per post,
which is what lets each copy be removed on its own post's schedule.

This module imports no S3 client: `HOST` names the one in s3.py (boto3), loaded only by the publish
step and `media cleanup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from postwright.platforms.base import Lazy, Platform

HOST = Lazy(f"{__name__}.s3", "S3Host")  # HOST(config.media.host, secrets) -> S3Host


class HostError(Exception):
    """The store refused or could not be reached: nothing was sent, and the job is tried next run.
    `settings`: the cause is the configuration (bucket, keys, endpoint), not a passing outage."""

    def __init__(self, message: str, *, settings: bool = False) -> None:
        super().__init__(message)
        self.settings = settings


def fetches_by_url(platform: Platform) -> bool:
    """A platform that takes images by URL, not by upload, declares where they are served
    (`media_base_url`); those are the ones whose images are hosted."""
    return any(setting.name == "media_base_url" for setting in platform.settings)


def object_key(prefix: str, post_id: str, sha256: str, path: str) -> str:
    """Where a rendition of `post_id` is stored: its post, then its bytes' hash, with its extension."""
    return f"{prefix}{post_id}/{sha256}{PurePosixPath(path).suffix.lower()}"


@dataclass(frozen=True, slots=True)
class Hosted:
    """One stored object, as a listing shows it."""

    key: str
    size: int
    post_id: str | None  # None: not a key this module made (left alone by cleanup)


def hosted(prefix: str, key: str, size: int) -> Hosted:
    """A listed key read back: <prefix><post-id>/<64 hex>.<ext>."""
    rest = key[len(prefix) :] if key.startswith(prefix) else ""
    post_id, _, name = rest.rpartition("/")
    digest = PurePosixPath(name).stem
    ours = bool(post_id) and "/" not in post_id and len(digest) == 64 and _hex(digest)
    return Hosted(key, size, post_id if ours else None)


def _hex(text: str) -> bool:
    return all(char in "0123456789abcdef" for char in text)
