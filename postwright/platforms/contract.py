"""The contract between the publish step and a platform's publisher: what a publisher is given (a
`Connection`), what it must do (`Publisher`), what it hands back (`Receipt`) and how it fails.

Every API publisher and the outbox implement it; publish.py runs them once and only once. This module
imports no HTTP client, so declaring a platform costs nothing until something is sent. A missing or
rejected credential is `credentials.CredentialsError`, raised where secrets are read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from postwright.credentials import CredentialsError, Secrets
from postwright.model import Variant

if TYPE_CHECKING:
    import httpx

    from postwright.platforms.base import Setting


@dataclass(frozen=True, slots=True)
class Receipt:
    remote_id: str
    url: str


class TransientError(Exception):
    """Worth retrying: a timeout, 429 or 5xx. `retry_after` in seconds when the platform said.

    `refused`: the platform answered no (429, 408) or was never reached, so this attempt certainly
    did not post; the next attempt needs no `find_sent` first (which some platforms cannot answer).
    """

    def __init__(self, message: str, retry_after: float | None = None, *, refused: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.refused = refused


class PermanentError(Exception):
    """Retrying will not help (4xx other than 429): recorded with the platform's message."""


class CannotTell(Exception):
    """find_sent could not decide whether a part was sent (the platform cannot be asked)."""


class UnexpectedAnswer(Exception):
    """A 2xx answer without what we need from it (not JSON, no id). Not a PermanentError: the post is
    probably live, so the runner leaves the part `started` (unconfirmed) and a later run settles it
    with find_sent."""


class Publisher(Protocol):
    idempotent: bool  # True when a repeated send with the same key cannot create a second post

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt: ...

    def find_sent(self, variant: Variant, part: int, key: str) -> Receipt | None: ...

    def delete(self, remote_id: str) -> None: ...  # already gone is not an error


@dataclass(frozen=True, slots=True)
class Upload:
    """One image file as the platform receives it (the platform's rendition), with its alt text."""

    path: Path
    alt: str
    width: int
    height: int
    mime: str  # image/jpeg, image/png, …
    focus: tuple[float, float] | None  # front matter's focus: x, y in 0..1 from the top left
    public_url: str | None = None  # on media.host, or where `media_base_url` serves it (fetched by URL)


@dataclass(frozen=True)
class Connection:
    """Everything a publisher needs from outside, so that tests can hand it a local server."""

    account: str
    platform: str
    settings: Mapping[str, Any]  # platforms.<p>.settings, overridden by accounts.<a>.settings
    secrets: Secrets
    uploads: Callable[[Variant], list[Upload]] = lambda variant: []
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    transport: httpx.BaseTransport | None = None  # tests may route requests; None is the network

    def setting(self, name: str, default: Any = None) -> Any:
        """The account's value, else `default`, else the platform's declared default; a name the
        platform does not declare is a KeyError (a publisher reading a setting `check` never checks)."""
        declared = _declared(self.platform, name)
        return self.settings.get(name, declared.default if default is None and declared else default)

    def required(self, name: str) -> Any:
        """A setting the publisher cannot work without: its absence is a fixable config problem."""
        _declared(self.platform, name)
        value = self.settings.get(name)
        if value in (None, ""):
            raise CredentialsError(f"account {self.account}: settings.{name} is required for {self.platform}")
        return value


def _declared(platform: str, name: str) -> Setting | None:
    """The platform's declaration of setting `name` (None for a platform not registered, as in tests)."""
    from postwright.platforms import PLATFORMS  # the platform packages import this module

    known = PLATFORMS.get(platform)
    return known.setting(name) if known else None


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    """What `postwright doctor` reports for one account: never the secret itself."""

    ok: bool
    detail: str  # "valid (posting as @windward)", "token rejected: 401 invalid token"
    expires_at: datetime | None = None  # when the token stops working, where the platform says
