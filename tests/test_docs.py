"""Docs are tested: generated references are current, every command shows an example."""

import re
import subprocess
import sys

import click
import pytest

from postwright.cli import cli
from postwright.diagnostics import RULES, rules_markdown
from postwright.schema_export import reference_markdown
from tests.conftest import REPO


def test_rules_doc_is_current():
    assert (REPO / "docs/rules.md").read_text(encoding="utf-8") == rules_markdown(), (
        "regenerate: python -m postwright.diagnostics > docs/rules.md"
    )


def test_reference_doc_is_current():
    assert (REPO / "docs/reference.md").read_text(encoding="utf-8") == reference_markdown(), (
        "regenerate: python -m postwright.schema_export > docs/reference.md"
    )


def test_every_rule_code_is_used_in_the_code():
    sources = "\n".join(
        path.read_text() for path in (REPO / "postwright").rglob("*.py") if path.name != "diagnostics.py"
    )
    unused = [code for code in RULES if f'"{code}"' not in sources]
    assert unused == []


COMMANDS = cli.list_commands(click.Context(cli))  # every command, doctor's too


def test_commands_imported_when_used_are_listed():
    """doctor is listed, and its module (config, the platforms) is imported only when it runs."""
    assert "doctor" in COMMANDS
    script = (
        "import sys, click\nfrom postwright.cli import cli\n"
        "cli.list_commands(click.Context(cli))\nprint('postwright.doctor' in sys.modules)"
    )
    listed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert listed.stdout.strip() == "False", listed.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    command = cli.get_command(click.Context(cli), name)
    assert command.help and "Example:" in command.help
    with click.Context(command, info_name=name) as context:
        assert context.get_help()


def test_readme_links_the_generated_docs_and_names_every_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/rules.md" in readme and "docs/reference.md" in readme
    for name in COMMANDS:
        assert re.search(rf"postwright {name}\b|build\.py {name}\b", readme), name


def _layout() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split("## Layout", 1)[1].split("```", 2)[1]


def test_readme_layout_names_every_module_and_only_modules_that_exist():
    """The layout is how a new maintainer finds a stage's home: it must not drift from the package."""
    layout = _layout()
    listed = set(re.findall(r"^  (\w+\.py|\w+/)", layout, flags=re.MULTILINE))
    package = REPO / "postwright"
    present = {path.name for path in package.glob("*.py")} - {"__init__.py", "__main__.py"}
    present |= {f"{path.name}/" for path in package.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert listed == present
    for folder in ("media", "platforms"):  # their shared modules, named in the folder's lines
        inner = {path.name for path in (package / folder).glob("*.py")} - {"__init__.py"}
        assert {name for name in inner if name not in layout} == set(), folder
