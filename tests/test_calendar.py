"""The calendar: publish/calendar.ics read back with icalendar, and the month and week views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner

from postwright.cli import cli
from postwright.preview import write_calendar, write_preview
from tests.test_preview import index_data

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)

# Europe/Madrid leaves summer time on 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:00-02:59
# happens twice that night.
FILES = (
    """
-- content/posts/2026-10-24-0930-summer.md --
---
title: Summer time
---
Before the change.
-- content/posts/2026-10-26-0930-winter.md --
---
title: Winter time
---
After the change.
-- content/posts/2026-10-25-night.md --
---
title: Across the change
date: 2026-10-25 02:50
---
The first 02:50 (summer time); its 15 minutes end after the clocks went back.
-- content/posts/2026-10-25-second.md --
---
title: Second 02:30
date: 2026-10-25T02:30:00+01:00
platforms: [mastodon]
---
The second 02:30, in winter time.
-- content/posts/2026-10-27-draft.md --
---
title: A draft
draft: true
platforms: [mastodon]
---
Not yet.
-- content/posts/2026-10-28-broken.md --
---
title: Too long
thread: never
platforms: [mastodon]
---
"""
    + "word " * 120
)


def read(data: bytes) -> tuple[icalendar.Calendar, dict[str, icalendar.Event]]:
    calendar = icalendar.Calendar.from_ical(data)
    return calendar, {str(event["uid"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def project(make_project):
    return make_project(FILES)


def test_one_event_per_post_and_account_with_stable_uids(project):
    _, data = write_calendar(project, NOW, None, preview_url="https://example.com/preview/index.html")
    _, events = read(data)
    assert sorted(events) == sorted(
        [
            *(f"2026-10-24-0930-summer.en.{a}@postwright" for a in ("masto", "sky")),
            *(f"2026-10-26-0930-winter.en.{a}@postwright" for a in ("masto", "sky")),
            *(f"2026-10-25-night.en.{a}@postwright" for a in ("masto", "sky")),
            "2026-10-25-second.en.masto@postwright",
            "2026-10-27-draft.en.masto@postwright",
            "2026-10-28-broken.en.masto@postwright",
        ]
    )
    event = events["2026-10-24-0930-summer.en.sky@postwright"]
    assert str(event["url"]) == "https://example.com/preview/index.html#2026-10-24-0930-summer.en/sky"
    assert str(event["summary"]) == "Summer time · Bluesky sky"
    assert event.decoded("dtstamp") == NOW
    assert "Before the change." in str(event["description"])


def test_times_are_in_the_brand_zone_and_exact_across_the_daylight_saving_change(project):
    _, data = write_calendar(project, NOW, None, preview_url=None)
    calendar, events = read(data)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/Madrid"
    assert {part.name for part in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}

    def times(uid: str) -> tuple[datetime, datetime]:
        event = events[f"{uid}@postwright"]
        return event.decoded("dtstart"), event.decoded("dtend")

    summer, _ = times("2026-10-24-0930-summer.en.masto")
    winter, _ = times("2026-10-26-0930-winter.en.masto")
    assert str(summer.tzinfo) == "Europe/Madrid" and summer.astimezone(UTC) == datetime(
        2026, 10, 24, 7, 30, tzinfo=UTC
    )
    assert str(winter.tzinfo) == "Europe/Madrid" and winter.astimezone(UTC) == datetime(
        2026, 10, 26, 8, 30, tzinfo=UTC
    )
    # 02:50 summer time + 15 minutes = 02:05 winter time: written so that no reader can get it wrong
    start, end = times("2026-10-25-night.en.sky")
    assert start.astimezone(UTC) == datetime(2026, 10, 25, 0, 50, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 10, 25, 1, 5, tzinfo=UTC)
    assert end - start == timedelta(minutes=15)
    # The second 02:30 has no unambiguous local name: RFC 5545 would read 02:30 as the first one.
    start, _ = times("2026-10-25-second.en.masto")
    assert start == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert "DTSTART:20261025T013000Z" in data.decode()
    assert "DTSTART;TZID=Europe/Madrid:20261024T093000" in data.decode()


def test_drafts_are_tentative_problems_marked_past_posts_cancelled(project):
    _, data = write_calendar(project, datetime(2026, 10, 26, 20, 0, tzinfo=UTC), None, preview_url=None)
    _, events = read(data)
    draft = events["2026-10-27-draft.en.masto@postwright"]
    assert str(draft["status"]) == "TENTATIVE" and str(draft["summary"]).startswith("[draft] ")
    broken = events["2026-10-28-broken.en.masto@postwright"]
    assert str(broken["summary"]).startswith("⚠ [blocked] ") and "PW401" in str(broken["description"])
    missed = events["2026-10-24-0930-summer.en.masto@postwright"]
    assert str(missed["status"]) == "CANCELLED" and str(missed["summary"]).startswith("[missed] ")
    assert str(broken["status"]) == "TENTATIVE"  # an error keeps it from being sent


def test_a_moved_post_keeps_its_uid(project):
    _, before = write_calendar(project, NOW, None, preview_url=None)
    post = project.root / "content" / "posts" / "2026-10-27-draft.md"
    post.write_text(post.read_text().replace("title: A draft", "title: A draft\ndate: 2026-10-29 10:00"))
    _, after = write_calendar(project, NOW, None, preview_url=None)
    old, new = read(before)[1], read(after)[1]
    assert set(old) == set(new)
    uid = "2026-10-27-draft.en.masto@postwright"
    assert new[uid].decoded("dtstart") == datetime(2026, 10, 29, 10, 0, tzinfo=MADRID)


def test_same_inputs_same_bytes(project):
    first = write_calendar(project, NOW, None, preview_url="https://x.example/")[1]
    assert write_calendar(project, NOW, None, preview_url="https://x.example/")[1] == first


def test_cli_calendar(project):
    runner = CliRunner()
    result = runner.invoke(cli, ["-C", str(project.root), "calendar", "--at", "2026-10-20T12:00", "-o", "-"])
    assert result.exit_code == 0, result.stderr
    _, events = read(result.stdout_bytes)
    assert len(events) == 9 and not any("url" in event for event in events.values())
    result = runner.invoke(
        cli, ["-C", str(project.root), "calendar", "--base-url", "https://brand.example/preview/"]
    )
    assert result.exit_code == 0, result.stderr
    _, events = read((project.root / "publish" / "calendar.ics").read_bytes())
    assert str(next(iter(events.values()))["url"]).startswith("https://brand.example/preview/index.html#")
    assert "calendar: 9 events in publish/calendar.ics" in result.stderr


def test_preview_links_events_to_its_own_index_relatively(project):
    """Without a base URL the links are relative: a feed or site made on a laptop or CI runner does not
    carry that machine's paths."""
    write_preview(project, NOW)
    data = (project.root / "publish" / "calendar.ics").read_bytes()
    _, events = read(data)
    assert all(str(event["url"]).startswith("index.html#") for event in events.values())
    page = (project.root / "publish" / "index.html").read_text("utf-8")
    assert '<a href="calendar.ics" download>' in page
    assert b"file://" not in data and "file://" not in page and str(project.root) not in page


