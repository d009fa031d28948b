"""Stage 4: each Variant against its platform's real rules, and across variants (duplicates)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

import regex

from postwright import text
from postwright.config import Config
from postwright.diagnostics import Diagnostic, Span, clip, diag
from postwright.model import Variant
from postwright.platforms import PLATFORMS
from postwright.platforms.base import Limits
from postwright.render import limits_for
from postwright.syntax import HASHTAG

_HASHTAG = re.compile(HASHTAG.pattern + r"|\{hashtag\|\\#\|[^}]+\}")  # and LinkedIn's little-text tags
# A mention as platforms count it in the rendered text (@handle, @user@host): a platform's own syntax,
# which render made of syntax.MENTION, not the writer's @[person].
_HANDLE = re.compile(r"(?<![\w@])@\w[\w.]*")
# Where a link turns from ASCII into a letter of another script than Latin: text that had no space
# before it (CJK and Thai write none between words). After / = # ? & . - it starts a path segment, a
# query value or a domain label, which may be in any script: those are left alone.
_SWALLOWED = regex.compile(r"(?<=[!-~])(?<![/=#?&.\-])(?!\p{Latin})\p{L}")


def check_variants(variants: Iterable[Variant], config: Config, *, each: bool = True) -> list[Diagnostic]:
    """Every rule over every variant; problems are collected, never raised. `each=False` leaves out
    the rules of single variants, for a caller that ran `check_variant` as it rendered them."""
    variants = list(variants)
    found: list[Diagnostic] = (
        [item for variant in variants for item in check_variant(variant, config)] if each else []
    )
    found += _alt_text(variants, config)
    found += _duplicates(variants, config.schedule.duplicate_window)
    return found


def check_variant(variant: Variant, config: Config) -> list[Diagnostic]:
    """The rules one variant can be checked against alone: its text and its images."""
    limits = limits_for(config, config.accounts[variant.account])
    return [*_text(variant, limits), *_media(variant, limits), *_swallowing_links(variant)]


def _alt_text(variants: list[Variant], config: Config) -> list[Diagnostic]:
    """Missing alt text, by the brand's rule (brand.rules.alt_text), not a platform's: no platform refuses an
    image without it. One diagnostic per image that goes to a platform taking alt text: an error (PW412)
    where the rule is required, else a warning (PW302)."""
    code, rule = ("PW412", " (brand.rules.alt_text: required)")
    if config.brand.rules.alt_text == "optional":
        code, rule = ("PW302", "")
    found: dict[Span, Diagnostic] = {}
    for variant in variants:
        if limits_for(config, config.accounts[variant.account]).alt_text == "unsupported":
            continue
        for number, ref in enumerate(variant.media, 1):
            if not ref.alt.strip() and ref.span not in found:
                hint = f"add `alt:` under images[{number}] describing what the image shows"
                found[ref.span] = diag(
                    code, ref.span, f"alt text missing for image {number}{rule}", hint=hint
                )
    return list(found.values())


def _where(variant: Variant) -> Span:
    return Span(variant.source, variant.body_line)


def _text(variant: Variant, limits: Limits) -> list[Diagnostic]:
    found = []
    title = PLATFORMS[variant.platform].title
    many = len(variant.parts) > 1
    for index, part in enumerate(variant.parts, 1):
        for measure in limits.measures:
            limit = measure.limit
            if limits.max_length_with_media and variant.media and index == 1:
                limit = min(limit, limits.max_length_with_media)
            count = measure.count(part)
            if count > limit:
                label = f"part {index} of {len(variant.parts)}" if many else "text"
                found.append(
                    diag(
                        "PW401",
                        _where(variant),
                        f"{label} is {count} {measure.unit} for {variant.account}; {title} allows {limit}",
                        platform=variant.platform,
                        hint="shorten it, add an override for this platform, or allow a thread",
                    )
                )
    if len(variant.parts) > limits.max_thread_parts:
        found.append(
            diag(
                "PW402",
                _where(variant),
                f"thread has {len(variant.parts)} parts; the limit is {limits.max_thread_parts}",
                platform=variant.platform,
                hint="shorten the post or give this platform a shorter override",
            )
        )
    if variant.thread == "always" and limits.max_thread_parts == 1:
        found.append(
            diag(
                "PW406",
                _where(variant),
                f"thread: always, but {title} has no threads; the parts are posted as one text",
                platform=variant.platform,
                hint=f"use thread: auto, or give {variant.platform} a shorter override",
            )
        )
    found += _tags(variant, limits)
    found += _per_post_counts(variant, limits, title)
    return found


def _per_post_counts(variant: Variant, limits: Limits, title: str) -> list[Diagnostic]:
    """Hashtag, mention and link limits, counted in each part: every platform that declares one limits a
    post, and a thread's parts are separate posts (a platform without threads has one, joined, part)."""
    checks = (
        ("PW403", "hashtags", lambda part: len(_HASHTAG.findall(part)), limits.max_hashtags),
        ("PW404", "mentions", lambda part: len(_HANDLE.findall(part)), limits.max_mentions),
        ("PW405", "links", lambda part: len({part[a:b] for a, b in text.url_spans(part)}), limits.max_links),
    )
    many = len(variant.parts) > 1
    found = []
    for code, what, counter, limit in checks:
        if limit is None:  # most platforms set none of these: do not count
            continue
        for index, part in enumerate(variant.parts, 1):
            count = counter(part)
            if count <= limit:
                continue
            where = f" in part {index} of {len(variant.parts)}" if many else ""
            found.append(
                diag(
                    code,
                    _where(variant),
                    f"{count} {what}{where}; {title} allows {limit} per post",
                    platform=variant.platform,
                    hint=f"use fewer {what} for {variant.platform} (an override can change the text)",
                )
            )
    return found


