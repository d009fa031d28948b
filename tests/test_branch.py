"""Which branch may publish: GitHub's run ref against the default branch, or config.yml's branch."""

from __future__ import annotations

import json
import subprocess

from click.testing import CliRunner

from postwright.branch import refusal
from postwright.cli import cli


def event(tmp_path, default_branch="main"):
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"repository": {"default_branch": default_branch}}))
    return str(path)


def test_on_github_only_the_default_branch_publishes(tmp_path):
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": event(tmp_path)}
    assert refusal(tmp_path, None, {**actions, "GITHUB_REF": "refs/heads/main"}) is None
    feature = refusal(tmp_path, None, {**actions, "GITHUB_REF": "refs/heads/feature"})
    assert feature and "this run is on branch feature, but only main publishes" in feature
    pull = refusal(tmp_path, None, {**actions, "GITHUB_REF": "refs/pull/7/merge"})
    assert pull and "ref refs/pull/7/merge" in pull
    tag = refusal(tmp_path, None, {**actions, "GITHUB_REF": "refs/tags/main"})
    assert tag and "only main publishes" in tag


def test_on_github_a_branch_cannot_name_itself_the_publishing_branch(tmp_path):
    """config.yml comes from the branch being run: a feature branch naming itself is still refused."""
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": event(tmp_path)}
    itself = refusal(tmp_path, "feature", {**actions, "GITHUB_REF": "refs/heads/feature"})
    assert (
        itself and "schedule.branch in config.yml is feature, but on GitHub only the default branch" in itself
    )
    other = refusal(tmp_path, "release", {**actions, "GITHUB_REF": "refs/heads/main"})
    assert other and "make release the repository's default branch" in other
    assert refusal(tmp_path, "main", {**actions, "GITHUB_REF": "refs/heads/main"}) is None


def test_a_scheduled_run_is_on_the_default_branch_whatever_its_payload_says(tmp_path):
    """GitHub runs schedules on the default branch only, and their payload need not name the repository."""
    payload = tmp_path / "schedule.json"
    payload.write_text(json.dumps({"schedule": "*/15 * * * *"}))
    scheduled = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "schedule", "GITHUB_EVENT_PATH": str(payload)}
    assert refusal(tmp_path, None, {**scheduled, "GITHUB_REF": "refs/heads/trunk"}) is None
    manual = {**scheduled, "GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_REF": "refs/heads/trunk"}
    unknown = refusal(tmp_path, None, manual)
    assert unknown and "cannot tell this repository's default branch" in unknown


def test_elsewhere_the_rule_applies_only_when_config_names_a_branch(tmp_path):
    assert refusal(tmp_path, None, {}) is None  # a laptop, no rule
    assert refusal(tmp_path, "main", {}) is None  # not a git checkout: nothing to fork
    git = ["git", "-C", str(tmp_path), "-c", "user.name=W", "-c", "user.email=w@example.com"]
    subprocess.run([*git, "init", "--quiet", "--initial-branch=main"], check=True)
    assert refusal(tmp_path, "main", {}) is None
    subprocess.run([*git, "switch", "--quiet", "-c", "feature"], check=True)
    found = refusal(tmp_path, "main", {})
    assert found and "on branch feature, but schedule.branch in config.yml is main" in found
    subprocess.run([*git, "commit", "--quiet", "--allow-empty", "-m", "x"], check=True)
    subprocess.run([*git, "switch", "--quiet", "--detach"], check=True)
    detached = refusal(tmp_path, "main", {})
    assert detached and "detached HEAD" in detached


def test_publish_refuses_on_another_branch_but_a_dry_run_may_look(make_project, tmp_path, monkeypatch):
    project = make_project(
        """
        -- content/posts/2026-12-01-0900-hello.md --
        ---
        title: Hello
        ---
        Hello
        """
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/feature")
    monkeypatch.setenv("GITHUB_EVENT_PATH", event(tmp_path))
    at = ["--at", "2026-12-01T09:05+01:00"]
    refused = CliRunner().invoke(cli, ["-C", str(project.root), "publish", *at])
    assert refused.exit_code == 2
    assert "only main publishes: nothing sent" in refused.output
    assert not (project.root / "outbox").exists() and not (project.state_dir / "ledger.jsonl").exists()
    looked = CliRunner().invoke(cli, ["-C", str(project.root), "publish", "--dry-run", *at])
    assert looked.exit_code == 0, looked.output
    assert "would send 2026-12-01-0900-hello.en/masto" in looked.output
