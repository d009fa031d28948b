"""The HTTP client every API publisher shares, loaded only when something is sent or verified.

`ApiClient` sends with the `Connection` a publisher is given (contract.py) and turns the platform's
answers into the publish step's errors (429 and 5xx transient with Retry-After, 401 a credentials
problem, other 4xx permanent with the platform's own message) and never lets a secret out: every
message it raises is redacted, and secret values are registered so the ledger and the CLI redact too.
"""

from __future__ import annotations

import email.utils
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from postwright.credentials import CredentialsError, RedactingFilter, redact
from postwright.platforms.contract import Connection, PermanentError, TransientError

# The libraries we send with log request URLs (Telegram's holds the bot token) and OAuth base strings
# (X's access token): a filter works on the logger a record is made on, so each is named.
_LIBRARY_LOGGERS = (
    *("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy"),
    *("httpcore.socks", "oauthlib", "oauthlib.oauth1.rfc5849", "oauthlib.oauth1.rfc5849.signature"),
)
for _logger in _LIBRARY_LOGGERS:
    logging.getLogger(_logger).addFilter(RedactingFilter())

RetryAfter = Callable[[httpx.Response], float | None]
ErrorMessage = Callable[[httpx.Response], str]


def retry_after_header(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date) or a reset time in epoch seconds
    (X's x-rate-limit-reset, Bluesky's ratelimit-reset)."""
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value) if value else None
            if when is not None:
                return max(0.0, when.timestamp() - (now if now is not None else time.time()))
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        reset = response.headers.get(name)
        if reset and reset.replace(".", "", 1).isdigit():
            if float(reset) < 1_000_000_000:  # seconds from now (some APIs), not an epoch time
                return float(reset)
            return max(0.0, float(reset) - (now if now is not None else time.time()))
    return None


def error_text(response: httpx.Response) -> str:
    """The platform's own words: a JSON `error`/`message`/`detail`/`description`, else the body start."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason_phrase
    if isinstance(body, dict):
        for name in ("error_description", "message", "error", "detail", "description", "title"):
            value = body.get(name)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"]
    return str(body)[:300]


class ApiClient:
    """httpx with the publish step's error mapping and redaction: one per account and platform."""

    def __init__(
        self,
        connection: Connection,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retry_after: RetryAfter = retry_after_header,
        error_message: ErrorMessage = error_text,
    ) -> None:
        self.connection = connection
        self.retry_after = retry_after
        self.error_message = error_message
        self.http = httpx.Client(
            base_url=base_url,
            headers=dict(headers or {}),
            timeout=timeout,
            transport=connection.transport,
            follow_redirects=False,
        )

    def request(self, method: str, url: str, *, ok: Iterable[int] = (), **options: Any) -> httpx.Response:
        """Send; return the response when 2xx (or a status in `ok`), else raise the mapped error.

        Network failures are transient: the runner asks `find_sent` before retrying where a second
        send could duplicate, so a request that reached the platform but whose answer was lost is safe.
        """
        try:
            response = self.http.request(method, url, **options)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.ProtocolError) as error:
            unsent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
            said = "timed out" if isinstance(error, httpx.TimeoutException) else "failed"
            message = f"{method} {_path(url)}: {said} ({type(error).__name__})"
            raise TransientError(redact(message), refused=unsent) from None
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as error:  # a setting or secret unusable
            message = f"{method} {_path(url)}: cannot be sent ({type(error).__name__}): check the settings"
            raise CredentialsError(redact(message)) from None
        if response.is_success or response.status_code in set(ok):
            return response
        raise self.error_for(response)

    def error_for(self, response: httpx.Response) -> Exception:
        """429/408 refused for now, 5xx unknown, 401/403 and redirects a setup problem, other 4xx final."""
        status = response.status_code
        where = f"{response.request.method} {_path(str(response.request.url))}"
        message = redact(f"{where}: {status} {self.error_message(response)}")
        if status in (408, 429):
            return TransientError(message, self.retry_after(response), refused=True)
        if status >= 500:
            return TransientError(message, self.retry_after(response))
        if status in (401, 403):  # a token without a scope or permission is fixed in settings, then sent
            return CredentialsError(message)
        if 300 <= status < 400:
            location = redact(response.headers.get("location", "?"))
            return CredentialsError(f"{where}: redirected ({status}) to {location}: check the URL setting")
        return PermanentError(message)

    def close(self) -> None:
        self.http.close()


def _path(url: str) -> str:
    """The URL's path for messages (no query string: tokens travel there on some APIs)."""
    return urllib.parse.urlsplit(url).path or url