def test_base_url_from_config_and_the_command_line(project):
    config = project.root / "config.yml"
    config.write_text(config.read_text() + "preview:\n  base_url: https://brand.example/social/\n")
    result = CliRunner().invoke(cli, ["-C", str(project.root), "preview", "--at", "2026-10-20T12:00"])
    assert result.exit_code == 1, result.stderr  # the fixture's too-long post
    _, events = read((project.root / "publish" / "calendar.ics").read_bytes())
    assert all(str(e["url"]).startswith("https://brand.example/social/index.html#") for e in events.values())
    page = (project.root / "publish" / "index.html").read_text("utf-8")
    assert '<a href="https://brand.example/social/calendar.ics" download>' in page

    result = CliRunner().invoke(
        cli, ["-C", str(project.root), "calendar", "--base-url", "https://b.example/"]
    )
    assert result.exit_code == 0, result.stderr
    _, events = read((project.root / "publish" / "calendar.ics").read_bytes())
    assert all(str(e["url"]).startswith("https://b.example/index.html#") for e in events.values())


def test_preview_at_in_config_is_the_default_time(project):
    config = project.root / "config.yml"
    config.write_text(config.read_text() + "preview:\n  at: '2026-10-24T09:00'\n")
    result = CliRunner().invoke(cli, ["-C", str(project.root), "calendar", "-o", "-"])
    _, events = read(result.stdout_bytes)
    assert {str(e["dtstamp"].to_ical(), "ascii") for e in events.values()} == {"20261024T070000Z"}
    assert "url" not in next(iter(events.values()))  # standard output: no file to be relative to
    result = CliRunner().invoke(cli, ["-C", str(project.root), "calendar", "--at", "2026-10-26T12:00"])
    _, events = read((project.root / "publish" / "calendar.ics").read_bytes())
    assert {str(e["dtstamp"].to_ical(), "ascii") for e in events.values()} == {"20261026T110000Z"}
    assert str(next(iter(events.values()))["url"]).startswith("index.html#")
    result = CliRunner().invoke(cli, ["-C", str(project.root), "preview"])
    assert "statuses as of 2026-10-24T09:00, preview.at in config.yml" in result.stderr
    page = (project.root / "publish" / "index.html").read_text("utf-8")
    assert 'Statuses as of <time datetime="2026-10-24T09:00:00+02:00">' in page


