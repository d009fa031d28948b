"""One Diagnostic type for every stage, and the catalogue of rule codes it refers to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum


class Severity(IntEnum):
    INFO = 10
    WARNING = 20
    ERROR = 30

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Span:
    """Where a value came from: repo-relative POSIX path, 1-based line and column."""

    path: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    title: str
    relaxable: bool = True  # False: config.yml's severity table cannot change it (see _FIXED)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    span: Span
    severity: Severity
    code: str
    message: str
    platform: str | None = None
    hint: str = ""

    def as_dict(self) -> dict[str, object]:
        """The JSON shape: exactly path, line, column, severity, code, message, platform, hint."""
        return {
            "path": self.span.path,
            "line": self.span.line,
            "column": self.span.column,
            "severity": str(self.severity),
            "code": self.code,
            "message": self.message,
            "platform": self.platform,
            "hint": self.hint,
        }


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

# Stable codes: never renumber, only add. PW0xx files and YAML (PW09x the publish workflow's
# schedule), PW1xx config.yml, PW2xx posts, PW3xx media references, PW4xx rendered text per platform.
# docs/rules.md is generated from this table (see tests/test_docs.py).
_CATALOGUE = (
    Rule("PW001", _E, "file is not valid UTF-8"),
    Rule("PW002", _E, "file is too large to be a post or config"),
    Rule("PW003", _E, "file is empty"),
    Rule("PW004", _W, "file starts with a UTF-8 byte order mark"),
    Rule("PW005", _I, "file uses CRLF line endings"),
    Rule("PW006", _E, "file cannot be read"),
    Rule("PW007", _E, "NUL character in text"),
    Rule("PW010", _E, "YAML syntax error"),
    Rule("PW011", _E, "tab character used for YAML indentation"),
    Rule("PW012", _E, "duplicate key in a YAML mapping"),
    Rule("PW013", _E, "YAML document is not a mapping"),
    Rule("PW020", _E, "post has no front matter (first line must be ---)"),
    Rule("PW021", _E, "front matter is not closed by a --- line"),
    Rule("PW030", _E, "unknown key"),
    Rule("PW031", _E, "value has the wrong type or is not allowed"),
    Rule("PW032", _E, "required key is missing"),
    Rule("PW040", _E, "unknown setting for the account's platform"),
    Rule("PW041", _E, "setting the platform's publisher needs is missing (deliver: api)"),
    Rule("PW042", _E, "setting has the wrong type or a value the platform does not take"),
    Rule("PW043", _E, "unknown credential for the account's platform"),
    Rule("PW044", _E, "credential the platform's publisher needs is not named (deliver: api)"),
    Rule("PW045", _E, "credentials name no single way to sign in (incomplete or mixed auth modes)"),
    Rule("PW090", _E, "post would be missed: the publish workflow has no run within schedule.grace after it"),
    Rule(
        "PW091",
        _E,
        "post would go out late: the publish workflow's first run after it is over 15 minutes later",
    ),
    Rule("PW092", _E, "a posting time of config.yml has no run of the publish workflow on time"),
    Rule("PW093", _W, "schedule.grace is shorter than GitHub's usual delay in starting scheduled runs"),
    Rule("PW094", _W, "a cron line of the publish workflow cannot be read"),
    Rule("PW095", _W, "a reading under a day old of posts at a posting time has no run within its tolerance"),
    Rule("PW100", _E, "config.yml not found"),
    Rule("PW101", _E, "unknown IANA time zone"),
    Rule("PW102", _E, "unknown platform"),
    Rule("PW103", _E, "credential is not an environment variable name"),
    Rule("PW104", _E, "invalid duration"),
    Rule("PW105", _E, "invalid time of day"),
    Rule("PW106", _E, "invalid language tag"),
    Rule("PW200", _E, "post has no date (neither in the file name nor in date:)"),
    Rule("PW201", _E, "invalid date or time"),
    Rule("PW202", _E, "local time does not exist (skipped by a daylight-saving change)"),
    Rule("PW203", _W, "local time is ambiguous (repeated by a daylight-saving change)"),
    Rule("PW204", _W, "date: disagrees with the date in the file name"),
    Rule("PW205", _E, "post expires before it is published"),
    Rule("PW206", _E, "unknown platform or account"),
    Rule("PW207", _E, "no account delivers this platform in the post's language"),
    Rule("PW208", _E, "two posts share the same id and language"),
    Rule("PW209", _E, "invalid post file name"),
    Rule("PW210", _E, "invalid hashtag"),
    Rule("PW211", _E, "invalid link"),
    Rule("PW212", _W, "override for a platform or account the post does not go to"),
    Rule("PW213", _W, "account's language differs from the post's"),
    Rule("PW214", _I, "post waits for `postwright schedule` (date: next)"),
    Rule("PW215", _E, "post already went out under another id or account (renamed file or account)"),
    Rule("PW216", _E, "in_reply_to: is not a post on the platform, or the platform takes no replies"),
    Rule("PW230", _E, "mention of a person not in the people directory"),
    Rule("PW231", _W, "mentioned person has no handle on a target platform"),
    Rule("PW240", _E, "banned word (brand rule)"),
    Rule("PW241", _E, "required disclosure missing (brand rule)"),
    Rule("PW242", _W, "post body is empty"),
    Rule("PW250", _W, "a post that is not a draft still holds the body `postwright new` wrote"),
    Rule("PW251", _W, "a post that is not a draft is later than the grace period: it will be missed"),
    Rule("PW252", _W, "the last thread part holds only the template's text (signature, hashtags)"),
    Rule("PW300", _E, "image file not found"),
    Rule("PW301", _E, "image path escapes the assets folder"),
    Rule("PW302", _W, "image has no alt text"),
    Rule("PW303", _E, "image file is empty"),
    Rule("PW304", _E, "image format is not recognised or has no decoder"),
    Rule("PW305", _E, "image cannot be decoded (truncated or corrupt)"),
    Rule("PW306", _W, "image file extension does not match its format"),
    Rule("PW307", _E, "image has too many pixels to decode safely"),
    Rule("PW308", _W, "image is narrower than the platform's minimum"),
    Rule("PW309", _W, "animated image reduced to its first frame"),
    Rule("PW310", _E, "image cannot be made to fit the platform's byte limit"),
    Rule("PW311", _W, "embedded colour profile cannot be applied"),
    Rule("PW312", _E, "overlay logo cannot be used"),
    Rule("PW400", _E, "template error"),
    Rule("PW401", _E, "text longer than the platform allows"),
    Rule("PW402", _E, "thread has more parts than the platform allows"),
    Rule("PW403", _E, "more hashtags than the platform allows"),
    Rule("PW404", _E, "more mentions than the platform allows"),
    Rule("PW405", _E, "more links than the platform allows"),
    Rule("PW406", _W, "thread: always on a platform without threads"),
    Rule("PW407", _E, "hashtag longer than the platform allows one tag to be"),
    Rule("PW408", _W, "link runs into the text after it (no space between them)"),
    Rule("PW410", _E, "platform needs an image"),
    Rule("PW411", _E, "more images than the platform allows"),
    Rule("PW412", _E, "alt text missing (brand rule brand.rules.alt_text: required)"),
    Rule("PW413", _E, "alt text longer than the platform allows, in the unit it counts"),
    Rule("PW414", _E, "same text on the same account within the duplicate window"),
    Rule("PW415", _E, "a direct post (TikTok post_mode DIRECT_POST) without privacy_level"),
)

# Rules that decide whether a post exists, where it goes and how often it is sent, or whose post cannot
# be read or sent as written: relaxed, a post would vanish from plan and publish while `check` stays
# green, go out without its image, or go out twice. config.yml's `severity:` may change only the others.
_FIXED_CODES = """
PW001 PW002 PW003 PW006 PW010 PW011 PW012 PW013 PW020 PW021 PW030 PW031 PW032
PW040 PW041 PW042 PW043 PW044 PW045
PW100 PW101 PW102 PW103 PW104 PW105 PW106 PW200 PW201 PW202 PW205 PW206 PW207 PW208 PW209
PW215 PW216 PW007 PW210 PW211 PW300 PW301 PW303 PW304 PW305 PW307 PW310 PW312 PW400 PW414
"""
_FIXED = frozenset(_FIXED_CODES.split())

RULES: dict[str, Rule] = {
    rule.code: Rule(rule.code, rule.severity, rule.title, rule.code not in _FIXED) for rule in _CATALOGUE
}

# C0 and C1 controls and DEL (a newline can start a GitHub workflow command, ESC recolours or moves a
# terminal's cursor, CR overwrites a line), the Unicode line and paragraph separators, and the bidi
# embeddings, overrides and isolates that make text read differently from what it is.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    return _SHORT_ESCAPES.get(match[0]) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str, *, keep: str = "") -> str:
    """`text` safe to print where people or CI read it: every control character as a \\x1b-style escape,
    except those in `keep` (a post's newlines in a text block). User text goes through this on its
    way to every output."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: m[0] if m[0] in keep else _escaped(m), text)


def clip(text: str, limit: int = 80) -> str:
    """A key or value echoed in a message: its start, so a long one cannot flood the output."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diag(code: str, span: Span, message: str, *, hint: str = "", platform: str | None = None) -> Diagnostic:
    """Build a diagnostic with the catalogue's default severity for `code`."""
    return Diagnostic(span, RULES[code].severity, code, message, platform, hint)


def has_errors(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], *, strict: bool = False) -> bool:
    """True when the run must fail: any error, or any warning under --strict."""
    threshold = Severity.WARNING if strict else Severity.ERROR
    return any(d.severity >= threshold for d in diagnostics)


def rules_markdown() -> str:
    """docs/rules.md: the catalogue as a table (`python -m postwright.diagnostics > docs/rules.md`)."""
    lines = [
        "# Rule codes",
        "",
        "Every problem postwright reports has a stable code. Generated from `RULES` in",
        "`postwright/diagnostics.py`; `tests/test_docs.py` keeps this file current.",
        "",
        "`severity:` in config.yml changes how a rule is reported (e.g. `{PW302: error}`), except for the",
        "rules marked *fixed*: they decide whether a post exists, where it goes and how often it is sent, so",
        "they are always errors.",
        "",
        "| code | default severity | can be changed | meaning |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {rule.code} | {rule.severity} | {'yes' if rule.relaxable else 'fixed'} | {rule.title} |"
        for rule in RULES.values()
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(rules_markdown(), end="")
