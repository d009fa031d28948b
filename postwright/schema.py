"""Shared field types for config.yml and front matter, and the bridge from pydantic to Diagnostics.

Every custom check raises a PydanticCustomError whose type is our rule code, so a validation error
becomes a located Diagnostic without a second table of messages.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
import zoneinfo
from datetime import time, timedelta
from functools import cache
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from postwright.diagnostics import Diagnostic, diag
from postwright.platforms import PLATFORMS
from postwright.yamlpos import Document, KeyPath, load_yaml


class Model(BaseModel):
    """Base of every schema class: immutable, unknown keys rejected, docstrings become the docs."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def did_you_mean(word: str, candidates: typing.Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close candidate exists, else ''."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _fail(code: str, message: str, hint: str = "") -> PydanticCustomError:
    return PydanticCustomError(code, message, {"hint": hint})


def _platform_name(value: str) -> str:
    if value not in PLATFORMS:
        raise _fail(
            "PW102",
            f"unknown platform '{value}'{did_you_mean(value, PLATFORMS)}",
            "known platforms: " + ", ".join(PLATFORMS),
        )
    return value


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(value: str) -> str:
    if value not in time_zones():
        raise _fail(
            "PW101",
            f"unknown time zone '{value}'{did_you_mean(value, time_zones())}",
            "use an IANA name such as Europe/Madrid or America/New_York",
        )
    return value


_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def _language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise _fail("PW106", f"'{value}' is not a language tag", "use a BCP 47 tag such as en, es, pt-BR, fa")
    return value


_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _env_name(value: str) -> str:
    # Never echo the value: a writer who pasted the token itself must not see it printed in CI logs.
    if not _ENV_NAME.match(value):
        raise _fail(
            "PW103",
            "credentials must name an environment variable, not hold the secret itself",
            "write the variable's NAME (e.g. MASTODON_TOKEN) and set its value as a CI secret; "
            "if a real secret was committed, revoke it",
        )
    return value


FIRST_YEAR, LAST_YEAR = 1900, 8999
"""The years a date may be in. Python's dates end at 9999, and later steps add to a date (the end of
an expiry day, time zones, the grace and duplicate windows, calendar weeks, calendar.ics's zone tables
two years on), so a date far from both ends keeps all of that in range."""

LONGEST_DURATION = timedelta(days=3650)
"""The longest duration config.yml takes (ten years): with dates bounded, windows this long stay in range."""

_DURATION = re.compile(r"^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?$")


def _duration(value: object) -> timedelta:
    match = _DURATION.match(value) if isinstance(value, str) and value.strip() else None
    if not match:
        raise _fail("PW104", f"'{value}' is not a duration", "write e.g. 30m, 3h, 1h30m or 2d")
    groups = [group or "0" for group in match.groups()]
    # at most 9 digits each: int() of thousands of digits is refused, and of any length is slow
    days, hours, minutes = (int(group) if len(group.lstrip("0")) <= 9 else 10**9 for group in groups)
    total = (days * 24 + hours) * 60 + minutes
    if total > LONGEST_DURATION // timedelta(minutes=1):
        raise _fail(
            "PW104",
            f"'{_clipped(value)}' is longer than postwright takes (at most {LONGEST_DURATION.days}d)",
            f"write at most {LONGEST_DURATION.days}d (ten years)",
        )
    return timedelta(minutes=total)


def _clipped(text: str, most: int = 40) -> str:
    """A value short enough to quote in a message (a duration of thousands of digits is not)."""
    return text if len(text) <= most else text[: most - 1] + "…"


_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _time_of_day(value: object) -> time:
    match = _TIME_OF_DAY.match(value) if isinstance(value, str) else None
    if not match:
        raise _fail("PW105", f"'{value}' is not a time of day", "write 24-hour HH:MM in quotes, e.g. '09:30'")
    return time(int(match[1]), int(match[2]))


def _hashtag(value: str) -> str:
    tag = value.removeprefix("#")
    if not re.fullmatch(r"\w+", tag) or tag.isdigit():
        raise _fail(
            "PW210",
            f"'{value}' is not a valid hashtag",
            "use letters, digits and _ only, not only digits, no spaces (e.g. OpenSource)",
        )
    return tag


