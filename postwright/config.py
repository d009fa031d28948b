"""config.yml: the brand, its accounts, platform settings, schedule and people, declared in one place.

The attribute docstrings below are the reference documentation: they become the descriptions in the
exported JSON Schema (`postwright schema config`), which editors show while completing config.yml.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import replace
from functools import cached_property
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from postwright.diagnostics import RULES, Diagnostic, Severity, Span, diag
from postwright.files import read_text
from postwright.platforms import PLATFORMS
from postwright.project import Project
from postwright.schema import (
    Bool,
    Duration,
    EnvVarName,
    Hashtag,
    Int,
    Language,
    Link,
    Model,
    PlatformName,
    TimeOfDay,
    TimeZone,
    did_you_mean,
    validate_model,
)
from postwright.yamlpos import load_yaml

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
    domains: list[str] = []
    """Only tag links to these domains (and their subdomains); empty tags every link."""


class Disclosure(Model):
    """A text that must appear in every post carrying one of the tags, e.g. #ad on sponsored posts."""

    tags: list[Hashtag]
    """Posts with any of these tags need the disclosure."""
    text: str
    """The text that must appear in the post body, e.g. '#ad'."""


class BrandRules(Model):
    """Rules every post must follow, checked by `postwright check`."""

    banned_words: list[str] = []
    """Words or phrases that must never appear in a post (case-insensitive, whole words)."""
    disclosures: list[Disclosure] = []
    """Disclosures required for posts with certain tags."""


class Brand(Model):
    """Who is posting: the name, voice and defaults every post starts from."""

    name: str
    """The brand's name, as shown in previews and the calendar."""
    timezone: TimeZone
    """IANA time zone in which post dates without an offset are read, e.g. Europe/Madrid."""
    language: Language = "en"
    """Language of posts that do not say otherwise (BCP 47 tag)."""
    platforms: list[PlatformName] = []
    """Platforms a post goes to when its front matter names none."""
    url: Link | None = None
    """The brand's website."""
    signature: str = ""
    """Text templates may append to posts, e.g. '— The Acme team'."""
    hashtags: list[Hashtag] = []
    """Hashtags templates may add to every post."""
    call_to_action: str = ""
    """A call to action templates may add, e.g. 'Read more on our blog'."""
    background: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")] = "#ffffff"
    """Colour transparent images are flattened onto for JPEG-only platforms, as #rrggbb."""
    utm: Utm = Utm()
    """How links are tagged for analytics."""
    rules: BrandRules = BrandRules()
    """Brand rules: banned words and required disclosures."""


class LimitOverrides(Model):
    """Tighten or raise a platform's limits, e.g. 25000 characters for an X Premium account."""

    max_length: Int | None = Field(None, gt=0)
    """Maximum text length, in the platform's own unit."""
    max_media: Int | None = Field(None, ge=0)
    """Maximum images per post."""
    max_thread_parts: Int | None = Field(None, gt=0)
    """Maximum posts in one thread; 1 disables threads."""
    max_image_bytes: Int | None = Field(None, gt=0)
    """Maximum bytes of one image."""
    max_alt_length: Int | None = Field(None, gt=0)
    """Maximum characters of alt text."""


class PlatformSettings(Model):
    """Settings for every account on one platform."""

    limits: LimitOverrides = LimitOverrides()
    """Limit overrides for every account on this platform."""
    settings: dict[str, Any] = {}
    """Platform-specific settings (e.g. Mastodon visibility) shared by its accounts."""
    thread_numbering: Bool = False
    """Number thread parts ("1/3" on its own line, counted in each part's length)."""
    images: dict[str, Any] = {}
    """Image spec overrides, e.g. {aspect: [1, 1]} or {overlay: {logo: brand/logo.png}} (media.specs_for)."""


class Account(Model):
    """One account the brand posts as."""

    platform: PlatformName
    """The platform this account is on."""
    language: Language | None = None
    """Only posts in this language go to this account; unset takes posts in every language."""
    handle: str = ""
    """The account's own handle, for previews (e.g. @acme@mastodon.social)."""
    deliver: Literal["outbox", "api"] = "outbox"
    """'outbox' writes what would be sent to a local folder; 'api' sends it to the platform."""
    credentials: dict[str, EnvVarName] = {}
    """Names of the environment variables holding this account's secrets, never the secrets."""
    settings: dict[str, Any] = {}
    """Platform-specific settings for this account (instance URL, page id, board, visibility…)."""
    limits: LimitOverrides = LimitOverrides()
    """Limit overrides for this account only."""


class Schedule(Model):
    """When posts go out."""

    default_time: TimeOfDay = Field("09:00", validate_default=True)
    """Time of day for posts whose date has no time, e.g. '09:00'."""
    slots: list[TimeOfDay] = []
    """Preferred posting times; `postwright new` picks the next free one."""
    duplicate_window: Duration = Field("7d", validate_default=True)
    """Two posts with the same text on one account closer than this are an error (X rejects them)."""
    grace: Duration = Field("3h", validate_default=True)
    """How late a post may still be sent; older ones are reported as missed (e.g. 3h, 90m, 1d)."""


Person = create_model(
    "Person",
    __base__=Model,
    __doc__="One person and their handle on each platform, for @[name] mentions.",
    name=(str, Field("", description="The person's display name, used where a platform has no handle.")),
    **{
        name: (str | None, Field(None, description=f"Handle on {platform.title}: {platform.handle_hint}."))
        for name, platform in PLATFORMS.items()
    },
)


class Config(Model):
    """The whole of config.yml."""

    brand: Brand
    """The brand: name, time zone, language, defaults and rules."""
    accounts: dict[AccountName, Account]
    """The accounts posts are delivered to, by name."""
    platforms: dict[PlatformName, PlatformSettings] = {}
    """Settings and limit overrides per platform."""
    schedule: Schedule = Schedule()
    """Posting times and the grace period."""
    paused: Bool = False
    """Crisis switch: true stops every publish run from sending anything."""
    people: dict[str, Person] = {}  # type: ignore[valid-type]
    """People who can be mentioned as @[name] in posts, with their handle per platform."""
    outbox: RepositoryFolder = "outbox"
    """Folder (relative to the repository, inside it) where outbox accounts deliver."""
    severity: dict[RuleCode, Literal["error", "warning", "info", "off"]] = {}
    """Change how a rule is reported, e.g. {PW302: error} to require alt text, or {PW231: off}."""

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
    config, invalid = validate_model(Config, document)
    if config is not None and not _within(project, config.outbox):
        outside = diag(
            "PW031",
            document.span(("outbox",)),
            f"outbox: '{config.outbox}' does not lead to a folder inside the repository (a symlink?)",
            hint="point outbox: at a real folder inside the repository",
        )
        return None, [*found, *invalid, outside]
    return config, found + invalid


def _within(project: Project, folder: str) -> bool:
    """`folder`, symlinks followed, is inside the repository (a NUL or a loop: it is not)."""
    try:
        return (project.root / folder).resolve().is_relative_to(project.root.resolve())
    except (OSError, ValueError, RuntimeError):
        return False


def apply_severity(config: Config | None, diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Re-grade diagnostics by config.yml's `severity:` table; 'off' drops a rule."""
    table = config.severity if config else {}
    regraded = []
    for item in diagnostics:
        level = table.get(item.code)
        if level == "off":
            continue
        regraded.append(replace(item, severity=Severity[level.upper()]) if level else item)
    return tuple(regraded)