def _tags(variant: Variant, limits: Limits) -> list[Diagnostic]:
    """Each hashtag over the platform's limit for one tag (Bluesky: 64 graphemes and 640 UTF-8 bytes)."""
    if limits.tag is None:
        return []
    found = []
    title = PLATFORMS[variant.platform].title
    for part in variant.parts:
        for tag in limits.tag.find(part):
            for measure in limits.tag.measures:
                count = measure.count(tag)
                if count > measure.limit:
                    found.append(
                        diag(
                            "PW407",
                            _where(variant),
                            f"hashtag #{clip(tag, 40)} is {count} {measure.unit}; {title} allows "
                            f"{measure.limit} per tag",
                            platform=variant.platform,
                            hint="shorten the tag; a longer one is posted as plain text, not as a tag",
                        )
                    )
                    break
    return found


def _platform_links(platform: str, part: str) -> list[str]:
    """The links in a part as its platform finds them (twitter-text where the platform's own rules are
    not known, as for counting links)."""
    if platform == "bluesky":
        return [facet.value for facet in text.bluesky_facets(part) if facet.kind == "link"]
    spans = text.mastodon_urls(part) if platform == "mastodon" else text.url_spans(part)
    return [part[start:end] for start, end in spans]


def _swallowing_links(variant: Variant) -> list[Diagnostic]:
    """A link that runs on into the words after it: counts are right, but the platform links those words
    too, which the writer cannot see in the source."""
    found: dict[str, Diagnostic] = {}
    for part in variant.parts:
        for link in _platform_links(variant.platform, part):
            swallowed = _SWALLOWED.search(link)
            if swallowed is None or link in found:
                continue
            taken = link[swallowed.start() :]
            found[link] = diag(
                "PW408",
                _where(variant),
                f"the link {link} takes in the text after it: {taken}",
                platform=variant.platform,
                hint="put a space after the link",
            )
    return list(found.values())


def _media(variant: Variant, limits: Limits) -> list[Diagnostic]:
    title = PLATFORMS[variant.platform].title
    found = []
    if limits.requires_media and not variant.media:
        found.append(
            diag(
                "PW410",
                _where(variant),
                f"{title} posts need an image",
                platform=variant.platform,
                hint=f"add images:, or leave {variant.platform} out of platforms:",
            )
        )
    if len(variant.media) > limits.max_media:
        found.append(
            diag(
                "PW411",
                variant.media[limits.max_media].span,
                f"{len(variant.media)} images; {title} allows {limits.max_media}",
                platform=variant.platform,
                hint=f"give {variant.platform} fewer images with an override",
            )
        )
    for number, ref in enumerate(variant.media, 1):
        length = limits.alt_count(ref.alt) if limits.max_alt_length else 0
        if limits.max_alt_length and length > limits.max_alt_length:
            found.append(
                diag(
                    "PW413",
                    ref.span,
                    f"alt text of image {number} is {length} {limits.alt_unit}; "
                    f"{title} allows {limits.max_alt_length}",
                    platform=variant.platform,
                    hint="describe the essentials; move details into the post text",
                )
            )
    return found


def _duplicates(variants: list[Variant], window: timedelta) -> list[Diagnostic]:
    """The same text twice on one account within the window: X rejects it, followers notice it."""
    found = []
    seen: dict[tuple[str, str], Variant] = {}
    for variant in sorted(variants, key=lambda v: (v.publish_at, v.key)):
        if variant.draft or not variant.parts or not variant.parts[0]:
            continue
        key = (variant.account, variant.parts[0])
        earlier = seen.get(key)
        if earlier and variant.publish_at - earlier.publish_at < window:
            found.append(
                diag(
                    "PW414",
                    _where(variant),
                    f"same text as {earlier.source} on {variant.account} within {window.days or window} days",
                    platform=variant.platform,
                    hint="change the wording (X rejects duplicates), or space the posts further apart",
                )
            )
        seen[key] = variant
    return found
