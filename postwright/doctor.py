"""`postwright doctor`: is every account ready to publish? Credentials present, accepted, not expiring.

For each account in config.yml: its settings and credentials are checked as `check` checks them
(account_settings); an outbox account needs nothing more; an API account needs the credentials its
platform declares (Platform.credentials) to be named in config.yml and set in the environment, and,
unless --offline, the platform is asked (Platform.verify, cheaply and without posting) whether they
work and when they expire. A token that expires within two weeks is a warning, so that the publish
Action warns in time; missing or rejected credentials are errors. No secret is ever printed: every
line is redacted, and verify reports only who the token posts as and when it expires.

`media.host` (S3-compatible storage for the images platforms fetch by URL), when config.yml sets it, is
one more line: the two key variables set, and, unless --offline, one key listed under its prefix
(hosting/s3.py S3Host.check), so a missing bucket, rejected keys or an unreachable store show before a
publish run needs them.

Each API account is also judged by the version of its platform's API it sends (Platform.api_version:
the pin, or the one its settings choose): within 90 days of the end the platform published for it, a
warning; after it, an error, since the platform refuses that version. Needs no network (also --offline).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import click

from postwright import account_settings
from postwright.account_settings import connection_for, connection_settings
from postwright.config import Account, Config, MediaHost
from postwright.credentials import CredentialsError, Secrets, redact
from postwright.hosting import HOST, HostError
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import CredentialCheck, PermanentError, TransientError

if TYPE_CHECKING:
    import httpx

WARN_BEFORE = timedelta(days=14)
"""A token expiring sooner than this is reported as a warning (the publish Action shows it)."""

API_WARN_BEFORE = timedelta(days=90)
"""An API version ending sooner than this is reported as a warning: time to release a newer pin."""

Status = Literal["ok", "warning", "error"]
_SEVERITY: dict[Status, int] = {"ok": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class AccountHealth:
    """What doctor found for one account; `detail` never holds a secret."""

    account: str
    platform: str
    deliver: str
    status: Status
    detail: str
    expires_at: datetime | None = None
    missing: tuple[str, ...] = field(default=())  # environment variables not set, or credentials not named
    metrics: str = ""  # what `metrics pull` needs beyond publishing (scopes), or why it reads nothing
    replies: str = ""  # what `replies pull` needs of the account (scopes), or why it hears nothing

    def as_dict(self) -> dict[str, object]:
        return {
            "account": self.account,
            "platform": self.platform,
            "deliver": self.deliver,
            "status": self.status,
            "detail": self.detail,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "missing": list(self.missing),
            "metrics": self.metrics,
            "replies": self.replies,
        }


def examine(
    config: Config,
    *,
    offline: bool = False,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> list[AccountHealth]:
    """Every account of config.yml, in config order."""
    moment = now or datetime.now(UTC)
    found = os.environ if environ is None else environ
    accounts = [
        replace(
            _api_version_judged(
                _account(config, name, account, offline, moment, found, transport), config, name, moment
            ),
            metrics=metrics_needs(account),
            replies=replies_needs(account),
        )
        for name, account in config.accounts.items()
    ]
    host = config.media.host
    return accounts + ([host_health(host, offline, found)] if host else [])


HOST_LINE = "media.host"  # the `account` of media.host's line, a name no account can have (no dot)


def host_health(host: MediaHost, offline: bool, environ: Mapping[str, str]) -> AccountHealth:
    """media.host's line: its key variables set, and (unless offline) the store answering a listing."""

    def health(status: Status, detail: str, **more) -> AccountHealth:
        return AccountHealth(HOST_LINE, "s3", "host", status, redact(detail), **more)

    secrets = Secrets(HOST_LINE, host.credentials.model_dump(), environ=environ)
    missing = tuple(secrets.missing(("access_key_id", "secret_access_key")))
    if missing:
        return health("error", f"{_missing_text(missing)}; publish cannot upload images", missing=missing)
    if offline:
        return health("ok", "the keys are set (the store not asked: --offline)")
    try:
        return health("ok", HOST(host, secrets).check())
    except CredentialsError as error:
        return health("error", str(error))
    except HostError as error:  # the settings (error), or the store down for now (warning)
        return health("error" if error.settings else "warning", str(error))
    except Exception as error:  # a bug or a client library's surprise: said, and doctor goes on
        return health("error", f"checking failed unexpectedly: {type(error).__name__}: {error}")


