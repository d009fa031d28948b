"""The publish workflow, tested rather than only written.

.github/workflows/publish.yml is linted with actionlint (with ShellCheck) and zizmor, offline, and
validated against the GitHub workflow schema. Its shell steps live in .github/scripts/publish.sh, which
runs here against a bare repository on disk standing in for GitHub: a shallow clone plays the runner's
checkout, other clones play people (or runs) pushing in between. Nothing here reaches the network.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from postwright import pipeline, workflow
from postwright.ledger import Ledger, Record
from postwright.project import Project
from tests.conftest import BIN, tool

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "publish.yml"
SCRIPT = REPO / ".github" / "scripts" / "publish.sh"
BOT = "41898282+github-actions[bot]@users.noreply.github.com"


def offline_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GH_", "GITHUB_"))}
    return {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", **extra}


# The workflow file -------------------------------------------------------------------------------


def test_actionlint_with_shellcheck_finds_nothing():
    result = subprocess.run(
        [tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"), str(WORKFLOW)],
        capture_output=True,
        text=True,
        env=offline_env(),
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_pedantic_offline_finds_nothing():
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--persona=pedantic", "--no-progress", "--color=never", str(WORKFLOW)],
        capture_output=True,
        text=True,
        env=offline_env(ZIZMOR_OFFLINE="true"),
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_workflow_matches_the_github_workflow_schema():
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        env=offline_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_brand_s_schedule_is_in_sync_with_its_config_and_posts():
    """`postwright workflow sync` as of preview.at (the example's posts are dated around it) changes
    nothing: a run at every slot in both of Madrid's offsets, and at each post's time off the slots."""
    project = Project(REPO)
    config, loaded, _ = pipeline.load(project)
    assert config is not None and config.preview.at is not None
    at = datetime.fromisoformat(config.preview.at).replace(tzinfo=config.zone)
    synced = workflow.sync(project, config, loaded.posts, at)
    assert not synced.changed, synced.diff(".github/workflows/publish.yml")
    assert synced.job_minutes <= 300
    assert workflow.jobs(WORKFLOW.read_text(encoding="utf-8")) == ["publish"]
    assert workflow.problems(project, config, loaded.posts, at) == []


def test_script_passes_shellcheck():
    result = subprocess.run([tool("shellcheck"), str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_shape():
    text = WORKFLOW.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    on = workflow[True]  # YAML 1.1 reads the key `on` as true
    # Runs when something is due (postwright workflow sync), never every few minutes
    assert on["schedule"] and all(not entry["cron"].startswith(("*", "*/")) for entry in on["schedule"])
    assert set(on["workflow_dispatch"]["inputs"]) == {"at", "only", "dry_run"}
    assert not any(value.get("required") for value in on["workflow_dispatch"]["inputs"].values())
    # One group for the whole repository: a fixed name, no run id or ref in it, never cancelled.
    assert workflow["concurrency"] == {"group": "postwright-publish", "cancel-in-progress": False}
    assert workflow["permissions"] == {}
    # One job: GitHub bills each job of a run as at least a minute (workflow.job_minutes)
    assert list(workflow["jobs"]) == ["publish"]
    job = workflow["jobs"]["publish"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "issues": "write"}
    steps = {step.get("id"): step for step in job["steps"]}
    # Every action is pinned to a full commit, with the version in a comment.
    uses = re.findall(r"uses: (\S+)@(\S+)(.*)", text)
    assert {name for name, _, _ in uses} == {"actions/checkout"}
    # postwright from its own action: from this checkout here, at a commit in the brands' copies
    assert re.findall(r"uses: (\S+)", text) == [f"{uses[0][0]}@{uses[0][1]}", "./"]
    for _name, ref, comment in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref) and re.fullmatch(r" # v\d+\.\d+\.\d+", comment)
    checkout = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    # No ${{ }} inside scripts: inputs go through env (no template injection).
    assert not any("${{" in step.get("run", "") for step in job["steps"])
    # The token only in the steps that push state/ or talk to GitHub's API.
    with_token = {step.get("id") for step in job["steps"] if "github.token" in str(step.get("env", {}))}
    assert with_token == {"restore", "commit", "slots", "replies", "commit-insights"}
    # Secrets reach postwright as environment variables: the platforms' on the publish step and the two
    # readers, Plausible's key on the conversions import alone.
    secrets = {k for k, v in steps["publish"]["env"].items() if "secrets." in str(v)}
    assert secrets and all(f"secrets.{name} " in steps["publish"]["env"][name] for name in secrets)
    for reader in ("pull", "replies"):
        assert {k for k, v in steps[reader]["env"].items() if "secrets." in str(v)} == secrets
    assert steps["conversions"]["env"] == {"PLAUSIBLE_API_KEY": "${{ secrets.PLAUSIBLE_API_KEY }}"}
    assert text.count("secrets.") == 3 * len(secrets) + 1
    # The ledger is committed whatever publish did, before anything is read, and the run fails
    # afterwards on its exit code.
    assert steps["commit"]["if"] == "always() && steps.restore.outcome == 'success'"
    order = [step.get("id") for step in job["steps"]]
    assert order[order.index("restore") :] == [
        "restore",
        "publish",
        "commit",
        "pull",
        "conversions",
        "slots",
        "replies",
        "commit-insights",
        None,
    ]
    last = job["steps"][-1]["if"]
    assert "!cancelled()" in last and "steps.publish.outputs.exit-code != '0'" in last
    for step_id, command in (("restore", "restore"), ("publish", "run"), ("commit", "commit")):
        assert steps[step_id]["run"] == f"bash .github/scripts/publish.sh {command}"


def test_numbers_and_replies_are_read_after_the_ledger_is_committed_and_never_on_a_dry_run():
    """Each also when a step before it failed (what it needs is already stored), never without the
    restored state; their files committed by the same script, also when a read failed."""
    job = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["publish"]
    steps = {step.get("id"): step for step in job["steps"]}
    for step_id in ("pull", "conversions", "slots", "replies"):
        assert steps[step_id]["if"] == (
            "${{ !cancelled() && steps.restore.outcome == 'success' && inputs.dry_run != true }}"
        )
        assert steps[step_id]["timeout-minutes"] <= 10  # a hung platform cannot hold the job
    assert steps["pull"]["run"] == "postwright metrics pull"
    assert steps["conversions"]["run"] == "postwright metrics conversions --since 7d"
    assert steps["slots"]["run"] == "postwright slots suggest --github --format markdown"
    assert steps["slots"]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert steps["replies"]["run"] == "postwright replies pull --github"
    assert steps["replies"]["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    commit = steps["commit-insights"]
    assert commit["run"] == "bash .github/scripts/publish.sh commit"
    assert commit["if"].startswith("always() && steps.restore.outcome == 'success'")
    assert "inputs.dry_run != true" in commit["if"]
    assert commit["env"]["COMMIT_MESSAGE"].startswith("postwright: metrics, replies")


# The shell steps, against a bare repository ------------------------------------------------------


def record(post: str, status: str = "published") -> str:
    return json.dumps(
        asdict(
            Record(
                key=f"{post}.en/masto",
                part=1,
                parts=1,
                status=status,
                idempotency_key=f"key-{post}",
                post_id=post,
                account="masto",
                platform="mastodon",
                content_hash="sha256:0",
                time="2026-11-22T09:00:00+00:00",
                url=f"https://mastodon.example/@brand/{post}" if status == "published" else None,
            )
        ),
        sort_keys=True,
    )


class Git:
    """A sandboxed git: no user or system config, a home of its own, no network."""

    def __init__(self, tmp_path: Path) -> None:
        home = tmp_path / "home"
        home.mkdir()
        self.env = offline_env(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C", PUSH_BACKOFF="0")

    def __call__(self, cwd: Path, *args: str) -> str:
        who = ["-c", "user.name=Writer", "-c", "user.email=writer@example.com"]
        result = subprocess.run(["git", *who, *args], cwd=cwd, env=self.env, capture_output=True, text=True)
        assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
        return result.stdout.strip()

    def clone(self, remote: Path, dest: Path, *, shallow: bool = False) -> Path:
        depth = ["--depth=1"] if shallow else []  # actions/checkout fetches one commit
        self(remote.parent, "clone", "--quiet", *depth, f"file://{remote}", str(dest))
        return dest

    def script(self, cwd: Path, command: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT), command], cwd=cwd, env={**self.env, **env}, capture_output=True, text=True
        )

    def ledger(self, remote: Path, branch: str = "main") -> list[str]:
        return self(remote, "show", f"{branch}:state/ledger.jsonl").splitlines()


@pytest.fixture
def git(tmp_path: Path) -> Git:
    return Git(tmp_path)


@pytest.fixture
def remote(tmp_path: Path, git: Git) -> Path:
    """A bare repository with main: a post, a one-record ledger, and a .gitignore like `postwright init`'s."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    seed = tmp_path / "seed"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(seed))
    (seed / "content").mkdir()
    (seed / "content" / "hello.md").write_text("---\ntitle: Hello\n---\nHello\n")
    (seed / "state").mkdir()
    (seed / "state" / "ledger.jsonl").write_text(record("first") + "\n")
    (seed / ".gitignore").write_text("/publish/\n/outbox/\n")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "brand")
    git(seed, "push", "--quiet", f"file://{remote}", "main")
    return remote


