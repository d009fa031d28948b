"""Where people wait (issue 22): plan, publish and check read only what changed since the last build,
also from a fresh checkout with a restored .postwright-cache/, and answer what a cold run answers."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from postwright import load, pipeline
from postwright.project import Project

POSTS = "".join(
    f"-- content/posts/2026-12-{day:02d}-0900-post-{day}.md --\n---\ntitle: Day {day}\n---\n"
    + f"Kites and wind on day {day}. " * (day * 4)
    + "\n"
    for day in range(1, 13)
)
NOW = datetime(2026, 12, 6, 9, 5, tzinfo=ZoneInfo("Europe/Madrid"))


@pytest.fixture
def parsed(monkeypatch):
    """The post files parsed, by name."""
    calls = []
    real = load._parse_file

    def counting(project, path):
        calls.append(path.name)
        return real(project, path)

    monkeypatch.setattr(load, "_parse_file", counting)
    return calls


def _forget(project: Project) -> None:
    for cached in (pipeline.STAMP, pipeline.RENDER_MEMO, pipeline.POSTS_MEMO, pipeline.INDEX):
        (project.root / cached).unlink(missing_ok=True)


def test_a_fresh_checkout_with_a_restored_cache_parses_only_the_changed_post(make_project, parsed):
    project = make_project(POSTS)
    pipeline.build(project)
    # as CI has it: every file checked out anew (new times and inodes), .postwright-cache/ restored
    for path in sorted((project.root / "content").rglob("*.md")):
        content = path.read_bytes()
        path.unlink()
        path.write_bytes(content)
    edited = project.root / "content/posts/2026-12-03-0900-post-3.md"
    edited.write_text(edited.read_text().replace("day 3.", "day three."))
    parsed.clear()
    checked = pipeline.check(project)
    assert parsed == [edited.name]
    _forget(project)
    cold = pipeline.check(project)
    assert checked.diagnostics == cold.diagnostics and checked.variants == cold.variants


def test_plan_and_publish_parse_no_post_the_last_build_read(make_project, parsed):
    project = make_project(POSTS)
    pipeline.build(project)
    parsed.clear()
    planned = pipeline.plan(project, NOW)
    published = pipeline.publish(project, NOW, dry_run=True)
    assert parsed == []
    assert [job.variant.key for job in published.jobs] == [
        "2026-12-06-0900-post-6.en/masto",
        "2026-12-06-0900-post-6.en/sky",
    ]
    _forget(project)
    cold = pipeline.plan(project, NOW)
    assert len(parsed) == 12  # without the memo every file is read
    assert (planned.items, planned.diagnostics, planned.variants) == (
        cold.items,
        cold.diagnostics,
        cold.variants,
    )
