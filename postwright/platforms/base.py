"""What every platform module declares: its limits as data, how it counts text, its dialect, the images
it takes, its brand-kit sizes and preview colour, and its settings and credentials.

A platform module is data plus, where behaviour differs, small functions. Numbers come from
../shared/PLATFORMS.md with the source of each cited in the module that declares it. This module imports
neither Pillow nor the text counters, so the media workers and config.py can read these types cheaply.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from postwright.platforms.contract import Connection, CredentialCheck, Publisher
    from postwright.text import GraphemeRules

Dialect = Literal["plain", "telegram_html", "discord", "linkedin"]
# The platform's own rule for alt text: whether it takes any ("optional": an image may go without). That alt
# text is required is a brand rule (config.yml brand.rules.alt_text), not a platform's: none refuses an image
# for lack of it.
AltText = Literal["optional", "unsupported"]


@dataclass(frozen=True, slots=True)
class Measure:
    """One way a platform measures text, with its limit: X has one, Bluesky two (graphemes and bytes)."""

    unit: str  # "weighted", "graphemes", "bytes", "characters", "utf16"
    count: Callable[[str], int]
    limit: int


@dataclass(frozen=True, slots=True)
class TagLimit:
    """How long one hashtag may be, found as the platform finds tags: Bluesky's tag facets have limits
    of their own, apart from the post's."""

    find: Callable[[str], list[str]]  # the tag values in a text, without the leading #
    measures: tuple[Measure, ...]  # all must fit


@dataclass(frozen=True, slots=True)
class Limits:
    measures: tuple[Measure, ...]  # the first is the one a writer sees; all must fit
    max_media: int
    max_thread_parts: int  # 1: the platform has no threads (parts are joined)
    alt_text: AltText
    max_alt_length: int | None  # in alt_unit, as counted by alt_count (config.yml may override the number)
    max_image_bytes: int
    image_formats: tuple[str, ...]
    max_hashtags: int | None = None
    max_mentions: int | None = None
    max_links: int | None = None
    requires_media: bool = False
    # the first part of a post with images, where the publisher puts it all in a shorter caption (none does
    # today: Telegram sends a text too long for a caption as its own message)
    max_length_with_media: int | None = None
    tag: TagLimit | None = None  # None: the platform limits no single hashtag
    alt_unit: str = "characters"  # what max_alt_length counts, as each platform module states with its source
    alt_count: Callable[[str], int] = len  # counts alt text in alt_unit ("characters": code points)

    def with_overrides(self, **changes: int | None) -> Limits:
        """Limits with config.yml's overrides applied (max_length changes the first measure)."""
        given = {key: value for key, value in changes.items() if value is not None}
        if not given:  # the usual case, asked for every variant: nothing to copy
            return self
        measures = self.measures
        if "max_length" in given:
            measures = (replace(measures[0], limit=given.pop("max_length")), *measures[1:])
        return replace(self, measures=measures, **given)


Position = Literal["top-left", "top-right", "bottom-left", "bottom-right", "center"]


@dataclass(frozen=True, slots=True)
class Overlay:
    """A brand watermark: the logo at a corner (or the centre), `size` × image width wide, `opacity` 0..1."""

    logo: str  # a path; media.specs_for resolves it against the folder it is given (the assets folder)
    position: Position = "bottom-right"
    size: float = 0.15
    opacity: float = 0.8
    margin: float = 0.03  # gap to the edges, as a fraction of the image width


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """One image a platform wants: shape, size, formats and byte limit. Plain data, declared in the
    platform's module (`Platform.images`), so declaring one needs no image library.

    With `aspect`, the source is cropped to that shape (around the focus, else the most detailed region)
    and scaled to `width` (or to fit `max_side`). Without it the whole image is kept and scaled to fit
    `width`, `max_side` and `max_pixels`, whichever is tightest. Nothing is upscaled unless allowed.
    """

    name: str  # "4x5", "1x1", "16x9", "keep": part of the rendition's identity, shown to people
    formats: tuple[str, ...]  # Pillow format names the platform accepts; JPEG is used unless alpha/animation
    max_bytes: int
    aspect: tuple[int, int] | None = None  # (w, h) to crop to; None keeps the source's shape
    width: int | None = None  # target width in px (an upper bound when aspect is None)
    max_side: int | None = None  # longest side, px
    max_pixels: int | None = None  # width × height, e.g. Mastodon downscales above 3840×2160
    max_ratio: float | None = None  # longest/shortest side; a longer panorama is cropped (Threads 10:1)
    min_width: int = 0  # a source region narrower than this is reported (PW308)
    allow_upscale: bool = False
    overlay: Overlay | None = None

    def key(self) -> str:
        """Canonical JSON of every field: what the recipe key hashes."""
        return _spec_key(self)


