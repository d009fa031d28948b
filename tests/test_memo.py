"""A rebuild renders only the posts that changed, and its output is what a cold build writes."""

import pickle
import sys

import pytest

from postwright import load, pipeline, render
from postwright.project import Project
from tests.conftest import write_files

POSTS = "".join(
    f"-- content/posts/2026-12-{day:02d}-0900-post-{day}.md --\n---\ntitle: Day {day}\n---\n"
    + f"Kites and wind on day {day}. " * (day * 4)
    + "\n"
    for day in range(1, 13)
)


@pytest.fixture
def rendered(monkeypatch):
    """The (post id, account) pairs rendered, in order."""
    calls = []
    real = render.render

    def counting(post, account, config, templates):
        calls.append((post.id, account))
        return real(post, account, config, templates)

    monkeypatch.setattr(render, "render", counting)
    return calls


def files(folder):
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()
    }


def cold_build(project: Project, out):
    """What a fresh clone builds from the same inputs: no stamp, no memo, no index."""
    for cached in (pipeline.STAMP, pipeline.RENDER_MEMO, pipeline.POSTS_MEMO, pipeline.INDEX):
        (project.root / cached).unlink(missing_ok=True)
    return pipeline.build(project, out)


def test_editing_one_post_renders_only_that_post_and_builds_what_a_cold_build_builds(make_project, rendered):
    project = make_project(POSTS)
    pipeline.build(project)
    assert len(rendered) == 24  # 12 posts × 2 accounts of MINIMAL_CONFIG
    rendered.clear()
    post = project.root / "content/posts/2026-12-05-0900-post-5.md"
    post.write_text(post.read_text().replace("day 5.", "day five!"))
    built = pipeline.build(project)
    assert not built.reused
    assert {pid for pid, _ in rendered} == {"2026-12-05-0900-post-5"} and len(rendered) == 2
    assert (
        "day five!" in (project.root / "publish").joinpath(built.manifest["variants"][8]["path"]).read_text()
    )
    incremental = files(project.root / "publish")
    rendered.clear()
    cold_build(project, project.root / "cold")
    assert len(rendered) == 24
    assert files(project.root / "cold") == incremental


@pytest.mark.parametrize(
    ("path", "edit"),
    [
        ("config.yml", lambda text: text.replace("Test Brand", "Test Brand\n  signature: — Test", 1)),
        ("templates/mastodon.j2", lambda text: text + "{# nothing shown changes #}"),
    ],
)
def test_a_changed_template_or_config_renders_every_post_again(make_project, rendered, path, edit):
    project = make_project(POSTS + "-- templates/mastodon.j2 --\n{{ body }}\n")
    pipeline.build(project)
    rendered.clear()
    pipeline.build(project)
    assert rendered == []  # nothing changed: the stamp short-circuits
    target = project.root / path
    target.write_text(edit(target.read_text()))
    pipeline.build(project)
    assert len(rendered) == 24


def test_check_reads_the_last_builds_memo_but_never_writes_one(make_project, rendered):
    project = make_project(POSTS)
    pipeline.check(project)
    assert not (project.root / pipeline.RENDER_MEMO).exists() and len(rendered) == 24
    pipeline.build(project)
    rendered.clear()
    before = (project.root / pipeline.RENDER_MEMO).read_bytes()
    checked = pipeline.check(project)
    assert rendered == [] and len(checked.variants) == 24
    assert (project.root / pipeline.RENDER_MEMO).read_bytes() == before


class Planted:
    """Unpickling this would run a command: the memo's reader must refuse it."""

    def __reduce__(self):
        return (print, ("PLANTED CODE RAN",))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a pickle",
        pickle.dumps(Planted()),
        pickle.dumps({"inputs": 1, "entries": {"k": 2}}),
        b"\x80\x05",
    ],
)
@pytest.mark.parametrize("memo", [pipeline.RENDER_MEMO, pipeline.POSTS_MEMO])
def test_a_damaged_or_planted_memo_is_ignored(make_project, rendered, capsys, content, memo):
    project = make_project(POSTS)
    out = project.root / "publish"
    expected = files(out) if cold_build(project, out) and out.exists() else None
    rendered.clear()
    (project.root / pipeline.STAMP).unlink()
    (project.root / pipeline.RENDER_MEMO).unlink()  # so that every post is rendered, whichever memo is bad
    (project.root / memo).write_bytes(content)
    built = pipeline.build(project)
    assert built.diagnostics == () and len(rendered) == 24
    assert "PLANTED" not in capsys.readouterr().out
    assert files(out) == expected


