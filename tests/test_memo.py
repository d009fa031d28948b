"""A rebuild renders only the posts that changed, and its output is what a cold build writes."""

import os
import pickle
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import postwright
from postwright import cache, pipeline, render, workers, write
from postwright.cache import stamp
from postwright.cache.memo import Memo
from postwright.project import Project
from tests.conftest import write_files

POSTS = "".join(
    f"-- content/posts/2026-12-{day:02d}-0900-post-{day}.md --\n---\ntitle: Day {day}\n---\n"
    + f"Kites and wind on day {day}. " * (day * 4)
    + "\n"
    for day in range(1, 13)
)


BILINGUAL = """\
-- config.yml --
brand: {name: Test Brand, timezone: Europe/Madrid, platforms: [mastodon]}
accounts:
  masto: {platform: mastodon, language: en}
  masto_es: {platform: mastodon, language: es}
"""
LAUNCH = """\
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
"""  # an undated Spanish variant takes its English sibling's date


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
    for cached in (cache.STAMP, cache.RENDER_MEMO, cache.POSTS_MEMO, cache.INDEX, cache.DOCUMENTS_MEMO):
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
    assert not (project.root / cache.RENDER_MEMO).exists() and len(rendered) == 24
    pipeline.build(project)
    rendered.clear()
    before = (project.root / cache.RENDER_MEMO).read_bytes()
    checked = pipeline.check(project)
    assert rendered == [] and len(checked.variants) == 24
    assert (project.root / cache.RENDER_MEMO).read_bytes() == before


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
        pickle.dumps("another digest") + pickle.dumps({"k": 2}),
        b"\x80\x05",
    ],
)
@pytest.mark.parametrize("memo", [cache.RENDER_MEMO, cache.POSTS_MEMO])
def test_a_damaged_or_planted_memo_is_ignored(make_project, rendered, capsys, content, memo):
    project = make_project(POSTS)
    out = project.root / "publish"
    expected = files(out) if cold_build(project, out) and out.exists() else None
    rendered.clear()
    (project.root / cache.STAMP).unlink()
    (project.root / cache.RENDER_MEMO).unlink()  # so that every post is rendered, whichever memo is bad
    (project.root / memo).write_bytes(content)
    built = pipeline.build(project)
    assert built.diagnostics == () and len(rendered) == 24
    assert "PLANTED" not in capsys.readouterr().out
    assert files(out) == expected


def test_a_memo_with_entries_from_another_config_is_not_used(make_project, rendered):
    project = make_project(POSTS)
    pipeline.build(project)
    memo = project.root / cache.RENDER_MEMO
    saved = memo.read_bytes()
    config = project.root / "config.yml"
    config.write_text(config.read_text() + "\n# edited\n")
    pipeline.build(project)
    rendered.clear()
    memo.write_bytes(saved)  # the old memo, its inputs digest from the old config
    (project.root / cache.STAMP).unlink()
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
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    pipeline.build(project, project.root / "cold")
    incremental = files(project.root / "cold")
    monkeypatch.setattr(workers, "PARALLEL_FROM", 10**9)
    cold_build(project, project.root / "again")
    assert files(project.root / "again") == incremental


@pytest.mark.parametrize("content", [b"", b"[1, 2]", b'{"output": 3}', b'{"files": []}', b"\xff"])
def test_a_damaged_publish_index_makes_the_build_compare_files_on_disk(make_project, content):
    project = make_project(POSTS)
    out = project.root / "publish"
    pipeline.build(project)
    expected = files(out)
    (out / "posts/2026-12-05-0900-post-5.en.json").write_text("tampered")
    (project.root / cache.STAMP).unlink()
    (project.root / cache.INDEX).write_bytes(content)
    pipeline.build(project)
    assert files(out) == expected


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
    project = make_project(BILINGUAL + LAUNCH)
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


def incremental_equals_cold(project):
    """Build with the memos, then cold into another folder: the same tree and the same problems."""
    (project.root / cache.STAMP).unlink(missing_ok=True)
    warm = pipeline.build(project)
    cold = cold_build(project, project.root / "cold")
    assert files(project.root / "publish") == files(project.root / "cold")
    assert warm.diagnostics == cold.diagnostics
    return warm


