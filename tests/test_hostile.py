"""Hostile input: templates that reach for secrets, YAML bombs, control characters, NULs, escaping paths.

Everything here arrives in a pull request, so none of it may print a secret, exhaust memory, forge a
GitHub workflow command or write outside the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.yamlpos import load_yaml
from tests.conftest import MINIMAL_CONFIG, REPO, write_files

SECRET = "pw-secret-0f4c2b9e7a"

CONFIG = """\
brand:
  name: Kites
  timezone: Europe/Madrid
  platforms: [mastodon]
accounts:
  masto: {platform: mastodon, credentials: {access_token: PW_TEST_TOKEN}}
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
    "{{ range.__class__.__subclasses__(range.__class__) }}",
    "{{ dict.__class__.__subclasses__(dict) }}",
    "{{ dict(a=1).__class__.__base__.__subclasses__() }}",
    "{{ _utm.func.__globals__ }}",
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


@pytest.mark.parametrize(
    "greedy", ["{{ 'x' * 10**9 }}", "{{ 9 ** (10**9) }}", "{{ [0] * 10**8 | length }}", "{{ 10**9 * 'ab' }}"]
)
def test_a_template_cannot_run_the_check_out_of_memory_or_time(make_project, greedy):
    """The sandbox bounds `*` and `**`: the check answers at once with PW400 at the line."""
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- templates/mastodon.j2 --\n{{{{ body }}}}\n{greedy}\n{POST}"
    )
    started = time.process_time()
    problems = [d for d in pipeline.check(project).diagnostics if d.code == "PW400"]
    assert [(d.span.path, d.span.line) for d in problems] == [("templates/mastodon.j2", 2)]
    assert time.process_time() - started < 30  # unbounded, the first two ran out of memory or for hours


def test_templates_may_still_multiply_as_brand_templates_do(make_project):
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- templates/mastodon.j2 --\n"
        f"{{{{ body }}}} {{{{ '=' * 3 }}}} {{{{ 2 ** 10 }}}}\n{POST}"
    )
    assert pipeline.check(project).variants[0].parts == ("Hello. === 1024",)


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
def test_a_template_symlink_leading_outside_the_repository_is_refused(make_project, monkeypatch, tmp_path):
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
    assert "outside the repository" in problems[0].message
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


# YAML alias bombs: each level aliases the one before nine times, so the last alias stands for 9**9
# values (the 348-byte original made 1.58 GB and 39 MB of output by going through keys).
def _levels(count: int, first: str = "lol") -> list[str]:
    return [f"[{', '.join([first] * 9)}]"] + [f"[{', '.join([f'*k{i - 1}'] * 9)}]" for i in range(1, count)]


def _key_bomb() -> str:
    """Anchors and the final alias all in `?` keys: nothing is ever a value."""
    return "".join(f"? &k{i} {level}\n: {i}\n" for i, level in enumerate(_levels(9))) + "? *k8\n: boom\n"


def _merge_bomb() -> str:
    anchors = "".join(f"? &k{i} {level}\n: {i}\n" for i, level in enumerate(_levels(9)))
    return f"{anchors}merged:\n  <<: *k8\n"


def _value_bomb() -> str:
    return "".join(f"k{i}: &k{i} {level}\n" for i, level in enumerate(_levels(9)))


def _long_text_bomb() -> str:
    """One long string, aliased as keys and values: few nodes, a great many characters."""
    return f'text: &t "{"x" * 400_000}"\n' + "".join(f"*t : {i}\n" for i in range(20))


BOMBS = {"keys": _key_bomb, "merge": _merge_bomb, "values": _value_bomb, "long text": _long_text_bomb}

_LIMITED = """\
import resource, sys, json
resource.setrlimit(resource.RLIMIT_AS, (768 * 2**20, 768 * 2**20))
from postwright.cli import main
sys.argv = ["postwright", "-C", sys.argv[1], "check", "--format", "json"]
main()
"""


