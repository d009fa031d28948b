import hashlib
import json
import shutil

from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.project import Project
from tests.conftest import REPO


def tree(root):
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_example_brand_builds_byte_identically_twice(tmp_path):
    copy = tmp_path / "brand"
    shutil.copytree(
        REPO, copy, ignore=shutil.ignore_patterns(".git", ".venv", "publish", "__pycache__", "*.egg-info")
    )
    first = tmp_path / "one"
    second = tmp_path / "two"
    checked, manifest = pipeline.build(Project(copy), first)
    pipeline.build(Project(copy), second)
    assert checked.diagnostics == ()
    assert tree(first) == tree(second)
    assert len(manifest["variants"]) == len(checked.variants)
    assert (first / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()


def test_post_json_has_what_the_publisher_needs(tmp_path):
    out = tmp_path / "out"
    _, manifest = pipeline.build(Project(REPO), out)
    for entry in manifest["variants"]:
        document = json.loads((out / entry["path"]).read_text(encoding="utf-8"))
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
        parts = [
            (out / entry["key"] / f"part-{n}.txt").read_text(encoding="utf-8")
            for n in range(1, 99)
            if (out / entry["key"] / f"part-{n}.txt").exists()
        ]
        assert [part.removesuffix("\n") for part in parts] == document["parts"]
        for media in document["media"]:
            data = (out / media["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == media["sha256"] and len(data) == media["bytes"]
            assert media["width"] > 0 and media["alt"]
        if document["platform"] == "bluesky":
            for part, facets in zip(document["parts"], document["facets"], strict=True):
                for facet in facets:
                    piece = part.encode()[facet["byteStart"] : facet["byteEnd"]].decode()
                    assert piece.lstrip("#@") in facet["value"] or facet["value"].endswith(piece)


def test_build_command_replaces_the_output_and_reports(tmp_path):
    out = tmp_path / "publish"
    (out / "stale").mkdir(parents=True)
    result = CliRunner().invoke(cli, ["-C", str(REPO), "build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "built " in result.stderr and "0 errors" in result.stderr
    assert not (out / "stale").exists() and (out / "manifest.json").is_file()
    assert not list(out.rglob(".*.tmp"))  # no temporary files left behind