def test_a_template_in_a_symlinked_folder_is_part_of_the_render_memos_inputs(make_project, tmp_path):
    project = make_project(
        POSTS
        + "-- templates/mastodon.j2 --\n{{ body }}\n{% include 'partials/footer.j2' %}\n"
        + "-- shared/footer.j2 --\nFOOTER v1\n"
    )
    (project.root / "templates/partials").symlink_to(project.root / "shared", target_is_directory=True)
    pipeline.build(project)
    (project.root / "shared/footer.j2").write_text("FOOTER v2\n")
    incremental_equals_cold(project)
    assert "FOOTER v2" in (project.root / "publish/posts/2026-12-01-0900-post-1.en.json").read_text()


def test_retargeting_an_asset_symlink_outside_assets_is_caught_on_a_rebuild(make_project, tmp_path):
    project = make_project(
        """
        -- content/posts/2026-12-01-photo.md --
        ---
        title: Photo
        images: [{src: kite.png, alt: A red kite}]
        ---
        Look at this kite.
        -- assets/real/kite.png --
        64x64
        -- outside/kite.png --
        64x64
        """
    )
    link = project.root / "assets/kite.png"
    link.symlink_to(project.root / "assets/real/kite.png")
    assert pipeline.build(project).diagnostics == ()
    link.unlink()
    link.symlink_to(project.root / "outside/kite.png")
    assert [d.code for d in pipeline.build(project).diagnostics] == ["PW301"]  # the stamp sees it too
    assert [d.code for d in incremental_equals_cold(project).diagnostics] == ["PW301"]


def test_an_edit_that_keeps_size_and_mtime_is_still_read(make_project):
    project = make_project(POSTS)
    pipeline.build(project)
    post = project.root / "content/posts/2026-12-04-0900-post-4.md"
    before = post.stat()
    post.write_text(post.read_text().replace("day 4.", "day 8."))  # same size
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))  # as cp -p or rsync -t leave it
    assert post.stat().st_size == before.st_size and post.stat().st_mtime_ns == before.st_mtime_ns
    incremental_equals_cold(project)
    assert "day 8." in (project.root / "publish/posts/2026-12-04-0900-post-4.en.json").read_text()


def test_an_upgraded_dependency_renders_everything_again(make_project, rendered, monkeypatch):
    project = make_project(POSTS)
    pipeline.build(project)
    rendered.clear()
    monkeypatch.setattr(stamp, "version", lambda name: "99.0" if name == "markdown" else "1.0")
    stamp.code_fingerprint.cache_clear()
    try:
        (project.root / cache.STAMP).unlink()
        pipeline.build(project)
    finally:
        stamp.code_fingerprint.cache_clear()
    assert len(rendered) == 24


def test_a_fresh_install_of_the_same_code_reuses_the_cache_and_a_changed_file_does_not(
    make_project, rendered, monkeypatch, tmp_path
):
    """CI installs postwright afresh on every run (new mtimes and inodes): a restored .postwright-cache/
    must still answer, and a postwright file with other bytes (even of the same size) must not."""
    project = make_project(POSTS)
    pipeline.build(project)
    installed = shutil.copytree(
        Path(postwright.__file__).parent, tmp_path / "site-packages" / "postwright", ignore=_COMPILED
    )
    for path in installed.rglob("*"):
        os.utime(path)  # installed now
    try:
        monkeypatch.setattr(postwright, "__file__", str(installed / "__init__.py"))
        stamp.code_fingerprint.cache_clear()
        assert pipeline.build(project).reused
        (project.root / cache.STAMP).unlink()
        rendered.clear()
        assert not pipeline.build(project).reused and rendered == []  # the render memo answered
        edited = installed / "write.py"
        edited.write_bytes(edited.read_bytes().replace(b"0o666", b"0o644", 1))
        os.utime(edited, (0, 0))
        stamp.code_fingerprint.cache_clear()
        assert not pipeline.build(project).reused and len(rendered) == 24
    finally:
        monkeypatch.undo()
        stamp.code_fingerprint.cache_clear()


_COMPILED = shutil.ignore_patterns("__pycache__")


def test_inputs_that_change_during_a_build_are_not_remembered(tmp_path):
    digests = iter(["before", "after"])
    memo = Memo(tmp_path / "m.pickle", lambda: next(digests), lambda entry: True)
    memo.put("key", "value")
    memo.save()
    assert not (tmp_path / "m.pickle").exists()


