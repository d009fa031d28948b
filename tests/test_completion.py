"""The shell completion the README documents works: each line's command prints a completion script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

# the installed entry point: click derives _POSTWRIGHT_COMPLETE from its program name, `postwright`
ENTRY_POINT = Path(sys.executable).parent / "postwright"
DOCUMENTED = re.compile(r"_POSTWRIGHT_COMPLETE=(\w+)_source postwright")


def completion(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **variables}
    return subprocess.run(
        [str(ENTRY_POINT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_readme_documents_completion_for_bash_zsh_and_fish_and_each_line_works():
    shells = DOCUMENTED.findall((REPO / "README.md").read_text(encoding="utf-8"))
    assert sorted(shells) == ["bash", "fish", "zsh"]
    assert ENTRY_POINT.is_file(), "install postwright (pip install -e .) for its entry point"
    for shell in shells:
        script = completion(_POSTWRIGHT_COMPLETE=f"{shell}_source")
        assert script.returncode == 0, script.stderr
        assert "_postwright_completion" in script.stdout and "_POSTWRIGHT_COMPLETE" in script.stdout, shell


def test_completion_offers_commands_and_platform_names():
    commands = completion(_POSTWRIGHT_COMPLETE="bash_complete", COMP_WORDS="postwright ch", COMP_CWORD="1")
    assert commands.stdout.split() == ["plain,check"]
    platforms = completion(
        _POSTWRIGHT_COMPLETE="bash_complete", COMP_WORDS="postwright count --platform bl", COMP_CWORD="3"
    )
    assert platforms.stdout.split() == ["plain,bluesky"]
