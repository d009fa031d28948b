"""The malformed-input corpus: every broken post or config gets exactly its diagnostics, nothing crashes.

Cases live in tests/data/malformed/ (posts/, configs/) and their expected diagnostics in one file,
tests/data/malformed/expected.yml, which also describes the format. Each case is dropped into a copy
of tests/data/malformed/project/, a small valid brand repository, and checked twice: through
`pipeline.check` (the exact diagnostics, and that the valid post beside it still loads) and through
the `check` command (exit code, JSON output, no traceback, no file touched).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.diagnostics import RULES, Diagnostic, Severity
from postwright.files import MAX_TEXT_BYTES
from postwright.project import Project

DATA = Path(__file__).resolve().parent / "data" / "malformed"
BASE = DATA / "project"
BASE_POST = "content/posts/2026-11-30-base.md"
SECRET = "k3x9-vq2m-pw7d-zt4r"  # the pasted "app password" in configs/credential-is-a-secret.yml

_ENTRY = re.compile(r"^(?P<code>PW\d{3}):(?P<line>\d+)(?: ~ (?P<text>.+))?$")


@dataclass(frozen=True)
class Expected:
    code: str
    line: int
    text: str | None  # must appear in the message

    @property
    def severity(self) -> Severity:
        return RULES[self.code].severity


@dataclass(frozen=True)
class Case:
    section: str  # posts, configs or generated
    name: str  # the key in expected.yml
    expected: tuple[Expected, ...]

    @property
    def is_post(self) -> bool:
        return self.section == "posts" or (self.section == "generated" and self.name.endswith(".md"))

    @property
    def shown(self) -> str:
        """The repo-relative path diagnostics of this case carry."""
        return f"content/posts/{self.name}" if self.is_post else "config.yml"

    @property
    def has_errors(self) -> bool:
        return any(item.severity >= Severity.ERROR for item in self.expected)

    def content(self) -> bytes:
        if self.section == "generated":
            return _generated(self.name)
        return (DATA / self.section / self.name).read_bytes()

    def install(self, root: Path) -> Path:
        """Copy the base project to `root` and put this case into it; returns the case's file."""
        shutil.copytree(BASE, root)
        target = root / self.shown
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.content())
        return target


