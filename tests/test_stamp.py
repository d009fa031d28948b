"""The build stamp (postwright/cache/stamp.py) is read once per command, however many stages ask."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cache import stamp
from postwright.cli import cli

POST = """
-- content/posts/2026-12-01-0900-launch.md --
---
title: Launch
---
Kites for everyone.
"""


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """What was stat'ed and read: 'fingerprint' for every input stat'ed, 'stamp' for the stamp read."""
    seen: list[str] = []
    fingerprint_of, last_build = stamp.fingerprint_of, stamp._last_build
    monkeypatch.setattr(
        stamp, "fingerprint_of", lambda *args: seen.append("fingerprint") or fingerprint_of(*args)
    )
    monkeypatch.setattr(stamp, "_last_build", lambda *args: seen.append("stamp") or last_build(*args))
    return seen


@pytest.mark.parametrize("command", [["build"], ["preview", "--at", "2026-12-01T08:00"]])
def test_each_command_reads_the_stamp_once_when_building_and_when_nothing_changed(
    make_project, reads, command
):
    root = make_project(POST).root
    for state in ("fresh", "unchanged"):
        result = CliRunner().invoke(cli, ["-C", str(root), *command])
        assert result.exit_code == 0, result.output
        assert reads == ["fingerprint", "stamp"], state
        reads.clear()
    assert "up to date" in result.stderr or command[0] == "preview"


def test_a_stamp_read_by_the_caller_is_not_read_again(make_project, reads):
    project = make_project(POST)
    read = stamp.read(project, project.root / "publish")
    assert read.unchanged is None
    built = pipeline.build(project, stamp=read)
    assert reads == ["fingerprint", "stamp"] and not built.reused
    reads.clear()
    again = stamp.read(project, project.root / "publish")
    assert again.unchanged is not None and pipeline.build(project, stamp=again) is again.unchanged
    assert reads == ["fingerprint", "stamp"]
