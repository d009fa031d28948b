"""The core immutable types that flow between the pipeline's stages."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from postwright.diagnostics import Diagnostic, Span

if TYPE_CHECKING:  # annotations only: the build stamp imports this module, and yaml is not needed there
    from postwright.media import Rendition
    from postwright.yamlpos import KeyPath

ThreadMode = Literal["auto", "never", "always"]


@dataclass(frozen=True, slots=True)
class MediaRef:
    src: str  # relative to assets/
    alt: str
    focus: tuple[float, float] | None
    span: Span


@dataclass(frozen=True, slots=True)
class Post:
    """One post file, resolved: dates are aware, targets are account names from config.yml."""

    id: str  # the file name without language suffix and .md; language variants share it
    source: str  # repo-relative path
    lang: str
    publish_at: datetime
    publish_at_by_account: Mapping[str, datetime]  # per-account times where overrides move them
    expires: datetime | None
    platforms: tuple[str, ...]
    targets: tuple[str, ...]  # account names
    title: str
    body: str
    body_line: int  # line of the body's first line in the source file
    tags: tuple[str, ...]
    link: str | None
    media: tuple[MediaRef, ...]
    thread: ThreadMode
    draft: bool
    overrides: Mapping[str, Mapping[str, object]]  # platform or account name -> changed fields
    spans: Mapping[KeyPath, Span]  # front-matter key path -> where its value is
    campaign: str | None = None  # front matter's campaign: (metrics roi)
    cost: float | None = None  # front matter's cost: (metrics roi)
    in_reply_to: str | None = None  # front matter's: the post every copy answers (overrides may change it)


@dataclass(frozen=True, slots=True)
class Variant:
    """One post as one account gets it: the exact text parts, link, images and time."""

    post_id: str
    lang: str
    account: str
    platform: str
    source: str  # the post file, for diagnostics
    parts: tuple[str, ...]  # one per thread part; a single part where there is no thread
    link: str | None  # UTM-tagged
    media: tuple[MediaRef, ...]
    publish_at: datetime
    draft: bool
    expires: datetime | None
    body_line: int  # where the text these parts came from starts (the body or its override)
    thread: ThreadMode
    title: str = ""  # the post's title: link cards (Bluesky), pin titles (Pinterest), previews
    privacy_level: str | None = None  # TikTok's audience for a direct post, from front matter; else None
    in_reply_to: str | None = None  # the link of the post this one answers on its platform

    @property
    def key(self) -> str:
        """Unique per post, language and account: the manifest's and the ledger's job key."""
        return f"{self.post_id}.{self.lang}/{self.account}"

    @property
    def content_hash(self) -> str:
        """What is sent, not when: a moved date is not an edit, a changed word or image is."""
        sent = {
            "platform": self.platform,
            "account": self.account,
            "lang": self.lang,
            "parts": list(self.parts),
            "link": self.link,
            "media": [[ref.src, ref.alt, list(ref.focus or ())] for ref in self.media],
        }
        if self.privacy_level:  # only where given, so the hashes of every other post stay as they were
            sent["privacy_level"] = self.privacy_level
        if self.in_reply_to:  # only where set: every other post keeps the hash the ledger knows
            sent["in_reply_to"] = self.in_reply_to
        canonical = _CANONICAL_JSON.encode(sent).encode()
        return "sha256:" + hashlib.sha256(canonical).hexdigest()


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
"""What json.dumps(sent, sort_keys=True, ensure_ascii=False) builds for every call, made once: the hashes
the ledger holds depend on these exact bytes."""


@dataclass(frozen=True, slots=True)
class Built:
    """What `build` did: read back from the stamp when nothing changed, so no stage need be imported."""

    manifest: dict[str, Any] | None  # None when config.yml cannot be used
    diagnostics: tuple[Diagnostic, ...]
    post_count: int
    reused: bool  # nothing changed since the last build: publish/ was left as it was
    images: int = 0  # renditions in this build
    images_reused: int = 0  # of which found in the cache
    fitted: tuple[Rendition, ...] = ()  # renditions whose quality was lowered to fit a byte limit
