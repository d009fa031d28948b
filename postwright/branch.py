"""Which git branch may publish: the one config.yml names (`schedule.branch`), else the default branch.

A publish run on any other branch (a manual run of the workflow on a feature branch) would send that
branch's unreviewed content and record it in that branch's ledger, which the next run on the default
branch never sees: it would send the same posts again. On GitHub Actions the branch is the run's ref
and the default branch comes from the event payload; elsewhere the rule applies only when config.yml
names a branch, and then to the branch checked out.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

_HINT = "publish from that branch, or name the branch that publishes as schedule.branch in config.yml"


def refusal(root: Path, named: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """Why publishing must not run here, or None when this is the publishing branch."""
    if environ.get("GITHUB_ACTIONS") == "true":
        ref = environ.get("GITHUB_REF", "")
        current = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
        wanted = named or _default_branch(environ.get("GITHUB_EVENT_PATH"))
        if wanted is None:
            return (
                "cannot tell this repository's default branch (no GITHUB_EVENT_PATH payload): not "
                "publishing; name the branch that publishes as schedule.branch in config.yml"
            )
        if current != wanted:
            where = f"branch {current}" if current else f"ref {ref or '(none)'}"
            return f"this run is on {where}, but only {wanted} publishes: nothing sent; {_HINT}"
        return None
    if named is None:
        return None
    current, checkout = _checked_out(root)
    if not checkout or current == named:
        return None
    where = f"branch {current}" if current else "a detached HEAD"
    return f"the checkout is on {where}, but schedule.branch in config.yml is {named}: nothing sent; {_HINT}"


def _default_branch(event_path: str | None) -> str | None:
    """repository.default_branch from the event payload GitHub writes for every run."""
    if not event_path:
        return None
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        branch = event["repository"]["default_branch"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return branch if isinstance(branch, str) and branch else None


def _checked_out(root: Path) -> tuple[str | None, bool]:
    """(branch or None when detached, whether root is in a git checkout at all)."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "symbolic-ref", "--quiet", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:  # no git: not a checkout that git could push from either
        return None, False
    if result.returncode == 0:
        return result.stdout.strip(), True
    return None, result.returncode == 1  # 1: detached HEAD; 128: not a git repository
