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

from postwright.diagnostics import Diagnostic, Span, diag

KeyPath = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
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
_Loader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node)))


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


def load_yaml(text: str, path: str, *, line_offset: int = 0) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one YAML document; return it with spans, or None and the located syntax errors."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_diagnostic(error, path, line_offset)]
    finally:
        loader.dispose()
    if node is None:
        return Document({}, {(): Span(path, line_offset + 1)}, {}), []
    spans: dict[KeyPath, Span] = {}
    key_spans: dict[KeyPath, Span] = {}
    diagnostics: list[Diagnostic] = []
    data = _walk(node, (), _Loader(""), path, line_offset, spans, key_spans, diagnostics)
    return Document(data, spans, key_spans), diagnostics


def _mark_span(mark: yaml.Mark, path: str, line_offset: int) -> Span:
    return Span(path, mark.line + 1 + line_offset, mark.column + 1)


def _walk(
    node: yaml.Node,
    key_path: KeyPath,
    loader: _Loader,
    path: str,
    line_offset: int,
    spans: dict[KeyPath, Span],
    key_spans: dict[KeyPath, Span],
    diagnostics: list[Diagnostic],
) -> Any:
    """Build plain Python data from the node tree while recording spans and duplicate keys."""
    spans[key_path] = _mark_span(node.start_mark, path, line_offset)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                key = str(key)
            child = (*key_path, key)
            key_span = _mark_span(key_node.start_mark, path, line_offset)
            if key in result:
                first = key_spans[child]
                diagnostics.append(
                    diag(
                        "PW012",
                        key_span,
                        f"duplicate key '{key}' (first defined on line {first.line})",
                        hint="remove one of the two; YAML would silently keep only the last",
                    )
                )
                continue
            key_spans[child] = key_span
            result[key] = _walk(value_node, child, loader, path, line_offset, spans, key_spans, diagnostics)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(item, (*key_path, index), loader, path, line_offset, spans, key_spans, diagnostics)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def _syntax_diagnostic(error: yaml.MarkedYAMLError, path: str, line_offset: int) -> Diagnostic:
    mark = error.problem_mark or error.context_mark
    span = _mark_span(mark, path, line_offset) if mark else Span(path, line_offset + 1)
    problem = error.problem or "invalid YAML"
    if "'\\t'" in problem:
        return diag(
            "PW011",
            span,
            "tab character in YAML; YAML allows only spaces for indentation",
            hint="replace the tab with spaces (two per level is usual)",
        )
    context = f" ({error.context})" if error.context else ""
    return diag(
        "PW010",
        span,
        f"YAML syntax error: {problem}{context}",
        hint="quote values that contain ': ' or ' #' or that start with @, `, [, {, *, & or !",
    )