@pytest.mark.parametrize("where", ["config.yml", "front matter"])
@pytest.mark.parametrize("bomb", BOMBS)
def test_yaml_alias_bombs_are_located_errors_in_bounded_memory_and_time(tmp_path, where, bomb):
    text = BOMBS[bomb]()
    if where == "config.yml":
        files = f"-- config.yml --\n{MINIMAL_CONFIG}{text}{POST}"
        path, first_line = "config.yml", MINIMAL_CONFIG.count("\n") + 1
    else:
        files = f"-- config.yml --\n{MINIMAL_CONFIG}-- content/posts/2026-12-01-b.md --\n---\n{text}---\nHi\n"
        path, first_line = "content/posts/2026-12-01-b.md", 2
    write_files(tmp_path, files)
    result = subprocess.run(
        [sys.executable, "-c", _LIMITED, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert len(result.stdout) + len(result.stderr) < 100_000  # no key or value echoed a million times
    problems = [(p["path"], p["code"], p["line"]) for p in json.loads(result.stdout)]
    yaml_problems = [(p, line) for p, code, line in problems if code == "PW010"]
    assert yaml_problems and all(p == path and line >= first_line for p, line in yaml_problems), problems


def test_yaml_keys_that_are_lists_or_mappings_are_refused_at_the_key():
    document, problems = load_yaml("a: 1\n? [x, y]\n: 2\n{b: 1}: 3\n", "c.yml")
    assert [(p.code, p.span.line, p.span.column) for p in problems] == [("PW010", 2, 3), ("PW010", 4, 1)]
    assert document.data == {"a": 1}


def test_a_long_duplicate_key_is_echoed_clipped():
    _, problems = load_yaml(f"? {'k' * 5000}\n: 1\n? {'k' * 5000}\n: 2\n", "c.yml")
    assert [p.code for p in problems] == ["PW012"] and len(problems[0].message) < 200


# NUL characters: never in a post's text.
@pytest.mark.parametrize(
    ("post", "line"),
    [
        ("---\ntitle: Hi\n---\nHello\0 world.\n", 4),
        ('---\ntitle: "Hi\\0"\n---\nHello.\n', 2),
        ('---\ntitle: Hi\noverrides:\n  mastodon:\n    body: "Hi\\x00 there"\n---\nHello.\n', 5),
        ('---\nimages:\n  - src: a.png\n    alt: "a\\0b"\n---\nHello.\n', 4),
        ('---\ntags: ["ok\\0"]\n---\nHello.\n', 2),
    ],
)
def test_a_nul_in_a_post_is_a_located_error_and_the_post_is_not_rendered(make_project, post, line):
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- assets/a.png --\n4x4\n-- content/posts/2026-12-01-nul.md --\n{post}"
    )
    checked = pipeline.check(project)
    assert [(d.code, d.span.path, d.span.line) for d in checked.diagnostics if d.code == "PW007"] == [
        ("PW007", "content/posts/2026-12-01-nul.md", line)
    ]
    assert not any("\0" in part for variant in checked.variants for part in variant.parts)
    assert checked.variants == ()


# Control characters in user text: a key, a title or a message must not start a GitHub workflow
# command on a new line, recolour the terminal or overwrite a line in any output.
HOSTILE = "\n::error file=x::owned \x1b[31mred\r\x85\u2028\u202e"
_OWN_COMMAND = r"^::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,title=[^:]+::"


def _hostile_project(make_project):
    quoted = HOSTILE.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return make_project(
        f"-- config.yml --\n{CONFIG}"
        "-- content/posts/2026-12-01-hostile.md --\n"
        f'---\ntitle: "T{quoted}"\n"bad{quoted}": 1\nimages:\n  - src: "no{quoted}.png"\n---\nHello.\n'
        "-- content/posts/2026-12-02-fine.md --\n"
        f'---\ntitle: "F{quoted}"\n---\nHello {quoted.replace(chr(92) + "n", " ")}.\n'
    )


def _assert_harmless(text: str, *, github: bool = False) -> None:
    import re

    for line in text.split("\n"):
        assert not line.startswith("::") or (github and re.match(_OWN_COMMAND, line)), line
    for raw in ("\x1b", "\r", "\x85", "\u2028", "\u202e"):
        assert raw not in text, (raw, text)


@pytest.mark.parametrize("output", ["human", "github", "json"])
def test_control_characters_are_escaped_in_every_check_format(make_project, output):
    project = _hostile_project(make_project)
    result = run("-C", project.root, "check", "--format", output)
    assert result.exit_code == 1
    assert "owned" in result.stdout  # the text is shown, escaped
    _assert_harmless(result.stdout, github=output == "github")
    _assert_harmless(result.stderr)
    if output == "json":
        import json as json_module

        messages = " ".join(item["message"] for item in json_module.loads(result.stdout))
        assert "\n::error file=x::owned \x1b[31mred\r\x85\u2028\u202e" in messages  # reads back exact


def test_control_characters_are_escaped_in_the_calendar_and_the_plan(make_project):
    project = _hostile_project(make_project)
    (project.root / "content/posts/2026-12-01-hostile.md").unlink()
    result = run("-C", project.root, "calendar", "--at", "2026-11-01T00:00:00Z", "-o", "-")
    assert result.exit_code == 0, result.output
    _assert_harmless(result.stdout.replace("\r\n", "\n"))
    for output in ("human", "json"):
        result = run("-C", project.root, "plan", "--at", "2026-11-01T00:00:00Z", "--format", output)
        _assert_harmless(result.output)


def test_control_characters_are_escaped_in_the_review_markdown():
    from postwright.diagnostics import Diagnostic, Severity, Span
    from postwright.report import _code_block, _diagnostic_line, _inline_code

    item = Diagnostic(
        Span(f"content/a{HOSTILE}.md", 2), Severity.ERROR, "PW030", f"key{HOSTILE}", None, HOSTILE
    )
    _assert_harmless(_diagnostic_line(item))
    _assert_harmless(_inline_code(HOSTILE))
    block = "\n".join(_code_block(f"line one{HOSTILE}"))  # a post's own lines, shown as it is posted
    assert not any(raw in block for raw in ("\x1b", "\r", "\x85", "\u2028", "\u202e"))
    assert _code_block("one\ntwo")[1] == "one\ntwo"  # a post's own newlines stay


# outbox: stays inside the repository.
@pytest.mark.parametrize(
    "folder", ["/tmp/pw-outbox", "../elsewhere", "out/../../elsewhere", "a\\\\..\\\\..\\\\b"]
)
def test_an_outbox_outside_the_repository_is_a_config_error_at_the_key(make_project, folder):
    project = make_project(f"-- config.yml --\n{CONFIG}outbox: '{folder}'\n{POST}")
    checked = pipeline.check(project)
    problems = [(d.code, d.span.path, d.span.line) for d in checked.diagnostics if d.code == "PW031"]
    assert problems == [("PW031", "config.yml", 7)], checked.diagnostics
    assert checked.config is None


def test_an_outbox_symlink_leading_outside_is_refused_by_the_check_and_by_the_publisher(
    make_project, tmp_path
):
    from datetime import UTC, datetime

    from postwright.model import Variant
    from postwright.platforms.contract import PermanentError
    from postwright.platforms.outbox import OutboxPublisher

    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    project = make_project(f"-- config.yml --\n{CONFIG}outbox: sent\n{POST}")
    (project.root / "sent").symlink_to(outside)
    checked = pipeline.check(project)
    assert [(d.code, d.span.line) for d in checked.diagnostics if d.code == "PW031"] == [("PW031", 7)]

    variant = Variant(
        "p",
        "en",
        "masto",
        "mastodon",
        "content/p.md",
        ("Hi",),
        None,
        (),
        datetime.now(UTC),
        False,
        None,
        1,
        "auto",
    )
    publisher = OutboxPublisher(project.root / "sent", "masto", root=project.root)
    with pytest.raises(PermanentError, match="outside the repository"):
        publisher.send(variant, 1, None, "k1")
    assert list(outside.rglob("*")) == []


# A post that goes nowhere.
@pytest.mark.parametrize("key", ["platforms", "accounts"])
def test_an_empty_platforms_or_accounts_list_is_an_error_at_the_key(make_project, key):
    project = make_project(
        f"-- config.yml --\n{CONFIG}-- content/posts/2026-12-01-p.md --\n---\n{key}: []\n---\nHi.\n"
    )
    checked = pipeline.check(project)
    problems = [d for d in checked.diagnostics if d.span.path.endswith("2026-12-01-p.md")]
    assert [(d.code, d.span.line) for d in problems] == [("PW031", 2)]
    assert "goes nowhere" in problems[0].message and problems[0].hint


# utm: texts are str.format templates written in config.yml: only the three placeholders.
@pytest.mark.parametrize(
    "text",
    ["{nope}", "{platform.__class__.__mro__}", "{post_id[0]}", "{platform:>999999999}", "{platform!r}", "x{"],
)
def test_utm_texts_allow_only_the_plain_placeholders(make_project, text):
    config = CONFIG.replace(
        "  platforms: [mastodon]\n", f"  platforms: [mastodon]\n  utm: {{source: '{text}'}}\n"
    )
    checked = pipeline.check(make_project(f"-- config.yml --\n{config}{POST}"))
    assert [(d.code, d.span.line) for d in checked.diagnostics] == [("PW031", 5)]
    assert checked.config is None


def test_a_post_file_name_ending_in_a_newline_is_not_a_post_id(make_project):
    """An id with a newline would reach job keys, the ledger and every output."""
    project = make_project(f"-- config.yml --\n{CONFIG}")
    posts = project.root / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "2026-12-01-hi\n.md").write_text("---\ntitle: Hi\n---\nHello.\n")
    checked = pipeline.check(project)
    assert [d.code for d in checked.diagnostics] == ["PW209"] and checked.variants == ()