def append(path: Path, *lines: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


def publish_run(runner: Path, *posts: str) -> None:
    """What `postwright publish` leaves behind: records appended, and its lock file."""
    append(runner / "state" / "ledger.jsonl", *(record(post) for post in posts))
    (runner / "state" / "ledger.lock").touch()


def test_commit_pushes_the_new_records(tmp_path, git, remote):
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    publish_run(runner, "second")
    summary = tmp_path / "summary.md"
    result = git.script(runner, "commit", GITHUB_STEP_SUMMARY=str(summary), GITHUB_RUN_ID="42")
    assert result.returncode == 0, result.stderr
    assert git.ledger(remote) == [record("first"), record("second")]
    assert git(remote, "log", "-1", "--format=%an <%ae>|%s", "main") == (
        f"github-actions[bot] <{BOT}>|postwright: ledger after publish run 42"
    )
    assert git(remote, "ls-tree", "-r", "--name-only", "main", "state") == "state/ledger.jsonl"  # no lock
    assert "1 new record(s) committed to `main`" in summary.read_text()


def test_the_metrics_job_commits_state_metrics_with_its_own_message_and_no_lock(tmp_path, git, remote):
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    append(
        runner / "state" / "metrics" / "mastodon" / "2026-12.csv", "post_id,lang,account,published,observed"
    )
    (runner / "state" / "metrics" / "pull.lock").touch()
    result = git.script(runner, "commit", GITHUB_RUN_ID="43", COMMIT_MESSAGE="postwright: metrics")
    assert result.returncode == 0, result.stderr
    assert git(remote, "log", "-1", "--format=%s", "main") == "postwright: metrics 43"
    assert git(remote, "ls-tree", "-r", "--name-only", "main", "state").splitlines() == [
        "state/ledger.jsonl",
        "state/metrics/mastodon/2026-12.csv",
    ]


def test_token_is_never_written_or_printed(tmp_path, git, remote):
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    publish_run(runner, "second")
    result = git.script(runner, "commit", GIT_TOKEN="s3cret-token", GITHUB_SERVER_URL="https://github.com")
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in (runner / ".git" / "config").read_text() + result.stdout + result.stderr
    assert git.ledger(remote)[-1] == record("second")


def test_nothing_new_commits_nothing(tmp_path, git, remote):
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    (runner / "state" / "ledger.lock").touch()
    before = git(remote, "rev-parse", "main")
    result = git.script(runner, "commit")
    assert result.returncode == 0, result.stderr
    assert "nothing to commit" in result.stderr
    assert git(remote, "rev-parse", "main") == before


def test_branch_moved_between_checkout_and_push(tmp_path, git, remote):
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    writer = git.clone(remote, tmp_path / "writer")
    (writer / "content" / "news.md").write_text("---\ntitle: News\n---\nNews\n")
    git(writer, "add", ".")
    git(writer, "commit", "--quiet", "-m", "a post merged while publish ran")
    git(writer, "push", "--quiet", "origin", "main")
    moved = git(writer, "rev-parse", "HEAD")

    publish_run(runner, "second")
    result = git.script(runner, "commit")
    assert result.returncode == 0, result.stderr
    assert "push 1 of 5 rejected: pulling main with --rebase" in result.stderr
    assert git(remote, "log", "--format=%s", "main").splitlines() == [
        "postwright: ledger after publish run (local)",
        "a post merged while publish ran",
        "brand",
    ]
    assert git(remote, "rev-parse", "main^") == moved
    assert git.ledger(remote) == [record("first"), record("second")]


def test_ledger_appended_on_both_sides_keeps_every_record(tmp_path, git, remote):
    """Someone else's records landed first (say, a run from another clone): a real rebase conflict."""
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    other = git.clone(remote, tmp_path / "other")
    append(other / "state" / "ledger.jsonl", record("theirs"))
    git(other, "commit", "--quiet", "-am", "their records")
    git(other, "push", "--quiet", "origin", "main")

    publish_run(runner, "ours", "ours-too")
    result = git.script(runner, "commit")
    assert result.returncode == 0, result.stderr
    assert git.ledger(remote) == [record("first"), record("theirs"), record("ours"), record("ours-too")]
    clone = git.clone(remote, tmp_path / "check")
    assert set(Ledger(clone / "state").read()) == {
        f"{p}.en/masto" for p in ("first", "theirs", "ours", "ours-too")
    }


def test_pushes_are_bounded_and_unpushed_records_are_shown(tmp_path, git, remote):
    attempts = tmp_path / "attempts"
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\necho push >> '{attempts}'\necho 'busy, try later' >&2\nexit 1\n")
    hook.chmod(0o755)
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    publish_run(runner, "second")
    summary = tmp_path / "summary.md"
    result = git.script(runner, "commit", PUSH_ATTEMPTS="3", GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 1
    assert attempts.read_text().count("push") == 3
    assert "could not push state/ to main" in result.stderr
    assert f"+{record('second')}" in summary.read_text()  # a person can still add them by hand


def test_protected_branch_fails_at_once_with_a_hint(tmp_path, git, remote):
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\necho 'error: GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n"
    )
    hook.chmod(0o755)
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    publish_run(runner, "second")
    result = git.script(runner, "commit")
    assert result.returncode == 1
    assert "push 1 of" not in result.stderr
    assert "keep the ledger on a branch of its own (STATE_BRANCH)" in result.stderr


def test_publish_failure_is_reported_and_its_records_still_committed(tmp_path, git, remote):
    """`postwright publish` exits 3 (some sends failed) after recording what it did send."""
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    fake = tmp_path / "fake-postwright"
    fake.write_text(
        "#!/bin/sh\n"
        f"echo \"$@\" > '{tmp_path / 'args'}'\n"
        f"echo '{record('sent')}' >> state/ledger.jsonl\n"
        f"echo '{record('refused', 'failed')}' >> state/ledger.jsonl\n"
        "exit 3\n"
    )
    fake.chmod(0o755)
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    result = git.script(
        runner,
        "run",
        POSTWRIGHT=str(fake),
        PUBLISH_AT="2026-12-01T09:30+01:00",
        PUBLISH_DRY_RUN="false",
        **env,
    )
    assert result.returncode == 0, result.stderr  # the step succeeds; the exit code is an output
    assert output.read_text() == "exit-code=3\n"
    assert (tmp_path / "args").read_text() == "publish --at 2026-12-01T09:30+01:00\n"
    assert "exited 3:** some sends failed" in summary.read_text()
    result = git.script(runner, "commit", **env)
    assert result.returncode == 0, result.stderr
    assert git.ledger(remote) == [record("first"), record("sent"), record("refused", "failed")]


def test_run_passes_only_and_dry_run(tmp_path, git, remote):
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    output = tmp_path / "output"
    (tmp_path / "args.py").write_text("import sys; print(sys.argv[1:])")
    result = git.script(
        runner,
        "run",
        POSTWRIGHT=f"{sys.executable} {tmp_path / 'args.py'}",  # a command and its words, split on spaces
        PUBLISH_ONLY="2026-12-01-launch",
        PUBLISH_DRY_RUN="true",
        GITHUB_OUTPUT=str(output),
    )
    assert result.stdout == "['publish', '--only', '2026-12-01-launch', '--dry-run']\n"
    assert output.read_text() == "exit-code=0\n"


# Dedicated state branch ----------------------------------------------------------------------------


def test_state_branch_is_created_then_restored_and_main_is_never_written(tmp_path, git, remote):
    main_before = git(remote, "rev-parse", "main")
    state = {"STATE_BRANCH": "postwright-state"}

    first = git.clone(remote, tmp_path / "first", shallow=True)
    result = git.script(first, "restore", **state)
    assert result.returncode == 0, result.stderr
    assert "postwright-state does not exist yet" in result.stderr
    publish_run(first, "second")
    result = git.script(first, "commit", **state)
    assert result.returncode == 0, result.stderr
    # The branch starts from the ledger main had, holds state/ only, and has a single parentless commit.
    assert git.ledger(remote, "postwright-state") == [record("first"), record("second")]
    assert git(remote, "ls-tree", "-r", "--name-only", "postwright-state") == "state/ledger.jsonl"
    assert git(remote, "rev-list", "--count", "postwright-state") == "1"
    assert git(remote, "rev-parse", "main") == main_before
    assert git(first, "worktree", "list").count("\n") == 0  # the helper worktree is gone

    second = git.clone(remote, tmp_path / "second", shallow=True)
    (second / "state" / "ledger.jsonl").write_text("")  # main's copy is stale: the branch's wins
    result = git.script(second, "restore", **state)
    assert result.returncode == 0, result.stderr
    assert (second / "state" / "ledger.jsonl").read_text().splitlines() == [record("first"), record("second")]
    publish_run(second, "third")
    result = git.script(second, "commit", **state)
    assert result.returncode == 0, result.stderr
    assert git.ledger(remote, "postwright-state")[-1] == record("third")
    assert git(remote, "rev-list", "--count", "postwright-state") == "2"
    assert git(remote, "rev-parse", "main") == main_before


def test_state_branch_moved_between_restore_and_push(tmp_path, git, remote):
    state = {"STATE_BRANCH": "postwright-state"}
    first = git.clone(remote, tmp_path / "first", shallow=True)
    assert git.script(first, "restore", **state).returncode == 0
    assert git.script(first, "commit", **state).returncode == 0  # creates the branch from main's ledger

    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    assert git.script(runner, "restore", **state).returncode == 0
    # Meanwhile another run pushes to the state branch.
    other = git.clone(remote, tmp_path / "other", shallow=True)
    assert git.script(other, "restore", **state).returncode == 0
    publish_run(other, "theirs")
    assert git.script(other, "commit", **state).returncode == 0

    publish_run(runner, "ours")
    result = git.script(runner, "commit", **state)
    assert result.returncode == 0, result.stderr
    assert "pulling postwright-state with --rebase" in result.stderr
    assert git.ledger(remote, "postwright-state") == [record("first"), record("theirs"), record("ours")]


def test_state_branch_commit_requires_restore(tmp_path, git, remote):
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    publish_run(runner, "second")
    result = git.script(runner, "commit", STATE_BRANCH="postwright-state")
    assert result.returncode == 1
    assert "run 'publish.sh restore' before publishing" in result.stderr


@pytest.mark.parametrize("state_branch", ["", "postwright-state"])
def test_unreadable_remote_stops_before_publishing(tmp_path, git, remote, state_branch):
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    git(runner, "remote", "set-url", "origin", f"file://{tmp_path / 'gone.git'}")
    result = git.script(runner, "restore", STATE_BRANCH=state_branch)
    assert result.returncode == 1
    assert "cannot fetch main from origin" in result.stderr
    assert "not publishing from a ledger that may be stale" in result.stderr


# The whole job, with the real postwright -------------------------------------------------------------


def test_restore_publish_commit_with_postwright(tmp_path, git):
    """A brand from `postwright init` publishes its post to the outbox; the ledger lands on the remote."""
    remote, at = init_brand(tmp_path, git)
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    assert run_job(git, runner, at) == "0"
    check = git.clone(remote, tmp_path / "check")
    jobs = Ledger(check / "state").read()
    assert len(jobs) == 2 and all(job.published for job in jobs.values())
    assert not (check / "state" / "ledger.lock").exists()


def init_brand(tmp_path: Path, git: Git, *, branch: str = "") -> tuple[Path, str]:
    """A brand from `postwright init` with one post due (to two accounts), pushed to a bare remote."""
    seed = tmp_path / "brand"
    result = subprocess.run(
        [sys.executable, "-m", "postwright", "init", str(seed), "--platforms", "mastodon,bluesky"],
        capture_output=True,
        text=True,
        env=git.env,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    (post,) = (seed / "content").rglob("*.md")
    post.write_text(post.read_text().replace("draft: true", "draft: false"))
    if branch:  # schedule.branch: the branch that publishes
        config = seed / "config.yml"
        config.write_text(config.read_text().replace("\nschedule:\n", f"\nschedule:\n  branch: {branch}\n"))
    when = re.search(r"^date: (\S+) (\S+)", post.read_text(), re.M)
    remote = tmp_path / "brand.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(seed, "init", "--quiet", "--initial-branch=main")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "brand")
    git(seed, "push", "--quiet", f"file://{remote}", "main")
    return remote, f"{when[1]}T{when[2]}:00+00:00"  # the scaffold's brand is in UTC


def run_job(git: Git, runner: Path, at: str, **env: str) -> str:
    """restore, run and commit, as the workflow does; returns publish's exit code."""
    output = runner.parent / f"{runner.name}.output"
    env = {"POSTWRIGHT": f"{sys.executable} -m postwright", "PYTHONPATH": str(REPO), **env}
    for step in ("restore", "run", "commit"):
        result = git.script(runner, step, PUBLISH_AT=at, GITHUB_OUTPUT=str(output), **env)
        assert result.returncode == 0, f"{step}: {result.stderr}"
    return output.read_text().strip().removeprefix("exit-code=")


def sent(runner: Path) -> list[Path]:
    """What this runner delivered: the example accounts write each sent part to outbox/."""
    return sorted((runner / "outbox").rglob("*.json")) if (runner / "outbox").exists() else []


def published_records(lines: list[str]) -> list[tuple[str, int]]:
    records = [json.loads(line) for line in lines]
    return sorted((r["key"], r["part"]) for r in records if r["status"] == "published")


@pytest.mark.parametrize("state_branch", ["", "postwright-state"])
def test_a_queued_run_publishes_from_the_newest_ledger(tmp_path, git, state_branch):
    """A run that waited in the concurrency group was checked out before the run ahead of it pushed
    its records: it must send nothing again, in both places the ledger can live."""
    remote, at = init_brand(tmp_path, git)
    env = {"STATE_BRANCH": state_branch}
    queued = git.clone(remote, tmp_path / "queued", shallow=True)  # checked out when it was queued
    first = git.clone(remote, tmp_path / "first", shallow=True)
    assert run_job(git, first, at, **env) == "0"
    assert len(sent(first)) == 2

    assert run_job(git, queued, at, **env) == "0"
    assert sent(queued) == []  # nothing sent twice
    ledger = git.ledger(remote, state_branch or "main")
    assert published_records(ledger) == sorted(set(published_records(ledger)))
    assert len(published_records(ledger)) == 2


def test_a_run_on_a_rewritten_branch_stops_before_publishing(tmp_path, git):
    remote, _ = init_brand(tmp_path, git)
    queued = git.clone(remote, tmp_path / "queued", shallow=True)
    other = git.clone(remote, tmp_path / "other")
    git(other, "commit", "--quiet", "--amend", "-m", "history rewritten")
    git(other, "push", "--quiet", "--force", "origin", "main")
    result = git.script(queued, "restore")
    assert result.returncode == 1
    assert "main was rewritten since this run was checked out" in result.stderr


def github_event(tmp_path: Path, default_branch: str = "main") -> str:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": default_branch}}))
    return str(event)


def test_a_manual_run_on_another_branch_sends_nothing(tmp_path, git):
    """workflow_dispatch on a feature branch: its content is unreviewed and its ledger would fork."""
    remote, at = init_brand(tmp_path, git)
    writer = git.clone(remote, tmp_path / "writer")
    git(writer, "switch", "--quiet", "-c", "feature")
    git(writer, "push", "--quiet", "origin", "feature")
    feature_before = git(remote, "rev-parse", "feature")
    runner = tmp_path / "on-feature"
    git(tmp_path, "clone", "--quiet", "--depth=1", "--branch=feature", f"file://{remote}", str(runner))
    summary = tmp_path / "summary.md"
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": github_event(tmp_path)}
    on_feature = {"GITHUB_REF": "refs/heads/feature", "GITHUB_STEP_SUMMARY": str(summary)}
    assert run_job(git, runner, at, **on_feature, **actions) == "2"
    assert sent(runner) == []
    assert git(remote, "rev-parse", "feature") == feature_before  # no ledger pushed there
    assert "only main publishes" in summary.read_text()

    scheduled = git.clone(remote, tmp_path / "scheduled", shallow=True)
    payload = tmp_path / "schedule.json"  # a scheduled run's payload need not name the repository
    payload.write_text(json.dumps({"schedule": "*/15 * * * *"}))
    schedule = {"GITHUB_EVENT_NAME": "schedule", "GITHUB_EVENT_PATH": str(payload)}
    assert run_job(git, scheduled, at, GITHUB_ACTIONS="true", GITHUB_REF="refs/heads/main", **schedule) == "0"
    assert len(sent(scheduled)) == 2


def test_a_feature_branch_naming_itself_the_publishing_branch_still_sends_nothing(tmp_path, git):
    remote, at = init_brand(tmp_path, git, branch="feature")  # config.yml on that branch names itself
    writer = git.clone(remote, tmp_path / "writer")
    git(writer, "switch", "--quiet", "-c", "feature")
    git(writer, "push", "--quiet", "origin", "feature")
    runner = tmp_path / "on-feature"
    git(tmp_path, "clone", "--quiet", "--depth=1", "--branch=feature", f"file://{remote}", str(runner))
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": github_event(tmp_path)}
    assert run_job(git, runner, at, GITHUB_REF="refs/heads/feature", **actions) == "2"
    assert sent(runner) == []


def test_two_commits_in_one_job_each_push_only_what_is_new_on_the_state_branch(tmp_path, git, remote):
    """The job commits the ledger, then the numbers: the second commit builds on the first one pushed,
    so the branch fast-forwards and no record is appended twice."""
    state = {"STATE_BRANCH": "postwright-state"}
    runner = git.clone(remote, tmp_path / "runner", shallow=True)
    assert git.script(runner, "restore", **state).returncode == 0
    publish_run(runner, "second")
    assert git.script(runner, "commit", **state).returncode == 0
    append(
        runner / "state" / "metrics" / "mastodon" / "2026-11.csv", "post_id,lang,account,published,observed"
    )
    result = git.script(runner, "commit", COMMIT_MESSAGE="postwright: metrics", **state)
    assert result.returncode == 0, result.stderr
    assert "pulling" not in result.stderr  # a fast-forward: nothing to rebase
    assert git.ledger(remote, "postwright-state") == [record("first"), record("second")]
    assert git(remote, "rev-list", "--count", "postwright-state") == "2"
    assert git(remote, "ls-tree", "-r", "--name-only", "postwright-state").splitlines() == [
        "state/ledger.jsonl",
        "state/metrics/mastodon/2026-11.csv",
    ]
