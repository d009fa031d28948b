"""Stage 4: each Variant against its platform's real rules, and across variants (duplicates); and the
content rules of a post file, which load applies as it reads each post."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import regex

from postwright import text
from postwright.account_settings import connection_settings
from postwright.config import Config, limits_for
from postwright.diagnostics import Diagnostic, Span, clip, diag
from postwright.frontmatter import NEW_POST_BODY, FrontMatter, ImageRef
from postwright.model import Post, Variant
from postwright.platforms import PLATFORMS
from postwright.platforms.base import Limits
from postwright.project import Project
from postwright.schema import did_you_mean
from postwright.syntax import HASHTAG, MENTION, mentioned
from postwright.yamlpos import Document, KeyPath

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
    limits = _limits(config, variant)
    return [
        *_text(variant, limits),
        *_media(variant, limits),
        *_swallowing_links(variant),
        *_audience(variant, config),
    ]


def _limits(config: Config, variant: Variant) -> Limits:
    return limits_for(config, config.accounts[variant.account])


def _alt_text(variants: list[Variant], config: Config) -> list[Diagnostic]:
    """Missing alt text, by the brand's rule (brand.rules.alt_text), not a platform's: no platform refuses an
    image without it. One diagnostic per image that goes to a platform taking alt text: an error (PW412)
    where the rule is required, else a warning (PW302)."""
    code, rule = ("PW412", " (brand.rules.alt_text: required)")
    if config.brand.rules.alt_text == "optional":
        code, rule = ("PW302", "")
    found: dict[Span, Diagnostic] = {}
    for variant in variants:
        if _limits(config, variant).alt_text == "unsupported":
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


@functools.lru_cache(maxsize=16)
def _hashtags(hashtag_format: str) -> re.Pattern[str]:
    """#tags, and tags as the platform writes them where it has a syntax of its own (its
    `hashtag_format`; LinkedIn's little text: {hashtag|\\#|tag})."""
    if hashtag_format == "#{tag}":
        return HASHTAG
    before, _, after = hashtag_format.format(tag="\0").partition("\0")
    inner = f"[^{re.escape(after[0])}]+" if after else r"\w+"
    return re.compile(f"{HASHTAG.pattern}|{re.escape(before)}{inner}{re.escape(after)}")


