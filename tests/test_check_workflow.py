"""The pull-request workflow (.github/workflows/check.yml) and the pre-commit hook, tested, not only written.

The workflow is linted (actionlint with ShellCheck, zizmor) and validated against the GitHub workflow
schema offline; its shell steps run here: the check job's against a real brand repository with the
real postwright, the comment job's against a fake `gh` that keeps the pull request's comments in a file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml

from postwright.cli import cli
from postwright.scaffold import init_brand
from tests.conftest import BIN, REPO, tool
from tests.test_preview import post_pages

WORKFLOW = REPO / ".github" / "workflows" / "check.yml"
SCAFFOLD = REPO / "postwright" / "scaffold" / "github" / "workflows" / "check.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
MARKER = "<!-- postwright-report -->"
BOT = "github-actions[bot]"


def offline_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GH_", "GITHUB_"))}
    return {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", **extra}


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def step(job: str, step_id: str) -> dict:
    return next(s for s in workflow()["jobs"][job]["steps"] if s.get("id") == step_id)


def run_step(job: str, step_id: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A run: step as GitHub runs it on ubuntu: bash --noprofile --norc -eo pipefail."""
    script = cwd.parent / f"{job}-{step_id}.sh"
    script.write_text(step(job, step_id)["run"], encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


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


@pytest.mark.parametrize("schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"])
def test_workflow_matches_the_schema(schema):
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, str(WORKFLOW)],
        capture_output=True,
        text=True,
        env=offline_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_scaffold_copy_is_identical_and_init_writes_it(tmp_path):
    assert SCAFFOLD.read_bytes() == WORKFLOW.read_bytes()
    action = "acme/postwright@" + "a" * 40
    init_brand(
        tmp_path / "brand",
        name="B",
        timezone="UTC",
        language="en",
        platforms=["mastodon"],
        today=date.today(),
        action=action,
    )
    written = (tmp_path / "brand" / ".github" / "workflows" / "check.yml").read_text(encoding="utf-8")
    ours = WORKFLOW.read_text(encoding="utf-8")
    assert written == re.sub(r"(?m)^( +uses: )\./.*$", rf"\g<1>{action}", ours)  # its action by commit


def test_workflow_shape():
    text = WORKFLOW.read_text(encoding="utf-8")
    code = re.sub(r"(?m)^\s*#.*$|\s#\s.*$", "", text)  # the YAML without its comments
    document = workflow()
    assert document[True] == {"pull_request": None}  # YAML 1.1 reads `on` as true; never _target
    assert "pull_request_target" not in code and "secrets." not in code
    assert document["permissions"] == {}
    check, comment = document["jobs"]["check"], document["jobs"]["comment"]
    assert check["permissions"] == {"contents": "read"}  # runs the pull request's files: read-only
    assert comment["permissions"] == {"pull-requests": "write"}  # runs nothing from the pull request
    assert comment["needs"] == "check"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in comment["if"]
    # Nothing from the pull request reaches the job that may write: no checkout, no install.
    assert [s.get("uses", "").split("@")[0] for s in comment["steps"]] == ["actions/download-artifact", ""]
    assert "pip" not in comment["steps"][1]["run"]
    uses = re.findall(r"uses: (\S+)@(\S+)(.*)", text)
    assert {name for name, _, _ in uses} == {
        "actions/checkout",
        "actions/upload-artifact",
        "actions/download-artifact",
    }
    for _name, ref, version in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref) and re.fullmatch(r" # v\d+\.\d+\.\d+", version)
    checkout = check["steps"][0]
    assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}
    assert not any("${{" in s.get("run", "") for job in document["jobs"].values() for s in job["steps"])
    assert "postwright check --format github" in step("check", "check")["run"]
    assert check["steps"][-1]["if"] == "steps.check.outputs.exit-code != '0'"


# The check job's steps, with the real postwright ---------------------------------------------------------


