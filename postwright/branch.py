"""Which git branch may publish: on GitHub the default branch, elsewhere the one config.yml names.

A publish run on any other branch (a manual run of the workflow on a feature branch) would send that
branch's unreviewed content and record it in that branch's ledger, which the next run on the default
branch never sees: it would send the same posts again. On GitHub Actions the publishing branch is the
default branch, always; `schedule.branch` is for running postwright elsewhere (a cron job on a server),
where the checkout must be on the branch it names.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

_HINT = "run it on the default branch (a dry run may look from any branch)"


def refusal(root: Path, named: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """Why publishing must not run here, or None when this is the publishing branch.

    On GitHub only the default branch publishes: that is where scheduled runs run, and a branch's own
    config.yml cannot name itself the publishing branch (it is that branch's unreviewed content).
    """
    if environ.get("GITHUB_ACTIONS") == "true":
        ref = environ.get("GITHUB_REF", "")
        current = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
        default = _default_branch(environ)
        if default is None:
            return (
                "cannot tell this repository's default branch (the event payload does not name it): "
                "not publishing"
            )
        if named is not None and named != default:
            return (
                f"schedule.branch in config.yml is {named}, but on GitHub only the default branch "
                f"({default}) publishes: nothing sent; remove schedule.branch, or make {named} the "
                "repository's default branch"
            )
        if current != default:
            where = f"branch {current}" if current else f"ref {ref or '(none)'}"
            return f"this run is on {where}, but only {default} publishes: nothing sent; {_HINT}"
        return None
    if named is None:
        return None
    current, checkout = _checked_out(root)
    if not checkout or current == named:
        return None
    where = f"branch {current}" if current else "a detached HEAD"
    return f"the checkout is on {where}, but schedule.branch in config.yml is {named}: nothing sent; {_HINT}"


def _default_branch(environ: Mapping[str, str]) -> str | None:
    """The repository's default branch. GitHub runs scheduled workflows on it alone, and their event
    payload may not name the repository, so a scheduled run's own ref is it; other events carry
    repository.default_branch in the payload GitHub writes for every run."""
    if environ.get("GITHUB_EVENT_NAME") == "schedule":
        ref = environ.get("GITHUB_REF", "")
        return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
    try:
        event = json.loads(Path(environ.get("GITHUB_EVENT_PATH") or "").read_text(encoding="utf-8"))
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
