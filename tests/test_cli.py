import json
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.scaffold import default_action
from tests.conftest import ALT_TEXT_OPTIONAL_CONFIG, REPO

BROKEN = """
-- content/posts/2026-12-01-ok.md --
---
title: Fine
---
All good.
-- content/posts/2026-12-02-broken.md --
---
title: Broken
draft: maybe
images:
  - src: missing.png
---
Hi.
"""


def run(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def test_check_clean_project_exits_0(make_project):
    project = make_project("-- content/posts/2026-12-01-ok.md --\n---\n---\nHello.\n")
    result = run("-C", project.root, "check")
    assert result.exit_code == 0, result.output
    assert "checked 1 post file: 0 errors, 0 warnings" in result.stderr


def test_check_json_lists_located_diagnostics_with_exact_fields(make_project):
    project = make_project(BROKEN)
    result = run("-C", project.root, "check", "--format", "json")
    assert result.exit_code == 1
    items = json.loads(result.stdout)
    assert [(i["path"], i["line"], i["column"], i["code"]) for i in items] == [
        ("content/posts/2026-12-02-broken.md", 3, 8, "PW031"),
        ("content/posts/2026-12-02-broken.md", 5, 10, "PW300"),  # found in the same run
    ]
    assert set(items[0]) == {"path", "line", "column", "severity", "code", "message", "platform", "hint"}
    assert items[0]["severity"] == "error" and items[0]["hint"] == "write true or false"


def test_check_github_annotations(make_project):
    project = make_project(BROKEN)
    result = run("-C", project.root, "check", "--format", "github")
    assert result.stdout.splitlines()[0].startswith(
        "::error file=content/posts/2026-12-02-broken.md,line=3,col=8,title=PW031::draft should be true"
    )
    assert "%0Ahint: write true or false" in result.stdout


def test_check_human_output_and_paths_filter(make_project):
    project = make_project(BROKEN)
    result = run("-C", project.root, "check", project.root / "content/posts/2026-12-01-ok.md")
    assert result.exit_code == 0 and result.stdout == ""
    result = run("-C", project.root, "check")
    assert "content/posts/2026-12-02-broken.md:3:8: error PW031 draft should be" in result.stdout
    assert "    hint: write true or false" in result.stdout


def test_strict_fails_on_warnings(make_project):
    project = make_project(
        f"-- config.yml --\n{ALT_TEXT_OPTIONAL_CONFIG}-- assets/a.png --\n4x4\n"
        "-- content/posts/2026-12-01-a.md --\n---\nplatforms: [mastodon]\nimages: [{src: a.png}]\n---\nHi.\n"
    )
    assert run("-C", project.root, "check").exit_code == 0
    result = run("-C", project.root, "check", "--strict")
    assert result.exit_code == 1 and "PW302" in result.stdout


def test_usage_errors_exit_2(make_project, tmp_path):
    project = make_project()
    assert run("-C", project.root, "check", "--format", "xml").exit_code == 2
    assert run("-C", tmp_path / "nowhere", "check").exit_code == 2
    assert run("-C", project.root, "check", "no/such/file.md").exit_code == 2
    assert run("-C", project.root, "schema").exit_code == 2


def test_check_with_broken_config_still_reports_post_syntax(make_project):
    project = make_project(
        "-- config.yml --\nbrand: [\n-- content/posts/2026-12-01-a.md --\n---\ntitle: [\n---\n"
    )
    result = run("-C", project.root, "check", "--format", "json")
    assert result.exit_code == 1
    assert {(i["path"], i["code"]) for i in json.loads(result.stdout)} == {
        ("config.yml", "PW010"),
        ("content/posts/2026-12-01-a.md", "PW010"),
    }
    assert "checked only for syntax" in result.stderr


def test_schema_validates_the_example_brand(tmp_path):
    config_schema = json.loads(run("schema", "config").stdout)
    jsonschema.Draft202012Validator.check_schema(config_schema)
    jsonschema.validate(yaml.safe_load((REPO / "config.yml").read_text()), config_schema)
    post_schema = json.loads(run("schema", "post").stdout)
    assert post_schema["properties"]["draft"]["description"].startswith("Drafts are checked")
    assert run("schema", "-o", tmp_path / "s").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["config.schema.json", "post.schema.json"]


def test_new_creates_a_named_draft_that_passes_check_and_never_overwrites(make_project):
    project = make_project()
    result = run(
        "-C",
        project.root,
        "new",
        "Привет, мир!",
        "--date",
        "2026-12-24 18:00",
        "--platforms",
        "mastodon",
        "--lang",
        "ru",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "content/posts/2026/2026-12-24-privet-mir.ru.md"
    text = (project.root / result.stdout.strip()).read_text()
    assert "title: Привет, мир!" in text and "draft: true" in text and "date: 2026-12-24 18:00" in text
    checked = pipeline.check(project)
    assert checked.diagnostics == () and checked.loaded.posts[0].lang == "ru"
    again = run("-C", project.root, "new", "Привет, мир!", "--date", "2026-12-24 18:00", "--lang", "ru")
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert (project.root / result.stdout.strip()).read_text() == text


def test_new_variant_of_makes_a_language_variant_with_the_same_id_and_date(make_project):
    project = make_project(
        "-- content/posts/2026/2026-12-01-launch.md --\n---\ntitle: Launch\ndate: 2026-12-01 09:30\n"
        "---\nHi.\n"
        "-- content/posts/2026-12-05-renamed.md --\n---\nid: 2026-12-05-old-name\n---\nRenamed.\n"
    )
    result = run("-C", project.root, "new", "--variant-of", "2026-12-01-launch", "--lang", "es")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "content/posts/2026/2026-12-01-launch.es.md"
    text = (project.root / result.stdout.strip()).read_text()
    assert "title: Launch\n" in text and "platforms: [mastodon]" in text  # sky takes English posts only
    renamed = run(
        "-C", project.root, "new", "Renombrado", "--variant-of", "2026-12-05-old-name", "--lang", "es"
    )
    assert renamed.stdout.strip() == "content/posts/2026-12-05-renamed.es.md", renamed.output

    checked = pipeline.check(project)
    assert checked.diagnostics == ()
    variants = {(post.id, post.lang): post for post in checked.loaded.posts}
    assert set(variants) == {
        (f"2026-12-0{day}", lang) for day in ("1-launch", "5-old-name") for lang in ("en", "es")
    }
    for post_id in ("2026-12-01-launch", "2026-12-05-old-name"):
        assert variants[post_id, "es"].publish_at == variants[post_id, "en"].publish_at
    assert variants["2026-12-05-old-name", "es"].title == "Renombrado"

    again = run("-C", project.root, "new", "--variant-of", "2026-12-01-launch", "--lang", "es")
    assert again.exit_code == 2 and "has a 'es' variant already" in again.stderr
    typo = run("-C", project.root, "new", "--variant-of", "2026-12-01-lanch", "--lang", "fr")
    assert typo.exit_code == 2 and "did you mean '2026-12-01-launch'" in typo.stderr
    assert run("-C", project.root, "new", "--variant-of", "2026-12-01-launch").exit_code == 2  # no --lang
    assert run("-C", project.root, "new").exit_code == 2  # no title


def test_new_rejects_bad_dates_and_platforms(make_project):
    project = make_project()
    assert run("-C", project.root, "new", "X", "--date", "2026-03-29 02:30").exit_code == 2
    assert run("-C", project.root, "new", "X", "--platforms", "myspace").exit_code == 2


def test_init_scaffolds_a_brand_that_passes_check_and_never_overwrites(tmp_path):
    target = tmp_path / "brand"
    result = run(
        "init", target, "--name", "Acme «Kites»", "--timezone", "Europe/Madrid", "--platforms", "x,mastodon"
    )
    assert result.exit_code == 0, result.output
    for name in ("config.yml", ".gitignore", "templates/base.j2", ".postwright/config.schema.json"):
        assert (target / name).is_file()
    for name in (".github/workflows/publish.yml", ".github/scripts/publish.sh"):  # the repository's own
        ours = (REPO / name).read_text(encoding="utf-8")  # with its action by commit (tests/test_install.py)
        action = rf"\g<1>{default_action()}"
        # and the schedule at the brand's own slots (`workflow sync` writes the lines between its markers)
        schedule = r"(?ms)^ +# >>> postwright workflow sync.*?# <<< postwright workflow sync$"
        theirs = re.sub(schedule, "", (target / name).read_text(encoding="utf-8"))
        assert theirs == re.sub(schedule, "", re.sub(r"(?m)^( +uses: )\./.*$", action, ours))
    assert run("-C", target, "workflow", "sync", "--check").exit_code == 0
    assert (target / ".github/scripts/publish.sh").stat().st_mode & 0o111
    check = run("-C", target, "check", "--strict")
    assert check.exit_code == 0, check.output
    assert "checked 1 post file: 0 errors, 0 warnings" in check.stderr
    config_before = (target / "config.yml").read_bytes()
    again = run("init", target)
    assert again.exit_code == 1 and "never overwrites" in again.stderr
    assert (target / "config.yml").read_bytes() == config_before


def test_build_py_runs_the_same_cli():
    result = subprocess.run([sys.executable, "build.py", "--help"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("check", "new", "init", "schema"):
        assert command in result.stdout


def test_internal_errors_are_one_line_without_debug(monkeypatch, make_project, capsys):
    from postwright import cli as cli_module
    from postwright import pipeline

    def explode(project, **options):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "check", explode)
    monkeypatch.setattr(sys, "argv", ["postwright", "-C", str(make_project().root), "check"])
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == 70
    err = capsys.readouterr().err
    assert "internal error: RuntimeError('boom')" in err and "Traceback" not in err


def test_a_build_with_nothing_to_do_loads_no_stage(make_project):
    """`build` answers an unchanged project from the stamp without importing the stages (~0.3 s)."""
    root = make_project().root
    script = (
        "import sys\nfrom postwright.cli import main\n"
        f"sys.argv = ['postwright', '-C', {str(root)!r}, 'build']\n"
        "try:\n    main()\nexcept SystemExit as done:\n    code = done.code\n"
        "loaded = sorted(m for m in ('postwright.pipeline', 'postwright.render', 'postwright.config') "
        "if m in sys.modules)\n"
        "print(code, loaded)\n"
    )
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert first.stdout.split()[0] == "0", first.stderr
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert again.stdout.strip() == "0 []", again.stderr
    assert "up to date" in again.stderr


def test_colour_only_on_a_terminal_and_never_with_no_color(make_project, monkeypatch):
    project = make_project(BROKEN)
    on_terminal = CliRunner().invoke(cli, ["-C", str(project.root), "check"], color=True)
    assert "\x1b[" in on_terminal.stdout  # the rule code in red
    not_terminal = CliRunner().invoke(cli, ["-C", str(project.root), "check"])
    assert "\x1b[" not in not_terminal.output
    monkeypatch.setenv("NO_COLOR", "1")
    for command in (["check"], ["count", "x" * 400]):
        result = CliRunner().invoke(cli, ["-C", str(project.root), *command], color=True)
        assert result.exit_code == 1 and "\x1b[" not in result.output, result.output


def test_check_of_some_files_says_how_many_it_checked(make_project):
    project = make_project(
        "-- content/posts/2026-12-01-a.md --\n---\n---\nA.\n"
        "-- content/posts/2026-12-02-b.md --\n---\n---\nB.\n"
        "-- content/posts/2027/2027-01-01-c.md --\n---\n---\nC.\n"
    )
    one = run("-C", project.root, "check", project.root / "content/posts/2026-12-01-a.md")
    assert one.exit_code == 0 and one.stderr.strip() == "checked 1 file: 0 errors, 0 warnings"
    folder = run(
        "-C", project.root, "check", project.root / "content/posts/2027", project.root / "config.yml"
    )
    assert folder.stderr.strip() == "checked 2 files: 0 errors, 0 warnings"
    assert run("-C", project.root, "check").stderr.strip() == "checked 3 post files: 0 errors, 0 warnings"


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["build"],
        ["plan"],
        ["preview"],
        ["calendar"],
        ["publish", "--dry-run"],
        ["schedule"],
        ["retract", "2026-12-01-launch", "--yes"],
        ["new", "Hello"],
        ["report", "--changed-since", "HEAD"],
        ["doctor", "--offline"],
        ["count", "--account", "x_main", "hi"],
    ],
)
def test_a_missing_config_is_a_usage_error(tmp_path, command):
    result = run("-C", tmp_path, *command)
    assert result.exit_code == 2, result.output
    assert f"no config.yml in {tmp_path}" in result.stderr and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []  # nothing written
    assert run("-C", tmp_path, command[0], "--help").exit_code == 0


def test_plan_counts_statuses_in_the_order_of_what_needs_doing(make_project):
    """The summary line keeps its order (due first, drafts late) whatever order PlanStatus lists them in."""
    project = make_project(
        """
        -- content/posts/2026-12-01-old.md --
        ---
        title: Old
        date: 2026-12-01T10:00
        ---
        Long gone.
        -- content/posts/2026-12-03-now.md --
        ---
        title: Now
        date: 2026-12-03T09:00
        ---
        Due now.
        -- content/posts/2026-12-09-draft.md --
        ---
        title: Draft
        date: 2026-12-09T10:00
        draft: true
        ---
        Not yet.
        -- content/posts/2026-12-10-later.md --
        ---
        title: Later
        date: 2026-12-10T10:00
        ---
        Soon.
        """
    )
    result = CliRunner().invoke(cli, ["-C", str(project.root), "plan", "--at", "2026-12-03T09:05"])
    summary = result.stderr.strip().splitlines()[-1]
    named = re.findall(r"\d+ (\w+)", summary)
    assert named == ["due", "upcoming", "missed", "draft"]


@pytest.mark.parametrize(
    ("command", "says"),
    [("publish", "send nothing"), ("retract", "delete nothing"), ("schedule", "change no file")],
)
def test_dry_run_says_what_this_command_leaves_alone(command, says):
    option = next(param for param in cli.commands[command].params if param.name == "dry_run")
    assert says in option.help