def test_a_memo_with_entries_from_another_config_is_not_used(make_project, rendered):
    project = make_project(POSTS)
    pipeline.build(project)
    memo = project.root / pipeline.RENDER_MEMO
    saved = memo.read_bytes()
    config = project.root / "config.yml"
    config.write_text(config.read_text() + "\n# edited\n")
    pipeline.build(project)
    rendered.clear()
    memo.write_bytes(saved)  # the old memo, its inputs digest from the old config
    (project.root / pipeline.STAMP).unlink()
    pipeline.build(project)
    assert len(rendered) == 24


def test_partial_hits_and_parallel_misses_keep_the_order(make_project, rendered, monkeypatch):
    if sys.platform != "linux":
        pytest.skip("worker processes are forked on Linux only")
    project = make_project(POSTS)
    cold_build(project, project.root / "cold")
    for day in (2, 7, 11):
        post = project.root / f"content/posts/2026-12-{day:02d}-0900-post-{day}.md"
        post.write_text(post.read_text() + f"Edited on day {day}.\n")
    monkeypatch.setattr(pipeline, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    pipeline.build(project, project.root / "cold")
    incremental = files(project.root / "cold")
    monkeypatch.setattr(pipeline, "PARALLEL_FROM", 10**9)
    cold_build(project, project.root / "again")
    assert files(project.root / "again") == incremental


@pytest.mark.parametrize("content", [b"", b"[1, 2]", b'{"output": 3}', b'{"files": []}', b"\xff"])
def test_a_damaged_publish_index_makes_the_build_compare_files_on_disk(make_project, content):
    project = make_project(POSTS)
    out = project.root / "publish"
    pipeline.build(project)
    expected = files(out)
    (out / "2026-12-05-0900-post-5.en/masto/part-1.txt").write_text("tampered")
    (project.root / pipeline.STAMP).unlink()
    (project.root / pipeline.INDEX).write_bytes(content)
    pipeline.build(project)
    assert files(out) == expected


@pytest.fixture
def parsed(monkeypatch):
    """The post files read and parsed, by name."""
    calls = []
    real = load._parse_file

    def counting(project, path):
        calls.append(path.name)
        return real(project, path)

    monkeypatch.setattr(load, "_parse_file", counting)
    return calls


def test_a_rebuild_reads_only_the_post_files_that_changed(make_project, parsed):
    project = make_project(POSTS + "-- content/posts/broken.md --\n---\ntitle: [unclosed\n---\nBody\n")
    first = pipeline.build(project)
    assert len(parsed) == 13
    assert [d.span.path for d in first.diagnostics] == ["content/posts/broken.md"]
    parsed.clear()
    post = project.root / "content/posts/2026-12-03-0900-post-3.md"
    post.write_text(post.read_text().replace("title: Day 3", "title: Day three"))
    again = pipeline.build(project)
    assert parsed == ["2026-12-03-0900-post-3.md"]
    assert again.diagnostics == first.diagnostics != ()  # the broken file's problem, remembered
    incremental = files(project.root / "publish")
    cold = cold_build(project, project.root / "cold")
    assert files(project.root / "cold") == incremental and cold.diagnostics == again.diagnostics


def test_a_language_variant_follows_its_siblings_new_date_though_its_own_file_is_unchanged(
    make_project, parsed
):
    project = make_project(
        """
        -- config.yml --
        brand: {name: Test Brand, timezone: Europe/Madrid, platforms: [mastodon]}
        accounts:
          masto: {platform: mastodon, language: en}
          masto_es: {platform: mastodon, language: es}
        -- content/posts/launch.md --
        ---
        title: Launch
        date: 2026-12-01 09:00
        ---
        We launch today.
        -- content/posts/launch.es.md --
        ---
        title: Lanzamiento
        ---
        Hoy lanzamos.
        """
    )
    pipeline.build(project)
    dated = project.root / "content/posts/launch.md"
    dated.write_text(dated.read_text().replace("2026-12-01", "2026-12-09"))
    built = pipeline.build(project)
    times = {entry["key"]: entry["publish_at"] for entry in built.manifest["variants"]}
    assert all(at.startswith("2026-12-09") for at in times.values()) and len(times) >= 2, times
    assert any(".es/" in key for key in times), times
    incremental = files(project.root / "publish")
    cold_build(project, project.root / "cold")
    assert files(project.root / "cold") == incremental


def test_adding_the_missing_image_clears_the_posts_problem(make_project):
    project = make_project(
        """
        -- content/posts/2026-12-01-photo.md --
        ---
        title: Photo
        images: [{src: kite.png, alt: A red kite}]
        ---
        Look at this kite.
        """
    )
    first = pipeline.build(project)
    assert [d.code for d in first.diagnostics] == ["PW300"]
    write_files(project.root, "-- assets/kite.png --\n64x64\n")
    assert [d.code for d in pipeline.build(project).diagnostics] == []
