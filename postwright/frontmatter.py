"""The YAML front matter of a post file: its schema (documented; exported by `postwright schema post`).

Beside config.py, which holds config.yml's schema; both build on schema.py's shared field types and its
bridge from pydantic errors to located diagnostics. Dates stay text here: when.py reads them in the
brand's time zone, which only config.yml knows.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationError

from postwright.schema import Bool, Hashtag, Language, Link, Model, Money, PlatformName

DateText = str  # read by when.read_date, in the brand's time zone
PostId = Annotated[str, Field(pattern=r"^[\w-]+$", max_length=200)]  # as a file name gives it
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]

NEW_POST_BODY = "Write the post here in Markdown."
"""The body `postwright new` writes: a ready post that still holds it is warned about (PW250)."""


class ImageRef(Model):
    """An image from assets/ with its alt text."""

    src: str
    """Path of the image, relative to assets/, e.g. launch.jpg."""
    alt: str = ""
    """Alt text: what the image shows, for people who cannot see it, e.g. A red kite over the beach.
    Some platforms require it."""
    focus: tuple[Fraction, Fraction] | None = None
    """Focal point [x, y] from 0 to 1 (0,0 is top left) that crops keep in view, e.g. [0.5, 0.3]."""


class Override(Model):
    """Fields a post changes for one platform or one account."""

    body: str | None = None
    """A different body (Markdown) for this platform or account, e.g. A shorter text."""
    date: DateText | None = None
    """A different publish time for this platform or account, e.g. 2026-12-01 10:00."""
    tags: list[Hashtag] | None = None
    """Different hashtags, e.g. [launch]."""
    link: Link | None = None
    """A different link, e.g. https://example.com/v2."""
    images: list[ImageRef] | None = None
    """Different images."""
    thread: Literal["auto", "never", "always"] | None = None
    """A different thread mode."""
    privacy_level: (
        Literal["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"] | None
    ) = None
    """TikTok: who may see the post, e.g. PUBLIC_TO_EVERYONE. With post_mode DIRECT_POST a post goes out only
    when it says so (checked against the creator's options when it is sent); a draft ignores it."""
    in_reply_to: Link | None = None
    """The post this platform's or account's copy answers, e.g. https://bsky.app/profile/ana.example/post/3k…"""


class FrontMatter(Model):
    """The YAML front matter of a post file."""

    id: PostId | None = None
    """The post's id, instead of the one its file name gives, e.g. 2026-12-01-launch: set it to the old id
    when you rename a file that was already published, so that the ledger still knows it and it is not
    sent again."""
    title: str = ""
    """For the calendar and previews, e.g. Launch of v2; not posted."""
    date: DateText | None = None
    """Publish time, e.g. 2026-12-01 09:30; without an offset it is in the brand's time zone.
    Optional when the file name starts with the date."""
    lang: Language | None = None
    """Language of the post (BCP 47), e.g. es; default from the file name (launch.es.md) or the brand."""
    platforms: list[PlatformName] | None = None
    """Platforms to post to; default brand.platforms. Every account on them in the post's language gets it."""
    accounts: list[str] | None = None
    """Exact accounts to post to, instead of platforms, e.g. [x_main, mastodon_main]."""
    tags: list[Hashtag] = []
    """Hashtags, without #, e.g. [OpenSource, launch]; templates place them per platform."""
    link: Link | None = None
    """The link the post promotes, e.g. https://example.com/v2; UTM-tagged per platform."""
    images: list[ImageRef] = []
    """Images from assets/, each with alt text."""
    thread: Literal["auto", "never", "always"] = "auto"
    """auto: split into a thread where the text is too long and the platform allows threads."""
    draft: Bool = False
    """Drafts are checked and previewed but never published."""
    expires: DateText | None = None
    """After this time the post is not sent any more, e.g. 2026-12-03 (a date alone means the end of
    that day)."""
    in_reply_to: Link | None = None
    """Publish the post as a reply to this post (ours or someone else's), e.g.
    https://mastodon.social/@ana/112233; it must be a post on each platform the post goes to (else set it
    per platform under overrides). Bluesky, Mastodon and X take replies."""
    overrides: dict[str, Override] = {}
    """Changes per platform or per account name, e.g. {x: {body: A shorter text}}."""
    campaign: Annotated[str, Field(pattern=r"^[\w-]+$", max_length=200)] | None = None
    """The campaign the post belongs to, e.g. winter-sale: `metrics roi` sums its posts' revenue and cost
    (config.yml's campaigns: gives a campaign's own cost)."""
    cost: Money | None = None
    """What making or boosting this post cost, e.g. 45.50, for `metrics roi` (revenue − cost); split
    evenly over the accounts it goes to."""


_IDENTITY = {"id", "date", "lang"}  # what names a post's jobs in the ledger: never guessed


def without_invalid_keys(data: dict) -> FrontMatter | None:
    """The front matter without its invalid keys (already reported), so that the rest of the post is still
    checked; None when what names the post is among them."""
    try:
        FrontMatter.model_validate(data)
    except ValidationError as error:
        invalid = {item["loc"][0] if item["loc"] else None for item in error.errors(include_url=False)}
    else:
        return None
    if None in invalid or invalid & _IDENTITY:
        return None
    try:
        return FrontMatter.model_validate({key: value for key, value in data.items() if key not in invalid})
    except ValidationError:
        return None
