"""The Meta Graph API client shared by the Facebook, Instagram and Threads publishers (not a platform).

Meta's Graph APIs (graph.facebook.com, graph.instagram.com, graph.threads.net) answer most errors
with HTTP 400 or 403 and say what happened in an `error` object, so errors are mapped by Meta's own
code rather than by status. Sources:
- developers.facebook.com/docs/graph-api/guides/error-handling: the error object (message, type,
  code, error_subcode, error_user_title, error_user_msg, is_transient) and the recovery per code:
  1, 2, 4, 17, 341, 368 wait and retry; 102, 190 get a new token; 10, 200-299 permission missing.
- developers.facebook.com/docs/graph-api/overview/rate-limiting: throttling codes 4, 17, 32 (Page
  level), 613 (custom) and the business-use-case codes (80001 Pages, 80002 Instagram); the
  X-Business-Use-Case-Usage header and its estimated_time_to_regain_access, in minutes.
Each platform adds its own codes by subclassing GraphClient (the Facebook and Instagram publishers).
The version they pin is declared in graph_version.py.
"""

from __future__ import annotations

import json
import math
import urllib.parse
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, ClassVar

import httpx

from postwright.credentials import CredentialsError, redact
from postwright.platforms.contract import Connection, PermanentError, TransientError, UnexpectedAnswer
from postwright.platforms.http_client import ApiClient, error_text, retry_after_header

# graph-api/guides/error-handling "wait and retry": 1 unknown, 2 service, 4 and 17 too many calls,
# 341 application limit, 368 temporarily blocked for policy violations; graph-api/overview/rate-limiting:
# 32 Page-level and 613 custom throttling. The business-use-case codes are per platform (subclasses).
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 368, 613})
# The same guide: 102 API session and 190 access token expired, revoked or invalid; 10 and 200-299
# permission not granted or removed. All are fixed by a new token, so they are credentials problems.
CREDENTIAL_CODES = frozenset({10, 102, 190, *range(200, 300)})


def graph_error(response: httpx.Response) -> dict[str, Any]:
    """Meta's {"error": {"message", "type", "code", "error_subcode", …}}, or {} for other answers."""
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def graph_error_text(response: httpx.Response, brackets: str = "[]") -> str:
    """The message, the user-facing explanation where Meta gives one, and the code/subcode between
    `brackets` (a platform's messages keep the form its users and tests know)."""
    error = graph_error(response)
    if not error:
        return error_text(response)
    words = str(error.get("message") or error.get("type") or "error")
    explained = error.get("error_user_msg")
    if isinstance(explained, str) and explained and explained not in words:
        title = error.get("error_user_title")
        words += f" ({title}: {explained})" if isinstance(title, str) and title else f" ({explained})"
    code, subcode = error.get("code"), error.get("error_subcode")
    if code is not None:
        opening, closing = brackets
        words += f" {opening}code {code}" + (f"/{subcode}" if subcode is not None else "") + closing
    return words


def regain_access(response: httpx.Response) -> float | None:
    """Seconds a throttled caller waits: the longest estimated_time_to_regain_access (minutes) in
    X-Business-Use-Case-Usage, the header Page, Instagram and system-user tokens are throttled by
    (graph-api/overview/rate-limiting), else a Retry-After where a proxy sent one."""
    try:
        usage = json.loads(response.headers.get("x-business-use-case-usage") or "{}")
    except ValueError:
        usage = {}
    minutes = max(
        (
            _number(entry.get("estimated_time_to_regain_access"))
            for entries in (usage.values() if isinstance(usage, dict) else ())
            for entry in (entries if isinstance(entries, list) else ())
            if isinstance(entry, dict)
        ),
        default=0.0,
    )
    return minutes * 60 if minutes > 0 else retry_after_header(response)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        return float(value)
    except ValueError:
        return 0.0


def already_gone(response: httpx.Response) -> bool:
    """A DELETE of an object that no longer exists: 404, or "Unsupported delete request. Object with
    ID … does not exist" (code 100, subcode 33), which deleting again cannot change."""
    error = graph_error(response)
    return response.status_code == 404 or (error.get("code") == 100 and error.get("error_subcode") == 33)