def metrics_needs(account: Account) -> str:
    """What an API account's `metrics pull` needs beyond publishing, or why it reads nothing; outbox
    accounts posted nothing to read, so nothing is said of them."""
    if account.deliver != "api":
        return ""
    platform = PLATFORMS[account.platform]
    if platform.metrics is None:
        return f"metrics pull: no numbers ({platform.metrics_note or 'postwright has no reader for it yet'})"
    if platform.metrics_scopes:
        return f"metrics pull: the token also needs {', '.join(platform.metrics_scopes)}"
    return "metrics pull: nothing more than publishing needs"


def replies_needs(account: Account) -> str:
    """What an API account's `replies pull` needs beyond publishing (the reader's scopes), or why it
    hears nothing; outbox accounts posted nothing to hear about."""
    if account.deliver != "api":
        return ""
    platform = PLATFORMS[account.platform]
    if platform.replies is None:
        return (
            f"replies pull: nothing heard ({platform.replies_note or 'the platform offers nothing to read'})"
        )
    if platform.replies_scopes:
        return f"replies pull: the token also needs {', '.join(platform.replies_scopes)}"
    return "replies pull: nothing more than publishing needs"


def _account(
    config: Config,
    name: str,
    account: Account,
    offline: bool,
    now: datetime,
    environ: Mapping[str, str],
    transport: httpx.BaseTransport | None,
) -> AccountHealth:
    def health(status: Status, detail: str, **more) -> AccountHealth:
        return AccountHealth(name, account.platform, account.deliver, status, redact(detail), **more)

    problems = _config_problems(config, name)
    if problems:
        return health("error", problems)
    if account.deliver == "outbox":
        return health("ok", "delivers to the local outbox, no credentials needed")
    platform = PLATFORMS[account.platform]
    if platform.publisher is None:
        return health("error", f"postwright cannot send to the {platform.title} API yet; use deliver: outbox")
    secrets = Secrets(name, dict(account.credentials), environ=environ)
    declared = {credential.name for credential in platform.credentials}
    missing = tuple(secrets.missing(given for given in account.credentials if given in declared))
    if missing:
        return health("error", _missing_text(missing), missing=missing)
    if offline:
        return health("ok", "credentials are set (not checked with the platform: --offline)")
    if platform.verify is None:
        return health("ok", f"credentials are set ({platform.title} cannot be asked without posting)")
    connection = connection_for(config, name, secrets.environ, transport=transport)
    try:
        check = platform.verify(connection)
    except CredentialsError as error:
        return health("error", str(error))
    except TransientError as error:  # the platform could not be reached: nothing known to be wrong
        return health("warning", f"could not check with {platform.title}: {error}")
    except PermanentError as error:
        return health("error", f"{platform.title} refused the check: {error}")
    except Exception as error:  # a bug in a verify: say so, and keep going with the other accounts
        return health("error", f"checking failed unexpectedly: {type(error).__name__}: {error}")
    return _judged(health, check, now)


def _config_problems(config: Config, name: str) -> str:
    """What `check` reports about this account's settings and credentials (and its platform's shared
    settings), in one line: the same function decides, so doctor and check cannot disagree."""
    platform = config.accounts[name].platform
    found = [
        problem
        for problem in account_settings.all_problems(config)
        if problem.at[:2] in (("accounts", name), ("platforms", platform))
    ]
    return "; ".join(f"{problem.message} ({problem.code})" for problem in found)


