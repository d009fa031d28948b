"""`postwright report --changed-since REF`: which posts a change touches, and the Markdown reviewers read."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from postwright.cli import cli
from postwright.project import Project
from postwright.report import build_report, escape_markdown, markdown
from tests.conftest import MINIMAL_CONFIG, write_files

NOW = datetime(2026, 11, 1, tzinfo=UTC)

BASE = """
-- assets/kite.jpg --
800x600
-- assets/other.jpg --
800x600
-- templates/base.j2 --
{{ body }}
-- content/posts/2026-12-01-kept.md --
---
title: Kept as it was
---
Nothing changes here.
-- content/posts/2026-12-02-edited.md --
---
title: Edited
---
First version.
-- content/posts/2026-12-03-photo.md --
---
title: With a photo
images:
  - src: kite.jpg
    alt: A kite
---
Look at this.
-- content/posts/2026-12-04-gone.md --
---
title: Removed later
---
Bye.
"""


class Git:
    def __init__(self, root: Path) -> None:
        self.root = root
        home = root.parent / "home"
        home.mkdir(exist_ok=True)
        self.env = {**os.environ, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}

    def __call__(self, *args: str) -> str:
        who = ["-c", "user.name=Writer", "-c", "user.email=writer@example.com", "-c", "commit.gpgsign=false"]
        result = subprocess.run(
            ["git", *who, *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def commit(self, message: str) -> None:
        self("add", "-A")
        self("commit", "--quiet", "-m", message)


@pytest.fixture
def repo(make_project, monkeypatch) -> tuple[Project, Git]:
    project = make_project(BASE)
    git = Git(project.root)
    for name, value in git.env.items():
        if name in ("HOME", "GIT_CONFIG_NOSYSTEM"):
            monkeypatch.setenv(name, value)
    git("init", "--quiet", "--initial-branch=main")
    (project.root / ".gitignore").write_text("/publish/\n/.postwright-cache/\n")
    git.commit("brand")
    git("checkout", "--quiet", "-b", "change")
    return project, git


def edit(project: Project, relative: str, old: str, new: str) -> None:
    path = project.root / relative
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def shown(report) -> dict[str, str]:
    return {post.post_id: reason for post, reason in report.posts}


def test_added_changed_and_removed_posts_committed_or_not(repo):
    project, git = repo
    edit(project, "content/posts/2026-12-02-edited.md", "First version.", "Second version.")
    write_files(project.root, "-- content/posts/2026-12-05-new.md --\n---\ntitle: New\n---\nHello.\n")
    (project.root / "content/posts/2026-12-04-gone.md").unlink()
    git.commit("posts")
    write_files(
        project.root, "-- content/posts/2026-12-06-uncommitted.md --\n---\ntitle: Not yet\n---\nHi.\n"
    )
    report = build_report(project, "main", NOW)
    assert shown(report) == {
        "2026-12-02-edited": "changed",
        "2026-12-05-new": "added",
        "2026-12-06-uncommitted": "added",
    }
    assert report.removed == ("content/posts/2026-12-04-gone.md",)
    text = markdown(report)
    assert text.startswith("## postwright: 3 posts changed since `main`\n")
    assert "### Removed: `content/posts/2026-12-04-gone.md`" in text
    assert "Second version." in text and "Nothing changes here." not in text


def test_changes_on_the_base_branch_since_the_fork_are_not_ours(repo):
    project, git = repo
    git("checkout", "--quiet", "main")
    edit(project, "content/posts/2026-12-01-kept.md", "Nothing changes here.", "Changed on main.")
    git.commit("main moves on")
    git("checkout", "--quiet", "change")
    edit(project, "content/posts/2026-12-02-edited.md", "First version.", "Second version.")
    git.commit("ours")
    assert shown(build_report(project, "main", NOW)) == {"2026-12-02-edited": "changed"}


def test_a_template_change_shows_the_accounts_whose_output_changed(repo):
    project, git = repo
    write_files(project.root, "-- templates/bluesky.j2 --\n{{ body }} #bluesky\n")
    git.commit("a template for bluesky")
    report = build_report(project, "main", NOW)
    assert set(shown(report)) == {
        "2026-12-01-kept",
        "2026-12-02-edited",
        "2026-12-03-photo",
        "2026-12-04-gone",
    }
    for post, reason in report.posts:
        assert reason == "output changed" and [entry.account for entry in post.entries] == ["sky"]
    assert "templates/ changed" in markdown(report)


def test_a_config_change_that_changes_no_output_shows_no_post(repo):
    project, git = repo
    edit(project, "config.yml", "name: Test Brand", "name: Test Brand # renamed later")
    git.commit("a comment")
    report = build_report(project, "main", NOW)
    assert report.posts == ()
    assert "No post was added or changed." in markdown(report)


def test_a_changed_image_shows_the_posts_using_it(repo):
    project, git = repo
    write_files(project.root, "-- assets/kite.jpg --\n900x600\n-- assets/other.jpg --\n700x600\n")
    git.commit("new photos")
    assert shown(build_report(project, "main", NOW)) == {"2026-12-03-photo": "image changed"}


def test_a_file_that_is_not_a_valid_post_is_reported_with_its_problems(repo):
    project, git = repo
    write_files(project.root, "-- content/posts/2026-12-07-bad.md --\n---\ntitle: [unclosed\n---\nHi.\n")
    git.commit("bad")
    report = build_report(project, "main", NOW)
    assert report.posts == ()
    assert [item.span.path for item in report.other_problems] == ["content/posts/2026-12-07-bad.md"]
    assert "### Problems outside posts" in markdown(report)


def test_project_in_a_subfolder_of_the_repository(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    write_files(root / "brand", f"-- config.yml --\n{MINIMAL_CONFIG}")
    write_files(
        root, "-- brand/content/posts/2026-12-01-a.md --\n---\ntitle: A\n---\nA.\n-- README.md --\nhi\n"
    )
    git = Git(root)
    monkeypatch.setenv("HOME", git.env["HOME"])
    git("init", "--quiet", "--initial-branch=main")
    git.commit("brand")
    write_files(
        root, "-- brand/content/posts/2026-12-02-b.md --\n---\ntitle: B\n---\nB.\n-- README.md --\nho\n"
    )
    git.commit("b")
    report = build_report(Project(root / "brand"), "main~1", NOW)
    assert shown(report) == {"2026-12-02-b": "added"}
    assert report.changes.added == ("content/posts/2026-12-02-b.md",)


def test_markdown_is_safe_for_a_pull_request_comment(repo):
    project, git = repo
    write_files(
        project.root,
        '-- content/posts/2026-12-08-tricky.md --\n---\ntitle: "<img src=x> @octocat **bold** [x](y)"\n'
        "---\nCode ``` inside, <script>alert(1)</script> and @[jane].\n",
    )
    git.commit("tricky")
    text = markdown(build_report(project, "main", NOW))
    assert "### \\<img src=x\\> @\u200boctocat \\*\\*bold\\*\\* \\[x\\](y) (added)" in text
    assert "````text\nCode ``` inside, <script>alert(1)</script> and @jane@example.social.\n````" in text
    assert "Same text as `masto`." not in text  # Bluesky's mention differs: both texts are shown


def test_markdown_shows_counts_images_and_problems(repo):
    project, git = repo
    write_files(
        project.root,
        "-- content/posts/2026-12-09-long.md --\n---\ntitle: Long\nthread: never\nimages:\n"
        "  - src: kite.jpg\n---\n" + "word " * 120 + "\n",
    )
    git.commit("long")
    text = markdown(build_report(project, "main", NOW))
    assert (
        "| Mastodon `masto` ❌ | en | Wed 9 Dec 2026 09:00 CET (08:00 UTC) | blocked (not sent until fixed: "
        "PW401 text is 599 graphemes for masto; Mastodon allows 500; PW412 alt text missing for image 1 "
        "(brand.rules.alt\\_text: required)) | 599/500 ❌ graphemes | 1 |" in text
    )
    assert "- ❌ **PW401** [mastodon] text is 599 graphemes for masto; Mastodon allows 500" in text
    assert "599/500 graphemes ❌ over the limit" in text
    assert "- image `kite.jpg` (" in text and "**no alt text**" in text


def test_max_chars_leaves_out_texts_then_posts(repo):
    project, git = repo
    for number in range(1, 9):
        write_files(
            project.root,
            f"-- content/posts/2026-12-1{number}-p.md --\n---\ntitle: Post {number}\n---\n"
            + "text " * 80
            + "\n",
        )
    git.commit("many")
    report = build_report(project, "main", NOW)
    full = markdown(report)
    summary = markdown(report, max_chars=len(full) - 1)
    assert "```text" not in summary and "### Post 8 (added)" in summary and len(summary) < len(full)
    cut = markdown(report, max_chars=1500)
    assert len(cut) <= 1500 and cut.endswith("the job summary and the preview artifact have everything)")


def test_cli_report_markdown_json_and_exit_codes(repo):
    project, git = repo
    edit(project, "content/posts/2026-12-02-edited.md", "First version.", "Second version.")
    git.commit("edit")
    runner = CliRunner()
    args = ["-C", str(project.root), "report", "--at", "2026-11-01T00:00"]
    result = runner.invoke(cli, [*args, "--changed-since", "main"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("## postwright: 1 post changed since `main`")
    assert "report: 1 changed post(s): 0 errors, 0 warnings" in result.stderr
    document = json.loads(runner.invoke(cli, [*args, "--changed-since", "main", "--format", "json"]).stdout)
    (post,) = document["posts"]
    assert post["post_id"] == "2026-12-02-edited" and post["reason"] == "changed"
    assert {entry["account"] for entry in post["entries"]} == {"masto", "sky"}
    assert post["entries"][0]["parts"][0]["counts"][0]["unit"] == "graphemes"

    unknown = runner.invoke(cli, [*args, "--changed-since", "origin/nope"])
    assert unknown.exit_code == 2
    assert "unknown git ref 'origin/nope'" in unknown.stderr and "Traceback" not in unknown.output

    write_files(
        project.root, "-- content/posts/2026-12-10-long.md --\n---\nthread: never\n---\n" + "w " * 300
    )
    assert runner.invoke(cli, [*args, "--changed-since", "main"]).exit_code == 1


def test_cli_report_outside_a_repository(make_project):
    project = make_project("-- content/posts/2026-12-01-a.md --\n---\n---\nA.\n")
    result = CliRunner().invoke(cli, ["-C", str(project.root), "report", "--changed-since", "main"])
    assert result.exit_code == 2 and "is not in a git repository" in result.stderr


def test_escape_markdown():
    assert escape_markdown("a_b *c* <d> [e] `f` | g @h &amp;") == (
        "a\\_b \\*c\\* \\<d\\> \\[e\\] \\`f\\` \\| g @\u200bh \\&amp;"
    )
