import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from postwright import cache, pipeline, workers, write
from postwright.cli import cli
from postwright.project import Project
from tests.conftest import REPO


def tree(root):
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """A copy of the example brand, so builds never write into the repository."""
    copy = tmp_path_factory.mktemp("example")
    for name in ("config.yml", "content", "templates", "assets"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, copy / name)
    return copy


def test_example_brand_builds_byte_identically_twice(example, tmp_path):
    copy = example
    first = tmp_path / "one"
    second = tmp_path / "two"
    built = pipeline.build(Project(copy), first)
    pipeline.build(Project(copy), second)
    assert built.diagnostics == () and not built.reused
    assert tree(first) == tree(second)
    assert len(built.manifest["variants"]) == len(pipeline.check(Project(copy)).variants)
    assert (first / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()


def test_post_json_has_what_the_publisher_needs(example, tmp_path):
    out = tmp_path / "out"
    manifest = pipeline.build(Project(example), out).manifest
    for entry in manifest["variants"]:
        document = json.loads((out / entry["path"]).read_text(encoding="utf-8"))[entry["account"]]
        assert {
            "post_id",
            "account",
            "platform",
            "publish_at",
            "parts",
            "lang",
            "link",
            "media",
            "content_hash",
        } <= set(document)
        assert document["publish_at"][-6] in "+-"  # ISO 8601 with an offset
        assert entry["path"] == f"posts/{entry['post_id']}.{entry['lang']}.json" and document["parts"]
        for media in document["media"]:
            data = (out / media["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == media["sha256"] and len(data) == media["bytes"]
            assert media["width"] > 0 and media["alt"]
        if document["platform"] == "bluesky":
            for part, facets in zip(document["parts"], document["facets"], strict=True):
                for facet in facets:
                    piece = part.encode()[facet["byteStart"] : facet["byteEnd"]].decode()
                    assert piece.lstrip("#@") in facet["value"] or facet["value"].endswith(piece)

    posts = {path.relative_to(out).as_posix() for path in out.glob("posts/*")}
    assert posts == {entry["path"] for entry in manifest["variants"]}  # one file per post, nothing else
    assert {path.name for path in out.iterdir()} == {"manifest.json", "posts", "media", "brand"}


def test_build_command_replaces_the_output_and_reports(example, tmp_path):
    out = tmp_path / "publish"
    (out / "stale").mkdir(parents=True)
    result = CliRunner().invoke(cli, ["-C", str(example), "build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "built: " in result.stderr and "0 errors" in result.stderr
    assert not (out / "stale").exists() and (out / "manifest.json").is_file()
    assert not list(out.rglob(".*.tmp"))  # no temporary files left behind


def test_a_build_into_an_empty_folder_creates_what_a_build_into_an_existing_one_leaves(
    example, tmp_path, monkeypatch
):
    """A fresh checkout has no publish/: nothing there to read back, compare or sweep, and the same bytes
    (and mtimes) as a build into a folder holding an earlier, damaged build."""
    project = Project(example)
    existing = tmp_path / "existing"
    pipeline.build(project, existing)
    (existing / "stale" / "old.txt").parent.mkdir()
    (existing / "stale" / "old.txt").write_text("old")
    next(existing.glob("posts/*.json")).write_text("damaged")
    for remembered in (cache.STAMP, cache.INDEX):
        (example / remembered).unlink()
    pipeline.build(project, existing)  # compares every file, rewrites the damaged one, sweeps the rest

    def unexpected(*_args):
        raise AssertionError("a build into an empty folder read or swept it")

    for name in ("_holds", "_update", "_listing"):
        monkeypatch.setattr(write, name, unexpected)
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "missing"):
        (example / cache.STAMP).unlink()
        pipeline.build(project, folder)
        assert tree(folder) == tree(existing)
        assert all(path.stat().st_mtime == 0 for path in folder.rglob("*") if path.is_file())


def test_a_build_into_an_empty_folder_cut_short_is_completed_by_the_next(example, tmp_path, monkeypatch):
    project = Project(example)
    expected = tmp_path / "expected"
    pipeline.build(project, expected)
    real = write._create
    written = []

    def failing(path, data):
        if len(written) == 20:
            raise OSError(28, "No space left on device")
        written.append(path)
        real(path, data)

    monkeypatch.setattr(write, "_create", failing)
    out = tmp_path / "out"
    (example / cache.STAMP).unlink()
    with pytest.raises(OSError):
        pipeline.build(project, out)
    assert not (out / "manifest.json").exists()  # the publish step finds no half-built tree to use
    monkeypatch.setattr(write, "_create", real)
    Path(written[-1]).write_bytes(b"half a fi")
    assert not pipeline.build(project, out).reused
    assert tree(out) == tree(expected)


def test_rebuild_with_no_change_reuses_and_a_change_rebuilds(make_project):
    project = make_project("-- content/posts/2026-12-01-a.md --\n---\nplatforms: [mastodon]\n---\nOne.\n")
    out = project.root / "publish"
    first = pipeline.build(project, out)
    assert not first.reused and len(first.manifest["variants"]) == 1
    post = out / "posts" / "2026-12-01-a.en.json"
    assert json.loads(post.read_text())["masto"]["parts"] == ["One."]
    again = pipeline.build(project, out)
    assert again.reused and again.manifest == first.manifest
    (project.root / "content/posts/2026-12-01-a.md").write_text(
        "---\nplatforms: [mastodon]\n---\nTwo, longer.\n"
    )
    changed = pipeline.build(project, out)
    assert not changed.reused and json.loads(post.read_text())["masto"]["parts"] == ["Two, longer."]
    assert not (out / ".postwright-build.json").exists()  # the stamp lives outside publish/


def test_new_and_rewritten_files_alike_have_stable_times_and_no_leftovers(make_project):
    """Files rewritten in an existing publish/ and files written into a new folder end with the same
    bytes, the mtime 0 (so archives of publish/ are identical) and no temporary file left behind."""
    project = make_project(
        "-- content/posts/2026-12-01-a.md --\n---\nplatforms: [mastodon, bluesky]\n---\nOne.\n"
    )
    out = project.root / "publish"
    pipeline.build(project, out)
    (project.root / "content/posts/2026-12-01-a.md").write_text(
        "---\nplatforms: [mastodon, bluesky]\n---\nTwo.\n"
    )
    (project.root / "content/posts/2026-12-02-b.md").write_text("---\nplatforms: [mastodon]\n---\nNew.\n")
    pipeline.build(project, out)  # rewrites a's files in place, creates b's folders
    (project.root / cache.INDEX).unlink()
    pipeline.build(project, project.root / "fresh")  # into a new, empty folder
    files = sorted(path for path in out.rglob("*") if path.is_file())
    assert [path.relative_to(out).as_posix() for path in files] == [
        path.relative_to(project.root / "fresh").as_posix()
        for path in sorted((project.root / "fresh").rglob("*"))
        if path.is_file()
    ]
    assert tree(out) == tree(project.root / "fresh")
    assert json.loads((out / "posts/2026-12-01-a.en.json").read_text())["masto"]["parts"] == ["Two."]
    assert json.loads((out / "posts/2026-12-02-b.en.json").read_text())["masto"]["parts"] == ["New."]
    for folder in (out, project.root / "fresh"):
        for path in folder.rglob("*"):
            assert not path.name.endswith(".tmp"), path
            if path.is_file():
                assert path.stat().st_mtime == 0, path


def test_a_deleted_post_disappears_from_publish(make_project):
    project = make_project(
        "-- content/posts/2026-12-01-a.md --\n---\nplatforms: [mastodon]\n---\nOne.\n"
        "-- content/posts/2026-12-02-b.md --\n---\nplatforms: [mastodon]\n---\nTwo.\n"
    )
    out = project.root / "publish"
    pipeline.build(project, out)
    (project.root / "content/posts/2026-12-02-b.md").unlink()
    built = pipeline.build(project, out)
    assert [entry["post_id"] for entry in built.manifest["variants"]] == ["2026-12-01-a"]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "posts"]
    assert [p.name for p in (out / "posts").iterdir()] == ["2026-12-01-a.en.json"]


def test_a_broken_image_is_located_and_the_other_posts_still_build(make_project):
    project = make_project(
        "-- assets/good.jpg --\n40x30\n"
        "-- content/posts/2026-12-01-a.md --\n---\nplatforms: [mastodon]\nimages:\n  - src: good.jpg\n"
        "    alt: A square\n---\nGood.\n"
        "-- content/posts/2026-12-02-b.md --\n---\nplatforms: [mastodon]\nimages:\n  - src: bad.jpg\n"
        "    alt: Broken\n---\nBad.\n"
    )
    good = (project.root / "assets/good.jpg").read_bytes()
    (project.root / "assets/bad.jpg").write_bytes(good[: len(good) // 2])  # a truncated JPEG
    built = pipeline.build(project, project.root / "publish")
    assert [(d.code, d.span.path, d.span.line) for d in built.diagnostics] == [
        ("PW305", "content/posts/2026-12-02-b.md", 4)  # the image's src line
    ]
    documents = {
        entry["post_id"]: json.loads((project.root / "publish" / entry["path"]).read_text())[entry["account"]]
        for entry in built.manifest["variants"]
    }
    assert len(documents["2026-12-01-a"]["media"]) == 1 and documents["2026-12-02-b"]["media"] == []
    assert (built.images, built.images_reused) == (1, 0)
    again = pipeline.build(project, project.root / "other")
    assert again.images_reused == 1


def test_brand_kit_per_platform_and_progress_reported(example, tmp_path):
    from PIL import Image

    calls = []
    cache = example / ".postwright-cache"
    shutil.rmtree(cache, ignore_errors=True)
    pipeline.build(
        Project(example), tmp_path / "out", progress=lambda done, total: calls.append((done, total))
    )
    assert calls and calls[-1][0] == calls[-1][1] > 0  # every source image reported, the last one last
    with (
        Image.open(tmp_path / "out/brand/x/header.jpg") as header,
        Image.open(tmp_path / "out/brand/bluesky/avatar.png") as avatar,
    ):
        assert (header.size, avatar.size) == ((1500, 500), (1000, 1000))
        assert "exif" not in header.info and not avatar.info
    assert not (tmp_path / "out/brand/instagram/header.jpg").exists()  # Instagram has no header


def test_byte_limit_fitting_is_reported(make_project):
    from PIL import Image

    project = make_project(
        "-- content/posts/2026-12-01-a.md --\n---\nplatforms: [bluesky]\nimages:\n  - src: noise.png\n"
        "    alt: Noise\n---\nNoise.\n"
    )
    (project.root / "assets").mkdir(exist_ok=True)
    Image.effect_noise((2000, 2000), 120).convert("RGB").save(project.root / "assets/noise.png")
    result = CliRunner().invoke(cli, ["-C", str(project.root), "build"])
    assert result.exit_code == 0, result.output
    assert "image noise.png (keep): quality " in result.stderr  # noise needs < 95 to fit 1,000,000 B


def test_rendering_in_worker_processes_gives_the_same_variants_in_the_same_order(make_project, monkeypatch):
    import sys

    if sys.platform != "linux":
        pytest.skip("worker processes are forked on Linux only")
    files = "".join(
        f"-- content/posts/2026-12-{day:02d}-0900-post-{day}.md --\n---\ntitle: Day {day}\n---\n"
        + f"Kites and wind on day {day}. " * (day * 3)
        + "\n"
        for day in range(1, 29)
    )
    project = make_project(files)
    serial = pipeline.check(project, facts=True)
    pipeline.build(project, project.root / "serial")
    (project.root / cache.RENDER_MEMO).unlink()  # else the parallel runs would render nothing
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    parallel = pipeline.check(project, facts=True)
    assert len(serial.variants) == 56 and parallel.variants == serial.variants
    assert parallel.diagnostics == serial.diagnostics and parallel.facts == serial.facts
    (project.root / cache.STAMP).unlink()
    (project.root / cache.INDEX).unlink()
    (project.root / cache.RENDER_MEMO).unlink(missing_ok=True)
    pipeline.build(project, project.root / "parallel")
    assert _files(project.root / "parallel") == _files(project.root / "serial") != {}


def _files(folder) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()
    }


def _stamp_with(**changes):
    def damage(stamp, manifest):
        data = {**json.loads(stamp.read_text()), **changes}
        stamp.write_text(json.dumps({key: value for key, value in data.items() if value != "drop"}))

    return damage


@pytest.mark.parametrize(
    "damage",
    [
        lambda stamp, manifest: stamp.write_text("not json"),
        _stamp_with(posts=None),
        _stamp_with(posts="drop"),
        _stamp_with(diagnostics=[{"severity": 3}]),
        lambda stamp, manifest: manifest.write_text("[]"),
        lambda stamp, manifest: manifest.write_text('{"variants": 3}'),
    ],
)
def test_a_damaged_stamp_or_manifest_means_build_again(make_project, damage):
    project = make_project("-- content/posts/2026-12-01-a.md --\n---\nplatforms: [mastodon]\n---\nOne.\n")
    out = project.root / "publish"
    first = pipeline.build(project, out)
    damage(project.root / cache.STAMP, out / "manifest.json")
    again = pipeline.build(project, out)
    assert not again.reused and again.manifest == first.manifest
    assert pipeline.build(project, out).reused


def test_config_max_image_bytes_makes_the_renditions_smaller(make_project):
    """limits.max_image_bytes in config.yml (for a platform or one of its accounts) is what its renditions
    fit: one rendition serves every account on the platform, so it fits the smallest limit."""
    from PIL import Image

    from tests.conftest import MINIMAL_CONFIG

    post = (
        "-- content/posts/2026-12-01-a.md --\n---\nplatforms: [bluesky]\nimages:\n  - src: noise.png\n"
        "    alt: Noise\n---\nNoise.\n"
    )
    sizes = {}
    for name, config in (
        ("default", MINIMAL_CONFIG),
        ("platform", MINIMAL_CONFIG + "platforms:\n  bluesky:\n    limits: {max_image_bytes: 300000}\n"),
        (
            "account",
            MINIMAL_CONFIG.replace(
                "    language: en\n", "    language: en\n    limits: {max_image_bytes: 250000}\n"
            ),
        ),
    ):
        project = make_project(f"-- config.yml --\n{config}" + post)
        (project.root / "assets").mkdir(exist_ok=True)
        Image.effect_noise((2000, 2000), 120).convert("RGB").save(project.root / "assets/noise.png")
        shutil.rmtree(project.root / ".postwright-cache", ignore_errors=True)
        result = CliRunner().invoke(cli, ["-C", str(project.root), "build", "-o", str(project.root / name)])
        assert result.exit_code == 0, result.output
        (rendition,) = (project.root / name / "media").iterdir()
        sizes[name] = rendition.stat().st_size
    assert 300_000 < sizes["default"] <= 1_000_000
    assert 250_000 < sizes["platform"] <= 300_000
    assert sizes["account"] <= 250_000


@pytest.mark.parametrize("damage", ["same size", "stray", "removed", "restored index"])
def test_a_rebuild_trusting_its_index_still_finds_a_damaged_stray_or_missing_file(make_project, damage):
    """The publish index lets a rebuild skip reading the files it left untouched, never skip a file that
    something else changed: whatever is on disk afterwards is what a cold build writes."""
    project = make_project(
        "-- content/posts/2026-12-01-a.md --\n---\nplatforms: [mastodon]\n---\nOne.\n"
        "-- content/posts/2026-12-02-b.md --\n---\nplatforms: [mastodon]\n---\nTwo.\n"
    )
    out = project.root / "publish"
    pipeline.build(project, out)
    pipeline.build(project, project.root / "cold")
    pipeline.build(project, out)  # the index describes `out` again
    post = out / "posts" / "2026-12-01-a.en.json"
    if damage == "same size":
        post.write_bytes(post.read_bytes().replace(b"One.", b"Eno."))
    elif damage == "stray":
        (out / "posts" / "stray.json").write_text("{}")
        (out / "old" / "deep").mkdir(parents=True)
    elif damage == "removed":
        post.unlink()
    else:  # another checkout's cache restored: its index names this folder, its files are others
        index = project.root / cache.INDEX
        restored = index.read_bytes()
        shutil.rmtree(out)
        shutil.copytree(project.root / "cold", out)
        post.write_bytes(post.read_bytes().replace(b"One.", b"Eno."))
        index.write_bytes(restored)
    (project.root / cache.STAMP).unlink()
    pipeline.build(project, out)
    assert tree(out) == tree(project.root / "cold")