def _api_version_judged(health: AccountHealth, config: Config, name: str, now: datetime) -> AccountHealth:
    """The account's health, made worse where the API version it sends ends within API_WARN_BEFORE."""
    api = PLATFORMS[health.platform].api_version
    if health.deliver == "outbox" or api is None:
        return health
    version, end = api.in_use(connection_settings(config, name))
    if end is None:
        return health
    left = (end - now.astimezone(UTC).date()).days
    if left > API_WARN_BEFORE.days:
        return health
    change = f"set settings.{api.setting} to a newer version" if api.setting else "update postwright"
    if api.setting and version == api.version:
        change = f"update postwright, or {change}"
    if left <= 0:
        status: Status = "error"
        said = f"{api.name} {version} ended on {end:%Y-%m-%d} ({api.source}): {change}"
    else:
        status = "warning"
        days = f"{left} day{'s' * (left != 1)}"
        said = f"{api.name} {version} ends on {end:%Y-%m-%d}, in {days} ({api.source}): {change}"
    if _SEVERITY[health.status] > _SEVERITY[status]:
        status = health.status
    return replace(health, status=status, detail=redact(f"{health.detail}; {said}"))


def _missing_text(missing: tuple[str, ...]) -> str:
    named = [item for item in missing if not item.startswith("credentials.")]
    unnamed = [item for item in missing if item.startswith("credentials.")]
    parts = []
    if named:
        parts.append(f"environment variable {', '.join(named)} is not set (add it as a repository secret)")
    if unnamed:
        parts.append(f"{', '.join(unnamed)} is not named in config.yml")
    return "; ".join(parts)


def _judged(health: Callable[..., AccountHealth], check: CredentialCheck, now: datetime) -> AccountHealth:
    if not check.ok:
        return health("error", check.detail, expires_at=check.expires_at)
    expires = check.expires_at
    if expires is None:
        return health("ok", check.detail)
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    left = expires - now
    when = f"{expires.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if left <= timedelta(0):
        return health("error", f"{check.detail}; the token expired on {when}", expires_at=expires)
    if left <= WARN_BEFORE:
        days = left.days
        soon = f"in {days} day{'s' * (days != 1)}" if days else "within a day"
        return health(
            "warning", f"{check.detail}; the token expires {soon} ({when}): renew it", expires_at=expires
        )
    return health("ok", f"{check.detail}; expires {when}", expires_at=expires)


# -- output ------------------------------------------------------------------------------------------


def health_human(found: list[AccountHealth]) -> str:
    """One line per account: status, name, platform, what was found."""
    width = max((len(item.account) for item in found), default=0)
    return "\n".join(
        f"{click.style(f'{item.status:<7}', fg=_COLOURS[item.status], bold=True)} "
        f"{item.account:<{width}}  {item.platform:<9} {item.detail}"
        + (f"\n{'':<{width + 20}}{item.metrics}" if item.metrics else "")
        + (f"\n{'':<{width + 20}}{item.replies}" if item.replies else "")
        for item in found
    )


_COLOURS = {"ok": "green", "warning": "yellow", "error": "red"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def health_github(found: list[AccountHealth]) -> str:
    """Workflow commands: a warning or error annotation per account with a problem, plain lines else."""
    lines = []
    for item in found:
        if item.status == "ok":
            lines.append(f"ok: {item.account} ({item.platform}): {item.detail}")
        else:
            title = _escape_property(f"postwright doctor: {item.account} ({item.platform})")
            lines.append(f"::{item.status} title={title}::{_escape_data(item.detail)}")
        if item.metrics:
            lines.append(f"{item.account} ({item.platform}): {item.metrics}")
        if item.replies:
            lines.append(f"{item.account} ({item.platform}): {item.replies}")
    return "\n".join(lines)


def health_json(found: list[AccountHealth]) -> str:
    return json.dumps([item.as_dict() for item in found], indent=2, ensure_ascii=False)


FORMATS = {"human": health_human, "github": health_github, "json": health_json}


def summary(found: list[AccountHealth]) -> str:
    counts = {status: sum(1 for item in found if item.status == status) for status in _COLOURS}
    shown = ", ".join(f"{count} {status}" for status, count in counts.items() if count)
    accounts = sum(1 for item in found if item.account != HOST_LINE)
    host = " and media.host" if accounts < len(found) else ""
    return f"doctor: {accounts} account{'s' * (accounts != 1)}{host}: {shown or 'none'}"