def _per_post_counts(variant: Variant, limits: Limits, title: str) -> list[Diagnostic]:
    """Hashtag, mention and link limits, counted in each part: every platform that declares one limits a
    post, and a thread's parts are separate posts (a platform without threads has one, joined, part)."""
    tags = _hashtags(PLATFORMS[variant.platform].hashtag_format)
    checks = (
        ("PW403", "hashtags", lambda part: len(tags.findall(part)), limits.max_hashtags),
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
    """The links in a part as its platform finds them (`Platform.links`; twitter-text where the platform's
    own rules are not known, as for counting links)."""
    links = PLATFORMS[platform].links
    if links is not None:
        return links(part)
    return [part[start:end] for start, end in text.url_spans(part)]


def _swallowing_links(variant: Variant) -> list[Diagnostic]:
    """A link that runs on into the words after it: counts are right, but the platform links those words
    too, which the writer cannot see in the source."""
    found: dict[str, Diagnostic] = {}
    for part in variant.parts:
        for link in _platform_links(variant.platform, part):
            # every ASCII letter is Latin: only a link with other characters can swallow a word
            swallowed = None if link.isascii() else _SWALLOWED.search(link)
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


def _audience(variant: Variant, config: Config) -> list[Diagnostic]:
    """PW415: an account that posts directly (TikTok's post_mode DIRECT_POST) sends only a post that says
    who may see it; its publisher refuses any other, so check says so first."""
    if (
        variant.privacy_level
        or connection_settings(config, variant.account).get("post_mode") != "DIRECT_POST"
    ):
        return []
    return [
        diag(
            "PW415",
            _where(variant),
            f"account {variant.account} posts directly (post_mode DIRECT_POST) and this post does not say "
            "who may see it",
            platform=variant.platform,
            hint=f"add overrides: {{{variant.platform}: {{privacy_level: PUBLIC_TO_EVERYONE}}}} (or "
            "MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY) to the front matter",
        )
    ]


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


# Content rules ----------------------------------------------------------------------------------------
# What one post file says, judged as it is loaded (load calls these in the order its diagnostics keep):
# its dates against each other, its overrides, its image references, its bodies (mentions, brand
# rules, empty or unwritten), and post ids across files.


def expires_before_publish(
    front: FrontMatter, doc: Document, publish_at: datetime | None, expires: datetime | None
) -> list[Diagnostic]:
    """A post that expires before it is published is never sent (PW205)."""
    if not (publish_at and expires and expires <= publish_at):
        return []
    return [
        diag(
            "PW205",
            doc.span(("expires",)),
            f"post expires ({front.expires}) before it is published ({publish_at:%Y-%m-%d %H:%M})",
            hint="move expires: after date:, or remove it",
        )
    ]


def overrides_after_expiry(
    front: FrontMatter, doc: Document, moved: Mapping[str, datetime | None], expires: datetime | None
) -> list[Diagnostic]:
    """An override's date after the post expires: that platform or account never gets it (PW205)."""
    return [
        diag(
            "PW205",
            doc.span(("overrides", key, "date")),
            f"overrides.{key}.date is after the post expires ({front.expires})",
            hint="move the override's date before expires:, or extend expires:",
        )
        for key, when in moved.items()
        if when and expires and when >= expires
    ]


def check_overrides(
    config: Config, front: FrontMatter, doc: Document, platforms: Iterable[str], targets: Iterable[str]
) -> list[Diagnostic]:
    """Each override key names a platform or account this post goes to (PW206, PW212)."""
    known = [*config.accounts, *PLATFORMS]
    found = []
    for key in front.overrides:
        span = doc.span(("overrides", key), key=True)
        if key not in known:
            found.append(
                diag(
                    "PW206",
                    span,
                    f"override for unknown platform or account '{key}'{did_you_mean(key, known)}",
                    hint="override keys are platform names (x, bluesky, …) or account names from config.yml",
                )
            )
        elif key not in platforms and key not in targets:
            found.append(
                diag(
                    "PW212",
                    span,
                    f"override for '{key}' is never used: this post does not go there",
                    hint="add it to platforms:/accounts:, or remove the override",
                )
            )
    return found


def check_replies(
    config: Config, front: FrontMatter, doc: Document, targets: Iterable[str]
) -> list[Diagnostic]:
    """Each account's `in_reply_to:` (its account override, else its platform's, else the post's) is a
    post on that account's platform, and the platform takes replies postwright can send (PW216)."""
    found: dict[tuple[KeyPath, str], Diagnostic] = {}  # one per place and platform: each blocks its own
    for account in targets:
        platform = PLATFORMS[config.accounts[account].platform]
        where: KeyPath = ("in_reply_to",)
        url = front.in_reply_to
        for key in (platform.name, account):
            override = front.overrides.get(key)
            if override is not None and override.in_reply_to is not None:
                where, url = ("overrides", key, "in_reply_to"), override.in_reply_to
        if url is None or (where, platform.name) in found:
            continue
        if platform.reply_url is None:
            message = (
                f"in_reply_to: postwright cannot publish a reply on {platform.title} (account {account})"
            )
            able = ", ".join(sorted(other.title for other in PLATFORMS.values() if other.reply_url))
            hint = f"replies can be published on {able}; send this post elsewhere, or answer there by hand"
        elif not platform.reply_url.match(url):
            message = f"in_reply_to: {url} is not a post on {platform.title} (account {account})"
            hint = (
                f"give the link of a {platform.title} post, or set in_reply_to per platform under "
                f"overrides: {{{platform.name}: {{in_reply_to: …}}}}"
            )
        else:
            continue
        found[where, platform.name] = diag(
            "PW216", doc.span(where), message, platform=platform.name, hint=hint
        )
    return list(found.values())


def image_problem(
    project: Project, assets: Path, image: ImageRef, number: int, span: Span
) -> Diagnostic | None:
    """An image reference that points outside assets/ (PW301) or at no file (PW300); `assets` resolved."""
    try:
        target = (assets / image.src).resolve()
        exists = target.is_file()
    except (ValueError, OSError):  # a NUL byte or an over-long name: not a usable path
        target, exists = assets / "?", False
    if Path(image.src).is_absolute() or not target.is_relative_to(assets):
        return diag(
            "PW301",
            span,
            f"image {number}: '{image.src}' points outside assets/",
            hint="put the image in assets/ and give its path relative to assets/",
        )
    if not exists:
        return diag(
            "PW300",
            span,
            f"image {number}: assets/{image.src} not found" + did_you_mean(image.src, _asset_names(project)),
            hint="check the file name; paths are relative to assets/ and case-sensitive",
        )
    return None


def _asset_names(project: Project) -> list[str]:
    if not project.assets_dir.is_dir():
        return []
    return [
        p.relative_to(project.assets_dir).as_posix() for p in project.assets_dir.rglob("*") if p.is_file()
    ]


def check_bodies(
    config: Config,
    front: FrontMatter,
    doc: Document,
    body: str,
    body_line: int,
    source: str,
    platforms: tuple[str, ...],
) -> list[Diagnostic]:
    """The post's body and each override's: mentions and brand rules where each goes; then whether the
    post has a body at all (PW242) and whether a ready post still holds `new`'s text (PW250)."""
    found: list[Diagnostic] = []
    bodies = [(body, body_line, None)] + [
        (override.body, doc.span(("overrides", key, "body")).line, ("overrides", key, "body"))
        for key, override in front.overrides.items()
        if override.body is not None
    ]
    for written, line, where in bodies:
        reaches = platforms if where is None else _override_platforms(config, str(where[1]))
        found += _check_body(config, front, written, Span(source, line), where, reaches)
    if not body.strip() and not any(o.body for o in front.overrides.values()):
        found.append(
            diag(
                "PW242",
                Span(source, body_line - 1),
                "post body is empty",
                hint="write the post below the front matter",
            )
        )
    if not front.draft and body.strip() == NEW_POST_BODY:
        found.append(
            diag(
                "PW250",
                Span(source, body_line),
                "the body is still the text `postwright new` wrote, and the post is not a draft",
                hint="write the post, or set draft: true until it is ready",
            )
        )
    return found


def _override_platforms(config: Config, key: str) -> list[str]:
    """The platforms an override key reaches: itself, or the platform of the account it names."""
    if key in config.accounts:
        return [config.accounts[key].platform]
    return [key] if key in PLATFORMS else []


def _check_body(
    config: Config,
    front: FrontMatter,
    body: str,
    start: Span,
    where: KeyPath | None,
    platforms: Iterable[str],
) -> list[Diagnostic]:
    """Mentions and brand rules in one body text; `start` is the line the text begins on."""
    found: list[Diagnostic] = []

    def at(offset: int) -> Span:
        if where is not None:  # an override's YAML string: its own line is precise enough
            return start
        line = start.line + body.count("\n", 0, offset)
        return Span(start.path, line, offset - (body.rfind("\n", 0, offset) + 1) + 1)

    for match in MENTION.finditer(body):
        name = mentioned(match).strip()
        person = config.people.get(name)
        if person is None:
            found.append(
                diag(
                    "PW230",
                    at(match.start()),
                    f"@[{name}] is not in the people directory{did_you_mean(name, config.people)}",
                    hint=f"add {name or 'the person'} under people: in config.yml with a handle per platform",
                )
            )
            continue
        for platform in platforms:
            if not getattr(person, platform, None):
                found.append(
                    diag(
                        "PW231",
                        at(match.start()),
                        f"@[{name}] has no {platform} handle; the plain name will be used",
                        platform=platform,
                        hint=f"add {platform}: to people.{name} in config.yml",
                    )
                )
    for word in config.brand.rules.banned_words:
        for match in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", body, re.IGNORECASE):
            found.append(
                diag(
                    "PW240",
                    at(match.start()),
                    f"'{match[0]}' is a banned word for this brand",
                    hint="see brand.rules.banned_words in config.yml",
                )
            )
    tags = {tag.casefold() for tag in front.tags}
    for disclosure in config.brand.rules.disclosures:
        needed = tags & {tag.casefold() for tag in disclosure.tags}
        if needed and not re.search(rf"(?<!\w){re.escape(disclosure.text)}(?!\w)", body, re.IGNORECASE):
            found.append(
                diag(
                    "PW241",
                    start,
                    f"posts tagged {', '.join(disclosure.tags)} must include '{disclosure.text}'",
                    hint=f"add '{disclosure.text}' to the text",
                )
            )
    return found


def duplicate_ids(posts: list[Post]) -> list[Diagnostic]:
    """Two files that give one post id and language (PW208). Every file of a clashing pair is flagged,
    so the new file gets the annotation in its pull request."""
    groups: dict[tuple[str, str], list[Post]] = {}
    for post in posts:
        groups.setdefault((post.id, post.lang), []).append(post)
    return [
        diag(
            "PW208",
            Span(post.source),
            f"post id '{post.id}' in language '{post.lang}' is also used by "
            + ", ".join(other.source for other in group if other is not post),
            hint="rename one of the files; language variants need a suffix such as .es.md",
        )
        for group in groups.values()
        if len(group) > 1
        for post in group
    ]