@lru_cache(maxsize=1024)
def _spec_key(spec: ImageSpec) -> str:
    return json.dumps(asdict(spec), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class ProfileImages:
    """The sizes of an account's own pictures, which the brand kit (publish/brand/<platform>/) is cut to:
    what the platform shows without rescaling, so a new account is set up from files that are right.
    Platforms publish few of these numbers; most are what their help pages or the usual guides recommend
    [S]."""

    avatar: tuple[int, int]
    header: tuple[int, int] | None = None  # None: the platform has no header image


@dataclass(frozen=True, slots=True)
class Setting:
    """One key a platform's publisher reads from `settings:` (platforms.<p> or accounts.<a>): declared
    here, so `check` and `doctor` know every name and the publisher reads no undeclared one."""

    name: str
    types: tuple[type, ...] = (str,)  # what the YAML value may be (an id may be a quoted or bare number)
    required: bool = False  # an API account cannot publish without it
    doc: str = ""
    default: Any = None
    choices: tuple[str, ...] = ()  # the only values allowed, when the platform has a fixed list
    url: bool = False  # an http(s) URL with a host: a bare host name fails every request, not check
    # names people write for it (the platform's own words, a near miss), for did-you-mean
    also_called: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Credential:
    """One name under an account's `credentials:` (its value names an environment variable)."""

    name: str
    required: bool = False  # needed by every API account (where the platform has auth modes, see AuthMode)
    doc: str = ""
    also_called: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthMode:
    """A set of credentials that together choose how the publisher signs in (X: OAuth 1.0a or 2.0).
    An account names exactly one mode's set; any other mix is ambiguous."""

    title: str
    credentials: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ApiVersion:
    """The version of a platform's API its publisher pins, and the day the platform stops serving it, as
    the platform publishes it (`source`): doctor warns before that day, so the pin moves in time."""

    name: str  # what the platform calls it: "Graph API", "LinkedIn-Version"
    version: str  # what the publisher sends: "v25.0", "202610"
    end_of_life: date | None  # None: the platform has published no end for it
    source: str  # the page that publishes the version and its end
    setting: str | None = None  # the account setting that sends another version instead
    # the end of a version set by `setting`, where the platform publishes it or a rule gives it
    end_of: Callable[[str], date | None] = lambda version: None

    def in_use(self, settings: Mapping[str, object]) -> tuple[str, date | None]:
        """The version an account's settings send, and its end of life where known."""
        chosen = settings.get(self.setting) if self.setting else None
        if not chosen or str(chosen) == self.version:
            return self.version, self.end_of_life
        return str(chosen), self.end_of(str(chosen))


@dataclass(frozen=True, slots=True)
class Lazy:
    """Code a declaration names but does not import: the module is imported on the first call, so the
    registry loads no HTTP client (a platform's publisher.py, later its metrics and replies readers)."""

    module: str  # "postwright.platforms.x.publisher"
    name: str  # what to call in it: "XPublisher", "verify"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)


@dataclass(frozen=True, slots=True)
class Platform:
    name: str  # key in config.yml, template name (templates/<name>.j2), rule scope
    title: str  # for people: "Bluesky", "X"
    handle_hint: str  # what a handle in the people directory looks like here
    limits: Limits
    dialect: Dialect = "plain"
    mention_format: str = "@{handle}"  # {handle} without a leading @, {name}
    hashtag_format: str = "#{tag}"
    # the renditions `build` makes of a post's image (media.specs_for; config.yml's `images:` changes them);
    # the first is the one a post uses, the others are there to choose by name
    images: tuple[ImageSpec, ...] = ()
    profile_images: ProfileImages | None = None  # the brand kit's sizes; None: no brand kit for it
    # (light mode, dark mode) badge colour in the review site and calendar: dark enough for white text
    # (4.5:1) on a light page, light enough for dark text on a dark one, and 3:1 against the page either
    # way, so no badge vanishes (each badge also carries the name: colour is never the only cue). None: a
    # colour derived from the name (preview.site.platform_colours)
    colours: tuple[str, str] | None = None
    # the links in a part as the platform itself finds them (PW408 checks what it would link); None:
    # twitter-text's rules, where the platform's own are not known (as for counting links)
    links: Callable[[str], list[str]] | None = None
    # the rich-text annotations the publisher sends with a part (Bluesky's facets), written beside each
    # part in publish/ so a reviewer sees what will be linked; None: the platform finds them itself
    facets: Callable[[str], list[dict[str, Any]]] | None = None
    # where a post's link holds its remote id plainly (group 1 of a search in the link's path), so
    # `settle --sent URL` needs no --remote-id; None: the id cannot be read from the link
    post_id_in_url: re.Pattern[str] | None = None
    # the links of posts that `in_reply_to:` may name here (its publisher's reply_target turns one into
    # what its API needs); None: postwright cannot publish a reply on this platform (check says so)
    reply_url: re.Pattern[str] | None = None
    # which Unicode version's grapheme clusters its server counts, with where that is stated (only for
    # platforms that count graphemes)
    grapheme_rules: GraphemeRules | None = None
    notes: tuple[str, ...] = field(default=())  # caveats shown in docs
    # builds the API publisher for one account (deliver: api); None: only the outbox is available
    publisher: Callable[[Connection], Publisher] | None = None
    settings: tuple[Setting, ...] = ()  # the keys its publisher reads under settings:
    credentials: tuple[Credential, ...] = ()  # the names under accounts.<a>.credentials it reads
    auth_modes: tuple[AuthMode, ...] = ()  # where the credentials' names choose how it signs in
    # asks the platform, cheaply and without posting, whether the credentials work and when they expire
    verify: Callable[[Connection], CredentialCheck] | None = None
    api_version: ApiVersion | None = None  # the versioned API its publisher pins (None: unversioned)
    # builds the insights reader for one account (insights.model.MetricsReader); None: no numbers to read,
    # and `metrics_note` says why in `doctor` and the docs ("Telegram's bot API gives no views")
    metrics: Callable[[Connection], Any] | None = None
    metrics_scopes: tuple[str, ...] = ()  # what the token needs beyond publishing, named by `doctor`
    metrics_note: str = ""
    # builds the replies-and-mentions reader for one account (engagement.model.RepliesReader); None: the
    # platform offers none, and `replies_note` says why
    replies: Callable[[Connection], Any] | None = None
    replies_scopes: tuple[str, ...] = ()
    replies_note: str = ""

    def setting(self, name: str) -> Setting:
        """The declaration of `name`: a KeyError for an undeclared one, so publishers cannot drift."""
        for setting in self.settings:
            if setting.name == name:
                return setting
        raise KeyError(f"{self.name} declares no setting {name!r}")

    def mention(self, handle: str | None, name: str) -> str:
        """How @[person] appears on this platform; the plain name where the person has no handle."""
        if not handle:
            return name
        return self.mention_format.format(handle=handle.lstrip("@"), name=name)

    def hashtag(self, tag: str) -> str:
        return self.hashtag_format.format(tag=tag)


def _moded(platform: Platform, names: Iterable[str]) -> set[str]:
    """The names that belong to an auth mode, counting what people also call them (X's api_key): a
    misnamed OAuth 1.0a key must spoil the set, not leave its access token looking like OAuth 2.0."""
    moded = {name for mode in platform.auth_modes for name in mode.credentials}
    aliases = {alias for item in platform.credentials if item.name in moded for alias in item.also_called}
    return {name for name in names if name in moded or name in aliases}


def auth_mode(platform: Platform, names: Iterable[str]) -> AuthMode | None:
    """The mode whose credentials the account names, exactly (credentials outside every mode aside);
    None when the names fit none (or the platform has no modes)."""
    named = _moded(platform, names)
    return next((mode for mode in platform.auth_modes if named == set(mode.credentials)), None)


def ambiguous_credentials(platform: Platform, names: Iterable[str]) -> str:
    """Why `names` choose none of the platform's auth modes, and what the nearest mode still needs."""
    named = _moded(platform, names)
    nearest = max(
        platform.auth_modes, key=lambda mode: (len(named & set(mode.credentials)), -len(mode.credentials))
    )
    shown = ", ".join(sorted(named)) or "none"
    sets = " or ".join(f"{mode.title} ({', '.join(mode.credentials)})" for mode in platform.auth_modes)
    lacking = [name for name in nearest.credentials if name not in named]
    extra = sorted(named - set(nearest.credentials))
    fix = (f"add {', '.join(lacking)}" if lacking else "") + (" and " if lacking and extra else "")
    fix += f"remove {', '.join(extra)}" if extra else ""
    return (
        f"the credentials named ({shown}) choose no way to sign in to {platform.title}: name exactly {sets}; "
        f"for {nearest.title}, {fix}"
    )