def test_saves_at_once_or_where_nothing_can_be_written_never_fail(tmp_path):
    def save(_):
        memo = Memo(tmp_path / "m.pickle", lambda: "digest", lambda entry: True)
        memo.put("key", "value")
        memo.save()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(save, range(200)))
    assert Memo(tmp_path / "m.pickle", lambda: "digest", lambda entry: True).get("key") == "value"
    assert [p.name for p in tmp_path.iterdir()] == ["m.pickle"]  # no partial file left
    (tmp_path / "file").write_text("not a folder")
    blocked = Memo(tmp_path / "file" / "m.pickle", lambda: "digest", lambda entry: True)
    blocked.put("key", "value")
    blocked.save()


@pytest.mark.parametrize("wrong", ["numbers", "planted"])
@pytest.mark.parametrize("memo", [cache.RENDER_MEMO, cache.POSTS_MEMO])
def test_entries_of_the_wrong_shape_after_the_right_digest_are_misses(make_project, capsys, memo, wrong):
    project = make_project(POSTS)
    pipeline.build(project)
    path = project.root / memo
    with path.open("rb") as handle:
        digest, entries = pickle.load(handle), pickle.load(handle)  # two pickles, one after the other
    replaced = {key: 42 for key in entries} if wrong == "numbers" else Planted()
    path.write_bytes(pickle.dumps(digest) + pickle.dumps(replaced))
    incremental_equals_cold(project)
    assert "PLANTED" not in capsys.readouterr().out


def test_a_variant_resolved_again_is_remembered(make_project, parsed):
    project = make_project(
        BILINGUAL + LAUNCH + "-- content/posts/other.md --\n---\ndate: 2026-12-02 09:00\n---\nAnother post.\n"
    )
    pipeline.build(project)
    dated = project.root / "content/posts/launch.md"
    dated.write_text(dated.read_text().replace("2026-12-01", "2026-12-09"))
    parsed.clear()
    pipeline.build(project)
    assert sorted(parsed) == ["launch.es.md", "launch.md"]  # the variant, again for its sibling's date
    parsed.clear()
    other = project.root / "content/posts/other.md"
    other.write_text(other.read_text() + "More.\n")
    pipeline.build(project)
    assert parsed == ["other.md"]


def test_reading_in_worker_processes_gives_what_one_process_gives(make_project, monkeypatch):
    if sys.platform != "linux":
        pytest.skip("worker processes are forked on Linux only")
    siblings = "".join(  # undated variants whose dated sibling may be read by another worker
        f"-- content/posts/launch-{n}.md --\n---\ndate: 2026-12-{n + 1:02d} 09:00\n---\nLaunch {n}.\n"
        f"-- content/posts/launch-{n}.es.md --\n---\ntitle: Lanzamiento {n}\n---\nLanzamiento {n}.\n"
        for n in range(9)
    )
    twin = "-- content/posts/2026-12-05-0900-post-5.es.md --\n---\n---\nGemelo.\n"  # dated by its name
    broken = "-- content/posts/broken.md --\n---\ntitle: [unclosed\n---\nBody\n"
    another = (
        "-- content/posts/another.md --\n---\ndate: 2026-12-20 09:00\n---\nAnother.\n"  # pairs cross slices
    )
    project = make_project(BILINGUAL + POSTS + twin + siblings + broken + another)
    serial = pipeline.load(project)
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    parallel = pipeline.load(project)
    assert len(parallel[1].posts) == len(serial[1].posts) == 32
    assert parallel[1] == serial[1] and parallel[2] == serial[2] != []
    assert {post.publish_at.day for post in parallel[1].posts if post.id.startswith("launch-")} == set(
        range(1, 10)
    )


def test_an_edit_appends_its_changes_and_the_next_build_reads_them(make_project, rendered):
    project = make_project(POSTS)
    pipeline.build(project)
    memo = project.root / cache.RENDER_MEMO
    whole = memo.read_bytes()
    post = project.root / "content/posts/2026-12-05-0900-post-5.md"
    post.write_text(post.read_text().replace("day 5.", "day five!"))
    pipeline.build(project)
    appended = memo.read_bytes()
    assert appended.startswith(whole) and len(appended) > len(whole)  # not rewritten
    rendered.clear()
    (project.root / cache.STAMP).unlink()
    pipeline.build(project)
    assert rendered == []  # the edited post's variants were found in the appended change
    cold_build(project, project.root / "cold")
    assert files(project.root / "publish") == files(project.root / "cold")


