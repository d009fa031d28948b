"""when.py: dates as writers type them, in the brand's time zone, through loading and --date."""

from datetime import datetime

from postwright.config import load_config
from postwright.diagnostics import Span
from postwright.when import parse_when
from tests.test_load import MADRID, found, load


def test_daylight_saving_gap_and_fold(make_project):
    loaded = load(
        make_project(
            """
            -- content/posts/gap.md --
            ---
            date: 2026-03-29 02:30
            ---
            Text.
            -- content/posts/fold.md --
            ---
            date: 2026-10-25 02:30
            ---
            Text.
            """
        )
    )
    assert found(loaded) == [("fold.md", "PW203", 2), ("gap.md", "PW202", 2)]
    (fold,) = loaded.posts
    assert fold.publish_at.utcoffset().total_seconds() == 7200  # the first 02:30, still summer time


def test_date_formats_writers_type(make_project):
    config, _ = load_config(make_project())
    expected = {
        "2026-12-01": datetime(2026, 12, 1, 9, 0, tzinfo=MADRID),
        "2026-12-01 9:30": datetime(2026, 12, 1, 9, 30, tzinfo=MADRID),
        "2026-12-01T09:30:15": datetime(2026, 12, 1, 9, 30, 15, tzinfo=MADRID),
        "2026-12-01 09:30Z": datetime(2026, 12, 1, 10, 30, tzinfo=MADRID),
        "2026-12-01 09:30 +01:00": datetime(2026, 12, 1, 9, 30, tzinfo=MADRID),
        "2026-12-01 04:30-0400": datetime(2026, 12, 1, 9, 30, tzinfo=MADRID),
    }
    for text, when in expected.items():
        parsed, problems = parse_when(config, text, Span("x"))
        assert (parsed, problems) == (when, []), text
    for bad in ("2026-02-30", "2026-12-01 24:00", "next tuesday", "2026-12-01 09:61", "01.12.2026"):
        parsed, problems = parse_when(config, bad, Span("x"))
        assert parsed is None and [p.code for p in problems] == ["PW201"], bad