# The views -------------------------------------------------------------------------------------------


def test_the_calendars_data_has_local_days_and_times_and_the_real_order(project):
    """What site.js draws the month and week views from (tests/test_browser.py draws them): the local
    day and time of each delivery, and the instant that orders them (the second 02:30 of the night
    clocks go back comes after 02:50 summer time)."""
    write_preview(project, NOW)
    data = index_data(project.root / "publish")
    assert data["months"] == [["2026-10", "October 2026"]] and data["today"] == "2026-10-20"
    assert data["weeks"] == [
        ["2026-10-19", "Week 43: 19 Oct – 25 Oct 2026"],
        ["2026-10-26", "Week 44: 26 Oct – 1 Nov 2026"],
    ]
    night = sorted(
        (entry for entry in data["entries"] if entry["date"] == "2026-10-25" and entry["account"] == "masto"),
        key=lambda entry: entry["t"],
    )
    assert [(e["key"], e["time"]) for e in night] == [
        ("2026-10-25-night.en/masto", "02:50"),
        ("2026-10-25-second.en/masto", "02:30"),
    ]
    draft = next(entry for entry in data["entries"] if entry["date"] == "2026-10-27")
    assert draft["status"] == "draft"


def test_the_feed_is_what_icalendar_writes_for_the_same_events(make_project):
    """calendar.ics writes its events itself (icalendar took 30 s for 5,000 posts): byte for byte what
    icalendar writes for them, folding included, with escapes and multi-byte text at every line end."""
    tricky = "Kites; wind, sand \\ back-slash ^caret " + "ñandú 風箏 🪁 " * 12 + "x" * 150 + "\\" * 99
    project = make_project(
        FILES + f"\n-- content/posts/2026-10-29-tricky.md --\n---\ntitle: {tricky}\n---\n{tricky}\n"
    )
    _, data = write_calendar(project, NOW, None, preview_url="https://example.com/index.html")
    calendar, events = read(data)
    assert data == calendar.to_ical()  # icalendar's own serialisation of what it parsed
    assert str(events["2026-10-29-tricky.en.masto@postwright"]["summary"]).startswith(tricky)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
