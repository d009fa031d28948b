"""YAML loading that remembers where every key and value came from.

Two deliberate departures from PyYAML's YAML 1.1 defaults, because they bite writers:
dates and times stay strings (we parse them ourselves, in the brand's time zone), and only
true/false are booleans, so `lang: no` stays Norwegian and `time: 9:30` is not the integer 570.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from postwright.diagnostics import Diagnostic, Span, clip, diag

KeyPath = tuple[str | int, ...]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml parses ~8x faster, same marks
    """SafeLoader with the YAML 1.2 core schema's scalars (no timestamps, no yes/no/on/off)."""

    yaml_implicit_resolvers: dict = {}


def _resolver(tag: str, pattern: str, first: str) -> None:
    _Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789")
_resolver(
    "tag:yaml.org,2002:float",
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    "-+0123456789.",
)
_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN")
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


@dataclass(frozen=True, slots=True)
class Document:
    """Parsed YAML data plus the span of every value and every mapping key, by key path."""

    data: Any
    spans: Mapping[KeyPath, Span]
    key_spans: Mapping[KeyPath, Span]

    def span(self, path: KeyPath, *, key: bool = False) -> Span:
        """The span of `path` (of its key when `key`), else of its nearest located ancestor."""
        table = self.key_spans if key else self.spans
        for cut in range(len(path), -1, -1):
            found = table.get(path[:cut]) or self.spans.get(path[:cut])
            if found:
                return found
        return next(iter(self.spans.values()))


MAX_NODES = 100_000
"""Far above any real front matter; stops alias bombs ("billion laughs") from expanding forever."""

MAX_CHARACTERS = 2_000_000
"""Characters of text in keys and values, counted again at each alias: twice the largest file read
(files.MAX_TEXT_BYTES), so a few long *aliases (one 100 KB string a thousand times) cannot multiply
into gigabytes of output either."""


