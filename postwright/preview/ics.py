"""publish/calendar.ics: one event per post and account, for a team to subscribe to (RFC 5545).

Times are written in the brand's zone with a VTIMEZONE (icalendar builds it from the IANA data), so
calendar apps show 09:30 in Madrid whatever zone they are in. The one time a zone name cannot say is
the second 02:30 of the night clocks go back: RFC 5545 §3.3.5 reads a repeated local time as its first
occurrence, so such times are written in UTC instead. UIDs are stable (<post-id>.<lang>.<account>
@postwright), so a moved post moves in subscribers' calendars instead of appearing twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import icalendar

from postwright import __version__
from postwright.diagnostics import printable
from postwright.platforms import PLATFORMS
from postwright.preview.model import Entry, Overview

DURATION = timedelta(minutes=15)
"""Events need a length to be visible in calendar apps; a post takes no time, so a short slot."""

# RFC 5545 §3.8.1.11: CONFIRMED / TENTATIVE / CANCELLED. Drafts, posts an error blocks and sends that need
# someone are tentative; what will not go out any more is cancelled; the rest is confirmed.
_EVENT_STATUS = {
    "blocked": "TENTATIVE",
    "draft": "TENTATIVE",
    "failed": "TENTATIVE",
    "unconfirmed": "TENTATIVE",
    "paused": "TENTATIVE",
    "missed": "CANCELLED",
    "expired": "CANCELLED",
    "retracted": "CANCELLED",
}


def uid(entry: Entry) -> str:
    return f"{entry.post_id}.{entry.lang}.{entry.account}@postwright"


def calendar_ics(overview: Overview, preview_url: str | None) -> bytes:
    """The feed; `preview_url` (the site's index.html) links each event to its post in the preview."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//postwright//postwright {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{overview.brand} posts")
    calendar.add("x-wr-timezone", overview.zone.key)
    calendar.add("name", f"{overview.brand} posts")  # RFC 7986
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    entries = sorted(overview.entries, key=lambda e: (e.publish_at, uid(e)))
    for entry in entries:
        calendar.add_component(_event(entry, overview, preview_url))
    if entries:  # the zone's rules over the years the events span
        first = entries[0].publish_at.astimezone(overview.zone).date()
        last = entries[-1].publish_at.astimezone(overview.zone).date()
        calendar.add_missing_timezones(first_date=date(first.year, 1, 1), last_date=date(last.year + 2, 1, 1))
    return calendar.to_ical()


def _event(entry: Entry, overview: Overview, preview_url: str | None) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid(entry))
    event.add("dtstamp", overview.now.astimezone(UTC).replace(microsecond=0))
    start = entry.publish_at.astimezone(UTC)
    event.add("dtstart", _local(start, overview))
    event.add("dtend", _local(start + DURATION, overview))  # in UTC first: exact across a DST change
    platform = PLATFORMS[entry.platform].title if entry.platform in PLATFORMS else entry.platform
    label = entry.status_label
    prefix = "" if label in ("scheduled", "due") else f"[{label}] "
    warn = "⚠ " if entry.all_problems else ""
    # RFC 5545 TEXT holds no control characters; icalendar escapes CR and LF but leaves ESC and the rest
    event.add(
        "summary", printable(f"{warn}{prefix}{entry.title or entry.post_id} · {platform} {entry.account}")
    )
    event.add("status", _EVENT_STATUS.get(entry.status, "CONFIRMED"))
    event.add("categories", [platform, entry.account, label])
    event.add("description", printable(_description(entry, platform), keep="\n"))
    if preview_url:
        event.add("url", f"{preview_url}#{quote(entry.key, safe='/.-_~')}")
    return event


def _local(when: datetime, overview: Overview) -> datetime:
    """The time in the brand's zone, except a repeated local time's second occurrence: UTC."""
    local = when.astimezone(overview.zone)
    other = local.replace(fold=1 - local.fold)
    if local.fold == 1 and other.utcoffset() != local.utcoffset():
        return when.astimezone(UTC)
    return local


def _description(entry: Entry, platform: str) -> str:
    lines = [f"{entry.status_label}{': ' + entry.detail if entry.detail else ''}"]
    if entry.url:
        lines.append(f"published: {entry.url}")
    lines.append(f"{platform} · {entry.account}{f' ({entry.handle})' if entry.handle else ''} · {entry.lang}")
    lines.append(entry.source)
    for item in entry.all_problems:
        lines.append(f"{item.severity} {item.code} {item.message} ({item.span.path}:{item.span.line})")
    if entry.parts:
        lines += ["", entry.parts[0].text]
        if len(entry.parts) > 1:
            lines.append(f"(+{len(entry.parts) - 1} more part(s) in the thread)")
    if entry.link:
        lines += ["", entry.link]
    return "\n".join(lines)
