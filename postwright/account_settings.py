"""Each account's `settings:` and `credentials:` checked against what its platform declares
(Platform.settings, .credentials, .auth_modes): one function that `check` (through load_config) and
`doctor` both use, so a misspelt `chat` for `chat_id` fails before anything is sent, at its line.

Unknown names are errors on every account (a typo is a typo, whatever it delivers to); a missing
required setting or credential only on `deliver: api` accounts, which are the ones that need them.
"""

from __future__ import annotations

import difflib
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from postwright.diagnostics import Diagnostic, diag
from postwright.platforms import PLATFORMS
from postwright.platforms.base import Credential, Platform, Setting, ambiguous_credentials, auth_mode
from postwright.schema import did_you_mean
from postwright.yamlpos import Document, KeyPath

if TYPE_CHECKING:
    from postwright.config import Config
    from postwright.platforms.contract import Connection


@dataclass(frozen=True, slots=True)
class AccountProblem:
    """One problem of the settings or credentials an account sends with (its own, or its platform's
    shared settings), placed by its key path in config.yml (`key`: at the key rather than its value)."""

    at: KeyPath
    code: str
    message: str
    hint: str = ""
    key: bool = True


def connection_settings(config: Config, account: str) -> dict[str, Any]:
    """platforms.<p>.settings overridden by accounts.<a>.settings; `handle` defaults to the account's."""
    settings = config.accounts[account]
    shared = config.platforms.get(settings.platform)
    own = {"handle": settings.handle.lstrip("@")} if settings.handle else {}
    return {**own, **(shared.settings if shared else {}), **settings.settings}


def connection_for(
    config: Config, account: str, environ: Mapping[str, str] | None = None, **extra: Any
) -> Connection:
    """What a platform's publisher, verifier or reader gets for `account`: its merged settings and its
    secrets (read from `environ`, default the process's); `extra`: uploads, clock, transport."""
    from postwright.credentials import Secrets
    from postwright.platforms.contract import Connection

    settings = config.accounts[account]
    names = dict(settings.credentials)
    secrets = Secrets(account, names) if environ is None else Secrets(account, names, environ=environ)
    return Connection(account, settings.platform, connection_settings(config, account), secrets, **extra)


def diagnostics(config: Config, document: Document) -> list[Diagnostic]:
    """Every problem of config.yml's platform and account settings, at its line."""
    return [
        diag(problem.code, document.span(problem.at, key=problem.key), problem.message, hint=problem.hint)
        for problem in all_problems(config)
    ]


def all_problems(config: Config) -> list[AccountProblem]:
    found: list[AccountProblem] = []
    for name, shared in config.platforms.items():
        found += _settings_problems(PLATFORMS[name], shared.settings, ("platforms", name, "settings"))
    for name in config.accounts:
        found += account_problems(config, name)
    return found


def account_problems(config: Config, name: str) -> list[AccountProblem]:
    """The account's own settings and credentials, and, for an API account, what it lacks (with the
    platform's shared settings counted)."""
    account = config.accounts[name]
    platform = PLATFORMS[account.platform]
    at: KeyPath = ("accounts", name)
    found = _settings_problems(platform, account.settings, (*at, "settings"))
    declared = {credential.name for credential in platform.credentials}
    for given in account.credentials:
        if given not in declared:
            found.append(
                AccountProblem(
                    (*at, "credentials", given),
                    "PW043",
                    f"{platform.title} takes no credential '{given}'"
                    + _suggestion(given, platform.credentials),
                    hint=f"{platform.title}'s credentials: " + _listed(platform.credentials),
                )
            )
    where = (*at, "credentials") if account.credentials else at
    unknown = any(problem.code == "PW043" for problem in found)  # named right first, then judged as a set
    wanted = account.credentials or account.deliver == "api"
    if platform.auth_modes and wanted and not unknown and auth_mode(platform, account.credentials) is None:
        found.append(
            AccountProblem(
                where,
                "PW045",
                ambiguous_credentials(platform, account.credentials),
                hint="docs/platforms.md lists each set",
            )
        )
    if account.deliver != "api":
        return found
    merged = connection_settings(config, name)
    hosted = {"media_base_url"} if config.media.host else set()  # media.host serves what it would
    for setting in platform.settings:
        if setting.required and setting.name not in hosted and merged.get(setting.name) in (None, ""):
            found.append(
                AccountProblem(
                    (*at, "settings") if account.settings else at,
                    "PW041",
                    f"{platform.title} needs settings.{setting.name} to publish ({setting.doc})",
                    hint=f"add '{setting.name}:' under accounts.{name}.settings "
                    f"(or platforms.{platform.name}.settings)",
                )
            )
    for credential in platform.credentials:
        if credential.required and credential.name not in account.credentials:
            found.append(
                AccountProblem(
                    where,
                    "PW044",
                    f"{platform.title} needs credentials.{credential.name} to publish ({credential.doc})",
                    hint=f"add '{credential.name}: VARIABLE_NAME' under accounts.{name}.credentials, "
                    "naming the environment variable (a CI secret) that holds it",
                )
            )
    return found


def _settings_problems(platform: Platform, settings: Mapping[str, Any], at: KeyPath) -> list[AccountProblem]:
    declared = {setting.name: setting for setting in platform.settings}
    found = []
    for key, value in settings.items():
        setting = declared.get(key)
        if setting is None:
            found.append(
                AccountProblem(
                    (*at, key),
                    "PW040",
                    f"{platform.title} has no setting '{key}'" + _suggestion(key, platform.settings),
                    hint=f"{platform.title}'s settings: " + (_listed(platform.settings) or "none"),
                )
            )
            continue
        wrong = _wrong_value(setting, value)
        if wrong:
            found.append(AccountProblem((*at, key), "PW042", f"settings.{key}: {wrong}", key=False))
    return found


_TYPE_WORDS = {str: "a text", int: "a whole number", bool: "true or false", dict: "a mapping"}


def _wrong_value(setting: Setting, value: Any) -> str:
    """What is wrong with `value` for `setting`, or ''. A bool is no number here (YAML's true is not 1)."""
    fits = any(
        isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
        for kind in setting.types
    )
    if not fits:
        wanted = " or ".join(_TYPE_WORDS.get(kind, kind.__name__) for kind in setting.types)
        return f"write {wanted} ({setting.doc})"
    if setting.url and not _is_url(str(value)):
        return f"'{value}' is not a URL; write it whole, with https:// and the host ({setting.doc})"
    if setting.choices and value not in setting.choices:
        return (
            f"'{value}' is not one of "
            + ", ".join(setting.choices)
            + did_you_mean(str(value), setting.choices)
        )
    return ""


def _is_url(value: str) -> bool:
    """An http(s) URL with a host, as httpx needs it: `mastodon.example` alone is no URL."""
    try:
        parts = urllib.parse.urlsplit(value.strip())
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a malformed port or IPv6 address
        return False


def _suggestion(word: str, declared: Iterable[Setting | Credential]) -> str:
    """' (did you mean 'chat_id'?)' for a close name, or for another name people use (chat, page_token)."""
    canonical = {}
    for item in declared:
        canonical[item.name] = item.name
        canonical.update((alias, item.name) for alias in item.also_called)
    if word in canonical:
        return f" (did you mean '{canonical[word]}'?)"
    close = difflib.get_close_matches(word, list(canonical), n=1, cutoff=0.6)
    return f" (did you mean '{canonical[close[0]]}'?)" if close else ""


def _listed(declared: Iterable[Setting | Credential]) -> str:
    return ", ".join(item.name + (" (required)" if item.required else "") for item in declared)