@pytest.mark.parametrize("change", ["other digest", "torn"])
def test_an_appended_change_from_other_inputs_or_cut_short_is_never_applied(tmp_path, change):
    path = tmp_path / "m.pickle"
    memo = Memo(path, lambda: "digest", lambda entry: True)
    for key in "abcdefgh":
        memo.put(key, f"first {key}")
    memo.save()
    if change == "other digest":  # a build under other inputs appended to this file at the same time
        path.write_bytes(path.read_bytes() + pickle.dumps(("another digest", {"a": "stale"}, ("b",))))
        again = Memo(path, lambda: "digest", lambda entry: True)
        assert (again.get("a"), again.get("b")) == ("first a", "first b")
    else:  # a change cut short: the memo is not trusted at all
        path.write_bytes(path.read_bytes() + pickle.dumps(("digest", {"a": "new"}, ()))[:-3])
        assert Memo(path, lambda: "digest", lambda entry: True).get("a") is None


def test_changes_that_outweigh_the_memo_rewrite_it_with_this_runs_entries_only(tmp_path):
    path = tmp_path / "m.pickle"
    memo = Memo(path, lambda: "digest", lambda entry: True)
    for key in range(20):
        memo.put(str(key), key)
    memo.save()
    for run in range(12):  # each run replaces one entry: appended while small
        memo = Memo(path, lambda: "digest", lambda entry: True)
        for key in range(20):
            memo.get(str(key))
        memo.put(str(run), -run)
        assert not memo.rewrites() or run > 0
        memo.save()
    memo = Memo(path, lambda: "digest", lambda entry: True)
    assert [memo.get(str(key)) for key in range(20)] == [-key for key in range(12)] + list(range(12, 20))
    compact = pickle.dumps("digest") + pickle.dumps({str(key): key for key in range(20)})
    assert len(path.read_bytes()) < 2 * len(compact)  # rewritten when the changes grew


def test_a_rebuild_makes_only_the_documents_whose_post_or_problems_changed(make_project, monkeypatch):
    project = make_project(POSTS)
    pipeline.build(project)
    made = []
    real = write._post_json
    monkeypatch.setattr(
        write, "_post_json", lambda variant, *rest: made.append(variant.key) or real(variant, *rest)
    )
    post = project.root / "content/posts/2026-12-05-0900-post-5.md"
    post.write_text(post.read_text().replace("day 5.", "day five!"))
    pipeline.build(project)
    assert {key.split("/")[0] for key in made} == {"2026-12-05-0900-post-5.en"} and len(made) == 2
    # another file taking post 7's id: both files' documents change, whatever the memos say
    (project.root / "content/posts/2026-12-20-copy.md").write_text(
        "---\nid: 2026-12-07-0900-post-7\n---\nA copy.\n"
    )
    incremental_equals_cold(project)
    (project.root / "content/posts/2026-12-20-copy.md").unlink()
    incremental_equals_cold(project)


@pytest.mark.parametrize("damaged", [False, True])
def test_a_build_into_an_empty_folder_with_the_cache_kept_makes_no_document_again(
    make_project, monkeypatch, damaged
):
    """A fresh checkout with .postwright-cache/ restored writes the remembered documents; one whose bytes
    do not match their hash is made again, never written as it was remembered."""
    project = make_project(POSTS)
    cold_build(project, project.root / "cold")
    shutil.rmtree(project.root / "cold")
    memo = project.root / cache.DOCUMENTS_MEMO
    if damaged:
        memo.write_bytes(memo.read_bytes().replace(b"day 5.", b"day 6."))
    made = []
    real = write._post_json
    monkeypatch.setattr(
        write, "_post_json", lambda variant, *rest: made.append(variant.key) or real(variant, *rest)
    )
    (project.root / cache.STAMP).unlink()
    pipeline.build(project, project.root / "cold")
    assert len(made) == (2 if damaged else 0)
    warm = files(project.root / "cold")
    cold_build(project, project.root / "again")
    assert files(project.root / "again") == warm
