"""config.yml: the brand, its accounts, platform settings, schedule and people, declared in one place.

The attribute docstrings below are the reference documentation: they become the descriptions in the
exported JSON Schema (`postwright schema config`), which editors show while completing config.yml.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from postwright import account_settings
from postwright.diagnostics import RULES, Diagnostic, Severity, Span, diag
from postwright.files import read_text
from postwright.platforms import PLATFORMS
from postwright.platforms.base import Limits
from postwright.project import Project
from postwright.schema import (
    FIRST_YEAR,
    LAST_YEAR,
    Bool,
    Duration,
    EnvVarName,
    Hashtag,
    Int,
    Language,
    Link,
    Model,
    Money,
    PlatformName,
    TimeOfDay,
    TimeZone,
    did_you_mean,
    validate_model,
)
from postwright.yamlpos import Document, load_yaml

_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _account_name(value: str) -> str:
    if not _ACCOUNT_NAME.match(value):
        raise PydanticCustomError(
            "PW031",
            f"'{value}' is not a usable account name",
            {"hint": "use letters, digits, _, . and -, starting with a letter or digit (it names folders)"},
        )
    return value


def _rule_code(value: str) -> str:
    if value not in RULES:
        raise PydanticCustomError(
            "PW031",
            f"unknown rule code '{value}'{did_you_mean(value, RULES)}",
            {"hint": "rule codes are listed in docs/rules.md"},
        )
    return value


def _inside_repository(value: str) -> str:
    if (
        PurePosixPath(value).is_absolute()
        or PureWindowsPath(value).is_absolute()
        or ".." in value.replace("\\", "/").split("/")
    ):
        raise PydanticCustomError(
            "PW031",
            f"'{value}' leads outside the repository",
            {"hint": "give a folder relative to the repository, e.g. outbox"},
        )
    return value


RepositoryFolder = Annotated[str, AfterValidator(_inside_repository)]
_UTM_FIELDS = ("platform", "account", "post_id")


def _utm_text(value: str) -> str:
    """Only {platform}, {account} and {post_id}: str.format would also follow {platform.__class__…}."""
    try:
        fields = [
            name if not spec and conversion is None else f"{name}…"  # {platform:>999999999}: 1 GB
            for _, name, spec, conversion in string.Formatter().parse(value)
            if name is not None
        ]
    except ValueError as error:  # an unmatched { or }
        raise PydanticCustomError(
            "PW031", f"'{value}': {error}", {"hint": "write {{ and }} for braces"}
        ) from None
    unknown = [name for name in fields if name not in _UTM_FIELDS]
    if unknown:
        raise PydanticCustomError(
            "PW031",
            f"'{{{unknown[0]}}}' is not a UTM placeholder",
            {"hint": "use {platform}, {account} or {post_id}, without attributes or formats"},
        )
    return value


UtmText = Annotated[str, AfterValidator(_utm_text)]
RuleCode = Annotated[str, AfterValidator(_rule_code), WithJsonSchema({"enum": list(RULES)})]
AccountName = Annotated[
    str,
    AfterValidator(_account_name),
    WithJsonSchema({"type": "string", "pattern": _ACCOUNT_NAME.pattern}),
]


class Utm(Model):
    """UTM tags added to the post's links; {platform}, {account} and {post_id} are filled in."""

    enabled: Bool = True
    """Add UTM tags to links at all."""
    source: UtmText = "{platform}"
    """utm_source value."""
    medium: UtmText = "social"
    """utm_medium value."""
    campaign: UtmText = "{post_id}"
    """utm_campaign value."""
    content: UtmText | Literal[False] = "{account}"
    """utm_content value: the account by default, so two accounts on one platform (the English and the
    Spanish X account) are told apart in analytics and in `metrics roi`; false leaves it out."""
    domains: list[str] = []
    """Only tag links to these domains (and their subdomains), e.g. [acme.example]; empty tags every link."""


class Disclosure(Model):
    """A text that must appear in every post carrying one of the tags, e.g. #ad on sponsored posts."""

    tags: list[Hashtag]
    """Posts with any of these tags need the disclosure, e.g. [sponsored, partner]."""
    text: str
    """The text that must appear in the post body, e.g. '#ad'."""


