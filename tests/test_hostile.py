"""Hostile input: templates that reach for secrets, YAML bombs, control characters, NULs, escaping paths.

Everything here arrives in a pull request, so none of it may print a secret, exhaust memory, forge a
GitHub workflow command or write outside the repository.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli

SECRET = "pw-secret-0f4c2b9e7a"

CONFIG = """\
brand:
  name: Kites
  timezone: Europe/Madrid
  platforms: [mastodon]
accounts:
  masto: {platform: mastodon, credentials: {token: PW_TEST_TOKEN}}
"""

POST = "-- content/posts/2026-12-01-hi.md --\n---\ntitle: Hi\n---\nHello.\n"


def run(*args: object):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def _every_output(project_root: Path) -> str:
    """What check (each format) and build print, and every file build writes."""
    texts = []
    for output in ("human", "github", "json"):
        result = run("-C", project_root, "check", "--format", output)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        texts.append(result.output)
    result = run("-C", project_root, "build")
    texts.append(result.output)
    for path in (project_root / "publish").rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


# Each reads PW_TEST_TOKEN from os.environ through a Jinja global, a variable or a str method when
# templates are not sandboxed; line 2 of templates/mastodon.j2.
ESCAPES = [
    "{{ lipsum.__globals__['os'].environ['PW_TEST_TOKEN'] }}",
    "{{ lipsum.__globals__.os.environ.PW_TEST_TOKEN }}",
    "{{ cycler.__init__.__globals__.os.environ.PW_TEST_TOKEN }}",
    "{{ joiner.__init__.__globals__.os.environ.PW_TEST_TOKEN }}",
    "{{ namespace.__init__.__globals__.os.environ.PW_TEST_TOKEN }}",
    "{{ self.__init__.__globals__.__builtins__.__import__('os').environ.PW_TEST_TOKEN }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ body.__class__.__mro__[1].__subclasses__() }}",
    "{{ (lipsum | attr('__globals__')).os.environ.PW_TEST_TOKEN }}",
    "{{ '{0.__globals__[os].environ[PW_TEST_TOKEN]}'.format(lipsum) }}",
    "{{ '{f.__globals__[os].environ[PW_TEST_TOKEN]}'.format_map({'f': lipsum}) }}",
    "{{ range.__self__.__import__('os').environ.PW_TEST_TOKEN }}",
    "{{ dict.__class__.__subclasses__(dict) }}",
    "{{ dict(a=1).__class__.__base__.__subclasses__() }}",
    "{{ _utm.func.__globals__.os.environ.PW_TEST_TOKEN }}",
    "{{ account.__class__.__init__.__globals__ }}",
    "{{ brand.__init__.__globals__ }}",
    "{% set g = lipsum.__globals__ %}{{ g.os.environ.PW_TEST_TOKEN }}",
    "{{ '%s' | format(lipsum.__globals__.os.environ) }}",
    "{{ hashtags.append(1) }}",
]


@pytest.mark.parametrize("escape", ESCAPES)
def test_templates_cannot_reach_the_environment(make_project, monkeypatch, escape):
    monkeypatch.setenv("PW_TEST_TOKEN", SECRET)
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- templates/mastodon.j2 --\n{{{{ body }}}}\n{escape}\n{POST}"
    )
    problems = [d for d in pipeline.check(project).diagnostics if d.code == "PW400"]
    assert [(d.span.path, d.span.line) for d in problems] == [("templates/mastodon.j2", 2)]
    assert SECRET not in _every_output(project.root)


@pytest.mark.parametrize("name", ["config", "request", "environ", "os"])
def test_no_global_names_the_application_or_the_environment(make_project, monkeypatch, name):
    """Regression guard (base code passed these too): no Flask-style globals to start from."""
    monkeypatch.setenv("PW_TEST_TOKEN", SECRET)
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- templates/mastodon.j2 --\n{{{{ body }}}}\n{{{{ {name} }}}}\n{POST}"
    )
    problems = [d for d in pipeline.check(project).diagnostics if d.code == "PW400"]
    assert [(d.span.path, d.span.line) for d in problems] == [("templates/mastodon.j2", 2)]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_template_symlink_leading_outside_templates_is_refused(make_project, monkeypatch, tmp_path):
    monkeypatch.setenv("PW_TEST_TOKEN", SECRET)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text(f"token {SECRET}\n", encoding="utf-8")
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- templates/mastodon.j2 --\n{{{{ body }}}}\n"
        f"{{% include 'leak.j2' %}}\n{POST}"
    )
    os.symlink(outside, project.root / "templates" / "leak.j2")
    problems = [d for d in pipeline.check(project).diagnostics if d.code == "PW400"]
    assert [(d.span.path, d.span.line) for d in problems] == [("templates/mastodon.j2", 2)]
    assert "outside templates/" in problems[0].message
    assert SECRET not in _every_output(project.root)


def test_the_sandbox_still_allows_what_brand_templates_do(make_project):
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- templates/mastodon.j2 --\n"
        "{% set ns = namespace(n=0) %}{% for tag in ['a', 'b'] %}{% set ns.n = ns.n + 1 %}{% endfor %}"
        "{{ body }} {{ ns.n }} {{ {'en': 'x'}.get(post.lang) }} {{ range(3) | list | length }} "
        "{{ '{}-{}'.format(platform, account.platform) }} {{ cycler('a').next() }}\n"
        f"{POST}"
    )
    checked = pipeline.check(project)
    assert checked.diagnostics == ()
    assert checked.variants[0].parts == ("Hello. 2 x 3 mastodon-mastodon a",)
