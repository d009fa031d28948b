"""Printing for people (human), for GitHub (workflow commands) and for programs (JSON): diagnostics, and
every command's exit status."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from enum import IntEnum

import click

from postwright.diagnostics import Diagnostic, Severity, printable


class ExitStatus(IntEnum):
    """Every command's exit code.

    0 everything fine; 1 content has errors (or warnings under --strict); 2 usage error (bad option,
    missing file: click's own code); 3 operational: some sends failed or could not be confirmed, or
    the disk is full; 70 internal error (a bug: please report it); 130 interrupted.
    """

    OK = 0
    CONTENT_ERRORS = 1
    USAGE = 2
    SEND_FAILED = 3
    INTERNAL = 70
    INTERRUPTED = 130


def ordered(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable order: by file, line, column, then rule code."""
    return sorted(diagnostics, key=lambda d: (d.span.path, d.span.line, d.span.column, d.code, d.message))


_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def format_human(diagnostics: Iterable[Diagnostic]) -> str:
    """path:line:col: severity CODE [platform] message, then an indented hint line."""
    lines = []
    for item in ordered(diagnostics):
        where = f"{printable(item.span.path)}:{item.span.line}:{item.span.column}"
        label = click.style(f"{item.severity} {item.code}", fg=_COLOURS[item.severity], bold=True)
        scope = f" [{printable(item.platform)}]" if item.platform else ""
        lines.append(f"{click.style(where, bold=True)}: {label}{scope} {printable(item.message)}")
        if item.hint:
            lines.append(f"    hint: {printable(item.hint)}")
    return "\n".join(lines)


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    """GitHub's escaping of a workflow command's message: no CR or LF can end the command early."""
    return printable(text, keep="\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(diagnostics: Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands, shown as annotations on the lines of the pull request."""
    lines = []
    for item in ordered(diagnostics):
        scope = f" [{item.platform}]" if item.platform else ""
        properties = ",".join(
            [
                f"file={_escape_property(item.span.path)}",
                f"line={item.span.line}",
                f"col={item.span.column}",
                f"title={_escape_property(item.code + scope)}",
            ]
        )
        message = printable(item.message) + (f"\nhint: {printable(item.hint)}" if item.hint else "")
        lines.append(f"::{_GITHUB_LEVEL[item.severity]} {properties}::{_escape_data(message)}")
    return "\n".join(lines)


def format_json(diagnostics: Iterable[Diagnostic]) -> str:
    """A JSON array of {path, line, column, severity, code, message, platform, hint}."""
    return json_text([item.as_dict() for item in ordered(diagnostics)])


_RAW_IN_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # C0: json.dumps's own


def json_text(data: object) -> str:
    """Indented JSON, UTF-8 as it is except the control characters json.dumps leaves raw (DEL, C1,
    U+2028, bidi overrides): \\u escapes, which read back as the same text."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


FORMATTERS = {"human": format_human, "github": format_github, "json": format_json}


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def escape_markdown(text: str) -> str:
    """Text outside code as GitHub shows it, literally: no formatting, links, HTML or @-mentions."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", printable(text.replace("\r", "").replace("\n", " ")))
    return text.replace("@", "@\u200b")  # a mention would notify someone


def count_line(diagnostics: Iterable[Diagnostic]) -> str:
    """'2 errors, 1 warning' — the tail of every run summary."""
    counts = {severity: 0 for severity in Severity}
    for item in diagnostics:
        counts[item.severity] += 1

    def plural(number: int, word: str) -> str:
        return f"{number} {word}{'' if number == 1 else 's'}"

    return ", ".join(
        [plural(counts[Severity.ERROR], "error"), plural(counts[Severity.WARNING], "warning")]
        + ([plural(counts[Severity.INFO], "note")] if counts[Severity.INFO] else [])
    )