class BrandRules(Model):
    """Rules every post must follow, checked by `postwright check`."""

    banned_words: list[str] = []
    """Words or phrases that must never appear in a post (case-insensitive, whole words), e.g. [cheap]."""
    disclosures: list[Disclosure] = []
    """Disclosures required for posts with certain tags."""
    alt_text: Literal["required", "optional"] = "required"
    """'required': an image without alt text is an error (PW412) on every platform that takes alt text;
    'optional': a warning (PW302). The brand's rule: no platform refuses an image without alt text."""


class Brand(Model):
    """Who is posting: the name, voice and defaults every post starts from."""

    name: str
    """The brand's name, as shown in previews and the calendar, e.g. Acme Kites."""
    timezone: TimeZone
    """IANA time zone in which post dates without an offset are read, e.g. Europe/Madrid."""
    language: Language = "en"
    """Language of posts that do not say otherwise (BCP 47 tag)."""
    platforms: list[PlatformName] = []
    """Platforms a post goes to when its front matter names none."""
    url: Link | None = None
    """The brand's website, e.g. https://acme.example."""
    signature: str = ""
    """Text templates may append to posts, e.g. '— The Acme team'."""
    hashtags: list[Hashtag] = []
    """Hashtags templates may add to every post, e.g. [AcmeKites]."""
    call_to_action: str = ""
    """A call to action templates may add, e.g. 'Read more on our blog'."""
    background: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")] = "#ffffff"
    """Colour transparent images are flattened onto for JPEG-only platforms, as #rrggbb."""
    utm: Utm = Utm()
    """How links are tagged for analytics."""
    rules: BrandRules = BrandRules()
    """Brand rules: banned words, required disclosures, whether images need alt text."""


class LimitOverrides(Model):
    """Tighten or raise a platform's limits, e.g. 25000 characters for an X Premium account."""

    max_length: Int | None = Field(None, gt=0, le=1_000_000)
    """Maximum text length, in the platform's own unit."""
    max_media: Int | None = Field(None, ge=0, le=100)
    """Maximum images per post."""
    max_thread_parts: Int | None = Field(None, gt=0, le=1000)
    """Maximum posts in one thread; 1 disables threads."""
    max_image_bytes: Int | None = Field(None, gt=0, le=1_000_000_000)
    """Maximum bytes of one image: its renditions are made to fit (one rendition serves every account on a
    platform, so the smallest limit among them wins)."""
    max_alt_length: Int | None = Field(None, gt=0, le=100_000)
    """Maximum alt text length, in the unit the platform counts it in (docs/platforms.md, Alt text)."""


MOST_PIXELS_ON_A_SIDE = 20_000
"""The largest width or side an image override takes: far above what any platform shows."""
MOST_IMAGE_UNITS = 1_000_000_000
"""The largest byte or pixel count an image override takes (1 GB, 1 gigapixel)."""
MOST_RATIO = 100
"""The longest an image may be for its width (or wide for its height): a ratio, or aspect, up to 100:1."""
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
"""The formats postwright writes (JPG is JPEG)."""


def _image_override(message: str, hint: str) -> PydanticCustomError:
    return PydanticCustomError("PW031", message, {"hint": hint})


def _number_between(low: float, high: float, *, low_included: bool) -> AfterValidator:
    """A bound check that names the range in its message; NaN and infinities are never inside."""
    shown = f"{'from' if low_included else 'above'} {low:g} to {high:g}"

    def check(value: float) -> float:
        inside = (low <= value if low_included else low < value) and value <= high
        if not inside:  # NaN is not inside either
            raise _image_override(
                f"{value!r} is out of range: write a number {shown}", f"write e.g. {high / 5:g}"
            )
        return value

    return AfterValidator(check)


def _number_schema(low: float, high: float, *, low_included: bool) -> WithJsonSchema:
    bound = "minimum" if low_included else "exclusiveMinimum"
    return WithJsonSchema({"type": "number", bound: low, "maximum": high})