def load_yaml(text: str, path: str, *, line_offset: int = 0) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one YAML document; return it with spans, or None and the located syntax errors."""
    loader = _Loader(text)
    builder = _Builder(path, line_offset)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document({}, {(): Span(path, line_offset + 1)}, {}), []
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_diagnostic(error, text, path, line_offset)]
    except yaml.YAMLError as error:  # ReaderError: a control character; it has a position, not a mark
        position = getattr(error, "position", 0)
        line = text.count("\n", 0, position) + 1 + line_offset
        return None, [diag("PW010", Span(path, line), f"YAML syntax error: {error}", hint=_SYNTAX_HINT)]
    except (RecursionError, _TooLarge) as error:
        where = error.mark if isinstance(error, _TooLarge) else None  # the node that went over
        return None, [
            diag(
                "PW010",
                _mark_span(where, path, line_offset) if where else Span(path, line_offset + 1),
                "YAML is nested too deeply or expands to too many values",
                hint="flatten the structure; avoid chains of &anchors and *aliases",
            )
        ]
    finally:
        loader.dispose()
    return Document(data, builder.spans, builder.key_spans), builder.diagnostics


class _TooLarge(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__()
        self.mark = mark


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    value = loader.construct_scalar(node)
    try:
        return int(value)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"'{value}' is not an integer", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _Builder:
    """Builds plain Python data from the node tree, recording spans and duplicate keys."""

    def __init__(self, path: str, line_offset: int) -> None:
        self.path, self.line_offset = path, line_offset
        self.spans: dict[KeyPath, Span] = {}
        self.key_spans: dict[KeyPath, Span] = {}
        self.diagnostics: list[Diagnostic] = []
        self.constructor: _Loader | None = None  # made for the first scalar that is not plain text
        self.budget = MAX_NODES
        self.characters = MAX_CHARACTERS
        self.nul_spans: set[Span] = set()

    def spend(self, node: yaml.Node) -> None:
        """Count a node (an alias counts again each time): keys and values alike, against both budgets."""
        self.budget -= 1
        if isinstance(node, yaml.ScalarNode):
            self.characters -= len(node.value)
        if self.budget < 0 or self.characters < 0:
            raise _TooLarge(node.start_mark)

    def span(self, mark: yaml.Mark) -> Span:
        return _mark_span(mark, self.path, self.line_offset)

    def build(self, node: yaml.Node, key_path: KeyPath) -> Any:
        self.spend(node)
        self.spans[key_path] = self.span(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, key_path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*key_path, index)) for index, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        """A key's or value's Python value; a "\\0" or "\\x00" escape is an error (raw NULs never parse)."""
        if node.tag == _TEXT and isinstance(node, yaml.ScalarNode):
            value = node.value  # what SafeConstructor.construct_yaml_str gives, without its dispatch
        else:
            if self.constructor is None:
                self.constructor = _Loader("")
            value = self.constructor.construct_object(node, deep=True)
        if isinstance(value, str) and "\0" in value:
            span = self.span(node.start_mark)
            if span not in self.nul_spans:  # once per anchor, however often it is aliased
                self.nul_spans.add(span)
                self.diagnostics.append(
                    diag("PW007", span, "NUL character (\\0) in text", hint="remove the \\0 or \\x00 escape")
                )
        return value

    def _mapping(self, node: yaml.MappingNode, key_path: KeyPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            self.spend(key_node)
            key_span = self.span(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):  # `? [a, b]`: no setting is named by a list
                self.diagnostics.append(
                    diag(
                        "PW010",
                        key_span,
                        "a key must be text or a number, not a list or mapping",
                        hint="write the key as text; a '?' line or an *alias to a list makes a complex key",
                    )
                )
                continue
            key = self.scalar(key_node)
            if key is None:
                key = "null"
            elif not isinstance(key, str | int | float | bool):
                key = str(key)  # !!binary bytes: bounded by the scalar's own text, spent above
            child = (*key_path, key)
            if key in result:
                self.diagnostics.append(
                    diag(
                        "PW012",
                        key_span,
                        f"duplicate key '{clip(str(key))}' "
                        f"(first defined on line {self.key_spans[child].line})",
                        hint="remove one of the two; YAML would silently keep only the last",
                    )
                )
                continue
            self.key_spans[child] = key_span
            result[key] = self.build(value_node, child)
        return result


_TEXT = "tag:yaml.org,2002:str"


def _mark_span(mark: yaml.Mark, path: str, line_offset: int) -> Span:
    return Span(path, mark.line + 1 + line_offset, mark.column + 1)


_SYNTAX_HINT = "quote values that contain ': ' or ' #' or that start with @, `, [, {, *, & or !"
_OPENERS = ("while scanning a quoted scalar", "while parsing a flow", "while scanning a block scalar")


def _syntax_diagnostic(error: yaml.MarkedYAMLError, text: str, path: str, line_offset: int) -> Diagnostic:
    mark = error.problem_mark or error.context_mark
    context = error.context or ""
    opened = error.context_mark if context.startswith(_OPENERS) else None
    problem = error.problem or "invalid YAML"
    lines = text.split("\n")
    at_tab = (
        mark is not None
        and mark.line < len(lines)
        and lines[mark.line][mark.column : mark.column + 1] == "\t"
    )
    if at_tab or "tab" in problem:
        return diag(
            "PW011",
            _mark_span(mark, path, line_offset) if mark else Span(path, line_offset + 1),
            "tab character in YAML; YAML allows only spaces for indentation",
            hint="replace the tab with spaces (two per level is usual)",
        )
    if opened is not None and mark is not None and opened.line < mark.line:
        # An unclosed quote or bracket is noticed lines later; point where it was opened.
        found_at = min(mark.line, len(lines) - 1) + 1 + line_offset
        return diag(
            "PW010",
            _mark_span(opened, path, line_offset),
            f"YAML syntax error: {problem} on line {found_at} ({context} that starts here)",
            hint="close the quote or bracket opened here",
        )
    if mark is None:
        return diag("PW010", Span(path, line_offset + 1), f"YAML syntax error: {problem}", hint=_SYNTAX_HINT)
    suffix = f" ({context})" if context else ""
    return diag(
        "PW010",
        _mark_span(mark, path, line_offset),
        f"YAML syntax error: {problem}{suffix}",
        hint=_SYNTAX_HINT,
    )