def _link(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise _fail(
            "PW211", f"'{value}' is not an http(s) link", "write a full URL such as https://example.com/page"
        )
    return value


class _PlatformNames:
    """A platform name's JSON Schema: the names in the registry when the schema is made (a platform
    registered after this module loaded is one)."""

    def __get_pydantic_json_schema__(self, _core_schema: Any, _handler: Any) -> dict[str, Any]:
        return {"enum": list(PLATFORMS)}


PlatformName = Annotated[str, AfterValidator(_platform_name), _PlatformNames()]
TimeZone = Annotated[str, AfterValidator(_time_zone)]
Language = Annotated[
    str, AfterValidator(_language), WithJsonSchema({"type": "string", "pattern": _LANGUAGE.pattern})
]
EnvVarName = Annotated[
    str, AfterValidator(_env_name), WithJsonSchema({"type": "string", "pattern": _ENV_NAME.pattern})
]
Duration = Annotated[
    timedelta, BeforeValidator(_duration), WithJsonSchema({"type": "string", "pattern": _DURATION.pattern})
]
TimeOfDay = Annotated[
    time, BeforeValidator(_time_of_day), WithJsonSchema({"type": "string", "pattern": _TIME_OF_DAY.pattern})
]
Hashtag = Annotated[str, AfterValidator(_hashtag)]
Link = Annotated[str, AfterValidator(_link), WithJsonSchema({"type": "string", "format": "uri"})]
Bool = StrictBool
Int = StrictInt
Money = Annotated[float, Field(strict=True, ge=0, le=1e12, allow_inf_nan=False)]
"""An amount in the currency the brand's web analytics reports revenue in, e.g. 120 or 49.90."""

M = TypeVar("M", bound=BaseModel)

_TYPE_HINTS = {  # by the JSON Schema type the key takes
    "array": "write a list: [a, b] on one line, or one '- item' per line",
    "boolean": "write true or false",
    "string": "put the value in quotes",
    "integer": "write a whole number",
    "number": "write a number",
    "object": "write a mapping: one 'key: value' per line, indented",
}
_BOUND_HINTS = {
    "greater_than": "write a larger number",
    "greater_than_equal": "write a larger number",
    "less_than": "write a smaller number",
    "less_than_equal": "write a smaller number",
}


def validate_model(
    model: type[M], document: Document, *, at: KeyPath = (), context: dict[str, Any] | None = None
) -> tuple[M | None, list[Diagnostic]]:
    """Validate YAML data (the value at key path `at`) against a schema class; every error becomes a
    located Diagnostic. `context` reaches validators that need more than the value (e.g. the platform)."""
    data = document.data
    for part in at:
        data = data[part]
    try:
        return model.model_validate(data, context=context), []
    except ValidationError as error:
        return None, _diagnostics(model, document, error, at)


def _diagnostics(
    model: type[BaseModel], document: Document, error: ValidationError, at: KeyPath = ()
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: set[KeyPath] = set()
    for item in error.errors(include_url=False, include_input=False):
        raw = tuple(item["loc"])
        on_key = "[key]" in raw
        loc = tuple(part for part in raw if part != "[key]")
        if item["type"] != "extra_forbidden":  # an unknown key is in no schema
            loc = _schema_at(_json_schema(model), loc)[0]  # a union's member names ('size.int') are no keys
        if loc in seen:
            continue  # one message per value: unions and chained validators report several
        seen.add(loc)
        found.append(_one_diagnostic(model, document, at, loc, item, on_key=on_key))
    return found


def _one_diagnostic(
    model: type[BaseModel], document: Document, at: KeyPath, inner: KeyPath, item: Any, *, on_key: bool
) -> Diagnostic:
    """One error; `inner` is its place in `model`, `at` where the model's value is in the document."""
    kind = item["type"]
    loc = (*at, *inner)
    where = dotted(loc)
    if kind == "extra_forbidden":
        known = _known_keys(model, inner[:-1])
        return diag(
            "PW030",
            document.span(loc, key=True),
            f"unknown key '{loc[-1]}'"
            + (f" in {dotted(loc[:-1])}" if loc[:-1] else "")
            + did_you_mean(str(loc[-1]), known),
            hint="allowed here: " + ", ".join(known) if known else "",
        )
    if kind == "missing":
        parent = dotted(loc[:-1]) or "the top level"
        return diag(
            "PW032",
            document.span(loc[:-1], key=True),
            f"required key '{loc[-1]}' is missing in {parent}",
            hint=f"add '{loc[-1]}:'",
        )
    if kind.startswith("PW"):
        span = document.span(loc, key=on_key)
        return diag(kind, span, f"{where}: {item['msg']}", hint=item.get("ctx", {}).get("hint", ""))
    return _wrong_value(model, document, at, inner, kind, on_key=on_key)


def _wrong_value(
    model: type[BaseModel], document: Document, at: KeyPath, inner: KeyPath, kind: str, *, on_key: bool
) -> Diagnostic:
    """PW031 in writers' words: what the key takes, with an example, from its JSON Schema (the field's
    type and docstring); pydantic's own wording ('Input should be a valid dictionary or instance of
    ImageRef') names Python types a writer never sees."""
    root = _json_schema(model)
    inner, node = _schema_at(root, inner)  # a union's member names ('size.int') are not keys
    loc = (*at, *inner)
    if on_key:
        return diag(
            "PW031",
            document.span(loc, key=True),
            f"{dotted(loc[:-1]) or 'the top level'}: the key {loc[-1]} should be text",
            hint="put the key in quotes",
        )
    what, example = _expected(node, root)
    if example == "…" and inner:  # an item of a list or mapping: the first of its parent's example
        example = _first_of(_doc_example(_schema_at(root, inner[:-1])[1].get("description", ""))) or example
    written = (
        f"- {example}"
        if inner and isinstance(inner[-1], int)
        else f"{loc[-1] if loc else 'value'}: {example}"
    )
    return diag(
        "PW031",
        document.span(loc),
        f"{dotted(loc) or 'the value'} should be {what}, e.g. `{written}`",
        hint=_hint(_resolved(node, root), kind),
    )


def _hint(node: dict[str, Any], kind: str) -> str:
    if "enum" in node:
        return ""  # the message lists them
    return _BOUND_HINTS.get(kind) or _TYPE_HINTS.get(node.get("type", ""), "")


def _json_schema(model: type[BaseModel]) -> dict[str, Any]:
    return _json_schema_with(model, tuple(PLATFORMS))


@cache
def _json_schema_with(model: type[BaseModel], _platforms: tuple[str, ...]) -> dict[str, Any]:
    """The schema lists the platforms: one per set of them (a registered platform adds one)."""
    return model.model_json_schema(mode="validation")


def _schema_at(root: dict[str, Any], loc: KeyPath) -> tuple[KeyPath, dict[str, Any]]:
    """The longest start of `loc` that names keys and items in the schema, and the schema there."""
    node = root
    for depth, part in enumerate(loc):
        node = _resolved(node, root)
        if isinstance(part, int) and node.get("type") == "array":
            prefix = node.get("prefixItems", ())
            inner = prefix[part] if part < len(prefix) else node.get("items")
        elif node.get("type") != "object":
            inner = None
        elif part in node.get("properties", {}):
            inner = node["properties"][part]
        else:
            inner = _values(node)
        if not isinstance(inner, dict):
            return loc[:depth], node
        node = inner
    return loc, node


def _values(node: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a mapping's values, whatever their names."""
    if isinstance(node.get("additionalProperties"), dict):
        return node["additionalProperties"]
    return next(iter(node.get("patternProperties", {}).values()), None)


def _resolved(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """`node` with $ref followed and an optional's null left out, keeping the outer docstring."""
    options = [option for option in node.get("anyOf", ()) if option.get("type") != "null"]
    target = options[0] if options else node
    if "$ref" in target:
        target = root["$defs"][target["$ref"].rsplit("/", 1)[-1]]
    if target is node:
        return node
    return {
        **_resolved(target, root),
        **{key: node[key] for key in ("description", "default") if key in node},
    }


def _expected(node: dict[str, Any], root: dict[str, Any], depth: int = 0) -> tuple[str, str]:
    """What a key takes, in writers' words, and an example of it in YAML's one-line form: the one its
    docstring gives ('e.g. …'), else its default, else one made from its type."""
    node = _resolved(node, root)
    kind = node.get("type")
    given = _doc_example(node.get("description", ""))
    default = node.get("default")
    if "enum" in node:
        values = [str(value) for value in node["enum"]]
        shown = ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) <= 12 else f"{values[0]}, …"
        return f"one of {shown}", str(default) if default in node["enum"] else values[0]
    if kind == "boolean":
        return "true or false", "true"
    if kind in ("integer", "number"):
        return ("a whole number" if kind == "integer" else "a number") + _range(node), _number_example(node)
    if kind == "string":
        what = "a link" if node.get("format") == "uri" else "text"
        what += " written like the example" if "pattern" in node else ""
        what += f" of at most {node['maxLength']} characters" if "maxLength" in node else ""
        example = given or (default if isinstance(default, str) else "") or "…"
        return what, example if example.startswith(("'", '"')) else _yaml_scalar(example)
    if kind == "array":
        shape = node.get("prefixItems") or [node.get("items", {})] * max(1, node.get("minItems", 1))
        if "prefixItems" in node:
            what = f"a list of {len(shape)} values"
        else:
            least = node.get("minItems", 0)
            what = "a list" + (f" of at least {least} item{'s' * (least != 1)}" if least else "")
        if given.startswith("["):
            return what, given
        if depth >= 2:
            return what, "[…]"
        return what, "[" + ", ".join(_expected(item, root, depth + 1)[1] for item in shape) + "]"
    if kind == "object":
        fields = node.get("properties", {})
        if fields:
            required = node.get("required", [])
            keys = [*required, *(key for key in fields if key not in required)][: max(2, len(required))]
            what = "a mapping with " + " and ".join(f"'{key}'" for key in keys)
        else:
            fields, keys = {"name": _values(node) or {}}, ["name"]
            what = "a mapping"
        if given.startswith("{"):
            return what, given
        if depth >= 2:
            return what, "{…}"
        entries = ", ".join(f"{key}: {_expected(fields[key], root, depth + 1)[1]}" for key in keys)
        return what, "{" + entries + "}"
    return "a different value", given or "…"


def _first_of(example: str) -> str:
    """'OpenSource' from '[OpenSource, launch]' (the first value of a mapping): a text, else ''."""
    document, _ = load_yaml(f"key: {example}", "example")
    data = document.data.get("key") if document is not None else None
    items = list(data.values()) if isinstance(data, dict) else data if isinstance(data, list) else []
    return _yaml_scalar(items[0]) if items and isinstance(items[0], str) else ""


def _range(node: dict[str, Any]) -> str:
    """' from 1 to 20000', ' above 0, at most 1': the bounds a number takes, as writers read them."""
    low, high, above = (node.get(key) for key in ("minimum", "maximum", "exclusiveMinimum"))
    if above is not None and node.get("type") == "integer":
        low, above = above + 1, None
    if low is not None:
        return (
            f" from {_number(low)} to {_number(high)}" if high is not None else f" of at least {_number(low)}"
        )
    if above is not None:
        return f" above {_number(above)}" + (f", at most {_number(high)}" if high is not None else "")
    return f" of at most {_number(high)}" if high is not None else ""


def _number_example(node: dict[str, Any]) -> str:
    """The default, else a round number inside the bounds (a fifth of the way up for fractions)."""
    default = node.get("default")
    if isinstance(default, int | float) and not isinstance(default, bool):
        return _number(default)
    low = node.get("minimum", node.get("exclusiveMinimum", 0))
    high = node.get("maximum")
    if high is None:
        return _number(low + 1)
    if node.get("type") == "integer":
        return _number(max(low + 1, high // 10))
    return _number(high / 5 if high / 5 > low else (low + high) / 2)


def _number(value: float) -> str:
    """1000000, not 1e+06: as a writer types it."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


_EXAMPLE = re.compile(r"\be\.g\. ")
_EXAMPLE_ENDS = (";", ")", " (", ", ", ": ", " or ", " to ", ". ")  # " (": a remark on the example


def _doc_example(description: str) -> str:
    """The example a docstring gives ('…, e.g. brand/logo.png.'), brackets kept whole; '' if none."""
    text = " ".join(description.split())
    found = _EXAMPLE.search(text)
    if not found:
        return ""
    depth = 0
    for end in range(found.end(), len(text)):
        depth += (text[end] in "[{") - (text[end] in "]}")
        if depth == 0 and text.startswith(_EXAMPLE_ENDS, end):
            return text[found.end() : end]
    return text[found.end() :].removesuffix(".")


def _yaml_scalar(text: str) -> str:
    """`text` as a writer types it: plain when YAML reads it back as this text, else quoted."""
    document, problems = load_yaml(f"key: {text}", "example")
    plain = document is not None and not problems and document.data == {"key": text}
    return text if plain else "'" + text.replace("'", "''") + "'"


def dotted(loc: KeyPath) -> str:
    """images[2].alt for ('images', 1, 'alt'): positions are 1-based, as writers count."""
    text = ""
    for part in loc:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _known_keys(model: type[BaseModel], loc: KeyPath) -> list[str]:
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field else None
        elif typing.get_origin(current) in (list, tuple, dict):
            current = typing.get_args(current)[-1] if typing.get_args(current) else None
        else:
            return []
    current = _unwrap(current)
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return list(_json_schema(current).get("properties", {}))  # a person's handles too: one per platform


def _unwrap(annotation: Any) -> Any:
    """Strip Optional and Annotated so the walk reaches the model or container inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            annotation = members[0] if len(members) == 1 else annotation
            if len(members) != 1:
                return annotation
        else:
            return annotation