# Numbers stay as written (an int stays an int): the spec's key, and so the rendition's file name,
# must not change for an override that worked before validation.
Fraction = Annotated[
    StrictInt | StrictFloat,
    _number_between(0, 1, low_included=True),
    _number_schema(0, 1, low_included=True),
]
PositiveFraction = Annotated[
    StrictInt | StrictFloat,
    _number_between(0, 1, low_included=False),
    _number_schema(0, 1, low_included=False),
]
Ratio = Annotated[
    StrictInt | StrictFloat,
    _number_between(1, MOST_RATIO, low_included=True),
    _number_schema(1, MOST_RATIO, low_included=True),
]
Pixels = Annotated[Int, Field(ge=1, le=MOST_PIXELS_ON_A_SIDE)]
Count = Annotated[Int, Field(ge=1, le=MOST_IMAGE_UNITS)]


def _aspect(value: object) -> object:
    """[width, height] in whole numbers, at most MOST_RATIO to 1 either way."""
    if value is None:
        return None
    parts = value if isinstance(value, list | tuple) else None
    if (
        parts is None
        or len(parts) != 2
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in parts)
    ):
        raise _image_override(
            f"{_shown(value)} is not an aspect",
            "write [width, height] in whole numbers, e.g. [4, 5] or [191, 100]",
        )
    width, height = parts
    if not (0 < width <= MOST_PIXELS_ON_A_SIDE and 0 < height <= MOST_PIXELS_ON_A_SIDE):
        raise _image_override(
            f"{_shown(value)} is out of range",
            f"write two whole numbers from 1 to {MOST_PIXELS_ON_A_SIDE}",
        )
    if max(width, height) > MOST_RATIO * min(width, height):
        raise _image_override(
            f"{_shown(value)} is longer than {MOST_RATIO}:1",
            f"write a shape up to {MOST_RATIO}:1 either way",
        )
    return (width, height)


def _shown(value: object) -> str:
    """A value short enough to quote (a number of thousands of digits is not)."""
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


Aspect = Annotated[
    tuple[int, int] | None,
    BeforeValidator(_aspect),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2, "maxItems": 2},
                {"type": "null"},
            ]
        }
    ),
]


def _image_format(value: str) -> str:
    name = value.upper().replace("JPG", "JPEG")
    if name not in IMAGE_FORMATS:
        raise _image_override(
            f"'{_shown(value)}' is not an image format postwright writes{did_you_mean(name, IMAGE_FORMATS)}",
            "use " + ", ".join(IMAGE_FORMATS),
        )
    return name


ImageFormat = Annotated[str, AfterValidator(_image_format), WithJsonSchema({"enum": list(IMAGE_FORMATS)})]


def _logo(value: str, info: ValidationInfo) -> str:
    """A file under assets/: the stamp and the memos see only files there, so nothing else may change
    an image without a rebuild noticing."""
    assets = (info.context or {}).get("assets")
    if assets is None:
        return value
    assets = Path(assets).resolve()
    try:
        target = (assets / value).resolve()
        exists = target.is_file()
    except (ValueError, OSError):  # a NUL byte or an over-long name
        target, exists = assets / "?", False
    if not value or Path(value).is_absolute() or not target.is_relative_to(assets):
        raise _image_override(
            f"overlay logo '{_shown(value)}' points outside assets/",
            "put the logo in assets/ and give its path relative to assets/, e.g. brand/logo.png",
        )
    if not exists:
        raise _image_override(
            f"overlay logo assets/{_shown(value)} not found",
            "check the file name; paths are relative to assets/ and case-sensitive",
        )
    return value


class ImageOverlay(Model):
    """A brand watermark put on every image of the platform."""

    logo: Annotated[str, AfterValidator(_logo)]
    """The logo image, relative to assets/, e.g. brand/logo.png."""
    position: Literal["top-left", "top-right", "bottom-left", "bottom-right", "center"] = "bottom-right"
    """Where the logo goes."""
    size: PositiveFraction = 0.15
    """The logo's width as a fraction of the image width (above 0, at most 1)."""
    opacity: Fraction = 0.8
    """0 is invisible, 1 fully opaque."""
    margin: Fraction = 0.03
    """The gap to the edges, as a fraction of the image width."""


