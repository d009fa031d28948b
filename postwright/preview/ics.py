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
from postwright.status import PlanStatus

DURATION = timedelta(minutes=15)
"""Events need a length to be visible in calendar apps; a post takes no time, so a short slot."""

# RFC 5545 §3.8.1.11: CONFIRMED / TENTATIVE / CANCELLED. Drafts, posts an error blocks and sends that need
# someone are tentative; what will not go out any more is cancelled; the rest is confirmed.
_EVENT_STATUS = {
    PlanStatus.BLOCKED: "TENTATIVE",
    PlanStatus.DRAFT: "TENTATIVE",
    PlanStatus.FAILED: "TENTATIVE",
    PlanStatus.UNCONFIRMED: "TENTATIVE",
    PlanStatus.PAUSED: "TENTATIVE",
    PlanStatus.MISSED: "CANCELLED",
    PlanStatus.EXPIRED: "CANCELLED",
    PlanStatus.RETRACTED: "CANCELLED",
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
    stamp = f"DTSTAMP{_time(overview.now.astimezone(UTC).replace(microsecond=0))}"  # the same in every event
    events = [_event(entry, overview, preview_url, stamp) for entry in entries]
    if any(f";TZID={overview.zone.key}:" in line for event in events for line in event[2:4]):
        # the zone's rules over the years the events span
        first = entries[0].publish_at.astimezone(overview.zone).date()
        last = entries[-1].publish_at.astimezone(overview.zone).date()
        calendar.add_component(
            icalendar.Timezone.from_tzid(
                overview.zone.key, first_date=date(first.year, 1, 1), last_date=date(last.year + 2, 1, 1)
            )
        )
    lines = [line for line in calendar.content_lines() if line]
    lines[-1:-1] = [line for event in events for line in event]  # before END:VCALENDAR
    return b"".join(_fold(line.encode()) + b"\r\n" for line in lines)


def _fold(line: bytes) -> bytes:
    """RFC 5545 §3.1 folding, byte for byte as icalendar's to_ical() folds (at most 74 octets a line,
    never inside a character, nor between a backslash or ^ and what it escapes), but on the encoded
    line: icalendar encodes every character of every line on its own, which took most of a 5,000-post
    preview's time."""
    pieces, start = [], 0
    while len(line) - start > _FOLD_AT:
        end = start + _FOLD_AT
        while line[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: the character starts before
            end -= 1
        if line[end - 1] in b"\\^" and end - 1 > start:
            end -= 1  # the escape starts the next line
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return b"\r\n ".join(pieces)


_FOLD_AT = 74


def _event(entry: Entry, overview: Overview, preview_url: str | None, stamp: str) -> list[str]:
    """A VEVENT's content lines, unfolded, in the order icalendar writes them. Written here rather than
    with icalendar.Event: at 20,000 events its general machinery took most of a preview's time."""
    start = entry.publish_at.astimezone(UTC)
    platform = PLATFORMS[entry.platform].title if entry.platform in PLATFORMS else entry.platform
    label = entry.status_label
    prefix = "" if entry.status in (PlanStatus.UPCOMING, PlanStatus.DUE) else f"[{label}] "
    warn = "⚠ " if entry.all_problems else ""
    # RFC 5545 TEXT holds no control characters; escaping covers CR and LF, printable() the rest
    summary = printable(f"{warn}{prefix}{entry.title or entry.post_id} · {platform} {entry.account}")
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(summary)}",
        f"DTSTART{_time(_local(start, overview))}",
        f"DTEND{_time(_local(start + DURATION, overview))}",  # in UTC first: exact across a DST change
        stamp,
        f"UID:{_text(uid(entry))}",
        f"CATEGORIES:{','.join(_text(name) for name in (platform, entry.account, label))}",
        f"DESCRIPTION:{_text(printable(_description(entry, platform), keep=chr(10)))}",
        f"STATUS:{_EVENT_STATUS.get(entry.status, 'CONFIRMED')}",
    ]
    if preview_url:
        lines.append(f"URL:{preview_url}#{quote(entry.key, safe='/.-_~')}")
    lines.append("END:VEVENT")
    return lines


def _text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT: backslash, semicolon and comma escaped, line breaks as \\n."""
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return escaped.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _time(when: datetime) -> str:
    """;TZID=<zone>:<local time>, or :<UTC time>Z (the parameters and value of DTSTART and the like)."""
    if when.tzinfo is UTC:
        return when.strftime(":%Y%m%dT%H%M%SZ")
    return when.strftime(f";TZID={when.tzinfo.key}:%Y%m%dT%H%M%S")


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
