"""postwright as brand repositories install it: the GitHub Action (action.yml), the workflows `init`
writes (running that action by commit SHA), the pinned dependencies, the release workflow, and the
wheel, built, installed into a fresh virtualenv and run outside the checkout.

Nothing here reaches the network: the wheel is built with the test environment's setuptools, and its
fresh virtualenv borrows the test environment's packages (never its postwright) for its dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import postwright
from postwright.cli import cli
from postwright.scaffold import ACTION, action_problem, default_action, init_brand
from tests.conftest import BIN, REPO, tool

ACTION_FILE = REPO / "action.yml"
ACTION_SCRIPT = REPO / ".github" / "scripts" / "action.sh"
RELEASE = REPO / ".github" / "workflows" / "release.yml"
WORKFLOWS = ("check.yml", "publish.yml")
SHA = "0123456789abcdef0123456789abcdef01234567"


def offline_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GH_", "GITHUB_", "PYTHON"))}
    return {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", **extra}


def lint(*paths: Path, cwd: Path) -> None:
    """actionlint (with ShellCheck) and zizmor's pedantic persona, offline: both find nothing."""
    names = [str(path) for path in paths]
    linted = subprocess.run(
        [tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"), *names],
        capture_output=True,
        text=True,
        env=offline_env(),
        cwd=cwd,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    audited = subprocess.run(
        [tool("zizmor"), "--offline", "--persona=pedantic", "--no-progress", "--color=never", *names],
        capture_output=True,
        text=True,
        env=offline_env(ZIZMOR_OFFLINE="true"),
        cwd=cwd,
    )
    assert audited.returncode == 0 and "No findings to report" in audited.stdout, audited.stdout


# The action ---------------------------------------------------------------------------------------


def test_action_is_valid_and_clean():
    schema = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION_FILE)],
        capture_output=True,
        text=True,
        env=offline_env(),
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audited = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--persona=pedantic",
            "--no-progress",
            "--color=never",
            str(ACTION_FILE),
        ],
        capture_output=True,
        text=True,
        env=offline_env(ZIZMOR_OFFLINE="true"),
    )
    assert audited.returncode == 0 and "No findings to report" in audited.stdout, audited.stdout
    checked = subprocess.run([tool("shellcheck"), str(ACTION_SCRIPT)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_action_shape():
    action = yaml.safe_load(ACTION_FILE.read_text(encoding="utf-8"))
    assert set(action["inputs"]) == {"command", "args", "python-version", "cache"}
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    for step in steps:  # third-party actions by full commit, inputs into scripts only through env
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        assert "${{" not in step.get("run", "")
    scripts = [step["run"] for step in steps if "run" in step]
    assert 'bash "${GITHUB_ACTION_PATH}/.github/scripts/action.sh" install' in scripts
    caches = [step for step in steps if step.get("uses", "").startswith("actions/cache@")]
    assert [cache["with"]["path"] for cache in caches] == [
        "${{ runner.temp }}/postwright-uv-cache",
        ".postwright-cache",
    ]
    assert all(cache["if"] == "inputs.cache == 'true'" for cache in caches)


def run_action(tmp_path: Path, args: str, exit_code: int = 0) -> tuple[subprocess.CompletedProcess, Path]:
    """`action.sh run` with a `postwright` on PATH that writes its arguments, one per line, to a file."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    shim = folder / "postwright"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/argv"\nexit {exit_code}\n')
    shim.chmod(0o755)
    output = tmp_path / "output"
    env = offline_env(
        PATH=f"{folder}{os.pathsep}{os.environ['PATH']}",
        RUNNER_TEMP=str(tmp_path),
        GITHUB_OUTPUT=str(output),
        PYTHON=sys.executable,
        COMMAND="report",
        ARGS=args,
    )
    result = subprocess.run(
        ["bash", str(ACTION_SCRIPT), "run"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    return result, output


def test_action_splits_the_arguments_like_a_shell_and_never_runs_them(tmp_path):
    args = "--changed-since \"$(touch pwned)\" --max-chars '60 000'\n  --format   markdown ;rm -rf ~"
    result, output = run_action(tmp_path, args)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "argv").read_text().splitlines() == [
        "report",
        "--changed-since",
        "$(touch pwned)",
        "--max-chars",
        "60 000",
        "--format",
        "markdown",
        ";rm",
        "-rf",
        "~",
    ]
    assert not (tmp_path / "pwned").exists()
    assert output.read_text() == "exit-code=0\n"


def test_action_reports_the_exit_code_and_fails_with_it(tmp_path):
    result, output = run_action(tmp_path, "", exit_code=3)
    assert result.returncode == 3
    assert (tmp_path / "argv").read_text() == "report\n"  # no arguments: not even an empty one
    assert output.read_text() == "exit-code=3\n"


def test_unbalanced_quotes_fail_before_postwright_runs(tmp_path):
    result, output = run_action(tmp_path, "--at '2026-12-01")
    assert result.returncode != 0 and "No closing quotation" in result.stderr
    assert not (tmp_path / "argv").exists() and not output.exists()


# The pinned dependencies ------------------------------------------------------------------------------


def pins() -> dict[str, tuple[str, list[str]]]:
    """requirements.txt: each package's pinned version and its hashes."""
    text = (REPO / "requirements.txt").read_text(encoding="utf-8")
    found = {}
    for entry in re.split(r"\n(?=\S)", re.sub(r"(?m)^\s*#.*\n", "", text)):
        if entry.strip():
            name, version = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", entry).groups()
            found[canonicalize_name(name)] = (version, re.findall(r"--hash=sha256:([0-9a-f]{64})", entry))
    return found


def test_requirements_pin_every_dependency_and_the_build_backend_with_hashes():
    """The action installs requirements.txt with --require-hashes and postwright with --no-deps, so a
    dependency added to pyproject.toml but not to the pins would be missing: regenerate them with the
    command at the top of requirements.txt."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = pins()
    wanted = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    for requirement in map(Requirement, wanted):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not pinned in requirements.txt"
        version, hashes = pinned[name]
        assert requirement.specifier.contains(version, prereleases=True), f"{name}=={version} ∉ {requirement}"
        assert hashes, f"{name} has no hash"
    assert "uv pip compile pyproject.toml" in (REPO / "requirements.txt").read_text().splitlines()[1]


# The workflows init writes ------------------------------------------------------------------------


def test_scaffold_workflows_are_the_repository_s_own():
    """One source of truth: the scaffold's copies are byte for byte this repository's workflows, and
    each runs the action from the checkout once per job (publish.yml's two: publishing and engagement),
    the lines `init` rewrites."""
    for name in WORKFLOWS:
        ours = (REPO / ".github" / "workflows" / name).read_bytes()
        assert (REPO / "postwright" / "scaffold" / "github" / "workflows" / name).read_bytes() == ours
        assert len(re.findall(rb"(?m)^ +uses: \./", ours)) == {"check.yml": 1, "publish.yml": 2}[name]
    script = REPO / ".github" / "scripts" / "publish.sh"
    assert (
        REPO / "postwright" / "scaffold" / "github" / "scripts" / "publish.sh"
    ).read_bytes() == script.read_bytes()


def outside_the_schedule(text: str) -> list[str]:
    """The lines of a workflow, but those `postwright workflow sync` writes (one per brand)."""
    lines = text.splitlines()
    begin = next((n for n, line in enumerate(lines) if "# >>> postwright workflow sync" in line), None)
    end = next((n for n, line in enumerate(lines) if "# <<< postwright workflow sync" in line), None)
    return lines if begin is None or end is None else lines[:begin] + lines[end + 1 :]


def init_workflows_differ_only_in_uses(brand: Path, action: str) -> None:
    """The same workflows as this repository's, but the action they run and the schedule (which runs at
    the brand's own posting times: `workflow sync --check` finds it in sync)."""
    for name in WORKFLOWS:
        ours = outside_the_schedule((REPO / ".github" / "workflows" / name).read_text(encoding="utf-8"))
        theirs = outside_the_schedule((brand / ".github" / "workflows" / name).read_text(encoding="utf-8"))
        changed = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
        assert {b.strip() for _, b in changed} == {f"uses: {action}"}, changed
        assert all(a.strip().startswith("uses: ./") for a, _ in changed)


def test_init_writes_workflows_that_run_the_action_by_sha_and_pass_the_linters(tmp_path):
    brand = tmp_path / "brand"
    action = f"acme-social/postwright@{SHA}"
    result = CliRunner().invoke(cli, ["init", str(brand), "--platforms", "mastodon", "--action", action])
    assert result.exit_code == 0, result.output
    init_workflows_differ_only_in_uses(brand, action)
    synced = CliRunner().invoke(cli, ["-C", str(brand), "workflow", "sync", "--check"])
    assert synced.exit_code == 0, synced.output
    lint(*(brand / ".github" / "workflows" / name for name in WORKFLOWS), cwd=brand)
    checked = CliRunner().invoke(cli, ["-C", str(brand), "check", "--strict"])
    assert checked.exit_code == 0, checked.output


def test_init_defaults_to_the_action_in_action_txt(tmp_path):
    assert ACTION.fullmatch(default_action()) and action_problem(default_action()) is None
    init_brand(tmp_path, name="B", timezone="UTC", language="en", platforms=["mastodon"], today=date.today())
    init_workflows_differ_only_in_uses(tmp_path, default_action())


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("acme/postwright@v1", "'v1' is a tag or branch, which can be moved to other code"),
        ("acme/postwright@main", "git ls-remote https://github.com/acme/postwright main"),
        ("acme/postwright@0123456", "'0123456' is a shortened commit SHA: use all 40 hex digits"),
        (f"acme/postwright@{SHA.upper()}", f"write the commit SHA in lower case: {SHA}"),
        (f"postwright@{SHA}", "expected OWNER/REPO@<full commit SHA>"),
        (f"acme/post wright@{SHA}", "expected OWNER/REPO@<full commit SHA>"),
        ("acme/postwright", "expected OWNER/REPO@<full commit SHA>"),
        ("", "expected OWNER/REPO@<full commit SHA>"),
    ],
)
def test_init_refuses_an_action_that_is_not_pinned_to_a_commit(tmp_path, value, problem):
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "brand"), "--action", value])
    assert result.exit_code == 2 and problem in result.stderr, result.stderr
    assert not (tmp_path / "brand").exists()


