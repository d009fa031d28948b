"""The reviewer's view of every post: what each account gets, its status and its problems, joined once.

The preview site, calendar.ics and the pull-request report all show the same facts, so they all read
this model: one Entry per post, language and account (the plan's job), grouped into a PostView per
post id. Diagnostics are placed next to what they concern: a thread part, an image, the text, or the
post as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from postwright.config import Config, limits_for
from postwright.console import ordered
from postwright.diagnostics import Diagnostic, Severity
from postwright.media import Rendition
from postwright.model import MediaRef, Post, Variant
from postwright.status import PlanItem, PlanStatus

STATUS_LABELS = {PlanStatus.UPCOMING: "scheduled"}
"""Plan statuses as reviewers read them: `plan` says upcoming, the preview says scheduled."""

_RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr", "ug", "ur", "yi"}
_RTL_SCRIPTS = {"adlm", "arab", "hebr", "mand", "nkoo", "rohg", "samr", "syrc", "thaa"}
_PART = re.compile(r"^part (\d+) of \d+")


@cache  # asked for every part of every post
def direction(lang: str) -> str:
    """'rtl' for text written right to left: by its script subtag when it has one (fa-Latn is not),
    else by its language (BCP 47)."""
    subtags = lang.lower().split("-")
    scripts = [tag for tag in subtags[1:] if len(tag) == 4 and tag.isalpha()]
    if scripts:
        return "rtl" if scripts[0] in _RTL_SCRIPTS else "ltr"
    return "rtl" if subtags[0] in _RTL_LANGUAGES else "ltr"


@dataclass(frozen=True, slots=True)
class Measured:
    """A thread part measured in one unit, against its limit."""

    unit: str  # "weighted", "graphemes", "bytes", …
    count: int
    limit: int

    @property
    def over(self) -> bool:
        return self.count > self.limit


@dataclass(frozen=True, slots=True)
class Part:
    text: str
    counts: tuple[Measured, ...]  # the first is the one the platform shows a writer
    problems: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class Image:
    src: str  # under assets/
    alt: str
    rendition: Rendition | None  # None: it could not be made (a diagnostic says why)
    problems: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """One post as one account gets it, with its status at `now`."""

    key: str  # <post-id>.<lang>/<account>: the ledger's job key and the page's anchor
    post_id: str
    lang: str
    account: str
    platform: str
    handle: str
    title: str
    source: str
    publish_at: datetime
    status: PlanStatus
    detail: str  # why: "3h05m late; grace is 3h"
    url: str | None  # the live post, from the ledger
    rendered: bool  # False when a template error kept it from being rendered
    parts: tuple[Part, ...]
    images: tuple[Image, ...]
    link: str | None
    content_hash: str | None
    problems: tuple[Diagnostic, ...]  # about the post as a whole (dates, accounts, templates)
    text_problems: tuple[Diagnostic, ...]  # about its text, not one part (banned words, mentions)
    image_problems: tuple[Diagnostic, ...]  # about its images, not one image (too many, none)
    in_reply_to: str | None = None  # the post it answers (front matter's in_reply_to:)
    # every problem placed above, once each, in order: asked for by every view, so gathered once
    all_problems: tuple[Diagnostic, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        placed = [*self.problems, *self.text_problems, *self.image_problems]
        placed += [item for part in self.parts for item in part.problems]
        placed += [item for image in self.images for item in image.problems]
        object.__setattr__(self, "all_problems", tuple(ordered(dict.fromkeys(placed))))

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def direction(self) -> str:
        return direction(self.lang)

    @property
    def worst(self) -> Severity | None:
        return max((item.severity for item in self.all_problems), default=None)


@dataclass(frozen=True, slots=True)
class PostView:
    """Every language and account of one post id."""

    post_id: str
    title: str
    sources: tuple[str, ...]
    entries: tuple[Entry, ...]

    @property
    def first_at(self) -> datetime:
        return min(entry.publish_at for entry in self.entries)


@dataclass(frozen=True, slots=True)
class Overview:
    brand: str
    zone: ZoneInfo
    now: datetime
    posts: tuple[PostView, ...]
    other_problems: tuple[Diagnostic, ...]  # config.yml and files that are not valid posts
    accounts: tuple[str, ...] = ()  # in config.yml's order

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(entry for post in self.posts for entry in post.entries)


def overview(
    config: Config,
    posts: Iterable[Post],
    items: Iterable[PlanItem],
    variants: Iterable[Variant],
    renditions: Mapping[tuple[str, str], Rendition | None],
    diagnostics: Iterable[Diagnostic],
    now: datetime,
    facts: Mapping[str, Mapping[str, Any]] | None = None,
) -> Overview:
    """Join the plan (status per post and account), the rendered variants and the diagnostics.
    `facts`: write.text_facts by variant key, where the check computed them (else counted here)."""
    facts = facts or {}
    by_post = {(post.id, post.lang): post for post in posts}
    by_key = {variant.key: variant for variant in variants}
    by_source: dict[str, list[Diagnostic]] = {}
    for item in ordered(diagnostics):
        by_source.setdefault(item.span.path, []).append(item)
    entries: dict[str, list[Entry]] = {}
    sources = set()
    for item in items:
        post = by_post[item.post_id, item.lang]
        sources.add(post.source)
        problems = [d for d in by_source.get(post.source, ()) if d.platform in (None, item.platform)]
        entry = _entry(config, item, post, by_key.get(item.key), renditions, problems, facts.get(item.key))
        entries.setdefault(item.post_id, []).append(entry)
    views = [_post_view(config, post_id, found) for post_id, found in entries.items()]
    views.sort(key=lambda view: (view.first_at, view.post_id))
    # config.yml, files that are not valid posts, posts that go to no account: shown on their own
    others = [item for path, found in by_source.items() if path not in sources for item in found]
    return Overview(config.brand.name, config.zone, now, tuple(views), tuple(others), tuple(config.accounts))


def _post_view(config: Config, post_id: str, entries: list[Entry]) -> PostView:
    accounts = list(config.accounts)
    languages = {config.brand.language: 0}
    entries.sort(
        key=lambda e: (languages.get(e.lang, 1), e.lang, accounts.index(e.account), e.publish_at, e.key)
    )
    title = next((entry.title for entry in entries if entry.title), post_id)
    return PostView(post_id, title, tuple(dict.fromkeys(e.source for e in entries)), tuple(entries))


def _entry(
    config: Config,
    item: PlanItem,
    post: Post,
    variant: Variant | None,
    renditions: Mapping[tuple[str, str], Rendition | None],
    problems: list[Diagnostic],
    facts: Mapping[str, Any] | None,
) -> Entry:
    account = config.accounts[item.account]
    parts: list[Part] = []
    images: list[Image] = []
    placed: set[Diagnostic] = set()
    if variant is not None:
        images = _images(variant.media, item.platform, renditions, problems, placed)
        parts = _parts(config, variant, problems, placed, facts)
    where = (post.source, variant.body_line) if variant is not None else None
    text_problems = [d for d in problems if d not in placed and where and (d.span.path, d.span.line) == where]
    placed.update(text_problems)
    image_codes = [d for d in problems if d not in placed and d.code.startswith(("PW3", "PW41"))]
    placed.update(image_codes)
    rest = [d for d in problems if d not in placed]
    return Entry(
        key=item.key,
        post_id=item.post_id,
        lang=item.lang,
        account=item.account,
        platform=item.platform,
        handle=account.handle,
        title=post.title,
        source=post.source,
        publish_at=item.publish_at,
        status=item.status,
        detail=item.detail,
        url=item.url,
        rendered=variant is not None,
        parts=tuple(parts),
        images=tuple(images),
        link=variant.link if variant is not None else None,
        content_hash=(facts or {}).get("content_hash") or (variant.content_hash if variant else None),
        problems=tuple(rest),
        text_problems=tuple(text_problems),
        image_problems=tuple(image_codes),
        in_reply_to=variant.in_reply_to if variant is not None else None,
    )


def _parts(
    config: Config,
    variant: Variant,
    problems: list[Diagnostic],
    placed: set[Diagnostic],
    facts: Mapping[str, Any] | None,
) -> list[Part]:
    """Each part with its counts against the limits validate applies (Telegram captions are shorter);
    the counts are the text facts' (publish/'s) where given, the costly part of the preview's model."""
    limits = limits_for(config, config.accounts[variant.account])
    known = (facts or {}).get("counts") or [{}] * len(variant.parts)
    parts = []
    for index, (text, counted) in enumerate(zip(variant.parts, known, strict=True), 1):
        counts = []
        for measure in limits.measures:
            limit = measure.limit
            if limits.max_length_with_media and variant.media and index == 1:
                limit = min(limit, limits.max_length_with_media)
            count = counted[measure.unit]["count"] if measure.unit in counted else measure.count(text)
            counts.append(Measured(measure.unit, count, limit))
        mine = [d for d in problems if d not in placed and _part_number(d, len(variant.parts)) == index]
        placed.update(mine)
        parts.append(Part(text, tuple(counts), tuple(mine)))
    return parts


def _part_number(item: Diagnostic, parts: int) -> int | None:
    """The part a text-length problem is about: 'part 2 of 3 is …', or 'text is …' for one part."""
    if item.code != "PW401":
        return None
    found = _PART.match(item.message)
    if found:
        return int(found[1])
    return 1 if parts == 1 else None


def _images(
    refs: tuple[MediaRef, ...],
    platform: str,
    renditions: Mapping[tuple[str, str], Rendition | None],
    problems: list[Diagnostic],
    placed: set[Diagnostic],
) -> list[Image]:
    """Each image with the problems reported on its own entry in images: (matched by position)."""
    images = []
    for ref in refs:
        mine = [d for d in problems if d not in placed and d.span == ref.span]
        mine += [
            d
            for d in problems
            if d not in placed and d not in mine and d.code.startswith("PW3") and _same_line(d, ref)
        ]
        placed.update(mine)
        images.append(Image(ref.src, ref.alt, renditions.get((ref.src, platform)), tuple(mine)))
    return images


def _same_line(item: Diagnostic, ref: MediaRef) -> bool:
    return item.span.path == ref.span.path and item.span.line == ref.span.line
