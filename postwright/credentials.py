"""Secrets: read from the environment variables that config.yml names, and never shown.

Every value read is remembered for the life of the process so that anything the publish step writes
(ledger errors, outcome messages, exceptions) can be redacted, whichever publisher produced it.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class CredentialsError(Exception):
    """The account's credentials or settings are missing or were rejected: nothing was sent, and the
    job is tried again on the next run (after someone fixes them), not retried within this one."""


_REDACTED = "[secret]"
_KNOWN_SECRETS: set[str] = set()  # every secret value read in this process, longest first when used


def remember(secret: str) -> None:
    """Redact a value derived from a credential too (the token inside a webhook URL)."""
    if secret:
        _KNOWN_SECRETS.add(secret)


class RedactingFilter(logging.Filter):
    """For the HTTP libraries' loggers: their records show request URLs, and some URLs hold tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


def redact(text: str) -> str:
    """`text` with every secret value read in this process replaced, also where it appears URL-encoded,
    JSON-escaped or as a Python literal (an exception's repr of bytes or str)."""
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        for form in _forms(secret):
            text = text.replace(form, _REDACTED)
    return text


def _forms(secret: str) -> set[str]:
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret)}
    forms |= {repr(secret)[1:-1], repr(secret.encode("utf-8", "backslashreplace"))[2:-1]}
    forms.add(json.dumps(secret)[1:-1])
    return {form for form in forms if len(form) >= 4}


@dataclass(frozen=True)
class Secrets:
    """An account's secrets by their config name (`credentials: {token: MASTODON_TOKEN}` → "token").

    Values come from the environment at publish time; the repr shows names only. A missing one is a
    CredentialsError naming the variable, so the job is retried on the next run once it is set.
    """

    account: str
    names: Mapping[str, str]  # config name -> environment variable name
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)

    def __getitem__(self, name: str) -> str:
        variable = self.names.get(name)
        if variable is None:
            raise CredentialsError(
                f"account {self.account}: credentials.{name} is not set in config.yml "
                f"(name the environment variable that holds it)"
            )
        raw = self.environ.get(variable, "")
        value = raw.strip()  # a pasted secret often ends in a newline, which no header may hold
        if raw and raw not in _KNOWN_SECRETS:
            _KNOWN_SECRETS.add(raw)
        if not value:
            raise CredentialsError(f"account {self.account}: environment variable {variable} is not set")
        _KNOWN_SECRETS.add(value)
        if not value.isascii() or not value.isprintable():
            raise CredentialsError(
                f"account {self.account}: environment variable {variable} holds a character no token has "
                "(a control or non-ASCII character): set it again, copied exactly"
            )
        return value

    def get(self, name: str) -> str | None:
        """The value, or None where the config does not name this credential (optional ones)."""
        return self[name] if name in self.names else None

    def missing(self, required: Iterable[str]) -> list[str]:
        """What `doctor` reports: each required credential not named or whose variable is empty."""
        return [
            self.names.get(name, f"credentials.{name}")
            for name in required
            if name not in self.names or not self.environ.get(self.names[name])
        ]