# The release -------------------------------------------------------------------------------------


def test_release_workflow_is_clean_and_publishes_through_trusted_publishing():
    lint(RELEASE, cwd=REPO)
    workflow = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    assert workflow[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads `on` as true
    assert workflow["permissions"] == {}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    assert build["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"id-token": "write"} and publish["environment"]["name"] == "pypi"
    assert publish["needs"] == "build"
    assert [step.get("uses", "").split("@")[0] for step in publish["steps"]] == [
        "actions/download-artifact",
        "pypa/gh-action-pypi-publish",
    ]
    assert "with" not in publish["steps"][1]  # no password: trusted publishing


def run_version_step(tmp_path: Path, tag: str, changelog: str) -> subprocess.CompletedProcess[str]:
    step = next(
        s for s in yaml.safe_load(RELEASE.read_text())["jobs"]["build"]["steps"] if s.get("id") == "version"
    )
    (tmp_path / "postwright").mkdir()
    shutil.copy(REPO / "postwright" / "__init__.py", tmp_path / "postwright")
    (tmp_path / "CHANGELOG.md").write_text(changelog)
    env = offline_env(TAG=tag, GITHUB_OUTPUT=str(tmp_path / "output"))
    script = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    return subprocess.run(script, cwd=tmp_path, env=env, capture_output=True, text=True)


def test_release_refuses_a_tag_that_is_not_the_version(tmp_path):
    version = postwright.__version__
    section = f"# Changelog\n\n## [Unreleased]\n\n## [{version}] - 2026-12-07\n"
    wrong = run_version_step(tmp_path, "v9.9.9", section)
    assert wrong.returncode == 1
    assert f"the tag v9.9.9 does not name the version in postwright/__init__.py ({version})" in wrong.stdout
    shutil.rmtree(tmp_path / "postwright")
    unlisted = run_version_step(tmp_path, f"v{version}", "# Changelog\n\n## [Unreleased]\n")
    assert unlisted.returncode == 1 and f"no section '## [{version}]'" in unlisted.stdout
    shutil.rmtree(tmp_path / "postwright")
    right = run_version_step(tmp_path, f"v{version}", section)
    assert right.returncode == 0, right.stdout + right.stderr
    assert (tmp_path / "output").read_text() == f"version={version}\n"


def test_the_version_is_written_once_and_the_changelog_has_unreleased_notes():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "postwright.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", postwright.__version__)
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n") and "\n## [Unreleased]\n" in changelog
    assert (
        (REPO / "LICENSE")
        .read_text()
        .startswith("MIT License\n\nCopyright (c) 2026 postwright contributors\n")
    )


# The wheel, installed and run outside the checkout ------------------------------------------------------


def dependencies_of(tmp_path: Path) -> Path:
    """A folder of links to the test environment's packages, without postwright (nor its editable
    install's finder): the fresh virtualenv's dependencies, so that nothing is downloaded."""
    folder = tmp_path / "dependencies"
    folder.mkdir()
    for site in dict.fromkeys(sysconfig.get_paths()[kind] for kind in ("purelib", "platlib")):
        for entry in sorted(Path(site).iterdir()):
            ours = entry.name.lower().startswith(("postwright", "__editable__"))
            if not ours and entry.suffix != ".pth":
                link = folder / entry.name
                if not link.exists():
                    link.symlink_to(entry)
    return folder


def test_the_wheel_installs_into_a_fresh_virtualenv_and_runs_outside_the_checkout(tmp_path):
    """What CI runs for every change: the sdist, the wheel built from it, installed into a fresh
    virtualenv, then `init`, `check` and `build` of a new brand in a folder outside the checkout, with
    the installed postwright (never the checkout's)."""
    source = tmp_path / "source"  # the build writes build/ and *.egg-info next to the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source)
    shutil.copytree(REPO / "postwright", source / "postwright", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    env = offline_env(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # not the checkout, whose build.py `-m build` would run
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    version = postwright.__version__
    wheel = dist / f"postwright-{version}-py3-none-any.whl"
    assert (dist / f"postwright-{version}.tar.gz").is_file() and wheel.is_file()

    names = set(zipfile.ZipFile(wheel).namelist())
    package = [
        path.relative_to(REPO).as_posix()
        for path in (REPO / "postwright").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert sorted(set(package) - names) == []  # every package file: scaffold, preview assets, …
    assert {"postwright/scaffold/assets/.gitkeep", "postwright/preview/site.css"} <= names
    metadata = zipfile.ZipFile(wheel).read(f"postwright-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata and "\nLicense-Expression: MIT\n" in metadata
    assert f"postwright-{version}.dist-info/licenses/LICENSE" in names

    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True, env=env)
    python = fresh / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    (Path(site) / "test-dependencies.pth").write_text(f"{dependencies_of(tmp_path)}\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    work = tmp_path / "elsewhere"  # outside the checkout: nothing there to import by accident
    work.mkdir()
    command = python.parent / "postwright"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(command), *args], cwd=work, capture_output=True, text=True, env=env)

    where = subprocess.run(
        [str(python), "-c", "import postwright; print(postwright.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert Path(where.stdout.strip()).is_relative_to(fresh), where.stdout + where.stderr
    satisfied = subprocess.run(  # the wheel's requirements, met by what the fresh environment sees
        [
            str(python),
            "-c",
            "from importlib.metadata import requires, version\n"
            "from packaging.requirements import Requirement\n"
            "for r in map(Requirement, requires('postwright')):\n"
            "    if not r.marker or r.marker.evaluate({'extra': ''}):\n"
            "        assert r.specifier.contains(version(r.name), prereleases=True), r\n",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert satisfied.returncode == 0, satisfied.stderr
    assert run("--version").stdout == f"postwright, version {version}\n"
    made = run("init", "brand", "--name", "Elsewhere", "--platforms", "mastodon,bluesky")
    assert made.returncode == 0, made.stderr
    init_workflows_differ_only_in_uses(work / "brand", default_action())
    checked = run("-C", "brand", "check", "--strict")
    assert checked.returncode == 0, checked.stderr
    assert "checked 1 post file: 0 errors, 0 warnings" in checked.stderr
    built_brand = run("-C", "brand", "build")
    assert built_brand.returncode == 0, built_brand.stderr
    assert (work / "brand" / "publish" / "manifest.json").is_file()