class Git:
    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        home.mkdir(exist_ok=True)
        self.env = offline_env(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")

    def __call__(self, *args: str) -> str:
        who = ["-c", "user.name=Writer", "-c", "user.email=writer@example.com", "-c", "commit.gpgsign=false"]
        result = subprocess.run(
            ["git", *who, *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


def shim(folder: Path) -> Path:
    """`postwright` on PATH, as `pip install postwright` puts it on the runner."""
    folder.mkdir(exist_ok=True)
    command = folder / "postwright"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m postwright "$@"\n')
    command.chmod(0o755)
    return folder


def test_check_job_steps_annotate_report_and_build_the_preview(tmp_path):
    brand = tmp_path / "brand"
    init_brand(
        brand,
        name="Brand",
        timezone="Europe/Madrid",
        language="en",
        platforms=["mastodon"],
        today=date(2026, 11, 1),
    )
    git = Git(brand, tmp_path / "home")
    git("init", "--quiet", "--initial-branch=main")
    git("add", "-A")
    git("commit", "--quiet", "-m", "brand")
    base = git("rev-parse", "HEAD")
    post = brand / "content" / "posts" / "2026" / "2026-12-01-launch.md"
    post.write_text("---\ntitle: Launch <b>day</b>\nthread: never\n---\n" + "word " * 120 + "\n")
    git("add", "-A")
    git("commit", "--quiet", "-m", "a post")
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    outputs, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {
        **git.env,
        "PATH": f"{shim(tmp_path / 'bin')}{os.pathsep}{git.env['PATH']}",
        "PYTHONPATH": str(REPO),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "BASE_SHA": base,
    }
    checked = run_step("check", "check", brand, env)
    assert checked.returncode == 0, checked.stderr  # the exit code waits for the last step
    assert checked.stdout.startswith("::error file=content/posts/2026/2026-12-01-launch.md,line=5")
    assert run_step("check", "preview", brand, env).returncode == 0
    assert (brand / "publish" / "index.html").is_file() and (brand / "publish" / "calendar.ics").is_file()
    assert list(post_pages(brand / "publish")) == ["2026-12-01-launch"]  # only the changed post's page
    reported = run_step("check", "report", brand, env)
    assert reported.returncode == 0, reported.stderr
    assert outputs.read_text().splitlines() == ["exit-code=1", "reported=true"]
    text = summary.read_text(encoding="utf-8")
    assert (
        text.startswith("## postwright: 1 post changed since `")
        and "Launch \\<b\\>day\\</b\\> (added)" in text
    )
    comment = (runner_temp / "postwright-report" / "comment.md").read_text(encoding="utf-8")
    minutes = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")  # the two steps may run a minute apart
    assert minutes.sub("<now>", comment) == minutes.sub("<now>", text)


# The comment job's step, against a fake gh ----------------------------------------------------------

FAKE_GH = """\
#!{python}
# Stands for `gh api`: the pull request's comments live in $FAKE_GH_STATE; every call is logged.
import json, os, shutil, subprocess, sys
BOT, MARKER = "github-actions[bot]", "<!-- postwright-report -->"
args = sys.argv[1:]
state_path = os.environ["FAKE_GH_STATE"]
state = json.load(open(state_path))
state["calls"].append(args)
assert args[0] == "api"
method, path, jq, fields = "GET", None, None, {{}}
rest = args[1:]
while rest:
    arg = rest.pop(0)
    if arg == "--method":
        method = rest.pop(0)
    elif arg == "--jq":
        jq = rest.pop(0)
    elif arg == "-F":
        name, value = rest.pop(0).split("=", 1)
        fields[name] = open(value[1:]).read() if value.startswith("@") else value
    elif arg != "--paginate":
        path = arg
fail = os.environ.get("FAKE_GH_FAIL", "")
json.dump(state, open(state_path, "w"))
if fail == ("read" if method == "GET" else "write"):
    sys.exit("HTTP 403: Resource not accessible by integration")
if method == "GET":
    listing = json.dumps(state["comments"])
    if shutil.which("jq"):  # the workflow's own filter
        found = subprocess.run(["jq", "-r", jq], input=listing, capture_output=True, text=True, check=True)
        print(found.stdout, end="")
    else:  # what that filter says, for machines without jq
        assert BOT in jq and MARKER in jq
        for c in state["comments"]:
            if c["user"]["login"] == BOT and c["body"].startswith(MARKER):
                print(c["id"])
    sys.exit(0)
if method == "POST":
    comment = {{"id": 100 + len(state["comments"]), "user": {{"login": BOT}}, "body": fields["body"]}}
    state["comments"].append(comment)
elif method == "PATCH":
    wanted = int(path.rsplit("/", 1)[1])
    for c in state["comments"]:
        if c["id"] == wanted:
            c["body"] = fields["body"]
json.dump(state, open(state_path, "w"))
print(json.dumps({{"ok": True}}))
"""


@pytest.fixture
def comment_env(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    gh = folder / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable))
    gh.chmod(0o755)
    runner_temp = tmp_path / "runner"
    (runner_temp / "postwright-report").mkdir(parents=True)
    (runner_temp / "postwright-report" / "comment.md").write_text("## postwright: 1 post changed\n")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"comments": [], "calls": []}))
    work = tmp_path / "work"
    work.mkdir()
    env = offline_env(
        PATH=f"{folder}{os.pathsep}{os.environ['PATH']}",
        RUNNER_TEMP=str(runner_temp),
        FAKE_GH_STATE=str(state),
        GH_TOKEN="dummy",
        REPOSITORY="acme/social",
        PULL_REQUEST="7",
        RUN_URL="https://github.com/acme/social/actions/runs/42",
    )
    return env, state, runner_temp / "postwright-report" / "comment.md", work