class SpecOverrides(Model):
    """Changes to a platform's image specs: a key left out keeps the platform's value (the defaults
    below only say 'not set'; `changes` passes on what config.yml set)."""

    aspect: Aspect = None
    """Crop to this shape, [width, height] in whole numbers (at most 100:1); null keeps the source's shape."""
    width: Pixels | None = None
    """Target width in px (1–20000); an upper bound when the shape is kept."""
    max_side: Pixels | None = None
    """Longest side in px (1–20000)."""
    max_pixels: Count | None = None
    """Most pixels (width × height) of one image (at most 1,000,000,000)."""
    max_bytes: Count = None  # type: ignore[assignment]  # unset keeps the platform's; null is refused
    """Most bytes of one image file (at most 1,000,000,000)."""
    min_width: Annotated[Int, Field(ge=0, le=MOST_PIXELS_ON_A_SIDE)] = None  # type: ignore[assignment]
    """A source region narrower than this many px is reported (PW308)."""
    max_ratio: Ratio | None = None
    """Longest side / shortest side (1–100); a longer panorama is cropped."""
    formats: Annotated[list[ImageFormat], Field(min_length=1)] = None  # type: ignore[assignment]
    """Formats the platform accepts, e.g. [JPEG, PNG]; JPEG is used unless an image needs alpha or motion."""
    allow_upscale: Bool = None  # type: ignore[assignment]
    """Enlarge images smaller than the target size."""
    overlay: ImageOverlay | None = None
    """A logo put on every image, e.g. {logo: brand/logo.png, position: bottom-right}."""

    def changes(self) -> dict[str, Any]:
        """The keys config.yml set, as media.specs_for takes them: defaults above are never applied."""
        return self.model_dump(exclude_unset=True)


def _spec_name(value: str, info: ValidationInfo) -> str:
    platform = (info.context or {}).get("platform")
    if platform is None:
        return value
    names = [spec.name for spec in PLATFORMS[platform].images]
    if value not in names:
        raise _image_override(
            f"{platform} has no image spec named '{_shown(value)}'{did_you_mean(value, names)}",
            f"{platform}'s image specs: " + ", ".join(names),
        )
    return value


class ImageOverrides(SpecOverrides):
    """Image spec overrides for one platform: top-level keys change every spec, `specs` one by name."""

    specs: dict[Annotated[str, AfterValidator(_spec_name)], SpecOverrides] = {}
    """Overrides for one spec by its name (e.g. "4x5" on Instagram); its keys win over the ones above."""


class PlatformSettings(Model):
    """Settings for every account on one platform."""

    limits: LimitOverrides = LimitOverrides()
    """Limit overrides for every account on this platform."""
    settings: dict[str, Any] = {}
    """Platform-specific settings (e.g. Mastodon visibility) shared by its accounts."""
    thread_numbering: Bool = False
    """Number thread parts ("1/3" on its own line, counted in each part's length)."""
    images: ImageOverrides = ImageOverrides()
    """Image spec overrides, e.g. {aspect: [1, 1]} or {overlay: {logo: brand/logo.png}} (media.specs_for)."""


class Account(Model):
    """One account the brand posts as."""

    platform: PlatformName
    """The platform this account is on."""
    language: Language | None = None
    """Only posts in this language go to this account, e.g. es; unset takes posts in every language."""
    handle: str = ""
    """The account's own handle, for previews (e.g. @acme@mastodon.social)."""
    deliver: Literal["outbox", "api"] = "outbox"
    """'outbox' writes what would be sent to a local folder; 'api' sends it to the platform."""
    credentials: dict[str, EnvVarName] = {}
    """Names of the environment variables holding this account's secrets, never the secrets, e.g.
    {token: MASTODON_TOKEN}."""
    settings: dict[str, Any] = {}
    """Platform-specific settings for this account (instance URL, page id, board, visibility…)."""
    limits: LimitOverrides = LimitOverrides()
    """Limit overrides for this account only."""