def _generated(name: str) -> bytes:
    """Files over the size limit: too big to commit, otherwise valid."""
    if name.endswith(".md"):
        line = "Our launch is on Monday, and this line repeats until the file is far too big.\n"
        text = "---\ntitle: Huge\n---\n" + line * (MAX_TEXT_BYTES // len(line) + 10)
    else:
        text = (BASE / "config.yml").read_text("utf-8") + "# padding\n" * (MAX_TEXT_BYTES // 10 + 10)
    data = text.encode("utf-8")
    assert len(data) > MAX_TEXT_BYTES
    return data


def _parse(entry: str) -> Expected:
    match = _ENTRY.match(entry)
    assert match, f"expected.yml: {entry!r} is not 'CODE:LINE' or 'CODE:LINE ~ text'"
    return Expected(match["code"], int(match["line"]), match["text"])


def _load_cases() -> list[Case]:
    table = yaml.safe_load((DATA / "expected.yml").read_text("utf-8"))
    return [
        Case(section, str(name), tuple(_parse(entry) for entry in entries or ()))
        for section in ("posts", "configs", "generated")
        for name, entries in table[section].items()
    ]


CASES = _load_cases()
PARAMS = [pytest.param(case, id=case.name) for case in CASES]


def _describe(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> str:
    return "\n".join(
        f"  {d.span.path}:{d.span.line}:{d.span.column} {d.code} {d.severity}: {d.message}"
        for d in diagnostics
    )


def _snapshot(root: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every path under root: bytes and mtime of files, None for folders."""
    return {
        path.relative_to(root).as_posix(): (
            (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else None
        )
        for path in sorted(root.rglob("*"))
    }


def test_every_case_file_has_an_expectation_and_every_expectation_a_file():
    on_disk = {("posts", p.relative_to(DATA / "posts").as_posix()) for p in (DATA / "posts").rglob("*.md")}
    on_disk |= {("configs", p.name) for p in (DATA / "configs").glob("*.yml")}
    listed = {(case.section, case.name) for case in CASES if case.section != "generated"}
    assert on_disk - listed == set(), "case files without an entry in expected.yml"
    assert listed - on_disk == set(), "entries in expected.yml without a case file"
    assert len(CASES) >= 30
    unknown = {item.code for case in CASES for item in case.expected} - set(RULES)
    assert unknown == set(), "codes not in the rule catalogue"


def test_the_base_project_is_valid(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(BASE, root)
    checked = pipeline.check(Project(root))
    assert checked.diagnostics == (), _describe(checked.diagnostics)
    assert [post.source for post in checked.loaded.posts] == [BASE_POST]


def test_binary_cases_are_stored_byte_for_byte():
    """Guards against an editor or git normalising the files these cases are about."""
    posts, configs = DATA / "posts", DATA / "configs"
    assert (posts / "2026-12-01-empty.md").read_bytes() == b""
    assert (posts / "2026-12-01-bom-only.md").read_bytes() == b"\xef\xbb\xbf"
    assert (posts / "2026-12-01-bom.md").read_bytes().startswith(b"\xef\xbb\xbf---\n")
    bom_latin1 = (posts / "2026-12-01-bom-then-latin1.md").read_bytes()
    assert bom_latin1.startswith(b"\xef\xbb\xbf---\ntitle: Caf\xe9")
    assert b"Caf\xe9 " in (posts / "2026-12-01-latin1.md").read_bytes()
    assert b"\x0b" in (posts / "2026-12-01-control-character.md").read_bytes()
    assert b"\t- Launch" in (posts / "2026-12-01-tab-indent.md").read_bytes()
    assert b"\ttimezone" in (configs / "tab-indent.yml").read_bytes()
    assert (configs / "empty.yml").read_bytes() == b""
    assert (configs / "bom.yml").read_bytes().startswith(b"\xef\xbb\xbfbrand:\n")
    assert b"Caf\xe9 " in (configs / "latin1.yml").read_bytes()
    for crlf in (posts / "2026-12-01-crlf.md", posts / "2026-12-01-crlf-then-error.md", configs / "crlf.yml"):
        data = crlf.read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n") > 3, crlf.name


@pytest.mark.parametrize("case", PARAMS)
def test_case_gets_exactly_its_diagnostics(case: Case, tmp_path):
    root = tmp_path / "project"
    target = case.install(root)
    checked = pipeline.check(Project(root))
    everything = _describe(checked.diagnostics) or "  (none)"

    mine = [d for d in checked.diagnostics if d.span.path == case.shown]
    # a duplicate id flags both files, so the other one may point back at this case
    others = [
        d
        for d in checked.diagnostics
        if d.span.path != case.shown and not (d.code == "PW208" and case.shown in d.message)
    ]
    assert others == [], f"diagnostics outside {case.shown}:\n{everything}"
    if any(d.code == "PW208" for d in mine):
        assert any(d.code == "PW208" and d.span.path != case.shown for d in checked.diagnostics)
    got = Counter((d.code, d.span.line) for d in mine)
    want = Counter((item.code, item.line) for item in case.expected)
    assert got == want, (
        f"{case.name}: got {sorted(got.elements())}, want {sorted(want.elements())}\n{everything}"
    )
    for item in case.expected:
        messages = [d.message for d in mine if (d.code, d.span.line) == (item.code, item.line)]
        if item.text is not None:
            assert any(item.text in message for message in messages), (
                f"{item.code}:{item.line} should mention {item.text!r}:\n{everything}"
            )

    lines = max(1, target.read_bytes().count(b"\n") + (not target.read_bytes().endswith(b"\n")))
    for d in mine:
        assert d.severity == RULES[d.code].severity, d
        assert d.message.strip(), d
        assert 1 <= d.span.line <= lines, f"line {d.span.line} is past the end of the file ({lines} lines)"
        assert d.span.column >= 1, d

    # The rest of the project is unaffected: the valid post is still looked at and, with a usable
    # config, still loads; a case with only warnings or notes loads too.
    assert BASE_POST in checked.loaded.files
    loaded = [post.source for post in checked.loaded.posts]
    if checked.config is not None:
        assert BASE_POST in loaded
    if not case.has_errors:
        assert checked.config is not None, "a config with only warnings and notes must be usable"
        if case.is_post:
            assert case.shown in loaded, f"{case.name} has no errors, so it must load"


@pytest.mark.parametrize("case", PARAMS)
def test_check_command_on_case(case: Case, tmp_path):
    root = tmp_path / "project"
    case.install(root)
    before = _snapshot(root)

    result = CliRunner().invoke(cli, ["-C", str(root), "check", "--format", "json"])

    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"check crashed: {result.exception!r}"
    )
    assert "Traceback" not in result.output
    assert result.exit_code == (1 if case.has_errors else 0), result.output
    reported = json.loads(result.stdout)
    assert isinstance(reported, list)
    got = Counter((item["code"], item["line"]) for item in reported if item["path"] == case.shown)
    assert got == Counter((item.code, item.line) for item in case.expected), result.stdout
    assert _snapshot(root) == before, "check must not create, change or touch any file"


@pytest.mark.parametrize("output_format", ["human", "github", "json"])
def test_a_pasted_secret_is_never_printed(output_format, tmp_path):
    case = next(case for case in CASES if case.name == "credential-is-a-secret.yml")
    root = tmp_path / "project"
    case.install(root)
    assert SECRET in (root / "config.yml").read_text("utf-8")

    checked = pipeline.check(Project(root))
    assert [d.code for d in checked.diagnostics] == ["PW103"]
    assert all(SECRET not in d.message + d.hint for d in checked.diagnostics)

    result = CliRunner().invoke(cli, ["-C", str(root), "check", "--format", output_format])
    assert result.exit_code == 1
    assert "PW103" in result.output
    assert SECRET not in result.output
    # Nor any recognisable piece of it (e.g. a truncated echo of the value).
    for part in SECRET.split("-"):
        assert part not in result.output