def comments(state: Path) -> list[dict]:
    return json.loads(state.read_text())["comments"]


def test_comment_is_created_once_then_edited_in_place(comment_env):
    env, state, report, work = comment_env
    first = run_step("comment", "comment", work, env)
    assert first.returncode == 0, first.stderr
    assert "report comment: POST repos/acme/social/issues/7/comments" in first.stdout
    (created,) = comments(state)
    assert created["body"].startswith(MARKER + "\n## postwright: 1 post changed\n")
    assert (
        "postwright-preview of [this run](https://github.com/acme/social/actions/runs/42)" in created["body"]
    )
    # Someone quotes the marker in their own comment; the next push changes the report.
    data = json.loads(state.read_text())
    data["comments"].insert(0, {"id": 5, "user": {"login": "octocat"}, "body": MARKER + " quoted"})
    state.write_text(json.dumps(data))
    report.write_text("## postwright: 2 posts changed\n")
    second = run_step("comment", "comment", work, env)
    assert second.returncode == 0, second.stderr
    assert f"report comment: PATCH repos/acme/social/issues/comments/{created['id']}" in second.stdout
    quoted, edited = comments(state)
    assert quoted["body"] == MARKER + " quoted" and edited["id"] == created["id"]
    assert "## postwright: 2 posts changed" in edited["body"]


@pytest.mark.parametrize("failing", ["read", "write"])
def test_a_read_only_token_is_a_warning_not_a_failure(comment_env, failing):
    env, state, _, work = comment_env
    result = run_step("comment", "comment", work, {**env, "FAKE_GH_FAIL": failing})
    assert result.returncode == 0, result.stderr
    assert "::warning title=postwright report::" in result.stdout and "job's summary" in result.stdout
    assert comments(state) == []


# The pre-commit hook ---------------------------------------------------------------------------------

# The keys of a hook definition, from pre-commit's manifest schema (pre-commit.com, "Creating new hooks").
HOOK_KEYS = {
    "id", "name", "entry", "language", "files", "exclude", "types", "types_or", "exclude_types",
    "always_run", "fail_fast", "verbose", "pass_filenames", "require_serial", "description",
    "language_version", "minimum_pre_commit_version", "args", "stages",
}  # fmt: skip


def test_pre_commit_hook_checks_the_whole_brand(tmp_path):
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert {"id", "name", "entry", "language"} <= set(hook) <= HOOK_KEYS
    assert hook["id"] == "postwright-check" and hook["language"] == "python"
    assert hook["entry"] == "postwright check" and "check" in cli.commands
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'postwright = "postwright.cli:main"' in pyproject  # what a python hook runs
    assert hook["pass_filenames"] is False  # a template or config.yml change breaks other posts
    files = re.compile(hook["files"])
    for path in ("config.yml", "content/posts/2026/2026-12-01-a.md", "templates/x.j2", "assets/a.jpg"):
        assert files.search(path), path
    assert not files.search("README.md") and not files.search(".github/workflows/check.yml")
    init_brand(
        tmp_path / "brand",
        name="B",
        timezone="UTC",
        language="en",
        platforms=["mastodon"],
        today=date.today(),
    )
    result = subprocess.run(
        [sys.executable, "-m", "postwright", *hook["entry"].split()[1:]],
        cwd=tmp_path / "brand",
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert textwrap.dedent("checked 1 post file: 0 errors, 0 warnings") in result.stderr
