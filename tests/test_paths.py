"""Where people wait (issue 22): plan, publish and check read only what changed since the last build,
also from a fresh checkout with a restored .postwright-cache/, and answer what a cold run answers."""

from datetime import datetime
from zoneinfo import ZoneInfo

from postwright import cache, load, pipeline, render, status
from postwright.cache import memo
from postwright.project import Project

POSTS = "".join(
    f"-- content/posts/2026-12-{day:02d}-0900-post-{day}.md --\n---\ntitle: Day {day}\n---\n"
    + f"Kites and wind on day {day}. " * (day * 4)
    + "\n"
    for day in range(1, 13)
)
NOW = datetime(2026, 12, 6, 9, 5, tzinfo=ZoneInfo("Europe/Madrid"))


def _forget(project: Project) -> None:
    for cached in (cache.STAMP, cache.RENDER_MEMO, cache.POSTS_MEMO, cache.INDEX):
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


def test_publish_with_a_few_due_renders_them_without_reading_the_render_memo(make_project, monkeypatch):
    project = make_project(POSTS)
    pipeline.build(project)
    plans = []
    real_plan = status.plan
    monkeypatch.setattr(status, "plan", lambda *args, **kwargs: plans.append(1) or real_plan(*args, **kwargs))
    read = []
    real_memo = memo.render_memo
    monkeypatch.setattr(memo, "render_memo", lambda *args: read.append(1) or real_memo(*args))
    published = pipeline.publish(project, NOW, dry_run=True)
    assert len(published.jobs) == 2 and read == []  # 2 due jobs: rendered sooner than a memo is read
    assert plans == [1]  # each job's status worked out once, then the ones with errors blocked
    monkeypatch.setattr(render, "RENDER_MEMO_FROM", 2)
    assert pipeline.publish(project, NOW, dry_run=True).jobs == published.jobs and read == [1]


def test_post_files_are_the_markdown_files_rglob_finds_in_the_same_order(make_project):
    project = make_project(
        """
        -- content/a/b.md --
        -- content/a-b/c.md --
        -- content/a.md --
        -- content/A.md --
        -- content/notes.MD --
        -- content/_drafts/x.md --
        -- content/.hidden/y.md --
        -- content/posts/_partial.md --
        -- content/posts/.swap.md --
        -- content/posts/z/deep/2026-12-01-one.md --
        -- outside/linked.md --
        """
    )
    (project.root / "content/folder.md").mkdir()
    (project.root / "content/linked-folder").symlink_to(project.root / "outside")
    (project.root / "content/linked.md").symlink_to(project.root / "outside/linked.md")
    content = project.content_dir
    expected = sorted(
        path
        for path in content.rglob("*.md")
        if path.is_file() and not any(part.startswith((".", "_")) for part in path.relative_to(content).parts)
    )
    assert load.post_files(project) == expected
    assert [load._relative(project, path) for path in expected] == [
        "content/A.md",
        "content/a/b.md",  # by path parts: "a" before "a-b" before "a.md"
        "content/a-b/c.md",
        "content/a.md",
        "content/linked.md",
        "content/posts/z/deep/2026-12-01-one.md",
    ]


def test_the_posts_memo_keeps_each_posts_render_keys(make_project, monkeypatch):
    project = make_project(POSTS)
    pipeline.build(project)
    hashed = []
    real = render.render_keys
    monkeypatch.setattr(render, "render_keys", lambda post: hashed.append(post.id) or real(post))
    checked = pipeline.check(project)
    assert hashed == [] and len(checked.variants) == 24  # every variant found by the keys load kept
    assert dict(checked.loaded.render_keys) == {
        post.source: tuple(real(post)) for post in checked.loaded.posts
    }