def parse_time(value: Any) -> datetime | None:
    """Meta's timestamps: 2026-12-01T09:00:00+0000."""
    if not isinstance(value, str):
        return None
    for parse in (lambda v: datetime.strptime(v, "%Y-%m-%dT%H:%M:%S%z"), datetime.fromisoformat):
        try:
            return parse(value)
        except ValueError:
            continue
    return None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        where = f"{response.request.method} {response.request.url.path}"
        raise UnexpectedAnswer(redact(f"{where}: {response.status_code} but not a JSON object"))
    return body


def _next_cursor(paging: Any) -> str | None:
    """The `after` cursor of a page that has a next one (graph-api/results: no `next`, no more data);
    taken from the `next` link itself where `cursors` lacks it."""
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    if not after:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(str(paging["next"])).query)
        after = (query.get("after") or [None])[0]
    return str(after) if after else None


class GraphClient(ApiClient):
    """ApiClient for Meta's Graph APIs: the token travels as the documented `access_token` parameter
    (in the form body of a POST, in the query string otherwise), and errors map by Meta's own code,
    because Meta answers throttling and expired tokens with HTTP 400/403 rather than 429/401.

    A platform subclass names its own codes: more transient codes (its business-use-case throttle),
    subcodes that are transient or permanent whatever their code, and how its messages bracket codes.
    """

    transient_codes: ClassVar[frozenset[int]] = TRANSIENT_CODES
    transient_subcodes: ClassVar[frozenset[int]] = frozenset()
    permanent_subcodes: ClassVar[frozenset[int]] = frozenset()
    code_brackets: ClassVar[str] = "[]"

    def __init__(self, connection: Connection, base_url: str, token: str) -> None:
        super().__init__(
            connection, base_url.rstrip("/") + "/", retry_after=regain_access, error_message=self.describe
        )
        self._token = token

    def describe(self, response: httpx.Response) -> str:
        return graph_error_text(response, self.code_brackets)

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return _json(self.request("GET", path, params={**params, "access_token": self._token}))

    def listing(self, path: str, depth: int, page_size: int, **params: Any) -> Iterator[dict[str, Any]]:
        """The first `depth` objects of a list edge, in the edge's order, page by page.

        Cursor paging (graph-api/results): each page's `paging.cursors.after` is passed back as
        `after`; a page without `paging.next` is the last. An edge may return fewer than `limit`
        objects (filtering, or its own cap on `limit`), even an empty page with a `next`, so pages are
        followed by their links, not by counting; the number of requests is bounded all the same in
        case a cursor never ends."""
        seen, after = 0, None
        for _ in range(2 * math.ceil(depth / page_size) + 1):
            if seen >= depth:
                return
            query = {**params, "limit": min(page_size, depth - seen)}
            if after:
                query["after"] = after
            answer = self.get(path, **query)
            items = [item for item in answer.get("data") or [] if isinstance(item, dict) and "id" in item]
            yield from items[: depth - seen]
            seen += len(items)
            cursor = _next_cursor(answer.get("paging"))
            if not cursor or cursor == after:
                return
            after = cursor

    def post(self, path: str, **data: Any) -> dict[str, Any]:
        return _json(self.request("POST", path, data={**data, "access_token": self._token}))

    def delete(self, path: str, *, ok: Iterable[int] = ()) -> httpx.Response:
        return self.request("DELETE", path, params={"access_token": self._token}, ok=ok)

    def transient(self, code: int, subcode: Any) -> bool:
        """Whether Meta says to wait and retry this code (the is_transient flag aside)."""
        return code in self.transient_codes or subcode in self.transient_subcodes

    def error_for(self, response: httpx.Response) -> Exception:
        mapped = super().error_for(response)  # the message, redacted, with method, path and status
        error = graph_error(response)
        code, subcode = error.get("code"), error.get("error_subcode")
        if not isinstance(code, int) or isinstance(mapped, TransientError):
            return mapped
        if subcode in self.permanent_subcodes:
            return PermanentError(str(mapped))
        if self.transient(code, subcode) or error.get("is_transient") is True:
            return TransientError(str(mapped), self.retry_after(response))
        if code in CREDENTIAL_CODES:
            return CredentialsError(str(mapped))
        return mapped  # by HTTP status: 401 credentials, other 4xx permanent
