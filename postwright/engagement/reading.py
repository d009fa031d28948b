"""What every platform's replies reader needs alike: times and JSON checked (a malformed answer is an
UnexpectedAnswer, never a traceback), and which replies the brand has answered in a thread."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from postwright.platforms.contract import UnexpectedAnswer


def utc(value: Any, what: str = "time") -> datetime:
    """An ISO 8601 time (Z, +00:00 or Meta's +0000) or Unix seconds, in UTC; a naive one is taken as UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():  # +0000
            text = f"{text[:-2]}:{text[-2:]}"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    raise UnexpectedAnswer(f"{what} {str(value)[:40]!r} is not a time")


def json_body(response: Any, kind: type = dict) -> Any:
    """The answer's JSON when it is a `kind` (dict or list), else UnexpectedAnswer naming the request."""
    where = f"{response.request.method} {response.request.url.path}"
    try:
        body = response.json()
    except ValueError:
        raise UnexpectedAnswer(f"{where} answered with something other than JSON") from None
    if not isinstance(body, kind):
        raise UnexpectedAnswer(f"{where} answered with a JSON {type(body).__name__}, not a {kind.__name__}")
    return body


def answered(parent_of: Mapping[str, str | None], own: Iterable[str]) -> set[str]:
    """The ids the brand's own posts (`own`) descend from: every reply above one of them in the thread
    is answered. A parent missing from the thread (deleted) ends the walk there."""
    found: set[str] = set()
    for mine in own:
        above = parent_of.get(mine)
        while above in parent_of and above not in found:
            found.add(above)
            above = parent_of[above]
    return found
