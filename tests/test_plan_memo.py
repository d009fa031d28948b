"""plan's light memo (issue 22): thousands of upcoming jobs are checked from a light copy of the render
memo (first part only, no text facts), and plan answers exactly what it answers without any cache."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from postwright import cache, pipeline, render
from postwright.cache import memo
from postwright.project import Project

# day 8 repeats day 7's text on both accounts (PW414, an error, across two upcoming posts); day 9 has an
# image without alt text (PW412); day 6 is due, a thread on Bluesky (its whole variant is sent)
POSTS = (
    "".join(
        f"-- content/posts/2026-12-{day:02d}-0900-post-{day}.md --\n---\ntitle: Day {day}\n"
        + ("images: [{src: kite.png}]\n" if day == 9 else "")
        + "---\n"
        + f"Kites and wind on day {7 if day == 8 else day}. " * (7 * 4 if day == 8 else day * 4)
        + "\n"
        for day in range(1, 13)
    )
    + "-- assets/kite.png --\n40x30\n"
)
NOW = datetime(2026, 12, 6, 9, 5, tzinfo=ZoneInfo("Europe/Madrid"))


def _answer(planned: pipeline.Planned) -> tuple:
    return planned.items, planned.diagnostics, planned.variants


@pytest.fixture
def built(make_project, monkeypatch) -> Project:
    """The brand built, with plan taking its memo path from 3 jobs on (a big brand's thousands): the 2 due
    jobs are rendered, the 12 upcoming ones read from a memo."""
    project = make_project(POSTS)
    pipeline.build(project)
    monkeypatch.setattr(render, "RENDER_MEMO_FROM", 3)
    return project


def _cold(project: Project) -> pipeline.Planned:
    for cached in (cache.STAMP, cache.RENDER_MEMO, cache.POSTS_MEMO, cache.PLAN_MEMO):
        (project.root / cached).unlink(missing_ok=True)
    return pipeline.plan(project, NOW)


def test_plan_reads_the_render_memo_once_then_its_light_memo_and_answers_as_without_a_cache(
    built, monkeypatch
):
    read = []
    real_memo = memo.render_memo
    monkeypatch.setattr(memo, "render_memo", lambda *args: read.append(1) or real_memo(*args))
    first = pipeline.plan(built, NOW)
    assert read == [1] and (built.root / cache.PLAN_MEMO).is_file()
    second = pipeline.plan(built, NOW)
    assert read == [1]  # the light memo had every upcoming job
    cold = _cold(built)
    assert _answer(first) == _answer(second) == _answer(cold)
    blocked = {item.key: [problem.code for problem in item.problems] for item in cold.items if item.problems}
    assert blocked == {
        "2026-12-08-0900-post-8.en/masto": ["PW414"],
        "2026-12-08-0900-post-8.en/sky": ["PW414"],
        "2026-12-09-0900-post-9.en/masto": ["PW412"],
        "2026-12-09-0900-post-9.en/sky": ["PW412"],
    }
    thread = second.variants["2026-12-06-0900-post-6.en/sky"]
    assert len(thread.parts) > 1  # sent whole: not the light copy
    assert thread == cold.variants["2026-12-06-0900-post-6.en/sky"]


def test_a_light_memo_entry_holds_the_first_part_only_and_no_text_facts(built):
    pipeline.plan(built, NOW)
    light = memo.plan_memo(built, render.is_rendered_job)
    full = memo.render_memo(built, render.is_rendered_job)
    post = next(post for post in pipeline.load(built)[1].posts if post.id == "2026-12-07-0900-post-7")
    for key in memo.render_keys(post):
        kept, whole = light.get(key), full.get(key)
        assert kept.variant.parts == whole.variant.parts[:1] and kept.facts is None
        assert (kept.problems, kept.checked) == (whole.problems, whole.checked)


def test_an_edited_template_or_post_is_never_answered_from_the_light_memo(built):
    pipeline.plan(built, NOW)  # the light memo written
    template = built.root / "templates/mastodon.j2"
    template.parent.mkdir(exist_ok=True)
    template.write_text("{{ body }} {% if %}\n", encoding="utf-8")
    after = pipeline.plan(built, NOW)
    assert _answer(after) == _answer(_cold(built))
    assert all(item.status == "blocked" for item in after.items if item.account == "masto" and item.problems)
    assert any(item.status == "blocked" and item.key.endswith("post-12.en/masto") for item in after.items)
    template.unlink()
    pipeline.build(built)
    pipeline.plan(built, NOW)  # the light memo written again
    edited = built.root / "content/posts/2026-12-10-0900-post-10.md"
    edited.write_text(
        edited.read_text().replace("day 10.", "day ten, " + "and more " * 200), encoding="utf-8"
    )
    after = pipeline.plan(built, NOW)
    assert _answer(after) == _answer(_cold(built))
    assert [item.status for item in after.items if item.post_id == "2026-12-10-0900-post-10"] == [
        "blocked"
    ] * 2
