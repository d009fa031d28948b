"""Shared fixtures: one-string projects, so each scenario reads top to bottom."""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from postwright.project import Project

REPO = Path(__file__).resolve().parent.parent

MINIMAL_CONFIG = """\
brand:
  name: Test Brand
  timezone: Europe/Madrid
  platforms: [mastodon, bluesky]
accounts:
  masto:
    platform: mastodon
  sky:
    platform: bluesky
    language: en
people:
  jane: {name: Jane Doe, mastodon: "@jane@example.social", bluesky: jane.example.social}
"""
# MINIMAL_CONFIG where an image without alt text is a warning (PW302), not the default error (PW412)
ALT_TEXT_OPTIONAL_CONFIG = MINIMAL_CONFIG.replace(
    "  platforms: [mastodon, bluesky]\n", "  platforms: [mastodon, bluesky]\n  rules: {alt_text: optional}\n"
)


def write_files(root: Path, files: str) -> None:
    """Write `-- path --` sections under root; *.png/*.jpg sections with 'WxH' make real images."""
    sections = re.split(r"^-- (.+?) --\n", textwrap.dedent(files), flags=re.M)
    for name, body in zip(sections[1::2], sections[2::2], strict=True):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix in (".png", ".jpg"):
            width, height = (int(n) for n in body.strip().split("x"))
            Image.new("RGB", (width, height), (200, 120, 40)).save(path)
        else:
            path.write_text(body, encoding="utf-8")


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[str], Project]:
    """make_project('-- content/posts/x.md --\\n…') → a Project; config.yml defaults to MINIMAL_CONFIG."""

    def make(files: str = "") -> Project:
        if "-- config.yml --" not in files:
            files = f"-- config.yml --\n{MINIMAL_CONFIG}" + textwrap.dedent(files)
        write_files(tmp_path, files)
        return Project(tmp_path)

    return make


@pytest.fixture(autouse=True)
def _not_on_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the same environment on a laptop and on a GitHub runner: publish's branch rule reads
    GitHub's variables, and a pull request's ref must not make the publish tests refuse to send."""
    for name in (
        "GITHUB_ACTIONS",
        "GITHUB_REF",
        "GITHUB_EVENT_NAME",
        "GITHUB_EVENT_PATH",
        "GITHUB_STEP_SUMMARY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def parsed(monkeypatch):
    """The post files read and parsed, by name."""
    calls = []
    from postwright import load

    real = load._parse_file

    def counting(project, path):
        calls.append(path.name)
        return real(project, path)

    monkeypatch.setattr(load, "_parse_file", counting)
    return calls


BIN = Path(sys.executable).parent  # the test extras install actionlint, zizmor, shellcheck … next to python


def tool(name: str) -> str:
    """A linter the test extras install, or a failure that says how to install it."""
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found