class Schedule(Model):
    """When posts go out."""

    default_time: TimeOfDay = Field("09:00", validate_default=True)
    """Time of day for posts whose date has no time, e.g. '09:00'."""
    slots: list[TimeOfDay] = []
    """Preferred posting times, e.g. ['09:00', '17:30']; `postwright new` picks the next free one."""
    duplicate_window: Duration = Field("7d", validate_default=True)
    """Two posts with the same text on one account closer than this are an error (X rejects them)."""
    grace: Duration = Field("3h", validate_default=True)
    """How late a post may still be sent; older ones are reported as missed (e.g. 3h, 90m, 1d)."""
    explore: float = Field(0.0, strict=True, ge=0, le=1)
    """The fraction of `date: next` posts `postwright schedule` places in an under-sampled candidate slot
    on purpose, e.g. 0.2, so the best-time statistics learn about times the brand never tries; which posts
    is decided by each post's id, so the same posts get the same answer on every run."""
    candidates: list[TimeOfDay] = Field(
        [f"{hour:02d}:00" for hour in range(8, 21)], validate_default=True, min_length=1
    )
    """Times of day worth trying besides the slots, e.g. ['08:00', '12:00', '20:00']: where `explore` places
    posts and what `postwright slots suggest` compares the slots with; default every hour 08:00 to 20:00."""
    branch: str | None = None
    """Outside GitHub Actions (a cron job on a server): the git branch a publish run must be on, e.g. main. On
    GitHub only the default branch publishes; naming another branch there makes every run refuse."""


# SigV4 presigned URLs live at most 7 days: "Maximum is 604800 seconds"
# (docs.aws.amazon.com/cli/latest/reference/s3/presign.html; boto3's generate_presigned_url signs alike).
LONGEST_URL_LIFE = timedelta(days=7)


def _url_life(value: timedelta) -> timedelta:
    if not timedelta(minutes=5) <= value <= LONGEST_URL_LIFE:
        raise PydanticCustomError(
            "PW104",
            "a presigned URL lives from 5 minutes to 7 days",
            {"hint": "write e.g. 1h; Meta fetches the image within minutes of the post (docs/publishing.md)"},
        )
    return value


class HostCredentials(Model):
    """Names of the environment variables (CI secrets) holding the store's keys, never the keys."""

    access_key_id: EnvVarName
    """The variable holding the access key id, e.g. R2_ACCESS_KEY_ID."""
    secret_access_key: EnvVarName
    """The variable holding the secret access key, e.g. R2_SECRET_ACCESS_KEY."""


