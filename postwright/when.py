"""Dates as writers type them: wall-clock times in the brand's time zone, and the rules of its clocks.

A naive date-time is a wall-clock time where the brand is; a time that a daylight saving change skips is
refused (PW202) and one it repeats is taken the first time, with a warning (PW203). Years outside what
postwright schedules are refused (PW201), as are texts that are no date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from postwright.config import Config
from postwright.diagnostics import Diagnostic, Span, diag
from postwright.frontmatter import DateText
from postwright.schema import FIRST_YEAR, LAST_YEAR, dotted
from postwright.yamlpos import Document, KeyPath

NameWhen = tuple[date, str | None]  # the date and HHMM a post's file name starts with

_DATE_TIME = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))? ?(?P<offset>Z|[+-]\d{2}:?\d{2})?)?"
)


def parse_when(config: Config, text: str, span: Span) -> tuple[datetime | None, list[Diagnostic]]:
    """Parse a date or date-time as front matter would (for --date options)."""
    found: list[Diagnostic] = []
    return read_date(config, text, Document({}, {(): span}, {}), (), found, span=span), found


def is_next(date_text: str | None) -> bool:
    """`date: next`: the writer asks `postwright schedule` for the next free posting slot."""
    return date_text is not None and date_text.strip().lower() == "next"


def name_date_text(name_when: NameWhen | None) -> str | None:
    """The date a file name gives, as front matter would write it."""
    if name_when is None:
        return None
    day, hhmm = name_when
    return f"{day} {hhmm[:2]}:{hhmm[2:]}" if hhmm else day.isoformat()


def publish_time(
    config: Config,
    front_date: DateText | None,
    name_when: NameWhen | None,
    sibling_date: DateText | None,
    doc: Document,
    source: str,
    found: list[Diagnostic],
) -> datetime | None:
    """When a post is published: `date:`, else its file name's date, else a language sibling's date."""
    if is_next(front_date):
        found.append(
            diag(
                "PW214",
                doc.span(("date",)),
                "date: next — this post gets the next free posting slot when `postwright schedule` runs",
                hint="run `postwright schedule`, or write a date",
            )
        )
        return None
    if front_date is not None:
        when = read_date(config, front_date, doc, ("date",), found)
        if when and name_when and when.date() != name_when[0]:
            found.append(
                diag(
                    "PW204",
                    doc.span(("date",)),
                    f"date: {when:%Y-%m-%d} differs from the file name's {name_when[0]}; date: wins",
                    hint="rename the file so the calendar and the file list agree",
                )
            )
        return when
    text = name_date_text(name_when) or sibling_date  # a variant takes its sibling's date
    if text is None:
        found.append(
            diag(
                "PW200",
                Span(source),
                "post has no date",
                hint="add date: YYYY-MM-DD HH:MM to the front matter, or start the file name with the date",
            )
        )
        return None
    return read_date(config, text, doc, (), found, span=Span(source))


def read_date(
    config: Config,
    text: str,
    doc: Document,
    loc: KeyPath,
    found: list[Diagnostic],
    *,
    end_of_day: bool = False,
    span: Span | None = None,
) -> datetime | None:
    """Parse a date or date-time; naive values are wall-clock times in the brand's time zone."""
    span = span or doc.span(loc)
    text = str(text).strip()
    match = _DATE_TIME.fullmatch(text)
    try:
        if not match:
            raise ValueError(text)
        day = date.fromisoformat(match["day"])
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            found.append(_out_of_range(text, span, loc))
            return None
        if match["hour"] is None:
            if end_of_day:
                return datetime.combine(day + timedelta(days=1), datetime.min.time(), config.zone)
            return _localize(datetime.combine(day, config.schedule.default_time), config.zone, span, found)
        clock = time(int(match["hour"]), int(match["minute"]), int(match["second"] or 0))
        offset = match["offset"]
        when = datetime.combine(day, clock)
        if offset:
            when = when.replace(tzinfo=UTC if offset == "Z" else datetime.strptime(offset, "%z").tzinfo)
    except ValueError:
        found.append(
            diag(
                "PW201",
                span,
                f"'{text}' is not a valid date" + (f" for {dotted(loc)}" if loc else ""),
                hint="write YYYY-MM-DD HH:MM (e.g. 2026-12-01 09:30), optionally with an offset like +01:00",
            )
        )
        return None
    return when if when.tzinfo else _localize(when, config.zone, span, found)


def _out_of_range(text: str, span: Span, loc: KeyPath) -> Diagnostic:
    """A year postwright cannot do date arithmetic with (a typo, or 9999-12-31 meaning "never")."""
    never = " (a post without expires: never expires)" if loc == ("expires",) else ""
    return diag(
        "PW201",
        span,
        f"'{text}' is outside the years postwright schedules ({FIRST_YEAR} to {LAST_YEAR})"
        + (f" for {dotted(loc)}" if loc else ""),
        hint=f"check the year: write a date from {FIRST_YEAR} to {LAST_YEAR}{never}",
    )


def _localize(naive: datetime, zone: ZoneInfo, span: Span, found: list[Diagnostic]) -> datetime | None:
    """Attach the zone, refusing wall-clock times a DST change skips and flagging ones it repeats."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    round_trip = first.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        found.append(
            diag(
                "PW202",
                span,
                f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks skip it for daylight saving)",
                hint="pick a time outside the skipped hour, or give an explicit offset",
            )
        )
        return None
    if first.utcoffset() != second.utcoffset():
        found.append(
            diag(
                "PW203",
                span,
                f"{naive:%Y-%m-%d %H:%M} happens twice in {zone.key}; "
                f"the first (UTC{_offset(first)}) is used",
                hint=f"give an explicit offset to choose: {_offset(first)} or {_offset(second)}",
            )
        )
    return first


def _offset(when: datetime) -> str:
    return when.strftime("%z")[:3] + ":" + when.strftime("%z")[3:]