class MediaHost(Model):
    """S3-compatible storage (AWS S3, Cloudflare R2, Backblaze B2, MinIO, DigitalOcean Spaces) that the
    publish step uploads due posts' images to, for the platforms that fetch images by URL."""

    bucket: Annotated[str, Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")]
    """The bucket's name, e.g. windward-media."""
    endpoint: Link | None = None
    """The store's S3 endpoint, e.g. https://<account>.r2.cloudflarestorage.com; unset: AWS S3 in `region`."""
    region: str = "us-east-1"
    """The bucket's region (R2: auto; B2: e.g. us-west-004; Spaces: e.g. nyc3)."""
    prefix: Annotated[str, Field(pattern=r"^([A-Za-z0-9!_.*'()-]+/)*$")] = "postwright/"
    """Folder in the bucket the images go under (ends with /); each post's under <prefix><post-id>/."""
    credentials: HostCredentials
    """The variables holding the keys, e.g. {access_key_id: R2_KEY, secret_access_key: R2_SECRET}."""
    url_life: Annotated[Duration, AfterValidator(_url_life)] = Field("1h", validate_default=True)
    """How long the presigned URL handed to a platform works (5m to 7d)."""
    public_base_url: Link | None = None
    """Where the bucket is served publicly (an R2 public domain, a CDN): URLs are <this>/<key>, not
    presigned. Unset: presigned URLs, so the bucket can stay private."""


class Media(Model):
    """Where images that platforms fetch by URL (Instagram, Threads) are hosted."""

    host: MediaHost | None = None
    """S3-compatible storage the publish step uploads to just in time; unset: settings.media_base_url
    (publish/ served by GitHub Pages, docs/publishing.md)."""


class Engagement(Model):
    """Replies and mentions (`postwright replies pull`): how long posts are followed, what is a crisis."""

    fresh_hours: Int = Field(48, ge=1, le=24 * 30)
    """A post younger than this many hours is read for replies on every run; older, once a day."""
    follow_days: Int = Field(14, ge=1, le=365)
    """A post older than this many days is no longer read for replies."""
    mention_days: Int = Field(7, ge=1, le=28)
    """Mentions stay in the inbox this many days while the brand has not replied to them; each run
    reads them over these days again (at most 28: what was heard is remembered that long)."""
    spike_factor: Annotated[float, Field(strict=True, gt=1, le=1000, allow_inf_nan=False)] = 4
    """A crisis when the last `window_hours` bring more than this many times the account's 28-day
    hourly median (at least 1) of replies and mentions an hour."""
    window_hours: Int = Field(3, ge=1, le=72)
    """The recent hours a spike is measured over."""
    watch_words: list[str] = []
    """Words or phrases that flag a crisis when a new reply or mention holds one (case and accents
    ignored, on word boundaries, in any script), e.g. [recall, boycott, estafa]."""
    show_text: Bool = False
    """Show people's words in the inbox issues even where the repository is public (they are shown
    anyway where it is private); never written to git."""


def _preview_time(value: object) -> str:
    """An ISO date and time in the years postwright schedules (without an offset: in the brand's zone)."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise PydanticCustomError(
            "PW201",
            f"'{value}' is not a date and time",
            {"hint": "write an ISO time such as 2026-12-01T09:00"},
        )
    return value


class Preview(Model):
    """The review site and calendar.ics (`postwright preview` and `postwright calendar`)."""

    base_url: Link | None = None
    """Where the preview site is served (e.g. https://acme.github.io/social/): its calendar.ics link and
    each calendar event's link start with it. Unset: links are relative to the site's folder.
    --base-url wins."""
    at: Annotated[str, AfterValidator(_preview_time)] | None = None
    """Show statuses as of this time instead of now (ISO, in the brand's time zone without an offset), so an
    example brand's calendar does not go stale. Leave unset for a real brand. --at wins."""


def _handle_key(value: str) -> str:
    """A key of a person besides `name` is a platform's name: an unknown one is an unknown key."""
    if value not in PLATFORMS:
        raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")
    return value


def _handles_schema(schema: dict[str, Any]) -> None:
    """A handle per platform in the registry, listed as if each were a field of its own."""
    handle = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    schema["properties"] = {
        "name": schema["properties"]["name"],
        **{
            name: {
                **handle,
                "description": f"Handle on {platform.title}: {platform.handle_hint}.",
                "title": name.replace("_", " ").title(),
            }
            for name, platform in PLATFORMS.items()
        },
    }
    schema["additionalProperties"] = False


class Person(Model):
    """One person and their handle on each platform, for @[name] mentions."""

    # the handles are keyed by the platforms in the registry when config.yml is read, not when this module
    # was imported: a platform registered later takes handles too
    model_config = ConfigDict(extra="allow", json_schema_extra=_handles_schema)

    name: str = ""
    """The person's display name, e.g. Jane Doe, used where a platform has no handle."""
    __pydantic_extra__: dict[Annotated[str, AfterValidator(_handle_key)], str | None] = Field(init=False)


class Plausible(Model):
    """Plausible Stats API v2 (https://plausible.io/docs/stats-api): visitors and goal conversions by day,
    utm_campaign and utm_content."""

    site_id: str
    """The site's domain as registered in Plausible, e.g. windward.example."""
    goals: list[str] = Field(min_length=1)
    """Goal names counted as conversions, e.g. [Signup, Purchase]; revenue comes from revenue goals."""
    key: EnvVarName = "PLAUSIBLE_API_KEY"
    """The environment variable holding a Stats API key (Bearer)."""
    url: Link = "https://plausible.io"
    """Where Plausible runs: plausible.io, or your own server."""


class Ga4(Model):
    """GA4 Data API (properties/{id}:runReport): sessions, key events and revenue by day,
    sessionCampaignName (utm_campaign) and sessionManualAdContent (utm_content)."""

    property: Annotated[str, Field(pattern=r"^[0-9]+$")]
    """The GA4 property's numeric id, e.g. '312345678'."""
    token: EnvVarName = "GA4_ACCESS_TOKEN"
    """The environment variable holding an OAuth access token with the analytics.readonly scope (e.g.
    from `gcloud auth print-access-token` or google-github-actions/auth in the workflow)."""
    url: Link = "https://analyticsdata.googleapis.com"
    """The Data API's address (tests and proxies change it)."""


class Conversions(Model):
    """Where `postwright metrics conversions` reads visits, conversions and revenue from."""

    plausible: Plausible | None = None
    """Plausible Stats API v2."""
    ga4: Ga4 | None = None
    """Google Analytics 4 Data API."""
    csv: RepositoryFolder = "conversions"
    """A folder of CSV files the brand drops in (columns: date, utm_campaign, utm_content, visitors,
    conversions, revenue, currency), for any other analytics or shop."""


class Campaign(Model):
    """A campaign: posts join it with `campaign:` in their front matter."""

    cost: Money = 0
    """What the campaign cost beyond its posts' own `cost:` (ads, a photographer), e.g. 300."""
    title: str = ""
    """For reports, e.g. Winter sale 2026."""


class Config(Model):
    """The whole of config.yml."""

    brand: Brand
    """The brand: name, time zone, language, defaults and rules."""
    accounts: dict[AccountName, Account]
    """The accounts posts are delivered to, by name, e.g. {x_main: {platform: x}}."""
    platforms: dict[PlatformName, PlatformSettings] = {}
    """Settings and limit overrides per platform, e.g. {x: {limits: {max_length: 25000}}}."""
    schedule: Schedule = Schedule()
    """Posting times and the grace period."""
    preview: Preview = Preview()
    """The review site and calendar.ics: where they are served, and the time they show."""
    engagement: Engagement = Engagement()
    """Replies and mentions: how long posts are read for them, and what signals a crisis."""
    paused: Bool = False
    """Crisis switch: true stops every publish run from sending anything."""
    people: dict[str, Person] = {}
    """People who can be mentioned as @[name] in posts, with their handle per platform, e.g.
    {jane: {name: Jane Doe, x: janedoe}}."""
    media: Media = Media()
    """Hosting for images the platforms fetch by URL: {host: {bucket: …, endpoint: …, credentials: …}}."""
    outbox: RepositoryFolder = "outbox"
    """Folder (relative to the repository, inside it) where outbox accounts deliver."""
    severity: dict[RuleCode, Literal["error", "warning", "info", "off"]] = {}
    """Change how a rule is reported, e.g. {PW302: error} to require alt text, or {PW231: off}."""
    conversions: Conversions = Conversions()
    """Web analytics to import visits, conversions and revenue from, for `metrics roi`."""
    campaigns: dict[Annotated[str, Field(pattern=r"^[\w-]+$")], Campaign] = {}
    """Campaigns with their cost, e.g. {winter-sale: {cost: 300}}; posts join one with `campaign:`."""

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.brand.timezone)

    def accounts_for(self, platform: str, language: str) -> list[str]:
        """Accounts on `platform` that take posts in `language`, in config order."""
        return [
            name
            for name, account in self.accounts.items()
            if account.platform == platform and account.language in (None, language)
        ]


def load_config(project: Project) -> tuple[Config | None, list[Diagnostic]]:
    """Read and validate config.yml; None (with the reasons) when it cannot be used."""
    shown = project.shown(project.config_path)
    if not project.config_path.is_file():
        return None, [
            diag(
                "PW100",
                Span(shown),
                f"no config.yml in {project.root}",
                hint="run `postwright init DIR` to create a brand repository, or pass -C DIR",
            )
        ]
    text, found = read_text(project.config_path, shown)
    if text is None:
        return None, found
    document, syntax = load_yaml(text, shown)
    found += syntax
    if document is None:
        return None, found
    if not isinstance(document.data, dict):
        return None, [*found, diag("PW013", Span(shown), "config.yml must be a mapping of keys to values")]
    document, invalid = _checked_images(document, project)
    config, problems = validate_model(Config, document)
    invalid += problems
    if config is not None:
        config, fixed = _fixed_rules(config, document)
        invalid += fixed + account_settings.diagnostics(config, document)
    if config is not None and not _within(project, config.outbox):
        outside = diag(
            "PW031",
            document.span(("outbox",)),
            f"outbox: '{config.outbox}' does not lead to a folder inside the repository (a symlink?)",
            hint="point outbox: at a real folder inside the repository",
        )
        return None, [*found, *invalid, outside]
    return config, found + invalid


def _checked_images(document: Document, project: Project) -> tuple[Document, list[Diagnostic]]:
    """Each platform's `images:` checked on its own, against that platform's spec names and assets/;
    a bad one is reported and left out, so the platform keeps its own specs and the brand still builds."""
    platforms = document.data.get("platforms")
    if not isinstance(platforms, dict):
        return document, []  # not a mapping: the Config validation reports it
    found: list[Diagnostic] = []
    kept = dict(platforms)
    for platform, settings in platforms.items():
        if platform not in PLATFORMS or not isinstance(settings, dict) or "images" not in settings:
            continue  # an unknown platform or a broken entry is reported by the Config validation
        at = ("platforms", platform, "images")
        context = {"platform": platform, "assets": project.assets_dir}
        overrides, problems = validate_model(ImageOverrides, document, at=at, context=context)
        if overrides is None:
            fallback = f"until this is fixed, {platform} uses its own image specs"
            found += [
                replace(problem, hint="; ".join(filter(None, (problem.hint, fallback))))
                for problem in problems
            ]
            kept[platform] = {key: value for key, value in settings.items() if key != "images"}
    if not found:
        return document, []
    return replace(document, data={**document.data, "platforms": kept}), found


def _fixed_rules(config: Config, document: Document) -> tuple[Config, list[Diagnostic]]:
    """`severity:` may not relax a rule that decides whether a post exists or how often it is sent:
    such an entry is an error, and dropped, so the rule stays an error."""
    found = [
        diag(
            "PW031",
            document.span(("severity", code), key=True),
            f"{code} ({RULES[code].title}) cannot be set to {level}: it decides whether a post exists, "
            "where it goes or how often it is sent",
            hint="remove this line; docs/rules.md lists the rules severity: can change",
        )
        for code, level in config.severity.items()
        if not RULES[code].relaxable and level != "error"
    ]
    if not found:
        return config, []
    kept = {code: level for code, level in config.severity.items() if RULES[code].relaxable}
    return config.model_copy(update={"severity": kept}), found


def severity_of(config: Config | None, item: Diagnostic) -> Severity | None:
    """The severity config.yml gives `item` (None: 'off'); fixed rules keep their own."""
    level = config.severity.get(item.code) if config and RULES[item.code].relaxable else None
    if level is None:
        return item.severity
    return None if level == "off" else Severity[level.upper()]


def _within(project: Project, folder: str) -> bool:
    """`folder`, symlinks followed, is inside the repository (a NUL or a loop: it is not)."""
    try:
        return (project.root / folder).resolve().is_relative_to(project.root.resolve())
    except (OSError, ValueError, RuntimeError):
        return False


def apply_severity(config: Config | None, diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Re-grade diagnostics by config.yml's `severity:` table; 'off' drops a rule."""
    regraded = []
    for item in diagnostics:
        severity = severity_of(config, item)
        if severity is not None:
            regraded.append(item if severity == item.severity else replace(item, severity=severity))
    return tuple(regraded)


def limits_for(config: Config, account: Account) -> Limits:
    """The platform's limits with config.yml's platform-level, then account-level overrides.

    Asked for every variant (four times each in a build): the answer is kept per platform and pair of
    overrides (immutable, so equal overrides give equal limits), while the platform's own limits are the
    same object."""
    platform = PLATFORMS[account.platform]
    shared = config.platforms.get(account.platform)
    key = (account.platform, shared.limits if shared else None, account.limits)
    known = _LIMITS.get(key)
    if known is not None and known[0] is platform.limits:
        return known[1]
    limits = platform.limits
    if shared:
        limits = limits.with_overrides(**shared.limits.model_dump())
    limits = limits.with_overrides(**account.limits.model_dump())
    _LIMITS[key] = (platform.limits, limits)
    return limits


_LIMITS: dict[tuple[str, LimitOverrides | None, LimitOverrides], tuple[Limits, Limits]] = {}
"""limits_for's answers: a handful of entries, one per distinct override pair in the configs loaded."""
